/*
 * rs_book.h - MBO order book engine (HOT: runs on the handler core).
 *
 * One struct rs_book holds the books of many instruments (the whole NASDAQ
 * universe: ~10k symbols, millions of live orders). All memory is
 * preallocated by rs_book_create() from struct rs_book_cfg; afterwards
 * nothing allocates, logs or makes a system call. Running out of a
 * capacity is counted (RS_BOOK_Q_CAPACITY / stats.inst_capacity) and the
 * record is rejected; the book is never corrupted.
 *
 * Input is the normalized event (struct rs_event, a DBN MBO record):
 *   A  add              (duplicate id -> RS_BOOK_Q_DUP_ADD, rejected)
 *   C  cancel `size`    (partial cancel / execution; the order is removed
 *                        when its size reaches 0, or always with
 *                        RS_EVF_DELETE / size RS_SIZE_ALL)
 *   M  modify           (new price and size; price change or size increase
 *                        loses queue priority, size decrease keeps it -
 *                        Databento's rule; side change is rejected)
 *   R  clear the instrument's book (a snapshot follows as A + F_SNAPSHOT)
 *   T, F, N             never change the book ('T' updates last trade /
 *                        volume of the published BBO)
 * ITCH conventions (see ringside.h): records flagged RS_EVF_INCOMPLETE
 * are completed in place from the live order (price, side and size fields
 * that are RS_UNDEF_PRICE / RS_SIDE_NONE / RS_SIZE_ALL); the 'A' half of a
 * replace (RS_EVF_REPLACE) takes its side from the order deleted by the
 * preceding 'C'. The book sets RS_EVF_REJECTED on bad input and
 * RS_EVF_BBO_CHANGED on an event boundary (RS_F_LAST) whose BBO differs
 * from the previous boundary's. Book state is meant to be read/published
 * only at event boundaries; crossed/locked checks run there.
 *
 * Threading: a book is owned by one thread. Readers in other processes see
 * it only through rs_book_publish() into seqlocked tables.
 */
#ifndef RS_BOOK_H
#define RS_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/rs_book_types.h"

struct rs_book;

/* Fill cfg with the defaults documented in struct rs_book_cfg. */
void rs_book_cfg_default(struct rs_book_cfg *cfg);

/* Allocate a book (cold). Zero fields of cfg take their defaults.
 * Returns 0 or -ENOMEM / -EINVAL (rs_err_msg() says why). */
int rs_book_create(struct rs_book **out, const struct rs_book_cfg *cfg);
void rs_book_destroy(struct rs_book *b);

/* Forget every order, level and instrument; counters are zeroed (cold). */
void rs_book_reset(struct rs_book *b);

/* Declare an instrument (optional: unknown instruments are created on first
 * use with tick size 0 and no symbol). tick_size in 1e-9 units, 0 = unknown.
 * symbol may be NULL. Returns the instrument index (>= 0) or -ENOSPC. */
int rs_book_define(struct rs_book *b, uint32_t instrument_id, const char *symbol, int64_t tick_size);

/* Instrument index for an instrument_id, or -1. */
int rs_book_find(const struct rs_book *b, uint32_t instrument_id);
/* Number of instruments (indices 0..n-1). */
uint32_t rs_book_ninst(const struct rs_book *b);
/* Instrument state (read-only; valid until rs_book_reset/destroy). */
const struct rs_book_inst *rs_book_inst(const struct rs_book *b, uint32_t idx);
const struct rs_book_stats *rs_book_stats(const struct rs_book *b);
const struct rs_book_cfg *rs_book_config(const struct rs_book *b);

/* Apply one record (completes it in place, sets RS_EVF_* flags). */
void rs_book_apply(struct rs_book *b, struct rs_event *ev);

/* Apply n records in order, prefetching the order-id slots and order
 * records of the following records. Returns n. */
unsigned rs_book_apply_burst(struct rs_book *b, struct rs_event *ev, unsigned n);

/* rs_book_apply_burst() calling fn(ctx, ev, idx) right after each record
 * was applied (idx = its instrument index, -1 when it was rejected for
 * instrument capacity), so per-event consumers (analytics) see the book
 * exactly as it stands after that record while the prefetch pipeline keeps
 * running. fn must not modify the book. fn NULL = rs_book_apply_burst. */
typedef void (*rs_book_event_fn)(void *ctx, const struct rs_event *ev, int idx);
unsigned rs_book_apply_burst_cb(struct rs_book *b, struct rs_event *ev, unsigned n, rs_book_event_fn fn,
				void *ctx);

/* Best bid/ask as of the instrument's last event boundary (RS_F_LAST): the
 * cheap accessor for per-event consumers (no 128-byte rs_bbo fill). Empty
 * sides have price RS_UNDEF_PRICE and size 0. */
struct rs_book_top {
	int64_t bid_px, ask_px;
	uint64_t bid_sz, ask_sz;
	uint32_t bid_ct, ask_ct;
};
static inline void rs_book_top(const struct rs_book_inst *in, struct rs_book_top *t)
{
	t->bid_px = in->pub_bid_px;
	t->ask_px = in->pub_ask_px;
	t->bid_sz = in->pub_bid_sz;
	t->ask_sz = in->pub_ask_sz;
	t->bid_ct = in->pub_bid_ct;
	t->ask_ct = in->pub_ask_ct;
}

/* Top n levels of one side (0 bids, best first; 1 asks, best first) into
 * out[]; returns how many exist (<= n). Sizes saturate at UINT32_MAX. */
unsigned rs_book_levels(const struct rs_book *b, uint32_t idx, int side, struct rs_level *out,
			unsigned n);
/* Position (0 = best) of the level at `price` on a side, or -1 if none. */
int rs_book_level_pos(const struct rs_book *b, uint32_t idx, int side, int64_t price);
/* Number of price levels on a side. */
uint32_t rs_book_nlevels(const struct rs_book *b, uint32_t idx, int side);

/* Live order by (instrument_id, order_id), or NULL. */
const struct rs_book_order *rs_book_order(const struct rs_book *b, uint32_t instrument_id,
					  uint64_t order_id);
/* Order ids at level `pos` (0 = best) of a side, in priority order; returns
 * the level's order count (may exceed max). */
uint32_t rs_book_level_orders(const struct rs_book *b, uint32_t idx, int side, uint32_t pos,
			      uint64_t *ids, uint32_t max);

/* Current BBO / MBP-n depth of instrument idx. depth->levels must hold
 * 2*n entries (bids[n] then asks[n]); empty entries have RS_UNDEF_PRICE. */
void rs_book_bbo(const struct rs_book *b, uint32_t idx, struct rs_bbo *out);
void rs_book_depth(const struct rs_book *b, uint32_t idx, struct rs_depth *out, uint16_t n);

/* Publication hooks. The daemon calls rs_book_publish() at the end of a
 * burst: every instrument whose book changed at an event boundary since the
 * last call is handed to fn (BBO and MBP-cfg.depth depth, both pointing at
 * book-owned scratch valid only during the call). Returns the number
 * published. fn == NULL just drains the list. */
typedef void (*rs_book_publish_fn)(void *ctx, uint32_t idx, const struct rs_bbo *bbo,
				   const struct rs_depth *depth);
unsigned rs_book_publish(struct rs_book *b, rs_book_publish_fn fn, void *ctx);

/* Amend hook: called by rs_book_publish() for each published instrument
 * after its BBO was computed and before it is written to the table / given
 * to fn, so another module of the same handler thread (analytics) can fill
 * the fields the book does not own (microprice, ofi, imbalance_ppm).
 * fn NULL removes the hook. */
typedef void (*rs_book_amend_fn)(void *ctx, uint32_t idx, struct rs_bbo *bbo);
void rs_book_set_amend(struct rs_book *b, rs_book_amend_fn fn, void *ctx);

/* Attach instrument-keyed seqlocked tables (shm/rs_seqtab.h laid out as
 * shm/rs_itable.h says: slot claimed per instrument_id, key id + 1; either
 * may be NULL) that rs_book_publish() writes: payload struct rs_bbo /
 * struct rs_depth + 2*cfg.depth levels (bids then asks). The tables stay
 * owned by the caller. Returns 0, or -EINVAL when a table's payload is too
 * small. Instruments that find no free slot are not written and counted
 * (rs_book_publish_skipped). */
struct rs_seqtab;
int rs_book_attach_tables(struct rs_book *b, struct rs_seqtab *bbo, struct rs_seqtab *depth);
uint64_t rs_book_publish_skipped(const struct rs_book *b);

/* Invariant check of one instrument: level sums == order sums, no empty
 * level, bids strictly descending, asks strictly ascending, level/order
 * back-references, order index consistent, BBO == first levels.
 * Returns 0, or -1 with a description in msg. Always compiled; with
 * RS_DEBUG_INVARIANTS rs_book_apply() runs it after every boundary and
 * aborts on failure. */
int rs_book_check(const struct rs_book *b, uint32_t idx, char *msg, size_t len);
/* All instruments plus global counts (live orders == hash entries). */
int rs_book_check_all(const struct rs_book *b, char *msg, size_t len);

#endif
