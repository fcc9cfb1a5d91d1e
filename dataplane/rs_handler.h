/*
 * rs_handler.h - the handler stage (HOT: a pinned handler core, or the rx
 * core in inline mode; set-up cold).
 *
 * Input: normalized events in sequence order, as produced by the rx stage
 * (rs_pipeline.h), interleaved with control records (RS_HREC_*) that the
 * rx stage emits in band so that they take effect at the right point of
 * the stream:
 *
 *   rx stage ──[marker(rx tsc) ev ev ev ... stale(feed,on) ... reset(feed)]──▶ handler
 *
 * Per run of events: rs_book_apply_burst(), then for each event the hook
 * table's on_event (analytics, IFD...) after the book applied it, then the
 * event is written to the instance's broadcast ring; at the end of a
 * process call rs_book_publish() writes the BBO/MBP-N rows of every changed
 * instrument (stale feeds' instruments flagged RS_INSTF_STALE) and the
 * latency rx -> publication of every event is recorded in the handler's
 * histogram. rs_handler_poll() calls the hooks' on_tick at least every
 * millisecond.
 *
 * Nothing here allocates, locks or makes a system call after
 * rs_handler_create().
 */
#ifndef RS_HANDLER_H
#define RS_HANDLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/rs_book.h"
#include "dataplane/rs_lat.h"
#include "ringside.h"

struct rs_bcast;
struct rs_seqtab;

/* Control records: struct rs_event with hd.rtype == RS_HREC_RTYPE and
 * mbo.action = one of these; feed in feed_id. */
#define RS_HREC_RTYPE  0xF0u
#define RS_HREC_MARK   'M' /* mbo.ts_recv = rx TSC of the events that follow */
#define RS_HREC_STALE  'S' /* mbo.size = 1 stale, 0 fresh */
#define RS_HREC_RESET  'R' /* new session: forget the feed's books */

/*
 * Plug-in stage run on the handler core (analytics, IFD, ...). ev and b are
 * borrowed, valid only during the call; idx is the book's instrument index
 * (-1 if the book holds no such instrument). Any member may be NULL.
 * amend_bbo runs inside rs_book_publish() before a BBO row is written.
 */
struct rs_handler_hook {
	void *ctx;
	void (*on_event)(void *ctx, const struct rs_event *ev, const struct rs_book *b, int idx);
	void (*on_tick)(void *ctx, uint64_t now_ns);
	void (*amend_bbo)(void *ctx, uint32_t idx, struct rs_bbo *bbo);
	/* before the book applies ev[0..n) (the book as it stands before the
	 * burst, e.g. to read the sizes a modify replaces); may be NULL */
	void (*before_burst)(void *ctx, const struct rs_event *ev, unsigned n, const struct rs_book *b);
};

#define RS_HANDLER_MAX_HOOKS 4
#define RS_HANDLER_MAX_FEEDS 8

struct rs_handler_cfg {
	struct rs_book_cfg book;
	struct rs_bcast *events;          /* broadcast ring writer, may be NULL */
	struct rs_seqtab *bbo, *depth;    /* publication tables, may be NULL */
	struct rs_latency_hist *lat;      /* rx (TSC at the rx burst) -> publication, may be NULL */
	struct rs_latency_hist *lat_wire; /* packet timestamp (ts_recv: kernel/NIC rx time,
	                                     CLOCK_REALTIME) -> publication: includes the time a
	                                     packet waited in the socket/ring before the rx burst
	                                     (no coordinated omission); may be NULL */
	const struct rs_lat_clock *clock;
	/* counters (may be NULL) */
	_Atomic uint64_t *c_events, *c_rejected, *c_orders_live, *c_stale_inst[RS_HANDLER_MAX_FEEDS];
	_Atomic uint64_t *c_bcast_overwrites;
	uint32_t event_slots;             /* capacity of the broadcast ring (overwrite count) */
};

struct rs_handler;

int rs_handler_create(struct rs_handler **out, const struct rs_handler_cfg *cfg);
void rs_handler_destroy(struct rs_handler *h);

/* Add a hook (cold, before the stage runs). -ENOSPC when the table is full. */
int rs_handler_add_hook(struct rs_handler *h, const struct rs_handler_hook *hook);

/* Process n records (events and control records, see above) in order; the
 * events are completed in place by the book. Returns the events processed. */
uint32_t rs_handler_process(struct rs_handler *h, struct rs_event *ev, uint32_t n);

/* Timers: on_tick hooks (>= every ms), counter refresh. now = rs_tsc(). */
void rs_handler_poll(struct rs_handler *h, uint64_t now);
/* Copy the statistics into the shared-memory counters now. */
void rs_handler_sync(struct rs_handler *h);

struct rs_book *rs_handler_book(struct rs_handler *h);
/* Is the feed stale now (for tests)? */
bool rs_handler_feed_stale(const struct rs_handler *h, uint32_t feed);

/* Helpers for the producer of control records. */
static inline void rs_handler_ctl_rec(struct rs_event *e, char kind, uint8_t feed, uint64_t arg)
{
	memset(e, 0, sizeof(*e));
	e->mbo.hd.rtype = RS_HREC_RTYPE;
	e->mbo.action = kind;
	e->feed_id = feed;
	if (kind == RS_HREC_MARK)
		e->mbo.ts_recv = arg;
	else
		e->mbo.size = (uint32_t)arg;
}

#endif /* RS_HANDLER_H */
