/* test_bcast.c - broadcast ring: geometry, attach validation, start
 * positions, overrun detection and exact loss accounting, resync policies,
 * independent readers, and a two-thread stress where the reader is lapped
 * constantly yet never returns a torn record (also under TSan).
 * Suite: rs_bcast. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "rs_bcast.h"
#include "rs_err.h"
#include "rs_shm_testutil.h"

static void *mem;
static size_t memlen;

static void *bmem(uint32_t cap, uint32_t slot)
{
	memlen = rs_bcast_footprint(cap, slot);
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

TestSuite(rs_bcast, .fini = fini);

static void put(struct rs_bcast *w, uint64_t n)
{
	uint8_t rec[64];
	rs_t_fill(rec, n);
	cr_assert_eq(rs_bcast_write(w, (uint32_t)n, rec, 64), 0);
}

/* read one record, expect record n */
static void get(struct rs_bcast_reader *rd, uint64_t n)
{
	uint8_t rec[128];
	uint32_t len = 0, type = 0;
	int rc = rs_bcast_read(rd, rec, sizeof(rec), &len, &type);
	cr_assert_eq(rc, 1, "rc %d expecting record %llu", rc, (unsigned long long)n);
	cr_assert_eq(len, 64);
	cr_assert_eq(type, (uint32_t)n);
	cr_assert_eq(rs_t_check(rec, n), 0);
}

Test(rs_bcast, geometry_and_attach)
{
	struct rs_bcast w;
	struct rs_bcast_reader rd;

	cr_assert_eq(rs_bcast_footprint(8, 32), 0);
	cr_assert_eq(rs_bcast_footprint(8, 96), 0);
	cr_assert_eq(rs_bcast_footprint(6, 128), 0);
	cr_assert_eq(rs_bcast_footprint(1, 128), 0);
	cr_assert_eq(rs_bcast_footprint(8, 128), RS_BCAST_HDR_SIZE + 8 * 128);
	void *m = bmem(8, 128);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), -EPROTO);
	cr_assert_eq(rs_bcast_init(&w, m, memlen, 8, 100), -EINVAL);
	cr_assert_eq(rs_bcast_init(&w, m, memlen - 1, 8, 128), -EMSGSIZE);
	cr_assert_eq(rs_bcast_init(&w, m, memlen, 8, 128), 0);
	cr_assert_eq(w.max_len, 112);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, 7), -EINVAL);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen - 128, RS_BCAST_NEWEST), -EMSGSIZE);
	struct rs_bcast_layout *l = m;
	l->hdr.kind = RS_SEG_TABLE;
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), -EPROTO);
	l->hdr.kind = RS_SEG_BCAST;
	l->hdr.rec_size = 96;
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), -EINVAL);
	l->hdr.rec_size = 128;
	l->hdr.layout_version = 0x20000;
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), -EPROTO);
	l->hdr.layout_version = RS_LAYOUT_VERSION;
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), 0);
	uint8_t big[200] = {0};
	cr_assert_eq(rs_bcast_write(&w, 0, big, 113), -EMSGSIZE);
	cr_assert_eq(rs_bcast_write(&w, 0, big, 112), 0);
}

Test(rs_bcast, empty_read_and_order)
{
	struct rs_bcast w;
	struct rs_bcast_reader rd;
	uint8_t rec[128];
	void *m = bmem(8, 128);

	cr_assert_eq(rs_bcast_init(&w, m, memlen, 8, 128), 0);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), 0);
	cr_assert_eq(rs_bcast_read(&rd, rec, sizeof(rec), NULL, NULL), 0);
	/* exactly capacity records: nothing lost */
	for (uint64_t n = 0; n < 8; n++)
		put(&w, n);
	for (uint64_t n = 0; n < 8; n++)
		get(&rd, n);
	cr_assert_eq(rs_bcast_read(&rd, rec, sizeof(rec), NULL, NULL), 0);
	/* interleaved across many laps of the slot array */
	for (uint64_t n = 8; n < 100; n++) {
		put(&w, n);
		get(&rd, n);
	}
	cr_assert_eq(rd.overruns, 0);
	cr_assert_eq(rs_bcast_tail(&w), 100);
	cr_assert_eq(rs_bcast_reader_lag(&rd), 0);
	/* short records and truncation */
	uint8_t small[3] = {1, 2, 3};
	uint32_t len;
	cr_assert_eq(rs_bcast_write(&w, 5, small, 3), 0);
	cr_assert_eq(rs_bcast_write(&w, 5, rec, 64), 0);
	memset(rec, 0, sizeof(rec));
	cr_assert_eq(rs_bcast_read(&rd, rec, sizeof(rec), &len, NULL), 1);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(rec, small, 3), 0);
	cr_assert_eq(rs_bcast_read(&rd, rec, 10, &len, NULL), -EMSGSIZE);
	cr_assert_eq(len, 64);
	cr_assert_eq(rs_bcast_read(&rd, rec, sizeof(rec), &len, NULL), 0, "consumed");
}

Test(rs_bcast, overrun_detected_and_counted)
{
	struct rs_bcast w;
	struct rs_bcast_reader a, b;
	uint8_t rec[128];
	void *m = bmem(8, 128);

	cr_assert_eq(rs_bcast_init(&w, m, memlen, 8, 128), 0);
	cr_assert_eq(rs_bcast_reader_attach(&a, m, memlen, RS_BCAST_NEWEST), 0);
	cr_assert_eq(rs_bcast_reader_attach(&b, m, memlen, RS_BCAST_NEWEST), 0);
	b.resync = RS_BCAST_OLDEST;
	/* 9 records: record 0's slot now holds record 8 */
	for (uint64_t n = 0; n < 9; n++)
		put(&w, n);
	cr_assert_eq(rs_bcast_read(&a, rec, sizeof(rec), NULL, NULL), -EOVERFLOW);
	cr_assert_eq(a.last_lost, 8, "jumped to the newest, record 8");
	cr_assert_eq(a.overruns, 8);
	get(&a, 8);
	/* OLDEST keeps capacity - capacity/8 = 7 records: resumes at 2 */
	cr_assert_eq(rs_bcast_read(&b, rec, sizeof(rec), NULL, NULL), -EOVERFLOW);
	cr_assert_eq(b.last_lost, 2);
	for (uint64_t n = 2; n < 9; n++)
		get(&b, n);
	cr_assert_eq(rs_bcast_read(&b, rec, sizeof(rec), NULL, NULL), 0);
	/* far behind: many laps */
	for (uint64_t n = 9; n < 1000; n++)
		put(&w, n);
	cr_assert_eq(rs_bcast_read(&a, rec, sizeof(rec), NULL, NULL), -EOVERFLOW);
	cr_assert_eq(a.last_lost, 999 - 9);
	get(&a, 999);
	cr_assert_eq(a.overruns, 8 + 990);
	cr_assert_eq(a.laps, 2);
	cr_assert_eq(b.laps, 1);
	/* read + lost accounts for every record written */
	cr_assert_eq(a.pos, 1000);
}

Test(rs_bcast, start_positions_and_resync)
{
	struct rs_bcast w;
	struct rs_bcast_reader rd;
	void *m = bmem(16, 64);

	cr_assert_eq(rs_bcast_init(&w, m, memlen, 16, 64), 0);
	uint8_t rec[48];
	for (uint64_t n = 0; n < 40; n++) {
		memset(rec, (int)n, sizeof(rec));
		cr_assert_eq(rs_bcast_write(&w, (uint32_t)n, rec, 48), 0);
	}
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), 0);
	cr_assert_eq(rd.pos, 39);
	cr_assert_eq(rd.overruns, 0, "attaching loses nothing");
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEXT), 0);
	cr_assert_eq(rd.pos, 40);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_OLDEST), 0);
	cr_assert_eq(rd.pos, 40 - 14);
	uint32_t type;
	for (uint64_t n = 26; n < 40; n++) {
		cr_assert_eq(rs_bcast_read(&rd, rec, sizeof(rec), NULL, &type), 1);
		cr_assert_eq(type, (uint32_t)n);
		cr_assert_eq(rec[47], (uint8_t)n);
	}
	cr_assert_eq(rs_bcast_reader_resync(&rd, RS_BCAST_OLDEST), 0, "backwards loses nothing");
	cr_assert_eq(rd.pos, 26);
	cr_assert_eq(rs_bcast_reader_resync(&rd, RS_BCAST_NEWEST), 13);
	cr_assert_eq(rd.pos, 39);
	/* an unwritten ring: NEWEST = record 0 */
	struct rs_bcast w2;
	cr_assert_eq(rs_bcast_init(&w2, m, memlen, 16, 64), 0);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), 0);
	cr_assert_eq(rd.pos, 0);
	cr_assert_eq(rs_bcast_read(&rd, rec, sizeof(rec), NULL, NULL), 0);
	cr_assert_eq(rs_bcast_write(&w2, 9, rec, 8), 0);
	cr_assert_eq(rs_bcast_read(&rd, rec, sizeof(rec), NULL, &type), 1);
	cr_assert_eq(type, 9);
}

Test(rs_bcast, writer_reattach_continues)
{
	struct rs_bcast w, w2;
	struct rs_bcast_reader rd;
	void *m = bmem(8, 128);

	cr_assert_eq(rs_bcast_init(&w, m, memlen, 8, 128), 0);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), 0);
	put(&w, 0);
	put(&w, 1);
	cr_assert_eq(rs_bcast_attach_writer(&w2, m, memlen), 0);
	cr_assert_eq(w2.tail, 2);
	put(&w2, 2);
	get(&rd, 0);
	get(&rd, 1);
	get(&rd, 2);
}

/* Writer thread never waits; a tiny ring makes the reader lapped all the
 * time, often in the middle of a copy. Every returned record must be
 * intact and newer than the previous one, and read + lost == written. */
struct stress {
	struct rs_bcast w;
	uint64_t n;
	_Atomic int done;
};

static void *stress_writer(void *arg)
{
	struct stress *s = arg;
	uint8_t rec[64];
	rs_t_pin(0);
	for (uint64_t n = 0; n < s->n; n++) {
		rs_t_fill(rec, n);
		rs_bcast_write(&s->w, (uint32_t)n, rec, 64);
		if (n % 4096 == 0)
			sched_yield(); /* give a shared core to the reader too */
	}
	atomic_store(&s->done, 1);
	return NULL;
}

Test(rs_bcast, threads_lapped_never_torn, .timeout = 120)
{
	static struct stress s;
	struct rs_bcast_reader rd;
	pthread_t th;
	uint8_t rec[128];
	uint64_t got = 0, torn = 0, order = 0, last = 0, lapped = 0;
	void *m = bmem(4, 128);

	s.n = 10000000 / RS_T_SCALE;
	cr_assert_eq(rs_bcast_init(&s.w, m, memlen, 4, 128), 0);
	cr_assert_eq(rs_bcast_reader_attach(&rd, m, memlen, RS_BCAST_NEWEST), 0);
	cr_assert_eq(pthread_create(&th, NULL, stress_writer, &s), 0);
	rs_t_pin(1);
	while (rd.pos < s.n) {
		uint32_t type;
		uint64_t before = rd.pos;
		int rc = rs_bcast_read(&rd, rec, sizeof(rec), NULL, &type);
		if (rc == 1) {
			uint64_t n = rs_t_which(rec);
			if (n == UINT64_MAX || n != before || type != (uint32_t)n)
				torn++;
			if (got && n <= last)
				order++;
			last = n;
			got++;
		} else if (rc == -EOVERFLOW) {
			lapped++;
		} else if (atomic_load(&s.done) && rs_bcast_reader_lag(&rd) == 0) {
			break;
		}
	}
	pthread_join(th, NULL);
	cr_log_info("bcast stress: %llu read, %llu lost in %llu overruns",
		    (unsigned long long)got, (unsigned long long)rd.overruns, (unsigned long long)lapped);
	cr_assert_eq(torn, 0);
	cr_assert_eq(order, 0);
	cr_assert_eq(got + rd.overruns, s.n, "every record read or counted lost");
	cr_assert_eq(lapped, rd.laps);
}
