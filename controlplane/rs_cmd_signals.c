/* rs_cmd_signals.c - `ringside signals [--follow] [--json] [-i INSTANCE]`:
 * IFD signals and pattern events of a running instance, read from its
 * "signals" broadcast ring through libringside (nothing private). Without
 * --follow, prints the records still in the ring and exits. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ringside.h"
#include "rs_cli.h"

static volatile sig_atomic_t stop;

static void on_int(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside signals [-i|--instance NAME] [--follow] [--json] [--patterns-only|--signals-only]\n\n"
		   "IFD signals (institutional-flow: instrument, window, direction, strength,\n"
		   "confidence, z-scores, volumes) and pattern events (sweep, iceberg, layering)\n"
		   "from the instance's shared-memory ring. --follow keeps reading (Ctrl-C stops).\n"
		   "Instance default: demo.\n");
}

static const char *strength(uint8_t s)
{
	static const char *n[] = {"MODERATE", "HIGH", "VERY_HIGH", "EXTREME"};
	return s < 4 ? n[s] : "?";
}

static const char *pkind(uint8_t k)
{
	static const char *n[] = {"?", "sweep", "iceberg", "layering"};
	return k < 4 ? n[k] : "?";
}

static void hms(uint64_t ts, char *buf, size_t len)
{
	time_t t = (time_t)(ts / 1000000000ull);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ts / 1000000 % 1000));
}

struct ctx {
	struct rs_client *c;
	int json, want; /* want: 1 signals, 2 patterns, 3 both */
	unsigned long n;
};

static void sym(struct ctx *x, uint32_t id, char *out, size_t len)
{
	struct rs_instrument ins;
	if (!rs_client_instrument(x->c, id, &ins) && ins.symbol[0])
		snprintf(out, len, "%.*s", RS_SYMBOL_LEN, ins.symbol);
	else
		snprintf(out, len, "#%u", id);
}

static void on_rec(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	struct ctx *x = arg;
	char s[32], t0[32], t1[32];
	if (type == RS_REC_SIGNAL && (x->want & 1) && len >= sizeof(struct rs_signal)) {
		const struct rs_signal *g = rec;
		sym(x, g->instrument_id, s, sizeof(s));
		hms(g->ts_start, t0, sizeof(t0));
		hms(g->ts_end, t1, sizeof(t1));
		double pr = isinf(g->pressure_ratio) ? -1 : g->pressure_ratio;
		if (x->json)
			printf("{\"type\":\"signal\",\"instrument_id\":%u,\"symbol\":\"%s\",\"window_ns\":%llu,"
			       "\"ts_start\":%llu,\"ts_end\":%llu,\"direction\":\"%s\",\"strength\":\"%s\","
			       "\"confidence\":%.6f,\"z_vi\":%.4f,\"zr_vi\":%.4f,\"z_ofi\":%.4f,\"vi\":%.4f,"
			       "\"ofi\":%lld,\"pressure_ratio\":%.4f,\"buy_volume\":%llu,\"sell_volume\":%llu,"
			       "\"large_buy_trades\":%u,\"large_sell_trades\":%u,\"baseline_samples\":%u,"
			       "\"flags\":%u,\"ts_emitted\":%llu}\n",
			       g->instrument_id, s, (unsigned long long)g->window_ns,
			       (unsigned long long)g->ts_start, (unsigned long long)g->ts_end,
			       g->direction == RS_SIDE_BID ? "buy" : "sell", strength(g->strength), g->confidence,
			       g->z_vi, g->zr_vi, g->z_ofi, g->vi, (long long)g->ofi, pr,
			       (unsigned long long)g->buy_volume, (unsigned long long)g->sell_volume,
			       g->large_buy_trades, g->large_sell_trades, g->baseline_samples, g->flags,
			       (unsigned long long)g->ts_emitted);
		else
			printf("SIGNAL  %-8s %4llus %s..%s %-4s %-9s conf %.3f z %.2f zr %.2f zofi %.2f "
			       "vi %+.3f buy %llu sell %llu n=%u%s%s%s\n",
			       s, (unsigned long long)(g->window_ns / 1000000000ull), t0, t1 + 11,
			       g->direction == RS_SIDE_BID ? "BUY" : "SELL", strength(g->strength),
			       g->confidence, g->z_vi, g->zr_vi, g->z_ofi, g->vi,
			       (unsigned long long)g->buy_volume, (unsigned long long)g->sell_volume,
			       g->baseline_samples, g->flags & RS_SIGF_IMMATURE ? " immature" : "",
			       g->flags & RS_SIGF_DEGRADED_FEED ? " degraded" : "",
			       g->flags & RS_SIGF_MARKET_MAKING ? " market_making" : "");
		x->n++;
	} else if (type == RS_REC_PATTERN && (x->want & 2) && len >= sizeof(struct rs_pattern)) {
		const struct rs_pattern *p = rec;
		sym(x, p->instrument_id, s, sizeof(s));
		hms(p->ts_first, t0, sizeof(t0));
		if (x->json)
			printf("{\"type\":\"pattern\",\"kind\":\"%s\",\"instrument_id\":%u,\"symbol\":\"%s\","
			       "\"side\":\"%c\",\"levels\":%u,\"price\":%lld,\"volume\":%llu,\"count\":%u,"
			       "\"order_id\":%llu,\"ts_first\":%llu,\"ts_last\":%llu,\"ts_emitted\":%llu}\n",
			       pkind(p->kind), p->instrument_id, s, p->side ? p->side : 'N', p->levels,
			       (long long)p->price, (unsigned long long)p->volume, p->count,
			       (unsigned long long)p->order_id, (unsigned long long)p->ts_first,
			       (unsigned long long)p->ts_last, (unsigned long long)p->ts_emitted);
		else
			printf("PATTERN %-8s %-8s %s side %c price %.4f volume %llu levels %u count %u\n", s,
			       pkind(p->kind), t0, p->side ? p->side : 'N', (double)p->price / 1e9,
			       (unsigned long long)p->volume, p->levels, p->count);
		x->n++;
	}
}

static int cmd_signals(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"follow", no_argument, 0, 'f'},
					   {"json", no_argument, 0, 'j'},
					   {"patterns-only", no_argument, 0, 'p'},
					   {"signals-only", no_argument, 0, 's'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo";
	int follow = 0, c;
	struct ctx x = {.want = 3};

	while ((c = getopt_long(argc, argv, "i:fjh", lo, NULL)) != -1) {
		switch (c) {
		case 'i': instance = optarg; break;
		case 'f': follow = 1; break;
		case 'j': x.json = 1; break;
		case 'p': x.want = 2; break;
		case 's': x.want = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	int rc = rs_client_open(&x.c, instance, NULL);
	if (rc) {
		fprintf(stderr, "ringside signals: %s\n", rs_errmsg());
		return RS_EX_UNAVAILABLE;
	}
	struct rs_sub *sub;
	if ((rc = rs_client_sub_open(x.c, RS_SEGNAME_SIGNALS, RS_START_OLDEST, &sub))) {
		fprintf(stderr, "ringside signals: %s\n", rs_errmsg());
		rs_client_close(x.c);
		return RS_EX_UNAVAILABLE;
	}
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	int ex = RS_EX_OK;
	while (!stop) {
		int n = rs_client_sub_poll(sub, on_rec, &x, 1024);
		if (n == -EOVERFLOW) {
			fprintf(stderr, "ringside signals: %s\n", rs_errmsg());
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "ringside signals: %s\n", rs_errmsg());
			ex = RS_EX_IOERR;
			break;
		}
		fflush(stdout);
		if (n > 0)
			continue;
		if (!follow)
			break;
		int h = rs_client_check(x.c);
		if (h == -ESTALE)
			(void)rs_client_reattach(x.c);
		else if (h == -EOWNERDEAD || h == -ESHUTDOWN) {
			fprintf(stderr, "ringside signals: producer %s\n",
				h == -ESHUTDOWN ? "stopped" : "died");
			break;
		}
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	rs_client_close(x.c);
	return ex;
}

RS_CLI_COMMAND(signals, cmd_signals, "signals [-i INSTANCE] [--follow] [--json]",
	       "IFD signals and pattern events of an instance")
