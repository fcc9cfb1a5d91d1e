/*
 * rs_cmd_dbn.c - `ringside dbn info|cat|convert`: inspect and convert DBN files.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_cli.h"
#include "controlplane/rs_dbnfile.h"
#include "shm/rs_err.h"

static void dbn_usage(FILE *o)
{
	fprintf(o,
		"usage: ringside dbn info FILE\n"
		"       ringside dbn cat FILE [--limit N] [--json]\n"
		"       ringside dbn convert IN OUT [--zstd] [--version 3]\n\n"
		"  info     metadata (version, dataset, schema, range, symbology, symbols,\n"
		"           mappings) and record counts by rtype\n"
		"  cat      one record per line (older versions shown upgraded to v3);\n"
		"           prices are integers in 1e-9 units, times ns since the epoch\n"
		"  convert  rewrite IN as DBN --version (3, or IN's own version: then the\n"
		"           output is byte-identical for an uncompressed IN), --zstd to compress\n"
		"FILE/IN may be plain or zstd-compressed; '-' is stdin/stdout.\n");
}

static int fail(const char *what)
{
	fprintf(stderr, "ringside dbn %s: %s\n", what, rs_err_msg());
	int e = rs_err_code();
	return e == -ENOENT || e == -EACCES ? RS_EX_NOINPUT
	       : e == -EIO || e == -ENOSPC ? RS_EX_IOERR
					   : RS_EX_DATAERR;
}

static void cstr(char *out, size_t outlen, const char *s, size_t n)
{
	size_t k = strnlen(s, n);
	if (k >= outlen)
		k = outlen - 1;
	for (size_t i = 0; i < k; i++)
		out[i] = (s[i] >= 32 && s[i] < 127 && s[i] != '"' && s[i] != '\\') ? s[i] : '?';
	out[k] = '\0';
}

static int cmd_info(const char *path)
{
	struct rs_dbnfile *f;
	char s[80];
	int err = rs_dbnfile_open(&f, path, 0);
	if (err)
		return fail("info");
	const struct rs_dbn_meta *m = rs_dbnfile_meta(f);
	printf("file:        %s (%s)\n", path, rs_dbnfile_is_zstd(f) ? "zstd" : "plain");
	printf("version:     %u\n", m->version);
	printf("dataset:     %s\n", m->dataset);
	printf("schema:      %s (%u)\n", rs_dbn_schema_name(m->schema), m->schema);
	printf("start:       %" PRIu64 "\n", m->start);
	printf("end:         %" PRIu64 "%s\n", m->end, m->end == RS_UNDEF_TS ? " (none)" : "");
	printf("limit:       %" PRIu64 "\n", m->limit);
	printf("stype_in:    %s\n", rs_dbn_stype_name(m->stype_in));
	printf("stype_out:   %s\n", rs_dbn_stype_name(m->stype_out));
	printf("ts_out:      %u\n", m->ts_out);
	printf("symbol_cstr_len: %u\n", m->symbol_cstr_len);
	const char *names[3] = {"symbols", "partial", "not_found"};
	const uint8_t *lists[3] = {m->symbols, m->partial, m->not_found};
	uint32_t counts[3] = {m->nsymbols, m->npartial, m->nnot_found};
	for (int l = 0; l < 3; l++) {
		printf("%-12s %u", names[l], counts[l]);
		for (uint32_t i = 0; i < counts[l] && i < 20; i++) {
			rs_dbn_meta_symbol(m, lists[l], i, s, sizeof(s));
			printf("%s%s", i ? "," : " ", s);
		}
		printf("%s\n", counts[l] > 20 ? ",..." : "");
	}
	printf("mappings:    %u (%" PRIu64 " intervals)\n", m->nmappings, m->nintervals);
	size_t cur = 0;
	struct rs_dbn_mapping mp;
	for (uint32_t i = 0; i < 20 && rs_dbn_meta_mapping_next(m, &cur, &mp); i++) {
		cstr(s, sizeof(s), (const char *)mp.raw_symbol, m->symbol_cstr_len);
		printf("  %s:", s);
		for (uint32_t k = 0; k < mp.nintervals && k < 4; k++) {
			uint32_t a, b;
			rs_dbn_mapping_interval(m, &mp, k, &a, &b, s, sizeof(s));
			printf(" [%u,%u) %s", a, b, s);
		}
		printf("%s\n", mp.nintervals > 4 ? " ..." : "");
	}
	uint64_t by_rtype[256] = {0}, n = 0;
	const struct rs_rec_hdr *rec;
	while ((err = rs_dbnfile_next(f, &rec)) > 0) {
		by_rtype[rec->rtype]++;
		n++;
	}
	printf("records:     %" PRIu64 "\n", n);
	for (int r = 0; r < 256; r++)
		if (by_rtype[r])
			printf("  %-14s (0x%02x) %" PRIu64 "\n", rs_dbn_rtype_name((uint8_t)r), r, by_rtype[r]);
	const struct rs_dbn_counters *c = rs_dbnfile_counters(f);
	if (c->reject[RS_DBN_REJ_UNKNOWN_RTYPE] || c->reject[RS_DBN_REJ_SHORT_RECORD])
		printf("skipped:     %" PRIu64 " unknown rtype, %" PRIu64 " too short\n",
		       c->reject[RS_DBN_REJ_UNKNOWN_RTYPE], c->reject[RS_DBN_REJ_SHORT_RECORD]);
	int ret = err < 0 ? fail("info") : RS_EX_OK;
	rs_dbnfile_close(f);
	return ret;
}

#define PX(v) ((v) == RS_UNDEF_PRICE ? (int64_t)0 : (v))

static void print_rec(const struct rs_rec_hdr *h, bool json)
{
	char a[320], b[80];
	const char *q = json ? "\"" : "";
	if (json)
		printf("{\"rtype\":\"%s\",\"ts_event\":%" PRIu64 ",\"publisher_id\":%u,\"instrument_id\":%u",
		       rs_dbn_rtype_name(h->rtype), h->ts_event, h->publisher_id, h->instrument_id);
	else
		printf("%s ts_event=%" PRIu64 " pub=%u iid=%u", rs_dbn_rtype_name(h->rtype), h->ts_event,
		       h->publisher_id, h->instrument_id);
	const char *sep = json ? ",\"" : " ";
	const char *eq = json ? "\":" : "=";
#define F(name, fmt, val) printf("%s%s%s" fmt, sep, name, eq, val)
#define FS(name, val) printf("%s%s%s%s%s%s", sep, name, eq, q, val, q)
#define FC(name, ch) (b[0] = (ch) >= 32 && (ch) < 127 && (ch) != '"' && (ch) != '\\' ? (ch) : '?', b[1] = 0, FS(name, b))
	switch (h->rtype) {
	case RS_RTYPE_MBO: {
		const struct rs_mbo *m = (const void *)h;
		F("order_id", "%" PRIu64, m->order_id);
		F("price", "%" PRId64, m->price);
		F("size", "%u", m->size);
		FC("action", m->action);
		FC("side", m->side);
		F("flags", "%u", m->flags);
		F("channel_id", "%u", m->channel_id);
		F("ts_recv", "%" PRIu64, m->ts_recv);
		F("ts_in_delta", "%d", m->ts_in_delta);
		F("sequence", "%u", m->sequence);
		break;
	}
	case RS_RTYPE_MBP0:
	case RS_RTYPE_MBP1:
	case RS_RTYPE_MBP10: {
		const struct rs_dbn_trade *t = (const void *)h;
		F("price", "%" PRId64, t->price);
		F("size", "%u", t->size);
		FC("action", t->action);
		FC("side", t->side);
		F("flags", "%u", t->flags);
		F("depth", "%u", t->depth);
		F("ts_recv", "%" PRIu64, t->ts_recv);
		F("ts_in_delta", "%d", t->ts_in_delta);
		F("sequence", "%u", t->sequence);
		if (h->rtype != RS_RTYPE_MBP0) {
			const struct rs_dbn_bidask *l = ((const struct rs_dbn_mbp1 *)(const void *)h)->levels;
			F("bid_px_00", "%" PRId64, l->bid_px);
			F("ask_px_00", "%" PRId64, l->ask_px);
			F("bid_sz_00", "%u", l->bid_sz);
			F("ask_sz_00", "%u", l->ask_sz);
			F("bid_ct_00", "%u", l->bid_ct);
			F("ask_ct_00", "%u", l->ask_ct);
		}
		break;
	}
	case RS_RTYPE_BBO_1S:
	case RS_RTYPE_BBO_1M: {
		const struct rs_dbn_bbo *t = (const void *)h;
		F("price", "%" PRId64, t->price);
		F("size", "%u", t->size);
		FC("side", t->side);
		F("ts_recv", "%" PRIu64, t->ts_recv);
		F("sequence", "%u", t->sequence);
		F("bid_px_00", "%" PRId64, t->levels[0].bid_px);
		F("ask_px_00", "%" PRId64, t->levels[0].ask_px);
		break;
	}
	case RS_RTYPE_CMBP1:
	case RS_RTYPE_TCBBO:
	case RS_RTYPE_CBBO_1S:
	case RS_RTYPE_CBBO_1M: {
		const struct rs_dbn_cbbo *t = (const void *)h;
		F("price", "%" PRId64, t->price);
		F("size", "%u", t->size);
		FC("side", t->side);
		F("ts_recv", "%" PRIu64, t->ts_recv);
		F("bid_px_00", "%" PRId64, t->levels[0].bid_px);
		F("ask_px_00", "%" PRId64, t->levels[0].ask_px);
		break;
	}
	case RS_RTYPE_OHLCV_DEPRECATED:
	case RS_RTYPE_OHLCV_1S:
	case RS_RTYPE_OHLCV_1M:
	case RS_RTYPE_OHLCV_1H:
	case RS_RTYPE_OHLCV_1D:
	case RS_RTYPE_OHLCV_EOD: {
		const struct rs_dbn_ohlcv *o = (const void *)h;
		F("open", "%" PRId64, o->open);
		F("high", "%" PRId64, o->high);
		F("low", "%" PRId64, o->low);
		F("close", "%" PRId64, o->close);
		F("volume", "%" PRIu64, o->volume);
		break;
	}
	case RS_RTYPE_STATUS: {
		const struct rs_dbn_status *s = (const void *)h;
		F("ts_recv", "%" PRIu64, s->ts_recv);
		F("action", "%u", s->action);
		F("reason", "%u", s->reason);
		F("trading_event", "%u", s->trading_event);
		FC("is_trading", s->is_trading);
		break;
	}
	case RS_RTYPE_DEFINITION: {
		const struct rs_dbn_def *d = (const void *)h;
		cstr(a, sizeof(a), d->raw_symbol, sizeof(d->raw_symbol));
		FS("raw_symbol", a);
		FC("instrument_class", d->instrument_class);
		F("ts_recv", "%" PRIu64, d->ts_recv);
		F("min_price_increment", "%" PRId64, d->min_price_increment);
		F("display_factor", "%" PRId64, d->display_factor);
		F("min_lot_size_round_lot", "%d", d->min_lot_size_round_lot);
		F("expiration", "%" PRIu64, d->expiration);
		F("strike_price", "%" PRId64, d->strike_price);
		F("underlying_id", "%u", d->underlying_id);
		cstr(a, sizeof(a), d->exchange, sizeof(d->exchange));
		FS("exchange", a);
		cstr(a, sizeof(a), d->asset, sizeof(d->asset));
		FS("asset", a);
		FC("security_update_action", d->security_update_action);
		break;
	}
	case RS_RTYPE_IMBALANCE: {
		const struct rs_dbn_imbalance *im = (const void *)h;
		F("ts_recv", "%" PRIu64, im->ts_recv);
		F("ref_price", "%" PRId64, PX(im->ref_price));
		F("paired_qty", "%u", im->paired_qty);
		F("total_imbalance_qty", "%u", im->total_imbalance_qty);
		FC("side", im->side);
		break;
	}
	case RS_RTYPE_ERROR: {
		const struct rs_dbn_error *e = (const void *)h;
		cstr(a, sizeof(a), e->err, sizeof(e->err));
		FS("err", a);
		F("code", "%u", e->code);
		break;
	}
	case RS_RTYPE_SYMMAP: {
		const struct rs_dbn_symmap *s = (const void *)h;
		cstr(a, sizeof(a), s->stype_in_symbol, sizeof(s->stype_in_symbol));
		FS("stype_in_symbol", a);
		cstr(a, sizeof(a), s->stype_out_symbol, sizeof(s->stype_out_symbol));
		FS("stype_out_symbol", a);
		F("start_ts", "%" PRIu64, s->start_ts);
		F("end_ts", "%" PRIu64, s->end_ts);
		break;
	}
	case RS_RTYPE_SYSTEM: {
		const struct rs_dbn_system *s = (const void *)h;
		cstr(a, sizeof(a), s->msg, sizeof(s->msg));
		FS("msg", a);
		F("code", "%u", s->code);
		break;
	}
	case RS_RTYPE_STATISTICS: {
		const struct rs_dbn_stat *s = (const void *)h;
		F("ts_recv", "%" PRIu64, s->ts_recv);
		F("stat_type", "%u", s->stat_type);
		F("price", "%" PRId64, s->price);
		F("quantity", "%" PRId64, s->quantity);
		F("sequence", "%u", s->sequence);
		break;
	}
	default:
		break;
	}
#undef F
#undef FS
#undef FC
	printf(json ? "}\n" : "\n");
}

static int cmd_cat(const char *path, uint64_t limit, bool json)
{
	struct rs_dbnfile *f;
	const struct rs_rec_hdr *rec;
	uint64_t n = 0;
	int err = rs_dbnfile_open(&f, path, RS_DBNFILE_UPGRADE);
	if (err)
		return fail("cat");
	while ((!limit || n < limit) && (err = rs_dbnfile_next(f, &rec)) > 0) {
		print_rec(rec, json);
		n++;
	}
	int ret = err < 0 ? fail("cat") : RS_EX_OK;
	rs_dbnfile_close(f);
	return ret;
}

static int cmd_convert(const char *in, const char *out, bool zstd, unsigned version)
{
	struct rs_dbnfile *f;
	struct rs_dbnfile_writer *w = NULL;
	const struct rs_rec_hdr *rec;
	int err = rs_dbnfile_open(&f, in, 0), ret = RS_EX_OK;
	if (err)
		return fail("convert");
	const struct rs_dbn_meta *m = rs_dbnfile_meta(f);
	if (version != m->version && version != 3) {
		fprintf(stderr, "ringside dbn convert: %s is DBN v%u; it can be written as v%u or v3, not v%u\n",
			in, m->version, m->version, version);
		ret = RS_EX_USAGE;
		goto out;
	}
	rs_dbnfile_set_upgrade(f, version != m->version);
	err = rs_dbnfile_writer_open(&w, out, m, (uint8_t)version, zstd, 0);
	if (err) {
		ret = fail("convert");
		goto out;
	}
	while ((err = rs_dbnfile_next(f, &rec)) > 0)
		if ((err = rs_dbnfile_write(w, rec)) < 0)
			break;
	if (err < 0)
		ret = fail("convert");
	err = rs_dbnfile_writer_close(w);
	if (err && ret == RS_EX_OK)
		ret = fail("convert");
out:
	rs_dbnfile_close(f);
	return ret;
}

static int cmd_dbn(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, 0, 'h'},       {"limit", required_argument, 0, 'n'},
		{"json", no_argument, 0, 'j'},       {"zstd", no_argument, 0, 'z'},
		{"version", required_argument, 0, 'v'}, {0, 0, 0, 0},
	};
	uint64_t limit = 0;
	bool json = false, zstd = false;
	unsigned version = 3;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		dbn_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? RS_EX_USAGE : RS_EX_OK;
	}
	const char *sub = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "hn:jzv:", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h':
			dbn_usage(stdout);
			return RS_EX_OK;
		case 'n':
			limit = strtoull(optarg, &end, 10);
			if (*end || !*optarg) {
				fprintf(stderr, "ringside dbn: bad --limit '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'z':
			zstd = true;
			break;
		case 'v':
			version = (unsigned)strtoul(optarg, &end, 10);
			if (*end || version < 1 || version > 3) {
				fprintf(stderr, "ringside dbn: bad --version '%s' (1-3)\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		default:
			dbn_usage(stderr);
			return RS_EX_USAGE;
		}
	}
	char **args = argv + 1 + optind;
	int nargs = argc - 1 - optind;
	if (!strcmp(sub, "info") && nargs == 1)
		return cmd_info(args[0]);
	if (!strcmp(sub, "cat") && nargs == 1)
		return cmd_cat(args[0], limit, json);
	if (!strcmp(sub, "convert") && nargs == 2)
		return cmd_convert(args[0], args[1], zstd, version);
	dbn_usage(stderr);
	return RS_EX_USAGE;
}

RS_CLI_COMMAND(dbn, cmd_dbn, "dbn info|cat|convert FILE... [options]",
	       "inspect DBN files (v1-v3, plain or zstd) and convert them")
