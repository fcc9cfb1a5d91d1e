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
 *
 * Entry points: rs_itch_decode() (out of line), rs_itch_decode_fast() (the
 * same inline, per message) and rs_itch_decode_file() (a day file in
 * bursts: framing and decoding in one inline loop, the fastest).
 */
#ifndef RS_ITCH_H
#define RS_ITCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ringside.h"
#include "rs_itch_types.h"
#include "rs_itchfile.h"

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

/* Decode a day file (rs_itchfile.h) in bursts: messages from f->off on
 * into out[0..cap) (cap >= RS_ITCH_MAX_EVENTS) until fewer than
 * RS_ITCH_MAX_EVENTS slots are left or the file ends. Every message gives
 * exactly what rs_itch_decode_fast(d, m, len, seq, ts_recv, ...) gives with
 * seq = f->nmsgs after rs_itchfile_next() counted it (its 1-based position
 * in the file); counters and handlers likewise, and f ends where
 * rs_itchfile_next() would leave it. Returns the number of records written
 * and sets *rc: 1 out[] is full (call again), 0 end of file, -EBADMSG
 * truncated file (f->err_off), -EINVAL cap < RS_ITCH_MAX_EVENTS. Inline:
 * the fastest way through a file (~half the instructions per message of
 * rs_itchfile_next() + rs_itch_decode_fast(); see the function). */
static inline unsigned rs_itch_decode_file(struct rs_itch_dec *d, struct rs_itchfile *f,
					   uint64_t ts_recv, struct rs_event *out, unsigned cap,
					   int *rc);

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

/* 48-bit timestamp of an order message with one 8-byte load (bytes 5..12)
 * instead of a 2- and a 4-byte load: only for messages of >= 13 bytes
 * (every fast-path type is >= 19). */
static inline uint64_t rs_itch__ts48_wide(const uint8_t *m)
{
	return rs_itch_be64(m + 5) >> 16;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "rs_itch__rec composes struct rs_event as little-endian 64-bit words"
#endif

/*
 * Write one record as eight 64-bit words (the compiler emits eight wide
 * stores instead of sixteen narrow ones):
 *   w0 length|rtype|publisher_id|instrument_id  w1 ts_event  w2 order_id
 *   w3 price  w4 size|flags|channel_id|action|side  w5 ts_recv
 *   w6 ts_in_delta|sequence  w7 rs_flags|feed_id|line_id|reserved
 * always_inline: an out-of-line copy (clang made one for the two-record
 * types) costs a call and a stack-passed argument list per record.
 */
static inline __attribute__((always_inline)) void
rs_itch__rec(struct rs_event *e, uint64_t w0, uint64_t w1, uint64_t order_id, int64_t price,
	     uint64_t w4, uint64_t ts_recv, uint64_t w6, uint64_t w7)
{
	uint64_t w[8] = {w0, w1, order_id, (uint64_t)price, w4, ts_recv, w6, w7};
	memcpy(e, w, sizeof(w));
}

/* The per-message words that do not depend on the message type. */
static inline __attribute__((always_inline)) uint64_t
rs_itch__w0(const struct rs_itch_dec *d, const uint8_t *m)
{
	return (uint64_t)(sizeof(struct rs_mbo) / 4) | (uint64_t)RS_RTYPE_MBO << 8 |
	       (uint64_t)d->publisher_id << 16 | (uint64_t)rs_itch_be16(m + 1) << 32;
}

static inline __attribute__((always_inline)) uint64_t rs_itch__w4(uint32_t size, uint8_t flags,
								   char action, char side)
{
	return (uint64_t)size | (uint64_t)flags << 32 | (uint64_t)(uint8_t)action << 48 |
	       (uint64_t)(uint8_t)side << 56;
}

static inline __attribute__((always_inline)) uint64_t
rs_itch__w7(const struct rs_itch_dec *d, uint32_t rs_flags)
{
	return (uint64_t)rs_flags | (uint64_t)d->feed_id << 32 | (uint64_t)d->line_id << 40;
}

/* One record of any message with a timestamp at offset 5 (cold callers). */
static inline void rs_itch__ev(struct rs_event *e, const struct rs_itch_dec *d,
			       const uint8_t *m, uint64_t seq, uint64_t ts_recv, char action,
			       char side, uint64_t order_id, int64_t price, uint32_t size,
			       uint8_t flags, uint32_t rs_flags)
{
	rs_itch__rec(e, rs_itch__w0(d, m), d->midnight_ns + rs_itch_ts48(m), order_id, price,
		     rs_itch__w4(size, flags, action, side), ts_recv, (uint64_t)(uint32_t)seq << 32,
		     rs_itch__w7(d, rs_flags));
}

/*
 * Per-type descriptor of the fast path. Single-record types (A F D X) are
 * decoded without branching on the type: offsets, the side mapping and the
 * constant parts of the record come from the table, so the only
 * data-dependent branch is "single record or not" (taken ~90 % of the time
 * on a real day) instead of an unpredictable multi-way switch. The record
 * constants are stored pre-shifted (w4, w7, px_mul/px_add, side_col) so
 * that each field costs one load-and-OR instead of load, shift, OR and a
 * cmov; 64 bytes so that the index is one shift.
 */
#define RS_ITCH__K_COLD   0 /* non-order types, Q, B, unknown */
#define RS_ITCH__K_SINGLE 1 /* A F D X */
#define RS_ITCH__K_EXEC   2 /* E C */
#define RS_ITCH__K_REPL   3 /* U */
#define RS_ITCH__K_TRADE  4 /* P: its side mapping depends on dec->pside_mode */

#define RS_ITCH__SIDE_NONE 0 /* always 'N' */
#define RS_ITCH__SIDE_BOOK 1 /* 'B' -> 'B', 'S' -> 'A' */
#define RS_ITCH__SIDE_AGGR 2 /* P: resting 'B' -> aggressor 'A', 'S' -> 'B' */

struct rs_itch__desc {
	uint16_t len;       /* expected length, 0 = unknown type */
	uint8_t kind;       /* RS_ITCH__K_* */
	uint8_t pad0;
	uint8_t idx;        /* enum rs_itch_type_idx */
	uint8_t off_size;   /* 4-byte size (valid offset even when unused) */
	uint8_t off_price;  /* 4-byte price (valid offset even when unused) */
	uint8_t off_side;   /* side byte (valid offset even when unused) */
	uint64_t w4;        /* size_or | flags << 32 | action << 48 (size_or: RS_SIZE_ALL for D) */
	int64_t px_mul;     /* price = Price(4) * px_mul + px_add: */
	int64_t px_add;     /* RS_ITCH_PRICE4_SCALE, 0 or 0, RS_UNDEF_PRICE */
	const uint64_t *side_col; /* rs_itch__side64[RS_ITCH__SIDE_*]: side << 56 by side byte */
	uint64_t w7;        /* rs_flags */
	/* Day files (rs_itch_decode_file): a single-record type is recognized
	 * by one compare of the first 3 bytes of its record, length prefix
	 * and type (little-endian load & 0xffffff), with file_key.
	 * RS_ITCH__FILE_KEY_NONE (bit 31 set) never matches; neither does
	 * 0 (unknown types) except at index 0, which is set to NONE. */
	uint32_t file_key;
	uint32_t pad1;
	uint64_t file_step; /* 2 + len: the next record */
};
_Static_assert(sizeof(struct rs_itch__desc) == 64, "descriptor size");

#define RS_ITCH__FILE_KEY(len, type)                                                          \
	((uint32_t)(len) >> 8 | ((uint32_t)(len)&0xff) << 8 | (uint32_t)(type) << 16)
#define RS_ITCH__FILE_KEY_NONE 0xffffffffu

extern const struct rs_itch__desc rs_itch__desc_tab[256];
/* [RS_ITCH__SIDE_*][side byte] -> DBN side << 56 (w4's top byte). */
extern const uint64_t rs_itch__side64[3][256];

/*
 * The decoder fields every record needs, read once per call (per burst in
 * rs_itch_decode_file): record stores through `out` may alias *d, so
 * without these copies the compiler reloads d's fields after every store.
 */
struct rs_itch__ctx {
	uint64_t w0;       /* length | rtype | publisher_id << 16 */
	uint64_t midnight; /* d->midnight_ns */
	uint64_t w7;       /* feed_id << 32 | line_id << 40 */
};

static inline __attribute__((always_inline)) struct rs_itch__ctx
rs_itch__ctx_of(const struct rs_itch_dec *d)
{
	struct rs_itch__ctx x = {
		(uint64_t)(sizeof(struct rs_mbo) / 4) | (uint64_t)RS_RTYPE_MBO << 8 |
			(uint64_t)d->publisher_id << 16,
		d->midnight_ns, rs_itch__w7(d, 0)};
	return x;
}

/* The record of a single-record type (A F D X); t matches m and len. */
static inline __attribute__((always_inline)) void
rs_itch__single(const struct rs_itch__desc *t, const struct rs_itch__ctx *x, const uint8_t *m,
		uint64_t w6, uint64_t ts_recv, struct rs_event *out)
{
	int64_t px = (int64_t)rs_itch_be32(m + t->off_price) * t->px_mul + t->px_add;
	uint64_t w4 = (rs_itch_be32(m + t->off_size) | t->w4) | t->side_col[m[t->off_side]];
	rs_itch__rec(out, x->w0 | (uint64_t)rs_itch_be16(m + 1) << 32,
		     x->midnight + rs_itch__ts48_wide(m), rs_itch_be64(m + 11), px, w4, ts_recv, w6,
		     x->w7 | t->w7);
}

/* The two records of a U (order replace). */
static inline __attribute__((always_inline)) void
rs_itch__replace(const struct rs_itch__ctx *x, const uint8_t *m, uint64_t w6, uint64_t ts_recv,
		 struct rs_event *out)
{
	uint64_t w0 = x->w0 | (uint64_t)rs_itch_be16(m + 1) << 32;
	uint64_t w1 = x->midnight + rs_itch__ts48_wide(m);
	rs_itch__rec(out, w0, w1, rs_itch_be64(m + 11), RS_UNDEF_PRICE,
		     rs_itch__w4(RS_SIZE_ALL, 0, RS_ACTION_CANCEL, RS_SIDE_NONE), ts_recv, w6,
		     x->w7 | RS_EVF_INCOMPLETE | RS_EVF_DELETE);
	rs_itch__rec(out + 1, w0, w1, rs_itch_be64(m + 19), rs_itch_price4(m + 31),
		     rs_itch__w4(rs_itch_be32(m + 27), RS_F_LAST, RS_ACTION_ADD, RS_SIDE_NONE),
		     ts_recv, w6, x->w7 | RS_EVF_REPLACE);
}

/*
 * One message; the body of rs_itch_decode_fast() and rs_itch_decode_file().
 * Per message (acc == NULL) the records are counted in d->c.events here;
 * in a burst, records in [*acc, out) are not counted yet: they are added
 * to d->c.events before any cold call (so handlers see exact counters) and
 * at the end of the burst. After a cold call *x is re-read, as a handler
 * may change *d.
 */
static inline __attribute__((always_inline)) unsigned
rs_itch__decode_one(struct rs_itch_dec *d, const struct rs_itch__desc *tab,
		    struct rs_itch__ctx *x, struct rs_event **acc, const uint8_t *m, size_t len,
		    uint64_t seq, uint64_t ts_recv, struct rs_event *out)
{
	if (__builtin_expect(len == 0, 0))
		goto cold;
	const struct rs_itch__desc *t = &tab[m[0]];
	if (__builtin_expect(len != t->len, 0))
		goto cold;
	if (__builtin_expect(t->kind == RS_ITCH__K_SINGLE, 1)) {
		rs_itch__single(t, x, m, (uint64_t)(uint32_t)seq << 32, ts_recv, out);
		d->c.msgs[t->idx]++;
		if (!acc)
			d->c.events++;
		return 1;
	}
	uint64_t w6 = (uint64_t)(uint32_t)seq << 32;
	if (t->kind == RS_ITCH__K_REPL) { /* U */
		rs_itch__replace(x, m, w6, ts_recv, out);
		d->c.msgs[RS_ITCH_T_U]++;
		if (!acc)
			d->c.events += 2;
		return 2;
	}
	/* w0, w1 inside the branches: rs_itch__ts48_wide() reads 13 bytes,
	 * more than the shortest (cold) types have */
	uint64_t w7 = x->w7;
	if (t->kind == RS_ITCH__K_EXEC) { /* E, C (the price only for C) */
		uint64_t w0 = x->w0 | (uint64_t)rs_itch_be16(m + 1) << 32;
		uint64_t w1 = x->midnight + rs_itch__ts48_wide(m);
		uint64_t oid = rs_itch_be64(m + 11);
		uint32_t sh = rs_itch_be32(m + 19);
		int64_t px = (int64_t)rs_itch_be32(m + t->off_price) * t->px_mul + t->px_add;
		rs_itch__rec(out, w0, w1, oid, px, rs_itch__w4(sh, 0, RS_ACTION_FILL, RS_SIDE_NONE),
			     ts_recv, w6, w7 | RS_EVF_INCOMPLETE);
		rs_itch__rec(out + 1, w0, w1, oid, RS_UNDEF_PRICE,
			     rs_itch__w4(sh, RS_F_LAST, RS_ACTION_CANCEL, RS_SIDE_NONE), ts_recv, w6,
			     w7 | RS_EVF_INCOMPLETE);
		d->c.msgs[t->idx]++;
		if (!acc)
			d->c.events += 2;
		return 2;
	}
	if (t->kind == RS_ITCH__K_TRADE) { /* P */
		unsigned mode = d->pside_mode == RS_ITCH_PSIDE_AGGRESSOR ? RS_ITCH__SIDE_AGGR
									 : RS_ITCH__SIDE_NONE;
		uint64_t w0 = x->w0 | (uint64_t)rs_itch_be16(m + 1) << 32;
		uint64_t w1 = x->midnight + rs_itch__ts48_wide(m);
		rs_itch__rec(out, w0, w1, rs_itch_be64(m + 11), rs_itch_price4(m + 32),
			     rs_itch__w4(rs_itch_be32(m + 20), RS_F_LAST, RS_ACTION_TRADE, 0) |
				     rs_itch__side64[mode][m[19]],
			     ts_recv, w6, w7);
		d->c.msgs[RS_ITCH_T_P]++;
		if (!acc)
			d->c.events++;
		return 1;
	}
cold:
	if (acc) {
		/* opaque: keeps clang from tracking out - *acc in a register
		 * through the whole burst loop just for this rare add */
		struct rs_event *a = *acc;
		__asm__("" : "+r"(a));
		d->c.events += (uint64_t)(out - a);
	}
	unsigned n = rs_itch__decode_cold(d, m, len, seq, ts_recv, out);
	if (acc)
		*acc = out + n;
	*x = rs_itch__ctx_of(d);
	return n;
}

/*
 * Fast path: the book-building messages inline, everything else through
 * the cold function. Same contract as rs_itch_decode().
 */
static inline unsigned rs_itch_decode_fast(struct rs_itch_dec *d, const uint8_t *m, size_t len,
					   uint64_t seq, uint64_t ts_recv, struct rs_event *out)
{
	struct rs_itch__ctx x = rs_itch__ctx_of(d);
	return rs_itch__decode_one(d, rs_itch__desc_tab, &x, NULL, m, len, seq, ts_recv, out);
}

static inline unsigned rs_itch_decode_file(struct rs_itch_dec *d, struct rs_itchfile *f,
					   uint64_t ts_recv, struct rs_event *out, unsigned cap,
					   int *rc)
{
	if (__builtin_expect(cap < RS_ITCH_MAX_EVENTS, 0)) {
		*rc = -EINVAL;
		return 0;
	}
	/*
	 * Framing as rs_itchfile_next(), but with the position in registers,
	 * one bounds check per message while a whole maximal record still
	 * fits (rs_itchfile_unchecked_end), and the checked rs_itchfile_next()
	 * only for the last 64 KiB.
	 *
	 * Fast lane (A F D X, ~88 % of a day): one 3-byte compare of length
	 * prefix + type against the descriptor, the record, the next record
	 * by the descriptor's step; then U the same way. It keeps the
	 * sequence only as w6 = (uint32_t)seq << 32 (one add per message):
	 * fewer than 2^32 fast-lane messages (>= 1 record each, cap < 2^32)
	 * follow a slow-lane sync point seq0, so seq = seq0 +
	 * (uint32_t)((w6 >> 32) - (uint32_t)seq0), as the slow lane
	 * (everything else, rs_itch__decode_one) and the end re-derive it.
	 * Records in [acc, o) are not yet counted in d->c.events (see
	 * decode_one).
	 */
	const uint8_t *base = f->base, *p = base + f->off;
	const uint8_t *fast_end = base + rs_itchfile_unchecked_end(f);
	struct rs_event *o = out, *o_last = out + (cap - RS_ITCH_MAX_EVENTS), *acc = out;
	uint64_t seq0 = f->nmsgs;
	uint64_t w6 = (uint64_t)(uint32_t)seq0 << 32;
	struct rs_itch__ctx x = rs_itch__ctx_of(d);
	/* Loop constants as opaque values: otherwise clang, short of
	 * registers, re-derives them (lea, movabs) before each use. */
	const struct rs_itch__desc *tab = rs_itch__desc_tab;
	uint64_t seq_one = 1ull << 32;
	__asm__("" : "+r"(tab), "+r"(seq_one), "+r"(o_last));
	int r = 1;
#define RS_ITCH__SEQ() (seq0 + (uint32_t)((uint32_t)(w6 >> 32) - (uint32_t)seq0))
	while (o <= o_last) {
		if (__builtin_expect(p < fast_end, 1)) {
			/* p[0..3] are inside the file: the unchecked region */
			const struct rs_itch__desc *t = &tab[p[2]];
			uint32_t k;
			memcpy(&k, p, sizeof(k));
			if (__builtin_expect((k & 0xffffff) == t->file_key, 1)) {
				w6 += seq_one;
				rs_itch__single(t, &x, p + 2, w6, ts_recv, o);
				d->c.msgs[t->idx]++;
				p += t->file_step;
				o++;
				continue;
			}
			/* U (~7 %), the only frequent two-record type, also here */
			if ((k & 0xffffff) == RS_ITCH__FILE_KEY(RS_ITCH_LEN_U, 'U')) {
				w6 += seq_one;
				rs_itch__replace(&x, p + 2, w6, ts_recv, o);
				d->c.msgs[RS_ITCH_T_U]++;
				p += 2 + RS_ITCH_LEN_U;
				o += 2;
				/* keeps clang from merging this tail with the one above
				 * (a phi of the two steps costs 3 instructions there) */
				__asm__("" : "+r"(p), "+r"(o));
				continue;
			}
		}
		uint64_t seq = RS_ITCH__SEQ();
		const uint8_t *m;
		size_t len;
		if (p < fast_end) {
			len = rs_itch_be16(p);
			m = p + 2;
			p = m + len;
			seq++;
		} else {
			f->off = (size_t)(p - base);
			f->nmsgs = seq;
			r = rs_itchfile_next(f, &m, &len);
			if (r <= 0)
				break;
			p = base + f->off;
			seq = f->nmsgs;
		}
		o += rs_itch__decode_one(d, tab, &x, &acc, m, len, seq, ts_recv, o);
		seq0 = seq;
		w6 = (uint64_t)(uint32_t)seq << 32;
	}
	f->off = (size_t)(p - base);
	f->nmsgs = RS_ITCH__SEQ();
#undef RS_ITCH__SEQ
	d->c.events += (uint64_t)(o - acc);
	*rc = r;
	return (unsigned)(o - out);
}

#endif /* RS_ITCH_H */
