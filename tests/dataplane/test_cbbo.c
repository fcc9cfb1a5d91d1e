/*
 * test_cbbo.c - consolidated BBO across venues (dataplane/rs_cbbo.c):
 * literal quotes from hand-made venue BBOs.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "dataplane/rs_cbbo.h"

#define PX(x) ((int64_t)((x) * 1000000000.0 + 0.5))
#define NONE ((struct rs_level){RS_UNDEF_PRICE, 0, 0})
#define LV(px, sz, ct) ((struct rs_level){PX(px), (sz), (ct)})

static struct rs_cbbo *cb;

static void setup(void)
{
	cr_assert_eq(rs_cbbo_create(&cb, 4, 3), 0);
}

static void teardown(void)
{
	rs_cbbo_destroy(cb);
	cb = NULL;
}

TestSuite(cbbo, .init = setup, .fini = teardown);

static int up(uint16_t pub, uint32_t iid, struct rs_level bid, struct rs_level ask)
{
	return rs_cbbo_update(cb, pub, iid, &bid, &ask, 1000);
}

static void expect_side(const struct rs_cbbo_side *s, double px, uint64_t sz, uint32_t ct,
			uint16_t venues, const char *what)
{
	if (px == 0) {
		cr_assert_eq(s->price, RS_UNDEF_PRICE, "%s: price %lld, want none", what,
			     (long long)s->price);
		cr_assert_eq(s->venues, 0, "%s venues", what);
		return;
	}
	cr_assert_eq(s->price, PX(px), "%s price %lld want %.4f", what, (long long)s->price, px);
	cr_assert_eq(s->size, sz, "%s size %llu want %llu", what, (unsigned long long)s->size,
		     (unsigned long long)sz);
	cr_assert_eq(s->count, ct, "%s count %u want %u", what, s->count, ct);
	cr_assert_eq(s->venues, venues, "%s venues %u want %u", what, s->venues, venues);
}

Test(cbbo, best_over_venues_sizes_summed_at_equal_prices)
{
	/* AAPL on three venues (publisher ids 39 XNAS, 40 XBOS, 41 XPSX; the
	 * instrument ids differ per venue) */
	cr_assert_eq(rs_cbbo_bind(cb, 39, 100, "AAPL"), 0);
	cr_assert_eq(rs_cbbo_bind(cb, 40, 7, "AAPL"), 0);
	cr_assert_eq(rs_cbbo_bind(cb, 41, 100, "AAPL"), 0);
	cr_assert_eq(rs_cbbo_get(cb, 0)->nvenues, 3);
	const struct rs_cbbo_quote *q = rs_cbbo_get(cb, 0);
	expect_side(&q->bid, 0, 0, 0, 0, "empty bid");

	cr_assert_eq(up(39, 100, LV(190.00, 300, 2), LV(190.05, 200, 1)), 0 | RS_CBBO_CHANGED);
	expect_side(&q->bid, 190.00, 300, 2, 1, "bid");
	expect_side(&q->ask, 190.05, 200, 1, 1, "ask");
	cr_assert_eq(up(40, 7, LV(190.01, 100, 1), LV(190.05, 400, 3)), 0 | RS_CBBO_CHANGED);
	expect_side(&q->bid, 190.01, 100, 1, 1, "higher bid on venue 40");
	expect_side(&q->ask, 190.05, 600, 4, 2, "asks at 190.05 on two venues");
	cr_assert_eq(up(41, 100, LV(190.01, 50, 1), LV(190.06, 10, 1)), 0 | RS_CBBO_CHANGED);
	expect_side(&q->bid, 190.01, 150, 2, 2, "bids at 190.01 on two venues");
	expect_side(&q->ask, 190.05, 600, 4, 2, "the 190.06 ask is behind");
	cr_assert_eq(q->crossed, 0);
	cr_assert_eq(q->ts_event, 1000);

	/* the same venue BBO again: no change */
	cr_assert_eq(up(41, 100, LV(190.01, 50, 1), LV(190.06, 10, 1)), 0);
	/* a change behind the best: no change */
	cr_assert_eq(up(41, 100, LV(190.01, 50, 1), LV(190.07, 10, 1)), 0);
	cr_assert_eq(q->updates, 5);
	cr_assert_eq(q->changes, 3);

	/* venue 40 leaves the bid: 41 alone at 190.01 */
	cr_assert_eq(up(40, 7, NONE, LV(190.05, 400, 3)), 0 | RS_CBBO_CHANGED);
	expect_side(&q->bid, 190.01, 50, 1, 1, "bid after venue 40 left");
	/* venue 39 improves the ask */
	cr_assert_eq(up(39, 100, LV(190.00, 300, 2), LV(190.04, 5, 1)), 0 | RS_CBBO_CHANGED);
	expect_side(&q->ask, 190.04, 5, 1, 1, "ask");
	/* everybody leaves */
	up(39, 100, NONE, NONE);
	up(40, 7, NONE, NONE);
	up(41, 100, NONE, NONE);
	expect_side(&q->bid, 0, 0, 0, 0, "bid");
	expect_side(&q->ask, 0, 0, 0, 0, "ask");
}

Test(cbbo, crossed_and_locked_across_venues)
{
	rs_cbbo_bind(cb, 1, 5, "ES");
	rs_cbbo_bind(cb, 2, 5, "ES");
	const struct rs_cbbo_quote *q = rs_cbbo_get(cb, 0);
	up(1, 5, LV(4810.00, 10, 1), LV(4810.25, 10, 1));
	up(2, 5, LV(4809.75, 4, 1), LV(4810.00, 7, 2));
	cr_assert_eq(q->crossed, RS_CBBO_LOCKED);
	expect_side(&q->bid, 4810.00, 10, 1, 1, "bid");
	expect_side(&q->ask, 4810.00, 7, 2, 1, "ask");
	up(2, 5, LV(4809.75, 4, 1), LV(4809.75, 7, 2));
	cr_assert_eq(q->crossed, RS_CBBO_CROSSED);
	up(2, 5, LV(4809.75, 4, 1), LV(4810.50, 7, 2));
	cr_assert_eq(q->crossed, 0);
	expect_side(&q->ask, 4810.25, 10, 1, 1, "ask");
	/* one side empty: neither crossed nor locked */
	up(1, 5, NONE, LV(4810.25, 10, 1));
	up(2, 5, NONE, LV(4810.50, 7, 2));
	cr_assert_eq(q->crossed, 0);
}

Test(cbbo, symbols_are_separate_and_binding_rules)
{
	cr_assert_eq(rs_cbbo_bind(cb, 1, 10, "AAPL"), 0);
	cr_assert_eq(rs_cbbo_bind(cb, 1, 11, "MSFT"), 1);
	cr_assert_eq(rs_cbbo_bind(cb, 2, 10, "MSFT"), 1, "instrument 10 on publisher 2 is MSFT");
	cr_assert_eq(rs_cbbo_bind(cb, 1, 10, "AAPL"), 0, "same binding again");
	cr_assert_eq(rs_cbbo_bind(cb, 1, 10, "MSFT"), -EEXIST);
	cr_assert_eq(rs_cbbo_find(cb, "MSFT"), 1);
	cr_assert_eq(rs_cbbo_find(cb, "IBM"), -1);
	cr_assert_eq(rs_cbbo_bind(cb, 1, 12, ""), -EINVAL);
	cr_assert_eq(rs_cbbo_bind(cb, 1, 12, "A_SYMBOL_LONGER_THAN_23C"), -EINVAL);

	cr_assert_eq(up(1, 10, LV(10.00, 1, 1), LV(10.01, 1, 1)), 0 | RS_CBBO_CHANGED);
	cr_assert_eq(up(2, 10, LV(20.00, 2, 1), LV(20.01, 2, 1)), 1 | RS_CBBO_CHANGED);
	expect_side(&rs_cbbo_get(cb, 0)->bid, 10.00, 1, 1, 1, "AAPL bid");
	expect_side(&rs_cbbo_get(cb, 1)->bid, 20.00, 2, 1, 1, "MSFT bid");
	cr_assert_eq(rs_cbbo_get(cb, 1)->nvenues, 2);

	/* not bound: counted, nothing changes */
	cr_assert_eq(up(3, 10, LV(30.00, 1, 1), NONE), -1);
	cr_assert_eq(rs_cbbo_unbound(cb), 1);
	expect_side(&rs_cbbo_get(cb, 0)->bid, 10.00, 1, 1, 1, "AAPL bid unchanged");

	/* capacity: 3 venues per symbol, 4 symbols */
	cr_assert_eq(rs_cbbo_bind(cb, 3, 10, "AAPL"), 0);
	cr_assert_eq(rs_cbbo_bind(cb, 4, 10, "AAPL"), 0);
	cr_assert_eq(rs_cbbo_bind(cb, 5, 10, "AAPL"), -ENOSPC);
	cr_assert_eq(rs_cbbo_bind(cb, 1, 20, "IBM"), 2);
	cr_assert_eq(rs_cbbo_bind(cb, 1, 21, "GE"), 3);
	cr_assert_eq(rs_cbbo_bind(cb, 1, 22, "F"), -ENOSPC);
	cr_assert_eq(rs_cbbo_nsymbols(cb), 4);
	cr_assert_null(rs_cbbo_get(cb, 4));
}

Test(cbbo, create_limits)
{
	struct rs_cbbo *c = NULL;
	cr_assert_eq(rs_cbbo_create(&c, 0, 2), -EINVAL);
	cr_assert_eq(rs_cbbo_create(&c, 2, 0), -EINVAL);
	cr_assert_eq(rs_cbbo_create(&c, 2, 70000), -EINVAL);
	rs_cbbo_destroy(NULL);
}
