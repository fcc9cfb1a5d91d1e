/* rs_ifd.c - institutional-flow detection engine (see rs_ifd.h, IFD.md).
 *
 * Cost model. Every event updates ONE accumulator per instrument, the
 * base window of length G = gcd of the configured windows (1 s by
 * default): a few additions, no calls except rs_book_top() when the BBO
 * changed. At each G boundary the instruments that had events (the base
 * list) fold their base window into the longer windows (each W is a
 * multiple of G, windows are epoch aligned, so a base window lies in
 * exactly one window of every W) and join that W's due list. A window
 * close then works on its due list only (the instruments with events in
 * it): record, decision, publication. Empty windows of instruments that
 * traded in the session are published from a per-W template, walking the
 * dense `traded` array (no per-instrument state is touched). Flow rows
 * are written at most once per rs_ifd_tick per instrument (a queue).
 * Baseline collection stores the non-empty windows' values only and
 * summarizes a bucket (median/MAD) when the instrument's next non-empty
 * window opens a new bucket, after the boundary's decisions.
 *
 * Boundary order (signals first: they are what is latency sensitive):
 *   1. fold base windows into the due lists of the longer windows
 *   2. records of the closing non-empty windows (row.last[w])
 *   3. decisions -> signals published
 *   4. the records published, then the empty windows from the template
 *   5. baseline collection (may summarize a bucket), accumulators reset
 */
#include "rs_ifd.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_aggr.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_pressure.h"
#include "rs_bcast.h"
#include "rs_err.h"
#include "rs_itable.h"
#include "rs_seqtab.h"

#define HIST 8
#define NS_S 1000000000ull
#define PF 8                    /* prefetch distance in the close loops */
#define MB_CAP 4096u            /* 'M' pre-pass: events of one burst looked at */
#define MB_SLOTS (2 * MB_CAP)

#if defined(__GNUC__)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#else
#define likely(x) (x)
#define unlikely(x) (x)
#endif

/* One instrument's session collector: the non-empty windows' values of
 * the open bucket per W, summarized into a cell when the bucket changes. */
struct ifd_sess {
	struct rs_bl_cell *cells;           /* [ncells] */
	float *rows[RS_IFD_MAX_WIN];        /* [per_bucket][RS_BL_ROW] */
	int32_t cur_b[RS_IFD_MAX_WIN];
	uint32_t cnt[RS_IFD_MAX_WIN];
};

struct ifd_opt {
	uint32_t id, underlying;
	int64_t strike;
	uint64_t expiry;
	char cp;
};

/* What an add or a cancel touches, per instrument, in one dense array
 * (two cache lines, f->hot[idx]): the base window's book-side counters
 * and the flags that route an event to the cold state. The counters are
 * moved into the accumulator (ifd_inst.acc) when the base window closes. */
struct ifd_hot {
	uint64_t event_count, last_ts;
	uint64_t bid_added, ask_added, bid_cancelled, ask_cancelled;
	uint64_t depth_sum;
	uint32_t depth_n;
	uint8_t on_base;                   /* on the base list (0: first event of the window) */
	uint8_t stale_seen;
	uint8_t pflags;                    /* pattern state needing a look (PF_*) */
	uint8_t in_trade;                  /* mirror of aggr.in_trade */
	uint64_t touch;                    /* bid + ask size at the touch (bbo) */
	uint64_t last_fill_oid;            /* the next 'C' of it is the execution's */
	uint32_t large_size;
	uint32_t reserved;
	uint8_t pad[40];
};
_Static_assert(sizeof(struct ifd_hot) == 128, "two cache lines");
#define PFL_SWEEP 1u                   /* a sweep run is open */
#define PFL_ICE0 2u                    /* iceberg episode on the bid */
#define PFL_ICE1 4u                    /* ... on the ask */
#define PFL_LAY 8u                     /* layering candidates watched */

struct ifd_inst {
	alignas(64) struct rs_pwin acc;    /* the open base window (160 B; counters in ifd_hot) */
	uint8_t used, traded, on_flow, feed_id;
	uint8_t alerted, cp;
	alignas(64) struct rs_aggr_state aggr;
	uint32_t id;
	uint32_t tr_pos;                   /* index in f->traded when traded */
	uint8_t due[RS_IFD_MAX_WIN];       /* on the due list of window w */
	uint8_t reserved0;
	uint16_t publisher;
	const struct rs_bl_stat *bstats;   /* in->bl->stats or NULL (prefetched at closes) */
	struct rs_ofi_bbo bbo;             /* at the last BBO change */
	struct rs_pat_state pat;
	/* window closes */
	struct rs_pwin win[RS_IFD_MAX_WIN]; /* longer windows (folded base windows) */
	uint64_t hk[RS_IFD_MAX_WIN][HIST]; /* window index (ts_start / W) of qualifying windows */
	char hd[RS_IFD_MAX_WIN][HIST];     /* their direction */
	uint8_t hpos[RS_IFD_MAX_WIN];
	uint64_t cd_end[RS_IFD_MAX_WIN][2]; /* window end of the last signal per direction */
	double cd_z[RS_IFD_MAX_WIN][2];
	char key[RS_BL_KEY];
	uint32_t pair_id;                  /* option counterpart (other class), 0 none */
	const struct rs_bl_inst *bl;
	struct ifd_sess *sess;
	uint32_t quality;
	uint64_t q_crossed, q_rej;         /* book counters at the last evaluation */
	int64_t flow_slot;                 /* -1 unclaimed, -2 table full */
	uint32_t tsz[RS_LAT_BUCKETS / 2];  /* trade sizes this session (rs_lat_bucket) */
	struct rs_flow row;
};

struct ifd_feed {
	struct rs_feed_health prev;
	uint32_t score;
	uint8_t seen, alerted;
};

struct mb_slot {
	uint64_t oid;
	uint32_t iid, size, gen, reserved;
};

struct rs_ifd {
	struct rs_ifd_cfg c;
	struct rs_bl_geom g;
	const struct rs_baseline *bl;
	struct rs_bcast *pressure, *signals;
	struct rs_seqtab *flow;
	const struct rs_book *book;
	struct ifd_inst *inst;
	struct ifd_hot *hot;
	/* clock: the base window [base_start, next_end); next_end = 0 before
	 * the first event */
	uint64_t next_end, base_start, G, lcm, now;
	uint64_t cur_start[RS_IFD_MAX_WIN];
	int direct;                        /* the window of length G, -1 none */
	int chain;                         /* windows nested (each a multiple of the one
					      before, the first = G): fold 0 -> 1 -> 2 */
	/* lists (instrument indices) */
	uint32_t *active, nactive;
	uint32_t *base, nbase;
	uint32_t *due[RS_IFD_MAX_WIN], ndue[RS_IFD_MAX_WIN];
	uint32_t *flq, nflq;
	uint32_t *traded;                  /* instrument ids (the template's only varying field) */
	uint8_t *tr_mark;                  /* bit w: closed non-empty in the window being closed */
	uint32_t ntraded;
	struct rs_pressure tmpl[RS_IFD_MAX_WIN]; /* empty-window records */
	/* session collection */
	struct ifd_sess *sess;
	struct rs_bl_cell *cell_pool;
	float *row_pool;
	uint32_t nsess;
	uint32_t *closed_in_b;             /* [ncells] windows of each bucket closed this session */
	double *scratch;
	uint32_t sess_date;
	uint64_t sess_open, sess_close;
	int32_t sess_last_b[RS_IFD_MAX_WIN];
	struct ifd_opt *opts;
	uint32_t nopts;
	/* 'M' pre-pass (rs_ifd_before_book) */
	uintptr_t mb_base;
	uint32_t mb_n, mb_gen;
	uint32_t *mb_old;
	struct mb_slot *mb_h;
	struct ifd_feed feeds[RS_IFD_MAX_FEEDS];
	struct rs_ifd_stats st;
};

/* ---------------------------------------------------------------- config */

void rs_ifd_cfg_default(struct rs_ifd_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->max_instruments = 16384;
	c->nwin = 3;
	c->windows_ns[0] = NS_S;
	c->windows_ns[1] = 60 * NS_S;
	c->windows_ns[2] = 300 * NS_S;
	c->bucket_ns = 300 * NS_S;
	c->z_threshold = 2.5;
	c->z_step = 1.0;
	c->baseline_days = 20;
	c->baseline_min_days = 10;
	c->persist_k = 2;
	c->persist_m = 3;
	c->pat.iceberg_ns = 50000000ull;
	c->pat.layering_ns = 500000000ull;
	c->pat.layering_span_ns = 60 * NS_S;
	c->pat.iceberg_min = 3;
	c->pat.layering_min = 3;
	c->quality_alert = 80;
	c->latency_budget_ns = 100000;
	rs_session_cal_default(&c->cal);
}

void rs_ifd_geom(const struct rs_ifd_cfg *c, struct rs_bl_geom *g)
{
	memset(g, 0, sizeof(*g));
	g->nwin = c->nwin;
	g->days = c->baseline_days;
	for (uint32_t w = 0; w < c->nwin && w < RS_BL_MAX_WIN; w++)
		g->window_ns[w] = c->windows_ns[w];
	g->bucket_ns = c->bucket_ns;
	g->session_ns = rs_session_len(&c->cal);
	(void)rs_bl_geom_derive(g);
}

double rs_ifd_logistic(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

uint8_t rs_ifd_strength(double c)
{
	return c >= 0.9 ? RS_SIG_EXTREME : c >= 0.8 ? RS_SIG_VERY_HIGH : c >= 0.7 ? RS_SIG_HIGH
									   : RS_SIG_MODERATE;
}

/* ---------------------------------------------------------------- life */

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

int rs_ifd_create(struct rs_ifd **out, const struct rs_ifd_cfg *cfg)
{
	struct rs_ifd *f = calloc(1, sizeof(*f));
	if (!f)
		return RS_ERR_SET(-ENOMEM, "ifd: out of memory");
	f->c = *cfg;
	struct rs_ifd_cfg *c = &f->c;
	int rc = -EINVAL;
	if (!c->max_instruments || !c->nwin || c->nwin > RS_IFD_MAX_WIN || !c->persist_m ||
	    c->persist_m > HIST || c->persist_k > c->persist_m || !c->baseline_days) {
		RS_ERR_SET(-EINVAL, "ifd: bad configuration (windows 1..%d, persist_k <= persist_m <= %d)",
			   RS_IFD_MAX_WIN, HIST);
		goto fail;
	}
	for (uint32_t w = 1; w < c->nwin; w++)
		if (c->windows_ns[w] <= c->windows_ns[w - 1]) {
			RS_ERR_SET(-EINVAL, "ifd: windows must be ascending");
			goto fail;
		}
	rs_ifd_geom(c, &f->g);
	if ((rc = rs_bl_geom_derive(&f->g)))
		goto fail;
	/* base window and the period after which all windows align again
	 * (0 = too long to matter: no skipping of idle stretches) */
	f->G = c->windows_ns[0];
	f->lcm = c->windows_ns[0];
	for (uint32_t w = 1; w < c->nwin; w++) {
		f->G = gcd64(f->G, c->windows_ns[w]);
		uint64_t q = c->windows_ns[w] / gcd64(f->lcm, c->windows_ns[w]);
		f->lcm = f->lcm && q <= UINT64_MAX / f->lcm ? f->lcm * q : 0;
	}
	f->direct = -1;
	for (uint32_t w = 0; w < c->nwin; w++)
		if (c->windows_ns[w] == f->G)
			f->direct = (int)w;
	f->chain = f->direct == 0;
	for (uint32_t w = 1; w < c->nwin; w++)
		f->chain &= c->windows_ns[w] % c->windows_ns[w - 1] == 0;
	if (!c->session_instruments || c->session_instruments > c->max_instruments)
		c->session_instruments = c->max_instruments;
	rc = -ENOMEM;
	uint32_t n = c->max_instruments;
	f->inst = aligned_alloc(64, (size_t)n * sizeof(*f->inst));
	if (f->inst)
		memset(f->inst, 0, (size_t)n * sizeof(*f->inst));
	f->hot = aligned_alloc(64, (size_t)n * sizeof(*f->hot));
	if (f->hot)
		memset(f->hot, 0, (size_t)n * sizeof(*f->hot));
	f->active = calloc(n, sizeof(uint32_t));
	f->base = calloc(n, sizeof(uint32_t));
	f->flq = calloc(n, sizeof(uint32_t));
	f->traded = calloc(n, sizeof(uint32_t));
	f->tr_mark = calloc(n, 1);
	f->opts = calloc(n, sizeof(*f->opts));
	int ok = f->inst && f->hot && f->active && f->base && f->flq && f->traded && f->tr_mark && f->opts;
	for (uint32_t w = 0; w < c->nwin; w++)
		ok = ok && (f->due[w] = calloc(n, sizeof(uint32_t)));
	f->sess = calloc(c->session_instruments, sizeof(*f->sess));
	f->cell_pool = calloc((size_t)c->session_instruments * f->g.ncells, sizeof(struct rs_bl_cell));
	f->closed_in_b = calloc(f->g.ncells, sizeof(uint32_t));
	size_t per = 0, maxper = 1;
	for (uint32_t w = 0; w < c->nwin; w++) {
		per += (size_t)f->g.per_bucket[w] * RS_BL_ROW;
		if (f->g.per_bucket[w] > maxper)
			maxper = f->g.per_bucket[w];
	}
	f->row_pool = calloc((size_t)c->session_instruments * per, sizeof(float));
	f->scratch = calloc(maxper, sizeof(double));
	f->mb_old = calloc(MB_CAP, sizeof(uint32_t));
	f->mb_h = calloc(MB_SLOTS, sizeof(*f->mb_h));
	if (!ok || !f->sess || !f->cell_pool || !f->closed_in_b || !f->row_pool || !f->scratch ||
	    !f->mb_old || !f->mb_h) {
		RS_ERR_SET(-ENOMEM, "ifd: out of memory for %u instruments", c->max_instruments);
		goto fail;
	}
	for (uint32_t i = 0; i < c->session_instruments; i++) {
		struct ifd_sess *s = &f->sess[i];
		s->cells = f->cell_pool + (size_t)i * f->g.ncells;
		float *p = f->row_pool + (size_t)i * per;
		for (uint32_t w = 0; w < c->nwin; w++) {
			s->rows[w] = p;
			p += (size_t)f->g.per_bucket[w] * RS_BL_ROW;
			s->cur_b[w] = -1;
		}
	}
	for (uint32_t w = 0; w < c->nwin; w++) {
		struct rs_pressure *t = &f->tmpl[w];
		struct rs_pwin e;
		rs_pwin_open(&e, 0, c->windows_ns[w]);
		rs_pwin_close(&e, 0, t);
	}
	for (uint32_t w = 0; w < RS_IFD_MAX_WIN; w++)
		f->sess_last_b[w] = -1;
	for (int i = 0; i < RS_IFD_MAX_FEEDS; i++)
		f->feeds[i].score = 100;
	f->book = c->book;
	*out = f;
	return 0;
fail:
	rs_ifd_destroy(f);
	return rc;
}

void rs_ifd_destroy(struct rs_ifd *f)
{
	if (!f)
		return;
	free(f->inst);
	free(f->hot);
	free(f->active);
	free(f->base);
	free(f->flq);
	free(f->traded);
	free(f->tr_mark);
	for (uint32_t w = 0; w < RS_IFD_MAX_WIN; w++)
		free(f->due[w]);
	free(f->opts);
	free(f->sess);
	free(f->cell_pool);
	free(f->closed_in_b);
	free(f->row_pool);
	free(f->scratch);
	free(f->mb_old);
	free(f->mb_h);
	free(f);
}

void rs_ifd_attach(struct rs_ifd *f, struct rs_bcast *pressure, struct rs_bcast *signals,
		   struct rs_seqtab *flow)
{
	f->pressure = pressure;
	f->signals = signals;
	f->flow = flow && rs_seqtab_payload_size(flow) >= sizeof(struct rs_flow) ? flow : NULL;
}

static void resolve_baseline(struct rs_ifd *f, struct ifd_inst *in)
{
	struct ifd_hot *h = &f->hot[in - f->inst];
	in->bl = f->bl ? rs_baseline_find(f->bl, in->key) : NULL;
	in->bstats = in->bl ? in->bl->stats : NULL;
	if (f->c.large_trade_size)
		h->large_size = f->c.large_trade_size;
	else if (in->bl && in->bl->large_size)
		h->large_size = in->bl->large_size;
	else
		h->large_size = 100;
}

static inline uint8_t pat_flags(const struct rs_pat_state *p)
{
	return (uint8_t)((p->sw_rside ? PFL_SWEEP : 0) | (p->ice[0].active ? PFL_ICE0 : 0) |
			 (p->ice[1].active ? PFL_ICE1 : 0) | (p->lay_mask ? PFL_LAY : 0));
}

void rs_ifd_set_baseline(struct rs_ifd *f, const struct rs_baseline *bl)
{
	if (bl && !rs_bl_geom_equal(&bl->g, &f->g)) {
		f->st.baseline_mismatch++;
		bl = NULL;
	}
	f->bl = bl;
	for (uint32_t i = 0; i < f->nactive; i++)
		resolve_baseline(f, &f->inst[f->active[i]]);
}

void rs_ifd_define(struct rs_ifd *f, const struct rs_instrument *ins)
{
	char cl = ins->instrument_class;
	if ((cl != 'C' && cl != 'P') || ins->strike_price == RS_UNDEF_PRICE)
		return;
	for (uint32_t i = 0; i < f->nopts; i++)
		if (f->opts[i].id == ins->instrument_id) {
			f->opts[i].cp = cl;
			return;
		}
	if (f->nopts == f->c.max_instruments)
		return;
	f->opts[f->nopts++] = (struct ifd_opt){.id = ins->instrument_id,
					       .underlying = ins->underlying_id,
					       .strike = ins->strike_price,
					       .expiry = ins->expiration,
					       .cp = cl};
}

/* ---------------------------------------------------------------- publication */

/* The row changed: written once at the end of the current rs_ifd_tick. */
static inline void flow_mark(struct rs_ifd *f, struct ifd_inst *in)
{
	if (!in->on_flow) {
		in->on_flow = 1;
		f->flq[f->nflq++] = (uint32_t)(in - f->inst);
	}
}

static void flow_write(struct rs_ifd *f, struct ifd_inst *in)
{
	in->row.instrument_id = in->id;
	in->row.quality = in->quality;
	in->row.ts_updated = f->now;
	if (!f->flow || in->flow_slot == -2)
		return;
	if (in->flow_slot < 0) {
		int64_t s = rs_itable_claim(f->flow, in->id);
		if (s < 0) {
			in->flow_slot = -2;
			f->st.flow_full++;
			return;
		}
		in->flow_slot = s;
	}
	rs_seqtab_write(f->flow, (uint32_t)in->flow_slot, rs_itable_key(in->id), &in->row,
			sizeof(in->row));
}

static void flow_flush(struct rs_ifd *f)
{
	for (uint32_t i = 0; i < f->nflq; i++) {
		struct ifd_inst *in = &f->inst[f->flq[i]];
		in->on_flow = 0;
		if (in->used)
			flow_write(f, in);
	}
	f->nflq = 0;
}

static void emit_pattern(struct rs_ifd *f, struct ifd_inst *in, struct rs_pattern *p)
{
	p->ts_emitted = f->now > p->ts_last ? f->now : p->ts_last;
	if (p->kind < 4) {
		f->st.patterns[p->kind]++;
		in->row.patterns[p->kind]++;
	}
	if (f->c.on_pattern)
		f->c.on_pattern(f->c.ctx, p);
	if (f->signals)
		(void)rs_bcast_write(f->signals, RS_REC_PATTERN, p, sizeof(*p));
	flow_mark(f, in);
}

static inline void publish_pressure(struct rs_ifd *f, const struct rs_pressure *r)
{
	f->st.windows++;
	if (f->c.on_pressure)
		f->c.on_pressure(f->c.ctx, r);
	if (f->pressure)
		(void)rs_bcast_write(f->pressure, RS_REC_PRESSURE, r, sizeof(*r));
}

/* ---------------------------------------------------------------- events */

static void inst_init(struct rs_ifd *f, struct ifd_inst *in, const struct rs_book *b, int idx,
		      const struct rs_event *ev)
{
	memset(in, 0, sizeof(*in));
	memset(&f->hot[idx], 0, sizeof(f->hot[idx]));
	in->used = 1;
	in->id = ev->mbo.hd.instrument_id;
	in->publisher = ev->mbo.hd.publisher_id;
	in->feed_id = ev->feed_id;
	const struct rs_book_inst *bi = b ? rs_book_inst(b, (uint32_t)idx) : NULL;
	rs_baseline_key(in->key, bi ? bi->symbol : NULL, in->id);
	if (bi) {
		in->q_crossed = bi->q[RS_BOOK_Q_CROSSED] + bi->q[RS_BOOK_Q_LOCKED];
		for (int q = 0; q < RS_BOOK_Q_COUNT; q++)
			if (q != RS_BOOK_Q_CROSSED && q != RS_BOOK_Q_LOCKED && q != RS_BOOK_Q_OFF_TICK)
				in->q_rej += bi->q[q];
	}
	rs_aggr_init(&in->aggr);
	in->bbo = (struct rs_ofi_bbo){.bid_px = RS_UNDEF_PRICE, .ask_px = RS_UNDEF_PRICE};
	in->quality = f->feeds[ev->feed_id % RS_IFD_MAX_FEEDS].score;
	in->flow_slot = -1;
	rs_pat_init(&in->pat);
	rs_pwin_open(&in->acc, 0, f->G);
	for (uint32_t w = 0; w < f->c.nwin; w++)
		rs_pwin_open(&in->win[w], 0, f->c.windows_ns[w]);
	/* options: class, and the other class at the same (underlying, expiry, strike) */
	for (uint32_t i = 0; i < f->nopts; i++) {
		const struct ifd_opt *o = &f->opts[i];
		if (o->id != in->id)
			continue;
		in->cp = (uint8_t)o->cp;
		for (uint32_t j = 0; j < f->nopts; j++) {
			const struct ifd_opt *p = &f->opts[j];
			if (p->underlying == o->underlying && p->expiry == o->expiry &&
			    p->strike == o->strike && p->cp != o->cp)
				in->pair_id = p->id;
		}
		break;
	}
	resolve_baseline(f, in);
	f->active[f->nactive++] = (uint32_t)idx;
}

static void start_windows(struct rs_ifd *f, uint64_t ts)
{
	f->base_start = ts - ts % f->G;
	f->next_end = f->base_start + f->G;
	for (uint32_t w = 0; w < f->c.nwin; w++)
		f->cur_start[w] = ts - ts % f->c.windows_ns[w];
	if (f->now < ts)
		f->now = ts;
}

/* First event of an instrument in the open base window (and, once, the
 * instrument's first event at all). */
static __attribute__((noinline)) void base_join(struct rs_ifd *f, struct ifd_inst *in, int idx,
						const struct rs_event *ev, const struct rs_book *b)
{
	if (!in->used)
		inst_init(f, in, b, idx, ev);
	f->hot[idx].on_base = 1;
	f->base[f->nbase++] = (uint32_t)idx;
	in->acc.first_ts = ev->mbo.hd.ts_event;
}

static void bbo_changed(struct ifd_inst *in, struct ifd_hot *h, const struct rs_book *b, int idx)
{
	/* the boundary state the book just recorded (RS_EVF_BBO_CHANGED is set
	 * at boundaries): no ladder walk; sizes as the BBO row carries them */
	struct rs_book_top t;
	rs_book_top(rs_book_inst(b, (uint32_t)idx), &t);
	struct rs_ofi_bbo nb = {.bid_px = t.bid_px, .ask_px = t.ask_px,
				.bid_sz = t.bid_sz > UINT32_MAX ? UINT32_MAX : t.bid_sz,
				.ask_sz = t.ask_sz > UINT32_MAX ? UINT32_MAX : t.ask_sz};
	in->acc.ofi += rs_ofi_step(&in->bbo, &nb);
	in->bbo = nb;
	h->touch = (nb.bid_px != RS_UNDEF_PRICE ? nb.bid_sz : 0) +
		    (nb.ask_px != RS_UNDEF_PRICE ? nb.ask_sz : 0);
}

/* Everything but adds and plain cancels: trades, fills, modifies, clears. */
static __attribute__((noinline)) void on_other(struct rs_ifd *f, struct ifd_inst *in,
					       struct ifd_hot *h, const struct rs_event *ev,
					       const struct rs_book *b)
{
	struct rs_pattern pat;
	char act = ev->mbo.action;
	int ok = !(ev->rs_flags & RS_EVF_REJECTED);
	if (rs_aggr_trade(&in->aggr, ev)) {
		char side = rs_aggr_side(&in->aggr, ev, in->bbo.bid_px, in->bbo.ask_px);
		uint32_t q = rs_aggr_volume(ev);
		rs_pwin_trade(&in->acc, side, q, rs_aggr_price(ev), q >= h->large_size);
		if (!in->traded) {
			in->traded = 1;
			in->tr_pos = f->ntraded;
			f->traded[f->ntraded++] = in->id;
		}
		in->tsz[rs_lat_bucket(q) & (RS_LAT_BUCKETS / 2 - 1)]++;
		f->st.trades++;
	}
	if (act == RS_ACTION_FILL && ok) {
		h->last_fill_oid = ev->mbo.order_id;
		if (rs_pat_fill(&in->pat, &f->c.pat, in->id, ev, &pat))
			emit_pattern(f, in, &pat);
		h->pflags = pat_flags(&in->pat);
	} else if (act == RS_ACTION_MODIFY && ok && ev->mbo.size != RS_SIZE_ALL) {
		/* a modify = cancel of the old size + add of the new size on
		 * its side; the old size comes from rs_ifd_before_book */
		uintptr_t p = (uintptr_t)ev;
		if (p >= f->mb_base && p < f->mb_base + (uintptr_t)f->mb_n * sizeof(*ev)) {
			uint32_t old = f->mb_old[(p - f->mb_base) / sizeof(*ev)];
			if (old != UINT32_MAX) {
				char sd = ev->mbo.side;
				h->bid_cancelled += sd == RS_SIDE_BID ? old : 0;
				h->ask_cancelled += sd == RS_SIDE_ASK ? old : 0;
				h->bid_added += sd == RS_SIDE_BID ? ev->mbo.size : 0;
				h->ask_added += sd == RS_SIDE_ASK ? ev->mbo.size : 0;
				f->st.modifies++;
			}
		}
	} else if (act == RS_ACTION_CANCEL && ok && ev->mbo.size != RS_SIZE_ALL) {
		/* the book side of an execution (rs_ifd_on_event routes it here) */
		h->last_fill_oid = 0;
	}
	h->in_trade = in->aggr.in_trade;
}

void rs_ifd_on_event(struct rs_ifd *f, const struct rs_event *ev, const struct rs_book *b, int idx)
{
	if (unlikely((uint32_t)idx >= f->c.max_instruments)) {
		f->st.dropped++;
		return;
	}
	uint64_t ts = ev->mbo.hd.ts_event;
	if (unlikely(ts >= f->next_end)) {
		if (!f->next_end)
			start_windows(f, ts);
		else
			rs_ifd_tick(f, ts);
	}
	f->book = b;
	struct ifd_hot *h = &f->hot[idx];
	if (unlikely(!h->on_base))
		base_join(f, &f->inst[idx], idx, ev, b);
	h->last_ts = ts;
	h->event_count++;
	f->st.events++;
	f->st.late += ts < f->base_start;
	uint32_t fl = ev->rs_flags;
	h->stale_seen |= (fl & RS_EVF_STALE) != 0;
	struct rs_pattern pat;
	if (unlikely(h->pflags & PFL_SWEEP)) {
		struct ifd_inst *in = &f->inst[idx];
		if (rs_pat_event(&in->pat, in->id, ts, &pat))
			emit_pattern(f, in, &pat);
		h->pflags = pat_flags(&in->pat);
	}

	/* the two hot actions inline, on the hot line only; they are never
	 * trades, so the aggressor state only needs its end-of-event reset */
	char act = ev->mbo.action;
	uint32_t size = ev->mbo.size;
	char side = ev->mbo.side;
	int ok = !(fl & RS_EVF_REJECTED) && size != RS_SIZE_ALL;
	int last = (ev->mbo.flags & RS_F_LAST) != 0;
	if (act == RS_ACTION_ADD) {
		if (ok) {
			h->bid_added += side == RS_SIDE_BID ? size : 0;
			h->ask_added += side == RS_SIDE_ASK ? size : 0;
			int large = size >= h->large_size;
			uint8_t ice = side == RS_SIDE_ASK ? PFL_ICE1 : PFL_ICE0;
			if (unlikely(large || (h->pflags & ice))) {
				struct ifd_inst *in = &f->inst[idx];
				int64_t px = ev->mbo.price;
				/* away from the touch only matters for a large add (layering) */
				int away = large && (side == RS_SIDE_BID ? (in->bbo.bid_px != RS_UNDEF_PRICE &&
									    px < in->bbo.bid_px)
									 : (in->bbo.ask_px != RS_UNDEF_PRICE &&
									    px > in->bbo.ask_px));
				if (rs_pat_add(&in->pat, &f->c.pat, in->id, ev, away, large, &pat))
					emit_pattern(f, in, &pat);
				h->pflags = pat_flags(&in->pat);
			}
		}
	} else if (act == RS_ACTION_CANCEL &&
		   (ev->mbo.order_id != h->last_fill_oid || !h->last_fill_oid)) {
		if (ok) {
			h->bid_cancelled += side == RS_SIDE_BID ? size : 0;
			h->ask_cancelled += side == RS_SIDE_ASK ? size : 0;
			if (unlikely(h->pflags & PFL_LAY)) {
				struct ifd_inst *in = &f->inst[idx];
				if (rs_pat_lay_watched(&in->pat, ev->mbo.order_id)) {
					/* only layering candidates pay for the order lookup */
					int whole = (fl & RS_EVF_DELETE) ||
						    !rs_book_order(b, in->id, ev->mbo.order_id);
					if (rs_pat_cancel(&in->pat, &f->c.pat, in->id, ev, whole, &pat))
						emit_pattern(f, in, &pat);
					h->pflags = pat_flags(&in->pat);
				}
			}
		}
	} else {
		on_other(f, &f->inst[idx], h, ev, b);
		last = 0; /* on_other ran the aggressor state itself */
	}
	if (unlikely(last && h->in_trade)) {
		f->inst[idx].aggr.in_trade = 0;
		h->in_trade = 0;
	}
	if (fl & RS_EVF_BBO_CHANGED)
		bbo_changed(&f->inst[idx], h, b, idx);
	if (ev->mbo.flags & RS_F_LAST) {
		h->depth_sum += h->touch;
		h->depth_n++;
	}
}

void rs_ifd_on_event_cb(void *f, const struct rs_event *ev, int idx)
{
	struct rs_ifd *e = f;
	rs_ifd_on_event(e, ev, e->book, idx);
}

/* ---------------------------------------------------------------- modify pre-pass */

static struct mb_slot *mb_slot(struct rs_ifd *f, uint32_t iid, uint64_t oid, int *fresh)
{
	uint64_t h = (oid ^ ((uint64_t)iid << 40)) * 0x9e3779b97f4a7c15ull;
	for (uint32_t i = (uint32_t)(h >> 50) & (MB_SLOTS - 1);; i = (i + 1) & (MB_SLOTS - 1)) {
		struct mb_slot *s = &f->mb_h[i];
		if (s->gen != f->mb_gen) {
			*s = (struct mb_slot){.oid = oid, .iid = iid, .gen = f->mb_gen};
			*fresh = 1;
			return s;
		}
		if (s->oid == oid && s->iid == iid) {
			*fresh = 0;
			return s;
		}
	}
}

void rs_ifd_before_book(struct rs_ifd *f, const struct rs_event *ev, unsigned n, const struct rs_book *b)
{
	f->mb_base = (uintptr_t)ev;
	f->mb_n = 0;
	unsigned i = 0;
	while (i < n && ev[i].mbo.action != RS_ACTION_MODIFY)
		i++;
	if (i == n)
		return;
	if (n > MB_CAP)
		n = MB_CAP;
	if (++f->mb_gen == 0) {
		memset(f->mb_h, 0, MB_SLOTS * sizeof(*f->mb_h));
		f->mb_gen = 1;
	}
	/* mirror the book's order sizes through the burst (adds set, cancels
	 * reduce, modifies set; trades and fills leave resting sizes to the
	 * cancels/modifies that follow them) */
	for (i = 0; i < n; i++) {
		const struct rs_mbo *m = &ev[i].mbo;
		char a = m->action;
		f->mb_old[i] = UINT32_MAX;
		if (a != RS_ACTION_ADD && a != RS_ACTION_CANCEL && a != RS_ACTION_MODIFY)
			continue;
		int fresh;
		struct mb_slot *s = mb_slot(f, m->hd.instrument_id, m->order_id, &fresh);
		if (fresh && a != RS_ACTION_ADD && b) {
			const struct rs_book_order *o = rs_book_order(b, m->hd.instrument_id, m->order_id);
			s->size = o ? o->size : 0;
		}
		if (a == RS_ACTION_ADD) {
			s->size = m->size == RS_SIZE_ALL ? 0 : m->size;
		} else if (a == RS_ACTION_CANCEL) {
			if (m->size == RS_SIZE_ALL || (ev[i].rs_flags & RS_EVF_DELETE) || m->size >= s->size)
				s->size = 0;
			else
				s->size -= m->size;
		} else {
			f->mb_old[i] = s->size;
			s->size = m->size == RS_SIZE_ALL ? s->size : m->size;
		}
	}
	f->mb_n = n;
}

/* ---------------------------------------------------------------- session */

static void sess_flush(struct rs_ifd *f, struct ifd_sess *s, uint32_t w)
{
	if (s->cur_b[w] < 0)
		return;
	uint32_t c = f->g.off[w] + (uint32_t)s->cur_b[w];
	rs_bl_cell_from_rows(&s->cells[c], s->rows[w], s->cnt[w], f->closed_in_b[c], f->scratch);
	s->cnt[w] = 0;
	s->cur_b[w] = -1;
}

static void sess_reset_all(struct rs_ifd *f)
{
	for (uint32_t i = 0; i < f->nsess; i++) {
		struct ifd_sess *s = &f->sess[i];
		memset(s->cells, 0, f->g.ncells * sizeof(*s->cells));
		for (uint32_t w = 0; w < f->c.nwin; w++) {
			s->cur_b[w] = -1;
			s->cnt[w] = 0;
		}
	}
	f->nsess = 0;
	for (uint32_t i = 0; i < f->nactive; i++) {
		struct ifd_inst *in = &f->inst[f->active[i]];
		in->sess = NULL;
		in->traded = 0;
		memset(in->tsz, 0, sizeof(in->tsz));
		memset(in->hk, 0, sizeof(in->hk));
		memset(in->hd, 0, sizeof(in->hd));
		memset(in->cd_end, 0, sizeof(in->cd_end));
		memset(in->cd_z, 0, sizeof(in->cd_z));
	}
	memset(f->tr_mark, 0, f->ntraded);
	f->ntraded = 0;
	memset(f->closed_in_b, 0, f->g.ncells * sizeof(*f->closed_in_b));
	for (uint32_t w = 0; w < RS_IFD_MAX_WIN; w++)
		f->sess_last_b[w] = -1;
	f->sess_date = 0;
	f->sess_open = f->sess_close = 0;
}

/* A non-empty window (buy + sell > 0) in bucket b of the session. */
static void collect(struct rs_ifd *f, struct ifd_inst *in, uint32_t w, int32_t b,
		    const struct rs_pressure *r)
{
	struct ifd_sess *s = in->sess;
	if (!s) {
		if (f->nsess == f->c.session_instruments) {
			f->st.session_full++;
			return;
		}
		s = in->sess = &f->sess[f->nsess++];
	}
	if (s->cur_b[w] != b) {
		sess_flush(f, s, w);
		s->cur_b[w] = b;
	}
	if (s->cnt[w] >= f->g.per_bucket[w])
		return;
	float *v = &s->rows[w][s->cnt[w]++ * RS_BL_ROW];
	v[0] = (float)r->vi;
	v[1] = r->avg_depth > 0 ? (float)((double)r->ofi / r->avg_depth) : 0.0f;
	v[2] = (float)(r->buy_volume + r->sell_volume);
	v[3] = (float)(r->large_buy_trades + r->large_sell_trades);
}

/* ---------------------------------------------------------------- decision */

static void decide(struct rs_ifd *f, struct ifd_inst *in, uint32_t w, int32_t b,
		   const struct rs_pressure *r)
{
	const struct rs_ifd_cfg *c = &f->c;
	/* no aggressor volume: nothing is known about vi (rs_baseline.h) */
	uint64_t vol = r->buy_volume + r->sell_volume;
	if (!vol)
		return;
	const struct rs_bl_stat *st =
		(b >= 0 && f->bl) ? rs_baseline_stat(f->bl, in->bl, w, (uint32_t)b) : NULL;
	uint32_t samples = st ? st->samples : 0;
	double zt = c->z_threshold;
	double x_ofi = r->avg_depth > 0 ? (double)r->ofi / r->avg_depth : 0.0;
	double z_vi = 0, zr_vi = 0, z_ofi = 0;
	if (st && samples) {
		if (st->sd[RS_BL_VI] > 0)
			z_vi = (r->vi - st->mean[RS_BL_VI]) / st->sd[RS_BL_VI];
		if (st->mad[RS_BL_VI] > 0)
			zr_vi = (r->vi - st->med[RS_BL_VI]) / (1.4826 * st->mad[RS_BL_VI]);
		if (st->sd[RS_BL_OFI] > 0)
			z_ofi = (x_ofi - st->mean[RS_BL_OFI]) / st->sd[RS_BL_OFI];
	}
	char dir = r->vi > 0 ? RS_SIDE_BID : r->vi < 0 ? RS_SIDE_ASK
			: r->ofi > 0 ? RS_SIDE_BID : r->ofi < 0 ? RS_SIDE_ASK : 0;
	/* persistence: the last persist_m windows in time, this one included;
	 * only qualifying windows are remembered, with their window index */
	uint64_t k = r->ts_start / r->window_ns;
	if (dir && fabs(z_vi) >= zt - 0.5) {
		uint8_t hp = in->hpos[w];
		in->hk[w][hp] = k;
		in->hd[w][hp] = dir;
		in->hpos[w] = (uint8_t)((hp + 1) % HIST);
	}
	if (!dir)
		return;
	if (!(fabs(z_vi) >= zt || fabs(zr_vi) >= zt))
		return;
	int immature = samples < c->baseline_min_days;
	if (immature && !c->allow_immature) {
		f->st.suppressed_immature++;
		return;
	}
	double minvol = c->min_volume ? (double)c->min_volume : (st ? st->med[RS_BL_VOLNE] : 0.0);
	if ((double)vol < minvol)
		return;
	uint32_t same = 0;
	for (uint32_t j = 0; j < HIST; j++)
		same += in->hd[w][j] == dir && in->hk[w][j] <= k && k - in->hk[w][j] < c->persist_m;
	if (same < c->persist_k)
		return;
	uint32_t large = dir == RS_SIDE_BID ? r->large_buy_trades : r->large_sell_trades;
	if (!large && !(fabs(z_ofi) >= zt))
		return;
	double zmax = fmax(fabs(z_vi), fabs(zr_vi));
	int d = dir == RS_SIDE_ASK;
	uint64_t cooldown = c->cooldown_ns ? c->cooldown_ns : r->window_ns;
	if (in->cd_end[w][d] && r->ts_start < in->cd_end[w][d] + cooldown &&
	    zmax < in->cd_z[w][d] + c->z_step) {
		f->st.suppressed_cooldown++;
		return;
	}
	double maturity = fmin(1.0, (double)samples / (double)c->baseline_days);
	double conf = rs_ifd_logistic(1.5 * (zmax - zt)) * maturity * ((double)in->quality / 100.0);
	uint32_t flags = 0;
	if (immature)
		flags |= RS_SIGF_IMMATURE;
	if (in->quality < c->quality_alert)
		flags |= RS_SIGF_DEGRADED_FEED;
	if (in->pair_id && f->book) {
		int pi = rs_book_find(f->book, in->pair_id);
		if (pi >= 0 && (uint32_t)pi < c->max_instruments && f->inst[pi].used) {
			const struct rs_pressure *o = &f->inst[pi].row.last[w];
			if (o->ts_start == r->ts_start) {
				double a = (double)(r->buy_volume + r->sell_volume + r->unknown_volume);
				double p = (double)(o->buy_volume + o->sell_volume + o->unknown_volume);
				if (a + p > 0 && 2.0 * fmin(a, p) / (a + p) >= 0.7) {
					flags |= RS_SIGF_MARKET_MAKING;
					conf *= 0.8;
				}
			}
		}
	}
	if (conf < 0)
		conf = 0;
	if (conf > 1)
		conf = 1;
	struct rs_signal s = {
		.instrument_id = in->id, .publisher_id = in->publisher, .direction = dir,
		.strength = rs_ifd_strength(conf), .flags = flags, .baseline_samples = samples,
		.window_ns = r->window_ns, .ts_start = r->ts_start, .ts_end = r->ts_end,
		.confidence = conf, .z_vi = z_vi, .zr_vi = zr_vi, .z_ofi = z_ofi, .vi = r->vi,
		.ofi = r->ofi, .pressure_ratio = r->pressure_ratio, .buy_volume = r->buy_volume,
		.sell_volume = r->sell_volume, .large_buy_trades = r->large_buy_trades,
		.large_sell_trades = r->large_sell_trades,
		.baseline_mean = st ? st->mean[RS_BL_VI] : 0.0,
		.baseline_sd = st ? st->sd[RS_BL_VI] : 0.0, .ts_last_event = r->last_ts,
		.ts_emitted = f->now};
	in->cd_end[w][d] = r->ts_end;
	in->cd_z[w][d] = zmax;
	in->row.signals++;
	in->row.last_signal = s;
	f->st.signals++;
	if (c->on_signal)
		c->on_signal(c->ctx, &s);
	if (f->signals)
		(void)rs_bcast_write(f->signals, RS_REC_SIGNAL, &s, sizeof(s));
}

/* ---------------------------------------------------------------- closing */

/* Next session open at or after t (UNIX ns), within 14 days; 0 if none. */
static uint64_t next_open(const struct rs_session_cal *c, uint64_t t)
{
	uint64_t off;
	if (!rs_session_offset(c, t, &off))
		return t;
	int64_t l = (int64_t)t + c->tz_offset_ns;
	int64_t day = 86400 * (int64_t)NS_S;
	int64_t d0 = l / day;
	for (int k = 0; k < 15; k++) {
		int64_t open = (d0 + k) * day + (int64_t)c->open_min * 60 * (int64_t)NS_S -
			       c->tz_offset_ns;
		if (open >= (int64_t)t && !rs_session_offset(c, (uint64_t)open, &off))
			return (uint64_t)open;
	}
	return 0;
}

/* Session bucket of the window of w starting at `start`, -1 outside the
 * session; starts a new session (date) when needed. */
static int32_t window_bucket(struct rs_ifd *f, uint32_t w, uint64_t start)
{
	uint64_t off;
	if (f->sess_date && start >= f->sess_open && start < f->sess_close) {
		off = start - f->sess_open; /* the common case: no calendar arithmetic */
	} else {
		if (rs_session_offset(&f->c.cal, start, &off))
			return -1;
		uint32_t date = rs_session_date(&f->c.cal, start);
		if (f->sess_date && date != f->sess_date) {
			f->st.session_reset++;
			sess_reset_all(f);
		}
		if (!f->sess_date) {
			f->sess_date = date;
			f->sess_open = start - off;
			f->sess_close = f->sess_open + rs_session_len(&f->c.cal);
		}
	}
	uint64_t b = off / f->g.blen[w];
	if (b >= f->g.nbuckets[w])
		return -1;
	return (int32_t)b;
}

static inline struct rs_pwin *acc_of(struct rs_ifd *f, struct ifd_inst *in, uint32_t w)
{
	return (int)w == f->direct ? &in->acc : &in->win[w];
}

/* An accumulator's three lines (160 bytes). */
static inline void pf_pwin(const struct rs_pwin *a, int write)
{
	const char *p = (const char *)a;
	if (write) {
		__builtin_prefetch(p, 1);
		__builtin_prefetch(p + 64, 1);
		__builtin_prefetch(p + 128, 1);
	} else {
		__builtin_prefetch(p);
		__builtin_prefetch(p + 64);
		__builtin_prefetch(p + 128);
	}
}

/* The base window ending at base_start + G closes, with every window w
 * ending there. */
static void boundary(struct rs_ifd *f)
{
	const uint64_t E = f->base_start + f->G;
	const uint32_t nw = f->c.nwin;
	uint32_t ending = 0;
	int32_t bk[RS_IFD_MAX_WIN];
	uint32_t *list[RS_IFD_MAX_WIN], nlist[RS_IFD_MAX_WIN];

	/* 1. fold the base windows into the longer windows: nested windows
	 * as a chain (base -> next window; a closing window -> the next),
	 * else the base into each */
	for (uint32_t i = 0; i < f->nbase; i++) {
		if (i + PF < f->nbase) {
			struct ifd_inst *p = &f->inst[f->base[i + PF]];
			pf_pwin(&p->acc, 1);
			__builtin_prefetch(&f->hot[f->base[i + PF]], 1);
			if (f->direct == 0 && nw > 1)
				pf_pwin(&p->win[1], 1);
		}
		uint32_t idx = f->base[i];
		struct ifd_inst *in = &f->inst[idx];
		struct ifd_hot *h = &f->hot[idx];
		struct rs_pwin *a = &in->acc;
		a->event_count = h->event_count;
		a->last_ts = h->last_ts;
		a->bid_added = h->bid_added;
		a->ask_added = h->ask_added;
		a->bid_cancelled = h->bid_cancelled;
		a->ask_cancelled = h->ask_cancelled;
		a->depth_sum = h->depth_sum;
		a->depth_n = h->depth_n;
		h->event_count = h->bid_added = h->ask_added = 0;
		h->bid_cancelled = h->ask_cancelled = h->depth_sum = 0;
		h->depth_n = 0;
		for (uint32_t w = 0; w < nw; w++) {
			if ((int)w == f->direct)
				continue;
			if (!in->due[w]) {
				in->due[w] = 1;
				f->due[w][f->ndue[w]++] = idx;
			}
			rs_pwin_fold(&in->win[w], &in->acc);
			if (f->chain)
				break;
		}
	}
	if (f->chain)
		for (uint32_t w = 1; w + 1 < nw; w++) {
			if (f->cur_start[w] + f->c.windows_ns[w] != E)
				break; /* nested: a longer window cannot end here either */
			for (uint32_t i = 0; i < f->ndue[w]; i++) {
				if (i + PF < f->ndue[w]) {
					struct ifd_inst *p = &f->inst[f->due[w][i + PF]];
					pf_pwin(&p->win[w], 0);
					pf_pwin(&p->win[w + 1], 1);
				}
				uint32_t idx = f->due[w][i];
				struct ifd_inst *in = &f->inst[idx];
				if (!in->due[w + 1]) {
					in->due[w + 1] = 1;
					f->due[w + 1][f->ndue[w + 1]++] = idx;
				}
				rs_pwin_fold(&in->win[w + 1], &in->win[w]);
			}
		}
	for (uint32_t w = 0; w < nw; w++) {
		if (f->cur_start[w] + f->c.windows_ns[w] != E)
			continue;
		ending |= 1u << w;
		bk[w] = window_bucket(f, w, f->cur_start[w]);
		if (bk[w] >= 0) {
			f->closed_in_b[f->g.off[w] + (uint32_t)bk[w]]++;
			f->sess_last_b[w] = bk[w];
		}
		list[w] = (int)w == f->direct ? f->base : f->due[w];
		nlist[w] = (int)w == f->direct ? f->nbase : f->ndue[w];
	}

	/* 2-3. per window, longest first (the rarer and more important
	 * signals first): records, the session's traded marks, decisions
	 * inline - except for options with a counterpart, decided once every
	 * record of that window exists (the straddle check reads the other
	 * class's record). The baseline statistic is prefetched with the
	 * record a few instruments ahead. */
	for (int ww = (int)nw - 1; ww >= 0; ww--) {
		uint32_t w = (uint32_t)ww;
		if (!(ending & (1u << w)))
			continue;
		uint8_t bit = (uint8_t)(1u << w);
		uint32_t soff = f->g.off[w] + (uint32_t)bk[w], npaired = 0;
		for (uint32_t i = 0; i < nlist[w]; i++) {
			if (i + PF < nlist[w]) {
				struct ifd_inst *p = &f->inst[list[w][i + PF]];
				pf_pwin(acc_of(f, p, w), 0);
				__builtin_prefetch(&p->aggr);
				const char *r = (const char *)&p->row.last[w];
				__builtin_prefetch(r, 1);
				__builtin_prefetch(r + 64, 1);
				__builtin_prefetch(r + 128, 1);
			}
			if (bk[w] >= 0 && i + PF / 2 < nlist[w]) {
				const struct ifd_inst *p = &f->inst[list[w][i + PF / 2]];
				if (p->bstats)
					__builtin_prefetch(&p->bstats[soff]);
			}
			struct ifd_inst *in = &f->inst[list[w][i]];
			struct rs_pwin *a = acc_of(f, in, w);
			a->ts_start = f->cur_start[w];
			a->window_ns = f->c.windows_ns[w];
			rs_pwin_close(a, in->id, &in->row.last[w]);
			if (bk[w] >= 0 && in->traded)
				f->tr_mark[in->tr_pos] |= bit;
			if (in->pair_id) {
				npaired++;
				continue;
			}
			decide(f, in, w, bk[w], &in->row.last[w]);
			flow_mark(f, in);
		}
		for (uint32_t i = 0; npaired && i < nlist[w]; i++) {
			struct ifd_inst *in = &f->inst[list[w][i]];
			if (!in->pair_id)
				continue;
			npaired--;
			decide(f, in, w, bk[w], &in->row.last[w]);
			flow_mark(f, in);
		}
	}
	/* 4. publication: the records, then the empty windows of the
	 * instruments that traded in the session */
	for (uint32_t w = 0; w < nw; w++) {
		if (!(ending & (1u << w)))
			continue;
		uint8_t bit = (uint8_t)(1u << w);
		for (uint32_t i = 0; i < nlist[w]; i++)
			publish_pressure(f, &f->inst[list[w][i]].row.last[w]);
		if (bk[w] < 0)
			continue;
		/* the empty windows: one template, one ring write each */
		struct rs_pressure *t = &f->tmpl[w];
		t->ts_start = f->cur_start[w];
		t->ts_end = E;
		const uint32_t *tr = f->traded;
		uint8_t *mk = f->tr_mark;
		void (*cb)(void *, const struct rs_pressure *) = f->c.on_pressure;
		struct rs_bcast *ring = f->pressure;
		uint32_t nt = f->ntraded, empties = 0;
		for (uint32_t k = 0; k < nt; k++) {
			if (mk[k] & bit) {
				mk[k] &= (uint8_t)~bit;
				continue;
			}
			t->instrument_id = tr[k];
			empties++;
			if (cb)
				cb(f->c.ctx, t);
			if (ring)
				(void)rs_bcast_write(ring, RS_REC_PRESSURE, t, sizeof(*t));
		}
		f->st.windows += empties;
		f->st.empty_windows += empties;
	}
	/* 5. baseline collection (may summarize a finished bucket), reset */
	for (uint32_t w = 0; w < nw; w++) {
		if (!(ending & (1u << w)))
			continue;
		for (uint32_t i = 0; i < nlist[w]; i++) {
			struct ifd_inst *in = &f->inst[list[w][i]];
			const struct rs_pressure *r = &in->row.last[w];
			if (bk[w] >= 0 && r->buy_volume + r->sell_volume)
				collect(f, in, w, bk[w], r);
			if ((int)w != f->direct) {
				rs_pwin_open(&in->win[w], 0, f->c.windows_ns[w]);
				in->due[w] = 0;
			}
		}
		if ((int)w != f->direct)
			f->ndue[w] = 0;
		f->cur_start[w] = E;
	}
	for (uint32_t i = 0; i < f->nbase; i++) {
		rs_pwin_open(&f->inst[f->base[i]].acc, 0, f->G);
		f->hot[f->base[i]].on_base = 0;
	}
	f->nbase = 0;
	f->base_start = E;
}

/* Nothing pending and every window out of the session: jump over the
 * stretch (nothing would be published) to the next common alignment at
 * or before min(now, next session open). */
static int skip_idle(struct rs_ifd *f, uint64_t now)
{
	if (f->nbase || !f->lcm)
		return 0;
	uint64_t off;
	for (uint32_t w = 0; w < f->c.nwin; w++)
		if (f->ndue[w] || !rs_session_offset(&f->c.cal, f->cur_start[w], &off))
			return 0;
	uint64_t L = f->lcm, to = now - now % L, o = next_open(&f->c.cal, f->base_start);
	if (o && o - o % L < to)
		to = o - o % L;
	if (to <= f->base_start)
		return 0;
	f->base_start = to;
	for (uint32_t w = 0; w < f->c.nwin; w++)
		f->cur_start[w] = to;
	return 1;
}

void rs_ifd_tick(struct rs_ifd *f, uint64_t now)
{
	if (now > f->now)
		f->now = now;
	if (f->next_end && now >= f->next_end) {
		while (f->base_start + f->G <= now)
			if (!skip_idle(f, now))
				boundary(f);
		f->next_end = f->base_start + f->G;
	}
	if (f->nflq)
		flow_flush(f);
}

void rs_ifd_reset(struct rs_ifd *f)
{
	sess_reset_all(f);
	for (uint32_t i = 0; i < f->nactive; i++) {
		struct ifd_inst *in = &f->inst[f->active[i]];
		in->used = 0;
		f->hot[f->active[i]].on_base = 0; /* the next event re-initializes it */
	}
	for (uint32_t i = 0; i < f->nflq; i++)
		f->inst[f->flq[i]].on_flow = 0;
	f->nactive = 0;
	f->nbase = 0;
	f->nflq = 0;
	memset(f->ndue, 0, sizeof(f->ndue));
	f->next_end = 0;
	f->mb_n = 0;
}

void rs_ifd_flush(struct rs_ifd *f)
{
	struct rs_pattern p;
	for (uint32_t i = 0; i < f->nactive; i++) {
		struct ifd_inst *in = &f->inst[f->active[i]];
		if (rs_pat_sweep_end(&in->pat, in->id, &p))
			emit_pattern(f, in, &p);
		f->hot[f->active[i]].pflags = pat_flags(&in->pat);
	}
	if (f->nflq)
		flow_flush(f);
}

/* ---------------------------------------------------------------- quality */

void rs_ifd_feed_quality(struct rs_ifd *f, uint8_t feed_id, const struct rs_feed_health *h)
{
	struct ifd_feed *fd = &f->feeds[feed_id % RS_IFD_MAX_FEEDS];
	struct rs_quality_delta d = {0};
	if (fd->seen) {
		d.messages = h->messages - fd->prev.messages;
		d.lost = h->gap_messages - fd->prev.gap_messages;
		d.dups = h->duplicates - fd->prev.duplicates;
		d.ooo = h->out_of_order - fd->prev.out_of_order;
	} else {
		d.messages = h->messages;
		d.lost = h->gap_messages;
		d.dups = h->duplicates;
		d.ooo = h->out_of_order;
	}
	d.stale = h->stale != 0;
	d.p99_ns = h->latency_p99_ns;
	d.budget_ns = f->c.latency_budget_ns;
	fd->prev = *h;
	fd->seen = 1;
	fd->score = rs_quality_feed_score(&d);
	uint32_t lvl = f->c.quality_alert;
	if (fd->score < lvl && !fd->alerted) {
		fd->alerted = 1;
		f->st.alerts++;
		if (f->c.on_alert)
			f->c.on_alert(f->c.ctx, feed_id, UINT32_MAX, fd->score);
	} else if (fd->score >= lvl) {
		fd->alerted = 0;
	}
	for (uint32_t i = 0; i < f->nactive; i++) {
		uint32_t idx = f->active[i];
		struct ifd_inst *in = &f->inst[idx];
		if (in->feed_id != feed_id)
			continue;
		uint64_t crossed = 0, rej = 0;
		const struct rs_book_inst *bi = f->book ? rs_book_inst(f->book, idx) : NULL;
		if (bi) {
			crossed = bi->q[RS_BOOK_Q_CROSSED] + bi->q[RS_BOOK_Q_LOCKED];
			for (int q = 0; q < RS_BOOK_Q_COUNT; q++)
				if (q != RS_BOOK_Q_CROSSED && q != RS_BOOK_Q_LOCKED &&
				    q != RS_BOOK_Q_OFF_TICK)
					rej += bi->q[q];
		}
		uint32_t s = rs_quality_inst_score(fd->score, crossed - in->q_crossed, rej - in->q_rej,
						   f->hot[idx].stale_seen);
		in->q_crossed = crossed;
		in->q_rej = rej;
		f->hot[idx].stale_seen = 0;
		if (s != in->quality) {
			in->quality = s;
			flow_mark(f, in);
		}
		if (s < lvl && !in->alerted) {
			in->alerted = 1;
			f->st.alerts++;
			if (f->c.on_alert)
				f->c.on_alert(f->c.ctx, feed_id, in->id, s);
		} else if (s >= lvl) {
			in->alerted = 0;
		}
	}
}

/* ---------------------------------------------------------------- queries */

int rs_ifd_session_over(const struct rs_ifd *f)
{
	return f->sess_date && f->now >= f->sess_close;
}

uint32_t rs_ifd_session_date(const struct rs_ifd *f)
{
	return f->sess_date;
}

static float tsz_p95(const uint32_t *h, uint32_t n)
{
	uint64_t tot = 0;
	for (uint32_t i = 0; i < n; i++)
		tot += h[i];
	if (!tot)
		return 0;
	uint64_t want = (tot * 95 + 99) / 100, acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		acc += h[i];
		if (acc >= want)
			return (float)rs_lat_bucket_lo(i);
	}
	return 0;
}

int rs_ifd_end_session(struct rs_ifd *f, struct rs_baseline *bl)
{
	if (!rs_bl_geom_equal(&bl->g, &f->g))
		return RS_ERR_SET(-EINVAL, "ifd: baseline geometry differs from the engine's");
	int added = 0, rc = 0;
	if (f->sess_date) {
		for (uint32_t i = 0; i < f->nactive; i++) {
			struct ifd_inst *in = &f->inst[f->active[i]];
			struct ifd_sess *s = in->sess;
			if (!s || !in->traded)
				continue;
			for (uint32_t w = 0; w < f->c.nwin; w++) {
				sess_flush(f, s, w);
				/* buckets the session reached without a non-empty
				 * window of this instrument: all its windows empty
				 * (all of the bucket's when the engine started later) */
				for (int32_t b = 0; b <= f->sess_last_b[w]; b++) {
					uint32_t c = f->g.off[w] + (uint32_t)b;
					struct rs_bl_cell *cell = &s->cells[c];
					if (!cell->n) {
						memset(cell, 0, sizeof(*cell));
						cell->n = f->closed_in_b[c] ? f->closed_in_b[c]
									    : f->g.per_bucket[w];
					}
				}
			}
			rc = rs_baseline_add(bl, in->key, in->id, f->sess_date,
					     tsz_p95(in->tsz, RS_LAT_BUCKETS / 2), s->cells);
			if (rc)
				break;
			added++;
		}
	}
	sess_reset_all(f);
	if (f->bl == bl)
		rs_ifd_set_baseline(f, bl);
	return rc ? rc : added;
}

const struct rs_ifd_stats *rs_ifd_stats(const struct rs_ifd *f)
{
	return &f->st;
}

uint32_t rs_ifd_feed_score(const struct rs_ifd *f, uint8_t feed_id)
{
	return f->feeds[feed_id % RS_IFD_MAX_FEEDS].score;
}

uint32_t rs_ifd_inst_score(const struct rs_ifd *f, int idx)
{
	if ((uint32_t)idx >= f->c.max_instruments || !f->inst[idx].used)
		return 0;
	return f->inst[idx].quality;
}

const struct rs_flow *rs_ifd_flow(const struct rs_ifd *f, int idx)
{
	if ((uint32_t)idx >= f->c.max_instruments || !f->inst[idx].used)
		return NULL;
	return &f->inst[idx].row;
}
