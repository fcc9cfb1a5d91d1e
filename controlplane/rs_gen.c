/*
 * rs_gen.c - synthetic ITCH 5.0 session generator (see rs_gen.h).
 *
 * State per symbol: a window of RS_GEN_LEVELS price levels (one cent each),
 * each level a FIFO (doubly linked list of order slots), a bitmap of the
 * non-empty levels and the best bid/ask level indexes. Bids and asks share
 * the window: because the book is never crossed, every non-empty level
 * below best_ask holds bids and every one above best_bid holds asks, so
 * the next best level after a level empties is one bitmap scan away.
 *
 * Orders live in one slot array (slot 0 = "none"); each symbol also keeps
 * a vector of its live slots in arrival order (swap-remove keeps the recent
 * end roughly recent), which is what D/X/U targets are drawn from.
 */
#include "rs_gen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/rs_moldudp.h"
#include "shm/rs_err.h"
#include "rs_itch_enc.h"

#define LV RS_GEN_LEVELS
#define LVW (LV / 64)
#define NS_PER_S 1000000000ULL
#define HMS(h, m, s) (((uint64_t)(h) * 3600 + (uint64_t)(m) * 60 + (s)) * NS_PER_S)
#define LIVE_CAP 20000 /* per-symbol live orders; adds become deletes beyond */

/* Order-flow mix, cumulative out of 10000: add 45.2 %, delete 42.3 %,
 * replace 7 %, execution 3 %, cancel 1.5 %, trade 1 %. Adds slightly
 * exceed deletes + full executions so books grow slowly during the day. */
#define MIX_ADD 4520
#define MIX_DEL (MIX_ADD + 4230)
#define MIX_REP (MIX_DEL + 700)
#define MIX_EXE (MIX_REP + 300)
#define MIX_CAN (MIX_EXE + 150)

struct gen_order {
	uint64_t ref;
	uint32_t prev, next; /* level FIFO links (slots); next = free list link when free */
	uint32_t pos;        /* index in the symbol's live vector */
	uint32_t shares;
	uint32_t sym;
	uint16_t lvl;
	uint8_t side;        /* 'B' or 'S' */
	uint8_t pad;
};

struct gen_level {
	uint32_t head, tail;
};

struct gen_sym {
	char stock[8];
	char name[9];
	uint16_t locate;
	int32_t best_bid;    /* level, -1 = no bids */
	int32_t best_ask;    /* level, LV = no asks */
	int32_t last;        /* last traded level */
	int32_t fv;          /* fair value: the level bids are quoted at (asks one above) */
	int32_t base_tick;   /* absolute price of level 0, in cents */
	uint32_t *live;
	uint32_t nlive, cap;
	uint64_t bits[LVW];
};

struct gen_inj {
	struct rs_gen_inject spec;
	uint32_t sym;
	uint64_t next_ns;
	uint32_t step;
	int32_t lvl;         /* iceberg price level */
	uint32_t slot;       /* follow mode: the displayed clip (order slot, ref) */
	uint64_t ref;
	bool done;
};

enum gen_phase { PH_PROLOGUE, PH_FLOW, PH_EPILOGUE, PH_END };

struct rs_gen {
	struct rs_gen_opts o;
	uint64_t rng;
	uint64_t ts;
	uint64_t next_ref;
	uint64_t match;
	uint64_t flow_total;  /* order-flow messages to produce */
	uint64_t flow_done;
	uint64_t dt_span;     /* timestamp step drawn from [0, dt_span] */
	int phase;
	uint64_t idx;         /* index within the prologue/epilogue */

	uint32_t nsym;
	struct gen_sym *sym;
	struct gen_level *lvl; /* nsym * LV */

	struct gen_order *ord;
	uint32_t nord, ord_cap, free_head;

	/* Zipf alias table: symbol index when u < prob[i], else alias[i] */
	uint32_t *zprob, *zsym, *zalias;
	uint32_t *rank_sym;   /* rank-1 -> symbol index */

	struct gen_inj inj[RS_GEN_MAX_INJECT];
	uint32_t ninj;
	uint64_t inj_next_ns; /* earliest pending injection step */
	uint32_t pipe[2];     /* symbols of the next two flow messages */

	/* queued messages (scenario injection): [len u8][bytes] ... */
	uint8_t *pend;
	size_t pend_len, pend_pos, pend_cap;

	struct rs_gen_stats st;
};

/* ---------------------------------------------------------------- random */

/* wyrand: 64-bit state, passes BigCrush, one multiply. */
static inline uint64_t rnd64(struct rs_gen *g)
{
	g->rng += 0xa0761d6478bd642fULL;
	__uint128_t t = (__uint128_t)g->rng * (g->rng ^ 0xe7037ed1a0b428dbULL);
	return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

/* Uniform in [0, n) (Lemire's multiply; the bias is < 2^-32). */
static inline uint32_t rndn(struct rs_gen *g, uint32_t n)
{
	return (uint32_t)(((uint64_t)(uint32_t)rnd64(g) * n) >> 32);
}

/* ---------------------------------------------------------------- options */

void rs_gen_opts_default(struct rs_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->symbols = 1000;
	o->messages = 1000000;
	o->zipf_s = 1.0;
}

uint64_t rs_gen_overhead(uint32_t symbols)
{
	return 6 + 4 * (uint64_t)symbols;
}

static int parse_hms(const char *s, uint64_t *ns, const char **end)
{
	unsigned h, m, sec;
	int n = 0;
	if (sscanf(s, "%u:%u:%u%n", &h, &m, &sec, &n) != 3 || h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	uint64_t v = HMS(h, m, sec);
	s += n;
	if (*s == '.') {
		uint64_t scale = NS_PER_S / 10;
		s++;
		while (*s >= '0' && *s <= '9') {
			v += (uint64_t)(*s - '0') * scale;
			scale /= 10;
			s++;
		}
	}
	*ns = v;
	*end = s;
	return 0;
}

int rs_gen_inject_parse(struct rs_gen_inject *out, const char *spec)
{
	memset(out, 0, sizeof(*out));
	out->side = 'B';
	out->levels = 3;
	out->refills = 5;
	out->size = 500;
	out->gap_ns = 10000000;
	const char *p;
	if (!strncmp(spec, "sweep:", 6)) {
		out->kind = RS_GEN_INJ_SWEEP;
		p = spec + 6;
	} else if (!strncmp(spec, "iceberg:", 8)) {
		out->kind = RS_GEN_INJ_ICEBERG;
		p = spec + 8;
	} else {
		return -EINVAL;
	}
	const char *at = strchr(p, '@');
	if (!at || at == p || at - p > 8)
		return -EINVAL;
	memcpy(out->symbol, p, (size_t)(at - p));
	const char *e;
	if (parse_hms(at + 1, &out->at_ns, &e))
		return -EINVAL;
	while (*e == ',') {
		e++;
		char key[16];
		unsigned long v = 0;
		char c = 0;
		int n = 0;
		if (sscanf(e, "side=%c%n", &c, &n) == 1 && n > 0) {
			if (c != 'B' && c != 'S')
				return -EINVAL;
			out->side = c;
		} else if (sscanf(e, "%15[a-z-]=%lu%n", key, &v, &n) == 2 && n > 0) {
			if (!strcmp(key, "levels") && v >= 1 && v <= 100)
				out->levels = (uint32_t)v;
			else if (!strcmp(key, "refills") && v >= 1 && v <= 10000)
				out->refills = (uint32_t)v;
			else if (!strcmp(key, "size") && v >= 1 && v <= 10000000)
				out->size = (uint32_t)v;
			else if (!strcmp(key, "gap-ms") && v <= 60000)
				out->gap_ns = (uint32_t)(v * 1000000);
			else if (!strcmp(key, "follow") && v <= 1)
				out->follow = (uint8_t)v;
			else
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		e += n;
	}
	return *e ? -EINVAL : 0;
}

/* ---------------------------------------------------------------- book */

static inline int bits_prev(const uint64_t *b, int l) /* highest set level < l, or -1 */
{
	if (l <= 0)
		return -1;
	int w = l >> 6;
	uint64_t m = (l & 63) ? b[w] & ((1ULL << (l & 63)) - 1) : 0;
	while (!m) {
		if (--w < 0)
			return -1;
		m = b[w];
	}
	return w * 64 + 63 - __builtin_clzll(m);
}

static inline int bits_next(const uint64_t *b, int l) /* lowest set level > l, or LV */
{
	l++;
	if (l >= LV)
		return LV;
	int w = l >> 6;
	uint64_t m = b[w] & (~0ULL << (l & 63));
	while (!m) {
		if (++w >= LVW)
			return LV;
		m = b[w];
	}
	return w * 64 + __builtin_ctzll(m);
}

static inline struct gen_level *level(struct rs_gen *g, uint32_t s, int l)
{
	return &g->lvl[(size_t)s * LV + (size_t)l];
}

static uint32_t slot_alloc(struct rs_gen *g)
{
	if (g->free_head) {
		uint32_t s = g->free_head;
		g->free_head = g->ord[s].next;
		return s;
	}
	if (g->nord == g->ord_cap) {
		uint32_t cap = g->ord_cap * 2;
		struct gen_order *n = realloc(g->ord, (size_t)cap * sizeof(*n));
		if (!n)
			return 0;
		g->ord = n;
		g->ord_cap = cap;
	}
	return g->nord++;
}

static inline void link_tail(struct rs_gen *g, uint32_t slot)
{
	struct gen_order *o = &g->ord[slot];
	struct gen_sym *sy = &g->sym[o->sym];
	struct gen_level *lv = level(g, o->sym, o->lvl);
	o->prev = lv->tail;
	o->next = 0;
	if (lv->tail)
		g->ord[lv->tail].next = slot;
	else {
		lv->head = slot;
		sy->bits[o->lvl >> 6] |= 1ULL << (o->lvl & 63);
	}
	lv->tail = slot;
	if (o->side == 'B') {
		if ((int)o->lvl > sy->best_bid)
			sy->best_bid = o->lvl;
	} else if ((int)o->lvl < sy->best_ask) {
		sy->best_ask = o->lvl;
	}
}

static inline void unlink_lvl(struct rs_gen *g, uint32_t slot)
{
	struct gen_order *o = &g->ord[slot];
	struct gen_sym *sy = &g->sym[o->sym];
	struct gen_level *lv = level(g, o->sym, o->lvl);
	if (o->prev)
		g->ord[o->prev].next = o->next;
	else
		lv->head = o->next;
	if (o->next)
		g->ord[o->next].prev = o->prev;
	else
		lv->tail = o->prev;
	if (!lv->head) {
		sy->bits[o->lvl >> 6] &= ~(1ULL << (o->lvl & 63));
		if ((int)o->lvl == sy->best_bid)
			sy->best_bid = bits_prev(sy->bits, o->lvl);
		else if ((int)o->lvl == sy->best_ask)
			sy->best_ask = bits_next(sy->bits, o->lvl);
	}
}

static inline int live_push(struct gen_sym *sy, struct rs_gen *g, uint32_t slot)
{
	if (sy->nlive == sy->cap) {
		uint32_t cap = sy->cap ? sy->cap * 2 : 16;
		uint32_t *n = realloc(sy->live, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		sy->live = n;
		sy->cap = cap;
	}
	g->ord[slot].pos = sy->nlive;
	sy->live[sy->nlive++] = slot;
	return 0;
}

static inline void live_remove(struct gen_sym *sy, struct rs_gen *g, uint32_t slot)
{
	uint32_t pos = g->ord[slot].pos;
	uint32_t last = sy->live[--sy->nlive];
	sy->live[pos] = last;
	g->ord[last].pos = pos;
}

/* Remove an order completely (delete, full execution). */
static inline void order_kill(struct rs_gen *g, uint32_t slot)
{
	struct gen_sym *sy = &g->sym[g->ord[slot].sym];
	unlink_lvl(g, slot);
	live_remove(sy, g, slot);
	g->ord[slot].next = g->free_head;
	g->free_head = slot;
	g->st.live_orders--;
}

/* Depth (in ticks) behind the touch for a new order: mostly at or next to
 * the touch, some a few ticks away, a few deep. */
static inline int depth_draw(struct rs_gen *g)
{
	uint64_t r = rnd64(g);
	uint32_t u = (uint32_t)r & 1023;
	if (u < 650)
		return __builtin_ctzll((r >> 10) | (1ULL << 8)); /* geometric, mean ~1 */
	if (u < 950)
		return (int)((r >> 20) % 10);
	return (int)((r >> 20) % 64);
}

/* Level for a new order on `side`: at or behind the fair value (bids at
 * fv - d, asks at fv + 1 + d), clamped so the book stays uncrossed; -1 when
 * impossible (the other side occupies the window's edge). */
static int place(struct rs_gen *g, struct gen_sym *sy, char side)
{
	int l;
	if (side == 'B') {
		l = sy->fv - depth_draw(g);
		if (l >= sy->best_ask)
			l = sy->best_ask - 1;
		if (l < 0)
			return sy->best_ask > 0 ? 0 : -1;
	} else {
		l = sy->fv + 1 + depth_draw(g);
		if (l <= sy->best_bid)
			l = sy->best_bid + 1;
		if (l >= LV)
			return sy->best_bid < LV - 1 ? LV - 1 : -1;
	}
	return l;
}

/* The fair value walks one tick at a time, pulled back toward the window
 * centre (stronger near the edges), so every symbol's touch moves during
 * the day and stays inside its price window. */
static inline void fv_step(struct rs_gen *g, struct gen_sym *sy)
{
	uint32_t r = (uint32_t)rnd64(g);
	if ((r & 511) != 0)
		return;
	int off = sy->fv - LV / 2; /* -512 .. 511 */
	/* P(up) = 1/2 - off/(2 * 448), clamped */
	int up_thr = 512 - (off * 512) / 448;
	if (up_thr < 16)
		up_thr = 16;
	if (up_thr > 1008)
		up_thr = 1008;
	int step = (int)((r >> 9) & 1023) < up_thr ? 1 : -1;
	int nfv = sy->fv + step;
	if (nfv >= 8 && nfv < LV - 8)
		sy->fv = nfv;
}

/* The side whose best quote is stale (on the wrong side of the fair
 * value): 'S' when asks sit at or below fv, 'B' when bids sit above it. */
static inline char stale_side(const struct gen_sym *sy)
{
	if (sy->best_ask <= sy->fv)
		return 'S';
	if (sy->best_bid > sy->fv)
		return 'B';
	return 0;
}

static inline uint32_t shares_draw(struct rs_gen *g)
{
	uint64_t r = rnd64(g);
	uint32_t u = (uint32_t)r & 1023;
	if (u < 700)
		return 100 * (1 + (uint32_t)__builtin_ctzll((r >> 10) | (1ULL << 6)));
	if (u < 900)
		return 1 + (uint32_t)((r >> 20) % 99);
	return 100 * (1 + (uint32_t)((r >> 20) % 20));
}

static inline uint32_t price4(const struct gen_sym *sy, int l)
{
	return (uint32_t)(sy->base_tick + l) * 100u;
}

/* D/X/U target: a recent order most of the time (orders die young). */
static inline uint32_t pick_live(struct rs_gen *g, struct gen_sym *sy)
{
	uint32_t n = sy->nlive;
	if (g->o.uniform_cancels)
		return sy->live[rndn(g, n)];
	uint32_t r = (uint32_t)rnd64(g);
	char st = stale_side(sy);
	if (st && (r & 0x100)) /* pull the newest order of a stale quote */
		return level(g, (uint32_t)(sy - g->sym), st == 'S' ? sy->best_ask : sy->best_bid)->tail;
	if ((r & 7) != 0) {
		uint32_t w = n < 16 ? n : 16;
		return sy->live[n - 1 - (uint32_t)(((uint64_t)(r >> 3) * w) >> 29)];
	}
	return sy->live[rndn(g, n)];
}

/* ---------------------------------------------------------------- messages */

static inline size_t emit_add(struct rs_gen *g, uint32_t s, char side, int l, uint32_t shares,
			      uint8_t *buf, bool mpid)
{
	struct gen_sym *sy = &g->sym[s];
	uint32_t slot = slot_alloc(g);
	if (!slot || live_push(sy, g, slot))
		return 0;
	struct gen_order *o = &g->ord[slot];
	o->ref = g->next_ref++;
	o->shares = shares;
	o->sym = s;
	o->lvl = (uint16_t)l;
	o->side = (uint8_t)side;
	link_tail(g, slot);
	if (++g->st.live_orders > g->st.max_live_orders)
		g->st.max_live_orders = g->st.live_orders;
	if (mpid) {
		static const char mp[4][4] = {{'G', 'S', 'C', 'O'}, {'M', 'S', 'C', 'O'},
					      {'V', 'I', 'R', 'T'}, {'C', 'I', 'T', 'D'}};
		return rs_itch_enc_add_mpid(buf, sy->locate, 0, g->ts, o->ref, side, shares,
					    sy->stock, price4(sy, l), mp[o->ref & 3]);
	}
	return rs_itch_enc_add(buf, sy->locate, 0, g->ts, o->ref, side, shares, sy->stock,
			       price4(sy, l));
}

/* Execute `shares` of the order in `slot` (the front of a best level). */
static inline size_t emit_exec(struct rs_gen *g, uint32_t slot, uint32_t shares, bool with_price,
			       uint8_t *buf)
{
	struct gen_order *o = &g->ord[slot];
	struct gen_sym *sy = &g->sym[o->sym];
	uint64_t ref = o->ref;
	uint32_t px = price4(sy, o->lvl);
	sy->last = o->lvl;
	if (shares >= o->shares)
		order_kill(g, slot);
	else
		o->shares -= shares;
	if (with_price)
		return rs_itch_enc_exec_price(buf, sy->locate, 0, g->ts, ref, shares, ++g->match,
					      'Y', px);
	return rs_itch_enc_exec(buf, sy->locate, 0, g->ts, ref, shares, ++g->match);
}

static size_t flow_add(struct rs_gen *g, uint32_t s, uint8_t *buf)
{
	struct gen_sym *sy = &g->sym[s];
	uint64_t r = rnd64(g);
	char side = (r & 1) ? 'B' : 'S';
	int l = place(g, sy, side);
	if (l < 0) {
		side = side == 'B' ? 'S' : 'B';
		l = place(g, sy, side); /* cannot fail too: best_bid < best_ask */
		if (l < 0)
			return 0;
	}
	return emit_add(g, s, side, l, shares_draw(g), buf, ((r >> 1) & 31) == 0);
}

static inline uint32_t zipf_draw(struct rs_gen *g)
{
	uint32_t i = rndn(g, g->nsym);
	return (uint32_t)rnd64(g) < g->zprob[i] ? g->zsym[i] : g->zalias[i];
}

/*
 * Symbols are drawn two messages ahead so their state can be prefetched:
 * the symbol struct of message k+2, and (its struct being in cache by
 * now) the newest live entries and the touch levels of message k+1. With
 * thousands of symbols this hides most of the cache misses.
 */
static inline uint32_t next_symbol(struct rs_gen *g)
{
	uint32_t s = g->pipe[0];
	g->pipe[0] = g->pipe[1];
	g->pipe[1] = zipf_draw(g);
	__builtin_prefetch(&g->sym[g->pipe[1]]);
	__builtin_prefetch((const char *)&g->sym[g->pipe[1]] + 64);
	const struct gen_sym *n = &g->sym[g->pipe[0]];
	if (n->nlive)
		__builtin_prefetch(&n->live[n->nlive - 1]);
	const struct gen_level *lv = &g->lvl[(size_t)g->pipe[0] * LV];
	if (n->best_bid >= 0)
		__builtin_prefetch(&lv[n->best_bid]);
	if (n->best_ask < LV)
		__builtin_prefetch(&lv[n->best_ask]);
	return s;
}

static size_t flow_msg(struct rs_gen *g, uint8_t *buf)
{
	uint32_t s = next_symbol(g);
	struct gen_sym *sy = &g->sym[s];
	uint32_t a = rndn(g, 10000);
	fv_step(g, sy);

	if (sy->nlive == 0 || (a < MIX_ADD && sy->nlive < LIVE_CAP))
		return flow_add(g, s, buf);
	if (a < MIX_DEL) { /* delete */
		uint32_t slot = pick_live(g, sy);
		uint64_t ref = g->ord[slot].ref;
		order_kill(g, slot);
		return rs_itch_enc_delete(buf, sy->locate, 0, g->ts, ref);
	}
	if (a < MIX_REP) { /* replace: same side, new ref/size/price, loses priority */
		uint32_t slot = pick_live(g, sy);
		struct gen_order *o = &g->ord[slot];
		uint64_t old = o->ref;
		unlink_lvl(g, slot);
		int l = place(g, sy, (char)o->side);
		if (l < 0) { /* cannot stay on this side uncrossed: delete instead */
			link_tail(g, slot);
			order_kill(g, slot);
			return rs_itch_enc_delete(buf, sy->locate, 0, g->ts, old);
		}
		o->ref = g->next_ref++;
		o->shares = shares_draw(g);
		o->lvl = (uint16_t)l;
		link_tail(g, slot);
		/* it is now the newest order of the symbol */
		uint32_t pos = o->pos, lastslot = sy->live[sy->nlive - 1];
		sy->live[pos] = lastslot;
		g->ord[lastslot].pos = pos;
		sy->live[sy->nlive - 1] = slot;
		o->pos = sy->nlive - 1;
		return rs_itch_enc_replace(buf, sy->locate, 0, g->ts, old, o->ref, o->shares,
					   price4(sy, l));
	}
	if (a < MIX_EXE) { /* execution of the front order at the touch */
		uint64_t r = rnd64(g);
		char st = stale_side(sy);
		bool hit_bid = st ? st == 'B' : (r & 1); /* seller-initiated; stale quotes get hit */
		if (sy->best_bid < 0)
			hit_bid = false;
		else if (sy->best_ask >= LV)
			hit_bid = true;
		int l = hit_bid ? sy->best_bid : sy->best_ask;
		uint32_t slot = level(g, s, l)->head;
		uint32_t sh = g->ord[slot].shares;
		uint32_t x = sh;
		if (sh > 1 && ((r >> 1) & 7) < 2) {
			x = 1 + (uint32_t)((r >> 8) % (sh - 1));
			if (x >= 100)
				x -= x % 100;
		}
		return emit_exec(g, slot, x, ((r >> 4) & 15) == 0, buf);
	}
	if (a < MIX_CAN) { /* partial cancel */
		uint32_t slot = pick_live(g, sy);
		struct gen_order *o = &g->ord[slot];
		if (o->shares < 2) {
			uint64_t ref = o->ref;
			order_kill(g, slot);
			return rs_itch_enc_delete(buf, sy->locate, 0, g->ts, ref);
		}
		uint32_t x = 1 + rndn(g, o->shares - 1);
		if (x >= 100 && o->shares > 200)
			x -= x % 100;
		o->shares -= x;
		return rs_itch_enc_cancel(buf, sy->locate, 0, g->ts, o->ref, x);
	}
	/* trade against a non-displayed order, inside or at the touch */
	int l = sy->last;
	if (sy->best_bid >= 0 && sy->best_ask < LV)
		l = sy->best_bid + (int)rndn(g, (uint32_t)(sy->best_ask - sy->best_bid + 1));
	sy->last = l;
	return rs_itch_enc_trade(buf, sy->locate, 0, g->ts, 0, (rnd64(g) & 1) ? 'B' : 'S',
				 shares_draw(g), sy->stock, price4(sy, l), ++g->match);
}

/* ---------------------------------------------------------------- injection */

static int pend_push(struct rs_gen *g, const uint8_t *m, size_t len)
{
	if (g->pend_len + len + 1 > g->pend_cap) {
		size_t cap = g->pend_cap ? g->pend_cap * 2 : 4096;
		while (cap < g->pend_len + len + 1)
			cap *= 2;
		uint8_t *n = realloc(g->pend, cap);
		if (!n)
			return -ENOMEM;
		g->pend = n;
		g->pend_cap = cap;
	}
	g->pend[g->pend_len++] = (uint8_t)len;
	memcpy(g->pend + g->pend_len, m, len);
	g->pend_len += len;
	g->st.injected++;
	return 0;
}

/* Sweep: make sure `levels` levels rest on the passive side, then one
 * aggressor takes all of them at one timestamp. */
static void inj_sweep(struct rs_gen *g, struct gen_inj *in)
{
	struct gen_sym *sy = &g->sym[in->sym];
	bool buy = in->spec.side == 'B';
	uint8_t m[RS_GEN_MSG_MAX];
	uint32_t want = in->spec.levels, have = 0;
	int l = buy ? sy->best_ask : sy->best_bid;
	int last = l;
	while (have < want && l >= 0 && l < LV) {
		have++;
		last = l;
		l = buy ? bits_next(sy->bits, l) : bits_prev(sy->bits, l);
	}
	/* thicken the book behind the touch where levels are missing */
	for (; have < want; have++) {
		int nl;
		if (buy)
			nl = (last >= 0 && last < LV) ? last + 1 : sy->best_bid + 1;
		else
			nl = (last >= 0 && last < LV) ? last - 1 : sy->best_ask - 1;
		if (nl < 0 || nl >= LV || (buy && nl <= sy->best_bid) || (!buy && nl >= sy->best_ask))
			break;
		size_t n = emit_add(g, in->sym, buy ? 'S' : 'B', nl, shares_draw(g), m, false);
		if (!n || pend_push(g, m, n))
			return;
		last = nl;
	}
	for (uint32_t k = 0; k < want; k++) {
		int bl = buy ? sy->best_ask : sy->best_bid;
		if (bl < 0 || bl >= LV)
			break;
		while (level(g, in->sym, bl)->head) {
			uint32_t slot = level(g, in->sym, bl)->head;
			size_t n = emit_exec(g, slot, g->ord[slot].shares, false, m);
			if (pend_push(g, m, n))
				return;
		}
	}
	in->done = true;
}

/* Iceberg, follow mode: a clip of `size` rests at the touch; every gap_ns
 * a taker lifts it whole (if it is still live and at the touch) and the
 * refill is added at once (same timestamp) at the touch - so each fill is
 * followed by an add of the same size at the same price, `refills` clips
 * in all. */
static void inj_iceberg_follow(struct rs_gen *g, struct gen_inj *in)
{
	struct gen_sym *sy = &g->sym[in->sym];
	bool buy = in->spec.side == 'B';
	char pside = buy ? 'S' : 'B';
	uint8_t m[RS_GEN_MSG_MAX];
	size_t n;
	if (in->ref) {
		struct gen_order *o = &g->ord[in->slot];
		if (o->ref == in->ref && o->pos < sy->nlive && sy->live[o->pos] == in->slot &&
		    (int)o->lvl == (buy ? sy->best_ask : sy->best_bid)) {
			n = emit_exec(g, in->slot, o->shares, false, m);
			if (pend_push(g, m, n))
				return;
		}
		in->ref = 0;
	}
	if (in->step >= in->spec.refills) {
		in->done = true;
		return;
	}
	int l;
	if (buy)
		l = sy->best_ask < LV ? sy->best_ask : place(g, sy, pside);
	else
		l = sy->best_bid >= 0 ? sy->best_bid : place(g, sy, pside);
	if (l >= 0 && buy && l <= sy->best_bid)
		l = sy->best_bid + 1;
	if (l >= 0 && !buy && l >= sy->best_ask)
		l = sy->best_ask - 1;
	if (l < 0 || l >= LV) {
		in->done = true;
		return;
	}
	n = emit_add(g, in->sym, pside, l, in->spec.size, m, false);
	if (!n || pend_push(g, m, n))
		return;
	in->slot = level(g, in->sym, l)->tail;
	in->ref = g->ord[in->slot].ref;
	in->step++;
	in->next_ns = g->ts + in->spec.gap_ns;
}

/* Iceberg: at the touch on the passive side, add `size`, fill it fully,
 * repeat every gap_ns `refills` times at the same price. */
static void inj_iceberg(struct rs_gen *g, struct gen_inj *in)
{
	if (in->spec.follow) {
		inj_iceberg_follow(g, in);
		return;
	}
	struct gen_sym *sy = &g->sym[in->sym];
	bool buy = in->spec.side == 'B';
	char pside = buy ? 'S' : 'B';
	uint8_t m[RS_GEN_MSG_MAX];
	if (in->step == 0) {
		if (buy)
			in->lvl = sy->best_ask < LV ? sy->best_ask : place(g, sy, pside);
		else
			in->lvl = sy->best_bid >= 0 ? sy->best_bid : place(g, sy, pside);
	}
	int l = in->lvl;
	/* refill at the touch: if the passive side improved past the price,
	 * follow it (fills only ever happen at the best price) */
	if (l >= 0 && buy && sy->best_ask < l)
		l = sy->best_ask;
	if (l >= 0 && !buy && sy->best_bid > l)
		l = sy->best_bid;
	/* keep the book uncrossed if the market moved through the price */
	if (l >= 0 && buy && l <= sy->best_bid)
		l = sy->best_bid + 1;
	if (l >= 0 && !buy && l >= sy->best_ask)
		l = sy->best_ask - 1;
	if (l < 0 || l >= LV) {
		in->done = true;
		return;
	}
	uint32_t sz = in->spec.size;
	size_t n = emit_add(g, in->sym, pside, l, sz, m, false);
	if (!n || pend_push(g, m, n))
		return;
	/* the refill just went to the tail of level l; fill it completely */
	n = emit_exec(g, level(g, in->sym, l)->tail, sz, false, m);
	if (pend_push(g, m, n))
		return;
	if (++in->step >= in->spec.refills)
		in->done = true;
	else
		in->next_ns = g->ts + in->spec.gap_ns;
}

static void inj_run(struct rs_gen *g)
{
	uint64_t next = UINT64_MAX;
	for (uint32_t i = 0; i < g->ninj; i++) {
		struct gen_inj *in = &g->inj[i];
		if (in->done)
			continue;
		if (g->ts >= in->next_ns) {
			if (in->spec.kind == RS_GEN_INJ_SWEEP)
				inj_sweep(g, in);
			else
				inj_iceberg(g, in);
		}
		if (!in->done && in->next_ns < next)
			next = in->next_ns;
	}
	g->inj_next_ns = next;
}

/* ---------------------------------------------------------------- session */

static const char *const cat = "QGS";

static size_t admin_msg(struct rs_gen *g, uint8_t *buf)
{
	uint32_t n = g->nsym;
	uint64_t i = g->idx++;
	if (g->phase == PH_PROLOGUE) {
		if (i == 0) {
			g->ts = HMS(3, 0, 0) + 1234;
			return rs_itch_enc_system_event(buf, 0, g->ts, 'O');
		}
		if (i <= n) { /* stock directory */
			struct gen_sym *sy = &g->sym[i - 1];
			struct rs_itch_enc_dir d = {
				.market_category = cat[(i * 7) % 3], .financial_status = 'N',
				.round_lot_size = 100, .round_lots_only = 'N',
				.issue_classification = 'C', .issue_subtype = {'Z', ' '},
				.authenticity = 'P', .short_sale_threshold = 'N', .ipo_flag = 'N',
				.luld_tier = (i % 5) ? '2' : '1', .etp_flag = 'N',
				.etp_leverage_factor = 0, .inverse_indicator = 'N'};
			memcpy(d.stock, sy->stock, 8);
			g->ts += 1000 + (rnd64(g) & 0xffff);
			return rs_itch_enc_stock_directory(buf, sy->locate, 0, g->ts, &d);
		}
		if (i <= 2 * (uint64_t)n) { /* trading action: trading */
			struct gen_sym *sy = &g->sym[i - n - 1];
			g->ts += 1000 + (rnd64(g) & 0xffff);
			return rs_itch_enc_trading_action(buf, sy->locate, 0, g->ts, sy->stock, 'T',
							  "    ");
		}
		if (i == 2 * (uint64_t)n + 1) {
			g->ts = HMS(4, 0, 0);
			return rs_itch_enc_system_event(buf, 0, g->ts, 'S');
		}
		if (i == 2 * (uint64_t)n + 2) {
			g->ts = HMS(9, 30, 0);
			return rs_itch_enc_system_event(buf, 0, g->ts, 'Q');
		}
		/* opening cross */
		struct gen_sym *sy = &g->sym[i - 2 * n - 3];
		g->ts += 100 + (rnd64(g) & 0xfff);
		size_t len = rs_itch_enc_cross(buf, sy->locate, 0, g->ts, 100 * (1 + rndn(g, 5000)),
					       sy->stock, price4(sy, sy->last), ++g->match, 'O');
		if (i == 3 * (uint64_t)n + 2) {
			g->phase = g->flow_total ? PH_FLOW : PH_EPILOGUE;
			g->idx = 0;
		}
		return len;
	}
	/* epilogue */
	if (i == 0) {
		g->ts = g->ts > HMS(16, 0, 0) ? g->ts : HMS(16, 0, 0);
		return rs_itch_enc_system_event(buf, 0, g->ts, 'M');
	}
	if (i <= n) {
		struct gen_sym *sy = &g->sym[i - 1];
		g->ts += 100 + (rnd64(g) & 0xfff);
		return rs_itch_enc_cross(buf, sy->locate, 0, g->ts, 100 * (1 + rndn(g, 5000)),
					 sy->stock, price4(sy, sy->last), ++g->match, 'C');
	}
	if (i == (uint64_t)n + 1) {
		g->ts = g->ts > HMS(20, 0, 0) ? g->ts : HMS(20, 0, 0);
		return rs_itch_enc_system_event(buf, 0, g->ts, 'E');
	}
	g->ts = g->ts > HMS(20, 5, 0) ? g->ts : HMS(20, 5, 0);
	g->phase = PH_END;
	return rs_itch_enc_system_event(buf, 0, g->ts, 'C');
}

size_t rs_gen_next(struct rs_gen *g, uint8_t *buf)
{
	size_t len;
	if (g->phase == PH_FLOW) {
		if (g->pend_pos < g->pend_len) { /* queued scenario messages */
			len = g->pend[g->pend_pos];
			memcpy(buf, g->pend + g->pend_pos + 1, len);
			g->pend_pos += 1 + len;
			if (g->pend_pos == g->pend_len)
				g->pend_pos = g->pend_len = 0;
		} else {
			g->ts += rnd64(g) % g->dt_span;
			if (__builtin_expect(g->ts >= g->inj_next_ns, 0)) {
				inj_run(g);
				if (g->pend_len)
					return rs_gen_next(g, buf);
			}
			len = flow_msg(g, buf);
		}
		if (++g->flow_done == g->flow_total) {
			g->phase = PH_EPILOGUE;
			g->idx = 0;
			g->pend_pos = g->pend_len = 0; /* an unfinished scenario is cut */
		}
	} else if (g->phase == PH_END) {
		return 0;
	} else {
		len = admin_msg(g, buf);
	}
	if (__builtin_expect(len == 0, 0)) { /* out of memory: end the session */
		g->phase = PH_END;
		return 0;
	}
	g->st.messages++;
	g->st.by_type[buf[0] & 127]++;
	return len;
}

/* ---------------------------------------------------------------- create */

static int zipf_build(struct rs_gen *g, double s)
{
	uint32_t n = g->nsym;
	double *w = malloc(n * sizeof(double));
	uint32_t *small = malloc(n * sizeof(uint32_t)), *large = malloc(n * sizeof(uint32_t));
	int rc = -ENOMEM;
	if (!w || !small || !large)
		goto cleanup;
	double sum = 0;
	for (uint32_t r = 0; r < n; r++)
		sum += w[r] = pow((double)(r + 1), -s);
	for (uint32_t r = 0; r < n; r++)
		w[r] = w[r] * n / sum;
	/* Vose's alias method over ranks; map ranks to symbols at the end */
	uint32_t ns = 0, nl = 0;
	for (uint32_t r = 0; r < n; r++)
		if (w[r] < 1.0)
			small[ns++] = r;
		else
			large[nl++] = r;
	for (uint32_t r = 0; r < n; r++)
		g->zalias[r] = r;
	while (ns && nl) {
		uint32_t a = small[--ns], b = large[--nl];
		g->zprob[a] = (uint32_t)fmin(w[a] * 4294967296.0, 4294967295.0);
		g->zalias[a] = b;
		w[b] = (w[b] + w[a]) - 1.0;
		if (w[b] < 1.0)
			small[ns++] = b;
		else
			large[nl++] = b;
	}
	while (nl)
		g->zprob[large[--nl]] = UINT32_MAX;
	while (ns)
		g->zprob[small[--ns]] = UINT32_MAX;
	for (uint32_t r = 0; r < n; r++) {
		g->zsym[r] = g->rank_sym[r];
		g->zalias[r] = g->rank_sym[g->zalias[r]];
	}
	rc = 0;
cleanup:
	free(w);
	free(small);
	free(large);
	return rc;
}

static uint32_t resolve_symbol(const struct rs_gen *g, const char *name)
{
	if (name[0] == '#') {
		long r = strtol(name + 1, NULL, 10);
		if (r >= 1 && r <= (long)g->nsym)
			return g->rank_sym[r - 1];
		return UINT32_MAX;
	}
	for (uint32_t i = 0; i < g->nsym; i++)
		if (!strcmp(g->sym[i].name, name))
			return i;
	return UINT32_MAX;
}

int rs_gen_create(struct rs_gen **out, const struct rs_gen_opts *o, char *err, size_t errlen)
{
	struct rs_gen *g = NULL;
	int rc = -EINVAL;
	char dummy[256];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	if (o->symbols < 1 || o->symbols > 65535) {
		snprintf(err, errlen, "symbols must be 1..65535 (got %u)", o->symbols);
		goto fail;
	}
	if (o->messages < rs_gen_overhead(o->symbols)) {
		snprintf(err, errlen,
			 "%llu messages are fewer than the %llu system/directory/cross messages "
			 "of %u symbols",
			 (unsigned long long)o->messages,
			 (unsigned long long)rs_gen_overhead(o->symbols), o->symbols);
		goto fail;
	}
	if (!(o->zipf_s >= 0 && o->zipf_s <= 10)) {
		snprintf(err, errlen, "zipf exponent must be 0..10");
		goto fail;
	}
	if (o->ninject > RS_GEN_MAX_INJECT) {
		snprintf(err, errlen, "at most %d injections", RS_GEN_MAX_INJECT);
		goto fail;
	}
	rc = -ENOMEM;
	g = calloc(1, sizeof(*g));
	if (!g)
		goto fail;
	g->o = *o;
	g->nsym = o->symbols;
	g->rng = o->seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	g->next_ref = 1 + (rnd64(g) & 0xfff);
	g->match = 1000 + (rnd64(g) & 0xffff);
	g->flow_total = o->messages - rs_gen_overhead(o->symbols);
	uint64_t span = HMS(16, 0, 0) - HMS(9, 30, 1);
	g->dt_span = g->flow_total ? 2 * (span / g->flow_total) + 1 : 1;
	g->sym = calloc(g->nsym, sizeof(*g->sym));
	g->lvl = calloc((size_t)g->nsym * LV, sizeof(*g->lvl));
	g->zprob = malloc(g->nsym * sizeof(uint32_t));
	g->zsym = malloc(g->nsym * sizeof(uint32_t));
	g->zalias = malloc(g->nsym * sizeof(uint32_t));
	g->rank_sym = malloc(g->nsym * sizeof(uint32_t));
	g->ord_cap = 1 << 16;
	g->ord = malloc((size_t)g->ord_cap * sizeof(*g->ord));
	g->nord = 1; /* slot 0 = none */
	if (!g->sym || !g->lvl || !g->zprob || !g->zsym || !g->zalias || !g->rank_sym || !g->ord)
		goto fail;

	for (uint32_t i = 0; i < g->nsym; i++) {
		struct gen_sym *sy = &g->sym[i];
		/* unique 4-letter names: i -> i * 7919 mod 26^4 is a bijection */
		uint32_t v = (uint32_t)(((uint64_t)i * 7919u + 17u) % (26u * 26u * 26u * 26u));
		for (int k = 3; k >= 0; k--) {
			sy->name[k] = (char)('A' + v % 26);
			v /= 26;
		}
		sy->name[4] = 0;
		rs_itch_enc_stock(sy->stock, sy->name);
		sy->locate = (uint16_t)(i + 1);
		sy->best_bid = -1;
		sy->best_ask = LV;
		sy->last = LV / 2;
		sy->fv = LV / 2;
		/* log-uniform initial price $10 .. $500 */
		double u = (double)(rnd64(g) >> 11) / 9007199254740992.0;
		int p0 = (int)exp(log(1000.0) + u * (log(50000.0) - log(1000.0)));
		sy->base_tick = p0 - LV / 2;
		g->rank_sym[i] = i;
	}
	for (uint32_t i = g->nsym - 1; i > 0; i--) { /* activity rank -> symbol */
		uint32_t j = rndn(g, i + 1), t = g->rank_sym[i];
		g->rank_sym[i] = g->rank_sym[j];
		g->rank_sym[j] = t;
	}
	if ((rc = zipf_build(g, o->zipf_s)))
		goto fail;
	/* the universe (names, prices, activity ranks) came from `seed`; a
	 * flow seed gives another day of the same market */
	if (o->flow_seed)
		g->rng = o->flow_seed * 0x9e3779b97f4a7c15ULL ^ 0x5851f42d4c957f2dULL;
	g->pipe[0] = zipf_draw(g);
	g->pipe[1] = zipf_draw(g);

	g->inj_next_ns = UINT64_MAX;
	for (uint32_t i = 0; i < o->ninject; i++) {
		struct gen_inj *in = &g->inj[g->ninj];
		in->spec = o->inject[i];
		in->sym = resolve_symbol(g, in->spec.symbol);
		if (in->sym == UINT32_MAX) {
			snprintf(err, errlen, "inject: unknown symbol '%s'", in->spec.symbol);
			rc = -ENOENT;
			goto fail;
		}
		if (in->spec.kind != RS_GEN_INJ_SWEEP && in->spec.kind != RS_GEN_INJ_ICEBERG) {
			snprintf(err, errlen, "inject: bad kind %d", in->spec.kind);
			rc = -EINVAL;
			goto fail;
		}
		if (!in->spec.levels)
			in->spec.levels = 3;
		if (!in->spec.refills)
			in->spec.refills = 5;
		if (!in->spec.size)
			in->spec.size = 500;
		if (in->spec.side != 'S')
			in->spec.side = 'B';
		in->next_ns = in->spec.at_ns;
		if (in->next_ns < g->inj_next_ns)
			g->inj_next_ns = in->next_ns;
		g->ninj++;
	}
	*out = g;
	return 0;
fail:
	if (rc == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	RS_ERR_SET(rc, "gen: %s", err);
	rs_gen_destroy(g);
	return rc;
}

void rs_gen_destroy(struct rs_gen *g)
{
	if (!g)
		return;
	if (g->sym)
		for (uint32_t i = 0; i < g->nsym; i++)
			free(g->sym[i].live);
	free(g->sym);
	free(g->lvl);
	free(g->zprob);
	free(g->zsym);
	free(g->zalias);
	free(g->rank_sym);
	free(g->ord);
	free(g->pend);
	free(g);
}

uint64_t rs_gen_ts(const struct rs_gen *g)
{
	return g->ts;
}

const struct rs_gen_stats *rs_gen_stats(const struct rs_gen *g)
{
	return &g->st;
}

const char *rs_gen_symbol(const struct rs_gen *g, uint16_t locate)
{
	if (locate < 1 || locate > g->nsym)
		return NULL;
	return g->sym[locate - 1].name;
}

uint16_t rs_gen_locate_by_rank(const struct rs_gen *g, uint32_t rank)
{
	if (rank < 1 || rank > g->nsym)
		return 0;
	return g->sym[g->rank_sym[rank - 1]].locate;
}

/* ---------------------------------------------------------------- writers */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Day-file writer: generation and write(2) overlap on two cores. The
 * generator fills one 4 MiB buffer while a writer thread writes the other;
 * a mutex + condition variable hands buffers over (control-plane tool, not
 * a hot path).
 */
struct day_writer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	int rc;            /* first write error */
	bool quit;
	uint8_t *buf[2];
	size_t len[2];     /* bytes queued in buf[i], 0 = free */
	int next;          /* index the writer thread writes next */
};

static void *day_writer_main(void *arg)
{
	struct day_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->len[w->next] && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->len[w->next])
			break; /* quit and nothing queued */
		int i = w->next;
		size_t n = w->len[i];
		pthread_mutex_unlock(&w->mu);
		int rc = w->rc ? 0 : write_all(w->fd, w->buf[i], n);
		pthread_mutex_lock(&w->mu);
		if (rc && !w->rc)
			w->rc = rc;
		w->len[i] = 0;
		w->next = !i;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int rs_gen_write_day(struct rs_gen *g, const char *path, uint64_t *bytes)
{
	enum { BUFSZ = 1 << 22 };
	struct day_writer w = {.fd = -1};
	pthread_t th;
	bool started = false;
	uint64_t total = 0;
	int rc = 0;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.buf[0] = malloc(BUFSZ);
	w.buf[1] = malloc(BUFSZ);
	if (!w.buf[0] || !w.buf[1]) {
		rc = -ENOMEM;
		goto cleanup;
	}
	w.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w.fd < 0) {
		rc = -errno;
		goto cleanup;
	}
	if ((rc = -pthread_create(&th, NULL, day_writer_main, &w)))
		goto cleanup;
	started = true;
	int cur = 0;
	for (bool more = true; more;) {
		/* wait until buf[cur] is free (the writer may still hold it) */
		pthread_mutex_lock(&w.mu);
		while (w.len[cur] && !w.rc)
			pthread_cond_wait(&w.cv, &w.mu);
		rc = w.rc;
		pthread_mutex_unlock(&w.mu);
		if (rc)
			break;
		uint8_t *buf = w.buf[cur];
		size_t off = 0;
		while (off <= BUFSZ - RS_GEN_MSG_MAX - 2) {
			size_t n = rs_gen_next(g, buf + off + 2);
			if (!n) {
				more = false;
				break;
			}
			buf[off] = (uint8_t)(n >> 8);
			buf[off + 1] = (uint8_t)n;
			off += 2 + n;
		}
		total += off;
		if (off) {
			pthread_mutex_lock(&w.mu);
			w.len[cur] = off;
			pthread_cond_broadcast(&w.cv);
			pthread_mutex_unlock(&w.mu);
			cur = !cur;
		}
	}
cleanup:
	if (started) {
		pthread_mutex_lock(&w.mu);
		w.quit = true;
		pthread_cond_broadcast(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(th, NULL);
		if (!rc)
			rc = w.rc;
	}
	if (w.fd >= 0 && close(w.fd) && !rc)
		rc = -errno;
	if (!rc && bytes)
		*bytes = total;
	free(w.buf[0]);
	free(w.buf[1]);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return rc;
}

void rs_gen_pcap_opts_default(struct rs_gen_pcap_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->midnight_ns = rs_gen_midnight_ns(2024, 6, 3);
	memcpy(o->session, "RSGEN00001", 10);
	o->max_msgs = 8;
	o->max_payload = 1400;
	o->src_ip = 0x0a000001;  /* 10.0.0.1 */
	o->dst_ip = 0xe9360c6f;  /* 233.54.12.111 */
	o->src_port = 26477;
	o->dst_port = 26477;
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + UDP headers (42 bytes) for a UDP payload of `plen`. */
static void frame_hdr(uint8_t *f, const struct rs_gen_pcap_opts *po, size_t plen, uint16_t ipid)
{
	uint32_t d = po->dst_ip;
	if ((d >> 28) == 0xe) { /* multicast MAC 01:00:5e + low 23 bits */
		uint8_t mac[6] = {0x01, 0x00, 0x5e, (uint8_t)((d >> 16) & 0x7f), (uint8_t)(d >> 8),
				  (uint8_t)d};
		memcpy(f, mac, 6);
	} else {
		uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x02};
		memcpy(f, mac, 6);
	}
	uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	uint8_t *ip = f + 14;
	size_t iplen = 20 + 8 + plen;
	ip[0] = 0x45;
	ip[1] = 0;
	rs_itch_enc_be16(ip + 2, (uint16_t)iplen);
	rs_itch_enc_be16(ip + 4, ipid);
	rs_itch_enc_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 32;                      /* TTL */
	ip[9] = 17;                      /* UDP */
	ip[10] = ip[11] = 0;
	rs_itch_enc_be32(ip + 12, po->src_ip);
	rs_itch_enc_be32(ip + 16, po->dst_ip);
	rs_itch_enc_be16(ip + 10, ip_csum(ip, 20));
	uint8_t *udp = ip + 20;
	rs_itch_enc_be16(udp, po->src_port);
	rs_itch_enc_be16(udp + 2, po->dst_port);
	rs_itch_enc_be16(udp + 4, (uint16_t)(8 + plen));
	rs_itch_enc_be16(udp + 6, 0); /* no checksum (allowed over IPv4) */
}

static void pcap_put(pcap_dumper_t *d, const struct rs_gen_pcap_opts *po, uint8_t *frame,
		     size_t plen, uint64_t ts_mid, uint16_t ipid)
{
	frame_hdr(frame, po, plen, ipid);
	uint64_t t = (uint64_t)po->midnight_ns + ts_mid;
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)(42 + plen), .len = (bpf_u_int32)(42 + plen)};
	h.ts.tv_sec = (time_t)(t / NS_PER_S);
	h.ts.tv_usec = (suseconds_t)(t % NS_PER_S); /* ns: the dumper was opened with nano precision */
	pcap_dump((u_char *)d, &h, frame);
}

int rs_gen_write_pcap(struct rs_gen *g, const char *path, const struct rs_gen_pcap_opts *po,
		      uint64_t *packets)
{
	int rc = 0;
	uint64_t npk = 0;
	pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
							 PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d = NULL;
	if (!p)
		return -ENOMEM;
	d = pcap_dump_open(p, path);
	if (!d) {
		rc = errno ? -errno : -EIO;
		goto cleanup;
	}
	uint32_t maxm = po->max_msgs ? po->max_msgs : 8;
	uint32_t maxp = po->max_payload ? po->max_payload : 1400;
	if (maxp > 1472)
		maxp = 1472;
	uint8_t frame[42 + 1472 + RS_GEN_MSG_MAX];
	uint8_t *pl = frame + 42;
	uint64_t seq = 1;
	size_t off = RS_MOLDUDP_HDR_LEN;
	uint16_t cnt = 0;
	uint64_t pts = 0;
	uint8_t m[RS_GEN_MSG_MAX];
	for (;;) {
		size_t n = rs_gen_next(g, m);
		if (cnt && (!n || cnt == maxm || off + 2 + n > maxp)) {
			rs_moldudp_hdr_build(pl, (const uint8_t *)po->session, seq, cnt);
			pcap_put(d, po, frame, off, pts, (uint16_t)npk);
			npk++;
			seq += cnt;
			cnt = 0;
			off = RS_MOLDUDP_HDR_LEN;
		}
		if (!n)
			break;
		if (!cnt)
			pts = rs_gen_ts(g);
		pl[off] = (uint8_t)(n >> 8);
		pl[off + 1] = (uint8_t)n;
		memcpy(pl + off + 2, m, n);
		off += 2 + n;
		cnt++;
	}
	/* end of session: next expected sequence number, count 0xFFFF */
	rs_moldudp_hdr_build(pl, (const uint8_t *)po->session, seq, RS_MOLDUDP_EOS);
	pcap_put(d, po, frame, RS_MOLDUDP_HDR_LEN, rs_gen_ts(g), (uint16_t)npk);
	npk++;
	if (pcap_dump_flush(d))
		rc = -EIO;
	if (packets)
		*packets = npk;
cleanup:
	if (d)
		pcap_dump_close(d);
	pcap_close(p);
	return rc;
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* weekday 0 = Sunday */
static int weekday(int64_t days)
{
	return (int)((days % 7 + 11) % 7);
}

int64_t rs_gen_midnight_ns(int year, int month, int day)
{
	int64_t dd = days_from_civil(year, month, day);
	/* DST: second Sunday of March .. first Sunday of November (at 02:00, so
	 * midnight on those Sundays is still on the old offset) */
	int64_t mar1 = days_from_civil(year, 3, 1), nov1 = days_from_civil(year, 11, 1);
	int64_t dst_start = mar1 + (7 - weekday(mar1)) % 7 + 7;
	int64_t dst_end = nov1 + (7 - weekday(nov1)) % 7;
	int off_h = (dd > dst_start && dd <= dst_end) ? 4 : 5;
	return (dd * 86400 + off_h * 3600) * (int64_t)NS_PER_S;
}
