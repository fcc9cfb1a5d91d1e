/* test_book_pub.c - publication of the book into the seqlocked BBO and
 * MBP-N tables (dataplane/rs_book_pub.c): after every burst of a random
 * session on a few instruments, every row in the tables equals the book's
 * own snapshot (rs_book_bbo / rs_book_depth) - prices, sizes, counts,
 * empty entries after a side shrank, stamps - and a burst that ends in
 * the middle of an event (no RS_F_LAST yet) publishes the state of the
 * last boundary in the BBO row. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_book.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

#define NINST 4
#define DEPTH 6
#define TICK 10000000LL /* 0.01 in 1e-9 units */

static struct rs_book *bk;
static struct rs_seqtab tb, td;
static void *mb, *md;
static uint32_t dpay;

static void setup(void)
{
	struct rs_book_cfg c;
	rs_book_cfg_default(&c);
	c.max_instruments = 16;
	c.max_orders = 4096;
	c.max_levels = 1024;
	c.depth = DEPTH;
	cr_assert_eq(rs_book_create(&bk, &c), 0);
	dpay = (uint32_t)(sizeof(struct rs_depth) + 2u * DEPTH * sizeof(struct rs_level));
	size_t lb = rs_seqtab_footprint(16, sizeof(struct rs_bbo)), ld = rs_seqtab_footprint(16, dpay);
	mb = aligned_alloc(64, (lb + 63) & ~(size_t)63);
	md = aligned_alloc(64, (ld + 63) & ~(size_t)63);
	cr_assert(mb && md);
	cr_assert_eq(rs_seqtab_init(&tb, mb, lb, 16, sizeof(struct rs_bbo)), 0);
	cr_assert_eq(rs_seqtab_init(&td, md, ld, 16, dpay), 0);
	cr_assert_eq(rs_book_attach_tables(bk, &tb, &td), 0);
}

static void teardown(void)
{
	rs_book_destroy(bk);
	free(mb);
	free(md);
}

TestSuite(book_pub, .init = setup, .fini = teardown);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* live orders we know of, to cancel / modify real ones */
struct ord {
	uint64_t id;
	uint32_t iid;
	char side;
};
static struct ord live[4096];
static unsigned nlive;
static uint64_t next_id = 1;

static struct rs_event ev(char action, uint32_t iid, uint64_t id, char side, int64_t px, uint32_t sz,
			  uint8_t flags, uint64_t ts)
{
	struct rs_event e;
	memset(&e, 0, sizeof(e));
	e.mbo.hd.length = 14;
	e.mbo.hd.rtype = RS_RTYPE_MBO;
	e.mbo.hd.instrument_id = iid;
	e.mbo.hd.ts_event = ts;
	e.mbo.ts_recv = ts + 7;
	e.mbo.sequence = (uint32_t)ts;
	e.mbo.order_id = id;
	e.mbo.price = px;
	e.mbo.size = sz;
	e.mbo.flags = flags;
	e.mbo.action = action;
	e.mbo.side = side;
	return e;
}

/* A random event: adds around a mid with a few deep levels, cancels and
 * modifies of live orders (whole and partial), trades. */
static struct rs_event random_event(uint64_t ts, uint8_t flags)
{
	uint32_t r = (uint32_t)(rnd() % 100);
	if (nlive < 8 || r < 36) {
		uint32_t iid = 100 + (uint32_t)(rnd() % NINST);
		char side = rnd() & 1 ? RS_SIDE_BID : RS_SIDE_ASK;
		int64_t dist = (int64_t)(rnd() % 8) + (rnd() % 8 == 0 ? 20 : 0);
		int64_t px = side == RS_SIDE_BID ? 1000 * TICK - dist * TICK : 1001 * TICK + dist * TICK;
		struct ord o = {next_id++, iid, side};
		if (nlive < 4096)
			live[nlive++] = o;
		return ev(RS_ACTION_ADD, iid, o.id, side, px, 1 + (uint32_t)(rnd() % 500), flags, ts);
	}
	unsigned k = (unsigned)(rnd() % nlive);
	struct ord o = live[k];
	if (r < 80) {
		bool whole = rnd() % 4 != 0;
		if (whole)
			live[k] = live[--nlive];
		struct rs_event e = ev(RS_ACTION_CANCEL, o.iid, o.id, o.side, RS_UNDEF_PRICE,
				       whole ? RS_SIZE_ALL : 1, flags, ts);
		if (whole)
			e.rs_flags |= RS_EVF_DELETE;
		return e;
	}
	if (r < 95) {
		int64_t dist = (int64_t)(rnd() % 10);
		int64_t px = o.side == RS_SIDE_BID ? 1000 * TICK - dist * TICK : 1001 * TICK + dist * TICK;
		return ev(RS_ACTION_MODIFY, o.iid, o.id, o.side, px, 1 + (uint32_t)(rnd() % 500), flags, ts);
	}
	return ev(RS_ACTION_TRADE, o.iid, 0, RS_SIDE_NONE, 1000 * TICK, 1 + (uint32_t)(rnd() % 100), flags, ts);
}

static void check_rows(void)
{
	for (uint32_t n = 0; n < NINST; n++) {
		uint32_t iid = 100 + n;
		int idx = rs_book_find(bk, iid);
		if (idx < 0)
			continue;
		struct rs_bbo want, got;
		rs_book_bbo(bk, (uint32_t)idx, &want);
		int64_t slot = rs_itable_find(&tb, iid);
		cr_assert_geq(slot, 0, "instrument %u has no BBO row", iid);
		cr_assert_eq(rs_seqtab_read(&tb, (uint32_t)slot, &got, sizeof(got), NULL), 0);
		/* stamps: a boundary that changed nothing (a rejected cancel of an
		 * id already gone) moves the book's stamps but republishes no
		 * row, which keeps those of the event that produced its state */
		want.ts_event = got.ts_event;
		want.ts_recv = got.ts_recv;
		want.sequence = got.sequence;
		size_t off = 0;
		while (off < sizeof(got) && ((uint8_t *)&want)[off] == ((uint8_t *)&got)[off])
			off++;
		cr_assert_eq(memcmp(&want, &got, sizeof(got)), 0, "(first difference at byte %zu) "
			     "BBO row of %u: bid %lld/%u/%u ask %lld/%u/%u, book bid %lld/%u/%u ask %lld/%u/%u",
			     off, iid, (long long)got.bid.price, got.bid.size, got.bid.count,
			     (long long)got.ask.price, got.ask.size, got.ask.count, (long long)want.bid.price,
			     want.bid.size, want.bid.count, (long long)want.ask.price, want.ask.size,
			     want.ask.count);
		union {
			struct rs_depth d;
			uint8_t raw[1024];
		} w, g;
		memset(&w, 0, sizeof(w));
		rs_book_depth(bk, (uint32_t)idx, &w.d, DEPTH);
		w.d.ts_event = got.ts_event;
		w.d.ts_recv = got.ts_recv;
		w.d.sequence = got.sequence;
		slot = rs_itable_find(&td, iid);
		cr_assert_geq(slot, 0);
		cr_assert_eq(rs_seqtab_read(&td, (uint32_t)slot, &g, dpay, NULL), 0);
		cr_assert_eq(memcmp(&w, &g, dpay), 0, "depth row of %u differs (nbids %u/%u nasks %u/%u)", iid,
			     g.d.nbids, w.d.nbids, g.d.nasks, w.d.nasks);
	}
}

/* 200 k events in bursts of 1..40, all boundaries: rows == snapshots. */
Test(book_pub, rows_equal_book_after_every_burst)
{
	struct rs_event b[40];
	uint64_t ts = 1;
	unsigned shrinks = 0;
	uint16_t prev_n[NINST][2] = {{0}};
	for (int burst = 0; burst < 10000; burst++) {
		unsigned n = 1 + (unsigned)(rnd() % 40);
		for (unsigned i = 0; i < n; i++)
			b[i] = random_event(ts++, RS_F_LAST);
		rs_book_apply_burst(bk, b, n);
		rs_book_publish(bk, NULL, NULL);
		check_rows();
		for (uint32_t k = 0; k < NINST; k++) {
			int idx = rs_book_find(bk, 100 + k);
			for (int s = 0; idx >= 0 && s < 2; s++) {
				uint32_t nl = rs_book_nlevels(bk, (uint32_t)idx, s);
				uint16_t cur = (uint16_t)(nl < DEPTH ? nl : DEPTH);
				shrinks += cur < prev_n[k][s];
				prev_n[k][s] = cur;
			}
		}
	}
	/* the session exercised rows that lost levels inside the published depth */
	cr_assert_gt(shrinks, 100, "only %u shrinking rows", shrinks);
	char msg[256];
	cr_assert_eq(rs_book_check_all(bk, msg, sizeof(msg)), 0, "%s", msg);
}

/* A burst ending inside an event (its last record without RS_F_LAST):
 * the BBO row shows the last boundary's state, and the next boundary's
 * publication catches up. */
Test(book_pub, bbo_row_is_the_last_boundary_state)
{
	struct rs_event e[3];
	e[0] = ev(RS_ACTION_ADD, 100, 1, RS_SIDE_BID, 1000 * TICK, 10, RS_F_LAST, 1);
	rs_book_apply_burst(bk, e, 1);
	rs_book_publish(bk, NULL, NULL);
	/* an event of two records: the first improves the bid, no F_LAST yet */
	e[1] = ev(RS_ACTION_ADD, 100, 2, RS_SIDE_BID, 1001 * TICK, 5, 0, 2);
	rs_book_apply_burst(bk, &e[1], 1);
	rs_book_publish(bk, NULL, NULL);
	struct rs_bbo got;
	int64_t slot = rs_itable_find(&tb, 100);
	cr_assert_geq(slot, 0);
	cr_assert_eq(rs_seqtab_read(&tb, (uint32_t)slot, &got, sizeof(got), NULL), 0);
	cr_assert_eq(got.bid.price, 1000 * TICK);
	cr_assert_eq(got.bid.size, 10);
	e[2] = ev(RS_ACTION_ADD, 100, 3, RS_SIDE_ASK, 1002 * TICK, 7, RS_F_LAST, 2);
	rs_book_apply_burst(bk, &e[2], 1);
	rs_book_publish(bk, NULL, NULL);
	cr_assert_eq(rs_seqtab_read(&tb, (uint32_t)slot, &got, sizeof(got), NULL), 0);
	cr_assert_eq(got.bid.price, 1001 * TICK);
	cr_assert_eq(got.bid.size, 5);
	cr_assert_eq(got.ask.price, 1002 * TICK);
	cr_assert_eq(got.ask.count, 1);
	cr_assert_eq(got.ts_event, 2);
}
