/*
 * rs_cmd_top.c - `ringside top`: live terminal view refreshed every
 * second: a header with the producer and per-feed health, then the
 * busiest instruments by session volume with bid, ask, last, volume, book
 * imbalance, the latest IFD signal (RS_SEGNAME_FLOW) and the latest 1-minute
 * bar close (RS_SEGNAME_LATEST) when analytics are on. Quits on q or
 * Ctrl-C, or after --iterations N; --once prints one plain frame.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rs_cli.h"
#include "rs_metrics.h"
#include "rs_view.h"

static volatile sig_atomic_t stop_flag; /* async-signal flag only */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside top [-i|--instance NAME] [--rows N] [--iterations N] [--once] [--json]\n\n"
		   "Live view (refresh 1 s, q or Ctrl-C quits): producer and feed health, then the\n"
		   "busiest instruments by volume: bid, ask, last, volume, book imbalance, latest\n"
		   "signal and latest 1-minute bar close.\n"
		   "  -i, --instance NAME   instance (default demo)\n"
		   "      --rows N          instruments shown (default 20)\n"
		   "      --iterations N    stop after N frames\n"
		   "      --once            one frame without terminal control codes\n"
		   "      --json            with --once: one JSON object\n");
}

struct row {
	struct rs_bbo bbo;
	char sym[RS_SYMBOL_LEN + 1];
	bool has_sig, has_bar;
	struct rs_signal sig;
	int64_t bar_close;
};

/* Instrument-keyed lookup in a generic table: home slot id % slots,
 * linear probing, key id + 1 (ringside.h). */
static int itable_get(struct rs_table *t, uint32_t id, void *dst, size_t len)
{
	uint32_t slots = rs_client_table_slots(t);
	for (uint32_t i = 0; i < slots; i++) {
		uint64_t key = 0;
		int rc = rs_client_table_read(t, (uint32_t)((id + (uint64_t)i) % slots), &key, dst, len);
		if (rc == -ENOENT)
			return -ENOENT; /* an empty slot ends the probe */
		if (rc)
			return rc;
		if (key == (uint64_t)id + 1)
			return 0;
	}
	return -ENOENT;
}

static int by_volume(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->bbo.volume != y->bbo.volume)
		return x->bbo.volume < y->bbo.volume ? 1 : -1;
	return x->bbo.instrument_id < y->bbo.instrument_id ? -1 : 1;
}

static const char *strength(uint8_t s)
{
	static const char *const n[] = {"MODERATE", "HIGH", "VERY_HIGH", "EXTREME"};
	return s < 4 ? n[s] : "?";
}

static int frame(struct rs_client *c, const char *instance, unsigned nrows, bool json, bool ansi)
{
	struct rs_table *tb, *tf = NULL, *tl = NULL;
	struct rs_view_state st;
	struct rs_view_counters cs = {0};
	struct rs_view_feeds feeds;
	struct rs_sbuf b = {0};
	uint64_t now = rs_view_now_ns();
	char d[4][40];
	int rc;

	if ((rc = rs_client_table_open(c, RS_SEGNAME_BBO, &tb))) {
		fprintf(stderr, "ringside top: %s\n", rs_errmsg());
		return RS_EX_UNAVAILABLE;
	}
	rs_client_table_open(c, RS_SEGNAME_FLOW, &tf);   /* analytics may be off */
	rs_client_table_open(c, RS_SEGNAME_LATEST, &tl);
	rs_view_state(c, instance, &st);
	rs_view_counters_load(c, &cs);
	rs_view_feeds_list(&cs, &feeds);
	enum rs_health h = rs_health_eval(c, NULL, now, NULL);

	/* every instrument with a book; keep the busiest nrows */
	uint32_t slots = rs_client_table_slots(tb), n = 0, cap = 256;
	struct row *rows = malloc(cap * sizeof(*rows));
	for (uint32_t s = 0; rows && s < slots; s++) {
		uint64_t key;
		if (n == cap) {
			struct row *nr = realloc(rows, (cap *= 2) * sizeof(*rows));
			if (!nr)
				break;
			rows = nr;
		}
		if (rs_client_table_read(tb, s, &key, &rows[n].bbo, sizeof(rows[n].bbo)) || !key)
			continue;
		n++;
	}
	if (rows)
		qsort(rows, n, sizeof(*rows), by_volume);
	if (n > nrows)
		n = nrows;
	for (uint32_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		struct rs_instrument ins;
		uint32_t id = r->bbo.instrument_id;
		snprintf(r->sym, sizeof(r->sym), "#%u", id);
		if (!rs_client_instrument(c, id, &ins))
			snprintf(r->sym, sizeof(r->sym), "%.*s", RS_SYMBOL_LEN, ins.symbol);
		r->has_sig = r->has_bar = false;
		if (tf) {
			struct rs_flow fl;
			if (!itable_get(tf, id, &fl, sizeof(fl)) && fl.last_signal.ts_emitted) {
				r->has_sig = true;
				r->sig = fl.last_signal;
			}
		}
		if (tl) {
			struct rs_latest *lt = malloc(sizeof(*lt));
			if (lt && !itable_get(tl, id, lt, sizeof(*lt)))
				for (uint32_t k = 0; k < lt->nintervals && k < RS_BAR_MAX_INTERVALS; k++)
					if (lt->bars[k].interval_ns == 60000000000ull && lt->bars[k].close != RS_UNDEF_PRICE) {
						r->has_bar = true;
						r->bar_close = lt->bars[k].close;
					}
			free(lt);
		}
	}

	if (json) {
		rs_sbuf_printf(&b, "{\"instance\":");
		rs_view_jstr(&b, instance);
		rs_sbuf_printf(&b, ",\"generation\":%u,\"producer\":\"%s\",\"health\":\"%s\",\"feeds\":[", st.generation,
			       st.producer, rs_health_name(h));
		for (unsigned i = 0; i < feeds.n; i++) {
			uint64_t v;
			rs_sbuf_printf(&b, "%s{\"name\":", i ? "," : "");
			rs_view_jstr(&b, feeds.f[i].name);
			rs_sbuf_printf(&b, ",\"state\":\"%s\"}",
				       rs_view_feed_get(&cs, "rs_feed_state", feeds.f[i].name, &v) ? rs_view_feed_state(v)
												 : "unknown");
		}
		rs_sbuf_printf(&b, "],\"rows\":[");
		for (uint32_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];
			rs_sbuf_printf(&b, "%s{\"symbol\":", i ? "," : "");
			rs_view_jstr(&b, r->sym);
			rs_sbuf_printf(&b, ",\"instrument_id\":%u,\"bid\":\"%s\",\"bid_size\":%u,\"ask\":\"%s\",\"ask_size\":%u,"
					   "\"last\":\"%s\",\"volume\":%" PRIu64 ",\"imbalance\":%.4f",
				       r->bbo.instrument_id, rs_view_price(d[0], 40, r->bbo.bid.price), r->bbo.bid.size,
				       rs_view_price(d[1], 40, r->bbo.ask.price), r->bbo.ask.size,
				       rs_view_price(d[2], 40, r->bbo.last_price), r->bbo.volume, r->bbo.imbalance_ppm / 1e6);
			if (r->has_sig)
				rs_sbuf_printf(&b, ",\"signal\":{\"direction\":\"%s\",\"strength\":\"%s\",\"confidence\":%.3f}",
					       r->sig.direction == RS_SIDE_BID ? "buy" : "sell", strength(r->sig.strength),
					       r->sig.confidence);
			if (r->has_bar)
				rs_sbuf_printf(&b, ",\"bar_1m_close\":\"%s\"", rs_view_price(d[3], 40, r->bar_close));
			rs_sbuf_printf(&b, "}");
		}
		rs_sbuf_printf(&b, "]}\n");
	} else {
		if (ansi)
			rs_sbuf_printf(&b, "\033[H\033[2J");
		rs_sbuf_printf(&b, "ringside top  %s  gen %u  producer %s  health %s%s%s", instance, st.generation, st.producer,
			       ansi ? (h == RS_HEALTH_HEALTHY ? "\033[32m" : h == RS_HEALTH_DEGRADED ? "\033[33m" : "\033[31m")
				    : "",
			       rs_health_name(h), ansi ? "\033[0m" : "");
		for (unsigned i = 0; i < feeds.n; i++) {
			uint64_t v;
			rs_sbuf_printf(&b, "  | %s %s", feeds.f[i].name,
				       rs_view_feed_get(&cs, "rs_feed_state", feeds.f[i].name, &v) ? rs_view_feed_state(v)
												 : "unknown");
			for (unsigned l = 0; l < feeds.f[i].nlines; l++)
				if (rs_view_line_get(&cs, "rs_line_last_rx_ns", feeds.f[i].name, feeds.f[i].line[l], &v))
					rs_sbuf_printf(&b, " %s:%s", feeds.f[i].line[l],
						       v ? rs_view_dur(d[0], 40, now > v ? now - v : 0) : "never");
		}
		rs_sbuf_printf(&b, "\n\n%-10s %14s %14s %12s %12s %7s  %-22s %12s\n", "SYMBOL", "BID", "ASK", "LAST",
			       "VOLUME", "IMBAL", "SIGNAL", "BAR 1M");
		for (uint32_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];
			char bid[48], ask[48], sig[48] = "-", bar[40] = "-";
			snprintf(bid, sizeof(bid), "%u@%s", r->bbo.bid.size, rs_view_price(d[0], 40, r->bbo.bid.price));
			snprintf(ask, sizeof(ask), "%u@%s", r->bbo.ask.size, rs_view_price(d[1], 40, r->bbo.ask.price));
			if (r->bbo.bid.price == RS_UNDEF_PRICE)
				snprintf(bid, sizeof(bid), "-");
			if (r->bbo.ask.price == RS_UNDEF_PRICE)
				snprintf(ask, sizeof(ask), "-");
			if (r->has_sig)
				snprintf(sig, sizeof(sig), "%s %s %.2f", r->sig.direction == RS_SIDE_BID ? "BUY" : "SELL",
					 strength(r->sig.strength), r->sig.confidence);
			if (r->has_bar)
				rs_view_price(bar, sizeof(bar), r->bar_close);
			rs_sbuf_printf(&b, "%-10s %14s %14s %12s %12s %+7.2f  %-22s %12s\n", r->sym, bid, ask,
				       rs_view_price(d[2], 40, r->bbo.last_price), rs_view_count(d[3], 40, r->bbo.volume),
				       r->bbo.imbalance_ppm / 1e6, sig, bar);
		}
		if (!n)
			rs_sbuf_printf(&b, "(no books yet)\n");
		if (ansi)
			rs_sbuf_printf(&b, "\nq quits\n");
	}
	fwrite(b.p, 1, b.len, stdout);
	fflush(stdout);
	rs_sbuf_free(&b);
	free(rows);
	rs_view_counters_free(&cs);
	return RS_EX_OK;
}

static int cmd_top(int argc, char **argv)
{
	enum { O_ROWS = 1000, O_ITER, O_ONCE };
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"rows", required_argument, 0, O_ROWS},
					   {"iterations", required_argument, 0, O_ITER},
					   {"once", no_argument, 0, O_ONCE},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo";
	int opt, json = 0, once = 0, rc;
	uint64_t rows = 20, iters = 0;
	struct rs_client *c;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jh", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'j': json = 1; break;
		case O_ROWS:
			if (rs_cli_parse_count(optarg, 100000, &rows) || !rows) {
				fprintf(stderr, "ringside top: bad --rows '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case O_ITER:
			if (rs_cli_parse_count(optarg, 1000000000, &iters)) {
				fprintf(stderr, "ringside top: bad --iterations '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case O_ONCE: once = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	if (json && !once) {
		fprintf(stderr, "ringside top: --json needs --once\n");
		return RS_EX_USAGE;
	}
	if ((rc = rs_view_open(&c, instance, "top")))
		return rc;
	if (once) {
		rc = frame(c, instance, (unsigned)rows, json, false);
		rs_client_close(c);
		return rc;
	}
	bool tty_in = isatty(STDIN_FILENO), ansi = isatty(STDOUT_FILENO);
	struct termios saved, raw;
	if (tty_in && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty_in = false;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (ansi)
		fputs("\033[?25l", stdout); /* hide the cursor */
	for (uint64_t it = 0; !stop_flag && (!iters || it < iters); it++) {
		if ((rc = frame(c, instance, (unsigned)rows, false, ansi)))
			break;
		if (iters && it + 1 == iters)
			break;
		struct pollfd pf = {tty_in ? STDIN_FILENO : -1, POLLIN, 0};
		if (poll(&pf, 1, 1000) > 0 && (pf.revents & POLLIN)) {
			char ch;
			if (read(STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
				break;
		}
	}
	if (ansi)
		fputs("\033[?25h", stdout);
	if (tty_in)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	rs_client_close(c);
	return rc;
}

RS_CLI_COMMAND(top, cmd_top, "top [-i NAME] [--once] [--iterations N]", "live terminal view of the busiest books")
