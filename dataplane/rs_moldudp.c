/*
 * rs_moldudp.c - MoldUDP64 cold helpers: names, request and header builders.
 */
#include "rs_moldudp.h"

#include <errno.h>

const char *rs_moldudp_err_name(unsigned e)
{
	static const char *const n[RS_MOLDUDP_ERR__COUNT] = {
		"ok", "short", "block_trunc", "count_long", "trailing", "ctrl_data",
	};
	return e < RS_MOLDUDP_ERR__COUNT ? n[e] : "unknown";
}

static void rs_moldudp__put64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

void rs_moldudp_hdr_build(uint8_t buf[RS_MOLDUDP_HDR_LEN], const uint8_t session[RS_MOLDUDP_SESSION_LEN],
			  uint64_t seq, uint16_t count)
{
	memcpy(buf, session, RS_MOLDUDP_SESSION_LEN);
	rs_moldudp__put64(buf + 10, seq);
	buf[18] = (uint8_t)(count >> 8);
	buf[19] = (uint8_t)count;
}

void rs_moldudp_req_build(uint8_t buf[RS_MOLDUDP_REQ_LEN], const uint8_t session[RS_MOLDUDP_SESSION_LEN],
			  uint64_t seq, uint16_t count)
{
	rs_moldudp_hdr_build(buf, session, seq, count);
}

int rs_moldudp_req_parse(const uint8_t *buf, size_t len, struct rs_moldudp_req *out)
{
	if (len != RS_MOLDUDP_REQ_LEN)
		return -EMSGSIZE;
	memcpy(out->session, buf, RS_MOLDUDP_SESSION_LEN);
	out->seq = rs_moldudp__be64(buf + 10);
	out->count = rs_moldudp__be16(buf + 18);
	return 0;
}

int rs_moldudp_append(uint8_t *buf, size_t cap, size_t *off, const uint8_t *msg, size_t len)
{
	if (*off < RS_MOLDUDP_HDR_LEN || len > 0xFFFF || cap < *off || cap - *off < 2 + len)
		return -ENOSPC;
	uint16_t count = rs_moldudp__be16(buf + 18);
	if (count >= 0xFFFE) /* 0xFFFF is end of session */
		return -ENOSPC;
	buf[*off] = (uint8_t)(len >> 8);
	buf[*off + 1] = (uint8_t)len;
	memcpy(buf + *off + 2, msg, len);
	*off += 2 + len;
	count++;
	buf[18] = (uint8_t)(count >> 8);
	buf[19] = (uint8_t)count;
	return 0;
}

void rs_moldudp_session_str(const uint8_t *session, char out[RS_MOLDUDP_SESSION_LEN + 1])
{
	memcpy(out, session, RS_MOLDUDP_SESSION_LEN);
	out[RS_MOLDUDP_SESSION_LEN] = 0;
	for (int i = 0; i < RS_MOLDUDP_SESSION_LEN; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			out[i] = '?';
}
