/*
 * rs_ring.h - single-producer single-consumer ring of 64-byte records
 * (struct rs_event) in shared memory. Layout: struct rs_ring_layout in
 * rs_layout.h.
 *
 * HOT: rs_ring_reserve/commit (producer), rs_ring_peek/release (consumer)
 * and the copying burst helpers are static inline, make no system calls and
 * never block. COLD: rs_ring_footprint/init/attach.
 *
 * struct rs_ring is a process-local handle: pointers into the shared layout
 * plus the side's own position and a cached copy of the opposite index
 * (the producer caches the consumer position, the consumer caches the
 * producer position), so the opposite side's cache line is read only when
 * the cached value says the ring looks full (producer) or empty (consumer).
 * Use one handle per side, owned by one thread.
 *
 * Producer:                          Consumer:
 *   uint64_t pos;                      uint64_t pos;
 *   n = rs_ring_reserve(r, 32, &pos);  n = rs_ring_peek(r, 32, &pos);
 *   for (i = 0; i < n; i++)            for (i = 0; i < n; i++)
 *       fill(rs_ring_slot(r, pos+i));      use(rs_ring_slot(r, pos+i));
 *   rs_ring_commit(r, n);              rs_ring_release(r, n);
 *
 * Positions are monotonic uint64 record numbers; rs_ring_slot() masks them,
 * so a burst that wraps past the end of the slot array needs no special
 * handling. rs_ring_reserve_contig/peek_contig instead return a pointer to
 * at most the records that are contiguous in memory (for memcpy-style use).
 */
#ifndef RS_RING_H
#define RS_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rs_layout.h"

#define RS_RING_REC_SIZE 64u
#define RS_RING_MIN_CAPACITY 2u
#define RS_RING_MAX_CAPACITY (1u << 30)

/* Process-local handle (not in shared memory). */
struct rs_ring {
	struct rs_ring_layout *l;
	struct rs_event *slots;
	_Atomic uint64_t *prod;  /* &l->prod.pos */
	_Atomic uint64_t *cons;  /* &l->cons.pos */
	uint32_t capacity;
	uint32_t mask;
	/* this side's state (a handle is used either as producer or consumer) */
	uint64_t pos;            /* producer: committed; consumer: released */
	uint64_t limit;          /* producer: cached cons + capacity;
	                            consumer: cached prod */
};

/* Bytes needed for a ring of `capacity` records (power of two in
 * [RS_RING_MIN_CAPACITY, RS_RING_MAX_CAPACITY]); 0 if capacity is invalid. */
size_t rs_ring_footprint(uint32_t capacity);

/* Producer/creator: lay out an empty ring in mem (64-byte aligned, len >=
 * footprint) and set up handle r for the producer side. The object's magic
 * is stored last with release ordering. Returns 0, -EINVAL (capacity not a
 * power of two, mem misaligned or NULL) or -EMSGSIZE (len too small). */
int rs_ring_init(struct rs_ring *r, void *mem, size_t len, uint32_t capacity);

/* Attach to an existing ring in mem (len bytes mapped) and set up r for the
 * consumer side (starting at the current consumer position). Use
 * rs_ring_attach_producer() to resume as producer. Returns 0, -EPROTO (bad
 * magic, wrong kind or layout major), -EINVAL (inconsistent sizes or
 * capacity, misaligned mem) or -EMSGSIZE (object larger than len:
 * truncated). Errors are described with RS_ERR_SET (rs_err.h). */
int rs_ring_attach(struct rs_ring *r, void *mem, size_t len);
int rs_ring_attach_producer(struct rs_ring *r, void *mem, size_t len);

/* Internal, shared by rs_ring.c, rs_vring.c, rs_bcast.c, rs_seqtab.c,
 * rs_counters.c: fill an object header (magic not yet stored) / publish it
 * (magic stored with release) / validate one found in memory (checks
 * alignment, length, magic, kind, layout major, hdr_size and footprint
 * against len; sets the thread's error message). */
int rs__obj_prepare(void *mem, size_t len, size_t footprint, const char *what);
void rs__obj_fill(struct rs_obj_hdr *h, uint32_t kind, uint32_t hdr_size, uint64_t footprint,
		  uint32_t capacity, uint32_t rec_size, uint32_t param);
void rs__obj_publish(struct rs_obj_hdr *h);
int rs__obj_check(const void *mem, size_t len, uint32_t kind, uint32_t hdr_size, const char *what);

/* Record at position pos (any position; masked). */
static inline struct rs_event *rs_ring_slot(const struct rs_ring *r, uint64_t pos)
{
	return &r->slots[pos & r->mask];
}

/* Producer: reserve up to max records starting at *pos (= the next
 * uncommitted position). Returns how many are free (0 = full). The records
 * may wrap around the array end; address them with rs_ring_slot(). Nothing
 * is visible to the consumer until rs_ring_commit(). */
static inline uint32_t rs_ring_reserve(struct rs_ring *r, uint32_t max, uint64_t *pos)
{
	uint64_t free = r->limit - r->pos;

	if (free < max) {
		/* acquire pairs with the consumer's release store in
		 * rs_ring_release(): its reads of the slots we are about to
		 * overwrite happened before. */
		r->limit = atomic_load_explicit(r->cons, memory_order_acquire) + r->capacity;
		free = r->limit - r->pos;
	}
	*pos = r->pos;
	return free < max ? (uint32_t)free : max;
}

/* Producer: like rs_ring_reserve but limited to records contiguous in
 * memory (stops at the array end); *recs points at the first. */
static inline uint32_t rs_ring_reserve_contig(struct rs_ring *r, uint32_t max, struct rs_event **recs)
{
	uint64_t pos;
	uint32_t n = rs_ring_reserve(r, max, &pos);
	uint32_t to_end = r->capacity - (uint32_t)(pos & r->mask);

	*recs = &r->slots[pos & r->mask];
	return n < to_end ? n : to_end;
}

/* Producer: publish the first n reserved records (n <= last reserve). */
static inline void rs_ring_commit(struct rs_ring *r, uint32_t n)
{
	r->pos += n;
	/* release pairs with the consumer's acquire load in rs_ring_peek():
	 * the record contents are visible before the new position. */
	atomic_store_explicit(r->prod, r->pos, memory_order_release);
}

/* Consumer: up to max readable records starting at *pos. Returns how many
 * (0 = empty). Records stay valid until rs_ring_release(). */
static inline uint32_t rs_ring_peek(struct rs_ring *r, uint32_t max, uint64_t *pos)
{
	uint64_t avail = r->limit - r->pos;

	if (avail < max) {
		/* acquire pairs with the producer's release store in
		 * rs_ring_commit(): record contents are visible. */
		r->limit = atomic_load_explicit(r->prod, memory_order_acquire);
		avail = r->limit - r->pos;
	}
	*pos = r->pos;
	return avail < max ? (uint32_t)avail : max;
}

/* Consumer: like rs_ring_peek but limited to records contiguous in memory. */
static inline uint32_t rs_ring_peek_contig(struct rs_ring *r, uint32_t max, const struct rs_event **recs)
{
	uint64_t pos;
	uint32_t n = rs_ring_peek(r, max, &pos);
	uint32_t to_end = r->capacity - (uint32_t)(pos & r->mask);

	*recs = &r->slots[pos & r->mask];
	return n < to_end ? n : to_end;
}

/* Consumer: give the first n peeked records back to the producer. */
static inline void rs_ring_release(struct rs_ring *r, uint32_t n)
{
	r->pos += n;
	/* release pairs with the producer's acquire load in rs_ring_reserve():
	 * our reads of the records complete before it may overwrite them. */
	atomic_store_explicit(r->cons, r->pos, memory_order_release);
}

/* Producer: copy up to n records in and commit them. Returns the number
 * enqueued (less than n when the ring fills). */
static inline uint32_t rs_ring_enqueue_burst(struct rs_ring *r, const struct rs_event *ev, uint32_t n)
{
	uint64_t pos;
	uint32_t k = rs_ring_reserve(r, n, &pos);
	/* locals: the record stores could alias *r as far as the compiler
	 * knows, which would reload slots/mask per record */
	struct rs_event *slots = r->slots;
	uint32_t mask = r->mask;

	for (uint32_t i = 0; i < k; i++)
		slots[(pos + i) & mask] = ev[i];
	if (k)
		rs_ring_commit(r, k);
	return k;
}

/* Consumer: copy out up to n records and release them. Returns the number
 * dequeued (0 = empty). */
static inline uint32_t rs_ring_dequeue_burst(struct rs_ring *r, struct rs_event *ev, uint32_t n)
{
	uint64_t pos;
	uint32_t k = rs_ring_peek(r, n, &pos);
	const struct rs_event *slots = r->slots;
	uint32_t mask = r->mask;

	for (uint32_t i = 0; i < k; i++)
		ev[i] = slots[(pos + i) & mask];
	if (k)
		rs_ring_release(r, k);
	return k;
}

/* Records committed but not yet released (a snapshot, from any side). */
static inline uint64_t rs_ring_count(const struct rs_ring *r)
{
	uint64_t c = atomic_load_explicit(r->cons, memory_order_acquire);
	uint64_t p = atomic_load_explicit(r->prod, memory_order_acquire);

	/* cons is loaded first, so p >= c; the producer may have moved on
	 * between the two loads, hence the clamp. */
	return p - c <= r->capacity ? p - c : r->capacity;
}

#endif /* RS_RING_H */
