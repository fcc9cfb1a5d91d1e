/*
 * rs_replay.h - MoldUDP64 feed replayer with fault injection and a
 * re-request (retransmission) server (COLD, test tool; `ringside replay`).
 *
 * Messages come from an ITCH day file, a pcap of MoldUDP64 packets (messages
 * are taken in sequence order, duplicates in the capture skipped) or an
 * in-process generated session (rs_gen). They are re-packetized into
 * MoldUDP64 downstream packets (sequence numbers from 1, one session name)
 * and sent over UDP to one or two lines (A, B), unicast or multicast.
 *
 * Per line, each packet goes through (seeded, deterministic decisions):
 *   burst drop (N packets starting with probability P) -> drop (P) ->
 *   reorder (held back, with probability P, until 1..W later packets went
 *   out) -> duplicate (sent twice in a row, probability P).
 * Heartbeats (count 0, sequence = next, after a second without a packet),
 * end-of-session packets (count 0xFFFF, sequence = next) and the
 * re-request server are not subject to faults.
 *
 * The history keeps the last `history` messages; a request (20 bytes:
 * session, first sequence, count) on the retransmission port is answered
 * with ordinary downstream packets unicast to the requester. A request for
 * messages no longer (or not yet) in the history gets no reply and is
 * counted; one that runs past the last sent message is served partially.
 *
 * Threads: rs_replay_run() sends on the calling thread; the retransmission
 * server runs on its own thread, sharing the history under a mutex.
 */
#ifndef RS_REPLAY_H
#define RS_REPLAY_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rs_gen.h"

enum rs_replay_src { RS_REPLAY_SRC_DAY = 0, RS_REPLAY_SRC_PCAP = 1, RS_REPLAY_SRC_GEN = 2 };

struct rs_replay_faults {
	double drop;             /* per-packet drop probability */
	double dup;              /* per-packet duplicate probability */
	uint32_t reorder_window; /* W: a held packet goes out after 1..W later packets (0 = off) */
	double reorder_prob;     /* probability a packet is held back (default 0.1 with a window) */
	uint32_t burst_len;      /* N: packets dropped per burst (0 = off) */
	double burst_prob;       /* probability per packet that a burst starts */
};

struct rs_replay_opts {
	int src;                        /* enum rs_replay_src */
	const char *path;               /* day file or pcap */
	struct rs_gen_opts gen;         /* RS_REPLAY_SRC_GEN */
	uint32_t nlines;                /* 1 (A) or 2 (A and B) */
	struct sockaddr_in dest[2];
	char iface[IF_NAMESIZE];        /* multicast egress interface (name), "" = default */
	struct in_addr ifaddr;          /* or its address (INADDR_ANY = default) */
	int ttl;                        /* multicast/unicast TTL, default 1 */
	double rate;                    /* messages/s; 0 = full speed */
	bool pace_even;                 /* each packet at its own time (spin-waits on
					   this core; no batching): latency benchmarks.
					   Default: token bucket, batches of up to 32
					   packets per system call (bursty) */
	uint32_t max_msgs;              /* messages per packet, default 8 */
	uint32_t max_payload;           /* UDP payload bytes, default 1400 */
	struct rs_replay_faults faults[2];
	uint64_t seed;                  /* fault-injection seed, default 1 */
	bool retrans;                   /* run the re-request server */
	uint16_t retrans_port;          /* 0 = ephemeral (see rs_replay_retrans_port) */
	struct in_addr retrans_bind;    /* default INADDR_ANY */
	uint32_t history;               /* messages kept, default 1,000,000 */
	double duration;                /* stop sending after this many s (0 = end of input) */
	double linger;                  /* keep serving re-requests this long after the end, s */
	double eos_interval;            /* end-of-session packet period while lingering, default 1 s */
	char session[10];               /* MoldUDP64 session, space padded; default "RSREPLAY01" */
	uint64_t max_messages;          /* stop after this many source messages (0 = all) */
};

struct rs_replay_line_stats {
	uint64_t packets;        /* datagrams sent (duplicates included) */
	uint64_t messages;       /* messages in them */
	uint64_t bytes;          /* UDP payload bytes */
	uint64_t dropped;        /* packets dropped by fault injection (bursts included) */
	uint64_t dropped_msgs;
	uint64_t burst_dropped;  /* of which in bursts */
	uint64_t bursts;
	uint64_t duplicated;     /* extra copies sent */
	uint64_t reordered;      /* packets held back and sent late */
	uint64_t heartbeats;     /* heartbeats sent while idle (>= 1 s between packets) */
	uint64_t eos;            /* end-of-session packets */
	uint64_t send_errors;
};

struct rs_replay_stats {
	struct rs_replay_line_stats line[2];
	uint32_t nlines;
	uint64_t source_messages;  /* messages taken from the source */
	uint64_t source_packets;   /* distinct downstream packets built */
	uint64_t next_seq;         /* sequence number after the last message */
	uint64_t src_skipped;      /* pcap: non-MoldUDP64 datagrams / duplicate messages skipped */
	uint64_t rr_requests;      /* re-requests received */
	uint64_t rr_bad;           /* malformed, wrong session or count 0 */
	uint64_t rr_unavailable;   /* nothing of the range in the history: no reply */
	uint64_t rr_partial;       /* range ran past the history: served in part */
	uint64_t rr_messages;      /* messages retransmitted */
	uint64_t rr_packets;
	double elapsed;            /* s from the first packet to the end of sending */
	uint64_t late_packets;     /* pace_even: packets sent > 10 us after their time */
	double late_max;           /* pace_even: largest delay behind schedule, s */
	bool by_duration;          /* stopped by `duration` */
	bool by_signal;            /* stopped by rs_replay_stop() */
};

struct rs_replay;

void rs_replay_opts_default(struct rs_replay_opts *o);
/* "drop,dup,reorder..." are set by the CLI; this parses "N@P" (burst). */
int rs_replay_parse_burst(const char *s, uint32_t *len, double *prob);
/* "A.B.C.D:PORT" -> sockaddr_in. 0 or -EINVAL. */
int rs_replay_parse_dest(const char *s, struct sockaddr_in *out);

/* Open the source, sockets and (if asked) bind the retransmission port.
 * 0 or -errno with rs_err_msg() set. */
int rs_replay_create(struct rs_replay **out, const struct rs_replay_opts *o);
/* Send everything (blocking), then end-of-session + linger. 0 or -errno. */
int rs_replay_run(struct rs_replay *r);
/* Ask a running rs_replay_run() to finish now (thread- and signal-safe). */
void rs_replay_stop(struct rs_replay *r);
/* Bound retransmission port (host order), 0 if none. */
uint16_t rs_replay_retrans_port(const struct rs_replay *r);
/* Snapshot of the counters. Line counters are exact once rs_replay_run()
 * returned; re-request counters are always consistent. */
void rs_replay_get_stats(struct rs_replay *r, struct rs_replay_stats *st);
void rs_replay_destroy(struct rs_replay *r);

/* Human-readable summary / one JSON object (with a trailing newline). */
void rs_replay_stats_print(const struct rs_replay_stats *st, FILE *f);
void rs_replay_stats_json(const struct rs_replay_stats *st, FILE *f);

#endif
