/*
 * rs_bench.h - shared helpers for perf/ benchmarks.
 *
 * Every benchmark prints readable lines, then, last, one JSON object per
 * result: {"bench":"...","metric":"...","value":N,"unit":"..."}.
 */
#ifndef RS_BENCH_H
#define RS_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t rs_bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Pin the calling thread to one CPU; returns 0 or -1 (not fatal). */
static inline int rs_bench_pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Results are collected and printed last, after all human-readable lines. */
struct rs_bench_result {
	const char *metric;
	double value;
	const char *unit;
};

#define RS_BENCH_MAX_RESULTS 64
static struct rs_bench_result rs__bench_results[RS_BENCH_MAX_RESULTS];
static int rs__bench_nresults;

static inline void rs_bench_result(const char *metric, double value, const char *unit)
{
	if (rs__bench_nresults < RS_BENCH_MAX_RESULTS)
		rs__bench_results[rs__bench_nresults++] = (struct rs_bench_result){metric, value, unit};
}

static inline void rs_bench_print_json(const char *bench)
{
	for (int i = 0; i < rs__bench_nresults; i++)
		printf("{\"bench\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n", bench,
		       rs__bench_results[i].metric, rs__bench_results[i].value, rs__bench_results[i].unit);
	fflush(stdout);
}

static inline int rs_bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of n values (sorts in place). */
static inline double rs_bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), rs_bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
