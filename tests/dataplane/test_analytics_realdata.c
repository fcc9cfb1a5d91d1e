/*
 * test_analytics_realdata.c - the real CME ES MBO session (Databento,
 * ../shared/data/dbn/nautilus) through the analytics: no NaN, no negative
 * volume, bars of every interval contiguous (each opens where the previous
 * closed, nbars counting up), aggressor volumes add up.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "controlplane/rs_evsource.h"
#include "dataplane/rs_analytics.h"
#include "dataplane/rs_book.h"
#include "rs_test.h"

#define NIV 6
static uint64_t last_close[NIV], nbars[NIV], volume[NIV], bars, bad;
static struct rs_analytics *an;

static void on_bar(void *ctx, const struct rs_bar *b)
{
	(void)ctx;
	unsigned k;
	for (k = 0; k < NIV && rs_analytics_interval(an, k) != b->interval_ns; k++)
		;
	cr_assert_lt(k, NIV);
	bars++;
	if (isnan(b->sma) || isnan(b->ema) || isnan(b->rsi) || isnan(b->rvol) || isnan(b->vwap_dev) ||
	    isinf(b->rvol) || b->rsi < 0 || b->rsi > 100 || b->rvol < 0)
		bad++;
	cr_assert_eq(b->buy_volume + b->sell_volume + b->unknown_volume, b->volume);
	cr_assert_eq(b->delta, (int64_t)b->buy_volume - (int64_t)b->sell_volume);
	cr_assert_eq(b->ts_close - b->ts_open, b->interval_ns);
	cr_assert_eq(b->ts_open % b->interval_ns, 0);
	if (nbars[k])
		cr_assert_eq(b->ts_open, last_close[k], "interval %u: gap before %lu", k,
			     (unsigned long)b->ts_open);
	cr_assert_eq(b->nbars, ++nbars[k]);
	if (b->volume) {
		cr_assert(b->low <= b->open && b->open <= b->high && b->low <= b->close &&
			  b->close <= b->high && b->low <= b->vwap && b->vwap <= b->high);
	}
	last_close[k] = b->ts_close;
	volume[k] += b->volume;
}

static void define(void *ctx, uint32_t id, const char *symbol, int64_t tick)
{
	(void)rs_book_define(ctx, id, symbol && *symbol ? symbol : NULL, tick);
}

Test(analytics_realdata, es_mbo_session_runs_clean, .timeout = 300)
{
	RS_TEST_NEED_DATA(path, "dbn/nautilus/esh4-glbx-mdp3-20231225.mbo.dbn.zst");
	struct rs_book *b;
	struct rs_book_cfg bc;
	rs_book_cfg_default(&bc);
	bc.max_orders = 1 << 20;
	bc.max_levels = 1 << 18;
	cr_assert_eq(rs_book_create(&b, &bc), 0);
	struct rs_analytics_cfg ac;
	rs_analytics_cfg_default(&ac);
	ac.on_bar = on_bar;
	cr_assert_eq(rs_analytics_create(&an, &ac), 0);
	rs_book_set_amend(b, rs_analytics_amend_bbo, an);
	struct rs_evsource *s;
	struct rs_evsrc_defs defs = {.ctx = b, .define = define};
	cr_assert_eq(rs_evsource_open(&s, path, RS_EVSRC_DBN, &defs), 0);
	static struct rs_event ev[1024];
	int n;
	while ((n = rs_evsource_next(s, ev, 1024)) > 0) {
		rs_analytics_replay(an, b, ev, (unsigned)n);
		rs_book_publish(b, NULL, NULL);
	}
	cr_assert_eq(n, 0);
	rs_analytics_flush(an);
	const struct rs_analytics_stats *st = rs_analytics_stats(an);
	cr_expect_eq(bad, 0);
	cr_expect_gt(st->trades, 1000);
	cr_expect_eq(bars, st->bars);
	for (unsigned k = 1; k < NIV; k++)
		cr_expect_eq(volume[k], volume[0], "every interval sees the same volume");
	int idx = rs_book_find(b, 17077);
	cr_assert_geq(idx, 0);
	struct rs_latest l;
	cr_assert_eq(rs_analytics_latest(an, idx, &l), 0);
	cr_expect_eq(l.session_volume, volume[0]);
	cr_expect(l.session_val <= l.session_poc && l.session_poc <= l.session_vah);
	cr_expect(!isnan(l.short_vol));
	struct rs_bbo m;
	cr_assert_eq(rs_analytics_micro(an, idx, &m), 0);
	cr_expect(m.microprice >= m.bid.price && m.microprice <= m.ask.price);
	fprintf(stderr, "ES: %lu trades, volume %lu, %lu bars, POC %ld VA %ld-%ld, OFI %ld\n",
		(unsigned long)st->trades, (unsigned long)volume[0], (unsigned long)bars,
		(long)l.session_poc, (long)l.session_val, (long)l.session_vah, (long)m.ofi);
	rs_evsource_close(s);
	rs_analytics_destroy(an);
	rs_book_destroy(b);
}
