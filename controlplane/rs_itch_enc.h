/*
 * rs_itch_enc.h - NASDAQ TotalView-ITCH 5.0 message encoders (COLD/tools).
 *
 * Writers for the ITCH 5.0 wire format used by the session generator
 * (`ringside gen`), tests and benchmarks. Each rs_itch_enc_<msg>() writes one
 * complete message (type byte first, no length prefix) at `p` and returns its
 * length in bytes (RS_ITCH_LEN_<type> from dataplane/rs_itch_types.h). The
 * caller provides at least RS_ITCH_MAX_LEN (50) writable bytes. Integers are
 * written big-endian, timestamps as 48-bit ns since midnight, prices as
 * Price(4) (1e-4 dollars, the wire unit), Alpha fields space padded: pass a
 * `stock` of exactly 8 bytes (see rs_itch_enc_stock()).
 *
 * The order-flow writers (A F E C X D U P Q B) are static inline because the
 * generator calls them ~100 million times; the rare ones live in
 * rs_itch_enc.c. Decoding is dataplane/rs_itch.h's job.
 */
#ifndef RS_ITCH_ENC_H
#define RS_ITCH_ENC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/rs_itch_types.h"

/* ---------------------------------------------------------------- primitives */

static inline uint8_t *rs_itch_enc_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *rs_itch_enc_be32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
	return p + 4;
}

static inline uint8_t *rs_itch_enc_be48(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)(v >> 40);
	p[1] = (uint8_t)(v >> 32);
	return rs_itch_enc_be32(p + 2, (uint32_t)v);
}

static inline uint8_t *rs_itch_enc_be64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
	return p + 8;
}

static inline uint8_t *rs_itch_enc_bytes(uint8_t *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* Common 11-byte header: type, stock locate, tracking number, timestamp. */
static inline uint8_t *rs_itch_enc_hdr(uint8_t *p, char type, uint16_t locate, uint16_t tracking,
				       uint64_t ts)
{
	p[0] = (uint8_t)type;
	p = rs_itch_enc_be16(p + 1, locate);
	p = rs_itch_enc_be16(p, tracking);
	return rs_itch_enc_be48(p, ts);
}

/* Space-pads (or truncates) a NUL-terminated symbol into an 8-byte Alpha. */
void rs_itch_enc_stock(char out[8], const char *sym);

/* ---------------------------------------------------------------- order flow */

/* A: add order, no MPID attribution. side 'B' or 'S'. */
static inline size_t rs_itch_enc_add(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				     uint64_t ref, char side, uint32_t shares, const char stock[8],
				     uint32_t price)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'A', locate, tracking, ts);
	q = rs_itch_enc_be64(q, ref);
	*q++ = (uint8_t)side;
	q = rs_itch_enc_be32(q, shares);
	q = rs_itch_enc_bytes(q, stock, 8);
	rs_itch_enc_be32(q, price);
	return RS_ITCH_LEN_A;
}

/* F: add order with MPID attribution (4-byte Alpha). */
static inline size_t rs_itch_enc_add_mpid(uint8_t *p, uint16_t locate, uint16_t tracking,
					  uint64_t ts, uint64_t ref, char side, uint32_t shares,
					  const char stock[8], uint32_t price, const char mpid[4])
{
	uint8_t *q = rs_itch_enc_hdr(p, 'F', locate, tracking, ts);
	q = rs_itch_enc_be64(q, ref);
	*q++ = (uint8_t)side;
	q = rs_itch_enc_be32(q, shares);
	q = rs_itch_enc_bytes(q, stock, 8);
	q = rs_itch_enc_be32(q, price);
	rs_itch_enc_bytes(q, mpid, 4);
	return RS_ITCH_LEN_F;
}

/* E: order executed (at the order's price). */
static inline size_t rs_itch_enc_exec(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				      uint64_t ref, uint32_t shares, uint64_t match)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'E', locate, tracking, ts);
	q = rs_itch_enc_be64(q, ref);
	q = rs_itch_enc_be32(q, shares);
	rs_itch_enc_be64(q, match);
	return RS_ITCH_LEN_E;
}

/* C: order executed with price; printable 'Y' or 'N'. */
static inline size_t rs_itch_enc_exec_price(uint8_t *p, uint16_t locate, uint16_t tracking,
					    uint64_t ts, uint64_t ref, uint32_t shares,
					    uint64_t match, char printable, uint32_t price)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'C', locate, tracking, ts);
	q = rs_itch_enc_be64(q, ref);
	q = rs_itch_enc_be32(q, shares);
	q = rs_itch_enc_be64(q, match);
	*q++ = (uint8_t)printable;
	rs_itch_enc_be32(q, price);
	return RS_ITCH_LEN_C;
}

/* X: order cancel (partial: `shares` removed). */
static inline size_t rs_itch_enc_cancel(uint8_t *p, uint16_t locate, uint16_t tracking,
					uint64_t ts, uint64_t ref, uint32_t shares)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'X', locate, tracking, ts);
	q = rs_itch_enc_be64(q, ref);
	rs_itch_enc_be32(q, shares);
	return RS_ITCH_LEN_X;
}

/* D: order delete. */
static inline size_t rs_itch_enc_delete(uint8_t *p, uint16_t locate, uint16_t tracking,
					uint64_t ts, uint64_t ref)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'D', locate, tracking, ts);
	rs_itch_enc_be64(q, ref);
	return RS_ITCH_LEN_D;
}

/* U: order replace (new reference, shares and price; side is the original's). */
static inline size_t rs_itch_enc_replace(uint8_t *p, uint16_t locate, uint16_t tracking,
					 uint64_t ts, uint64_t orig_ref, uint64_t new_ref,
					 uint32_t shares, uint32_t price)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'U', locate, tracking, ts);
	q = rs_itch_enc_be64(q, orig_ref);
	q = rs_itch_enc_be64(q, new_ref);
	q = rs_itch_enc_be32(q, shares);
	rs_itch_enc_be32(q, price);
	return RS_ITCH_LEN_U;
}

/* P: trade (non-cross, non-displayed order). */
static inline size_t rs_itch_enc_trade(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				       uint64_t ref, char side, uint32_t shares, const char stock[8],
				       uint32_t price, uint64_t match)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'P', locate, tracking, ts);
	q = rs_itch_enc_be64(q, ref);
	*q++ = (uint8_t)side;
	q = rs_itch_enc_be32(q, shares);
	q = rs_itch_enc_bytes(q, stock, 8);
	q = rs_itch_enc_be32(q, price);
	rs_itch_enc_be64(q, match);
	return RS_ITCH_LEN_P;
}

/* Q: cross trade; cross_type 'O' open, 'C' close, 'H' IPO/halt, 'I' intraday. */
static inline size_t rs_itch_enc_cross(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				       uint64_t shares, const char stock[8], uint32_t price,
				       uint64_t match, char cross_type)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'Q', locate, tracking, ts);
	q = rs_itch_enc_be64(q, shares);
	q = rs_itch_enc_bytes(q, stock, 8);
	q = rs_itch_enc_be32(q, price);
	q = rs_itch_enc_be64(q, match);
	*q = (uint8_t)cross_type;
	return RS_ITCH_LEN_Q;
}

/* B: broken trade. */
static inline size_t rs_itch_enc_broken(uint8_t *p, uint16_t locate, uint16_t tracking,
					uint64_t ts, uint64_t match)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'B', locate, tracking, ts);
	rs_itch_enc_be64(q, match);
	return RS_ITCH_LEN_B;
}

/* ---------------------------------------------------------------- administrative */

/* R: stock directory fields (Alpha fields are single characters). */
struct rs_itch_enc_dir {
	char stock[8];
	char market_category;      /* 'Q','G','S','N','A','P','Z','V',' ' */
	char financial_status;     /* 'N' normal, ... */
	uint32_t round_lot_size;
	char round_lots_only;      /* 'Y'/'N' */
	char issue_classification; /* 'C' common, ... */
	char issue_subtype[2];
	char authenticity;         /* 'P' live, 'T' test */
	char short_sale_threshold; /* 'Y','N',' ' */
	char ipo_flag;
	char luld_tier;            /* '1','2',' ' */
	char etp_flag;
	uint32_t etp_leverage_factor;
	char inverse_indicator;
};

size_t rs_itch_enc_system_event(uint8_t *p, uint16_t tracking, uint64_t ts, char code);
size_t rs_itch_enc_stock_directory(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				   const struct rs_itch_enc_dir *d);
size_t rs_itch_enc_trading_action(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				  const char stock[8], char state, const char reason[4]);
size_t rs_itch_enc_reg_sho(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			   const char stock[8], char action);
size_t rs_itch_enc_participant(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			       const char mpid[4], const char stock[8], char primary, char mode,
			       char state);
size_t rs_itch_enc_mwcb_decline(uint8_t *p, uint16_t tracking, uint64_t ts, uint64_t level1,
				uint64_t level2, uint64_t level3); /* Price(8) */
size_t rs_itch_enc_mwcb_status(uint8_t *p, uint16_t tracking, uint64_t ts, char level);
size_t rs_itch_enc_ipo_quoting(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			       const char stock[8], uint32_t release_time, char qualifier,
			       uint32_t price);
size_t rs_itch_enc_luld_collar(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			       const char stock[8], uint32_t ref_price, uint32_t upper,
			       uint32_t lower, uint32_t extension);
size_t rs_itch_enc_op_halt(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			   const char stock[8], char market_code, char action);
size_t rs_itch_enc_noii(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			uint64_t paired, uint64_t imbalance, char direction, const char stock[8],
			uint32_t far_price, uint32_t near_price, uint32_t ref_price,
			char cross_type, char variation);
size_t rs_itch_enc_rpii(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			const char stock[8], char flag);

#endif
