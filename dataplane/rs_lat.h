/*
 * rs_lat.h - TSC clock and latency histograms (HOT record, cold calibration).
 *
 * The dataplane timestamps with the raw TSC (rdtsc, ~20 cycles, no system
 * call) and converts differences to ns with a fixed-point multiplier found
 * once at start-up against CLOCK_MONOTONIC_RAW:
 *
 *   ns = (ticks * mult) >> RS_LAT_SHIFT
 *
 * Histograms are struct rs_latency_hist in the instance's latency segment
 * (include/ringside.h: log-linear buckets, rs_lat_bucket()); one writer
 * (the core that owns it) with relaxed stores, any reader.
 */
#ifndef RS_LAT_H
#define RS_LAT_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ringside.h"

#define RS_LAT_SHIFT 24

struct rs_lat_clock {
	uint64_t mult;       /* ns per tick << RS_LAT_SHIFT */
	uint64_t ticks_per_us;
	uint64_t tsc0;       /* tick at calibration ... */
	uint64_t real0;      /* ... and CLOCK_REALTIME ns at the same moment */
};

static inline uint64_t rs_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

static inline uint64_t rs_lat__clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Measure the TSC rate over ~window_ns (cold, sleeps). */
static inline void rs_lat_calibrate(struct rs_lat_clock *c, uint64_t window_ns)
{
	uint64_t n0 = rs_lat__clock_ns(CLOCK_MONOTONIC_RAW), t0 = rs_tsc();
	struct timespec ts = {(time_t)(window_ns / 1000000000ull), (long)(window_ns % 1000000000ull)};
	nanosleep(&ts, NULL);
	uint64_t n1 = rs_lat__clock_ns(CLOCK_MONOTONIC_RAW), t1 = rs_tsc();
	uint64_t dt = t1 - t0 ? t1 - t0 : 1, dn = n1 - n0;
	c->mult = (uint64_t)(((__uint128_t)dn << RS_LAT_SHIFT) / dt);
	if (!c->mult)
		c->mult = 1;
	c->ticks_per_us = dt * 1000u / (dn ? dn : 1);
	if (!c->ticks_per_us)
		c->ticks_per_us = 1;
	c->tsc0 = rs_tsc();
	c->real0 = rs_lat__clock_ns(CLOCK_REALTIME);
}

static inline uint64_t rs_lat_ns(const struct rs_lat_clock *c, uint64_t ticks)
{
	return (uint64_t)(((__uint128_t)ticks * c->mult) >> RS_LAT_SHIFT);
}

static inline uint64_t rs_lat_ticks(const struct rs_lat_clock *c, uint64_t ns)
{
	return (uint64_t)(((__uint128_t)ns << RS_LAT_SHIFT) / c->mult);
}

/* Wall-clock ns (CLOCK_REALTIME scale) of a TSC reading, without a syscall. */
static inline uint64_t rs_lat_real_ns(const struct rs_lat_clock *c, uint64_t tsc)
{
	return tsc >= c->tsc0 ? c->real0 + rs_lat_ns(c, tsc - c->tsc0)
			      : c->real0 - rs_lat_ns(c, c->tsc0 - tsc);
}

/* Initialise a histogram slot (cold). */
static inline void rs_lat_hist_init(struct rs_latency_hist *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	strncpy(h->name, name, sizeof(h->name) - 1);
	h->min_ns = UINT64_MAX;
}

static inline void rs_lat__store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED); /* single writer; readers tolerate skew */
}

/* Record `n` samples of `ns` (one writer). */
static inline void rs_lat_record(struct rs_latency_hist *h, uint64_t ns, uint64_t n)
{
	uint32_t b = rs_lat_bucket(ns);
	rs_lat__store(&h->buckets[b], h->buckets[b] + n);
	rs_lat__store(&h->count, h->count + n);
	rs_lat__store(&h->sum_ns, h->sum_ns + ns * n);
	if (ns > h->max_ns)
		rs_lat__store(&h->max_ns, ns);
	if (ns < h->min_ns)
		rs_lat__store(&h->min_ns, ns);
}

/* Percentile (0 < q <= 1) of a histogram, lower bucket bound in ns
 * (max_ns for q == 1); 0 when empty. */
static inline uint64_t rs_lat_percentile(const struct rs_latency_hist *h, double q)
{
	uint64_t cnt = 0;
	for (uint32_t b = 0; b < RS_LAT_BUCKETS; b++)
		cnt += h->buckets[b];
	if (!cnt)
		return 0;
	if (q >= 1.0)
		return h->max_ns;
	uint64_t want = (uint64_t)(q * (double)cnt);
	if (want >= cnt)
		want = cnt - 1;
	uint64_t acc = 0;
	for (uint32_t b = 0; b < RS_LAT_BUCKETS; b++) {
		acc += h->buckets[b];
		if (acc > want)
			return rs_lat_bucket_lo(b);
	}
	return h->max_ns;
}

#endif /* RS_LAT_H */
