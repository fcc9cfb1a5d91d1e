/*
 * rs_seqtab.h - seqlocked table of fixed-size slots in shared memory: one
 * writer, any number of readers in any process; readers never block the
 * writer and never return a torn slot. Used for BBO (struct rs_bbo),
 * MBP-N depth (struct rs_depth + levels) and the instrument directory
 * (struct rs_instrument). Layout: struct rs_seqtab_layout in rs_layout.h.
 *
 * HOT: rs_seqtab_write, write_begin/store/end, rs_seqtab_read/try_read
 * (static inline, no system calls). COLD: footprint/init/attach.
 *
 * Memory ordering (Boehm, "Can seqlocks get along with programming language
 * memory models?", MSPC 2012; the fence-based variant):
 *   writer: seq = s+1 (relaxed); fence(release);
 *           payload stores (relaxed atomics);
 *           seq = s+2 (release)
 *   reader: s1 = seq (acquire); if odd retry;
 *           payload loads (relaxed atomics);
 *           fence(acquire); s2 = seq (relaxed); retry unless s1 == s2
 * If any payload load saw a store made after the writer's release fence,
 * the reader's acquire fence synchronises with that fence, so its second
 * seq load sees at least s+1 and the read is retried. The payload is copied
 * with relaxed 64-bit atomic loads/stores rather than memcpy so there is no
 * data race in C11 terms (TSan sees atomics and stays quiet); on x86-64
 * they compile to plain MOVs and both fences to compiler barriers only
 * (TSO already keeps loads ordered with loads and stores with stores).
 *
 * Only ONE writer per table (per process and across processes): the writer
 * side is not synchronised against another writer.
 */
#ifndef RS_SEQTAB_H
#define RS_SEQTAB_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rs_layout.h"

/* Default bound of rs_seqtab_read(): a reader gives up with -EAGAIN after
 * this many inconsistent attempts (a writer killed inside a write leaves the
 * slot odd forever; readers must not hang). Each attempt is ~10-100 ns. */
#define RS_SEQTAB_READ_TRIES (1u << 22)
#define RS_SEQTAB_MAX_PAYLOAD (1u << 20)

struct rs_seqtab {
	struct rs_seqtab_layout *l;
	uint8_t *slots;
	uint32_t nslots;
	uint32_t stride;         /* bytes per slot, multiple of 64 */
	uint32_t payload_size;   /* bytes, multiple of 8 */
	uint32_t pad;
};

/* Bytes needed for nslots slots of payload_size bytes (rounded up to a
 * multiple of 8); 0 if nslots == 0 or payload_size is 0 or too large. */
size_t rs_seqtab_footprint(uint32_t nslots, uint32_t payload_size);
/* Create a table with every slot unwritten (seq 0). Errors: -EINVAL (bad
 * sizes, mem misaligned), -EMSGSIZE (len too small). */
int rs_seqtab_init(struct rs_seqtab *t, void *mem, size_t len, uint32_t nslots, uint32_t payload_size);
/* Attach (reader, or a writer resuming). Errors: -EPROTO (magic/kind/layout
 * major), -EINVAL (inconsistent header), -EMSGSIZE (truncated). A writer
 * that died mid-write leaves an odd seq; rs_seqtab_attach_writer() makes
 * such slots even again (content as left, key unchanged). */
int rs_seqtab_attach(struct rs_seqtab *t, void *mem, size_t len);
int rs_seqtab_attach_writer(struct rs_seqtab *t, void *mem, size_t len);

/* --- helpers shared with rs_bcast.h --- */

/* Spin-wait hint (PAUSE on x86). */
static inline void rs__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Copy len bytes out of seqlock-protected shared memory (src 8-byte
 * aligned) with relaxed atomic loads. */
static inline void rs__seq_copy_out(void *dst, const void *src, size_t len)
{
	const uint64_t *s = (const uint64_t *)src;
	uint8_t *d = (uint8_t *)dst;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++) {
		uint64_t w = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
		memcpy(d + 8 * i, &w, 8);
	}
	if (len & 7) {
		uint64_t w = __atomic_load_n(&s[n], __ATOMIC_RELAXED);
		memcpy(d + 8 * n, &w, len & 7);
	}
}

/* Copy len bytes into seqlock-protected shared memory (dst 8-byte aligned)
 * with relaxed atomic stores; a partial last word is zero-filled. */
static inline void rs__seq_copy_in(void *dst, const void *src, size_t len)
{
	uint64_t *d = (uint64_t *)dst;
	const uint8_t *s = (const uint8_t *)src;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++) {
		uint64_t w;
		memcpy(&w, s + 8 * i, 8);
		__atomic_store_n(&d[i], w, __ATOMIC_RELAXED);
	}
	if (len & 7) {
		uint64_t w = 0;
		memcpy(&w, s + 8 * n, len & 7);
		__atomic_store_n(&d[n], w, __ATOMIC_RELAXED);
	}
}

static inline struct rs_seqtab_slot *rs__seqtab_slot(const struct rs_seqtab *t, uint32_t slot)
{
	return (struct rs_seqtab_slot *)(t->slots + (size_t)slot * t->stride);
}

static inline uint32_t rs_seqtab_nslots(const struct rs_seqtab *t) { return t->nslots; }
static inline uint32_t rs_seqtab_payload_size(const struct rs_seqtab *t) { return t->payload_size; }

/* Writer: open slot (< nslots) for an in-place update; readers retry until
 * rs_seqtab_write_end(). Store data only with rs_seqtab_store(). */
static inline void rs_seqtab_write_begin(struct rs_seqtab *t, uint32_t slot)
{
	struct rs_seqtab_slot *s = rs__seqtab_slot(t, slot);
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed); /* we are the only writer */

	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	/* release fence pairs with the reader's acquire fence in
	 * rs_seqtab_try_read(): a reader that sees any payload store below
	 * also sees the odd seq. */
	atomic_thread_fence(memory_order_release);
}

/* Writer (between begin and end): copy len bytes to payload offset off
 * (off multiple of 8, off + len <= payload_size). Whole 64-bit words are
 * stored: when len is not a multiple of 8 the rest of the last word is
 * zeroed, so keep partial updates word-aligned. */
static inline void rs_seqtab_store(struct rs_seqtab *t, uint32_t slot, uint32_t off, const void *src, uint32_t len)
{
	rs__seq_copy_in(rs__seqtab_slot(t, slot)->payload + off, src, len);
}

/* Writer: set the slot's key (between begin and end). */
static inline void rs_seqtab_set_key(struct rs_seqtab *t, uint32_t slot, uint64_t key)
{
	__atomic_store_n(&rs__seqtab_slot(t, slot)->key, key, __ATOMIC_RELAXED);
}

/* Writer: close the update opened by rs_seqtab_write_begin(). */
static inline void rs_seqtab_write_end(struct rs_seqtab *t, uint32_t slot)
{
	struct rs_seqtab_slot *s = rs__seqtab_slot(t, slot);
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	/* release pairs with the reader's acquire load of seq: the payload is
	 * complete for a reader that sees the even value. */
	atomic_store_explicit(&s->seq, seq + 1, memory_order_release);
	if (slot >= atomic_load_explicit(&t->l->nused, memory_order_relaxed))
		/* release pairs with the acquire load in rs_seqtab_nused() */
		atomic_store_explicit(&t->l->nused, slot + 1, memory_order_release);
	/* release pairs with the acquire load in rs_seqtab_writes() */
	atomic_store_explicit(&t->l->writes, atomic_load_explicit(&t->l->writes, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* Writer: replace slot's key and the first len bytes of its payload (the
 * rest of the payload keeps its bytes). len <= payload_size. */
static inline void rs_seqtab_write(struct rs_seqtab *t, uint32_t slot, uint64_t key, const void *src, uint32_t len)
{
	rs_seqtab_write_begin(t, slot);
	rs_seqtab_set_key(t, slot, key);
	rs__seq_copy_in(rs__seqtab_slot(t, slot)->payload, src, len);
	rs_seqtab_write_end(t, slot);
}

/* Reader: consistent copy of slot's first len bytes (len <= payload_size)
 * into dst and its key into *key (may be NULL), trying at most max_tries
 * times. Returns the number of retries needed (>= 0), -ENOENT if the slot
 * was never written, -EAGAIN if no consistent copy was obtained (writer
 * busy or dead mid-write), -EINVAL if slot or len is out of range. */
static inline int rs_seqtab_try_read(const struct rs_seqtab *t, uint32_t slot, void *dst, uint32_t len,
				     uint64_t *key, uint32_t max_tries)
{
	if (slot >= t->nslots || len > t->payload_size)
		return -EINVAL;
	struct rs_seqtab_slot *s = rs__seqtab_slot(t, slot);

	for (uint32_t i = 0; i < max_tries; i++) {
		/* acquire pairs with the release store in rs_seqtab_write_end() */
		uint64_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (s1 == 0)
			return -ENOENT;
		if (s1 & 1) {
			rs__cpu_relax();
			continue;
		}
		uint64_t k = __atomic_load_n(&s->key, __ATOMIC_RELAXED);
		rs__seq_copy_out(dst, s->payload, len);
		/* acquire fence pairs with the release fence in
		 * rs_seqtab_write_begin(): if the copy saw a newer store, the
		 * seq load below sees the newer (odd or later) seq. */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) == s1) {
			if (key)
				*key = k;
			return (int)(i > INT32_MAX ? INT32_MAX : i);
		}
	}
	return -EAGAIN;
}

/* Reader: rs_seqtab_try_read with RS_SEQTAB_READ_TRIES; returns 0 (not the
 * retry count), -ENOENT, -EAGAIN or -EINVAL. */
static inline int rs_seqtab_read(const struct rs_seqtab *t, uint32_t slot, void *dst, uint32_t len, uint64_t *key)
{
	int rc = rs_seqtab_try_read(t, slot, dst, len, key, RS_SEQTAB_READ_TRIES);
	return rc > 0 ? 0 : rc;
}

/* Slot's current seq (even = stable; changes on every write). A reader can
 * compare it with the last seen value to skip unchanged slots. */
static inline uint64_t rs_seqtab_seq(const struct rs_seqtab *t, uint32_t slot)
{
	return atomic_load_explicit(&rs__seqtab_slot(t, slot)->seq, memory_order_acquire);
}

/* Completed writes to the table since creation (pairs with write_end). */
static inline uint64_t rs_seqtab_writes(const struct rs_seqtab *t)
{
	return atomic_load_explicit(&t->l->writes, memory_order_acquire);
}

/* 1 + highest slot index ever written (pairs with write_end). */
static inline uint32_t rs_seqtab_nused(const struct rs_seqtab *t)
{
	uint32_t n = atomic_load_explicit(&t->l->nused, memory_order_acquire);
	return n <= t->nslots ? n : t->nslots;
}

#endif /* RS_SEQTAB_H */
