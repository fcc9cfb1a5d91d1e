/*
 * rs_cmd_demo.c - `ringside demo` and `ringside rates`.
 *
 * demo: the embedded end-to-end run that needs no NIC and no set-up. A
 * producer process generates a synthetic NASDAQ ITCH 5.0 session (the same
 * generator as `ringside gen`), decodes it with the dataplane's ITCH
 * decoder, rebuilds every book with the MBO book engine, and publishes into
 * an instance's shared-memory segments (huge pages where possible): the
 * normalized-event broadcast ring, instrument directory, BBO and MBP-N
 * tables, counters. In the foreground, the same code as `ringside rates`
 * attaches through libringside (the public client API, nothing else) and
 * prints live rates and the busiest books every second. Ctrl-C stops both
 * and removes the segments.
 *
 * Until the daemon (ringsided) exists this is README command 1; the
 * producer loop here is the inline-mode dataplane in miniature.
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

#include "ringside.h"
#include "rs_book.h"
#include "rs_cli.h"
#include "rs_err.h"
#include "rs_gen.h"
#include "rs_instance.h"
#include "rs_instdir.h"
#include "rs_itch.h"

static volatile sig_atomic_t stop_flag; /* async-signal flag, not thread sync */

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

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct demo_opts {
	const char *instance;
	uint64_t rate;       /* messages/s, 0 = full speed */
	uint32_t symbols;
	uint64_t messages;   /* per generated session; sessions repeat with new seeds */
	double duration;     /* seconds, 0 = until Ctrl-C */
	int huge;
	int view;
};

/* ------------------------------------------------------------ producer */

struct producer {
	struct rs_instance *in;
	struct rs_book *book;
	struct rs_itch_dec dec;
	struct rs_instdir dir;
	_Atomic uint64_t *c_msgs, *c_events, *c_rejected, *c_bbo, *c_sessions, *c_book_q;
};

static _Atomic uint64_t *counter(struct rs_instance *in, const char *label)
{
	int id = rs_counters_alloc(&in->counters, RS_COUNTER_TYPE_COUNTER, 0, label);
	return id >= 0 ? rs_counters_value(&in->counters, id) : NULL;
}

static int producer_setup(struct producer *p, const struct demo_opts *o)
{
	struct rs_instance_conf ic;
	struct rs_book_cfg bc;
	int rc;

	rs_instance_conf_default(&ic, o->instance);
	ic.max_instruments = 16384;
	ic.depth = 10;
	ic.huge = o->huge;
	if ((rc = rs_instance_create(&p->in, &ic)))
		return rc;
	rs_book_cfg_default(&bc);
	bc.max_instruments = 16384;
	bc.max_orders = 1u << 20;  /* a generated session keeps ~10^5 orders live */
	bc.max_levels = 1u << 18;
	bc.depth = 10;
	bc.reserve_huge = 1;
	if ((rc = rs_book_create(&p->book, &bc)))
		return rc;
	if ((rc = rs_book_attach_tables(p->book, &p->in->bbo, &p->in->depth)))
		return rc;
	rs_itch_dec_init(&p->dec, 1);
	rs_itch_dec_set_date(&p->dec, 2026, 11, 20);
	if ((rc = rs_instdir_init(&p->dir, 65536, 1)))
		return rc;
	rs_instdir_bind(&p->dir, &p->dec);
	if ((rc = rs_instdir_attach_table(&p->dir, &p->in->instruments)))
		return rc;
	p->c_msgs = counter(p->in, "demo.itch_messages");
	p->c_events = counter(p->in, "demo.events_published");
	p->c_rejected = counter(p->in, "demo.itch_rejected");
	p->c_bbo = counter(p->in, "demo.bbo_changes");
	p->c_sessions = counter(p->in, "demo.sessions");
	p->c_book_q = counter(p->in, "demo.book_quality_events");
	if (!p->c_msgs || !p->c_events || !p->c_rejected || !p->c_bbo || !p->c_sessions || !p->c_book_q)
		return RS_ERR_SET(-ENOSPC, "counters block full");
	rs_instance_publish(p->in);
	return 0;
}

static int run_producer(const struct demo_opts *o)
{
	struct producer p;
	struct rs_gen *g = NULL;
	struct rs_gen_opts go;
	uint8_t msg[RS_GEN_MSG_MAX];
	struct rs_event ev[RS_ITCH_MAX_EVENTS];
	uint64_t seq = 0, sent = 0, t0 = mono_ns(), last_pub = t0, seed = 1;
	char err[256];
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = producer_setup(&p, o))) {
		fprintf(stderr, "ringside demo: producer: %s\n", rs_err_msg());
		goto out;
	}
	t0 = last_pub = mono_ns(); /* pace from here, not from before the set-up */
	fprintf(stderr, "ringside demo: instance '%s' generation %u up (%s), %u symbols, %s\n", o->instance,
		p.in->generation, p.in->huge ? "2 MiB huge pages" : "ordinary shared memory (no huge pages)",
		o->symbols, o->rate ? "paced" : "full speed");
	while (!stop_flag) {
		if (!g) {
			rs_gen_opts_default(&go);
			go.seed = seed++;
			go.symbols = o->symbols;
			go.messages = o->messages;
			if ((rc = rs_gen_create(&g, &go, err, sizeof(err)))) {
				fprintf(stderr, "ringside demo: generator: %s\n", err);
				goto out;
			}
			rs_counters_inc(p.c_sessions);
			rs_book_reset(p.book); /* a new session starts with empty books */
		}
		/* a burst of 32 messages, then pacing */
		for (int i = 0; i < 32; i++) {
			size_t len = rs_gen_next(g, msg);
			if (!len) {
				rs_gen_destroy(g);
				g = NULL;
				break;
			}
			uint64_t now = real_ns();
			unsigned n = rs_itch_decode(&p.dec, msg, len, ++seq, now, ev);
			rs_counters_inc(p.c_msgs);
			for (unsigned k = 0; k < n; k++) {
				rs_book_apply(p.book, &ev[k]);
				if (ev[k].rs_flags & RS_EVF_REJECTED)
					rs_counters_inc(p.c_book_q);
				if (ev[k].rs_flags & RS_EVF_BBO_CHANGED)
					rs_counters_inc(p.c_bbo);
				rs_bcast_write(&p.in->events, RS_REC_EVENT, &ev[k], sizeof(ev[k]));
			}
			rs_counters_add(p.c_events, n);
			sent++;
		}
		uint64_t now = mono_ns();
		if (now - last_pub >= 10000000ull) { /* tables and heartbeat every 10 ms */
			rs_book_publish(p.book, NULL, NULL);
			rs_instance_heartbeat(p.in);
			uint64_t rej = 0;
			for (unsigned k = 0; k < RS_ITCH_REJ__COUNT; k++)
				rej += p.dec.c.rejects[k];
			rs_counters_set(p.c_rejected, rej);
			last_pub = now;
		}
		if (o->rate) {
			uint64_t due = t0 + sent * 1000000000ull / o->rate;
			if (due > now + 200000) {
				struct timespec ts = {0, (long)(due - now)};
				nanosleep(&ts, NULL);
			}
		}
	}
	rc = 0;
out:
	if (g)
		rs_gen_destroy(g);
	if (p.book)
		rs_book_destroy(p.book);
	if (p.dir.inst)
		rs_instdir_fini(&p.dir);
	if (p.in)
		rs_instance_close(p.in, true);
	return rc ? RS_EX_SOFTWARE : RS_EX_OK;
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
	if (!strcmp(label, "demo.itch_messages"))
		*(uint64_t *)arg = value;
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

static void demo_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside demo [--instance NAME] [--rate MSG/S] [--symbols N] [--messages N]\n"
		"                     [--duration S] [--no-huge] [--produce-only]\n\n"
		"Runs the embedded end-to-end demo: a producer process generates a synthetic\n"
		"ITCH 5.0 session, decodes it, rebuilds every MBO book and publishes events,\n"
		"BBO/MBP tables and counters into shared memory (huge pages where possible);\n"
		"this process attaches through libringside and prints live rates.\n\n"
		"  --instance NAME   instance name (default demo)\n"
		"  --rate N          messages per second (default 1000000; 0 = full speed)\n"
		"  --symbols N       symbols in the session (default 500)\n"
		"  --messages N      messages per generated session, repeated with new seeds\n"
		"                    (default 20000000)\n"
		"  --duration S      stop after S seconds (default: run until Ctrl-C)\n"
		"  --no-huge         ordinary shared memory only\n"
		"  --produce-only    run only the producer (read it with 'ringside rates')\n");
}

static int cmd_demo(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"rate", required_argument, 0, 'r'},
					   {"symbols", required_argument, 0, 's'},
					   {"messages", required_argument, 0, 'm'},
					   {"duration", required_argument, 0, 'd'},
					   {"no-huge", no_argument, 0, 'H'},
					   {"produce-only", no_argument, 0, 'p'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	struct demo_opts o = {"demo", 1000000, 500, 20000000, 0, RS_SHM_HUGE_AUTO, 1};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:r:s:m:d:Hph", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o.instance = optarg; break;
		case 'r':
			if (rs_cli_parse_count(optarg, 1000000000000ull, &o.rate)) {
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
		case 'd': o.duration = strtod(optarg, NULL); break;
		case 'H': o.huge = RS_SHM_HUGE_OFF; break;
		case 'p': o.view = 0; break;
		case 'h': demo_usage(stdout); return RS_EX_OK;
		default: demo_usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc || o.symbols == 0 || o.symbols > 65535) {
		demo_usage(stderr);
		return RS_EX_USAGE;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!o.view) {
		if (o.duration > 0)
			alarm((unsigned)(o.duration + 0.999));
		sigaction(SIGALRM, &sa, NULL);
		return run_producer(&o);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("ringside demo: fork");
		return RS_EX_UNAVAILABLE;
	}
	if (pid == 0)
		_exit(run_producer(&o));
	int rc = run_viewer(o.instance, o.duration, pid);
	kill(pid, SIGTERM);
	int st = 0;
	waitpid(pid, &st, 0);
	if (rc == RS_EX_OK && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		fprintf(stderr, "ringside demo: producer failed (status %d)\n", st);
		rc = RS_EX_SOFTWARE;
	}
	printf("demo stopped; segments of '%s' removed\n", o.instance);
	return rc;
}

RS_CLI_COMMAND(demo, cmd_demo, "demo [--rate N] [--duration S]",
	       "run the embedded end-to-end demo (generator -> decoder -> book -> shm -> reader)")

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
