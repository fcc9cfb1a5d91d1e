/* test_rings_mp.c - multi-process tests of the shared-memory structures.
 * Processes share MAP_SHARED anonymous memory (the structures do not care
 * whether it is a hugetlbfs file, /dev/shm or anonymous). Suite: rs_rings_mp.
 *
 *  - spsc_100m: producer (CPU 0) and consumer (CPU 1) processes move 100M
 *    records through the SPSC ring; the consumer checks every record's
 *    sequence and checksum and an end-to-end sum.
 *  - bcast_100m_three_readers: one writer, two fast readers, one slow
 *    reader, 100M records. The broadcast ring's writer never waits for
 *    readers; to make "the fast readers lose nothing" deterministic instead
 *    of a timing bet, THIS TEST's writer loop (not rs_bcast) waits on
 *    positions the two fast readers acknowledge in a separate shared block,
 *    so it never laps them. The slow reader is not flow-controlled; it
 *    reads in bursts and then waits until the writer has provably lapped
 *    it (tail >= its position + capacity + 1), so overruns are certain,
 *    not timing-dependent. It must detect them, count exactly what it lost
 *    (read + lost == written) and never return a torn or out-of-order
 *    record. With 2 cores the four processes share CPUs 0 and 1.
 *  - seqtab_torn_reads: a writer process updates slots whose words must be
 *    equal; two reader processes read concurrently and must never see a
 *    mix (counts reads and retries).
 *  - spsc_producer_killed: kill -9 of the producer mid-stream; the consumer
 *    drains what was committed, intact, and then sees an empty ring (never
 *    hangs, never reads a half-written record).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rs_bcast.h"
#include "rs_ring.h"
#include "rs_seqtab.h"
#include "rs_shm_testutil.h"

/* Results the children report to the test (own cache lines). */
struct res {
	alignas(128) _Atomic uint64_t ack; /* fast reader's acknowledged position */
	uint64_t records, bad, order, sum, overruns, laps, reads, retries, eagain, torn;
	_Atomic int ready;
};

struct ctl {
	_Atomic int go;
	_Atomic int done;
	uint64_t sum;          /* writer's end-to-end sum */
	struct res r[4];
};

static struct ctl *ctl;
static void *mem;
static size_t memlen;

static void setup(void)
{
	ctl = rs_t_shared(sizeof(*ctl));
	cr_assert(ctl);
}

static void teardown(void)
{
	rs_t_unshare(ctl, sizeof(*ctl));
	rs_t_unshare(mem, memlen);
	ctl = NULL;
	mem = NULL;
}

TestSuite(rs_rings_mp, .init = setup, .fini = teardown);

/* fork a child running fn(arg) pinned to cpu; the child dies with us */
static pid_t spawn(void (*fn)(int), int arg, int cpu)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rs_t_pin(cpu);
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d status 0x%x", (int)pid, st);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wait_go(void)
{
	while (!atomic_load(&ctl->go))
		sched_yield();
}

/* Sanitizer builds (ASan runs the integration label too) move 10x fewer
 * records to stay within the time budget; the normal build moves 100M. */
#ifdef RS_SANITIZED
#define RS_MP_RECORDS 10000000ull
#else
#define RS_MP_RECORDS 100000000ull
#endif

/* ------------------------------------------------------------------ SPSC */
#define SPSC_N RS_MP_RECORDS
#define SPSC_CAP 4096u

static void spsc_producer(int unused)
{
	struct rs_ring r;
	uint64_t n = 0, pos, sum = 0, spins = 0;
	if (rs_ring_attach_producer(&r, mem, memlen))
		_exit(2);
	wait_go();
	while (n < SPSC_N) {
		uint32_t k = rs_ring_reserve(&r, 32, &pos);
		if (!k) {
			/* full: spin a little, then let a shared core go */
			if (++spins % 256 == 0)
				sched_yield();
			rs__cpu_relax();
			continue;
		}
		if (k > SPSC_N - n)
			k = (uint32_t)(SPSC_N - n);
		for (uint32_t i = 0; i < k; i++) {
			uint64_t *w = (uint64_t *)rs_ring_slot(&r, pos + i);
			rs_t_fill(w, n + i);
			sum += w[7];
		}
		rs_ring_commit(&r, k);
		n += k;
	}
	ctl->sum = sum;
}

static void spsc_consumer(int unused)
{
	struct rs_ring r;
	struct res *x = &ctl->r[0];
	uint64_t n = 0, pos, bad = 0, sum = 0, spins = 0;
	if (rs_ring_attach(&r, mem, memlen))
		_exit(2);
	wait_go();
	while (n < SPSC_N) {
		uint32_t k = rs_ring_peek(&r, 32, &pos);
		if (!k) {
			if (++spins % 256 == 0)
				sched_yield();
			rs__cpu_relax();
			continue;
		}
		for (uint32_t i = 0; i < k; i++) {
			const uint64_t *w = (const uint64_t *)rs_ring_slot(&r, pos + i);
			bad += rs_t_check(w, n + i) != 0;
			sum += w[7];
		}
		rs_ring_release(&r, k);
		n += k;
	}
	x->records = n;
	x->bad = bad;
	x->sum = sum;
}

Test(rs_rings_mp, spsc_100m, .timeout = 240)
{
	struct rs_ring r;
	memlen = rs_ring_footprint(SPSC_CAP);
	mem = rs_t_shared(memlen);
	cr_assert(mem);
	cr_assert_eq(rs_ring_init(&r, mem, memlen, SPSC_CAP), 0);
	pid_t c = spawn(spsc_consumer, 0, 1);
	pid_t p = spawn(spsc_producer, 0, 0);
	double t0 = now_s();
	atomic_store(&ctl->go, 1);
	reap(p);
	reap(c);
	double dt = now_s() - t0;
	cr_log_info("spsc: %llu records in %.2f s (%.1f M rec/s), %llu bad",
		    (unsigned long long)ctl->r[0].records, dt, (double)ctl->r[0].records / dt / 1e6,
		    (unsigned long long)ctl->r[0].bad);
	cr_assert_eq(ctl->r[0].records, SPSC_N);
	cr_assert_eq(ctl->r[0].bad, 0);
	cr_assert_eq(ctl->r[0].sum, ctl->sum, "end-to-end checksum");
	cr_assert_eq(rs_ring_count(&r), 0);
}

/* ------------------------------------------------------------ broadcast */
#define BC_N RS_MP_RECORDS
#define BC_CAP 4096u
#define BC_SLOT 128u
#define BC_FAST 2 /* readers 0 and 1 are fast, reader 2 is slow */

static void bc_writer(int unused)
{
	struct rs_bcast w;
	uint8_t rec[64];
	uint64_t sum = 0, min_ack = 0;
	if (rs_bcast_attach_writer(&w, mem, memlen))
		_exit(2);
	while (atomic_load(&ctl->r[0].ready) + atomic_load(&ctl->r[1].ready) + atomic_load(&ctl->r[2].ready) < 3)
		sched_yield();
	for (uint64_t n = 0; n < BC_N; n++) {
		/* test harness flow control, see the file comment: never lap
		 * the fast readers. acquire pairs with their release store. */
		for (int spins = 0; n - min_ack >= BC_CAP; spins++) {
			uint64_t m = UINT64_MAX;
			for (int i = 0; i < BC_FAST; i++) {
				uint64_t a = atomic_load_explicit(&ctl->r[i].ack, memory_order_acquire);
				m = a < m ? a : m;
			}
			min_ack = m;
			if (spins > 64)
				sched_yield();
		}
		rs_t_fill(rec, n);
		sum += ((uint64_t *)rec)[7];
		rs_bcast_write(&w, (uint32_t)n, rec, 64);
	}
	ctl->sum = sum;
	atomic_store(&ctl->done, 1);
}

static void bc_reader(int idx)
{
	struct rs_bcast_reader rd;
	struct res *x = &ctl->r[idx];
	uint8_t rec[BC_SLOT];
	uint64_t got = 0, bad = 0, order = 0, sum = 0, idle = 0;
	int slow = idx >= BC_FAST;
	if (rs_bcast_reader_attach(&rd, mem, memlen, RS_BCAST_OLDEST))
		_exit(2);
	if (rd.pos != 0)
		_exit(3);
	atomic_store(&x->ready, 1);
	while (rd.pos < BC_N) {
		uint64_t expect = rd.pos;
		uint32_t type, len;
		int rc = rs_bcast_read(&rd, rec, sizeof(rec), &len, &type);
		if (rc == 1) {
			if (rs_t_check(rec, expect) || len != 64 || type != (uint32_t)expect)
				bad++;
			sum += ((uint64_t *)rec)[7];
			got++;
			if (!slow && (got & 63) == 0)
				/* release pairs with the writer's acquire load */
				atomic_store_explicit(&x->ack, rd.pos, memory_order_release);
			if (slow && (got % 1000) == 0) {
				/* deliberately slow: wait until the writer has
				 * overwritten our next record */
				uint64_t target = rd.pos + BC_CAP + 1;
				if (target > BC_N)
					target = BC_N;
				while (rs_bcast_tail(&rd.b) < target)
					usleep(20);
			}
		} else if (rc == -EOVERFLOW) {
			if (!slow)
				order++; /* a fast reader must never be lapped */
		} else if (rc == 0) {
			if (!slow)
				atomic_store_explicit(&x->ack, rd.pos, memory_order_release);
			if (++idle % 64 == 0)
				sched_yield();
		} else {
			bad++;
		}
	}
	x->records = got;
	x->bad = bad;
	x->order = order;
	x->sum = sum;
	x->overruns = rd.overruns;
	x->laps = rd.laps;
}

Test(rs_rings_mp, bcast_100m_three_readers, .timeout = 280)
{
	struct rs_bcast w;
	memlen = rs_bcast_footprint(BC_CAP, BC_SLOT);
	mem = rs_t_shared(memlen);
	cr_assert(mem);
	cr_assert_eq(rs_bcast_init(&w, mem, memlen, BC_CAP, BC_SLOT), 0);
	pid_t r0 = spawn(bc_reader, 0, 1);
	pid_t r1 = spawn(bc_reader, 1, 0);
	pid_t r2 = spawn(bc_reader, 2, 1);
	double t0 = now_s();
	pid_t wr = spawn(bc_writer, 0, 0);
	reap(wr);
	reap(r0);
	reap(r1);
	reap(r2);
	double dt = now_s() - t0;
	for (int i = 0; i < 3; i++)
		cr_log_info("bcast reader %d (%s): %llu read, %llu lost in %llu overruns, %llu bad", i,
			    i < BC_FAST ? "fast" : "slow", (unsigned long long)ctl->r[i].records,
			    (unsigned long long)ctl->r[i].overruns, (unsigned long long)ctl->r[i].laps,
			    (unsigned long long)ctl->r[i].bad);
	cr_log_info("bcast: %llu records in %.2f s (%.1f M rec/s)", (unsigned long long)BC_N, dt,
		    (double)BC_N / dt / 1e6);
	for (int i = 0; i < BC_FAST; i++) {
		cr_assert_eq(ctl->r[i].records, BC_N, "fast reader %d lost nothing", i);
		cr_assert_eq(ctl->r[i].overruns, 0);
		cr_assert_eq(ctl->r[i].order, 0);
		cr_assert_eq(ctl->r[i].bad, 0);
		cr_assert_eq(ctl->r[i].sum, ctl->sum, "end-to-end checksum");
	}
	struct res *s = &ctl->r[2];
	cr_assert_eq(s->bad, 0, "no torn or misplaced record");
	cr_assert_gt(s->laps, 0, "the slow reader was lapped");
	cr_assert_gt(s->overruns, 0);
	cr_assert_eq(s->records + s->overruns, BC_N, "read + lost == written");
}

/* -------------------------------------------------------------- seqlock */
#define ST_SLOTS 16
#define ST_WRITES 3000000ull

static uint32_t st_words; /* set before fork: 200 (1600 B) or 16 (128 B) */

static void st_writer(int unused)
{
	struct rs_seqtab t;
	uint64_t v[200];
	if (rs_seqtab_attach_writer(&t, mem, memlen))
		_exit(2);
	while (atomic_load(&ctl->r[0].ready) + atomic_load(&ctl->r[1].ready) < 2)
		sched_yield();
	for (uint64_t n = 1; n <= ST_WRITES; n++) {
		for (uint32_t i = 0; i < st_words; i++)
			v[i] = n * 0x9e3779b97f4a7c15ull + i; /* mutually consistent words */
		rs_seqtab_write(&t, (uint32_t)(n % ST_SLOTS), n, v, st_words * 8);
	}
	atomic_store(&ctl->done, 1);
}

static void st_reader(int idx)
{
	struct rs_seqtab t;
	struct res *x = &ctl->r[idx];
	uint64_t v[200], key;
	if (rs_seqtab_attach(&t, mem, memlen))
		_exit(2);
	atomic_store(&x->ready, 1);
	for (uint32_t i = 0; !atomic_load_explicit(&ctl->done, memory_order_relaxed); i++) {
		int rc = rs_seqtab_try_read(&t, (i * 7) % ST_SLOTS, v, st_words * 8, &key, 4096);
		if (rc == -ENOENT)
			continue;
		if (rc == -EAGAIN) {
			x->eagain++;
			continue;
		}
		if (rc < 0) {
			x->bad++;
			continue;
		}
		x->reads++;
		x->retries += (uint64_t)rc;
		for (uint32_t k = 0; k < st_words; k++)
			if (v[k] != key * 0x9e3779b97f4a7c15ull + k) {
				x->torn++;
				break;
			}
	}
}

Test(rs_rings_mp, seqtab_torn_reads, .timeout = 240)
{
	static const uint32_t sizes[2] = {200, 16};
	for (int s = 0; s < 2; s++) {
		struct rs_seqtab t;
		st_words = sizes[s];
		memset(ctl, 0, sizeof(*ctl));
		rs_t_unshare(mem, memlen);
		memlen = rs_seqtab_footprint(ST_SLOTS, st_words * 8);
		mem = rs_t_shared(memlen);
		cr_assert(mem);
		cr_assert_eq(rs_seqtab_init(&t, mem, memlen, ST_SLOTS, st_words * 8), 0);
		pid_t a = spawn(st_reader, 0, 1);
		pid_t b = spawn(st_reader, 1, 0);
		pid_t w = spawn(st_writer, 0, 0);
		reap(w);
		reap(a);
		reap(b);
		for (int i = 0; i < 2; i++) {
			struct res *x = &ctl->r[i];
			cr_log_info("seqtab %u-byte slots, reader %d: %llu reads, %llu retries, %llu gave up, %llu torn",
				    st_words * 8, i, (unsigned long long)x->reads, (unsigned long long)x->retries,
				    (unsigned long long)x->eagain, (unsigned long long)x->torn);
			cr_assert_eq(x->torn, 0);
			cr_assert_eq(x->bad, 0);
			cr_assert_gt(x->reads, 0);
		}
		cr_assert_eq(rs_seqtab_writes(&t), ST_WRITES);
	}
}

/* ------------------------------------------------------- producer killed */
static void killed_producer(int unused)
{
	struct rs_ring r;
	uint64_t n = 0, pos;
	if (rs_ring_attach_producer(&r, mem, memlen))
		_exit(2);
	for (;;) { /* until killed */
		uint32_t k = rs_ring_reserve(&r, 16, &pos);
		for (uint32_t i = 0; i < k; i++)
			rs_t_fill(rs_ring_slot(&r, pos + i), n + i);
		/* commit only half and scribble over the rest of the
		 * reservation: a kill leaves reserved, uncommitted junk */
		uint32_t c = k > 1 ? k / 2 : k;
		if (c) {
			rs_ring_commit(&r, c);
			n += c;
		}
		for (uint32_t i = c; i < k; i++)
			memset(rs_ring_slot(&r, pos + i), 0xde, 64);
	}
}

Test(rs_rings_mp, spsc_producer_killed, .timeout = 60)
{
	struct rs_ring r, c;
	memlen = rs_ring_footprint(1024);
	mem = rs_t_shared(memlen);
	cr_assert(mem);
	cr_assert_eq(rs_ring_init(&r, mem, memlen, 1024), 0);
	cr_assert_eq(rs_ring_attach(&c, mem, memlen), 0);
	pid_t p = spawn(killed_producer, 0, 0);
	uint64_t n = 0, pos, bad = 0;
	while (n < 5000000) {
		uint32_t k = rs_ring_peek(&c, 32, &pos);
		for (uint32_t i = 0; i < k; i++)
			bad += rs_t_check(rs_ring_slot(&c, pos + i), n + i) != 0;
		rs_ring_release(&c, k);
		n += k;
	}
	kill(p, SIGKILL);
	int st;
	cr_assert_eq(waitpid(p, &st, 0), p);
	cr_assert(WIFSIGNALED(st));
	/* drain: everything committed is intact, then empty, no hang */
	uint64_t committed = atomic_load_explicit(&c.l->prod.pos, memory_order_acquire);
	uint32_t k;
	while ((k = rs_ring_peek(&c, 32, &pos)) != 0) {
		for (uint32_t i = 0; i < k; i++)
			bad += rs_t_check(rs_ring_slot(&c, pos + i), n + i) != 0;
		rs_ring_release(&c, k);
		n += k;
	}
	cr_assert_eq(bad, 0);
	cr_assert_eq(n, committed);
	cr_assert_eq(rs_ring_peek(&c, 32, &pos), 0);
}
