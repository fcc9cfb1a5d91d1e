/*
 * rs_analytics.c - bars, features, microstructure and volume profile on the
 * handler core. Definitions and the driving contract: rs_analytics.h.
 *
 * Memory (all from rs_analytics_create, zeroed/initialised there):
 *
 *   inst[max_instruments]    64 B per book index: aggressor state, BBO at
 *                            the last boundary, cumulative OFI, mid variance,
 *                            active slot (0 = never traded)
 *   act[max_active]          per instrument that traded: latest-table slot,
 *                            session volume, POC / value area, its profile
 *                            chunk
 *   ser[niv][max_active]     per interval and instrument: the open bar's
 *                            accumulator, bar count and feature state
 *                            (interval major: a boundary of the shortest
 *                            interval walks one contiguous array; an empty
 *                            bar of a steady series touches one line)
 *   closes, rets             feature rings (int64 closes, double log returns)
 *   lvl[4 profile_levels     volume profile: per instrument one contiguous
 *       + 8 max_active]      chunk of (price, volume) sorted by price
 *                            (binary search per trade; a new price moves the
 *                            higher ones up); a full chunk is copied into
 *                            one twice as large taken from the end of the
 *                            pool (never freed within a session: the chunks
 *                            of an instrument with n levels sum to at most
 *                            max(8, 4n), hence the pool size). The value
 *                            area walks the chunk from the POC: no sort,
 *                            no pointer chasing.
 *
 * Per event (rs_analytics_on_event_cb / _replay): the clock compare, then
 * for the events that neither trade nor change the BBO nor mark the
 * instrument stale (most adds and cancels) nothing else. Trades update
 * only the accumulators of the "root" intervals (those that no shorter
 * configured interval divides); a longer interval's bar is the sum of the
 * shorter interval's bars it contains (OHLC, volumes and the integer
 * price*size sum compose exactly) and is rolled up when those close.
 * Boundaries whose BBO changed read the touch from the book's boundary
 * state (rs_book_top), compute the OFI term and the mid variance.
 *
 * Bars close in tick: all instruments share the epoch-aligned boundaries,
 * so one compare against the earliest end detects them; a boundary walks
 * the active instruments once. An empty bar (88 % of them) advances the
 * features with rs_feat_same / rs_feat_repeat (rs_features.h); its record
 * is built (on the stack) only when someone takes it: sink, bars ring,
 * latest row. The latest row: header only ts_updated unless a trade or BBO
 * change touched it; an empty bar after an empty bar only its moving
 * fields.
 */
#include "rs_analytics.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rs_aggr.h"
#include "rs_book.h"
#include "rs_features.h"
#include "shm/rs_bcast.h"
#include "shm/rs_err.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

#define NIL UINT32_MAX
#define LATEST_BARS ((uint32_t)offsetof(struct rs_latest, bars))

struct an_inst {
	struct rs_aggr_state ag;
	int64_t bid_px, ask_px;   /* last boundary, RS_UNDEF_PRICE = empty side */
	uint32_t bid_sz, ask_sz;
	int64_t ofi;
	double var;               /* EWMA of squared mid log returns */
	uint32_t active;          /* act index + 1, 0 = no trade yet */
	uint32_t reserved;
};
_Static_assert(sizeof(struct an_inst) == 64, "one line per instrument");

struct an_act {
	uint32_t idx;             /* book index */
	uint32_t iid;
	uint32_t latest_slot;     /* NIL: none */
	uint32_t prof_cap;        /* entries of its profile chunk */
	uint32_t nlevels;         /* profile prices (sorted at lvl + prof_off) */
	uint8_t prof_dirty;       /* value area stale */
	uint8_t hdr_synced;       /* the latest row's header is ours (only ts_updated moves) */
	uint8_t reserved[2];
	uint64_t session_volume;
	uint64_t prof_off;        /* its profile chunk in lvl[] */
	uint64_t prof_volume;     /* volume in the profile (session volume less overflow) */
	int64_t poc;
	uint64_t poc_vol;
	int64_t vah, val;
};

/* One (interval, instrument) series: the open bar and the feature state.
 * Line 0 is all an empty bar of a steady series touches. */
struct an_ser {
	uint32_t trades;          /* of the open bar */
	uint32_t nbars;           /* bars closed */
	uint8_t last_empty;       /* the last closed bar was empty */
	uint8_t row_synced;       /* the latest row's bars[k] holds the last closed bar */
	uint8_t reserved[6];
	struct rs_feat f;
	__int128 pv;              /* sum of price * size */
	int64_t open, high, low, close; /* close: last trade of the open bar */
	uint64_t volume, buy, sell, unknown;
} __attribute__((aligned(64)));
_Static_assert(offsetof(struct an_ser, f) + offsetof(struct rs_feat, sum) <= 64, "hot line");

struct an_lvl {
	int64_t price;
	uint64_t volume;
};

struct rs_analytics {
	/* hot: every event */
	uint64_t clock;
	uint64_t next_close;                  /* min(end[]); 0 before the clock started */
	uint32_t max_inst;
	uint32_t open_trades;                 /* instruments inside a 'T'-opened event */
	struct an_inst *inst;
	const struct rs_book *book;
	struct rs_analytics_stats st;
	/* bars */
	unsigned niv, nroots;
	uint8_t asc[RS_BAR_MAX_INTERVALS];    /* interval indices, shortest first */
	uint8_t roots[RS_BAR_MAX_INTERVALS];  /* intervals fed by trades */
	uint8_t feeds[RS_BAR_MAX_INTERVALS];  /* intervals whose bars are built from this one's */
	uint64_t iv[RS_BAR_MAX_INTERVALS];
	uint64_t end[RS_BAR_MAX_INTERVALS];   /* end of the current bar per interval */
	int started;
	double vol_alpha;
	uint32_t max_active, nactive;
	struct an_act *act;
	uint8_t *hdirty;                      /* [max_active] header changed since last written */
	uint8_t *stale;                       /* [max_active] bit k: stale event during interval k's bar */
	struct an_ser *ser;                   /* [niv][max_active] */
	uint32_t *iid;                        /* [max_active] instrument_id */
	uint32_t *slot;                       /* [max_active] latest-table slot, NIL none */
	int64_t *closes;
	double *rets;
	struct an_lvl *lvl;                   /* profile chunks */
	uint64_t lvl_cap, lvl_used;           /* pool entries, taken */
	uint32_t prof_used;                   /* (instrument, price) pairs */
	struct rs_bcast *bars;
	struct rs_seqtab *latest;
	struct rs_feat_cfg fcfg;
	struct rs_analytics_cfg cfg;
};

static const uint64_t default_iv[] = {1000000000ull,  5000000000ull,  15000000000ull,
				      30000000000ull, 60000000000ull, 300000000000ull};

void rs_analytics_cfg_default(struct rs_analytics_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned k = 0; k < sizeof(default_iv) / sizeof(default_iv[0]); k++)
		cfg->intervals_ns[k] = default_iv[k];
	cfg->sma_len = 20;
	cfg->ema_len = 20;
	cfg->rsi_len = 14;
	cfg->rvol_len = 20;
	cfg->micro_levels = 5;
	cfg->vol_len = 100;
	cfg->max_instruments = 16384;
	cfg->max_active = 8192;
	cfg->profile_levels = 262144;
}

static inline size_t sidx(const struct rs_analytics *a, unsigned k, uint32_t s)
{
	return (size_t)k * a->max_active + s;
}

static inline struct an_ser *ser(struct rs_analytics *a, unsigned k, uint32_t s)
{
	return &a->ser[sidx(a, k, s)];
}


static void init_state(struct rs_analytics *a)
{
	for (uint32_t i = 0; i < a->max_inst; i++) {
		struct an_inst *in = &a->inst[i];
		memset(in, 0, sizeof(*in));
		rs_aggr_init(&in->ag);
		in->bid_px = in->ask_px = RS_UNDEF_PRICE;
	}
	a->lvl_used = 0;
	a->prof_used = 0;
	a->nactive = 0;
	a->clock = 0;
	a->started = 0;
	a->next_close = 0;
	a->open_trades = 0;
	memset(&a->st, 0, sizeof(a->st));
}

int rs_analytics_create(struct rs_analytics **out, const struct rs_analytics_cfg *cfg)
{
	struct rs_analytics_cfg d;
	rs_analytics_cfg_default(&d);
	struct rs_analytics *a = aligned_alloc(64, (sizeof(*a) + 63) & ~(size_t)63);
	if (!a) {
		RS_ERR_SET(-ENOMEM, "analytics: out of memory");
		return -ENOMEM;
	}
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	struct rs_analytics_cfg *c = &a->cfg;
	int any = 0;
	for (unsigned k = 0; k < RS_BAR_MAX_INTERVALS; k++)
		any |= c->intervals_ns[k] != 0;
	if (!any)
		memcpy(c->intervals_ns, d.intervals_ns, sizeof(c->intervals_ns));
#define DEF(f) if (!c->f) c->f = d.f
	DEF(sma_len); DEF(ema_len); DEF(rsi_len); DEF(rvol_len); DEF(micro_levels); DEF(vol_len);
	DEF(max_instruments); DEF(max_active); DEF(profile_levels);
#undef DEF
	if (c->max_active > c->max_instruments)
		c->max_active = c->max_instruments;
	int rc = -EINVAL;
	for (unsigned k = 0; k < RS_BAR_MAX_INTERVALS && c->intervals_ns[k]; k++) {
		for (unsigned j = 0; j < k; j++)
			if (c->intervals_ns[j] == c->intervals_ns[k]) {
				RS_ERR_SET(rc, "analytics: interval %llu ns listed twice",
					   (unsigned long long)c->intervals_ns[k]);
				goto fail;
			}
		a->iv[a->niv++] = c->intervals_ns[k];
	}
	if (c->sma_len > 1024 || c->rvol_len > 1024 || c->micro_levels > 64 ||
	    c->profile_levels > (1u << 30)) {
		RS_ERR_SET(rc, "analytics: sma_len/rvol_len <= 1024, micro_levels <= 64, "
			       "profile_levels <= 2^30");
		goto fail;
	}
	/* roll-up tree: each interval takes its bars from the longest shorter
	 * interval that divides it (epoch-aligned, so those bars tile it) */
	for (unsigned k = 0; k < a->niv; k++)
		a->asc[k] = (uint8_t)k;
	for (unsigned i = 1; i < a->niv; i++) /* insertion sort by length */
		for (unsigned j = i; j > 0 && a->iv[a->asc[j - 1]] > a->iv[a->asc[j]]; j--) {
			uint8_t t = a->asc[j];
			a->asc[j] = a->asc[j - 1];
			a->asc[j - 1] = t;
		}
	for (unsigned k = 0; k < a->niv; k++) {
		int best = -1;
		for (unsigned j = 0; j < a->niv; j++)
			if (a->iv[j] < a->iv[k] && a->iv[k] % a->iv[j] == 0 &&
			    (best < 0 || a->iv[j] > a->iv[best]))
				best = (int)j;
		if (best < 0)
			a->roots[a->nroots++] = (uint8_t)k;
		else
			a->feeds[best] |= (uint8_t)(1u << k);
	}
	rs_feat_cfg_init(&a->fcfg, c->sma_len, c->ema_len, c->rsi_len, c->rvol_len);
	a->vol_alpha = 2.0 / ((double)c->vol_len + 1.0);
	a->max_inst = c->max_instruments;
	a->max_active = c->max_active;
	a->lvl_cap = 4 * (uint64_t)c->profile_levels + 8 * (uint64_t)a->max_active;
	size_t nser = (size_t)a->max_active * a->niv;
	rc = -ENOMEM;
	a->inst = aligned_alloc(64, (size_t)a->max_inst * sizeof(*a->inst));
	a->act = calloc(a->max_active, sizeof(*a->act));
	a->hdirty = calloc(a->max_active, 1);
	a->stale = calloc(a->max_active, 1);
	a->ser = aligned_alloc(64, nser * sizeof(*a->ser));
	a->iid = calloc(a->max_active, sizeof(*a->iid));
	a->slot = calloc(a->max_active, sizeof(*a->slot));
	a->closes = calloc(nser * c->sma_len, sizeof(*a->closes));
	a->rets = calloc(nser * c->rvol_len, sizeof(*a->rets));
	a->lvl = aligned_alloc(64, ((size_t)a->lvl_cap * sizeof(*a->lvl) + 63) & ~(size_t)63);
	if (!a->inst || !a->act || !a->hdirty || !a->stale || !a->ser || !a->iid || !a->slot || !a->closes || !a->rets ||
	    !a->lvl) {
		RS_ERR_SET(rc, "analytics: out of memory (%u instruments, %u active, %u profile levels)",
			   a->max_inst, a->max_active, c->profile_levels);
		goto fail;
	}
	/* touch everything now so the hot path takes no page faults */
	memset(a->ser, 0, nser * sizeof(*a->ser));
	memset(a->iid, 0, a->max_active * sizeof(*a->iid));
	memset(a->slot, 0, a->max_active * sizeof(*a->slot));
	memset(a->closes, 0, nser * c->sma_len * sizeof(*a->closes));
	memset(a->rets, 0, nser * c->rvol_len * sizeof(*a->rets));
	memset(a->act, 0, a->max_active * sizeof(*a->act));
	memset(a->hdirty, 0, a->max_active);
	memset(a->stale, 0, a->max_active);
	memset(a->lvl, 0, (size_t)a->lvl_cap * sizeof(*a->lvl));
	init_state(a);
	*out = a;
	return 0;
fail:
	rs_analytics_destroy(a);
	return rc;
}

void rs_analytics_destroy(struct rs_analytics *a)
{
	if (!a)
		return;
	free(a->inst);
	free(a->act);
	free(a->hdirty);
	free(a->stale);
	free(a->ser);
	free(a->iid);
	free(a->slot);
	free(a->closes);
	free(a->rets);
	free(a->lvl);
	free(a);
}

void rs_analytics_reset(struct rs_analytics *a)
{
	init_state(a);
}

void rs_analytics_set_book(struct rs_analytics *a, const struct rs_book *b)
{
	a->book = b;
}

void rs_analytics_attach(struct rs_analytics *a, struct rs_bcast *bars, struct rs_seqtab *latest)
{
	a->bars = bars;
	a->latest = latest;
	for (uint32_t s = 0; s < a->nactive; s++) {
		a->act[s].latest_slot = a->slot[s] = NIL;
		a->act[s].hdr_synced = 0; /* rows of a new table: write them whole */
		for (unsigned k = 0; k < a->niv; k++)
			ser(a, k, s)->row_synced = 0;
	}
	if (latest)
		for (uint32_t s = 0; s < a->nactive; s++) {
			int64_t slot = rs_itable_claim(latest, a->act[s].iid);
			a->act[s].latest_slot = a->slot[s] = slot >= 0 ? (uint32_t)slot : NIL;
		}
}

const struct rs_analytics_stats *rs_analytics_stats(const struct rs_analytics *a)
{
	return &a->st;
}

unsigned rs_analytics_nintervals(const struct rs_analytics *a)
{
	return a->niv;
}

uint64_t rs_analytics_interval(const struct rs_analytics *a, unsigned k)
{
	return k < a->niv ? a->iv[k] : 0;
}

/* ------------------------------------------------------------ clock, bars */

static void start_clock(struct rs_analytics *a, uint64_t now)
{
	a->started = 1;
	a->clock = now;
	a->next_close = UINT64_MAX;
	for (unsigned k = 0; k < a->niv; k++) {
		a->end[k] = (now / a->iv[k] + 1) * a->iv[k];
		if (a->end[k] < a->next_close)
			a->next_close = a->end[k];
	}
}

static inline int64_t floor_div(__int128 n, uint64_t d)
{
	if (n == (__int128)(int64_t)n && d <= INT64_MAX) { /* 64-bit division, same result */
		int64_t q = (int64_t)n / (int64_t)d;
		if (n < 0 && (__int128)q * d != n)
			q--;
		return q;
	}
	__int128 q = n / (__int128)d;
	if (n < 0 && q * (__int128)d != n)
		q--;
	return (int64_t)q;
}

static inline void acc_reset(struct an_ser *b)
{
	b->open = b->high = b->low = b->close = RS_UNDEF_PRICE;
	b->pv = 0;
	b->volume = b->buy = b->sell = b->unknown = 0;
	b->trades = 0;
}

/* Fold a closed bar's accumulator into the open bar of a longer interval. */
static inline void acc_merge(struct an_ser *p, const struct an_ser *c)
{
	if (p->trades == 0) {
		p->open = c->open;
		p->high = c->high;
		p->low = c->low;
	} else {
		if (c->high > p->high)
			p->high = c->high;
		if (c->low < p->low)
			p->low = c->low;
	}
	p->close = c->close;
	p->pv += c->pv;
	p->volume += c->volume;
	p->buy += c->buy;
	p->sell += c->sell;
	p->unknown += c->unknown;
	p->trades += c->trades;
}

/* Record of an empty bar of series b (its state already advanced). */
static inline __attribute__((always_inline)) void rec_empty(const struct an_ser *b, const struct rs_feat_cfg *fc,
							    uint32_t iid, uint64_t iv, uint64_t t, uint64_t now,
							    unsigned stale, struct rs_bar *r)
{
	r->instrument_id = iid;
	r->flags = RS_BARF_EMPTY | (stale ? RS_BARF_STALE : 0);
	r->interval_ns = iv;
	r->ts_open = t - iv;
	r->ts_close = t;
	r->open = r->high = r->low = r->close = b->f.prev_close;
	r->vwap = RS_UNDEF_PRICE;
	r->volume = r->buy_volume = r->sell_volume = r->unknown_volume = 0;
	r->delta = 0;
	r->trades = 0;
	r->nbars = b->nbars;
	rs_feat_fill(&b->f, fc, r);
	r->vwap_dev = 0;
	r->ts_emitted = now;
}

/* Close interval k's bar [t - iv, t) of active instrument s when it had
 * trades or the series never had a close; the record into r (NULL: none
 * wanted). */
static __attribute__((noinline)) void close_ser(struct rs_analytics *a, uint32_t s, unsigned k, uint64_t t,
						uint64_t now, unsigned stale, struct rs_bar *r)
{
	struct an_ser *b = ser(a, k, s);
	size_t si = sidx(a, k, s);
	const struct rs_feat_cfg *fc = &a->fcfg;
	uint64_t iv = a->iv[k];

	b->nbars++;
	a->st.bars++;
	if (b->trades == 0) {
		/* empty, OHLC = previous close (undefined before the first) */
		if (b->f.prev_close != RS_UNDEF_PRICE)
			rs_feat_add(&b->f, fc, a->closes + si * fc->sma_len, a->rets + si * fc->rvol_len,
				    b->f.prev_close);
		if (r)
			rec_empty(b, fc, a->iid[s], iv, t, now, stale, r);
		a->st.bars_empty++;
		b->last_empty = 1;
		return;
	}
	rs_feat_add(&b->f, fc, a->closes + si * fc->sma_len, a->rets + si * fc->rvol_len, b->close);
	if (r) {
		r->instrument_id = a->iid[s];
		r->flags = stale ? RS_BARF_STALE : 0;
		r->interval_ns = iv;
		r->ts_open = t - iv;
		r->ts_close = t;
		r->open = b->open;
		r->high = b->high;
		r->low = b->low;
		r->close = b->close;
		r->vwap = b->volume ? floor_div(b->pv, b->volume) : RS_UNDEF_PRICE;
		r->volume = b->volume;
		r->buy_volume = b->buy;
		r->sell_volume = b->sell;
		r->unknown_volume = b->unknown;
		r->delta = (int64_t)b->buy - (int64_t)b->sell;
		r->trades = b->trades;
		r->nbars = b->nbars;
		rs_feat_fill(&b->f, fc, r);
		r->vwap_dev = 0;
		if (r->vwap != RS_UNDEF_PRICE && r->vwap != 0)
			r->vwap_dev = ((double)r->close - (double)r->vwap) / (double)r->vwap;
		r->ts_emitted = now;
	}
	for (unsigned m = a->feeds[k]; m; m &= m - 1)
		acc_merge(ser(a, (unsigned)__builtin_ctz(m), s), b);
	acc_reset(b);
	b->last_empty = 0;
}

/* ----------------------------------------------------------- volume profile */

/* First position in v[0..n) with price >= px. */
static inline uint32_t lvl_find(const struct an_lvl *v, uint32_t n, int64_t px)
{
	uint32_t lo = 0;
	while (n > 0) {
		uint32_t h = n / 2;
		if (v[lo + h].price < px) {
			lo += h + 1;
			n -= h + 1;
		} else {
			n = h;
		}
	}
	return lo;
}

static inline void prof_add(struct rs_analytics *a, uint32_t s, int64_t price, uint32_t q)
{
	struct an_act *ac = &a->act[s];
	struct an_lvl *v = a->lvl + ac->prof_off;
	uint32_t n = ac->nlevels, p = lvl_find(v, n, price);
	if (p == n || v[p].price != price) {
		if (a->prof_used >= a->cfg.profile_levels) {
			a->st.profile_overflow++;
			return;
		}
		if (n == ac->prof_cap) { /* move into a chunk twice as large */
			uint32_t cap = n ? 2 * n : 8;
			if (a->lvl_used + cap > a->lvl_cap) { /* cannot happen (pool size) */
				a->st.profile_overflow++;
				return;
			}
			struct an_lvl *nv = a->lvl + a->lvl_used;
			memcpy(nv, v, (size_t)n * sizeof(*v));
			ac->prof_off = a->lvl_used;
			ac->prof_cap = cap;
			a->lvl_used += cap;
			v = nv;
		}
		memmove(v + p + 1, v + p, (size_t)(n - p) * sizeof(*v));
		v[p].price = price;
		v[p].volume = 0;
		ac->nlevels = n + 1;
		a->prof_used++;
	}
	uint64_t vol = v[p].volume += q;
	ac->prof_volume += q;
	if (vol > ac->poc_vol) {
		ac->poc_vol = vol;
		ac->poc = price;
	}
	ac->prof_dirty = 1;
}

static void value_area(struct rs_analytics *a, uint32_t s)
{
	struct an_act *ac = &a->act[s];
	ac->prof_dirty = 0;
	a->st.va_recomputes++;
	size_t n = ac->nlevels;
	if (!n) {
		ac->vah = ac->val = RS_UNDEF_PRICE;
		return;
	}
	const struct an_lvl *v = a->lvl + ac->prof_off;
	uint64_t total = ac->prof_volume;
	size_t lo = lvl_find(v, (uint32_t)n, ac->poc);
	if (lo == n || v[lo].price != ac->poc)
		lo = 0;
	size_t hi = lo;
	unsigned __int128 in = v[lo].volume;
	/* in / total >= 70 %, in integers */
	while (in * 10 < (unsigned __int128)total * 7) {
		uint64_t up = hi + 1 < n ? v[hi + 1].volume : 0;
		uint64_t dn = lo > 0 ? v[lo - 1].volume : 0;
		int can_up = hi + 1 < n, can_dn = lo > 0;
		if (!can_up && !can_dn)
			break;
		if (can_up && (!can_dn || up >= dn))
			in += v[++hi].volume;
		else
			in += v[--lo].volume;
	}
	ac->val = v[lo].price;
	ac->vah = v[hi].price;
}

/* ------------------------------------------------------------ publication */

static void latest_header(struct rs_analytics *a, uint32_t s, uint64_t now, struct rs_latest *h)
{
	struct an_act *ac = &a->act[s];
	const struct an_inst *in = &a->inst[ac->idx];
	if (ac->prof_dirty)
		value_area(a, s);
	memset(h, 0, offsetof(struct rs_latest, bars));
	h->instrument_id = ac->iid;
	h->nintervals = a->niv;
	h->ts_updated = now;
	h->session_poc = ac->nlevels ? ac->poc : RS_UNDEF_PRICE;
	h->session_vah = ac->nlevels ? ac->vah : RS_UNDEF_PRICE;
	h->session_val = ac->nlevels ? ac->val : RS_UNDEF_PRICE;
	h->session_volume = ac->session_volume;
	if (in->bid_px != RS_UNDEF_PRICE && in->ask_px != RS_UNDEF_PRICE) {
		h->spread = in->ask_px - in->bid_px;
		h->mid = (int64_t)(((__int128)in->bid_px + in->ask_px) / 2);
	} else {
		h->spread = 0;
		h->mid = RS_UNDEF_PRICE;
	}
	h->short_vol = sqrt(in->var);
}

/* What an empty bar's record holds beyond the boundary's common fields
 * (rec_empty's variable part; the entry of an RS_REC_BARS_EMPTY record). */
struct an_eout {
	int64_t close;
	uint32_t nbars;
	uint32_t flags;           /* RS_BARF_EMPTY | RS_BARF_FEATURES | RS_BARF_STALE */
	double sma, ema, rsi, rvol;
};

static inline __attribute__((always_inline)) void eout_fill(const struct an_ser *b, const struct rs_feat_cfg *fc,
							    unsigned stale, struct an_eout *o)
{
	o->close = b->f.prev_close;
	o->nbars = b->nbars;
	o->flags = RS_BARF_EMPTY | (stale ? RS_BARF_STALE : 0) |
		   rs_feat_out(&b->f, fc, &o->sma, &o->ema, &o->rsi, &o->rvol);
}

/* The struct rs_bar of an empty bar (byte for byte rec_empty's, reserved 0;
 * rs_bar_unpack builds the same from an RS_REC_BARS_EMPTY entry). */
static void eout_bar(const struct an_eout *o, uint32_t iid, uint64_t iv, uint64_t t, uint64_t now, struct rs_bar *r)
{
	memset(r, 0, sizeof(*r));
	r->instrument_id = iid;
	r->flags = o->flags;
	r->interval_ns = iv;
	r->ts_open = t - iv;
	r->ts_close = t;
	r->open = r->high = r->low = r->close = o->close;
	r->vwap = RS_UNDEF_PRICE;
	r->nbars = o->nbars;
	r->sma = o->sma;
	r->ema = o->ema;
	r->rsi = o->rsi;
	r->rvol = o->rvol;
	r->ts_emitted = now;
}

/* Bars-ring writer of one boundary: runs of consecutive empty bars of one
 * interval go out as RS_REC_BARS_EMPTY records of up to four (one ring
 * slot line each instead of four), every other bar as RS_REC_BAR; the
 * order of the bars in the ring is unchanged. */
struct an_emit {
	struct rs_bcast *bc;
	uint64_t failed;
	struct rs_bars_empty pend;
};

static inline void emit_flush(struct an_emit *e)
{
	if (e->pend.count) {
		uint32_t len = (uint32_t)(offsetof(struct rs_bars_empty, bar) + e->pend.count * sizeof(e->pend.bar[0]));
		if (rs_bcast_write(e->bc, RS_REC_BARS_EMPTY, &e->pend, len))
			e->failed += e->pend.count;
		e->pend.count = 0;
		e->pend.features = e->pend.stale = 0;
	}
}

static inline void emit_empty(struct an_emit *e, uint32_t iid, uint64_t iv, const struct an_eout *o)
{
	if (e->pend.count && (e->pend.count == RS_BARS_EMPTY_MAX || e->pend.interval_ns != iv))
		emit_flush(e);
	unsigned i = e->pend.count++;
	e->pend.interval_ns = iv;
	struct rs_bar_empty *x = &e->pend.bar[i];
	x->instrument_id = iid;
	x->nbars = o->nbars;
	x->close = o->close;
	x->sma = o->sma;
	x->ema = o->ema;
	x->rsi = o->rsi;
	x->rvol = o->rvol;
	e->pend.features |= (uint8_t)((o->flags & RS_BARF_FEATURES ? 1u : 0u) << i);
	e->pend.stale |= (uint8_t)((o->flags & RS_BARF_STALE ? 1u : 0u) << i);
}

static inline void emit_full(struct an_emit *e, const struct rs_bar *r)
{
	emit_flush(e);
	if (rs_bcast_write(e->bc, RS_REC_BAR, r, sizeof(*r)))
		e->failed++;
}

/* Instrument s's latest row at a boundary: header (only ts_updated when
 * nothing else moved), then the bars that closed (kind[j]: eo[j] holds an
 * empty bar, else rec[j] the record; an empty bar after an empty bar: only
 * the fields that move). */
static void write_row(struct rs_analytics *a, uint32_t s, unsigned nk, const unsigned *ks,
		      struct an_ser *const *sb, const uint8_t *was_empty, const uint8_t *kind,
		      const struct an_eout *eo, const struct rs_bar *rec, const uint64_t *ivs, uint64_t t,
		      uint64_t now)
{
	struct an_act *ac = &a->act[s];
	struct rs_seqtab *lt = a->latest;
	uint32_t slot = a->slot[s];
	rs_seqtab_write_begin(lt, slot);
	if (ac->hdr_synced && !a->hdirty[s]) {
		rs_seqtab_store(lt, slot, (uint32_t)offsetof(struct rs_latest, ts_updated), &now, sizeof(now));
	} else {
		struct rs_latest h;
		latest_header(a, s, now, &h);
		rs_seqtab_store(lt, slot, 0, &h, LATEST_BARS);
		ac->hdr_synced = 1;
		a->hdirty[s] = 0;
	}
	for (unsigned j = 0; j < nk; j++) {
		struct an_ser *b = sb[j] + s;
		uint32_t off = LATEST_BARS + ks[j] * (uint32_t)sizeof(struct rs_bar);
		if (kind[j] && b->row_synced && was_empty[j]) {
			/* empty after empty: only these move */
			const struct an_eout *o = &eo[j];
			uint64_t w[7];
			uint32_t h[2] = {a->iid[s], o->flags};                   /* id, flags */
			memcpy(&w[0], h, 8);
			rs_seqtab_store(lt, slot, off, w, 8);
			w[0] = t - ivs[j];                                       /* ts_open, ts_close */
			w[1] = t;
			rs_seqtab_store(lt, slot, off + 16, w, 16);
			h[0] = 0;                                                 /* trades, nbars */
			h[1] = o->nbars;
			memcpy(&w[0], h, 8);
			memcpy(&w[1], &o->sma, 8);
			memcpy(&w[2], &o->ema, 8);
			memcpy(&w[3], &o->rsi, 8);
			memcpy(&w[4], &o->rvol, 8);
			w[5] = 0;                                                 /* vwap_dev */
			w[6] = now;                                               /* ts_emitted */
			rs_seqtab_store(lt, slot, off + 112, w, 168 - 112);
		} else if (kind[j]) {
			struct rs_bar r;
			eout_bar(&eo[j], a->iid[s], ivs[j], t, now, &r);
			rs_seqtab_store(lt, slot, off, &r, sizeof(r));
			b->row_synced = 1;
		} else {
			rs_seqtab_store(lt, slot, off, &rec[j], sizeof(rec[j]));
			b->row_synced = 1;
		}
	}
	rs_seqtab_write_end(lt, slot);
}
_Static_assert(offsetof(struct rs_bar, ts_open) == 16 && offsetof(struct rs_bar, ts_close) == 24 &&
		       offsetof(struct rs_bar, trades) == 112 && offsetof(struct rs_bar, nbars) == 116 &&
		       offsetof(struct rs_bar, sma) == 120 && offsetof(struct rs_bar, ema) == 128 &&
		       offsetof(struct rs_bar, rsi) == 136 && offsetof(struct rs_bar, rvol) == 144 &&
		       offsetof(struct rs_bar, vwap_dev) == 152 && offsetof(struct rs_bar, ts_emitted) == 160 &&
		       offsetof(struct rs_bar, open) == 32 && offsetof(struct rs_bar, delta) == 104 &&
		       offsetof(struct rs_bar, flags) == 4,
	       "partial latest-row update covers exactly the fields an empty bar moves");

/* Close every interval in mask at time t for every active instrument. */
static void close_all(struct rs_analytics *a, unsigned mask, uint64_t t, uint64_t now)
{
	/* everything the loop needs in locals: the stores into bars and
	 * series must not make the compiler reload the configuration */
	const struct rs_feat_cfg fc = a->fcfg;
	unsigned nk = 0, ks[RS_BAR_MAX_INTERVALS], ej[RS_BAR_MAX_INTERVALS];
	struct an_ser *sb[RS_BAR_MAX_INTERVALS];
	int64_t *cb[RS_BAR_MAX_INTERVALS];
	double *rb[RS_BAR_MAX_INTERVALS];
	uint64_t ivs[RS_BAR_MAX_INTERVALS];
	uint8_t was_empty[RS_BAR_MAX_INTERVALS], kind[RS_BAR_MAX_INTERVALS];
	struct an_eout eo[RS_BAR_MAX_INTERVALS];
	struct rs_bar rec[RS_BAR_MAX_INTERVALS];
	for (unsigned j = 0; j < a->niv; j++) { /* shortest first: shorter bars roll up first */
		unsigned k = a->asc[j];
		if (!(mask & (1u << k)))
			continue;
		size_t base = sidx(a, k, 0);
		ks[nk] = k;
		sb[nk] = a->ser + base;
		cb[nk] = a->closes + base * fc.sma_len;
		rb[nk] = a->rets + base * fc.rvol_len;
		ivs[nk] = a->iv[k];
		memset(rec[nk].reserved, 0, sizeof(rec[nk].reserved));
		nk++;
	}
	unsigned ne = 0; /* emission order: configuration order */
	for (unsigned m = mask; m; m &= m - 1)
		for (unsigned j = 0; j < nk; j++)
			if (ks[j] == (unsigned)__builtin_ctz(m))
				ej[ne++] = j;
	rs_analytics_bar_fn fn = a->cfg.on_bar;
	void *fctx = a->cfg.on_bar_ctx;
	struct an_emit em;
	em.bc = a->bars;
	em.failed = 0;
	memset(&em.pend, 0, offsetof(struct rs_bars_empty, bar));
	em.pend.ts_close = t;
	em.pend.ts_emitted = now;
	const int emit = fn || em.bc;
	const uint32_t *slot = a->latest ? a->slot : NULL;
	const uint32_t *iid = a->iid;
	uint8_t *stl = a->stale;
	const uint32_t n = a->nactive;
	uint64_t nquick = 0;
	for (uint32_t s = 0; s < n; s++) {
		if (s + 4 < n)
			__builtin_prefetch(sb[0] + s + 4, 1);
		unsigned stale = stl[s];
		const int row = slot && slot[s] != NIL;
		const int want = emit || row;
		for (unsigned j = 0; j < nk; j++) {
			struct an_ser *b = sb[j] + s;
			was_empty[j] = b->last_empty;
			unsigned st = (stale >> ks[j]) & 1;
			if (__builtin_expect(b->trades == 0 && b->f.ncloses != 0, 1)) {
				/* empty bar: only the count and the features move */
				b->nbars++;
				if (b->f.steady)
					rs_feat_repeat(&b->f, &fc);
				else
					rs_feat_same(&b->f, &fc, cb[j] + (size_t)s * fc.sma_len,
						     rb[j] + (size_t)s * fc.rvol_len);
				b->last_empty = 1;
				if (want)
					eout_fill(b, &fc, st, &eo[j]);
				kind[j] = 1;
				nquick++;
			} else {
				close_ser(a, s, ks[j], t, now, st, want ? &rec[j] : NULL);
				kind[j] = 0;
			}
		}
		if (__builtin_expect(stale != 0, 0))
			stl[s] = (uint8_t)(stale & ~mask);
		if (emit)
			for (unsigned e = 0; e < ne; e++) {
				unsigned j = ej[e];
				if (kind[j]) {
					if (fn) {
						struct rs_bar r;
						eout_bar(&eo[j], iid[s], ivs[j], t, now, &r);
						fn(fctx, &r);
					}
					if (em.bc)
						emit_empty(&em, iid[s], ivs[j], &eo[j]);
				} else {
					if (fn)
						fn(fctx, &rec[j]);
					if (em.bc)
						emit_full(&em, &rec[j]);
				}
			}
		if (row)
			write_row(a, s, nk, ks, sb, was_empty, kind, eo, rec, ivs, t, now);
	}
	if (em.bc)
		emit_flush(&em);
	a->st.bars += nquick;
	a->st.bars_empty += nquick;
	a->st.publish_failed += em.failed;
}

static void tick_slow(struct rs_analytics *a, uint64_t now)
{
	if (!a->nactive) { /* nothing to emit: jump */
		start_clock(a, now);
		return;
	}
	while (a->next_close <= now) {
		uint64_t t = a->next_close, nxt = UINT64_MAX;
		unsigned mask = 0;
		for (unsigned k = 0; k < a->niv; k++) {
			if (a->end[k] == t) {
				mask |= 1u << k;
				a->end[k] += a->iv[k];
			}
			if (a->end[k] < nxt)
				nxt = a->end[k];
		}
		close_all(a, mask, t, now);
		a->next_close = nxt;
	}
	a->clock = now;
}

/* now > clock and now >= next_close */
static __attribute__((noinline)) void tick_due(struct rs_analytics *a, uint64_t now)
{
	if (now == RS_UNDEF_TS)
		return;
	if (!a->started) {
		start_clock(a, now);
		return;
	}
	tick_slow(a, now);
}

static inline __attribute__((always_inline)) void tick_inline(struct rs_analytics *a, uint64_t now)
{
	if (now > a->clock) {
		if (__builtin_expect(now < a->next_close, 1))
			a->clock = now;
		else
			tick_due(a, now);
	}
}

void rs_analytics_tick(struct rs_analytics *a, uint64_t now)
{
	tick_inline(a, now);
}

void rs_analytics_flush(struct rs_analytics *a)
{
	if (!a->started || !a->niv)
		return;
	uint64_t m = 0;
	for (unsigned k = 0; k < a->niv; k++)
		if (a->iv[k] > m)
			m = a->iv[k];
	uint64_t now = (a->clock / m + 1) * m;
	if (a->nactive)
		tick_slow(a, now);
	else
		a->clock = now;
}

/* --------------------------------------------------------------- events */

static __attribute__((noinline)) uint32_t activate(struct rs_analytics *a, struct an_inst *in, uint32_t idx,
						    uint32_t iid)
{
	if (a->nactive >= a->max_active)
		return 0;
	uint32_t s = a->nactive++;
	struct an_act *ac = &a->act[s];
	memset(ac, 0, sizeof(*ac));
	ac->idx = idx;
	ac->iid = iid;
	ac->prof_off = 0;
	ac->prof_cap = 0;
	ac->poc = ac->vah = ac->val = RS_UNDEF_PRICE;
	ac->latest_slot = NIL;
	a->hdirty[s] = 1;
	a->stale[s] = 0;
	a->iid[s] = iid;
	if (a->latest) {
		int64_t slot = rs_itable_claim(a->latest, iid);
		if (slot >= 0)
			ac->latest_slot = (uint32_t)slot;
		else
			a->st.latest_skipped++;
	}
	a->slot[s] = ac->latest_slot;
	for (unsigned k = 0; k < a->niv; k++) {
		struct an_ser *b = ser(a, k, s);
		acc_reset(b);
		rs_feat_init(&b->f);
		b->nbars = 0;
		b->last_empty = 0;
		b->row_synced = 0;
	}
	in->active = s + 1;
	return in->active;
}

static void on_trade(struct rs_analytics *a, struct an_inst *in, uint32_t idx,
		     const struct rs_event *ev, char side)
{
	if (!a->started)
		start_clock(a, ev->mbo.hd.ts_event);
	if (!in->active && !activate(a, in, idx, ev->mbo.hd.instrument_id))
		return;
	uint32_t s = in->active - 1;
	int64_t px = rs_aggr_price(ev);
	uint32_t q = rs_aggr_volume(ev);
	__int128 pq = (__int128)px * q;
	a->st.trades++;
	for (unsigned r = 0; r < a->nroots; r++) {
		struct an_ser *b = ser(a, a->roots[r], s);
		if (b->trades == 0) {
			b->open = b->high = b->low = px;
		} else {
			if (px > b->high)
				b->high = px;
			if (px < b->low)
				b->low = px;
		}
		b->close = px;
		b->volume += q;
		b->pv += pq;
		b->buy += side == RS_SIDE_BID ? q : 0;
		b->sell += side == RS_SIDE_ASK ? q : 0;
		b->unknown += side == RS_SIDE_NONE ? q : 0;
		b->trades++;
	}
	a->act[s].session_volume += q;
	a->hdirty[s] = 1;
	prof_add(a, s, px, q);
}

/* Event boundary whose BBO changed: OFI e_n, mid variance, new touch. The
 * touch is the book's state at this boundary (the BBO it compared). */
static inline __attribute__((always_inline)) void on_bbo(struct rs_analytics *a, struct an_inst *in, const struct rs_book *b,
			  uint32_t idx)
{
	const struct rs_book_inst *bi = rs_book_inst(b, idx);
	int64_t nb = RS_UNDEF_PRICE, na = RS_UNDEF_PRICE;
	uint32_t nbq = 0, naq = 0;
	if (bi) {
		struct rs_book_top top;
		rs_book_top(bi, &top);
		nb = top.bid_px;
		na = top.ask_px;
		/* sizes as rs_book_levels gives them (saturated) */
		nbq = top.bid_sz > UINT32_MAX ? UINT32_MAX : (uint32_t)top.bid_sz;
		naq = top.ask_sz > UINT32_MAX ? UINT32_MAX : (uint32_t)top.ask_sz;
	}
	if (nb == in->bid_px && na == in->ask_px && nbq == in->bid_sz && naq == in->ask_sz)
		return; /* only an order count moved: e_n = 0, same mid */
	/* empty bid = -inf, empty ask = +inf (RS_UNDEF_PRICE is INT64_MAX) */
	int64_t pb = in->bid_px == RS_UNDEF_PRICE ? INT64_MIN : in->bid_px;
	int64_t cb = nb == RS_UNDEF_PRICE ? INT64_MIN : nb;
	int64_t e = (cb >= pb ? (int64_t)nbq : 0) - (cb <= pb ? (int64_t)in->bid_sz : 0) -
		    (na <= in->ask_px ? (int64_t)naq : 0) + (na >= in->ask_px ? (int64_t)in->ask_sz : 0);
	in->ofi += e;
	if (nb != RS_UNDEF_PRICE && na != RS_UNDEF_PRICE && in->bid_px != RS_UNDEF_PRICE &&
	    in->ask_px != RS_UNDEF_PRICE) {
		double s0 = (double)in->bid_px + (double)in->ask_px, s1 = (double)nb + (double)na;
		if (s0 != s1 && s0 + s1 != 0) {
			double r = 2.0 * (s1 - s0) / (s1 + s0);
			in->var += a->vol_alpha * (r * r - in->var);
		}
	}
	in->bid_px = nb;
	in->ask_px = na;
	in->bid_sz = nbq;
	in->ask_sz = naq;
	if (in->active)
		a->hdirty[in->active - 1] = 1;
}

/* Trades (and every record while a 'T' opened an event of some instrument:
 * the aggressor state's "inside a 'T' event" bit). */
static __attribute__((noinline)) void event_slow(struct rs_analytics *a, const struct rs_event *ev,
						 const struct rs_book *b, uint32_t idx)
{
	struct an_inst *in = &a->inst[idx];
	uint8_t was = in->ag.in_trade;
	if (rs_aggr_trade(&in->ag, ev)) {
		char side = rs_aggr_side(&in->ag, ev, in->bid_px, in->ask_px);
		on_trade(a, in, idx, ev, side);
	}
	a->open_trades += (uint32_t)in->ag.in_trade - (uint32_t)was;
	if ((ev->mbo.flags & RS_F_LAST) && (ev->rs_flags & RS_EVF_BBO_CHANGED))
		on_bbo(a, in, b, idx);
	if ((ev->rs_flags & RS_EVF_STALE) && in->active)
		a->stale[in->active - 1] = 0xff;
}

/* Boundaries whose BBO changed and stale marks (out of line: the common
 * record keeps a call-free, spill-free path). */
static __attribute__((noinline)) void event_bbo(struct rs_analytics *a, const struct rs_event *ev,
						const struct rs_book *b, uint32_t idx)
{
	struct an_inst *in = &a->inst[idx];
	uint32_t rf = ev->rs_flags;
	if ((rf & RS_EVF_BBO_CHANGED) && (ev->mbo.flags & RS_F_LAST))
		on_bbo(a, in, b, idx);
	if ((rf & RS_EVF_STALE) && in->active)
		a->stale[in->active - 1] = 0xff;
}

/* One event (idx checked by the caller). */
static inline __attribute__((always_inline)) void event(struct rs_analytics *a, const struct rs_event *ev,
							const struct rs_book *b, uint32_t idx)
{
	char act = ev->mbo.action;
	if (__builtin_expect(act == RS_ACTION_TRADE || act == RS_ACTION_FILL || a->open_trades, 0)) {
		event_slow(a, ev, b, idx);
		return;
	}
	/* not a trade: rs_aggr_trade would only clear the "inside a 'T'
	 * event" bit, and no instrument has it set */
	if (__builtin_expect(!(ev->rs_flags & (RS_EVF_BBO_CHANGED | RS_EVF_STALE)), 1))
		return; /* most adds and cancels */
	event_bbo(a, ev, b, idx);
}

void rs_analytics_on_event(struct rs_analytics *a, const struct rs_event *ev, const struct rs_book *b,
			   int idx)
{
	a->book = b;
	if (__builtin_expect((uint32_t)idx >= a->max_inst, 0)) { /* idx < 0 too */
		a->st.inst_overflow++;
		return;
	}
	a->st.events++;
	event(a, ev, b, (uint32_t)idx);
}

/* on_event_cb of a record whose clock reaches a bar end (or starts it). */
static __attribute__((noinline)) void on_event_due(struct rs_analytics *a, const struct rs_event *ev, int idx)
{
	tick_due(a, ev->mbo.hd.ts_event);
	if (__builtin_expect((uint32_t)idx >= a->max_inst, 0)) {
		a->st.inst_overflow++;
		return;
	}
	a->st.events++;
	event(a, ev, a->book, (uint32_t)idx);
}

void rs_analytics_on_event_cb(void *ctx, const struct rs_event *ev, int idx)
{
	struct rs_analytics *a = ctx;
	uint64_t now = ev->mbo.hd.ts_event;
	if (now > a->clock) { /* tick_inline, with the bar closes out of line */
		if (__builtin_expect(now >= a->next_close, 0)) {
			on_event_due(a, ev, idx);
			return;
		}
		a->clock = now;
	}
	if (__builtin_expect((uint32_t)idx >= a->max_inst, 0)) {
		a->st.inst_overflow++;
		return;
	}
	a->st.events++;
	event(a, ev, a->book, (uint32_t)idx);
}

void rs_analytics_replay(struct rs_analytics *a, struct rs_book *b, struct rs_event *ev, unsigned n)
{
	a->book = b;
	rs_book_apply_burst_cb(b, ev, n, rs_analytics_on_event_cb, a);
}

/* -------------------------------------------------------- microstructure */

static void micro(struct rs_analytics *a, uint32_t idx, struct rs_bbo *bbo)
{
	const struct an_inst *in = &a->inst[idx];
	bbo->ofi = in->ofi;
	bbo->microprice = 0;
	bbo->imbalance_ppm = 0;
	int64_t bp = bbo->bid.price, ap = bbo->ask.price;
	uint64_t bq = bbo->bid.size, aq = bbo->ask.size;
	if (bp != RS_UNDEF_PRICE && ap != RS_UNDEF_PRICE && bq + aq > 0)
		bbo->microprice =
			(int64_t)(((__int128)bp * (__int128)aq + (__int128)ap * (__int128)bq) /
				  (__int128)(bq + aq));
	if (!a->book)
		return;
	struct rs_level lv[64];
	unsigned N = a->cfg.micro_levels;
	uint64_t sb = 0, sa = 0;
	unsigned nb = rs_book_levels(a->book, idx, 0, lv, N);
	for (unsigned i = 0; i < nb; i++)
		sb += lv[i].size;
	unsigned na = rs_book_levels(a->book, idx, 1, lv, N);
	for (unsigned i = 0; i < na; i++)
		sa += lv[i].size;
	if (sb + sa)
		bbo->imbalance_ppm =
			(int32_t)(((int64_t)sb - (int64_t)sa) * 1000000 / (int64_t)(sb + sa));
}

void rs_analytics_amend_bbo(void *ctx, uint32_t idx, struct rs_bbo *bbo)
{
	struct rs_analytics *a = ctx;
	if (idx >= a->max_inst)
		return;
	micro(a, idx, bbo);
}

int rs_analytics_micro(struct rs_analytics *a, int idx, struct rs_bbo *out)
{
	if (idx < 0 || (uint32_t)idx >= a->max_inst || !a->book)
		return -ENOENT;
	rs_book_bbo(a->book, (uint32_t)idx, out);
	micro(a, (uint32_t)idx, out);
	return 0;
}

int rs_analytics_latest(struct rs_analytics *a, int idx, struct rs_latest *out)
{
	if (idx < 0 || (uint32_t)idx >= a->max_inst || !a->inst[idx].active)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	latest_header(a, a->inst[idx].active - 1, a->clock, out);
	return 0;
}
