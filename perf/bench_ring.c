/*
 * bench_ring.c - perf/run.sh ring [--records N] [--pings N] [--reps N]
 *
 * Cross-core SPSC ring of 64-byte records, producer thread on CPU 0 and
 * consumer thread on CPU 1:
 *   - throughput (records/s) at bursts 1 and 32: copying enqueue/dequeue
 *     bursts from/to a local array (the same work rte_ring's *_burst_elem
 *     does), plus our zero-copy reserve/commit + peek/release for reference;
 *   - one-way latency = ping-pong round trip / 2 over two rings (p50, p99),
 *     TSC-timed.
 * In the same run, the same for DPDK's rte_ring (rte_ring_create_elem, 64-byte
 * elements, RING_F_SP_ENQ | RING_F_SC_DEQ; EAL with --no-pci --no-huge) and
 * the ratios ours/rte_ring (throughput) and rte_ring/ours (latency); goal
 * >= 1.0 for both. Both rings hold 4096 slots (rte_ring: 4095 usable).
 * Broadcast ring: writer (CPU 0) never waits; throughput with 1 reader and
 * with 4 readers, all readers on CPU 1 (a 2-core machine: the 4 readers
 * time-share one core), with what the readers received and lost.
 * Every figure is measured --reps times, ours and rte_ring interleaved; the
 * medians give the JSON results and ratios; the best runs are printed too
 * (on a busy machine a run where both threads stayed scheduled is closer
 * to what the code can do).
 */
#include "rs_bench.h" /* first: defines _GNU_SOURCE if the build did not */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <x86intrin.h>

#include "rs_bcast.h"
#include "rs_ring.h"

#ifdef RS_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#endif

#define CAP 4096u
#define MAXB 32u

static uint64_t n_records = 5000000;
static uint64_t n_pings = 100000;
static int reps = 5;
static double tsc_per_ns;

/* ------------------------------------------------------------ ring ops */
/* A tiny vtable so the same harness drives both rings. Calls are indirect
 * for both; the burst work dominates. */
struct q {
	const char *name;
	void *p, *c; /* producer / consumer handle */
	uint32_t (*enq)(void *h, const struct rs_event *ev, uint32_t n);
	uint32_t (*deq)(void *h, struct rs_event *ev, uint32_t n);
};

static uint32_t ours_enq(void *h, const struct rs_event *ev, uint32_t n)
{
	return rs_ring_enqueue_burst(h, ev, n);
}

static uint32_t ours_deq(void *h, struct rs_event *ev, uint32_t n)
{
	return rs_ring_dequeue_burst(h, ev, n);
}

#ifdef RS_HAVE_DPDK
static uint32_t rte_enq(void *h, const struct rs_event *ev, uint32_t n)
{
	return rte_ring_enqueue_burst_elem(h, ev, sizeof(*ev), n, NULL);
}

static uint32_t rte_deq(void *h, struct rs_event *ev, uint32_t n)
{
	return rte_ring_dequeue_burst_elem(h, ev, sizeof(*ev), n, NULL);
}
#endif

static void *map(size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return m;
}

static void ours_make(struct q *q, const char *name)
{
	size_t len = rs_ring_footprint(CAP);
	void *m = map(len);
	/* each handle on its own 128-byte block: the producer's and the
	 * consumer's handles must not share (or prefetch-pair) a line */
	struct rs_ring *p = aligned_alloc(128, 128), *c = aligned_alloc(128, 128);
	if (!p || !c || rs_ring_init(p, m, len, CAP) || rs_ring_attach(c, m, len)) {
		fprintf(stderr, "ring init failed\n");
		exit(1);
	}
	*q = (struct q){name, p, c, ours_enq, ours_deq};
}

/* ----------------------------------------------------------- throughput */
struct tp {
	struct q *q;
	uint32_t burst;
	int zc; /* ours only: reserve/commit + peek/release in place */
	_Atomic int go;
	uint64_t bad;
};

static void *tp_producer(void *arg)
{
	struct tp *t = arg;
	struct rs_event ev[MAXB];
	memset(ev, 0, sizeof(ev));
	rs_bench_pin(0);
	while (!atomic_load(&t->go))
		;
	for (uint64_t n = 0; n < n_records;) {
		uint32_t want = t->burst;
		if (want > n_records - n)
			want = (uint32_t)(n_records - n);
		if (t->zc) {
			struct rs_ring *r = t->q->p;
			uint64_t pos;
			uint32_t k = rs_ring_reserve(r, want, &pos);
			for (uint32_t i = 0; i < k; i++)
				rs_ring_slot(r, pos + i)->mbo.order_id = n + i;
			if (k)
				rs_ring_commit(r, k);
			n += k;
			continue;
		}
		for (uint32_t i = 0; i < want; i++)
			ev[i].mbo.order_id = n + i;
		uint32_t k = t->q->enq(t->q->p, ev, want);
		n += k;
	}
	return NULL;
}

static double tp_run(struct q *q, uint32_t burst, int zc)
{
	struct tp t = {.q = q, .burst = burst, .zc = zc};
	struct rs_event ev[MAXB];
	pthread_t th;
	uint64_t n = 0, bad = 0;

	pthread_create(&th, NULL, tp_producer, &t);
	rs_bench_pin(1);
	uint64_t t0 = rs_bench_now_ns();
	atomic_store(&t.go, 1);
	while (n < n_records) {
		uint32_t k;
		if (zc) {
			struct rs_ring *r = q->c;
			uint64_t pos;
			k = rs_ring_peek(r, burst, &pos);
			for (uint32_t i = 0; i < k; i++)
				bad += rs_ring_slot(r, pos + i)->mbo.order_id != n + i;
			if (k)
				rs_ring_release(r, k);
		} else {
			k = q->deq(q->c, ev, burst);
			for (uint32_t i = 0; i < k; i++)
				bad += ev[i].mbo.order_id != n + i;
		}
		n += k;
	}
	uint64_t dt = rs_bench_now_ns() - t0;
	pthread_join(th, NULL);
	if (bad) {
		fprintf(stderr, "%s: %llu records out of sequence\n", q->name, (unsigned long long)bad);
		exit(1);
	}
	return (double)n_records * 1e9 / (double)dt;
}

/* -------------------------------------------------------------- latency */
struct pp {
	struct q *ab, *ba;
	_Atomic int go;
};

static void *pp_echo(void *arg)
{
	struct pp *p = arg;
	struct rs_event ev;
	rs_bench_pin(1);
	atomic_store(&p->go, 1);
	for (uint64_t i = 0; i < n_pings;) {
		if (p->ab->deq(p->ab->c, &ev, 1) == 0)
			continue;
		while (p->ba->enq(p->ba->p, &ev, 1) == 0)
			;
		i++;
	}
	return NULL;
}

static void pp_run(struct q *ab, struct q *ba, double *p50, double *p99)
{
	struct pp p = {.ab = ab, .ba = ba};
	struct rs_event ev;
	pthread_t th;
	double *rtt = malloc(n_pings * sizeof(double));

	memset(&ev, 0, sizeof(ev));
	rs_bench_pin(0);
	pthread_create(&th, NULL, pp_echo, &p);
	while (!atomic_load(&p.go))
		;
	for (uint64_t i = 0; i < n_pings; i++) {
		ev.mbo.order_id = i;
		uint64_t t0 = __rdtsc();
		while (ab->enq(ab->p, &ev, 1) == 0)
			;
		while (ba->deq(ba->c, &ev, 1) == 0)
			;
		uint64_t t1 = __rdtsc();
		rtt[i] = (double)(t1 - t0) / tsc_per_ns / 2.0;
	}
	pthread_join(th, NULL);
	qsort(rtt, n_pings, sizeof(double), rs_bench_cmp_double);
	*p50 = rtt[n_pings / 2];
	*p99 = rtt[(size_t)((double)n_pings * 0.99)];
	free(rtt);
}

/* ------------------------------------------------------------ broadcast */
#define BC_CAP 16384u
#define BC_SLOT 128u
struct bc {
	void *mem;
	size_t len;
	_Atomic int ready, go, done;
	struct {
		alignas(128) uint64_t got, lost, bad;
		int cpu;
	} r[4];
};

static void *bc_reader(void *arg)
{
	struct bc *b = ((struct bc **)arg)[0];
	int idx = (int)(intptr_t)((void **)arg)[1];
	struct rs_bcast_reader rd;
	uint8_t buf[BC_SLOT];
	uint64_t got = 0, bad = 0;

	rs_bench_pin(b->r[idx].cpu);
	if (rs_bcast_reader_attach(&rd, b->mem, b->len, RS_BCAST_NEXT))
		exit(1);
	atomic_fetch_add(&b->ready, 1);
	for (;;) {
		uint32_t len;
		int rc = rs_bcast_read(&rd, buf, sizeof(buf), &len, NULL);
		if (rc == 1) {
			uint64_t v;
			memcpy(&v, buf + offsetof(struct rs_event, mbo.order_id), 8);
			bad += v != rd.pos - 1;
			got++;
		} else if (rc == 0 && atomic_load_explicit(&b->done, memory_order_acquire) &&
			   rs_bcast_reader_lag(&rd) == 0) {
			break;
		}
	}
	b->r[idx].got = got;
	b->r[idx].lost = rd.overruns;
	b->r[idx].bad = bad;
	return NULL;
}

static void bc_run(int nreaders, double *wrate, double *rmin, double *rmax, double *lossmax)
{
	/* writer alone on CPU 0; the readers (1 or 4) share CPU 1 */
	static const int cpus[4] = {1, 1, 1, 1};
	struct bc b;
	struct rs_bcast w;
	pthread_t th[4];
	void *args[4][2];
	struct rs_event ev;

	memset(&b, 0, sizeof(b));
	memset(&ev, 0, sizeof(ev));
	b.len = rs_bcast_footprint(BC_CAP, BC_SLOT);
	b.mem = map(b.len);
	if (rs_bcast_init(&w, b.mem, b.len, BC_CAP, BC_SLOT))
		exit(1);
	for (int i = 0; i < nreaders; i++) {
		b.r[i].cpu = cpus[i];
		args[i][0] = &b;
		args[i][1] = (void *)(intptr_t)i;
		pthread_create(&th[i], NULL, bc_reader, args[i]);
	}
	rs_bench_pin(0);
	while (atomic_load(&b.ready) < nreaders)
		;
	uint64_t t0 = rs_bench_now_ns();
	for (uint64_t n = 0; n < n_records; n++) {
		ev.mbo.order_id = n;
		rs_bcast_write(&w, 0, &ev, sizeof(ev));
	}
	uint64_t t1 = rs_bench_now_ns();
	atomic_store_explicit(&b.done, 1, memory_order_release);
	*rmin = 1e30;
	*rmax = 0;
	*lossmax = 0;
	for (int i = 0; i < nreaders; i++) {
		pthread_join(th[i], NULL);
		if (b.r[i].bad) {
			fprintf(stderr, "bcast reader %d: %llu bad records\n", i, (unsigned long long)b.r[i].bad);
			exit(1);
		}
		double got = (double)b.r[i].got;
		double rate = got * 1e9 / (double)(t1 - t0);
		double loss = (double)b.r[i].lost / (double)n_records;
		*rmin = rate < *rmin ? rate : *rmin;
		*rmax = rate > *rmax ? rate : *rmax;
		*lossmax = loss > *lossmax ? loss : *lossmax;
	}
	*wrate = (double)n_records * 1e9 / (double)(t1 - t0);
	munmap(b.mem, b.len);
}

/* ------------------------------------------------------------------ main */
static void calibrate(void)
{
	uint64_t n0 = rs_bench_now_ns(), c0 = __rdtsc();
	while (rs_bench_now_ns() - n0 < 100000000)
		;
	uint64_t n1 = rs_bench_now_ns(), c1 = __rdtsc();
	tsc_per_ns = (double)(c1 - c0) / (double)(n1 - n0);
}

/* Runs of one configuration: median and best. */
struct stat {
	double v[16];
	int n;
};

static void stat_add(struct stat *st, double x)
{
	st->v[st->n++] = x;
}

static double stat_median(const struct stat *st)
{
	double t[16];
	memcpy(t, st->v, sizeof(double) * (size_t)st->n);
	return rs_bench_median(t, st->n);
}

static double stat_max(const struct stat *st)
{
	double m = st->v[0];
	for (int i = 1; i < st->n; i++)
		m = st->v[i] > m ? st->v[i] : m;
	return m;
}

static double stat_min(const struct stat *st)
{
	double m = st->v[0];
	for (int i = 1; i < st->n; i++)
		m = st->v[i] < m ? st->v[i] : m;
	return m;
}

enum { O_B1, O_B32, O_ZC32, R_B1, R_B32, NTP };
enum { O_P50, O_P99, R_P50, R_P99, NLAT };

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc)
			n_records = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--pings") && i + 1 < argc)
			n_pings = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench-ring [--records N] [--pings N] [--reps N (1-16)]\n");
			return strcmp(argv[i], "--help") && strcmp(argv[i], "-h") ? 64 : 0;
		}
	}
	if (reps < 1 || reps > 16 || n_records < 1000 || n_pings < 100) {
		fprintf(stderr, "bench-ring: bad arguments\n");
		return 64;
	}
	calibrate();
	printf("ring: %llu records per throughput run, %llu pings per latency run, %d runs each, ours and "
	       "rte_ring interleaved; producer CPU 0, consumer CPU 1; 4096 slots; TSC %.3f GHz\n",
	       (unsigned long long)n_records, (unsigned long long)n_pings, reps, tsc_per_ns);

	struct q ours, ours2, rte, rte2;
	int have_rte = 0;
	ours_make(&ours, "rs_ring");
	ours_make(&ours2, "rs_ring");
#ifdef RS_HAVE_DPDK
	struct rte_ring *r1 = NULL, *r2 = NULL;
	char *eal[] = {"bench-ring", "--no-pci", "--no-huge", "-m", "512", "--no-shconf", "--no-telemetry",
		       "--log-level=lib.eal:error", "-l", "0", NULL};
	int ealc = (int)(sizeof(eal) / sizeof(eal[0])) - 1;
	if (rte_eal_init(ealc, eal) < 0) {
		printf("rte_ring: EAL init failed (%s): reference skipped\n", rte_strerror(rte_errno));
	} else {
		r1 = rte_ring_create_elem("bench_ab", sizeof(struct rs_event), CAP, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		r2 = rte_ring_create_elem("bench_ba", sizeof(struct rs_event), CAP, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!r1 || !r2) {
			printf("rte_ring: create failed (%s): reference skipped\n", rte_strerror(rte_errno));
		} else {
			rte = (struct q){"rte_ring", r1, r1, rte_enq, rte_deq};
			rte2 = (struct q){"rte_ring", r2, r2, rte_enq, rte_deq};
			have_rte = 1;
		}
	}
#else
	printf("rte_ring: DPDK (libdpdk) not found at build time: reference skipped\n");
#endif

	/* interleave the two rings so both see the same machine conditions */
	struct stat tp[NTP] = {0}, lat[NLAT] = {0};
	for (int rep = 0; rep < reps; rep++) {
		double a, b;
		stat_add(&tp[O_B1], tp_run(&ours, 1, 0));
		if (have_rte)
			stat_add(&tp[R_B1], tp_run(&rte, 1, 0));
		stat_add(&tp[O_B32], tp_run(&ours, 32, 0));
		if (have_rte)
			stat_add(&tp[R_B32], tp_run(&rte, 32, 0));
		stat_add(&tp[O_ZC32], tp_run(&ours, 32, 1));
		pp_run(&ours, &ours2, &a, &b);
		stat_add(&lat[O_P50], a);
		stat_add(&lat[O_P99], b);
		if (have_rte) {
			pp_run(&rte, &rte2, &a, &b);
			stat_add(&lat[R_P50], a);
			stat_add(&lat[R_P99], b);
		}
	}

	printf("                         %12s %12s\n", "median", "best");
	printf("rs_ring  burst 1         %9.2f M/s %9.2f M/s\n", stat_median(&tp[O_B1]) / 1e6, stat_max(&tp[O_B1]) / 1e6);
	printf("rs_ring  burst 32        %9.2f M/s %9.2f M/s\n", stat_median(&tp[O_B32]) / 1e6, stat_max(&tp[O_B32]) / 1e6);
	printf("rs_ring  burst 32 zero-copy (reserve/commit, peek/release) %9.2f M/s %9.2f M/s\n",
	       stat_median(&tp[O_ZC32]) / 1e6, stat_max(&tp[O_ZC32]) / 1e6);
	printf("rs_ring  one-way latency p50 %.1f ns (best run %.1f), p99 %.1f ns (best run %.1f)\n",
	       stat_median(&lat[O_P50]), stat_min(&lat[O_P50]), stat_median(&lat[O_P99]), stat_min(&lat[O_P99]));
	rs_bench_result("rs_ring_throughput_burst1", stat_median(&tp[O_B1]), "rec/s");
	rs_bench_result("rs_ring_throughput_burst32", stat_median(&tp[O_B32]), "rec/s");
	rs_bench_result("rs_ring_throughput_burst32_zerocopy", stat_median(&tp[O_ZC32]), "rec/s");
	rs_bench_result("rs_ring_latency_p50", stat_median(&lat[O_P50]), "ns");
	rs_bench_result("rs_ring_latency_p99", stat_median(&lat[O_P99]), "ns");
	if (have_rte) {
		printf("rte_ring burst 1         %9.2f M/s %9.2f M/s\n", stat_median(&tp[R_B1]) / 1e6, stat_max(&tp[R_B1]) / 1e6);
		printf("rte_ring burst 32        %9.2f M/s %9.2f M/s\n", stat_median(&tp[R_B32]) / 1e6, stat_max(&tp[R_B32]) / 1e6);
		printf("rte_ring one-way latency p50 %.1f ns (best run %.1f), p99 %.1f ns (best run %.1f)\n",
		       stat_median(&lat[R_P50]), stat_min(&lat[R_P50]), stat_median(&lat[R_P99]), stat_min(&lat[R_P99]));
		double t1 = stat_median(&tp[O_B1]) / stat_median(&tp[R_B1]);
		double t32 = stat_median(&tp[O_B32]) / stat_median(&tp[R_B32]);
		double l50 = stat_median(&lat[R_P50]) / stat_median(&lat[O_P50]);
		double l99 = stat_median(&lat[R_P99]) / stat_median(&lat[O_P99]);
		printf("ratio throughput ours/rte_ring (medians): burst 1 %.2f, burst 32 %.2f (goal >= 1.0); "
		       "best runs: %.2f, %.2f\n",
		       t1, t32, stat_max(&tp[O_B1]) / stat_max(&tp[R_B1]), stat_max(&tp[O_B32]) / stat_max(&tp[R_B32]));
		printf("ratio latency rte_ring/ours (medians): p50 %.2f, p99 %.2f (goal >= 1.0); best runs: %.2f, %.2f\n",
		       l50, l99, stat_min(&lat[R_P50]) / stat_min(&lat[O_P50]),
		       stat_min(&lat[R_P99]) / stat_min(&lat[O_P99]));
		rs_bench_result("rte_ring_throughput_burst1", stat_median(&tp[R_B1]), "rec/s");
		rs_bench_result("rte_ring_throughput_burst32", stat_median(&tp[R_B32]), "rec/s");
		rs_bench_result("rte_ring_latency_p50", stat_median(&lat[R_P50]), "ns");
		rs_bench_result("rte_ring_latency_p99", stat_median(&lat[R_P99]), "ns");
		rs_bench_result("ratio_throughput_burst1", t1, "ratio");
		rs_bench_result("ratio_throughput_burst32", t32, "ratio");
		rs_bench_result("ratio_latency_p50", l50, "ratio");
		rs_bench_result("ratio_latency_p99", l99, "ratio");
	}
#ifdef RS_HAVE_DPDK
	if (r1)
		rte_ring_free(r1);
	if (r2)
		rte_ring_free(r2);
	if (have_rte || r1 || r2)
		rte_eal_cleanup();
#endif

	for (int nr = 1; nr <= 4; nr += 3) {
		double w, rmin, rmax, loss;
		bc_run(nr, &w, &rmin, &rmax, &loss);
		printf("bcast %d reader%s: writer %.2f M rec/s; readers received %.2f..%.2f M rec/s, "
		       "max loss %.1f%%%s\n",
		       nr, nr > 1 ? "s" : "", w / 1e6, rmin / 1e6, rmax / 1e6, loss * 100,
		       nr > 1 ? " (2 cores: the 4 readers share CPU 1, writer alone on CPU 0)" : " (reader on CPU 1)");
		rs_bench_result(nr == 1 ? "bcast_1r_write" : "bcast_4r_write", w, "rec/s");
		rs_bench_result(nr == 1 ? "bcast_1r_read_min" : "bcast_4r_read_min", rmin, "rec/s");
		rs_bench_result(nr == 1 ? "bcast_1r_loss_max" : "bcast_4r_loss_max", loss, "ratio");
	}
	rs_bench_print_json("ring");
	return 0;
}
