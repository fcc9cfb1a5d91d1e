/*
 * rs_book_pub.c - publication of the book (HOT, at the end of a burst):
 * BBO and MBP-N depth rows into the seqlocked instrument tables, the
 * amend hook, and the BBO/depth snapshots the queries use.
 * See rs_book.h.
 */
#include <stddef.h>
#include <string.h>

#include "dataplane/rs_book.h"
#include "dataplane/rs_book_impl.h"
#include "shm/rs_err.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

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

static inline uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The BBO row of an instrument from the state its last event boundary
 * recorded (boundary() keeps the best levels in the instrument's hot
 * lines): no ladder walk, no level loads - the same values rs_book_bbo()
 * reads from the ladder at a boundary. */
static void bbo_from_top(const struct rs_book_inst *in, struct rs_bbo *out)
{
	memset(out, 0, sizeof(*out));
	out->instrument_id = in->instrument_id;
	out->bid = (struct rs_level){in->pub_bid_px, sat32(in->pub_bid_sz), in->pub_bid_ct};
	out->ask = (struct rs_level){in->pub_ask_px, sat32(in->pub_ask_sz), in->pub_ask_ct};
	out->last_price = in->last_price;
	out->last_size = in->last_size;
	out->volume = in->volume;
	out->ts_event = in->ts_event;
	out->ts_recv = in->ts_recv;
	out->sequence = in->sequence;
}

static inline void st64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED); /* a plain MOV; see rs_seqtab.h */
}

/* Levels of one side straight into a depth row being written (seqlock
 * open): the first min(levels, n) from the ladder, two 64-bit stores per
 * level (struct rs_level {price; size; count}), then empty entries up to
 * `was` (how many the row held before: the rest are empty already). */
static void depth_side_store(const struct rs_book *b, const struct rs_book_side *s, uint64_t *dst, unsigned n,
			     unsigned was)
{
	_Static_assert(sizeof(struct rs_level) == 16 && offsetof(struct rs_level, size) == 8 &&
			       offsetof(struct rs_level, count) == 12,
		       "rs_level is {price, size, count}");
	unsigned m = s->n < n ? s->n : n, k = 0;
	if (m) {
		const uint32_t *lv = lad_lvl(s) + s->n - 1;
		for (; k < m; k++) {
			const struct rs_book_level *l = &b->levels[lv[-(int)k]];
			st64(dst + 2 * k, (uint64_t)l->price);
			st64(dst + 2 * k + 1, (uint64_t)l->count << 32 | sat32(l->size));
		}
	}
	for (; k < was && k < n; k++) {
		st64(dst + 2 * k, (uint64_t)RS_UNDEF_PRICE);
		st64(dst + 2 * k + 1, 0);
	}
}

/* The MBP-N row of instrument in, written in place into its table slot.
 * The row's previous level counts (its own header: only this thread
 * writes the slot, so a plain read is exact) bound the empty entries to
 * rewrite; a slot just claimed (fresh) gets all of them. */
static void depth_write(const struct rs_book *b, const struct rs_book_inst *in, struct rs_seqtab *t,
			uint32_t slot, uint64_t key, bool fresh)
{
	unsigned n = b->cfg.depth;
	const struct rs_book_side *bs = &in->side[0], *as = &in->side[1];
	struct rs_seqtab_slot *sl = rs__seqtab_slot(t, slot);
	struct rs_depth *row = (struct rs_depth *)sl->payload;
	unsigned wb = fresh ? n : __atomic_load_n(&row->nbids, __ATOMIC_RELAXED);
	unsigned wa = fresh ? n : __atomic_load_n(&row->nasks, __ATOMIC_RELAXED);
	struct rs_depth h = {
		.instrument_id = in->instrument_id,
		.depth = (uint16_t)n,
		.nbids = (uint16_t)(bs->n < n ? bs->n : n),
		.nasks = (uint16_t)(as->n < n ? as->n : n),
		.sequence = in->sequence,
		.ts_event = in->ts_event,
		.ts_recv = in->ts_recv,
	};
	rs_seqtab_write_begin(t, slot);
	rs_seqtab_set_key(t, slot, key);
	rs_seqtab_store(t, slot, 0, &h, sizeof(h));
	uint64_t *lv = (uint64_t *)row->levels;
	depth_side_store(b, bs, lv, n, wb);
	depth_side_store(b, as, lv + 2 * n, n, wa);
	rs_seqtab_write_end(t, slot);
}

static inline void depth_prefetch(const struct rs_book *b, const struct rs_book_inst *in)
{
	for (int sd = 0; sd < 2; sd++) {
		const struct rs_book_side *s = &in->side[sd];
		unsigned k = s->n < b->cfg.depth ? s->n : b->cfg.depth;
		const uint32_t *lv = k ? lad_lvl(s) : NULL;
		for (unsigned j = 0; j < k; j++)
			__builtin_prefetch(&b->levels[lv[s->n - 1 - j]]);
	}
}

static inline uint32_t claim(struct rs_seqtab *t, uint32_t *slot, uint32_t iid)
{
	if (*slot == RS_BOOK_NIL) { /* once per instrument */
		int64_t sl = rs_itable_claim(t, iid);
		*slot = sl < 0 ? RS_BOOK_NIL - 1 : (uint32_t)sl;
	}
	return *slot;
}

/* Publication cost per changed instrument (perf/run.sh handler): the BBO
 * row comes from the boundary state in the instrument's hot lines, the
 * depth row is written in place (no scratch copy) and only when a depth
 * table or fn wants it. A callback fn still gets both snapshots. */
unsigned rs_book_publish(struct rs_book *b, rs_book_publish_fn fn, void *ctx)
{
	unsigned n = b->npub;
	bool tabs = b->tab_bbo || b->tab_depth;
	if (b->tab_depth) /* the depth rows' levels, all in flight at once */
		for (unsigned i = 0; i < n; i++)
			depth_prefetch(b, &b->insts[b->pubq[i]]);
	for (unsigned i = 0; i < n; i++) {
		uint32_t idx = b->pubq[i];
		struct rs_book_inst *in = &b->insts[idx];
		in->queued = 0;
		if (!fn && !tabs)
			continue;
		bbo_from_top(in, &b->pub_bbo);
		if (b->amend)
			b->amend(b->amend_ctx, idx, &b->pub_bbo);
		uint64_t key = rs_itable_key(in->instrument_id);
		if (b->tab_bbo) {
			if (claim(b->tab_bbo, &in->slot_bbo, in->instrument_id) < RS_BOOK_NIL - 1)
				rs_seqtab_write(b->tab_bbo, in->slot_bbo, key, &b->pub_bbo, sizeof(b->pub_bbo));
			else
				b->pub_skipped++;
		}
		if (b->tab_depth) {
			bool fresh = in->slot_depth == RS_BOOK_NIL;
			if (claim(b->tab_depth, &in->slot_depth, in->instrument_id) < RS_BOOK_NIL - 1)
				depth_write(b, in, b->tab_depth, in->slot_depth, key, fresh);
			else
				b->pub_skipped++;
		}
		if (fn) {
			rs_book_depth(b, idx, b->pub_depth, b->cfg.depth);
			fn(ctx, idx, &b->pub_bbo, b->pub_depth);
		}
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

