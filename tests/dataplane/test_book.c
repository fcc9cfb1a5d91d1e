/* test_book.c - unit tests of the MBO book engine (dataplane/rs_book.c):
 * every operation and every quality event, with literal expected books. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_book.h"

#define PX(x) ((int64_t)((x) * 1000000000.0 + ((x) >= 0 ? 0.5 : -0.5)))
#define IID 7u

static struct rs_book *bk;

static void setup(void)
{
	struct rs_book_cfg c;
	rs_book_cfg_default(&c);
	c.max_instruments = 8;
	c.max_orders = 64;
	c.max_levels = 32;
	c.ladder_arena = 256;
	c.max_ladder = 64;
	c.depth = 5;
	cr_assert_eq(rs_book_create(&bk, &c), 0);
}

static void teardown(void)
{
	rs_book_destroy(bk);
	bk = NULL;
}

TestSuite(book, .init = setup, .fini = teardown);

static struct rs_event mk(char action, char side, uint64_t id, double px, uint32_t size)
{
	struct rs_event e;
	memset(&e, 0, sizeof(e));
	e.mbo.hd.length = 14;
	e.mbo.hd.rtype = RS_RTYPE_MBO;
	e.mbo.hd.instrument_id = IID;
	e.mbo.hd.ts_event = 1000;
	e.mbo.order_id = id;
	e.mbo.price = px == 0 ? RS_UNDEF_PRICE : PX(px);
	e.mbo.size = size;
	e.mbo.flags = RS_F_LAST;
	e.mbo.action = action;
	e.mbo.side = side;
	return e;
}

static uint32_t ap(char action, char side, uint64_t id, double px, uint32_t size)
{
	struct rs_event e = mk(action, side, id, px, size);
	rs_book_apply(bk, &e);
	return e.rs_flags;
}

static int ix(void)
{
	int i = rs_book_find(bk, IID);
	cr_assert_geq(i, 0);
	return i;
}

static uint64_t qc(enum rs_book_q k)
{
	return rs_book_inst(bk, (uint32_t)ix())->q[k];
}

/* expected side: {price, size, count} ... terminated by size 0 */
struct lv {
	double px;
	uint32_t size, count;
};

static void expect_side(int side, const struct lv *want)
{
	struct rs_level got[64];
	unsigned n = rs_book_levels(bk, (uint32_t)ix(), side, got, 64), k = 0;
	for (; want[k].size; k++) {
		cr_assert_lt(k, n, "side %d: missing level %u (%.4f)", side, k, want[k].px);
		cr_assert_eq(got[k].price, PX(want[k].px), "side %d level %u price %lld want %.4f", side,
			     k, (long long)got[k].price, want[k].px);
		cr_assert_eq(got[k].size, want[k].size, "side %d level %u size %u want %u", side, k,
			     got[k].size, want[k].size);
		cr_assert_eq(got[k].count, want[k].count, "side %d level %u count", side, k);
	}
	cr_assert_eq(n, k, "side %d: %u levels, want %u", side, n, k);
	char msg[256];
	cr_assert_eq(rs_book_check_all(bk, msg, sizeof(msg)), 0, "%s", msg);
}

#define BIDS(...) expect_side(0, (const struct lv[]){__VA_ARGS__, {0, 0, 0}})
#define ASKS(...) expect_side(1, (const struct lv[]){__VA_ARGS__, {0, 0, 0}})
#define NOBIDS() expect_side(0, (const struct lv[]){{0, 0, 0}})
#define NOASKS() expect_side(1, (const struct lv[]){{0, 0, 0}})

static void expect_fifo(int side, uint32_t pos, const uint64_t *want, uint32_t n)
{
	uint64_t ids[64];
	uint32_t c = rs_book_level_orders(bk, (uint32_t)ix(), side, pos, ids, 64);
	cr_assert_eq(c, n, "level %u has %u orders, want %u", pos, c, n);
	for (uint32_t i = 0; i < n; i++)
		cr_assert_eq(ids[i], want[i], "queue position %u: %llu want %llu", i,
			     (unsigned long long)ids[i], (unsigned long long)want[i]);
}
#define FIFO(side, pos, ...)                                                  \
	expect_fifo(side, pos, (const uint64_t[]){__VA_ARGS__},               \
		    sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

Test(book, add_builds_sorted_levels)
{
	ap('A', 'B', 1, 10.00, 100);
	ap('A', 'B', 2, 10.01, 50);
	ap('A', 'B', 3, 9.99, 10);
	ap('A', 'B', 4, 10.00, 5);
	ap('A', 'A', 5, 10.03, 7);
	ap('A', 'A', 6, 10.02, 8);
	ap('A', 'A', 7, 10.05, 9);
	BIDS({10.01, 50, 1}, {10.00, 105, 2}, {9.99, 10, 1});
	ASKS({10.02, 8, 1}, {10.03, 7, 1}, {10.05, 9, 1});
	FIFO(0, 1, 1, 4);
	const struct rs_book_order *o = rs_book_order(bk, IID, 4);
	cr_assert(o && o->size == 5 && o->side == 0 && o->price == PX(10.00));
	cr_assert_null(rs_book_order(bk, IID + 1, 4), "ids are keyed by instrument");
}

Test(book, partial_and_full_cancel)
{
	ap('A', 'B', 1, 10.00, 100);
	ap('A', 'B', 2, 10.00, 30);
	ap('C', 'B', 1, 10.00, 40);
	BIDS({10.00, 90, 2});
	FIFO(0, 0, 1, 2); /* partial cancel keeps priority */
	ap('C', 'B', 1, 10.00, 60);
	BIDS({10.00, 30, 1});
	cr_assert_null(rs_book_order(bk, IID, 1));
	ap('C', 'B', 2, 10.00, 30);
	NOBIDS();
	NOASKS();
}

Test(book, execution_fill_then_cancel)
{
	ap('A', 'A', 1, 20.00, 100);
	ap('A', 'A', 2, 20.00, 100);
	struct rs_event f = mk('F', 'A', 1, 20.00, 60);
	f.mbo.flags = 0;
	rs_book_apply(bk, &f);
	ASKS({20.00, 200, 2}); /* F never changes the book */
	uint32_t fl = ap('C', 'A', 1, 20.00, 60);
	ASKS({20.00, 140, 2});
	cr_assert(fl & RS_EVF_BBO_CHANGED);
	ap('T', 'B', 0, 20.00, 40);
	ap('F', 'A', 1, 20.00, 40);
	ap('N', 'N', 0, 0, 0);
	ASKS({20.00, 140, 2});
	ap('C', 'A', 1, 20.00, 40);
	ASKS({20.00, 100, 1});
	const struct rs_book_inst *in = rs_book_inst(bk, (uint32_t)ix());
	cr_assert_eq(in->last_price, PX(20.00));
	cr_assert_eq(in->volume, 40);
}

Test(book, modify_priority_rules)
{
	ap('A', 'B', 1, 10.00, 100);
	ap('A', 'B', 2, 10.00, 100);
	ap('A', 'B', 3, 10.00, 100);
	/* size decrease keeps priority */
	ap('M', 'B', 1, 10.00, 50);
	BIDS({10.00, 250, 3});
	FIFO(0, 0, 1, 2, 3);
	/* size increase loses priority */
	ap('M', 'B', 1, 10.00, 80);
	BIDS({10.00, 280, 3});
	FIFO(0, 0, 2, 3, 1);
	/* same size, same price: no change */
	ap('M', 'B', 2, 10.00, 100);
	FIFO(0, 0, 2, 3, 1);
	/* price change loses priority, even back to the old price */
	ap('M', 'B', 2, 10.01, 100);
	BIDS({10.01, 100, 1}, {10.00, 180, 2});
	ap('M', 'B', 2, 10.00, 100);
	BIDS({10.00, 280, 3});
	FIFO(0, 0, 3, 1, 2);
	/* modify without side/price (incomplete) keeps them */
	struct rs_event e = mk('M', 'N', 3, 0, 10);
	e.rs_flags = RS_EVF_INCOMPLETE;
	rs_book_apply(bk, &e);
	cr_assert_eq(e.mbo.side, 'B');
	cr_assert_eq(e.mbo.price, PX(10.00));
	cr_assert_eq(e.rs_flags & RS_EVF_INCOMPLETE, 0);
	BIDS({10.00, 190, 3});
	FIFO(0, 0, 3, 1, 2);
}

Test(book, clear_and_snapshot)
{
	ap('A', 'B', 1, 10.00, 100);
	ap('A', 'A', 2, 10.05, 100);
	ap('R', 'N', 0, 0, 0);
	NOBIDS();
	NOASKS();
	cr_assert_null(rs_book_order(bk, IID, 1));
	/* snapshot: A records with F_SNAPSHOT, F_LAST on the last */
	struct rs_event e = mk('A', 'B', 10, 9.90, 5);
	e.mbo.flags = RS_F_SNAPSHOT;
	rs_book_apply(bk, &e);
	e = mk('A', 'A', 11, 9.95, 6);
	e.mbo.flags = RS_F_SNAPSHOT | RS_F_LAST;
	rs_book_apply(bk, &e);
	cr_assert(e.rs_flags & RS_EVF_BBO_CHANGED);
	BIDS({9.90, 5, 1});
	ASKS({9.95, 6, 1});
	/* ids of the cleared book may be reused */
	cr_assert_eq(ap('A', 'B', 1, 9.80, 1) & RS_EVF_REJECTED, 0);
}

Test(book, itch_incomplete_delete_and_replace)
{
	ap('A', 'A', 1, 30.00, 300);
	ap('A', 'A', 2, 30.00, 200);
	/* executed (E): F + C with only the id and size known */
	struct rs_event f = mk('F', 'N', 1, 0, 100);
	f.rs_flags = RS_EVF_INCOMPLETE;
	f.mbo.flags = 0;
	rs_book_apply(bk, &f);
	cr_assert_eq(f.mbo.price, PX(30.00));
	cr_assert_eq(f.mbo.side, 'A');
	cr_assert_eq(f.rs_flags & RS_EVF_INCOMPLETE, 0);
	struct rs_event c = mk('C', 'N', 1, 0, 100);
	c.rs_flags = RS_EVF_INCOMPLETE;
	rs_book_apply(bk, &c);
	cr_assert_eq(c.mbo.price, PX(30.00));
	cr_assert_eq(c.mbo.side, 'A');
	ASKS({30.00, 400, 2});
	/* delete (D): size RS_SIZE_ALL, completed to the removed size */
	c = mk('C', 'N', 2, 0, RS_SIZE_ALL);
	c.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_DELETE;
	rs_book_apply(bk, &c);
	cr_assert_eq(c.mbo.size, 200);
	ASKS({30.00, 200, 1});
	/* replace (U): C(delete old) + A(new id, REPLACE, side from the C) */
	c = mk('C', 'N', 1, 0, RS_SIZE_ALL);
	c.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_DELETE;
	c.mbo.flags = 0;
	rs_book_apply(bk, &c);
	struct rs_event a = mk('A', 'N', 3, 29.99, 150);
	a.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_REPLACE;
	rs_book_apply(bk, &a);
	cr_assert_eq(a.mbo.side, 'A');
	cr_assert_eq(a.rs_flags & (RS_EVF_INCOMPLETE | RS_EVF_REJECTED), 0);
	cr_assert(a.rs_flags & RS_EVF_BBO_CHANGED);
	ASKS({29.99, 150, 1});
	NOBIDS();
}

Test(book, quality_unknown_id)
{
	ap('A', 'B', 1, 10.00, 100);
	cr_assert(ap('C', 'B', 99, 10.00, 10) & RS_EVF_REJECTED);
	cr_assert(ap('M', 'B', 98, 10.00, 10) & RS_EVF_REJECTED);
	struct rs_event f = mk('F', 'N', 97, 0, 5);
	f.rs_flags = RS_EVF_INCOMPLETE;
	rs_book_apply(bk, &f);
	cr_assert(f.rs_flags & RS_EVF_INCOMPLETE, "cannot be completed");
	cr_assert(f.rs_flags & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_UNKNOWN_ID), 2, "an ITCH F+C pair counts once, on the C");
	/* a replace whose delete failed must not reuse an older delete's side */
	ap('A', 'A', 5, 11.00, 1);
	struct rs_event c = mk('C', 'N', 5, 0, RS_SIZE_ALL);
	c.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_DELETE;
	rs_book_apply(bk, &c);
	c = mk('C', 'N', 96, 0, RS_SIZE_ALL);
	c.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_DELETE;
	c.mbo.flags = 0;
	rs_book_apply(bk, &c);
	struct rs_event a = mk('A', 'N', 6, 11.00, 1);
	a.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_REPLACE;
	rs_book_apply(bk, &a);
	cr_assert(a.rs_flags & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_BAD_SIDE), 1);
	cr_assert_eq(qc(RS_BOOK_Q_UNKNOWN_ID), 3);
	BIDS({10.00, 100, 1});
}

Test(book, quality_duplicate_add)
{
	ap('A', 'B', 1, 10.00, 100);
	cr_assert(ap('A', 'A', 1, 11.00, 5) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_DUP_ADD), 1);
	BIDS({10.00, 100, 1});
	NOASKS();
}

Test(book, quality_crossed_and_locked)
{
	ap('A', 'B', 1, 10.00, 100);
	ap('A', 'A', 2, 10.00, 100);
	cr_assert_eq(qc(RS_BOOK_Q_LOCKED), 1);
	ap('A', 'A', 3, 9.99, 1);
	cr_assert_eq(qc(RS_BOOK_Q_CROSSED), 1);
	ap('T', 'B', 0, 9.99, 1); /* still crossed at this boundary */
	cr_assert_eq(qc(RS_BOOK_Q_CROSSED), 2);
	/* the book is kept as reported, not "fixed" */
	BIDS({10.00, 100, 1});
	ASKS({9.99, 1, 1}, {10.00, 100, 1});
	ap('C', 'A', 3, 9.99, 1);
	ap('C', 'A', 2, 10.00, 100);
	cr_assert_eq(qc(RS_BOOK_Q_CROSSED), 2);
	cr_assert_eq(qc(RS_BOOK_Q_LOCKED), 2);
}

Test(book, quality_sizes_prices_sides)
{
	cr_assert(ap('A', 'B', 1, 10.00, 0) & RS_EVF_REJECTED);
	cr_assert(ap('A', 'B', 2, 10.00, RS_SIZE_ALL) & RS_EVF_REJECTED);
	cr_assert(ap('A', 'B', 3, 10.00, (uint32_t)-5) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_BAD_SIZE), 3);
	cr_assert(ap('A', 'B', 4, 0, 10) & RS_EVF_REJECTED); /* undefined price */
	cr_assert_eq(qc(RS_BOOK_Q_BAD_PRICE), 1);
	cr_assert(ap('A', 'N', 5, 10.00, 10) & RS_EVF_REJECTED);
	cr_assert(ap('A', 'X', 6, 10.00, 10) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_BAD_SIDE), 2);
	ap('A', 'B', 7, 10.00, 10);
	cr_assert(ap('M', 'A', 7, 10.00, 10) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_SIDE_CHANGE), 1);
	cr_assert(ap('M', 'B', 7, 10.00, 0) & RS_EVF_REJECTED);
	cr_assert(ap('C', 'B', 7, 10.00, 0) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_BAD_SIZE), 5);
	/* over-cancel removes the order and is reported */
	cr_assert_eq(ap('C', 'B', 7, 10.00, 11) & RS_EVF_REJECTED, 0);
	cr_assert_eq(qc(RS_BOOK_Q_OVER_CANCEL), 1);
	cr_assert(ap('Z', 'B', 8, 10.00, 1) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_BAD_ACTION), 1);
	NOBIDS();
	NOASKS();
}

Test(book, quality_off_tick)
{
	cr_assert_geq(rs_book_define(bk, IID, "TEST", PX(0.01)), 0);
	cr_assert_str_eq(rs_book_inst(bk, (uint32_t)ix())->symbol, "TEST");
	ap('A', 'B', 1, 10.005, 10); /* counted, applied */
	ap('A', 'B', 2, 10.01, 10);
	cr_assert_eq(qc(RS_BOOK_Q_OFF_TICK), 1);
	BIDS({10.01, 10, 1}, {10.005, 10, 1});
}

Test(book, capacity_orders_levels_instruments)
{
	/* 32 levels: the 33rd distinct price is rejected, nothing corrupted */
	for (int i = 0; i < 32; i++)
		cr_assert_eq(ap('A', i % 2 ? 'A' : 'B', 100 + i, i % 2 ? 50.0 + i : 40.0 - i, 1) &
				     RS_EVF_REJECTED,
			     0);
	cr_assert(ap('A', 'B', 200, 1.0, 1) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_CAPACITY), 1);
	/* modify to a new price needs a level: rejected, order unchanged */
	cr_assert(ap('M', 'B', 100, 1.0, 1) & RS_EVF_REJECTED);
	cr_assert_eq(rs_book_order(bk, IID, 100)->price, PX(40.0));
	/* orders: 64 total */
	for (int i = 0; i < 32; i++)
		ap('A', 'B', 300 + i, 40.0, 1);
	cr_assert(ap('A', 'B', 400, 40.0, 1) & RS_EVF_REJECTED);
	cr_assert_eq(qc(RS_BOOK_Q_CAPACITY), 3);
	char msg[256];
	cr_assert_eq(rs_book_check_all(bk, msg, sizeof(msg)), 0, "%s", msg);
	/* instruments: 8 */
	for (uint32_t i = 0; i < 7; i++) {
		struct rs_event e = mk('N', 'N', 0, 0, 0);
		e.mbo.hd.instrument_id = 1000 + i;
		rs_book_apply(bk, &e);
	}
	struct rs_event e = mk('N', 'N', 0, 0, 0);
	e.mbo.hd.instrument_id = 5000;
	rs_book_apply(bk, &e);
	cr_assert(e.rs_flags & RS_EVF_REJECTED);
	cr_assert_eq(rs_book_stats(bk)->inst_capacity, 1);
	/* freeing makes room again */
	ap('C', 'B', 300, 40.0, 1);
	cr_assert_eq(ap('A', 'B', 400, 40.0, 1) & RS_EVF_REJECTED, 0);
}

Test(book, ladder_grows_and_deep_inserts)
{
	/* more levels than the first ladder class (16) on one side, inserted
	 * out of order: memmove path, class moves, and (30, 25) inserts below
	 * the 16 keys counted from the touch (binary search) */
	static const double px[] = {10, 12, 11, 15, 13, 14, 9, 16, 8, 17,
				    7.5, 12.5, 20, 18, 19, 21, 6, 22, 30, 25};
	for (unsigned i = 0; i < sizeof(px) / sizeof(px[0]); i++)
		cr_assert_eq(ap('A', 'A', 10 + i, px[i], 1 + i) & RS_EVF_REJECTED, 0, "level %u", i);
	ASKS({6, 17, 1}, {7.5, 11, 1}, {8, 9, 1}, {9, 7, 1}, {10, 1, 1}, {11, 3, 1}, {12, 2, 1},
	     {12.5, 12, 1}, {13, 5, 1}, {14, 6, 1}, {15, 4, 1}, {16, 8, 1}, {17, 10, 1}, {18, 14, 1},
	     {19, 15, 1}, {20, 13, 1}, {21, 16, 1}, {22, 18, 1}, {25, 20, 1}, {30, 19, 1});
	cr_assert_eq(rs_book_stats(bk)->ladder_moves, 1);
	cr_assert_eq(rs_book_level_pos(bk, (uint32_t)ix(), 1, PX(30)), 19);
	cr_assert_eq(rs_book_level_pos(bk, (uint32_t)ix(), 1, PX(25)), 18);
	cr_assert_eq(rs_book_level_pos(bk, (uint32_t)ix(), 1, PX(26)), -1);
	/* delete deep (below the window), from the middle, and the touch */
	ap('C', 'A', 28, 30, 19);
	ap('C', 'A', 14, 13, 5);
	ap('C', 'A', 29, 25, 20);
	ap('C', 'A', 26, 6, 17);
	ASKS({7.5, 11, 1}, {8, 9, 1}, {9, 7, 1}, {10, 1, 1}, {11, 3, 1}, {12, 2, 1}, {12.5, 12, 1},
	     {14, 6, 1}, {15, 4, 1}, {16, 8, 1}, {17, 10, 1}, {18, 14, 1}, {19, 15, 1}, {20, 13, 1},
	     {21, 16, 1}, {22, 18, 1});
	/* and back in at the very bottom */
	ap('A', 'A', 50, 40, 7);
	cr_assert_eq(rs_book_level_pos(bk, (uint32_t)ix(), 1, PX(40)), 16);
}

Test(book, bbo_changed_flag_only_on_boundary_changes)
{
	cr_assert(ap('A', 'B', 1, 10.00, 100) & RS_EVF_BBO_CHANGED);
	cr_assert_eq(ap('A', 'B', 2, 9.00, 100) & RS_EVF_BBO_CHANGED, 0, "deeper level");
	cr_assert(ap('A', 'B', 3, 10.00, 1) & RS_EVF_BBO_CHANGED, "size at touch");
	/* no F_LAST: not a boundary, nothing flagged until the boundary */
	struct rs_event e = mk('A', 'B', 4, 10.50, 5);
	e.mbo.flags = 0;
	rs_book_apply(bk, &e);
	cr_assert_eq(e.rs_flags & RS_EVF_BBO_CHANGED, 0);
	e = mk('C', 'B', 4, 10.50, 5);
	rs_book_apply(bk, &e);
	cr_assert_eq(e.rs_flags & RS_EVF_BBO_CHANGED, 0, "back to the same BBO at the boundary");
}

struct pubrec {
	unsigned n;
	struct rs_bbo bbo;
	struct rs_level lv[10];
	uint16_t nb, na;
};

static void on_pub(void *ctx, uint32_t idx, const struct rs_bbo *bbo, const struct rs_depth *d)
{
	struct pubrec *p = ctx;
	p->n++;
	p->bbo = *bbo;
	p->nb = d->nbids;
	p->na = d->nasks;
	memcpy(p->lv, d->levels, 2u * d->depth * sizeof(struct rs_level));
}

Test(book, publish_bbo_and_depth)
{
	struct rs_event e = mk('A', 'B', 1, 10.00, 100);
	e.mbo.sequence = 42;
	rs_book_apply(bk, &e);
	ap('A', 'B', 2, 9.99, 50);
	ap('A', 'A', 3, 10.02, 70);
	struct pubrec p = {0};
	cr_assert_eq(rs_book_publish(bk, on_pub, &p), 1, "one instrument, queued once");
	cr_assert_eq(p.n, 1);
	cr_assert_eq(p.bbo.instrument_id, IID);
	cr_assert_eq(p.bbo.bid.price, PX(10.00));
	cr_assert_eq(p.bbo.bid.size, 100);
	cr_assert_eq(p.bbo.ask.price, PX(10.02));
	cr_assert_eq(p.nb, 2);
	cr_assert_eq(p.na, 1);
	cr_assert_eq(p.lv[1].price, PX(9.99)); /* bids[1] */
	cr_assert_eq(p.lv[2].price, RS_UNDEF_PRICE);
	cr_assert_eq(p.lv[5].price, PX(10.02)); /* asks[0] at depth 5 */
	cr_assert_eq(rs_book_publish(bk, on_pub, &p), 0, "nothing changed since");
	struct rs_depth *d = malloc(sizeof(*d) + 100 * sizeof(struct rs_level));
	rs_book_depth(bk, (uint32_t)ix(), d, 50);
	cr_assert_eq(d->depth, 50);
	cr_assert_eq(d->nbids, 2);
	cr_assert_eq(d->levels[50].price, PX(10.02));
	free(d);
}

Test(book, many_instruments_independent)
{
	for (uint32_t i = 0; i < 8; i++) {
		struct rs_event e = mk('A', 'B', 5, 10.0 + i, 1 + i);
		e.mbo.hd.instrument_id = 100 + i; /* same order id on every instrument */
		rs_book_apply(bk, &e);
		cr_assert_eq(e.rs_flags & RS_EVF_REJECTED, 0);
	}
	for (uint32_t i = 0; i < 8; i++) {
		const struct rs_book_order *o = rs_book_order(bk, 100 + i, 5);
		cr_assert(o && o->size == 1 + i);
	}
	struct rs_event e = mk('R', 'N', 0, 0, 0);
	e.mbo.hd.instrument_id = 103;
	rs_book_apply(bk, &e);
	cr_assert_null(rs_book_order(bk, 103, 5));
	cr_assert_not_null(rs_book_order(bk, 104, 5));
	char msg[256];
	cr_assert_eq(rs_book_check_all(bk, msg, sizeof(msg)), 0, "%s", msg);
}

Test(book, burst_equals_single)
{
	struct rs_event ev[40];
	int n = 0;
	for (int i = 0; i < 20; i++)
		ev[n++] = mk('A', i % 2 ? 'A' : 'B', 1 + i, i % 2 ? 11.0 + i * 0.01 : 10.0 - i * 0.01, 10);
	for (int i = 0; i < 20; i += 3)
		ev[n++] = mk('C', 'N', 1 + i, 0, 4);
	cr_assert_eq(rs_book_apply_burst(bk, ev, (unsigned)n), (unsigned)n);
	struct rs_level a[32], b2[32];
	unsigned na = rs_book_levels(bk, 0, 0, a, 32);
	rs_book_reset(bk);
	for (int i = 0; i < n; i++) {
		ev[i].rs_flags = 0;
		rs_book_apply(bk, &ev[i]);
	}
	unsigned nb = rs_book_levels(bk, 0, 0, b2, 32);
	cr_assert_eq(na, nb);
	cr_assert_eq(memcmp(a, b2, na * sizeof(a[0])), 0);
}

/* rs_book_apply_burst_cb: the callback sees the book as it stands right
 * after each record (compared with rs_book_apply one record at a time). */
struct cbseen {
	const struct rs_book *b;
	unsigned n;
	int idx[64];
	struct rs_book_top top[64];
	uint32_t flags[64];
};
static void on_ev(void *ctx, const struct rs_event *ev, int idx)
{
	struct cbseen *s = ctx;
	s->idx[s->n] = idx;
	s->flags[s->n] = ev->rs_flags;
	if (idx >= 0)
		rs_book_top(rs_book_inst(s->b, (uint32_t)idx), &s->top[s->n]);
	s->n++;
}

Test(book, burst_callback_sees_book_after_each_record)
{
	struct rs_event ev[48], copy[48];
	int n = 0;
	for (int i = 0; i < 20; i++)
		ev[n++] = mk('A', i % 2 ? 'A' : 'B', 1 + i, i % 2 ? 11.0 + i * 0.01 : 10.0 - i * 0.01, 10);
	for (int i = 0; i < 20; i += 3)
		ev[n++] = mk('C', 'N', 1 + i, 0, 4);
	for (int i = 0; i < 20; i += 2)
		ev[n++] = mk('C', 'N', 1 + i, 0, 10);
	memcpy(copy, ev, sizeof(ev));
	struct cbseen s = {.b = bk};
	cr_assert_eq(rs_book_apply_burst_cb(bk, ev, (unsigned)n, on_ev, &s), (unsigned)n);
	cr_assert_eq(s.n, (unsigned)n);
	rs_book_reset(bk);
	unsigned changed = 0;
	for (int i = 0; i < n; i++) {
		rs_book_apply(bk, &copy[i]);
		int idx = rs_book_find(bk, copy[i].mbo.hd.instrument_id);
		cr_assert_eq(s.idx[i], idx, "record %d", i);
		struct rs_book_top t;
		rs_book_top(rs_book_inst(bk, (uint32_t)idx), &t);
		cr_assert_eq(memcmp(&t, &s.top[i], sizeof(t)), 0, "record %d: top differs", i);
		cr_assert_eq(s.flags[i], copy[i].rs_flags, "record %d", i);
		changed += (copy[i].rs_flags & RS_EVF_BBO_CHANGED) != 0;
	}
	cr_assert_gt(changed, 3); /* the path really moves the BBO */
	/* the first bid add at 10.00: best bid 10.00 x 10, one order */
	cr_assert_eq(s.top[0].bid_px, 10000000000);
	cr_assert_eq(s.top[0].bid_sz, 10);
	cr_assert_eq(s.top[0].bid_ct, 1);
	cr_assert_eq(s.top[0].ask_px, RS_UNDEF_PRICE);
}

Test(book, invariant_checker_detects_corruption)
{
	ap('A', 'B', 1, 10.00, 100);
	ap('A', 'B', 2, 9.00, 100);
	char msg[256];
	cr_assert_eq(rs_book_check(bk, (uint32_t)ix(), msg, sizeof(msg)), 0);
	/* corrupt a level size through the order record (test-only cast) */
	struct rs_book_order *o = (struct rs_book_order *)rs_book_order(bk, IID, 2);
	o->size = 7;
	cr_assert_neq(rs_book_check(bk, (uint32_t)ix(), msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "size/count"), "%s", msg);
	o->size = 100;
	o->price = PX(9.5);
	cr_assert_neq(rs_book_check(bk, (uint32_t)ix(), msg, sizeof(msg)), 0);
}

#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

Test(book, publish_into_seqlocked_tables)
{
	struct rs_seqtab tb, td;
	uint32_t dpay = (uint32_t)(sizeof(struct rs_depth) + 2u * 5 * sizeof(struct rs_level));
	size_t lb = rs_seqtab_footprint(16, sizeof(struct rs_bbo)), ld = rs_seqtab_footprint(16, dpay);
	void *mb = aligned_alloc(64, (lb + 63) & ~(size_t)63), *md = aligned_alloc(64, (ld + 63) & ~(size_t)63);
	cr_assert(mb && md);
	cr_assert_eq(rs_seqtab_init(&tb, mb, lb, 16, sizeof(struct rs_bbo)), 0);
	cr_assert_eq(rs_seqtab_init(&td, md, ld, 16, dpay), 0);
	/* a depth table smaller than MBP-5 is refused */
	struct rs_seqtab small;
	size_t ls = rs_seqtab_footprint(4, 64);
	void *ms = aligned_alloc(64, (ls + 63) & ~(size_t)63);
	cr_assert_eq(rs_seqtab_init(&small, ms, ls, 4, 64), 0);
	cr_assert_eq(rs_book_attach_tables(bk, NULL, &small), -EINVAL);
	cr_assert_eq(rs_book_attach_tables(bk, &tb, &td), 0);

	ap('A', 'B', 1, 10.00, 100);
	ap('A', 'A', 2, 10.05, 30);
	struct rs_event e = mk('A', 'A', 3, 10.10, 1);
	e.mbo.hd.instrument_id = 33;
	rs_book_apply(bk, &e);
	cr_assert_eq(rs_book_publish(bk, NULL, NULL), 2);

	int64_t slot = rs_itable_find(&tb, IID);
	cr_assert_geq(slot, 0);
	struct rs_bbo bbo;
	uint64_t key;
	cr_assert_eq(rs_seqtab_read(&tb, (uint32_t)slot, &bbo, sizeof(bbo), &key), 0);
	cr_assert_eq(key, IID + 1);
	cr_assert_eq(bbo.instrument_id, IID);
	cr_assert_eq(bbo.bid.price, PX(10.00));
	cr_assert_eq(bbo.ask.size, 30);
	slot = rs_itable_find(&td, 33);
	cr_assert_geq(slot, 0);
	union {
		struct rs_depth d;
		uint8_t raw[256];
	} u;
	cr_assert_eq(rs_seqtab_read(&td, (uint32_t)slot, &u, dpay, NULL), 0);
	cr_assert_eq(u.d.instrument_id, 33);
	cr_assert_eq(u.d.depth, 5);
	cr_assert_eq(u.d.nbids, 0);
	cr_assert_eq(u.d.nasks, 1);
	cr_assert_eq(u.d.levels[5].price, PX(10.10));
	/* later changes overwrite the same slot */
	ap('C', 'B', 1, 10.00, 100);
	cr_assert_eq(rs_book_publish(bk, NULL, NULL), 1);
	cr_assert_eq(rs_seqtab_read(&tb, (uint32_t)rs_itable_find(&tb, IID), &bbo, sizeof(bbo), NULL), 0);
	cr_assert_eq(bbo.bid.price, RS_UNDEF_PRICE);
	cr_assert_eq(rs_book_publish_skipped(bk), 0);
	free(mb);
	free(md);
	free(ms);
}

/* The order-id ring (cfg.id_ring slots, direct-mapped by the id's low bits)
 * with its overflow table: 600 live ids on one ring slot (599 moved to the
 * overflow table, the slot's count saturates at 255 and sticks), sparse
 * 64-bit ids, the same id on two instruments; lookups, duplicate adds,
 * cancels in any order and the burst path all agree with the index. */
Test(book, order_id_ring_overflow)
{
	struct rs_book *b2;
	struct rs_book_cfg c;
	rs_book_cfg_default(&c);
	c.max_instruments = 4;
	c.max_orders = 2048;
	c.max_levels = 64;
	c.id_ring = 16;
	cr_assert_eq(rs_book_create(&b2, &c), 0);
	cr_assert_eq(rs_book_config(b2)->id_ring, 16);
	char msg[256];
	struct rs_event e;
	/* ids k * 16: all on ring slot 0 */
	for (uint64_t k = 1; k <= 600; k++) {
		e = mk('A', k % 2 ? 'B' : 'A', k * 16, k % 2 ? 10.00 : 10.01, (uint32_t)k);
		rs_book_apply(b2, &e);
		cr_assert_eq(e.rs_flags & RS_EVF_REJECTED, 0, "add %llu", (unsigned long long)k);
	}
	cr_assert_eq(rs_book_stats(b2)->id_evicted, 599);
	cr_assert_eq(rs_book_stats(b2)->id_overflow, 599);
	cr_assert_eq(rs_book_check_all(b2, msg, sizeof(msg)), 0, "%s", msg);
	/* every one is found, duplicates are rejected wherever the id lives */
	for (uint64_t k = 1; k <= 600; k++) {
		const struct rs_book_order *o = rs_book_order(b2, IID, k * 16);
		cr_assert_not_null(o, "id %llu", (unsigned long long)(k * 16));
		cr_assert_eq(o->size, k);
	}
	e = mk('A', 'B', 16 * 300, 10.00, 1);
	rs_book_apply(b2, &e);
	cr_assert(e.rs_flags & RS_EVF_REJECTED);
	e = mk('A', 'B', 16 * 600, 10.00, 1);
	rs_book_apply(b2, &e);
	cr_assert(e.rs_flags & RS_EVF_REJECTED);
	cr_assert_null(rs_book_order(b2, IID, 16 * 601));
	cr_assert_null(rs_book_order(b2, IID + 1, 16 * 5), "other instrument");
	/* sparse 64-bit ids and the same id on a second instrument */
	const uint64_t sparse[] = {6409547328197963776ull, 0xffffffff00000010ull, 0x8000000000000000ull,
				   16 * 5};
	for (unsigned i = 0; i < 4; i++) {
		e = mk('A', 'A', sparse[i], 11.00, 7);
		e.mbo.hd.instrument_id = IID + 1;
		rs_book_apply(b2, &e);
		cr_assert_eq(e.rs_flags & RS_EVF_REJECTED, 0, "sparse %u", i);
	}
	cr_assert_eq(rs_book_order(b2, IID + 1, 16 * 5)->size, 7);
	cr_assert_eq(rs_book_order(b2, IID, 16 * 5)->size, 5);
	cr_assert_eq(rs_book_check_all(b2, msg, sizeof(msg)), 0, "%s", msg);
	/* cancel half of them in a scrambled order through the burst path,
	 * partial cancels for the other half */
	struct rs_event burst[300];
	for (unsigned i = 0; i < 300; i++) {
		uint64_t k = 1 + (i * 7u) % 600; /* 7 and 600 coprime: 300 distinct */
		burst[i] = mk('C', 'N', k * 16, 0, RS_SIZE_ALL);
		burst[i].rs_flags = RS_EVF_DELETE | RS_EVF_INCOMPLETE;
	}
	rs_book_apply_burst(b2, burst, 300);
	for (unsigned i = 0; i < 300; i++)
		cr_assert_eq(burst[i].rs_flags & RS_EVF_REJECTED, 0, "cancel %u", i);
	cr_assert_eq(rs_book_stats(b2)->orders_live, 304);
	cr_assert_eq(rs_book_check_all(b2, msg, sizeof(msg)), 0, "%s", msg);
	for (uint64_t k = 1; k <= 600; k++) {
		const struct rs_book_order *o = rs_book_order(b2, IID, k * 16);
		if (!o)
			continue;
		e = mk('C', 'N', k * 16, 0, 1);
		rs_book_apply(b2, &e);
		cr_assert_eq(e.rs_flags & RS_EVF_REJECTED, 0);
		cr_assert_eq(rs_book_order(b2, IID, k * 16)->size + 1, k, "id %llu",
			     (unsigned long long)(k * 16));
	}
	/* the rest, then the sparse ones: the index is empty again */
	for (uint64_t k = 1; k <= 600; k++)
		if (rs_book_order(b2, IID, k * 16)) {
			e = mk('C', 'N', k * 16, 0, RS_SIZE_ALL);
			rs_book_apply(b2, &e);
		}
	for (unsigned i = 0; i < 4; i++) {
		e = mk('C', 'N', sparse[i], 0, RS_SIZE_ALL);
		e.mbo.hd.instrument_id = IID + 1;
		rs_book_apply(b2, &e);
		cr_assert_eq(e.rs_flags & RS_EVF_REJECTED, 0, "sparse cancel %u", i);
	}
	cr_assert_eq(rs_book_stats(b2)->orders_live, 0);
	cr_assert_eq(rs_book_stats(b2)->id_overflow, 0);
	cr_assert_eq(rs_book_check_all(b2, msg, sizeof(msg)), 0, "%s", msg);
	/* a fresh id on the saturated slot still works */
	e = mk('A', 'B', 16 * 1000, 10.00, 3);
	rs_book_apply(b2, &e);
	cr_assert_eq(rs_book_order(b2, IID, 16 * 1000)->size, 3);
	rs_book_destroy(b2);
}
