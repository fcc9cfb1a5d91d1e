/*
 * rs_cmd_stats.c - `ringside stats`: every counter of the instance and,
 * per latency histogram, count, mean, p50, p99, p99.9 and max, read from
 * shared memory.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_cli.h"
#include "rs_metrics.h"
#include "rs_view.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside stats [-i|--instance NAME] [--json] [--match TEXT] [--prometheus]\n\n"
		   "Every counter (label and value) and, per latency histogram, samples, mean,\n"
		   "p50, p99, p99.9 and max (percentiles are bucket lower bounds, < 12.5 %% error).\n"
		   "  -i, --instance NAME   instance (default demo)\n"
		   "      --json            one JSON object\n"
		   "      --match TEXT      only counters whose label contains TEXT\n"
		   "      --prometheus      the /metrics text exposition instead\n");
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"match", required_argument, 0, 'm'},
					   {"prometheus", no_argument, 0, 'p'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo", *match = NULL;
	int opt, json = 0, prom = 0, rc;
	struct rs_client *c;
	struct rs_view_counters cs;
	struct rs_sbuf b = {0};
	char d[6][32];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jm:ph", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'j': json = 1; break;
		case 'm': match = optarg; break;
		case 'p': prom = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	if ((rc = rs_view_open(&c, instance, "stats")))
		return rc;
	if (prom) {
		rc = rs_metrics_prometheus(c, &b);
		if (!rc)
			fwrite(b.p, 1, b.len, stdout);
		else
			fprintf(stderr, "ringside stats: %s\n", rs_errmsg());
		rs_sbuf_free(&b);
		rs_client_close(c);
		return rc ? RS_EX_UNAVAILABLE : RS_EX_OK;
	}
	if ((rc = rs_view_counters_load(c, &cs))) {
		fprintf(stderr, "ringside stats: %s\n", rs_errmsg());
		rs_client_close(c);
		return RS_EX_UNAVAILABLE;
	}
	struct rs_latency_block *lb = calloc(1, sizeof(*lb));
	if (!lb || rs_metrics_latency(c, lb))
		if (lb)
			lb->nhist = 0;

	if (json) {
		rs_sbuf_printf(&b, "{\"instance\":");
		rs_view_jstr(&b, instance);
		rs_sbuf_printf(&b, ",\"counters\":{");
		int n = 0;
		for (size_t i = 0; i < cs.n; i++) {
			if (match && !strstr(cs.v[i].label, match))
				continue;
			rs_sbuf_printf(&b, "%s", n++ ? "," : "");
			rs_view_jstr(&b, cs.v[i].label);
			rs_sbuf_printf(&b, ":%" PRIu64, cs.v[i].value);
		}
		rs_sbuf_printf(&b, "},\"latency\":[");
		n = 0;
		for (uint32_t i = 0; lb && i < lb->nhist; i++) {
			const struct rs_latency_hist *h = &lb->hist[i];
			if (!h->name[0])
				continue;
			rs_sbuf_printf(&b, "%s{\"name\":", n++ ? "," : "");
			rs_view_jstr(&b, h->name);
			rs_sbuf_printf(&b,
				       ",\"count\":%" PRIu64 ",\"mean_ns\":%" PRIu64 ",\"p50_ns\":%" PRIu64
				       ",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 "}",
				       h->count, h->count ? h->sum_ns / h->count : 0, rs_latency_percentile(h, 0.5),
				       rs_latency_percentile(h, 0.99), rs_latency_percentile(h, 0.999), h->max_ns);
		}
		rs_sbuf_printf(&b, "]}\n");
		fwrite(b.p, 1, b.len, stdout);
		rs_sbuf_free(&b);
	} else {
		printf("%-72s %20s\n", "COUNTER", "VALUE");
		for (size_t i = 0; i < cs.n; i++)
			if (!match || strstr(cs.v[i].label, match))
				printf("%-72s %20" PRIu64 "\n", cs.v[i].label, cs.v[i].value);
		if (lb && lb->nhist) {
			printf("\n%-32s %12s %10s %10s %10s %10s %10s\n", "LATENCY", "SAMPLES", "MEAN", "P50", "P99", "P99.9",
			       "MAX");
			for (uint32_t i = 0; i < lb->nhist; i++) {
				const struct rs_latency_hist *h = &lb->hist[i];
				if (!h->name[0])
					continue;
				printf("%-32s %12" PRIu64 " %10s %10s %10s %10s %10s\n", h->name, h->count,
				       rs_view_dur(d[0], 32, h->count ? h->sum_ns / h->count : 0),
				       rs_view_dur(d[1], 32, rs_latency_percentile(h, 0.5)),
				       rs_view_dur(d[2], 32, rs_latency_percentile(h, 0.99)),
				       rs_view_dur(d[3], 32, rs_latency_percentile(h, 0.999)), rs_view_dur(d[4], 32, h->max_ns));
			}
		}
	}
	free(lb);
	rs_view_counters_free(&cs);
	rs_client_close(c);
	return RS_EX_OK;
}

RS_CLI_COMMAND(stats, cmd_stats, "stats [-i NAME] [--json] [--prometheus]", "all counters and latency percentiles")
