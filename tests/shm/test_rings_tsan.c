/* test_rings_tsan.c - threaded stress of every shm/ structure, written as a
 * plain program (no Criterion) so that it runs under ThreadSanitizer:
 * Criterion 2.4's BoxFort arena cannot start under TSan (Snaipe/Criterion
 * issue #274: its free-address probe sees TSan's shadow as mapped). TSan
 * does not follow shared memory across processes, so threads stand in for
 * the processes of test_rings_mp.c. Exit status 0 = pass. Labels unit, tsan.
 *
 *   spsc:     producer/consumer threads, small ring (constantly full/empty)
 *   vring:    variable records with padding at wrap
 *   bcast:    writer never waits, 2 readers on a tiny ring (lapped often)
 *   seqtab:   writer + 2 readers, 1600-byte slots, never torn
 *   counters: concurrent allocation, owner-thread updates, listing reader
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_bcast.h"
#include "rs_counters.h"
#include "rs_ring.h"
#include "rs_seqtab.h"
#include "rs_shm_testutil.h"
#include "rs_vring.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			failures++;                                            \
		}                                                              \
	} while (0)

static void *must_map(size_t len)
{
	void *m = rs_t_shared(len);
	if (!m) {
		perror("mmap");
		exit(2);
	}
	return m;
}

/* ------------------------------------------------------------------ spsc */
static struct rs_ring ring_p, ring_c;
static uint64_t ring_n;

static void *spsc_prod(void *arg)
{
	uint64_t next = 0, pos;
	while (next < ring_n) {
		uint32_t want = (uint32_t)(next % 32) + 1;
		uint32_t k = rs_ring_reserve(&ring_p, want, &pos);
		if (k > ring_n - next)
			k = (uint32_t)(ring_n - next);
		for (uint32_t i = 0; i < k; i++)
			rs_t_fill(rs_ring_slot(&ring_p, pos + i), next + i);
		if (k)
			rs_ring_commit(&ring_p, k);
		else
			sched_yield();
		next += k;
	}
	return NULL;
}

static void test_spsc(void)
{
	size_t len = rs_ring_footprint(64);
	void *m = must_map(len);
	pthread_t th;
	uint64_t next = 0, pos, bad = 0;

	ring_n = 2000000 / RS_T_SCALE;
	CHECK(rs_ring_init(&ring_p, m, len, 64) == 0, "init");
	CHECK(rs_ring_attach(&ring_c, m, len) == 0, "attach");
	pthread_create(&th, NULL, spsc_prod, NULL);
	while (next < ring_n) {
		uint32_t k = rs_ring_peek(&ring_c, (uint32_t)(next % 17) + 1, &pos);
		for (uint32_t i = 0; i < k; i++)
			bad += rs_t_check(rs_ring_slot(&ring_c, pos + i), next + i) != 0;
		if (k)
			rs_ring_release(&ring_c, k);
		else
			sched_yield();
		next += k;
	}
	pthread_join(th, NULL);
	CHECK(bad == 0, "spsc: %llu bad records", (unsigned long long)bad);
	printf("spsc: %llu records, %llu bad\n", (unsigned long long)next, (unsigned long long)bad);
	rs_t_unshare(m, len);
}

/* ----------------------------------------------------------------- vring */
static struct rs_vring vr_p, vr_c;
static uint64_t vr_n;

static void *vring_prod(void *arg)
{
	for (uint64_t n = 0; n < vr_n;) {
		uint32_t len = (uint32_t)(rs_t_mix(n) % 100);
		uint8_t *d = rs_vring_reserve(&vr_p, len, (uint32_t)n);
		if (!d) {
			rs_vring_commit(&vr_p);
			sched_yield();
			continue;
		}
		for (uint32_t i = 0; i < len; i++)
			d[i] = (uint8_t)(n + i);
		if (++n % 4 == 0)
			rs_vring_commit(&vr_p);
	}
	rs_vring_commit(&vr_p);
	return NULL;
}

static void test_vring(void)
{
	size_t len = rs_vring_footprint(2048);
	void *m = must_map(len);
	pthread_t th;
	uint64_t next = 0, bad = 0;

	vr_n = 1000000 / RS_T_SCALE;
	CHECK(rs_vring_init(&vr_p, m, len, 2048) == 0, "init");
	CHECK(rs_vring_attach(&vr_c, m, len) == 0, "attach");
	pthread_create(&th, NULL, vring_prod, NULL);
	while (next < vr_n) {
		const struct rs_vrec *v = rs_vring_peek(&vr_c);
		if (!v) {
			rs_vring_release(&vr_c);
			sched_yield();
			continue;
		}
		uint32_t l = (uint32_t)(rs_t_mix(next) % 100);
		int ok = v->type == (uint32_t)next && v->len == l;
		for (uint32_t i = 0; ok && i < l; i++)
			ok = v->data[i] == (uint8_t)(next + i);
		bad += !ok;
		rs_vring_advance(&vr_c);
		next++;
		if (next % 8 == 0)
			rs_vring_release(&vr_c);
	}
	rs_vring_release(&vr_c);
	pthread_join(th, NULL);
	CHECK(bad == 0 && !vr_c.corrupt, "vring: %llu bad", (unsigned long long)bad);
	printf("vring: %llu records, %llu bad\n", (unsigned long long)next, (unsigned long long)bad);
	rs_t_unshare(m, len);
}

/* ----------------------------------------------------------------- bcast */
static struct rs_bcast bc_w;
static void *bc_mem;
static size_t bc_len;
static uint64_t bc_n;
static _Atomic int bc_done;
static _Atomic int bc_attached; /* readers attached; the writer starts after both */

static void *bcast_writer(void *arg)
{
	uint8_t rec[64];
	/* A reader sees only records written after it attached; make both
	 * attach first so "read + lost == written" covers every record. */
	while (atomic_load(&bc_attached) < 2)
		sched_yield();
	for (uint64_t n = 0; n < bc_n; n++) {
		rs_t_fill(rec, n);
		rs_bcast_write(&bc_w, (uint32_t)n, rec, 64);
		if (n % 1024 == 0)
			sched_yield();
	}
	atomic_store(&bc_done, 1);
	return NULL;
}

struct bc_res {
	uint64_t got, lost, torn;
};

static void *bcast_reader(void *arg)
{
	struct bc_res *r = arg;
	struct rs_bcast_reader rd;
	uint8_t rec[128];
	if (rs_bcast_reader_attach(&rd, bc_mem, bc_len, RS_BCAST_OLDEST)) {
		r->torn = UINT64_MAX;
		atomic_fetch_add(&bc_attached, 1);
		return NULL;
	}
	atomic_fetch_add(&bc_attached, 1);
	while (rd.pos < bc_n) {
		uint64_t expect = rd.pos;
		int rc = rs_bcast_read(&rd, rec, sizeof(rec), NULL, NULL);
		if (rc == 1) {
			r->torn += rs_t_check(rec, expect) != 0;
			r->got++;
		} else if (rc == 0 && atomic_load(&bc_done) && rs_bcast_reader_lag(&rd) == 0) {
			break;
		}
	}
	r->lost = rd.overruns;
	return NULL;
}

static void test_bcast(void)
{
	pthread_t w, r[2];
	struct bc_res res[2] = {{0}};

	bc_n = 2000000 / RS_T_SCALE;
	bc_len = rs_bcast_footprint(8, 128);
	bc_mem = must_map(bc_len);
	CHECK(rs_bcast_init(&bc_w, bc_mem, bc_len, 8, 128) == 0, "init");
	for (int i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, bcast_reader, &res[i]);
	pthread_create(&w, NULL, bcast_writer, NULL);
	pthread_join(w, NULL);
	for (int i = 0; i < 2; i++) {
		pthread_join(r[i], NULL);
		printf("bcast reader %d: %llu read, %llu lost, %llu torn\n", i, (unsigned long long)res[i].got,
		       (unsigned long long)res[i].lost, (unsigned long long)res[i].torn);
		CHECK(res[i].torn == 0, "bcast: torn records");
		CHECK(res[i].got + res[i].lost == bc_n, "bcast: read + lost != written");
	}
	rs_t_unshare(bc_mem, bc_len);
}

/* ---------------------------------------------------------------- seqtab */
#define ST_WORDS 200
static struct rs_seqtab st_w, st_r;
static _Atomic int st_done;
static uint64_t st_n;

static void *seqtab_writer(void *arg)
{
	uint64_t v[ST_WORDS];
	for (uint64_t n = 1; n <= st_n; n++) {
		for (int i = 0; i < ST_WORDS; i++)
			v[i] = n + (uint64_t)i;
		rs_seqtab_write(&st_w, (uint32_t)(n % 4), n, v, sizeof(v));
	}
	atomic_store(&st_done, 1);
	return NULL;
}

struct st_res {
	uint64_t reads, retries, torn;
};

static void *seqtab_reader(void *arg)
{
	struct st_res *r = arg;
	uint64_t v[ST_WORDS], key;
	for (uint32_t i = 0; !atomic_load_explicit(&st_done, memory_order_relaxed); i++) {
		int rc = rs_seqtab_try_read(&st_r, i % 4, v, sizeof(v), &key, 1000);
		if (rc < 0)
			continue;
		r->reads++;
		r->retries += (uint64_t)rc;
		for (int k = 0; k < ST_WORDS; k++)
			if (v[k] != key + (uint64_t)k) {
				r->torn++;
				break;
			}
	}
	return NULL;
}

static void test_seqtab(void)
{
	size_t len = rs_seqtab_footprint(4, ST_WORDS * 8);
	void *m = must_map(len);
	pthread_t w, r[2];
	struct st_res res[2] = {{0}};

	st_n = 500000 / RS_T_SCALE;
	CHECK(rs_seqtab_init(&st_w, m, len, 4, ST_WORDS * 8) == 0, "init");
	CHECK(rs_seqtab_attach(&st_r, m, len) == 0, "attach");
	for (int i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, seqtab_reader, &res[i]);
	pthread_create(&w, NULL, seqtab_writer, NULL);
	pthread_join(w, NULL);
	for (int i = 0; i < 2; i++) {
		pthread_join(r[i], NULL);
		printf("seqtab reader %d: %llu reads, %llu retries, %llu torn\n", i,
		       (unsigned long long)res[i].reads, (unsigned long long)res[i].retries,
		       (unsigned long long)res[i].torn);
		CHECK(res[i].torn == 0, "seqtab: torn read");
	}
	CHECK(rs_seqtab_writes(&st_r) == st_n, "seqtab: writes");
	rs_t_unshare(m, len);
}

/* -------------------------------------------------------------- counters */
static struct rs_counters cn;
static _Atomic int cn_done;

static void *counters_worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	char label[32];
	int ids[4];
	for (int i = 0; i < 4; i++) {
		snprintf(label, sizeof(label), "w%d_%d", t, i);
		ids[i] = rs_counters_alloc(&cn, RS_COUNTER_TYPE_COUNTER, (uint64_t)t, label);
		if (ids[i] < 0)
			return (void *)1;
	}
	for (int k = 0; k < 20000; k++)
		for (int i = 0; i < 4; i++)
			rs_counters_inc(rs_counters_value(&cn, ids[i]));
	return NULL;
}

static int sum_values(void *ctx, const struct rs_counter_info *info)
{
	*(uint64_t *)ctx += info->value;
	return 0;
}

static void *counters_lister(void *arg)
{
	while (!atomic_load(&cn_done)) {
		uint64_t s = 0;
		rs_counters_foreach(&cn, sum_values, &s);
	}
	return NULL;
}

static void test_counters(void)
{
	size_t len = rs_counters_footprint(16);
	void *m = must_map(len);
	pthread_t th[3], lister;
	void *ret;

	CHECK(rs_counters_init(&cn, m, len, 16) == 0, "init");
	pthread_create(&lister, NULL, counters_lister, NULL);
	for (int t = 0; t < 3; t++)
		pthread_create(&th[t], NULL, counters_worker, (void *)(intptr_t)t);
	for (int t = 0; t < 3; t++) {
		pthread_join(th[t], &ret);
		CHECK(ret == NULL, "counters: alloc failed");
	}
	atomic_store(&cn_done, 1);
	pthread_join(lister, NULL);
	uint64_t s = 0;
	rs_counters_foreach(&cn, sum_values, &s);
	CHECK(s == 3 * 4 * 20000, "counters: sum %llu", (unsigned long long)s);
	CHECK(rs_counters_count(&cn) == 12, "counters: count");
	printf("counters: 12 counters, sum %llu\n", (unsigned long long)s);
	rs_t_unshare(m, len);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_spsc();
	test_vring();
	test_bcast();
	test_seqtab();
	test_counters();
	if (failures) {
		fprintf(stderr, "test_rings_tsan: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_rings_tsan: all passed\n");
	return 0;
}
