/* rs_pressure.c - closing a pressure window (IFD.md section 2). */
#include "rs_pressure.h"

#include <math.h>
#include <string.h>

double rs_pressure_vi(uint64_t buy, uint64_t sell)
{
	if (buy + sell == 0)
		return 0.0;
	return ((double)buy - (double)sell) / ((double)buy + (double)sell);
}

double rs_pressure_ratio(uint64_t buy, uint64_t sell)
{
	if (sell == 0)
		return buy > 0 ? INFINITY : 1.0;
	return (double)buy / (double)sell;
}

void rs_pwin_close(const struct rs_pwin *w, uint32_t instrument_id, struct rs_pressure *r)
{
	memset(r, 0, sizeof(*r));
	r->instrument_id = instrument_id;
	r->window_ns = w->window_ns;
	r->ts_start = w->ts_start;
	r->ts_end = w->ts_start + w->window_ns;
	r->buy_volume = w->buy_volume;
	r->sell_volume = w->sell_volume;
	r->unknown_volume = w->unknown_volume;
	r->buy_trades = w->buy_trades;
	r->sell_trades = w->sell_trades;
	r->large_buy_trades = w->large_buy_trades;
	r->large_sell_trades = w->large_sell_trades;
	r->bid_added = w->bid_added;
	r->ask_added = w->ask_added;
	r->bid_cancelled = w->bid_cancelled;
	r->ask_cancelled = w->ask_cancelled;
	r->ofi = w->ofi;
	r->vi = rs_pressure_vi(w->buy_volume, w->sell_volume);
	r->pressure_ratio = rs_pressure_ratio(w->buy_volume, w->sell_volume);
	/* round half away from zero; prices are positive in practice */
	r->vwap = w->traded ? (int64_t)((w->notional + (__int128)(w->traded / 2)) / w->traded)
			    : RS_UNDEF_PRICE;
	r->first_ts = w->first_ts;
	r->last_ts = w->last_ts;
	r->event_count = w->event_count;
	r->avg_depth = w->depth_n ? (double)w->depth_sum / w->depth_n : 0.0;
	if (w->event_count == 0)
		r->flags |= RS_PRESSF_EMPTY;
}
