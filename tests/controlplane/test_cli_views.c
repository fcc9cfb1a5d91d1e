/* test_cli_views.c - the operator views of the `ringside` binary (status,
 * feeds, stats, tail, top --once, book SYMBOL) against an instance that a
 * producer process created here (books, events, counters with the
 * rs_metrics.h names, a latency histogram, a signal and a 1-minute bar):
 * literal output checks, every --json output parsed, and the views still
 * answering while the producer is SIGSTOPped. Suite: rs_cli_views. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_ctl.h"
#include "controlplane/rs_livebook.h"
#include "ringside.h"
#include "rs_instance.h"
#include "rs_itable.h"

static char shmdir[128], inst[32];
static pid_t producer = -1;

/* ------------------------------------------------------------ JSON check */

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *js_value(const char *p, int depth);

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p))
				return NULL;
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_number(const char *p)
{
	const char *s = p;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

static const char *js_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';
		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (!(p = js_string(js_ws(p))))
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = js_value(p, depth + 1)))
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return js_number(p);
}

/* One JSON document (or, with lines, one per line). */
static void json_valid(const char *s, bool lines)
{
	const char *p = s;
	int docs = 0;
	do {
		const char *e = js_value(p, 0);
		cr_assert(e, "invalid JSON at offset %zu:\n%s", (size_t)(p - s), s);
		p = js_ws(e);
		docs++;
	} while (lines && *p);
	cr_assert_eq(*p, 0, "trailing text after JSON: %s", p);
	cr_assert_gt(docs, 0);
}

/* ------------------------------------------------------------ producer */

#define T0 1763649000000000000ull /* 2025-11-20 14:30:00 UTC */

static void claim_write(struct rs_seqtab *t, uint32_t id, const void *p, uint32_t len)
{
	int64_t slot = rs_itable_claim(t, id);
	if (slot < 0)
		_exit(3);
	rs_seqtab_write(t, (uint32_t)slot, rs_itable_key(id), p, len);
}

static volatile sig_atomic_t term;
static void on_term(int s)
{
	(void)s;
	term = 1;
}

static void run_producer(int ready_fd)
{
	struct rs_instance_conf ic;
	struct rs_instance *in;

	rs_instance_conf_default(&ic, inst);
	ic.generation = 1;
	ic.max_instruments = 64;
	ic.depth = 5;
	ic.event_slots = 1024;
	ic.counters = 64;
	ic.huge = RS_SHM_HUGE_OFF;
	ic.analytics = true;
	ic.analytics_slots = 1024;
	if (rs_instance_create(&in, &ic))
		_exit(2);
	static const struct {
		uint32_t id;
		const char *sym;
		int64_t bid, ask, last;
		uint64_t vol;
	} ins[] = {{7, "AAPL", 185230000000, 185240000000, 185235000000, 5000},
		   {9, "MSFT", 410100000000, 410200000000, 410150000000, 9000}};
	for (int i = 0; i < 2; i++) {
		struct rs_instrument r = {.instrument_id = ins[i].id, .lot_size = 100};
		snprintf(r.symbol, sizeof(r.symbol), "%s", ins[i].sym);
		claim_write(&in->instruments, ins[i].id, &r, sizeof(r));
		struct rs_bbo b = {.instrument_id = ins[i].id, .bid = {ins[i].bid, 300, 2}, .ask = {ins[i].ask, 200, 1},
				   .last_price = ins[i].last, .last_size = 100, .volume = ins[i].vol,
				   .imbalance_ppm = 200000, .ts_event = T0};
		claim_write(&in->bbo, ins[i].id, &b, sizeof(b));
	}
	/* AAPL depth: 3 bids, 2 asks */
	static uint8_t dbuf[sizeof(struct rs_depth) + 10 * sizeof(struct rs_level)];
	struct rs_depth *d = (struct rs_depth *)dbuf;
	d->instrument_id = 7;
	d->depth = 5;
	d->nbids = 3;
	d->nasks = 2;
	d->sequence = 42;
	d->ts_event = T0 + 5;
	d->levels[0] = (struct rs_level){185230000000, 300, 2};
	d->levels[1] = (struct rs_level){185220000000, 500, 3};
	d->levels[2] = (struct rs_level){185100000000, 100, 1};
	d->levels[5] = (struct rs_level){185240000000, 200, 1};
	d->levels[6] = (struct rs_level){185250500000, 700, 4};
	claim_write(&in->depth, 7, d, sizeof(dbuf));
	/* events: AAPL add, MSFT add, AAPL trade, MSFT cancel, AAPL add */
	static const struct {
		uint32_t id;
		char action, side;
		int64_t price;
		uint32_t size;
		uint64_t oid;
	} ev[] = {{7, 'A', 'B', 185230000000, 100, 1001}, {9, 'A', 'A', 410200000000, 200, 2001},
		  {7, 'T', 'A', 185235000000, 50, 0},        {9, 'C', 'A', 410200000000, 200, 2001},
		  {7, 'A', 'A', 185250500000, 300, 1002}};
	for (uint32_t i = 0; i < 5; i++) {
		struct rs_event e = {.mbo = {.hd = {.length = 14, .rtype = RS_RTYPE_MBO, .instrument_id = ev[i].id,
						    .ts_event = T0 + i * 1000},
					     .order_id = ev[i].oid, .price = ev[i].price, .size = ev[i].size,
					     .flags = RS_F_LAST, .action = ev[i].action, .side = ev[i].side,
					     .ts_recv = T0 + i * 1000 + 500, .sequence = 100 + i}};
		rs_bcast_write(&in->events, RS_REC_EVENT, &e, sizeof(e));
	}
	/* analytics: a signal and a 1-minute bar for AAPL */
	static struct rs_flow fl;
	fl.instrument_id = 7;
	fl.last_signal = (struct rs_signal){.instrument_id = 7, .direction = RS_SIDE_BID, .strength = RS_SIG_HIGH,
					    .confidence = 0.83, .ts_emitted = T0 + 7};
	claim_write(&in->flow, 7, &fl, sizeof(fl));
	static struct rs_latest lt;
	lt.instrument_id = 7;
	lt.nintervals = 2;
	lt.bars[0] = (struct rs_bar){.instrument_id = 7, .interval_ns = 1000000000ull, .close = 185230000000};
	lt.bars[1] = (struct rs_bar){.instrument_id = 7, .interval_ns = 60000000000ull, .close = 185200000000};
	claim_write(&in->latest, 7, &lt, sizeof(lt));
	/* counters and a latency histogram */
	_Atomic uint64_t *last[2];
	static const char *const lbl[][2] = {
		{"rs_line_packets_total{feed=\"nasdaq\",line=\"A\"}", "100"},
		{"rs_line_packets_total{feed=\"nasdaq\",line=\"B\"}", "98"},
		{"rs_line_messages_total{feed=\"nasdaq\",line=\"A\"}", "800"},
		{"rs_line_duplicates_total{feed=\"nasdaq\",line=\"B\"}", "780"},
		{"rs_feed_messages_total{feed=\"nasdaq\"}", "800"},
		{"rs_feed_gaps_total{feed=\"nasdaq\"}", "2"},
		{"rs_feed_recovered_total{feed=\"nasdaq\"}", "20"},
		{"rs_feed_unrecovered_total{feed=\"nasdaq\"}", "0"},
		{"rs_feed_state{feed=\"nasdaq\"}", "1"},
	};
	for (size_t i = 0; i < sizeof(lbl) / sizeof(lbl[0]); i++) {
		int id = rs_counters_alloc(&in->counters,
					   strstr(lbl[i][0], "_total") ? RS_COUNTER_TYPE_COUNTER : RS_COUNTER_TYPE_GAUGE, 0,
					   lbl[i][0]);
		rs_counters_set(rs_counters_value(&in->counters, id), strtoull(lbl[i][1], NULL, 10));
	}
	int la = rs_counters_alloc(&in->counters, RS_COUNTER_TYPE_HEARTBEAT, 0, "rs_line_last_rx_ns{feed=\"nasdaq\",line=\"A\"}");
	int lb = rs_counters_alloc(&in->counters, RS_COUNTER_TYPE_HEARTBEAT, 0, "rs_line_last_rx_ns{feed=\"nasdaq\",line=\"B\"}");
	last[0] = rs_counters_value(&in->counters, la);
	last[1] = rs_counters_value(&in->counters, lb);
	struct rs_latency_hist *h = &in->latency->hist[0];
	snprintf(h->name, sizeof(h->name), "rx_to_publish/core1");
	h->buckets[rs_lat_bucket(1000)] = 99;
	h->buckets[rs_lat_bucket(9000)] = 1;
	h->count = 100;
	h->sum_ns = 99 * 1000 + 9000;
	h->max_ns = 9000;
	h->min_ns = 1000;
	in->latency->nhist = 1;
	/* "last packet" an hour ahead: the lines never look silent, however
	 * long this process waits for a CPU on a loaded machine */
	uint64_t future = rs_shm_now_ns() + 3600000000000ull;
	rs_counters_set(last[0], future);
	rs_counters_set(last[1], future);
	rs_instance_publish(in);
	signal(SIGTERM, on_term);
	if (write(ready_fd, "r", 1) != 1)
		_exit(4);
	close(ready_fd);
	/* a live producer: the heartbeat ticks; bounded (60 s) */
	for (int i = 0; i < 1200 && !term; i++) {
		struct timespec ts = {0, 50000000};
		rs_instance_heartbeat(in);
		nanosleep(&ts, NULL);
	}
	rs_instance_close(in, true);
	_exit(0);
}

static void stop_producer(void)
{
	if (producer > 0) {
		kill(producer, SIGCONT);
		kill(producer, SIGTERM);
		waitpid(producer, NULL, 0);
		producer = -1;
	}
}

static void setup(void)
{
	int p[2];
	char b;

	snprintf(shmdir, sizeof(shmdir), "/tmp/rs-views-test-%d", (int)getpid());
	snprintf(inst, sizeof(inst), "v%d", (int)getpid());
	setenv("RINGSIDE_SHM_DIR", shmdir, 1);
	setenv("RINGSIDE_HUGE_DIR", "", 1);
	cr_assert_eq(pipe(p), 0);
	producer = fork();
	cr_assert_geq(producer, 0);
	if (producer == 0) {
		close(p[0]);
		run_producer(p[1]);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &b, 1), 1, "producer failed to start");
	close(p[0]);
}

static void teardown(void)
{
	char cmd[256];
	stop_producer();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shmdir);
	if (system(cmd)) {
	}
}

TestSuite(rs_cli_views, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------ helpers */

static char out[1 << 16];

/* Run `ringside ARGS` (stdout only); returns the exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char args[512], cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s/bin/ringside %s", RS_BUILD_DIR, args);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void contains(const char *s, const char *want)
{
	cr_assert(strstr(s, want), "missing\n  %s\nin\n%s", want, s);
}

/* rs_livebook_main in a child with stdout into a file (the lead routes
 * `ringside book SYMBOL` to it). */
static int livebook(const char *a1, const char *a2, const char *a3)
{
	char path[160];
	snprintf(path, sizeof(path), "%s.book", shmdir);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		char *argv[8] = {"book", "-i", inst, (char *)a1, (char *)a2, (char *)a3, NULL};
		int argc = 4 + (a2 != NULL) + (a2 && a3);
		argv[argc] = NULL;
		fflush(stdout);
		int rc = rs_livebook_main(argc, argv);
		fflush(stdout);
		_exit(rc);
	}
	int st;
	waitpid(pid, &st, 0);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = 0;
	if (f)
		fclose(f);
	unlink(path);
	return WEXITSTATUS(st);
}

/* ------------------------------------------------------------ tests */

Test(rs_cli_views, status)
{
	char want[128];
	cr_assert_eq(run("status -i %s", inst), 0, "%s", out);
	snprintf(want, sizeof(want), "instance   %s\ngeneration 1\nproducer   pid %d alive", inst, (int)producer);
	contains(out, want);
	contains(out, "feeds      nasdaq           up         messages 800  gaps 2  unrecovered 0  lines 2\n");
	contains(out, "health     healthy\n");
	cr_assert_eq(run("status -i %s --json", inst), 0);
	json_valid(out, false);
	contains(out, "\"producer\":\"alive\"");
	contains(out, "\"feeds\":[{\"name\":\"nasdaq\",\"state\":\"up\",\"messages\":800,\"gaps\":2,\"unrecovered\":0,\"lines\":[\"A\",\"B\"]}]");
	contains(out, "\"health\":{\"status\":\"healthy\",\"reasons\":[]");
	cr_assert_eq(run("status --help"), 0);
	contains(out, "usage: ringside status");
}

Test(rs_cli_views, feeds)
{
	cr_assert_eq(run("feeds -i %s", inst), 0);
	contains(out, "FEED             LINE STATE        PACKETS  MESSAGES   GAPS RECOVERED   UNRECOV    DUPS   DROPS   LAST RX\n");
	contains(out, "nasdaq           -    up                         800      2        20         0                          \n");
	contains(out, "                 B                      98         0                                780       0 ");
	cr_assert_eq(run("feeds -i %s --json", inst), 0);
	json_valid(out, false);
	contains(out, "{\"name\":\"nasdaq\",\"state\":\"up\",\"messages\":800,\"gaps\":2,\"recovered\":20,\"unrecovered\":0,\"lines\":[{\"name\":\"A\",\"packets\":100,\"messages\":800,\"last_rx_ns\":");
	contains(out, "{\"name\":\"B\",\"packets\":98,\"duplicates\":780,\"last_rx_ns\":");
}

Test(rs_cli_views, stats)
{
	cr_assert_eq(run("stats -i %s", inst), 0);
	contains(out, "rs_feed_recovered_total{feed=\"nasdaq\"}");
	contains(out, "rx_to_publish/core1                       100      1.1us      960ns      960ns      8.2us      9.0us\n");
	cr_assert_eq(run("stats -i %s --json", inst), 0);
	json_valid(out, false);
	contains(out, "\"rs_feed_gaps_total{feed=\\\"nasdaq\\\"}\":2");
	contains(out, "\"latency\":[{\"name\":\"rx_to_publish/core1\",\"count\":100,\"mean_ns\":1080,\"p50_ns\":960,"
		      "\"p99_ns\":960,\"p999_ns\":8192,\"max_ns\":9000}]");
	cr_assert_eq(run("stats -i %s --prometheus", inst), 0);
	contains(out, "rs_latency_quantile_seconds{hist=\"rx_to_publish/core1\",quantile=\"0.999\"} 0.000008192\n");
}

Test(rs_cli_views, tail)
{
	cr_assert_eq(run("tail -i %s -n 3", inst), 0);
	cr_assert_str_eq(out, "14:30:00.000002000  AAPL     T A       185.2350       50  id=0            seq=102        LAST\n"
			      "14:30:00.000003000  MSFT     C A       410.2000      200  id=2001         seq=103        LAST\n"
			      "14:30:00.000004000  AAPL     A A       185.2505      300  id=1002         seq=104        LAST\n");
	cr_assert_eq(run("tail AAPL -i %s", inst), 0);
	cr_assert_str_eq(out, "14:30:00.000000000  AAPL     A B       185.2300      100  id=1001         seq=100        LAST\n"
			      "14:30:00.000002000  AAPL     T A       185.2350       50  id=0            seq=102        LAST\n"
			      "14:30:00.000004000  AAPL     A A       185.2505      300  id=1002         seq=104        LAST\n");
	cr_assert_eq(run("tail -i %s --json", inst), 0);
	json_valid(out, true);
	contains(out, "{\"ts_event\":1763649000000001000,\"ts_recv\":1763649000000001500,\"instrument_id\":9,\"symbol\":\"MSFT\","
		      "\"action\":\"A\",\"side\":\"A\",\"price\":\"410.2000\",\"size\":200,\"order_id\":2001,\"sequence\":101,"
		      "\"flags\":128,\"rs_flags\":0,\"flag_names\":\"LAST\",\"feed\":0,\"line\":0}\n");
	cr_assert_eq(run("tail NOPE -i %s 2>/dev/null", inst), 65);
	/* follow: bounded by --duration, the 5 retained events then nothing new */
	cr_assert_eq(run("tail -i %s -n 1 --follow --duration 0.3", inst), 0);
	cr_assert_str_eq(out, "14:30:00.000004000  AAPL     A A       185.2505      300  id=1002         seq=104        LAST\n");
}

Test(rs_cli_views, top_once)
{
	char want[256];
	cr_assert_eq(run("top -i %s --once", inst), 0);
	snprintf(want, sizeof(want), "ringside top  %s  gen 1  producer alive  health healthy  | nasdaq up A:", inst);
	cr_assert(!strncmp(out, want, strlen(want)), "%s", out);
	const char *tab = strstr(out, "\n\nSYMBOL");
	cr_assert(tab, "%s", out);
	cr_assert_str_eq(tab, "\n\nSYMBOL                BID            ASK         LAST       VOLUME   IMBAL  SIGNAL                       BAR 1M\n"
			      "MSFT         300@410.1000   200@410.2000     410.1500         9000   +0.20  -                                 -\n"
			      "AAPL         300@185.2300   200@185.2400     185.2350         5000   +0.20  BUY HIGH 0.83              185.2000\n");
	cr_assert_eq(run("top -i %s --once --json --rows 1", inst), 0);
	json_valid(out, false);
	contains(out, "\"rows\":[{\"symbol\":\"MSFT\",\"instrument_id\":9,\"bid\":\"410.1000\",\"bid_size\":300,");
	cr_assert_null(strstr(out, "AAPL"), "--rows 1");
	cr_assert_eq(run("top -i %s --iterations 1 </dev/null", inst), 0);
	contains(out, "AAPL");
}

Test(rs_cli_views, book_symbol)
{
	cr_assert_eq(livebook("AAPL", "--json", NULL), 0, "%s", out);
	json_valid(out, false);
	cr_assert_str_eq(out, "{\"instrument\":7,\"symbol\":\"AAPL\",\"sequence\":42,\"ts_event\":1763649000000000005,"
			      "\"ts_recv\":0,\"bids\":[[\"185.2300\",300,2],[\"185.2200\",500,3],[\"185.1000\",100,1]],"
			      "\"asks\":[[\"185.2400\",200,1],[\"185.2505\",700,4]],\"last\":\"185.2350\",\"volume\":5000}\n");
	cr_assert_eq(livebook("AAPL", "--depth", "2"), 0, "%s", out);
	cr_assert_str_eq(out, "AAPL (instrument 7)  seq 42  14:30:00.000000005  last 100@185.2350  volume 5000\n"
			      " ORDERS      SIZE            BID | ASK                 SIZE  ORDERS\n"
			      "      2       300       185.2300 | 185.2400             200       1\n"
			      "      3       500       185.2200 | 185.2505             700       4\n");
	cr_assert_eq(livebook("NOPE", NULL, NULL), 65);
}

Test(rs_cli_views, views_answer_while_producer_is_stopped)
{
	cr_assert_eq(kill(producer, SIGSTOP), 0);
	cr_assert_eq(run("status -i %s --json", inst), 0);
	json_valid(out, false);
	cr_assert_eq(run("feeds -i %s --json", inst), 0);
	json_valid(out, false);
	cr_assert_eq(run("stats -i %s --json", inst), 0);
	json_valid(out, false);
	cr_assert_eq(run("tail -i %s --json -n 2", inst), 0);
	json_valid(out, true);
	cr_assert_eq(run("top -i %s --once --json", inst), 0);
	json_valid(out, false);
	cr_assert_eq(livebook("AAPL", "--json", NULL), 0);
	json_valid(out, false);
	cr_assert_eq(kill(producer, SIGCONT), 0);
}

Test(rs_cli_views, offline_after_the_producer_exits)
{
	stop_producer(); /* closes and removes the segments */
	cr_assert_eq(run("status -i %s --json", inst), 69);
	json_valid(out, false);
	contains(out, "\"health\":{\"status\":\"offline\",\"reasons\":[\"no such instance");
	cr_assert_eq(run("feeds -i %s 2>/dev/null", inst), 69);
	cr_assert_eq(run("reconnect nasdaq -i %s --socket %s/none.sock 2>/dev/null", inst, shmdir), 69);
}

Test(rs_cli_views, every_command_has_help)
{
	static const char *const cmds[] = {"status", "feeds", "stats", "tail", "top", "reconnect", "config"};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cr_assert_eq(run("%s --help", cmds[i]), 0, "%s", cmds[i]);
		contains(out, "usage: ringside");
	}
}

static int fake_daemon(void *ctx, int argc, char **argv, char *o, size_t olen)
{
	(void)ctx;
	if (argc == 2 && !strcmp(argv[0], "reconnect") && !strcmp(argv[1], "nasdaq")) {
		snprintf(o, olen, "{\"feed\":\"nasdaq\",\"reconnecting\":true}");
		return 0;
	}
	snprintf(o, olen, "{\"error\":\"no feed '%s'\"}", argc > 1 ? argv[1] : "");
	return ENOENT;
}

Test(rs_cli_views, reconnect_over_the_control_socket)
{
	struct rs_ctl *srv;
	char sock[200];
	snprintf(sock, sizeof(sock), "%s.sock", shmdir);
	cr_assert_eq(rs_ctl_start(&srv, sock, (gid_t)-1, fake_daemon, NULL), 0);
	cr_assert_eq(run("reconnect nasdaq --socket %s", sock), 0);
	cr_assert_str_eq(out, "nasdaq: reconnected (lines closed and reopened; anything missed is recovered)\n");
	cr_assert_eq(run("reconnect nasdaq --socket %s --json", sock), 0);
	cr_assert_str_eq(out, "{\"feed\":\"nasdaq\",\"reconnecting\":true}\n");
	json_valid(out, false);
	cr_assert_eq(run("reconnect nope --socket %s 2>&1", sock), 64);
	cr_assert_str_eq(out, "ringside reconnect: nope: no feed 'nope'\n");
	rs_ctl_stop(srv);
}
