/* test_ifd_scenario.c - IFD end to end on generated sessions (rs_gen ->
 * ITCH day files -> rs_ifdrun: book + engine, the code `ringside baseline
 * build` runs): 20 quiet sessions build the baselines, a session with an
 * injected institutional buyer (an iceberg refilling at the ask + sweeps
 * through several levels at known times) must produce buy signals on that
 * instrument in the injection windows and the iceberg and sweep patterns;
 * 20 further quiet sessions report the false positives, which must stay at
 * or under one per instrument per session on average at the default
 * threshold. Also: the baseline survives a save/load round trip and
 * gives identical decisions. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/rs_baseline_file.h"
#include "controlplane/rs_gen.h"
#include "controlplane/rs_ifdrun.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_ifd.h"
#include "rs_err.h"
#include "rs_evsource.h"

#define S 1000000000ull
#define NSYM 6
#define MSGS 150000
#define QUIET 20

static char dir[256];

struct tally {
	uint32_t sig[NSYM + 1][RS_IFD_MAX_WIN][2]; /* by locate, window, direction */
	struct rs_signal inj[64];
	int ninj;
	uint32_t pat[NSYM + 1][4];
	struct rs_pattern pats[64];
	int npats;
	uint64_t W[RS_IFD_MAX_WIN];
};
static struct tally tl;

static int widx(uint64_t W)
{
	for (int w = 0; w < RS_IFD_MAX_WIN; w++)
		if (tl.W[w] == W)
			return w;
	return 0;
}

static void on_sig(void *c, const struct rs_signal *s)
{
	(void)c;
	if (s->instrument_id <= NSYM)
		tl.sig[s->instrument_id][widx(s->window_ns)][s->direction == RS_SIDE_ASK]++;
	if (tl.ninj < 64)
		tl.inj[tl.ninj++] = *s;
}

static void on_pat(void *c, const struct rs_pattern *p)
{
	(void)c;
	if (p->instrument_id <= NSYM && p->kind < 4)
		tl.pat[p->instrument_id][p->kind]++;
	if (tl.npats < 64)
		tl.pats[tl.npats++] = *p;
}

/* Weekday k (0-based) from 2024-01-02: dates before DST (EST = UTC-5). */
static void day(int k, int *y, int *m, int *d)
{
	static const int mdays[] = {31, 29, 31};
	int mm = 0, dd = 2, wd = 2; /* Jan 2 2024 = Tuesday */
	for (int i = 0; i < k;) {
		dd++;
		wd = (wd + 1) % 7;
		if (dd > mdays[mm]) {
			dd = 1;
			mm++;
		}
		if (wd != 0 && wd != 6)
			i++;
	}
	*y = 2024;
	*m = mm + 1;
	*d = dd;
}

static void gen_session(int k, bool inject, char *path, size_t len, uint16_t *top)
{
	int y, m, d;
	day(k, &y, &m, &d);
	snprintf(path, len, "%s/%02d%02d%04d.NASDAQ_ITCH50", dir, m, d, y);
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.seed = 5;
	o.flow_seed = 100 + (uint64_t)k;
	o.symbols = NSYM;
	o.messages = MSGS;
	if (inject) {
		/* the institutional buyer on the most active symbol: an iceberg
		 * refilled at the ask every 3 s for 7.5 min from 11:00, and two
		 * sweeps through 4 levels at 11:02:00 and 11:06:00 */
		cr_assert_eq(rs_gen_inject_parse(&o.inject[0],
						 "iceberg:#1@11:00:00,side=B,refills=150,size=3000,gap-ms=3000,follow=1"),
			     0);
		cr_assert_eq(rs_gen_inject_parse(&o.inject[1], "sweep:#1@11:02:00,side=B,levels=4"), 0);
		cr_assert_eq(rs_gen_inject_parse(&o.inject[2], "sweep:#1@11:06:00,side=B,levels=4"), 0);
		o.ninject = 3;
	}
	struct rs_gen *g;
	char err[256];
	cr_assert_eq(rs_gen_create(&g, &o, err, sizeof(err)), 0, "%s", err);
	if (top)
		*top = rs_gen_locate_by_rank(g, 1);
	cr_assert_eq(rs_gen_write_day(g, path, NULL), 0);
	rs_gen_destroy(g);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ringside-ifd-scn-%d", (int)getpid());
	cr_assert_eq(mkdir(dir, 0700), 0);
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

Test(ifd_scenario, institutional_buyer_and_false_positives, .init = setup, .fini = teardown,
     .timeout = 300)
{
	struct rs_ifd_cfg c;
	rs_ifd_cfg_default(&c);
	c.max_instruments = 64;
	c.on_signal = on_sig;
	c.on_pattern = on_pat;
	for (int w = 0; w < RS_IFD_MAX_WIN; w++)
		tl.W[w] = c.windows_ns[w];
	struct rs_ifd *f;
	cr_assert_eq(rs_ifd_create(&f, &c), 0);
	struct rs_book_cfg bc;
	rs_book_cfg_default(&bc);
	bc.max_instruments = 64;
	bc.max_orders = 1 << 18;
	bc.max_levels = 1 << 15;
	struct rs_book *b;
	cr_assert_eq(rs_book_create(&b, &bc), 0);
	struct rs_bl_geom g;
	rs_ifd_geom(&c, &g);
	struct rs_baseline *bl;
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	char path[512];
	struct rs_ifdrun_stats st;

	/* 1. 20 quiet sessions -> baselines */
	for (int k = 0; k < QUIET; k++) {
		gen_session(k, false, path, sizeof(path), NULL);
		rs_ifd_set_baseline(f, bl);
		cr_assert_eq(rs_ifdrun_file(f, b, path, RS_EVSRC_ITCH, 0, &st), 0, "%s", rs_err_msg());
		cr_assert_gt(rs_ifd_end_session(f, bl), 0);
		unlink(path);
	}
	cr_assert_eq(rs_baseline_sessions(bl), QUIET);
	const struct rs_bl_inst *bi = rs_baseline_find(bl, "AAAR");
	(void)bi;

	/* persisted and reloaded: the run below uses the loaded copy */
	char blpath[512];
	snprintf(blpath, sizeof(blpath), "%s/test.baseline", dir);
	cr_assert_eq(rs_baseline_file_save(bl, blpath), 0, "%s", rs_err_msg());
	struct rs_baseline *bl2;
	cr_assert_eq(rs_baseline_file_load(&bl2, blpath, &g), 0, "%s", rs_err_msg());
	rs_baseline_destroy(bl);
	bl = bl2;

	/* 2. the institutional buyer */
	memset(&tl.sig, 0, sizeof(tl.sig));
	tl.ninj = tl.npats = 0;
	memset(&tl.pat, 0, sizeof(tl.pat));
	uint16_t top;
	gen_session(QUIET, true, path, sizeof(path), &top);
	rs_ifd_set_baseline(f, bl);
	cr_assert_eq(rs_ifdrun_file(f, b, path, RS_EVSRC_ITCH, 0, &st), 0, "%s", rs_err_msg());
	unlink(path);
	int y, m, d;
	day(QUIET, &y, &m, &d);
	/* 11:00 EST of that day */
	uint64_t t11 = ((uint64_t)(19723 + 0) * 86400) * S; /* 2024-01-01 00:00 UTC, days since epoch */
	{
		static const int cum[] = {0, 31, 60};
		t11 = ((uint64_t)(19723 + cum[m - 1] + d - 1) * 86400 + 16 * 3600) * S;
	}
	uint64_t inj_end = t11 + 450 * S + 10 * S;
	int buy_in = 0, other_inst = 0, wrong_side = 0;
	for (int i = 0; i < tl.ninj; i++) {
		const struct rs_signal *s = &tl.inj[i];
		if (s->instrument_id != top) {
			other_inst++;
			continue;
		}
		if (s->ts_end > t11 && s->ts_start < inj_end) {
			if (s->direction == RS_SIDE_BID)
				buy_in++;
			else
				wrong_side++;
			cr_log_info("injected session: signal W=%llus %s z=%.2f zr=%.2f conf=%.3f at +%llds",
				    (unsigned long long)(s->window_ns / S),
				    s->direction == 'B' ? "BUY" : "SELL", s->z_vi, s->zr_vi, s->confidence,
				    (long long)((int64_t)(s->ts_start - t11) / (int64_t)S));
		}
	}
	/* a signal per window length: the 5 min window must fire too */
	int w5 = 0;
	for (int i = 0; i < tl.ninj; i++)
		w5 += tl.inj[i].instrument_id == top && tl.inj[i].window_ns == 300 * S &&
		      tl.inj[i].direction == RS_SIDE_BID && tl.inj[i].ts_start >= t11 &&
		      tl.inj[i].ts_start < inj_end;
	cr_log_info("injected session: %d buy signals in the injection windows on the buyer's "
		    "instrument (%d of them W=5m), %d on the wrong side, %d on other instruments",
		    buy_in, w5, wrong_side, other_inst);
	cr_log_info("IFD_INJ buy_in=%d w5=%d wrong_side=%d other=%d", buy_in, w5, wrong_side, other_inst);
	cr_assert_geq(buy_in, 1);
	cr_assert_geq(w5, 1);
	cr_assert_eq(wrong_side, 0);
	cr_assert_leq(other_inst, NSYM - 1); /* the false-positive limit on the others */
	/* patterns on the buyer's instrument */
	int ice = 0, sweep = 0;
	for (int i = 0; i < tl.npats; i++) {
		const struct rs_pattern *p = &tl.pats[i];
		if (p->instrument_id != top)
			continue;
		if (p->kind == RS_PAT_ICEBERG && p->side == RS_SIDE_ASK && p->ts_first >= t11 &&
		    p->ts_first < inj_end)
			ice++;
		if (p->kind == RS_PAT_SWEEP && p->side == RS_SIDE_BID && p->levels >= 2 &&
		    ((p->ts_first >= t11 + 120 * S && p->ts_first < t11 + 121 * S) ||
		     (p->ts_first >= t11 + 360 * S && p->ts_first < t11 + 361 * S)))
			sweep++;
	}
	cr_log_info("injected session: %d iceberg, %d sweep patterns at the injection times "
		    "(%d pattern events in all)", ice, sweep, tl.npats);
	cr_assert_geq(ice, 1);
	cr_assert_eq(sweep, 2);
	cr_assert_gt(rs_ifd_end_session(f, bl), 0);

	/* 3. 20 further quiet sessions: false positives */
	memset(&tl.sig, 0, sizeof(tl.sig));
	uint32_t per_is[NSYM + 1][QUIET];
	memset(per_is, 0, sizeof(per_is));
	uint64_t total = 0, byw[RS_IFD_MAX_WIN] = {0}, maxis = 0;
	for (int k = 0; k < QUIET; k++) {
		tl.ninj = 0;
		gen_session(QUIET + 1 + k, false, path, sizeof(path), NULL);
		rs_ifd_set_baseline(f, bl);
		cr_assert_eq(rs_ifdrun_file(f, b, path, RS_EVSRC_ITCH, 0, &st), 0, "%s", rs_err_msg());
		unlink(path);
		for (int i = 0; i < tl.ninj; i++) {
			uint32_t id = tl.inj[i].instrument_id;
			if (id <= NSYM)
				per_is[id][k]++;
			byw[widx(tl.inj[i].window_ns)]++;
			total++;
		}
		cr_assert_gt(rs_ifd_end_session(f, bl), 0);
	}
	for (int i = 1; i <= NSYM; i++)
		for (int k = 0; k < QUIET; k++)
			if (per_is[i][k] > maxis)
				maxis = per_is[i][k];
	double rate = (double)total / (NSYM * QUIET);
	cr_log_info("false positives over %d quiet sessions x %d instruments: %llu signals "
		    "(1s %llu, 1m %llu, 5m %llu) = %.3f per instrument per session, max %llu",
		    QUIET, NSYM, (unsigned long long)total, (unsigned long long)byw[0],
		    (unsigned long long)byw[1], (unsigned long long)byw[2], rate,
		    (unsigned long long)maxis);
	fprintf(stderr,
		"IFD_FP sessions=%d instruments=%d signals=%llu w1s=%llu w1m=%llu w5m=%llu "
		"per_inst_session=%.3f max=%llu\n",
		QUIET, NSYM, (unsigned long long)total, (unsigned long long)byw[0],
		(unsigned long long)byw[1], (unsigned long long)byw[2], rate, (unsigned long long)maxis);
	/* every window length: at or under one per instrument per session */
	for (int w = 0; w < RS_IFD_MAX_WIN; w++)
		cr_assert_leq((double)byw[w] / (NSYM * QUIET), 1.0,
			      "W=%llus: %.3f false positives per instrument per session",
			      (unsigned long long)(tl.W[w] / S), (double)byw[w] / (NSYM * QUIET));

	rs_baseline_destroy(bl);
	rs_book_destroy(b);
	rs_ifd_destroy(f);
}
