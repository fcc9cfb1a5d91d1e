/* test_ifd.c - IFD.md section 7: literal expected values for the pressure
 * window, OFI, baseline statistics, the signal decision (fires / must not
 * fire / persistence / cooldown / hysteresis / immature), patterns and the
 * quality score, driven through the book and the engine as the daemon
 * does (rs_book_apply then rs_ifd_on_event, rs_ifd_tick). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_baseline.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_ifd.h"
#include "dataplane/rs_pressure.h"
#include "dataplane/rs_quality.h"

#define PX(x) ((int64_t)((x) * 1000000000.0 + ((x) >= 0 ? 0.5 : -0.5)))
#define IID 1u
#define S 1000000000ull
/* 2024-01-02 (Tuesday) 10:00:00 EST = 15:00 UTC: bucket 6 of W = 5 min */
#define T10 ((1704153600ull + 15 * 3600) * S)

static struct rs_book *bk;
static struct rs_ifd *ifd;
static struct rs_baseline *bl;

struct sink {
	struct rs_pressure p[1024];
	int np;
	struct rs_signal s[32];
	int ns;
	struct rs_pattern pat[32];
	int npat;
	uint32_t alert_inst[8], alert_score[8];
	int nal;
};
static struct sink sk;

static void on_p(void *c, const struct rs_pressure *p)
{
	(void)c;
	if (sk.np < 1024)
		sk.p[sk.np++] = *p;
}
static void on_s(void *c, const struct rs_signal *s)
{
	(void)c;
	if (sk.ns < 32)
		sk.s[sk.ns++] = *s;
}
static void on_pat(void *c, const struct rs_pattern *p)
{
	(void)c;
	if (sk.npat < 32)
		sk.pat[sk.npat++] = *p;
}
static void on_al(void *c, uint8_t feed, uint32_t inst, uint32_t score)
{
	(void)c;
	(void)feed;
	if (sk.nal < 8) {
		sk.alert_inst[sk.nal] = inst;
		sk.alert_score[sk.nal++] = score;
	}
}

static void mkbook(void)
{
	struct rs_book_cfg c;
	rs_book_cfg_default(&c);
	c.max_instruments = 8;
	c.max_orders = 256;
	c.max_levels = 64;
	c.ladder_arena = 512;
	c.max_ladder = 64;
	c.depth = 5;
	cr_assert_eq(rs_book_create(&bk, &c), 0);
	cr_assert_geq(rs_book_define(bk, IID, "TEST", 0), 0);
}

static void cfg_base(struct rs_ifd_cfg *c)
{
	rs_ifd_cfg_default(c);
	c->max_instruments = 8;
	c->on_pressure = on_p;
	c->on_signal = on_s;
	c->on_pattern = on_pat;
	c->on_alert = on_al;
}

static void setup(void)
{
	memset(&sk, 0, sizeof(sk));
	mkbook();
	struct rs_ifd_cfg c;
	cfg_base(&c);
	cr_assert_eq(rs_ifd_create(&ifd, &c), 0, "%s", "create");
}

static void teardown(void)
{
	rs_ifd_destroy(ifd);
	rs_book_destroy(bk);
	rs_baseline_destroy(bl);
	ifd = NULL;
	bk = NULL;
	bl = NULL;
}

static void ev(char act, char side, uint64_t id, double px, uint32_t size, uint64_t ts)
{
	struct rs_event e;
	memset(&e, 0, sizeof(e));
	e.mbo.hd.length = 14;
	e.mbo.hd.rtype = RS_RTYPE_MBO;
	e.mbo.hd.publisher_id = 3;
	e.mbo.hd.instrument_id = IID;
	e.mbo.hd.ts_event = ts;
	e.mbo.order_id = id;
	e.mbo.price = px == 0 ? RS_UNDEF_PRICE : PX(px);
	e.mbo.size = size;
	e.mbo.flags = RS_F_LAST;
	e.mbo.action = act;
	e.mbo.side = side;
	e.mbo.ts_recv = ts;
	rs_book_apply(bk, &e);
	rs_ifd_on_event(ifd, &e, bk, rs_book_find(bk, IID));
}

static const struct rs_pressure *find_p(uint64_t W, uint64_t start)
{
	for (int i = 0; i < sk.np; i++)
		if (sk.p[i].window_ns == W && sk.p[i].ts_start == start)
			return &sk.p[i];
	return NULL;
}

TestSuite(ifd, .init = setup, .fini = teardown);

/* ---- section 2: a window with known volumes ---- */
Test(ifd, window_known_volumes)
{
	uint64_t t = T10 + 10 * S;
	ev('A', 'B', 1, 10.00, 100, t);
	ev('A', 'A', 2, 10.02, 200, t + 1);
	ev('A', 'A', 3, 10.03, 300, t + 2);
	ev('F', 'A', 2, 10.02, 50, t + 3); /* ITCH execution of the resting ask: buy 50 */
	ev('C', 'A', 2, 10.02, 50, t + 3); /* its book side: not a cancel */
	ev('F', 'B', 1, 10.00, 30, t + 4); /* resting bid executed: sell 30 */
	ev('C', 'B', 1, 10.00, 30, t + 4);
	ev('T', 'N', 0, 10.03, 20, t + 5); /* no side: Lee-Ready, above mid 10.01 -> buy */
	ev('C', 'A', 3, 10.03, 100, t + 6); /* a real cancel */
	rs_ifd_tick(ifd, T10 + 300 * S);

	const struct rs_pressure *p = find_p(300 * S, T10);
	cr_assert_not_null(p);
	cr_assert_eq(p->instrument_id, IID);
	cr_assert_eq(p->ts_end, T10 + 300 * S);
	cr_assert_eq(p->buy_volume, 70);
	cr_assert_eq(p->sell_volume, 30);
	cr_assert_eq(p->unknown_volume, 0);
	cr_assert_eq(p->buy_trades, 2);
	cr_assert_eq(p->sell_trades, 1);
	cr_assert_eq(p->large_buy_trades, 0); /* large = 100 without a baseline */
	cr_assert_eq(p->bid_added, 100);
	cr_assert_eq(p->ask_added, 500);
	cr_assert_eq(p->bid_cancelled, 0);
	cr_assert_eq(p->ask_cancelled, 100);
	cr_assert_float_eq(p->vi, 0.4, 1e-15);
	cr_assert_float_eq(p->pressure_ratio, 70.0 / 30.0, 1e-15);
	cr_assert_eq(p->vwap, PX(10.016));
	cr_assert_eq(p->first_ts, t);
	cr_assert_eq(p->last_ts, t + 6);
	cr_assert_eq(p->event_count, 9);
	cr_assert_eq(p->flags, 0);
	/* the 1 s and 1 min windows of the same events closed as well */
	const struct rs_pressure *p1 = find_p(S, T10 + 10 * S);
	cr_assert_not_null(p1);
	cr_assert_eq(p1->buy_volume, 70);
	cr_assert_not_null(find_p(60 * S, T10));
	/* an empty 1 s window inside the session for an instrument that traded */
	const struct rs_pressure *e = find_p(S, T10 + 12 * S);
	cr_assert_not_null(e);
	cr_assert_eq(e->flags, RS_PRESSF_EMPTY);
	cr_assert_eq(e->vwap, RS_UNDEF_PRICE);
	cr_assert_float_eq(e->pressure_ratio, 1.0, 0);
	cr_assert_float_eq(e->vi, 0.0, 0);
}

Test(ifd, ratio_and_vi_edges)
{
	cr_assert(isinf(rs_pressure_ratio(5, 0)));
	cr_assert_float_eq(rs_pressure_ratio(0, 0), 1.0, 0);
	cr_assert_float_eq(rs_pressure_ratio(3, 6), 0.5, 0);
	cr_assert_float_eq(rs_pressure_vi(0, 0), 0.0, 0);
	cr_assert_float_eq(rs_pressure_vi(0, 10), -1.0, 0);
	/* DBN: 'T' carries the aggressor, its 'F's are the same trade */
	ev('A', 'A', 9, 20.00, 500, T10 + 1);
	struct rs_event e;
	(void)e;
	ev('T', 'A', 0, 20.00, 40, T10 + 2); /* seller initiated per the feed */
	rs_ifd_tick(ifd, T10 + 300 * S);
	const struct rs_pressure *p = find_p(300 * S, T10);
	cr_assert_not_null(p);
	cr_assert_eq(p->sell_volume, 40);
	cr_assert_eq(p->buy_volume, 0);
	cr_assert(isfinite(p->pressure_ratio));
	cr_assert_float_eq(p->pressure_ratio, 0.0, 0);
}

/* ---- section 2: OFI over a known BBO path ---- */
Test(ifd, ofi_known_path)
{
	struct rs_ofi_bbo s[] = {
		{PX(10.00), PX(10.02), 100, 200}, {PX(10.00), PX(10.02), 150, 200}, /* +50 */
		{PX(10.01), PX(10.02), 40, 200},                                    /* +40 */
		{PX(10.01), PX(10.02), 40, 120},                                    /* +80 */
		{PX(10.01), PX(10.03), 40, 300},                                    /* +120 */
		{PX(10.00), PX(10.03), 150, 300},                                   /* -40 */
	};
	int64_t want[] = {50, 40, 80, 120, -40}, sum = 0;
	for (int i = 0; i < 5; i++) {
		int64_t e = rs_ofi_step(&s[i], &s[i + 1]);
		cr_assert_eq(e, want[i], "step %d: %lld", i, (long long)e);
		sum += e;
	}
	cr_assert_eq(sum, 250);

	/* the same path through the book: from an empty book the two first
	 * adds contribute +100 (bid appears) and -200 (ask appears) */
	uint64_t t = T10 + 20 * S;
	ev('A', 'B', 1, 10.00, 100, t);
	ev('A', 'A', 2, 10.02, 200, t + 1);
	ev('A', 'B', 3, 10.00, 50, t + 2);
	ev('A', 'B', 4, 10.01, 40, t + 3);
	ev('C', 'A', 2, 10.02, 80, t + 4);
	ev('A', 'A', 5, 10.03, 300, t + 5);
	ev('C', 'A', 2, 10.02, 120, t + 6);
	ev('C', 'B', 4, 10.01, 40, t + 7);
	rs_ifd_tick(ifd, T10 + 300 * S);
	const struct rs_pressure *p = find_p(300 * S, T10);
	cr_assert_not_null(p);
	cr_assert_eq(p->ofi, 100 - 200 + 250);
	/* avg depth over the 8 boundaries: 100, 300, 350, 240, 160, 160, 340, 450 */
	cr_assert_float_eq(p->avg_depth, (100 + 300 + 350 + 240 + 160 + 160 + 340 + 450) / 8.0, 1e-12);
	cr_assert_eq(p->bid_cancelled, 40);
	cr_assert_eq(p->ask_cancelled, 200);
}

/* ---- section 3: baseline statistics ---- */
Test(ifd, stats_known_values)
{
	double v[] = {100, 3, 1, 4, 2};
	double mean, sd;
	rs_stats_mean_sd(v, 5, &mean, &sd);
	cr_assert_float_eq(mean, 22.0, 1e-12);
	cr_assert_float_eq(sd, 43.617656975128774, 1e-12);
	double med = rs_stats_median(v, 5);
	cr_assert_float_eq(med, 3.0, 0);
	double mad = rs_stats_mad(v, 5, med);
	cr_assert_float_eq(mad, 1.0, 0);
	double e[] = {4, 1, 3, 2};
	double me = rs_stats_median(e, 4);
	cr_assert_float_eq(me, 2.5, 0);
	double z[] = {0, 0, 0, 0, 0, 1, 0, 0, -1};
	double mz = rs_stats_median(z, 9);
	cr_assert_float_eq(mz, 0.0, 0);
}

/* The non-empty window population (rs_baseline.h): vi, ofi and VOLNE over
 * the windows with aggressor volume, volume and large count over all
 * windows (empty ones as 0). Expected values computed independently
 * (Python statistics module) for vi {1, -1, 0.5}, ofi {0.2, -0.4, 0.1},
 * volume {100, 50, 30}, large {1, 0, 0}, 5 windows of which 3 non-empty. */
Test(ifd, cell_nonempty_population)
{
	const float rows[] = {1, 0.2f, 100, 1, -1, -0.4f, 50, 0, 0.5f, 0.1f, 30, 0};
	double scratch[3];
	struct rs_bl_cell c;
	memset(&c, 0, sizeof(c));
	rs_bl_cell_from_rows(&c, rows, 3, 5, scratch);
	cr_assert_eq(c.n, 5);
	cr_assert_eq(c.ne, 3);
	cr_assert_float_eq(c.mean[RS_BL_VI], 0.16666666666666666, 1e-7);
	cr_assert_float_eq(c.m2[RS_BL_VI], 2.166666666666667, 1e-6);
	cr_assert_float_eq(c.med[RS_BL_VI], 0.5, 0);
	cr_assert_float_eq(c.mad[RS_BL_VI], 0.5, 0);
	cr_assert_float_eq(c.mean[RS_BL_OFI], -0.03333333333333333, 1e-7);
	cr_assert_float_eq(c.m2[RS_BL_OFI], 0.20666666666666672, 1e-7);
	cr_assert_float_eq(c.med[RS_BL_OFI], 0.1, 1e-7);
	cr_assert_float_eq(c.mean[RS_BL_VOLNE], 60, 0);
	cr_assert_float_eq(c.m2[RS_BL_VOLNE], 2600, 1e-3);
	cr_assert_float_eq(c.med[RS_BL_VOLNE], 50, 0);
	cr_assert_float_eq(c.mad[RS_BL_VOLNE], 20, 0);
	/* volume over all 5 windows {100, 50, 30, 0, 0} */
	cr_assert_float_eq(c.mean[RS_BL_VOL], 36, 0);
	cr_assert_float_eq(c.m2[RS_BL_VOL], 6920, 1e-3);
	cr_assert_float_eq(c.med[RS_BL_VOL], 30, 0);
	cr_assert_float_eq(c.mad[RS_BL_VOL], 30, 0);
	cr_assert_float_eq(c.mean[RS_BL_LARGE], 0.2, 1e-7);
	cr_assert_float_eq(c.m2[RS_BL_LARGE], 0.8, 1e-6);
	cr_assert_float_eq(c.med[RS_BL_LARGE], 0, 0);
	/* as a one-session baseline: sd over the population of each metric */
	struct rs_bl_geom g = {.nwin = 1, .days = 20, .window_ns = {60 * S}, .bucket_ns = 300 * S,
			       .session_ns = 390 * 60 * S};
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	struct rs_bl_cell cells[78];
	memset(cells, 0, sizeof(cells));
	cells[0] = c;
	cr_assert_eq(rs_baseline_add(bl, "X", 1, 20240102, 0, cells), 0);
	const struct rs_bl_stat *st = rs_baseline_stat(bl, rs_baseline_find(bl, "X"), 0, 0);
	cr_assert_eq(st->samples, 1);
	cr_assert_eq(st->sessions, 1);
	cr_assert_float_eq(st->sd[RS_BL_VI], 1.0408329997330663, 1e-6);
	cr_assert_float_eq(st->sd[RS_BL_VOL], 41.593268686170845, 1e-5);
	cr_assert_float_eq(st->sd[RS_BL_LARGE], 0.4472135954999579, 1e-6);
	cr_assert_float_eq(st->med[RS_BL_VOLNE], 50, 0);
}

Test(ifd, stats_with_zeros)
{
	/* (the helpers overwrite their input: one call per value) */
	double a[] = {3, -2, 7}; /* + 4 zeros: -2 0 0 0 0 3 7 */
	double m = rs_stats_median_z(a, 3, 4), d;
	cr_assert_float_eq(m, 0, 0);
	d = rs_stats_mad_z(a, 3, 4, m);
	cr_assert_float_eq(d, 0, 0);
	double b[] = {3, -2, 7, 9}; /* + 1 zero: median 3, deviations 0 5 4 6 3 -> 4 */
	m = rs_stats_median_z(b, 4, 1);
	cr_assert_float_eq(m, 3, 0);
	d = rs_stats_mad_z(b, 4, 1, m);
	cr_assert_float_eq(d, 4, 0);
	double c[] = {5, 6, 7}; /* + 2 zeros: median 5, deviations 0 1 2 5 5 -> 2 */
	m = rs_stats_median_z(c, 3, 2);
	cr_assert_float_eq(m, 5, 0);
	d = rs_stats_mad_z(c, 3, 2, m);
	cr_assert_float_eq(d, 2, 0);
	double e[] = {4, 1}; /* + 2 zeros: 0 0 1 4 -> 0.5 */
	m = rs_stats_median_z(e, 2, 2);
	cr_assert_float_eq(m, 0.5, 0);
}

static struct rs_bl_geom geom5m(uint32_t days)
{
	struct rs_bl_geom g = {.nwin = 1, .days = days, .window_ns = {300 * S}, .bucket_ns = 300 * S,
			       .session_ns = 390 * 60 * S};
	cr_assert_eq(rs_bl_geom_derive(&g), 0);
	return g;
}

Test(ifd, baseline_known_values)
{
	struct rs_bl_geom g = geom5m(20);
	cr_assert_eq(g.nbuckets[0], 78);
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	double vals[] = {0.1, 0.3, -0.2, 0.5, 0.0};
	struct rs_bl_cell cells[78];
	for (int d = 0; d < 5; d++) {
		memset(cells, 0, sizeof(cells));
		for (int m = 0; m < RS_BL_METRICS; m++) {
			double x = vals[d] * (m + 1);
			rs_bl_cell_set(&cells[6], m, &x, 1);
		}
		cr_assert_eq(rs_baseline_add(bl, "TEST", 1, 20240102 + d, 100.0f + d, cells), 0);
	}
	const struct rs_bl_inst *in = rs_baseline_find(bl, "TEST");
	cr_assert_not_null(in);
	cr_assert_eq(in->nsess, 5);
	cr_assert_eq(in->large_size, 102);
	const struct rs_bl_stat *st = rs_baseline_stat(bl, in, 0, 6);
	cr_assert_eq(st->samples, 5);
	/* float storage: 1e-7 relative */
	cr_assert_float_eq(st->mean[RS_BL_VI], 0.14, 1e-7);
	cr_assert_float_eq(st->sd[RS_BL_VI], 0.27018512172212594, 1e-7);
	cr_assert_float_eq(st->med[RS_BL_VI], 0.1, 1e-7);
	cr_assert_float_eq(st->mad[RS_BL_VI], 0.2, 1e-7);
	cr_assert_float_eq(st->mean[RS_BL_VOL], 0.42, 1e-6);
	cr_assert_eq(rs_baseline_stat(bl, in, 0, 7)->samples, 0);
	/* same date again replaces, not adds */
	memset(cells, 0, sizeof(cells));
	double x = 0.9;
	rs_bl_cell_set(&cells[6], RS_BL_VI, &x, 1);
	cr_assert_eq(rs_baseline_add(bl, "TEST", 1, 20240102, 0, cells), 0);
	st = rs_baseline_stat(bl, in, 0, 6);
	cr_assert_eq(st->samples, 5);
	cr_assert_float_eq(st->med[RS_BL_VI], 0.3, 1e-7); /* {0.9,0.3,-0.2,0.5,0} */
	cr_assert_eq(rs_baseline_sessions(bl), 5);
}

Test(ifd, baseline_pooled_windows)
{
	/* 1 min windows in 5 min buckets: pooled mean/sd over all windows,
	 * median of medians, median of MADs */
	struct rs_bl_geom g = {.nwin = 1, .days = 20, .window_ns = {60 * S}, .bucket_ns = 300 * S,
			       .session_ns = 390 * 60 * S};
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	cr_assert_eq(bl->g.per_bucket[0], 5);
	double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
	struct rs_bl_cell cells[78];
	memset(cells, 0, sizeof(cells));
	rs_bl_cell_set(&cells[0], RS_BL_VI, a, 5);
	cr_assert_eq(rs_baseline_add(bl, "X", 1, 20240102, 0, cells), 0);
	rs_bl_cell_set(&cells[0], RS_BL_VI, b, 5);
	cr_assert_eq(rs_baseline_add(bl, "X", 1, 20240103, 0, cells), 0);
	const struct rs_bl_stat *st = rs_baseline_stat(bl, rs_baseline_find(bl, "X"), 0, 0);
	cr_assert_eq(st->samples, 2);
	cr_assert_float_eq(st->mean[RS_BL_VI], 5.5, 1e-6);
	cr_assert_float_eq(st->sd[RS_BL_VI], 3.0276503540974917, 1e-6); /* sd of 1..10 */
	cr_assert_float_eq(st->med[RS_BL_VI], 5.5, 1e-6);               /* median of 3 and 8 */
	cr_assert_float_eq(st->mad[RS_BL_VI], 1.0, 1e-6);               /* MAD of each is 1 */
}

Test(ifd, calendar)
{
	struct rs_session_cal c;
	rs_session_cal_default(&c);
	uint64_t off;
	cr_assert_eq(rs_session_date(&c, T10), 20240102);
	cr_assert_eq(rs_session_offset(&c, T10, &off), 0);
	cr_assert_eq(off, 30 * 60 * S);
	cr_assert_eq(rs_session_offset(&c, T10 - 31 * 60 * S, &off), -1); /* 09:29 */
	cr_assert_eq(rs_session_offset(&c, T10 + 6 * 3600 * S, &off), -1); /* 16:00 */
	cr_assert_eq(rs_session_offset(&c, T10 + 4 * 86400 * S, &off), -1); /* Saturday */
	cr_assert_eq(rs_session_is_day(&c, 20240106), 0);
	cr_assert_eq(rs_session_is_day(&c, 20240108), 1);
	c.holidays[c.nholidays++] = 20240108;
	cr_assert_eq(rs_session_is_day(&c, 20240108), 0);
}

/* ---- section 4: the signal decision ---- */

/* Baseline: every bucket of "TEST" over `days` sessions: vi alternating
 * +-0.125 (mean 0, sd sqrt(days*0.015625/(days-1)), median 0, MAD 0.125),
 * ofi/depth +-1, volume 100 (also the non-empty windows' volume, the
 * default min_volume), trade-size p95 50. */
static void mk_baseline(uint32_t days, struct rs_ifd_cfg *c)
{
	struct rs_bl_geom g;
	rs_ifd_geom(c, &g);
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	struct rs_bl_cell *cells = calloc(g.ncells, sizeof(*cells));
	for (uint32_t d = 0; d < days; d++) {
		for (uint32_t k = 0; k < g.ncells; k++) {
			double x = (d % 2) ? 0.125 : -0.125;
			rs_bl_cell_set(&cells[k], RS_BL_VI, &x, 1);
			x = (d % 2) ? 1 : -1;
			rs_bl_cell_set(&cells[k], RS_BL_OFI, &x, 1);
			x = 100;
			rs_bl_cell_set(&cells[k], RS_BL_VOL, &x, 1);
			x = 0;
			rs_bl_cell_set(&cells[k], RS_BL_LARGE, &x, 1);
			x = 100;
			rs_bl_cell_set(&cells[k], RS_BL_VOLNE, &x, 1);
		}
		cr_assert_eq(rs_baseline_add(bl, "TEST", IID, 20231201 + d, 50.0f, cells), 0);
	}
	free(cells);
}

static void engine_5m(uint32_t days, bool allow_immature)
{
	rs_ifd_destroy(ifd);
	struct rs_ifd_cfg c;
	cfg_base(&c);
	c.nwin = 1;
	c.windows_ns[0] = 300 * S;
	c.allow_immature = allow_immature;
	cr_assert_eq(rs_ifd_create(&ifd, &c), 0);
	mk_baseline(days, &c);
	rs_ifd_set_baseline(ifd, bl);
	/* a resting book built before the windows under test (09:50) */
	ev('A', 'B', 1, 10.00, 1000, T10 - 600 * S);
	ev('A', 'A', 2, 10.02, 1000, T10 - 600 * S + 1);
}

/* One 5 min window k (0 = 10:00): DBN trades with the aggressor side. */
static void window(int k, const uint32_t *buys, int nb, const uint32_t *sells, int ns)
{
	uint64_t t = T10 + (uint64_t)k * 300 * S + S;
	for (int i = 0; i < nb; i++)
		ev('T', 'B', 0, 10.02, buys[i], t + (uint64_t)i);
	for (int i = 0; i < ns; i++)
		ev('T', 'A', 0, 10.00, sells[i], t + 100 + (uint64_t)i);
	rs_ifd_tick(ifd, T10 + (uint64_t)(k + 1) * 300 * S);
}

static const uint32_t B70[] = {40, 30}, B70L[] = {60, 10}, S30[] = {30}, B78L[] = {60, 18}, S22[] = {22};

Test(ifd, signal_fires_with_confidence)
{
	engine_5m(20, false);
	window(0, B70, 2, S30, 1); /* vi 0.4, z 3.119: persistence not yet met */
	cr_assert_eq(sk.ns, 0);
	window(1, B70L, 2, S30, 1); /* vi 0.4 + a large buy: fires */
	cr_assert_eq(sk.ns, 1);
	const struct rs_signal *s = &sk.s[0];
	cr_assert_eq(s->instrument_id, IID);
	cr_assert_eq(s->publisher_id, 3);
	cr_assert_eq(s->direction, RS_SIDE_BID);
	cr_assert_eq(s->window_ns, 300 * S);
	cr_assert_eq(s->ts_start, T10 + 300 * S);
	cr_assert_eq(s->ts_end, T10 + 600 * S);
	cr_assert_float_eq(s->vi, 0.4, 1e-15);
	cr_assert_float_eq(s->z_vi, 3.118974190338869, 1e-9);
	cr_assert_float_eq(s->zr_vi, 2.158370430325105, 1e-9);
	cr_assert_float_eq(s->z_ofi, 0.0, 1e-12);
	cr_assert_float_eq(s->confidence, 0.7167630094374157, 1e-9);
	cr_assert_eq(s->strength, RS_SIG_HIGH);
	cr_assert_eq(s->flags, 0);
	cr_assert_eq(s->baseline_samples, 20);
	cr_assert_float_eq(s->baseline_mean, 0.0, 1e-12);
	cr_assert_float_eq(s->baseline_sd, 0.12824729401064425, 1e-9);
	cr_assert_eq(s->buy_volume, 70);
	cr_assert_eq(s->sell_volume, 30);
	cr_assert_eq(s->large_buy_trades, 1); /* 60 >= p95 50 (10 and 30 are not) */
	cr_assert_eq(s->ts_last_event, T10 + 300 * S + S + 100);
	cr_assert_eq(s->ts_emitted, T10 + 600 * S);
	cr_assert_eq(rs_ifd_stats(ifd)->signals, 1);
	const struct rs_flow *fl = rs_ifd_flow(ifd, rs_book_find(bk, IID));
	cr_assert_eq(fl->signals, 1);
	cr_assert_eq(fl->last_signal.ts_start, T10 + 300 * S);
	cr_assert_eq(fl->last[0].ts_start, T10 + 300 * S);
}

Test(ifd, signal_must_not_fire)
{
	engine_5m(20, false);
	/* strong and persistent but no large trade and OFI unchanged */
	window(0, B70, 2, S30, 1);
	window(1, B70, 2, S30, 1);
	window(2, B70, 2, S30, 1);
	cr_assert_eq(sk.ns, 0);
	/* a large trade but below the baseline median volume (100) */
	const uint32_t b[] = {60}, s[] = {20};
	window(3, b, 1, s, 1); /* total 80 */
	cr_assert_eq(sk.ns, 0);
	/* balanced flow: |z| small */
	const uint32_t bb[] = {60}, ss[] = {50};
	window(4, bb, 1, ss, 1);
	cr_assert_eq(sk.ns, 0);
	cr_assert_eq(sk.np, 6); /* 09:50 window + the five above */
}

Test(ifd, persistence)
{
	engine_5m(20, false);
	/* qualifying, non-qualifying (balanced), qualifying: 2 of the last 3 */
	window(0, B70L, 2, S30, 1);
	cr_assert_eq(sk.ns, 0);
	const uint32_t bb[] = {55}, ss[] = {50};
	window(1, bb, 1, ss, 1);
	cr_assert_eq(sk.ns, 0);
	window(2, B70L, 2, S30, 1);
	cr_assert_eq(sk.ns, 1);
	cr_assert_eq(sk.s[0].ts_start, T10 + 600 * S);
	/* a sell window in between breaks it for the buy side: q, sell, balanced, q */
	teardown();
	setup();
	engine_5m(20, false);
	const uint32_t sb[] = {30}, sl[] = {40, 30};
	window(0, B70L, 2, S30, 1);
	window(1, sb, 1, sl, 2);
	window(2, bb, 1, ss, 1);
	window(3, B70L, 2, S30, 1);
	cr_assert_eq(sk.ns, 0);
}

Test(ifd, cooldown_and_hysteresis)
{
	engine_5m(20, false);
	window(0, B70, 2, S30, 1);
	window(1, B70L, 2, S30, 1); /* fires, z 3.119 */
	cr_assert_eq(sk.ns, 1);
	window(2, B70L, 2, S30, 1); /* same z, within the cooldown: suppressed */
	cr_assert_eq(sk.ns, 1);
	cr_assert_eq(rs_ifd_stats(ifd)->suppressed_cooldown, 1);
	window(3, B70L, 2, S30, 1); /* one window length after the signal: fires */
	cr_assert_eq(sk.ns, 2);
	cr_assert_eq(sk.s[1].ts_start, T10 + 900 * S);
	/* hysteresis: right after, |z| rose by >= z_step (1.0): fires at once */
	window(4, B78L, 2, S22, 1); /* vi 0.56 -> z 4.3666 >= 3.119 + 1 */
	cr_assert_eq(sk.ns, 3);
	cr_assert_float_eq(sk.s[2].z_vi, 0.56 / 0.12824729401064425, 1e-9);
	window(5, B78L, 2, S22, 1); /* same z, < 4.3666 + 1 and in the cooldown: suppressed */
	cr_assert_eq(sk.ns, 3);
	/* the other direction has its own key */
	const uint32_t sb[] = {30}, sl[] = {60, 10};
	window(6, sb, 1, sl, 2);
	window(7, sb, 1, sl, 2);
	cr_assert_eq(sk.ns, 4);
	cr_assert_eq(sk.s[3].direction, RS_SIDE_ASK);
	cr_assert_eq(sk.s[3].large_sell_trades, 1);
}

Test(ifd, immature_baseline)
{
	engine_5m(6, false);
	window(0, B70L, 2, S30, 1);
	window(1, B70L, 2, S30, 1);
	cr_assert_eq(sk.ns, 0);
	cr_assert_eq(rs_ifd_stats(ifd)->suppressed_immature, 2);
	teardown();
	setup();
	engine_5m(6, true);
	window(0, B70L, 2, S30, 1);
	window(1, B70L, 2, S30, 1);
	cr_assert_eq(sk.ns, 1);
	const struct rs_signal *s = &sk.s[0];
	cr_assert_eq(s->flags, RS_SIGF_IMMATURE);
	cr_assert_eq(s->baseline_samples, 6);
	/* sd = sqrt(6 * 0.015625 / 5); confidence scaled by 6/20 */
	double sd = sqrt(6 * 0.015625 / 5), z = 0.4 / sd;
	cr_assert_float_eq(s->z_vi, 2.9211869733608857, 1e-9);
	cr_assert_float_eq(s->confidence, 1.0 / (1.0 + exp(-1.5 * (z - 2.5))) * 0.3, 1e-12);
	cr_assert_float_eq(s->confidence, 0.19586791992473035, 1e-9);
	cr_assert_eq(s->strength, RS_SIG_MODERATE);
}

Test(ifd, tiers_and_logistic)
{
	cr_assert_float_eq(rs_ifd_logistic(0), 0.5, 0);
	cr_assert_eq(rs_ifd_strength(0.9), RS_SIG_EXTREME);
	cr_assert_eq(rs_ifd_strength(0.8999), RS_SIG_VERY_HIGH);
	cr_assert_eq(rs_ifd_strength(0.8), RS_SIG_VERY_HIGH);
	cr_assert_eq(rs_ifd_strength(0.7), RS_SIG_HIGH);
	cr_assert_eq(rs_ifd_strength(0.69), RS_SIG_MODERATE);
}

Test(ifd, degraded_feed_scales_confidence)
{
	engine_5m(20, false);
	struct rs_feed_health h = {.messages = 10000};
	rs_ifd_feed_quality(ifd, 0, &h);
	h.messages = 20000;
	h.gap_messages = 10; /* 10 lost of 10000: -4 -> 96 */
	h.duplicates = 50;   /* 0.5 %: -5 -> 91 */
	rs_ifd_feed_quality(ifd, 0, &h);
	cr_assert_eq(rs_ifd_feed_score(ifd, 0), 91);
	cr_assert_eq(rs_ifd_inst_score(ifd, rs_book_find(bk, IID)), 91);
	window(0, B70, 2, S30, 1);
	window(1, B70L, 2, S30, 1);
	cr_assert_eq(sk.ns, 1);
	cr_assert_float_eq(sk.s[0].confidence, 0.7167630094374157 * 0.91, 1e-9);
	cr_assert_eq(sk.s[0].flags, 0);
	cr_assert_eq(sk.nal, 0);
	/* stale: 91 - 30 = 61 < 80 -> alert for the feed and the instrument */
	h.messages = 30000;
	h.gap_messages = 10;
	h.duplicates = 50;
	h.stale = 1;
	rs_ifd_feed_quality(ifd, 0, &h);
	cr_assert_eq(rs_ifd_feed_score(ifd, 0), 70);
	cr_assert_eq(sk.nal, 2);
	cr_assert_eq(sk.alert_inst[0], UINT32_MAX);
	cr_assert_eq(sk.alert_score[0], 70);
	cr_assert_eq(sk.alert_inst[1], IID);
	/* no repeated alert while it stays low */
	h.messages = 40000;
	rs_ifd_feed_quality(ifd, 0, &h);
	cr_assert_eq(sk.nal, 2);
	window(3, B70L, 2, S30, 1);
	cr_assert_eq(sk.ns, 2);
	cr_assert_eq(sk.s[1].flags, RS_SIGF_DEGRADED_FEED);
}

Test(ifd, quality_formula)
{
	struct rs_quality_delta d = {.messages = 10000};
	cr_assert_eq(rs_quality_feed_score(&d), 100);
	d.lost = 10;
	cr_assert_eq(rs_quality_feed_score(&d), 96);
	d.lost = 1000; /* 10 %: capped at -40 */
	cr_assert_eq(rs_quality_feed_score(&d), 60);
	d.lost = 0;
	d.ooo = 20;
	cr_assert_eq(rs_quality_feed_score(&d), 98);
	d.p99_ns = 150000;
	d.budget_ns = 100000;
	cr_assert_eq(rs_quality_feed_score(&d), 93);
	d.stale = 1;
	cr_assert_eq(rs_quality_feed_score(&d), 63);
	cr_assert_eq(rs_quality_inst_score(100, 3, 0, 0), 94);
	cr_assert_eq(rs_quality_inst_score(90, 0, 0, 0), 90);
	cr_assert_eq(rs_quality_inst_score(100, 50, 50, 1), 30);
}

/* ---- section 5: options straddle check ---- */
Test(ifd, options_market_making)
{
	rs_ifd_destroy(ifd);
	struct rs_ifd_cfg c;
	cfg_base(&c);
	c.nwin = 1;
	c.windows_ns[0] = 300 * S;
	cr_assert_eq(rs_ifd_create(&ifd, &c), 0);
	struct rs_instrument call = {.instrument_id = IID, .instrument_class = 'C',
				     .underlying_id = 77, .strike_price = PX(100),
				     .expiration = 1, .symbol = "TEST"};
	struct rs_instrument put = call;
	put.instrument_id = 2;
	put.instrument_class = 'P';
	rs_ifd_define(ifd, &call);
	rs_ifd_define(ifd, &put);
	mk_baseline(20, &c);
	rs_ifd_set_baseline(ifd, bl);
	cr_assert_geq(rs_book_define(bk, 2, "TESTP", 0), 0);
	ev('A', 'B', 1, 10.00, 1000, T10 - 600 * S);
	/* put trades 100 in windows 1 (balanced with the call's 100) */
	for (int k = 0; k < 2; k++) {
		struct rs_event e;
		memset(&e, 0, sizeof(e));
		e.mbo.hd.instrument_id = 2;
		e.mbo.hd.ts_event = T10 + (uint64_t)k * 300 * S + 50 * S;
		e.mbo.price = PX(1.0);
		e.mbo.size = 100;
		e.mbo.flags = RS_F_LAST;
		e.mbo.action = 'T';
		e.mbo.side = 'B';
		rs_book_apply(bk, &e);
		rs_ifd_on_event(ifd, &e, bk, rs_book_find(bk, 2));
		window(k, B70L, 2, S30, 1);
	}
	cr_assert_eq(sk.ns, 1);
	cr_assert_eq(sk.s[0].instrument_id, IID);
	cr_assert_eq(sk.s[0].flags, RS_SIGF_MARKET_MAKING);
	cr_assert_float_eq(sk.s[0].confidence, 0.7167630094374157 * 0.8, 1e-9);
	cr_assert_eq(sk.s[0].strength, RS_SIG_MODERATE);
}

/* ---- section 6: patterns through the engine ---- */
Test(ifd, sweep_through_levels)
{
	uint64_t t = T10 + 30 * S;
	ev('A', 'B', 1, 9.99, 100, t);
	ev('A', 'A', 2, 10.01, 100, t + 1);
	ev('A', 'A', 3, 10.02, 200, t + 2);
	ev('A', 'A', 4, 10.03, 300, t + 3);
	ev('A', 'A', 5, 10.04, 300, t + 4);
	uint64_t ts = t + 1000; /* one aggressor: three levels at one ts_event */
	ev('F', 'A', 2, 10.01, 100, ts);
	ev('C', 'A', 2, 10.01, 100, ts);
	ev('F', 'A', 3, 10.02, 200, ts);
	ev('C', 'A', 3, 10.02, 200, ts);
	ev('F', 'A', 4, 10.03, 150, ts);
	ev('C', 'A', 4, 10.03, 150, ts);
	cr_assert_eq(sk.npat, 0);
	ev('A', 'B', 6, 9.98, 100, ts + 1); /* next event of the instrument ends the run */
	cr_assert_eq(sk.npat, 1);
	const struct rs_pattern *p = &sk.pat[0];
	cr_assert_eq(p->kind, RS_PAT_SWEEP);
	cr_assert_eq(p->side, RS_SIDE_BID);
	cr_assert_eq(p->levels, 3);
	cr_assert_eq(p->price, PX(10.03));
	cr_assert_eq(p->volume, 450);
	cr_assert_eq(p->order_id, 2);
	cr_assert_eq(p->ts_first, ts);
	/* one fill at one level is not a sweep; two fills at one price neither */
	ev('F', 'A', 4, 10.03, 50, ts + 10);
	ev('F', 'A', 4, 10.03, 50, ts + 10);
	ev('A', 'B', 7, 9.97, 100, ts + 11);
	cr_assert_eq(sk.npat, 1);
	cr_assert_eq(rs_ifd_flow(ifd, rs_book_find(bk, IID))->patterns[RS_PAT_SWEEP], 1);
}

Test(ifd, iceberg_refills)
{
	uint64_t t = T10 + 40 * S, ms = 1000000;
	ev('A', 'B', 1, 9.99, 100, t);
	for (int k = 0; k < 4; k++) {
		uint64_t oid = 10 + (uint64_t)k, at = t + (uint64_t)(k + 1) * 20 * ms;
		ev('A', 'A', oid, 10.05, 500, at);            /* refill */
		ev('F', 'A', oid, 10.05, 500, at + ms);       /* taken */
		ev('C', 'A', oid, 10.05, 500, at + ms);
	}
	/* the 1st add follows no fill; adds 2, 3, 4 are refills within 50 ms */
	cr_assert_eq(sk.npat, 1);
	const struct rs_pattern *p = &sk.pat[0];
	cr_assert_eq(p->kind, RS_PAT_ICEBERG);
	cr_assert_eq(p->side, RS_SIDE_ASK);
	cr_assert_eq(p->price, PX(10.05));
	cr_assert_eq(p->count, 3);
	cr_assert_eq(p->volume, 1500);
	cr_assert_eq(p->order_id, 13);
	/* too slow (> 50 ms) or a different size: no iceberg */
	teardown();
	setup();
	ev('A', 'B', 1, 9.99, 100, t);
	for (int k = 0; k < 4; k++) {
		uint64_t oid = 10 + (uint64_t)k, at = t + (uint64_t)(k + 1) * 100 * ms;
		ev('A', 'A', oid, 10.05, 500, at);
		ev('F', 'A', oid, 10.05, 500, at + ms);
		ev('C', 'A', oid, 10.05, 500, at + ms);
	}
	for (int k = 0; k < 4; k++) {
		uint64_t oid = 20 + (uint64_t)k, at = t + S + (uint64_t)(k + 1) * 20 * ms;
		ev('A', 'A', oid, 10.06, k % 2 ? 2000 : 100, at);
		ev('F', 'A', oid, 10.06, k % 2 ? 2000 : 100, at + ms);
		ev('C', 'A', oid, 10.06, k % 2 ? 2000 : 100, at + ms);
	}
	cr_assert_eq(sk.npat, 0);
}

Test(ifd, layering_cycles)
{
	uint64_t t = T10 + 50 * S, ms = 1000000;
	ev('A', 'B', 1, 10.00, 100, t);
	ev('A', 'A', 2, 10.02, 100, t + 1);
	for (int k = 0; k < 3; k++) {
		uint64_t oid = 100 + (uint64_t)k, at = t + (uint64_t)(k + 1) * S;
		ev('A', 'B', oid, 9.95, 800, at);               /* large, behind the touch */
		cr_assert_eq(sk.npat, 0);
		ev('C', 'B', oid, 9.95, 800, at + 200 * ms);    /* pulled whole, no fill */
	}
	cr_assert_eq(sk.npat, 1);
	const struct rs_pattern *p = &sk.pat[0];
	cr_assert_eq(p->kind, RS_PAT_LAYERING);
	cr_assert_eq(p->side, RS_SIDE_BID);
	cr_assert_eq(p->count, 3);
	cr_assert_eq(p->volume, 2400);
	cr_assert_eq(p->price, PX(9.95));
	cr_assert_eq(p->ts_first, t + S);
	/* at the touch, small, slow or filled: none */
	for (int k = 0; k < 3; k++) {
		uint64_t at = t + 10 * S + (uint64_t)k * S;
		ev('A', 'B', 200 + (uint64_t)k, 10.00, 800, at);     /* at the touch */
		ev('C', 'B', 200 + (uint64_t)k, 10.00, 800, at + ms);
		ev('A', 'B', 300 + (uint64_t)k, 9.90, 50, at + 2 * ms); /* small */
		ev('C', 'B', 300 + (uint64_t)k, 9.90, 50, at + 3 * ms);
		ev('A', 'B', 400 + (uint64_t)k, 9.90, 800, at + 4 * ms); /* slow */
		ev('C', 'B', 400 + (uint64_t)k, 9.90, 800, at + 900 * ms);
	}
	cr_assert_eq(sk.npat, 1);
}

/* 1 min windows pooled in 5 min buckets: two of the five minutes of 10:00
 * traded, so vi's statistics are over those two windows, volume's over all
 * five. */
Test(ifd, end_session_nonempty_windows_only)
{
	rs_ifd_destroy(ifd);
	struct rs_ifd_cfg c;
	cfg_base(&c);
	c.nwin = 1;
	c.windows_ns[0] = 60 * S;
	cr_assert_eq(rs_ifd_create(&ifd, &c), 0);
	struct rs_bl_geom g;
	rs_ifd_geom(&c, &g);
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	ev('A', 'B', 1, 10.00, 1000, T10 - 600 * S);
	ev('A', 'A', 2, 10.02, 1000, T10 - 600 * S + 1);
	ev('T', 'B', 0, 10.02, 40, T10 + S);      /* 10:00: buy 70, sell 30: vi 0.4 */
	ev('T', 'B', 0, 10.02, 30, T10 + 2 * S);
	ev('T', 'A', 0, 10.00, 30, T10 + 3 * S);
	ev('A', 'B', 3, 9.99, 100, T10 + 61 * S); /* 10:01: book only */
	ev('T', 'A', 0, 10.00, 50, T10 + 121 * S); /* 10:02: sell 50: vi -1 */
	rs_ifd_tick(ifd, T10 + 6 * 3600 * S);
	cr_assert_eq(rs_ifd_end_session(ifd, bl), 1);
	const struct rs_bl_stat *st = rs_baseline_stat(bl, rs_baseline_find(bl, "TEST"), 0, 6);
	cr_assert_eq(st->samples, 1);
	cr_assert_float_eq(st->mean[RS_BL_VI], -0.3, 1e-7);
	cr_assert_float_eq(st->sd[RS_BL_VI], 0.98994949366116658, 1e-6); /* 1.4 / sqrt(2) */
	cr_assert_float_eq(st->med[RS_BL_VI], -0.3, 1e-7);
	cr_assert_float_eq(st->mad[RS_BL_VI], 0.7, 1e-7);
	cr_assert_float_eq(st->mean[RS_BL_VOL], 30, 1e-6);             /* 150 / 5 */
	cr_assert_float_eq(st->med[RS_BL_VOL], 0, 0);                  /* 0 0 0 50 100 */
	cr_assert_float_eq(st->med[RS_BL_VOLNE], 75, 1e-6);           /* default min_volume */
	/* 09:50-09:55: adds only - five empty windows, no vi sample */
	st = rs_baseline_stat(bl, rs_baseline_find(bl, "TEST"), 0, 4);
	cr_assert_eq(st->samples, 0);
	cr_assert_eq(st->sessions, 1);
}

/* 'M' = cancel of the old size + add of the new one on its side; the old
 * size is read before the book applies the burst and followed through it. */
static void mod_ev(struct rs_event *e, char act, char side, uint64_t id, double px, uint32_t size,
		   uint64_t ts)
{
	memset(e, 0, sizeof(*e));
	e->mbo.hd.rtype = RS_RTYPE_MBO;
	e->mbo.hd.publisher_id = 3;
	e->mbo.hd.instrument_id = IID;
	e->mbo.hd.ts_event = ts;
	e->mbo.order_id = id;
	e->mbo.price = PX(px);
	e->mbo.size = size;
	e->mbo.flags = RS_F_LAST;
	e->mbo.action = act;
	e->mbo.side = side;
}

static void burst(struct rs_event *e, unsigned n)
{
	rs_ifd_before_book(ifd, e, n, bk);
	rs_book_apply_burst(bk, e, n);
	for (unsigned i = 0; i < n; i++)
		rs_ifd_on_event(ifd, &e[i], bk, rs_book_find(bk, IID));
}

Test(ifd, modify_counts_cancel_and_add)
{
	uint64_t t = T10 + 5 * S;
	struct rs_event e[4];
	mod_ev(&e[0], 'A', 'B', 1, 10.00, 100, t);
	burst(e, 1);
	mod_ev(&e[0], 'M', 'B', 1, 10.00, 250, t + 1); /* old 100 from the book */
	burst(e, 1);
	mod_ev(&e[0], 'M', 'B', 1, 9.99, 40, t + 2);   /* old 250 */
	burst(e, 1);
	/* one burst: add 300, modify to 200, cancel 50 of it, modify to 500 */
	mod_ev(&e[0], 'A', 'A', 5, 10.05, 300, t + 3);
	mod_ev(&e[1], 'M', 'A', 5, 10.05, 200, t + 4); /* old 300 */
	mod_ev(&e[2], 'C', 'A', 5, 10.05, 50, t + 5);
	mod_ev(&e[3], 'M', 'A', 5, 10.06, 500, t + 6); /* old 150 */
	burst(e, 4);
	rs_ifd_tick(ifd, T10 + 300 * S);
	const struct rs_pressure *p = find_p(300 * S, T10);
	cr_assert_not_null(p);
	cr_assert_eq(p->bid_added, 100 + 250 + 40);
	cr_assert_eq(p->bid_cancelled, 100 + 250);
	cr_assert_eq(p->ask_added, 300 + 200 + 500);
	cr_assert_eq(p->ask_cancelled, 300 + 50 + 150);
	cr_assert_eq(rs_ifd_stats(ifd)->modifies, 4);
	cr_assert_eq(p->event_count, 7);
}

/* ---- section 3: a session collected by the engine becomes a baseline ---- */
Test(ifd, end_session_builds_baseline)
{
	rs_ifd_destroy(ifd);
	struct rs_ifd_cfg c;
	cfg_base(&c);
	c.nwin = 1;
	c.windows_ns[0] = 300 * S;
	cr_assert_eq(rs_ifd_create(&ifd, &c), 0);
	struct rs_bl_geom g;
	rs_ifd_geom(&c, &g);
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	ev('A', 'B', 1, 10.00, 1000, T10 - 600 * S);
	ev('A', 'A', 2, 10.02, 1000, T10 - 600 * S + 1);
	window(0, B70L, 2, S30, 1);
	window(1, B70, 2, S30, 1);
	cr_assert_eq(rs_ifd_session_date(ifd), 20240102);
	cr_assert_eq(rs_ifd_session_over(ifd), 0);
	rs_ifd_tick(ifd, T10 + 6 * 3600 * S);
	cr_assert_eq(rs_ifd_session_over(ifd), 1);
	cr_assert_eq(rs_ifd_end_session(ifd, bl), 1);
	const struct rs_bl_inst *in = rs_baseline_find(bl, "TEST");
	cr_assert_not_null(in);
	cr_assert_eq(in->nsess, 1);
	/* bucket 6 (10:00): vi 0.4, volume 100, 1 large (60 >= 100? no: large = 100) */
	const struct rs_bl_stat *st = rs_baseline_stat(bl, in, 0, 6);
	cr_assert_eq(st->samples, 1);
	cr_assert_float_eq(st->mean[RS_BL_VI], 0.4, 1e-7);
	cr_assert_float_eq(st->mean[RS_BL_VOL], 100, 1e-7);
	cr_assert_float_eq(st->mean[RS_BL_LARGE], 0, 1e-7);
	cr_assert_eq(st->sessions, 1);
	/* 09:50 (bucket 4) had only book events: an empty window - in the
	 * volume statistics (0), not in the vi ones (no sample) */
	cr_assert_eq(rs_baseline_stat(bl, in, 0, 4)->samples, 0);
	cr_assert_eq(rs_baseline_stat(bl, in, 0, 4)->sessions, 1);
	cr_assert_float_eq(rs_baseline_stat(bl, in, 0, 4)->mean[RS_BL_VOL], 0, 0);
	/* buckets before the first event of the day are empty windows */
	cr_assert_eq(rs_baseline_stat(bl, in, 0, 0)->samples, 0);
	cr_assert_eq(rs_baseline_stat(bl, in, 0, 0)->sessions, 1);
	/* p95 of sizes {60,10,30,40,30,30}: the 95 % rank is 60 -> bucket lower bound 60 */
	cr_assert_eq(in->large_size, 60);
	cr_assert_eq(rs_ifd_session_date(ifd), 0);
}
