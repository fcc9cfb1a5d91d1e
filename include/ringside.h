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
	int64_t strike_price;         /* options, 1e-9 units; RS_UNDEF_PRICE otherwise */
	uint64_t expiration;          /* ns since epoch; RS_UNDEF_TS otherwise */
	uint64_t ts_updated;          /* ts_event of the last update */
	uint8_t reserved[24];
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

/* ======================================================================
 * Part 2: client API
 * ====================================================================== */

/* RS_CLIENT_API_BEGIN (declarations below are maintained with shm/) */

#ifdef __cplusplus
}
#endif
#endif /* RINGSIDE_H */
