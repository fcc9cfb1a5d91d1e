/* test_seqtab.c - seqlocked table: geometry, attach validation, keys,
 * partial updates, -ENOENT/-EAGAIN/-EINVAL, dead-writer recovery, and a
 * torn-read stress with threads (also under TSan; the cross-process
 * version is in test_rings_mp.c). Suite: rs_seqtab. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "rs_err.h"
#include "rs_seqtab.h"
#include "rs_shm_testutil.h"

static void *mem;
static size_t memlen;

static void *tmem(uint32_t n, uint32_t payload)
{
	memlen = rs_seqtab_footprint(n, payload);
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

TestSuite(rs_seqtab, .fini = fini);

Test(rs_seqtab, geometry_and_attach)
{
	struct rs_seqtab t, r;

	cr_assert_eq(rs_seqtab_footprint(0, 128), 0);
	cr_assert_eq(rs_seqtab_footprint(10, 0), 0);
	cr_assert_eq(rs_seqtab_footprint(10, 128), RS_SEQTAB_HDR_SIZE + 10 * 192);
	cr_assert_eq(rs_seqtab_footprint(3, sizeof(struct rs_depth) + 100 * sizeof(struct rs_level)),
		     RS_SEQTAB_HDR_SIZE + 3 * 1664);
	cr_assert_eq(rs_seqtab_footprint(1, 13), RS_SEQTAB_HDR_SIZE + 64);
	void *m = tmem(10, 13);
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen), -EPROTO);
	cr_assert_eq(rs_seqtab_init(&t, m, memlen - 1, 10, 13), -EMSGSIZE);
	cr_assert_eq(rs_seqtab_init(&t, m, memlen, 10, 13), 0);
	cr_assert_eq(rs_seqtab_payload_size(&t), 16, "rounded to 8");
	cr_assert_eq(rs_seqtab_nslots(&t), 10);
	cr_assert_eq(t.stride % 64, 0);
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen), 0);
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen - 64), -EMSGSIZE);
	struct rs_seqtab_layout *l = m;
	l->hdr.rec_size = 128; /* stride does not match the payload */
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen), -EINVAL);
	cr_assert(strstr(rs_err_msg(), "inconsistent"), "%s", rs_err_msg());
	l->hdr.rec_size = 64;
	l->hdr.param = 20; /* payload not a multiple of 8 */
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen), -EINVAL);
	l->hdr.param = 16;
	l->hdr.kind = RS_SEG_COUNTERS;
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen), -EPROTO);
}

Test(rs_seqtab, write_read_keys_partial)
{
	struct rs_seqtab t, r;
	void *m = tmem(100, sizeof(struct rs_bbo));
	struct rs_bbo b = {0}, out;
	uint64_t key;

	cr_assert_eq(rs_seqtab_init(&t, m, memlen, 100, sizeof(b)), 0);
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen), 0);
	cr_assert_eq(rs_seqtab_read(&r, 5, &out, sizeof(out), &key), -ENOENT);
	cr_assert_eq(rs_seqtab_read(&r, 100, &out, sizeof(out), &key), -EINVAL);
	cr_assert_eq(rs_seqtab_read(&r, 5, &out, sizeof(out) + 8, &key), -EINVAL);
	cr_assert_eq(rs_seqtab_nused(&r), 0);
	cr_assert_eq(rs_seqtab_writes(&r), 0);

	b.instrument_id = 42;
	b.bid.price = 100 * RS_PRICE_SCALE;
	b.ask.price = 101 * RS_PRICE_SCALE;
	b.bid.size = 300;
	rs_seqtab_write(&t, 5, 42, &b, sizeof(b));
	cr_assert_eq(rs_seqtab_read(&r, 5, &out, sizeof(out), &key), 0);
	cr_assert_eq(key, 42);
	cr_assert_eq(memcmp(&b, &out, sizeof(b)), 0);
	cr_assert_eq(rs_seqtab_nused(&r), 6);
	cr_assert_eq(rs_seqtab_writes(&r), 1);
	uint64_t s1 = rs_seqtab_seq(&r, 5);
	cr_assert_eq(s1 % 2, 0);

	/* in-place partial update of the bid level only */
	struct rs_level bid = {.price = 99 * RS_PRICE_SCALE, .size = 7, .count = 1};
	rs_seqtab_write_begin(&t, 5);
	cr_assert_eq(rs_seqtab_try_read(&r, 5, &out, sizeof(out), NULL, 10), -EAGAIN, "write open");
	rs_seqtab_store(&t, 5, offsetof(struct rs_bbo, bid), &bid, sizeof(bid));
	rs_seqtab_write_end(&t, 5);
	cr_assert_eq(rs_seqtab_try_read(&r, 5, &out, sizeof(out), &key, 10), 0, "no retry needed");
	cr_assert_eq(out.bid.price, bid.price);
	cr_assert_eq(out.ask.price, b.ask.price);
	cr_assert_eq(key, 42);
	cr_assert_gt(rs_seqtab_seq(&r, 5), s1);
	/* short read: only the first 8 bytes */
	uint64_t head = 0;
	cr_assert_eq(rs_seqtab_read(&r, 5, &head, 8, NULL), 0);
	cr_assert_eq((uint32_t)head, 42);
	/* odd sizes */
	char s[5] = "abcd";
	rs_seqtab_write(&t, 99, 7, s, 5);
	char o[5] = {0};
	cr_assert_eq(rs_seqtab_read(&r, 99, o, 5, NULL), 0);
	cr_assert_str_eq(o, "abcd");
	cr_assert_eq(rs_seqtab_nused(&r), 100);
}

Test(rs_seqtab, dead_writer_bounded_read_and_recovery)
{
	struct rs_seqtab t, r, w2;
	void *m = tmem(4, 64);
	uint64_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];

	cr_assert_eq(rs_seqtab_init(&t, m, memlen, 4, 64), 0);
	rs_seqtab_write(&t, 1, 1, v, sizeof(v));
	rs_seqtab_write_begin(&t, 1); /* "killed" inside a write */
	cr_assert_eq(rs_seqtab_attach(&r, m, memlen), 0);
	cr_assert_eq(rs_seqtab_try_read(&r, 1, out, sizeof(out), NULL, 1000), -EAGAIN);
	cr_assert_eq(rs_seqtab_read(&r, 1, out, sizeof(out), NULL), -EAGAIN, "bounded, does not hang");
	/* a new writer repairs odd slots */
	cr_assert_eq(rs_seqtab_attach_writer(&w2, m, memlen), 0);
	cr_assert_eq(rs_seqtab_read(&r, 1, out, sizeof(out), NULL), 0);
	cr_assert_eq(memcmp(v, out, sizeof(v)), 0);
}

/* Writer thread keeps every word of a slot equal to one value; readers
 * must never see two different values in one read. */
#define NSLOT 8
#define NWORD 200 /* 1600 bytes: the size of a 50-level depth slot */
struct stress {
	struct rs_seqtab w, r;
	uint64_t writes;
	_Atomic int done;
};

static void *stress_writer(void *arg)
{
	struct stress *s = arg;
	uint64_t v[NWORD];
	rs_t_pin(0);
	for (uint64_t n = 1; n <= s->writes; n++) {
		for (int i = 0; i < NWORD; i++)
			v[i] = n;
		rs_seqtab_write(&s->w, (uint32_t)(n % NSLOT), n, v, sizeof(v));
	}
	atomic_store(&s->done, 1);
	return NULL;
}

Test(rs_seqtab, threads_no_torn_reads, .timeout = 120)
{
	static struct stress s;
	void *m = tmem(NSLOT, NWORD * 8);
	pthread_t th;
	uint64_t v[NWORD], key, reads = 0, retries = 0, torn = 0, eagain = 0;

	s.writes = 2000000 / RS_T_SCALE;
	cr_assert_eq(rs_seqtab_init(&s.w, m, memlen, NSLOT, NWORD * 8), 0);
	cr_assert_eq(rs_seqtab_attach(&s.r, m, memlen), 0);
	cr_assert_eq(pthread_create(&th, NULL, stress_writer, &s), 0);
	rs_t_pin(1);
	for (uint32_t i = 0; !atomic_load_explicit(&s.done, memory_order_relaxed); i++) {
		int rc = rs_seqtab_try_read(&s.r, i % NSLOT, v, sizeof(v), &key, 1000);
		if (rc == -ENOENT)
			continue;
		if (rc == -EAGAIN) {
			eagain++;
			continue;
		}
		cr_assert_geq(rc, 0);
		retries += (uint64_t)rc;
		reads++;
		for (int k = 0; k < NWORD; k++)
			if (v[k] != key) {
				torn++;
				break;
			}
	}
	pthread_join(th, NULL);
	cr_log_info("seqtab stress: %llu reads, %llu retries, %llu gave up", (unsigned long long)reads,
		    (unsigned long long)retries, (unsigned long long)eagain);
	cr_assert_eq(torn, 0);
	cr_assert_gt(reads, 0);
	cr_assert_eq(rs_seqtab_writes(&s.r), s.writes);
}
