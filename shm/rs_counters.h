/*
 * rs_counters.h - named 64-bit counters in shared memory, like Aeron's
 * counters file: a metadata area (state, type, key, label) written at
 * allocation, and a values area with one counter per 128-byte block so
 * counters of different cores never share (or prefetch-pair) a line.
 * Layout: struct rs_counters_layout in rs_layout.h.
 *
 * COLD: footprint/init/attach, rs_counters_alloc/free/find/foreach (any
 * thread of the owning process; allocation is lock-free (CAS on the slot
 * state) so control-plane threads may allocate concurrently).
 * HOT: rs_counters_add/inc/set on a counter's value pointer by the ONE
 * thread that owns it (relaxed load + relaxed store: no locked
 * instruction); rs_counters_add_shared for counters several threads bump
 * (atomic fetch-add); rs_counters_get from anywhere (relaxed load).
 *
 *   struct rs_counters c;  rs_counters_init(&c, mem, len, 1024);
 *   int id = rs_counters_alloc(&c, RS_COUNTER_TYPE_COUNTER, 0,
 *                              "rs_feed_packets_total{feed=\"nasdaq-a\"}");
 *   _Atomic uint64_t *pkts = rs_counters_value(&c, id);
 *   rs_counters_inc(pkts);                 on the owning core
 */
#ifndef RS_COUNTERS_H
#define RS_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rs_layout.h"

/* rs_counter_meta.type (values >= 0x100 are free for users). */
#define RS_COUNTER_TYPE_COUNTER 1u /* monotonic (Prometheus counter, *_total) */
#define RS_COUNTER_TYPE_GAUGE   2u /* can go up and down */
#define RS_COUNTER_TYPE_HEARTBEAT 3u /* timestamp, ns */

#define RS_COUNTERS_MAX_CAPACITY (1u << 20)

struct rs_counters {
	struct rs_counters_layout *l;
	struct rs_counter_meta *meta;
	struct rs_counter_value *values;
	uint32_t capacity;
	uint32_t pad;
};

/* A counter as listed by rs_counters_foreach (copies, valid during the
 * callback only). */
struct rs_counter_info {
	int32_t id;
	uint32_t type;
	uint64_t key;
	uint64_t value;
	const char *label;
};
typedef int (*rs_counters_fn)(void *ctx, const struct rs_counter_info *info);

/* Bytes for capacity counters (1..RS_COUNTERS_MAX_CAPACITY); 0 if invalid. */
size_t rs_counters_footprint(uint32_t capacity);
/* Create an empty block. Errors: -EINVAL, -EMSGSIZE (len too small). */
int rs_counters_init(struct rs_counters *c, void *mem, size_t len, uint32_t capacity);
/* Attach (reader such as the CLI, or the owner resuming). Errors: -EPROTO
 * (magic, kind, layout major), -EINVAL (inconsistent header), -EMSGSIZE
 * (truncated). */
int rs_counters_attach(struct rs_counters *c, void *mem, size_t len);

/* Allocate a counter, value 0. label: 1..RS_COUNTER_LABEL_MAX-1 bytes.
 * Returns its id (>= 0), -EINVAL (bad label) or -ENOSPC (full). Labels
 * need not be unique (rs_counters_find returns the first). */
int rs_counters_alloc(struct rs_counters *c, uint32_t type, uint64_t key, const char *label);
/* Free id (its slot may be reused). Returns 0 or -EINVAL (not allocated). */
int rs_counters_free(struct rs_counters *c, int32_t id);
/* Id of the first allocated counter with this label, or -ENOENT. */
int rs_counters_find(const struct rs_counters *c, const char *label);
/* Call fn for every allocated counter in id order; stops early and
 * returns fn's value when it is non-zero; else returns 0. */
int rs_counters_foreach(const struct rs_counters *c, rs_counters_fn fn, void *ctx);
/* Number of allocated counters. */
uint32_t rs_counters_count(const struct rs_counters *c);

/* Value cell of counter id (id < capacity; not checked on this hot path). */
static inline _Atomic uint64_t *rs_counters_value(const struct rs_counters *c, int32_t id)
{
	return &c->values[id].value;
}

/* Owner thread only: value += n. Relaxed: the value carries no other data,
 * and readers only need a recent, untorn 64-bit value (pairs with the
 * relaxed load in rs_counters_get). */
static inline void rs_counters_add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n, memory_order_relaxed);
}

static inline void rs_counters_inc(_Atomic uint64_t *v)
{
	rs_counters_add(v, 1);
}

/* Owner thread only: value = x (gauges, heartbeats). Relaxed (see add). */
static inline void rs_counters_set(_Atomic uint64_t *v, uint64_t x)
{
	atomic_store_explicit(v, x, memory_order_relaxed);
}

/* Any thread: value += n atomically (several writers). */
static inline void rs_counters_add_shared(_Atomic uint64_t *v, uint64_t n)
{
	atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

/* Anyone: the current value (relaxed; pairs with the owner's relaxed store). */
static inline uint64_t rs_counters_get(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

#endif /* RS_COUNTERS_H */
