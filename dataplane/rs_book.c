/* rs_book.c - MBO order book engine. See rs_book.h and rs_book_types.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_book.h"
#include "shm/rs_err.h"
#include "shm/rs_hugemem.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

/* Ladder size classes: capacity 8 << cls entries. */
#define LAD_NCLS 24
/* Linear scan from the touch before switching to binary search (levels).
 * RS_BOOK_SEARCH_BINARY=1 selects pure binary search (for measurement). */
#ifndef RS_BOOK_SEARCH_BINARY
#define RS_BOOK_SEARCH_BINARY 0
#endif
#define LAD_LINEAR 16
/* struct rs_book_inst.dirty: the book changed since the last boundary
 * (publish), and a best level changed too (recompute the BBO, crossed). */
#define DIRTY_BOOK 1u
#define DIRTY_TOP 3u
/* Direct instrument map for small ids (ITCH stock locates are 16-bit). */
#define DMAP_N 65536u

const char *const rs_book_q_names[RS_BOOK_Q_COUNT] = {
	[RS_BOOK_Q_UNKNOWN_ID] = "unknown_id",   [RS_BOOK_Q_DUP_ADD] = "duplicate_add",
	[RS_BOOK_Q_CROSSED] = "crossed",         [RS_BOOK_Q_LOCKED] = "locked",
	[RS_BOOK_Q_BAD_SIZE] = "bad_size",       [RS_BOOK_Q_OVER_CANCEL] = "over_cancel",
	[RS_BOOK_Q_BAD_PRICE] = "bad_price",     [RS_BOOK_Q_OFF_TICK] = "off_tick",
	[RS_BOOK_Q_BAD_SIDE] = "bad_side",       [RS_BOOK_Q_SIDE_CHANGE] = "side_change",
	[RS_BOOK_Q_CAPACITY] = "capacity",       [RS_BOOK_Q_BAD_ACTION] = "bad_action",
};

struct rs_book_islot {
	uint32_t instrument_id;
	uint32_t idx1; /* 0 empty, else instrument index + 1 */
};

struct rs_book {
	struct rs_book_cfg cfg;
	struct rs_hugemem mem;

	struct rs_book_order *orders;
	uint32_t ofree;              /* free-list head */
	struct rs_book_oslot *oh;
	uint64_t ohmask;
	unsigned ohshift;            /* 64 - log2(slots): ohash() keeps the top bits */

	struct rs_book_level *levels;
	uint32_t lfree;

	struct rs_book_lent *arena;
	uint64_t arena_n, arena_used;
	int64_t cls_free[LAD_NCLS];  /* free blocks per class: arena offsets, -1 none */
	uint8_t max_cls;

	struct rs_book_inst *insts;
	uint32_t ninst;
	struct rs_book_islot *ih;
	uint32_t ihmask;
	uint32_t *dmap;              /* instrument_id < DMAP_N -> index + 1 (ITCH locates) */
	uint32_t last_iid, last_idx; /* one-entry lookup cache */

	uint32_t *pubq;              /* instruments to publish */
	uint32_t npub;

	/* the order deleted by the last 'C' with RS_EVF_DELETE (ITCH replace) */
	uint32_t del_iid;
	uint8_t del_side;            /* 0/1, 0xff none */

	struct rs_book_stats st;

	/* publication scratch and attached tables */
	struct rs_bbo pub_bbo;
	struct rs_depth *pub_depth;
	struct rs_seqtab *tab_bbo, *tab_depth;
	uint64_t pub_skipped;        /* instruments beyond a table's slots */
	rs_book_amend_fn amend;      /* see rs_book_set_amend() */
	void *amend_ctx;
};

/* ------------------------------------------------------------------ helpers */

static inline uint64_t mix64(uint64_t x)
{
	/* murmur3 fmix64: every input bit affects every output bit, so dense
	 * (ITCH) and sparse (CME) ids spread equally well */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Order-id home slot of (order_id, instrument_id). Multiplicative
 * (Fibonacci) hashing: the instrument is folded in with one multiply, the
 * high half folded onto the low half (sparse 64-bit CME/Databento ids that
 * differ only in high bits), then one multiply and the TOP log2(slots)
 * bits are the slot. Dense ITCH ids land a golden-ratio step apart (no
 * clustering), instruments reusing the same ids are offset by a
 * pseudo-random constant each. ~7 instructions instead of the ~15 of the
 * murmur3 fmix64 used before (test_book_diff, whose instruments reuse ids,
 * runs as fast as with fmix64: no clustering). RS_BOOK_HASH_FOLD=1
 * selects a locality-keeping fold instead (low id bits used as they are:
 * neighbouring ids share cache lines) - measured in dataplane/README.md:
 * no gain with burst prefetching, and it clusters badly when several
 * instruments reuse the same ids. */
#ifndef RS_BOOK_HASH_FOLD
#define RS_BOOK_HASH_FOLD 0
#endif
static inline uint64_t ohash(const struct rs_book *b, uint64_t id, uint32_t iid)
{
#if RS_BOOK_HASH_FOLD
	(void)iid;
	return (id ^ (id >> 23) ^ (id >> 46)) & b->ohmask;
#else
	uint64_t x = id ^ ((uint64_t)iid * 0x9E3779B97F4A7C15ULL);
	x ^= x >> 32;
	return (x * 0xD6E8FEB86659FD93ULL) >> b->ohshift;
#endif
}

static inline int side_of(char s)
{
	return s == RS_SIDE_BID ? 0 : s == RS_SIDE_ASK ? 1 : -1;
}

static inline int64_t key_of(int side, int64_t price)
{
	return side ? -price : price;
}

static inline uint32_t lad_cap(const struct rs_book_side *s)
{
	return s->lad ? (uint32_t)8 << s->cls : 0;
}

/* Order-id lookup from its home slot h = ohash(): returns the order index
 * or RS_BOOK_NIL; *pos = the slot holding it, or the empty slot where it
 * would be inserted. */
static inline uint32_t oh_find_h(const struct rs_book *b, uint64_t h, uint64_t id, uint32_t iid,
				 uint64_t *pos)
{
	uint64_t i = h;
	for (;;) {
		const struct rs_book_oslot *s = &b->oh[i];
		if (!s->oidx1) {
			*pos = i;
			return RS_BOOK_NIL;
		}
		if (s->order_id == id && s->inst == iid) {
			*pos = i;
			return s->oidx1 - 1;
		}
		i = (i + 1) & b->ohmask;
	}
}

static inline uint32_t oh_find(const struct rs_book *b, uint64_t id, uint32_t iid, uint64_t *pos)
{
	return oh_find_h(b, ohash(b, id, iid), id, iid, pos);
}

/* Backward-shift deletion keeps probe sequences gap-free without tombstones. */
static inline void oh_erase(struct rs_book *b, uint64_t i)
{
	uint64_t m = b->ohmask, j = i;
	for (;;) {
		j = (j + 1) & m;
		struct rs_book_oslot *s = &b->oh[j];
		if (!s->oidx1)
			break;
		uint64_t k = ohash(b, s->order_id, s->inst);
		/* move s into the hole at i unless its home k lies cyclically in (i, j] */
		bool stay = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stay) {
			b->oh[i] = *s;
			i = j;
		}
	}
	b->oh[i].oidx1 = 0;
}

static inline void inst_init(struct rs_book_inst *in, uint32_t iid)
{
	memset(in, 0, sizeof(*in));
	in->instrument_id = iid;
	in->pub_bid_px = RS_UNDEF_PRICE;
	in->pub_ask_px = RS_UNDEF_PRICE;
	in->last_price = RS_UNDEF_PRICE;
	in->top[0] = in->top[1] = RS_BOOK_NIL;
	in->slot_bbo = in->slot_depth = RS_BOOK_NIL;
}

static inline int inst_lookup(const struct rs_book *b, uint32_t iid)
{
	if (iid < DMAP_N)
		return (int)b->dmap[iid] - 1;
	uint32_t i = (uint32_t)mix64(iid) & b->ihmask;
	for (;;) {
		const struct rs_book_islot *s = &b->ih[i];
		if (!s->idx1)
			return -1;
		if (s->instrument_id == iid)
			return (int)(s->idx1 - 1);
		i = (i + 1) & b->ihmask;
	}
}

static int inst_create(struct rs_book *b, uint32_t iid)
{
	if (b->ninst >= b->cfg.max_instruments)
		return -ENOSPC;
	uint32_t i = (uint32_t)mix64(iid) & b->ihmask;
	while (b->ih[i].idx1)
		i = (i + 1) & b->ihmask;
	uint32_t idx = b->ninst++;
	b->ih[i].instrument_id = iid;
	b->ih[i].idx1 = idx + 1;
	if (iid < DMAP_N)
		b->dmap[iid] = idx + 1;
	inst_init(&b->insts[idx], iid);
	return (int)idx;
}

static inline struct rs_book_inst *inst_get(struct rs_book *b, uint32_t iid)
{
	if (b->last_idx != RS_BOOK_NIL && b->last_iid == iid)
		return &b->insts[b->last_idx];
	int idx = inst_lookup(b, iid);
	if (idx < 0) {
		idx = inst_create(b, iid);
		if (idx < 0)
			return NULL;
	}
	b->last_iid = iid;
	b->last_idx = (uint32_t)idx;
	return &b->insts[idx];
}

/* ------------------------------------------------------------------ ladders */

static int64_t lad_alloc(struct rs_book *b, unsigned cls)
{
	int64_t off = b->cls_free[cls];
	if (off >= 0) {
		b->cls_free[cls] = b->arena[off].key;
		return off;
	}
	uint64_t need = (uint64_t)8 << cls;
	if (b->arena_used + need > b->arena_n)
		return -1;
	off = (int64_t)b->arena_used;
	b->arena_used += need;
	return off;
}

static void lad_free(struct rs_book *b, struct rs_book_lent *lad, unsigned cls)
{
	int64_t off = lad - b->arena;
	lad->key = b->cls_free[cls];
	b->cls_free[cls] = off;
}

/* Make room for one more level on side s; false when out of capacity. */
static bool lad_reserve(struct rs_book *b, struct rs_book_side *s)
{
	if (s->lad && s->n < lad_cap(s))
		return true;
	unsigned cls = s->lad ? s->cls + 1u : 0u;
	if (cls > b->max_cls)
		return false;
	int64_t off = lad_alloc(b, cls);
	if (off < 0)
		return false;
	struct rs_book_lent *nl = b->arena + off;
	if (s->lad) {
		memcpy(nl, s->lad, (size_t)s->n * sizeof(*nl));
		lad_free(b, s->lad, s->cls);
		b->st.ladder_moves++;
	}
	s->lad = nl;
	s->cls = (uint8_t)cls;
	return true;
}

/* Position of key in the ladder (ascending, best last): returns the index
 * holding it (*found) or the insertion index. Updates land near the touch,
 * so scan from the end first, then bisect. */
static inline uint32_t lad_find(const struct rs_book_side *s, int64_t key, bool *found)
{
	const struct rs_book_lent *a = s->lad;
	uint32_t i = s->n;
#if !RS_BOOK_SEARCH_BINARY
	uint32_t lim = i > LAD_LINEAR ? i - LAD_LINEAR : 0;
	while (i > lim) {
		int64_t k = a[i - 1].key;
		if (k <= key) {
			*found = k == key;
			return *found ? i - 1 : i;
		}
		i--;
	}
	if (i == 0) {
		*found = false;
		return 0;
	}
#endif
	uint32_t lo = 0, hi = i;
	while (lo < hi) {
		uint32_t mid = (lo + hi) >> 1;
		if (a[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < i && a[lo].key == key;
	return lo;
}

/* Level for (side, price), created if absent. RS_BOOK_NIL: out of capacity. */
static inline __attribute__((always_inline)) uint32_t level_get(struct rs_book *b, struct rs_book_inst *in, int side, int64_t price)
{
	struct rs_book_side *s = &in->side[side];
	int64_t key = key_of(side, price);
	bool found = false;
	uint32_t pos = s->n ? lad_find(s, key, &found) : 0;
	if (found)
		return s->lad[pos].level;
	if (b->lfree == RS_BOOK_NIL || s->n >= b->cfg.max_ladder || !lad_reserve(b, s))
		return RS_BOOK_NIL;
	uint32_t li = b->lfree;
	struct rs_book_level *l = &b->levels[li];
	b->lfree = l->tail;
	l->price = price;
	l->size = 0;
	l->count = 0;
	l->head = l->tail = RS_BOOK_NIL;
	if (pos < s->n)
		memmove(&s->lad[pos + 1], &s->lad[pos], (size_t)(s->n - pos) * sizeof(s->lad[0]));
	s->lad[pos].key = key;
	s->lad[pos].level = li;
	if (pos == s->n)
		in->top[side] = li; /* new best */
	s->n++;
	if (++b->st.levels_live > b->st.levels_peak)
		b->st.levels_peak = b->st.levels_live;
	return li;
}

static inline __attribute__((always_inline)) void level_drop(struct rs_book *b, struct rs_book_inst *in, int side, uint32_t li)
{
	struct rs_book_side *s = &in->side[side];
	struct rs_book_level *l = &b->levels[li];
	bool found;
	uint32_t pos;
	/* the emptied level is almost always the touch */
	if (s->n && s->lad[s->n - 1].level == li) {
		pos = s->n - 1;
		in->top[side] = pos ? s->lad[pos - 1].level : RS_BOOK_NIL;
	} else {
		pos = lad_find(s, key_of(side, l->price), &found);
		if (!found) /* cannot happen while invariants hold */
			return;
		memmove(&s->lad[pos], &s->lad[pos + 1], (size_t)(s->n - pos - 1) * sizeof(s->lad[0]));
	}
	s->n--;
	l->tail = b->lfree;
	b->lfree = li;
	b->st.levels_live--;
}

/* ------------------------------------------------------------------ orders */

static inline __attribute__((always_inline)) void fifo_push(struct rs_book *b, struct rs_book_level *l, uint32_t li, uint32_t oi)
{
	struct rs_book_order *o = &b->orders[oi];
	o->level = li;
	o->next = RS_BOOK_NIL;
	o->prev = l->tail;
	if (l->tail != RS_BOOK_NIL)
		b->orders[l->tail].next = oi;
	else
		l->head = oi;
	l->tail = oi;
	l->count++;
	l->size += o->size;
}

/* Unlink from its level (dropping the level when it empties). */
static inline __attribute__((always_inline)) void fifo_unlink(struct rs_book *b, struct rs_book_inst *in, uint32_t oi)
{
	struct rs_book_order *o = &b->orders[oi];
	struct rs_book_level *l = &b->levels[o->level];
	if (o->prev != RS_BOOK_NIL)
		b->orders[o->prev].next = o->next;
	else
		l->head = o->next;
	if (o->next != RS_BOOK_NIL)
		b->orders[o->next].prev = o->prev;
	else
		l->tail = o->prev;
	l->size -= o->size;
	if (--l->count == 0)
		level_drop(b, in, o->side, o->level);
}

static inline __attribute__((always_inline)) void order_free(struct rs_book *b, struct rs_book_inst *in, uint32_t oi, uint64_t slot)
{
	oh_erase(b, slot);
	b->orders[oi].next = b->ofree;
	b->ofree = oi;
	in->norders--;
	b->st.orders_live--;
}

static __attribute__((noinline, cold)) void q(struct rs_book *b, struct rs_book_inst *in, struct rs_event *ev, enum rs_book_q k)
{
	in->q[k]++;
	ev->rs_flags |= RS_EVF_REJECTED;
	b->st.rejected++;
}

/* Fill the fields an INCOMPLETE (ITCH) record left undefined. (Branches,
 * not selects: they are predictable on a feed, and the select version
 * measured more instructions.) */
static inline __attribute__((always_inline)) void complete(struct rs_event *ev, const struct rs_book_order *o)
{
	if (ev->mbo.price == RS_UNDEF_PRICE)
		ev->mbo.price = o->price;
	if (ev->mbo.side != RS_SIDE_BID && ev->mbo.side != RS_SIDE_ASK)
		ev->mbo.side = o->side ? RS_SIDE_ASK : RS_SIDE_BID;
	if (ev->mbo.size == RS_SIZE_ALL)
		ev->mbo.size = o->size;
	ev->rs_flags &= ~RS_EVF_INCOMPLETE;
}

static inline __attribute__((always_inline)) void do_add(struct rs_book *b, struct rs_book_inst *in,
								 struct rs_event *ev, uint64_t h)
{
	struct rs_mbo *m = &ev->mbo;
	uint32_t f = ev->rs_flags;
	uint32_t iid = m->hd.instrument_id;
	char sd = m->side;
	int side = sd == RS_SIDE_ASK ? 1 : sd == RS_SIDE_BID ? 0 : -1;
	if (__builtin_expect(f & RS_EVF_REPLACE, 0)) {
		if (side < 0 && b->del_side != 0xff && b->del_iid == iid) {
			side = b->del_side;
			m->side = side ? RS_SIDE_ASK : RS_SIDE_BID;
		}
		b->del_side = 0xff; /* consumed */
	}
	ev->rs_flags = f & ~RS_EVF_INCOMPLETE;
	int64_t price = m->price;
	uint32_t size = m->size;
	/* in order of precedence; never taken on a sane feed (predicted) */
	if (side < 0)
		return q(b, in, ev, RS_BOOK_Q_BAD_SIDE);
	if ((int32_t)size <= 0) /* 0, RS_SIZE_ALL, negative */
		return q(b, in, ev, RS_BOOK_Q_BAD_SIZE);
	if (price == RS_UNDEF_PRICE || price == INT64_MIN)
		return q(b, in, ev, RS_BOOK_Q_BAD_PRICE);
	if (m->flags & RS_F_TOB)
		return q(b, in, ev, RS_BOOK_Q_BAD_ACTION);
	if (in->tick_size > 0 && price % in->tick_size)
		in->q[RS_BOOK_Q_OFF_TICK]++; /* reported, still applied */
	uint64_t slot;
	if (oh_find_h(b, h, m->order_id, iid, &slot) != RS_BOOK_NIL)
		return q(b, in, ev, RS_BOOK_Q_DUP_ADD);
	uint32_t oi = b->ofree;
	if (oi == RS_BOOK_NIL)
		return q(b, in, ev, RS_BOOK_Q_CAPACITY);
	uint32_t li = level_get(b, in, side, price);
	if (li == RS_BOOK_NIL)
		return q(b, in, ev, RS_BOOK_Q_CAPACITY);
	struct rs_book_order *o = &b->orders[oi];
	b->ofree = o->next;
	o->order_id = m->order_id;
	o->price = price;
	o->size = size;
	o->inst = (uint32_t)(in - b->insts);
	o->side = (uint8_t)side;
	o->flags = 0;
	o->ts_priority = m->hd.ts_event;
	o->ts_recv = m->ts_recv;
	in->dirty |= li == in->top[side] ? DIRTY_TOP : DIRTY_BOOK;
	fifo_push(b, &b->levels[li], li, oi);
	struct rs_book_oslot *os = &b->oh[slot];
	os->order_id = m->order_id;
	os->inst = iid;
	os->oidx1 = oi + 1;
	in->norders++;
	if (++b->st.orders_live > b->st.orders_peak)
		b->st.orders_peak = b->st.orders_live;
}

static inline __attribute__((always_inline)) void do_cancel(struct rs_book *b, struct rs_book_inst *in,
								    struct rs_event *ev, uint64_t h)
{
	struct rs_mbo *m = &ev->mbo;
	uint32_t iid = m->hd.instrument_id;
	uint64_t slot;
	uint32_t oi = oh_find_h(b, h, m->order_id, iid, &slot);
	if (oi == RS_BOOK_NIL) {
		b->del_side = 0xff; /* a replace's 'A' must not take a stale side */
		return q(b, in, ev, RS_BOOK_Q_UNKNOWN_ID);
	}
	struct rs_book_order *o = &b->orders[oi];
	uint32_t f = ev->rs_flags;
	uint32_t size = m->size;
	bool del = f & RS_EVF_DELETE;
	bool all = del || size == RS_SIZE_ALL;
	if (del) {
		b->del_iid = iid;
		b->del_side = o->side;
	}
	complete(ev, o);
	if (size == 0 && !all)
		return q(b, in, ev, RS_BOOK_Q_BAD_SIZE);
	uint32_t li = o->level;
	in->dirty |= li == in->top[o->side] ? DIRTY_TOP : DIRTY_BOOK;
	if (!all && size < o->size) {
		o->size -= size;
		b->levels[li].size -= size;
		return;
	}
	if (!all && size > o->size)
		in->q[RS_BOOK_Q_OVER_CANCEL]++; /* reported; the order is gone either way */
	fifo_unlink(b, in, oi);
	order_free(b, in, oi, slot);
}

static __attribute__((noinline)) void do_modify(struct rs_book *b, struct rs_book_inst *in, struct rs_event *ev)
{
	struct rs_mbo *m = &ev->mbo;
	uint64_t slot;
	uint32_t oi = oh_find(b, m->order_id, m->hd.instrument_id, &slot);
	if (oi == RS_BOOK_NIL)
		return q(b, in, ev, RS_BOOK_Q_UNKNOWN_ID);
	struct rs_book_order *o = &b->orders[oi];
	int side = side_of(m->side);
	if (side < 0) {
		side = o->side;
		m->side = side ? RS_SIDE_ASK : RS_SIDE_BID;
	}
	ev->rs_flags &= ~RS_EVF_INCOMPLETE;
	if (side != o->side)
		return q(b, in, ev, RS_BOOK_Q_SIDE_CHANGE);
	if (m->price == RS_UNDEF_PRICE)
		m->price = o->price;
	if (m->price == INT64_MIN)
		return q(b, in, ev, RS_BOOK_Q_BAD_PRICE);
	if (m->size == 0 || m->size == RS_SIZE_ALL || (int32_t)m->size < 0)
		return q(b, in, ev, RS_BOOK_Q_BAD_SIZE);
	if (in->tick_size > 0 && m->price % in->tick_size)
		in->q[RS_BOOK_Q_OFF_TICK]++;
	if (m->price == o->price) {
		struct rs_book_level *l = &b->levels[o->level];
		in->dirty |= o->level == in->top[side] ? DIRTY_TOP : DIRTY_BOOK;
		if (m->size <= o->size || l->tail == oi) { /* keeps (or cannot lose) priority */
			if (m->size > o->size)
				o->ts_priority = m->hd.ts_event;
			l->size = l->size - o->size + m->size;
			o->size = m->size;
			return;
		}
		/* size increase: to the back of the queue */
		fifo_unlink(b, in, oi); /* level keeps >= 1 order: no drop */
		o->size = m->size;
		o->ts_priority = m->hd.ts_event;
		fifo_push(b, l, o->level, oi);
		return;
	}
	/* price change: find/create the new level first so failure changes nothing */
	uint32_t li = level_get(b, in, side, m->price);
	if (li == RS_BOOK_NIL)
		return q(b, in, ev, RS_BOOK_Q_CAPACITY);
	in->dirty |= (o->level == in->top[side] || li == in->top[side]) ? DIRTY_TOP : DIRTY_BOOK;
	fifo_unlink(b, in, oi);
	o->price = m->price;
	o->size = m->size;
	o->ts_priority = m->hd.ts_event;
	fifo_push(b, &b->levels[li], li, oi);
}

static __attribute__((noinline, cold)) void do_clear(struct rs_book *b, struct rs_book_inst *in)
{
	for (int side = 0; side < 2; side++) {
		struct rs_book_side *s = &in->side[side];
		for (uint32_t p = 0; p < s->n; p++) {
			uint32_t li = s->lad[p].level;
			struct rs_book_level *l = &b->levels[li];
			for (uint32_t oi = l->head; oi != RS_BOOK_NIL;) {
				struct rs_book_order *o = &b->orders[oi];
				uint32_t nx = o->next;
				uint64_t slot;
				if (oh_find(b, o->order_id, in->instrument_id, &slot) == oi)
					oh_erase(b, slot);
				o->next = b->ofree;
				b->ofree = oi;
				b->st.orders_live--;
				oi = nx;
			}
			l->tail = b->lfree;
			b->lfree = li;
			b->st.levels_live--;
		}
		s->n = 0;
		in->top[side] = RS_BOOK_NIL;
	}
	in->norders = 0;
	in->dirty = DIRTY_TOP;
}

/* Event boundary: BBO change flag, crossed/locked accounting, publication. */
static inline void boundary(struct rs_book *b, struct rs_book_inst *in, struct rs_event *ev)
{
	b->st.boundaries++;
	if (in->dirty & (DIRTY_TOP & ~DIRTY_BOOK)) {
		int64_t bp = RS_UNDEF_PRICE, ap = RS_UNDEF_PRICE;
		uint64_t bz = 0, az = 0;
		uint32_t bc = 0, ac = 0;
		if (in->top[0] != RS_BOOK_NIL) {
			const struct rs_book_level *l = &b->levels[in->top[0]];
			bp = l->price, bz = l->size, bc = l->count;
		}
		if (in->top[1] != RS_BOOK_NIL) {
			const struct rs_book_level *l = &b->levels[in->top[1]];
			ap = l->price, az = l->size, ac = l->count;
		}
		if (bp != in->pub_bid_px || ap != in->pub_ask_px || bz != in->pub_bid_sz ||
		    az != in->pub_ask_sz || bc != in->pub_bid_ct || ac != in->pub_ask_ct) {
			in->pub_bid_px = bp, in->pub_bid_sz = bz, in->pub_bid_ct = bc;
			in->pub_ask_px = ap, in->pub_ask_sz = az, in->pub_ask_ct = ac;
			ev->rs_flags |= RS_EVF_BBO_CHANGED;
		}
		in->crossed = (in->top[0] != RS_BOOK_NIL && in->top[1] != RS_BOOK_NIL)
				      ? (bp > ap ? 2 : bp == ap ? 1 : 0)
				      : 0;
		in->bseen = 1;
	}
	if (in->dirty) {
		in->dirty = 0;
		if (!in->queued) {
			in->queued = 1;
			b->pubq[b->npub++] = (uint32_t)(in - b->insts);
		}
	}
	if (__builtin_expect(in->crossed, 0))
		in->q[in->crossed == 2 ? RS_BOOK_Q_CROSSED : RS_BOOK_Q_LOCKED]++;
#ifdef RS_DEBUG_INVARIANTS
	char msg[256];
	if (rs_book_check(b, (uint32_t)(in - b->insts), msg, sizeof(msg))) {
		fprintf(stderr, "rs_book invariant violated: %s\n", msg);
		abort();
	}
#endif
}

/* Records other than A and C (M, R, F, T, N, unknown). */
static inline __attribute__((always_inline)) void apply_other(struct rs_book *b, struct rs_book_inst *in,
								      struct rs_event *ev, uint64_t h)
{
	struct rs_mbo *m = &ev->mbo;
	switch (m->action) {
	case RS_ACTION_MODIFY:
		do_modify(b, in, ev);
		break;
	case RS_ACTION_CLEAR:
		do_clear(b, in);
		break;
	case RS_ACTION_FILL:
		if (ev->rs_flags & RS_EVF_INCOMPLETE) {
			uint64_t slot;
			uint32_t oi = oh_find_h(b, h, m->order_id, m->hd.instrument_id, &slot);
			if (oi == RS_BOOK_NIL) {
				/* counted once, on the 'C' that follows (ITCH E/C) */
				ev->rs_flags |= RS_EVF_REJECTED;
				b->st.rejected++;
			} else {
				complete(ev, &b->orders[oi]);
			}
		}
		break;
	case RS_ACTION_TRADE:
		if (m->price != RS_UNDEF_PRICE && m->size != RS_SIZE_ALL) {
			in->last_price = m->price;
			in->last_size = m->size;
			in->volume += m->size;
		}
		break;
	case RS_ACTION_NONE:
		break;
	default:
		q(b, in, ev, RS_BOOK_Q_BAD_ACTION);
		break;
	}
}

/* h = ohash(order_id, instrument_id), the record's home slot (precomputed
 * by the burst pipeline); hint = the record's instrument as looked up by
 * the pipeline, or NULL. An instrument never moves or changes its index once
 * created (only rs_book_reset forgets them, never during a burst), so a
 * non-NULL hint needs no re-check. */
static inline __attribute__((always_inline)) void apply_one(struct rs_book *b, struct rs_event *ev,
							      uint64_t h, struct rs_book_inst *hint)
{
	struct rs_mbo *m = &ev->mbo;
	b->st.events++;
	struct rs_book_inst *in = hint ? hint : inst_get(b, m->hd.instrument_id);
	if (!in) {
		b->st.inst_capacity++;
		b->st.rejected++;
		ev->rs_flags |= RS_EVF_REJECTED;
		return;
	}
	/* the two hot actions by compare, the rest by switch: a jump table
	 * over all of them cost ~9 instructions per record */
	char act = m->action;
	if (act == RS_ACTION_CANCEL)
		do_cancel(b, in, ev, h);
	else if (act == RS_ACTION_ADD)
		do_add(b, in, ev, h);
	else
		apply_other(b, in, ev, h);
	in->ts_event = m->hd.ts_event;
	in->ts_recv = m->ts_recv;
	in->sequence = m->sequence;
	if (m->flags & RS_F_LAST)
		boundary(b, in, ev);
}

void rs_book_apply(struct rs_book *b, struct rs_event *ev)
{
	apply_one(b, ev, ohash(b, ev->mbo.order_id, ev->mbo.hd.instrument_id), NULL);
}

/* Burst pipeline. The burst is cut into batches of PF_BATCH records; per
 * batch three prefetch passes run ahead of the applies:
 *   A (whole batch): hash the order id (kept for B and the apply) and
 *                    prefetch its slot (and the next slot's line when the
 *                    slot is the last of its line: probes and backward-shift
 *                    deletes read on)
 *   B (whole batch): check the home slot (now in flight or cached) ->
 *                    prefetch the order record (or the free-list head for
 *                    an add); look the instrument up -> prefetch its hot
 *                    line
 *   C (PF_C records ahead of the apply): from the order: its level and
 *                    FIFO neighbours (written by an unlink)
 * Whole-batch passes instead of the earlier sliding 3-stage ring (12/7/3
 * records ahead): the loops have no fill/drain conditions (with 32-record
 * bursts the ring spent 12 of every 32 records in its drain loop), the
 * slot prefetches of pass A are all in flight together, and pass B runs a
 * whole batch before the first apply. No pass branches on the record type
 * (the A/C mix of a feed is random: such branches mispredict); indices of
 * adds, which have no order yet, are clamped instead. Callgrind, 2 M
 * messages: the ring cost ~130 instructions per record (hashing, probing
 * and loop included), these passes ~80.
 * Probe results are hints only (the records in between may free or move
 * them): every index is clamped and only ever prefetched. The BBO levels
 * need no prefetch: the boundary reads them only when the record touched a
 * best level, which it has just loaded. */
#define PF_BATCH 32
struct pf_hint {
	uint64_t h;              /* ohash (home slot) of the record */
	struct rs_book_inst *in; /* instrument (hint, see apply_one) or NULL */
	uint32_t oi;             /* order index (hint) or RS_BOOK_NIL */
	uint32_t reserved;
};

static inline __attribute__((always_inline)) void stage_a(const struct rs_book *b,
							   const struct rs_event *e, struct pf_hint *ph)
{
	uint64_t h = ohash(b, e->mbo.order_id, e->mbo.hd.instrument_id);
	ph->h = h;
	__builtin_prefetch(&b->oh[h]);
	/* the next slot: the same line unless h is the last slot of its line
	 * (one past the table for the last slot: a prefetch never faults) */
	__builtin_prefetch(&b->oh[h + 1]);
}

static inline __attribute__((always_inline)) void stage_b(const struct rs_book *b,
							   const struct rs_event *e, struct pf_hint *ph)
{
	/* Home slot only, branch-free: a full probe branched on "empty or
	 * not", i.e. on add vs cancel, which is random on a feed (a
	 * mispredict on half the records). oidx1 == 0 (empty) gives 0 - 1 =
	 * RS_BOOK_NIL; an order displaced from its home slot (rare at <= 50 %
	 * load) just goes without a prefetch. */
	const struct rs_book_oslot *s = &b->oh[ph->h];
	uint32_t iid = e->mbo.hd.instrument_id;
	bool hit = (s->order_id == e->mbo.order_id) & (s->inst == iid);
	uint32_t oi = hit ? s->oidx1 - 1 : RS_BOOK_NIL;
	ph->oi = oi;
	/* an add finds no order: prefetch the free-list head it will take */
	uint32_t po = oi != RS_BOOK_NIL ? oi : b->ofree;
	__builtin_prefetch(&b->orders[po < b->cfg.max_orders ? po : 0], 1);
	int idx = inst_lookup(b, iid);
	ph->in = idx >= 0 ? &b->insts[idx] : NULL;
	__builtin_prefetch(&b->insts[idx >= 0 ? idx : 0], 1);
}

#ifndef RS_BOOK_PF_C
#define RS_BOOK_PF_C 1
#endif
/* records between pass C and the apply */
#define PF_C 4
static inline __attribute__((always_inline)) void stage_c(const struct rs_book *b,
							   const struct pf_hint *ph)
{
	if (!RS_BOOK_PF_C)
		return;
	/* adds (oi NIL) read order 0's line instead: cheaper than a branch */
	const struct rs_book_order *o = &b->orders[ph->oi < b->cfg.max_orders ? ph->oi : 0];
	uint32_t lv = o->level, pv = o->prev, nx = o->next;
	__builtin_prefetch(&b->levels[lv < b->cfg.max_levels ? lv : 0], 1);
	__builtin_prefetch(&b->orders[pv < b->cfg.max_orders ? pv : 0], 1);
	__builtin_prefetch(&b->orders[nx < b->cfg.max_orders ? nx : 0], 1);
}

static inline void apply_batch(struct rs_book *b, struct rs_event *ev, unsigned n)
{
	struct pf_hint ph[PF_BATCH];
	unsigned i;
	for (i = 0; i < n; i++)
		stage_a(b, &ev[i], &ph[i]);
	for (i = 0; i < n; i++)
		stage_b(b, &ev[i], &ph[i]);
	unsigned c = n < PF_C ? n : PF_C;
	for (i = 0; i < c; i++)
		stage_c(b, &ph[i]);
	for (i = 0; i + PF_C < n; i++) {
		stage_c(b, &ph[i + PF_C]);
		apply_one(b, &ev[i], ph[i].h, ph[i].in);
	}
	for (; i < n; i++)
		apply_one(b, &ev[i], ph[i].h, ph[i].in);
}

unsigned rs_book_apply_burst(struct rs_book *b, struct rs_event *ev, unsigned n)
{
	unsigned k = 0;
	for (; k + PF_BATCH <= n; k += PF_BATCH)
		apply_batch(b, ev + k, PF_BATCH);
	if (k < n)
		apply_batch(b, ev + k, n - k);
	return n;
}

/* ------------------------------------------------------------------ queries */

unsigned rs_book_levels(const struct rs_book *b, uint32_t idx, int side, struct rs_level *out,
			unsigned n)
{
	if (idx >= b->ninst || side < 0 || side > 1)
		return 0;
	const struct rs_book_side *s = &b->insts[idx].side[side];
	unsigned k = 0;
	for (; k < n && k < s->n; k++) {
		const struct rs_book_level *l = &b->levels[s->lad[s->n - 1 - k].level];
		out[k].price = l->price;
		out[k].size = l->size > UINT32_MAX ? UINT32_MAX : (uint32_t)l->size;
		out[k].count = l->count;
	}
	return k;
}

int rs_book_level_pos(const struct rs_book *b, uint32_t idx, int side, int64_t price)
{
	if (idx >= b->ninst || side < 0 || side > 1 || price == INT64_MIN)
		return -1;
	const struct rs_book_side *s = &b->insts[idx].side[side];
	bool found = false;
	uint32_t pos = s->n ? lad_find(s, key_of(side, price), &found) : 0;
	return found ? (int)(s->n - 1 - pos) : -1;
}

uint32_t rs_book_nlevels(const struct rs_book *b, uint32_t idx, int side)
{
	if (idx >= b->ninst || side < 0 || side > 1)
		return 0;
	return b->insts[idx].side[side].n;
}

const struct rs_book_order *rs_book_order(const struct rs_book *b, uint32_t instrument_id,
					  uint64_t order_id)
{
	uint64_t slot;
	uint32_t oi = oh_find(b, order_id, instrument_id, &slot);
	return oi == RS_BOOK_NIL ? NULL : &b->orders[oi];
}

uint32_t rs_book_level_orders(const struct rs_book *b, uint32_t idx, int side, uint32_t pos,
			      uint64_t *ids, uint32_t max)
{
	if (idx >= b->ninst || side < 0 || side > 1)
		return 0;
	const struct rs_book_side *s = &b->insts[idx].side[side];
	if (pos >= s->n)
		return 0;
	const struct rs_book_level *l = &b->levels[s->lad[s->n - 1 - pos].level];
	uint32_t k = 0;
	for (uint32_t oi = l->head; oi != RS_BOOK_NIL && k < max; oi = b->orders[oi].next)
		ids[k++] = b->orders[oi].order_id;
	return l->count;
}

void rs_book_bbo(const struct rs_book *b, uint32_t idx, struct rs_bbo *out)
{
	memset(out, 0, sizeof(*out));
	out->bid.price = out->ask.price = RS_UNDEF_PRICE;
	out->last_price = RS_UNDEF_PRICE;
	out->microprice = 0;
	if (idx >= b->ninst)
		return;
	const struct rs_book_inst *in = &b->insts[idx];
	out->instrument_id = in->instrument_id;
	rs_book_levels(b, idx, 0, &out->bid, 1);
	rs_book_levels(b, idx, 1, &out->ask, 1);
	out->last_price = in->last_price;
	out->last_size = in->last_size;
	out->volume = in->volume;
	out->ts_event = in->ts_event;
	out->ts_recv = in->ts_recv;
	out->sequence = in->sequence;
}

void rs_book_depth(const struct rs_book *b, uint32_t idx, struct rs_depth *out, uint16_t n)
{
	out->instrument_id = idx < b->ninst ? b->insts[idx].instrument_id : 0;
	out->depth = n;
	out->flags = 0;
	for (unsigned i = 0; i < 2u * n; i++)
		out->levels[i] = (struct rs_level){RS_UNDEF_PRICE, 0, 0};
	out->nbids = (uint16_t)rs_book_levels(b, idx, 0, out->levels, n);
	out->nasks = (uint16_t)rs_book_levels(b, idx, 1, out->levels + n, n);
	if (idx < b->ninst) {
		out->sequence = b->insts[idx].sequence;
		out->ts_event = b->insts[idx].ts_event;
		out->ts_recv = b->insts[idx].ts_recv;
	}
}

unsigned rs_book_publish(struct rs_book *b, rs_book_publish_fn fn, void *ctx)
{
	unsigned n = b->npub;
	bool tabs = b->tab_bbo || b->tab_depth;
	size_t dlen = sizeof(struct rs_depth) + 2u * b->cfg.depth * sizeof(struct rs_level);
	for (unsigned i = 0; i < n; i++) {
		uint32_t idx = b->pubq[i];
		b->insts[idx].queued = 0;
		if (!fn && !tabs)
			continue;
		rs_book_bbo(b, idx, &b->pub_bbo);
		rs_book_depth(b, idx, b->pub_depth, b->cfg.depth);
		if (b->amend)
			b->amend(b->amend_ctx, idx, &b->pub_bbo);
		struct rs_book_inst *in = &b->insts[idx];
		uint64_t key = rs_itable_key(in->instrument_id);
		if (b->tab_bbo) {
			if (in->slot_bbo == RS_BOOK_NIL) { /* once per instrument */
				int64_t sl = rs_itable_claim(b->tab_bbo, in->instrument_id);
				in->slot_bbo = sl < 0 ? RS_BOOK_NIL - 1 : (uint32_t)sl;
			}
			if (in->slot_bbo < RS_BOOK_NIL - 1)
				rs_seqtab_write(b->tab_bbo, in->slot_bbo, key, &b->pub_bbo, sizeof(b->pub_bbo));
			else
				b->pub_skipped++;
		}
		if (b->tab_depth) {
			if (in->slot_depth == RS_BOOK_NIL) {
				int64_t sl = rs_itable_claim(b->tab_depth, in->instrument_id);
				in->slot_depth = sl < 0 ? RS_BOOK_NIL - 1 : (uint32_t)sl;
			}
			if (in->slot_depth < RS_BOOK_NIL - 1)
				rs_seqtab_write(b->tab_depth, in->slot_depth, key, b->pub_depth, (uint32_t)dlen);
			else
				b->pub_skipped++;
		}
		if (fn)
			fn(ctx, idx, &b->pub_bbo, b->pub_depth);
	}
	b->npub = 0;
	return n;
}

int rs_book_attach_tables(struct rs_book *b, struct rs_seqtab *bbo, struct rs_seqtab *depth)
{
	size_t dlen = sizeof(struct rs_depth) + 2u * b->cfg.depth * sizeof(struct rs_level);
	if (bbo && rs_seqtab_payload_size(bbo) < sizeof(struct rs_bbo))
		return RS_ERR_SET(-EINVAL, "BBO table payload %u < %zu bytes",
				  rs_seqtab_payload_size(bbo), sizeof(struct rs_bbo));
	if (depth && rs_seqtab_payload_size(depth) < dlen)
		return RS_ERR_SET(-EINVAL, "depth table payload %u < %zu bytes (MBP-%u)",
				  rs_seqtab_payload_size(depth), dlen, b->cfg.depth);
	b->tab_bbo = bbo;
	b->tab_depth = depth;
	for (uint32_t i = 0; i < b->ninst; i++) /* slots are per table: claim again */
		b->insts[i].slot_bbo = b->insts[i].slot_depth = RS_BOOK_NIL;
	return 0;
}

void rs_book_set_amend(struct rs_book *b, rs_book_amend_fn fn, void *ctx)
{
	b->amend = fn;
	b->amend_ctx = ctx;
}

uint64_t rs_book_publish_skipped(const struct rs_book *b)
{
	return b->pub_skipped;
}

uint32_t rs_book_ninst(const struct rs_book *b)
{
	return b->ninst;
}

const struct rs_book_inst *rs_book_inst(const struct rs_book *b, uint32_t idx)
{
	return idx < b->ninst ? &b->insts[idx] : NULL;
}

const struct rs_book_stats *rs_book_stats(const struct rs_book *b)
{
	return &b->st;
}

const struct rs_book_cfg *rs_book_config(const struct rs_book *b)
{
	return &b->cfg;
}

int rs_book_find(const struct rs_book *b, uint32_t instrument_id)
{
	return inst_lookup(b, instrument_id);
}

int rs_book_define(struct rs_book *b, uint32_t instrument_id, const char *symbol, int64_t tick_size)
{
	int idx = inst_lookup(b, instrument_id);
	if (idx < 0)
		idx = inst_create(b, instrument_id);
	if (idx < 0)
		return idx;
	struct rs_book_inst *in = &b->insts[idx];
	in->tick_size = tick_size > 0 ? tick_size : 0;
	if (symbol) {
		memset(in->symbol, 0, sizeof(in->symbol));
		strncpy(in->symbol, symbol, sizeof(in->symbol) - 1);
	}
	return idx;
}

/* ------------------------------------------------------------------ invariants */

int rs_book_check(const struct rs_book *b, uint32_t idx, char *msg, size_t len)
{
#define FAIL(...)                                   \
	do {                                        \
		if (msg && len)                     \
			snprintf(msg, len, __VA_ARGS__); \
		return -1;                          \
	} while (0)
	if (idx >= b->ninst)
		FAIL("no instrument index %u", idx);
	const struct rs_book_inst *in = &b->insts[idx];
	uint64_t norders = 0;
	for (int side = 0; side < 2; side++) {
		const struct rs_book_side *s = &in->side[side];
		if (in->top[side] != (s->n ? s->lad[s->n - 1].level : RS_BOOK_NIL))
			FAIL("iid %u side %d: cached best level is not the ladder's best", in->instrument_id,
			     side);
		if (s->n > lad_cap(s))
			FAIL("iid %u side %d: %u levels > capacity %u", in->instrument_id, side, s->n,
			     lad_cap(s));
		for (uint32_t p = 0; p < s->n; p++) {
			uint32_t li = s->lad[p].level;
			if (li >= b->cfg.max_levels)
				FAIL("iid %u side %d pos %u: bad level index", in->instrument_id, side, p);
			const struct rs_book_level *l = &b->levels[li];
			if (s->lad[p].key != key_of(side, l->price))
				FAIL("iid %u side %d pos %u: key/price mismatch", in->instrument_id, side, p);
			if (p && !(s->lad[p - 1].key < s->lad[p].key))
				FAIL("iid %u %s not strictly %s at pos %u (price %lld)", in->instrument_id,
				     side ? "asks" : "bids", side ? "ascending" : "descending", p,
				     (long long)l->price);
			if (l->count == 0 || l->head == RS_BOOK_NIL)
				FAIL("iid %u side %d price %lld: empty level", in->instrument_id, side,
				     (long long)l->price);
			uint64_t sz = 0;
			uint32_t ct = 0, prev = RS_BOOK_NIL;
			for (uint32_t oi = l->head; oi != RS_BOOK_NIL; oi = b->orders[oi].next) {
				const struct rs_book_order *o = &b->orders[oi];
				if (++ct > l->count)
					FAIL("iid %u price %lld: FIFO longer than count %u", in->instrument_id,
					     (long long)l->price, l->count);
				if (o->prev != prev || o->level != li || o->side != side ||
				    o->price != l->price || o->inst != idx)
					FAIL("iid %u order %llu: bad back-reference", in->instrument_id,
					     (unsigned long long)o->order_id);
				if (o->size == 0)
					FAIL("iid %u order %llu: zero size", in->instrument_id,
					     (unsigned long long)o->order_id);
				uint64_t slot;
				if (oh_find(b, o->order_id, in->instrument_id, &slot) != oi)
					FAIL("iid %u order %llu: not in the id index", in->instrument_id,
					     (unsigned long long)o->order_id);
				sz += o->size;
				prev = oi;
			}
			if (l->tail != prev)
				FAIL("iid %u price %lld: bad tail", in->instrument_id, (long long)l->price);
			if (ct != l->count || sz != l->size)
				FAIL("iid %u side %d price %lld: level size/count %llu/%u != orders %llu/%u",
				     in->instrument_id, side, (long long)l->price,
				     (unsigned long long)l->size, l->count, (unsigned long long)sz, ct);
			norders += ct;
		}
	}
	if (norders != in->norders)
		FAIL("iid %u: %llu orders in levels != %u counted", in->instrument_id,
		     (unsigned long long)norders, in->norders);
	/* BBO published at the last boundary == first levels (when not dirty) */
	if (!in->dirty) {
		struct rs_level bl = {RS_UNDEF_PRICE, 0, 0}, al = {RS_UNDEF_PRICE, 0, 0};
		rs_book_levels(b, idx, 0, &bl, 1);
		rs_book_levels(b, idx, 1, &al, 1);
		if (in->bseen && (bl.price != in->pub_bid_px || al.price != in->pub_ask_px ||
				   bl.count != in->pub_bid_ct || al.count != in->pub_ask_ct))
			FAIL("iid %u: BBO state %lld/%lld != first levels %lld/%lld", in->instrument_id,
			     (long long)in->pub_bid_px, (long long)in->pub_ask_px, (long long)bl.price,
			     (long long)al.price);
	}
	return 0;
#undef FAIL
}

int rs_book_check_all(const struct rs_book *b, char *msg, size_t len)
{
	uint64_t n = 0, slots = 0;
	for (uint32_t i = 0; i < b->ninst; i++) {
		if (rs_book_check(b, i, msg, len))
			return -1;
		n += b->insts[i].norders;
	}
	for (uint64_t i = 0; i <= b->ohmask; i++)
		slots += b->oh[i].oidx1 != 0;
	if (n != slots || n != b->st.orders_live) {
		if (msg && len)
			snprintf(msg, len, "orders in books %llu, id index %llu, live counter %llu",
				 (unsigned long long)n, (unsigned long long)slots,
				 (unsigned long long)b->st.orders_live);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ lifecycle */

void rs_book_cfg_default(struct rs_book_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_instruments = 16384;
	cfg->max_orders = 4u << 20;
	cfg->max_levels = 1u << 20;
	cfg->ladder_arena = 4u << 20;
	cfg->max_ladder = 65536;
	cfg->depth = 50;
}

static size_t align64(size_t x)
{
	return (x + 63) & ~(size_t)63;
}

static void pools_init(struct rs_book *b)
{
	memset(b->oh, 0, (b->ohmask + 1) * sizeof(*b->oh));
	for (uint32_t i = 0; i < b->cfg.max_orders; i++)
		b->orders[i].next = i + 1 < b->cfg.max_orders ? i + 1 : RS_BOOK_NIL;
	b->ofree = 0;
	for (uint32_t i = 0; i < b->cfg.max_levels; i++)
		b->levels[i].tail = i + 1 < b->cfg.max_levels ? i + 1 : RS_BOOK_NIL;
	b->lfree = 0;
	b->arena_used = 0;
	for (unsigned c = 0; c < LAD_NCLS; c++)
		b->cls_free[c] = -1;
	memset(b->ih, 0, ((size_t)b->ihmask + 1) * sizeof(*b->ih));
	memset(b->dmap, 0, DMAP_N * sizeof(*b->dmap));
	b->ninst = 0;
	b->last_idx = RS_BOOK_NIL;
	b->npub = 0;
	b->del_side = 0xff;
	memset(&b->st, 0, sizeof(b->st));
}

int rs_book_create(struct rs_book **out, const struct rs_book_cfg *cfg_in)
{
	struct rs_book_cfg cfg, def;
	rs_book_cfg_default(&def);
	cfg = cfg_in ? *cfg_in : def;
	if (!cfg.max_instruments)
		cfg.max_instruments = def.max_instruments;
	if (!cfg.max_orders)
		cfg.max_orders = def.max_orders;
	if (!cfg.max_levels)
		cfg.max_levels = def.max_levels;
	if (!cfg.ladder_arena)
		cfg.ladder_arena = cfg.max_levels * 4u > cfg.max_levels ? cfg.max_levels * 4u : cfg.max_levels;
	if (!cfg.max_ladder)
		cfg.max_ladder = def.max_ladder;
	if (!cfg.depth)
		cfg.depth = def.depth;
	if (cfg.max_orders >= RS_BOOK_NIL / 2 || cfg.max_levels >= RS_BOOK_NIL ||
	    cfg.max_instruments > (1u << 24))
		return RS_ERR_SET(-EINVAL, "book capacities too large (orders %u, levels %u, instruments %u)",
				  cfg.max_orders, cfg.max_levels, cfg.max_instruments);

	struct rs_book *b = calloc(1, sizeof(*b));
	if (!b)
		return RS_ERR_SET(-ENOMEM, "book: out of memory");
	b->cfg = cfg;
	uint64_t ohn = 16;
	while (ohn < (uint64_t)cfg.max_orders * 2)
		ohn <<= 1;
	b->ohmask = ohn - 1;
	b->ohshift = 64 - (unsigned)__builtin_ctzll(ohn);
	uint32_t ihn = 16;
	while (ihn < cfg.max_instruments * 2u)
		ihn <<= 1;
	b->ihmask = ihn - 1;
	/* largest ladder class that the per-side cap and the arena allow */
	b->max_cls = 0;
	while (b->max_cls + 1 < LAD_NCLS && ((uint64_t)8 << b->max_cls) < cfg.max_ladder &&
	       ((uint64_t)8 << (b->max_cls + 1)) <= cfg.ladder_arena)
		b->max_cls++;
	b->arena_n = cfg.ladder_arena;

	size_t off_orders = 0;
	size_t off_oh = align64(off_orders + (size_t)cfg.max_orders * sizeof(struct rs_book_order));
	size_t off_levels = align64(off_oh + ohn * sizeof(struct rs_book_oslot));
	size_t off_arena = align64(off_levels + (size_t)cfg.max_levels * sizeof(struct rs_book_level));
	size_t off_insts = align64(off_arena + (size_t)cfg.ladder_arena * sizeof(struct rs_book_lent));
	size_t off_ih = align64(off_insts + (size_t)cfg.max_instruments * sizeof(struct rs_book_inst));
	size_t off_dmap = align64(off_ih + (size_t)ihn * sizeof(struct rs_book_islot));
	size_t off_pubq = align64(off_dmap + (size_t)DMAP_N * sizeof(uint32_t));
	size_t off_depth = align64(off_pubq + (size_t)cfg.max_instruments * sizeof(uint32_t));
	size_t total = align64(off_depth + sizeof(struct rs_depth) + 2u * cfg.depth * sizeof(struct rs_level));
	int rc = rs_hugemem_alloc(&b->mem, total, cfg.reserve_huge);
	if (rc) {
		free(b);
		return RS_ERR_APPEND("book pools (%zu MiB)", total >> 20);
	}
	char *base = b->mem.addr;
	b->orders = (void *)(base + off_orders);
	b->oh = (void *)(base + off_oh);
	b->levels = (void *)(base + off_levels);
	b->arena = (void *)(base + off_arena);
	b->insts = (void *)(base + off_insts);
	b->ih = (void *)(base + off_ih);
	b->dmap = (void *)(base + off_dmap);
	b->pubq = (void *)(base + off_pubq);
	b->pub_depth = (void *)(base + off_depth);
	pools_init(b);
	*out = b;
	return 0;
}

void rs_book_reset(struct rs_book *b)
{
	pools_init(b);
}

void rs_book_destroy(struct rs_book *b)
{
	if (!b)
		return;
	rs_hugemem_free(&b->mem);
	free(b);
}
