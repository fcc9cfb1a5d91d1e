/*
 * rs_moldudp.h - MoldUDP64 framing (HOT parse + iterator, cold builders).
 *
 * Downstream packet (all integers big-endian):
 *
 *   0          10             18      20
 *   +----------+--------------+-------+---------------------------------+
 *   | session  | sequence (8) | count | count x [ len (2) | message ]   |
 *   +----------+--------------+-------+---------------------------------+
 *
 *   sequence = sequence number of the first message in the packet;
 *   count 0 = heartbeat (sequence = next expected), 0xFFFF = end of
 *   session (no message blocks in either case).
 *
 * Request packet (client -> re-request server, UDP unicast), 20 bytes:
 *   session (10) | first sequence number (8) | message count (2)
 *
 * rs_moldudp_parse() validates the whole packet before anything is used:
 * a packet whose message blocks disagree with `count` (a block running past
 * the end, fewer blocks, or bytes left over) is rejected as a unit.
 */
#ifndef RS_MOLDUDP_H
#define RS_MOLDUDP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RS_MOLDUDP_SESSION_LEN 10
#define RS_MOLDUDP_HDR_LEN     20
#define RS_MOLDUDP_REQ_LEN     20
#define RS_MOLDUDP_HEARTBEAT   0x0000u
#define RS_MOLDUDP_EOS         0xFFFFu
#define RS_MOLDUDP_MAX_PAYLOAD 1500u /* typical MTU budget, used by builders */

enum rs_moldudp_err {
	RS_MOLDUDP_OK = 0,
	RS_MOLDUDP_ERR_SHORT,      /* fewer than 20 bytes */
	RS_MOLDUDP_ERR_BLOCK_TRUNC,/* a message block's length runs past the end */
	RS_MOLDUDP_ERR_COUNT_LONG, /* count says more blocks than the payload holds */
	RS_MOLDUDP_ERR_TRAILING,   /* bytes left after `count` blocks */
	RS_MOLDUDP_ERR_CTRL_DATA,  /* heartbeat / end-of-session carrying data */
	RS_MOLDUDP_ERR__COUNT
};

enum rs_moldudp_kind {
	RS_MOLDUDP_DATA = 0,
	RS_MOLDUDP_KIND_HEARTBEAT,
	RS_MOLDUDP_KIND_EOS,
};

struct rs_moldudp_pkt {
	const uint8_t *session;  /* 10 bytes, points into the packet */
	uint64_t seq;            /* sequence number of the first message */
	uint16_t count;          /* message count (0 / 0xFFFF for control) */
	uint8_t kind;            /* enum rs_moldudp_kind */
	uint8_t pad;
	uint32_t blocks_len;     /* bytes of message blocks */
	const uint8_t *blocks;   /* first message block */
};

/* Iterator over a validated packet's message blocks. */
struct rs_moldudp_iter {
	const uint8_t *p;
	const uint8_t *end;
	uint64_t seq;            /* sequence number of the next message */
	uint32_t left;           /* messages left */
};

/* Per-line counters (plain; one writer). */
struct rs_moldudp_counters {
	uint64_t pkts;           /* valid packets */
	uint64_t heartbeats;
	uint64_t eos;
	uint64_t msgs;           /* message blocks in valid packets */
	uint64_t rejects[RS_MOLDUDP_ERR__COUNT];
};

static inline uint16_t rs_moldudp__be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint64_t rs_moldudp__be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* Parse and validate one packet. Returns RS_MOLDUDP_OK or the reason. */
static inline enum rs_moldudp_err rs_moldudp_parse(const uint8_t *p, size_t len,
						   struct rs_moldudp_pkt *out)
{
	if (len < RS_MOLDUDP_HDR_LEN)
		return RS_MOLDUDP_ERR_SHORT;
	out->session = p;
	out->seq = rs_moldudp__be64(p + 10);
	out->count = rs_moldudp__be16(p + 18);
	out->pad = 0;
	out->blocks = p + RS_MOLDUDP_HDR_LEN;
	size_t rest = len - RS_MOLDUDP_HDR_LEN;
	out->blocks_len = (uint32_t)rest;
	if (out->count == RS_MOLDUDP_HEARTBEAT || out->count == RS_MOLDUDP_EOS) {
		out->kind = out->count == RS_MOLDUDP_EOS ? RS_MOLDUDP_KIND_EOS
							 : RS_MOLDUDP_KIND_HEARTBEAT;
		return rest ? RS_MOLDUDP_ERR_CTRL_DATA : RS_MOLDUDP_OK;
	}
	out->kind = RS_MOLDUDP_DATA;
	const uint8_t *q = out->blocks, *end = p + len;
	for (unsigned i = 0; i < out->count; i++) {
		if (end - q < 2)
			return RS_MOLDUDP_ERR_COUNT_LONG;
		size_t ml = rs_moldudp__be16(q);
		if ((size_t)(end - q - 2) < ml)
			return RS_MOLDUDP_ERR_BLOCK_TRUNC;
		q += 2 + ml;
	}
	return q == end ? RS_MOLDUDP_OK : RS_MOLDUDP_ERR_TRAILING;
}

/* Parse and count into `c` (valid packets, control packets, rejects). */
static inline enum rs_moldudp_err rs_moldudp_parse_count(struct rs_moldudp_counters *c,
							 const uint8_t *p, size_t len,
							 struct rs_moldudp_pkt *out)
{
	enum rs_moldudp_err e = rs_moldudp_parse(p, len, out);
	if (__builtin_expect(e != RS_MOLDUDP_OK, 0)) {
		c->rejects[e]++;
		return e;
	}
	c->pkts++;
	if (out->kind == RS_MOLDUDP_KIND_HEARTBEAT)
		c->heartbeats++;
	else if (out->kind == RS_MOLDUDP_KIND_EOS)
		c->eos++;
	else
		c->msgs += out->count;
	return e;
}

/* Start iterating a packet that rs_moldudp_parse() accepted. */
static inline void rs_moldudp_iter_init(struct rs_moldudp_iter *it, const struct rs_moldudp_pkt *pk)
{
	it->p = pk->blocks;
	it->end = pk->blocks + pk->blocks_len;
	it->seq = pk->seq;
	it->left = pk->kind == RS_MOLDUDP_DATA ? pk->count : 0;
}

/* Next message: 1 with msg, len and seq set, 0 at the end. Bounds are checked
 * again, so an unvalidated packet cannot make it read out of bounds. */
static inline int rs_moldudp_next(struct rs_moldudp_iter *it, const uint8_t **msg, size_t *len,
				  uint64_t *seq)
{
	if (it->left == 0 || it->end - it->p < 2)
		return 0;
	size_t ml = rs_moldudp__be16(it->p);
	if ((size_t)(it->end - it->p - 2) < ml) {
		it->left = 0;
		return 0;
	}
	*msg = it->p + 2;
	*len = ml;
	*seq = it->seq++;
	it->p += 2 + ml;
	it->left--;
	return 1;
}

/* Request packet. */
struct rs_moldudp_req {
	uint8_t session[RS_MOLDUDP_SESSION_LEN];
	uint64_t seq;
	uint16_t count;
};

/* ---- cold helpers, in rs_moldudp.c ---- */

const char *rs_moldudp_err_name(unsigned e);

/* Write a 20-byte request into buf. */
void rs_moldudp_req_build(uint8_t buf[RS_MOLDUDP_REQ_LEN], const uint8_t session[RS_MOLDUDP_SESSION_LEN],
			  uint64_t seq, uint16_t count);
/* Parse a request; 0 or -EMSGSIZE when len != 20. */
int rs_moldudp_req_parse(const uint8_t *buf, size_t len, struct rs_moldudp_req *out);

/* Write a downstream header (session, seq, count) at buf[0..19]. */
void rs_moldudp_hdr_build(uint8_t buf[RS_MOLDUDP_HDR_LEN], const uint8_t session[RS_MOLDUDP_SESSION_LEN],
			  uint64_t seq, uint16_t count);
/* Append one message block at buf+*off (cap = buffer size); updates *off
 * and the header's count. Returns 0 or -ENOSPC (nothing written). */
int rs_moldudp_append(uint8_t *buf, size_t cap, size_t *off, const uint8_t *msg, size_t len);

/* Session text: 10 bytes copied into a NUL-terminated 11-byte buffer. */
void rs_moldudp_session_str(const uint8_t *session, char out[RS_MOLDUDP_SESSION_LEN + 1]);

#endif /* RS_MOLDUDP_H */
