/* rs_seqtab.c - seqlocked table: creation and attachment (COLD). Reads and
 * writes are static inline in rs_seqtab.h. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "rs_err.h"
#include "rs_ring.h" /* rs__obj_* */
#include "rs_seqtab.h"

static uint32_t rs__seqtab_payload(uint32_t payload_size)
{
	return (payload_size + 7u) & ~7u;
}

static uint32_t rs__seqtab_stride(uint32_t payload)
{
	return (RS_SEQTAB_SLOT_HDR + payload + RS_CACHELINE - 1) & ~(RS_CACHELINE - 1);
}

size_t rs_seqtab_footprint(uint32_t nslots, uint32_t payload_size)
{
	if (nslots == 0 || payload_size == 0 || payload_size > RS_SEQTAB_MAX_PAYLOAD || nslots > (1u << 28))
		return 0;
	return RS_SEQTAB_HDR_SIZE + (size_t)nslots * rs__seqtab_stride(rs__seqtab_payload(payload_size));
}

static void rs__seqtab_handle(struct rs_seqtab *t, struct rs_seqtab_layout *l)
{
	memset(t, 0, sizeof(*t));
	t->l = l;
	t->slots = l->slots;
	t->nslots = l->hdr.capacity;
	t->stride = l->hdr.rec_size;
	t->payload_size = l->hdr.param;
}

int rs_seqtab_init(struct rs_seqtab *t, void *mem, size_t len, uint32_t nslots, uint32_t payload_size)
{
	size_t fp = rs_seqtab_footprint(nslots, payload_size);
	int rc;

	if (fp == 0)
		return RS_ERR_SET(-EINVAL, "table: %u slots of %u bytes is not a valid geometry", nslots,
				  payload_size);
	rc = rs__obj_prepare(mem, len, fp, "table");
	if (rc)
		return rc;
	uint32_t payload = rs__seqtab_payload(payload_size);
	uint32_t stride = rs__seqtab_stride(payload);
	struct rs_seqtab_layout *l = mem;
	rs__obj_fill(&l->hdr, RS_SEG_TABLE, RS_SEQTAB_HDR_SIZE, fp, nslots, stride, payload);
	memset(l->pad0, 0, sizeof(l->pad0));
	atomic_store_explicit(&l->writes, 0, memory_order_relaxed);
	atomic_store_explicit(&l->nused, 0, memory_order_relaxed);
	l->pad1 = 0;
	memset(l->pad2, 0, sizeof(l->pad2));
	/* every slot unwritten (seq 0), zero payload: a recycled mapping may
	 * hold junk */
	memset(l->slots, 0, (size_t)nslots * stride);
	rs__obj_publish(&l->hdr);
	rs__seqtab_handle(t, l);
	return 0;
}

int rs_seqtab_attach(struct rs_seqtab *t, void *mem, size_t len)
{
	int rc = rs__obj_check(mem, len, RS_SEG_TABLE, RS_SEQTAB_HDR_SIZE, "table");
	if (rc)
		return rc;
	struct rs_seqtab_layout *l = mem;
	uint32_t n = l->hdr.capacity, payload = l->hdr.param;
	if (rs_seqtab_footprint(n, payload) == 0 || rs__seqtab_payload(payload) != payload ||
	    l->hdr.rec_size != rs__seqtab_stride(payload) || l->hdr.footprint != rs_seqtab_footprint(n, payload))
		return RS_ERR_SET(-EINVAL, "table: inconsistent header (%u slots, payload %u, stride %u, %llu bytes)",
				  n, payload, l->hdr.rec_size, (unsigned long long)l->hdr.footprint);
	rs__seqtab_handle(t, l);
	return 0;
}

int rs_seqtab_attach_writer(struct rs_seqtab *t, void *mem, size_t len)
{
	int rc = rs_seqtab_attach(t, mem, len);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct rs_seqtab_slot *s = rs__seqtab_slot(t, i);
		uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (seq & 1) /* previous writer died inside a write */
			/* release pairs with readers' acquire load of seq */
			atomic_store_explicit(&s->seq, seq + 1, memory_order_release);
	}
	return 0;
}
