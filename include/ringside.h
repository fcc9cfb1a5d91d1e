/*
 * ringside.h - public client API of libringside.
 *
 * Local programs attach to a running ringside instance's shared-memory
 * segments and read its data without copies or system calls on the read
 * path. This header is the only one installed; it includes nothing but
 * <stdint.h>, <stddef.h> and <stdbool.h>.
 *
 * Part 1 defines the records that live in shared memory (they are also the
 * records the appliance writes to DBN files). Part 2 is the client API.
 *
 * Conventions
 *  - Prices are int64 in units of 1e-9 (RS_PRICE_SCALE); RS_UNDEF_PRICE
 *    (INT64_MAX) means "no price".
 *  - Times are uint64 nanoseconds since the UNIX epoch; RS_UNDEF_TS
 *    (UINT64_MAX) means "unknown".
 *  - Functions returning int return 0 on success or a negative errno value;
 *    rs_errmsg() then returns a readable message for the calling thread.
 */
#ifndef RINGSIDE_H
#define RINGSIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RS_BUILDING_LIB)
#define RS_API __attribute__((visibility("default")))
#else
#define RS_API
#endif

/* ======================================================================
 * Part 1: records
 * ====================================================================== */

#define RS_PRICE_SCALE 1000000000LL
#define RS_UNDEF_PRICE INT64_MAX
#define RS_UNDEF_TS    UINT64_MAX

/* DBN record types (rtype) used by ringside. */
#define RS_RTYPE_MBP0       0x00 /* trades */
#define RS_RTYPE_MBP1       0x01
#define RS_RTYPE_MBP10      0x0A
#define RS_RTYPE_STATUS     0x12
#define RS_RTYPE_DEFINITION 0x13
#define RS_RTYPE_IMBALANCE  0x14
#define RS_RTYPE_ERROR      0x15
#define RS_RTYPE_SYMMAP     0x16
#define RS_RTYPE_SYSTEM     0x17
#define RS_RTYPE_STATISTICS 0x18
#define RS_RTYPE_MBO        0xA0

/* DBN flags (struct rs_mbo.flags). */
#define RS_F_LAST             0x80 /* last record of an event for this instrument */
#define RS_F_TOB              0x40 /* top-of-book message, not an individual order */
#define RS_F_SNAPSHOT         0x20 /* from a snapshot/replay, not live */
#define RS_F_MBP              0x10 /* aggregated price level, not an order */
#define RS_F_BAD_TS_RECV      0x08
#define RS_F_MAYBE_BAD_BOOK   0x04

/* Actions (struct rs_mbo.action), DBN semantics:
 *  'A' add, 'C' cancel (size = quantity removed), 'M' modify (new price and
 *  size, same order id), 'R' clear book, 'T' trade (aggressor side),
 *  'F' fill of a resting order, 'N' none.
 *  T, F and N never change the book; an execution of a resting order is a
 *  'F' followed by a 'C' of the executed quantity, as in Databento's data. */
#define RS_ACTION_ADD    'A'
#define RS_ACTION_CANCEL 'C'
#define RS_ACTION_MODIFY 'M'
#define RS_ACTION_CLEAR  'R'
#define RS_ACTION_TRADE  'T'
#define RS_ACTION_FILL   'F'
#define RS_ACTION_NONE   'N'

#define RS_SIDE_BID  'B'
#define RS_SIDE_ASK  'A'
#define RS_SIDE_NONE 'N'

/* DBN record header, 16 bytes. */
struct rs_rec_hdr {
	uint8_t length;         /* record length in 4-byte units */
	uint8_t rtype;          /* RS_RTYPE_* */
	uint16_t publisher_id;  /* venue/dataset/publisher */
	uint32_t instrument_id; /* ITCH: stock locate; DBN: instrument_id */
	uint64_t ts_event;      /* matching-engine time, ns since epoch */
};

/* DBN MBO record (MboMsg, identical in DBN v1, v2 and v3), 56 bytes. */
struct rs_mbo {
	struct rs_rec_hdr hd;
	uint64_t order_id;
	int64_t price;          /* 1e-9 units */
	uint32_t size;
	uint8_t flags;          /* RS_F_* */
	uint8_t channel_id;
	char action;            /* RS_ACTION_* */
	char side;              /* RS_SIDE_* */
	uint64_t ts_recv;       /* capture-server (rx) time, ns since epoch */
	int32_t ts_in_delta;    /* ts_recv - sending time, ns */
	uint32_t sequence;      /* venue message sequence number */
};

/* Appliance-private flags (struct rs_event.rs_flags). */
#define RS_EVF_BBO_CHANGED 0x0001u /* the book's BBO changed at this event (set by the book) */
#define RS_EVF_INCOMPLETE  0x0002u /* decoder could not fill price/side/size (ITCH refers to
                                      orders by id); the book completes the record and clears it */
#define RS_EVF_REPLACE     0x0004u /* this 'A' is the second half of an ITCH replace: its side
                                      is the side of the order cancelled by the preceding 'C' */
#define RS_EVF_STALE       0x0008u /* instrument is stale (unrecovered gap) */
#define RS_EVF_RECOVERED   0x0010u /* delivered by gap recovery (retransmission) */
#define RS_EVF_REJECTED    0x0020u /* the book rejected it as bad input (quality event) */
#define RS_EVF_DELETE      0x0040u /* 'C' that removes the whole order (ITCH delete, replace) */

/* RS_EVF_INCOMPLETE/RS_EVF_DELETE records carry size = RS_SIZE_ALL until completed. */
#define RS_SIZE_ALL UINT32_MAX

/*
 * Normalized event: one cache line.
 *
 *   0                16               56        60       64
 *   +----------------+----------------+---------+--------+
 *   | rs_rec_hdr     | rest of MboMsg | rs_flags| feed/ln|
 *   +----------------+----------------+---------+--------+
 *
 * The first 56 bytes ARE a DBN MBO record: writing `mbo` to a DBN file
 * yields a record Databento's tools read.
 */
struct rs_event {
	struct rs_mbo mbo;
	uint32_t rs_flags;      /* RS_EVF_* */
	uint8_t feed_id;        /* configured feed index */
	uint8_t line_id;        /* 0 = A, 1 = B */
	uint16_t reserved;
};

_Static_assert(sizeof(struct rs_rec_hdr) == 16, "DBN record header is 16 bytes");
_Static_assert(sizeof(struct rs_mbo) == 56, "DBN MboMsg is 56 bytes");
_Static_assert(offsetof(struct rs_mbo, order_id) == 16, "layout");
_Static_assert(offsetof(struct rs_mbo, size) == 32, "layout");
_Static_assert(offsetof(struct rs_mbo, action) == 38, "layout");
_Static_assert(offsetof(struct rs_mbo, ts_recv) == 40, "layout");
_Static_assert(offsetof(struct rs_mbo, sequence) == 52, "layout");
_Static_assert(sizeof(struct rs_event) == 64, "normalized event is one cache line");

/* Instrument directory entry (one seqlocked table slot payload), 128 bytes. */
#define RS_SYMBOL_LEN 24
#define RS_INSTF_HALTED    0x0001u
#define RS_INSTF_STALE     0x0002u
#define RS_INSTF_TEST      0x0004u
#define RS_INSTF_ETP       0x0008u
#define RS_INSTF_OPTION    0x0010u
struct rs_instrument {
	uint32_t instrument_id;
	uint16_t publisher_id;
	uint16_t flags;               /* RS_INSTF_* */
	char symbol[RS_SYMBOL_LEN];   /* NUL padded */
	int64_t tick_size;            /* 1e-9 units; 0 = unknown */
	int64_t display_factor;       /* 1e-9 units per display unit (DBN), 1e9 for equities */
	uint32_t lot_size;            /* round lot, shares/contracts */
	uint32_t min_lot_size;
	char market_category;         /* ITCH 'Q','G','S','N','A','P','Z','V' */
	char financial_status;        /* ITCH */
	char issue_classification;    /* ITCH */
	char trading_state;           /* ITCH 'H','P','Q','T' */
	char reg_sho;                 /* ITCH '0','1','2' */
	char instrument_class;        /* DBN: 'K' stock, 'F' future, 'C' call, 'P' put, ... */
	char luld_tier;               /* ITCH '1','2' */
	uint8_t reserved0;
	uint32_t underlying_id;       /* options: underlying instrument id, 0 = none */
	uint32_t reserved1;
	int64_t strike_price;         /* options, 1e-9 units; RS_UNDEF_PRICE otherwise */
	uint64_t expiration;          /* ns since epoch; RS_UNDEF_TS otherwise */
	uint64_t ts_updated;          /* ts_event of the last update */
	uint8_t reserved[32];
};
_Static_assert(sizeof(struct rs_instrument) == 128, "instrument slot payload is 128 bytes");

/* One aggregated price level. */
struct rs_level {
	int64_t price;    /* 1e-9 units; RS_UNDEF_PRICE when the level is empty */
	uint32_t size;
	uint32_t count;   /* number of orders */
};
_Static_assert(sizeof(struct rs_level) == 16, "level is 16 bytes");

/* Top of book per instrument (BBO table slot payload), 128 bytes. */
struct rs_bbo {
	uint32_t instrument_id;
	uint32_t flags;           /* RS_INSTF_STALE when the book is stale */
	struct rs_level bid;
	struct rs_level ask;
	int64_t last_price;       /* last trade, RS_UNDEF_PRICE if none */
	uint32_t last_size;
	uint32_t reserved0;
	uint64_t volume;          /* session traded volume */
	uint64_t ts_event;        /* event that produced this state */
	uint64_t ts_recv;
	uint32_t sequence;
	uint32_t reserved1;
	/* microstructure (filled by analytics; 0 when off) */
	int64_t microprice;       /* 1e-9 units */
	int64_t ofi;              /* cumulative order-flow imbalance, shares */
	int32_t imbalance_ppm;    /* (bid - ask)/(bid + ask) over top N, parts per million */
	uint32_t reserved2;
	uint8_t reserved3[16];
};
_Static_assert(sizeof(struct rs_bbo) == 128, "BBO slot payload is 128 bytes");

/* MBP-N depth (MBP table slot payload): header + 2*N levels, bids then asks. */
struct rs_depth {
	uint32_t instrument_id;
	uint16_t depth;           /* N: levels per side in this table */
	uint16_t flags;
	uint16_t nbids;           /* levels actually present */
	uint16_t nasks;
	uint32_t sequence;
	uint64_t ts_event;
	uint64_t ts_recv;
	/* followed by struct rs_level bids[depth], asks[depth] */
	struct rs_level levels[];
};
_Static_assert(sizeof(struct rs_depth) == 32, "depth header is 32 bytes");

/* ---- analytics records (bars, features, pressure, signals, patterns) ----
 * Written by the handler core into broadcast rings and instrument-keyed
 * latest-value tables (see the segment names in Part 2). Prices are 1e-9
 * units, times ns since the epoch, doubles are IEEE-754 binary64. */

#define RS_BAR_MAX_INTERVALS 8      /* intervals per instrument in struct rs_latest */

#define RS_BARF_EMPTY     0x0001u  /* no trade in the interval (OHLC = previous close or undef) */
#define RS_BARF_FEATURES  0x0002u  /* the feature fields are valid */
#define RS_BARF_STALE     0x0004u  /* instrument was stale during the interval */

/* One closed bar of one instrument at one interval, with the features
 * computed over the bars of that interval (192 bytes). */
struct rs_bar {
	uint32_t instrument_id;
	uint32_t flags;             /* RS_BARF_* */
	uint64_t interval_ns;       /* bar length (1 s = 1000000000) */
	uint64_t ts_open;           /* interval start, epoch-aligned: k * interval_ns */
	uint64_t ts_close;          /* interval end (exclusive) */
	int64_t open, high, low, close; /* RS_UNDEF_PRICE when no trade ever seen */
	int64_t vwap;               /* RS_UNDEF_PRICE when volume == 0 */
	uint64_t volume;
	uint64_t buy_volume;        /* aggressor buy */
	uint64_t sell_volume;       /* aggressor sell */
	uint64_t unknown_volume;    /* aggressor unknown */
	int64_t delta;              /* buy_volume - sell_volume */
	uint32_t trades;
	uint32_t nbars;             /* bars of this interval closed so far (incl. this one) */
	/* features (valid with RS_BARF_FEATURES; NaN-free: undefined -> 0) */
	double sma;                 /* simple moving average of close, configured length */
	double ema;                 /* exponential moving average of close */
	double rsi;                 /* Wilder RSI, 0..100 */
	double rvol;                /* realized volatility of log returns over the SMA length */
	double vwap_dev;            /* (close - vwap) / vwap */
	uint64_t ts_emitted;        /* handler clock when the bar was published */
	uint8_t reserved[24];
};

/* Up to RS_BARS_EMPTY_MAX empty bars of one interval closed at one
 * boundary, consecutive in the bars ring's order (RS_REC_BARS_EMPTY, the
 * compact form of RS_REC_BAR for bars with RS_BARF_EMPTY; 32 + count * 48
 * bytes, at most 224: one 256-byte ring slot holds four bars instead of
 * one). Entry i stands for exactly this struct rs_bar (all other bytes 0):
 *   instrument_id = bar[i].instrument_id, interval_ns = interval_ns,
 *   flags = RS_BARF_EMPTY | (features >> i & 1 ? RS_BARF_FEATURES : 0)
 *                         | (stale >> i & 1 ? RS_BARF_STALE : 0),
 *   ts_open = ts_close - interval_ns, ts_close, ts_emitted,
 *   open = high = low = close = bar[i].close, vwap = RS_UNDEF_PRICE,
 *   volumes, delta, trades, vwap_dev = 0, nbars, sma, ema, rsi, rvol =
 *   bar[i]'s. rs_bar_unpack() below expands a record. */
#define RS_BARS_EMPTY_MAX 4
struct rs_bar_empty {
	uint32_t instrument_id;
	uint32_t nbars;
	int64_t close;              /* previous close, RS_UNDEF_PRICE none */
	double sma, ema, rsi, rvol;
};
struct rs_bars_empty {
	uint64_t interval_ns;
	uint64_t ts_close;
	uint64_t ts_emitted;
	uint16_t count;             /* entries, 1..RS_BARS_EMPTY_MAX */
	uint8_t features;           /* bit i: bar[i] has RS_BARF_FEATURES */
	uint8_t stale;              /* bit i: bar[i] has RS_BARF_STALE */
	uint32_t reserved;
	struct rs_bar_empty bar[RS_BARS_EMPTY_MAX];
};

/* Latest values per instrument (RS_SEGNAME_LATEST table payload). */
struct rs_latest {
	uint32_t instrument_id;
	uint32_t nintervals;        /* valid entries in bars[] */
	uint64_t ts_updated;
	int64_t session_poc;        /* volume profile: point of control, RS_UNDEF_PRICE none */
	int64_t session_vah;        /* value area high (70 %) */
	int64_t session_val;        /* value area low */
	uint64_t session_volume;
	int64_t spread;             /* microstructure at the last boundary */
	int64_t mid;
	double short_vol;           /* short-horizon volatility of mid log returns */
	uint8_t reserved[56];
	struct rs_bar bars[RS_BAR_MAX_INTERVALS]; /* last closed bar per interval */
};

/* One closed pressure window (IFD.md section 2), 192 bytes. */
#define RS_PRESSF_EMPTY 0x0001u
struct rs_pressure {
	uint32_t instrument_id;
	uint32_t flags;             /* RS_PRESSF_* */
	uint64_t window_ns;         /* W */
	uint64_t ts_start, ts_end;  /* [k*W, (k+1)*W) */
	uint64_t buy_volume, sell_volume, unknown_volume;
	uint32_t buy_trades, sell_trades;
	uint32_t large_buy_trades, large_sell_trades;
	uint64_t bid_added, ask_added, bid_cancelled, ask_cancelled;
	int64_t ofi;                /* sum of e_n, shares */
	double vi;                  /* (buy - sell)/(buy + sell), 0 when both 0 */
	double pressure_ratio;      /* buy/sell; sell == 0: +inf if buy > 0 else 1 */
	int64_t vwap;               /* RS_UNDEF_PRICE when no trade */
	uint64_t first_ts, last_ts; /* ts_event of first/last event, RS_UNDEF_TS none */
	uint64_t event_count;
	double avg_depth;           /* mean (bid + ask size at the touch) over boundaries */
	uint8_t reserved[24];
};

/* IFD signal (IFD.md section 4), 192 bytes. */
#define RS_SIG_MODERATE  0
#define RS_SIG_HIGH      1
#define RS_SIG_VERY_HIGH 2
#define RS_SIG_EXTREME   3
#define RS_SIGF_IMMATURE      0x0001u
#define RS_SIGF_DEGRADED_FEED 0x0002u
#define RS_SIGF_MARKET_MAKING 0x0004u
struct rs_signal {
	uint32_t instrument_id;
	uint16_t publisher_id;      /* venue */
	char direction;             /* RS_SIDE_BID = buy pressure, RS_SIDE_ASK = sell */
	uint8_t strength;           /* RS_SIG_* */
	uint32_t flags;             /* RS_SIGF_* */
	uint32_t baseline_samples;
	uint64_t window_ns;
	uint64_t ts_start, ts_end;  /* the window */
	double confidence;          /* [0, 1] */
	double z_vi, zr_vi, z_ofi;
	double vi;
	int64_t ofi;
	double pressure_ratio;
	uint64_t buy_volume, sell_volume;
	uint32_t large_buy_trades, large_sell_trades;
	double baseline_mean, baseline_sd; /* of vi */
	uint64_t ts_last_event;     /* last contributing event */
	uint64_t ts_emitted;        /* handler clock at publication */
	uint8_t reserved[40];
};

/* Pattern event (IFD.md section 6), 64 bytes. */
#define RS_PAT_SWEEP    1
#define RS_PAT_ICEBERG  2
#define RS_PAT_LAYERING 3
struct rs_pattern {
	uint32_t instrument_id;
	uint8_t kind;               /* RS_PAT_* */
	char side;                  /* side of the aggressor (sweep) / resting side (iceberg, layering) */
	uint16_t levels;            /* sweep: price levels consumed */
	int64_t price;              /* sweep: last price reached; iceberg/layering: level price */
	uint64_t volume;            /* shares involved */
	uint32_t count;             /* refills (iceberg), add-cancel cycles (layering) */
	uint32_t reserved0;
	uint64_t order_id;          /* an order involved, 0 if none */
	uint64_t ts_first, ts_last;
	uint64_t ts_emitted;        /* handler clock at publication */
};

/* Flow state per instrument (RS_SEGNAME_FLOW table payload). */
#define RS_FLOW_WINDOWS 3           /* 1 s, 1 min, 5 min by default */
struct rs_flow {
	uint32_t instrument_id;
	uint32_t quality;           /* feed quality score of the instrument, 0..100 */
	uint64_t ts_updated;
	uint64_t signals;           /* signals emitted this session */
	uint64_t patterns[4];       /* pattern events by RS_PAT_* */
	uint8_t reserved[64 - 24 - 32];
	struct rs_pressure last[RS_FLOW_WINDOWS]; /* last closed window per W */
	struct rs_signal last_signal;             /* ts_emitted == 0: none yet */
};

/* Latency histogram (RS_SEGNAME_LATENCY raw segment: struct
 * rs_latency_block). Log-linear buckets: values < 16 ns one bucket each;
 * above, 8 sub-buckets per power of two (3 significant bits, < 12.5 %
 * error). Updated by one thread with relaxed stores; readers copy the
 * buckets and derive percentiles (rs_lat_bucket_lo/hi). */
#define RS_LAT_BUCKETS 512
#define RS_LAT_MAX_HIST 16
struct rs_latency_hist {
	char name[32];              /* e.g. "rx_to_publish/core1" ("" = unused) */
	uint64_t count;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t min_ns;            /* UINT64_MAX when count == 0 */
	uint64_t reserved[4];
	uint64_t buckets[RS_LAT_BUCKETS];
};
struct rs_latency_block {
	uint32_t nhist;             /* entries in use */
	uint32_t bucket_count;      /* RS_LAT_BUCKETS */
	uint8_t reserved[56];
	struct rs_latency_hist hist[RS_LAT_MAX_HIST];
};

static inline uint32_t rs_lat_bucket(uint64_t ns)
{
	if (ns < 16)
		return (uint32_t)ns;
	uint32_t e = 63u - (uint32_t)__builtin_clzll(ns); /* >= 4 */
	uint32_t b = 16u + (e - 4u) * 8u + (uint32_t)((ns >> (e - 3u)) & 7u);
	return b < RS_LAT_BUCKETS ? b : RS_LAT_BUCKETS - 1;
}
/* Smallest value that lands in bucket b. */
static inline uint64_t rs_lat_bucket_lo(uint32_t b)
{
	if (b < 16)
		return b;
	uint32_t e = (b - 16u) / 8u + 4u, m = (b - 16u) % 8u;
	return (8ull + m) << (e - 3u);
}

_Static_assert(sizeof(struct rs_bar) == 192, "bar record is 192 bytes");
_Static_assert(sizeof(struct rs_bar_empty) == 48, "compact empty bar is 48 bytes");
_Static_assert(sizeof(struct rs_bars_empty) == 32 + RS_BARS_EMPTY_MAX * 48 &&
		       offsetof(struct rs_bars_empty, bar) == 32,
	       "empty-bars record: 32-byte header + 48 per bar, fits a 256-byte slot");
_Static_assert(sizeof(struct rs_latest) == 128 + RS_BAR_MAX_INTERVALS * 192, "latest row");

_Static_assert(sizeof(struct rs_pressure) == 192, "pressure record is 192 bytes");
_Static_assert(sizeof(struct rs_signal) == 192, "signal record is 192 bytes");
_Static_assert(sizeof(struct rs_pattern) == 64, "pattern record is 64 bytes");
_Static_assert(sizeof(struct rs_flow) == 64 + RS_FLOW_WINDOWS * 192 + 192, "flow row");

/* ======================================================================
 * Part 2: client API
 * ====================================================================== */

/* RS_CLIENT_API_BEGIN (declarations below are maintained with shm/) */

/*
 * An instance's segments have well-known names. Tables keyed by instrument
 * ("instruments", "bbo", "depth") place instrument id `id` at home slot
 * id % slots with linear probing; a slot's key is id + 1 (0 = empty).
 */
#define RS_SEGNAME_INSTRUMENTS "instruments" /* table of struct rs_instrument */
#define RS_SEGNAME_BBO         "bbo"         /* table of struct rs_bbo */
#define RS_SEGNAME_DEPTH       "depth"       /* table of struct rs_depth + levels */
#define RS_SEGNAME_EVENTS      "events"      /* broadcast ring of struct rs_event */
#define RS_SEGNAME_COUNTERS    "counters"    /* counters block */
#define RS_SEGNAME_BARS        "bars"        /* broadcast ring of struct rs_bar (RS_REC_BAR) and
						struct rs_bars_empty (RS_REC_BARS_EMPTY) */
#define RS_SEGNAME_LATEST      "latest"      /* table of struct rs_latest, instrument-keyed */
#define RS_SEGNAME_PRESSURE    "pressure"    /* broadcast ring of struct rs_pressure */
#define RS_SEGNAME_SIGNALS     "signals"     /* broadcast ring: rs_signal and rs_pattern */
#define RS_SEGNAME_FLOW        "flow"        /* table of struct rs_flow, instrument-keyed */
#define RS_SEGNAME_LATENCY     "latency"     /* raw segment: struct rs_latency_block */

/* Record types carried in broadcast rings (rs_record_fn's `type`). */
#define RS_REC_EVENT    1u /* struct rs_event */
#define RS_REC_BAR      2u /* struct rs_bar */
#define RS_REC_PRESSURE 3u /* struct rs_pressure */
#define RS_REC_SIGNAL   4u /* struct rs_signal */
#define RS_REC_PATTERN  5u /* struct rs_pattern */
#define RS_REC_BARS_EMPTY 6u /* struct rs_bars_empty (bars ring: empty bars, compact) */

/* Bars of one record of the bars ring (RS_SEGNAME_BARS): RS_REC_BAR (one
 * struct rs_bar) or RS_REC_BARS_EMPTY (struct rs_bars_empty, up to
 * RS_BARS_EMPTY_MAX empty bars) into out[0..max). Returns how many bars
 * (each byte for byte the struct rs_bar the handler closed), 0 for other
 * record types, -1 for a malformed record or max too small. Header-only so
 * that subscribers of the ring need nothing else. */
static inline int rs_bar_unpack(uint32_t type, const void *rec, size_t len, struct rs_bar *out, int max)
{
	if (type == RS_REC_BAR) {
		if (len < sizeof(*out) || max < 1)
			return -1;
		__builtin_memcpy(out, rec, sizeof(*out));
		return 1;
	}
	if (type != RS_REC_BARS_EMPTY)
		return 0;
	struct rs_bars_empty r;
	const size_t hdr = offsetof(struct rs_bars_empty, bar);
	if (len < hdr)
		return -1;
	__builtin_memset(&r, 0, sizeof(r));
	__builtin_memcpy(&r, rec, len < sizeof(r) ? len : sizeof(r));
	if (r.count < 1 || r.count > RS_BARS_EMPTY_MAX || len < hdr + (size_t)r.count * sizeof(r.bar[0]) ||
	    r.count > max)
		return -1;
	for (int i = 0; i < r.count; i++) {
		const struct rs_bar_empty *e = &r.bar[i];
		struct rs_bar *b = &out[i];
		__builtin_memset(b, 0, sizeof(*b));
		b->instrument_id = e->instrument_id;
		b->flags = RS_BARF_EMPTY | ((r.features >> i) & 1 ? RS_BARF_FEATURES : 0) |
			   ((r.stale >> i) & 1 ? RS_BARF_STALE : 0);
		b->interval_ns = r.interval_ns;
		b->ts_open = r.ts_close - r.interval_ns;
		b->ts_close = r.ts_close;
		b->open = b->high = b->low = b->close = e->close;
		b->vwap = RS_UNDEF_PRICE;
		b->nbars = e->nbars;
		b->sma = e->sma;
		b->ema = e->ema;
		b->rsi = e->rsi;
		b->rvol = e->rvol;
		b->ts_emitted = r.ts_emitted;
	}
	return r.count;
}

/* Opaque handles. All are process-local; none may be shared between
 * threads without external locking (use one per thread). */
struct rs_client; /* an attached instance */
struct rs_sub;    /* one reader of one broadcast ring */
struct rs_table;  /* one attached seqlocked table */
struct rs_spsc;   /* the consumer side of one SPSC ring */

/* Readable description of the calling thread's last error, with context,
 * e.g. "instance 'demo': segment bbo: producer pid 4242 is dead". Valid
 * until the thread's next failing call. Never NULL. */
RS_API const char *rs_errmsg(void);

struct rs_client_opts {
	/* heartbeat age after which a live producer counts as wedged
	 * (rs_client_check returns -ETIMEDOUT); 0 = 5 s */
	uint64_t stale_ns;
};

/* Attach to the running instance `instance` (the name in ringsided's
 * configuration). opts may be NULL. On success *out owns the attachment;
 * release it with rs_client_close().
 * Errors: -ENOENT no such instance, -EPROTONOSUPPORT layout version this
 * library cannot read, -EBADMSG truncated or corrupt segment,
 * -EOWNERDEAD the producer is dead, -ENOMEM. */
RS_API int rs_client_open(struct rs_client **out, const char *instance,
			  const struct rs_client_opts *opts);

/* Detach everything opened through c (tables, subscriptions, rings) and
 * free c. NULL is accepted. */
RS_API void rs_client_close(struct rs_client *c);

/* Producer health, cheap enough to call every few milliseconds (one
 * kill(pid, 0) and a stat of the segment directory).
 * Returns 0 alive, -EOWNERDEAD producer dead (killed or crashed),
 * -ESHUTDOWN producer stopped cleanly, -ETIMEDOUT heartbeat stale,
 * -ESTALE a newer generation of the instance exists: call
 * rs_client_reattach(). */
RS_API int rs_client_check(struct rs_client *c);

/* Re-open every segment of c at the instance's newest generation.
 * Handles obtained from c before stay valid and follow the new
 * generation (subscriptions restart at the newest record).
 * Errors as rs_client_open(). */
RS_API int rs_client_reattach(struct rs_client *c);

/* Instance name c was opened with (owned by c). */
RS_API const char *rs_client_instance(const struct rs_client *c);

/* Generation number of the producer c is attached to. */
RS_API uint32_t rs_client_generation(const struct rs_client *c);

/* One segment of an instance (rs_client_segments). */
struct rs_segment_info {
	char name[32];
	char kind[16];        /* "spsc", "vring", "bcast", "table", "counters", "raw" */
	uint64_t size;        /* bytes */
	uint32_t generation;
	uint32_t pid;         /* producer */
	bool huge;            /* backed by 2 MiB huge pages */
	char producer[8];     /* "alive", "dead", "stale", "closed" */
};

/* Fill up to max entries describing the instance's segments; returns the
 * number of segments (may exceed max) or -errno. */
RS_API int rs_client_segments(struct rs_client *c, struct rs_segment_info *out, size_t max);

/* ---- instrument-keyed tables ----------------------------------------- */

/* Consistent copy of instrument `id`'s directory entry / top of book /
 * depth. rs_client_depth copies the header and up to the levels that fit
 * in out_len bytes (sizeof(struct rs_depth) + 2 * N * sizeof(struct
 * rs_level) for N levels per side). Reads retry while the producer is
 * writing the slot; they never return a torn record.
 * Errors: -ENOENT unknown instrument, -ENODEV the instance has no such
 * table, -EAGAIN the slot stayed busy (producer wedged mid-write). */
RS_API int rs_client_instrument(struct rs_client *c, uint32_t id, struct rs_instrument *out);
RS_API int rs_client_bbo(struct rs_client *c, uint32_t id, struct rs_bbo *out);
RS_API int rs_client_depth(struct rs_client *c, uint32_t id, struct rs_depth *out, size_t out_len);

/* Find an instrument by symbol (exact match, e.g. "AAPL"). Linear in the
 * directory size: look up once, then use the id. -ENOENT if absent. */
RS_API int rs_client_lookup(struct rs_client *c, const char *symbol, struct rs_instrument *out);

/* ---- generic tables ---------------------------------------------------- */

/* Attach the table segment `name`; the handle is owned by c. */
RS_API int rs_client_table_open(struct rs_client *c, const char *name, struct rs_table **out);
/* Number of slots and payload bytes per slot. */
RS_API uint32_t rs_client_table_slots(const struct rs_table *t);
RS_API uint32_t rs_client_table_payload(const struct rs_table *t);
/* Consistent copy of slot `slot`: its key into *key (may be NULL) and
 * min(len, payload) bytes into dst. Returns 0, -ENOENT (never written),
 * -ERANGE (slot out of range), -EAGAIN (writer busy too long). */
RS_API int rs_client_table_read(struct rs_table *t, uint32_t slot, uint64_t *key, void *dst,
				size_t len);

/* ---- broadcast rings --------------------------------------------------- */

#define RS_START_NEWEST 0 /* only records published after the subscription */
#define RS_START_OLDEST 1 /* the oldest record still in the ring */

/* Called for each record. rec points into a private copy valid only
 * during the call; it is never a torn or partially written record. */
typedef void (*rs_record_fn)(void *arg, uint32_t type, const void *rec, uint32_t len);

/* Subscribe to broadcast ring `name` (e.g. RS_SEGNAME_EVENTS). The handle
 * is owned by c. A slow subscriber never slows the producer: if it falls
 * more than the ring's capacity behind it is overrun (see poll). */
RS_API int rs_client_sub_open(struct rs_client *c, const char *name, int start, struct rs_sub **out);

/* Deliver up to limit records (limit <= 0: all available) to fn.
 * Returns the number delivered (0 = nothing new), or -EOVERFLOW when the
 * subscriber was overrun: records were lost; rs_errmsg() says how many,
 * rs_client_sub_overruns() accumulates them, and the subscriber has been
 * moved to the oldest valid record so the next poll continues. No system
 * calls. */
RS_API int rs_client_sub_poll(struct rs_sub *s, rs_record_fn fn, void *arg, int limit);
/* Records lost to overruns so far. */
RS_API uint64_t rs_client_sub_overruns(const struct rs_sub *s);
/* Records delivered so far. */
RS_API uint64_t rs_client_sub_delivered(const struct rs_sub *s);

/* ---- SPSC rings -------------------------------------------------------- */

/* Become THE consumer of SPSC ring `name` (64-byte struct rs_event
 * records). At most one consumer may exist; the producer waits for it
 * when the ring is full, so only attach rings configured for a client. */
RS_API int rs_client_spsc_open(struct rs_client *c, const char *name, struct rs_spsc **out);
typedef void (*rs_event_fn)(void *arg, const struct rs_event *ev);
/* Deliver up to limit events (limit <= 0: all available); returns the
 * number delivered. ev is valid only during the call. */
RS_API int rs_client_spsc_poll(struct rs_spsc *s, rs_event_fn fn, void *arg, int limit);

/* ---- counters ---------------------------------------------------------- */

/* Called for each allocated counter; return non-zero to stop. */
typedef int (*rs_counter_fn)(void *arg, uint32_t id, uint32_t type, const char *label,
			     uint64_t value);
/* Visit every counter of the instance; returns the number visited or
 * -errno (-ENODEV: no counters segment). */
RS_API int rs_client_counters(struct rs_client *c, rs_counter_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* RINGSIDE_H */
