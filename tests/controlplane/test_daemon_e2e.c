/*
 * test_daemon_e2e.c - ringsided end to end, one test per driver (io_uring,
 * AF_XDP in skb mode, DPDK net_af_packet): a generated ITCH session is
 * replayed from a network namespace over two veth pairs (line A with
 * drops, duplicates and reordering; line B with other drops), with the
 * replayer's retransmission server on line A's subnet. Checked:
 *   - every message delivered exactly once (rs_feed_messages_total);
 *   - messages lost on both lines came back by retransmission;
 *   - the books in shared memory (MBP-50 depth table) equal the books of
 *     `ringside book FILE --format itch --depth 50` level by level;
 *   - the counters add up with the replayer's own statistics;
 *   - SIGTERM drains and marks the segments closed.
 */
#include <criterion/criterion.h>

#include "daemon_testlib.h"
#include "drivers/rs_drv.h"

#define MSGS 200000u
#define DEPTH 50

static void fini(void)
{
	dt_cleanup();
}

static uint64_t json_u64(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	cr_assert_not_null(p, "no %s in %s", key, s);
	return strtoull(p + strlen(key), NULL, 10);
}

/* "585.3300" -> 585330000000 */
static int64_t parse_px(const char **pp)
{
	const char *p = *pp;
	cr_assert_eq(*p, '"');
	p++;
	bool neg = *p == '-';
	if (neg)
		p++;
	int64_t ip = 0, fr = 0;
	while (*p >= '0' && *p <= '9')
		ip = ip * 10 + (*p++ - '0');
	int nd = 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, nd++)
			fr = fr * 10 + (*p - '0');
	while (nd++ < 9)
		fr *= 10;
	cr_assert_eq(*p, '"');
	*pp = p + 1;
	int64_t v = ip * 1000000000 + fr;
	return neg ? -v : v;
}

/* Levels of one side from `"bids":[[..],..]`; returns the count. */
static unsigned parse_side(const char *line, const char *key, struct rs_level *lv, unsigned max)
{
	const char *p = strstr(line, key);
	cr_assert_not_null(p);
	p += strlen(key);
	cr_assert_eq(*p, '[');
	p++;
	unsigned n = 0;
	while (*p == '[' || *p == ',') {
		if (*p == ',')
			p++;
		cr_assert_eq(*p, '[');
		p++;
		int64_t px = parse_px(&p);
		unsigned long sz, ct;
		cr_assert_eq(sscanf(p, ",%lu,%lu]", &sz, &ct), 2);
		p = strchr(p, ']') + 1;
		if (n < max)
			lv[n] = (struct rs_level){.price = px, .size = (uint32_t)sz, .count = (uint32_t)ct};
		n++;
	}
	return n;
}

/* Compare every instrument's book with the daemon's depth table. */
static void compare_books(struct rs_client *c, const char *day)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s/ringside book %s --format itch --depth %d 2>/dev/null", DT.bin, day,
		 DEPTH);
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	static char line[1 << 16];
	size_t dlen = sizeof(struct rs_depth) + 2 * DEPTH * sizeof(struct rs_level);
	struct rs_depth *d = malloc(dlen);
	struct rs_level want[DEPTH];
	unsigned books = 0, nonempty = 0, levels = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned id = (unsigned)json_u64(line, "\"instrument\":");
		books++;
		for (int side = 0; side < 2; side++) {
			unsigned n = parse_side(line, side ? "\"asks\":" : "\"bids\":", want, DEPTH);
			int rc = rs_client_depth(c, id, d, dlen);
			if (rc == -ENOENT) {
				cr_assert_eq(n, 0, "instrument %u: no depth row but %u levels expected", id, n);
				continue;
			}
			cr_assert_eq(rc, 0, "instrument %u: %s", id, rs_errmsg());
			cr_assert_eq(d->depth, DEPTH);
			unsigned have = side ? d->nasks : d->nbids;
			cr_assert_eq(have, n, "instrument %u side %d: %u levels, want %u", id, side, have, n);
			const struct rs_level *hl = d->levels + (side ? DEPTH : 0);
			for (unsigned i = 0; i < n; i++) {
				cr_assert_eq(hl[i].price, want[i].price, "inst %u side %d level %u price", id, side, i);
				cr_assert_eq(hl[i].size, want[i].size, "inst %u side %d level %u size", id, side, i);
				cr_assert_eq(hl[i].count, want[i].count, "inst %u side %d level %u count", id, side, i);
			}
			levels += n;
			nonempty += n > 0;
		}
	}
	pclose(f);
	free(d);
	cr_assert_gt(books, 100, "ringside book printed %u books", books);
	cr_assert_gt(levels, 1000);
	cr_log_info("books equal: %u instruments, %u non-empty sides, %u levels", books, nonempty, levels);
}

static void run_e2e(enum rs_drv_kind kind, int subnet)
{
	if (!dt_have_root_net())
		cr_skip_test("needs root and iproute2 network namespaces");
	if (!rs_drv_kind_available(kind))
		cr_skip_test("driver %s not built in", rs_drv_kind_name(kind));
	dt_init(rs_drv_kind_name(kind));
	dt_net(subnet);
	if (kind == RS_DRV_DPDK) {
		/* DPDK's EAL wants 256 MiB of huge pages (the book takes some too when
		 * free): reserve 256 pages (512 MiB) and give them back after */
		DT.huge_before = dt_read_long("/proc/sys/vm/nr_hugepages");
		dt_write_long("/proc/sys/vm/nr_hugepages", DT.huge_before + 256);
		DT.huge_reserved = dt_read_long("/proc/sys/vm/nr_hugepages") - DT.huge_before;
		if (DT.huge_reserved < 256)
			cr_skip_test("could not reserve 256 huge pages for DPDK");
		setenv("RINGSIDE_DPDK_EAL", "-m 256", 1);
	}

	/* the session */
	char day[256], cfgp[256], yaml[4096];
	snprintf(day, sizeof(day), "%s/s.itch", DT.dir);
	cr_assert_eq(dt_sh("%s/ringside gen --seed 7 --symbols 300 --messages %u --format day %s "
			   ">/dev/null 2>&1",
			   DT.bin, MSGS, day),
		     0);

	/* the daemon */
	const char *drv = rs_drv_kind_name(kind);
	char extra_a[192] = "", extra_b[192] = "";
	if (kind == RS_DRV_DPDK) {
		snprintf(extra_a, sizeof(extra_a), "        dpdk_vdev: net_af_packet0,iface=%s,framecnt=4096\n", DT.va0);
		snprintf(extra_b, sizeof(extra_b), "        dpdk_vdev: net_af_packet1,iface=%s,framecnt=4096\n", DT.vb0);
	} else if (kind == RS_DRV_XDP) {
		snprintf(extra_a, sizeof(extra_a), "        xdp_mode: skb\n");
		snprintf(extra_b, sizeof(extra_b), "        xdp_mode: skb\n");
	}
	snprintf(yaml, sizeof(yaml),
		 "instance: %s\n"
		 "shm:\n  huge_pages: off\n"
		 "capacities:\n  orders: 1M\n  levels: 256k\n  instruments: 4096\n  depth: %d\n"
		 "  event_ring: 256k\n"
		 "cores:\n  mode: inline\n  rx: [1]\n  handlers: [1]\n  control: 0\n"
		 "feeds:\n"
		 "  - name: itch\n"
		 "    protocol: itch-moldudp64\n"
		 "    lines:\n"
		 "      - name: A\n        driver: %s\n        interface: %s\n        bind: 10.%d.1.1\n"
		 "        port: 26400\n%s"
		 "      - name: B\n        driver: %s\n        interface: %s\n        bind: 10.%d.2.1\n"
		 "        port: 26401\n%s"
		 "    recovery:\n      server: 10.%d.1.2:26500\n      timeout: 50ms\n      deadline: 5s\n"
		 "analytics:\n  enabled: false\n"
		 "control:\n  socket: %s/run/ctl.sock\n  http: \"\"\n",
		 DT.instance, DEPTH, drv, DT.va0, subnet, extra_a, drv, DT.vb0, subnet, extra_b, subnet,
		 DT.dir);
	snprintf(cfgp, sizeof(cfgp), "%s/d.yaml", DT.dir);
	dt_write_file(cfgp, yaml);
	char bin[300];
	snprintf(bin, sizeof(bin), "%s/ringsided", DT.bin);
	char *dargv[] = {bin, "-c", cfgp, NULL};
	pid_t dp = dt_spawn("ringsided", dargv);
	struct rs_client *c = dt_attach(DT.instance, dp, 30000);
	cr_assert_not_null(c, "could not attach to %s", DT.instance);
	uint32_t gen = rs_client_generation(c);

	/* the replay: A drops 1 %, duplicates 1 %, reorders; B drops 5 % (other packets) */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s %s/ringside replay %s --format day --dest 10.%d.1.1:26400,10.%d.2.1:26401 "
		 "--rate 200000 --drop-a 0.01 --dup-a 0.01 --reorder-a 4:0.05 --drop-b 0.05 --seed 11 "
		 "--retrans-port 26500 --retrans-bind 10.%d.1.2 --linger 4 --stats-json --quiet "
		 "> %s/replay.json 2>%s/replay.log",
		 DT.ns, DT.bin, day, subnet, subnet, subnet, DT.dir, DT.dir);
	int rrc = dt_sh("%s", cmd);
	if (rrc)
		dt_sh("cat %s/replay.log >&2", DT.dir);
	cr_assert_eq(rrc, 0, "replay failed");
	char rpath[256], rj[4096];
	snprintf(rpath, sizeof(rpath), "%s/replay.json", DT.dir);
	FILE *rf = fopen(rpath, "r");
	cr_assert_not_null(rf);
	size_t rn = fread(rj, 1, sizeof(rj) - 1, rf);
	rj[rn] = 0;
	fclose(rf);
	const char *la = strstr(rj, "\"line\":\"A\""), *lb = strstr(rj, "\"line\":\"B\""),
		   *rt = strstr(rj, "\"retrans\":");
	cr_assert(la && lb && rt, "replay stats: %s", rj);
	uint64_t a_pk = json_u64(la, "\"packets\":"), a_msg = json_u64(la, "\"messages\":"),
		 a_eos = json_u64(la, "\"eos\":"), b_pk = json_u64(lb, "\"packets\":"),
		 b_msg = json_u64(lb, "\"messages\":"), b_eos = json_u64(lb, "\"eos\":"),
		 r_msg = json_u64(rt, "\"messages\":"), r_req = json_u64(rt, "\"requests\":");

	/* everything delivered (the replay lingered answering re-requests) */
	uint64_t delivered = 0;
	for (int i = 0; i < 1000 && delivered < MSGS; i++) {
		delivered = dt_ctr(c, "rs_feed_messages_total{feed=\"itch\"}");
		dt_sleep_ms(20);
	}
	dt_sleep_ms(100); /* counters refresh every ms: let the last packets' counts land */
	cr_assert_eq(delivered, MSGS, "delivered %" PRIu64 " of %u", delivered, MSGS);

	/* counters add up */
	uint64_t pA = dt_ctr(c, "rs_line_packets_total{feed=\"itch\",line=\"A\"}");
	uint64_t pB = dt_ctr(c, "rs_line_packets_total{feed=\"itch\",line=\"B\"}");
	uint64_t mA = dt_ctr(c, "rs_line_messages_total{feed=\"itch\",line=\"A\"}");
	uint64_t mB = dt_ctr(c, "rs_line_messages_total{feed=\"itch\",line=\"B\"}");
	uint64_t mR = dt_ctr(c, "rs_line_messages_total{feed=\"itch\",line=\"retrans\"}");
	uint64_t dA = dt_ctr(c, "rs_line_duplicates_total{feed=\"itch\",line=\"A\"}");
	uint64_t dB = dt_ctr(c, "rs_line_duplicates_total{feed=\"itch\",line=\"B\"}");
	uint64_t dR = dt_ctr(c, "rs_line_duplicates_total{feed=\"itch\",line=\"retrans\"}");
	/* messages dropped ahead of a gap with the reorder buffer full (a slow,
	 * e.g. sanitizer, build): neither delivered nor duplicates on that line */
	uint64_t kA = dt_ctr(c, "rs_line_discarded_total{feed=\"itch\",line=\"A\"}");
	uint64_t kB = dt_ctr(c, "rs_line_discarded_total{feed=\"itch\",line=\"B\"}");
	uint64_t kR = dt_ctr(c, "rs_line_discarded_total{feed=\"itch\",line=\"retrans\"}");
	uint64_t gaps = dt_ctr(c, "rs_feed_gaps_total{feed=\"itch\"}");
	uint64_t gapm = dt_ctr(c, "rs_feed_gap_messages_total{feed=\"itch\"}");
	uint64_t rec = dt_ctr(c, "rs_feed_recovered_total{feed=\"itch\"}");
	uint64_t late = dt_ctr(c, "rs_feed_late_filled_total{feed=\"itch\"}");
	uint64_t unrec = dt_ctr(c, "rs_feed_unrecovered_total{feed=\"itch\"}");
	uint64_t reqs = dt_ctr(c, "rs_feed_requests_total{feed=\"itch\"}");
	uint64_t next = dt_ctr(c, "rs_feed_next_seq{feed=\"itch\"}");
	uint64_t evs = dt_ctr(c, "rs_events_published_total");
	cr_log_info("%s: A %" PRIu64 " pkts %" PRIu64 " msgs %" PRIu64 " dups; B %" PRIu64 "/%" PRIu64
		    "/%" PRIu64 "; retrans %" PRIu64 " msgs (%" PRIu64 " dups), %" PRIu64
		    " requests; gaps %" PRIu64 " (%" PRIu64 " msgs: %" PRIu64 " recovered, %" PRIu64
		    " late)",
		    drv, pA, mA, dA, pB, mB, dB, mR, dR, reqs, gaps, gapm, rec, late);
	uint64_t xA = dt_ctr(c, "rs_line_drops_total{feed=\"itch\",line=\"A\"}");
	uint64_t xB = dt_ctr(c, "rs_line_drops_total{feed=\"itch\",line=\"B\"}");
	cr_log_info("%s: driver drops A %" PRIu64 " B %" PRIu64, drv, xA, xB);
	if (kind == RS_DRV_DPDK) {
		/* net_af_packet: the PMD's ring can overflow below us without the
		 * kernel telling; what arrived is still consistent */
		cr_assert_leq(pA, a_pk + a_eos);
		cr_assert_leq(pB, b_pk + b_eos);
	} else {
		/* every packet sent arrived (+ end of session) or was counted as a
		 * driver drop (socket / XDP ring overflow on a busy machine) */
		cr_assert_eq(pA + xA, a_pk + a_eos, "line A: %" PRIu64 " + %" PRIu64 " drops", pA, xA);
		cr_assert_eq(pB + xB, b_pk + b_eos, "line B: %" PRIu64 " + %" PRIu64 " drops", pB, xB);
	}
	if (pA == a_pk + a_eos)
		cr_assert_eq(mA, a_msg);
	else
		cr_assert_lt(mA, a_msg);
	if (pB == b_pk + b_eos)
		cr_assert_eq(mB, b_msg);
	else
		cr_assert_lt(mB, b_msg);
	cr_assert_eq(mR, r_msg, "retransmitted messages = what the server sent");
	cr_assert_eq((mA - dA - kA) + (mB - dB - kB) + (mR - dR - kR), MSGS,
		     "first copies = session: A %" PRIu64 "-%" PRIu64 "-%" PRIu64 " B %" PRIu64 "-%" PRIu64
		     "-%" PRIu64 " R %" PRIu64 "-%" PRIu64 "-%" PRIu64,
		     mA, dA, kA, mB, dB, kB, mR, dR, kR);
	cr_assert_eq(mR - dR - kR, rec);
	cr_assert_eq(gapm, rec + late + unrec);
	cr_assert_eq(unrec, 0);
	cr_assert_gt(rec, 0, "some messages were lost on both lines and recovered");
	cr_assert_gt(gaps, 0);
	cr_assert_gt(reqs, 0); /* gaps a late copy filled first are never sent */
	cr_assert_eq(reqs, r_req, "requests sent = requests the server saw");
	cr_assert_eq(next, MSGS + 1);
	cr_assert_gt(evs, MSGS, "ITCH messages -> more events (E/C/U give two)");
	cr_assert_eq(dt_ctr(c, "rs_feed_state{feed=\"itch\"}"), 1, "feed up, not stale");

	compare_books(c, day);

	/* SIGTERM: drained, segments marked closed, clean exit */
	kill(dp, SIGTERM);
	int st = dt_wait(dp, 20000);
	if (st)
		dt_dump_log("ringsided");
	cr_assert_eq(st, 0, "ringsided exit status %d", st);
	cr_assert_eq(rs_client_check(c), -ESHUTDOWN);
	cr_assert_eq(rs_client_generation(c), gen);
	rs_client_close(c);
}

TestSuite(daemon_e2e, .fini = fini, .timeout = 120);

Test(daemon_e2e, uring)
{
	run_e2e(RS_DRV_URING, 71);
}

Test(daemon_e2e, xdp_skb)
{
	run_e2e(RS_DRV_XDP, 72);
}

Test(daemon_e2e, dpdk_af_packet)
{
	run_e2e(RS_DRV_DPDK, 73);
}
