/*
 * rs_bench_gen.h - a generated ITCH day file for the benchmarks that run
 * without a FILE argument (bench-book, bench-analytics, bench-handler).
 */
#ifndef RS_BENCH_GEN_H
#define RS_BENCH_GEN_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "controlplane/rs_gen.h"
#include "rs_bench.h"
#include "shm/rs_err.h"

/* Write a session of `messages` (rs_gen defaults, uniform or
 * recency-biased cancels) to path; prints one line. 0 or -1. */
static inline int rs_bench_gen_file(const char *bench, const char *path, uint64_t messages, bool uniform)
{
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.messages = messages;
	o.uniform_cancels = uniform;
	struct rs_gen *g;
	char err[256] = "";
	uint64_t t0 = rs_bench_now_ns();
	if (rs_gen_create(&g, &o, err, sizeof(err))) {
		fprintf(stderr, "%s: rs_gen: %s\n", bench, err);
		return -1;
	}
	uint64_t bytes = 0;
	int rc = rs_gen_write_day(g, path, &bytes);
	const struct rs_gen_stats *st = rs_gen_stats(g);
	printf("generated %s: %" PRIu64 " messages, %.1f MB, %s cancels, max live orders %" PRIu64
	       " (%.1f s)\n",
	       path, st->messages, (double)bytes / 1e6, uniform ? "uniform" : "recency-biased",
	       st->max_live_orders, (double)(rs_bench_now_ns() - t0) / 1e9);
	rs_gen_destroy(g);
	if (rc)
		fprintf(stderr, "%s: writing %s: %s\n", bench, path, rs_err_msg());
	return rc ? -1 : 0;
}

#endif
