/*
 * test_moldudp.c - MoldUDP64 framing: parse, iterate, control packets,
 * malformed packets, request packets, builders.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_moldudp.h"

static const uint8_t SESS[10] = {'0', '0', '0', '0', '1', '0', '0', '5', '9', 'B'};

/* exact-size heap copy so ASan sees over-reads */
static enum rs_moldudp_err parse_heap(const uint8_t *p, size_t n, struct rs_moldudp_counters *c)
{
	uint8_t *b = malloc(n ? n : 1);
	memcpy(b, p, n);
	struct rs_moldudp_pkt pk;
	enum rs_moldudp_err e = rs_moldudp_parse_count(c, b, n, &pk);
	if (e == RS_MOLDUDP_OK) {
		struct rs_moldudp_iter it;
		const uint8_t *m;
		size_t len;
		uint64_t seq;
		rs_moldudp_iter_init(&it, &pk);
		while (rs_moldudp_next(&it, &m, &len, &seq))
			for (size_t i = 0; i < len; i++)
				(void)*(volatile const uint8_t *)(m + i);
	}
	free(b);
	return e;
}

Test(rs_moldudp, build_parse_iterate)
{
	uint8_t buf[256];
	size_t off = RS_MOLDUDP_HDR_LEN;
	rs_moldudp_hdr_build(buf, SESS, 1000, 0);
	const uint8_t m1[3] = {'x', 1, 2};
	const uint8_t m2[5] = {'y', 3, 4, 5, 6};
	cr_assert_eq(rs_moldudp_append(buf, sizeof(buf), &off, m1, 3), 0);
	cr_assert_eq(rs_moldudp_append(buf, sizeof(buf), &off, m2, 5), 0);
	cr_assert_eq(rs_moldudp_append(buf, sizeof(buf), &off, m2, 0), 0); /* empty block is legal */
	cr_assert_eq(off, 20 + 5 + 7 + 2);
	struct rs_moldudp_pkt pk;
	cr_assert_eq(rs_moldudp_parse(buf, off, &pk), RS_MOLDUDP_OK);
	cr_expect_eq(pk.seq, 1000);
	cr_expect_eq(pk.count, 3);
	cr_expect_eq(pk.kind, RS_MOLDUDP_DATA);
	cr_expect_arr_eq(pk.session, SESS, 10);
	struct rs_moldudp_iter it;
	const uint8_t *m;
	size_t len;
	uint64_t seq;
	rs_moldudp_iter_init(&it, &pk);
	cr_assert(rs_moldudp_next(&it, &m, &len, &seq));
	cr_expect_eq(len, 3);
	cr_expect_eq(seq, 1000);
	cr_expect_arr_eq(m, m1, 3);
	cr_assert(rs_moldudp_next(&it, &m, &len, &seq));
	cr_expect_eq(len, 5);
	cr_expect_eq(seq, 1001);
	cr_expect_arr_eq(m, m2, 5);
	cr_assert(rs_moldudp_next(&it, &m, &len, &seq));
	cr_expect_eq(len, 0);
	cr_expect_eq(seq, 1002);
	cr_expect_not(rs_moldudp_next(&it, &m, &len, &seq));
	/* too small a buffer */
	size_t o2 = off;
	cr_expect_eq(rs_moldudp_append(buf, off + 3, &o2, m2, 5), -ENOSPC);
	cr_expect_eq(o2, off);
	char s[11];
	rs_moldudp_session_str(pk.session, s);
	cr_expect_str_eq(s, "000010059B");
}

Test(rs_moldudp, heartbeat_and_end_of_session)
{
	uint8_t buf[32];
	struct rs_moldudp_counters c;
	memset(&c, 0, sizeof(c));
	rs_moldudp_hdr_build(buf, SESS, 77, RS_MOLDUDP_HEARTBEAT);
	struct rs_moldudp_pkt pk;
	cr_expect_eq(rs_moldudp_parse_count(&c, buf, 20, &pk), RS_MOLDUDP_OK);
	cr_expect_eq(pk.kind, RS_MOLDUDP_KIND_HEARTBEAT);
	cr_expect_eq(pk.seq, 77);
	struct rs_moldudp_iter it;
	const uint8_t *m;
	size_t len;
	uint64_t seq;
	rs_moldudp_iter_init(&it, &pk);
	cr_expect_not(rs_moldudp_next(&it, &m, &len, &seq));
	rs_moldudp_hdr_build(buf, SESS, 78, RS_MOLDUDP_EOS);
	cr_expect_eq(rs_moldudp_parse_count(&c, buf, 20, &pk), RS_MOLDUDP_OK);
	cr_expect_eq(pk.kind, RS_MOLDUDP_KIND_EOS);
	rs_moldudp_iter_init(&it, &pk);
	cr_expect_not(rs_moldudp_next(&it, &m, &len, &seq));
	/* control packets must not carry data */
	cr_expect_eq(rs_moldudp_parse_count(&c, buf, 22, &pk), RS_MOLDUDP_ERR_CTRL_DATA);
	cr_expect_eq(c.pkts, 2);
	cr_expect_eq(c.heartbeats, 1);
	cr_expect_eq(c.eos, 1);
	cr_expect_eq(c.rejects[RS_MOLDUDP_ERR_CTRL_DATA], 1);
}

Test(rs_moldudp, malformed_rejected_and_counted)
{
	uint8_t buf[64];
	struct rs_moldudp_counters c;
	memset(&c, 0, sizeof(c));
	size_t off = 20;
	rs_moldudp_hdr_build(buf, SESS, 5, 0);
	const uint8_t msg[10] = {'A'};
	rs_moldudp_append(buf, sizeof(buf), &off, msg, 10);
	rs_moldudp_append(buf, sizeof(buf), &off, msg, 10);
	cr_expect_eq(parse_heap(buf, off, &c), RS_MOLDUDP_OK);
	/* every truncation of the packet is rejected */
	for (size_t n = 0; n < off; n++)
		cr_expect_neq(parse_heap(buf, n, &c), RS_MOLDUDP_OK, "len %zu", n);
	cr_expect_eq(c.rejects[RS_MOLDUDP_ERR_SHORT], 20);
	/* count too high / too low */
	buf[19] = 3;
	cr_expect_eq(parse_heap(buf, off, &c), RS_MOLDUDP_ERR_COUNT_LONG);
	buf[19] = 1;
	cr_expect_eq(parse_heap(buf, off, &c), RS_MOLDUDP_ERR_TRAILING);
	buf[19] = 2;
	/* block length pointing past the end */
	buf[20 + 12] = 0;
	buf[20 + 12 + 1] = 11;
	cr_expect_eq(parse_heap(buf, off, &c), RS_MOLDUDP_ERR_BLOCK_TRUNC);
	buf[20 + 12] = 0xff;
	cr_expect_eq(parse_heap(buf, off, &c), RS_MOLDUDP_ERR_BLOCK_TRUNC);
	cr_expect_eq(c.pkts, 1);
	cr_expect_eq(c.msgs, 2);
	cr_expect_str_eq(rs_moldudp_err_name(RS_MOLDUDP_ERR_TRAILING), "trailing");
}

Test(rs_moldudp, iterator_is_bounds_checked_without_validation)
{
	/* a packet that was NOT validated: the iterator still stops safely */
	uint8_t buf[24];
	rs_moldudp_hdr_build(buf, SESS, 1, 5);
	buf[20] = 0;
	buf[21] = 200;
	struct rs_moldudp_pkt pk = {.session = buf, .seq = 1, .count = 5, .kind = RS_MOLDUDP_DATA,
				     .blocks = buf + 20, .blocks_len = 4};
	struct rs_moldudp_iter it;
	const uint8_t *m;
	size_t len;
	uint64_t seq;
	rs_moldudp_iter_init(&it, &pk);
	cr_expect_not(rs_moldudp_next(&it, &m, &len, &seq));
}

Test(rs_moldudp, request_packet)
{
	uint8_t buf[RS_MOLDUDP_REQ_LEN];
	rs_moldudp_req_build(buf, SESS, 0x0102030405060708ull, 300);
	const uint8_t want[20] = {'0', '0', '0', '0', '1', '0', '0', '5', '9', 'B',
				  1, 2, 3, 4, 5, 6, 7, 8, 0x01, 0x2c};
	cr_expect_arr_eq(buf, want, 20);
	struct rs_moldudp_req r;
	cr_assert_eq(rs_moldudp_req_parse(buf, 20, &r), 0);
	cr_expect_arr_eq(r.session, SESS, 10);
	cr_expect_eq(r.seq, 0x0102030405060708ull);
	cr_expect_eq(r.count, 300);
	cr_expect_eq(rs_moldudp_req_parse(buf, 19, &r), -EMSGSIZE);
	cr_expect_eq(rs_moldudp_req_parse(buf, 21, &r), -EMSGSIZE);
}
