/*
 * rs_itch.h - NASDAQ TotalView-ITCH 5.0 decoder (HOT).
 *
 * Turns one ITCH message (zero copy, big-endian loads, never reading past
 * `len`) into normalized struct rs_event records laid out as DBN MBO
 * (include/ringside.h). Non-order messages are decoded into the typed
 * structs of rs_itch_types.h and handed to optional cold handlers.
 *
 * Order message -> records (all: hd.length 14, rtype MBO, publisher_id
 * and feed/line from the decoder, instrument_id = stock locate, ts_event =
 * session midnight + ITCH timestamp, ts_recv as passed, sequence = low 32
 * bits of the MoldUDP64 sequence number, channel_id 0, ts_in_delta 0):
 *
 *   A, F  'A' order_id, price, size, side B/A        F_LAST
 *   E     'F' size=executed, price UNDEF, side N, INCOMPLETE
 *         'C' size=executed, side N, INCOMPLETE      F_LAST
 *   C     as E, but the 'F' carries the execution price
 *   X     'C' size=cancelled, INCOMPLETE             F_LAST
 *   D     'C' size=RS_SIZE_ALL, INCOMPLETE|DELETE    F_LAST
 *   U     'C' old id, RS_SIZE_ALL, INCOMPLETE|DELETE
 *         'A' new id, new price/size, side N, REPLACE F_LAST
 *   P     'T' order_id (0 for non-displayed), price, size; side: ITCH's
 *         Buy/Sell indicator names the RESTING (non-displayed) order, so the
 *         aggressor side is the other one: 'B' -> 'A', 'S' -> 'B'.
 *         NOTE: NASDAQ has populated this indicator with 'B' for every
 *         trade message for years (all five P messages in the 2023
 *         captures say 'B'), so the derived side is unreliable; set
 *         dec->pside_mode = RS_ITCH_PSIDE_NONE to emit side 'N' instead.
 *   Q     'T' side N, size = cross shares (clamped below RS_SIZE_ALL),
 *         order_id 0; plus the cross_trade handler
 *   B     no record; counted, broken_trade handler
 * INCOMPLETE records are completed (price/side/size) by the book from its
 * order table. At most 2 records per message (RS_ITCH_MAX_EVENTS).
 */
#ifndef RS_ITCH_H
#define RS_ITCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ringside.h"
#include "rs_itch_types.h"

#define RS_ITCH_MAX_EVENTS 2

/* Decoder context; one per feed line per core. Plain memory, no allocation. */
struct rs_itch_dec {
	uint64_t midnight_ns;      /* ns since epoch of 00:00 of the session day (ET) */
	uint16_t publisher_id;
	uint8_t feed_id;
	uint8_t line_id;
	uint8_t pside_mode;        /* RS_ITCH_PSIDE_* */
	uint8_t pad[3];
	struct rs_itch_handlers h; /* optional cold handlers */
	struct rs_itch_counters c;
};

/* Zero the context and set the publisher; midnight_ns = 0 (ts_event is then
 * ns since midnight). */
void rs_itch_dec_init(struct rs_itch_dec *d, uint16_t publisher_id);

/* Set the session day: ts_event = epoch ns of midnight America/New_York on
 * that date (US DST rules since 2007) + the ITCH timestamp. Returns 0, or
 * -EINVAL for an impossible date. */
int rs_itch_dec_set_date(struct rs_itch_dec *d, int year, int month, int day);

/* Epoch ns of 00:00 America/New_York on year-month-day (cold, pure). */
int64_t rs_itch_midnight_ns(int year, int month, int day);

/* Decode one message (see the table above). `out` must have room for
 * RS_ITCH_MAX_EVENTS records. Returns the number written: 1 or 2 for order
 * messages and Q, 0 for other non-order messages (handlers called) and for
 * rejected ones (counted in d->c.rejects). */
unsigned rs_itch_decode(struct rs_itch_dec *d, const uint8_t *msg, size_t len, uint64_t seq,
			uint64_t ts_recv, struct rs_event *out);

/* Cold part of the decoder: every message type the inline fast path does
 * not handle itself (non-order messages, Q, B, rejects). */
unsigned rs_itch__decode_cold(struct rs_itch_dec *d, const uint8_t *msg, size_t len,
			      uint64_t seq, uint64_t ts_recv, struct rs_event *out);

/* Fully decode any message into `out` (cold: dump, tests). Returns 0, or
 * -EINVAL for empty/unknown type, -EMSGSIZE for a wrong length. */
int rs_itch_parse(const uint8_t *msg, size_t len, struct rs_itch_msg *out);

/* Expected length of a message type, 0 if the type is unknown. */
static inline unsigned rs_itch_msg_len(uint8_t type);
/* Dense index (enum rs_itch_type_idx) of a type, -1 if unknown. */
int rs_itch_type_index(uint8_t type);
/* Type letter of a dense index. */
char rs_itch_type_char(unsigned idx);
/* Readable name of a type ("add_order", ...), "unknown" otherwise. */
const char *rs_itch_type_name(uint8_t type);
const char *rs_itch_rej_name(unsigned rej);

/* ---------------------------------------------------------------- inline */

extern const uint8_t rs_itch__len_tab[256];

static inline unsigned rs_itch_msg_len(uint8_t type)
{
	return rs_itch__len_tab[type];
}

static inline uint16_t rs_itch_be16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return __builtin_bswap16(v);
}

static inline uint32_t rs_itch_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline uint64_t rs_itch_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* 48-bit timestamp at offset 5. */
static inline uint64_t rs_itch_ts48(const uint8_t *m)
{
	return (uint64_t)rs_itch_be16(m + 5) << 32 | rs_itch_be32(m + 7);
}

static inline int64_t rs_itch_price4(const uint8_t *p)
{
	return (int64_t)rs_itch_be32(p) * RS_ITCH_PRICE4_SCALE;
}

/* ITCH side ('B' buy, 'S' sell) to DBN side ('B' bid, 'A' ask). */
static inline char rs_itch_side(uint8_t s)
{
	return s == 'B' ? RS_SIDE_BID : s == 'S' ? RS_SIDE_ASK : RS_SIDE_NONE;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "rs_itch__ev composes struct rs_event as little-endian 64-bit words"
#endif

/*
 * Write one record as eight 64-bit words (the compiler emits a few wide
 * stores instead of sixteen narrow ones):
 *   w0 length|rtype|publisher_id|instrument_id  w1 ts_event  w2 order_id
 *   w3 price  w4 size|flags|channel_id|action|side  w5 ts_recv
 *   w6 ts_in_delta|sequence  w7 rs_flags|feed_id|line_id|reserved
 */
static inline void rs_itch__ev(struct rs_event *e, const struct rs_itch_dec *d,
			       const uint8_t *m, uint64_t seq, uint64_t ts_recv, char action,
			       char side, uint64_t order_id, int64_t price, uint32_t size,
			       uint8_t flags, uint32_t rs_flags)
{
	uint64_t w[8];
	w[0] = (uint64_t)(sizeof(struct rs_mbo) / 4) | (uint64_t)RS_RTYPE_MBO << 8 |
	       (uint64_t)d->publisher_id << 16 | (uint64_t)rs_itch_be16(m + 1) << 32;
	w[1] = d->midnight_ns + rs_itch_ts48(m);
	w[2] = order_id;
	w[3] = (uint64_t)price;
	w[4] = (uint64_t)size | (uint64_t)flags << 32 | (uint64_t)(uint8_t)action << 48 |
	       (uint64_t)(uint8_t)side << 56;
	w[5] = ts_recv;
	w[6] = (uint64_t)(uint32_t)seq << 32;
	w[7] = (uint64_t)rs_flags | (uint64_t)d->feed_id << 32 | (uint64_t)d->line_id << 40;
	memcpy(e, w, sizeof(w));
}

/*
 * Per-type descriptor of the fast path. Single-record types (A F D X P) are
 * decoded without branching on the type: offsets, action, flags and the
 * side mapping come from the table, so the only data-dependent branch is
 * "single record or not" (taken ~90 % of the time on a real day) instead
 * of an unpredictable multi-way switch.
 */
#define RS_ITCH__K_COLD   0 /* non-order types, Q, B, unknown */
#define RS_ITCH__K_SINGLE 1 /* A F D X P */
#define RS_ITCH__K_EXEC   2 /* E C */
#define RS_ITCH__K_REPL   3 /* U */

#define RS_ITCH__SIDE_NONE 0 /* always 'N' */
#define RS_ITCH__SIDE_BOOK 1 /* 'B' -> 'B', 'S' -> 'A' */
#define RS_ITCH__SIDE_AGGR 2 /* P: resting 'B' -> aggressor 'A', 'S' -> 'B' */

struct rs_itch__desc {
	uint8_t len;       /* expected length, 0 = unknown type */
	uint8_t kind;      /* RS_ITCH__K_* */
	uint8_t idx;       /* enum rs_itch_type_idx */
	uint8_t action;
	uint8_t flags;     /* DBN flags */
	uint8_t off_size;  /* 4-byte size */
	uint8_t off_price; /* 4-byte price (valid offset even when unused) */
	uint8_t off_side;  /* side byte (valid offset even when unused) */
	uint8_t side_mode; /* RS_ITCH__SIDE_* */
	uint8_t has_price;
	uint8_t pad[2];
	uint32_t size_or;  /* OR-ed into the size: RS_SIZE_ALL for D */
	uint32_t rs_flags;
	uint32_t pad2;
};
_Static_assert(sizeof(struct rs_itch__desc) == 24, "descriptor size");

extern const struct rs_itch__desc rs_itch__desc_tab[256];
extern const char rs_itch__side_tab[3][256];

/*
 * Fast path: the book-building messages inline, everything else through
 * the cold function. Same contract as rs_itch_decode().
 */
static inline unsigned rs_itch_decode_fast(struct rs_itch_dec *d, const uint8_t *m, size_t len,
					   uint64_t seq, uint64_t ts_recv, struct rs_event *out)
{
	if (__builtin_expect(len == 0, 0))
		return rs_itch__decode_cold(d, m, len, seq, ts_recv, out);
	const struct rs_itch__desc *t = &rs_itch__desc_tab[m[0]];
	if (__builtin_expect(len != t->len, 0))
		return rs_itch__decode_cold(d, m, len, seq, ts_recv, out);
	if (__builtin_expect(t->kind == RS_ITCH__K_SINGLE, 1)) {
		uint64_t oid = rs_itch_be64(m + 11);
		int64_t px = rs_itch_price4(m + t->off_price);
		px = t->has_price ? px : RS_UNDEF_PRICE;
		unsigned mode = t->side_mode;
		if (mode == RS_ITCH__SIDE_AGGR && d->pside_mode != RS_ITCH_PSIDE_AGGRESSOR)
			mode = RS_ITCH__SIDE_NONE;
		char side = rs_itch__side_tab[mode][m[t->off_side]];
		uint32_t size = rs_itch_be32(m + t->off_size) | t->size_or;
		rs_itch__ev(out, d, m, seq, ts_recv, (char)t->action, side, oid, px, size, t->flags,
			    t->rs_flags);
		d->c.msgs[t->idx]++;
		d->c.events++;
		return 1;
	}
	if (t->kind == RS_ITCH__K_EXEC) { /* E, C */
		uint64_t oid = rs_itch_be64(m + 11);
		uint32_t sh = rs_itch_be32(m + 19);
		int64_t px = m[0] == 'C' ? rs_itch_price4(m + 32) : RS_UNDEF_PRICE;
		rs_itch__ev(out, d, m, seq, ts_recv, RS_ACTION_FILL, RS_SIDE_NONE, oid, px, sh, 0,
			    RS_EVF_INCOMPLETE);
		rs_itch__ev(out + 1, d, m, seq, ts_recv, RS_ACTION_CANCEL, RS_SIDE_NONE, oid,
			    RS_UNDEF_PRICE, sh, RS_F_LAST, RS_EVF_INCOMPLETE);
		d->c.msgs[t->idx]++;
		d->c.events += 2;
		return 2;
	}
	if (t->kind == RS_ITCH__K_REPL) { /* U */
		rs_itch__ev(out, d, m, seq, ts_recv, RS_ACTION_CANCEL, RS_SIDE_NONE, rs_itch_be64(m + 11),
			    RS_UNDEF_PRICE, RS_SIZE_ALL, 0, RS_EVF_INCOMPLETE | RS_EVF_DELETE);
		rs_itch__ev(out + 1, d, m, seq, ts_recv, RS_ACTION_ADD, RS_SIDE_NONE,
			    rs_itch_be64(m + 19), rs_itch_price4(m + 31), rs_itch_be32(m + 27),
			    RS_F_LAST, RS_EVF_REPLACE);
		d->c.msgs[RS_ITCH_T_U]++;
		d->c.events += 2;
		return 2;
	}
	return rs_itch__decode_cold(d, m, len, seq, ts_recv, out);
}

#endif /* RS_ITCH_H */
