/*
 * test_analytics.c - hand-built event sequences with literal expected
 * numbers: bar OHLCV/VWAP/aggressor volumes, a bar closing with no trade,
 * SMA/EMA/RSI/realized volatility after known closes, microprice / OFI /
 * imbalance over a known BBO path, POC and value area on a known profile,
 * aggressor classification (feed side, ITCH F+C, DBN T+F+C, Lee-Ready,
 * tick test).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "dataplane/rs_aggr.h"
#include "dataplane/rs_analytics.h"
#include "dataplane/rs_bars.h"
#include "dataplane/rs_book.h"

#define PX(x) ((int64_t)((x) * 1000000000.0 + ((x) >= 0 ? 0.5 : -0.5)))
#define SEC 1000000000ull
#define T0 (1000 * SEC)
#define IID 7u

static struct rs_book *bk;
static struct rs_analytics *an;
static struct rs_bar got[256];
static unsigned ngot;

static void sink(void *ctx, const struct rs_bar *b)
{
	(void)ctx;
	if (ngot < 256)
		got[ngot++] = *b;
}

static void mkbook(void)
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

static void mkan(const uint64_t *iv, unsigned niv, uint16_t len)
{
	struct rs_analytics_cfg c;
	memset(&c, 0, sizeof(c));
	for (unsigned k = 0; k < niv; k++)
		c.intervals_ns[k] = iv[k];
	c.sma_len = c.ema_len = c.rsi_len = len;
	c.rvol_len = len == 3 ? 2 : len;
	c.max_instruments = 8;
	c.max_active = 8;
	c.profile_levels = 64;
	c.on_bar = sink;
	cr_assert_eq(rs_analytics_create(&an, &c), 0);
	rs_book_set_amend(bk, rs_analytics_amend_bbo, an);
	ngot = 0;
}

static void teardown(void)
{
	rs_analytics_destroy(an);
	an = NULL;
	rs_book_destroy(bk);
	bk = NULL;
}

TestSuite(analytics, .init = mkbook, .fini = teardown);

static struct rs_event mk(uint64_t ts, char action, char side, uint64_t id, int64_t px, uint32_t size,
			  int last)
{
	struct rs_event e;
	memset(&e, 0, sizeof(e));
	e.mbo.hd.length = 14;
	e.mbo.hd.rtype = RS_RTYPE_MBO;
	e.mbo.hd.instrument_id = IID;
	e.mbo.hd.ts_event = ts;
	e.mbo.order_id = id;
	e.mbo.price = px;
	e.mbo.size = size;
	e.mbo.action = action;
	e.mbo.side = side;
	e.mbo.flags = last ? RS_F_LAST : 0;
	e.mbo.ts_recv = ts;
	return e;
}

static void feed(struct rs_event e)
{
	rs_analytics_replay(an, bk, &e, 1);
}

static void pubfn(void *c, uint32_t i, const struct rs_bbo *bbo, const struct rs_depth *d)
{
	(void)i;
	(void)d;
	*(struct rs_bbo *)c = *bbo;
}

static void trade(uint64_t ts, char side, double px, uint32_t q)
{
	feed(mk(ts, 'T', side, 0, PX(px), q, 1));
}

Test(analytics, bar_ohlcv_vwap_and_empty_bar)
{
	uint64_t iv[] = {SEC, 5 * SEC};
	mkan(iv, 2, 3);
	rs_analytics_tick(an, T0);
	trade(T0 + SEC / 10, 'B', 10.00, 100);
	trade(T0 + 2 * SEC / 10, 'A', 10.50, 200);
	trade(T0 + 5 * SEC / 10, 'N', 9.90, 60); /* no book: tick test, down -> sell */
	trade(T0 + 9 * SEC / 10, 'B', 10.10, 150);
	cr_assert_eq(ngot, 0);
	rs_analytics_tick(an, T0 + SEC); /* closes [1000 s, 1001 s) */
	cr_assert_eq(ngot, 1);
	struct rs_bar *b = &got[0];
	cr_expect_eq(b->instrument_id, IID);
	cr_expect_eq(b->interval_ns, SEC);
	cr_expect_eq(b->ts_open, T0);
	cr_expect_eq(b->ts_close, T0 + SEC);
	cr_expect_eq(b->flags & RS_BARF_EMPTY, 0);
	cr_expect_eq(b->open, PX(10.00));
	cr_expect_eq(b->high, PX(10.50));
	cr_expect_eq(b->low, PX(9.90));
	cr_expect_eq(b->close, PX(10.10));
	cr_expect_eq(b->volume, 510);
	/* (10*100 + 10.5*200 + 9.9*60 + 10.1*150) / 510 = 5209/510 = 10.2137254901... */
	cr_expect_eq(b->vwap, 10213725490);
	cr_expect_eq(b->buy_volume, 250);
	cr_expect_eq(b->sell_volume, 260);
	cr_expect_eq(b->unknown_volume, 0);
	cr_expect_eq(b->delta, -10);
	cr_expect_eq(b->trades, 4);
	cr_expect_eq(b->nbars, 1);
	cr_expect_eq(b->ts_emitted, T0 + SEC);
	cr_expect_float_eq(b->vwap_dev, (10.10 - 10.213725490) / 10.213725490, 1e-9);

	/* no trade follows: the clock alone closes the next bar, empty */
	rs_analytics_tick(an, T0 + 2 * SEC + 7);
	cr_assert_eq(ngot, 2);
	b = &got[1];
	cr_expect_eq(b->flags & RS_BARF_EMPTY, RS_BARF_EMPTY);
	cr_expect_eq(b->ts_open, T0 + SEC);
	cr_expect_eq(b->ts_close, T0 + 2 * SEC);
	cr_expect_eq(b->open, PX(10.10));
	cr_expect_eq(b->high, PX(10.10));
	cr_expect_eq(b->low, PX(10.10));
	cr_expect_eq(b->close, PX(10.10));
	cr_expect_eq(b->volume, 0);
	cr_expect_eq(b->trades, 0);
	cr_expect_eq(b->vwap, RS_UNDEF_PRICE);
	cr_expect_eq(b->nbars, 2);
	cr_expect_eq(b->ts_emitted, T0 + 2 * SEC + 7);

	/* jump to 1005 s: three empty 1 s bars, then the 5 s bar */
	rs_analytics_tick(an, T0 + 5 * SEC);
	cr_assert_eq(ngot, 6);
	cr_expect_eq(got[4].ts_close, T0 + 5 * SEC);
	cr_expect_eq(got[4].interval_ns, SEC);
	b = &got[5];
	cr_expect_eq(b->interval_ns, 5 * SEC);
	cr_expect_eq(b->ts_open, T0);
	cr_expect_eq(b->volume, 510);
	cr_expect_eq(b->vwap, 10213725490);
	cr_expect_eq(b->high, PX(10.50));
	cr_expect_eq(b->nbars, 1);
	const struct rs_analytics_stats *st = rs_analytics_stats(an);
	cr_expect_eq(st->trades, 4);
	cr_expect_eq(st->bars, 6);
	cr_expect_eq(st->bars_empty, 4);

	/* CSV/JSON text of a bar */
	char line[512];
	cr_assert_gt(rs_bar_format(&got[1], "XYZ", RS_BAR_FMT_CSV, line, sizeof(line)), 0);
	cr_expect_str_eq(line, "XYZ,7,1000000000,1001000000000,1002000000000,1,10100000000,10100000000,"
			       "10100000000,10100000000,,0,0,0,0,0,0,2,10100000000,10100000000,50,"
			       "0,0,1002000000007\n");
}

Test(analytics, features_after_known_closes)
{
	uint64_t iv[] = {SEC};
	mkan(iv, 1, 3); /* sma/ema/rsi 3, rvol 2 */
	double closes[] = {10, 11, 10.5, 12, 11};
	rs_analytics_tick(an, T0);
	for (unsigned i = 0; i < 5; i++) {
		trade(T0 + i * SEC + 1, 'B', closes[i], 10);
		rs_analytics_tick(an, T0 + (i + 1) * SEC);
	}
	cr_assert_eq(ngot, 5);
	cr_expect_eq(got[0].flags & RS_BARF_FEATURES, 0);
	cr_expect_float_eq(got[0].sma, 10e9, 1e-6);
	cr_expect_float_eq(got[0].ema, 10e9, 1e-6);
	cr_expect_eq(got[2].flags & RS_BARF_FEATURES, 0); /* 2 changes < rsi_len */
	cr_expect_eq(got[3].flags & RS_BARF_FEATURES, RS_BARF_FEATURES);
	/* after 10, 11, 10.5, 12: changes +1 -0.5 +1.5 -> RSI 100 - 100/(1 + 2.5/0.5) */
	cr_expect_float_eq(got[3].rsi, 100.0 - 100.0 / 6.0, 1e-9);
	const struct rs_bar *b = &got[4];
	cr_expect_float_eq(b->sma, 11166666666.666666, 1e-3);   /* (10.5 + 12 + 11)/3 */
	cr_expect_eq(b->ema, 11125000000.0);                     /* alpha 1/2: 10, 10.5, 10.5, 11.25, 11.125 */
	cr_expect_float_eq(b->rsi, 55.55555555555556, 1e-9);     /* Wilder: 5/9 vs 4/9 */
	cr_expect_float_eq(b->rvol, 0.15937883341860637, 1e-12); /* sqrt(ln(12/10.5)^2 + ln(11/12)^2) */
	cr_expect_float_eq(b->vwap_dev, 0.0, 1e-15);
	cr_expect_eq(b->nbars, 5);
}

Test(analytics, microprice_ofi_imbalance_over_bbo_path)
{
	uint64_t iv[] = {SEC};
	mkan(iv, 1, 3);
	uint64_t t = T0;
	feed(mk(t += 1, 'A', 'B', 1, PX(10.00), 100, 1)); /* e = +100 */
	feed(mk(t += 1, 'A', 'A', 2, PX(10.10), 200, 1)); /* -200 */
	feed(mk(t += 1, 'A', 'B', 3, PX(10.00), 50, 1));  /* +150 - 100 = +50 */
	feed(mk(t += 1, 'A', 'B', 4, PX(10.05), 30, 1));  /* +30 */
	feed(mk(t += 1, 'C', 'A', 2, PX(10.10), 50, 1));  /* -150 + 200 = +50 */
	feed(mk(t += 1, 'C', 'B', 4, PX(10.05), 30, 1));  /* bid back to 10.00: -30 */
	feed(mk(t += 1, 'A', 'A', 5, PX(10.10), 50, 1));  /* -200 + 150 = -50 */
	feed(mk(t += 1, 'A', 'A', 6, PX(10.20), 70, 1));  /* second level: BBO unchanged */
	struct rs_bbo m;
	int idx = rs_book_find(bk, IID);
	cr_assert_geq(idx, 0);
	cr_assert_eq(rs_analytics_micro(an, idx, &m), 0);
	cr_expect_eq(m.ofi, -50);
	/* (10.00*200 + 10.10*150) / 350 = 10.042857142857... */
	cr_expect_eq(m.microprice, 10042857142);
	/* top 5: bids 150, asks 200 + 70 -> (150 - 270)/420 */
	cr_expect_eq(m.imbalance_ppm, -285714);

	/* the same through the book's publication (amend hook) */
	struct rs_bbo pub;
	memset(&pub, 0, sizeof(pub));
	rs_book_publish(bk, NULL, NULL);
	feed(mk(t += 1, 'A', 'B', 7, PX(9.90), 10, 1)); /* deeper bid: BBO unchanged, e = 0 */
	cr_assert_eq(rs_book_publish(bk, pubfn, &pub), 1);
	cr_expect_eq(pub.ofi, -50);
	cr_expect_eq(pub.microprice, 10042857142);
	cr_expect_eq(pub.imbalance_ppm, (int32_t)((160 - 270) * 1000000LL / 430));

	struct rs_latest l;
	cr_expect_eq(rs_analytics_latest(an, idx, &l), -ENOENT); /* no trade yet */
	/* Lee-Ready against 10.00 / 10.10 (mid 10.05), then the tick test */
	trade(t += 1, 'N', 10.08, 10); /* above mid: buy */
	trade(t += 1, 'N', 10.02, 20); /* below: sell */
	trade(t += 1, 'N', 10.05, 40); /* at mid, up from 10.02: buy */
	trade(t += 1, 'N', 10.05, 80); /* at mid, unchanged: previous (buy) */
	cr_assert_eq(rs_analytics_latest(an, idx, &l), 0);
	cr_expect_eq(l.spread, PX(0.10));
	cr_expect_eq(l.mid, PX(10.05));
	cr_expect_eq(l.session_volume, 150);
	rs_analytics_tick(an, T0 + SEC);
	cr_assert_eq(ngot, 1);
	cr_expect_eq(got[0].buy_volume, 130);
	cr_expect_eq(got[0].sell_volume, 20);
	cr_expect_eq(got[0].unknown_volume, 0);
}

Test(analytics, aggressor_itch_fill_and_dbn_trade_fill)
{
	uint64_t iv[] = {SEC};
	mkan(iv, 1, 3);
	uint64_t t = T0;
	feed(mk(t += 1, 'A', 'B', 1, PX(10.00), 100, 1));
	feed(mk(t += 1, 'A', 'A', 2, PX(10.10), 100, 1));
	/* ITCH execution of the resting bid: F (completed by the book) + C -> sell 30 */
	struct rs_event f = mk(t += 1, 'F', 'N', 1, RS_UNDEF_PRICE, 30, 0);
	f.rs_flags = RS_EVF_INCOMPLETE;
	feed(f);
	struct rs_event c = mk(t, 'C', 'N', 1, RS_UNDEF_PRICE, 30, 1);
	c.rs_flags = RS_EVF_INCOMPLETE;
	feed(c);
	/* DBN: T (aggressor B) + F (resting A) + C in one event -> buy 40 once */
	feed(mk(t += 1, 'T', 'B', 0, PX(10.10), 40, 0));
	feed(mk(t, 'F', 'A', 2, PX(10.10), 40, 0));
	feed(mk(t, 'C', 'A', 2, PX(10.10), 40, 1));
	/* T with side N at the ask after that: above mid -> buy 5 */
	feed(mk(t += 1, 'T', 'N', 0, PX(10.10), 5, 1));
	rs_analytics_tick(an, T0 + SEC);
	cr_assert_eq(ngot, 1);
	cr_expect_eq(got[0].trades, 3);
	cr_expect_eq(got[0].volume, 75);
	cr_expect_eq(got[0].sell_volume, 30);
	cr_expect_eq(got[0].buy_volume, 45);
	cr_expect_eq(got[0].open, PX(10.00));
	cr_expect_eq(got[0].close, PX(10.10));

	/* rs_aggr alone: first trade ever, no book, side N -> unknown */
	struct rs_aggr_state st;
	rs_aggr_init(&st);
	struct rs_event e = mk(1, 'T', 'N', 0, PX(5), 1, 1);
	cr_assert_eq(rs_aggr_trade(&st, &e), 1);
	cr_expect_eq(rs_aggr_side(&st, &e, RS_UNDEF_PRICE, RS_UNDEF_PRICE), 'N');
	e.mbo.action = 'C';
	cr_expect_eq(rs_aggr_trade(&st, &e), 0);
}

Test(analytics, volume_profile_poc_value_area)
{
	uint64_t iv[] = {60 * SEC};
	mkan(iv, 1, 3);
	struct { double px; uint32_t q; } p[] = {
		{10.02, 200}, {10.00, 100}, {10.01, 300}, {10.04, 400},
		{10.03, 200}, {10.05, 100}, {10.02, 300},
	};
	uint64_t t = T0;
	for (unsigned i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		trade(t += 1, 'B', p[i].px, p[i].q);
	struct rs_latest l;
	int idx = rs_book_find(bk, IID);
	cr_assert_eq(rs_analytics_latest(an, idx, &l), 0);
	/* 1600 total, 70 % = 1120: POC 10.02 (500) + 10.01 (300 > 200) + 10.03
	 * (200 > 100) + 10.04 (400) = 1400 */
	cr_expect_eq(l.session_volume, 1600);
	cr_expect_eq(l.session_poc, PX(10.02));
	cr_expect_eq(l.session_val, PX(10.01));
	cr_expect_eq(l.session_vah, PX(10.04));
	cr_expect_eq(l.instrument_id, IID);
	cr_expect_eq(l.nintervals, 1);
}

Test(analytics, clock_backwards_ignored_and_flush)
{
	uint64_t iv[] = {SEC, 5 * SEC};
	mkan(iv, 2, 3);
	rs_analytics_tick(an, T0 + 3 * SEC);
	trade(T0 + 3 * SEC + 5, 'B', 1.0, 1);
	rs_analytics_tick(an, T0); /* backwards: ignored */
	cr_expect_eq(ngot, 0);
	rs_analytics_flush(an); /* to 1005 s: 1 s bars 1003, 1004 and the 5 s bar */
	cr_assert_eq(ngot, 3);
	cr_expect_eq(got[0].ts_open, T0 + 3 * SEC);
	cr_expect_eq(got[1].ts_open, T0 + 4 * SEC);
	cr_expect_eq(got[1].flags & RS_BARF_EMPTY, RS_BARF_EMPTY);
	cr_expect_eq(got[2].interval_ns, 5 * SEC);
	cr_expect_eq(got[2].ts_open, T0);
}

Test(analytics, config_errors)
{
	struct rs_analytics_cfg c;
	rs_analytics_cfg_default(&c);
	c.intervals_ns[1] = c.intervals_ns[0];
	struct rs_analytics *x = NULL;
	cr_expect_eq(rs_analytics_create(&x, &c), -EINVAL);
	rs_analytics_cfg_default(&c);
	c.sma_len = 5000;
	cr_expect_eq(rs_analytics_create(&x, &c), -EINVAL);
	mkan((uint64_t[]){SEC}, 1, 3);
	cr_expect_eq(rs_analytics_nintervals(an), 1);
	char buf[16];
	cr_expect_str_eq(rs_bar_interval_name(300 * SEC, buf, sizeof(buf)), "5m");
	cr_expect_eq(rs_bar_parse_interval("15s"), 15 * SEC);
	cr_expect_eq(rs_bar_parse_interval("1m"), 60 * SEC);
	cr_expect_eq(rs_bar_parse_interval("x"), 0);
}

struct barbuf {
	struct rs_bar b[64];
	unsigned n;
};

static void sink2(void *ctx, const struct rs_bar *b)
{
	struct barbuf *x = ctx;
	if (x->n < 64)
		x->b[x->n++] = *b;
}

static struct rs_analytics *mkan2(uint64_t iv, struct barbuf *x)
{
	struct rs_analytics_cfg c;
	memset(&c, 0, sizeof(c));
	c.intervals_ns[0] = iv;
	c.sma_len = c.ema_len = c.rsi_len = 3;
	c.rvol_len = 2;
	c.max_instruments = 8;
	c.max_active = 8;
	c.profile_levels = 64;
	c.on_bar = sink2;
	c.on_bar_ctx = x;
	struct rs_analytics *a = NULL;
	cr_assert_eq(rs_analytics_create(&a, &c), 0);
	return a;
}

/* Longer bars are rolled up from the shorter bars that tile them (6 s from
 * 2 s from 1 s here, listed out of order): the same bytes as an engine that
 * accumulates the 2 s or the 6 s bars straight from the trades, emitted per
 * instrument in configuration order. */
Test(analytics, rolled_up_bars_equal_direct_bars)
{
	uint64_t iv[] = {6 * SEC, SEC, 2 * SEC};
	mkan(iv, 3, 3);
	static struct barbuf d2, d6;
	d2.n = d6.n = 0;
	struct rs_analytics *a2 = mkan2(2 * SEC, &d2), *a6 = mkan2(6 * SEC, &d6);
	static const struct { double t, px; uint32_t q; char side; } tr[] = {
		{0.1, 10.00, 100, 'B'}, {0.7, 10.20, 50, 'A'}, {1.5, 9.90, 70, 'N'}, {3.2, 10.40, 10, 'B'},
		{3.3, 10.40, 20, 'N'}, {7.9, 9.80, 300, 'A'}, {8.0, 9.85, 5, 'B'}, {11.99, 10.10, 40, 'N'},
	};
	rs_analytics_tick(an, T0);
	rs_analytics_tick(a2, T0);
	rs_analytics_tick(a6, T0);
	for (unsigned i = 0; i < sizeof(tr) / sizeof(tr[0]); i++) {
		uint64_t ts = T0 + 2 * SEC + (uint64_t)(tr[i].t * 1e9); /* 6 s bars: [1002 s, 1008 s) ... */
		struct rs_event e = mk(ts, 'T', tr[i].side, 0, PX(tr[i].px), tr[i].q, 1);
		rs_analytics_replay(an, bk, &e, 1); /* 'T' does not change the book */
		int idx = rs_book_find(bk, IID);
		rs_analytics_tick(a2, ts);
		rs_analytics_on_event(a2, &e, bk, idx);
		rs_analytics_tick(a6, ts);
		rs_analytics_on_event(a6, &e, bk, idx);
	}
	rs_analytics_tick(an, T0 + 20 * SEC);
	rs_analytics_tick(a2, T0 + 20 * SEC);
	rs_analytics_tick(a6, T0 + 20 * SEC);
	cr_assert_eq(d2.n, 9);
	cr_assert_eq(d6.n, 3);
	cr_assert_eq(ngot, 18 + 9 + 3);
	unsigned n2 = 0, n6 = 0;
	for (unsigned i = 0; i < ngot; i++) {
		if (got[i].interval_ns == 2 * SEC)
			cr_expect_eq(memcmp(&got[i], &d2.b[n2++], sizeof(got[i])), 0, "2 s bar %u", n2 - 1);
		else if (got[i].interval_ns == 6 * SEC)
			cr_expect_eq(memcmp(&got[i], &d6.b[n6++], sizeof(got[i])), 0, "6 s bar %u", n6 - 1);
	}
	cr_expect_eq(n2, 9);
	cr_expect_eq(n6, 3);
	/* at 1008 s: the 6 s bar first, then 1 s, then 2 s (configuration order) */
	cr_expect_eq(got[7].interval_ns, 6 * SEC);
	cr_expect_eq(got[8].interval_ns, SEC);
	cr_expect_eq(got[9].interval_ns, 2 * SEC);
	/* [1002, 1008): 5 trades, 250 shares, high 10.40, low 9.90, close 10.40 */
	cr_expect_eq(got[7].trades, 5);
	cr_expect_eq(got[7].volume, 250);
	cr_expect_eq(got[7].open, PX(10.00));
	cr_expect_eq(got[7].high, PX(10.40));
	cr_expect_eq(got[7].low, PX(9.90));
	cr_expect_eq(got[7].close, PX(10.40));
	/* (1000 + 510 + 693 + 104 + 208) / 250 = 10.06 */
	cr_expect_eq(got[7].vwap, 10060000000);
	rs_analytics_destroy(a2);
	rs_analytics_destroy(a6);
}
