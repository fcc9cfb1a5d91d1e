/*
 * rs_cmd_feeds.c - `ringside feeds`: per feed and per line counters
 * (packets, messages, gaps, recovered, duplicates, drops, age of the last
 * packet, state) from the rs_metrics.h counter contract, read from shared
 * memory.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rs_cli.h"
#include "rs_view.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside feeds [-i|--instance NAME] [--json]\n\n"
		   "Per feed: state, messages delivered, gaps (and messages missing in them),\n"
		   "recovered and unrecovered messages, retransmission requests, open gaps, next\n"
		   "sequence number; per line: packets, bytes, messages, duplicates dropped by A/B\n"
		   "arbitration, driver drops and the age of the last packet.\n"
		   "  -i, --instance NAME   instance (default demo)\n"
		   "      --json            one JSON object\n");
}

static const char *const feed_keys[][2] = {
	{"messages", "rs_feed_messages_total"},     {"gaps", "rs_feed_gaps_total"},
	{"gap_messages", "rs_feed_gap_messages_total"}, {"recovered", "rs_feed_recovered_total"},
	{"unrecovered", "rs_feed_unrecovered_total"}, {"requests", "rs_feed_requests_total"},
	{"gaps_open", "rs_feed_gaps_open"},          {"next_seq", "rs_feed_next_seq"},
	{"reconnects", "rs_feed_reconnects_total"},   {"stale_instruments", "rs_feed_stale_instruments"},
};
static const char *const line_keys[][2] = {
	{"packets", "rs_line_packets_total"},       {"bytes", "rs_line_bytes_total"},
	{"messages", "rs_line_messages_total"},     {"duplicates", "rs_line_duplicates_total"},
	{"drops", "rs_line_drops_total"},           {"last_rx_ns", "rs_line_last_rx_ns"},
};

static int cmd_feeds(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo";
	int opt, json = 0, rc;
	struct rs_client *c;
	struct rs_view_counters cs;
	struct rs_view_feeds feeds;
	struct rs_sbuf b = {0};

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jh", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	if ((rc = rs_view_open(&c, instance, "feeds")))
		return rc;
	if ((rc = rs_view_counters_load(c, &cs))) {
		fprintf(stderr, "ringside feeds: %s\n", rs_errmsg());
		rs_client_close(c);
		return RS_EX_UNAVAILABLE;
	}
	rs_view_feeds_list(&cs, &feeds);
	uint64_t now = rs_view_now_ns();

	if (json) {
		rs_sbuf_printf(&b, "{\"instance\":");
		rs_view_jstr(&b, instance);
		rs_sbuf_printf(&b, ",\"feeds\":[");
		for (unsigned i = 0; i < feeds.n; i++) {
			const char *f = feeds.f[i].name;
			uint64_t v;
			rs_sbuf_printf(&b, "%s{\"name\":", i ? "," : "");
			rs_view_jstr(&b, f);
			rs_sbuf_printf(&b, ",\"state\":\"%s\"",
				       rs_view_feed_get(&cs, "rs_feed_state", f, &v) ? rs_view_feed_state(v) : "unknown");
			for (size_t k = 0; k < sizeof(feed_keys) / sizeof(feed_keys[0]); k++)
				if (rs_view_feed_get(&cs, feed_keys[k][1], f, &v))
					rs_sbuf_printf(&b, ",\"%s\":%" PRIu64, feed_keys[k][0], v);
			rs_sbuf_printf(&b, ",\"lines\":[");
			for (unsigned l = 0; l < feeds.f[i].nlines; l++) {
				const char *ln = feeds.f[i].line[l];
				rs_sbuf_printf(&b, "%s{\"name\":", l ? "," : "");
				rs_view_jstr(&b, ln);
				for (size_t k = 0; k < sizeof(line_keys) / sizeof(line_keys[0]); k++)
					if (rs_view_line_get(&cs, line_keys[k][1], f, ln, &v))
						rs_sbuf_printf(&b, ",\"%s\":%" PRIu64, line_keys[k][0], v);
				if (rs_view_line_get(&cs, "rs_line_last_rx_ns", f, ln, &v) && v)
					rs_sbuf_printf(&b, ",\"last_rx_age_ns\":%" PRIu64, now > v ? now - v : 0);
				rs_sbuf_printf(&b, "}");
			}
			rs_sbuf_printf(&b, "]}");
		}
		rs_sbuf_printf(&b, "]}\n");
		fwrite(b.p, 1, b.len, stdout);
		rs_sbuf_free(&b);
	} else if (!feeds.n) {
		printf("instance %s reports no feeds (no rs_feed_* / rs_line_* counters)\n", instance);
	} else {
		char a[8][24];
		printf("%-16s %-4s %-10s %9s %9s %6s %9s %9s %7s %7s %9s\n", "FEED", "LINE", "STATE", "PACKETS", "MESSAGES",
		       "GAPS", "RECOVERED", "UNRECOV", "DUPS", "DROPS", "LAST RX");
		for (unsigned i = 0; i < feeds.n; i++) {
			const char *f = feeds.f[i].name;
			uint64_t st = 0, msgs = 0, gaps = 0, rec = 0, unrec = 0;
			bool has = rs_view_feed_get(&cs, "rs_feed_state", f, &st);
			rs_view_feed_get(&cs, "rs_feed_messages_total", f, &msgs);
			rs_view_feed_get(&cs, "rs_feed_gaps_total", f, &gaps);
			rs_view_feed_get(&cs, "rs_feed_recovered_total", f, &rec);
			rs_view_feed_get(&cs, "rs_feed_unrecovered_total", f, &unrec);
			printf("%-16s %-4s %-10s %9s %9s %6s %9s %9s %7s %7s %9s\n", f, "-",
			       has ? rs_view_feed_state(st) : "unknown", "", rs_view_count(a[0], 24, msgs),
			       rs_view_count(a[1], 24, gaps), rs_view_count(a[2], 24, rec), rs_view_count(a[3], 24, unrec),
			       "", "", "");
			for (unsigned l = 0; l < feeds.f[i].nlines; l++) {
				const char *ln = feeds.f[i].line[l];
				uint64_t pk = 0, lm = 0, du = 0, dr = 0, last = 0;
				rs_view_line_get(&cs, "rs_line_packets_total", f, ln, &pk);
				rs_view_line_get(&cs, "rs_line_messages_total", f, ln, &lm);
				rs_view_line_get(&cs, "rs_line_duplicates_total", f, ln, &du);
				rs_view_line_get(&cs, "rs_line_drops_total", f, ln, &dr);
				rs_view_line_get(&cs, "rs_line_last_rx_ns", f, ln, &last);
				if (last)
					rs_view_dur(a[4], 24, now > last ? now - last : 0);
				else
					snprintf(a[4], 24, "never");
				printf("%-16s %-4s %-10s %9s %9s %6s %9s %9s %7s %7s %9s\n", "", ln, "",
				       rs_view_count(a[0], 24, pk), rs_view_count(a[1], 24, lm), "", "", "",
				       rs_view_count(a[2], 24, du), rs_view_count(a[3], 24, dr), a[4]);
			}
		}
	}
	rs_view_counters_free(&cs);
	rs_client_close(c);
	return RS_EX_OK;
}

RS_CLI_COMMAND(feeds, cmd_feeds, "feeds [-i NAME] [--json]", "per feed and line: packets, gaps, recovery, drops")
