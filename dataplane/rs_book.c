/* rs_book.c - MBO order book engine. See rs_book.h and rs_book_types.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_book.h"
#include "dataplane/rs_book_impl.h"
#include "shm/rs_err.h"
#include "shm/rs_hugemem.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

/* Keys compared at once from the touch before switching to binary search.
 * RS_BOOK_SEARCH_BINARY=1 selects pure binary search (for measurement). */
#ifndef RS_BOOK_SEARCH_BINARY
#define RS_BOOK_SEARCH_BINARY 0
#endif
/* struct rs_book_inst.dirty: the book changed since the last boundary
 * (publish). (The boundary recomputes the BBO whether or not a best level
 * changed: see boundary().) */
#define DIRTY_BOOK 1u
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

/* Overflow-table home slot of (order_id, instrument index). Multiplicative
 * (Fibonacci) hashing: the instrument is folded in with one multiply, the
 * high half folded onto the low half (sparse 64-bit CME/Databento ids that
 * differ only in high bits), then one multiply and the TOP log2(slots)
 * bits are the slot. */
static inline uint64_t ohash(const struct rs_book *b, uint64_t id, uint32_t idx)
{
	uint64_t x = id ^ ((uint64_t)idx * 0x9E3779B97F4A7C15ULL);
	x ^= x >> 32;
	return (x * 0xD6E8FEB86659FD93ULL) >> b->ohshift;
}

/* ------------------------------------------------------------------ order-id index
 *
 * Direct-mapped ring + overflow table (diagram in rs_book_types.h). ITCH
 * order reference numbers are dense and increasing, and the orders live at
 * once span a window of them: slot = the id's low bits puts consecutive
 * adds in consecutive slots (4 per line, written in sequence) and recent
 * cancels on recently written lines, with no probing and no backward
 * shift in the common case. An id that meets a live older one in its slot
 * takes the slot and moves the older one to the overflow table (counted
 * in the slot's nev, so lookups of ids whose slot has nev == 0 never probe
 * it). Sparse or adversarial ids (CME, Databento, ids reused by several
 * instruments) end up in the overflow table: correct, one more probe. */
#define META_EMPTY 0xffffff00u /* instrument bits of an empty ring slot */
#define NEV_MASK 0xffu

static inline uint64_t rslot(const struct rs_book *b, uint64_t id)
{
	return (id ^ (id >> 32)) & b->rmask;
}

static inline uint32_t okey(const struct rs_book *b, const struct rs_book_inst *in)
{
	(void)b;
	return in->idx << 8;
}

static inline bool slot_is(const struct rs_book_oslot *s, uint64_t id, uint32_t key)
{
	return (s->order_id == id) & ((s->meta & ~NEV_MASK) == key);
}

/* Overflow table: index of the slot holding (id, key), or of the empty
 * slot where it would go. */
static inline uint64_t of_find(const struct rs_book *b, uint64_t id, uint32_t key, bool *found)
{
	uint64_t i = ohash(b, id, key >> 8);
	for (;;) {
		const struct rs_book_oslot *s = &b->oh[i];
		if (!s->oidx1) {
			*found = false;
			return i;
		}
		if (slot_is(s, id, key)) {
			*found = true;
			return i;
		}
		i = (i + 1) & b->ohmask;
	}
}

static __attribute__((noinline)) uint32_t of_lookup(const struct rs_book *b, uint64_t id, uint32_t key,
						    struct rs_book_oslot **where)
{
	bool found;
	uint64_t i = of_find(b, id, key, &found);
	if (!found)
		return RS_BOOK_NIL;
	*where = &b->oh[i];
	return b->oh[i].oidx1 - 1;
}

/* Order index of (id, key = okey()) from its ring slot r = rslot(), or
 * RS_BOOK_NIL. *where = the slot holding it, or when absent the ring slot
 * (for oid_insert). */
static inline uint32_t oid_find(const struct rs_book *b, uint64_t r, uint64_t id, uint32_t key,
				struct rs_book_oslot **where)
{
	struct rs_book_oslot *s = &b->oring[r];
	*where = s;
	if (slot_is(s, id, key))
		return s->oidx1 - 1;
	if (!(s->meta & NEV_MASK))
		return RS_BOOK_NIL;
	return of_lookup(b, id, key, where);
}

/* The live entry in ring slot s moves to the overflow table; returns the
 * slot's new nev. */
static __attribute__((noinline)) uint32_t of_evict(struct rs_book *b, const struct rs_book_oslot *s)
{
	bool found;
	uint32_t key = s->meta & ~NEV_MASK, nev = s->meta & NEV_MASK;
	uint64_t i = of_find(b, s->order_id, key, &found);
	b->oh[i].order_id = s->order_id;
	b->oh[i].oidx1 = s->oidx1;
	b->oh[i].meta = key;
	b->st.id_evicted++;
	b->st.id_overflow++;
	return nev < NEV_MASK ? nev + 1 : NEV_MASK;
}

/* Insert (id, key) -> oi at the ring slot s that oid_find() returned for
 * an absent id. */
static inline void oid_insert(struct rs_book *b, struct rs_book_oslot *s, uint64_t id, uint32_t key,
			      uint32_t oi)
{
	uint32_t nev = s->oidx1 ? of_evict(b, s) : s->meta & NEV_MASK;
	s->order_id = id;
	s->oidx1 = oi + 1;
	s->meta = key | nev;
}

/* Backward-shift deletion keeps probe sequences gap-free without tombstones. */
static __attribute__((noinline)) void of_erase(struct rs_book *b, uint64_t i)
{
	struct rs_book_oslot *r = &b->oring[rslot(b, b->oh[i].order_id)];
	if ((r->meta & NEV_MASK) != NEV_MASK) /* 255 is sticky */
		r->meta--;
	b->st.id_overflow--;
	uint64_t m = b->ohmask, j = i;
	for (;;) {
		j = (j + 1) & m;
		struct rs_book_oslot *s = &b->oh[j];
		if (!s->oidx1)
			break;
		uint64_t k = ohash(b, s->order_id, s->meta >> 8);
		/* move s into the hole at i unless its home k lies cyclically in (i, j] */
		bool stay = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stay) {
			b->oh[i] = *s;
			i = j;
		}
	}
	b->oh[i].oidx1 = 0;
}

/* Remove the entry in slot s (as found by oid_find). */
static inline void oid_erase(struct rs_book *b, struct rs_book_oslot *s)
{
	uintptr_t d = (uintptr_t)s - (uintptr_t)b->oring;
	if (__builtin_expect(d <= b->rmask * sizeof(*s), 1)) {
		s->oidx1 = 0;
		s->meta |= META_EMPTY;
		return;
	}
	of_erase(b, (uint64_t)(s - b->oh));
}

/* Branch-free c ? x : y. The empty asm hides the mask from clang, which
 * otherwise turns selects of loaded values back into branches; these
 * selects decide on data that is random on a feed (add or cancel, an order
 * first or last in its queue), where a branch mispredicts often. */
static inline uint32_t sel_u32(bool c, uint32_t x, uint32_t y)
{
	uint32_t m = -(uint32_t)c;
	__asm__("" : "+r"(m));
	return y ^ ((x ^ y) & m);
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
	return s->key ? (uint32_t)LAD_W << s->cls : 0;
}


/* int64 units of a class-cls slab: cap keys + cap uint32 level indices */
static inline uint64_t lad_units(unsigned cls)
{
	return ((uint64_t)LAD_W << cls) * 3 / 2;
}

static inline void inst_init(struct rs_book_inst *in, uint32_t iid, uint32_t idx, uint32_t empty)
{
	memset(in, 0, sizeof(*in));
	in->instrument_id = iid;
	in->idx = idx;
	in->pub_bid_px = RS_UNDEF_PRICE;
	in->pub_ask_px = RS_UNDEF_PRICE;
	in->last_price = RS_UNDEF_PRICE;
	in->top[0] = in->top[1] = empty;
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
	inst_init(&b->insts[idx], iid, idx, b->cfg.max_levels);
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
		b->cls_free[cls] = b->arena[off];
		return off;
	}
	uint64_t need = lad_units(cls);
	if (b->arena_used + need > b->arena_n)
		return -1;
	off = (int64_t)b->arena_used;
	b->arena_used += need;
	return off;
}

static void lad_free(struct rs_book *b, int64_t *key, unsigned cls)
{
	int64_t off = key - b->arena;
	*key = b->cls_free[cls];
	b->cls_free[cls] = off;
}

/* Make room for one more level on side s; false when out of capacity. */
static bool lad_reserve(struct rs_book *b, struct rs_book_side *s)
{
	if (s->key && s->n < lad_cap(s))
		return true;
	unsigned cls = s->key ? s->cls + 1u : 0u;
	if (cls > b->max_cls)
		return false;
	int64_t off = lad_alloc(b, cls);
	if (off < 0)
		return false;
	int64_t *nk = b->arena + off;
	uint32_t *nl = (uint32_t *)(nk + ((size_t)LAD_W << cls));
	for (uint32_t i = s->n; i < (uint32_t)LAD_W << cls; i++)
		nk[i] = INT64_MAX; /* the sentinel above the last level */
	if (s->key) {
		memcpy(nk, s->key, (size_t)s->n * sizeof(*nk));
		memcpy(nl, lad_lvl(s), (size_t)s->n * sizeof(*nl));
		lad_free(b, s->key, s->cls);
		b->st.ladder_moves++;
	}
	s->key = nk;
	s->cls = (uint8_t)cls;
	return true;
}

/* Number of keys < key among k[0..LAD_W). Branch-free (where an update
 * lands is random: the early exit of a scan mispredicted about once per
 * search); clang vectorises it (AVX2: 4 compares of 4 keys). */
static inline __attribute__((unused)) uint32_t lad_count_lt(const int64_t *k, int64_t key)
{
	uint32_t c = 0;
	for (unsigned j = 0; j < LAD_W; j++)
		c += k[j] < key;
	return c;
}

/* Binary search of key in a[lo, hi) (ascending): index holding it or the
 * insertion index; n = levels (for *found). */
static __attribute__((noinline)) uint32_t lad_bisect(const int64_t *a, uint32_t lo, uint32_t hi,
						     uint32_t n, int64_t key, bool *found)
{
	while (lo < hi) {
		uint32_t mid = (lo + hi) >> 1;
		if (a[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && a[lo] == key;
	return lo;
}

/* Position of key in the ladder (ascending, best last): returns the index
 * holding it (*found) or the insertion index. Updates land near the touch
 * (median 1 level away, see dataplane/README.md), so the LAD_W keys ending
 * at the touch are counted at once (the INT64_MAX sentinels pad ladders
 * shorter than that); only a key below that window is bisected. */
static inline __attribute__((always_inline)) uint32_t lad_find(const struct rs_book_side *s,
								int64_t key, bool *found)
{
	const int64_t *a = s->key;
	uint32_t n = s->n;
#if !RS_BOOK_SEARCH_BINARY
	uint32_t base = n > LAD_W ? n - LAD_W : 0;
	uint32_t c = lad_count_lt(a + base, key);
	if (__builtin_expect(c || !base, 1)) {
		uint32_t pos = base + c;
		*found = pos < n && a[pos] == key;
		return pos;
	}
	return lad_bisect(a, 0, base, n, key, found);
#else
	return lad_bisect(a, 0, n, n, key, found);
#endif
}

/* Level for (side, price), created if absent. RS_BOOK_NIL: out of capacity. */
static inline __attribute__((always_inline)) uint32_t level_get(struct rs_book *b, struct rs_book_inst *in, int side, int64_t price)
{
	struct rs_book_side *s = &in->side[side];
	int64_t key = key_of(side, price);
	bool found = false;
	uint32_t pos = s->n ? lad_find(s, key, &found) : 0;
	if (found)
		return lad_lvl(s)[pos];
	if (b->lfree == RS_BOOK_NIL || s->n >= b->cfg.max_ladder || !lad_reserve(b, s))
		return RS_BOOK_NIL;
	uint32_t li = b->lfree;
	struct rs_book_level *l = &b->levels[li];
	b->lfree = l->tail;
	l->price = price;
	l->size = 0;
	l->count = 0;
	l->head = l->tail = RS_BOOK_NIL;
	uint32_t *lv = lad_lvl(s);
	if (pos < s->n) {
		memmove(&s->key[pos + 1], &s->key[pos], (size_t)(s->n - pos) * sizeof(s->key[0]));
		memmove(&lv[pos + 1], &lv[pos], (size_t)(s->n - pos) * sizeof(lv[0]));
	}
	s->key[pos] = key;
	lv[pos] = li;
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
	uint32_t *lv = lad_lvl(s);
	/* the emptied level is almost always the touch */
	if (s->n && lv[s->n - 1] == li) {
		pos = s->n - 1;
		in->top[side] = pos ? lv[pos - 1] : b->cfg.max_levels;
	} else {
		pos = lad_find(s, key_of(side, l->price), &found);
		if (!found) /* cannot happen while invariants hold */
			return;
		memmove(&s->key[pos], &s->key[pos + 1], (size_t)(s->n - pos - 1) * sizeof(s->key[0]));
		memmove(&lv[pos], &lv[pos + 1], (size_t)(s->n - pos - 1) * sizeof(lv[0]));
	}
	s->n--;
	s->key[s->n] = INT64_MAX;
	l->tail = b->lfree;
	b->lfree = li;
	b->st.levels_live--;
}

/* ------------------------------------------------------------------ orders */

static inline __attribute__((always_inline)) void fifo_push(struct rs_book *b, struct rs_book_level *l, uint32_t li, uint32_t oi)
{
	struct rs_book_order *o = &b->orders[oi];
	uint32_t t = l->tail;
	o->level = li;
	o->next = RS_BOOK_NIL;
	o->prev = t;
	/* selects, not branches (whether a level is empty is random): the
	 * link of an absent neighbour goes to the scratch record */
	bool has = t != RS_BOOK_NIL;
	b->orders[sel_u32(has, t, b->cfg.max_orders)].next = oi;
	l->head = sel_u32(has, l->head, oi);
	l->tail = oi;
	l->count++;
	l->size += o->size;
}

/* Unlink from its level (dropping the level when it empties). */
static inline __attribute__((always_inline)) void fifo_unlink(struct rs_book *b, struct rs_book_inst *in, uint32_t oi)
{
	struct rs_book_order *o = &b->orders[oi];
	struct rs_book_level *l = &b->levels[o->level];
	uint32_t p = o->prev, n = o->next, scratch = b->cfg.max_orders;
	/* selects, not branches (the position in the queue is random) */
	bool hp = p != RS_BOOK_NIL, hn = n != RS_BOOK_NIL;
	b->orders[sel_u32(hp, p, scratch)].next = n;
	b->orders[sel_u32(hn, n, scratch)].prev = p;
	l->head = sel_u32(hp, l->head, n);
	l->tail = sel_u32(hn, l->tail, p);
	l->size -= o->size;
	if (--l->count == 0)
		level_drop(b, in, o->side, o->level);
}

static inline __attribute__((always_inline)) void order_free(struct rs_book *b, struct rs_book_inst *in, uint32_t oi,
								       struct rs_book_oslot *slot)
{
	oid_erase(b, slot);
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

static __attribute__((noinline)) void do_add(struct rs_book *b, struct rs_book_inst *in,
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
	struct rs_book_oslot *slot;
	uint32_t key = okey(b, in);
	if (oid_find(b, h, m->order_id, key, &slot) != RS_BOOK_NIL)
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
	o->inst = in->idx;
	o->side = (uint8_t)side;
	o->flags = 0;
	o->ts_priority = m->hd.ts_event;
	o->ts_recv = m->ts_recv;
	in->dirty = DIRTY_BOOK;
	fifo_push(b, &b->levels[li], li, oi);
	oid_insert(b, slot, m->order_id, key, oi);
	in->norders++;
	if (++b->st.orders_live > b->st.orders_peak)
		b->st.orders_peak = b->st.orders_live;
}

static __attribute__((noinline)) void do_cancel(struct rs_book *b, struct rs_book_inst *in,
								    struct rs_event *ev, uint64_t h)
{
	struct rs_mbo *m = &ev->mbo;
	uint32_t iid = m->hd.instrument_id;
	struct rs_book_oslot *slot;
	uint32_t oi = oid_find(b, h, m->order_id, okey(b, in), &slot);
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
	in->dirty = DIRTY_BOOK;
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
	struct rs_book_oslot *slot;
	uint32_t oi = oid_find(b, rslot(b, m->order_id), m->order_id, okey(b, in), &slot);
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
		in->dirty = DIRTY_BOOK;
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
	in->dirty = DIRTY_BOOK;
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
			uint32_t li = lad_lvl(s)[p];
			struct rs_book_level *l = &b->levels[li];
			for (uint32_t oi = l->head; oi != RS_BOOK_NIL;) {
				struct rs_book_order *o = &b->orders[oi];
				uint32_t nx = o->next;
				struct rs_book_oslot *slot;
				if (oid_find(b, rslot(b, o->order_id), o->order_id, okey(b, in), &slot) == oi)
					oid_erase(b, slot);
				o->next = b->ofree;
				b->ofree = oi;
				b->st.orders_live--;
				oi = nx;
			}
			l->tail = b->lfree;
			b->lfree = li;
			b->st.levels_live--;
		}
		for (uint32_t p = 0; p < s->n; p++)
			s->key[p] = INT64_MAX;
		s->n = 0;
		in->top[side] = b->cfg.max_levels;
	}
	in->norders = 0;
	in->dirty = DIRTY_BOOK;
}

/* Event boundary: BBO change flag, crossed/locked accounting, publication. */
static inline void boundary(struct rs_book *b, struct rs_book_inst *in, struct rs_event *ev)
{
	b->st.boundaries++;
	/* the event's stamps, for publication (state is read at boundaries) */
	in->ts_event = ev->mbo.hd.ts_event;
	in->ts_recv = ev->mbo.ts_recv;
	in->sequence = ev->mbo.sequence;
	/* Branch-free: whether the record touched a best level is random on a
	 * feed (~40 % of the records), and a branch on it mispredicted on
	 * about a third of the boundaries. An empty side's top is the scratch
	 * level (price RS_UNDEF_PRICE, size and count 0) behind levels[]. */
	const struct rs_book_level *lb = &b->levels[in->top[0]], *la = &b->levels[in->top[1]];
	int64_t bp = lb->price, ap = la->price;
	uint64_t bz = lb->size, az = la->size;
	uint32_t bc = lb->count, ac = la->count;
	uint64_t d = ((uint64_t)bp ^ (uint64_t)in->pub_bid_px) | ((uint64_t)ap ^ (uint64_t)in->pub_ask_px) |
		     (bz ^ in->pub_bid_sz) | (az ^ in->pub_ask_sz) | (bc ^ in->pub_bid_ct) |
		     (ac ^ in->pub_ask_ct);
	ev->rs_flags |= (uint32_t)(d != 0) * RS_EVF_BBO_CHANGED;
	in->pub_bid_px = bp, in->pub_bid_sz = bz, in->pub_bid_ct = bc;
	in->pub_ask_px = ap, in->pub_ask_sz = az, in->pub_ask_ct = ac;
	/* bid >= ask is rare (an empty side reads as RS_UNDEF_PRICE = max) */
	in->crossed = __builtin_expect(bp >= ap, 0) && bp != RS_UNDEF_PRICE && ap != RS_UNDEF_PRICE
			      ? (bp > ap ? 2 : 1)
			      : 0;
	in->bseen = 1;
	if (in->dirty) {
		in->dirty = 0;
		if (!in->queued) {
			in->queued = 1;
			b->pubq[b->npub++] = in->idx;
		}
	}
	if (__builtin_expect(in->crossed, 0))
		in->q[in->crossed == 2 ? RS_BOOK_Q_CROSSED : RS_BOOK_Q_LOCKED]++;
#ifdef RS_DEBUG_INVARIANTS
	char msg[256];
	if (rs_book_check(b, in->idx, msg, sizeof(msg))) {
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
			struct rs_book_oslot *slot;
			uint32_t oi = oid_find(b, h, m->order_id, okey(b, in), &slot);
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
			in->dirty = DIRTY_BOOK; /* the BBO row carries last trade and volume */
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
static inline __attribute__((always_inline)) struct rs_book_inst *
apply_one(struct rs_book *b, struct rs_event *ev, uint64_t h, struct rs_book_inst *hint)
{
	struct rs_mbo *m = &ev->mbo;
	struct rs_book_inst *in = hint ? hint : inst_get(b, m->hd.instrument_id);
	if (!in) {
		b->st.inst_capacity++;
		b->st.rejected++;
		ev->rs_flags |= RS_EVF_REJECTED;
		return NULL;
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
	if (m->flags & RS_F_LAST)
		boundary(b, in, ev);
	return in;
}

void rs_book_apply(struct rs_book *b, struct rs_event *ev)
{
	b->st.events++;
	apply_one(b, ev, rslot(b, ev->mbo.order_id), NULL);
}

/* Burst pipeline. The burst is cut into batches of PF_BATCH records; per
 * batch three prefetch passes run ahead of the applies:
 *   A (whole batch): the order id's ring slot (kept for B and the apply):
 *                    prefetch it
 *   B (whole batch): check the ring slot (now in flight or cached) ->
 *                    prefetch the order record (or the free-list head for
 *                    an add); look the instrument up -> prefetch its hot
 *                    line
 *   C (whole batch): from the order (its line requested by B): its
 *                    level and FIFO neighbours (written by an unlink)
 * Whole-batch passes instead of the earlier sliding 3-stage ring (12/7/3
 * records ahead): the loops have no fill/drain conditions (with 32-record
 * bursts the ring spent 12 of every 32 records in its drain loop), the
 * slot prefetches of pass A are all in flight together, and pass B runs a
 * whole batch before the first apply; C as its own tight loop lets the
 * out-of-order core overlap the order loads of several records (and keeps
 * the apply loop's registers free). No pass branches on the record type
 * (the A/C mix of a feed is random: such branches mispredict); indices of
 * adds, which have no order yet, are clamped instead. Callgrind, 2 M
 * messages: the ring cost ~130 instructions per record (hashing, probing
 * and loop included), these passes ~80.
 * Probe results are hints only (the records in between may free or move
 * them): every index is clamped and only ever prefetched. The BBO levels
 * need no prefetch: the boundary reads the best levels, which the adds and
 * cancels near the touch have just loaded (and are few: ~1 per side per
 * instrument). */
#define PF_BATCH 32
struct pf_hint {
	uint64_t h;              /* rslot (ring slot) of the record */
	struct rs_book_inst *in; /* instrument (hint, see apply_one) or NULL */
	const struct rs_book_order *o; /* the order (hint), or the free-list head for an add */
};

static inline __attribute__((always_inline)) void stage_a(const struct rs_book *b,
							   const struct rs_event *e, struct pf_hint *ph)
{
	uint64_t h = rslot(b, e->mbo.order_id);
	ph->h = h;
	__builtin_prefetch(&b->oring[h]);
}

static inline __attribute__((always_inline)) void stage_b(const struct rs_book *b,
							   const struct rs_event *e, struct pf_hint *ph)
{
	/* Ring slot only, branch-free: a branch on "found or not" is a
	 * branch on add vs cancel, which is random on a feed (a mispredict on
	 * half the records). An empty slot has oidx1 0: 0 - 1 = RS_BOOK_NIL;
	 * an order in the overflow table just goes without a prefetch. */
	const struct rs_book_oslot *s = &b->oring[ph->h];
	int idx = inst_lookup(b, e->mbo.hd.instrument_id);
	bool hit = slot_is(s, e->mbo.order_id, (uint32_t)idx << 8);
	/* oidx1 - 1, or all ones (RS_BOOK_NIL) on a miss: arithmetic, because
	 * clang turned the ?: into a branch (1 mispredict per 2 records) */
	uint32_t oi = (s->oidx1 - 1) | ((uint32_t)hit - 1);
	/* an add finds no order: prefetch the free-list head it will take */
	uint32_t po = sel_u32(hit, oi, b->ofree);
	const struct rs_book_order *o = &b->orders[po < b->cfg.max_orders ? po : 0];
	ph->o = o;
	__builtin_prefetch(o, 1);
	/* idx -1 (an instrument seen for the first time) prefetches the line
	 * before insts[]: inside the pools, and a prefetch never faults */
	const struct rs_book_inst *in = &b->insts[idx];
	ph->in = idx >= 0 ? (struct rs_book_inst *)in : NULL;
	__builtin_prefetch(in, 1);
}

#ifndef RS_BOOK_PF_C
#define RS_BOOK_PF_C 1
#endif
static inline __attribute__((always_inline)) void stage_c(const struct rs_book *b,
							   const struct pf_hint *ph)
{
	if (!RS_BOOK_PF_C)
		return;
	/* for an add: the stale links of the free-list head, harmless */
	const struct rs_book_order *o = ph->o;
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
	for (i = 0; i < n; i++)
		stage_c(b, &ph[i]);
	for (i = 0; i < n; i++)
		apply_one(b, &ev[i], ph[i].h, ph[i].in);
}

/* apply_batch with a callback after every record (the same pipeline: the
 * prefetch passes run ahead of the applies and are hints only, so a
 * callback that reads the book changes nothing for them). */
static inline void apply_batch_cb(struct rs_book *b, struct rs_event *ev, unsigned n,
				  rs_book_event_fn fn, void *ctx)
{
	struct pf_hint ph[PF_BATCH];
	unsigned i;
	for (i = 0; i < n; i++)
		stage_a(b, &ev[i], &ph[i]);
	for (i = 0; i < n; i++)
		stage_b(b, &ev[i], &ph[i]);
	for (i = 0; i < n; i++)
		stage_c(b, &ph[i]);
	for (i = 0; i < n; i++) {
		const struct rs_book_inst *in = apply_one(b, &ev[i], ph[i].h, ph[i].in);
		fn(ctx, &ev[i], in ? (int)(in - b->insts) : -1);
	}
}

unsigned rs_book_apply_burst_cb(struct rs_book *b, struct rs_event *ev, unsigned n, rs_book_event_fn fn,
				void *ctx)
{
	unsigned k = 0;
	if (!fn)
		return rs_book_apply_burst(b, ev, n);
	b->st.events += n;
	for (; k + PF_BATCH <= n; k += PF_BATCH)
		apply_batch_cb(b, ev + k, PF_BATCH, fn, ctx);
	if (k < n)
		apply_batch_cb(b, ev + k, n - k, fn, ctx);
	return n;
}

unsigned rs_book_apply_burst(struct rs_book *b, struct rs_event *ev, unsigned n)
{
	unsigned k = 0;
	b->st.events += n;
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
		const struct rs_book_level *l = &b->levels[lad_lvl(s)[s->n - 1 - k]];
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
	int idx = inst_lookup(b, instrument_id);
	if (idx < 0)
		return NULL;
	struct rs_book_oslot *slot;
	uint32_t oi = oid_find(b, rslot(b, order_id), order_id, (uint32_t)idx << 8, &slot);
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
	const struct rs_book_level *l = &b->levels[lad_lvl(s)[s->n - 1 - pos]];
	uint32_t k = 0;
	for (uint32_t oi = l->head; oi != RS_BOOK_NIL && k < max; oi = b->orders[oi].next)
		ids[k++] = b->orders[oi].order_id;
	return l->count;
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
		if (in->top[side] != (s->n ? lad_lvl(s)[s->n - 1] : b->cfg.max_levels))
			FAIL("iid %u side %d: cached best level is not the ladder's best", in->instrument_id,
			     side);
		if (s->n > lad_cap(s))
			FAIL("iid %u side %d: %u levels > capacity %u", in->instrument_id, side, s->n,
			     lad_cap(s));
		for (uint32_t p = s->n; p < lad_cap(s); p++)
			if (s->key[p] != INT64_MAX)
				FAIL("iid %u side %d: no sentinel above the last level at %u", in->instrument_id,
				     side, p);
		for (uint32_t p = 0; p < s->n; p++) {
			uint32_t li = lad_lvl(s)[p];
			if (li >= b->cfg.max_levels)
				FAIL("iid %u side %d pos %u: bad level index", in->instrument_id, side, p);
			const struct rs_book_level *l = &b->levels[li];
			if (s->key[p] != key_of(side, l->price))
				FAIL("iid %u side %d pos %u: key/price mismatch", in->instrument_id, side, p);
			if (p && !(s->key[p - 1] < s->key[p]))
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
				struct rs_book_oslot *slot;
				if (oid_find(b, rslot(b, o->order_id), o->order_id, idx << 8, &slot) != oi)
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
	uint64_t over = 0;
	for (uint64_t i = 0; i <= b->rmask; i++)
		slots += b->oring[i].oidx1 != 0;
	for (uint64_t i = 0; i <= b->ohmask; i++) {
		if (!b->oh[i].oidx1)
			continue;
		over++;
		if (!(b->oring[rslot(b, b->oh[i].order_id)].meta & NEV_MASK)) {
			if (msg && len)
				snprintf(msg, len, "overflow id %llu: its ring slot has nev 0",
					 (unsigned long long)b->oh[i].order_id);
			return -1;
		}
	}
	slots += over;
	if (over != b->st.id_overflow) {
		if (msg && len)
			snprintf(msg, len, "overflow table %llu entries, counter %llu",
				 (unsigned long long)over, (unsigned long long)b->st.id_overflow);
		return -1;
	}
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
	for (uint64_t i = 0; i <= b->rmask; i++)
		b->oring[i] = (struct rs_book_oslot){0, 0, META_EMPTY};
	for (uint32_t i = 0; i < b->cfg.max_orders; i++)
		b->orders[i].next = i + 1 < b->cfg.max_orders ? i + 1 : RS_BOOK_NIL;
	b->ofree = 0;
	for (uint32_t i = 0; i < b->cfg.max_levels; i++)
		b->levels[i].tail = i + 1 < b->cfg.max_levels ? i + 1 : RS_BOOK_NIL;
	b->levels[b->cfg.max_levels] = (struct rs_book_level){RS_UNDEF_PRICE, 0, 0, RS_BOOK_NIL,
							     RS_BOOK_NIL, 0};
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
	    cfg.max_instruments >= (1u << 24) || cfg.id_ring > (1u << 31))
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
	if (!cfg.id_ring) /* see rs_book_types.h; measured in dataplane/README.md */
		cfg.id_ring = cfg.max_orders;
	uint64_t rn = 16;
	while (rn < cfg.id_ring)
		rn <<= 1;
	b->cfg.id_ring = (uint32_t)rn;
	b->rmask = rn - 1;
	uint32_t ihn = 16;
	while (ihn < cfg.max_instruments * 2u)
		ihn <<= 1;
	b->ihmask = ihn - 1;
	/* largest ladder class that the per-side cap and the arena allow */
	b->max_cls = 0;
	while (b->max_cls + 1 < LAD_NCLS && ((uint64_t)LAD_W << b->max_cls) < cfg.max_ladder &&
	       ((uint64_t)LAD_W << (b->max_cls + 1)) <= cfg.ladder_arena)
		b->max_cls++;
	b->arena_n = lad_units(0) * ((cfg.ladder_arena + LAD_W - 1) / LAD_W);

	size_t off_orders = 0;
	/* + 1: the scratch record that FIFO links of absent neighbours go to */
	size_t off_oh = align64(off_orders + ((size_t)cfg.max_orders + 1) * sizeof(struct rs_book_order));
	size_t off_ring = align64(off_oh + ohn * sizeof(struct rs_book_oslot));
	size_t off_levels = align64(off_ring + rn * sizeof(struct rs_book_oslot));
	/* + 1: the scratch level (empty side) that boundary() reads */
	size_t off_arena = align64(off_levels + ((size_t)cfg.max_levels + 1) * sizeof(struct rs_book_level));
	size_t off_insts = align64(off_arena + (size_t)b->arena_n * sizeof(int64_t));
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
	b->oring = (void *)(base + off_ring);
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
