/*
 * rs_pressure.h - pressure windows (IFD.md section 2): per instrument and
 * window length W an accumulator that every event updates in O(1) on the
 * handler core (HOT, static inline), closed into a struct rs_pressure
 * (ringside.h) when the handler clock passes the window's end.
 *
 *   struct rs_pwin w;  rs_pwin_open(&w, ts_start, W);
 *   rs_pwin_trade(&w, 'B', 300, px, ts, large);   aggressor volume
 *   rs_pwin_add / rs_pwin_cancel                   resting volume per side
 *   rs_pwin_ofi(&w, e_n); rs_pwin_depth(&w, d)     OFI term, touch depth
 *   rs_pwin_close(&w, id, &rec);                   vi, ratio, vwap, avg depth
 *
 * OFI (Cont-Kukanov-Stoikov): rs_ofi_step() computes e_n from the best bid
 * and ask (price, size) after event n-1 and n:
 *   e_n = 1[Pb_n >= Pb_{n-1}] qb_n - 1[Pb_n <= Pb_{n-1}] qb_{n-1}
 *       - 1[Pa_n <= Pa_{n-1}] qa_n + 1[Pa_n >= Pa_{n-1}] qa_{n-1}
 * An empty side is a level of size 0 whose price compares equal to the
 * other state's price, so a side appearing contributes +q (bid) / -q (ask)
 * and a side disappearing -q (bid) / +q (ask).
 */
#ifndef RS_PRESSURE_H
#define RS_PRESSURE_H

#include <stdint.h>

#include "ringside.h"

/* Accumulator of one open window (160 bytes; the fields an add, a cancel
 * or an event boundary touch are in the first 64). */
struct rs_pwin {
	/* line 0: every event */
	uint64_t event_count;
	uint64_t last_ts;
	uint64_t bid_added, ask_added, bid_cancelled, ask_cancelled;
	uint64_t depth_sum;         /* sum of (bid + ask size at the touch) at boundaries */
	uint32_t depth_n;
	uint32_t reserved;
	/* trades, BBO changes, close */
	int64_t ofi;
	uint64_t buy_volume, sell_volume, unknown_volume;
	uint32_t buy_trades, sell_trades;
	uint32_t large_buy_trades, large_sell_trades;
	__int128 notional;          /* sum price * size of counted trades (1e-9 * shares) */
	uint64_t traded;            /* volume of trades with a price (vwap divisor) */
	uint64_t first_ts;
	uint64_t ts_start, window_ns;
};
_Static_assert(sizeof(struct rs_pwin) == 160, "accumulator layout");

static inline void rs_pwin_open(struct rs_pwin *w, uint64_t ts_start, uint64_t window_ns)
{
	*w = (struct rs_pwin){.ts_start = ts_start, .window_ns = window_ns,
			      .first_ts = RS_UNDEF_TS, .last_ts = RS_UNDEF_TS};
}

static inline void rs_pwin_touch(struct rs_pwin *w, uint64_t ts)
{
	if (w->first_ts == RS_UNDEF_TS)
		w->first_ts = ts;
	w->last_ts = ts;
	w->event_count++;
}

/* A counted trade: side 'B' / 'A' / 'N' (rs_aggr_side), size, price
 * (RS_UNDEF_PRICE allowed), large = size >= the large-trade size. */
static inline void rs_pwin_trade(struct rs_pwin *w, char side, uint32_t size, int64_t px,
				 int large)
{
	if (side == RS_SIDE_BID) {
		w->buy_volume += size;
		w->buy_trades++;
		w->large_buy_trades += (uint32_t)large;
	} else if (side == RS_SIDE_ASK) {
		w->sell_volume += size;
		w->sell_trades++;
		w->large_sell_trades += (uint32_t)large;
	} else {
		w->unknown_volume += size;
	}
	if (px != RS_UNDEF_PRICE) {
		w->notional += (__int128)px * size;
		w->traded += size;
	}
}

/* Resting volume added / cancelled on side 'B' or 'A'. */
static inline void rs_pwin_add(struct rs_pwin *w, char side, uint32_t size)
{
	if (side == RS_SIDE_BID)
		w->bid_added += size;
	else if (side == RS_SIDE_ASK)
		w->ask_added += size;
}

static inline void rs_pwin_cancel(struct rs_pwin *w, char side, uint32_t size)
{
	if (side == RS_SIDE_BID)
		w->bid_cancelled += size;
	else if (side == RS_SIDE_ASK)
		w->ask_cancelled += size;
}

static inline void rs_pwin_ofi(struct rs_pwin *w, int64_t e)
{
	w->ofi += e;
}

static inline void rs_pwin_depth(struct rs_pwin *w, uint64_t touch_size)
{
	w->depth_sum += touch_size;
	w->depth_n++;
}

/* Add the counts of a closed shorter window `s` (later in time) into `d`:
 * every field but ts_start/window_ns is a sum, a minimum (first_ts, when d
 * is still empty) or the latest value (last_ts). */
static inline void rs_pwin_fold(struct rs_pwin *d, const struct rs_pwin *s)
{
	if (!d->event_count)
		d->first_ts = s->first_ts;
	d->last_ts = s->last_ts;
	d->event_count += s->event_count;
	d->buy_volume += s->buy_volume;
	d->sell_volume += s->sell_volume;
	d->unknown_volume += s->unknown_volume;
	d->buy_trades += s->buy_trades;
	d->sell_trades += s->sell_trades;
	d->large_buy_trades += s->large_buy_trades;
	d->large_sell_trades += s->large_sell_trades;
	d->bid_added += s->bid_added;
	d->ask_added += s->ask_added;
	d->bid_cancelled += s->bid_cancelled;
	d->ask_cancelled += s->ask_cancelled;
	d->ofi += s->ofi;
	d->notional += s->notional;
	d->traded += s->traded;
	d->depth_sum += s->depth_sum;
	d->depth_n += s->depth_n;
}

/* Best bid/ask state for OFI. Prices RS_UNDEF_PRICE when a side is empty. */
struct rs_ofi_bbo {
	int64_t bid_px, ask_px;
	uint64_t bid_sz, ask_sz;
};

static inline int64_t rs_ofi_step(const struct rs_ofi_bbo *p, const struct rs_ofi_bbo *n)
{
	int64_t e = 0;
	/* bid: an empty side compares equal (both indicators 1) */
	int bid_ge = 1, bid_le = 1, ask_le = 1, ask_ge = 1;
	if (p->bid_px != RS_UNDEF_PRICE && n->bid_px != RS_UNDEF_PRICE) {
		bid_ge = n->bid_px >= p->bid_px;
		bid_le = n->bid_px <= p->bid_px;
	}
	if (p->ask_px != RS_UNDEF_PRICE && n->ask_px != RS_UNDEF_PRICE) {
		ask_le = n->ask_px <= p->ask_px;
		ask_ge = n->ask_px >= p->ask_px;
	}
	uint64_t qb0 = p->bid_px != RS_UNDEF_PRICE ? p->bid_sz : 0;
	uint64_t qb1 = n->bid_px != RS_UNDEF_PRICE ? n->bid_sz : 0;
	uint64_t qa0 = p->ask_px != RS_UNDEF_PRICE ? p->ask_sz : 0;
	uint64_t qa1 = n->ask_px != RS_UNDEF_PRICE ? n->ask_sz : 0;
	if (bid_ge)
		e += (int64_t)qb1;
	if (bid_le)
		e -= (int64_t)qb0;
	if (ask_le)
		e -= (int64_t)qa1;
	if (ask_ge)
		e += (int64_t)qa0;
	return e;
}

/* Close: fill rec (every field of IFD.md section 2 plus avg_depth). */
void rs_pwin_close(const struct rs_pwin *w, uint32_t instrument_id, struct rs_pressure *rec);

/* vi and pressure ratio of a buy/sell volume pair (IFD.md section 2). */
double rs_pressure_vi(uint64_t buy, uint64_t sell);
double rs_pressure_ratio(uint64_t buy, uint64_t sell);

#endif
