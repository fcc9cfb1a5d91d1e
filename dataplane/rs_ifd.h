/*
 * rs_ifd.h - institutional-flow detection engine (IFD.md): pressure
 * windows, baselines lookup, signal decision, pattern detectors and feed
 * quality, on the handler core after the book.
 *
 * HOT: rs_ifd_on_event (O(1) per event: one accumulator - the base window,
 *      gcd of the windows - a few additions, pattern state, one
 *      rs_book_bbo() when the BBO changed) and rs_ifd_tick (O(1) unless a
 *      base window boundary passed; then O(instruments with events in the
 *      closing windows) to close, decide and publish, plus one template
 *      record per empty window of the instruments that traded).
 * COLD: create/destroy, define, set_baseline, end_session, feed_quality.
 *
 * Daemon contract (one engine per handler thread):
 *
 *   rs_ifd_create(&f, &cfg);                      all memory allocated here
 *   rs_ifd_attach(f, &inst->pressure, &inst->signals, &inst->flow);
 *   rs_ifd_set_baseline(f, bl);                   loaded at start (may be NULL)
 *   before each burst (DBN 'M' records):  rs_ifd_before_book(f, ev, n, book);
 *   for each event after rs_book_apply:  rs_ifd_on_event(f, ev, book, idx);
 *        (or, from a book burst with a per-event callback after each
 *        record, rs_ifd_on_event_cb(f, ev, idx) with cfg.book set)
 *   every burst / ms:                    rs_ifd_tick(f, now_ns);
 *   about once a second per feed:        rs_ifd_feed_quality(f, feed_id, &health);
 *   at session close (rs_ifd_session_over() turns 1): rs_ifd_end_session(f, bl),
 *        then save bl (rs_baseline_file_save) and rs_ifd_set_baseline(f, bl).
 *
 * Windows are epoch-aligned [k W, (k+1) W) on event time; the handler clock
 * (rs_ifd_tick: feed time in replay, rx clock live) closes them, and an
 * event at or past the earliest open window's end closes it first. An
 * event older than the open window (late) is counted into it (stats.late).
 * Every closed window with events is published, and empty windows inside
 * the session for instruments that traded in the session. Each window W
 * must be a multiple of the base window (the gcd of the windows: 1 s by
 * default), which holds for any windows; epoch alignment does the rest.
 *
 * Flow rows (rs_flow in the flow table) are written at most once per
 * rs_ifd_tick per instrument: when a window with events closed, a signal
 * or pattern fired or the quality changed. An empty window (no events) is
 * published on the pressure ring only; row.last[w] keeps the last window
 * with events (its ts_end tells how old it is).
 *
 * Modify records ('M', DBN) count as a cancel of the order's old size plus
 * an add of the new size on its side. The book has replaced the old size
 * by the time rs_ifd_on_event runs, so rs_ifd_before_book() reads it for
 * the burst beforehand (only bursts holding an 'M' cost anything); without
 * it 'M' records are not counted in the add/cancel fields.
 *
 * The baseline given to rs_ifd_set_baseline stays owned by the caller and
 * must outlive its use (until the next set_baseline or destroy). Its
 * geometry (windows, bucket, days, session length) must equal the
 * engine's (rs_ifd_geom), else it is ignored (stats.baseline_mismatch).
 */
#ifndef RS_IFD_H
#define RS_IFD_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside.h"
#include "dataplane/rs_baseline.h"
#include "dataplane/rs_patterns.h"
#include "dataplane/rs_quality.h"

#define RS_IFD_MAX_WIN RS_FLOW_WINDOWS
#define RS_IFD_MAX_FEEDS 16

struct rs_book;
struct rs_bcast;
struct rs_seqtab;

struct rs_ifd_cfg {
	uint32_t max_instruments;   /* book instrument indices 0..n-1 (16384) */
	uint32_t session_instruments; /* instruments whose session is collected
					 for the baseline (default max_instruments) */
	uint32_t nwin;              /* 1..3, default 3 */
	uint64_t windows_ns[RS_IFD_MAX_WIN]; /* ascending; default 1 s, 1 min, 5 min */
	uint64_t bucket_ns;         /* baseline bucket minimum, default 300 s */
	double z_threshold;         /* 2.5 */
	double z_step;              /* 1.0 */
	uint32_t baseline_days;     /* 20 */
	uint32_t baseline_min_days; /* 10 */
	bool allow_immature;        /* false */
	uint32_t persist_k, persist_m; /* 2 of 3 (m <= 8) */
	uint32_t large_trade_size;  /* 0 = baseline p95, else 100 */
	uint32_t min_volume;        /* 0 = baseline median volume of the non-empty windows */
	uint64_t cooldown_ns;       /* 0 = the window length */
	struct rs_pat_cfg pat;      /* 50 ms, 500 ms, 60 s, 3, 3 */
	uint32_t quality_alert;     /* 80 */
	uint64_t latency_budget_ns; /* 100 us (quality latency term) */
	struct rs_session_cal cal;  /* 09:30-16:00, UTC-5, Mon-Fri */
	const struct rs_book *book; /* for rs_ifd_on_event_cb (may be NULL otherwise) */
	/* sinks (batch tools, tests); records valid only during the call */
	void *ctx;
	void (*on_pressure)(void *ctx, const struct rs_pressure *p);
	void (*on_signal)(void *ctx, const struct rs_signal *s);
	void (*on_pattern)(void *ctx, const struct rs_pattern *p);
	/* quality fell under quality_alert: instrument_id UINT32_MAX = the feed */
	void (*on_alert)(void *ctx, uint8_t feed_id, uint32_t instrument_id, uint32_t score);
};

struct rs_ifd_stats {
	uint64_t events, trades, late, dropped;    /* dropped: idx out of range */
	uint64_t windows, empty_windows;           /* published */
	uint64_t signals, suppressed_cooldown, suppressed_immature;
	uint64_t modifies;                         /* 'M' counted as cancel + add */
	uint64_t patterns[4];                      /* by RS_PAT_* */
	uint64_t alerts;
	uint64_t baseline_mismatch, session_full, flow_full;
	uint64_t session_reset;                    /* a new day began before end_session */
};

struct rs_ifd;

/* IFD.md defaults. */
void rs_ifd_cfg_default(struct rs_ifd_cfg *c);
/* The baseline geometry an engine with this cfg expects. */
void rs_ifd_geom(const struct rs_ifd_cfg *c, struct rs_bl_geom *g);

int rs_ifd_create(struct rs_ifd **out, const struct rs_ifd_cfg *cfg);
void rs_ifd_destroy(struct rs_ifd *f);
/* Publication targets; any may be NULL (batch). Owned by the caller. */
void rs_ifd_attach(struct rs_ifd *f, struct rs_bcast *pressure, struct rs_bcast *signals,
		   struct rs_seqtab *flow);
void rs_ifd_set_baseline(struct rs_ifd *f, const struct rs_baseline *bl);
/* Instrument definition (options: class 'C'/'P', strike, expiration,
 * underlying_id). Cold; call before the instrument's events. */
void rs_ifd_define(struct rs_ifd *f, const struct rs_instrument *ins);

/* One event after rs_book_apply (completed, RS_EVF_* set); idx = the
 * book's instrument index (rs_book_find). */
void rs_ifd_on_event(struct rs_ifd *f, const struct rs_event *ev, const struct rs_book *b, int idx);
/* The same as a book per-event callback: the book given in cfg.book (or
 * the last rs_ifd_on_event's). */
void rs_ifd_on_event_cb(void *f, const struct rs_event *ev, int idx);
/* Before the book applies a burst ev[0..n): remembers the resting size
 * each 'M' record replaces (looked up in b, followed through the burst).
 * O(1) per event when the burst has no 'M'; valid for the next
 * rs_ifd_on_event calls with pointers into ev[0..min(n, 4096)). */
void rs_ifd_before_book(struct rs_ifd *f, const struct rs_event *ev, unsigned n,
			const struct rs_book *b);
/* Handler clock: closes windows whose end <= now_ns, decides signals,
 * writes the flow rows that changed. */
void rs_ifd_tick(struct rs_ifd *f, uint64_t now_ns);
/* Forget every instrument (the book was reset: indices are reassigned)
 * and the open windows; the next event re-aligns them. Call after
 * rs_ifd_end_session. Baseline, feed scores and stats are kept. Cold. */
void rs_ifd_reset(struct rs_ifd *f);
/* Report pending sweep runs (end of a file). */
void rs_ifd_flush(struct rs_ifd *f);
/* Feed health (cumulative counts), about once a second. */
void rs_ifd_feed_quality(struct rs_ifd *f, uint8_t feed_id, const struct rs_feed_health *h);

/* 1 once the clock passed the close of the session being collected. */
int rs_ifd_session_over(const struct rs_ifd *f);
/* Date (yyyymmdd) of the session being collected, 0 none. */
uint32_t rs_ifd_session_date(const struct rs_ifd *f);
/* Add the collected session to bl (cold, allocates), then start a new
 * session (collectors, traded flags, persistence history reset). Returns
 * the number of instruments added or -errno. bl's geometry must match. */
int rs_ifd_end_session(struct rs_ifd *f, struct rs_baseline *bl);

const struct rs_ifd_stats *rs_ifd_stats(const struct rs_ifd *f);
/* Current quality score of a feed / of an instrument (book idx). */
uint32_t rs_ifd_feed_score(const struct rs_ifd *f, uint8_t feed_id);
uint32_t rs_ifd_inst_score(const struct rs_ifd *f, int idx);
/* Flow row of an instrument (book idx) as last published, NULL if unseen. */
const struct rs_flow *rs_ifd_flow(const struct rs_ifd *f, int idx);

/* Decision helpers (exposed for tests). */
double rs_ifd_logistic(double x);
uint8_t rs_ifd_strength(double confidence);

#endif
