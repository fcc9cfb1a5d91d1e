/*
 * rs_cmd_tail.c - `ringside tail [SYMBOL] [-n N] [--follow]`: the last N
 * normalized events of the events broadcast ring (all instruments or one
 * symbol), decoded, then optionally new ones as they arrive. A reader of
 * the broadcast ring never slows the producer; when it falls behind it is
 * told how many events it lost and continues.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_cli.h"
#include "rs_view.h"

static volatile sig_atomic_t stop_flag; /* async-signal flag only */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside tail [SYMBOL] [-n N] [--follow] [-i|--instance NAME] [--json]\n\n"
		   "The last N (default 20) normalized events still in the events ring, oldest\n"
		   "first: time (UTC), symbol, action (A add, C cancel, M modify, R clear, T trade,\n"
		   "F fill, N none), side, price, size, order id, sequence and flags.\n"
		   "  SYMBOL                only this instrument\n"
		   "  -n, --lines N         events to show (default 20; 0 with --follow: only new)\n"
		   "  -f, --follow          keep printing new events until Ctrl-C\n"
		   "      --duration S      with --follow: stop after S seconds\n"
		   "  -i, --instance NAME   instance (default demo)\n"
		   "      --json            one JSON object per event (JSON lines)\n");
}

#define SYMCACHE 4096

struct tail {
	struct rs_client *c;
	uint32_t want_id;      /* UINT32_MAX = all */
	int json;
	uint32_t n;            /* ring of the last n matches */
	struct rs_event *last;
	uint64_t seen;
	int follow_print;      /* print directly instead of keeping */
	struct {
		uint32_t id;
		char sym[RS_SYMBOL_LEN + 1];
	} cache[SYMCACHE];
};

static const char *symbol_of(struct tail *t, uint32_t id)
{
	unsigned h = id % SYMCACHE;
	if (t->cache[h].sym[0] && t->cache[h].id == id)
		return t->cache[h].sym;
	struct rs_instrument ins;
	if (rs_client_instrument(t->c, id, &ins))
		return "?";
	t->cache[h].id = id;
	snprintf(t->cache[h].sym, sizeof(t->cache[h].sym), "%.*s", RS_SYMBOL_LEN, ins.symbol);
	return t->cache[h].sym;
}

static void flags_str(char *buf, size_t len, const struct rs_event *e)
{
	static const struct {
		unsigned bit;
		const char *n;
	} f[] = {{RS_F_LAST, "LAST"}, {RS_F_TOB, "TOB"}, {RS_F_SNAPSHOT, "SNAP"}, {RS_F_MBP, "MBP"},
		 {RS_F_BAD_TS_RECV, "BADTS"}, {RS_F_MAYBE_BAD_BOOK, "BADBOOK"}},
	  rf[] = {{RS_EVF_BBO_CHANGED, "BBO"}, {RS_EVF_STALE, "STALE"}, {RS_EVF_RECOVERED, "RECOVERED"},
		  {RS_EVF_REJECTED, "REJECTED"}, {RS_EVF_DELETE, "DELETE"}, {RS_EVF_REPLACE, "REPLACE"}};
	size_t k = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (e->mbo.flags & f[i].bit)
			k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? "|" : "", f[i].n);
	for (size_t i = 0; i < sizeof(rf) / sizeof(rf[0]) && k < len; i++)
		if (e->rs_flags & rf[i].bit)
			k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? "|" : "", rf[i].n);
	if (!k)
		snprintf(buf, len, "-");
}

static void print_event(struct tail *t, const struct rs_event *e)
{
	char ts[40], px[40], fl[96];
	const char *sym = symbol_of(t, e->mbo.hd.instrument_id);
	char act = e->mbo.action >= 0x20 && e->mbo.action < 0x7f ? e->mbo.action : '?';
	char side = e->mbo.side >= 0x20 && e->mbo.side < 0x7f ? e->mbo.side : '?';

	rs_view_price(px, sizeof(px), e->mbo.price);
	flags_str(fl, sizeof(fl), e);
	if (t->json) {
		struct rs_sbuf b = {0};
		rs_sbuf_printf(&b, "{\"ts_event\":%" PRIu64 ",\"ts_recv\":%" PRIu64 ",\"instrument_id\":%u,\"symbol\":",
			       e->mbo.hd.ts_event, e->mbo.ts_recv, e->mbo.hd.instrument_id);
		rs_view_jstr(&b, sym);
		rs_sbuf_printf(&b, ",\"action\":\"%c\",\"side\":\"%c\",\"price\":", act, side);
		if (e->mbo.price == RS_UNDEF_PRICE)
			rs_sbuf_printf(&b, "null");
		else
			rs_sbuf_printf(&b, "\"%s\"", px);
		rs_sbuf_printf(&b,
			       ",\"size\":%u,\"order_id\":%" PRIu64 ",\"sequence\":%u,\"flags\":%u,\"rs_flags\":%u,"
			       "\"flag_names\":\"%s\",\"feed\":%u,\"line\":%u}\n",
			       e->mbo.size, e->mbo.order_id, e->mbo.sequence, e->mbo.flags, e->rs_flags, fl, e->feed_id,
			       e->line_id);
		fwrite(b.p, 1, b.len, stdout);
		rs_sbuf_free(&b);
	} else {
		printf("%s  %-8s %c %c %14s %8u  id=%-12" PRIu64 " seq=%-10u %s\n", rs_view_time(ts, sizeof(ts), e->mbo.hd.ts_event),
		       sym, act, side, px, e->mbo.size, e->mbo.order_id, e->mbo.sequence, fl);
	}
}

static void on_record(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	struct tail *t = arg;
	if (type != RS_REC_EVENT || len < sizeof(struct rs_event))
		return;
	const struct rs_event *e = rec;
	if (t->want_id != UINT32_MAX && e->mbo.hd.instrument_id != t->want_id)
		return;
	if (t->follow_print) {
		print_event(t, e);
		return;
	}
	if (t->n)
		t->last[t->seen % t->n] = *e;
	t->seen++;
}

static int cmd_tail(int argc, char **argv)
{
	enum { O_DURATION = 1000 };
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"lines", required_argument, 0, 'n'},
					   {"follow", no_argument, 0, 'f'},
					   {"duration", required_argument, 0, O_DURATION},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo", *symbol = NULL;
	int opt, follow = 0, rc;
	double duration = 0;
	uint64_t n = 20;
	struct tail *t = calloc(1, sizeof(*t));
	struct rs_sub *sub;

	if (!t)
		return RS_EX_SOFTWARE;
	t->json = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jn:fh", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'j': t->json = 1; break;
		case 'n':
			if (rs_cli_parse_count(optarg, 10000000, &n)) {
				fprintf(stderr, "ringside tail: bad -n '%s'\n", optarg);
				free(t);
				return RS_EX_USAGE;
			}
			break;
		case 'f': follow = 1; break;
		case O_DURATION: duration = atof(optarg); break;
		case 'h': usage(stdout); free(t); return RS_EX_OK;
		default: usage(stderr); free(t); return RS_EX_USAGE;
		}
	}
	if (optind < argc)
		symbol = argv[optind++];
	if (optind != argc) {
		usage(stderr);
		free(t);
		return RS_EX_USAGE;
	}
	if ((rc = rs_view_open(&t->c, instance, "tail"))) {
		free(t);
		return rc;
	}
	t->want_id = UINT32_MAX;
	if (symbol) {
		struct rs_instrument ins;
		if (rs_client_lookup(t->c, symbol, &ins)) {
			fprintf(stderr, "ringside tail: %s: %s\n", symbol, rs_errmsg());
			rs_client_close(t->c);
			free(t);
			return RS_EX_DATAERR;
		}
		t->want_id = ins.instrument_id;
	}
	if ((rc = rs_client_sub_open(t->c, RS_SEGNAME_EVENTS, RS_START_OLDEST, &sub))) {
		fprintf(stderr, "ringside tail: %s\n", rs_errmsg());
		rs_client_close(t->c);
		free(t);
		return RS_EX_UNAVAILABLE;
	}
	t->n = (uint32_t)n;
	t->last = t->n ? calloc(t->n, sizeof(*t->last)) : NULL;
	if (t->n && !t->last) {
		rs_client_close(t->c);
		free(t);
		return RS_EX_SOFTWARE;
	}
	/* drain what the ring holds, keeping the last n matches */
	for (int guard = 0; guard < 1024; guard++) {
		rc = rs_client_sub_poll(sub, on_record, t, 65536);
		if (rc == -EOVERFLOW)
			continue; /* the writer lapped us while draining: keep the newest */
		if (rc < 65536)
			break; /* caught up (a live writer never lets "nothing new" happen) */
	}
	uint64_t first = t->seen > t->n ? t->seen - t->n : 0;
	for (uint64_t i = first; i < t->seen; i++)
		print_event(t, &t->last[i % t->n]);
	fflush(stdout);
	if (follow) {
		struct timespec ts = {0, 10000000};
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGPIPE, on_signal);
		t->follow_print = 1;
		while (!stop_flag) {
			rc = rs_client_sub_poll(sub, on_record, t, 4096);
			if (rc == -EOVERFLOW)
				fprintf(stderr, "ringside tail: %s\n", rs_errmsg());
			if (rc == 0) {
				fflush(stdout);
				nanosleep(&ts, NULL);
			}
			if (duration > 0) {
				struct timespec now;
				clock_gettime(CLOCK_MONOTONIC, &now);
				if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >= duration)
					break;
			}
		}
		fflush(stdout);
	}
	free(t->last);
	rs_client_close(t->c);
	free(t);
	return RS_EX_OK;
}

RS_CLI_COMMAND(tail, cmd_tail, "tail [SYMBOL] [-n N] [--follow] [-i NAME] [--json]",
	       "decoded normalized events from the events ring")
