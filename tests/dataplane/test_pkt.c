/*
 * test_pkt.c - Ethernet / 802.1Q / QinQ / IPv4 / UDP parsing (rs_pkt.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_pkt.h"

/* Build a frame: tags = number of VLAN tags (0..3), ihl words, payload n. */
static size_t frame(uint8_t *f, int tags, int ihl, size_t n, uint16_t frag)
{
	size_t o = 12;
	memset(f, 0, 256);
	memcpy(f, "\x01\x00\x5e\x36\x0c\x6f\x02\x00\x00\x00\x00\x01", 12);
	for (int t = 0; t < tags; t++) {
		uint16_t tpid = (tags >= 2 && t == 0) ? 0x88A8 : 0x8100;
		f[o] = (uint8_t)(tpid >> 8);
		f[o + 1] = (uint8_t)tpid;
		f[o + 2] = 0x00;
		f[o + 3] = (uint8_t)(10 + t);
		o += 4;
	}
	f[o] = 0x08;
	f[o + 1] = 0x00;
	o += 2;
	uint8_t *ip = f + o;
	size_t tot = (size_t)ihl * 4 + 8 + n;
	ip[0] = (uint8_t)(0x40 | ihl);
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\xce\xc8\x7f\x8a", 4);
	memcpy(ip + 16, "\xe9\x36\x0c\x6f", 4);
	uint8_t *u = ip + ihl * 4;
	u[0] = 0xc1;
	u[1] = 0xf5; /* 49653 */
	u[2] = 0x67;
	u[3] = 0x6d; /* 26477 */
	u[4] = (uint8_t)((8 + n) >> 8);
	u[5] = (uint8_t)(8 + n);
	for (size_t i = 0; i < n; i++)
		u[8 + i] = (uint8_t)i;
	return o + tot;
}

static enum rs_pkt_err parse_heap(const uint8_t *f, size_t n, struct rs_pkt_udp *u)
{
	uint8_t *b = malloc(n ? n : 1);
	memcpy(b, f, n);
	enum rs_pkt_err e = rs_pkt_parse_eth(b, n, u);
	if (e == RS_PKT_OK)
		u->payload = f + (u->payload - b); /* rebase before free */
	free(b);
	return e;
}

Test(rs_pkt, plain_vlan_qinq_options)
{
	uint8_t f[256];
	struct rs_pkt_udp u;
	for (int tags = 0; tags <= 2; tags++) {
		for (int ihl = 5; ihl <= 15; ihl += 5) {
			size_t n = frame(f, tags, ihl, 30, 0x4000 /* DF */);
			cr_assert_eq(parse_heap(f, n, &u), RS_PKT_OK, "tags %d ihl %d", tags, ihl);
			cr_expect_eq(u.src_ip, 0xCEC87F8Au);
			cr_expect_eq(u.dst_ip, 0xE9360C6Fu);
			cr_expect_eq(u.src_port, 49653);
			cr_expect_eq(u.dst_port, 26477);
			cr_expect_eq(u.payload_len, 30);
			cr_expect_eq(u.payload, f + 14 + 4 * tags + ihl * 4 + 8);
			cr_expect_eq(u.vlan_outer, tags ? 10 : 0);
			cr_expect_eq(u.vlan_inner, tags == 2 ? 11 : 0);
			/* padding after the datagram is ignored */
			cr_expect_eq(parse_heap(f, n + 20, &u), RS_PKT_OK);
			cr_expect_eq(u.payload_len, 30);
			/* every truncation is rejected */
			for (size_t k = 0; k < n; k++)
				cr_expect_neq(parse_heap(f, k, &u), RS_PKT_OK, "tags %d ihl %d len %zu", tags, ihl, k);
		}
	}
	size_t n = frame(f, 3, 5, 10, 0);
	cr_expect_eq(parse_heap(f, n, &u), RS_PKT_ERR_VLAN_DEPTH);
}

Test(rs_pkt, rejects_with_reason)
{
	uint8_t f[256];
	struct rs_pkt_udp u;
	size_t n = frame(f, 0, 5, 20, 0);
	uint8_t g[256];
	memcpy(g, f, sizeof(g));
	g[12] = 0x86;
	g[13] = 0xdd;
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_NOT_IPV4);
	memcpy(g, f, sizeof(g));
	g[14] = 0x65;
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_IP_VERSION);
	memcpy(g, f, sizeof(g));
	g[14] = 0x44;
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_IP_HLEN);
	memcpy(g, f, sizeof(g));
	g[14 + 9] = 6;
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_NOT_UDP);
	memcpy(g, f, sizeof(g));
	g[14 + 6] = 0x20; /* MF */
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_IP_FRAG);
	memcpy(g, f, sizeof(g));
	g[14 + 7] = 0x01; /* offset 8 */
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_IP_FRAG);
	memcpy(g, f, sizeof(g));
	g[14 + 3] = 19; /* total length < header */
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_IP_LEN);
	memcpy(g, f, sizeof(g));
	g[14 + 3] = (uint8_t)(g[14 + 3] + 1); /* total length > frame */
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_IP_LEN);
	memcpy(g, f, sizeof(g));
	g[14 + 20 + 5] = 7; /* UDP length < 8 */
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_UDP_LEN);
	memcpy(g, f, sizeof(g));
	g[14 + 20 + 5] = 29; /* UDP length > IP payload */
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_ERR_UDP_LEN);
	memcpy(g, f, sizeof(g));
	g[14 + 20 + 5] = 10; /* shorter UDP length: payload follows it */
	cr_expect_eq(parse_heap(g, n, &u), RS_PKT_OK);
	cr_expect_eq(u.payload_len, 2);
	cr_expect_str_eq(rs_pkt_err_name(RS_PKT_ERR_IP_FRAG), "ip_frag");
	cr_expect_str_eq(rs_pkt_err_name(999), "unknown");
}

Test(rs_pkt, filter_match)
{
	struct rs_pkt_udp u = {.src_ip = 1, .dst_ip = 2, .src_port = 3, .dst_port = 4};
	struct rs_pkt_filter any = {0};
	cr_expect(rs_pkt_match(&any, &u));
	struct rs_pkt_filter f = {.dst_ip = 2, .dst_port = 4};
	cr_expect(rs_pkt_match(&f, &u));
	f.src_ip = 1;
	cr_expect(rs_pkt_match(&f, &u));
	f.src_ip = 9;
	cr_expect_not(rs_pkt_match(&f, &u));
	f.src_ip = 0;
	f.dst_ip = 3;
	cr_expect_not(rs_pkt_match(&f, &u));
	f.dst_ip = 2;
	f.dst_port = 5;
	cr_expect_not(rs_pkt_match(&f, &u));
}
