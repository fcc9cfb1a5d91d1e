/* rs_counters.c - counters block: creation, attachment, allocation and
 * listing (all COLD). Value updates are static inline in rs_counters.h. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "rs_counters.h"
#include "rs_err.h"
#include "rs_ring.h" /* rs__obj_* */

size_t rs_counters_footprint(uint32_t capacity)
{
	if (capacity == 0 || capacity > RS_COUNTERS_MAX_CAPACITY)
		return 0;
	return RS_COUNTERS_HDR_SIZE +
	       (size_t)capacity * (sizeof(struct rs_counter_meta) + sizeof(struct rs_counter_value));
}

static void rs__counters_handle(struct rs_counters *c, struct rs_counters_layout *l)
{
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->capacity = l->hdr.capacity;
	c->meta = l->meta;
	c->values = (struct rs_counter_value *)((uint8_t *)l + RS_COUNTERS_HDR_SIZE +
						(size_t)c->capacity * sizeof(struct rs_counter_meta));
}

int rs_counters_init(struct rs_counters *c, void *mem, size_t len, uint32_t capacity)
{
	size_t fp = rs_counters_footprint(capacity);
	int rc;

	if (fp == 0)
		return RS_ERR_SET(-EINVAL, "counters: capacity %u not in [1, %u]", capacity,
				  RS_COUNTERS_MAX_CAPACITY);
	rc = rs__obj_prepare(mem, len, fp, "counters");
	if (rc)
		return rc;
	struct rs_counters_layout *l = mem;
	rs__obj_fill(&l->hdr, RS_SEG_COUNTERS, RS_COUNTERS_HDR_SIZE, fp, capacity,
		     (uint32_t)sizeof(struct rs_counter_value), (uint32_t)sizeof(struct rs_counter_meta));
	memset(l->pad0, 0, sizeof(l->pad0));
	memset(l->pad1, 0, sizeof(l->pad1));
	atomic_store_explicit(&l->hiwater, 0, memory_order_relaxed);
	memset(l->meta, 0, fp - RS_COUNTERS_HDR_SIZE); /* all FREE, all values 0 */
	rs__obj_publish(&l->hdr);
	rs__counters_handle(c, l);
	return 0;
}

int rs_counters_attach(struct rs_counters *c, void *mem, size_t len)
{
	int rc = rs__obj_check(mem, len, RS_SEG_COUNTERS, RS_COUNTERS_HDR_SIZE, "counters");
	if (rc)
		return rc;
	struct rs_counters_layout *l = mem;
	uint32_t cap = l->hdr.capacity;
	if (rs_counters_footprint(cap) == 0 || l->hdr.footprint != rs_counters_footprint(cap) ||
	    l->hdr.rec_size != sizeof(struct rs_counter_value) || l->hdr.param != sizeof(struct rs_counter_meta))
		return RS_ERR_SET(-EINVAL, "counters: inconsistent header (capacity %u, %llu bytes)", cap,
				  (unsigned long long)l->hdr.footprint);
	rs__counters_handle(c, l);
	return 0;
}

int rs_counters_alloc(struct rs_counters *c, uint32_t type, uint64_t key, const char *label)
{
	size_t n = label ? strnlen(label, RS_COUNTER_LABEL_MAX) : 0;

	if (n == 0 || n >= RS_COUNTER_LABEL_MAX)
		return RS_ERR_SET(-EINVAL, "counters: label must be 1..%u bytes", RS_COUNTER_LABEL_MAX - 1);
	for (uint32_t i = 0; i < c->capacity; i++) {
		struct rs_counter_meta *m = &c->meta[i];
		uint32_t st = atomic_load_explicit(&m->state, memory_order_relaxed);
		if (st != RS_COUNTER_FREE && st != RS_COUNTER_RECLAIMED)
			continue;
		/* acq_rel: we own the slot if the CAS wins; pairs with other
		 * allocators' CAS and with rs_counters_free's release store */
		if (!atomic_compare_exchange_strong_explicit(&m->state, &st, RS_COUNTER_RESERVED,
							     memory_order_acq_rel, memory_order_relaxed))
			continue;
		m->type = type;
		m->key = key;
		m->label_len = (uint32_t)n;
		m->pad = 0;
		memset(m->label, 0, sizeof(m->label));
		memcpy(m->label, label, n);
		atomic_store_explicit(&c->values[i].value, 0, memory_order_relaxed);
		/* release pairs with the acquire load in rs_counters_foreach/
		 * find: label, type, key and the zeroed value are visible */
		atomic_store_explicit(&m->state, RS_COUNTER_ALLOCATED, memory_order_release);
		uint32_t hw = atomic_load_explicit(&c->l->hiwater, memory_order_relaxed);
		while (hw < i + 1 &&
		       /* release pairs with the acquire load in the listing */
		       !atomic_compare_exchange_weak_explicit(&c->l->hiwater, &hw, i + 1, memory_order_release,
							      memory_order_relaxed))
			;
		return (int)i;
	}
	return RS_ERR_SET(-ENOSPC, "counters: all %u counters allocated (adding \"%s\")", c->capacity, label);
}

int rs_counters_free(struct rs_counters *c, int32_t id)
{
	if (id < 0 || (uint32_t)id >= c->capacity)
		return RS_ERR_SET(-EINVAL, "counters: id %d out of range", id);
	uint32_t st = RS_COUNTER_ALLOCATED;
	/* release pairs with the allocator's acquire CAS */
	if (!atomic_compare_exchange_strong_explicit(&c->meta[id].state, &st, RS_COUNTER_RECLAIMED,
						     memory_order_release, memory_order_relaxed))
		return RS_ERR_SET(-EINVAL, "counters: id %d is not allocated", id);
	return 0;
}

static uint32_t rs__counters_hiwater(const struct rs_counters *c)
{
	/* acquire pairs with the release CAS in rs_counters_alloc */
	uint32_t hw = atomic_load_explicit(&c->l->hiwater, memory_order_acquire);
	return hw <= c->capacity ? hw : c->capacity;
}

/* Copy counter i's metadata if it is allocated and stayed so during the
 * copy (a free + re-alloc in between would mix labels). */
static int rs__counters_snap(const struct rs_counters *c, uint32_t i, struct rs_counter_info *info,
			     char label[RS_COUNTER_LABEL_MAX])
{
	const struct rs_counter_meta *m = &c->meta[i];
	/* acquire pairs with the release store of ALLOCATED in alloc */
	if (atomic_load_explicit(&m->state, memory_order_acquire) != RS_COUNTER_ALLOCATED)
		return 0;
	info->id = (int32_t)i;
	info->type = m->type;
	info->key = m->key;
	memcpy(label, m->label, RS_COUNTER_LABEL_MAX);
	label[RS_COUNTER_LABEL_MAX - 1] = '\0';
	info->label = label;
	info->value = atomic_load_explicit(&c->values[i].value, memory_order_relaxed);
	/* freed (and maybe reused) while we copied: skip rather than show a
	 * mixed label; acquire fence orders the copies before this load */
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&m->state, memory_order_relaxed) == RS_COUNTER_ALLOCATED;
}

int rs_counters_find(const struct rs_counters *c, const char *label)
{
	struct rs_counter_info info;
	char buf[RS_COUNTER_LABEL_MAX];
	uint32_t hw = rs__counters_hiwater(c);

	if (!label)
		return -EINVAL;
	for (uint32_t i = 0; i < hw; i++)
		if (rs__counters_snap(c, i, &info, buf) && strcmp(buf, label) == 0)
			return (int)i;
	return -ENOENT;
}

int rs_counters_foreach(const struct rs_counters *c, rs_counters_fn fn, void *ctx)
{
	struct rs_counter_info info;
	char buf[RS_COUNTER_LABEL_MAX];
	uint32_t hw = rs__counters_hiwater(c);

	for (uint32_t i = 0; i < hw; i++) {
		if (!rs__counters_snap(c, i, &info, buf))
			continue;
		int rc = fn(ctx, &info);
		if (rc)
			return rc;
	}
	return 0;
}

uint32_t rs_counters_count(const struct rs_counters *c)
{
	uint32_t n = 0, hw = rs__counters_hiwater(c);

	for (uint32_t i = 0; i < hw; i++)
		if (atomic_load_explicit(&c->meta[i].state, memory_order_acquire) == RS_COUNTER_ALLOCATED)
			n++;
	return n;
}
