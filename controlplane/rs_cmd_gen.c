/* rs_cmd_gen.c - `ringside gen`: write a synthetic ITCH 5.0 session. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_cli.h"
#include "rs_gen.h"

static void gen_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside gen [options] OUT\n"
		"Write a synthetic, seed-deterministic NASDAQ TotalView-ITCH 5.0 session.\n\n"
		"  --seed N             random seed (default 1)\n"
		"  --flow-seed N        draw the order flow from seed N while symbols, prices and\n"
		"                       activity ranks still come from --seed: another trading\n"
		"                       day of the same market (default 0 = from --seed)\n"
		"  --symbols N          number of symbols, 1..65535 (default 1000)\n"
		"  --messages N         total messages incl. 6 + 4 x symbols system/directory/\n"
		"                       cross messages (default 1000000; k/M/G suffixes ok)\n"
		"  --format day|pcap    day file (2-byte length prefix, default) or nanosecond\n"
		"                       pcap of Ethernet/IPv4/UDP MoldUDP64 packets\n"
		"  --date YYYY-MM-DD    session date for pcap timestamps (default 2024-06-03)\n"
		"  --session NAME       MoldUDP64 session for pcap (default RSGEN00001)\n"
		"  --zipf S             Zipf exponent of symbol activity (default 1.0, 0 = uniform)\n"
		"  --uniform-cancels    deletes/cancels/replaces pick live orders uniformly\n"
		"                       (default: mostly the most recent orders)\n"
		"  --inject SPEC        scenario (repeatable, up to %d):\n"
		"                         sweep:SYM@HH:MM:SS[.f][,side=B|S][,levels=N]\n"
		"                         iceberg:SYM@HH:MM:SS[.f][,side=B|S][,refills=N][,size=N][,gap-ms=N]\n"
		"                                 [,follow=0|1]\n"
		"                       SYM is a symbol or #N, the N-th most active symbol\n"
		"  --quiet              no summary on stderr\n"
		"  -h, --help           this help\n",
		RS_GEN_MAX_INJECT);
}

static int parse_count(const char *s, uint64_t *out)
{
	return rs_cli_parse_count(s, 10000000000000ull, out);
}

static int cmd_gen(int argc, char **argv)
{
	enum { O_SEED = 1000, O_SYMBOLS, O_MESSAGES, O_FORMAT, O_DATE, O_ZIPF, O_UNIFORM, O_INJECT,
	       O_SESSION, O_QUIET, O_FLOW_SEED };
	static const struct option lo[] = {
		{"seed", required_argument, 0, O_SEED},
		{"symbols", required_argument, 0, O_SYMBOLS},
		{"messages", required_argument, 0, O_MESSAGES},
		{"format", required_argument, 0, O_FORMAT},
		{"date", required_argument, 0, O_DATE},
		{"zipf", required_argument, 0, O_ZIPF},
		{"uniform-cancels", no_argument, 0, O_UNIFORM},
		{"inject", required_argument, 0, O_INJECT},
		{"session", required_argument, 0, O_SESSION},
		{"quiet", no_argument, 0, O_QUIET},
		{"flow-seed", required_argument, 0, O_FLOW_SEED},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct rs_gen_opts o;
	struct rs_gen_pcap_opts po;
	int format = RS_GEN_FMT_DAY, quiet = 0, y = 2024, mo = 6, d = 3;
	rs_gen_opts_default(&o);
	rs_gen_pcap_opts_default(&po);
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		uint64_t v;
		char *e;
		switch (c) {
		case O_SEED:
			errno = 0;
			o.seed = strtoull(optarg, &e, 0);
			if (errno || *e || e == optarg)
				goto bad;
			break;
		case O_FLOW_SEED:
			errno = 0;
			o.flow_seed = strtoull(optarg, &e, 0);
			if (errno || *e || e == optarg || optarg[0] == '-')
				goto bad;
			break;
		case O_SYMBOLS:
			if (parse_count(optarg, &v) || v < 1 || v > 65535)
				goto bad;
			o.symbols = (uint32_t)v;
			break;
		case O_MESSAGES:
			if (parse_count(optarg, &v))
				goto bad;
			o.messages = v;
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "day"))
				format = RS_GEN_FMT_DAY;
			else if (!strcmp(optarg, "pcap"))
				format = RS_GEN_FMT_PCAP;
			else
				goto bad;
			break;
		case O_DATE: {
			int n = 0;
			if (sscanf(optarg, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || optarg[n] ||
			    y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31)
				goto bad;
			break;
		}
		case O_SESSION: {
			size_t n = strlen(optarg);
			if (n < 1 || n > 10)
				goto bad;
			memset(po.session, ' ', 10);
			memcpy(po.session, optarg, n);
			break;
		}
		case O_ZIPF:
			o.zipf_s = strtod(optarg, &e);
			if (*e || e == optarg || !(o.zipf_s >= 0 && o.zipf_s <= 10))
				goto bad;
			break;
		case O_UNIFORM:
			o.uniform_cancels = true;
			break;
		case O_INJECT:
			if (o.ninject >= RS_GEN_MAX_INJECT) {
				fprintf(stderr, "ringside gen: at most %d --inject\n", RS_GEN_MAX_INJECT);
				return RS_EX_USAGE;
			}
			if (rs_gen_inject_parse(&o.inject[o.ninject], optarg)) {
				fprintf(stderr, "ringside gen: bad --inject '%s' (see --help)\n", optarg);
				return RS_EX_USAGE;
			}
			o.ninject++;
			break;
		case O_QUIET:
			quiet = 1;
			break;
		case 'h':
			gen_usage(stdout);
			return RS_EX_OK;
		default:
			gen_usage(stderr);
			return RS_EX_USAGE;
		}
		continue;
bad:
		fprintf(stderr, "ringside gen: bad value '%s' for --%s\n", optarg, lo[c - O_SEED].name);
		return RS_EX_USAGE;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ringside gen: expected one output file\n");
		gen_usage(stderr);
		return RS_EX_USAGE;
	}
	const char *out = argv[optind];
	po.midnight_ns = rs_gen_midnight_ns(y, mo, d);

	struct rs_gen *g;
	char err[256];
	int rc = rs_gen_create(&g, &o, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ringside gen: %s\n", err);
		return rc == -ENOMEM ? RS_EX_SOFTWARE : RS_EX_USAGE;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t size = 0, pkts = 0;
	if (format == RS_GEN_FMT_DAY)
		rc = rs_gen_write_day(g, out, &size);
	else
		rc = rs_gen_write_pcap(g, out, &po, &pkts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc) {
		fprintf(stderr, "ringside gen: %s: %s\n", out, strerror(-rc));
		rs_gen_destroy(g);
		return RS_EX_IOERR;
	}
	const struct rs_gen_stats *st = rs_gen_stats(g);
	if (st->messages != o.messages) {
		fprintf(stderr, "ringside gen: stopped after %llu of %llu messages (out of memory)\n",
			(unsigned long long)st->messages, (unsigned long long)o.messages);
		rs_gen_destroy(g);
		return RS_EX_SOFTWARE;
	}
	if (!quiet) {
		double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		fprintf(stderr, "ringside gen: %s: %llu messages, %u symbols, seed %llu", out,
			(unsigned long long)st->messages, o.symbols, (unsigned long long)o.seed);
		if (o.flow_seed)
			fprintf(stderr, ", flow seed %llu", (unsigned long long)o.flow_seed);
		fprintf(stderr, ", %.2f s (%.1f M msg/s)", sec, (double)st->messages / sec / 1e6);
		if (format == RS_GEN_FMT_DAY)
			fprintf(stderr, ", %llu bytes\n", (unsigned long long)size);
		else
			fprintf(stderr, ", %llu packets\n", (unsigned long long)pkts);
		fprintf(stderr, "  mix:");
		static const char types[] = "AFDUECXPQSRH";
		for (const char *t = types; *t; t++)
			if (st->by_type[(int)*t])
				fprintf(stderr, " %c %.2f%%", *t,
					100.0 * (double)st->by_type[(int)*t] / (double)st->messages);
		fprintf(stderr, "\n  live orders at end %llu (max %llu), injected %llu\n",
			(unsigned long long)st->live_orders, (unsigned long long)st->max_live_orders,
			(unsigned long long)st->injected);
	}
	rs_gen_destroy(g);
	return RS_EX_OK;
}

RS_CLI_COMMAND(gen, cmd_gen, "gen [options] OUT", "generate a synthetic ITCH 5.0 session (day file or pcap)")
