/* test_counters.c - counters block: geometry, attach validation,
 * alloc/free/reuse, labels, listing, concurrent allocation and hot updates
 * from threads (also under TSan). Suite: rs_counters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "rs_counters.h"
#include "rs_err.h"
#include "rs_shm_testutil.h"

static void *mem;
static size_t memlen;

static void *cmem(uint32_t cap)
{
	memlen = rs_counters_footprint(cap);
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

TestSuite(rs_counters, .fini = fini);

Test(rs_counters, geometry_and_attach)
{
	struct rs_counters c, r;

	cr_assert_eq(rs_counters_footprint(0), 0);
	cr_assert_eq(rs_counters_footprint(4), RS_COUNTERS_HDR_SIZE + 4 * 256);
	void *m = cmem(4);
	cr_assert_eq(rs_counters_attach(&r, m, memlen), -EPROTO);
	cr_assert_eq(rs_counters_init(&c, m, memlen - 1, 4), -EMSGSIZE);
	cr_assert_eq(rs_counters_init(&c, m, memlen, 4), 0);
	cr_assert_eq(rs_counters_attach(&r, m, memlen), 0);
	cr_assert_eq(rs_counters_attach(&r, m, memlen - 128), -EMSGSIZE);
	struct rs_counters_layout *l = m;
	l->hdr.rec_size = 64;
	cr_assert_eq(rs_counters_attach(&r, m, memlen), -EINVAL);
	l->hdr.rec_size = 128;
	/* every value in its own 128-byte block */
	cr_assert_eq((uintptr_t)rs_counters_value(&c, 1) - (uintptr_t)rs_counters_value(&c, 0), 128);
	cr_assert_eq((uintptr_t)rs_counters_value(&c, 0) % 64, 0);
}

struct list {
	int n;
	char labels[8][RS_COUNTER_LABEL_MAX];
	uint64_t values[8];
	int32_t ids[8];
};

static int collect(void *ctx, const struct rs_counter_info *info)
{
	struct list *x = ctx;
	snprintf(x->labels[x->n], RS_COUNTER_LABEL_MAX, "%s", info->label);
	x->values[x->n] = info->value;
	x->ids[x->n] = info->id;
	x->n++;
	return 0;
}

static int stop_at_second(void *ctx, const struct rs_counter_info *info)
{
	int *n = ctx;
	return ++*n == 2 ? 77 : 0;
}

Test(rs_counters, alloc_update_list_free)
{
	struct rs_counters c, r;
	void *m = cmem(4);
	char longlabel[200];

	cr_assert_eq(rs_counters_init(&c, m, memlen, 4), 0);
	cr_assert_eq(rs_counters_alloc(&c, 1, 0, ""), -EINVAL);
	cr_assert_eq(rs_counters_alloc(&c, 1, 0, NULL), -EINVAL);
	memset(longlabel, 'x', sizeof(longlabel));
	longlabel[RS_COUNTER_LABEL_MAX - 1] = '\0'; /* 103 chars: fits */
	int a = rs_counters_alloc(&c, RS_COUNTER_TYPE_COUNTER, 1, "rs_feed_packets_total{feed=\"a\"}");
	int b = rs_counters_alloc(&c, RS_COUNTER_TYPE_GAUGE, 2, "rs_ring_depth");
	int d = rs_counters_alloc(&c, RS_COUNTER_TYPE_COUNTER, 3, longlabel);
	cr_assert_eq(a, 0);
	cr_assert_eq(b, 1);
	cr_assert_eq(d, 2);
	longlabel[RS_COUNTER_LABEL_MAX - 1] = 'x'; /* 104+ chars: too long */
	longlabel[150] = '\0';
	cr_assert_eq(rs_counters_alloc(&c, 1, 0, longlabel), -EINVAL);

	rs_counters_inc(rs_counters_value(&c, a));
	rs_counters_add(rs_counters_value(&c, a), 41);
	rs_counters_set(rs_counters_value(&c, b), 7);
	rs_counters_add_shared(rs_counters_value(&c, d), 5);

	cr_assert_eq(rs_counters_attach(&r, m, memlen), 0);
	cr_assert_eq(rs_counters_get(rs_counters_value(&r, a)), 42);
	cr_assert_eq(rs_counters_find(&r, "rs_ring_depth"), b);
	cr_assert_eq(rs_counters_find(&r, "nope"), -ENOENT);
	cr_assert_eq(rs_counters_count(&r), 3);
	struct list x = {0};
	cr_assert_eq(rs_counters_foreach(&r, collect, &x), 0);
	cr_assert_eq(x.n, 3);
	cr_assert_str_eq(x.labels[0], "rs_feed_packets_total{feed=\"a\"}");
	cr_assert_eq(x.values[0], 42);
	cr_assert_eq(x.values[1], 7);
	cr_assert_eq(strlen(x.labels[2]), RS_COUNTER_LABEL_MAX - 1);
	int n = 0;
	cr_assert_eq(rs_counters_foreach(&r, stop_at_second, &n), 77);

	/* full, free, reuse (value reset) */
	cr_assert_eq(rs_counters_alloc(&c, 1, 0, "four"), 3);
	cr_assert_eq(rs_counters_alloc(&c, 1, 0, "five"), -ENOSPC);
	cr_assert_eq(rs_counters_free(&c, b), 0);
	cr_assert_eq(rs_counters_free(&c, b), -EINVAL);
	cr_assert_eq(rs_counters_free(&c, 99), -EINVAL);
	cr_assert_eq(rs_counters_find(&r, "rs_ring_depth"), -ENOENT);
	cr_assert_eq(rs_counters_count(&r), 3);
	cr_assert_eq(rs_counters_alloc(&c, 1, 0, "five"), b);
	cr_assert_eq(rs_counters_get(rs_counters_value(&r, b)), 0);
	memset(&x, 0, sizeof(x));
	rs_counters_foreach(&r, collect, &x);
	cr_assert_eq(x.n, 4);
	cr_assert_str_eq(x.labels[1], "five");
}

/* Threads allocate concurrently (distinct ids) then bump their own
 * counters (owner-only relaxed add) and a shared one (fetch_add). */
#define NTH 4
#define NPER 8
static struct rs_counters g;
static int ids[NTH][NPER];

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	char label[32];
	for (int i = 0; i < NPER; i++) {
		snprintf(label, sizeof(label), "t%d_c%d", t, i);
		ids[t][i] = rs_counters_alloc(&g, 1, (uint64_t)t, label);
	}
	for (int k = 0; k < 100000; k++) {
		for (int i = 0; i < NPER; i++)
			if (ids[t][i] >= 0)
				rs_counters_inc(rs_counters_value(&g, ids[t][i]));
		rs_counters_add_shared(rs_counters_value(&g, 0), 1);
	}
	return NULL;
}

Test(rs_counters, threads_alloc_and_update, .timeout = 60)
{
	void *m = cmem(1 + NTH * NPER);
	pthread_t th[NTH];

	cr_assert_eq(rs_counters_init(&g, m, memlen, 1 + NTH * NPER), 0);
	cr_assert_eq(rs_counters_alloc(&g, 1, 0, "shared"), 0);
	for (int t = 0; t < NTH; t++)
		cr_assert_eq(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t), 0);
	/* a reader listing concurrently */
	for (int k = 0; k < 100; k++)
		cr_assert_leq(rs_counters_count(&g), 1 + NTH * NPER);
	for (int t = 0; t < NTH; t++)
		pthread_join(th[t], NULL);
	char seen[1 + NTH * NPER] = {0};
	for (int t = 0; t < NTH; t++)
		for (int i = 0; i < NPER; i++) {
			cr_assert_geq(ids[t][i], 1);
			cr_assert_eq(seen[ids[t][i]]++, 0, "id %d given twice", ids[t][i]);
			cr_assert_eq(rs_counters_get(rs_counters_value(&g, ids[t][i])), 100000);
		}
	cr_assert_eq(rs_counters_get(rs_counters_value(&g, 0)), NTH * 100000);
	cr_assert_eq(rs_counters_count(&g), 1 + NTH * NPER);
}
