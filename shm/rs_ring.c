/* rs_ring.c - SPSC ring of 64-byte records: creation and attachment (COLD),
 * plus the object-header helpers shared by every shm/ object. The fast path
 * is static inline in rs_ring.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "rs_err.h"
#include "rs_ring.h"

int rs__obj_prepare(void *mem, size_t len, size_t footprint, const char *what)
{
	if (!mem || ((uintptr_t)mem & (RS_CACHELINE - 1)))
		return RS_ERR_SET(-EINVAL, "%s: memory %p is not 64-byte aligned", what, mem);
	if (footprint == 0)
		return RS_ERR_SET(-EINVAL, "%s: invalid geometry", what);
	if (len < footprint)
		return RS_ERR_SET(-EMSGSIZE, "%s: needs %zu bytes, %zu given", what, footprint, len);
	return 0;
}

void rs__obj_fill(struct rs_obj_hdr *h, uint32_t kind, uint32_t hdr_size, uint64_t footprint,
		  uint32_t capacity, uint32_t rec_size, uint32_t param)
{
	/* magic cleared first: a reader attaching to recycled memory must not
	 * see the old magic with new fields */
	atomic_store_explicit(&h->magic, 0, memory_order_relaxed);
	h->kind = kind;
	h->layout_version = RS_LAYOUT_VERSION;
	h->hdr_size = hdr_size;
	h->footprint = footprint;
	h->capacity = capacity;
	h->rec_size = rec_size;
	h->param = param;
	h->flags = 0;
	memset(h->pad, 0, sizeof(h->pad));
}

void rs__obj_publish(struct rs_obj_hdr *h)
{
	/* release pairs with the acquire load in rs__obj_check(): everything
	 * the creator wrote is visible to a reader that sees the magic. */
	atomic_store_explicit(&h->magic, RS_OBJ_MAGIC, memory_order_release);
}

static const char *rs__kind_name(uint32_t kind)
{
	switch (kind) {
	case RS_SEG_SPSC: return "spsc ring";
	case RS_SEG_VRING: return "variable ring";
	case RS_SEG_BCAST: return "broadcast ring";
	case RS_SEG_TABLE: return "table";
	case RS_SEG_COUNTERS: return "counters";
	default: return "unknown object";
	}
}

int rs__obj_check(const void *mem, size_t len, uint32_t kind, uint32_t hdr_size, const char *what)
{
	const struct rs_obj_hdr *h = mem;

	if (!mem || ((uintptr_t)mem & (RS_CACHELINE - 1)))
		return RS_ERR_SET(-EINVAL, "%s: memory %p is not 64-byte aligned", what, mem);
	if (len < hdr_size)
		return RS_ERR_SET(-EMSGSIZE, "%s: truncated: %zu bytes, header alone needs %u", what, len,
				  hdr_size);
	/* acquire pairs with the release store in rs__obj_publish() */
	uint32_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
	if (magic != RS_OBJ_MAGIC)
		return RS_ERR_SET(-EPROTO, "%s: bad magic 0x%08x (not initialised or not a ringside object)",
				  what, magic);
	if (h->kind != kind)
		return RS_ERR_SET(-EPROTO, "%s: is a %s (kind %u), expected a %s", what, rs__kind_name(h->kind),
				  h->kind, rs__kind_name(kind));
	if ((h->layout_version >> 16) != RS_LAYOUT_MAJOR)
		return RS_ERR_SET(-EPROTO, "%s: layout version %u.%u, this build reads %u.x", what,
				  h->layout_version >> 16, h->layout_version & 0xffff, RS_LAYOUT_MAJOR);
	if (h->hdr_size != hdr_size)
		return RS_ERR_SET(-EINVAL, "%s: header size %u, expected %u", what, h->hdr_size, hdr_size);
	if (h->footprint > len)
		return RS_ERR_SET(-EMSGSIZE, "%s: truncated: object needs %llu bytes, %zu mapped", what,
				  (unsigned long long)h->footprint, len);
	return 0;
}

size_t rs_ring_footprint(uint32_t capacity)
{
	if (capacity < RS_RING_MIN_CAPACITY || capacity > RS_RING_MAX_CAPACITY || (capacity & (capacity - 1)))
		return 0;
	return RS_RING_HDR_SIZE + (size_t)capacity * RS_RING_REC_SIZE;
}

static void rs__ring_handle(struct rs_ring *r, struct rs_ring_layout *l, uint32_t capacity, int producer)
{
	r->l = l;
	r->slots = l->slots;
	r->prod = &l->prod.pos;
	r->cons = &l->cons.pos;
	r->capacity = capacity;
	r->mask = capacity - 1;
	/* acquire pairs with the other side's release stores (commit/release) */
	uint64_t c = atomic_load_explicit(r->cons, memory_order_acquire);
	uint64_t p = atomic_load_explicit(r->prod, memory_order_acquire);
	if (producer) {
		r->pos = p;
		r->limit = c + capacity;
	} else {
		r->pos = c;
		r->limit = p;
	}
}

int rs_ring_init(struct rs_ring *r, void *mem, size_t len, uint32_t capacity)
{
	size_t fp = rs_ring_footprint(capacity);
	int rc;

	if (fp == 0)
		return RS_ERR_SET(-EINVAL, "spsc ring: capacity %u is not a power of two in [%u, %u]", capacity,
				  RS_RING_MIN_CAPACITY, RS_RING_MAX_CAPACITY);
	rc = rs__obj_prepare(mem, len, fp, "spsc ring");
	if (rc)
		return rc;
	struct rs_ring_layout *l = mem;
	rs__obj_fill(&l->hdr, RS_SEG_SPSC, RS_RING_HDR_SIZE, fp, capacity, RS_RING_REC_SIZE, 0);
	memset(l->pad0, 0, sizeof(l->pad0));
	memset(&l->prod, 0, sizeof(l->prod));
	memset(&l->cons, 0, sizeof(l->cons));
	atomic_store_explicit(&l->prod.pos, 0, memory_order_relaxed);
	atomic_store_explicit(&l->cons.pos, 0, memory_order_relaxed);
	rs__obj_publish(&l->hdr);
	rs__ring_handle(r, l, capacity, 1);
	return 0;
}

static int rs__ring_attach(struct rs_ring *r, void *mem, size_t len, int producer)
{
	int rc = rs__obj_check(mem, len, RS_SEG_SPSC, RS_RING_HDR_SIZE, "spsc ring");
	if (rc)
		return rc;
	struct rs_ring_layout *l = mem;
	uint32_t cap = l->hdr.capacity;
	if (rs_ring_footprint(cap) == 0 || l->hdr.rec_size != RS_RING_REC_SIZE ||
	    l->hdr.footprint != rs_ring_footprint(cap))
		return RS_ERR_SET(-EINVAL, "spsc ring: inconsistent header (capacity %u, record size %u, %llu bytes)",
				  cap, l->hdr.rec_size, (unsigned long long)l->hdr.footprint);
	/* consumer position first: the attaching side's own index is stable and
	 * the other can only move forward, so p >= c and p - c <= cap */
	uint64_t c = atomic_load_explicit(&l->cons.pos, memory_order_acquire);
	uint64_t p = atomic_load_explicit(&l->prod.pos, memory_order_acquire);
	if (p - c > cap) /* only a corrupt ring has more records than slots */
		return RS_ERR_SET(-EINVAL, "spsc ring: corrupt positions (producer %llu, consumer %llu)",
				  (unsigned long long)p, (unsigned long long)c);
	rs__ring_handle(r, l, cap, producer);
	return 0;
}

int rs_ring_attach(struct rs_ring *r, void *mem, size_t len)
{
	return rs__ring_attach(r, mem, len, 0);
}

int rs_ring_attach_producer(struct rs_ring *r, void *mem, size_t len)
{
	return rs__ring_attach(r, mem, len, 1);
}
