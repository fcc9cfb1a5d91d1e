/*
 * rs_arb.h - A/B line arbitration and MoldUDP64 sequence/gap tracking for
 * one feed (HOT: the rx core; set-up cold).
 *
 * Every MoldUDP64 packet of a feed, from any line (A, B, or the recovery
 * "line" that carries retransmissions), goes through rs_arb_rx(). The
 * arbiter delivers each message exactly once and strictly in sequence
 * order through the deliver callback:
 *
 *   packet [s, s+n) on line L, expected sequence `next`:
 *     s+n <= next       all duplicates: counted on L (dups), not delivered
 *     s <= next < s+n   messages next..s+n-1 delivered (the first next-s are
 *                       duplicates), next = s+n, then held packets drained
 *     s > next          ahead of a gap: copied into the reorder buffer
 *                       (bounded, preallocated, sorted by sequence) while
 *                       another line may fill [next, s)
 *
 *   held:  next                first held       ...
 *           |<---- gap ---->|[s1, e1)  [s2, e2) ...
 *
 * A gap is "seen on all lines" when every line of the feed has received a
 * packet (or heartbeat / end of session) beyond its start, when the feed
 * has a single line, when the reorder buffer overflowed (waiting longer
 * cannot help), or after cfg.gap_timeout. It is then handed to the
 * request callback ONCE (the recovery thread retries and rate-limits; the
 * dataplane never sends) and the feed turns stale: callback
 * RS_ARB_EV_STALE_ON. When the gap closes (by a retransmission or a late
 * copy) and no other requested gap is open the feed is fresh again
 * (RS_ARB_EV_STALE_OFF). After cfg.deadline without the missing messages
 * (or cfg.overflow_deadline while the reorder buffer is full, so an
 * overloaded feed does not stall for the whole deadline while everything
 * behind the gap is dropped) the gap is skipped: its messages counted as
 * unrecovered, delivery resumes
 * after it, and the feed stays stale (RS_ARB_EV_UNRECOVERED) until a new
 * session starts (RS_ARB_EV_SESSION: a different MoldUDP64 session name
 * resets the sequence to 1, drops what is held and clears the stale mark).
 *
 * Heartbeats (count 0) and end of session (count 0xFFFF) carry the next
 * expected sequence number: they advance the line's high-water mark, so a
 * loss of the last packets before a quiet period or the end is detected.
 *
 * Times: `now` is in any monotonic unit (the daemon passes raw TSC ticks);
 * gap_timeout and deadline are in the same unit.
 *
 * Threading: one arbiter per feed, owned by one thread. No allocation,
 * lock or system call after rs_arb_create().
 */
#ifndef RS_ARB_H
#define RS_ARB_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/rs_moldudp.h"

#define RS_ARB_MAX_LINES 2
#define RS_ARB_LINE_RECOVERY RS_ARB_MAX_LINES /* line id of retransmitted packets */
#define RS_ARB_NLINE_STATS (RS_ARB_MAX_LINES + 1)

/* Delivery flags (deliver callback). */
#define RS_ARB_F_RECOVERED 0x1u /* came from a retransmission */
#define RS_ARB_F_STALE     0x2u /* the feed is stale (a gap is being recovered or was lost) */

/* Feed events (event callback). */
enum rs_arb_ev {
	RS_ARB_EV_STALE_ON = 1, /* a requested gap is open: arg = first missing seq */
	RS_ARB_EV_STALE_OFF,    /* every requested gap closed and nothing was lost */
	RS_ARB_EV_UNRECOVERED,  /* gap skipped at the deadline: arg = messages lost */
	RS_ARB_EV_SESSION,      /* a new session started (reset books): arg = 0 */
	RS_ARB_EV_EOS,          /* end of session seen: arg = its next sequence */
};

/* One message, in sequence order. msg points into the packet (or the
 * reorder buffer): valid only during the call. */
typedef void (*rs_arb_deliver_fn)(void *ctx, const uint8_t *msg, uint32_t len, uint64_t seq,
				  uint32_t line, uint32_t flags, uint64_t ts);
/* Ask for [seq, seq+count) of `session` (10 bytes) to be retransmitted. */
typedef void (*rs_arb_request_fn)(void *ctx, const uint8_t *session, uint64_t seq, uint64_t count);
typedef void (*rs_arb_event_fn)(void *ctx, enum rs_arb_ev ev, uint64_t arg);

struct rs_arb_cfg {
	uint32_t nlines;         /* 1 or 2 */
	uint32_t hold_pkts;      /* reorder buffer packets (default 4096) */
	uint32_t hold_bytes;     /* max bytes of one held packet (default 2048) */
	uint64_t gap_timeout;    /* request after this even if a line has not seen past the gap */
	uint64_t deadline;       /* skip a gap this long after it was detected */
	uint64_t overflow_deadline; /* ... or this long after it was detected while the reorder
	                               buffer is full (live data is being lost meanwhile:
	                               prefer the stream to the gap); 0 = only `deadline` */
	uint8_t session[RS_MOLDUDP_SESSION_LEN]; /* expected session; all zero = learn */
	bool join_at_first;      /* first packet sets `next` (default: start at sequence 1) */
	rs_arb_deliver_fn deliver;
	rs_arb_request_fn request; /* may be NULL (no recovery: gaps wait for the deadline) */
	rs_arb_event_fn event;     /* may be NULL */
	void *ctx;
};

/* Per line (index RS_ARB_LINE_RECOVERY = retransmissions). Plain fields,
 * one writer; the daemon copies them into shared-memory counters. */
struct rs_arb_line_stats {
	uint64_t packets;        /* valid MoldUDP64 packets (control included) */
	uint64_t messages;       /* messages in them */
	uint64_t delivered;      /* of which delivered from this line */
	uint64_t duplicates;     /* of which dropped as already delivered */
	uint64_t discarded;      /* of which dropped ahead of a gap: reorder buffer full
				    (delivered later from another line or retransmission) */
	uint64_t held;           /* packets parked in the reorder buffer */
	uint64_t hi;             /* highest sequence + 1 seen on this line */
	uint64_t last_rx;        /* `now` of the last packet */
};

struct rs_arb_stats {
	uint64_t next;           /* next expected sequence number */
	uint64_t delivered;      /* messages delivered in sequence */
	uint64_t gaps;           /* gaps requested (seen on all lines) */
	uint64_t gap_messages;   /* messages missing in them when requested */
	uint64_t requests;       /* request callbacks (a gap can grow: more than gaps) */
	uint64_t recovered;      /* messages delivered from retransmissions */
	uint64_t late_filled;    /* messages of requested gaps that a line delivered late */
	uint64_t unrecovered;    /* messages skipped at the deadline */
	uint64_t hold_overflow;  /* packets ahead of a gap dropped: reorder buffer full/too big */
	uint64_t bad_packets;    /* rejected by rs_moldudp_parse */
	uint64_t wrong_session;  /* packets of another session than the configured one */
	uint64_t sessions;       /* sessions started */
	uint64_t eos;            /* end-of-session packets */
	uint64_t heartbeats;
	uint32_t gaps_open;      /* 0 or 1: the front gap is requested and open */
	uint32_t stale;          /* 1 while stale */
	uint32_t unrec_stale;    /* 1 once a gap was lost in this session */
	uint32_t nheld;          /* packets held now */
	struct rs_arb_line_stats line[RS_ARB_NLINE_STATS];
};

struct rs_arb;

/* Allocate an arbiter (cold). 0 or -EINVAL / -ENOMEM (rs_err_msg()). */
int rs_arb_create(struct rs_arb **out, const struct rs_arb_cfg *cfg);
void rs_arb_destroy(struct rs_arb *a);

/* One received UDP payload from line `line` (0..nlines-1, or
 * RS_ARB_LINE_RECOVERY). ts is handed to deliver (rx timestamp), now is
 * the arbiter's clock. Returns the number of messages delivered (held
 * packets drained included). */
uint32_t rs_arb_rx(struct rs_arb *a, const uint8_t *data, uint32_t len, uint32_t line, uint64_t ts,
		   uint64_t now);

/* Timers: request a gap after gap_timeout, skip it after the deadline.
 * Call every few microseconds to milliseconds (the rx loop does, when
 * rs_arb_gap_pending() says a gap is open). Returns messages delivered. */
uint32_t rs_arb_poll(struct rs_arb *a, uint64_t now);

/* true while a gap is open (requested or not). */
bool rs_arb_gap_pending(const struct rs_arb *a);

/* Update the timeouts (SIGHUP reload). */
void rs_arb_set_timeouts(struct rs_arb *a, uint64_t gap_timeout, uint64_t deadline);

/* Current session (10 bytes; all zero before the first packet). */
const uint8_t *rs_arb_session(const struct rs_arb *a);

const struct rs_arb_stats *rs_arb_stats(const struct rs_arb *a);

#endif /* RS_ARB_H */
