/* rs_bcast.c - broadcast ring: creation, attachment and reader resync
 * (COLD). The write/read fast paths are static inline in rs_bcast.h. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "rs_bcast.h"
#include "rs_err.h"
#include "rs_ring.h" /* rs__obj_* */

static int rs__bcast_geometry_ok(uint32_t capacity, uint32_t slot_size)
{
	return capacity >= 2 && capacity <= RS_BCAST_MAX_CAPACITY && !(capacity & (capacity - 1)) &&
	       slot_size >= RS_BCAST_MIN_SLOT && slot_size <= RS_BCAST_MAX_SLOT && !(slot_size & (slot_size - 1));
}

size_t rs_bcast_footprint(uint32_t capacity, uint32_t slot_size)
{
	if (!rs__bcast_geometry_ok(capacity, slot_size))
		return 0;
	return RS_BCAST_HDR_SIZE + (size_t)capacity * slot_size;
}

static void rs__bcast_handle(struct rs_bcast *b, struct rs_bcast_layout *l)
{
	memset(b, 0, sizeof(*b));
	b->l = l;
	b->slots = l->slots;
	b->capacity = l->hdr.capacity;
	b->mask = b->capacity - 1;
	b->slot_size = l->hdr.rec_size;
	b->shift = (uint32_t)__builtin_ctz(b->slot_size);
	b->max_len = b->slot_size - RS_BCAST_SLOT_HDR;
	/* acquire pairs with the writer's release store of tail */
	b->tail = atomic_load_explicit(&l->tail.pos, memory_order_acquire);
}

int rs_bcast_init(struct rs_bcast *w, void *mem, size_t len, uint32_t capacity, uint32_t slot_size)
{
	size_t fp = rs_bcast_footprint(capacity, slot_size);
	int rc;

	if (fp == 0)
		return RS_ERR_SET(-EINVAL,
				  "broadcast ring: capacity %u / slot size %u must be powers of two (slot %u..%u)",
				  capacity, slot_size, RS_BCAST_MIN_SLOT, RS_BCAST_MAX_SLOT);
	rc = rs__obj_prepare(mem, len, fp, "broadcast ring");
	if (rc)
		return rc;
	struct rs_bcast_layout *l = mem;
	rs__obj_fill(&l->hdr, RS_SEG_BCAST, RS_BCAST_HDR_SIZE, fp, capacity, slot_size,
		     slot_size - RS_BCAST_SLOT_HDR);
	memset(l->pad0, 0, sizeof(l->pad0));
	memset(&l->tail, 0, sizeof(l->tail));
	/* every slot seq 0 = never written (a recycled mapping may hold junk) */
	for (uint32_t i = 0; i < capacity; i++) {
		struct rs_bcast_slot *s = (struct rs_bcast_slot *)(l->slots + (size_t)i * slot_size);
		atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
		s->len = 0;
		s->type = 0;
	}
	rs__obj_publish(&l->hdr);
	rs__bcast_handle(w, l);
	return 0;
}

static int rs__bcast_check(void *mem, size_t len)
{
	int rc = rs__obj_check(mem, len, RS_SEG_BCAST, RS_BCAST_HDR_SIZE, "broadcast ring");
	if (rc)
		return rc;
	const struct rs_bcast_layout *l = mem;
	if (!rs__bcast_geometry_ok(l->hdr.capacity, l->hdr.rec_size) ||
	    l->hdr.footprint != rs_bcast_footprint(l->hdr.capacity, l->hdr.rec_size) ||
	    l->hdr.param != l->hdr.rec_size - RS_BCAST_SLOT_HDR)
		return RS_ERR_SET(-EINVAL, "broadcast ring: inconsistent header (capacity %u, slot %u, %llu bytes)",
				  l->hdr.capacity, l->hdr.rec_size, (unsigned long long)l->hdr.footprint);
	return 0;
}

int rs_bcast_attach_writer(struct rs_bcast *w, void *mem, size_t len)
{
	int rc = rs__bcast_check(mem, len);
	if (rc)
		return rc;
	rs__bcast_handle(w, mem);
	/* a writer that died mid-record left slot tail odd: the record was
	 * never published, rewriting it with the same number is correct */
	return 0;
}

int rs_bcast_reader_attach(struct rs_bcast_reader *rd, void *mem, size_t len, int start)
{
	if (start != RS_BCAST_NEWEST && start != RS_BCAST_OLDEST && start != RS_BCAST_NEXT)
		return RS_ERR_SET(-EINVAL, "broadcast ring: bad start position %d", start);
	int rc = rs__bcast_check(mem, len);
	if (rc)
		return rc;
	memset(rd, 0, sizeof(*rd));
	rs__bcast_handle(&rd->b, mem);
	rd->resync = RS_BCAST_NEWEST;
	if (start == RS_BCAST_NEXT)
		rd->pos = rd->b.tail;
	else {
		rs_bcast_reader_resync(rd, start);
		rd->overruns = 0; /* attaching loses nothing */
	}
	return 0;
}

/* Where RS_BCAST_NEWEST / RS_BCAST_OLDEST is now. */
static uint64_t rs__bcast_target(const struct rs_bcast_reader *rd, int whence)
{
	/* acquire pairs with the writer's release store of tail: records
	 * before it are complete */
	uint64_t tail = atomic_load_explicit(&rd->b.l->tail.pos, memory_order_acquire);
	uint64_t cap = rd->b.capacity;

	if (whence == RS_BCAST_OLDEST) {
		uint64_t keep = cap - (cap / 8 ? cap / 8 : 1);
		return tail > keep ? tail - keep : 0;
	}
	return tail ? tail - 1 : 0;
}

uint64_t rs_bcast_reader_resync(struct rs_bcast_reader *rd, int whence)
{
	uint64_t np = rs__bcast_target(rd, whence);
	uint64_t lost = np > rd->pos ? np - rd->pos : 0;

	rd->overruns += lost;
	rd->pos = np;
	return lost;
}

uint64_t rs__bcast_lapped(struct rs_bcast_reader *rd)
{
	uint64_t np = rs__bcast_target(rd, rd->resync);

	/* The record at pos is gone. The writer publishes tail after the slot
	 * that lapped us, so tail may not show it yet: then skip that record
	 * alone; the next read finds out again, and every skip is counted. */
	if (np <= rd->pos)
		np = rd->pos + 1;
	uint64_t lost = np - rd->pos;
	rd->overruns += lost;
	rd->last_lost = lost;
	rd->laps++;
	rd->pos = np;
	return lost;
}
