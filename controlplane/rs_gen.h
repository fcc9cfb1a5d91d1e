/*
 * rs_gen.h - synthetic NASDAQ TotalView-ITCH 5.0 session generator (COLD,
 * tools/tests/benchmarks; `ringside gen`).
 *
 * A session is deterministic by seed: the same options give the same bytes.
 * Its shape:
 *
 *   03:00  S 'O'; R (stock directory) and H 'T' (trading action) per symbol
 *   04:00  S 'S'
 *   09:30  S 'Q'; Q opening cross per symbol
 *   09:30-16:00  order flow: A/F add ~45.2 %, D delete ~42.3 %, U replace ~7 %,
 *          E/C execution ~3 %, X cancel ~1.5 %, P trade ~1 %
 *   16:00  S 'M'; Q closing cross per symbol
 *   20:00  S 'E';  20:05 S 'C'
 *
 * Symbol activity is Zipf(s) over a seeded permutation of the symbols.
 * Books are consistent: every E/C/X/D/U refers to a live order of that
 * symbol with enough shares, order reference numbers are unique and
 * increasing, and a symbol's book is never crossed or locked (bids strictly
 * below asks). Executions take the order at the front of the best level.
 * Deletes/cancels/replaces pick recent orders most of the time (orders die
 * young), or uniformly with `uniform_cancels`.
 *
 * Prices live on a per-symbol window of RS_GEN_LEVELS one-cent ticks
 * around its initial price. Each symbol has a fair value that walks one
 * tick at a time (pulled back toward the window centre); new orders and
 * replaces are placed at or a few ticks behind it (never crossing), and
 * when it moves through a quote, that stale quote is what executions hit
 * and what half of the deletes/replaces pull, so the touch follows it.
 */
#ifndef RS_GEN_H
#define RS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_GEN_MSG_MAX 64     /* buffer size rs_gen_next() needs */
#define RS_GEN_LEVELS 1024    /* price window per symbol, in ticks */
#define RS_GEN_MAX_INJECT 16

/* Scenario injection (institutional-flow tests). */
enum rs_gen_inject_kind {
	RS_GEN_INJ_SWEEP = 1,   /* one aggressor takes `levels` price levels at once */
	RS_GEN_INJ_ICEBERG = 2, /* `refills` x (add `size` at the touch, then fully filled) */
};

struct rs_gen_inject {
	int kind;               /* enum rs_gen_inject_kind */
	char symbol[9];         /* symbol name, or "#N" = N-th most active (1 = top) */
	char side;              /* aggressor side: 'B' buyer (default) or 'S' seller */
	uint64_t at_ns;         /* ns since midnight when it starts */
	uint32_t levels;        /* sweep: levels to take (default 3) */
	uint32_t refills;       /* iceberg: number of refills (default 5) */
	uint32_t size;          /* iceberg: shares per refill (default 500) */
	uint32_t gap_ns;        /* iceberg: time between refills (default 10 ms) */
	uint8_t follow;         /* iceberg: 1 = the clip rests and each fill (every gap)
				   is followed at once by the refill (follow=1), else
				   each step adds then fills (default) */
};

struct rs_gen_opts {
	uint64_t seed;          /* default 1 */
	uint64_t flow_seed;     /* 0 = none; else the order flow is drawn from this seed
				   while symbols, prices and activity ranks still come
				   from `seed` (another trading day of the same market) */
	uint32_t symbols;       /* 1..65535, default 1000 */
	uint64_t messages;      /* total messages, including the 6 + 4 x symbols
				   system/directory/cross messages; default 1e6 */
	double zipf_s;          /* Zipf exponent of symbol activity, default 1.0 (0 = uniform) */
	bool uniform_cancels;   /* pick D/X/U targets uniformly among live orders */
	uint32_t ninject;
	struct rs_gen_inject inject[RS_GEN_MAX_INJECT];
};

/* Counters of what was generated so far. */
struct rs_gen_stats {
	uint64_t messages;
	uint64_t by_type[128];  /* indexed by the ITCH type character */
	uint64_t live_orders;   /* orders on the books now */
	uint64_t max_live_orders;
	uint64_t injected;      /* messages produced by scenario injection */
};

struct rs_gen;

/* Defaults (see struct comments). */
void rs_gen_opts_default(struct rs_gen_opts *o);
/* The fixed (non order-flow) message count for `symbols` symbols. */
uint64_t rs_gen_overhead(uint32_t symbols);
/*
 * Parse one --inject spec into `out`:
 *   sweep:SYM@HH:MM:SS[.frac][,side=B|S][,levels=N]
 *   iceberg:SYM@HH:MM:SS[.frac][,side=B|S][,refills=N][,size=N][,gap-ms=N][,follow=0|1]
 * SYM is a symbol name or #N (N-th most active). 0 or -EINVAL.
 */
int rs_gen_inject_parse(struct rs_gen_inject *out, const char *spec);

/* 0, -EINVAL (bad options, e.g. messages < overhead), -ENOENT (inject
 * symbol unknown) or -ENOMEM. The reason is written to `err` (when
 * non-NULL) and left in rs_err_msg(). */
int rs_gen_create(struct rs_gen **out, const struct rs_gen_opts *o, char *err, size_t errlen);
void rs_gen_destroy(struct rs_gen *g);

/* Write the next message (no length prefix) into buf (>= RS_GEN_MSG_MAX
 * bytes); returns its length, or 0 when the session is complete. */
size_t rs_gen_next(struct rs_gen *g, uint8_t *buf);

/* ns since midnight of the last message produced. */
uint64_t rs_gen_ts(const struct rs_gen *g);
const struct rs_gen_stats *rs_gen_stats(const struct rs_gen *g);
/* Symbol (NUL-terminated, no padding) of stock locate 1..symbols; NULL if out of range. */
const char *rs_gen_symbol(const struct rs_gen *g, uint16_t locate);
/* Stock locate of the N-th most active symbol (rank 1..symbols), 0 if out of range. */
uint16_t rs_gen_locate_by_rank(const struct rs_gen *g, uint32_t rank);

/* ---- writers ---- */

enum rs_gen_format { RS_GEN_FMT_DAY = 0, RS_GEN_FMT_PCAP = 1 };

struct rs_gen_pcap_opts {
	int64_t midnight_ns;    /* UNIX ns of the session's midnight (New York) */
	char session[10];       /* MoldUDP64 session, space padded */
	uint32_t max_msgs;      /* messages per packet, default 8 */
	uint32_t max_payload;   /* UDP payload limit, default 1400 */
	uint32_t src_ip, dst_ip;/* host order; default 10.0.0.1 -> 233.54.12.111 */
	uint16_t src_port, dst_port; /* default 26477 both */
};
void rs_gen_pcap_opts_default(struct rs_gen_pcap_opts *o);

/* Drain `g` into a day file (2-byte big-endian length prefix per message).
 * 0 or -errno; *bytes gets the file size when non-NULL. */
int rs_gen_write_day(struct rs_gen *g, const char *path, uint64_t *bytes);
/* Drain `g` into a nanosecond pcap of Ethernet/IPv4/UDP/MoldUDP64 packets,
 * ending with one end-of-session packet. 0 or -errno. */
int rs_gen_write_pcap(struct rs_gen *g, const char *path, const struct rs_gen_pcap_opts *po,
		      uint64_t *packets);

/* UNIX ns of midnight America/New_York on a date (US DST rules since 2007). */
int64_t rs_gen_midnight_ns(int year, int month, int day);

#endif
