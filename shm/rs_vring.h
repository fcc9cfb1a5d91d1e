/*
 * rs_vring.h - single-producer single-consumer ring of variable-length
 * records (8-byte header: len, type; payload; padded to 8 bytes). Layout:
 * struct rs_vring_layout in rs_layout.h. A record never straddles the end of
 * the data area: the producer writes a padding record (RS_VREC_PAD) up to the
 * end and puts the record at offset 0; consumers skip padding silently.
 *
 * HOT: reserve/commit, peek/advance/release, write/read, poll (static
 * inline, no system calls, never block). COLD: footprint/init/attach.
 * One handle per side, owned by one thread; the producer caches the
 * consumer position and vice versa (same scheme as rs_ring.h).
 *
 * Producer:                                 Consumer:
 *   void *p = rs_vring_reserve(r, len, t);    const struct rs_vrec *v;
 *   if (p) { fill(p, len); }                  while ((v = rs_vring_peek(r))) {
 *   ... more reserves ...                         use(v->type, v->data, v->len);
 *   rs_vring_commit(r);  publish all              rs_vring_advance(r);
 *                                             }
 *                                             rs_vring_release(r); publish
 */
#ifndef RS_VRING_H
#define RS_VRING_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rs_layout.h"

#define RS_VRING_MIN_CAPACITY 64u
#define RS_VRING_MAX_CAPACITY (1u << 30)

struct rs_vring {
	struct rs_vring_layout *l;
	uint8_t *data;
	_Atomic uint64_t *prod;  /* &l->prod.pos */
	_Atomic uint64_t *cons;  /* &l->cons.pos */
	uint32_t capacity;       /* data bytes, power of two */
	uint32_t mask;
	uint32_t max_len;        /* largest payload accepted */
	uint32_t corrupt;        /* consumer: set when a record header was
	                            impossible (len too big or past the end);
	                            the ring then reads as empty */
	/* producer: pos = reserved end, pub = committed; limit = cached cons + capacity.
	 * consumer: pos = read position (local), pub = released; limit = cached prod. */
	uint64_t pos;
	uint64_t pub;
	uint64_t limit;
};

typedef void (*rs_vring_fn)(void *ctx, uint32_t type, const void *data, uint32_t len);

/* Bytes needed for `capacity` data bytes (power of two >= 64); 0 if invalid. */
size_t rs_vring_footprint(uint32_t capacity);
/* Create an empty ring in mem; handle set up as producer. Errors as
 * rs_ring_init(). */
int rs_vring_init(struct rs_vring *r, void *mem, size_t len, uint32_t capacity);
/* Attach as consumer (or producer); errors as rs_ring_attach(). */
int rs_vring_attach(struct rs_vring *r, void *mem, size_t len);
int rs_vring_attach_producer(struct rs_vring *r, void *mem, size_t len);

static inline uint32_t rs__vring_total(uint32_t len)
{
	return (uint32_t)((sizeof(struct rs_vrec) + len + RS_VREC_ALIGN - 1) & ~(uint64_t)(RS_VREC_ALIGN - 1));
}

/* Producer: room for a record of len payload bytes and type (not
 * RS_VREC_PAD). Returns a pointer to its payload (8-byte aligned) to fill
 * before rs_vring_commit(), or NULL when the ring has no room or len >
 * max_len (rs_vring_max_len()). Several records may be reserved before one
 * commit. */
static inline void *rs_vring_reserve(struct rs_vring *r, uint32_t len, uint32_t type)
{
	if (len > r->max_len)
		return NULL;
	uint32_t need = rs__vring_total(len);
	uint32_t off = (uint32_t)(r->pos & r->mask);
	uint32_t to_end = r->capacity - off;
	uint32_t pad = need > to_end ? to_end : 0;

	if (r->limit - r->pos < (uint64_t)need + pad) {
		/* acquire pairs with the consumer's release store in
		 * rs_vring_release(): it has finished reading that space. */
		r->limit = atomic_load_explicit(r->cons, memory_order_acquire) + r->capacity;
		if (r->limit - r->pos < (uint64_t)need + pad)
			return NULL;
	}
	if (pad) {
		struct rs_vrec *p = (struct rs_vrec *)(r->data + off);
		p->len = to_end - (uint32_t)sizeof(struct rs_vrec);
		p->type = RS_VREC_PAD;
		r->pos += pad;
		off = 0;
	}
	struct rs_vrec *v = (struct rs_vrec *)(r->data + off);
	v->len = len;
	v->type = type;
	r->pos += need;
	return v->data;
}

/* Producer: publish every reserved record. */
static inline void rs_vring_commit(struct rs_vring *r)
{
	r->pub = r->pos;
	/* release pairs with the consumer's acquire load in rs_vring_peek():
	 * headers and payloads are visible before the position. */
	atomic_store_explicit(r->prod, r->pub, memory_order_release);
}

/* Producer: copy one record in and commit it. Returns 0, -ENOBUFS (no room
 * now) or -EMSGSIZE (len > max_len). */
static inline int rs_vring_write(struct rs_vring *r, uint32_t type, const void *src, uint32_t len)
{
	if (len > r->max_len)
		return -EMSGSIZE;
	void *p = rs_vring_reserve(r, len, type);
	if (!p)
		return -ENOBUFS;
	if (len) /* src may be NULL for an empty record */
		memcpy(p, src, len);
	rs_vring_commit(r);
	return 0;
}

/* Consumer: the next unread record (padding skipped), or NULL if none. The
 * record stays valid until rs_vring_release() publishes its space. */
static inline const struct rs_vrec *rs_vring_peek(struct rs_vring *r)
{
	for (;;) {
		if (r->limit == r->pos) {
			/* acquire pairs with the producer's release store in
			 * rs_vring_commit(): record bytes are visible. */
			r->limit = atomic_load_explicit(r->prod, memory_order_acquire);
			if (r->limit == r->pos)
				return NULL;
		}
		uint32_t off = (uint32_t)(r->pos & r->mask);
		const struct rs_vrec *v = (const struct rs_vrec *)(r->data + off);
		if (v->type != RS_VREC_PAD) {
			/* never trust the other process: a bad length must not
			 * make us read out of bounds */
			if (v->len > r->max_len || off + rs__vring_total(v->len) > r->capacity ||
			    r->pos + rs__vring_total(v->len) > r->limit) {
				r->corrupt = 1;
				return NULL;
			}
			return v;
		}
		r->pos += r->capacity - (r->pos & r->mask); /* skip to offset 0 */
	}
}

/* Consumer: step past the record returned by rs_vring_peek() (local only). */
static inline void rs_vring_advance(struct rs_vring *r)
{
	const struct rs_vrec *v = (const struct rs_vrec *)(r->data + (r->pos & r->mask));
	r->pos += rs__vring_total(v->len);
}

/* Consumer: return the space of every advanced record to the producer. */
static inline void rs_vring_release(struct rs_vring *r)
{
	if (r->pub == r->pos)
		return;
	r->pub = r->pos;
	/* release pairs with the producer's acquire load in rs_vring_reserve():
	 * our reads of the released records are done. */
	atomic_store_explicit(r->cons, r->pub, memory_order_release);
}

/* Consumer: copy the next record to dst (cap bytes) and release it.
 * Returns its length (>= 0) and sets *type; -EAGAIN when empty; -EMSGSIZE
 * when cap is too small (the record stays in the ring). */
static inline int rs_vring_read(struct rs_vring *r, void *dst, uint32_t cap, uint32_t *type)
{
	const struct rs_vrec *v = rs_vring_peek(r);
	if (!v)
		return -EAGAIN;
	uint32_t len = v->len;
	if (len > cap)
		return -EMSGSIZE;
	if (len)
		memcpy(dst, v->data, len);
	if (type)
		*type = v->type;
	rs_vring_advance(r);
	rs_vring_release(r);
	return (int)len;
}

/* Consumer: hand up to limit records to fn (data valid only during the
 * call), then release them all. Returns the number handled. */
static inline uint32_t rs_vring_poll(struct rs_vring *r, rs_vring_fn fn, void *ctx, uint32_t limit)
{
	uint32_t n = 0;
	const struct rs_vrec *v;

	while (n < limit && (v = rs_vring_peek(r)) != NULL) {
		fn(ctx, v->type, v->data, v->len);
		rs_vring_advance(r);
		n++;
	}
	rs_vring_release(r);
	return n;
}

static inline uint32_t rs_vring_max_len(const struct rs_vring *r)
{
	return r->max_len;
}

#endif /* RS_VRING_H */
