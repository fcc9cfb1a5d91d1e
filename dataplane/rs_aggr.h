/*
 * rs_aggr.h - which normalized events are trades, and who was the
 * aggressor (HOT, header-only; IFD.md section 1).
 *
 * One place for the rule, shared by analytics (bars, volume delta) and the
 * IFD pressure windows:
 *
 *   counting: a trade is counted ONCE.
 *     'T'  always a trade (DBN: the aggressor's record, followed in the
 *          same event by one 'F' per resting order filled; ITCH: P and Q).
 *     'F'  a trade only when no 'T' opened the same event (ITCH E/C give
 *          'F' + 'C'; DBN's 'F's after a 'T' are the same trade again).
 *     'C'  never (the 'C' after an ITCH 'F' is the book's side of it).
 *     Records the book rejected (RS_EVF_REJECTED), size 0 / RS_SIZE_ALL and
 *     undefined prices are not trades.
 *
 *   aggressor side of a counted trade:
 *     1. the feed's own: 'T' with side B (buyer initiated) or A (seller
 *        initiated); 'F' side = the RESTING order's side, so the aggressor
 *        is the other side;
 *     2. else Lee-Ready against the BBO before the event: price above the
 *        mid -> buy, below -> sell; at the mid (or no two-sided book) the
 *        tick test against the previous trade price: up -> buy, down ->
 *        sell, unchanged -> the previous trade's classification;
 *     3. still unknown -> 'N' (count it as unknown volume, never guess).
 *
 * Usage, per instrument, for every event in feed order (after the book
 * applied it, so ITCH 'F' records carry their completed price and side):
 *
 *   struct rs_aggr_state st;  rs_aggr_init(&st);
 *   if (rs_aggr_trade(&st, ev)) {
 *           char s = rs_aggr_side(&st, ev, bid_before, ask_before);
 *           uint32_t q = rs_aggr_volume(ev); int64_t px = rs_aggr_price(ev);
 *   }
 *
 * bid_before / ask_before: best prices at the previous event boundary
 * (RS_UNDEF_PRICE when that side was empty). Feeds whose 'T' side byte is
 * unreliable (NASDAQ ITCH P: set rs_itch_dec.pside_mode =
 * RS_ITCH_PSIDE_NONE) must emit side 'N' so rule 2 applies.
 */
#ifndef RS_AGGR_H
#define RS_AGGR_H

#include <stdint.h>

#include "ringside.h"

/* Per-instrument classification state (16 bytes). */
struct rs_aggr_state {
	int64_t last_px;  /* previous counted trade's price, RS_UNDEF_PRICE none */
	char last_side;   /* previous classification 'B' / 'A' / 'N' */
	uint8_t in_trade; /* a 'T' opened the current event (no F_LAST since) */
	uint8_t reserved[6];
};

static inline void rs_aggr_init(struct rs_aggr_state *st)
{
	st->last_px = RS_UNDEF_PRICE;
	st->last_side = RS_SIDE_NONE;
	st->in_trade = 0;
	for (int i = 0; i < 6; i++)
		st->reserved[i] = 0;
}

/* Call for EVERY event of the instrument, in order. Returns 1 when ev is a
 * trade to count (see the rules above), else 0. */
static inline int rs_aggr_trade(struct rs_aggr_state *st, const struct rs_event *ev)
{
	char act = ev->mbo.action;
	int last = (ev->mbo.flags & RS_F_LAST) != 0;
	int ok = !(ev->rs_flags & RS_EVF_REJECTED) && ev->mbo.size != 0 &&
		 ev->mbo.size != RS_SIZE_ALL && ev->mbo.price != RS_UNDEF_PRICE;
	int counted = 0;

	if (act == RS_ACTION_TRADE) {
		counted = ok;
		st->in_trade = !last;
		return counted;
	}
	if (act == RS_ACTION_FILL)
		counted = ok && !st->in_trade;
	if (last)
		st->in_trade = 0;
	return counted;
}

/* Shares/contracts and price (1e-9) of a counted trade. */
static inline uint32_t rs_aggr_volume(const struct rs_event *ev)
{
	return ev->mbo.size;
}

static inline int64_t rs_aggr_price(const struct rs_event *ev)
{
	return ev->mbo.price;
}

/* Aggressor side of a counted trade: 'B' buy, 'A' sell, 'N' unknown.
 * Updates the tick-test state (previous price and classification). */
static inline char rs_aggr_side(struct rs_aggr_state *st, const struct rs_event *ev,
				int64_t bid_before, int64_t ask_before)
{
	int64_t px = ev->mbo.price;
	char s = RS_SIDE_NONE;

	if (ev->mbo.action == RS_ACTION_TRADE) {
		if (ev->mbo.side == RS_SIDE_BID || ev->mbo.side == RS_SIDE_ASK)
			s = ev->mbo.side;
	} else if (ev->mbo.action == RS_ACTION_FILL) {
		if (ev->mbo.side == RS_SIDE_BID)
			s = RS_SIDE_ASK;
		else if (ev->mbo.side == RS_SIDE_ASK)
			s = RS_SIDE_BID;
	}
	if (s == RS_SIDE_NONE && bid_before != RS_UNDEF_PRICE && ask_before != RS_UNDEF_PRICE) {
		/* compare 2*px with bid + ask: no rounding of the mid */
		__int128 twice = (__int128)px * 2, sum = (__int128)bid_before + ask_before;
		if (twice > sum)
			s = RS_SIDE_BID;
		else if (twice < sum)
			s = RS_SIDE_ASK;
	}
	if (s == RS_SIDE_NONE && st->last_px != RS_UNDEF_PRICE) {
		if (px > st->last_px)
			s = RS_SIDE_BID;
		else if (px < st->last_px)
			s = RS_SIDE_ASK;
		else
			s = st->last_side;
	}
	st->last_px = px;
	st->last_side = s;
	return s;
}

#endif
