/* rs_cmd_bars.c - `ringside bars SYMBOL [--interval 1m] [--follow] [--json]
 * [-i INSTANCE]`: the last closed bars, features, session volume profile
 * and microstructure of one instrument from a running instance's shared
 * memory (libringside only: the "latest" table and the "bars" ring).
 * --json prints the bars with dataplane/rs_bars.h, the same text as
 * `ringside analyze --out x.jsonl`. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controlplane/rs_cli.h"
#include "dataplane/rs_bars.h"
#include "ringside.h"

static volatile sig_atomic_t bars_stop;

static void bars_on_signal(int sig)
{
	(void)sig;
	bars_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringside bars SYMBOL [options]\n"
		"Last closed bar per interval (OHLCV, VWAP, aggressor volumes, features),\n"
		"session volume profile (POC, value area) and microstructure of SYMBOL from a\n"
		"running instance's shared memory.\n\n"
		"  -i, --instance NAME   instance (default demo)\n"
		"  -n, --interval I      only this interval (e.g. 1s, 1m, 5m)\n"
		"  -f, --follow          then print every new closed bar until Ctrl-C\n"
		"  -c, --count N         with --follow: stop after N bars\n"
		"  -j, --json            JSON lines (bars as `ringside analyze` writes them)\n"
		"  -h, --help            this help\n"
		"SYMBOL may also be a numeric instrument id. Exit: 0, 64 usage, 66 unknown\n"
		"instrument / no bars yet, 69 instance unavailable.\n");
}

static void dec(char *o, size_t n, int64_t px)
{
	if (px == RS_UNDEF_PRICE) {
		snprintf(o, n, "-");
		return;
	}
	uint64_t a = px < 0 ? (uint64_t)(-(px + 1)) + 1 : (uint64_t)px;
	uint64_t ip = a / 1000000000u, fp = (a % 1000000000u) / 100000u;
	snprintf(o, n, "%s%" PRIu64 ".%04" PRIu64, px < 0 ? "-" : "", ip, fp);
}

static void print_bar(const struct rs_bar *b, const char *sym, int json)
{
	char line[1024];
	if (json) {
		if (rs_bar_format(b, sym, RS_BAR_FMT_JSON, line, sizeof(line)) > 0)
			fputs(line, stdout);
		return;
	}
	char iv[16], o[32], h[32], l[32], c[32], w[32], tb[32];
	time_t t = (time_t)(b->ts_open / 1000000000ull);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M:%S", &tm);
	dec(o, sizeof(o), b->open);
	dec(h, sizeof(h), b->high);
	dec(l, sizeof(l), b->low);
	dec(c, sizeof(c), b->close);
	dec(w, sizeof(w), b->vwap);
	printf("%-5s %s  O %s H %s L %s C %s  V %" PRIu64 " VWAP %s  buy %" PRIu64 " sell %" PRIu64
	       " delta %" PRId64 " trades %u%s\n",
	       rs_bar_interval_name(b->interval_ns, iv, sizeof(iv)), tb, o, h, l, c, b->volume, w,
	       b->buy_volume, b->sell_volume, b->delta, b->trades, b->flags & RS_BARF_EMPTY ? " (empty)" : "");
	if (b->flags & RS_BARF_FEATURES)
		printf("      sma %.4f ema %.4f rsi %.2f rvol %.6f vwap_dev %.6f\n", b->sma / 1e9, b->ema / 1e9,
		       b->rsi, b->rvol, b->vwap_dev);
}

struct follow {
	uint32_t id;
	uint64_t interval;
	const char *sym;
	int json;
	uint64_t printed;
};

static void on_rec(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	struct follow *f = arg;
	struct rs_bar b[RS_BAR_UNPACK_MAX];
	/* RS_REC_BAR or a compact RS_REC_BARS_EMPTY run of empty bars */
	int n = rs_bar_unpack(type, rec, len, b, RS_BAR_UNPACK_MAX);
	for (int i = 0; i < n; i++) {
		if (b[i].instrument_id != f->id || (f->interval && b[i].interval_ns != f->interval))
			continue;
		print_bar(&b[i], f->sym, f->json);
		fflush(stdout);
		f->printed++;
	}
}

/* Slot of instrument id in an instrument-keyed table (key id + 1). */
static int find_slot(struct rs_table *t, uint32_t id, struct rs_latest *out)
{
	uint32_t n = rs_client_table_slots(t);
	for (uint32_t i = 0, slot = id % n; i < n; i++, slot = (slot + 1) % n) {
		uint64_t key = 0;
		int rc = rs_client_table_read(t, slot, &key, out, sizeof(*out));
		if (rc == -ENOENT || (rc == 0 && key == 0))
			return -ENOENT;
		if (rc == 0 && key == (uint64_t)id + 1)
			return 0;
	}
	return -ENOENT;
}

static int cmd_bars(int argc, char **argv)
{
	static const struct option lo[] = {
		{"instance", required_argument, 0, 'i'}, {"interval", required_argument, 0, 'n'},
		{"follow", no_argument, 0, 'f'},         {"count", required_argument, 0, 'c'},
		{"json", no_argument, 0, 'j'},           {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	const char *instance = "demo";
	uint64_t interval = 0, count = 0;
	int follow = 0, json = 0, opt, rc;
	while ((opt = getopt_long(argc, argv, "i:n:fc:jh", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'n':
			interval = rs_bar_parse_interval(optarg);
			if (!interval) {
				fprintf(stderr, "ringside bars: bad interval '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'f': follow = 1; break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	const char *name = argv[optind];
	struct rs_client *c;
	if ((rc = rs_client_open(&c, instance, NULL))) {
		fprintf(stderr, "ringside bars: %s\n", rs_errmsg());
		return RS_EX_UNAVAILABLE;
	}
	int ex = RS_EX_OK;
	struct rs_instrument ins;
	char *end;
	unsigned long num = strtoul(name, &end, 10);
	if (rs_client_lookup(c, name, &ins)) {
		if (*end || end == name) {
			fprintf(stderr, "ringside bars: %s: %s\n", name, rs_errmsg());
			ex = RS_EX_NOINPUT;
			goto out;
		}
		memset(&ins, 0, sizeof(ins));
		ins.instrument_id = (uint32_t)num;
		snprintf(ins.symbol, sizeof(ins.symbol), "%s", name);
	}
	struct rs_table *t;
	struct rs_sub *sub = NULL;
	if (follow && rs_client_sub_open(c, RS_SEGNAME_BARS, RS_START_NEWEST, &sub)) {
		fprintf(stderr, "ringside bars: %s\n", rs_errmsg());
		ex = RS_EX_UNAVAILABLE;
		goto out;
	}
	if (rs_client_table_open(c, RS_SEGNAME_LATEST, &t)) {
		fprintf(stderr, "ringside bars: %s\n", rs_errmsg());
		ex = RS_EX_UNAVAILABLE;
		goto out;
	}
	static struct rs_latest l;
	if (find_slot(t, ins.instrument_id, &l)) {
		if (!follow) {
			fprintf(stderr, "ringside bars: %s: no bars yet\n", name);
			ex = RS_EX_NOINPUT;
			goto out;
		}
	} else {
		char poc[32], vah[32], val[32], mid[32], spr[32];
		dec(poc, sizeof(poc), l.session_poc);
		dec(vah, sizeof(vah), l.session_vah);
		dec(val, sizeof(val), l.session_val);
		dec(mid, sizeof(mid), l.mid);
		dec(spr, sizeof(spr), l.spread);
		if (json)
			printf("{\"symbol\":\"%s\",\"instrument_id\":%u,\"ts_updated\":%" PRIu64
			       ",\"session_volume\":%" PRIu64 ",\"poc\":%" PRId64 ",\"vah\":%" PRId64
			       ",\"val\":%" PRId64 ",\"spread\":%" PRId64 ",\"mid\":%" PRId64
			       ",\"short_vol\":%.17g}\n",
			       ins.symbol, ins.instrument_id, l.ts_updated, l.session_volume, l.session_poc,
			       l.session_vah, l.session_val, l.spread, l.mid, l.short_vol);
		else
			printf("%s (%u): session volume %" PRIu64 ", POC %s, value area %s - %s; mid %s, "
			       "spread %s, short vol %.3g\n",
			       ins.symbol, ins.instrument_id, l.session_volume, poc, val, vah, mid, spr,
			       l.short_vol);
		for (uint32_t k = 0; k < l.nintervals && k < RS_BAR_MAX_INTERVALS; k++) {
			const struct rs_bar *b = &l.bars[k];
			if (!b->interval_ns || (interval && b->interval_ns != interval))
				continue;
			print_bar(b, ins.symbol, json);
		}
	}
	fflush(stdout);
	if (follow) {
		struct sigaction sa = {.sa_handler = bars_on_signal};
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		struct follow f = {ins.instrument_id, interval, ins.symbol, json, 0};
		while (!bars_stop && (!count || f.printed < count)) {
			rc = rs_client_sub_poll(sub, on_rec, &f, count ? (int)1 : 0);
			if (rc == -EOVERFLOW) {
				fprintf(stderr, "ringside bars: %s\n", rs_errmsg());
				continue;
			}
			if (rc == 0) {
				if ((rc = rs_client_check(c)) != 0) {
					fprintf(stderr, "ringside bars: %s\n", rs_errmsg());
					ex = rc == -ESHUTDOWN ? RS_EX_OK : RS_EX_UNAVAILABLE;
					break;
				}
				nanosleep(&(struct timespec){0, 10000000}, NULL);
			}
		}
	}
out:
	rs_client_close(c);
	return ex;
}

RS_CLI_COMMAND(bars, cmd_bars, "bars SYMBOL [--interval 1m] [--follow] [--json] [-i NAME]",
	       "last bars, features, volume profile of an instrument (shared memory)")
