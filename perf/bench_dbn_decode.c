/*
 * bench_dbn_decode.c - DBN MBO decode throughput (records/s), plain and zstd.
 *
 *   perf/run.sh dbn-decode [FILE] [--records N] [--keep]
 *
 * Without FILE it synthesizes N MBO records (default 20M = 1.12 GB plain;
 * 50M = 2.8 GB would take more disk and time than a shared box should
 * spend) with realistic fields (ES-like prices on a 0.25 tick random walk,
 * A/C/M/F/T mix, rising order ids and sequence numbers), writes a plain and
 * a zstd copy with our own writer in a private /tmp directory, and deletes
 * them afterwards (unless --keep).
 *
 * Metrics (each the median of 3 runs):
 *   mem_events   rs_dbn_mbo_burst over the plain file mapped in memory,
 *                records -> struct rs_event (the normalized event, copied)
 *   mem_zerocopy rs_dbn_rec_check walk handing out record pointers
 *   plain_file   rs_dbnfile (mmap of the file) + burst; _read: read(2)
 *                into the 1 MiB window instead
 *   zstd_file    the same over the zstd file (libzstd streaming)
 *   zstd_raw     libzstd's own streaming decompression of that file into a
 *                discarded 1 MiB buffer: the bound for zstd_file
 * FILE may be plain or zstd; only the applicable metrics are measured.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "controlplane/rs_dbnfile.h"
#include "rs_bench.h"
#include "shm/rs_err.h"

#define RUNS 3
#define BURST 32

static volatile uint64_t sink;

/* Thread CPU time: on a shared, loaded box the wall-clock rate mostly
 * measures the scheduler; CPU time shows what the decoder itself costs. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t last_cpu; /* CPU ns of the last run_* call */

static double mrate(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e3 / (double)ns : 0; /* million records per second */
}

/* Random walk MBO stream resembling an ES day. */
static int synth(const char *plain, const char *zst, uint64_t n)
{
	static uint8_t sym[71] = "ESH4";
	struct rs_dbn_meta m = {0};
	strcpy(m.dataset, "GLBX.MDP3");
	m.schema = RS_DBN_SCHEMA_MBO;
	m.start = 1703462400000000000ull;
	m.end = m.start + 86400000000000ull;
	m.record_count = RS_DBN_NULL_RECORD_COUNT;
	m.stype_in = RS_DBN_STYPE_RAW_SYMBOL;
	m.stype_out = RS_DBN_STYPE_INSTRUMENT_ID;
	m.symbol_cstr_len = 71;
	m.nsymbols = 1;
	m.symbols = sym;
	struct rs_dbnfile_writer *w[2];
	if (rs_dbnfile_writer_open(&w[0], plain, &m, 3, false, 0) ||
	    rs_dbnfile_writer_open(&w[1], zst, &m, 3, true, 3))
		return -1;
	uint64_t x = 0x9E3779B97F4A7C15ull, ts = m.start, oid = 6412777162812ull;
	int64_t px = 4800 * RS_PRICE_SCALE;
	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		struct rs_event ev = {0};
		unsigned r = (unsigned)(x % 100);
		char act = r < 42 ? 'A' : r < 68 ? 'C' : r < 86 ? 'M' : r < 95 ? 'F' : 'T';
		if ((x >> 20) % 16 == 0)
			px += ((x >> 24) & 1 ? 1 : -1) * 250000000ll;
		ts += 1 + (x >> 32) % 20000;
		ev.mbo.hd = (struct rs_rec_hdr){14, RS_RTYPE_MBO, 1, 17077, ts};
		ev.mbo.order_id = act == 'A' ? ++oid : oid - (x >> 40) % 5000;
		ev.mbo.price = px + (int64_t)((x >> 44) % 8) * 250000000ll * ((x >> 8) & 1 ? 1 : -1);
		ev.mbo.size = 1 + (uint32_t)((x >> 50) % 30);
		ev.mbo.flags = (x >> 56) % 3 ? RS_F_LAST : 0;
		ev.mbo.action = act;
		ev.mbo.side = (x >> 9) & 1 ? 'A' : 'B';
		ev.mbo.ts_recv = ts + 5000 + (x >> 12) % 20000;
		ev.mbo.ts_in_delta = 15000 + (int32_t)((x >> 16) % 10000);
		ev.mbo.sequence = (uint32_t)(682 + i);
		for (int k = 0; k < 2; k++)
			if (rs_dbnfile_write_event(w[k], &ev))
				return -1;
	}
	return rs_dbnfile_writer_close(w[0]) || rs_dbnfile_writer_close(w[1]) ? -1 : 0;
}

static uint64_t run_mem_events(const uint8_t *p, size_t n, uint8_t ver, uint64_t *recs)
{
	struct rs_event ev[BURST];
	struct rs_dbn_counters c = {0};
	size_t used;
	bool fatal;
	uint64_t sum = 0, c0 = cpu_ns(), t0 = rs_bench_now_ns();
	for (;;) {
		unsigned k = rs_dbn_mbo_burst(p, n, ver, ev, BURST, 0, &used, &fatal, &c);
		for (unsigned i = 0; i < k; i++)
			sum += ev[i].mbo.size;
		p += used;
		n -= used;
		if (k < BURST)
			break;
	}
	uint64_t dt = rs_bench_now_ns() - t0;
	last_cpu = cpu_ns() - c0;
	sink += sum;
	*recs = c.mbo;
	return dt;
}

static uint64_t run_mem_zerocopy(const uint8_t *p, size_t n, uint8_t ver, uint64_t *recs)
{
	struct rs_dbn_counters c = {0};
	const struct rs_rec_hdr *rec;
	uint64_t sum = 0, k = 0, c0 = cpu_ns(), t0 = rs_bench_now_ns();
	int len;
	while ((len = rs_dbn_rec_check(p, n, ver, &c, &rec)) > 0) {
		if (rec && rec->rtype == RS_RTYPE_MBO) {
			const struct rs_mbo *m = (const void *)rec;
			sum += m->size;
			k++;
		}
		p += len;
		n -= (size_t)len;
	}
	uint64_t dt = rs_bench_now_ns() - t0;
	last_cpu = cpu_ns() - c0;
	sink += sum;
	*recs = k;
	return dt;
}

static uint64_t run_file(const char *path, unsigned flags, uint64_t *recs, int *err)
{
	struct rs_dbnfile *f;
	struct rs_event ev[BURST];
	uint64_t sum = 0, c0 = cpu_ns(), t0 = rs_bench_now_ns();
	*err = rs_dbnfile_open(&f, path, flags);
	if (*err)
		return 0;
	struct rs_dbn_counters *c = rs_dbnfile_counters(f);
	uint8_t ver = rs_dbnfile_meta(f)->version;
	const uint8_t *p;
	size_t n, used;
	bool fatal;
	int r;
	do {
		r = rs_dbnfile_window(f, 64 * 1024, &p, &n);
		if (r < 0) {
			*err = r;
			break;
		}
		size_t off = 0;
		for (;;) {
			unsigned k = rs_dbn_mbo_burst(p + off, n - off, ver, ev, BURST, 0, &used, &fatal, c);
			for (unsigned i = 0; i < k; i++)
				sum += ev[i].mbo.size;
			off += used;
			if (k < BURST)
				break;
		}
		rs_dbnfile_consume(f, off);
		if (fatal) {
			*err = -EBADMSG;
			break;
		}
	} while (r > 0);
	uint64_t dt = rs_bench_now_ns() - t0;
	last_cpu = cpu_ns() - c0;
	sink += sum;
	*recs = c->mbo;
	rs_dbnfile_close(f);
	return dt;
}

static uint64_t run_zstd_raw(const char *path, uint64_t *bytes)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ZSTD_DStream *z = ZSTD_createDStream();
	uint8_t *in = malloc(RS_DBNFILE_ZIN_LEN), *out = malloc(RS_DBNFILE_BUF_LEN);
	uint64_t total = 0, c0 = cpu_ns(), t0 = rs_bench_now_ns();
	ssize_t r;
	while ((r = read(fd, in, RS_DBNFILE_ZIN_LEN)) > 0) {
		ZSTD_inBuffer ib = {in, (size_t)r, 0};
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = {out, RS_DBNFILE_BUF_LEN, 0};
			size_t e = ZSTD_decompressStream(z, &ob, &ib);
			if (ZSTD_isError(e))
				goto done;
			total += ob.pos;
			sink += out[0];
		}
	}
	for (;;) { /* drain */
		ZSTD_inBuffer ib = {in, 0, 0};
		ZSTD_outBuffer ob = {out, RS_DBNFILE_BUF_LEN, 0};
		size_t e = ZSTD_decompressStream(z, &ob, &ib);
		if (ZSTD_isError(e) || ob.pos == 0)
			break;
		total += ob.pos;
	}
done:;
	uint64_t dt = rs_bench_now_ns() - t0;
	last_cpu = cpu_ns() - c0;
	ZSTD_freeDStream(z);
	free(in);
	free(out);
	close(fd);
	*bytes = total;
	return dt;
}

static bool is_zstd(const char *path)
{
	uint8_t b[4] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t r = read(fd, b, 4);
	close(fd);
	uint32_t m = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return r == 4 && (m == 0xFD2FB528u || (m & 0xFFFFFFF0u) == 0x184D2A50u);
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	uint64_t nrec = 20000000;
	bool keep = false;
	char dir[64] = "", plain[128] = "", zst[128] = "";
	int ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc)
			nrec = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: bench-dbn-decode [FILE] [--records N] [--keep]\n");
			return 0;
		} else
			file = argv[i];
	}
	rs_bench_pin(0);
	if (!file) {
		strcpy(dir, "/tmp/rs_bench_dbn.XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
		snprintf(plain, sizeof(plain), "%s/mbo.dbn", dir);
		snprintf(zst, sizeof(zst), "%s/mbo.dbn.zst", dir);
		printf("synthesizing %llu MBO records in %s (plain + zstd level 3) ...\n",
		       (unsigned long long)nrec, dir);
		fflush(stdout);
		uint64_t t0 = rs_bench_now_ns();
		if (synth(plain, zst, nrec)) {
			fprintf(stderr, "synthesis failed: %s\n", rs_err_msg());
			goto out;
		}
		printf("  done in %.1f s\n", (double)(rs_bench_now_ns() - t0) / 1e9);
	} else if (is_zstd(file)) {
		snprintf(zst, sizeof(zst), "%s", file);
	} else {
		snprintf(plain, sizeof(plain), "%s", file);
	}

	double v[RUNS], vc[RUNS];
	uint64_t recs = 0;
#define MEASURE(CALL, WALL, CPU)                                             \
	do {                                                                 \
		for (int r_ = 0; r_ < RUNS; r_++) {                          \
			uint64_t dt_ = (CALL);                               \
			v[r_] = mrate(recs, dt_);                            \
			vc[r_] = mrate(recs, last_cpu);                      \
		}                                                            \
		WALL = rs_bench_median(v, RUNS);                             \
		CPU = rs_bench_median(vc, RUNS);                             \
	} while (0)
	if (*plain) {
		struct stat st;
		int fd = open(plain, O_RDONLY);
		if (fd < 0 || fstat(fd, &st)) {
			perror(plain);
			goto out;
		}
		uint8_t *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		close(fd);
		if (map == MAP_FAILED) {
			perror("mmap");
			goto out;
		}
		struct rs_dbn_meta m;
		const char *why;
		if (rs_dbn_meta_decode(map, (size_t)st.st_size, &m, &why)) {
			fprintf(stderr, "%s: %s\n", plain, why);
			goto out;
		}
		size_t hdr = RS_DBN_PRELUDE_LEN + m.length;
		const uint8_t *p = map + hdr;
		size_t n = (size_t)st.st_size - hdr;
		double ev, evc, zc, zcc, l2, l2c, pf, pfc;
		printf("plain: %s, %.2f GB, DBN v%u   (rates: wall clock | thread CPU time)\n", plain,
		       (double)st.st_size / 1e9, m.version);
		MEASURE(run_mem_events(p, n, m.version, &recs), ev, evc);
		printf("  in memory, records -> rs_event:    %7.1f | %7.1f M rec/s (%llu records)\n", ev, evc,
		       (unsigned long long)recs);
		MEASURE(run_mem_zerocopy(p, n, m.version, &recs), zc, zcc);
		printf("  in memory, zero-copy record walk:  %7.1f | %7.1f M rec/s\n", zc, zcc);
		/* 256 KiB slice decoded repeatedly: the decoder's own cost, no DRAM. */
		size_t slice = n < (256u << 10) ? n : (256u << 10) / 56 * 56;
		uint8_t *copy = aligned_alloc(64, (slice + 63) & ~(size_t)63);
		memcpy(copy, p, slice);
		uint64_t reps = slice ? (n / slice ? n / slice : 1) : 0;
		for (int r = 0; r < RUNS; r++) {
			uint64_t tot = 0, dt = 0, dc = 0, k;
			for (uint64_t i = 0; i < reps; i++) {
				dt += run_mem_events(copy, slice, m.version, &k);
				dc += last_cpu;
				tot += k;
			}
			v[r] = mrate(tot, dt);
			vc[r] = mrate(tot, dc);
		}
		l2 = rs_bench_median(v, RUNS);
		l2c = rs_bench_median(vc, RUNS);
		free(copy);
		printf("  in cache (256 KiB), -> rs_event:   %7.1f | %7.1f M rec/s\n", l2, l2c);
		munmap(map, (size_t)st.st_size);
		int err = 0;
		double pw, pwc;
		MEASURE(run_file(plain, 0, &recs, &err), pf, pfc);
		if (!err)
			MEASURE(run_file(plain, RS_DBNFILE_NO_MMAP, &recs, &err), pw, pwc);
		if (err) {
			fprintf(stderr, "%s\n", rs_err_msg());
			goto out;
		}
		printf("  file (rs_dbnfile, mmap):           %7.1f | %7.1f M rec/s (%.1f GB/s wall)\n", pf, pfc,
		       pf * 56e6 / 1e9);
		printf("  file (read(2) into 1 MiB window):  %7.1f | %7.1f M rec/s\n", pw, pwc);
		rs_bench_result("mem_events_mrec_per_s", ev, "Mrec/s");
		rs_bench_result("mem_events_cpu_mrec_per_s", evc, "Mrec/s");
		rs_bench_result("mem_zerocopy_mrec_per_s", zc, "Mrec/s");
		rs_bench_result("mem_zerocopy_cpu_mrec_per_s", zcc, "Mrec/s");
		rs_bench_result("cache_events_mrec_per_s", l2, "Mrec/s");
		rs_bench_result("cache_events_cpu_mrec_per_s", l2c, "Mrec/s");
		rs_bench_result("plain_file_mrec_per_s", pf, "Mrec/s");
		rs_bench_result("plain_file_cpu_mrec_per_s", pfc, "Mrec/s");
		rs_bench_result("plain_file_read_mrec_per_s", pw, "Mrec/s");
		rs_bench_result("plain_file_read_cpu_mrec_per_s", pwc, "Mrec/s");
	}
	if (*zst) {
		struct stat st;
		if (stat(zst, &st)) {
			perror(zst);
			goto out;
		}
		int err = 0;
		uint64_t bytes = 0;
		double zf, zfc;
		printf("zstd: %s, %.2f GB compressed   (rates: wall clock | thread CPU time)\n", zst,
		       (double)st.st_size / 1e9);
		MEASURE(run_file(zst, 0, &recs, &err), zf, zfc);
		if (err) {
			fprintf(stderr, "%s\n", rs_err_msg());
			goto out;
		}
		double raw[RUNS], rawc[RUNS];
		for (int r = 0; r < RUNS; r++) {
			uint64_t dt = run_zstd_raw(zst, &bytes);
			raw[r] = dt ? (double)bytes / (double)dt : 0; /* GB/s */
			rawc[r] = last_cpu ? (double)bytes / (double)last_cpu : 0;
		}
		double zr = rs_bench_median(raw, RUNS), zrc = rs_bench_median(rawc, RUNS);
		double per = bytes ? 1e3 * (double)recs / (double)bytes : 0; /* GB/s -> Mrec/s */
		printf("  file decode (zstd stream + burst): %7.1f | %7.1f M rec/s (%llu records)\n", zf, zfc,
		       (unsigned long long)recs);
		printf("  zstd alone (same file, same run):  %7.1f | %7.1f M rec/s (%.2f | %.2f GB/s out)\n",
		       zr * per, zrc * per, zr, zrc);
		printf("  decode / zstd-alone (CPU time):    %7.2f\n", zrc * per ? zfc / (zrc * per) : 0);
		rs_bench_result("zstd_file_mrec_per_s", zf, "Mrec/s");
		rs_bench_result("zstd_file_cpu_mrec_per_s", zfc, "Mrec/s");
		rs_bench_result("zstd_raw_mrec_per_s", zr * per, "Mrec/s");
		rs_bench_result("zstd_raw_cpu_mrec_per_s", zrc * per, "Mrec/s");
		rs_bench_result("zstd_raw_cpu_gb_per_s", zrc, "GB/s");
		rs_bench_result("zstd_decode_over_raw_cpu", zrc * per ? zfc / (zrc * per) : 0, "ratio");
	}
	ret = 0;
out:
	if (*dir && !keep) {
		unlink(plain);
		unlink(zst);
		rmdir(dir);
	} else if (*dir) {
		printf("kept %s\n", dir);
	}
	if (ret == 0)
		rs_bench_print_json("dbn-decode");
	return ret;
}
