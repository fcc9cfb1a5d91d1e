/*
 * rs_recovery.h - MoldUDP64 gap recovery client (COLD: one control-plane
 * thread for every feed; never runs on a dataplane core).
 *
 *   rx thread ──req vring──▶ recovery thread ──UDP request──▶ re-request server
 *   rx thread ◀──pkt vring── recovery thread ◀──UDP packets── (unicast answers)
 *
 * A gap [seq, seq+count) arriving from the rx thread (struct rs_rlink_req)
 * is split into requests of at most max_messages. Each request is sent
 * when the feed's token bucket (rate requests/s, burst rate/10 + 1) allows,
 * re-sent every `timeout` until answered, at most 1 + retries times, and
 * abandoned `deadline` after the gap arrived (logged loudly: "feed F: gap
 * [a, b) unrecoverable"; the rx thread's arbiter skips it at its own
 * deadline and marks the feed stale). Answers are whatever downstream
 * packets the server sends back on the request socket: each is handed to
 * the rx thread unchanged, and the part of a pending request it covers is
 * considered served. Requests below the feed's next expected sequence
 * (the rs_feed_next_seq counter: filled meanwhile by a line) are dropped.
 */
#ifndef RS_RECOVERY_H
#define RS_RECOVERY_H

#include <stdatomic.h>
#include <stdint.h>

#include "dataplane/rs_pipeline.h"

#define RS_RECOVERY_MAX_FEEDS RS_RX_MAX_FEEDS

struct rs_recovery_feed_cfg {
	char name[32];
	char server[128];              /* "host:port" of the re-request server */
	uint32_t max_messages;         /* per request (<= 65534), default 1000 */
	uint32_t rate;                 /* requests/s, default 200 */
	uint32_t retries;              /* re-sends after the first, default 5 */
	uint64_t timeout_ns;           /* wait before re-sending, default 100 ms */
	uint64_t deadline_ns;          /* give up, default 2 s */
	struct rs_rlink *link;
	const _Atomic uint64_t *next_seq; /* the feed's next expected sequence (may be NULL) */
	_Atomic uint64_t *c_requests;  /* rs_feed_requests_total (may be NULL) */
};

struct rs_recovery_cfg {
	uint32_t nfeeds;
	struct rs_recovery_feed_cfg feed[RS_RECOVERY_MAX_FEEDS];
	int cpu;                       /* pin the thread (-1 = no) */
};

struct rs_recovery_stats {
	uint64_t gaps;                 /* gap ranges received from the rx thread */
	uint64_t requests;             /* request datagrams sent (re-sends included) */
	uint64_t resends;
	uint64_t rate_limited;         /* times a due request waited for a token */
	uint64_t answered;             /* downstream packets received */
	uint64_t answered_msgs;
	uint64_t expired;              /* requests abandoned at the deadline */
	uint64_t expired_msgs;
	uint64_t dropped_below_next;   /* requests no longer needed */
	uint64_t link_full;            /* answers lost: the packet ring was full */
	uint64_t pending;              /* requests waiting now */
};

struct rs_recovery;

/* Resolve the servers, open one UDP socket per feed with a server, start
 * the thread. 0 or -errno (rs_err_msg()). */
int rs_recovery_start(struct rs_recovery **out, const struct rs_recovery_cfg *cfg);
/* Stop the thread, close the sockets, free r (NULL is fine). */
void rs_recovery_stop(struct rs_recovery *r);
/* Reload (any thread): new rate, timeout, retries, deadline for a feed. */
void rs_recovery_set_params(struct rs_recovery *r, uint32_t feed, uint32_t rate, uint64_t timeout_ns,
			    uint32_t retries, uint64_t deadline_ns);
/* Consistent snapshot of one feed's statistics (any thread). */
void rs_recovery_get_stats(struct rs_recovery *r, uint32_t feed, struct rs_recovery_stats *out);

#endif /* RS_RECOVERY_H */
