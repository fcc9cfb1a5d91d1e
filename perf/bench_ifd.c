/*
 * bench_ifd.c - perf/run.sh ifd [FILE] [--baseline-msgs N]
 *
 * Added cost per event of the IFD engine (pressure windows 1 s / 1 min /
 * 5 min, pattern detectors, signal checks) on top of decode + MBO book, on
 * a generated ITCH session (default /tmp/gen50m.itch: `ringside gen
 * --messages 50M`; its timestamps are placed on 2024-01-02), and the time
 * from a window's close (the handler clock passing its end) to the
 * publication of each signal decided at that close.
 *
 * The baseline is built first from two generated sessions of the same
 * market (seed 1, 1000 symbols, flow seeds 1 and 2), with
 * allow_immature so that signals fire and their latency can be measured.
 *
 * Passes over FILE: (A) decode + book, (B) decode + book + IFD, timing the
 * engine's own calls (thread CPU time per 256-event burst). Reports ns per
 * event of the engine, B - A, and close->publication percentiles.
 */
#include "rs_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/rs_gen.h"
#include "controlplane/rs_ifdrun.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_ifd.h"
#include "rs_err.h"
#include "rs_evsource.h"

#define BURST 256

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t tick_t0;
static double *lat;
static size_t nlat, caplat;
static uint64_t nsig, npress, npat;

static void on_sig(void *c, const struct rs_signal *s)
{
	(void)c;
	(void)s;
	nsig++;
	if (nlat < caplat)
		lat[nlat++] = (double)(rs_bench_now_ns() - tick_t0);
}
static void on_press(void *c, const struct rs_pressure *p)
{
	(void)c;
	(void)p;
	npress++;
}
static void on_pat(void *c, const struct rs_pattern *p)
{
	(void)c;
	(void)p;
	npat++;
}

static void define_cb(void *ctx, uint32_t id, const char *symbol, int64_t tick)
{
	(void)rs_book_define(ctx, id, symbol && *symbol ? symbol : NULL, tick);
}

/* One pass; f NULL = book only. Returns events; *book_ns, *ifd_ns CPU. */
static uint64_t pass(const char *path, struct rs_book *b, struct rs_ifd *f, uint64_t *total_ns,
		     uint64_t *ifd_ns, double *tick_max)
{
	struct rs_evsrc_defs defs = {.ctx = b, .define = define_cb};
	struct rs_evsource *s;
	if (rs_evsource_open(&s, path, RS_EVSRC_ITCH, &defs)) {
		fprintf(stderr, "bench-ifd: %s\n", rs_err_msg());
		exit(1);
	}
	rs_evsource_set_date(s, 2024, 1, 2);
	rs_book_reset(b);
	if (f)
		rs_ifd_reset(f);
	static struct rs_event ev[BURST];
	static int32_t direct[65536];
	memset(direct, 0xff, sizeof(direct));
	uint64_t n = 0, t_all = cpu_ns(), t_ifd = 0, next_s = 0;
	int k;
	*tick_max = 0;
	while ((k = rs_evsource_next(s, ev, BURST)) > 0) {
		uint64_t t0 = 0;
		if (f) {
			t0 = cpu_ns();
			rs_ifd_before_book(f, ev, (unsigned)k, b);
			t_ifd += cpu_ns() - t0;
		}
		rs_book_apply_burst(b, ev, (unsigned)k);
		n += (uint64_t)k;
		if (!f)
			continue;
		t0 = cpu_ns();
		for (int i = 0; i < k; i++) {
			uint64_t ts = ev[i].mbo.hd.ts_event;
			if (ts >= next_s) {
				/* the handler clock passes a 1 s boundary: close now and
				 * time close -> publication (wall clock) */
				tick_t0 = rs_bench_now_ns();
				rs_ifd_tick(f, ts);
				double d = (double)(rs_bench_now_ns() - tick_t0);
				if (d > *tick_max)
					*tick_max = d;
				next_s = ts - ts % 1000000000ull + 1000000000ull;
			}
			uint32_t id = ev[i].mbo.hd.instrument_id;
			int idx = id < 65536 ? direct[id] : rs_book_find(b, id);
			if (idx < 0 && id < 65536)
				idx = direct[id] = rs_book_find(b, id);
			if (idx >= 0)
				rs_ifd_on_event(f, &ev[i], b, idx);
		}
		t_ifd += cpu_ns() - t0;
	}
	*total_ns = cpu_ns() - t_all;
	*ifd_ns = t_ifd;
	rs_evsource_close(s);
	return n;
}

int main(int argc, char **argv)
{
	const char *path = "/tmp/gen50m.itch";
	uint64_t blmsgs = 2000000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--baseline-msgs") && i + 1 < argc)
			blmsgs = strtoull(argv[++i], NULL, 10);
		else
			path = argv[i];
	}
	if (access(path, R_OK)) {
		fprintf(stderr, "bench-ifd: %s absent (make it: ringside gen --messages 50M %s)\n", path,
			path);
		return 1;
	}
	rs_bench_pin(1);
	struct rs_book_cfg bc;
	rs_book_cfg_default(&bc);
	struct rs_book *b;
	if (rs_book_create(&b, &bc)) {
		fprintf(stderr, "bench-ifd: %s\n", rs_err_msg());
		return 1;
	}
	struct rs_ifd_cfg c;
	rs_ifd_cfg_default(&c);
	c.max_instruments = 4096;
	c.allow_immature = true;
	c.on_signal = on_sig;
	c.on_pressure = on_press;
	c.on_pattern = on_pat;
	struct rs_ifd *f;
	if (rs_ifd_create(&f, &c)) {
		fprintf(stderr, "bench-ifd: %s\n", rs_err_msg());
		return 1;
	}
	struct rs_bl_geom g;
	rs_ifd_geom(&c, &g);
	struct rs_baseline *bl;
	rs_baseline_create(&bl, &g);
	/* baseline: two sessions of the same market */
	for (int d = 0; d < 2; d++) {
		char p[256], err[256];
		snprintf(p, sizeof(p), "/tmp/ifdbench-%d/", (int)getpid());
		mkdir(p, 0700);
		snprintf(p, sizeof(p), "/tmp/ifdbench-%d/010%d2024.NASDAQ_ITCH50", (int)getpid(), 3 + d);
		struct rs_gen_opts o;
		rs_gen_opts_default(&o);
		o.messages = blmsgs;
		o.flow_seed = 1 + (uint64_t)d;
		struct rs_gen *gg;
		if (rs_gen_create(&gg, &o, err, sizeof(err)) || rs_gen_write_day(gg, p, NULL)) {
			fprintf(stderr, "bench-ifd: gen: %s\n", err);
			return 1;
		}
		rs_gen_destroy(gg);
		struct rs_ifdrun_stats st;
		rs_ifd_set_baseline(f, bl);
		if (rs_ifdrun_file(f, b, p, RS_EVSRC_ITCH, 0, &st) || rs_ifd_end_session(f, bl) < 0) {
			fprintf(stderr, "bench-ifd: %s\n", rs_err_msg());
			return 1;
		}
		unlink(p);
		snprintf(p, sizeof(p), "/tmp/ifdbench-%d", (int)getpid());
		rmdir(p);
	}
	rs_ifd_set_baseline(f, bl);
	printf("baseline: %u instruments, %u sessions of %llu messages\n", bl->ninst,
	       rs_baseline_sessions(bl), (unsigned long long)blmsgs);
	caplat = 1 << 22;
	lat = malloc(caplat * sizeof(*lat));
	nsig = npress = npat = 0;

	uint64_t tot_a, tot_b, ifd_b, dummy;
	double tmax;
	uint64_t n = pass(path, b, NULL, &tot_a, &dummy, &tmax);
	nsig = npress = npat = 0;
	nlat = 0;
	pass(path, b, f, &tot_b, &ifd_b, &tmax);
	double a = (double)tot_a / (double)n, bb = (double)tot_b / (double)n,
	       e = (double)ifd_b / (double)n;
	printf("%s: %llu events\n", path, (unsigned long long)n);
	printf("decode + book:        %.1f ns/event (thread CPU)\n", a);
	printf("decode + book + IFD:  %.1f ns/event; engine calls %.1f ns/event (B - A = %.1f)\n", bb,
	       e, bb - a);
	printf("published: %llu pressure windows, %llu signals, %llu patterns\n",
	       (unsigned long long)npress, (unsigned long long)nsig, (unsigned long long)npat);
	double p50 = 0, p99 = 0, pmax = 0;
	if (nlat) {
		qsort(lat, nlat, sizeof(*lat), rs_bench_cmp_double);
		p50 = lat[nlat / 2];
		p99 = lat[(size_t)((double)nlat * 0.99)];
		pmax = lat[nlat - 1];
	}
	printf("window close -> signal published (wall): p50 %.0f ns, p99 %.0f ns, max %.0f ns "
	       "over %zu signals; longest close (all instruments, all W) %.0f ns\n",
	       p50, p99, pmax, nlat, tmax);
	rs_bench_result("ifd_ns_per_event", e, "ns");
	rs_bench_result("book_ns_per_event", a, "ns");
	rs_bench_result("book_plus_ifd_ns_per_event", bb, "ns");
	rs_bench_result("close_to_signal_p50", p50, "ns");
	rs_bench_result("close_to_signal_p99", p99, "ns");
	rs_bench_result("close_to_signal_max", pmax, "ns");
	rs_bench_result("close_max", tmax, "ns");
	rs_bench_print_json("ifd");
	free(lat);
	rs_baseline_destroy(bl);
	rs_ifd_destroy(f);
	rs_book_destroy(b);
	return 0;
}
