/* rs_cmd_baseline.c - `ringside baseline build|show`: rebuild IFD
 * baselines from historical ITCH day files / DBN files with the live
 * path's code (controlplane/rs_ifdrun.c: book + rs_ifd engine), and
 * inspect a baseline file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_baseline_file.h"
#include "controlplane/rs_ifdrun.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_ifd.h"
#include "rs_cli.h"
#include "rs_err.h"
#include "rs_evsource.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringside baseline build -o OUT [options] FILE...\n"
		"       ringside baseline show FILE [SYMBOL]\n\n"
		"build  replays each session file (ITCH day files named MMDDYYYY.NASDAQ_ITCH50,\n"
		"       or DBN) through the book and the IFD engine, in the order given (oldest\n"
		"       first): each session is judged against the sessions before it, then\n"
		"       added. Signals found on the way are counted.\n"
		"  -o, --output FILE     baseline file to write (atomically)\n"
		"  --update              start from OUT if it exists (else from scratch)\n"
		"  --format itch|dbn     input format (default: .dbn/.zst -> dbn, else itch)\n"
		"  --windows LIST        pressure windows in seconds, ascending (default 1,60,300)\n"
		"  --days N              baseline_days (default 20)\n"
		"  --bucket SECONDS      minimum time-of-day bucket (default 300)\n"
		"  --open HH:MM --close HH:MM --tz-offset HOURS   session (default 09:30 16:00 -5)\n"
		"show   sessions and instruments of a baseline file; with SYMBOL its statistics\n"
		"       per window and bucket (sessions with data, samples = sessions with a\n"
		"       non-empty window; vi mean/sd/median/MAD and ofi over non-empty windows;\n"
		"       mean volume over all windows; median volume of the non-empty windows,\n"
		"       the default min_volume).\n");
}

static int guess_format(const char *p)
{
	size_t n = strlen(p);
	if ((n > 4 && !strcmp(p + n - 4, ".dbn")) || (n > 8 && !strcmp(p + n - 8, ".dbn.zst")))
		return RS_EVSRC_DBN;
	return RS_EVSRC_ITCH;
}

static void count_sig(void *ctx, const struct rs_signal *s)
{
	(void)s;
	(*(uint64_t *)ctx)++;
}

static int hm(const char *s, uint32_t *min)
{
	unsigned h, m;
	if (sscanf(s, "%u:%u", &h, &m) != 2 || h > 23 || m > 59)
		return -1;
	*min = h * 60 + m;
	return 0;
}

static int build(int argc, char **argv)
{
	static const struct option lo[] = {{"output", required_argument, 0, 'o'},
					   {"update", no_argument, 0, 'u'},
					   {"format", required_argument, 0, 'F'},
					   {"windows", required_argument, 0, 'w'},
					   {"days", required_argument, 0, 'd'},
					   {"bucket", required_argument, 0, 'b'},
					   {"open", required_argument, 0, 'O'},
					   {"close", required_argument, 0, 'C'},
					   {"tz-offset", required_argument, 0, 'z'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *out = NULL;
	int update = 0, format = 0, c;
	uint64_t nsig = 0;
	struct rs_ifd_cfg cfg;
	rs_ifd_cfg_default(&cfg);
	cfg.max_instruments = 65536;
	cfg.ctx = &nsig;
	cfg.on_signal = count_sig;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'u': update = 1; break;
		case 'F':
			format = rs_evsource_format(optarg);
			if (!format) {
				usage(stderr);
				return RS_EX_USAGE;
			}
			break;
		case 'w': {
			cfg.nwin = 0;
			char *s = optarg, *e;
			while (*s && cfg.nwin < RS_IFD_MAX_WIN) {
				double v = strtod(s, &e);
				if (e == s || v <= 0) {
					usage(stderr);
					return RS_EX_USAGE;
				}
				cfg.windows_ns[cfg.nwin++] = (uint64_t)(v * 1e9 + 0.5);
				s = *e == ',' ? e + 1 : e;
				if (*e && *e != ',') {
					usage(stderr);
					return RS_EX_USAGE;
				}
			}
			break;
		}
		case 'd': cfg.baseline_days = (uint32_t)atoi(optarg); break;
		case 'b': cfg.bucket_ns = (uint64_t)(atof(optarg) * 1e9 + 0.5); break;
		case 'O':
			if (hm(optarg, &cfg.cal.open_min))
				return RS_EX_USAGE;
			break;
		case 'C':
			if (hm(optarg, &cfg.cal.close_min))
				return RS_EX_USAGE;
			break;
		case 'z': cfg.cal.tz_offset_ns = (int64_t)(atof(optarg) * 3600e9); break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (!out || optind >= argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	int ex = RS_EX_OK, rc;
	struct rs_ifd *f = NULL;
	struct rs_book *b = NULL;
	struct rs_baseline *bl = NULL;
	struct rs_bl_geom g;
	if ((rc = rs_ifd_create(&f, &cfg))) {
		fprintf(stderr, "ringside baseline: %s\n", rs_err_msg());
		return RS_EX_USAGE;
	}
	rs_ifd_geom(&cfg, &g);
	if (update && rs_baseline_file_load(&bl, out, &g) && rs_err_code() != -ENOENT)
		fprintf(stderr, "ringside baseline: %s (starting from scratch)\n", rs_err_msg());
	if (!bl && (rc = rs_baseline_create(&bl, &g))) {
		fprintf(stderr, "ringside baseline: %s\n", rs_err_msg());
		ex = RS_EX_SOFTWARE;
		goto done;
	}
	struct rs_book_cfg bc;
	rs_book_cfg_default(&bc);
	bc.max_orders = 1u << 22;
	if ((rc = rs_book_create(&b, &bc))) {
		fprintf(stderr, "ringside baseline: %s\n", rs_err_msg());
		ex = RS_EX_UNAVAILABLE;
		goto done;
	}
	for (int i = optind; i < argc; i++) {
		struct rs_ifdrun_stats st;
		uint64_t before = nsig;
		rs_ifd_set_baseline(f, bl);
		rc = rs_ifdrun_file(f, b, argv[i], format ? format : guess_format(argv[i]), 0, &st);
		if (rc) {
			fprintf(stderr, "ringside baseline: %s\n", rs_err_msg());
			ex = RS_EX_DATAERR;
			goto done;
		}
		uint32_t date = rs_ifd_session_date(f);
		int n = rs_ifd_end_session(f, bl);
		if (n < 0) {
			fprintf(stderr, "ringside baseline: %s\n", rs_err_msg());
			ex = RS_EX_SOFTWARE;
			goto done;
		}
		printf("%s: session %u, %llu events, %d instruments added, %llu signals\n", argv[i],
		       date, (unsigned long long)st.events, n, (unsigned long long)(nsig - before));
		if (!date)
			fprintf(stderr, "ringside baseline: %s: no window inside the session calendar "
					"(date in the file name? --open/--close/--tz-offset?)\n", argv[i]);
	}
	if ((rc = rs_baseline_file_save(bl, out))) {
		fprintf(stderr, "ringside baseline: %s\n", rs_err_msg());
		ex = RS_EX_IOERR;
		goto done;
	}
	printf("%s: %u instruments, %u sessions\n", out, bl->ninst, rs_baseline_sessions(bl));
done:
	rs_baseline_destroy(bl);
	rs_book_destroy(b);
	rs_ifd_destroy(f);
	return ex;
}

static int show(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	struct rs_baseline *bl;
	if (rs_baseline_file_load(&bl, argv[1], NULL)) {
		fprintf(stderr, "ringside baseline: %s\n", rs_err_msg());
		return RS_EX_DATAERR;
	}
	const struct rs_bl_geom *g = &bl->g;
	printf("%s: %u instruments, %u sessions, days %u, bucket %llus, windows", argv[1], bl->ninst,
	       rs_baseline_sessions(bl), g->days, (unsigned long long)(g->bucket_ns / 1000000000ull));
	for (uint32_t w = 0; w < g->nwin; w++)
		printf(" %llus", (unsigned long long)(g->window_ns[w] / 1000000000ull));
	printf("\n");
	int ex = RS_EX_OK;
	if (argc == 2) {
		for (uint32_t i = 0; i < bl->ninst; i++)
			printf("  %-10s sessions %2u large_trade_size %u\n", bl->inst[i].key,
			       bl->inst[i].nsess, bl->inst[i].large_size);
	} else {
		const struct rs_bl_inst *in = rs_baseline_find(bl, argv[2]);
		if (!in) {
			fprintf(stderr, "ringside baseline: %s not in %s\n", argv[2], argv[1]);
			ex = RS_EX_DATAERR;
		} else {
			printf("window bucket sessions samples vi_mean vi_sd vi_median vi_mad ofi_mean ofi_sd "
			       "vol_mean volne_median\n");
			for (uint32_t w = 0; w < g->nwin; w++)
				for (uint32_t k = 0; k < g->nbuckets[w]; k++) {
					const struct rs_bl_stat *s = rs_baseline_stat(bl, in, w, k);
					printf("%5llus %6u %8u %7u %+.4f %.4f %+.4f %.4f %+.4f %.4f %.1f %.0f\n",
					       (unsigned long long)(g->window_ns[w] / 1000000000ull), k,
					       s->sessions, s->samples, s->mean[RS_BL_VI], s->sd[RS_BL_VI],
					       s->med[RS_BL_VI], s->mad[RS_BL_VI], s->mean[RS_BL_OFI],
					       s->sd[RS_BL_OFI], s->mean[RS_BL_VOL], s->med[RS_BL_VOLNE]);
				}
		}
	}
	rs_baseline_destroy(bl);
	return ex;
}

static int cmd_baseline(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? RS_EX_USAGE : RS_EX_OK;
	}
	if (!strcmp(argv[1], "build"))
		return build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return show(argc - 1, argv + 1);
	usage(stderr);
	return RS_EX_USAGE;
}

RS_CLI_COMMAND(baseline, cmd_baseline, "baseline build -o OUT FILE... | baseline show FILE [SYMBOL]",
	       "rebuild / inspect IFD baselines from historical ITCH/DBN sessions")
