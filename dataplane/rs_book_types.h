/*
 * rs_book_types.h - types of the MBO order book engine (dataplane/rs_book.c).
 *
 * Memory (all preallocated at rs_book_create from struct rs_book_cfg, in
 * huge pages when available; nothing is allocated afterwards):
 *
 *   orders[max_orders]     64-byte order records (one cache line each),
 *                          LIFO free list through .next
 *   oring[2^r]             order-id index, direct-mapped by the id's low bits
 *                          (dense ITCH order numbers: consecutive ids in
 *                          consecutive 16-byte slots, the live set stays in
 *                          a window); a slot {order_id, order index+1,
 *                          instrument index << 8 | nev} holds the newest id
 *                          that maps there, an older live one is moved to
 *                          ohash and counted in the slot's nev (255 sticky)
 *   ohash[2^k]             overflow: open addressing on a multiplicative
 *                          hash of (id, instrument), linear probing,
 *                          backward-shift deletion, k chosen so load <= 50 %
 *                          even if every live order overflowed (sparse ids)
 *   levels[max_levels]     32-byte price levels {price, size, count, FIFO
 *                          head/tail}, LIFO free list
 *   ladders (arena)        per instrument and side a sorted key array
 *                          (+ parallel level indices) with the BEST LEVEL AT
 *                          THE END (key = price for bids, -price for asks, so
 *                          both sides are ascending); size-class slabs (16 <<
 *                          k entries) from one arena, grown by moving to the
 *                          next class
 *   insts[max_instruments] per-instrument state + quality counters
 *   ihash                  instrument_id -> instrument index
 *
 *  order ──level──▶ level ◀── ladder[side] (sorted by key, best last)
 *    ▲ prev/next FIFO (priority) │ head/tail
 *    └──────────────────────────┘
 */
#ifndef RS_BOOK_TYPES_H
#define RS_BOOK_TYPES_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside.h"

#define RS_BOOK_NIL UINT32_MAX

/* Per-instrument quality events (struct rs_book_inst.q[]). */
enum rs_book_q {
	RS_BOOK_Q_UNKNOWN_ID = 0, /* C/M/F referring to an order that is not live */
	RS_BOOK_Q_DUP_ADD,        /* A with an order id already live */
	RS_BOOK_Q_CROSSED,        /* event boundary with best bid > best ask */
	RS_BOOK_Q_LOCKED,         /* event boundary with best bid == best ask */
	RS_BOOK_Q_BAD_SIZE,       /* zero / RS_SIZE_ALL / negative size on A or M */
	RS_BOOK_Q_OVER_CANCEL,    /* C of more than the order's remaining size (order removed) */
	RS_BOOK_Q_BAD_PRICE,      /* undefined price on A or M */
	RS_BOOK_Q_OFF_TICK,       /* price not a multiple of the known tick size (applied) */
	RS_BOOK_Q_BAD_SIDE,       /* side not B/A on A, or unknown replace side */
	RS_BOOK_Q_SIDE_CHANGE,    /* M that moves an order to the other side (rejected) */
	RS_BOOK_Q_CAPACITY,       /* order / level / ladder capacity exhausted (rejected) */
	RS_BOOK_Q_BAD_ACTION,     /* unknown action or unsupported record (F_TOB) */
	RS_BOOK_Q_COUNT
};

/* Names for reports ("unknown_id", ...), indexed by enum rs_book_q. */
extern const char *const rs_book_q_names[RS_BOOK_Q_COUNT];

struct rs_book_cfg {
	uint32_t max_instruments; /* default 16384 */
	uint32_t max_orders;      /* live orders over all instruments, default 4M */
	uint32_t max_levels;      /* live price levels over all instruments, default 1M */
	uint32_t ladder_arena;    /* ladder entries (12 B) over all sides, default 4*max_levels */
	uint32_t max_ladder;      /* max levels per instrument side, default 65536 */
	uint16_t depth;           /* N of the published MBP-N (rs_depth), default 50 */
	uint8_t reserve_huge;     /* may raise vm.nr_hugepages (root) for the pools */
	uint8_t reserved;
	uint32_t id_ring;         /* slots (16 B) of the direct-mapped order-id ring, rounded
				     up to a power of 2, default max_orders; size it to the
				     span of order ids live at once on dense feeds */
};

/* A live order: one cache line. */
struct rs_book_order {
	uint64_t order_id;
	int64_t price;
	uint32_t size;
	uint32_t inst;     /* book instrument index */
	uint32_t level;    /* index into levels[] */
	uint32_t prev;     /* FIFO neighbours (order indices), RS_BOOK_NIL at the ends */
	uint32_t next;     /* also the free-list link */
	uint8_t side;      /* 0 bid, 1 ask */
	uint8_t flags;
	uint16_t reserved0;
	uint64_t ts_priority; /* ts_event at which the order got its queue position */
	uint64_t ts_recv;
	uint64_t reserved1;
};
_Static_assert(sizeof(struct rs_book_order) == 64, "order record is one cache line");

/* Order-id index slot (ring and overflow table). oidx1 == 0: empty; else
 * order index + 1. meta = book instrument index << 8 | nev; an empty slot
 * has instrument bits 0xffffff (no instrument has that index), so a lookup
 * compares id and meta without testing oidx1. nev (ring slots only) counts
 * the overflow entries whose ring slot this is; 255 is sticky. */
struct rs_book_oslot {
	uint64_t order_id;
	uint32_t oidx1;
	uint32_t meta;
};
_Static_assert(sizeof(struct rs_book_oslot) == 16, "4 slots per cache line");

/* A price level. */
struct rs_book_level {
	int64_t price;
	uint64_t size;     /* sum of the orders' sizes (64-bit: no overflow) */
	uint32_t count;    /* number of orders */
	uint32_t head;     /* oldest order (first in priority) */
	uint32_t tail;     /* newest order; also the free-list link */
	uint32_t reserved;
};
_Static_assert(sizeof(struct rs_book_level) == 32, "level is half a cache line");

/* Ladder of one side: a slab of cap = 16 << cls entries, keys first
 *
 *   key[0..cap)  int64, ascending, best level LAST: price (bids) or -price
 *                (asks); key[n..cap) = INT64_MAX (so a fixed 16-key window
 *                from key[0] can be compared without bounds checks)
 *   lvl[0..cap)  uint32 level index of each key (right after the keys)
 */
struct rs_book_side {
	int64_t *key;             /* NULL until the first level */
	uint32_t n;               /* levels */
	uint8_t cls;              /* size class (capacity 16 << cls) */
	uint8_t reserved[3];
};

/* Per-instrument state. Line 0 is read by every record, line 1 written by
 * every record and read at boundaries; the rest is cold. */
struct rs_book_inst {
	/* line 0 */
	alignas(64) uint32_t instrument_id;
	uint32_t norders;
	struct rs_book_side side[2]; /* 0 bids, 1 asks */
	int64_t tick_size;           /* 0 = unknown (no off-tick check) */
	uint32_t top[2];             /* level index of the best level per side; none: the
					empty scratch level (index cfg.max_levels) */
	uint8_t dirty;               /* changed since the last boundary (1 book, 3 a best level) */
	uint8_t queued;              /* on the publication list */
	uint8_t crossed;             /* state at the last boundary: 0, 1 locked, 2 crossed */
	uint8_t bseen;               /* a boundary was processed (pub_* valid) */
	uint32_t idx;                /* this instrument's index (rs_book_inst(b, idx)) */
	/* line 1: last state published at an event boundary; last event */
	int64_t pub_bid_px, pub_ask_px;
	uint64_t pub_bid_sz, pub_ask_sz;
	uint32_t pub_bid_ct, pub_ask_ct;
	uint64_t ts_event, ts_recv;  /* of the last event applied */
	uint32_t sequence;
	uint32_t reserved1;
	/* line 2: trades, identity */
	int64_t last_price;          /* last 'T' */
	uint32_t last_size;
	uint32_t slot_bbo;           /* claimed slot in the attached BBO table, RS_BOOK_NIL none */
	uint64_t volume;
	char symbol[RS_SYMBOL_LEN];
	uint32_t slot_depth;         /* claimed slot in the attached depth table */
	uint32_t reserved3;
	/* line 3-4: quality counters */
	uint64_t q[RS_BOOK_Q_COUNT];
};
_Static_assert(offsetof(struct rs_book_inst, pub_bid_px) == 64, "hot line 0");
_Static_assert(offsetof(struct rs_book_inst, last_price) == 128, "line 1");

/* Book-wide counters (no instrument to charge them to, or totals). */
struct rs_book_stats {
	uint64_t events;             /* records given to rs_book_apply* */
	uint64_t boundaries;         /* F_LAST records */
	uint64_t rejected;           /* records marked RS_EVF_REJECTED */
	uint64_t inst_capacity;      /* records dropped: too many instruments */
	uint64_t ladder_moves;       /* ladder grown to the next size class */
	uint64_t orders_live, orders_peak;
	uint64_t levels_live, levels_peak;
	uint64_t id_evicted;         /* ring entries moved to the overflow table */
	uint64_t id_overflow;        /* live entries in the overflow table */
};

#endif
