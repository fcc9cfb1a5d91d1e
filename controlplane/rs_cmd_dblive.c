/*
 * rs_cmd_dblive.c - `ringside dblive`: connect to a Databento live gateway,
 * print records (or write them to a DBN file) and the session's events.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_cli.h"
#include "controlplane/rs_dbnfile.h"
#include "controlplane/rs_dblive.h"
#include "dataplane/rs_dbn.h"

struct dbl_out {
	struct rs_dblive *c;
	const char *path;                /* --out, NULL = print */
	struct rs_dbnfile_writer *w;
	uint8_t version;
	uint64_t limit, n;
	bool quiet;
	int io_err;
	struct rs_dbn_counters cnt;
	_Alignas(8) uint8_t up[RS_DBN_UPGRADE_BUF_LEN];
};

static struct rs_dblive *volatile dbl_sig_client; /* for the signal handler */

static void dbl_on_signal(int sig)
{
	(void)sig;
	if (dbl_sig_client)
		rs_dblive_stop(dbl_sig_client); /* an atomic store: async-signal-safe */
}

static void dbl_price(char *buf, size_t n, int64_t px)
{
	if (px == RS_UNDEF_PRICE) {
		snprintf(buf, n, "-");
		return;
	}
	uint64_t a = px < 0 ? (uint64_t)0 - (uint64_t)px : (uint64_t)px;
	snprintf(buf, n, "%s%" PRIu64 ".%09" PRIu64, px < 0 ? "-" : "", a / 1000000000u,
		 a % 1000000000u);
}

static void dbl_print(struct dbl_out *o, const struct rs_rec_hdr *rec)
{
	const struct rs_rec_hdr *r = rs_dbn_upgrade(rec, o->version, false, o->up, &o->cnt);
	char px[40];

	switch (r->rtype) {
	case RS_RTYPE_MBO: {
		const struct rs_mbo *m = (const void *)r;
		dbl_price(px, sizeof(px), m->price);
		printf("mbo ts_event=%" PRIu64 " iid=%u action=%c side=%c price=%s size=%u "
		       "order_id=%" PRIu64 " flags=0x%02x seq=%u ts_recv=%" PRIu64 "\n",
		       m->hd.ts_event, m->hd.instrument_id, isprint((unsigned char)m->action) ? m->action : '?',
		       isprint((unsigned char)m->side) ? m->side : '?', px, m->size, m->order_id,
		       m->flags, m->sequence, m->ts_recv);
		break;
	}
	case RS_RTYPE_MBP0:
	case RS_RTYPE_MBP1:
	case RS_RTYPE_MBP10: {
		const struct rs_dbn_trade *t = (const void *)r;
		dbl_price(px, sizeof(px), t->price);
		printf("%s ts_event=%" PRIu64 " iid=%u action=%c side=%c price=%s size=%u seq=%u\n",
		       rs_dbn_rtype_name(r->rtype), t->hd.ts_event, t->hd.instrument_id,
		       isprint((unsigned char)t->action) ? t->action : '?',
		       isprint((unsigned char)t->side) ? t->side : '?', px, t->size, t->sequence);
		break;
	}
	case RS_RTYPE_SYMMAP: {
		const struct rs_dbn_symmap *s = (const void *)r;
		printf("symbol_mapping iid=%u %.*s -> %.*s\n", s->hd.instrument_id,
		       (int)strnlen(s->stype_in_symbol, sizeof(s->stype_in_symbol)), s->stype_in_symbol,
		       (int)strnlen(s->stype_out_symbol, sizeof(s->stype_out_symbol)),
		       s->stype_out_symbol);
		break;
	}
	default:
		printf("%s ts_event=%" PRIu64 " iid=%u length=%u\n", rs_dbn_rtype_name(r->rtype),
		       r->ts_event, r->instrument_id, r->length * 4u);
		break;
	}
}

static int dbl_on_record(void *arg, const struct rs_rec_hdr *rec, size_t len)
{
	struct dbl_out *o = arg;
	(void)len;
	if (o->w) {
		int err = rs_dbnfile_write(o->w, rec);
		if (err && err != -EINVAL) { /* -EINVAL: a record the writer cannot hold, skip */
			o->io_err = err;
			return err;
		}
	} else if (!o->quiet) {
		dbl_print(o, rec);
	}
	if (o->limit && ++o->n >= o->limit)
		rs_dblive_stop(o->c);
	return 0;
}

static void dbl_on_metadata(void *arg, const uint8_t *meta, size_t len, uint8_t version)
{
	struct dbl_out *o = arg;
	struct rs_dbn_meta m;
	const char *why = "";

	o->version = version;
	if (rs_dbn_meta_decode(meta, len, &m, &why) < 0) {
		fprintf(stderr, "ringside dblive: session metadata: %s\n", why);
		return;
	}
	fprintf(stderr, "ringside dblive: DBN v%u dataset %s schema %s\n", version, m.dataset,
		rs_dbn_schema_name(m.schema));
	if (o->path && !o->w) { /* the first session's metadata heads the file */
		size_t pl = strlen(o->path);
		bool zst = pl > 4 && !strcmp(o->path + pl - 4, ".zst");
		int err = rs_dbnfile_writer_open(&o->w, o->path, &m, version, zst, 0);
		if (err) {
			fprintf(stderr, "ringside dblive: %s: %s\n", o->path, strerror(-err));
			o->io_err = err;
			rs_dblive_stop(o->c);
		}
	}
}

static void dbl_on_event(void *arg, enum rs_dblive_event ev, const char *detail)
{
	(void)arg;
	/* the client logs the other events itself (channel rs.dblive) */
	if (ev == RS_DBLIVE_EV_CONNECTED)
		fprintf(stderr, "ringside dblive: %s%s%s\n", rs_dblive_event_name(ev),
			detail && *detail ? " " : "", detail ? detail : "");
}

static void dbl_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside dblive --dataset D --schema S --symbols A,B [options]\n\n"
		"Connect to a Databento live (Raw API) gateway, authenticate, subscribe and\n"
		"print the records (or write them to a DBN file). Disconnects are retried\n"
		"with backoff and a circuit breaker; after a reconnect the session replays\n"
		"from the last ts_event and duplicates are dropped.\n\n"
		"  --gateway HOST:PORT  gateway (default <dataset>.lsg.databento.com:13000,\n"
		"                       dots as dashes, e.g. glbx-mdp3.lsg.databento.com)\n"
		"  --dataset D          e.g. GLBX.MDP3, XNAS.ITCH\n"
		"  --schema S           e.g. mbo, mbp-1, trades, definition\n"
		"  --symbols A,B        comma-separated, or ALL_SYMBOLS\n"
		"  --stype T            stype_in (default raw_symbol; e.g. parent, continuous)\n"
		"  --start ISO|NS       intraday replay from this time (UTC) or ns since epoch\n"
		"  --key-file F         API key file (owned by you, mode 0600 or 0400);\n"
		"                       default: the DATABENTO_API_KEY environment variable\n"
		"  --key-env VAR        read the key from $VAR instead\n"
		"  --heartbeat S        heartbeat interval requested from the gateway (s)\n"
		"  --out FILE.dbn       write a DBN file (.zst suffix: zstd) instead of printing\n"
		"  --limit N            stop after N records\n"
		"  --duration S         stop after S seconds\n"
		"  --quiet              do not print records\n"
		"  --verbose            debug log lines\n"
		"Exit status: 0, 64 usage, 69 gateway unavailable, 74 I/O, 78 key/config.\n");
}

static int cmd_dblive(int argc, char **argv)
{
	static const struct option opts[] = {
		{"gateway", required_argument, 0, 'g'}, {"dataset", required_argument, 0, 'd'},
		{"schema", required_argument, 0, 's'},  {"symbols", required_argument, 0, 'y'},
		{"stype", required_argument, 0, 't'},   {"start", required_argument, 0, 'S'},
		{"key-file", required_argument, 0, 'k'}, {"key-env", required_argument, 0, 'K'},
		{"heartbeat", required_argument, 0, 'H'}, {"out", required_argument, 0, 'o'},
		{"limit", required_argument, 0, 'n'},   {"duration", required_argument, 0, 'D'},
		{"quiet", no_argument, 0, 'q'},         {"verbose", no_argument, 0, 'v'},
		{"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
	struct rs_dblive_cfg cfg = {0};
	struct dbl_out o = {0};
	char gwbuf[128], err[512];
	int opt, rc;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'g': cfg.gateway = optarg; break;
		case 'd': cfg.dataset = optarg; break;
		case 's': cfg.schema = optarg; break;
		case 'y': cfg.symbols = optarg; break;
		case 't': cfg.stype_in = optarg; break;
		case 'S':
			if (rs_dblive_parse_time(optarg, &cfg.start_ns) < 0) {
				fprintf(stderr, "ringside dblive: --start '%s' is not ISO 8601 or ns\n",
					optarg);
				return RS_EX_USAGE;
			}
			cfg.has_start = true;
			break;
		case 'k': cfg.key_file = optarg; break;
		case 'K': cfg.key_env = optarg; break;
		case 'H':
			cfg.heartbeat_interval_s = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				fprintf(stderr, "ringside dblive: bad --heartbeat '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'o': o.path = optarg; break;
		case 'n':
			o.limit = strtoull(optarg, &end, 10);
			if (*end || !*optarg) {
				fprintf(stderr, "ringside dblive: bad --limit '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'D': {
			double d = strtod(optarg, &end);
			if (*end || d <= 0 || d > 4e6) {
				fprintf(stderr, "ringside dblive: bad --duration '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			cfg.max_run_ms = (uint32_t)(d * 1000.0);
			break;
		}
		case 'q': o.quiet = true; break;
		case 'v': cfg.log_level = RS_DBLIVE_LOG_DEBUG; break;
		case 'h': dbl_usage(stdout); return RS_EX_OK;
		default: dbl_usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc || !cfg.dataset || !cfg.schema || !cfg.symbols) {
		fprintf(stderr, "ringside dblive: --dataset, --schema and --symbols are required\n");
		dbl_usage(stderr);
		return RS_EX_USAGE;
	}
	if (!cfg.gateway) {
		size_t j = 0;
		for (const char *p = cfg.dataset; *p && j + 1 < 64; p++)
			gwbuf[j++] = *p == '.' ? '-' : (char)tolower((unsigned char)*p);
		snprintf(gwbuf + j, sizeof(gwbuf) - j, ".lsg.databento.com:13000");
		cfg.gateway = gwbuf;
	}

	struct rs_dblive_handler h = {.on_metadata = dbl_on_metadata, .on_record = dbl_on_record,
				      .on_event = dbl_on_event, .arg = &o};
	rc = rs_dblive_create(&o.c, &cfg, &h, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ringside dblive: %s\n", err);
		return rc == -EINVAL && !strstr(err, "key") ? RS_EX_USAGE : RS_EX_CONFIG;
	}
	dbl_sig_client = o.c;
	struct sigaction sa = {.sa_handler = dbl_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = rs_dblive_run(o.c);
	dbl_sig_client = NULL;

	struct rs_dblive_stats st;
	rs_dblive_stats(o.c, &st);
	fprintf(stderr,
		"ringside dblive: %" PRIu64 " records (%" PRIu64 " bytes), %" PRIu64
		" sessions, %" PRIu64 " reconnects, %" PRIu64 " duplicates dropped, %" PRIu64
		" heartbeats, %" PRIu64 " heartbeat timeouts, %" PRIu64 " connection failures\n",
		st.records_total, st.record_bytes_total, st.sessions_total, st.reconnects_total,
		st.duplicates_dropped_total, st.heartbeats_total, st.heartbeat_timeouts_total,
		st.connection_failed_total);
	int ex = RS_EX_OK;
	if (rc == -EACCES) {
		fprintf(stderr, "ringside dblive: %s\n", rs_dblive_errmsg(o.c));
		ex = RS_EX_CONFIG;
	} else if (rc < 0 || o.io_err) {
		fprintf(stderr, "ringside dblive: %s\n",
			o.io_err ? strerror(-o.io_err) : rs_dblive_errmsg(o.c));
		ex = o.io_err ? RS_EX_IOERR : RS_EX_SOFTWARE;
	} else if (st.sessions_total == 0 && st.connection_failed_total > 0) {
		fprintf(stderr, "ringside dblive: no session: %s\n", rs_dblive_errmsg(o.c));
		ex = RS_EX_UNAVAILABLE;
	}
	if (o.w) {
		int err2 = rs_dbnfile_writer_close(o.w);
		if (err2 && ex == RS_EX_OK) {
			fprintf(stderr, "ringside dblive: %s: %s\n", o.path, strerror(-err2));
			ex = RS_EX_IOERR;
		}
	}
	rs_dblive_destroy(o.c);
	return ex;
}

RS_CLI_COMMAND(dblive, cmd_dblive,
	       "dblive --dataset D --schema S --symbols A,B [--gateway H:P] [--start T] [--out F]",
	       "Databento live (Raw API) session: print or record records")
