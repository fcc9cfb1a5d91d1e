/*
 * rs_livebook.c - live MBP-N book of one instrument from shared memory;
 * see rs_livebook.h. JSON output matches `ringside book FILE`:
 *   {"instrument":ID,"symbol":"...","bids":[["185.2300",300,2],...],"asks":[...]}
 * plus sequence and timestamps.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_cli.h"
#include "rs_livebook.h"
#include "rs_view.h"

static volatile sig_atomic_t stop_flag; /* async-signal flag only */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside book SYMBOL [--depth N] [-i|--instance NAME] [--json] [--watch]\n\n"
		   "The live book (MBP-N) of SYMBOL in a running instance, from its depth table.\n"
		   "(`ringside book FILE --format ...` replays a file instead.)\n"
		   "  --depth N             levels per side (default 10; at most the table's depth)\n"
		   "  -i, --instance NAME   instance (default demo)\n"
		   "  --json                one JSON object\n"
		   "  --watch               redraw every second until Ctrl-C\n");
}

static void levels_json(struct rs_sbuf *b, const struct rs_level *l, unsigned n)
{
	char px[40];
	rs_sbuf_printf(b, "[");
	for (unsigned i = 0; i < n; i++)
		rs_sbuf_printf(b, "%s[\"%s\",%u,%u]", i ? "," : "", rs_view_price(px, sizeof(px), l[i].price), l[i].size,
			       l[i].count);
	rs_sbuf_printf(b, "]");
}

static int show(struct rs_client *c, const struct rs_instrument *ins, unsigned depth, int json, int ansi)
{
	size_t len = sizeof(struct rs_depth) + 2u * depth * sizeof(struct rs_level);
	struct rs_depth *d = calloc(1, len);
	struct rs_bbo bbo;
	struct rs_sbuf b = {0};
	char t1[40], p1[40], p2[40];
	int rc;

	if (!d)
		return RS_EX_SOFTWARE;
	if ((rc = rs_client_depth(c, ins->instrument_id, d, len))) {
		fprintf(stderr, "ringside book: %s: %s\n", ins->symbol, rs_errmsg());
		free(d);
		return RS_EX_UNAVAILABLE;
	}
	unsigned nb = d->nbids < d->depth ? d->nbids : d->depth, na = d->nasks < d->depth ? d->nasks : d->depth;
	const struct rs_level *bids = d->levels, *asks = d->levels + d->depth;
	bool has_bbo = rs_client_bbo(c, ins->instrument_id, &bbo) == 0;

	if (json) {
		rs_sbuf_printf(&b, "{\"instrument\":%u,\"symbol\":", ins->instrument_id);
		rs_view_jstr(&b, ins->symbol);
		rs_sbuf_printf(&b, ",\"sequence\":%u,\"ts_event\":%" PRIu64 ",\"ts_recv\":%" PRIu64 ",\"bids\":", d->sequence,
			       d->ts_event, d->ts_recv);
		levels_json(&b, bids, nb);
		rs_sbuf_printf(&b, ",\"asks\":");
		levels_json(&b, asks, na);
		if (has_bbo) {
			rs_sbuf_printf(&b, ",\"last\":");
			if (bbo.last_price == RS_UNDEF_PRICE)
				rs_sbuf_printf(&b, "null");
			else
				rs_sbuf_printf(&b, "\"%s\"", rs_view_price(p1, sizeof(p1), bbo.last_price));
			rs_sbuf_printf(&b, ",\"volume\":%" PRIu64, bbo.volume);
		}
		rs_sbuf_printf(&b, "}\n");
	} else {
		if (ansi)
			rs_sbuf_printf(&b, "\033[H\033[2J");
		rs_sbuf_printf(&b, "%s (instrument %u)  seq %u  %s", ins->symbol, ins->instrument_id, d->sequence,
			       rs_view_time(t1, sizeof(t1), d->ts_event));
		if (has_bbo && bbo.last_price != RS_UNDEF_PRICE)
			rs_sbuf_printf(&b, "  last %u@%s  volume %" PRIu64, bbo.last_size,
				       rs_view_price(p1, sizeof(p1), bbo.last_price), bbo.volume);
		if ((has_bbo && (bbo.flags & RS_INSTF_STALE)) || (ins->flags & RS_INSTF_STALE))
			rs_sbuf_printf(&b, "  STALE");
		rs_sbuf_printf(&b, "\n%7s %9s %14s | %-14s %9s %7s\n", "ORDERS", "SIZE", "BID", "ASK", "SIZE", "ORDERS");
		unsigned rows = nb > na ? nb : na;
		for (unsigned i = 0; i < rows; i++) {
			if (i < nb)
				rs_sbuf_printf(&b, "%7u %9u %14s | ", bids[i].count, bids[i].size,
					       rs_view_price(p1, sizeof(p1), bids[i].price));
			else
				rs_sbuf_printf(&b, "%7s %9s %14s | ", "", "", "");
			if (i < na)
				rs_sbuf_printf(&b, "%-14s %9u %7u\n", rs_view_price(p2, sizeof(p2), asks[i].price), asks[i].size,
					       asks[i].count);
			else
				rs_sbuf_printf(&b, "\n");
		}
		if (!rows)
			rs_sbuf_printf(&b, "(empty book)\n");
	}
	fwrite(b.p, 1, b.len, stdout);
	fflush(stdout);
	rs_sbuf_free(&b);
	free(d);
	return RS_EX_OK;
}

int rs_livebook_main(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"depth", required_argument, 0, 'd'},
					   {"watch", no_argument, 0, 'w'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo";
	int opt, json = 0, watch = 0, rc;
	uint64_t depth = 10;
	char *end;
	struct rs_client *c;
	struct rs_instrument ins;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jd:wh", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'j': json = 1; break;
		case 'd':
			/* not rs_cli_parse_count: that lives in the CLI executable,
			 * and this file is library code */
			depth = strtoull(optarg, &end, 10);
			if (*end || !*optarg || !depth || depth > 10000) {
				fprintf(stderr, "ringside book: bad --depth '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'w': watch = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	if ((rc = rs_view_open(&c, instance, "book")))
		return rc;
	if (rs_client_lookup(c, argv[optind], &ins)) {
		fprintf(stderr, "ringside book: %s: %s\n", argv[optind], rs_errmsg());
		rs_client_close(c);
		return RS_EX_DATAERR;
	}
	rc = show(c, &ins, (unsigned)depth, json, 0);
	if (watch && !rc) {
		struct timespec one = {1, 0};
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		while (!stop_flag && !rc) {
			nanosleep(&one, NULL);
			if (!stop_flag)
				rc = show(c, &ins, (unsigned)depth, json, !json);
		}
	}
	rs_client_close(c);
	return rc;
}
