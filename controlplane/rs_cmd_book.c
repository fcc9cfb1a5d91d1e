/* rs_cmd_book.c - `ringside book FILE --format itch|dbn|lobster`: replay a
 * file through the dataplane book (dataplane/rs_book.c) and print books as
 * JSON lines:
 *   {"instrument":ID,"symbol":"...","bids":[["585.3300",18,1],...],"asks":[...]}
 * Prices are decimal strings with at least 4 decimals and as many more
 * (up to 9) as needed to be exact; size and order count are integers. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/rs_cli.h"
#include "controlplane/rs_dbnfile.h"
#include "controlplane/rs_livebook.h"
#include "controlplane/rs_lobster.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_dbn.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "shm/rs_err.h"

struct bk {
	struct rs_book *b;
	unsigned depth;        /* levels printed per side, 0 = all */
	bool every;
	const char *symbol;    /* only this symbol (NULL = all) */
	struct rs_level *lv;
	unsigned lvcap;
	uint64_t records, printed;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringside book FILE --format itch|dbn|lobster [options]\n"
		"       ringside book SYMBOL [--depth N] [-i INSTANCE] [--json]   (live, from a\n"
		"       running instance's shared memory; see `ringside book SYMBOL --help`)\n"
		"Replay FILE through the MBO book engine and print the final book of every\n"
		"instrument as one JSON line:\n"
		"  {\"instrument\":ID,\"symbol\":\"...\",\"bids\":[[\"price\",size,count],...],\"asks\":[...]}\n"
		"Prices are decimal strings with at least 4 decimals (more when needed to be\n"
		"exact, up to 9). Statistics and quality counters go to stderr.\n\n"
		"  -f, --format F        itch (BinaryFILE day file), dbn (DBN v1-3, plain or zstd;\n"
		"                        MBO records, definitions give tick sizes), lobster\n"
		"                        (message CSV)\n"
		"  -d, --depth N         levels per side to print (default 10, 0 = all)\n"
		"  -e, --every-event     print the top N levels after every event boundary\n"
		"                        (F_LAST) instead of only at the end\n"
		"  -s, --symbol S        only instrument S (symbol, or numeric instrument id)\n"
		"  -b, --lobster-book F  LOBSTER orderbook file: seed the initial book from its\n"
		"                        first row minus the first message's effect, and take\n"
		"                        levels that come back into its N-level window from it\n"
		"                        (message_N files omit messages beyond the window)\n"
		"  -h, --help            this help\n"
		"Exit: 0 ok, 64 usage, 65 bad data, 66 cannot open, 70 internal.\n");
}

static void print_price(FILE *f, int64_t px)
{
	uint64_t a = px < 0 ? (uint64_t)0 - (uint64_t)px : (uint64_t)px;
	uint64_t ip = a / 1000000000ull, fr = a % 1000000000ull;
	char d[10];
	snprintf(d, sizeof(d), "%09" PRIu64, fr);
	int n = 9;
	while (n > 4 && d[n - 1] == '0')
		n--;
	fprintf(f, "\"%s%" PRIu64 ".%.*s\"", px < 0 ? "-" : "", ip, n, d);
}

static bool selected(const struct bk *k, uint32_t idx)
{
	if (!k->symbol)
		return true;
	const struct rs_book_inst *in = rs_book_inst(k->b, idx);
	if (!strcmp(in->symbol, k->symbol))
		return true;
	char num[16];
	snprintf(num, sizeof(num), "%u", in->instrument_id);
	return !strcmp(num, k->symbol);
}

static void print_book(struct bk *k, uint32_t idx)
{
	const struct rs_book_inst *in = rs_book_inst(k->b, idx);
	FILE *f = stdout;
	fprintf(f, "{\"instrument\":%u,\"symbol\":\"", in->instrument_id);
	for (const char *p = in->symbol; *p; p++)
		if (*p >= 0x20 && *p != '"' && *p != '\\' && (unsigned char)*p < 0x7f)
			fputc(*p, f);
	fputc('"', f);
	for (int side = 0; side < 2; side++) {
		unsigned want = k->depth ? k->depth : rs_book_nlevels(k->b, idx, side);
		if (want > k->lvcap) {
			free(k->lv);
			k->lvcap = want + 1024;
			k->lv = malloc(k->lvcap * sizeof(*k->lv));
			if (!k->lv) {
				k->lvcap = 0;
				want = 0;
			}
		}
		unsigned n = rs_book_levels(k->b, idx, side, k->lv, want);
		fprintf(f, ",\"%s\":[", side ? "asks" : "bids");
		for (unsigned i = 0; i < n; i++) {
			fputs(i ? ",[" : "[", f);
			print_price(f, k->lv[i].price);
			fprintf(f, ",%u,%u]", k->lv[i].size, k->lv[i].count);
		}
		fputc(']', f);
	}
	fputs("}\n", f);
	k->printed++;
}

static void apply(struct bk *k, struct rs_event *ev)
{
	rs_book_apply(k->b, ev);
	k->records++;
	if (k->every && (ev->mbo.flags & RS_F_LAST)) {
		int idx = rs_book_find(k->b, ev->mbo.hd.instrument_id);
		if (idx >= 0 && selected(k, (uint32_t)idx))
			print_book(k, (uint32_t)idx);
	}
}

/* ------------------------------------------------------------ ITCH */

static void on_stock_dir(void *ctx, const struct rs_itch_stock_directory *m)
{
	struct bk *k = ctx;
	char sym[9];
	memcpy(sym, m->stock, 8);
	sym[8] = 0;
	for (int i = 7; i >= 0 && sym[i] == ' '; i--)
		sym[i] = 0;
	rs_book_define(k->b, m->h.locate, sym, 0);
}

static int run_itch(struct bk *k, const char *path)
{
	struct rs_itchfile f;
	struct rs_itch_dec d;
	int rc = rs_itchfile_open(&f, path, 0);
	if (rc) {
		fprintf(stderr, "ringside book: %s\n", rs_err_msg());
		return RS_EX_NOINPUT;
	}
	rs_itch_dec_init(&d, 0);
	d.h.ctx = k;
	d.h.stock_directory = on_stock_dir;
	/* the burst decoder straight into the book (handlers, e.g. the stock
	 * directory above, run inline as each message is decoded) */
	struct rs_event burst[64];
	rc = 1;
	while (rc > 0) {
		unsigned n = rs_itch_decode_file(&d, &f, 0, burst, 64, &rc);
		if (k->every) {
			for (unsigned i = 0; i < n; i++)
				apply(k, &burst[i]);
		} else if (n) {
			k->records += rs_book_apply_burst(k->b, burst, n);
			rs_book_publish(k->b, NULL, NULL);
		}
	}
	int ret = RS_EX_OK;
	if (rc < 0) {
		fprintf(stderr, "ringside book: %s: truncated ITCH record at byte %zu\n", path, f.err_off);
		ret = RS_EX_DATAERR;
	}
	fprintf(stderr, "itch: %" PRIu64 " messages\n", f.nmsgs);
	rs_itchfile_close(&f);
	return ret;
}

/* ------------------------------------------------------------ DBN */

static int run_dbn(struct bk *k, const char *path)
{
	struct rs_dbnfile *f;
	int rc = rs_dbnfile_open(&f, path, RS_DBNFILE_UPGRADE);
	if (rc) {
		fprintf(stderr, "ringside book: %s\n", rs_err_msg());
		return RS_EX_NOINPUT;
	}
	/* symbols from the metadata's mappings (interval symbol = instrument id) */
	const struct rs_dbn_meta *m = rs_dbnfile_meta(f);
	size_t cur = 0;
	struct rs_dbn_mapping mp;
	while (rs_dbn_meta_mapping_next(m, &cur, &mp)) {
		char raw[72], sym[72];
		memcpy(raw, mp.raw_symbol, m->symbol_cstr_len < 71 ? m->symbol_cstr_len : 71);
		raw[m->symbol_cstr_len < 71 ? m->symbol_cstr_len : 71] = 0;
		for (uint32_t i = 0; i < mp.nintervals; i++) {
			uint32_t sd, ed;
			rs_dbn_mapping_interval(m, &mp, i, &sd, &ed, sym, sizeof(sym));
			char *end;
			unsigned long iid = strtoul(sym, &end, 10);
			if (*sym && !*end && iid <= UINT32_MAX) {
				int idx = rs_book_find(k->b, (uint32_t)iid);
				int64_t tick = idx >= 0 ? rs_book_inst(k->b, (uint32_t)idx)->tick_size : 0;
				rs_book_define(k->b, (uint32_t)iid, raw, tick);
			}
		}
	}
	const struct rs_rec_hdr *rec;
	uint64_t defs = 0, other = 0;
	while ((rc = rs_dbnfile_next(f, &rec)) > 0) {
		if (rec->rtype == RS_RTYPE_MBO) {
			struct rs_event ev;
			rs_dbn_mbo_to_event(rec, &ev, 0);
			apply(k, &ev);
		} else if (rec->rtype == RS_RTYPE_DEFINITION) {
			struct rs_instrument ins;
			rs_dbn_def_to_instrument((const struct rs_dbn_def *)rec, &ins);
			int idx = rs_book_find(k->b, ins.instrument_id);
			const char *sym = ins.symbol[0] ? ins.symbol
					  : idx >= 0   ? rs_book_inst(k->b, (uint32_t)idx)->symbol
						       : NULL;
			char keep[RS_SYMBOL_LEN];
			if (sym) {
				snprintf(keep, sizeof(keep), "%s", sym);
				sym = keep;
			}
			rs_book_define(k->b, ins.instrument_id, sym, ins.tick_size);
			defs++;
		} else {
			other++;
		}
		rs_book_publish(k->b, NULL, NULL);
	}
	int ret = RS_EX_OK;
	if (rc < 0) {
		fprintf(stderr, "ringside book: %s\n", rs_err_msg());
		ret = RS_EX_DATAERR;
	}
	fprintf(stderr, "dbn: %" PRIu64 " definitions, %" PRIu64 " other records skipped\n", defs, other);
	rs_dbnfile_close(f);
	return ret;
}

/* ------------------------------------------------------------ LOBSTER */

static int run_lobster(struct bk *k, const char *path, const char *bookpath)
{
	/* symbol and date from the LOBSTER file name: TICKER_YYYY-MM-DD_... */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char sym[RS_SYMBOL_LEN] = "";
	const char *us = strchr(base, '_');
	if (us && (size_t)(us - base) < sizeof(sym))
		memcpy(sym, base, (size_t)(us - base));
	uint64_t midnight = 0;
	int y, mo, dd;
	if (us && sscanf(us + 1, "%4d-%2d-%2d", &y, &mo, &dd) == 3) {
		int64_t mn = rs_itch_midnight_ns(y, mo, dd);
		if (mn > 0)
			midnight = (uint64_t)mn;
	}
	const uint32_t iid = 1;
	rs_book_define(k->b, iid, sym[0] ? sym : NULL, 0);

	struct rs_lobster_file lf;
	if (rs_lobster_open(&lf, path)) {
		fprintf(stderr, "ringside book: %s\n", rs_err_msg());
		return RS_EX_NOINPUT;
	}
	struct rs_lobster_msg msg;
	int rc = rs_lobster_next_msg(&lf, &msg);
	int ret = RS_EX_OK;
	struct rs_lobster_file bf = {0};
	struct rs_lobster_row *row = NULL;
	int64_t bound[2];
	uint64_t synced = 0;
	if (rc > 0 && bookpath) {
		row = malloc(sizeof(*row));
		if (!row || rs_lobster_open(&bf, bookpath)) {
			fprintf(stderr, "ringside book: %s\n", row ? rs_err_msg() : "out of memory");
			free(row);
			rs_lobster_close(&lf);
			return RS_EX_NOINPUT;
		}
		int r2 = rs_lobster_next_row(&bf, row);
		if (r2 <= 0 || rs_lobster_seed(k->b, iid, row, &msg) < 0) {
			fprintf(stderr, "ringside book: %s: %s\n", bookpath,
				r2 == 0 ? "empty orderbook file" : rs_err_msg());
			ret = RS_EX_DATAERR;
			goto out;
		}
		rs_lobster_window(row, bound);
		rs_book_publish(k->b, NULL, NULL);
	}
	uint64_t redirected = 0, bad = 0;
	uint32_t seq = 0;
	for (; rc > 0; rc = rs_lobster_next_msg(&lf, &msg)) {
		struct rs_event ev[2];
		unsigned n = rs_lobster_to_events(&msg, iid, midnight, ++seq, ev);
		if (!n)
			bad++;
		for (unsigned i = 0; i < n; i++) {
			redirected += (uint64_t)rs_lobster_fixup(k->b, &ev[i]);
			apply(k, &ev[i]);
		}
		/* keep in step with the orderbook file: levels that come back into
		 * its window are taken from it (see rs_lobster.h) */
		if (row) {
			int r2 = seq == 1 ? 1 : rs_lobster_next_row(&bf, row);
			if (r2 <= 0) {
				fprintf(stderr, "ringside book: %s: %s at message %u\n", bookpath,
					r2 == 0 ? "fewer rows than messages" : rs_err_msg(), seq);
				ret = RS_EX_DATAERR;
				goto out;
			}
			rs_lobster_narrow(row, bound);
			int sr = rs_lobster_sync_row(k->b, iid, row, bound);
			if (sr < 0) {
				fprintf(stderr, "ringside book: %s\n", rs_err_msg());
				ret = RS_EX_DATAERR;
				goto out;
			}
			synced += (uint64_t)sr;
		}
		rs_book_publish(k->b, NULL, NULL);
	}
	if (rc < 0) {
		fprintf(stderr, "ringside book: %s: %s\n", path, rs_err_msg());
		ret = RS_EX_DATAERR;
	}
	fprintf(stderr,
		"lobster: %u messages, %" PRIu64 " redirected to seed levels, %" PRIu64
		" levels synchronised from the orderbook file, %" PRIu64 " invalid\n",
		seq, redirected, synced, bad);
out:
	if (row) {
		rs_lobster_close(&bf);
		free(row);
	}
	rs_lobster_close(&lf);
	return ret;
}

/* ------------------------------------------------------------ main */

static void print_stats(struct bk *k)
{
	const struct rs_book_stats *st = rs_book_stats(k->b);
	uint64_t tot[RS_BOOK_Q_COUNT] = {0};
	for (uint32_t i = 0; i < rs_book_ninst(k->b); i++)
		for (int q = 0; q < RS_BOOK_Q_COUNT; q++)
			tot[q] += rs_book_inst(k->b, i)->q[q];
	fprintf(stderr,
		"book: %" PRIu64 " records, %" PRIu64 " event boundaries, %" PRIu64 " rejected, %u instruments,"
		" %" PRIu64 " live orders (peak %" PRIu64 "), %" PRIu64 " levels (peak %" PRIu64 ")\n",
		st->events, st->boundaries, st->rejected, rs_book_ninst(k->b), st->orders_live,
		st->orders_peak, st->levels_live, st->levels_peak);
	fprintf(stderr, "quality:");
	for (int q = 0; q < RS_BOOK_Q_COUNT; q++)
		fprintf(stderr, " %s=%" PRIu64, rs_book_q_names[q], tot[q]);
	fprintf(stderr, " instrument_capacity=%" PRIu64 "\n", st->inst_capacity);
	/* per instrument, the ones with quality events (bounded) */
	unsigned shown = 0;
	for (uint32_t i = 0; i < rs_book_ninst(k->b) && shown < 20; i++) {
		const struct rs_book_inst *in = rs_book_inst(k->b, i);
		uint64_t s = 0;
		for (int q = 0; q < RS_BOOK_Q_COUNT; q++)
			s += in->q[q];
		if (!s || !selected(k, i))
			continue;
		fprintf(stderr, "  %u %s:", in->instrument_id, in->symbol);
		for (int q = 0; q < RS_BOOK_Q_COUNT; q++)
			if (in->q[q])
				fprintf(stderr, " %s=%" PRIu64, rs_book_q_names[q], in->q[q]);
		fputc('\n', stderr);
		shown++;
	}
}

static int cmd_book(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, 0, 'h'},          {"format", required_argument, 0, 'f'},
		{"depth", required_argument, 0, 'd'},   {"every-event", no_argument, 0, 'e'},
		{"symbol", required_argument, 0, 's'},  {"lobster-book", required_argument, 0, 'b'},
		{0, 0, 0, 0},
	};
	/* `ringside book SYMBOL` (live, from shared memory) when there is no
	 * --format and the first operand is not an existing file */
	bool offline = false;
	const char *operand = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "-f", 2) || !strncmp(argv[i], "--format", 8) ||
		    !strncmp(argv[i], "-b", 2) || !strncmp(argv[i], "--lobster-book", 14) ||
		    !strcmp(argv[i], "-e") || !strcmp(argv[i], "--every-event"))
			offline = true;
		else if (argv[i][0] != '-' && !operand &&
			 !(i > 1 && (!strcmp(argv[i - 1], "-d") || !strcmp(argv[i - 1], "--depth") ||
				     !strcmp(argv[i - 1], "-s") || !strcmp(argv[i - 1], "--symbol") ||
				     !strcmp(argv[i - 1], "-i") || !strcmp(argv[i - 1], "--instance"))))
			operand = argv[i];
	}
	if (!offline && operand && access(operand, F_OK) != 0)
		return rs_livebook_main(argc, argv);

	struct bk k = {.depth = 10};
	const char *format = NULL, *bookpath = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hf:d:es:b:", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h':
			usage(stdout);
			return RS_EX_OK;
		case 'f':
			format = optarg;
			break;
		case 'd': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v > 1000000) {
				fprintf(stderr, "ringside book: bad --depth '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			k.depth = (unsigned)v;
			break;
		}
		case 'e':
			k.every = true;
			break;
		case 's':
			k.symbol = optarg;
			break;
		case 'b':
			bookpath = optarg;
			break;
		default:
			usage(stderr);
			return RS_EX_USAGE;
		}
	}
	if (optind != argc - 1 || !format) {
		fprintf(stderr, "ringside book: %s\n", !format ? "--format is required" : "exactly one FILE expected");
		usage(stderr);
		return RS_EX_USAGE;
	}
	int fmt = !strcmp(format, "itch") ? 0 : !strcmp(format, "dbn") ? 1 : !strcmp(format, "lobster") ? 2 : -1;
	if (fmt < 0) {
		fprintf(stderr, "ringside book: unknown --format '%s' (itch, dbn, lobster)\n", format);
		return RS_EX_USAGE;
	}
	if (bookpath && fmt != 2) {
		fprintf(stderr, "ringside book: --lobster-book needs --format lobster\n");
		return RS_EX_USAGE;
	}
	/* pools sized by the file: live orders <= messages (ITCH add >= 38 bytes,
	 * DBN MBO 56 bytes, compressed ~10x at most; LOBSTER lines >= 20 bytes),
	 * within [64 Ki, 16 Mi] orders; the book counts capacity rejects anyway */
	struct rs_book_cfg cfg;
	rs_book_cfg_default(&cfg);
	struct stat sb;
	uint64_t est = 1u << 20;
	if (stat(argv[optind], &sb) == 0)
		est = fmt == 0 ? (uint64_t)sb.st_size / 38 : fmt == 1 ? (uint64_t)sb.st_size / 5 : (uint64_t)sb.st_size / 20;
	if (est < (1u << 16))
		est = 1u << 16;
	if (est > (16u << 20))
		est = 16u << 20;
	cfg.max_orders = (uint32_t)est;
	cfg.max_levels = (uint32_t)(est / 4 > (1u << 16) ? est / 4 : 1u << 16);
	cfg.ladder_arena = cfg.max_levels * 4u;
	cfg.depth = k.depth && k.depth < 1000 ? (uint16_t)k.depth : 50;
	if (rs_book_create(&k.b, &cfg)) {
		fprintf(stderr, "ringside book: %s\n", rs_err_msg());
		return RS_EX_UNAVAILABLE;
	}
	const char *path = argv[optind];
	int ret = fmt == 0 ? run_itch(&k, path) : fmt == 1 ? run_dbn(&k, path) : run_lobster(&k, path, bookpath);
	if (ret == RS_EX_OK || ret == RS_EX_DATAERR) {
		if (!k.every)
			for (uint32_t i = 0; i < rs_book_ninst(k.b); i++)
				if (selected(&k, i))
					print_book(&k, i);
		fflush(stdout);
		print_stats(&k);
	}
	free(k.lv);
	rs_book_destroy(k.b);
	return ret;
}

RS_CLI_COMMAND(book, cmd_book,
	       "book FILE --format itch|dbn|lobster [--depth N] [--every-event] [--symbol S] [--lobster-book F]\n"
	       "       book SYMBOL [--depth N] [-i INSTANCE] [--json]",
	       "replay a file through the MBO book (JSON books), or show a live book")
