/*
 * rs_cmd_demo.c - `ringside demo` (README command 1) and `ringside rates`.
 *
 * demo: the appliance on its embedded default, no NIC and no set-up by
 * hand. It starts three processes and owns them:
 *   ringsided --embedded      io_uring on loopback (lines A 127.0.0.1:26400,
 *                             B :26401), recovery server 127.0.0.1:26500,
 *                             shared memory on huge pages where possible
 *   ringside replay           generated ITCH sessions over MoldUDP64 on both
 *                             lines at ~1 M messages/s (sent in bursts), with
 *                             0.1 % loss on line A and 0.01 % on line B, so
 *                             arbitration and retransmission are visible;
 *                             the replayer serves the re-requests
 *   ringside top              the live view (or, with --seconds / without a
 *                             terminal, one status line per second)
 * Ctrl-C (or --seconds N) stops all three; ringsided removes its segments.
 *
 * rates: attach to any instance through libringside and print event rates
 * and the busiest books every second.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_metrics.h"
#include "ringside.h"
#include "rs_cli.h"
#include "rs_err.h"

static volatile sig_atomic_t stop_flag;

struct gapsum {
	uint64_t gaps, recovered, unrecovered, dups;
};

static int sum_gaps(void *arg, uint32_t id, uint32_t type, const char *label, uint64_t value)
{
	struct gapsum *g = arg;
	(void)id;
	(void)type;
	if (!strncmp(label, "rs_feed_gaps_total", 18))
		g->gaps += value;
	else if (!strncmp(label, "rs_feed_recovered_total", 23))
		g->recovered += value;
	else if (!strncmp(label, "rs_feed_unrecovered_total", 25))
		g->unrecovered += value;
	else if (!strncmp(label, "rs_line_duplicates_total", 24))
		g->dups += value;
	return 0;
} /* async-signal flag, not thread sync */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* -------------------------------------------------------------- viewer */

#define TRACK 65536u

struct view {
	uint64_t events, adds, cancels, trades, fills, bbo_changes, rejected;
	uint32_t per_inst[TRACK];
};

static void on_record(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	struct view *v = arg;
	const struct rs_event *e = rec;

	if (type != RS_REC_EVENT || len < sizeof(*e))
		return;
	v->events++;
	switch (e->mbo.action) {
	case 'A': v->adds++; break;
	case 'C': v->cancels++; break;
	case 'T': v->trades++; break;
	case 'F': v->fills++; break;
	}
	if (e->rs_flags & RS_EVF_BBO_CHANGED)
		v->bbo_changes++;
	if (e->rs_flags & RS_EVF_REJECTED)
		v->rejected++;
	v->per_inst[e->mbo.hd.instrument_id % TRACK]++;
}

static void fmt_px(char *buf, size_t len, int64_t px)
{
	if (px == RS_UNDEF_PRICE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.4f", (double)px / 1e9);
}

static int get_counter(void *arg, uint32_t id, uint32_t type, const char *label, uint64_t value)
{
	(void)id; (void)type;
	if (!strncmp(label, "rs_feed_messages_total", 22))
		*(uint64_t *)arg += value;
	return 0;
}

static int run_viewer(const char *instance, double duration, pid_t child)
{
	struct rs_client *c = NULL;
	struct rs_sub *s = NULL;
	struct view *v = calloc(1, sizeof(*v));
	uint64_t start = mono_ns(), last = start, last_msgs = 0;
	int rc = RS_EX_OK;

	if (!v)
		return RS_EX_SOFTWARE;
	/* the producer needs a moment to create its segments */
	for (int i = 0; i < 500 && !stop_flag; i++) {
		if (!rs_client_open(&c, instance, NULL))
			break;
		if (child > 0 && waitpid(child, NULL, WNOHANG) == child) {
			fprintf(stderr, "ringside: the producer exited during start-up\n");
			free(v);
			return RS_EX_SOFTWARE;
		}
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	if (!c) {
		fprintf(stderr, "ringside rates: %s\n", rs_errmsg());
		free(v);
		return RS_EX_UNAVAILABLE;
	}
	if (rs_client_sub_open(c, RS_SEGNAME_EVENTS, RS_START_NEWEST, &s)) {
		fprintf(stderr, "ringside rates: %s\n", rs_errmsg());
		rc = RS_EX_UNAVAILABLE;
		goto out;
	}
	printf("attached to instance '%s' generation %u through libringside; Ctrl-C stops\n", instance,
	       rs_client_generation(c));
	start = last = mono_ns();
	while (!stop_flag) {
		int n = rs_client_sub_poll(s, on_record, v, 4096);
		if (n == -EOVERFLOW)
			fprintf(stderr, "ringside rates: %s\n", rs_errmsg());
		else if (n == 0) {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
		uint64_t now = mono_ns();
		if (now - last < 1000000000ull)
			continue;
		double dt = (double)(now - last) / 1e9;
		uint64_t msgs = 0;
		rs_client_counters(c, get_counter, &msgs);
		if (msgs < last_msgs) /* a new generation restarted the counters */
			last_msgs = 0;
		int hc = rs_client_check(c);
		printf("\n%6.1fs  msgs %9.0f/s  events %9.0f/s  adds %8.0f/s  cancels %8.0f/s  fills %7.0f/s  "
		       "trades %6.0f/s  bbo-changes %8.0f/s  overruns %llu  producer %s\n",
		       (double)(now - start) / 1e9, (double)(msgs - last_msgs) / dt, (double)v->events / dt,
		       (double)v->adds / dt, (double)v->cancels / dt, (double)v->fills / dt,
		       (double)v->trades / dt, (double)v->bbo_changes / dt,
		       (unsigned long long)rs_client_sub_overruns(s), hc ? rs_errmsg() : "alive");
		/* the five busiest instruments of the last second */
		for (int k = 0; k < 5; k++) {
			uint32_t best = 0, bi = 0;
			for (uint32_t i = 0; i < TRACK; i++)
				if (v->per_inst[i] > best)
					best = v->per_inst[i], bi = i;
			if (!best)
				break;
			v->per_inst[bi] = 0;
			struct rs_instrument ins;
			struct rs_bbo b;
			char bid[32], ask[32];
			if (rs_client_instrument(c, bi, &ins))
				snprintf(ins.symbol, sizeof(ins.symbol), "#%u", bi);
			if (rs_client_bbo(c, bi, &b)) {
				b.bid.price = b.ask.price = RS_UNDEF_PRICE;
				b.bid.size = b.ask.size = 0;
				b.volume = 0;
			}
			fmt_px(bid, sizeof(bid), b.bid.price);
			fmt_px(ask, sizeof(ask), b.ask.price);
			printf("    %-8.8s %7u ev/s   bid %6u @ %-10s ask %6u @ %-10s volume %llu\n", ins.symbol,
			       (unsigned)((double)best / dt), b.bid.size, bid, b.ask.size, ask,
			       (unsigned long long)b.volume);
		}
		fflush(stdout);
		memset(v, 0, sizeof(*v));
		last = now;
		last_msgs = msgs;
		if (hc == -EOWNERDEAD || hc == -ESHUTDOWN) {
			rc = RS_EX_UNAVAILABLE;
			break;
		}
		if (hc == -ESTALE && rs_client_reattach(c) == 0)
			printf("re-attached to generation %u\n", rs_client_generation(c));
		if (duration > 0 && (double)(now - start) / 1e9 >= duration)
			break;
	}
out:
	rs_client_close(c);
	free(v);
	return rc;
}

/* ------------------------------------------------------------ commands */

struct demo_opts {
	const char *instance;
	uint64_t rate;       /* messages/s */
	uint32_t symbols;
	uint64_t messages;   /* per generated session; sessions repeat with new seeds */
	double seconds;      /* 0 = until Ctrl-C */
	double drop_a, drop_b;
	bool view_top;
	uint32_t batch;      /* messages per packet */
};

static void demo_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside demo [--seconds N] [--rate MSG/S] [--messages N] [--symbols N]\n"
		"                     [--batch N] [--drop-a P] [--drop-b P] [--instance NAME] [--no-top]\n\n"
		"Runs the appliance on its embedded default configuration: ringsided --embedded\n"
		"(io_uring on loopback, shared memory on huge pages where possible), a replay of\n"
		"generated ITCH sessions on lines A and B at ~1 M messages/s with a little loss\n"
		"(recovered by arbitration and retransmission) and the live view `ringside top`.\n"
		"Ctrl-C stops everything and removes the segments.\n\n"
		"  --seconds N      stop after N seconds; prints one status line per second\n"
		"                   instead of the live view\n"
		"  --rate N         messages per second (default 1000000)\n"
		"  --messages N     messages per generated session (default 10000000)\n"
		"  --symbols N      symbols per session (default 1000)\n"
		"  --batch N        messages per packet (default 24: ~900-byte MoldUDP64\n"
		"                   packets, 42 k packets/s per line at 1 M messages/s)\n"
		"  --drop-a P       packet loss on line A (default 0.001)\n"
		"  --drop-b P       packet loss on line B (default 0.0001)\n"
		"  --instance NAME  instance name (default demo)\n"
		"  --no-top         status lines instead of `ringside top`\n");
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t p = fork();
	if (p == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (log) {
			FILE *f = fopen(log, "a");
			if (f) {
				dup2(fileno(f), 2);
				dup2(fileno(f), 1);
			}
		}
		execv(argv[0], argv);
		fprintf(stderr, "ringside demo: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return p;
}

static void stop_child(pid_t p, int sig, int ms)
{
	if (p <= 0)
		return;
	kill(p, sig);
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(p, NULL, WNOHANG) == p)
			return;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

static pid_t start_replay(const char *self, const struct demo_opts *o, unsigned seq)
{
	char rate[32], msgs[32], syms[16], seed[16], sess[16], da[32], db[32], batch[16];
	snprintf(rate, sizeof(rate), "%llu", (unsigned long long)o->rate);
	snprintf(batch, sizeof(batch), "%u", o->batch);
	snprintf(msgs, sizeof(msgs), "%llu", (unsigned long long)o->messages);
	snprintf(syms, sizeof(syms), "%u", o->symbols);
	snprintf(seed, sizeof(seed), "%u", seq);
	snprintf(sess, sizeof(sess), "DEMO%06u", seq % 1000000);
	snprintf(da, sizeof(da), "%g", o->drop_a);
	snprintf(db, sizeof(db), "%g", o->drop_b);
	char *argv[] = {(char *)self, "replay", "--format", "gen", "--gen-messages", msgs,
			"--gen-symbols", syms, "--gen-seed", seed, "--session", sess, "--dest",
			"127.0.0.1:26400,127.0.0.1:26401", "--rate", rate, "--batch", batch,
			"--drop-a", da, "--drop-b", db, "--retrans-port", "26500", "--retrans-bind",
			"127.0.0.1", "--linger", "0.5", "--quiet", NULL};
	return spawn(argv, NULL);
}

static int cmd_demo(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"rate", required_argument, 0, 'r'},
					   {"symbols", required_argument, 0, 's'},
					   {"messages", required_argument, 0, 'm'},
					   {"seconds", required_argument, 0, 'S'},
					   {"duration", required_argument, 0, 'S'},
					   {"drop-a", required_argument, 0, 'a'},
					   {"drop-b", required_argument, 0, 'b'},
					   {"no-top", no_argument, 0, 'n'},
					   {"batch", required_argument, 0, 'B'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	struct demo_opts o = {"demo", 1000000, 1000, 10000000, 0, 0.001, 0.0001, true, 24};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:r:s:m:S:a:b:B:nh", lo, NULL)) != -1) {
		switch (c) {
		case 'B': {
			uint64_t v;
			if (rs_cli_parse_count(optarg, 1000, &v) || !v) {
				fprintf(stderr, "ringside demo: bad --batch '%s' (1..1000)\n", optarg);
				return RS_EX_USAGE;
			}
			o.batch = (uint32_t)v;
			break;
		}
		case 'i': o.instance = optarg; break;
		case 'r':
			if (rs_cli_parse_count(optarg, 1000000000000ull, &o.rate) || !o.rate) {
				fprintf(stderr, "ringside demo: bad --rate '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 's': o.symbols = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'm':
			if (rs_cli_parse_count(optarg, 1000000000000ull, &o.messages)) {
				fprintf(stderr, "ringside demo: bad --messages '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'S': o.seconds = strtod(optarg, NULL); break;
		case 'a': o.drop_a = strtod(optarg, NULL); break;
		case 'b': o.drop_b = strtod(optarg, NULL); break;
		case 'n': o.view_top = false; break;
		case 'h': demo_usage(stdout); return RS_EX_OK;
		default: demo_usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc || o.symbols == 0 || o.symbols > 65535) {
		demo_usage(stderr);
		return RS_EX_USAGE;
	}
	if (o.seconds > 0 || !isatty(1))
		o.view_top = false;

	/* ringsided sits next to this executable */
	char self[4096], daemon[4200], log[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("ringside demo: /proc/self/exe");
		return RS_EX_UNAVAILABLE;
	}
	self[n] = 0;
	snprintf(daemon, sizeof(daemon), "%.*s/ringsided", (int)(strrchr(self, '/') - self), self);
	if (access(daemon, X_OK)) {
		fprintf(stderr, "ringside demo: %s: %s (build the ringsided target)\n", daemon, strerror(errno));
		return RS_EX_UNAVAILABLE;
	}
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(log, sizeof(log), "%s/ringside-demo-%s.log", tmp, o.instance);
	unlink(log);

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	char *dargv[] = {daemon, "--embedded", "--instance", (char *)o.instance, "--remove-on-exit", NULL};
	pid_t dp = spawn(dargv, log), rp = 0, vp = 0;
	int rc = RS_EX_OK;
	/* wait for the instance */
	struct rs_client *cl = NULL;
	for (int i = 0; i < 3000 && !stop_flag; i++) {
		if (!rs_client_open(&cl, o.instance, NULL))
			break;
		cl = NULL;
		if (waitpid(dp, NULL, WNOHANG) == dp) {
			fprintf(stderr, "ringside demo: ringsided exited during start-up; its log (%s):\n", log);
			char cmd[4300];
			snprintf(cmd, sizeof(cmd), "tail -5 '%s' >&2", log);
			(void)!system(cmd);
			return RS_EX_UNAVAILABLE;
		}
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	if (!cl) {
		stop_child(dp, SIGTERM, 5000);
		return stop_flag ? RS_EX_OK : RS_EX_UNAVAILABLE;
	}
	rs_client_close(cl);
	fprintf(stderr,
		"ringside demo: ringsided --embedded up (instance '%s', log %s); replaying generated "
		"sessions at %llu msg/s, loss A %g %% / B %g %%\n",
		o.instance, log, (unsigned long long)o.rate, o.drop_a * 100, o.drop_b * 100);

	unsigned session = 1;
	rp = start_replay(self, &o, session++);
	if (o.view_top) {
		char *vargv[] = {self, "top", "-i", (char *)o.instance, NULL};
		vp = spawn(vargv, NULL);
	}
	double t0 = (double)mono_ns() / 1e9;
	uint64_t last_msgs = 0, last_t = mono_ns();
	struct rs_client *vc = NULL;
	if (!o.view_top)
		rs_client_open(&vc, o.instance, NULL);
	while (!stop_flag) {
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
		if (waitpid(dp, NULL, WNOHANG) == dp) {
			fprintf(stderr, "ringside demo: ringsided stopped (log %s)\n", log);
			dp = 0;
			rc = RS_EX_SOFTWARE;
			break;
		}
		if (rp && waitpid(rp, NULL, WNOHANG) == rp)
			rp = start_replay(self, &o, session++); /* next session */
		if (vp && waitpid(vp, NULL, WNOHANG) == vp) {
			vp = 0;
			break; /* the user left the live view */
		}
		uint64_t now = mono_ns();
		if (vc && now - last_t >= 1000000000ull) {
			uint64_t msgs = 0;
			rs_client_counters(vc, get_counter, &msgs);
			char st[1024];
			int hc = rs_client_check(vc);
			if (hc == -ESTALE)
				rs_client_reattach(vc);
			struct rs_latency_block *lb = malloc(sizeof(*lb));
			uint64_t p50 = 0, p99 = 0;
			if (lb && rs_metrics_latency(vc, lb) == 0 && lb->nhist) {
				p50 = rs_latency_percentile(&lb->hist[0], 0.5);
				p99 = rs_latency_percentile(&lb->hist[0], 0.99);
			}
			free(lb);
			struct gapsum g = {0};
			rs_client_counters(vc, sum_gaps, &g);
			snprintf(st, sizeof(st),
				 "%6.1fs  %9.0f msg/s  delivered %llu  gaps %llu  recovered %llu  "
				 "unrecovered %llu  dup %llu  rx->shm p50 %.1f us p99 %.1f us",
				 (double)now / 1e9 - t0,
				 (double)(msgs >= last_msgs ? msgs - last_msgs : msgs) * 1e9 / (double)(now - last_t),
				 (unsigned long long)msgs, (unsigned long long)g.gaps,
				 (unsigned long long)g.recovered, (unsigned long long)g.unrecovered,
				 (unsigned long long)g.dups, (double)p50 / 1e3, (double)p99 / 1e3);
			printf("%s\n", st);
			fflush(stdout);
			last_msgs = msgs;
			last_t = now;
		}
		if (o.seconds > 0 && (double)now / 1e9 - t0 >= o.seconds)
			break;
	}
	if (vc)
		rs_client_close(vc);
	stop_child(vp, SIGTERM, 2000);
	stop_child(rp, SIGINT, 3000);
	stop_child(dp, SIGTERM, 10000);
	if (rc == RS_EX_OK) {
		unlink(log); /* a clean run leaves nothing behind */
		printf("demo stopped; segments of '%s' removed\n", o.instance);
	} else {
		printf("demo stopped; segments of '%s' removed (ringsided log kept: %s)\n", o.instance, log);
	}
	return rc;
}

RS_CLI_COMMAND(demo, cmd_demo, "demo [--seconds N] [--rate N]",
	       "run the appliance on its embedded default (ringsided + replay + live view)")

static int cmd_rates(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"duration", required_argument, 0, 'd'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo";
	double duration = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': instance = optarg; break;
		case 'd': duration = strtod(optarg, NULL); break;
		case 'h':
			printf("usage: ringside rates [--instance NAME] [--duration S]\n\n"
			       "Attaches to a running instance through libringside and prints, every\n"
			       "second, event rates from its broadcast ring and the busiest books.\n");
			return RS_EX_OK;
		default: return RS_EX_USAGE;
		}
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return run_viewer(instance, duration, 0);
}

RS_CLI_COMMAND(rates, cmd_rates, "rates [--instance NAME]", "print live rates of a running instance")
