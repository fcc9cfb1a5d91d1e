/*
 * test_pcapfile.c - pcap / pcapng reading: the real captures, a hand-built
 * pcapng, DLT_RAW and Linux cooked captures written with libpcap.
 */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/rs_pcapfile.h"
#include "rs_test.h"
#include "shm/rs_err.h"

Test(rs_pcapfile, real_capture_multiple_packets)
{
	RS_TEST_NEED_DATA(path, "itch/omi_nasdaq_itch50_moldudp64_Multiple.Packets.pcap");
	struct rs_pcapfile *f;
	cr_assert_eq(rs_pcapfile_open(&f, path), 0);
	cr_expect_eq(rs_pcapfile_linktype(f), DLT_EN10MB);
	struct rs_pcapfile_udp u;
	cr_assert_eq(rs_pcapfile_next_udp(f, NULL, &u), 1);
	cr_expect_eq(u.frame.index, 0);
	cr_expect_eq(u.frame.ts_ns, 1692711000007661955ull);
	cr_expect_eq(u.udp.dst_port, 26477);
	cr_expect_eq(u.udp.payload_len, 20 + 2 + 19);
	cr_assert_eq(rs_pcapfile_next_udp(f, NULL, &u), 1);
	cr_expect_eq(u.frame.ts_ns, 1692711038952561782ull);
	cr_expect_eq(rs_pcapfile_next_udp(f, NULL, &u), 0);
	const struct rs_pcapfile_stats *st = rs_pcapfile_stats(f);
	cr_expect_eq(st->frames, 2);
	cr_expect_eq(st->udp, 2);
	rs_pcapfile_close(f);

	/* filter on another port: nothing matches */
	cr_assert_eq(rs_pcapfile_open(&f, path), 0);
	struct rs_pkt_filter flt = {.dst_ip = 0xE9360C6Fu, .dst_port = 1};
	cr_expect_eq(rs_pcapfile_next_udp(f, &flt, &u), 0);
	cr_expect_eq(rs_pcapfile_stats(f)->filtered, 2);
	rs_pcapfile_close(f);
}

Test(rs_pcapfile, open_errors)
{
	struct rs_pcapfile *f;
	cr_expect_eq(rs_pcapfile_open(&f, "/nonexistent.pcap"), -ENOENT);
	char tmp[] = "/tmp/rs_pcapfile_XXXXXX";
	int fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not a capture file at all", 25), 25);
	close(fd);
	cr_expect_eq(rs_pcapfile_open(&f, tmp), -EINVAL);
	cr_expect_neq(strlen(rs_err_msg()), 0);
	unlink(tmp);
}

/* IPv4/UDP datagram with payload "HELLO" to 233.54.12.111:26477 */
static size_t ipv4_udp(uint8_t *p)
{
	static const uint8_t pkt[] = {
		0x45, 0, 0, 33, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 0xe9, 0x36, 0x0c, 0x6f,
		0x12, 0x34, 0x67, 0x6d, 0, 13, 0, 0, 'H', 'E', 'L', 'L', 'O',
	};
	memcpy(p, pkt, sizeof(pkt));
	return sizeof(pkt);
}

static void write_dlt(const char *path, int dlt, const uint8_t *hdr, size_t hlen)
{
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
	cr_assert_not_null(pd);
	pcap_dumper_t *dp = pcap_dump_open(pd, path);
	cr_assert_not_null(dp);
	uint8_t buf[128];
	if (hlen)
		memcpy(buf, hdr, hlen);
	size_t n = hlen + ipv4_udp(buf + hlen);
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)n, .len = (bpf_u_int32)n};
	h.ts.tv_sec = 1700000000;
	h.ts.tv_usec = 123456789; /* ns: the dumper was opened with NANO precision */
	pcap_dump((u_char *)dp, &h, buf);
	/* a truncated copy (snaplen) */
	h.caplen = (bpf_u_int32)(n - 3);
	pcap_dump((u_char *)dp, &h, buf);
	pcap_dump_close(dp);
	pcap_close(pd);
}

static void check_one(const char *path, int dlt)
{
	struct rs_pcapfile *f;
	cr_assert_eq(rs_pcapfile_open(&f, path), 0, "%s", rs_err_msg());
	cr_expect_eq(rs_pcapfile_linktype(f), dlt);
	struct rs_pcapfile_udp u;
	cr_assert_eq(rs_pcapfile_next_udp(f, NULL, &u), 1);
	cr_expect_eq(u.frame.ts_ns, 1700000000123456789ull);
	cr_expect_eq(u.udp.dst_ip, 0xE9360C6Fu);
	cr_expect_eq(u.udp.src_port, 0x1234);
	cr_expect_eq(u.udp.payload_len, 5);
	cr_expect_arr_eq(u.udp.payload, "HELLO", 5);
	cr_expect_eq(rs_pcapfile_next_udp(f, NULL, &u), 0);
	cr_expect_eq(rs_pcapfile_stats(f)->truncated, 1);
	rs_pcapfile_close(f);
}

Test(rs_pcapfile, raw_and_cooked_link_types)
{
	char tmp[] = "/tmp/rs_pcapfile_XXXXXX";
	int fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	close(fd);
	write_dlt(tmp, DLT_RAW, NULL, 0);
	check_one(tmp, DLT_RAW);
	uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
	write_dlt(tmp, DLT_LINUX_SLL, sll, sizeof(sll));
	check_one(tmp, DLT_LINUX_SLL);
	uint8_t sll2[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
	write_dlt(tmp, 276 /* DLT_LINUX_SLL2 */, sll2, sizeof(sll2));
	check_one(tmp, 276);
	uint8_t eth[18] = {1, 0, 0x5e, 0x36, 0x0c, 0x6f, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0, 5, 0x08, 0x00};
	write_dlt(tmp, DLT_EN10MB, eth, sizeof(eth));
	check_one(tmp, DLT_EN10MB);
	unlink(tmp);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); } /* little-endian host */
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

Test(rs_pcapfile, pcapng_nanosecond)
{
	/* SHB + IDB (if_tsresol = 9) + one EPB carrying a raw IPv4 packet */
	uint8_t b[256];
	size_t o = 0;
	/* SHB: type, len 28, BOM, v1.0, section len -1, len */
	put32(b + o, 0x0A0D0D0A); put32(b + o + 4, 28); put32(b + o + 8, 0x1A2B3C4D);
	put16(b + o + 12, 1); put16(b + o + 14, 0);
	memset(b + o + 16, 0xff, 8); put32(b + o + 24, 28);
	o += 28;
	/* IDB: type 1, len 32, linktype RAW (101), snaplen, option tsresol=9, end */
	put32(b + o, 1); put32(b + o + 4, 32); put16(b + o + 8, 101); put16(b + o + 10, 0);
	put32(b + o + 12, 65535);
	put16(b + o + 16, 9); put16(b + o + 18, 1); b[o + 20] = 9; b[o + 21] = b[o + 22] = b[o + 23] = 0;
	put32(b + o + 24, 0); /* opt_endofopt */
	put32(b + o + 28, 32);
	o += 32;
	/* EPB: type 6, iface 0, ts hi/lo (ns), caplen, len, data (33 -> pad 36) */
	uint64_t ts = 1700000000123456789ull;
	uint8_t pkt[64];
	size_t n = ipv4_udp(pkt);
	uint32_t blen = (uint32_t)(28 + 36 + 4);
	put32(b + o, 6); put32(b + o + 4, blen); put32(b + o + 8, 0);
	put32(b + o + 12, (uint32_t)(ts >> 32)); put32(b + o + 16, (uint32_t)ts);
	put32(b + o + 20, (uint32_t)n); put32(b + o + 24, (uint32_t)n);
	memset(b + o + 28, 0, 36);
	memcpy(b + o + 28, pkt, n);
	put32(b + o + 28 + 36, blen);
	o += blen;
	char tmp[] = "/tmp/rs_pcapng_XXXXXX";
	int fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b, o), (ssize_t)o);
	close(fd);
	struct rs_pcapfile *f;
	cr_assert_eq(rs_pcapfile_open(&f, tmp), 0, "%s", rs_err_msg());
	struct rs_pcapfile_udp u;
	cr_assert_eq(rs_pcapfile_next_udp(f, NULL, &u), 1);
	cr_expect_eq(u.frame.ts_ns, ts);
	cr_expect_arr_eq(u.udp.payload, "HELLO", 5);
	cr_expect_eq(rs_pcapfile_next_udp(f, NULL, &u), 0);
	rs_pcapfile_close(f);
	unlink(tmp);
}
