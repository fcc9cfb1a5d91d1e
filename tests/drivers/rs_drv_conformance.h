/*
 * rs_drv_conformance.h - the same conformance test for every driver.
 *
 * A known sequence of frames is sent from inside the test netns through
 * the veth (or written to a pcap file for the pcap driver): feed multicast,
 * unicast, other ports and groups, another source, truncated and
 * inconsistent frames, an oversized datagram, a VLAN-tagged feed frame, a
 * non-IP frame, then a bulk run. Each frame says whether a driver that sees
 * UDP sockets (io_uring: the kernel filters) or Ethernet frames (AF_XDP,
 * DPDK, pcap: the driver filters) must deliver it. The driver must deliver
 * exactly the expected payloads, in order, with timestamps that never go
 * backwards and lie inside the test's wall-clock window, and count what it
 * filtered/rejected.
 */
#ifndef RS_DRV_CONFORMANCE_H
#define RS_DRV_CONFORMANCE_H

#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "drivers/rs_drv.h"
#include "rs_drv_testnet.h"

#define RS_DT_PORT    26477
#define RS_DT_GROUP   0xEFC20101u /* 239.194.1.1 */
#define RS_DT_GROUP2  0xEFC20102u /* 239.194.1.2 */
#define RS_DT_MAXF    320
#define RS_DT_BULK    200
#define RS_DT_FRAME   6000

enum rs_dt_view { RS_DT_VIEW_SOCKET, RS_DT_VIEW_ETH };

struct rs_dt_frame {
	uint8_t buf[RS_DT_FRAME];
	size_t len;
	uint32_t seq;          /* payload marker */
	uint32_t plen;         /* UDP payload length */
	uint8_t deliver[2];    /* per view */
	uint8_t filtered_eth;  /* Ethernet drivers count it as filtered */
	uint8_t error[2];      /* counted as error per view */
};

struct rs_dt_seq {
	struct rs_dt_frame f[RS_DT_MAXF];
	int n;
};

static inline void rs_dt_payload(uint8_t *p, uint32_t plen, uint32_t seq)
{
	for (uint32_t i = 0; i < plen; i++)
		p[i] = (uint8_t)(i * 7 + seq);
	if (plen >= 8) {
		memcpy(p, "RSDT", 4);
		memcpy(p + 4, &seq, 4);
	}
}

static inline struct rs_dt_frame *rs_dt_add(struct rs_dt_seq *s, const struct rs_dt_net *n,
					    uint16_t vlan, uint32_t sip, uint32_t dip, uint16_t dport,
					    uint32_t plen, int corrupt, uint32_t seq)
{
	static uint8_t pl[RS_DT_FRAME];
	cr_assert(s->n < RS_DT_MAXF);
	struct rs_dt_frame *f = &s->f[s->n++];
	rs_dt_payload(pl, plen, seq);
	f->len = rs_dt_frame(f->buf, n->mac_h, n->mac_n, vlan, sip, dip, 40000, dport, pl, plen, corrupt);
	f->seq = seq;
	f->plen = plen;
	f->deliver[0] = f->deliver[1] = 0;
	f->filtered_eth = 0;
	f->error[0] = f->error[1] = 0;
	return f;
}

/* Feed = RS_DT_GROUP:RS_DT_PORT from the netns address only (source-specific). */
static inline void rs_dt_build_mcast(struct rs_dt_seq *s, const struct rs_dt_net *n)
{
	struct rs_dt_frame *f;
	uint32_t S = n->ip_n, S2 = n->ip_n + 97, G = RS_DT_GROUP, P = RS_DT_PORT;
	s->n = 0;
	f = rs_dt_add(s, n, 0, S, G, P, 100, 0, 1);            f->deliver[0] = f->deliver[1] = 1;
	f = rs_dt_add(s, n, 0, S, G, P + 1, 100, 0, 1001);     f->filtered_eth = 1;
	f = rs_dt_add(s, n, 0, S, RS_DT_GROUP2, P, 100, 0, 1002); f->filtered_eth = 1;
	f = rs_dt_add(s, n, 0, S, n->ip_h, P, 100, 0, 1003);   f->filtered_eth = 1;
	f = rs_dt_add(s, n, 0, S, G, P, 1200, 0, 2);           f->deliver[0] = f->deliver[1] = 1;
	f = rs_dt_add(s, n, 0, S, G, P, 200, RS_DT_IP_LEN_LONG, 1004);  f->error[1] = 1;
	f = rs_dt_add(s, n, 0, S, G, P, 200, RS_DT_UDP_LEN_LONG, 1005); f->error[1] = 1;
	f = rs_dt_add(s, n, 0, S, G, P, 3000, 0, 1006);        f->error[0] = f->error[1] = 1;
	f = rs_dt_add(s, n, 100, S, G, P, 300, 0, 3);          f->deliver[1] = 1; /* VLAN */
	f = rs_dt_add(s, n, 0, S2, G, P, 100, 0, 1007);        f->filtered_eth = 1;
	f = rs_dt_add(s, n, 0, S, G, P, 8, 0, 4);              f->deliver[0] = f->deliver[1] = 1;
	/* non-IP frame (local experimental ethertype) */
	f = rs_dt_add(s, n, 0, S, G, P, 100, 0, 1008);
	f->buf[12] = 0x88; f->buf[13] = 0xB5;                  f->filtered_eth = 1;
	for (uint32_t i = 0; i < RS_DT_BULK; i++) {
		f = rs_dt_add(s, n, 0, S, G, P, 20 + 8 * 36 + (i % 5) * 3, 0, 5 + i);
		f->deliver[0] = f->deliver[1] = 1;
	}
}

/* Feed = unicast to the driver's address:RS_DT_PORT, any source. */
static inline void rs_dt_build_ucast(struct rs_dt_seq *s, const struct rs_dt_net *n)
{
	struct rs_dt_frame *f;
	uint32_t S = n->ip_n, U = n->ip_h, P = RS_DT_PORT;
	s->n = 0;
	f = rs_dt_add(s, n, 0, S, U, P, 100, 0, 1);            f->deliver[0] = f->deliver[1] = 1;
	f = rs_dt_add(s, n, 0, S, RS_DT_GROUP, P, 100, 0, 1001); f->filtered_eth = 1;
	f = rs_dt_add(s, n, 0, S, U, P + 1, 100, 0, 1002);     f->filtered_eth = 1;
	f = rs_dt_add(s, n, 0, S, U, P, 700, 0, 2);            f->deliver[0] = f->deliver[1] = 1;
	f = rs_dt_add(s, n, 42, S, U, P, 60, 0, 3);            f->deliver[1] = 1;
	for (uint32_t i = 0; i < 50; i++) {
		f = rs_dt_add(s, n, 0, S, U, P, 64 + i, 0, 4 + i);
		f->deliver[0] = f->deliver[1] = 1;
	}
}

static inline void rs_dt_send_seq(const struct rs_dt_net *n, const struct rs_dt_seq *s)
{
	int ifindex = 0;
	int fd = rs_dt_sender_open(n, &ifindex);
	cr_assert(fd >= 0, "sender socket in netns %s: %s", n->ns, strerror(errno));
	for (int i = 0; i < s->n; i++) {
		cr_assert(rs_dt_send(fd, ifindex, s->f[i].buf, s->f[i].len) == 0, "send frame %d: %s", i,
			  strerror(errno));
		if (i % 32 == 31)
			usleep(200); /* stay well inside the veth backlog */
	}
	close(fd);
}

/* Write the sequence as a pcap file (Ethernet, ns timestamps now + i us). */
static inline void rs_dt_write_pcap(const char *path, const struct rs_dt_seq *s, uint64_t t0_ns)
{
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	cr_assert(pd);
	pcap_dumper_t *dp = pcap_dump_open(pd, path);
	cr_assert(dp, "pcap_dump_open %s: %s", path, pcap_geterr(pd));
	for (int i = 0; i < s->n; i++) {
		uint64_t t = t0_ns + (uint64_t)i * 1000;
		struct pcap_pkthdr h = {.caplen = (bpf_u_int32)s->f[i].len, .len = (bpf_u_int32)s->f[i].len};
		h.ts.tv_sec = (time_t)(t / 1000000000ull);
		h.ts.tv_usec = (suseconds_t)(t % 1000000000ull); /* ns with NANO precision */
		pcap_dump((u_char *)dp, &h, s->f[i].buf);
	}
	pcap_dump_close(dp);
	pcap_close(pd);
}

struct rs_dt_result {
	uint32_t seqs[RS_DT_MAXF * 2];
	uint32_t lens[RS_DT_MAXF * 2];
	int n;
	int bad_ts;      /* timestamps outside the window or going backwards */
	int bad_payload;
	uint64_t first_ts, last_ts;
};

/*
 * Receive until `expect` packets arrived (or timeout_ms), then keep polling
 * for `grace_ms` to catch extras. Validates payload bytes and timestamps.
 */
static inline void rs_dt_collect(struct rs_drv *d, struct rs_dt_result *r, int expect, int timeout_ms,
				 int grace_ms, uint64_t t_lo, int ts_slack_ms)
{
	struct rs_drv_pkt p[32];
	uint64_t prev = 0;
	uint8_t ref[RS_DT_FRAME];
	memset(r, 0, sizeof(*r));
	uint64_t start = rs_dt_now_ns(), grace_start = 0;
	for (;;) {
		unsigned k = rs_drv_rx_burst(d, p, 32);
		uint64_t now = rs_dt_now_ns();
		for (unsigned i = 0; i < k; i++) {
			uint32_t seq = UINT32_MAX;
			if (p[i].len >= 8 && memcmp(p[i].data, "RSDT", 4) == 0)
				memcpy(&seq, p[i].data + 4, 4);
			if (seq != UINT32_MAX) {
				rs_dt_payload(ref, p[i].len, seq);
				if (memcmp(ref, p[i].data, p[i].len) != 0)
					r->bad_payload++;
			} else if (p[i].len >= 8) {
				r->bad_payload++;
			}
			if (r->n < (int)(sizeof(r->seqs) / sizeof(r->seqs[0]))) {
				r->seqs[r->n] = seq;
				r->lens[r->n] = p[i].len;
				r->n++;
			}
			uint64_t ts = p[i].ts_ns, slack = (uint64_t)ts_slack_ms * 1000000ull;
			if (ts < prev || ts + slack < t_lo || ts > now + slack)
				r->bad_ts++;
			if (!r->first_ts)
				r->first_ts = ts;
			r->last_ts = ts;
			prev = ts;
		}
		rs_drv_release(d, p, k);
		if (r->n >= expect && !grace_start)
			grace_start = now;
		if (grace_start && now - grace_start > (uint64_t)grace_ms * 1000000ull)
			break;
		if (!grace_start && now - start > (uint64_t)timeout_ms * 1000000ull)
			break;
		if (!k)
			usleep(50);
	}
}

/* Compare against the expected sequence for `view`, print what differs. */
static inline void rs_dt_check(const struct rs_dt_seq *s, const struct rs_dt_result *r,
			       enum rs_dt_view v, struct rs_drv *d, const char *what)
{
	uint32_t exp[RS_DT_MAXF];
	int ne = 0, nfilt = 0, nerr = 0;
	for (int i = 0; i < s->n; i++) {
		if (s->f[i].deliver[v])
			exp[ne++] = s->f[i].seq;
		nfilt += s->f[i].filtered_eth;
		nerr += s->f[i].error[v];
	}
	struct rs_drv_counters c;
	rs_drv_stats(d, &c);
	fprintf(stderr,
		"%s: delivered %d/%d; counters packets=%lu bytes=%lu drops=%lu filtered=%lu "
		"errors=%lu truncated=%lu buf_exhausted=%lu rearms=%lu; bad_ts=%d bad_payload=%d\n",
		what, r->n, ne, (unsigned long)c.packets, (unsigned long)c.bytes, (unsigned long)c.drops,
		(unsigned long)c.filtered, (unsigned long)c.errors, (unsigned long)c.truncated,
		(unsigned long)c.buf_exhausted, (unsigned long)c.rearms, r->bad_ts, r->bad_payload);
	int first_diff = -1;
	for (int i = 0; i < (ne > r->n ? ne : r->n); i++) {
		if (i >= ne || i >= r->n || exp[i] != r->seqs[i]) {
			first_diff = i;
			break;
		}
	}
	if (first_diff >= 0)
		fprintf(stderr, "%s: first difference at #%d: expected seq %d, got %d\n", what, first_diff,
			first_diff < ne ? (int)exp[first_diff] : -1,
			first_diff < r->n ? (int)r->seqs[first_diff] : -1);
	cr_expect_eq(r->n, ne, "%s: delivered %d packets, expected %d", what, r->n, ne);
	cr_expect_eq(first_diff, -1, "%s: delivered sequence differs at #%d", what, first_diff);
	cr_expect_eq(r->bad_payload, 0, "%s: %d payloads corrupted", what, r->bad_payload);
	cr_expect_eq(r->bad_ts, 0, "%s: %d implausible timestamps", what, r->bad_ts);
	cr_expect_eq(c.packets, (uint64_t)r->n, "%s: packets counter", what);
	uint64_t bytes = 0;
	for (int i = 0; i < r->n; i++)
		bytes += r->lens[i];
	cr_expect_eq(c.bytes, bytes, "%s: bytes counter", what);
	if (v == RS_DT_VIEW_ETH)
		cr_expect_geq(c.filtered, (uint64_t)nfilt, "%s: filtered %lu < %d", what,
			      (unsigned long)c.filtered, nfilt);
	cr_expect_geq(c.errors, (uint64_t)nerr, "%s: errors %lu < %d", what, (unsigned long)c.errors,
		      nerr);
}

static inline int rs_dt_expected(const struct rs_dt_seq *s, enum rs_dt_view v)
{
	int ne = 0;
	for (int i = 0; i < s->n; i++)
		ne += s->f[i].deliver[v];
	return ne;
}

/*
 * The live conformance run: create the driver on the veth, send, collect,
 * check. `conf` has kind-specific fields set; the filter is set here.
 */
static inline void rs_dt_run_live(const struct rs_dt_net *n, struct rs_drv_conf *conf, int ucast,
				  enum rs_dt_view v, int ts_slack_ms, const char *what)
{
	static struct rs_dt_seq s;
	if (ucast) {
		rs_dt_build_ucast(&s, n);
		conf->filter = (struct rs_pkt_filter){.dst_ip = n->ip_h, .dst_port = RS_DT_PORT};
	} else {
		rs_dt_build_mcast(&s, n);
		conf->filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT,
						      .src_ip = n->ip_n};
	}
	snprintf(conf->ifname, sizeof(conf->ifname), "%s", n->veth_h);
	struct rs_drv *d = NULL;
	int rc = rs_drv_create(&d, conf);
	cr_assert_eq(rc, 0, "%s: rs_drv_create: %s", what, rs_drv_errmsg());
	usleep(100000); /* let the join / attach settle */
	uint64_t t0 = rs_dt_now_ns();
	rs_dt_send_seq(n, &s);
	struct rs_dt_result *r = malloc(sizeof(*r));
	cr_assert(r);
	rs_dt_collect(d, r, rs_dt_expected(&s, v), 5000, 300, t0, ts_slack_ms);
	rs_dt_check(&s, r, v, d, what);
	free(r);
	rs_drv_destroy(d);
}

/*
 * MoldUDP64 end to end: `ringside replay` (generated session, 8 messages
 * per packet, rate-limited) sends from inside the netns; the driver must
 * deliver every packet once, in sequence, with every message.
 */
#include <sys/wait.h>

static inline void rs_dt_run_replay(const struct rs_dt_net *n, struct rs_drv_conf *conf,
				    const char *what)
{
	char bin[512], out[128];
	snprintf(bin, sizeof(bin), "%s/bin/ringside", RS_BUILD_DIR);
	if (access(bin, X_OK) != 0)
		cr_skip_test("%s not built (target ringside_cli)", bin);
	snprintf(out, sizeof(out), "/tmp/rs_drv_replay_%d.json", getpid());
	conf->filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	snprintf(conf->ifname, sizeof(conf->ifname), "%s", n->veth_h);
	struct rs_drv *d = NULL;
	cr_assert_eq(rs_drv_create(&d, conf), 0, "%s: %s", what, rs_drv_errmsg());
	usleep(100000);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		FILE *f = freopen(out, "w", stdout);
		(void)f;
		execlp("ip", "ip", "netns", "exec", n->ns, bin, "replay", "--format", "gen",
		       "--gen-messages", "8000", "--dest", "239.194.1.1:26477", "--iface", n->veth_n,
		       "--rate", "200000", "--batch", "8", "--stats-json", "--quiet", (char *)NULL);
		_exit(127);
	}
	struct rs_drv_pkt p[32];
	uint64_t next = 0, msgs = 0, pkts = 0, gaps = 0, hb = 0;
	int status = 0, done = 0;
	uint64_t t_end = rs_dt_now_ns() + 20000000000ull, last = rs_dt_now_ns();
	while (rs_dt_now_ns() < t_end) {
		unsigned k = rs_drv_rx_burst(d, p, 32);
		for (unsigned i = 0; i < k; i++) {
			cr_assert_geq(p[i].len, 20, "MoldUDP64 header");
			uint64_t seq = 0;
			for (int b = 0; b < 8; b++)
				seq = seq << 8 | p[i].data[10 + b];
			unsigned cnt = (unsigned)p[i].data[18] << 8 | p[i].data[19];
			if (cnt == 0 || cnt == 0xFFFF) {
				hb++;
				continue;
			}
			if (next && seq != next)
				gaps++;
			next = seq + cnt;
			msgs += cnt;
			pkts++;
		}
		rs_drv_release(d, p, k);
		uint64_t now = rs_dt_now_ns();
		if (k)
			last = now;
		if (!done && waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
		if (done && now - last > 300000000ull)
			break;
		if (!k)
			usleep(20);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	char json[4096] = "";
	FILE *f = fopen(out, "r");
	if (f) {
		size_t r = fread(json, 1, sizeof(json) - 1, f);
		json[r] = 0;
		fclose(f);
	}
	unlink(out);
	unsigned long long sent_pk = 0, sent_msgs = 0;
	const char *a = strstr(json, "{\"line\":\"A\"");
	if (a)
		sscanf(a, "{\"line\":\"A\",\"packets\":%llu,\"messages\":%llu", &sent_pk, &sent_msgs);
	fprintf(stderr, "%s: replay sent %llu packets / %llu messages; driver delivered %lu data "
		"packets, %lu messages, %lu heartbeat/eos, %lu gaps\n", what, sent_pk, sent_msgs,
		(unsigned long)pkts, (unsigned long)msgs, (unsigned long)hb, (unsigned long)gaps);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: ringside replay failed (%d)",
		  what, status);
	cr_expect_eq(sent_msgs, 8000ull, "%s: replay summary: %s", what, json);
	cr_expect_eq(msgs, 8000, "%s: messages delivered", what);
	cr_expect_eq(gaps, 0, "%s: sequence gaps", what);
	cr_expect_eq(pkts, sent_pk, "%s: data packets delivered (end-of-session packets apart)", what);
	rs_drv_destroy(d);
}

#endif /* RS_DRV_CONFORMANCE_H */
