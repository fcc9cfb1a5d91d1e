/*
 * rs_pipeline.h - the rx stage and the rx -> handler link (HOT loops,
 * cold set-up).
 *
 *   drivers (line A, B) ─rx_burst─▶ rs_arb (per feed: first copy wins,
 *   sequence, reorder buffer, gaps) ─deliver─▶ rs_itch_decode ─▶ events
 *       ▲                  │ gap ranges                           │
 *       │ retransmitted    ▼                                      ▼
 *       └──── pkt vring ◀─ recovery thread ◀── req vring     inline: rs_handler_process()
 *                          (controlplane/rs_recovery)        pipeline: SPSC ring -> handler core
 *
 * One rs_rx serves every feed on one thread. The events of one loop are
 * collected in a local burst (with an RS_HREC_MARK record carrying the rx
 * TSC first, and stale/reset control records where the arbiter raised
 * them) and then either processed in place by the handler (inline mode:
 * same code path, one core) or enqueued on the handler's SPSC ring
 * (pipeline mode; when the ring is full the rx thread waits and counts
 * it: nothing is dropped after arbitration).
 *
 * Recovery link per feed (struct rs_rlink): two SPSC variable-record rings
 * in ordinary memory. The rx thread writes gap requests (RS_RLINK_REQ,
 * struct rs_rlink_req) and never makes the system call itself; the
 * recovery thread sends them, and writes every retransmitted datagram back
 * (RS_RLINK_PKT, the UDP payload), which the rx thread feeds to the
 * arbiter as line RS_ARB_LINE_RECOVERY.
 */
#ifndef RS_PIPELINE_H
#define RS_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/rs_arb.h"
#include "dataplane/rs_handler.h"
#include "dataplane/rs_lat.h"
#include "shm/rs_ring.h"
#include "shm/rs_vring.h"

struct rs_drv;
struct rs_instdir;

#define RS_RX_MAX_FEEDS 8
#define RS_RX_BURST 32

/* ---- recovery link --------------------------------------------------- */

#define RS_RLINK_REQ 1u
#define RS_RLINK_PKT 2u

struct rs_rlink_req {
	uint8_t session[RS_MOLDUDP_SESSION_LEN];
	uint16_t feed;
	uint32_t pad;
	uint64_t seq;
	uint64_t count;
};

struct rs_rlink {
	struct rs_vring req_tx, req_rx; /* rx thread -> recovery thread */
	struct rs_vring pkt_tx, pkt_rx; /* recovery thread -> rx thread */
	void *mem;
};

/* bytes: capacity of each ring (power of two, >= 64 KiB recommended). */
int rs_rlink_create(struct rs_rlink **out, uint32_t bytes);
void rs_rlink_destroy(struct rs_rlink *l);

/* ---- rx stage -------------------------------------------------------- */

struct rs_rx_line_ctr {
	_Atomic uint64_t *packets, *bytes, *messages, *duplicates, *discarded, *drops, *last_rx_ns;
};

struct rs_rx_feed_cfg {
	uint32_t nlines;                   /* 1 or 2 */
	struct rs_drv *drv[RS_ARB_MAX_LINES];
	uint64_t gap_timeout_ns, deadline_ns;
	uint64_t overflow_deadline_ns;     /* see rs_arb_cfg (0 = off) */
	uint8_t session[RS_MOLDUDP_SESSION_LEN]; /* all zero = learn */
	uint32_t hold_pkts;                /* reorder buffer, default 4096 */
	struct rs_rlink *link;             /* NULL = no recovery server */
	/* counters (any may be NULL); line[RS_ARB_LINE_RECOVERY] = retransmissions */
	struct rs_rx_line_ctr line[RS_ARB_NLINE_STATS];
	_Atomic uint64_t *c_messages, *c_gaps, *c_gap_messages, *c_recovered, *c_unrecovered,
		*c_late, *c_gaps_open, *c_next_seq, *c_state, *c_hold_overflow, *c_bad;
};

struct rs_rx_cfg {
	uint32_t nfeeds;
	struct rs_rx_feed_cfg feed[RS_RX_MAX_FEEDS];
	struct rs_instdir *dir;            /* instrument directory filled by the decoders */
	int year, month, day;              /* session date for ITCH timestamps */
	const struct rs_lat_clock *clock;
	struct rs_handler *inline_handler; /* inline mode: process here */
	struct rs_ring *out;               /* pipeline mode: producer handle of the handler ring */
	_Atomic uint64_t *c_loops, *c_busy, *c_ring_full;
};

struct rs_rx;

int rs_rx_create(struct rs_rx **out, const struct rs_rx_cfg *cfg);
void rs_rx_destroy(struct rs_rx *rx);

/* One iteration of the rx loop: every line, retransmissions, timers;
 * returns the messages delivered. */
uint32_t rs_rx_poll(struct rs_rx *rx);

/* Copy the statistics into the shared-memory counters (also done every
 * millisecond by rs_rx_poll). */
void rs_rx_sync(struct rs_rx *rx);

/* Reload: new timeouts for a feed (ns). Call on the rx thread or while it
 * is stopped... or through rs_rx_request_timeouts() from any thread. */
void rs_rx_request_timeouts(struct rs_rx *rx, uint32_t feed, uint64_t gap_timeout_ns,
			    uint64_t deadline_ns);

/* Reconnect support (COLD, only while the rx thread is paused): make drv
 * (may be NULL: line down) line `line` of feed `feed` and return the
 * previous driver for the caller to destroy; the line's published packet,
 * byte and drop totals continue from the old driver's. */
struct rs_drv *rs_rx_swap_driver(struct rs_rx *rx, uint32_t feed, uint32_t line, struct rs_drv *drv);

/* Statistics of feed f's arbiter (rx thread, or after it stopped). */
const struct rs_arb_stats *rs_rx_arb_stats(const struct rs_rx *rx, uint32_t feed);

/* Pipeline mode, handler side: dequeue up to one burst from `in` and
 * process it; returns the records handled. */
uint32_t rs_pipe_handler_poll(struct rs_handler *h, struct rs_ring *in);

#endif /* RS_PIPELINE_H */
