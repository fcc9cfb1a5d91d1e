/*
 * rs_quality.h - feed quality score, 0..100, per feed and per instrument
 * (COLD-ish: evaluated about once a second by rs_ifd_feed_quality).
 *
 * Inputs are the deltas since the previous evaluation:
 *   feed:        messages, messages lost in gaps, duplicates,
 *                out-of-order, stale (unrecovered gap outstanding),
 *                rx latency p99 against a budget;
 *   instrument:  crossed/locked boundaries, book rejects (unknown ids,
 *                duplicate adds, bad sizes/prices/sides), stale events.
 *
 *   feed score = 100 - min(40, 4000 * lost/messages)      1 % lost   -> -40
 *                    - min(10, 1000 * dups/messages)      1 % dups   -> -10
 *                    - min(10, 1000 * ooo/messages)       1 % o-o-o  -> -10
 *                    - 30 if stale
 *                    - min(10, 10 * (p99/budget - 1)) if p99 > budget
 *   instrument score = min(feed score,
 *                    100 - min(20, 2 * crossed_or_locked)
 *                        - min(20, 2 * rejects) - 30 if stale events)
 * clamped at 0 and rounded to the nearest integer.
 */
#ifndef RS_QUALITY_H
#define RS_QUALITY_H

#include <stdint.h>

/* Cumulative counts from the rx side of one feed (monotonic). */
struct rs_feed_health {
	uint64_t messages;          /* messages received (sequenced) */
	uint64_t gaps;              /* gaps detected */
	uint64_t gap_messages;      /* messages lost in gaps (not recovered) */
	uint64_t duplicates;
	uint64_t out_of_order;
	uint32_t stale;             /* 1 while an unrecovered gap is outstanding */
	uint32_t reserved;
	uint64_t latency_p99_ns;    /* rx latency p99 over the last interval, 0 unknown */
};

struct rs_quality_delta {
	uint64_t messages, lost, dups, ooo;
	int stale;
	uint64_t p99_ns, budget_ns;
};

uint32_t rs_quality_feed_score(const struct rs_quality_delta *d);
uint32_t rs_quality_inst_score(uint32_t feed_score, uint64_t crossed, uint64_t rejects, int stale);

#endif
