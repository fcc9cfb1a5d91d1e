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
 * Per-type recipe of the fast path. Every order message (A F D X E C U P)
 * is decoded without branching on its type: its first record comes from
 * the descriptor's record-1 half (offsets, side mapping, constants), and
 * the two-record types (E C U, ~10 % of a day) add a second record from
 * the record-2 half. The only data-dependent branch is "one record or
 * two" instead of a multi-way switch, and it tests the type byte itself
 * against RS_ITCH__TWO_MASK rather than a descriptor field: it then
 * resolves one load after the message address is known instead of two
 * (type, descriptor), which makes its ~10 % mispredictions cheaper. Constants are stored pre-shifted into their record words so
 * that each costs one OR.
 *
 * Lookup: the message type byte indexes desc[] directly (256 x 128 bytes
 * per table, of which only the 8 order types' 16 cache lines are ever
 * read): a dense table behind a 256-entry slot index was measured 9 %
 * slower, its extra dependent load delaying every descriptor field.
 * Unknown and non-order types have a zeroed descriptor: len 0 (the cold
 * path) and file_key 0, which no key matches (the key holds the type byte,
 * non-zero, in bits 24-31; desc[0] has RS_ITCH__FILE_KEY_NONE). There is
 * one table per P side mode (RS_ITCH_PSIDE_*), differing only in P's side
 * mapping.
 */
#define RS_ITCH__SIDE_NONE 0 /* always 'N' */
#define RS_ITCH__SIDE_BOOK 1 /* 'B' -> 'B', 'S' -> 'A' */
#define RS_ITCH__SIDE_AGGR 2 /* P: resting 'B' -> aggressor 'A', 'S' -> 'B' */

/* The record is written as a 16-byte {w0, w1}, two 8-byte words (order id,
 * price) and a 32-byte {w4, ts_recv, w6, w7} (rs_itch__put). GCC/clang
 * vector extensions (typedefs: the attribute needs a type name to be
 * usable in struct fields, casts and compound literals). */
typedef uint8_t rs_itch__v16b __attribute__((vector_size(16)));
typedef uint64_t rs_itch__v2 __attribute__((vector_size(16)));
typedef uint64_t rs_itch__v4 __attribute__((vector_size(32)));

struct rs_itch__desc {
	/* line 1: framing and record 1 */
	/* Day files (rs_itch_decode_file): an order message is recognized by
	 * one compare of the first 3 bytes of its record, length prefix and
	 * type (little-endian 4-byte load << 8), with file_key.
	 * RS_ITCH__FILE_KEY_NONE (low byte set) never matches. */
	uint32_t file_key;
	uint16_t len;       /* expected length; 0 for the cold descriptor */
	uint8_t pad0;
	uint8_t idx;        /* enum rs_itch_type_idx */
	uint8_t off_size;   /* record 1: 4-byte size (valid offset even when unused) */
	uint8_t off_price;  /* record 1: 4-byte price (valid offset even when unused) */
	uint8_t off_side;   /* record 1: side byte (valid offset even when unused) */
	uint8_t off_oid2;   /* record 2: 8-byte order id */
	uint8_t off_size2;  /* record 2: 4-byte size */
	uint8_t off_price2; /* record 2: 4-byte price (valid offset even when unused) */
	uint8_t pad1[2];
	int64_t px_mul;     /* price = Price(4) * px_mul + px_add: */
	int64_t px_add;     /* RS_ITCH_PRICE4_SCALE, 0 or 0, RS_UNDEF_PRICE */
	/* record 1 {w4, ts_recv, w6, w7} constants: {size_or | flags << 32 |
	 * action << 48, 0, 0, rs_flags} (size_or: RS_SIZE_ALL or 0) */
	rs_itch__v4 k1;
	/* line 2: record 2 (E C U): the same constants (side 'N' in k2[0]) */
	rs_itch__v4 k2;
	const uint64_t *side_col; /* record 1 (line 1 is full): rs_itch__side64[RS_ITCH__SIDE_*] */
	int64_t px_mul2;
	int64_t px_add2;
	uint64_t pad2;
};
_Static_assert(sizeof(struct rs_itch__desc) == 128, "descriptor size");

/* Bit (type & 63) is set for the two-record types E C U; valid only for
 * the 8 order types, whose type & 63 are distinct (A 1 C 3 D 4 E 5 F 6
 * P 16 U 21 X 24). */
#define RS_ITCH__TWO_MASK (1ull << ('E' & 63) | 1ull << ('C' & 63) | 1ull << ('U' & 63))

/* Software prefetch distance of rs_itch_decode_file() (bytes ahead of the
 * message being decoded): the hardware prefetchers stop at 4 KiB page
 * boundaries, so without it every new page of the file starts with a
 * DRAM miss on the loop-carried chain. -D to tune (perf/RESULTS.md). */
#ifndef RS_ITCH__PREFETCH
#define RS_ITCH__PREFETCH 1024
#endif

struct rs_itch__tab {
	struct rs_itch__desc desc[256]; /* by type byte */
};

#define RS_ITCH__FILE_KEY(len, type)                                                          \
	(((uint32_t)(len) >> 8 | ((uint32_t)(len)&0xff) << 8 | (uint32_t)(type) << 16) << 8)
#define RS_ITCH__FILE_KEY_NONE 0xffffffffu

/* [0] P side = aggressor (RS_ITCH_PSIDE_AGGRESSOR), [1] P side 'N'. */
extern const struct rs_itch__tab rs_itch__tab[2];
/* [RS_ITCH__SIDE_*][side byte] -> DBN side << 56 (w4's top byte). */
extern const uint64_t rs_itch__side64[3][256];

static inline __attribute__((always_inline)) const struct rs_itch__tab *
rs_itch__tab_of(const struct rs_itch_dec *d)
{
	return &rs_itch__tab[d->pside_mode != RS_ITCH_PSIDE_AGGRESSOR];
}

static inline __attribute__((always_inline)) const struct rs_itch__desc *
rs_itch__desc_of(const struct rs_itch__tab *tab, uint8_t type)
{
	return &tab->desc[type];
}

/*
 * The decoder fields every record needs, read once per call (per burst in
 * rs_itch_decode_file): record stores through `out` may alias *d, so
 * without these copies the compiler reloads d's fields after every store.
 */
struct rs_itch__ctx {
	rs_itch__v2 hd;    /* {length | rtype | publisher_id << 16, d->midnight_ns} */
	uint64_t w7;       /* feed_id << 32 | line_id << 40 */
	const struct rs_itch__tab *tab; /* by d->pside_mode */
};

static inline __attribute__((always_inline)) struct rs_itch__ctx
rs_itch__ctx_of(const struct rs_itch_dec *d)
{
	struct rs_itch__ctx x = {
		{(uint64_t)(sizeof(struct rs_mbo) / 4) | (uint64_t)RS_RTYPE_MBO << 8 |
			 (uint64_t)d->publisher_id << 16,
		 d->midnight_ns},
		rs_itch__w7(d, 0), rs_itch__tab_of(d)};
	return x;
}

/*
 * {w0, w1} of any order message (>= 16 bytes; all are >= 19): the locate (bytes
 * 1-2) byte-swapped into w0's instrument_id, the 48-bit timestamp (bytes
 * 5-10) byte-swapped into w1, by one byte shuffle of the first 16 bytes;
 * then + {the constant part of w0, midnight} (w0's parts do not overlap:
 * the add is an OR).
 */
static inline __attribute__((always_inline)) rs_itch__v2
rs_itch__hd(const struct rs_itch__ctx *x, const uint8_t *m)
{
	rs_itch__v16b b, z = {0};
	memcpy(&b, m, sizeof(b));
	rs_itch__v16b s = __builtin_shufflevector(b, z, 16, 16, 16, 16, 2, 1, 16, 16,
						  10, 9, 8, 7, 6, 5, 16, 16);
	return (rs_itch__v2)s + x->hd;
}

/* Store one record: {w0, w1}, order id, price, {w4, ts_recv, w6, w7}. */
static inline __attribute__((always_inline)) void
rs_itch__put(struct rs_event *e, rs_itch__v2 hd, uint64_t oid, int64_t px, rs_itch__v4 tail)
{
	char *b = (char *)e;
	memcpy(b, &hd, 16);
	memcpy(b + 16, &oid, 8);
	memcpy(b + 24, &px, 8);
	memcpy(b + 32, &tail, 32);
}

/*
 * Record 1 of an order message (t matches m and its length); s = {0,
 * ts_recv, w6, x->w7}. in_file: m lies in a day file's unchecked region
 * (rs_itch_decode_file), where reading past the message is allowed: the
 * price is then always read at 32 and the side at 19, the offsets of the
 * types that have them (A F P C), saving two descriptor loads; for the
 * others px_mul is 0 and side_col all 'N', so the bytes read do not matter.
 */
static inline __attribute__((always_inline)) void
rs_itch__rec1(const struct rs_itch__desc *t, rs_itch__v2 hd, rs_itch__v4 s, const uint8_t *m,
	      struct rs_event *out, int in_file)
{
	unsigned off_price = in_file ? 32 : t->off_price, off_side = in_file ? 19 : t->off_side;
	int64_t px = (int64_t)rs_itch_be32(m + off_price) * t->px_mul + t->px_add;
	uint64_t w4 = rs_itch_be32(m + t->off_size) | t->side_col[m[off_side]];
	rs_itch__v4 w4v = {w4, 0, 0, 0};
	rs_itch__put(out, hd, rs_itch_be64(m + 11), px, s | t->k1 | w4v);
}

/* Record 2 of a two-record type (E C U). */
static inline __attribute__((always_inline)) void
rs_itch__rec2(const struct rs_itch__desc *t, rs_itch__v2 hd, rs_itch__v4 s, const uint8_t *m,
	      struct rs_event *out)
{
	int64_t px = (int64_t)rs_itch_be32(m + t->off_price2) * t->px_mul2 + t->px_add2;
	rs_itch__v4 w4v = {rs_itch_be32(m + t->off_size2), 0, 0, 0};
	rs_itch__put(out, hd, rs_itch_be64(m + t->off_oid2), px, s | t->k2 | w4v);
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
rs_itch__decode_one(struct rs_itch_dec *d, struct rs_itch__ctx *x, struct rs_event **acc,
		    const uint8_t *m, size_t len, uint64_t seq, uint64_t ts_recv,
		    struct rs_event *out)
{
	if (__builtin_expect(len == 0, 0))
		goto cold;
	const struct rs_itch__desc *t = rs_itch__desc_of(x->tab, m[0]);
	/* the cold descriptor has len 0 */
	if (__builtin_expect(len != t->len, 0))
		goto cold;
	rs_itch__v2 hd = rs_itch__hd(x, m);
	rs_itch__v4 s = {0, ts_recv, (uint64_t)(uint32_t)seq << 32, x->w7};
	rs_itch__rec1(t, hd, s, m, out, 0);
	d->c.msgs[t->idx]++;
	unsigned n = 1;
	if ((RS_ITCH__TWO_MASK >> (m[0] & 63)) & 1) {
		rs_itch__rec2(t, hd, s, m, out + 1);
		n = 2;
	}
	if (!acc)
		d->c.events += n;
	return n;
cold:
	if (acc) {
		/* opaque: keeps clang from tracking out - *acc in a register
		 * through the whole burst loop just for this rare add */
		struct rs_event *a = *acc;
		__asm__("" : "+r"(a));
		d->c.events += (uint64_t)(out - a);
	}
	n = rs_itch__decode_cold(d, m, len, seq, ts_recv, out);
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
	return rs_itch__decode_one(d, &x, NULL, m, len, seq, ts_recv, out);
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
	 * no bounds check per message while the rest of the burst certainly
	 * starts before rs_itchfile_unchecked_end() (a whole maximal record
	 * still fits), and the checked rs_itchfile_next() only for the last
	 * 64 KiB.
	 *
	 * Fast lane (every order message, ~99.9 % of a day): one 3-byte
	 * compare of length prefix + type against the descriptor, record 1,
	 * record 2 for E C U. The next record is at p + 2 + p[1] (the length
	 * prefix; its high byte is 0 for a matched key): one load and one add
	 * on the loop-carried chain, rather than loads of the type, the
	 * descriptor and its step (that chain bounded the loop). The
	 * sequence lives only in s[2] = (uint32_t)seq << 32 (one vector add
	 * per message): fewer than 2^32 fast-lane messages (>= 1 record each,
	 * cap < 2^32) follow a slow-lane sync point seq0, so seq = seq0 +
	 * (uint32_t)((s[2] >> 32) - (uint32_t)seq0), as the slow lane
	 * (everything else, rs_itch__decode_one) and the end re-derive it.
	 * Records in [acc, o) are not yet counted in d->c.events (see
	 * decode_one).
	 */
	const uint8_t *base = f->base, *p = base + f->off;
	const uint8_t *fast_end = base + rs_itchfile_unchecked_end(f);
	struct rs_event *o = out, *o_last = out + (cap - RS_ITCH_MAX_EVENTS), *acc = out;
	uint64_t seq0 = f->nmsgs;
	struct rs_itch__ctx x = rs_itch__ctx_of(d);
	rs_itch__v4 s = {0, ts_recv, (uint64_t)(uint32_t)seq0 << 32, x.w7};
	const rs_itch__v4 seq_one = {0, 0, 1ull << 32, 0};
	/* Loop constants as opaque values: otherwise clang, short of
	 * registers, re-derives them (mov, lea) before each use. */
	uint64_t two_mask = RS_ITCH__TWO_MASK;
	__asm__("" : "+r"(two_mask), "+r"(o_last));
	int r = 1;
#define RS_ITCH__SEQ() (seq0 + (uint32_t)((uint32_t)(s[2] >> 32) - (uint32_t)seq0))
	while (o <= o_last) {
		/* The unchecked inner loop runs at most o_last - o + 1 messages
		 * (each gives >= 1 record) of at most 2 + RS_ITCH_MAX_LEN bytes
		 * (it leaves at any other): all start before fast_end. */
		if (__builtin_expect(p < fast_end && (size_t)(fast_end - p) >
							     (size_t)(o_last - o) * (2 + RS_ITCH_MAX_LEN),
				     1)) {
			for (;;) {
				unsigned ty = p[2];
				const struct rs_itch__desc *t = rs_itch__desc_of(x.tab, (uint8_t)ty);
				uint32_t k;
				memcpy(&k, p, sizeof(k));
				if (__builtin_expect(k << 8 != t->file_key, 0))
					break;
				/* within the file: p < fast_end */
				__builtin_prefetch(p + RS_ITCH__PREFETCH);
				const uint8_t *m = p + 2;
				rs_itch__v2 hd = rs_itch__hd(&x, m);
				s += seq_one;
				rs_itch__rec1(t, hd, s, m, o, 1);
				d->c.msgs[t->idx]++;
				p += 2 + p[1];
				if ((two_mask >> (ty & 63)) & 1) {
					rs_itch__rec2(t, hd, s, m, o + 1);
					o += 2;
				} else {
					o++;
				}
				if (o > o_last)
					goto done;
			}
		}
		/* One message the checked way: a slow-lane one, or any near the
		 * end of the file. */
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
		o += rs_itch__decode_one(d, &x, &acc, m, len, seq, ts_recv, o);
		seq0 = seq;
		s[2] = (uint64_t)(uint32_t)seq << 32;
		s[3] = x.w7;
	}
done:
	f->off = (size_t)(p - base);
	f->nmsgs = RS_ITCH__SEQ();
#undef RS_ITCH__SEQ
	d->c.events += (uint64_t)(o - acc);
	*rc = r;
	return (unsigned)(o - out);
}

#endif /* RS_ITCH_H */
