/*
 * bench_book.c - decode + MBO book on an ITCH day file (perf/run.sh book).
 *
 *   perf/run.sh book [FILE] [--messages N] [--runs R] [--cpu C]
 *                    [--uniform-cancels | --both] [--profile]
 *
 * Without FILE a synthetic session of N messages (default 50M) is generated
 * with rs_gen into /tmp and deleted afterwards; by default twice, with
 * recency-biased cancels (like real feeds) and with --uniform-cancels.
 * The file is mmap'ed and prefaulted (page cache), the thread pinned; each
 * run resets the book and replays the whole file: ITCH decode
 * (rs_itch_decode_file, the burst decoder) into bursts of 31-32 records,
 * rs_book_apply_burst() on each.
 * Reported: messages/s and ns/message, median of R runs (default 3), plus
 * decode-only for the share of the decoder. --profile also prints where
 * book updates land (level position from the touch: median, p99, p99.9).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/rs_gen.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"

#include "rs_bench.h"
#include "rs_bench_gen.h"
#include "shm/rs_err.h"

#ifndef BENCH_NAME
#define BENCH_NAME "book"
#endif
#define BURST 32
static int single; /* --single: rs_book_apply per record (no burst prefetch) */

/* CPU time of this thread: the machine is shared while helpers compile, so
 * wall time overstates; both are reported. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The burst decoder fills out[] with BURST - 1 or BURST records (it stops
 * when fewer than RS_ITCH_MAX_EVENTS slots are left), straight into the book. */
static uint64_t run_decode(struct rs_itchfile *f, uint64_t *records)
{
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 0);
	struct rs_event ev[BURST];
	uint64_t recs = 0, sink = 0;
	int rc = 1;
	rs_itchfile_rewind(f);
	while (rc > 0) {
		unsigned n = rs_itch_decode_file(&d, f, 0, ev, BURST, &rc);
		if (n)
			sink += ev[0].mbo.order_id ^ ev[n - 1].mbo.size;
		recs += n;
	}
	*records = recs;
	return f->nmsgs + (sink & 0); /* keep the loop */
}

static uint64_t run_book(struct rs_itchfile *f, struct rs_book *b)
{
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 0);
	struct rs_event ev[BURST];
	int rc = 1;
	rs_itchfile_rewind(f);
	while (rc > 0) {
		unsigned n = rs_itch_decode_file(&d, f, 0, ev, BURST, &rc);
		if (single)
			for (unsigned i = 0; i < n; i++)
				rs_book_apply(b, &ev[i]);
		else
			rs_book_apply_burst(b, ev, n);
	}
	rs_book_publish(b, NULL, NULL);
	return f->nmsgs;
}

/* Where updates land: level position (0 = touch) of every A/C/M. */
static void profile(struct rs_itchfile *f, struct rs_book *b)
{
	enum { H = 1 << 16 };
	uint64_t *hist = calloc(H + 1, sizeof(*hist));
	if (!hist)
		return;
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 0);
	struct rs_event ev[RS_ITCH_MAX_EVENTS];
	const uint8_t *msg;
	size_t len;
	uint64_t seq = 0, tot = 0;
	rs_book_reset(b);
	rs_itchfile_rewind(f);
	while (rs_itchfile_next(f, &msg, &len) > 0) {
		unsigned n = rs_itch_decode_fast(&d, msg, len, ++seq, 0, ev);
		for (unsigned i = 0; i < n; i++) {
			struct rs_event *e = &ev[i];
			int idx = rs_book_find(b, e->mbo.hd.instrument_id);
			int pos = -1;
			if (idx >= 0 && (e->mbo.action == 'C' || e->mbo.action == 'M')) {
				const struct rs_book_order *o = rs_book_order(b, e->mbo.hd.instrument_id,
									      e->mbo.order_id);
				if (o)
					pos = rs_book_level_pos(b, (uint32_t)idx, o->side, o->price);
			}
			rs_book_apply(b, e);
			if (idx >= 0 && e->mbo.action == 'A' && !(e->rs_flags & RS_EVF_REJECTED))
				pos = rs_book_level_pos(b, (uint32_t)idx, e->mbo.side == 'A', e->mbo.price);
			if (pos >= 0) {
				hist[pos < H ? pos : H]++;
				tot++;
			}
		}
	}
	uint64_t acc = 0;
	int p50 = -1, p99 = -1, p999 = -1;
	for (int i = 0; i <= H; i++) {
		acc += hist[i];
		if (p50 < 0 && acc * 2 >= tot)
			p50 = i;
		if (p99 < 0 && acc * 100 >= tot * 99)
			p99 = i;
		if (p999 < 0 && acc * 1000 >= tot * 999)
			p999 = i;
	}
	printf("  update depth (levels from the touch): median %d, p99 %d, p99.9 %d, at touch %.1f%% "
	       "(%" PRIu64 " updates)\n",
	       p50, p99, p999, tot ? 100.0 * (double)hist[0] / (double)tot : 0.0, tot);
	free(hist);
}

/* Huge-page backed memory of this process (the book pools use hugetlbfs
 * pages when the pool has enough free; otherwise 4 KiB pages + THP advice). */
static void print_huge(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "re");
	char line[256];
	unsigned long hugetlb = 0, thp = 0, v;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Private_Hugetlb: %lu kB", &v) == 1)
			hugetlb += v;
		else if (sscanf(line, "AnonHugePages: %lu kB", &v) == 1)
			thp += v;
	}
	fclose(f);
	printf("  memory in huge pages: hugetlb %lu MiB, THP %lu MiB\n", hugetlb >> 10, thp >> 10);
}

static int bench_file(const char *path, const char *tag, int runs, struct rs_book *b, bool prof)
{
	struct rs_itchfile f;
	if (rs_itchfile_open(&f, path, 1)) {
		fprintf(stderr, "bench-book: %s\n", rs_err_msg());
		return 1;
	}
	double *bt = calloc((size_t)runs, sizeof(double)), *dt = calloc((size_t)runs, sizeof(double));
	double *ct = calloc((size_t)runs, sizeof(double));
	uint64_t msgs = 0, recs = 0;
	for (int r = 0; r < runs; r++) {
		uint64_t t0 = rs_bench_now_ns();
		msgs = run_decode(&f, &recs);
		dt[r] = (double)(rs_bench_now_ns() - t0);
	}
	for (int r = 0; r < runs; r++) {
		rs_book_reset(b);
		uint64_t t0 = rs_bench_now_ns(), c0 = cpu_ns();
		msgs = run_book(&f, b);
		bt[r] = (double)(rs_bench_now_ns() - t0);
		ct[r] = (double)(cpu_ns() - c0);
		const struct rs_book_stats *st = rs_book_stats(b);
		printf("  run %d: %.3f s wall, %.3f s cpu, %.2f M msg/s, rejected %" PRIu64 ", orders peak %" PRIu64
		       ", levels peak %" PRIu64 ", ids evicted to overflow %" PRIu64 " (%" PRIu64 " live)\n",
		       r + 1, bt[r] / 1e9, ct[r] / 1e9, (double)msgs / bt[r] * 1e3, st->rejected, st->orders_peak,
		       st->levels_peak, st->id_evicted, st->id_overflow);
	}
	double bmed = rs_bench_median(bt, runs), dmed = rs_bench_median(dt, runs);
	double cmed = rs_bench_median(ct, runs), bmin = bt[0];
	for (int r = 1; r < runs; r++)
		bmin = bt[r] < bmin ? bt[r] : bmin;
	double rate = (double)msgs / bmed * 1e9, ns = bmed / (double)msgs;
	double drate = (double)msgs / dmed * 1e9, dns = dmed / (double)msgs;
	printf("%s: %" PRIu64 " messages (%" PRIu64 " records), %.1f MB\n", tag, msgs, recs,
	       (double)f.size / 1e6);
	printf("  decode + book: %.2f M msg/s, %.1f ns/msg (median of %d)\n", rate / 1e6, ns, runs);
	printf("  decode + book, best run: %.2f M msg/s, %.1f ns/msg (the least disturbed on a shared machine)\n",
	       (double)msgs / bmin * 1e3, bmin / (double)msgs);
	printf("  decode + book, thread cpu time: %.2f M msg/s, %.1f ns/msg\n", (double)msgs / cmed * 1e3,
	       cmed / (double)msgs);
	printf("  decode only:   %.2f M msg/s, %.1f ns/msg -> book share %.1f ns/msg\n", drate / 1e6,
	       dns, ns - dns);
	char m1[64], m2[64], m3[64];
	snprintf(m1, sizeof(m1), "%s_msg_rate", tag);
	snprintf(m2, sizeof(m2), "%s_ns_per_msg", tag);
	snprintf(m3, sizeof(m3), "%s_decode_only_msg_rate", tag);
	rs_bench_result(strdup(m1), rate, "msg/s");
	rs_bench_result(strdup(m2), ns, "ns");
	rs_bench_result(strdup(m3), drate, "msg/s");
	if (prof)
		profile(&f, b);
	free(bt);
	free(dt);
	free(ct);
	rs_itchfile_close(&f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	uint64_t messages = 50000000ull;
	int runs = 3, cpu = 1, which = 3; /* bit 0 recent, bit 1 uniform */
	bool prof = false;
	uint32_t max_orders = 0, id_ring = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--messages") && i + 1 < argc)
			messages = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--uniform-cancels"))
			which = 2;
		else if (!strcmp(argv[i], "--recent-cancels"))
			which = 1;
		else if (!strcmp(argv[i], "--both"))
			which = 3;
		else if (!strcmp(argv[i], "--orders") && i + 1 < argc)
			max_orders = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--id-ring") && i + 1 < argc)
			id_ring = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--single"))
			single = 1;
		else if (!strcmp(argv[i], "--profile"))
			prof = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: bench-%s [FILE] [--messages N] [--runs R] [--cpu C] "
			       "[--uniform-cancels|--recent-cancels|--both] [--orders N] [--id-ring SLOTS] [--single] [--profile]\n",
			       BENCH_NAME);
			return 0;
		} else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			fprintf(stderr, "bench-book: unknown argument %s\n", argv[i]);
			return 64;
		}
	}
	if (runs < 1)
		runs = 1;
	if (rs_bench_pin(cpu))
		printf("(could not pin to cpu %d)\n", cpu);
	struct rs_book_cfg cfg;
	rs_book_cfg_default(&cfg);
	if (max_orders)
		cfg.max_orders = max_orders;
	cfg.id_ring = id_ring;
	struct rs_book *b;
	if (rs_book_create(&b, &cfg)) {
		fprintf(stderr, "bench-book: %s\n", rs_err_msg());
		return 70;
	}
	printf("bench %s: decode + MBO book, burst %d, pinned to cpu %d, book pools %u orders / %u levels / %u id ring slots"
#if defined(RS_BOOK_SEARCH_BINARY) && RS_BOOK_SEARCH_BINARY
	       ", ladder search: binary\n",
#else
	       ", ladder search: linear from the touch then binary\n",
#endif
	       BENCH_NAME, BURST, cpu, cfg.max_orders, cfg.max_levels, rs_book_config(b)->id_ring);
	print_huge();
	int rc = 0;
	if (file) {
		rc = bench_file(file, "file", runs, b, prof);
	} else {
		for (int k = 0; k < 2 && !rc; k++) {
			if (!(which & (1 << k)))
				continue;
			char path[128];
			snprintf(path, sizeof(path), "/tmp/rs-bench-book-%d-%s.itch", (int)getpid(),
				 k ? "uniform" : "recent");
			rc = rs_bench_gen_file("bench-book", path, messages, k == 1);
			if (!rc)
				rc = bench_file(path, k ? "uniform_cancels" : "recent_cancels", runs, b, prof);
			unlink(path);
		}
	}
	rs_book_destroy(b);
	rs_bench_print_json(BENCH_NAME);
	return rc ? 1 : 0;
}
