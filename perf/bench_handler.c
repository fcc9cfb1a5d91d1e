/*
 * bench_handler.c - the handler stage as ringsided runs it, per packet
 * (perf/run.sh handler).
 *
 *   perf/run.sh handler [FILE] [--messages N] [--packets P] [--batch M]
 *                       [--depth D] [--runs R] [--cpu C]
 *
 * The ITCH file (default: a generated 2 M-message session in /tmp, deleted
 * afterwards) is cut into packets of M messages (default 8, what `ringside
 * replay` sends); each packet is decoded and handed to rs_handler_process()
 * as the rx stage does in inline mode: [MARK(rx tsc) ev ev ...], so one
 * process call = one packet = one publication. Publication targets live in
 * process memory with the daemon's shapes: the event broadcast ring (1 Mi
 * slots of 128 B), the BBO table and the MBP-D depth table (default D 10,
 * as perf/e2e.sh configures; the daemon's default is 50). Four passes per
 * run, each over the first P packets (default all) with a fresh handler:
 *   book      no publication targets (book + handler bookkeeping)
 *   +events   + the event broadcast ring
 *   +bbo      + the BBO table
 *   +depth    + the MBP-D depth table (everything ringsided writes)
 * Reported per pass: ns per packet and per message (thread CPU time,
 * median of R runs), and for the full pass the distribution of one
 * packet's handler time (the rx -> publication histogram the handler
 * keeps: MARK tsc taken right before the call), p50/p99/p99.9/max: the
 * floor under ringsided's rx -> shm latency when packets arrive one at a
 * time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_gen.h"
#include "dataplane/rs_handler.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "dataplane/rs_lat.h"

#include "rs_bench.h"
#include "rs_bench_gen.h"
#include "shm/rs_bcast.h"
#include "shm/rs_err.h"
#include "shm/rs_seqtab.h"

#define MAXB 64

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum { P_BOOK, P_EVENTS, P_BBO, P_DEPTH, P_N };
static const char *pname[P_N] = {"book", "+events", "+bbo", "+depth"};

struct targets {
	struct rs_bcast ev;
	struct rs_seqtab bbo, depth;
	void *mem[3];
};

static void *zalloc(size_t len)
{
	void *p = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
	if (p)
		memset(p, 0, len);
	return p;
}

static int targets_init(struct targets *t, uint32_t ninst, uint16_t depth)
{
	uint32_t dpay = (uint32_t)(sizeof(struct rs_depth) + 2u * depth * sizeof(struct rs_level));
	size_t fe = rs_bcast_footprint(1u << 20, 128), fb = rs_seqtab_footprint(ninst, sizeof(struct rs_bbo)),
	       fd = rs_seqtab_footprint(ninst, dpay);
	if (!(t->mem[0] = zalloc(fe)) || !(t->mem[1] = zalloc(fb)) || !(t->mem[2] = zalloc(fd)))
		return RS_ERR_SET(-ENOMEM, "out of memory");
	if (rs_bcast_init(&t->ev, t->mem[0], fe, 1u << 20, 128) ||
	    rs_seqtab_init(&t->bbo, t->mem[1], fb, ninst, sizeof(struct rs_bbo)) ||
	    rs_seqtab_init(&t->depth, t->mem[2], fd, ninst, dpay))
		return -1;
	return 0;
}

/* One pass: returns messages; *pk = packets. */
static uint64_t run(struct rs_itchfile *f, struct rs_handler *h, unsigned batch, uint64_t max_pk,
		    uint64_t *pk)
{
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 0);
	struct rs_event ev[1 + MAXB * RS_ITCH_MAX_EVENTS];
	const uint8_t *msg;
	size_t len;
	uint64_t seq = 0, np = 0;
	rs_itchfile_rewind(f);
	for (;;) {
		unsigned n = 1, m = 0;
		while (m < batch && rs_itchfile_next(f, &msg, &len) > 0) {
			n += rs_itch_decode_fast(&d, msg, len, ++seq, 0, ev + n);
			m++;
		}
		if (!m)
			break;
		rs_handler_ctl_rec(&ev[0], RS_HREC_MARK, 0, rs_tsc());
		rs_handler_process(h, ev, n);
		if (++np == max_pk)
			break;
	}
	*pk = np;
	return seq;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	uint64_t messages = 2000000ull, max_pk = 0;
	unsigned batch = 8;
	int runs = 3, cpu = 1, depth = 10;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--messages") && i + 1 < argc)
			messages = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			max_pk = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--depth") && i + 1 < argc)
			depth = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (argv[i][0] != '-')
			file = argv[i];
		else {
			fprintf(stderr, "usage: bench-handler [FILE] [--messages N] [--packets P] [--batch M] "
					"[--depth D] [--runs R] [--cpu C]\n");
			return 64;
		}
	}
	if (batch < 1 || batch > MAXB || depth < 1 || depth > 1000) {
		fprintf(stderr, "bench-handler: --batch 1..%d, --depth 1..1000\n", MAXB);
		return 64;
	}
	if (runs < 1 || runs > 64)
		runs = runs < 1 ? 1 : 64;
	rs_bench_pin(cpu);
	char tmp[64] = "";
	if (!file) {
		snprintf(tmp, sizeof(tmp), "/tmp/rs-bench-handler-%d.itch", (int)getpid());
		if (rs_bench_gen_file("bench-handler", tmp, messages, false)) {
			unlink(tmp);
			return 1;
		}
		file = tmp;
	}
	struct rs_itchfile f;
	struct targets tg = {0};
	struct rs_lat_clock clk;
	static struct rs_latency_hist lat;
	int ex = 1;
	uint32_t ninst = 16384;
	if (rs_itchfile_open(&f, file, 1) || targets_init(&tg, ninst, (uint16_t)depth)) {
		fprintf(stderr, "bench-handler: %s\n", rs_err_msg());
		goto out;
	}
	rs_lat_calibrate(&clk, 20000000);
	double t[P_N][64];
	uint64_t msgs = 0, pk = 0;
	for (int r = 0; r < runs; r++)
		for (int p = 0; p < P_N; p++) {
			struct rs_handler_cfg hc = {0};
			rs_book_cfg_default(&hc.book);
			hc.book.max_instruments = ninst;
			hc.book.depth = (uint16_t)depth;
			hc.events = p >= P_EVENTS ? &tg.ev : NULL;
			hc.bbo = p >= P_BBO ? &tg.bbo : NULL;
			hc.depth = p >= P_DEPTH ? &tg.depth : NULL;
			hc.clock = &clk;
			hc.lat = p == P_DEPTH ? &lat : NULL;
			hc.event_slots = 1u << 20;
			rs_lat_hist_init(&lat, "handler");
			struct rs_handler *h;
			if (rs_handler_create(&h, &hc)) {
				fprintf(stderr, "bench-handler: %s\n", rs_err_msg());
				goto out;
			}
			uint64_t c0 = cpu_ns();
			msgs = run(&f, h, batch, max_pk, &pk);
			t[p][r] = (double)(cpu_ns() - c0);
			rs_handler_destroy(h);
			printf("  run %d %-8s: %.3f s cpu, %.0f ns/packet, %.1f ns/msg\n", r + 1, pname[p],
			       t[p][r] / 1e9, t[p][r] / (double)pk, t[p][r] / (double)msgs);
		}
	printf("%s: %" PRIu64 " messages in %" PRIu64 " packets of %u, MBP-%d\n", file, msgs, pk, batch, depth);
	double ns[P_N];
	for (int p = 0; p < P_N; p++) {
		ns[p] = rs_bench_median(t[p], runs);
		printf("  %-8s %6.0f ns/packet %6.1f ns/msg (thread cpu, median of %d)\n", pname[p],
		       ns[p] / (double)pk, ns[p] / (double)msgs, runs);
	}
	uint64_t q50 = rs_lat_percentile(&lat, 0.5), q99 = rs_lat_percentile(&lat, 0.99),
		 q999 = rs_lat_percentile(&lat, 0.999);
	printf("  rx -> publication per event, one packet per call (last run, everything published): p50 %" PRIu64 " p99 %" PRIu64
	       " p99.9 %" PRIu64 " max %" PRIu64 " ns (histogram bucket upper bounds)\n",
	       q50, q99, q999, lat.max_ns);
	static const char *key[P_N] = {"book", "events", "bbo", "depth"};
	for (int p = 0; p < P_N; p++) {
		char m[64];
		snprintf(m, sizeof(m), "%s_ns_per_packet", key[p]);
		rs_bench_result(strdup(m), ns[p] / (double)pk, "ns");
	}
	rs_bench_result("all_ns_per_msg", ns[P_DEPTH] / (double)msgs, "ns");
	rs_bench_result("packet_p50", (double)q50, "ns");
	rs_bench_result("packet_p99", (double)q99, "ns");
	rs_bench_result("packet_p999", (double)q999, "ns");
	rs_bench_result("packet_max", (double)lat.max_ns, "ns");
	rs_bench_print_json("handler");
	ex = 0;
out:
	for (int i = 0; i < 3; i++)
		free(tg.mem[i]);
	rs_itchfile_close(&f);
	if (*tmp)
		unlink(tmp);
	return ex;
}
