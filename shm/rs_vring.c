/* rs_vring.c - variable-length SPSC ring: creation and attachment (COLD).
 * The fast path is static inline in rs_vring.h. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "rs_err.h"
#include "rs_ring.h" /* rs__obj_* */
#include "rs_vring.h"

/* Largest payload: a record may take up to a quarter of the ring, so a
 * padding record plus the record always fit in an otherwise empty ring. */
static uint32_t rs__vring_max_len(uint32_t capacity)
{
	return capacity / 4 - (uint32_t)sizeof(struct rs_vrec);
}

size_t rs_vring_footprint(uint32_t capacity)
{
	if (capacity < RS_VRING_MIN_CAPACITY || capacity > RS_VRING_MAX_CAPACITY || (capacity & (capacity - 1)))
		return 0;
	return RS_VRING_HDR_SIZE + (size_t)capacity;
}

static void rs__vring_handle(struct rs_vring *r, struct rs_vring_layout *l, int producer)
{
	uint32_t cap = l->hdr.capacity;

	memset(r, 0, sizeof(*r));
	r->l = l;
	r->data = l->data;
	r->prod = &l->prod.pos;
	r->cons = &l->cons.pos;
	r->capacity = cap;
	r->mask = cap - 1;
	r->max_len = rs__vring_max_len(cap);
	/* acquire pairs with the other side's release stores; consumer
	 * position first so that p >= c (see rs_ring.c) */
	uint64_t c = atomic_load_explicit(r->cons, memory_order_acquire);
	uint64_t p = atomic_load_explicit(r->prod, memory_order_acquire);
	if (producer) {
		r->pos = r->pub = p;
		r->limit = c + cap;
	} else {
		r->pos = r->pub = c;
		r->limit = p;
	}
}

int rs_vring_init(struct rs_vring *r, void *mem, size_t len, uint32_t capacity)
{
	size_t fp = rs_vring_footprint(capacity);
	int rc;

	if (fp == 0)
		return RS_ERR_SET(-EINVAL, "variable ring: capacity %u is not a power of two in [%u, %u]", capacity,
				  RS_VRING_MIN_CAPACITY, RS_VRING_MAX_CAPACITY);
	rc = rs__obj_prepare(mem, len, fp, "variable ring");
	if (rc)
		return rc;
	struct rs_vring_layout *l = mem;
	rs__obj_fill(&l->hdr, RS_SEG_VRING, RS_VRING_HDR_SIZE, fp, capacity, RS_VREC_ALIGN,
		     rs__vring_max_len(capacity));
	memset(l->pad0, 0, sizeof(l->pad0));
	memset(&l->prod, 0, sizeof(l->prod));
	memset(&l->cons, 0, sizeof(l->cons));
	rs__obj_publish(&l->hdr);
	rs__vring_handle(r, l, 1);
	return 0;
}

static int rs__vring_attach(struct rs_vring *r, void *mem, size_t len, int producer)
{
	int rc = rs__obj_check(mem, len, RS_SEG_VRING, RS_VRING_HDR_SIZE, "variable ring");
	if (rc)
		return rc;
	struct rs_vring_layout *l = mem;
	uint32_t cap = l->hdr.capacity;
	if (rs_vring_footprint(cap) == 0 || l->hdr.footprint != rs_vring_footprint(cap) ||
	    l->hdr.rec_size != RS_VREC_ALIGN || l->hdr.param != rs__vring_max_len(cap))
		return RS_ERR_SET(-EINVAL, "variable ring: inconsistent header (capacity %u, %llu bytes)", cap,
				  (unsigned long long)l->hdr.footprint);
	uint64_t c = atomic_load_explicit(&l->cons.pos, memory_order_acquire);
	uint64_t p = atomic_load_explicit(&l->prod.pos, memory_order_acquire);
	if (p - c > cap || (c & (RS_VREC_ALIGN - 1)) || (p & (RS_VREC_ALIGN - 1)))
		return RS_ERR_SET(-EINVAL, "variable ring: corrupt positions (producer %llu, consumer %llu)",
				  (unsigned long long)p, (unsigned long long)c);
	rs__vring_handle(r, l, producer);
	return 0;
}

int rs_vring_attach(struct rs_vring *r, void *mem, size_t len)
{
	return rs__vring_attach(r, mem, len, 0);
}

int rs_vring_attach_producer(struct rs_vring *r, void *mem, size_t len)
{
	return rs__vring_attach(r, mem, len, 1);
}
