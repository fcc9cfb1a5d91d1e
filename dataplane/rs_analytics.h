/*
 * rs_analytics.h - incremental analytics on the handler core (HOT after
 * create): time bars with features, microstructure, session volume profile.
 *
 * One struct rs_analytics follows every instrument of one struct rs_book
 * (indexed like the book: idx = rs_book instrument index). All memory is
 * allocated and touched by rs_analytics_create(); afterwards nothing
 * allocates, logs or makes a system call. O(1) per event (two compares for
 * records that neither trade nor change the BBO); closing bars is
 * O(active instruments) per bar boundary (amortized over the events of the
 * interval); the value area is recomputed when a latest row is written
 * (once per shortest-interval close) for instruments whose profile changed
 * (O(levels inside it): a walk over the instrument's price-sorted levels).
 *
 * Driving it (the live path in ringsided and the batch path in `ringside
 * analyze` do exactly this, so their outputs are byte-identical):
 *
 *   rs_book_set_amend(book, rs_analytics_amend_bbo, a);
 *   for each event ev, in feed order:
 *           rs_analytics_tick(a, clock);          replay: ev->mbo.hd.ts_event
 *           rs_book_apply(book, ev);              (this event only: analytics
 *           rs_analytics_on_event(a, ev, book, idx);  reads the book at ev)
 *   rs_analytics_tick(a, clock) also on a timer (live: rx clock), so bars
 *   close when no event follows; at the end of a file rs_analytics_flush().
 *
 * rs_analytics_replay() is that loop for a burst of events (batch, tests,
 * benchmarks). The book must have applied ev and nothing after it when
 * on_event runs (it reads the touch of ev's instrument at event boundaries
 * whose BBO changed). The same as a per-record callback of the book's burst
 * apply (keeps its prefetch pipeline): rs_analytics_set_book(a, book) once,
 * then rs_analytics_on_event_cb(a, ev, idx) right after ev was applied =
 * tick(ev->mbo.hd.ts_event) + on_event (tick never reads the book, so
 * ticking after the apply is the same as before it).
 *
 * Definitions (prices int64 1e-9, sizes shares/contracts):
 *  - trades and aggressor side: dataplane/rs_aggr.h (IFD.md section 1);
 *  - bars: epoch-aligned [k*I, (k+1)*I) on the handler clock; OHLC, volume,
 *    trades, VWAP = floor(sum(px*q) / sum(q)), buy/sell/unknown aggressor
 *    volume, delta = buy - sell. A bar closes when the clock reaches its
 *    end; an instrument that traded in the session gets a bar for every
 *    interval afterwards (empty: RS_BARF_EMPTY, OHLC = previous close,
 *    volume 0, vwap undefined). nbars counts bars closed for it.
 *  - features over the closes of one interval (rs_features.h): SMA of the
 *    last sma_len closes (fewer while filling), EMA (alpha = 2/(len+1),
 *    seeded with the first close), Wilder RSI (first average = mean of the
 *    first rsi_len changes, then (avg*(n-1) + x)/n; 100 when avg loss is 0
 *    and avg gain > 0, 50 when both are 0), realized volatility
 *    sqrt(sum of squared log returns) over the last rvol_len returns,
 *    vwap_dev = (close - vwap)/vwap (0 for empty bars). sma/ema are in
 *    price units (1e-9) like close. RS_BARF_FEATURES once sma_len and
 *    rvol_len closes and rsi_len changes were seen; undefined values are 0.
 *  - microstructure at event boundaries (RS_F_LAST): spread = ask - bid,
 *    mid = (bid + ask)/2, microprice = (bid*askq + ask*bidq)/(bidq + askq),
 *    imbalance over the top micro_levels levels (bid - ask)/(bid + ask) in
 *    ppm, cumulative Cont-Kukanov-Stoikov OFI (IFD.md section 2; an empty
 *    bid counts as price -inf, an empty ask +inf, size 0), short_vol =
 *    sqrt of an EWMA (alpha = 2/(vol_len+1)) of squared mid log returns
 *    between boundaries where the mid changed, log(m1/m0) taken as
 *    2(m1-m0)/(m1+m0) (error below r^3/12).
 *  - volume profile per session: volume at each trade price; POC = the
 *    price with the most volume (on a tie the one that got there first);
 *    value area: start at the POC, repeatedly add the adjacent price (one
 *    above or one below) with more volume (tie: above) until >= 70 % of
 *    the session volume is inside; VAH/VAL its highest/lowest price.
 */
#ifndef RS_ANALYTICS_H
#define RS_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

#include "ringside.h"

struct rs_book;
struct rs_bcast;
struct rs_seqtab;
struct rs_analytics;

/* Closed-bar sink: bar is valid only during the call. */
typedef void (*rs_analytics_bar_fn)(void *ctx, const struct rs_bar *bar);

struct rs_analytics_cfg {
	/* bar intervals in ns, ascending is not required; 0 ends the list.
	 * All zero: 1s, 5s, 15s, 30s, 1m, 5m. */
	uint64_t intervals_ns[RS_BAR_MAX_INTERVALS];
	uint16_t sma_len;          /* default 20 (max 1024) */
	uint16_t ema_len;          /* default 20 */
	uint16_t rsi_len;          /* default 14 */
	uint16_t rvol_len;         /* default 20 (max 1024) */
	uint16_t micro_levels;     /* depth / imbalance levels per side, default 5 (max 64) */
	uint16_t vol_len;          /* short_vol EWMA length in mid changes, default 100 */
	uint32_t max_instruments;  /* book instrument indices followed, default 16384 */
	uint32_t max_active;       /* instruments with bars (that traded), default 8192 */
	uint32_t profile_levels;   /* (instrument, price) pairs per session, default 1 Mi */
	rs_analytics_bar_fn on_bar; /* optional sink for every closed bar */
	void *on_bar_ctx;
};

/* Counters (read from the handler thread or after it stopped). */
struct rs_analytics_stats {
	uint64_t events;
	uint64_t trades;           /* counted trades */
	uint64_t bars;             /* bars closed (all intervals) */
	uint64_t bars_empty;
	uint64_t publish_failed;   /* bars whose bcast write failed */
	uint64_t latest_skipped;   /* instruments without a latest-table slot */
	uint64_t inst_overflow;    /* events of instruments beyond max_instruments */
	uint64_t profile_overflow; /* trades at a new price with the profile full */
	uint64_t va_recomputes;
};

/* Fill cfg with the defaults. */
void rs_analytics_cfg_default(struct rs_analytics_cfg *cfg);

/* Allocate (cold). Zero fields of cfg take their defaults. Returns 0,
 * -EINVAL (bad lengths/intervals; rs_err_msg() says which) or -ENOMEM. */
int rs_analytics_create(struct rs_analytics **out, const struct rs_analytics_cfg *cfg);
void rs_analytics_destroy(struct rs_analytics *a);

/* Publication targets (cold; either may be NULL): closed bars are written
 * to `bars` in closing order: bars with trades as RS_REC_BAR, runs of
 * consecutive empty bars of one interval as RS_REC_BARS_EMPTY (up to
 * RS_BARS_EMPTY_MAX per record; rs_bar_unpack() (include/ringside.h) gives back
 * the same struct rs_bar bytes), and per instrument the struct rs_latest row
 * of `latest` (instrument-keyed, shm/rs_itable.h) is updated when its bars
 * close. Tables stay owned by the caller. */
void rs_analytics_attach(struct rs_analytics *a, struct rs_bcast *bars, struct rs_seqtab *latest);

/* Handler clock (ns since the epoch). Closes every bar whose end <= now.
 * A clock that goes backwards is ignored. */
void rs_analytics_tick(struct rs_analytics *a, uint64_t now_ns);

/* One event, right after rs_book_apply(b, ev); idx = the book's index of
 * ev's instrument (rs_book_find), < 0 to skip. */
void rs_analytics_on_event(struct rs_analytics *a, const struct rs_event *ev,
			   const struct rs_book *b, int idx);

/* The book on_event_cb reads (and the amend hook / rs_analytics_micro use). */
void rs_analytics_set_book(struct rs_analytics *a, const struct rs_book *b);

/* Per-record callback for the book's burst apply (ctx = the rs_analytics,
 * book set with rs_analytics_set_book): rs_analytics_tick(a,
 * ev->mbo.hd.ts_event) then rs_analytics_on_event(a, ev, book, idx). Most
 * records (no trade, no BBO change) cost two compares. */
void rs_analytics_on_event_cb(void *a, const struct rs_event *ev, int idx);

/* The whole loop for n events of a file or burst: per event tick(ts_event),
 * rs_book_apply, on_event. */
void rs_analytics_replay(struct rs_analytics *a, struct rs_book *b, struct rs_event *ev, unsigned n);

/* End of input: advance the clock to the end of the longest interval's
 * current bar (closing every open bar of every interval). */
void rs_analytics_flush(struct rs_analytics *a);

/* rs_book_amend_fn: fills bbo->microprice, ofi and imbalance_ppm of
 * instrument idx (install with rs_book_set_amend(book, rs_analytics_amend_bbo, a)).
 * Reads the book handed to the last on_event. */
void rs_analytics_amend_bbo(void *a, uint32_t idx, struct rs_bbo *bbo);

/* Forget the session (profile, bars, features, OFI), keep the config and
 * attachments (cold). */
void rs_analytics_reset(struct rs_analytics *a);

/* Queries (same thread, or after it stopped; cold). */
const struct rs_analytics_stats *rs_analytics_stats(const struct rs_analytics *a);
unsigned rs_analytics_nintervals(const struct rs_analytics *a);
uint64_t rs_analytics_interval(const struct rs_analytics *a, unsigned k);
/* Header of instrument idx's struct rs_latest as it would be published now
 * (session profile with a fresh value area, microstructure; bars[] zero:
 * the closed bars are in the table / sink). Returns 0 or -ENOENT (no
 * trade yet). */
int rs_analytics_latest(struct rs_analytics *a, int idx, struct rs_latest *out);
/* Microstructure of idx at the last boundary: microprice, OFI, imbalance
 * over the top levels (needs the book of the last on_event). */
int rs_analytics_micro(struct rs_analytics *a, int idx, struct rs_bbo *out);

#endif
