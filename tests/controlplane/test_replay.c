/*
 * test_replay.c - the MoldUDP64 replayer (`ringside replay`) over loopback
 * UDP: fault statistics (exact against what the receiver saw, and within
 * statistical bounds of what was asked), re-requests answered with the
 * source's bytes, end of session, --duration, sources, CLI.
 *
 * No timing assertions: receivers stop at the end-of-session packet; the
 * poll timeouts only guard against hanging.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_gen.h"
#include "controlplane/rs_replay.h"
#include "rs_test.h"
#include "shm/rs_err.h"

#define GUARD_MS 20000 /* hang guard only */

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---------------------------------------------------------------- receiver */

struct rx_pkt {
	uint64_t seq;
	uint16_t count;
	uint16_t len;
	uint8_t data[1500];
};

struct rx {
	int fd;
	uint16_t port;
	struct rx_pkt *p;
	size_t n, cap;
	bool eos;
	uint64_t eos_seq;
};

static void rx_open(struct rx *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(r->fd >= 0);
	int sz = 64 << 20;
	if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	getsockname(r->fd, (struct sockaddr *)&a, &al);
	r->port = ntohs(a.sin_port);
}

static void rx_close(struct rx *r)
{
	close(r->fd);
	free(r->p);
}

/* Receive one datagram (data packets stored; end-of-session noted). */
static int rx_one(struct rx *r, int timeout_ms)
{
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	uint8_t buf[2048];
	ssize_t k = recv(r->fd, buf, sizeof(buf), 0);
	if (k < 20)
		return k < 0 ? 0 : 1;
	uint64_t seq = be(buf + 10, 8);
	uint16_t cnt = (uint16_t)be(buf + 18, 2);
	if (cnt == 0xFFFF) {
		r->eos = true;
		r->eos_seq = seq;
		return 1;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->p = realloc(r->p, r->cap * sizeof(*r->p));
		cr_assert(r->p);
	}
	struct rx_pkt *p = &r->p[r->n++];
	p->seq = seq;
	p->count = cnt;
	p->len = (uint16_t)k;
	memcpy(p->data, buf, (size_t)k);
	return 1;
}

/* Until every receiver saw an end-of-session packet. */
static void rx_until_eos(struct rx *rs, int n)
{
	for (;;) {
		bool all = true;
		for (int i = 0; i < n; i++)
			all &= rs[i].eos;
		if (all)
			return;
		struct pollfd pfd[2];
		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){.fd = rs[i].fd, .events = POLLIN};
		int k = poll(pfd, (nfds_t)n, GUARD_MS);
		cr_assert(k > 0, "no end-of-session packet (hang guard)");
		for (int i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				rx_one(&rs[i], 0);
	}
}

/* ---------------------------------------------------------------- replay thread */

struct bg {
	struct rs_replay *r;
	pthread_t th;
	int rc;
};

static void *bg_main(void *arg)
{
	struct bg *b = arg;
	b->rc = rs_replay_run(b->r);
	return NULL;
}

static void bg_start(struct bg *b, const struct rs_replay_opts *o)
{
	int rc = rs_replay_create(&b->r, o);
	cr_assert_eq(rc, 0, "rs_replay_create: %s", rs_err_msg());
	cr_assert_eq(pthread_create(&b->th, NULL, bg_main, b), 0);
}

static void bg_join(struct bg *b, struct rs_replay_stats *st)
{
	pthread_join(b->th, NULL);
	cr_assert_eq(b->rc, 0, "rs_replay_run: %s", rs_err_msg());
	rs_replay_get_stats(b->r, st);
	rs_replay_destroy(b->r);
}

static void gen_opts(struct rs_replay_opts *o, uint64_t msgs, uint64_t seed)
{
	rs_replay_opts_default(o);
	o->src = RS_REPLAY_SRC_GEN;
	o->gen.seed = seed;
	o->gen.symbols = 30;
	o->gen.messages = msgs;
	o->rate = 0; /* full speed; the receivers have 64 MiB buffers */
	o->linger = 0;
}

static void dest_lo(struct sockaddr_in *d, uint16_t port)
{
	memset(d, 0, sizeof(*d));
	d->sin_family = AF_INET;
	d->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d->sin_port = htons(port);
}

/* All messages of a generated session, by sequence number (1-based). */
struct msgs {
	uint8_t (*m)[RS_GEN_MSG_MAX];
	uint8_t *len;
	uint64_t n;
};

static void msgs_make(struct msgs *s, const struct rs_gen_opts *go)
{
	struct rs_gen *g;
	cr_assert_eq(rs_gen_create(&g, go, NULL, 0), 0);
	s->n = go->messages;
	s->m = malloc((s->n + 1) * RS_GEN_MSG_MAX);
	s->len = malloc(s->n + 1);
	cr_assert(s->m && s->len);
	for (uint64_t i = 1; i <= s->n; i++)
		s->len[i] = (uint8_t)rs_gen_next(g, s->m[i]);
	rs_gen_destroy(g);
}

static void msgs_free(struct msgs *s)
{
	free(s->m);
	free(s->len);
}

/* Every message of packet p equals the source's at its sequence number. */
static void check_pkt_bytes(const struct rx_pkt *p, const struct msgs *s)
{
	const uint8_t *q = p->data + 20, *end = p->data + p->len;
	for (uint16_t i = 0; i < p->count; i++) {
		cr_assert(end - q >= 2);
		size_t ml = be(q, 2);
		cr_assert((size_t)(end - q - 2) >= ml);
		uint64_t seq = p->seq + i;
		cr_assert(seq >= 1 && seq <= s->n, "seq %llu", (unsigned long long)seq);
		cr_assert_eq(ml, s->len[seq], "seq %llu length", (unsigned long long)seq);
		cr_assert_eq(memcmp(q + 2, s->m[seq], ml), 0, "seq %llu bytes", (unsigned long long)seq);
		q += 2 + ml;
	}
	cr_assert(q == end);
}

/* Packet index (0-based) of a data packet: 8 generated messages per packet. */
static uint64_t pidx(uint64_t seq)
{
	return (seq - 1) / 8;
}

/* ---------------------------------------------------------------- tests */

/* Line A drops, line B duplicates and drops in bursts. */
Test(replay, faults_drop_dup_burst, .timeout = 120)
{
	const uint64_t msgs = 40000; /* 5000 packets */
	struct rx rx[2];
	rx_open(&rx[0]);
	rx_open(&rx[1]);
	struct rs_replay_opts o;
	gen_opts(&o, msgs, 3);
	o.nlines = 2;
	dest_lo(&o.dest[0], rx[0].port);
	dest_lo(&o.dest[1], rx[1].port);
	o.faults[0].drop = 0.1;
	o.faults[1].dup = 0.1;
	o.faults[1].burst_len = 5;
	o.faults[1].burst_prob = 0.01;
	struct bg b;
	bg_start(&b, &o);
	rx_until_eos(rx, 2);
	struct rs_replay_stats st;
	bg_join(&b, &st);

	struct msgs src;
	msgs_make(&src, &o.gen);
	const uint64_t npk = 5000;
	cr_assert_eq(st.source_messages, msgs);
	cr_assert_eq(st.source_packets, npk);
	cr_assert_eq(st.next_seq, msgs + 1);
	for (int l = 0; l < 2; l++) {
		cr_assert_eq(rx[l].eos_seq, msgs + 1, "end of session carries the next sequence");
		cr_assert_eq(rx[l].n, st.line[l].packets, "line %d: received %zu, sent %llu", l,
			     rx[l].n, (unsigned long long)st.line[l].packets);
		cr_assert_eq(st.line[l].eos, 1);
		/* what arrived: distinct packets, duplicates, missing */
		uint8_t *seen = calloc(npk, 1);
		uint64_t dups = 0, distinct = 0, rmsgs = 0;
		for (size_t i = 0; i < rx[l].n; i++) {
			struct rx_pkt *p = &rx[l].p[i];
			check_pkt_bytes(p, &src);
			rmsgs += p->count;
			if (seen[pidx(p->seq)]++)
				dups++;
			else
				distinct++;
		}
		cr_assert_eq(dups, st.line[l].duplicated);
		cr_assert_eq(npk - distinct, st.line[l].dropped);
		cr_assert_eq(rmsgs, st.line[l].messages);
		cr_assert_eq(msgs - st.line[l].dropped_msgs + 8 * dups, rmsgs);
		if (l == 1) { /* burst drops come in runs of 5 (runs may touch) */
			uint64_t run = 0, runs_ok = 1;
			for (uint64_t k = 0; k <= npk; k++) {
				if (k < npk && !seen[k]) {
					run++;
				} else if (run) {
					runs_ok &= (run % 5 == 0) || k == npk;
					run = 0;
				}
			}
			cr_expect(runs_ok, "missing packets on B come in multiples of 5");
		}
		free(seen);
	}
	/* statistical bounds (5 sigma) on what was asked */
	double sd = sqrt(0.1 * 0.9 / (double)npk);
	double pa = (double)st.line[0].dropped / (double)npk;
	double pb = (double)st.line[1].duplicated / (double)(npk - st.line[1].dropped);
	cr_expect(fabs(pa - 0.1) < 5 * sd, "line A drop rate %.4f (asked 0.1)", pa);
	cr_expect(fabs(pb - 0.1) < 5 * sd, "line B dup rate %.4f (asked 0.1)", pb);
	cr_expect_eq(st.line[0].duplicated, 0);
	cr_expect_eq(st.line[1].dropped, st.line[1].burst_dropped, "B drops only in bursts");
	cr_expect(st.line[1].burst_dropped <= 5 * st.line[1].bursts &&
		  st.line[1].burst_dropped > 5 * (st.line[1].bursts - 1));
	/* bursts start with p = 0.01 on packets outside a burst: ~47, Poisson */
	double eb = 0.01 * (double)npk / 1.04;
	cr_expect(fabs((double)st.line[1].bursts - eb) < 5 * sqrt(eb), "bursts %llu (expected ~%.0f)",
		  (unsigned long long)st.line[1].bursts, eb);
	msgs_free(&src);
	rx_close(&rx[0]);
	rx_close(&rx[1]);
}

Test(replay, faults_reorder, .timeout = 120)
{
	const uint64_t msgs = 40000;
	const uint32_t W = 6;
	struct rx rx;
	rx_open(&rx);
	struct rs_replay_opts o;
	gen_opts(&o, msgs, 4);
	dest_lo(&o.dest[0], rx.port);
	o.faults[0].reorder_window = W;
	o.faults[0].reorder_prob = 0.2;
	struct bg b;
	bg_start(&b, &o);
	rx_until_eos(&rx, 1);
	struct rs_replay_stats st;
	bg_join(&b, &st);
	const uint64_t npk = 5000;
	cr_assert_eq(rx.n, npk, "every packet exactly once");
	uint8_t *seen = calloc(npk, 1);
	uint64_t late = 0, maxseen = 0, maxlag = 0;
	for (size_t i = 0; i < rx.n; i++) {
		uint64_t k = pidx(rx.p[i].seq);
		cr_assert_eq(seen[k]++, 0);
		if (i && k < maxseen) {
			late++;
			if (maxseen - k > maxlag)
				maxlag = maxseen - k;
		}
		if (k > maxseen)
			maxseen = k;
	}
	free(seen);
	cr_assert_eq(late, st.line[0].reordered, "receiver saw %llu late packets, sender held %llu",
		     (unsigned long long)late, (unsigned long long)st.line[0].reordered);
	cr_assert_leq(maxlag, 2 * W, "a held packet is at most ~W packets late (%llu)",
		      (unsigned long long)maxlag);
	double pr = (double)st.line[0].reordered / (double)npk;
	cr_expect(pr > 0.15 && pr < 0.25, "reordered fraction %.3f (asked 0.2, window %u)", pr, W);
	rx_close(&rx);
}

/* Re-requests for every gap: answered with exactly the source's messages
 * while they are in the history; older ones get nothing and are counted. */
Test(replay, retransmission, .timeout = 120)
{
	const uint64_t msgs = 40000;
	const uint32_t hist = 16384;
	struct rx rx;
	rx_open(&rx);
	struct rs_replay_opts o;
	gen_opts(&o, msgs, 5);
	dest_lo(&o.dest[0], rx.port);
	o.faults[0].drop = 0.15;
	o.retrans = true;
	o.retrans_port = 0;
	o.retrans_bind.s_addr = htonl(INADDR_LOOPBACK);
	o.history = hist;
	o.linger = 600; /* ended by rs_replay_stop() below */
	o.eos_interval = 0.2;
	struct bg b;
	bg_start(&b, &o);
	uint16_t rr_port = rs_replay_retrans_port(b.r);
	cr_assert(rr_port);
	rx_until_eos(&rx, 1);
	size_t ndata = rx.n;

	struct msgs src;
	msgs_make(&src, &o.gen);
	uint8_t *have = calloc(msgs + 2, 1);
	for (size_t i = 0; i < ndata; i++)
		for (uint16_t k = 0; k < rx.p[i].count; k++)
			have[rx.p[i].seq + k] = 1;

	struct sockaddr_in rr;
	dest_lo(&rr, rr_port);
	uint64_t oldest = msgs + 1 - hist; /* first sequence still in the history */
	uint64_t req_recent = 0, req_old = 0, want_msgs = 0;
	uint8_t q[20];
	for (uint64_t s = 1; s <= msgs;) {
		if (have[s]) {
			s++;
			continue;
		}
		uint64_t e = s;
		while (e <= msgs && !have[e])
			e++;
		if (s < oldest && e > oldest)
			e = oldest; /* split a gap that straddles the history's start */
		memcpy(q, "RSREPLAY01", 10);
		for (int i = 0; i < 8; i++)
			q[10 + i] = (uint8_t)(s >> (56 - 8 * i));
		q[18] = (uint8_t)((e - s) >> 8);
		q[19] = (uint8_t)(e - s);
		cr_assert_eq(sendto(rx.fd, q, 20, 0, (struct sockaddr *)&rr, sizeof(rr)), 20);
		if (s >= oldest) {
			req_recent++;
			want_msgs += e - s;
		} else {
			req_old++;
		}
		/* pace: wait for the first reply packet of an answerable request */
		if (s >= oldest) {
			for (;;) {
				size_t before = rx.n;
				cr_assert(rx_one(&rx, GUARD_MS), "no reply (hang guard)");
				if (rx.n > before && rx.p[rx.n - 1].seq == s)
					break;
			}
		}
		s = e;
	}
	cr_assert(req_recent > 10 && req_old > 10, "recent %llu old %llu",
		  (unsigned long long)req_recent, (unsigned long long)req_old);
	/* a bad session, a count of 0, a short datagram, a request past the end */
	memcpy(q, "WRONGSESS!", 10);
	sendto(rx.fd, q, 20, 0, (struct sockaddr *)&rr, sizeof(rr));
	memcpy(q, "RSREPLAY01", 10);
	q[18] = q[19] = 0;
	sendto(rx.fd, q, 20, 0, (struct sockaddr *)&rr, sizeof(rr));
	sendto(rx.fd, q, 7, 0, (struct sockaddr *)&rr, sizeof(rr));
	uint64_t fut = msgs + 100;
	for (int i = 0; i < 8; i++)
		q[10 + i] = (uint8_t)(fut >> (56 - 8 * i));
	q[18] = 0;
	q[19] = 5;
	sendto(rx.fd, q, 20, 0, (struct sockaddr *)&rr, sizeof(rr));
	/* marker: the last 3 messages asked for 10 (partial); one server thread and
	 * loopback keep order, so its reply comes after every earlier reply */
	uint64_t mk = msgs - 2;
	for (int i = 0; i < 8; i++)
		q[10 + i] = (uint8_t)(mk >> (56 - 8 * i));
	q[19] = 10;
	cr_assert_eq(sendto(rx.fd, q, 20, 0, (struct sockaddr *)&rr, sizeof(rr)), 20);
	time_t t_guard = time(NULL);
	for (;;) {
		size_t before = rx.n;
		cr_assert(rx_one(&rx, GUARD_MS) && time(NULL) - t_guard < GUARD_MS / 1000,
			  "marker reply never came (hang guard)");
		if (rx.n > before && rx.p[rx.n - 1].seq == mk && rx.p[rx.n - 1].count == 3)
			break;
	}
	rs_replay_stop(b.r);
	struct rs_replay_stats st;
	bg_join(&b, &st);

	/* replies: exactly the missing recent messages, with the source's bytes */
	uint64_t got = 0;
	for (size_t i = ndata; i < rx.n - 1; i++) {
		struct rx_pkt *p = &rx.p[i];
		check_pkt_bytes(p, &src);
		cr_assert(p->count <= 8);
		for (uint16_t k = 0; k < p->count; k++) {
			uint64_t s = p->seq + k;
			cr_assert(s >= oldest, "seq %llu is older than the history", (unsigned long long)s);
			cr_assert_eq(have[s], 0, "seq %llu was not missing or came twice",
				     (unsigned long long)s);
			have[s] = 2;
			got++;
		}
	}
	check_pkt_bytes(&rx.p[rx.n - 1], &src);
	cr_assert_eq(got, want_msgs);
	for (uint64_t s = oldest; s <= msgs; s++)
		cr_assert(have[s], "seq %llu never recovered", (unsigned long long)s);
	cr_assert_eq(st.rr_requests, req_recent + req_old + 5);
	cr_assert_eq(st.rr_unavailable, req_old + 1);
	cr_assert_eq(st.rr_bad, 3);
	cr_assert_eq(st.rr_partial, 1);
	cr_assert_eq(st.rr_messages, want_msgs + 3);
	cr_assert(st.by_signal);
	free(have);
	msgs_free(&src);
	rx_close(&rx);
}

Test(replay, duration_stop, .timeout = 60)
{
	struct rx rx;
	rx_open(&rx);
	struct rs_replay_opts o;
	gen_opts(&o, 5000000, 6);
	o.gen.symbols = 100;
	o.rate = 20000;
	o.duration = 0.3;
	dest_lo(&o.dest[0], rx.port);
	struct bg b;
	bg_start(&b, &o);
	rx_until_eos(&rx, 1);
	struct rs_replay_stats st;
	bg_join(&b, &st);
	cr_assert(st.by_duration);
	cr_assert(st.source_messages < 5000000);
	cr_assert(st.source_messages > 0);
	cr_assert_eq(rx.eos_seq, st.next_seq);
	cr_assert_eq(rx.n, st.line[0].packets);
	rx_close(&rx);
}

Test(replay, stop_while_sending, .timeout = 60)
{
	struct rx rx;
	rx_open(&rx);
	struct rs_replay_opts o;
	gen_opts(&o, 5000000, 7);
	o.gen.symbols = 100;
	o.rate = 10000;
	dest_lo(&o.dest[0], rx.port);
	struct bg b;
	bg_start(&b, &o);
	cr_assert(rx_one(&rx, GUARD_MS), "first packet");
	rs_replay_stop(b.r);
	rx_until_eos(&rx, 1);
	struct rs_replay_stats st;
	bg_join(&b, &st);
	cr_assert(st.by_signal);
	cr_assert(st.source_messages < 5000000);
	rx_close(&rx);
}

/* At a slow rate an idle second gets a heartbeat: count 0, sequence = the
 * next message expected. */
Test(replay, heartbeat_when_idle, .timeout = 60)
{
	struct rx rx;
	rx_open(&rx);
	struct rs_replay_opts o;
	gen_opts(&o, 10, 12); /* one symbol: 10 fixed messages = 2 packets */
	o.gen.symbols = 1;
	o.rate = 4; /* the first 8-message packet waits ~2 s for its tokens */
	dest_lo(&o.dest[0], rx.port);
	struct bg b;
	bg_start(&b, &o);
	rx_until_eos(&rx, 1);
	struct rs_replay_stats st;
	bg_join(&b, &st);
	cr_assert_geq(st.line[0].heartbeats, 1);
	cr_assert_eq(rx.n, st.line[0].heartbeats + 2);
	cr_assert_eq(rx.p[0].count, 0, "a heartbeat comes first");
	cr_assert_eq(rx.p[0].seq, 1, "heartbeat carries the next sequence number");
	size_t k = 0;
	while (rx.p[k].count == 0)
		k++;
	cr_assert_eq(rx.p[k].seq, 1);
	cr_assert_eq(rx.p[k].count, 8);
	cr_assert_eq(rx.eos_seq, 11);
	rx_close(&rx);
}

/* Day file and pcap sources carry the same messages, in order. */
static void replay_file(const char *path, int src, const struct msgs *m)
{
	struct rx rx;
	rx_open(&rx);
	struct rs_replay_opts o;
	rs_replay_opts_default(&o);
	o.src = src;
	o.path = path;
	o.rate = 0;
	o.linger = 0;
	o.max_msgs = 5;
	dest_lo(&o.dest[0], rx.port);
	struct bg b;
	bg_start(&b, &o);
	rx_until_eos(&rx, 1);
	struct rs_replay_stats st;
	bg_join(&b, &st);
	cr_assert_eq(st.source_messages, m->n);
	uint64_t next = 1;
	for (size_t i = 0; i < rx.n; i++) {
		cr_assert_eq(rx.p[i].seq, next);
		cr_assert(rx.p[i].count <= 5);
		check_pkt_bytes(&rx.p[i], m);
		next += rx.p[i].count;
	}
	cr_assert_eq(next, m->n + 1);
	rx_close(&rx);
}

Test(replay, day_and_pcap_sources, .timeout = 120)
{
	struct rs_gen_opts go;
	rs_gen_opts_default(&go);
	go.seed = 8;
	go.symbols = 20;
	go.messages = 20000;
	struct msgs m;
	msgs_make(&m, &go);
	char day[128], pcap[128];
	snprintf(day, sizeof(day), "/tmp/rs_test_replay_%d.itch", (int)getpid());
	snprintf(pcap, sizeof(pcap), "/tmp/rs_test_replay_%d.pcap", (int)getpid());
	struct rs_gen *g;
	cr_assert_eq(rs_gen_create(&g, &go, NULL, 0), 0);
	cr_assert_eq(rs_gen_write_day(g, day, NULL), 0);
	rs_gen_destroy(g);
	cr_assert_eq(rs_gen_create(&g, &go, NULL, 0), 0);
	struct rs_gen_pcap_opts po;
	rs_gen_pcap_opts_default(&po);
	cr_assert_eq(rs_gen_write_pcap(g, pcap, &po, NULL), 0);
	rs_gen_destroy(g);
	replay_file(day, RS_REPLAY_SRC_DAY, &m);
	replay_file(pcap, RS_REPLAY_SRC_PCAP, &m);
	unlink(day);
	unlink(pcap);
	msgs_free(&m);
}

/* A real NASDAQ capture (2 MoldUDP64 packets, 39 messages, sequence gap in
 * between): re-sent in order, byte for byte, renumbered from 1. */
Test(replay, real_capture_source, .timeout = 60)
{
	RS_TEST_NEED_DATA(path, "itch/omi_nasdaq_itch50_moldudp64_Multiple.Packets.pcap");
	struct rx rx;
	rx_open(&rx);
	struct rs_replay_opts o;
	rs_replay_opts_default(&o);
	o.src = RS_REPLAY_SRC_PCAP;
	o.path = path;
	o.rate = 0;
	o.linger = 0;
	o.max_msgs = 100;
	dest_lo(&o.dest[0], rx.port);
	struct bg b;
	bg_start(&b, &o);
	rx_until_eos(&rx, 1);
	struct rs_replay_stats st;
	bg_join(&b, &st);
	cr_assert_eq(st.source_messages, 39);
	cr_assert_eq(rx.eos_seq, 40);
	/* the same bytes as the capture's message blocks, via libpcap-free
	 * reading of the receiver's packets: types D then 36 A and 2 F */
	uint64_t n = 0, a = 0, f = 0, d = 0;
	for (size_t i = 0; i < rx.n; i++) {
		const uint8_t *q = rx.p[i].data + 20;
		for (uint16_t k = 0; k < rx.p[i].count; k++) {
			size_t ml = be(q, 2);
			a += q[2] == 'A';
			f += q[2] == 'F';
			d += q[2] == 'D';
			cr_assert_eq(ml, q[2] == 'A' ? 36u : q[2] == 'F' ? 40u : 19u);
			q += 2 + ml;
			n++;
		}
	}
	cr_assert_eq(n, 39);
	cr_assert_eq(d, 1);
	cr_assert_eq(a, 36);
	cr_assert_eq(f, 2);
	rx_close(&rx);
}

Test(replay, bad_options)
{
	struct rs_replay_opts o;
	struct rs_replay *r = NULL;
	rs_replay_opts_default(&o);
	dest_lo(&o.dest[0], 9);
	o.path = "/nonexistent/x.itch";
	cr_assert_eq(rs_replay_create(&r, &o), -ENOENT, "%s", rs_err_msg());
	cr_assert(strstr(rs_err_msg(), "replay source"), "%s", rs_err_msg());
	o.src = RS_REPLAY_SRC_GEN;
	o.faults[0].drop = 1.5;
	cr_assert_eq(rs_replay_create(&r, &o), -EINVAL);
	o.faults[0].drop = 0;
	o.nlines = 3;
	cr_assert_eq(rs_replay_create(&r, &o), -EINVAL);
	o.nlines = 1;
	o.gen.messages = 10; /* fewer than the generator's fixed messages */
	cr_assert_eq(rs_replay_create(&r, &o), -EINVAL);
	uint32_t n;
	double p;
	cr_assert_eq(rs_replay_parse_burst("5@0.01", &n, &p), 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(p, 0.01);
	cr_assert_eq(rs_replay_parse_burst("5", &n, &p), -EINVAL);
	cr_assert_eq(rs_replay_parse_burst("0@0.1", &n, &p), -EINVAL);
	cr_assert_eq(rs_replay_parse_burst("3@2", &n, &p), -EINVAL);
	struct sockaddr_in d;
	cr_assert_eq(rs_replay_parse_dest("233.54.12.111:26477", &d), 0);
	cr_assert_eq(ntohl(d.sin_addr.s_addr), 0xE9360C6F);
	cr_assert_eq(ntohs(d.sin_port), 26477);
	cr_assert_eq(rs_replay_parse_dest("233.54.12.111", &d), -EINVAL);
	cr_assert_eq(rs_replay_parse_dest("host:1", &d), -EINVAL);
	cr_assert_eq(rs_replay_parse_dest("1.2.3.4:70000", &d), -EINVAL);
}

Test(replay, cli, .timeout = 120)
{
	struct rx rx;
	rx_open(&rx);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "%s/bin/ringside replay --format gen --gen-messages 3000 --gen-symbols 10 "
		 "--dest 127.0.0.1:%u --full-speed --drop-a 0.5 --seed 3 --stats-json --quiet",
		 RS_BUILD_DIR, rx.port);
	FILE *f = popen(cmd, "r");
	cr_assert(f);
	char out[4096] = {0};
	size_t k = fread(out, 1, sizeof(out) - 1, f);
	out[k] = 0;
	cr_assert_eq(pclose(f), 0, "%s", cmd);
	rx_until_eos(&rx, 1);
	cr_assert(strstr(out, "\"messages\":3000,"), "%s", out);
	cr_assert(strstr(out, "\"next_seq\":3001,"), "%s", out);
	char want[64];
	snprintf(want, sizeof(want), "\"line\":\"A\",\"packets\":%zu,", rx.n);
	cr_assert(strstr(out, want), "received %zu packets; %s", rx.n, out);
	rx_close(&rx);
	snprintf(cmd, sizeof(cmd), "%s/bin/ringside replay --format gen 2>/dev/null", RS_BUILD_DIR);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 64, "no --dest");
	snprintf(cmd, sizeof(cmd),
		 "%s/bin/ringside replay /nonexistent.itch --dest 127.0.0.1:9 2>/dev/null", RS_BUILD_DIR);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 66, "missing file");
	snprintf(cmd, sizeof(cmd),
		 "%s/bin/ringside replay --format gen --dest 127.0.0.1:9 --drop-a 2 2>/dev/null",
		 RS_BUILD_DIR);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 64, "bad probability");
	snprintf(cmd, sizeof(cmd), "%s/bin/ringside replay --help >/dev/null", RS_BUILD_DIR);
	cr_assert_eq(system(cmd), 0);
}

/* Multicast with an egress interface: a veth pair the test creates (the
 * sender's own multicast loopback delivers to a member on the same side). */
Test(replay, multicast_iface, .timeout = 60)
{
	char ifn[16];
	snprintf(ifn, sizeof(ifn), "rsrp%d", (int)getpid() % 100000);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s type veth peer name %sp >/dev/null 2>&1 && ip link set %s multicast on up "
		 "&& ip link set %sp up && ip addr add 10.251.%d.1/24 dev %s",
		 ifn, ifn, ifn, ifn, (int)getpid() % 250, ifn);
	if (system(cmd)) {
		snprintf(cmd, sizeof(cmd), "ip link del %s >/dev/null 2>&1", ifn);
		(void)system(cmd);
		cr_skip_test("cannot create a veth pair (need root and veth support)");
	}
	char addr[32];
	snprintf(addr, sizeof(addr), "10.251.%d.1", (int)getpid() % 250);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 64 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	socklen_t al = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	uint16_t port = ntohs(a.sin_port);
	struct ip_mreqn mr = {.imr_ifindex = (int)if_nametoindex(ifn)};
	inet_pton(AF_INET, "239.255.77.1", &mr.imr_multiaddr);
	int joined = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	/* probe: does this kernel loop multicast back to a local member? */
	int ps = socket(AF_INET, SOCK_DGRAM, 0);
	struct ip_mreqn pm = {.imr_ifindex = mr.imr_ifindex};
	setsockopt(ps, IPPROTO_IP, IP_MULTICAST_IF, &pm, sizeof(pm));
	struct sockaddr_in g = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = mr.imr_multiaddr};
	sendto(ps, "probe", 5, 0, (struct sockaddr *)&g, sizeof(g));
	close(ps);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int probe_ok = joined == 0 && poll(&pfd, 1, 2000) == 1;
	uint64_t got = 0, eos = 0;
	if (probe_ok) {
		char buf[2048];
		recv(fd, buf, sizeof(buf), 0);
		struct rs_replay_opts o;
		gen_opts(&o, 2000, 9);
		o.gen.symbols = 10;
		o.dest[0] = g;
		snprintf(o.iface, sizeof(o.iface), "%s", ifn);
		o.ttl = 1;
		o.rate = 50000;
		struct bg b;
		bg_start(&b, &o);
		int pr = 1;
		while (!eos) {
			if ((pr = poll(&pfd, 1, GUARD_MS)) != 1)
				break;
			ssize_t k = recv(fd, buf, sizeof(buf), 0);
			if (k >= 20 && be((uint8_t *)buf + 18, 2) == 0xFFFF)
				eos = 1;
			else if (k >= 20)
				got += be((uint8_t *)buf + 18, 2);
		}
		struct rs_replay_stats st;
		bg_join(&b, &st);
		cr_log_info("multicast: poll %d errno %d, got %llu, sent %llu packets, send errors %llu",
			    pr, errno, (unsigned long long)got, (unsigned long long)st.line[0].packets,
			    (unsigned long long)st.line[0].send_errors);
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "ip link del %s >/dev/null 2>&1", ifn);
	(void)system(cmd);
	if (!probe_ok)
		cr_skip_test("this kernel does not loop multicast back to local members on %s "
			     "(probe datagram not delivered)", ifn);
	cr_assert(eos, "end of session over multicast");
	cr_assert_eq(got, 2000);
}
