/*
 * test_arb.c - A/B arbitration, sequence/gap tracking and reorder buffer
 * (dataplane/rs_arb) with literal scenarios.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "dataplane/rs_arb.h"
#include "dataplane/rs_moldudp.h"

#define MAXD 256

struct rec {
	uint32_t nd;
	uint64_t seq[MAXD];
	uint32_t line[MAXD];
	uint32_t flags[MAXD];
	uint32_t nreq;
	uint64_t req_seq[16], req_cnt[16];
	uint32_t nev;
	int evk[32];
	uint64_t eva[32];
};

static struct rec R;

static void on_deliver(void *ctx, const uint8_t *msg, uint32_t len, uint64_t seq, uint32_t line,
		       uint32_t flags, uint64_t ts)
{
	struct rec *r = ctx;
	(void)ts;
	cr_assert_eq(len, 3);
	cr_assert_eq(msg[0], (uint8_t)seq, "payload of %lu is %u", (unsigned long)seq, msg[0]);
	cr_assert_lt(r->nd, MAXD);
	r->seq[r->nd] = seq;
	r->line[r->nd] = line;
	r->flags[r->nd++] = flags;
}

static void on_request(void *ctx, const uint8_t *session, uint64_t seq, uint64_t count)
{
	struct rec *r = ctx;
	cr_assert(memcmp(session, "SESSION001", 10) == 0 || memcmp(session, "SESSION002", 10) == 0);
	r->req_seq[r->nreq] = seq;
	r->req_cnt[r->nreq++] = count;
}

static void on_event(void *ctx, enum rs_arb_ev e, uint64_t arg)
{
	struct rec *r = ctx;
	r->evk[r->nev] = (int)e;
	r->eva[r->nev++] = arg;
}

/* A packet of `count` messages from `seq` (message i = 3 bytes, first = seq
 * low byte); count 0 / 0xFFFF = heartbeat / end of session. */
static uint32_t pkt(uint8_t *buf, const char *session, uint64_t seq, uint16_t count)
{
	size_t off = RS_MOLDUDP_HDR_LEN;
	rs_moldudp_hdr_build(buf, (const uint8_t *)session, seq,
			     count == RS_MOLDUDP_EOS ? RS_MOLDUDP_EOS : 0);
	if (count != RS_MOLDUDP_EOS)
		for (uint16_t i = 0; i < count; i++) {
			uint8_t m[3] = {(uint8_t)(seq + i), 'x', 'y'};
			cr_assert_eq(rs_moldudp_append(buf, 1500, &off, m, 3), 0);
		}
	return (uint32_t)off;
}

static struct rs_arb *mk(uint32_t nlines, uint32_t hold, uint64_t timeout, uint64_t deadline)
{
	struct rs_arb_cfg c;
	memset(&c, 0, sizeof(c));
	memset(&R, 0, sizeof(R));
	c.nlines = nlines;
	c.hold_pkts = hold;
	c.gap_timeout = timeout;
	c.deadline = deadline;
	c.deliver = on_deliver;
	c.request = on_request;
	c.event = on_event;
	c.ctx = &R;
	struct rs_arb *a;
	cr_assert_eq(rs_arb_create(&a, &c), 0);
	return a;
}

/* send [seq, seq+count) on line at time now */
static uint32_t tx(struct rs_arb *a, uint32_t line, uint64_t seq, uint16_t count, uint64_t now)
{
	uint8_t b[1500];
	return rs_arb_rx(a, b, pkt(b, "SESSION001", seq, count), line, now, now);
}

static void expect_seqs(uint64_t from, uint64_t to)
{
	cr_assert_eq(R.nd, to - from, "delivered %u, want %lu", R.nd, (unsigned long)(to - from));
	for (uint32_t i = 0; i < R.nd; i++)
		cr_assert_eq(R.seq[i], from + i, "delivery %u is seq %lu", i, (unsigned long)R.seq[i]);
}

Test(rs_arb, in_order_dup_on_b)
{
	struct rs_arb *a = mk(2, 16, 1000, 100000);
	cr_assert_eq(tx(a, 0, 1, 2, 1), 2);
	cr_assert_eq(tx(a, 1, 1, 2, 2), 0);
	cr_assert_eq(tx(a, 1, 3, 1, 3), 1); /* B first this time */
	cr_assert_eq(tx(a, 0, 3, 1, 4), 0);
	expect_seqs(1, 4);
	cr_assert_eq(R.line[2], 1);
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->delivered, 3);
	cr_assert_eq(s->next, 4);
	cr_assert_eq(s->line[0].messages, 3);
	cr_assert_eq(s->line[0].delivered, 2);
	cr_assert_eq(s->line[0].duplicates, 1);
	cr_assert_eq(s->line[1].delivered, 1);
	cr_assert_eq(s->line[1].duplicates, 2);
	cr_assert_eq(s->gaps, 0);
	cr_assert_eq(R.nreq, 0);
	cr_assert_eq(R.nev, 0);
	rs_arb_destroy(a);
}

Test(rs_arb, gap_on_a_filled_by_b)
{
	struct rs_arb *a = mk(2, 16, 1000, 100000);
	tx(a, 0, 1, 1, 1);
	cr_assert_eq(tx(a, 0, 3, 2, 2), 0); /* 2 lost on A: [3,5) held */
	cr_assert_eq(rs_arb_stats(a)->nheld, 1);
	cr_assert(rs_arb_gap_pending(a));
	cr_assert_eq(tx(a, 1, 1, 1, 3), 0);
	cr_assert_eq(tx(a, 1, 2, 1, 4), 3); /* fills 2, drains 3..4 */
	cr_assert_eq(tx(a, 1, 3, 2, 5), 0);
	expect_seqs(1, 5);
	cr_assert_eq(R.line[1], 1);
	cr_assert_eq(R.line[2], 0);
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->gaps, 0);
	cr_assert_eq(R.nreq, 0);
	cr_assert_eq(s->nheld, 0);
	cr_assert_eq(s->line[0].held, 1);
	cr_assert_eq(s->line[1].duplicates, 3);
	cr_assert(!rs_arb_gap_pending(a));
	rs_arb_destroy(a);
}

Test(rs_arb, gap_on_both_requests_then_recovers)
{
	struct rs_arb *a = mk(2, 16, 1000, 100000);
	tx(a, 0, 1, 1, 1);
	tx(a, 1, 1, 1, 1);
	tx(a, 0, 3, 1, 2); /* A skipped 2: wait for B */
	cr_assert_eq(R.nreq, 0);
	tx(a, 1, 3, 1, 3); /* B skipped 2 as well: request now */
	cr_assert_eq(R.nreq, 1);
	cr_assert_eq(R.req_seq[0], 2);
	cr_assert_eq(R.req_cnt[0], 1);
	cr_assert_eq(R.nev, 1);
	cr_assert_eq(R.evk[0], RS_ARB_EV_STALE_ON);
	tx(a, 0, 4, 1, 4); /* more held */
	cr_assert_eq(R.nreq, 1, "asked once");
	uint8_t b[1500];
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION001", 2, 1), RS_ARB_LINE_RECOVERY, 5, 5), 3);
	expect_seqs(1, 5);
	cr_assert_eq(R.flags[1], RS_ARB_F_RECOVERED | RS_ARB_F_STALE);
	cr_assert_eq(R.flags[2], 0, "fresh again once the gap closed");
	cr_assert_eq(R.nev, 2);
	cr_assert_eq(R.evk[1], RS_ARB_EV_STALE_OFF);
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->gaps, 1);
	cr_assert_eq(s->gap_messages, 1);
	cr_assert_eq(s->recovered, 1);
	cr_assert_eq(s->unrecovered, 0);
	cr_assert_eq(s->late_filled, 0);
	cr_assert_eq(s->stale, 0);
	cr_assert_eq(s->gaps_open, 0);
	cr_assert_eq(s->line[RS_ARB_LINE_RECOVERY].delivered, 1);
	/* B: 1 after A's, and 3 while A's copy was already held */
	cr_assert_eq(s->line[1].duplicates, 2);
	cr_assert_eq(s->line[1].held, 0);
	cr_assert_eq(s->line[0].held, 2);
	for (int l = 0; l < RS_ARB_NLINE_STATS; l++)
		cr_assert_eq(s->line[l].messages, s->line[l].delivered + s->line[l].duplicates,
			     "line %d: messages = delivered + duplicates", l);
	rs_arb_destroy(a);
}

Test(rs_arb, late_retransmission_is_a_duplicate)
{
	struct rs_arb *a = mk(2, 16, 1000, 100000);
	tx(a, 0, 1, 1, 1);
	tx(a, 0, 4, 1, 1);
	tx(a, 1, 4, 1, 2); /* 2..3 missing on both */
	cr_assert_eq(R.nreq, 1);
	cr_assert_eq(R.req_seq[0], 2);
	cr_assert_eq(R.req_cnt[0], 2);
	tx(a, 0, 2, 2, 3); /* A's reordered copy arrives after all */
	expect_seqs(1, 5);
	cr_assert_eq(R.evk[R.nev - 1], RS_ARB_EV_STALE_OFF);
	uint8_t b[1500];
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION001", 2, 2), RS_ARB_LINE_RECOVERY, 4, 4), 0);
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->late_filled, 2);
	cr_assert_eq(s->recovered, 0);
	cr_assert_eq(s->line[RS_ARB_LINE_RECOVERY].duplicates, 2);
	cr_assert_eq(s->gap_messages, s->recovered + s->late_filled + s->unrecovered);
	rs_arb_destroy(a);
}

Test(rs_arb, deadline_skips_and_stays_stale_until_new_session)
{
	struct rs_arb *a = mk(2, 16, 1000, 5000);
	tx(a, 0, 1, 1, 100);
	tx(a, 1, 1, 1, 100);
	tx(a, 0, 4, 2, 200);
	tx(a, 1, 4, 2, 300); /* gap 2..3 detected at 200, requested at 300 */
	cr_assert_eq(R.nreq, 1);
	cr_assert_eq(rs_arb_poll(a, 5199), 0);
	cr_assert_eq(rs_arb_poll(a, 5200), 2); /* deadline: skip, deliver 4..5 */
	cr_assert_eq(R.nd, 3);
	cr_assert_eq(R.seq[1], 4);
	cr_assert_eq(R.flags[1], RS_ARB_F_STALE);
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->unrecovered, 2);
	cr_assert_eq(s->gap_messages, 2);
	cr_assert_eq(s->stale, 1);
	cr_assert_eq(s->next, 6);
	cr_assert_eq(R.evk[R.nev - 1], RS_ARB_EV_UNRECOVERED);
	cr_assert_eq(R.eva[R.nev - 1], 2);
	/* a late retransmission changes nothing */
	uint8_t b[1500];
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION001", 2, 2), RS_ARB_LINE_RECOVERY, 6000, 6000), 0);
	tx(a, 0, 6, 1, 6100);
	cr_assert_eq(R.flags[R.nd - 1], RS_ARB_F_STALE, "stays stale");
	/* new session: stale cleared, sequence restarts at 1 */
	uint32_t nev = R.nev;
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION002", 1, 2), 0, 7000, 7000), 2);
	cr_assert_eq(R.nev, nev + 2);
	cr_assert_eq(R.evk[nev], RS_ARB_EV_STALE_OFF);
	cr_assert_eq(R.evk[nev + 1], RS_ARB_EV_SESSION);
	cr_assert_eq(R.seq[R.nd - 1], 2);
	cr_assert_eq(R.flags[R.nd - 1], 0);
	cr_assert_eq(s->sessions, 2);
	cr_assert_eq(s->stale, 0);
	/* the old session's retransmission is refused */
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION001", 3, 1), RS_ARB_LINE_RECOVERY, 7100, 7100), 0);
	cr_assert_eq(s->wrong_session, 1);
	rs_arb_destroy(a);
}

Test(rs_arb, heartbeat_and_end_of_session_reveal_tail_loss)
{
	struct rs_arb *a = mk(2, 16, 1000, 100000);
	tx(a, 0, 1, 2, 1);
	tx(a, 1, 1, 2, 1);
	/* 3..4 lost on both; heartbeats say next = 5 */
	tx(a, 0, 5, 0, 2);
	cr_assert_eq(R.nreq, 0);
	tx(a, 1, 5, 0, 3);
	cr_assert_eq(R.nreq, 1);
	cr_assert_eq(R.req_seq[0], 3);
	cr_assert_eq(R.req_cnt[0], 2);
	/* end of session at 6: message 5 missing too -> the gap grows */
	tx(a, 0, 6, RS_MOLDUDP_EOS, 4);
	cr_assert_eq(R.nreq, 2);
	cr_assert_eq(R.req_seq[1], 5);
	cr_assert_eq(R.req_cnt[1], 1);
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->heartbeats, 2);
	cr_assert_eq(s->eos, 1);
	cr_assert_eq(s->gap_messages, 3);
	cr_assert_eq(s->requests, 2);
	cr_assert_eq(s->gaps, 1);
	uint8_t b[1500];
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION001", 3, 3), RS_ARB_LINE_RECOVERY, 5, 5), 3);
	expect_seqs(1, 6);
	cr_assert_eq(s->recovered, 3);
	cr_assert_eq(s->stale, 0);
	rs_arb_destroy(a);
}

Test(rs_arb, silent_line_b_times_out)
{
	struct rs_arb *a = mk(2, 16, 1000, 100000);
	tx(a, 0, 1, 1, 10);
	tx(a, 0, 3, 1, 20); /* B never speaks */
	cr_assert_eq(R.nreq, 0);
	rs_arb_poll(a, 1019);
	cr_assert_eq(R.nreq, 0);
	rs_arb_poll(a, 1020);
	cr_assert_eq(R.nreq, 1);
	cr_assert_eq(R.req_seq[0], 2);
	rs_arb_destroy(a);
}

Test(rs_arb, single_line_requests_at_once_and_partial_overlap)
{
	struct rs_arb *a = mk(1, 16, 1000, 100000);
	tx(a, 0, 1, 2, 1);
	tx(a, 0, 5, 2, 2); /* 3..4 missing: one line, request now */
	cr_assert_eq(R.nreq, 1);
	cr_assert_eq(R.req_seq[0], 3);
	cr_assert_eq(R.req_cnt[0], 2);
	/* the retransmission is packetized differently: [2,6) overlaps both sides */
	uint8_t b[1500];
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION001", 2, 4), RS_ARB_LINE_RECOVERY, 3, 3), 4);
	expect_seqs(1, 7);
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->line[RS_ARB_LINE_RECOVERY].delivered, 3); /* 3, 4, 5 */
	cr_assert_eq(s->line[RS_ARB_LINE_RECOVERY].duplicates, 1); /* 2 */
	cr_assert_eq(s->line[0].duplicates, 1);                    /* held 5 drained partly */
	cr_assert_eq(s->line[0].delivered, 3);                     /* 1, 2, 6 */
	rs_arb_destroy(a);
}

Test(rs_arb, reordered_a_with_several_holes)
{
	struct rs_arb *a = mk(2, 16, 1000, 100000);
	tx(a, 0, 1, 1, 1);
	tx(a, 0, 5, 1, 1);
	tx(a, 0, 3, 1, 1);
	tx(a, 0, 3, 1, 1); /* duplicate of a held packet */
	cr_assert_eq(rs_arb_stats(a)->nheld, 2);
	cr_assert_eq(rs_arb_stats(a)->line[0].duplicates, 1);
	tx(a, 0, 2, 1, 2); /* 2, then 3 drained, 4 still missing */
	cr_assert_eq(R.nd, 3);
	tx(a, 0, 4, 1, 3);
	expect_seqs(1, 6);
	cr_assert_eq(R.nreq, 0);
	rs_arb_destroy(a);
}

Test(rs_arb, reorder_buffer_overflow_is_counted_and_recovered_later)
{
	struct rs_arb *a = mk(1, 2, 1000, 100000);
	tx(a, 0, 1, 1, 1);
	tx(a, 0, 3, 1, 1);
	tx(a, 0, 4, 1, 1);
	tx(a, 0, 5, 1, 1); /* third held packet: no room */
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->hold_overflow, 1);
	cr_assert_eq(s->line[0].discarded, 1); /* its one message */
	cr_assert_eq(R.nreq, 1);
	uint8_t b[1500];
	rs_arb_rx(a, b, pkt(b, "SESSION001", 2, 1), RS_ARB_LINE_RECOVERY, 2, 2);
	/* 2,3,4 delivered; 5 (dropped from the buffer) is the next gap */
	cr_assert_eq(R.nd, 4);
	cr_assert_eq(R.nreq, 2);
	cr_assert_eq(R.req_seq[1], 5);
	cr_assert_eq(R.req_cnt[1], 1);
	rs_arb_rx(a, b, pkt(b, "SESSION001", 5, 1), RS_ARB_LINE_RECOVERY, 3, 3);
	expect_seqs(1, 6);
	cr_assert_eq(s->gap_messages, 2);
	cr_assert_eq(s->recovered, 2);
	rs_arb_destroy(a);
}

Test(rs_arb, configured_session_and_bad_packets)
{
	struct rs_arb_cfg c;
	memset(&c, 0, sizeof(c));
	memset(&R, 0, sizeof(R));
	c.nlines = 1;
	c.deliver = on_deliver;
	c.ctx = &R;
	memcpy(c.session, "SESSION002", 10);
	struct rs_arb *a;
	cr_assert_eq(rs_arb_create(&a, &c), 0);
	uint8_t b[1500];
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION001", 1, 1), 0, 1, 1), 0);
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION002", 1, 1), 0, 1, 1), 1);
	uint32_t len = pkt(b, "SESSION002", 2, 1);
	cr_assert_eq(rs_arb_rx(a, b, len - 1, 0, 1, 1), 0); /* truncated block */
	cr_assert_eq(rs_arb_rx(a, b, 7, 0, 1, 1), 0);       /* short */
	const struct rs_arb_stats *s = rs_arb_stats(a);
	cr_assert_eq(s->wrong_session, 1);
	cr_assert_eq(s->bad_packets, 2);
	cr_assert_eq(s->delivered, 1);
	/* no request callback: the gap waits for the deadline (0 = never) */
	cr_assert_eq(rs_arb_rx(a, b, pkt(b, "SESSION002", 3, 1), 0, 1, 1), 0);
	cr_assert_eq(s->gaps, 1);
	cr_assert_eq(s->stale, 1);
	rs_arb_destroy(a);
}

Test(rs_arb, join_at_first)
{
	struct rs_arb_cfg c;
	memset(&c, 0, sizeof(c));
	memset(&R, 0, sizeof(R));
	c.nlines = 2;
	c.deliver = on_deliver;
	c.request = on_request;
	c.ctx = &R;
	c.join_at_first = true;
	struct rs_arb *a;
	cr_assert_eq(rs_arb_create(&a, &c), 0);
	tx(a, 1, 1000, 2, 1);
	tx(a, 0, 1000, 2, 2);
	expect_seqs(1000, 1002);
	cr_assert_eq(R.nreq, 0);
	rs_arb_destroy(a);
}

Test(rs_arb, bad_config)
{
	struct rs_arb_cfg c;
	memset(&c, 0, sizeof(c));
	struct rs_arb *a;
	cr_assert_eq(rs_arb_create(&a, &c), -EINVAL);
	c.deliver = on_deliver;
	c.nlines = 3;
	cr_assert_eq(rs_arb_create(&a, &c), -EINVAL);
}

Test(rs_arb, reorder_buffer_overflow_requests_without_waiting_for_b)
{
	struct rs_arb *a = mk(2, 1, 1000000, 100000000);
	tx(a, 0, 1, 1, 1);
	tx(a, 0, 3, 1, 2); /* held; B silent: wait */
	cr_assert_eq(R.nreq, 0);
	tx(a, 0, 4, 1, 3); /* no room: waiting for B cannot help any more */
	cr_assert_eq(R.nreq, 1);
	cr_assert_eq(R.req_seq[0], 2);
	cr_assert_eq(R.req_cnt[0], 1);
	cr_assert_eq(rs_arb_stats(a)->hold_overflow, 1);
	rs_arb_destroy(a);
}

Test(rs_arb, full_reorder_buffer_skips_at_the_overflow_deadline)
{
	struct rs_arb_cfg c;
	memset(&c, 0, sizeof(c));
	memset(&R, 0, sizeof(R));
	c.nlines = 1;
	c.hold_pkts = 2;
	c.deadline = 1000000;
	c.overflow_deadline = 500;
	c.deliver = on_deliver;
	c.request = on_request;
	c.event = on_event;
	c.ctx = &R;
	struct rs_arb *a;
	cr_assert_eq(rs_arb_create(&a, &c), 0);
	tx(a, 0, 1, 1, 100);
	tx(a, 0, 3, 1, 100); /* gap 2 detected at 100 */
	cr_assert_eq(rs_arb_poll(a, 700), 0, "buffer not full: the normal deadline applies");
	cr_assert_eq(tx(a, 0, 4, 1, 599), 0, "buffer full now, gap younger than 500");
	cr_assert_eq(rs_arb_stats(a)->next, 2);
	cr_assert_eq(rs_arb_poll(a, 600), 2, "full and 500 old: skipped");
	cr_assert_eq(rs_arb_stats(a)->unrecovered, 1);
	cr_assert_eq(rs_arb_stats(a)->next, 5);
	rs_arb_destroy(a);
}
