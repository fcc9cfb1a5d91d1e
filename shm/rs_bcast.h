/*
 * rs_bcast.h - broadcast ring: one writer, any number of readers in any
 * process, each reader keeping its own position in its own memory. The
 * writer never waits and never learns about readers; a reader that falls
 * more than `capacity` records behind is lapped and finds out on the record
 * it reads (the slot's sequence is newer than expected), learns how many
 * records it lost, and resynchronises. Readers never return a torn record:
 * every slot is a small seqlock (see rs_seqtab.h for the ordering argument).
 * Layout: struct rs_bcast_layout in rs_layout.h.
 *
 * HOT: rs_bcast_write, rs_bcast_read (static inline, no system calls).
 * COLD: footprint/init/attach/resync.
 *
 * Writer:                               Reader:
 *   rs_bcast_write(w, type, p, len);      rc = rs_bcast_read(rd, buf, sizeof buf, &len, &type);
 *                                         rc == 1: a record; 0: nothing new;
 *                                         -EOVERFLOW: lapped, rd->last_lost
 *                                         records lost, position resynced.
 */
#ifndef RS_BCAST_H
#define RS_BCAST_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rs_layout.h"
#include "rs_seqtab.h" /* rs__seq_copy_in/out, rs__cpu_relax */

#define RS_BCAST_MIN_SLOT 64u
#define RS_BCAST_MAX_SLOT 65536u
#define RS_BCAST_MAX_CAPACITY (1u << 28)

/* Where a reader starts (attach) or jumps to after being lapped. */
#define RS_BCAST_NEWEST 0 /* the newest complete record (or the next one
                             if none was written yet) */
#define RS_BCAST_OLDEST 1 /* the oldest record still likely valid: a margin
                             of capacity/8 records behind the writer is
                             skipped so the reader is not lapped at once */
#define RS_BCAST_NEXT   2 /* attach only: only records written from now on */

/* Writer handle (process-local). */
struct rs_bcast {
	struct rs_bcast_layout *l;
	uint8_t *slots;
	uint32_t capacity;       /* slots, power of two */
	uint32_t mask;
	uint32_t slot_size;      /* bytes per slot, power of two >= 64 */
	uint32_t shift;          /* log2(slot_size) */
	uint32_t max_len;        /* payload bytes per slot (slot_size - 16) */
	uint32_t pad;
	uint64_t tail;           /* writer: next record number */
};

/* Reader handle (process-local; one per reading thread). */
struct rs_bcast_reader {
	struct rs_bcast b;       /* geometry (b.tail unused) */
	uint64_t pos;            /* next record number to read */
	uint64_t overruns;       /* records lost since attach (sum of last_lost) */
	uint64_t last_lost;      /* records lost at the most recent -EOVERFLOW */
	uint64_t laps;           /* how many times -EOVERFLOW was returned */
	int resync;              /* RS_BCAST_NEWEST or RS_BCAST_OLDEST */
	int pad;
};

/* Bytes for capacity slots (power of two >= 2) of slot_size bytes (power of
 * two in [64, 65536]); 0 if invalid. */
size_t rs_bcast_footprint(uint32_t capacity, uint32_t slot_size);
/* Create an empty broadcast ring in mem; w becomes the writer. Errors:
 * -EINVAL (geometry, alignment), -EMSGSIZE (len too small). */
int rs_bcast_init(struct rs_bcast *w, void *mem, size_t len, uint32_t capacity, uint32_t slot_size);
/* Resume as writer of an existing ring (after validating it), continuing
 * at the published tail. Errors as rs_bcast_reader_attach(). */
int rs_bcast_attach_writer(struct rs_bcast *w, void *mem, size_t len);
/* Attach a reader. start = RS_BCAST_NEWEST | RS_BCAST_OLDEST | RS_BCAST_NEXT;
 * the reader resynchronises to RS_BCAST_NEWEST after an overrun unless
 * rd->resync is changed. Errors: -EPROTO (magic, kind, layout major),
 * -EINVAL (inconsistent header, bad start), -EMSGSIZE (truncated). */
int rs_bcast_reader_attach(struct rs_bcast_reader *rd, void *mem, size_t len, int start);
/* Move the reader to RS_BCAST_NEWEST or RS_BCAST_OLDEST; returns the number
 * of records skipped (added to overruns) - 0 when moving backwards. */
uint64_t rs_bcast_reader_resync(struct rs_bcast_reader *rd, int whence);

/* Internal (rs_bcast.c): the reader was lapped at rd->pos; move it to
 * rd->resync (at least one record on), count the loss. Returns records lost. */
uint64_t rs__bcast_lapped(struct rs_bcast_reader *rd);

/* Writer: append one record of len bytes (<= max_len). Never waits.
 * Returns 0 or -EMSGSIZE. */
static inline int rs_bcast_write(struct rs_bcast *w, uint32_t type, const void *src, uint32_t len)
{
	if (len > w->max_len)
		return -EMSGSIZE;
	uint64_t n = w->tail;
	struct rs_bcast_slot *s = (struct rs_bcast_slot *)(w->slots + ((n & w->mask) << w->shift));

	atomic_store_explicit(&s->seq, 2 * n + 1, memory_order_relaxed);
	/* release fence pairs with the reader's acquire fence in
	 * rs_bcast_read(): a reader that sees any store below also sees at
	 * least the odd seq on its second load and drops the copy. */
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&s->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&s->type, type, __ATOMIC_RELAXED);
	rs__seq_copy_in(s->payload, src, len);
	/* release pairs with the reader's acquire load of seq: the record is
	 * complete for a reader that sees 2n+2. */
	atomic_store_explicit(&s->seq, 2 * n + 2, memory_order_release);
	w->tail = n + 1;
	/* release pairs with the acquire load in rs_bcast_reader_resync() and
	 * attach: records before tail are complete. */
	atomic_store_explicit(&w->l->tail.pos, n + 1, memory_order_release);
	return 0;
}

/* Reader: copy the next record into dst (cap bytes; cap >= max_len never
 * truncates). Returns
 *   1           a record; *len and *type set (either may be NULL);
 *   0           nothing new yet;
 *   -EOVERFLOW  the reader was lapped: rd->last_lost records were lost
 *               (also added to rd->overruns) and the reader moved to
 *               rd->resync; read again to continue;
 *   -EMSGSIZE   the record is longer than cap: cap bytes copied, *len is
 *               the full length, the record is consumed.
 * A torn record is never returned. */
static inline int rs_bcast_read(struct rs_bcast_reader *rd, void *dst, uint32_t cap, uint32_t *len,
				uint32_t *type)
{
	const struct rs_bcast *b = &rd->b;
	uint64_t p = rd->pos;
	struct rs_bcast_slot *s = (struct rs_bcast_slot *)(b->slots + ((p & b->mask) << b->shift));
	uint64_t want = 2 * p + 2;

	for (;;) {
		/* acquire pairs with the writer's release store of 2n+2 */
		uint64_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (s1 < want)
			return 0; /* not written yet (or being written: 2p+1) */
		if (s1 == want) {
			uint32_t l = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
			uint32_t t = __atomic_load_n(&s->type, __ATOMIC_RELAXED);
			uint32_t c = l <= b->max_len ? l : b->max_len;
			c = c <= cap ? c : cap;
			rs__seq_copy_out(dst, s->payload, c);
			/* acquire fence pairs with the writer's release fence:
			 * if the copy saw a later record's stores, the seq
			 * load below sees the later seq. */
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&s->seq, memory_order_relaxed) == want) {
				rd->pos = p + 1;
				if (len)
					*len = l;
				if (type)
					*type = t;
				return l <= cap ? 1 : -EMSGSIZE;
			}
			/* overwritten while copying: lapped on this record */
		}
		break;
	}
	rs__bcast_lapped(rd);
	return -EOVERFLOW;
}

/* Records published by the writer that this reader has not read yet (may
 * exceed capacity when lapped). */
static inline uint64_t rs_bcast_reader_lag(const struct rs_bcast_reader *rd)
{
	/* acquire pairs with the writer's release store of tail */
	uint64_t tail = atomic_load_explicit(&rd->b.l->tail.pos, memory_order_acquire);
	return tail > rd->pos ? tail - rd->pos : 0;
}

/* Records written so far (writer's published tail). */
static inline uint64_t rs_bcast_tail(const struct rs_bcast *b)
{
	return atomic_load_explicit(&b->l->tail.pos, memory_order_acquire);
}

#endif /* RS_BCAST_H */
