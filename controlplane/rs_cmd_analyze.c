/* rs_cmd_analyze.c - `ringside analyze FILE --format itch|dbn [--bars 1m,5m]
 * [--out bars.csv|bars.jsonl]`: run the dataplane analytics
 * (dataplane/rs_analytics.c) offline over a file, exactly as the live
 * handler runs it (per event: tick with ts_event, book, analytics; at the
 * end rs_analytics_flush), and write every closed bar as CSV or JSON lines
 * (dataplane/rs_bars.h: the same text `ringside bars --json` prints). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_cli.h"
#include "controlplane/rs_evsource.h"
#include "dataplane/rs_analytics.h"
#include "dataplane/rs_bars.h"
#include "dataplane/rs_book.h"
#include "shm/rs_err.h"

struct sym {
	uint32_t id;
	char s[RS_SYMBOL_LEN];
};

struct an_run {
	struct rs_book *b;
	FILE *out;
	int fmt;
	struct sym *syms;
	size_t nsyms, capsyms;
	uint64_t bars, bad;
	int io_err;
};

static const char *sym_of(struct an_run *r, uint32_t id)
{
	for (size_t i = r->nsyms; i-- > 0;) /* cold: a few per bar close */
		if (r->syms[i].id == id)
			return r->syms[i].s;
	return "";
}

static void on_define(void *ctx, uint32_t id, const char *symbol, int64_t tick)
{
	struct an_run *r = ctx;
	(void)rs_book_define(r->b, id, symbol && *symbol ? symbol : NULL, tick);
	for (size_t i = 0; i < r->nsyms; i++)
		if (r->syms[i].id == id) {
			snprintf(r->syms[i].s, sizeof(r->syms[i].s), "%s", symbol ? symbol : "");
			return;
		}
	if (r->nsyms == r->capsyms) {
		size_t n = r->capsyms ? 2 * r->capsyms : 1024;
		struct sym *p = realloc(r->syms, n * sizeof(*p));
		if (!p)
			return;
		r->syms = p;
		r->capsyms = n;
	}
	r->syms[r->nsyms].id = id;
	snprintf(r->syms[r->nsyms].s, sizeof(r->syms[r->nsyms].s), "%s", symbol ? symbol : "");
	r->nsyms++;
}

static void on_bar(void *ctx, const struct rs_bar *bar)
{
	struct an_run *r = ctx;
	char line[1024];
	int n = rs_bar_format(bar, sym_of(r, bar->instrument_id), r->fmt, line, sizeof(line));
	if (n < 0 || fwrite(line, 1, (size_t)n, r->out) != (size_t)n)
		r->io_err = 1;
	r->bars++;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringside analyze FILE --format itch|dbn [options]\n"
		"Run the analytics engine over FILE exactly as the live handler does and\n"
		"write every closed bar (with features) as CSV or JSON lines.\n\n"
		"  -f, --format F     itch (BinaryFILE day file) or dbn (DBN v1-3, plain/zstd)\n"
		"  -b, --bars LIST    intervals, e.g. 1m,5m (units ms s m h; default\n"
		"                     1s,5s,15s,30s,1m,5m; at most %d)\n"
		"  -o, --out FILE     output (.jsonl/.json: JSON lines, else CSV; default\n"
		"                     stdout CSV)\n"
		"      --json         JSON lines (stdout or any --out name)\n"
		"      --date Y-M-D   ITCH session date (default: from the file name)\n"
		"      --sma N --ema N --rsi N --rvol N   feature lengths (20 20 14 20)\n"
		"      --orders N     book capacity in live orders (default 4Mi)\n"
		"  -h, --help         this help\n"
		"Prices are integers in 1e-9 units. Exit: 0, 64 usage, 65 bad data,\n"
		"66 cannot open, 74 I/O error.\n",
		RS_BAR_MAX_INTERVALS);
}

static int parse_bars(const char *s, struct rs_analytics_cfg *c)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	unsigned k = 0;
	memset(c->intervals_ns, 0, sizeof(c->intervals_ns));
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned long long ns = rs_bar_parse_interval(t);
		if (!ns || k >= RS_BAR_MAX_INTERVALS)
			return -1;
		c->intervals_ns[k++] = ns;
	}
	return k ? 0 : -1;
}

static int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, 0, 'f'}, {"bars", required_argument, 0, 'b'},
		{"out", required_argument, 0, 'o'},    {"json", no_argument, 0, 'j'},
		{"date", required_argument, 0, 'D'},   {"sma", required_argument, 0, 1},
		{"ema", required_argument, 0, 2},      {"rsi", required_argument, 0, 3},
		{"rvol", required_argument, 0, 4},     {"orders", required_argument, 0, 5},
		{"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
	struct rs_analytics_cfg acfg;
	rs_analytics_cfg_default(&acfg);
	const char *outp = NULL, *date = NULL;
	int format = 0, json = 0, c;
	uint32_t orders = 0;
	while ((c = getopt_long(argc, argv, "hf:b:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = rs_evsource_format(optarg);
			if (!format) {
				fprintf(stderr, "ringside analyze: unknown format '%s' (itch, dbn)\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'b':
			if (parse_bars(optarg, &acfg)) {
				fprintf(stderr, "ringside analyze: bad --bars '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'o': outp = optarg; break;
		case 'j': json = 1; break;
		case 'D': date = optarg; break;
		case 1: acfg.sma_len = (uint16_t)atoi(optarg); break;
		case 2: acfg.ema_len = (uint16_t)atoi(optarg); break;
		case 3: acfg.rsi_len = (uint16_t)atoi(optarg); break;
		case 4: acfg.rvol_len = (uint16_t)atoi(optarg); break;
		case 5: orders = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind + 1 != argc || !format) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	const char *path = argv[optind];
	if (outp) {
		size_t l = strlen(outp);
		if ((l > 6 && !strcmp(outp + l - 6, ".jsonl")) || (l > 5 && !strcmp(outp + l - 5, ".json")))
			json = 1;
	}

	struct an_run r = {.fmt = json ? RS_BAR_FMT_JSON : RS_BAR_FMT_CSV, .out = stdout};
	struct rs_evsource *src = NULL;
	struct rs_analytics *a = NULL;
	struct rs_event *ev = NULL;
	int ex = RS_EX_OK, n;
	struct rs_book_cfg bcfg;
	rs_book_cfg_default(&bcfg);
	if (orders)
		bcfg.max_orders = orders;
	if (rs_book_create(&r.b, &bcfg)) {
		fprintf(stderr, "ringside analyze: %s\n", rs_err_msg());
		return RS_EX_UNAVAILABLE;
	}
	acfg.max_instruments = bcfg.max_instruments;
	acfg.on_bar = on_bar;
	acfg.on_bar_ctx = &r;
	if (rs_analytics_create(&a, &acfg)) {
		fprintf(stderr, "ringside analyze: %s\n", rs_err_msg());
		ex = RS_EX_USAGE;
		goto out;
	}
	rs_book_set_amend(r.b, rs_analytics_amend_bbo, a);
	struct rs_evsrc_defs defs = {.ctx = &r, .define = on_define};
	if (rs_evsource_open(&src, path, format, &defs)) {
		fprintf(stderr, "ringside analyze: %s\n", rs_err_msg());
		ex = RS_EX_NOINPUT;
		goto out;
	}
	if (date) {
		int y, m, d;
		if (sscanf(date, "%d-%d-%d", &y, &m, &d) != 3 || rs_evsource_set_date(src, y, m, d)) {
			fprintf(stderr, "ringside analyze: bad --date '%s'\n", date);
			ex = RS_EX_USAGE;
			goto out;
		}
	}
	if (outp && !(r.out = fopen(outp, "w"))) {
		fprintf(stderr, "ringside analyze: %s: %s\n", outp, strerror(errno));
		r.out = stdout;
		ex = RS_EX_IOERR;
		goto out;
	}
	if (r.fmt == RS_BAR_FMT_CSV)
		fputs(rs_bar_csv_header(), r.out);
	enum { CAP = 1024 };
	ev = malloc(CAP * sizeof(*ev));
	if (!ev) {
		ex = RS_EX_UNAVAILABLE;
		goto out;
	}
	while ((n = rs_evsource_next(src, ev, CAP)) > 0) {
		rs_analytics_replay(a, r.b, ev, (unsigned)n);
		rs_book_publish(r.b, NULL, NULL);
	}
	if (n < 0) {
		fprintf(stderr, "ringside analyze: %s\n", rs_err_msg());
		ex = RS_EX_DATAERR;
	}
	rs_analytics_flush(a);
	const struct rs_analytics_stats *st = rs_analytics_stats(a);
	fprintf(stderr,
		"analyze: %" PRIu64 " events, %" PRIu64 " trades, %" PRIu64 " bars (%" PRIu64
		" empty), profile overflow %" PRIu64 ", instruments over capacity %" PRIu64 "\n",
		st->events, st->trades, st->bars, st->bars_empty, st->profile_overflow, st->inst_overflow);
out:
	if (r.out != stdout && fclose(r.out))
		r.io_err = 1;
	else if (r.out == stdout && fflush(stdout))
		r.io_err = 1;
	if (r.io_err && ex == RS_EX_OK) {
		fprintf(stderr, "ringside analyze: write error\n");
		ex = RS_EX_IOERR;
	}
	free(ev);
	free(r.syms);
	rs_evsource_close(src);
	rs_analytics_destroy(a);
	rs_book_destroy(r.b);
	return ex;
}

RS_CLI_COMMAND(analyze, cmd_analyze, "analyze FILE --format itch|dbn [--bars 1m,5m] [--out F]",
	       "bars and features of a file, offline (same code as live)")
