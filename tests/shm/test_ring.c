/* test_ring.c - SPSC ring of 64-byte records: geometry, attach validation,
 * full/empty/wrap edges, burst APIs, and a two-thread stress (also run
 * under TSan). Suite: rs_ring. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rs_err.h"
#include "rs_ring.h"
#include "rs_shm_testutil.h"

static void *mem;
static size_t memlen;

static void *ring_mem(uint32_t cap)
{
	memlen = rs_ring_footprint(cap);
	cr_assert(memlen > 0);
	mem = rs_t_shared(memlen);
	cr_assert(mem);
	return mem;
}

static void fini(void)
{
	rs_t_unshare(mem, memlen);
	mem = NULL;
}

TestSuite(rs_ring, .fini = fini);

Test(rs_ring, footprint_and_geometry)
{
	cr_assert_eq(rs_ring_footprint(0), 0);
	cr_assert_eq(rs_ring_footprint(1), 0);
	cr_assert_eq(rs_ring_footprint(3), 0);
	cr_assert_eq(rs_ring_footprint(1000), 0);
	cr_assert_eq(rs_ring_footprint(2), RS_RING_HDR_SIZE + 128);
	cr_assert_eq(rs_ring_footprint(1024), RS_RING_HDR_SIZE + 1024 * 64);
	cr_assert_eq(rs_ring_footprint(RS_RING_MAX_CAPACITY * 2u), 0);

	struct rs_ring r;
	void *m = ring_mem(8);
	cr_assert_eq(rs_ring_init(&r, m, memlen, 6), -EINVAL);
	cr_assert_eq(rs_ring_init(&r, m, memlen - 1, 8), -EMSGSIZE);
	cr_assert_eq(rs_ring_init(&r, (char *)m + 8, memlen - 8, 4), -EINVAL, "misaligned");
	cr_assert_str_neq(rs_err_msg(), "");
	cr_assert_eq(rs_ring_init(&r, m, memlen, 8), 0);
	cr_assert_eq(r.capacity, 8);
	cr_assert_eq(((uintptr_t)r.slots) % 64, 0);
	/* producer and consumer indices in separate 128-byte blocks */
	cr_assert_geq((uintptr_t)r.cons - (uintptr_t)r.prod, 128);
	cr_assert_geq((uintptr_t)r.slots - (uintptr_t)r.cons, 128);
}

Test(rs_ring, attach_validation)
{
	struct rs_ring p, c;
	void *m = ring_mem(16);

	/* never initialised: zero magic */
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EPROTO);
	cr_assert_eq(rs_ring_init(&p, m, memlen, 16), 0);
	cr_assert_eq(rs_ring_attach(&c, m, memlen), 0);
	cr_assert_eq(c.capacity, 16);
	/* truncated mapping */
	cr_assert_eq(rs_ring_attach(&c, m, memlen - 64), -EMSGSIZE);
	cr_assert_eq(rs_ring_attach(&c, m, 100), -EMSGSIZE);
	cr_assert(strstr(rs_err_msg(), "truncated"), "%s", rs_err_msg());

	struct rs_ring_layout *l = m;
	/* wrong kind */
	l->hdr.kind = RS_SEG_BCAST;
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EPROTO);
	cr_assert(strstr(rs_err_msg(), "broadcast"), "%s", rs_err_msg());
	l->hdr.kind = RS_SEG_SPSC;
	/* different layout major */
	l->hdr.layout_version = (RS_LAYOUT_MAJOR + 1) << 16;
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EPROTO);
	cr_assert(strstr(rs_err_msg(), "layout version"), "%s", rs_err_msg());
	/* a newer minor is compatible */
	l->hdr.layout_version = RS_LAYOUT_VERSION + 1;
	cr_assert_eq(rs_ring_attach(&c, m, memlen), 0);
	l->hdr.layout_version = RS_LAYOUT_VERSION;
	/* inconsistent sizes */
	l->hdr.capacity = 12;
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EINVAL);
	l->hdr.capacity = 16;
	l->hdr.rec_size = 128;
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EINVAL);
	l->hdr.rec_size = 64;
	l->hdr.capacity = 32; /* bigger than the mapping */
	l->hdr.footprint = rs_ring_footprint(32);
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EMSGSIZE);
	l->hdr.capacity = 16;
	l->hdr.footprint = rs_ring_footprint(16);
	/* corrupt positions */
	atomic_store(&l->prod.pos, 100);
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EINVAL);
	atomic_store(&l->prod.pos, 0);
	/* bad magic */
	atomic_store(&l->hdr.magic, 0x12345678u);
	cr_assert_eq(rs_ring_attach(&c, m, memlen), -EPROTO);
	cr_assert(strstr(rs_err_msg(), "magic"), "%s", rs_err_msg());
}

Test(rs_ring, empty_full_and_wrap)
{
	struct rs_ring p, c;
	void *m = ring_mem(8);
	uint64_t pos;
	struct rs_event ev[16], out[16];

	cr_assert_eq(rs_ring_init(&p, m, memlen, 8), 0);
	cr_assert_eq(rs_ring_attach(&c, m, memlen), 0);
	cr_assert_eq(rs_ring_peek(&c, 4, &pos), 0, "empty");
	cr_assert_eq(rs_ring_dequeue_burst(&c, out, 16), 0);

	uint64_t next_in = 0, next_out = 0;
	/* many laps with odd burst sizes so every offset and the wrap are hit */
	for (int round = 0; round < 200; round++) {
		uint32_t want = (uint32_t)(round % 11) + 1;
		for (uint32_t i = 0; i < want; i++)
			rs_t_fill(&ev[i], next_in + i);
		uint32_t free_before = (uint32_t)(8 - (next_in - next_out));
		uint32_t k = rs_ring_enqueue_burst(&p, ev, want);
		cr_assert_eq(k, want < free_before ? want : free_before, "round %d", round);
		next_in += k;
		cr_assert_eq(rs_ring_count(&p), next_in - next_out);
		uint32_t take = (uint32_t)(round % 7) + 1;
		uint32_t got = rs_ring_dequeue_burst(&c, out, take);
		uint64_t avail = next_in - next_out;
		cr_assert_eq(got, take < avail ? take : avail);
		for (uint32_t i = 0; i < got; i++)
			cr_assert_eq(rs_t_check(&out[i], next_out + i), 0, "record %llu",
				     (unsigned long long)(next_out + i));
		next_out += got;
	}
	/* fill completely: exactly capacity fit */
	while (rs_ring_dequeue_burst(&c, out, 16))
		;
	for (int i = 0; i < 8; i++)
		rs_t_fill(&ev[i], 1000 + (uint64_t)i);
	cr_assert_eq(rs_ring_enqueue_burst(&p, ev, 8), 8);
	cr_assert_eq(rs_ring_reserve(&p, 1, &pos), 0, "full");
	cr_assert_eq(rs_ring_enqueue_burst(&p, ev, 1), 0, "full");
	cr_assert_eq(rs_ring_count(&c), 8);
	/* one out, one in */
	cr_assert_eq(rs_ring_dequeue_burst(&c, out, 1), 1);
	cr_assert_eq(rs_t_check(&out[0], 1000), 0);
	cr_assert_eq(rs_ring_reserve(&p, 4, &pos), 1);
	cr_assert_eq(rs_ring_dequeue_burst(&c, out, 16), 7);
	for (int i = 0; i < 7; i++)
		cr_assert_eq(rs_t_check(&out[i], 1001 + (uint64_t)i), 0);
	cr_assert_eq(rs_ring_peek(&c, 1, &pos), 0);
}

Test(rs_ring, reserve_commit_partial_and_contig)
{
	struct rs_ring p, c;
	void *m = ring_mem(8);
	uint64_t pos, cpos;
	struct rs_event *recs;
	const struct rs_event *crecs;

	cr_assert_eq(rs_ring_init(&p, m, memlen, 8), 0);
	cr_assert_eq(rs_ring_attach(&c, m, memlen), 0);
	/* move both to position 6 so a burst of 5 wraps */
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(rs_ring_reserve(&p, 1, &pos), 1);
		rs_t_fill(rs_ring_slot(&p, pos), pos);
		rs_ring_commit(&p, 1);
	}
	cr_assert_eq(rs_ring_peek(&c, 8, &cpos), 6);
	rs_ring_release(&c, 6);

	cr_assert_eq(rs_ring_reserve(&p, 5, &pos), 5);
	cr_assert_eq(pos, 6);
	for (uint32_t i = 0; i < 5; i++)
		rs_t_fill(rs_ring_slot(&p, pos + i), pos + i);
	/* nothing visible before commit */
	cr_assert_eq(rs_ring_peek(&c, 8, &cpos), 0);
	/* commit only 3 of the 5 reserved */
	rs_ring_commit(&p, 3);
	cr_assert_eq(rs_ring_peek(&c, 8, &cpos), 3);
	cr_assert_eq(cpos, 6);
	/* contiguous view stops at the array end (slots 6, 7) */
	cr_assert_eq(rs_ring_peek_contig(&c, 8, &crecs), 2);
	cr_assert_eq(crecs, &c.slots[6]);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_eq(rs_t_check(rs_ring_slot(&c, cpos + i), cpos + i), 0);
	rs_ring_release(&c, 2);
	cr_assert_eq(rs_ring_peek_contig(&c, 8, &crecs), 1);
	cr_assert_eq(crecs, &c.slots[0]);
	rs_ring_release(&c, 1);
	/* producer contiguous reserve at slot 1: 7 to the end */
	cr_assert_eq(rs_ring_reserve_contig(&p, 16, &recs), 7);
	cr_assert_eq(recs, &p.slots[1]);
}

Test(rs_ring, producer_reattach_resumes)
{
	struct rs_ring p, p2, c;
	void *m = ring_mem(4);
	struct rs_event ev[4], out[4];

	cr_assert_eq(rs_ring_init(&p, m, memlen, 4), 0);
	for (int i = 0; i < 3; i++)
		rs_t_fill(&ev[i], (uint64_t)i);
	cr_assert_eq(rs_ring_enqueue_burst(&p, ev, 3), 3);
	cr_assert_eq(rs_ring_attach_producer(&p2, m, memlen), 0);
	rs_t_fill(&ev[0], 3);
	cr_assert_eq(rs_ring_enqueue_burst(&p2, ev, 2), 1, "only one free slot");
	cr_assert_eq(rs_ring_attach(&c, m, memlen), 0);
	cr_assert_eq(rs_ring_dequeue_burst(&c, out, 4), 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(rs_t_check(&out[i], (uint64_t)i), 0);
}

/* Two threads, small ring so it is constantly full/empty and wraps often. */
struct stress {
	struct rs_ring p, c;
	uint64_t n;
	uint64_t bad;
};

static void *stress_prod(void *arg)
{
	struct stress *s = arg;
	uint64_t next = 0, pos;
	rs_t_pin(0);
	while (next < s->n) {
		uint32_t want = (uint32_t)((next % 32) + 1);
		if (want > s->n - next)
			want = (uint32_t)(s->n - next);
		uint32_t k = rs_ring_reserve(&s->p, want, &pos);
		for (uint32_t i = 0; i < k; i++)
			rs_t_fill(rs_ring_slot(&s->p, pos + i), next + i);
		if (k)
			rs_ring_commit(&s->p, k);
		else
			sched_yield();
		next += k;
	}
	return NULL;
}

Test(rs_ring, threads_stress, .timeout = 120)
{
	static struct stress s;
	void *m = ring_mem(64);
	pthread_t th;
	uint64_t next = 0, pos;

	s.n = 20000000 / RS_T_SCALE;
	cr_assert_eq(rs_ring_init(&s.p, m, memlen, 64), 0);
	cr_assert_eq(rs_ring_attach(&s.c, m, memlen), 0);
	cr_assert_eq(pthread_create(&th, NULL, stress_prod, &s), 0);
	rs_t_pin(1);
	while (next < s.n) {
		uint32_t k = rs_ring_peek(&s.c, (uint32_t)(next % 17) + 1, &pos);
		for (uint32_t i = 0; i < k; i++)
			if (rs_t_check(rs_ring_slot(&s.c, pos + i), next + i))
				s.bad++;
		if (k)
			rs_ring_release(&s.c, k);
		else
			sched_yield();
		next += k;
	}
	pthread_join(th, NULL);
	cr_assert_eq(s.bad, 0);
	cr_assert_eq(rs_ring_peek(&s.c, 1, &pos), 0);
}
