/*
 * test_recovery.c - the MoldUDP64 re-request client (controlplane/rs_recovery)
 * against the replayer's retransmission server and against fake servers on
 * loopback (one that ignores the first request, one that never answers).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_recovery.h"
#include "controlplane/rs_replay.h"
#include "dataplane/rs_moldudp.h"
#include "shm/rs_err.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void push_gap(struct rs_rlink *l, const char *session, uint64_t seq, uint64_t count)
{
	struct rs_rlink_req q;
	memset(&q, 0, sizeof(q));
	memcpy(q.session, session, 10);
	q.seq = seq;
	q.count = count;
	cr_assert_eq(rs_vring_write(&l->req_tx, RS_RLINK_REQ, &q, sizeof(q)), 0);
}

/* Collect answered messages: returns messages covering [lo, hi) seen (each seq once). */
struct cover {
	uint8_t seen[4096];
	uint64_t lo;
	uint32_t pkts, msgs;
};

static void on_pkt(void *ctx, uint32_t type, const void *data, uint32_t len)
{
	struct cover *c = ctx;
	struct rs_moldudp_pkt pk;
	cr_assert_eq(type, RS_RLINK_PKT);
	cr_assert_eq(rs_moldudp_parse(data, len, &pk), RS_MOLDUDP_OK);
	c->pkts++;
	for (uint64_t s = pk.seq; s < pk.seq + pk.count; s++)
		if (s >= c->lo && s - c->lo < sizeof(c->seen) && !c->seen[s - c->lo]++)
			c->msgs++;
}

static void *replay_thread(void *arg)
{
	rs_replay_run(arg);
	return NULL;
}

Test(rs_recovery, against_the_replayers_server)
{
	/* a sink for the downstream lines, the replayer with its server */
	int sink = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(sink, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	getsockname(sink, (struct sockaddr *)&sa, &sl);

	struct rs_replay_opts o;
	rs_replay_opts_default(&o);
	o.src = RS_REPLAY_SRC_GEN;
	rs_gen_opts_default(&o.gen);
	o.gen.messages = 20000;
	o.gen.symbols = 20;
	o.nlines = 1;
	o.dest[0] = sa;
	o.retrans = true;
	o.retrans_port = 0;
	o.retrans_bind.s_addr = htonl(INADDR_LOOPBACK);
	o.linger = 30;
	o.rate = 0;
	memcpy(o.session, "RECOVTEST1", 10);
	struct rs_replay *r;
	cr_assert_eq(rs_replay_create(&r, &o), 0, "%s", rs_err_msg());
	pthread_t th;
	pthread_create(&th, NULL, replay_thread, r);
	/* wait until everything was sent (the history then holds it all) */
	struct rs_replay_stats st;
	for (int i = 0; i < 3000; i++) {
		rs_replay_get_stats(r, &st);
		if (st.source_messages == 20000 && st.line[0].eos)
			break;
		sleep_ms(10);
	}
	cr_assert_eq(st.source_messages, 20000);

	struct rs_rlink *l;
	cr_assert_eq(rs_rlink_create(&l, 1 << 20), 0);
	struct rs_recovery_cfg rc;
	memset(&rc, 0, sizeof(rc));
	rc.nfeeds = 1;
	rc.cpu = -1;
	strcpy(rc.feed[0].name, "t");
	snprintf(rc.feed[0].server, sizeof(rc.feed[0].server), "127.0.0.1:%u",
		 rs_replay_retrans_port(r));
	rc.feed[0].max_messages = 100;
	rc.feed[0].rate = 1000;
	rc.feed[0].retries = 3;
	rc.feed[0].timeout_ns = 200000000;
	rc.feed[0].deadline_ns = 20000000000ull;
	rc.feed[0].link = l;
	_Atomic uint64_t creq = 0;
	rc.feed[0].c_requests = &creq;
	struct rs_recovery *rec;
	cr_assert_eq(rs_recovery_start(&rec, &rc), 0, "%s", rs_err_msg());

	/* a 250-message gap: three requests (100, 100, 50) */
	push_gap(l, "RECOVTEST1", 1001, 250);
	struct cover c;
	memset(&c, 0, sizeof(c));
	c.lo = 1001;
	for (int i = 0; i < 2000 && c.msgs < 250; i++) {
		rs_vring_poll(&l->pkt_rx, on_pkt, &c, 1000);
		sleep_ms(5);
	}
	cr_assert_eq(c.msgs, 250, "every message of the gap came back exactly");
	for (uint32_t i = 0; i < 250; i++)
		cr_assert_eq(c.seen[i], 1, "seq %u answered %u times", 1001 + i, c.seen[i]);
	struct rs_recovery_stats s;
	for (int i = 0; i < 200; i++) { /* the thread records 'served' after the hand-over */
		rs_recovery_get_stats(rec, 0, &s);
		if (!s.pending)
			break;
		sleep_ms(5);
	}
	cr_assert_eq(s.gaps, 1);
	cr_assert_eq(s.pending, 0);
	cr_assert_eq(s.answered_msgs, 250);
	cr_assert_eq(s.expired, 0);
	cr_assert_geq(s.requests, 3);
	cr_assert_eq(atomic_load(&creq), s.requests);
	rs_replay_get_stats(r, &st);
	cr_assert_eq(st.rr_messages, 250 + 0 * st.rr_requests);

	rs_recovery_stop(rec);
	rs_replay_stop(r);
	pthread_join(th, NULL);
	rs_replay_destroy(r);
	rs_rlink_destroy(l);
	close(sink);
}

/* Fake server: counts requests; answers from the `answer_from`-th on. */
struct fake {
	int fd;
	uint16_t port;
	_Atomic int stop;
	_Atomic uint32_t requests;
	uint32_t answer_from;
	uint64_t last_seq;
	uint16_t last_cnt;
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	uint8_t b[64];
	while (!atomic_load(&f->stop)) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(f->fd, b, sizeof(b), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0) {
			sleep_ms(1);
			continue;
		}
		struct rs_moldudp_req q;
		cr_assert_eq(rs_moldudp_req_parse(b, (size_t)n, &q), 0);
		f->last_seq = q.seq;
		f->last_cnt = q.count;
		uint32_t k = atomic_fetch_add(&f->requests, 1) + 1;
		if (!f->answer_from || k < f->answer_from)
			continue;
		uint8_t p[1500];
		size_t off = RS_MOLDUDP_HDR_LEN;
		rs_moldudp_hdr_build(p, q.session, q.seq, 0);
		for (uint16_t i = 0; i < q.count; i++) {
			uint8_t m[4] = {'x', 0, 0, (uint8_t)i};
			rs_moldudp_append(p, sizeof(p), &off, m, sizeof(m));
		}
		sendto(f->fd, p, off, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void fake_start(struct fake *f, pthread_t *th, uint32_t answer_from)
{
	memset(f, 0, sizeof(*f));
	f->answer_from = answer_from;
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	getsockname(f->fd, (struct sockaddr *)&sa, &sl);
	f->port = ntohs(sa.sin_port);
	pthread_create(th, NULL, fake_main, f);
}

static struct rs_recovery *start_client(struct rs_rlink **l, uint16_t port, uint32_t retries,
					uint64_t timeout_ns, uint64_t deadline_ns)
{
	cr_assert_eq(rs_rlink_create(l, 1 << 16), 0);
	struct rs_recovery_cfg rc;
	memset(&rc, 0, sizeof(rc));
	rc.nfeeds = 1;
	rc.cpu = -1;
	strcpy(rc.feed[0].name, "fake");
	snprintf(rc.feed[0].server, sizeof(rc.feed[0].server), "127.0.0.1:%u", port);
	rc.feed[0].max_messages = 1000;
	rc.feed[0].rate = 10000;
	rc.feed[0].retries = retries;
	rc.feed[0].timeout_ns = timeout_ns;
	rc.feed[0].deadline_ns = deadline_ns;
	rc.feed[0].link = *l;
	struct rs_recovery *rec;
	cr_assert_eq(rs_recovery_start(&rec, &rc), 0, "%s", rs_err_msg());
	return rec;
}

Test(rs_recovery, retries_when_the_first_request_is_lost)
{
	struct fake f;
	pthread_t th;
	fake_start(&f, &th, 2);
	struct rs_rlink *l;
	struct rs_recovery *rec = start_client(&l, f.port, 5, 20000000, 30000000000ull);
	push_gap(l, "FAKESESS01", 77, 3);
	struct cover c;
	memset(&c, 0, sizeof(c));
	c.lo = 77;
	for (int i = 0; i < 2000 && c.msgs < 3; i++) {
		rs_vring_poll(&l->pkt_rx, on_pkt, &c, 100);
		sleep_ms(5);
	}
	cr_assert_eq(c.msgs, 3);
	cr_assert_eq(f.last_seq, 77);
	cr_assert_eq(f.last_cnt, 3);
	struct rs_recovery_stats s;
	for (int i = 0; i < 200; i++) {
		rs_recovery_get_stats(rec, 0, &s);
		if (!s.pending)
			break;
		sleep_ms(5);
	}
	cr_assert_eq(s.pending, 0);
	cr_assert_eq(s.requests, 2, "one lost, one answered");
	cr_assert_eq(s.resends, 1);
	cr_assert_eq(atomic_load(&f.requests), 2);
	rs_recovery_stop(rec);
	atomic_store(&f.stop, 1);
	pthread_join(th, NULL);
	close(f.fd);
	rs_rlink_destroy(l);
}

Test(rs_recovery, gives_up_at_the_deadline_after_the_retries)
{
	struct fake f;
	pthread_t th;
	fake_start(&f, &th, 0); /* never answers */
	struct rs_rlink *l;
	/* 2 retries 10 ms apart, deadline 300 ms: exactly 3 requests, then expired */
	struct rs_recovery *rec = start_client(&l, f.port, 2, 10000000, 300000000);
	push_gap(l, "FAKESESS01", 5, 10);
	struct rs_recovery_stats s;
	for (int i = 0; i < 2000; i++) {
		rs_recovery_get_stats(rec, 0, &s);
		if (s.expired)
			break;
		sleep_ms(5);
	}
	cr_assert_eq(s.expired, 1);
	cr_assert_eq(s.expired_msgs, 10);
	cr_assert_eq(s.requests, 3);
	cr_assert_eq(s.pending, 0);
	cr_assert_eq(atomic_load(&f.requests), 3);
	rs_recovery_stop(rec);
	atomic_store(&f.stop, 1);
	pthread_join(th, NULL);
	close(f.fd);
	rs_rlink_destroy(l);
}

Test(rs_recovery, bad_server_address)
{
	struct rs_rlink *l;
	cr_assert_eq(rs_rlink_create(&l, 1 << 16), 0);
	struct rs_recovery_cfg rc;
	memset(&rc, 0, sizeof(rc));
	rc.nfeeds = 1;
	rc.cpu = -1;
	strcpy(rc.feed[0].name, "bad");
	strcpy(rc.feed[0].server, "no-port-here");
	rc.feed[0].link = l;
	struct rs_recovery *rec;
	cr_assert_eq(rs_recovery_start(&rec, &rc), -EINVAL);
	cr_assert(strstr(rs_err_msg(), "feed bad") != NULL, "%s", rs_err_msg());
	rs_rlink_destroy(l);
}
