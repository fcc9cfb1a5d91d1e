/*
 * bench_itch_decode.c - decode-only ITCH 5.0 throughput, one core.
 *
 *   perf/run.sh itch-decode [FILE] [--msgs N] [--reps R] [--only burst|inline|call] [--cpu C]
 *
 * FILE is a NASDAQ day file (2-byte length prefixed messages, e.g. from
 * `ringside gen`); without it a synthetic day file of N messages (default
 * 50,000,000) is written to /tmp and deleted at the end. Its mix follows a
 * NASDAQ day: adds 45 % (5 % with MPID), deletes 42 %, replaces 7 %,
 * executions 3 % (1/6 with price), cancels 1.5 %, trades 1 %, plus a
 * directory and system events; executions/cancels/deletes/replaces only
 * refer to live orders.
 *
 * The file is mmap'ed with MAP_POPULATE and read once untimed (page cache,
 * TLB warm), then decoded R times (default 5) each way into a small reused
 * event buffer (a checksum over the events keeps the work observable and
 * must agree between the ways):
 *   burst   rs_itch_decode_file(): framing + decoding in one inline loop,
 *           the decoder context in registers (the headline msgs_per_sec)
 *   inline  rs_itchfile_next_unchecked() + rs_itch_decode_fast() per message
 *   call    the same with the out-of-line rs_itch_decode()
 * Reports the median of the R runs (msg/s and ns/msg; wall clock and, less
 * sensitive to other processes, on-CPU time). The thread is pinned to CPU
 * C (default 1). --only runs one way (e.g. for instruction counts under
 * callgrind: the difference between two --reps values is exactly that many
 * decode passes).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "rs_bench.h"

/* ------------------------------------------------ synthetic day file */

struct wbuf {
	FILE *f;
	uint8_t buf[1 << 20];
	size_t n;
};

static void wmsg(struct wbuf *w, const uint8_t *m, size_t len)
{
	if (w->n + len + 2 > sizeof(w->buf)) {
		fwrite(w->buf, 1, w->n, w->f);
		w->n = 0;
	}
	w->buf[w->n] = (uint8_t)(len >> 8);
	w->buf[w->n + 1] = (uint8_t)len;
	memcpy(w->buf + w->n + 2, m, len);
	w->n += 2 + len;
}

static void be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static size_t hdr(uint8_t *m, char t, uint16_t loc, uint64_t ts)
{
	m[0] = (uint8_t)t;
	be(m + 1, loc, 2);
	be(m + 3, 0, 2);
	be(m + 5, ts, 6);
	return 11;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define NSYM 4096

static int make_file(const char *path, uint64_t nmsgs)
{
	struct wbuf *w = calloc(1, sizeof(*w));
	w->f = fopen(path, "wb");
	if (!w->f) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		free(w);
		return -1;
	}
	/* live orders: id, locate, price, shares, side */
	size_t cap = 1 << 20, nlive = 0;
	uint64_t *oid = malloc(cap * sizeof(*oid));
	uint32_t *oinfo = malloc(cap * sizeof(*oinfo)); /* locate */
	uint64_t next_id = 1, match = 1, ts = 4ull * 3600 * 1000000000ull;
	uint8_t m[64];
	uint64_t written = 0;
	hdr(m, 'S', 0, ts);
	m[11] = 'O';
	wmsg(w, m, 12), written++;
	for (uint32_t s = 1; s <= NSYM && written < nmsgs; s++) {
		memset(m, ' ', sizeof(m));
		hdr(m, 'R', (uint16_t)s, ts);
		char sym[9];
		snprintf(sym, sizeof(sym), "S%05u", s);
		memcpy(m + 11, sym, strlen(sym));
		m[19] = 'Q';
		m[20] = 'N';
		be(m + 21, 100, 4);
		m[25] = 'N';
		m[26] = 'C';
		m[29] = 'P';
		m[30] = 'N';
		m[32] = '1';
		m[33] = 'N';
		be(m + 34, 0, 4);
		m[38] = 'N';
		wmsg(w, m, 39), written++;
	}
	while (written < nmsgs) {
		ts += 1 + rnd() % 500;
		uint64_t r = rnd() % 1000;
		if (nlive < 1000 || r < 450 || nlive + 1 >= cap) {
			if (nlive + 1 >= cap) { /* pool full: delete instead */
				r = 500;
				goto del;
			}
			uint16_t loc = (uint16_t)(1 + (rnd() % NSYM));
			int mpid = rnd() % 20 == 0;
			hdr(m, mpid ? 'F' : 'A', loc, ts);
			be(m + 11, next_id, 8);
			m[19] = rnd() & 1 ? 'B' : 'S';
			be(m + 20, 100 * (1 + rnd() % 10), 4);
			memcpy(m + 24, "SYMBOL  ", 8);
			be(m + 32, 100000 + rnd() % 50000, 4);
			if (mpid)
				memcpy(m + 36, "MPID", 4);
			wmsg(w, m, mpid ? 40 : 36), written++;
			oid[nlive] = next_id++;
			oinfo[nlive++] = loc;
			continue;
		}
	del:;
		size_t k = rnd() % nlive;
		uint16_t loc = (uint16_t)oinfo[k];
		if (r < 870) { /* delete */
			hdr(m, 'D', loc, ts);
			be(m + 11, oid[k], 8);
			wmsg(w, m, 19), written++;
			oid[k] = oid[--nlive];
			oinfo[k] = oinfo[nlive];
		} else if (r < 940) { /* replace */
			hdr(m, 'U', loc, ts);
			be(m + 11, oid[k], 8);
			be(m + 19, next_id, 8);
			be(m + 27, 100 * (1 + rnd() % 10), 4);
			be(m + 31, 100000 + rnd() % 50000, 4);
			wmsg(w, m, 35), written++;
			oid[k] = next_id++;
		} else if (r < 970) { /* execution (1/6 with price) */
			int wp = rnd() % 6 == 0;
			hdr(m, wp ? 'C' : 'E', loc, ts);
			be(m + 11, oid[k], 8);
			be(m + 19, 100, 4);
			be(m + 23, match++, 8);
			if (wp) {
				m[31] = 'Y';
				be(m + 32, 100000 + rnd() % 50000, 4);
			}
			wmsg(w, m, wp ? 36 : 31), written++;
		} else if (r < 985) { /* partial cancel */
			hdr(m, 'X', loc, ts);
			be(m + 11, oid[k], 8);
			be(m + 19, 100, 4);
			wmsg(w, m, 23), written++;
		} else { /* non-displayed trade */
			hdr(m, 'P', loc, ts);
			be(m + 11, 0, 8);
			m[19] = 'B';
			be(m + 20, 100, 4);
			memcpy(m + 24, "SYMBOL  ", 8);
			be(m + 32, 100000 + rnd() % 50000, 4);
			be(m + 36, match++, 8);
			wmsg(w, m, 44), written++;
		}
	}
	fwrite(w->buf, 1, w->n, w->f);
	int rc = fclose(w->f) ? -1 : 0;
	free(oid);
	free(oinfo);
	free(w);
	return rc;
}

/* ------------------------------------------------------------ decode */

#define EVBUF 64 /* events per batch before the buffer is reused */

struct result {
	uint64_t msgs;
	uint64_t events;
	uint64_t sum;
	uint64_t ns;
	uint64_t cpu_ns; /* thread CPU time: excludes time descheduled */
};

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum mode { M_BURST, M_INLINE, M_CALL, M__COUNT };
static const char *const mode_name[M__COUNT] = {"burst", "inline", "call"};

/* One decode pass each way, in separate (not inlined) functions so that the
 * register allocation of one loop does not depend on the others. */
static __attribute__((noinline)) uint64_t loop_burst(struct rs_itch_dec *d, struct rs_itchfile *f,
						     struct rs_event *ev)
{
	/* rs_itch_decode_file() fills ev[] while >= 2 slots are left of
	 * EVBUF + 1, i.e. stops at 64 or 65 records, exactly when the
	 * per-message loops below reuse the buffer: same checksum. */
	uint64_t sum = 0;
	unsigned fill;
	int rc;
	do {
		fill = rs_itch_decode_file(d, f, 0, ev, EVBUF + 1, &rc);
		if (fill >= EVBUF) {
			sum += ev[0].mbo.order_id ^ (uint64_t)ev[fill - 1].mbo.price ^ ev[fill / 2].mbo.size;
			fill = 0;
		}
	} while (rc > 0);
	return sum + fill;
}

/* The bulk of the file through the unchecked framing (one bounds check per
 * message, see rs_itchfile.h), the last 64 KiB through the checked one: the
 * same messages in the same order. One call site per loop so that the fast
 * path is inlined once. */
#define PER_MESSAGE_LOOP(DECODE)                                                                  \
	uint64_t sum = 0;                                                                            \
	unsigned fill = 0;                                                                           \
	const uint8_t *m;                                                                            \
	size_t len;                                                                                  \
	struct rs_itchfile f = *fp; /* a local copy stays in registers */                            \
	size_t end = rs_itchfile_unchecked_end(&f);                                                  \
	for (;;) {                                                                                   \
		if (__builtin_expect(f.off < end, 1))                                                 \
			rs_itchfile_next_unchecked(&f, &m, &len);                                     \
		else if (rs_itchfile_next(&f, &m, &len) <= 0)                                         \
			break;                                                                        \
		fill += DECODE(d, m, len, f.nmsgs, 0, ev + fill);                                     \
		if (fill >= EVBUF) {                                                                  \
			sum += ev[0].mbo.order_id ^ (uint64_t)ev[fill - 1].mbo.price ^ ev[fill / 2].mbo.size; \
			fill = 0;                                                                     \
		}                                                                                     \
	}                                                                                            \
	*fp = f;                                                                                     \
	return sum + fill;

static __attribute__((noinline)) uint64_t loop_inline(struct rs_itch_dec *d, struct rs_itchfile *fp,
						      struct rs_event *ev)
{
	PER_MESSAGE_LOOP(rs_itch_decode_fast)
}

static __attribute__((noinline)) uint64_t loop_call(struct rs_itch_dec *d, struct rs_itchfile *fp,
						    struct rs_event *ev)
{
	PER_MESSAGE_LOOP(rs_itch_decode)
}

static struct result run(const struct rs_itchfile *src, enum mode mode)
{
	static struct rs_event ev[EVBUF + RS_ITCH_MAX_EVENTS];
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 1);
	rs_itch_dec_set_date(&d, 2024, 1, 2);
	struct rs_itchfile f = *src;
	rs_itchfile_rewind(&f);
	uint64_t c0 = cpu_now_ns();
	uint64_t t0 = rs_bench_now_ns();
	uint64_t sum = mode == M_BURST ? loop_burst(&d, &f, ev)
		       : mode == M_INLINE ? loop_inline(&d, &f, ev)
					  : loop_call(&d, &f, ev);
	uint64_t t1 = rs_bench_now_ns();
	uint64_t c1 = cpu_now_ns();
	struct result r = {f.nmsgs, d.c.events, sum, t1 - t0, c1 - c0};
	uint64_t rej = d.c.rejects[0] + d.c.rejects[1] + d.c.rejects[2];
	if (rej)
		fprintf(stderr, "bench: %" PRIu64 " messages rejected\n", rej);
	return r;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	uint64_t nmsgs = 50000000;
	int reps = 5;
	int pin_cpu = 1;
	int on[M__COUNT] = {1, 1, 1};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--msgs") && i + 1 < argc)
			nmsgs = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			pin_cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			i++;
			for (int k = 0; k < M__COUNT; k++)
				on[k] = !strcmp(argv[i], mode_name[k]);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: bench-itch-decode [FILE] [--msgs N] [--reps R] "
			       "[--only burst|inline|call] [--cpu C]\n");
			return 0;
		} else
			file = argv[i];
	}
	if (reps < 1 || reps > 50)
		reps = 5;
	char tmp[64] = "";
	if (!file) {
		snprintf(tmp, sizeof(tmp), "/tmp/rs-bench-itch-%d.itch", (int)getpid());
		uint64_t t0 = rs_bench_now_ns();
		if (make_file(tmp, nmsgs) < 0) {
			unlink(tmp);
			return 1;
		}
		printf("synthetic day file %s: %" PRIu64 " messages in %.1f s\n", tmp, nmsgs,
		       (double)(rs_bench_now_ns() - t0) / 1e9);
		file = tmp;
	}
	rs_bench_pin(pin_cpu);
	struct rs_itchfile f;
	if (rs_itchfile_open(&f, file, 1) < 0) {
		fprintf(stderr, "bench: cannot open %s\n", file);
		if (*tmp)
			unlink(tmp);
		return 1;
	}
	/* untimed pass: page cache + TLB warm, count messages */
	struct result warm = run(&f, M_BURST);
	printf("file %s: %zu bytes, %" PRIu64 " messages, %" PRIu64 " events\n", file, f.size, warm.msgs,
	       warm.events);
	double wall[M__COUNT][50] = {{0}}, cpu[M__COUNT][50] = {{0}}, med[M__COUNT] = {0},
	       medcpu[M__COUNT] = {0};
	int bad = 0;
	for (int k = 0; k < M__COUNT; k++) {
		for (int i = 0; on[k] && i < reps; i++) {
			struct result r = run(&f, (enum mode)k);
			wall[k][i] = (double)r.msgs / ((double)r.ns / 1e9);
			cpu[k][i] = (double)r.msgs / ((double)r.cpu_ns / 1e9);
			/* all three ways must decode the same: same events, same checksum */
			bad |= r.msgs != warm.msgs || r.events != warm.events || r.sum != warm.sum;
			printf("  rep %d %-6s: %.1f M msg/s, %.2f ns/msg (wall); %.1f M msg/s on-CPU\n", i,
			       mode_name[k], wall[k][i] / 1e6, (double)r.ns / (double)r.msgs,
			       cpu[k][i] / 1e6);
		}
		if (on[k]) {
			med[k] = rs_bench_median(wall[k], reps);
			medcpu[k] = rs_bench_median(cpu[k], reps);
		}
	}
	if (bad)
		fprintf(stderr, "bench: decode results differ between burst/inline/call!\n");
	printf("itch-decode: median %.1f M msg/s per core (rs_itch_decode_file bursts; %.1f M/s per "
	       "CPU-second), %.1f M msg/s (inline rs_itch_decode_fast per message), %.1f M msg/s "
	       "(rs_itch_decode call); goal 150 M msg/s; checksum %016" PRIx64 "\n",
	       med[M_BURST] / 1e6, medcpu[M_BURST] / 1e6, med[M_INLINE] / 1e6, med[M_CALL] / 1e6,
	       warm.sum);
	rs_itchfile_close(&f);
	if (*tmp)
		unlink(tmp);
	rs_bench_result("msgs_per_sec", med[M_BURST], "msg/s");
	rs_bench_result("ns_per_msg", med[M_BURST] > 0 ? 1e9 / med[M_BURST] : 0, "ns");
	rs_bench_result("msgs_per_sec_inline", med[M_INLINE], "msg/s");
	rs_bench_result("msgs_per_sec_call", med[M_CALL], "msg/s");
	rs_bench_result("msgs_per_cpu_sec", medcpu[M_BURST], "msg/s");
	rs_bench_result("messages", (double)warm.msgs, "msg");
	rs_bench_print_json("itch-decode");
	return bad ? 1 : 0;
}
