/*
 * rs_book_pub.c - publication of the book (HOT, at the end of a burst):
 * BBO and MBP-N depth rows into the seqlocked instrument tables, the
 * amend hook, and the BBO/depth snapshots the queries use.
 * See rs_book.h.
 */
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

