/* rs_cmd_replay.c - `ringside replay`: send a session as MoldUDP64 over UDP. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_cli.h"
#include "rs_replay.h"
#include "shm/rs_err.h"

/* The replay the signal handler stops; stored before the handler is
 * installed (relaxed is enough: same thread, and a signal handler sees its
 * thread's earlier stores). */
static _Atomic(struct rs_replay *) replay_running;

static void on_signal(int sig)
{
	(void)sig;
	struct rs_replay *r = atomic_load_explicit(&replay_running, memory_order_relaxed);
	if (r)
		rs_replay_stop(r); /* an atomic store: async-signal-safe */
}

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside replay [SRC] --dest GROUP:PORT[,GROUP:PORT] [options]\n"
		"Send an ITCH day file, a MoldUDP64 pcap or a generated session as MoldUDP64\n"
		"over UDP (multicast or unicast) on line A (and B), with per-line fault\n"
		"injection and a MoldUDP64 re-request server.\n\n"
		"source:\n"
		"  SRC                    day file or pcap/pcapng (omit with --format gen)\n"
		"  --format day|pcap|gen  source kind (default: pcap for *.pcap/*.pcapng, else day)\n"
		"  --gen-messages N       generated session: total messages (default 1000000)\n"
		"  --gen-seed N           ... seed (default 1)\n"
		"  --gen-symbols N        ... symbols (default 1000)\n"
		"  --gen-zipf S           ... Zipf exponent (default 1.0)\n"
		"  --max-messages N       stop after N source messages\n"
		"sending:\n"
		"  --dest A[,B]           destinations IP:PORT of line A and optional line B\n"
		"  --iface IF | --ifaddr IP  multicast egress interface\n"
		"  --ttl N                TTL (default 1)\n"
		"  --rate MSG/S           message rate, token bucket (default 100000)\n"
		"  --full-speed           no rate limit\n"
		"  --pace bursts|even     bursts (default): token bucket, up to 32 packets per\n"
		"                         system call; even: every packet at its own time\n"
		"                         (spins on this core; for latency measurement; a\n"
		"                         packet behind schedule goes out at once, alone,\n"
		"                         and is counted late)\n"
		"  --batch N              messages per packet (default 8)\n"
		"  --max-payload BYTES    UDP payload limit (default 1400)\n"
		"  --session NAME         MoldUDP64 session, up to 10 chars (default RSREPLAY01)\n"
		"  --duration S           stop sending after S seconds\n"
		"faults (per line: -a / -b):\n"
		"  --drop-a P             drop packets with probability P\n"
		"  --dup-a P              send packets twice with probability P\n"
		"  --reorder-a W[:P]      hold packets (probability P, default 0.1) until 1..W\n"
		"                         later packets went out\n"
		"  --burst-drop-a N@P     drop N packets in a row, starting with probability P\n"
		"  --seed N               fault-injection seed (default 1)\n"
		"retransmission:\n"
		"  --retrans-port PORT    answer MoldUDP64 re-requests on this UDP port\n"
		"  --retrans-bind IP      address to bind it to (default any)\n"
		"  --history N            messages kept for re-requests (default 1000000)\n"
		"  --linger S             keep answering S seconds after the end (default 1)\n"
		"output:\n"
		"  --stats-json           print the summary as one JSON object on stdout\n"
		"  --quiet                no summary on stderr\n"
		"  -h, --help             this help\n");
}

static int parse_prob(const char *s, double *out)
{
	char *e;
	double v = strtod(s, &e);
	if (e == s || *e || !(v >= 0 && v <= 1))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	return rs_cli_parse_count(s, 1000000000000000ull, out);
}

static int parse_reorder(const char *s, struct rs_replay_faults *f)
{
	char *e;
	unsigned long w = strtoul(s, &e, 10);
	if (e == s || w > 4096)
		return -EINVAL;
	f->reorder_window = (uint32_t)w;
	if (*e == ':')
		return parse_prob(e + 1, &f->reorder_prob);
	return *e ? -EINVAL : 0;
}

enum {
	O_FORMAT = 1000, O_GEN_MESSAGES, O_GEN_SEED, O_GEN_SYMBOLS, O_GEN_ZIPF, O_MAX_MESSAGES,
	O_DEST, O_IFACE, O_IFADDR, O_TTL, O_RATE, O_FULL, O_PACE, O_BATCH, O_MAXPAY, O_SESSION,
	O_DURATION, O_DROP_A, O_DROP_B, O_DUP_A, O_DUP_B, O_REORDER_A, O_REORDER_B, O_BURST_A,
	O_BURST_B, O_SEED, O_RR_PORT, O_RR_BIND, O_HISTORY, O_LINGER, O_JSON, O_QUIET,
};

static int cmd_replay(int argc, char **argv)
{
	static const struct option lo[] = {
		{"format", required_argument, 0, O_FORMAT},
		{"gen-messages", required_argument, 0, O_GEN_MESSAGES},
		{"gen-seed", required_argument, 0, O_GEN_SEED},
		{"gen-symbols", required_argument, 0, O_GEN_SYMBOLS},
		{"gen-zipf", required_argument, 0, O_GEN_ZIPF},
		{"max-messages", required_argument, 0, O_MAX_MESSAGES},
		{"dest", required_argument, 0, O_DEST},
		{"iface", required_argument, 0, O_IFACE},
		{"ifaddr", required_argument, 0, O_IFADDR},
		{"ttl", required_argument, 0, O_TTL},
		{"rate", required_argument, 0, O_RATE},
		{"full-speed", no_argument, 0, O_FULL},
		{"pace", required_argument, 0, O_PACE},
		{"batch", required_argument, 0, O_BATCH},
		{"max-payload", required_argument, 0, O_MAXPAY},
		{"session", required_argument, 0, O_SESSION},
		{"duration", required_argument, 0, O_DURATION},
		{"drop-a", required_argument, 0, O_DROP_A},
		{"drop-b", required_argument, 0, O_DROP_B},
		{"dup-a", required_argument, 0, O_DUP_A},
		{"dup-b", required_argument, 0, O_DUP_B},
		{"reorder-a", required_argument, 0, O_REORDER_A},
		{"reorder-b", required_argument, 0, O_REORDER_B},
		{"burst-drop-a", required_argument, 0, O_BURST_A},
		{"burst-drop-b", required_argument, 0, O_BURST_B},
		{"seed", required_argument, 0, O_SEED},
		{"retrans-port", required_argument, 0, O_RR_PORT},
		{"retrans-bind", required_argument, 0, O_RR_BIND},
		{"history", required_argument, 0, O_HISTORY},
		{"linger", required_argument, 0, O_LINGER},
		{"stats-json", no_argument, 0, O_JSON},
		{"quiet", no_argument, 0, O_QUIET},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct rs_replay_opts o;
	rs_replay_opts_default(&o);
	o.rate = 100000;
	int json = 0, quiet = 0, have_format = 0, have_dest = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		uint64_t v;
		char *e;
		int bad = 0;
		switch (c) {
		case O_FORMAT:
			have_format = 1;
			if (!strcmp(optarg, "day"))
				o.src = RS_REPLAY_SRC_DAY;
			else if (!strcmp(optarg, "pcap"))
				o.src = RS_REPLAY_SRC_PCAP;
			else if (!strcmp(optarg, "gen"))
				o.src = RS_REPLAY_SRC_GEN;
			else
				bad = 1;
			break;
		case O_GEN_MESSAGES:
			bad = parse_u64(optarg, &o.gen.messages) != 0;
			break;
		case O_GEN_SEED:
			bad = parse_u64(optarg, &o.gen.seed) != 0;
			break;
		case O_GEN_SYMBOLS:
			bad = parse_u64(optarg, &v) || v < 1 || v > 65535;
			o.gen.symbols = (uint32_t)v;
			break;
		case O_GEN_ZIPF:
			o.gen.zipf_s = strtod(optarg, &e);
			bad = *e || e == optarg || !(o.gen.zipf_s >= 0 && o.gen.zipf_s <= 10);
			break;
		case O_MAX_MESSAGES:
			bad = parse_u64(optarg, &o.max_messages) != 0;
			break;
		case O_DEST: {
			char buf[256];
			snprintf(buf, sizeof(buf), "%s", optarg);
			char *comma = strchr(buf, ',');
			if (comma)
				*comma = 0;
			bad = rs_replay_parse_dest(buf, &o.dest[0]) != 0;
			o.nlines = 1;
			if (!bad && comma) {
				bad = rs_replay_parse_dest(comma + 1, &o.dest[1]) != 0;
				o.nlines = 2;
			}
			have_dest = !bad;
			break;
		}
		case O_IFACE:
			bad = strlen(optarg) >= sizeof(o.iface);
			if (!bad)
				snprintf(o.iface, sizeof(o.iface), "%s", optarg);
			break;
		case O_IFADDR:
			bad = inet_pton(AF_INET, optarg, &o.ifaddr) != 1;
			break;
		case O_TTL:
			bad = parse_u64(optarg, &v) || v < 1 || v > 255;
			o.ttl = (int)v;
			break;
		case O_RATE:
			o.rate = strtod(optarg, &e);
			bad = *e || e == optarg || !(o.rate > 0);
			break;
		case O_FULL:
			o.rate = 0;
			break;
		case O_PACE:
			bad = strcmp(optarg, "even") && strcmp(optarg, "bursts");
			o.pace_even = !strcmp(optarg, "even");
			break;
		case O_BATCH:
			bad = parse_u64(optarg, &v) || v < 1 || v > 1000;
			o.max_msgs = (uint32_t)v;
			break;
		case O_MAXPAY:
			bad = parse_u64(optarg, &v) || v < 64 || v > 1472;
			o.max_payload = (uint32_t)v;
			break;
		case O_SESSION: {
			size_t n = strlen(optarg);
			bad = n < 1 || n > 10;
			if (!bad) {
				memset(o.session, ' ', 10);
				memcpy(o.session, optarg, n);
			}
			break;
		}
		case O_DURATION:
			o.duration = strtod(optarg, &e);
			bad = *e || e == optarg || !(o.duration > 0);
			break;
		case O_DROP_A:
		case O_DROP_B:
			bad = parse_prob(optarg, &o.faults[c == O_DROP_B].drop) != 0;
			break;
		case O_DUP_A:
		case O_DUP_B:
			bad = parse_prob(optarg, &o.faults[c == O_DUP_B].dup) != 0;
			break;
		case O_REORDER_A:
		case O_REORDER_B:
			bad = parse_reorder(optarg, &o.faults[c == O_REORDER_B]) != 0;
			break;
		case O_BURST_A:
		case O_BURST_B: {
			struct rs_replay_faults *f = &o.faults[c == O_BURST_B];
			bad = rs_replay_parse_burst(optarg, &f->burst_len, &f->burst_prob) != 0;
			break;
		}
		case O_SEED:
			bad = parse_u64(optarg, &o.seed) != 0;
			break;
		case O_RR_PORT:
			bad = parse_u64(optarg, &v) || v > 65535;
			o.retrans = true;
			o.retrans_port = (uint16_t)v;
			break;
		case O_RR_BIND:
			bad = inet_pton(AF_INET, optarg, &o.retrans_bind) != 1;
			break;
		case O_HISTORY:
			bad = parse_u64(optarg, &v) || v < 1 || v > 1000000000;
			o.history = (uint32_t)v;
			break;
		case O_LINGER:
			o.linger = strtod(optarg, &e);
			bad = *e || e == optarg || !(o.linger >= 0);
			break;
		case O_JSON:
			json = 1;
			break;
		case O_QUIET:
			quiet = 1;
			break;
		case 'h':
			replay_usage(stdout);
			return RS_EX_OK;
		default:
			replay_usage(stderr);
			return RS_EX_USAGE;
		}
		if (bad) {
			fprintf(stderr, "ringside replay: bad value '%s' for --%s\n", optarg,
				lo[c - O_FORMAT].name);
			return RS_EX_USAGE;
		}
	}
	if (!have_dest) {
		fprintf(stderr, "ringside replay: --dest is required\n");
		return RS_EX_USAGE;
	}
	if (o.src == RS_REPLAY_SRC_GEN && have_format) {
		if (optind != argc) {
			fprintf(stderr, "ringside replay: no SRC with --format gen\n");
			return RS_EX_USAGE;
		}
	} else {
		if (optind != argc - 1) {
			fprintf(stderr, "ringside replay: expected one SRC file (or --format gen)\n");
			return RS_EX_USAGE;
		}
		o.path = argv[optind];
		if (!have_format) {
			size_t n = strlen(o.path);
			o.src = (n > 5 && !strcmp(o.path + n - 5, ".pcap")) ||
					(n > 7 && !strcmp(o.path + n - 7, ".pcapng"))
				? RS_REPLAY_SRC_PCAP
				: RS_REPLAY_SRC_DAY;
		}
	}
	if (!o.retrans)
		o.linger = 0;

	struct rs_replay *r;
	int rc = rs_replay_create(&r, &o);
	if (rc) {
		fprintf(stderr, "ringside replay: %s\n", rs_err_msg());
		return rc == -ENOENT ? RS_EX_NOINPUT
		       : rc == -EINVAL ? RS_EX_USAGE
				       : RS_EX_UNAVAILABLE;
	}
	if (!quiet && o.retrans)
		fprintf(stderr, "ringside replay: answering re-requests on UDP port %u\n",
			rs_replay_retrans_port(r));
	atomic_store_explicit(&replay_running, r, memory_order_relaxed);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	struct sigaction old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = rs_replay_run(r);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	atomic_store_explicit(&replay_running, NULL, memory_order_relaxed);
	struct rs_replay_stats st;
	rs_replay_get_stats(r, &st);
	if (!quiet)
		rs_replay_stats_print(&st, stderr);
	if (json)
		rs_replay_stats_json(&st, stdout);
	rs_replay_destroy(r);
	if (rc) {
		fprintf(stderr, "ringside replay: %s\n", rs_err_msg());
		return rc == -EBADMSG ? RS_EX_DATAERR : RS_EX_IOERR;
	}
	return RS_EX_OK;
}

RS_CLI_COMMAND(replay, cmd_replay, "replay [SRC] --dest IP:PORT[,IP:PORT] [options]",
	       "send a session as MoldUDP64 over UDP with fault injection and re-requests")
