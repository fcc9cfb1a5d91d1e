/*
 * bench_analytics.c - added cost of all analytics on top of decode + book
 * (perf/run.sh analytics).
 *
 *   perf/run.sh analytics [FILE] [--messages N] [--runs R] [--cpu C] [--mode M]
 *
 * Without FILE a synthetic session of N messages (default 50M) is generated
 * with rs_gen into /tmp and deleted afterwards. The file is mmap'ed and
 * prefaulted, the thread pinned. Five passes per run, each over the whole
 * file with a reset book and analytics (ITCH decode with
 * rs_itch_decode_fast into bursts of 32 records, rs_book_publish after
 * every burst):
 *   book        rs_book_apply_burst                         (the baseline)
 *   book1       rs_book_apply per record
 *   an1         per record: rs_analytics_tick, rs_book_apply,
 *               rs_analytics_on_event (the per-record driving contract)
 *   an          rs_analytics_replay = rs_book_apply_burst_cb with
 *               rs_analytics_on_event_cb (the book's prefetch pipeline
 *               kept), amend hook installed; bars 1s..5m, features,
 *               microstructure, profile, bars closed on the feed clock
 *   an_pub      an + publication: closed bars into a broadcast ring and
 *               the latest table (both in process memory, as the daemon's
 *               rs_instance segments), what the live handler does
 * --mode M runs only mode M (for callgrind: instructions of one mode).
 * --hash runs an_pub once with a bar sink and prints FNV-1a hashes of
 * every bar the sink got, of every bar read back from the bars ring
 * (rs_bar_unpack) and of the latest table (every 64 bursts and at the
 * end): a regression check that an optimisation changed no output byte.
 * Reported: ns/message (thread CPU time, median of R runs); the analytics'
 * added cost an - book (the goal: <= 20 % of book), an_pub - book, and
 * an1 - book1 (the analytics code on the per-record path).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_gen.h"
#include "dataplane/rs_analytics.h"
#include "dataplane/rs_bars.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"

#include "rs_bench.h"
#include "rs_bench_gen.h"
#include "shm/rs_bcast.h"
#include "shm/rs_err.h"
#include "shm/rs_seqtab.h"

#define BURST 32

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum { M_BOOK, M_BOOK1, M_AN1, M_AN, M_ANPUB, M_N };
static const char *mname[M_N] = {"book", "book1", "an1", "an", "an_pub"};

#define IDXC 65536u
static int idxc[IDXC]; /* instrument_id -> book index, -1 unknown (per-record mode) */

static inline int book_idx(const struct rs_book *b, uint32_t iid)
{
	if (iid >= IDXC)
		return rs_book_find(b, iid);
	if (idxc[iid] < 0)
		idxc[iid] = rs_book_find(b, iid);
	return idxc[iid];
}

/* --hash: FNV-1a over the outputs */
struct hashes {
	uint64_t sink, ring, latest;
	uint64_t nsink, nring, lost;
	struct rs_bcast_reader rd;
	struct rs_seqtab *lt;
	int on;
};
static struct hashes hs = {.sink = 1469598103934665603ull, .ring = 1469598103934665603ull,
			   .latest = 1469598103934665603ull};

static void fnv(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 1099511628211ull;
}

static void hash_sink(void *ctx, const struct rs_bar *bar)
{
	(void)ctx;
	fnv(&hs.sink, bar, sizeof(*bar));
	hs.nsink++;
}

static void hash_drain(int all_rows)
{
	uint8_t rec[65536];
	uint32_t len, type;
	int rc;
	while ((rc = rs_bcast_read(&hs.rd, rec, sizeof(rec), &len, &type)) != 0) {
		if (rc < 0) {
			hs.lost++;
			continue;
		}
		struct rs_bar out[RS_BAR_UNPACK_MAX];
		int n = rs_bar_unpack(type, rec, len, out, RS_BAR_UNPACK_MAX);
		for (int i = 0; i < n; i++)
			fnv(&hs.ring, &out[i], sizeof(out[i]));
		hs.nring += n > 0 ? (uint64_t)n : 0;
	}
	if (all_rows) {
		static struct rs_latest l;
		for (uint32_t s = 0; s < rs_seqtab_nused(hs.lt); s++) {
			uint64_t key = 0;
			if (rs_seqtab_read(hs.lt, s, &l, sizeof(l), &key) == 0) {
				fnv(&hs.latest, &key, sizeof(key));
				fnv(&hs.latest, &l, sizeof(l));
			}
		}
	}
}

static __attribute__((noinline)) uint64_t run(struct rs_itchfile *f, struct rs_book *b, struct rs_analytics *a, int mode)
{
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 0);
	struct rs_event ev[BURST + RS_ITCH_MAX_EVENTS];
	const uint8_t *msg;
	size_t len;
	uint64_t seq = 0;
	unsigned n = 0;
	rs_itchfile_rewind(f);
	for (;;) {
		int more = rs_itchfile_next(f, &msg, &len) > 0;
		if (more)
			n += rs_itch_decode_fast(&d, msg, len, ++seq, 0, ev + n);
		if (n >= BURST || (!more && n)) {
			if (mode == M_BOOK) {
				rs_book_apply_burst(b, ev, n);
			} else if (mode == M_BOOK1) {
				for (unsigned i = 0; i < n; i++)
					rs_book_apply(b, &ev[i]);
			} else if (mode == M_AN1) {
				for (unsigned i = 0; i < n; i++) {
					rs_analytics_tick(a, ev[i].mbo.hd.ts_event);
					rs_book_apply(b, &ev[i]);
					rs_analytics_on_event(a, &ev[i], b,
							      book_idx(b, ev[i].mbo.hd.instrument_id));
				}
			} else {
				rs_analytics_replay(a, b, ev, n);
			}
			rs_book_publish(b, NULL, NULL);
			n = 0;
			if (hs.on)
				hash_drain((seq & 2047) < 32);
		}
		if (!more)
			break;
	}
	if (mode >= M_AN1)
		rs_analytics_flush(a);
	if (hs.on)
		hash_drain(1);
	return seq;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	uint64_t messages = 50000000ull;
	int runs = 3, cpu = 1, only = -1, hash = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--messages") && i + 1 < argc)
			messages = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--hash"))
			hash = 1;
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			const char *mn = argv[++i];
			for (int m = 0; m < M_N; m++)
				if (!strcmp(mn, mname[m]))
					only = m;
			if (only < 0) {
				fprintf(stderr, "bench-analytics: --mode book|book1|an1|an|an_pub\n");
				return 64;
			}
		}
		else if (argv[i][0] != '-')
			file = argv[i];
		else {
			fprintf(stderr, "usage: bench-analytics [FILE] [--messages N] [--runs R] [--cpu C] [--mode M] [--hash]\n");
			return 64;
		}
	}
	if (runs < 1)
		runs = 1;
	rs_bench_pin(cpu);
	char tmp[64] = "";
	if (!file) {
		snprintf(tmp, sizeof(tmp), "/tmp/rs-bench-analytics-%d.itch", (int)getpid());
		if (rs_bench_gen_file("bench-analytics", tmp, messages, false)) {
			unlink(tmp);
			return 1;
		}
		file = tmp;
	}
	struct rs_itchfile f;
	struct rs_book *b = NULL;
	struct rs_analytics *a = NULL;
	void *bmem = NULL, *lmem = NULL;
	struct rs_bcast bring;
	struct rs_seqtab ltab;
	struct rs_book_cfg bc;
	rs_book_cfg_default(&bc);
	struct rs_analytics_cfg ac;
	rs_analytics_cfg_default(&ac);
	ac.max_instruments = bc.max_instruments;
	if (hash) {
		ac.on_bar = hash_sink;
		only = M_ANPUB;
		runs = 1;
	}
	int ex = 1;
	if (rs_itchfile_open(&f, file, 1) || rs_book_create(&b, &bc) || rs_analytics_create(&a, &ac)) {
		fprintf(stderr, "bench-analytics: %s\n", rs_err_msg());
		goto out;
	}
	/* publication targets of an_pub: 64 Ki bars ring, 16 Ki latest rows */
	/* --hash: room for the bars of the final flush (no overrun) */
	uint32_t bcap = hash ? 1u << 21 : 1u << 16;
	size_t blen = rs_bcast_footprint(bcap, 256), llen = rs_seqtab_footprint(16384, sizeof(struct rs_latest));
	bmem = aligned_alloc(4096, (blen + 4095) & ~(size_t)4095);
	lmem = aligned_alloc(4096, (llen + 4095) & ~(size_t)4095);
	if (!bmem || !lmem) {
		fprintf(stderr, "bench-analytics: out of memory\n");
		goto out;
	}
	memset(bmem, 0, blen);
	memset(lmem, 0, llen);
	if (rs_bcast_init(&bring, bmem, blen, bcap, 256) ||
	    rs_seqtab_init(&ltab, lmem, llen, 16384, sizeof(struct rs_latest))) {
		fprintf(stderr, "bench-analytics: %s\n", rs_err_msg());
		goto out;
	}
	if (hash) {
		if (rs_bcast_reader_attach(&hs.rd, bmem, blen, RS_BCAST_OLDEST)) {
			fprintf(stderr, "bench-analytics: %s\n", rs_err_msg());
			goto out;
		}
		hs.lt = &ltab;
		hs.on = 1;
	}
	double t[M_N][64];
	uint64_t msgs = 0;
	for (int r = 0; r < runs && r < 64; r++)
		for (int m = 0; m < M_N; m++) {
			if (only >= 0 && m != only) {
				t[m][r] = 0;
				continue;
			}
			rs_book_reset(b);
			rs_analytics_reset(a);
			rs_analytics_attach(a, m == M_ANPUB ? &bring : NULL, m == M_ANPUB ? &ltab : NULL);
			rs_book_set_amend(b, m >= M_AN1 ? rs_analytics_amend_bbo : NULL, a);
			for (unsigned i = 0; i < IDXC; i++)
				idxc[i] = -1;
			uint64_t c0 = cpu_ns();
			msgs = run(&f, b, a, m);
			t[m][r] = (double)(cpu_ns() - c0);
			printf("  run %d %-9s: %.3f s cpu, %.1f ns/msg\n", r + 1, mname[m], t[m][r] / 1e9,
			       t[m][r] / (double)msgs);
		}
	const struct rs_analytics_stats *st = rs_analytics_stats(a);
	printf("%s: %" PRIu64 " messages; analytics: %" PRIu64 " trades, %" PRIu64 " bars (%" PRIu64
	       " empty), profile overflow %" PRIu64 ", value-area recomputes %" PRIu64 "\n",
	       file, msgs, st->trades, st->bars, st->bars_empty, st->profile_overflow, st->va_recomputes);
	if (hash) {
		printf("hash: sink %016" PRIx64 " (%" PRIu64 " bars) ring %016" PRIx64 " (%" PRIu64
		       " bars, %" PRIu64 " overruns) latest %016" PRIx64 "\n",
		       hs.sink, hs.nsink, hs.ring, hs.nring, hs.lost, hs.latest);
		ex = 0;
		goto out;
	}
	double ns[M_N];
	for (int m = 0; m < M_N; m++) {
		ns[m] = rs_bench_median(t[m], runs < 64 ? runs : 64) / (double)msgs;
		printf("  %-9s %.1f ns/msg (thread cpu, median of %d)\n", mname[m], ns[m], runs);
	}
	double add = ns[M_AN] - ns[M_BOOK], addp = ns[M_ANPUB] - ns[M_BOOK], add1 = ns[M_AN1] - ns[M_BOOK1];
	printf("  added by analytics (burst_cb + analytics) - burst: %.1f ns/msg = %.1f %% of decode + book "
	       "(goal <= 20 %%)\n", add, 100.0 * add / ns[M_BOOK]);
	printf("  the same with bars ring + latest table: %.1f ns/msg = %.1f %%\n", addp,
	       100.0 * addp / ns[M_BOOK]);
	printf("  per-record path: (book + analytics) - book = %.1f ns/msg = %.1f %% of decode + book\n",
	       add1, 100.0 * add1 / ns[M_BOOK]);
	rs_bench_result("book_ns_per_msg", ns[M_BOOK], "ns");
	rs_bench_result("book1_ns_per_msg", ns[M_BOOK1], "ns");
	rs_bench_result("an1_ns_per_msg", ns[M_AN1], "ns");
	rs_bench_result("analytics_ns_per_msg", ns[M_AN], "ns");
	rs_bench_result("analytics_pub_ns_per_msg", ns[M_ANPUB], "ns");
	rs_bench_result("analytics_added_ns_per_msg", add, "ns");
	rs_bench_result("analytics_added_pct", 100.0 * add / ns[M_BOOK], "%");
	rs_bench_result("analytics_pub_added_ns_per_msg", addp, "ns");
	rs_bench_result("analytics_pub_added_pct", 100.0 * addp / ns[M_BOOK], "%");
	rs_bench_result("analytics1_added_ns_per_msg", add1, "ns");
	rs_bench_print_json("analytics");
	ex = 0;
out:
	rs_analytics_destroy(a);
	rs_book_destroy(b);
	free(bmem);
	free(lmem);
	rs_itchfile_close(&f);
	if (*tmp)
		unlink(tmp);
	return ex;
}
