/*
 * rs_cbbo.h - consolidated BBO across the venues of one instrument (HOT:
 * the handler core, next to the book; set-up cold).
 *
 * The same instrument (one symbol) published by several venues or feeds
 * (DBN publisher_id) has one book per venue; the consolidated BBO is
 *
 *   bid = max over venues of the venue's best bid price
 *   ask = min over venues of the venue's best ask price
 *   size, order count = sums over the venues quoting that price
 *   venues = how many venues quote that price
 *
 * A venue with no bid (or ask) - price RS_UNDEF_PRICE - does not take part
 * on that side; a consolidated side nobody quotes has price RS_UNDEF_PRICE.
 * Crossed (bid > ask) and locked (bid == ask) consolidated quotes are
 * normal across venues and reported, never "fixed".
 *
 *   (publisher_id, instrument_id) --map--> (symbol index, venue slot)
 *   symbols[i]: struct rs_cbbo_quote (consolidated, read by callers)
 *   venues[i * max_venues + slot]: the venue's last BBO
 *
 * rs_cbbo_bind() (cold) assigns a venue slot of a symbol to a (publisher,
 * instrument) pair; rs_cbbo_update() (hot) stores that venue's BBO and
 * recomputes the symbol's consolidated quote: O(venues of the symbol), no
 * allocation, no system call. Everything is allocated by rs_cbbo_create().
 *
 * Threading: one thread owns it (the handler core that owns the books).
 */
#ifndef RS_CBBO_H
#define RS_CBBO_H

#include <stdint.h>

#include "ringside.h"

#define RS_CBBO_LOCKED  1 /* struct rs_cbbo_quote.crossed: bid == ask */
#define RS_CBBO_CROSSED 2 /*                                bid > ask */

/* One consolidated side. */
struct rs_cbbo_side {
	int64_t price;    /* 1e-9 units; RS_UNDEF_PRICE when no venue quotes this side */
	uint64_t size;    /* sum over the venues at `price` */
	uint32_t count;   /* orders: sum over the venues at `price` */
	uint16_t venues;  /* venues at `price` */
	uint16_t reserved;
};

/* Consolidated quote of one symbol. */
struct rs_cbbo_quote {
	char symbol[RS_SYMBOL_LEN];
	struct rs_cbbo_side bid, ask;
	uint64_t ts_event;  /* of the venue update that produced this state */
	uint32_t nvenues;   /* venues bound to the symbol */
	uint8_t crossed;    /* 0, RS_CBBO_LOCKED, RS_CBBO_CROSSED */
	uint8_t reserved[3];
	uint64_t updates;   /* venue updates applied */
	uint64_t changes;   /* of which changed the consolidated quote */
};

struct rs_cbbo;

/* Allocate for max_symbols symbols of up to max_venues venues each (cold).
 * Returns 0, -EINVAL (a limit 0 or too large) or -ENOMEM. */
int rs_cbbo_create(struct rs_cbbo **out, uint32_t max_symbols, uint32_t max_venues);
void rs_cbbo_destroy(struct rs_cbbo *c);

/* Bind the book of (publisher_id, instrument_id) to `symbol` (NUL-terminated,
 * at most RS_SYMBOL_LEN - 1 characters; the symbol is created on first use).
 * Binding the same pair to the same symbol again is a no-op. Returns the
 * symbol index (>= 0), or -EINVAL (empty or too long symbol), -EEXIST (the
 * pair is bound to another symbol), -ENOSPC (symbols or the symbol's venues
 * exhausted). Cold. */
int rs_cbbo_bind(struct rs_cbbo *c, uint16_t publisher_id, uint32_t instrument_id,
		 const char *symbol);

/* A venue's new BBO (e.g. the struct rs_bbo the book published: pass
 * &bbo.bid, &bbo.ask; price RS_UNDEF_PRICE = no quote on that side).
 * Returns the symbol index, ORed with RS_CBBO_CHANGED when the consolidated
 * quote (price, size, count or venue count of a side) changed; -1 when the
 * pair is not bound (counted in rs_cbbo_unbound()). Hot, O(venues). */
#define RS_CBBO_CHANGED (1 << 30)
int rs_cbbo_update(struct rs_cbbo *c, uint16_t publisher_id, uint32_t instrument_id,
		   const struct rs_level *bid, const struct rs_level *ask, uint64_t ts_event);

/* Symbol index of `symbol`, or -1 (cold). */
int rs_cbbo_find(const struct rs_cbbo *c, const char *symbol);
/* Consolidated quote of symbol idx, or NULL; valid until rs_cbbo_destroy. */
const struct rs_cbbo_quote *rs_cbbo_get(const struct rs_cbbo *c, uint32_t idx);
/* Number of symbols (indices 0..n-1). */
uint32_t rs_cbbo_nsymbols(const struct rs_cbbo *c);
/* Updates for pairs that were never bound. */
uint64_t rs_cbbo_unbound(const struct rs_cbbo *c);

#endif
