/*
 * rs_shm_testutil.h - helpers for the ring/table tests (tests/shm only):
 * shared anonymous memory, CPU pinning, self-checking 64-byte records.
 */
#ifndef RS_SHM_TESTUTIL_H
#define RS_SHM_TESTUTIL_H

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringside.h"

/* Sanitizer builds run 10-50x slower: scale stress counts down. */
#ifdef RS_SANITIZED
#define RS_T_SCALE 50u
#else
#define RS_T_SCALE 1u
#endif

/* MAP_SHARED anonymous memory (survives fork, page aligned, zeroed). */
static inline void *rs_t_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline void rs_t_unshare(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

/* Pin the calling thread to cpu modulo the CPUs we may use; best effort. */
static inline void rs_t_pin(int cpu)
{
	cpu_set_t allowed, set;
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	int n = CPU_COUNT(&allowed);
	if (n <= 0)
		return;
	int want = cpu % n, k = 0;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &allowed))
			continue;
		if (k++ == want) {
			CPU_ZERO(&set);
			CPU_SET(i, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

static inline uint64_t rs_t_mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Record n: words 0..6 derived from n, word 7 = xor of them (checksum). */
static inline void rs_t_fill(void *rec, uint64_t n)
{
	uint64_t w[8], x;
	w[0] = n;
	x = n;
	for (int i = 1; i < 7; i++) {
		w[i] = rs_t_mix(n * 8 + (uint64_t)i);
		x ^= w[i];
	}
	w[7] = x;
	memcpy(rec, w, 64);
}

/* 0 when rec is intact record n; else the failing word + 1. */
static inline int rs_t_check(const void *rec, uint64_t n)
{
	uint64_t w[8], x = 0;
	memcpy(w, rec, 64);
	if (w[0] != n)
		return 1;
	for (int i = 0; i < 7; i++)
		x ^= w[i];
	if (x != w[7])
		return 8;
	if (w[3] != rs_t_mix(n * 8 + 3))
		return 4;
	return 0;
}

/* Any intact record: returns its number, or UINT64_MAX if the checksum or
 * a derived word is wrong (torn/corrupt). */
static inline uint64_t rs_t_which(const void *rec)
{
	uint64_t w[8];
	memcpy(w, rec, 64);
	return rs_t_check(rec, w[0]) ? UINT64_MAX : w[0];
}

#endif
