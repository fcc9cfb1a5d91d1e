/*
 * test_daemon_lifecycle.c - ringsided's lifecycle on loopback: systemd
 * notify (READY/STATUS/STOPPING) and SIGTERM marking the segments closed;
 * a restart with a client attached (the client sees -ESTALE, re-attaches
 * to the new generation and receives its events); kill -9 of an attached
 * client process (the daemon carries on); SIGHUP reload of reloadable keys
 * (and refusal of a key that needs a restart).
 */
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "controlplane/rs_ctl.h"
#include "daemon_testlib.h"

static int port_base;

static void fini(void)
{
	dt_cleanup();
}

static void setup(void)
{
	dt_init("life");
	port_base = 30000 + (int)(getpid() % 5000) * 4;
}

static int server_shift = 2; /* recovery server = port_base + this */

static void write_cfg(const char *path, uint32_t rate, const char *deadline, int port_shift)
{
	char y[2048];
	snprintf(y, sizeof(y),
		 "instance: %s\n"
		 "shm:\n  huge_pages: off\n"
		 "capacities:\n  orders: 256k\n  levels: 64k\n  instruments: 1024\n  depth: 10\n"
		 "  event_ring: 64k\n"
		 "cores:\n  mode: pipeline\n  rx: [0]\n  handlers: [1]\n  control: 0\n"
		 "feeds:\n  - name: lo\n    protocol: itch-moldudp64\n    lines:\n"
		 "      - name: A\n        driver: uring\n        interface: lo\n        bind: 127.0.0.1\n"
		 "        port: %d\n"
		 "      - name: B\n        driver: uring\n        interface: lo\n        bind: 127.0.0.1\n"
		 "        port: %d\n"
		 "    recovery:\n      server: 127.0.0.1:%d\n      rate: %u\n      deadline: %s\n"
		 "analytics:\n  enabled: false\n"
		 "control:\n  socket: %s/run/ctl.sock\n  http: \"\"\n",
		 DT.instance, port_base + port_shift, port_base + 1, port_base + server_shift, rate, deadline,
		 DT.dir);
	dt_write_file(path, y);
}

static pid_t start_daemon(const char *cfg)
{
	static char bin[300];
	snprintf(bin, sizeof(bin), "%s/ringsided", DT.bin);
	char *argv[] = {bin, "-c", (char *)cfg, NULL};
	return dt_spawn("ringsided", argv);
}

static void replay_x(uint32_t msgs, uint32_t seed, const char *extra)
{
	cr_assert_eq(dt_sh("%s/ringside replay --format gen --gen-messages %u --gen-seed %u "
			   "--gen-symbols 50 --dest 127.0.0.1:%d,127.0.0.1:%d --rate 100000 "
			   "--retrans-port %d --retrans-bind 127.0.0.1 --linger 1 --quiet "
			   "--session LIFE%06u %s",
			   DT.bin, msgs, seed, port_base, port_base + 1, port_base + 2, seed, extra),
		     0);
}

static void replay(uint32_t msgs, uint32_t seed)
{
	replay_x(msgs, seed, "");
}

static uint64_t wait_delivered(struct rs_client *c, uint64_t want)
{
	uint64_t v = 0;
	for (int i = 0; i < 1000 && v < want; i++) {
		v = dt_ctr(c, "rs_feed_messages_total{feed=\"lo\"}");
		dt_sleep_ms(20);
	}
	return v;
}

TestSuite(daemon_lifecycle, .init = setup, .fini = fini, .timeout = 120);

Test(daemon_lifecycle, notify_and_sigterm_closes_segments)
{
	char cfg[256], sock[256];
	snprintf(cfg, sizeof(cfg), "%s/d.yaml", DT.dir);
	write_cfg(cfg, 200, "2s", 0);
	snprintf(sock, sizeof(sock), "%s/run/notify.sock", DT.dir);
	int nfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	cr_assert_eq(bind(nfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sock, 1);
	pid_t dp = start_daemon(cfg);
	unsetenv("NOTIFY_SOCKET");
	struct rs_client *c = dt_attach(DT.instance, dp, 30000);
	cr_assert_not_null(c);
	replay(20000, 1);
	cr_assert_eq(wait_delivered(c, 20000), 20000);
	/* the control socket answers */
	char out[4096], cpath[256];
	snprintf(cpath, sizeof(cpath), "%s/run/ctl.sock", DT.dir);
	char *ping[] = {"ping"}, *feeds[] = {"feeds"};
	cr_assert_eq(rs_ctl_call(cpath, 1, ping, out, sizeof(out), 2000), 0, "%s", out);
	cr_assert(strstr(out, "pong"), "%s", out);
	cr_assert_eq(rs_ctl_call(cpath, 1, feeds, out, sizeof(out), 2000), 0);
	cr_assert(strstr(out, "\"messages\":20000"), "%s", out);
	dt_sleep_ms(1200); /* one STATUS line */
	kill(dp, SIGTERM);
	cr_assert_eq(dt_wait(dp, 20000), 0);
	cr_assert_eq(rs_client_check(c), -ESHUTDOWN);
	rs_client_close(c);
	/* READY=1 first, a STATUS=, STOPPING=1 last */
	char msg[512], all[8192] = "";
	ssize_t n;
	while ((n = recv(nfd, msg, sizeof(msg) - 1, MSG_DONTWAIT)) > 0) {
		msg[n] = 0;
		strncat(all, msg, sizeof(all) - strlen(all) - 2);
		strcat(all, "|");
	}
	close(nfd);
	cr_assert(!strncmp(all, "READY=1", 7), "notify: %s", all);
	cr_assert(strstr(all, "STATUS=") != NULL, "notify: %s", all);
	cr_assert(strstr(all, "STOPPING=1|") != NULL && !strcmp(strstr(all, "STOPPING=1|"), "STOPPING=1|"),
		  "notify: %s", all);
}

static uint64_t nrec;

static void on_rec(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	(void)arg;
	(void)rec;
	if (type == RS_REC_EVENT && len == sizeof(struct rs_event))
		nrec++;
}

Test(daemon_lifecycle, restart_with_a_client_attached)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "%s/d.yaml", DT.dir);
	write_cfg(cfg, 200, "2s", 0);
	pid_t dp = start_daemon(cfg);
	struct rs_client *c = dt_attach(DT.instance, dp, 30000);
	cr_assert_not_null(c);
	uint32_t g1 = rs_client_generation(c);
	struct rs_sub *s;
	cr_assert_eq(rs_client_sub_open(c, RS_SEGNAME_EVENTS, RS_START_OLDEST, &s), 0, "%s", rs_errmsg());
	replay(5000, 2);
	cr_assert_eq(wait_delivered(c, 5000), 5000);
	while (rs_client_sub_poll(s, on_rec, NULL, 0) > 0)
		;
	cr_assert_gt(nrec, 5000);

	kill(dp, SIGTERM);
	cr_assert_eq(dt_wait(dp, 20000), 0);
	cr_assert_eq(rs_client_check(c), -ESHUTDOWN);
	dp = start_daemon(cfg);
	int rc = 0;
	for (int i = 0; i < 1500; i++) {
		rc = rs_client_check(c);
		if (rc == -ESTALE)
			break;
		dt_sleep_ms(20);
	}
	cr_assert_eq(rc, -ESTALE, "the client sees the new generation");
	/* wait until the new generation is published, then re-attach */
	for (int i = 0; i < 1500 && (rc = rs_client_reattach(c)); i++)
		dt_sleep_ms(20);
	cr_assert_eq(rc, 0, "%s", rs_errmsg());
	cr_assert_eq(rs_client_generation(c), g1 + 1);
	cr_assert_eq(rs_client_check(c), 0);
	nrec = 0;
	replay(5000, 3);
	cr_assert_eq(wait_delivered(c, 5000), 5000, "counters of the new generation");
	for (int i = 0; i < 200 && !nrec; i++) {
		while (rs_client_sub_poll(s, on_rec, NULL, 0) > 0)
			;
		dt_sleep_ms(5);
	}
	cr_assert_gt(nrec, 5000, "the old subscription follows the new generation");
	kill(dp, SIGTERM);
	cr_assert_eq(dt_wait(dp, 20000), 0);
	rs_client_close(c);
}

Test(daemon_lifecycle, kill_9_of_a_client)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "%s/d.yaml", DT.dir);
	write_cfg(cfg, 200, "2s", 0);
	pid_t dp = start_daemon(cfg);
	struct rs_client *c = dt_attach(DT.instance, dp, 30000);
	cr_assert_not_null(c);
	pid_t cl = fork();
	if (cl == 0) { /* a client busy reading everything */
		struct rs_client *cc;
		struct rs_sub *ss;
		if (rs_client_open(&cc, DT.instance, NULL) ||
		    rs_client_sub_open(cc, RS_SEGNAME_EVENTS, RS_START_OLDEST, &ss))
			_exit(1);
		for (;;) {
			rs_client_sub_poll(ss, on_rec, NULL, 0);
			struct rs_bbo b;
			rs_client_bbo(cc, 1, &b);
		}
	}
	DT.child[DT.nchild++] = cl;
	dt_sleep_ms(200);
	pid_t rp = fork();
	if (rp == 0) {
		replay(100000, 4);
		_exit(0);
	}
	DT.child[DT.nchild++] = rp;
	dt_sleep_ms(300); /* mid-replay */
	kill(cl, SIGKILL);
	cr_assert_eq(dt_wait(cl, 5000), 128 + SIGKILL);
	cr_assert_eq(dt_wait(rp, 60000), 0);
	cr_assert_eq(wait_delivered(c, 100000), 100000, "the daemon did not notice");
	cr_assert_eq(rs_client_check(c), 0);
	char out[1024], cpath[256];
	snprintf(cpath, sizeof(cpath), "%s/run/ctl.sock", DT.dir);
	char *ping[] = {"ping"};
	cr_assert_eq(rs_ctl_call(cpath, 1, ping, out, sizeof(out), 2000), 0);
	kill(dp, SIGTERM);
	cr_assert_eq(dt_wait(dp, 20000), 0);
	rs_client_close(c);
}

Test(daemon_lifecycle, sighup_reload)
{
	char cfg[256], logp[256];
	snprintf(cfg, sizeof(cfg), "%s/d.yaml", DT.dir);
	snprintf(logp, sizeof(logp), "%s/ringsided.log", DT.dir);
	write_cfg(cfg, 200, "2s", 0);
	pid_t dp = start_daemon(cfg);
	struct rs_client *c = dt_attach(DT.instance, dp, 30000);
	cr_assert_not_null(c);
	write_cfg(cfg, 500, "3s", 0); /* two reloadable keys */
	kill(dp, SIGHUP);
	int ok = 1;
	for (int i = 0; i < 500 && (ok = dt_sh("grep -q 'reloaded .*: 2 key(s) changed' %s", logp)); i++)
		dt_sleep_ms(10);
	cr_assert_eq(ok, 0, "reload logged");
	write_cfg(cfg, 500, "3s", 3); /* line A's port: needs a restart */
	kill(dp, SIGHUP);
	for (int i = 0; i < 500 && (ok = dt_sh("grep -q 'ERROR.*lines cannot change without a restart' %s", logp)); i++)
		dt_sleep_ms(10);
	if (ok)
		dt_dump_log("ringsided");
	cr_assert_eq(ok, 0, "a non-reloadable key is refused, loudly");
	/* still serving */
	replay(5000, 5);
	cr_assert_eq(wait_delivered(c, 5000), 5000);
	kill(dp, SIGTERM);
	cr_assert_eq(dt_wait(dp, 20000), 0);
	rs_client_close(c);
}

Test(daemon_lifecycle, unrecoverable_gap_stays_stale_until_a_new_session)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "%s/d.yaml", DT.dir);
	server_shift = 3; /* nobody answers re-requests there */
	write_cfg(cfg, 200, "300ms", 0);
	pid_t dp = start_daemon(cfg);
	struct rs_client *c = dt_attach(DT.instance, dp, 30000);
	cr_assert_not_null(c);
	/* 5 % loss on each line: some packets are lost on both, for good */
	replay_x(20000, 6, "--drop-a 0.05 --drop-b 0.05 --seed 3");
	uint64_t next = 0;
	for (int i = 0; i < 500 && next != 20001; i++) {
		next = dt_ctr(c, "rs_feed_next_seq{feed=\"lo\"}");
		dt_sleep_ms(20);
	}
	cr_assert_eq(next, 20001, "the feed moved past every gap");
	dt_sleep_ms(50);
	uint64_t unrec = dt_ctr(c, "rs_feed_unrecovered_total{feed=\"lo\"}");
	cr_assert_gt(unrec, 0);
	cr_assert_eq(dt_ctr(c, "rs_feed_messages_total{feed=\"lo\"}") + unrec, 20000);
	cr_assert_eq(dt_ctr(c, "rs_feed_state{feed=\"lo\"}"), 3, "stale");
	cr_assert_gt(dt_ctr(c, "rs_feed_stale_instruments{feed=\"lo\"}"), 0);
	/* a book row and a directory row carry the stale flag */
	uint32_t id = 0;
	struct rs_bbo b;
	struct rs_instrument in;
	for (uint32_t k = 1; k < 200 && !id; k++)
		if (!rs_client_bbo(c, k, &b))
			id = k;
	cr_assert_neq(id, 0);
	cr_assert(b.flags & RS_INSTF_STALE, "bbo flags %x", b.flags);
	cr_assert_eq(rs_client_instrument(c, id, &in), 0);
	cr_assert(in.flags & RS_INSTF_STALE);
	/* a new session clears it */
	replay(5000, 7);
	uint64_t st = 0;
	for (int i = 0; i < 500 && (st = dt_ctr(c, "rs_feed_state{feed=\"lo\"}")) != 1; i++)
		dt_sleep_ms(20);
	cr_assert_eq(st, 1);
	cr_assert_eq(wait_delivered(c, 20000 - unrec + 5000), 20000 - unrec + 5000,
		     "the new session delivered in full (the counter is cumulative)");
	cr_assert_eq(rs_client_bbo(c, id, &b), 0);
	cr_assert_eq(b.flags & RS_INSTF_STALE, 0);
	cr_assert_eq(rs_client_instrument(c, id, &in), 0);
	cr_assert_eq(in.flags & RS_INSTF_STALE, 0);
	kill(dp, SIGTERM);
	cr_assert_eq(dt_wait(dp, 20000), 0);
	rs_client_close(c);
}

/* `reconnect FEED` mid-replay: every line is closed and reopened while the
 * rx thread is paused; what arrived meanwhile is a gap that retransmission
 * fills: every message is delivered, the reconnect counter says 1 and the
 * line packet totals stay monotonic. */
Test(daemon_lifecycle, reconnect_mid_replay_loses_nothing)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "%s/d.yaml", DT.dir);
	write_cfg(cfg, 200, "2s", 0);
	pid_t dp = start_daemon(cfg);
	struct rs_client *c = dt_attach(DT.instance, dp, 30000);
	cr_assert_not_null(c);
	pid_t rp = fork();
	if (rp == 0) {
		replay(100000, 6);
		_exit(0);
	}
	DT.child[DT.nchild++] = rp;
	char out[1024], cpath[256];
	snprintf(cpath, sizeof(cpath), "%s/run/ctl.sock", DT.dir);
	uint64_t before = 0;
	for (int i = 0; i < 500 && before == 0; i++) { /* mid-replay */
		before = dt_ctr(c, "rs_line_packets_total{feed=\"lo\",line=\"A\"}");
		dt_sleep_ms(10);
	}
	cr_assert_gt(before, 0);
	char *rec[] = {"reconnect", "lo"};
	cr_assert_eq(rs_ctl_call(cpath, 2, rec, out, sizeof(out), 5000), 0, "%s", out);
	cr_assert(strstr(out, "\"reconnected\":\"lo\""), "%s", out);
	char *bad[] = {"reconnect", "nope"};
	cr_assert_eq(rs_ctl_call(cpath, 2, bad, out, sizeof(out), 5000), ENOENT, "%s", out);
	cr_assert(strstr(out, "no feed 'nope'"), "%s", out);
	cr_assert_geq(dt_ctr(c, "rs_line_packets_total{feed=\"lo\",line=\"A\"}"), before);
	cr_assert_eq(dt_wait(rp, 60000), 0);
	cr_assert_eq(wait_delivered(c, 100000), 100000);
	cr_assert_eq(dt_ctr(c, "rs_feed_reconnects_total{feed=\"lo\"}"), 1);
	kill(dp, SIGTERM);
	cr_assert_eq(dt_wait(dp, 20000), 0);
	rs_client_close(c);
}
