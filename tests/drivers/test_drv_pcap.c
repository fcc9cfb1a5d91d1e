/*
 * test_drv_pcap.c - pcap file driver: the conformance sequence written to
 * a capture and replayed at full speed and at original pacing, looping,
 * bad files; plus the registry/config helpers of rs_drv.c.
 */
#include "rs_drv_conformance.h"
#include "rs_test.h"

#include <sys/stat.h>

static struct rs_dt_net fake; /* only addresses/MACs are used: no netns needed */

static void fake_net(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.ip_h = 0x0AD50001;
	fake.ip_n = 0x0AD50002;
	memcpy(fake.mac_h, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(fake.mac_n, "\x02\x00\x00\x00\x00\x02", 6);
}

TestSuite(drv_pcap, .init = fake_net, .timeout = 60);

static void tmp_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/rs_drv_pcap_%d_%s.pcap", getpid(), tag);
}

static void run_file(int ucast, double speed, const char *what)
{
	static struct rs_dt_seq s;
	char path[128];
	tmp_path(path, sizeof(path), what);
	if (ucast)
		rs_dt_build_ucast(&s, &fake);
	else
		rs_dt_build_mcast(&s, &fake);
	uint64_t t0 = rs_dt_now_ns();
	rs_dt_write_pcap(path, &s, t0);
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_PCAP);
	snprintf(c.pcap_path, sizeof(c.pcap_path), "%s", path);
	c.pcap_speed = speed;
	if (ucast)
		c.filter = (struct rs_pkt_filter){.dst_ip = fake.ip_h, .dst_port = RS_DT_PORT};
	else
		c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT,
						  .src_ip = fake.ip_n};
	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	struct rs_dt_result *r = malloc(sizeof(*r));
	uint64_t start = rs_dt_now_ns();
	rs_dt_collect(d, r, rs_dt_expected(&s, RS_DT_VIEW_ETH), 5000, 20, t0, 0);
	uint64_t took = rs_dt_now_ns() - start;
	cr_expect(rs_drv_eof(d));
	rs_dt_check(&s, r, RS_DT_VIEW_ETH, d, what);
	struct rs_drv_counters ctr;
	rs_drv_stats(d, &ctr);
	int nfilt = 0, nerr = 0;
	for (int i = 0; i < s.n; i++) {
		nfilt += s.f[i].filtered_eth;
		nerr += s.f[i].error[RS_DT_VIEW_ETH];
	}
	/* a file has no noise: the counts are exact */
	cr_expect_eq(ctr.filtered, (uint64_t)nfilt);
	cr_expect_eq(ctr.errors, (uint64_t)nerr);
	/* timestamps are the capture's: first = t0, spaced 1 us */
	cr_expect_eq(r->first_ts, t0);
	if (speed > 0) {
		/* paced: the last frame was due (n-1) us after the first */
		cr_expect_geq(took, (uint64_t)(s.n - 1) * 1000, "paced replay took %lu ns",
			      (unsigned long)took);
	}
	free(r);
	rs_drv_destroy(d);
	unlink(path);
}

Test(drv_pcap, multicast_full_speed) { run_file(0, 0, "pcap_mcast_fast"); }
Test(drv_pcap, multicast_original_pacing) { run_file(0, 1.0, "pcap_mcast_paced"); }
Test(drv_pcap, unicast_full_speed) { run_file(1, 0, "pcap_ucast_fast"); }

Test(drv_pcap, loops_and_slow_pacing)
{
	static struct rs_dt_seq s;
	char path[128];
	tmp_path(path, sizeof(path), "loops");
	s.n = 0;
	for (uint32_t i = 0; i < 10; i++)
		rs_dt_add(&s, &fake, 0, fake.ip_n, RS_DT_GROUP, RS_DT_PORT, 50, 0, i + 1);
	rs_dt_write_pcap(path, &s, 1000000000ull);
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_PCAP);
	snprintf(c.pcap_path, sizeof(c.pcap_path), "%s", path);
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	c.pcap_loops = 2;
	c.pcap_speed = 0.01; /* 9 us of capture -> 0.9 ms per pass */
	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	struct rs_drv_pkt p[4];
	uint64_t prev = 0;
	int n = 0;
	uint64_t start = rs_dt_now_ns();
	while (!rs_drv_eof(d) && rs_dt_now_ns() - start < 5000000000ull) {
		unsigned k = rs_drv_rx_burst(d, p, 4);
		for (unsigned i = 0; i < k; i++, n++) {
			uint32_t seq;
			memcpy(&seq, p[i].data + 4, 4);
			cr_expect_eq(seq, (uint32_t)(n % 10 + 1));
			cr_expect_gt(p[i].ts_ns, prev, "loop timestamps keep increasing");
			prev = p[i].ts_ns;
		}
		rs_drv_release(d, p, k);
	}
	cr_expect_eq(n, 30);
	cr_expect_geq(rs_dt_now_ns() - start, 2 * 900000ull);
	rs_drv_destroy(d);
	unlink(path);
}

Test(drv_pcap, stage_holds_all_buffers)
{
	static struct rs_dt_seq s;
	char path[128];
	tmp_path(path, sizeof(path), "hold");
	s.n = 0;
	for (uint32_t i = 0; i < 40; i++)
		rs_dt_add(&s, &fake, 0, fake.ip_n, RS_DT_GROUP, RS_DT_PORT, 50, 0, i + 1);
	rs_dt_write_pcap(path, &s, 1000000000ull);
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_PCAP);
	snprintf(c.pcap_path, sizeof(c.pcap_path), "%s", path);
	c.buf_count = 16;
	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	struct rs_drv_pkt p[64];
	unsigned k = rs_drv_rx_burst(d, p, 64);
	cr_expect_eq(k, 16, "only as many as there are buffers");
	cr_expect_eq(rs_drv_rx_burst(d, p + 16, 48), 0);
	rs_drv_release(d, p, 16);
	unsigned k2 = rs_drv_rx_burst(d, p, 64);
	cr_expect_eq(k2, 16);
	uint32_t seq;
	memcpy(&seq, p[0].data + 4, 4);
	cr_expect_eq(seq, 17, "nothing skipped while the stage held the buffers");
	struct rs_drv_counters ctr;
	rs_drv_stats(d, &ctr);
	cr_expect_geq(ctr.buf_exhausted, 1);
	rs_drv_destroy(d);
	unlink(path);
}

Test(drv_pcap, bad_files)
{
	struct rs_drv_conf c;
	struct rs_drv *d;
	rs_drv_conf_init(&c, RS_DRV_PCAP);
	snprintf(c.pcap_path, sizeof(c.pcap_path), "/nonexistent/x.pcap");
	cr_expect_lt(rs_drv_create(&d, &c), 0);
	cr_expect(strstr(rs_drv_errmsg(), "/nonexistent/x.pcap") != NULL, "%s", rs_drv_errmsg());

	/* a capture cut in the middle of a record: packets before the cut, then eof */
	static struct rs_dt_seq s;
	char path[128];
	tmp_path(path, sizeof(path), "cut");
	s.n = 0;
	for (uint32_t i = 0; i < 5; i++)
		rs_dt_add(&s, &fake, 0, fake.ip_n, RS_DT_GROUP, RS_DT_PORT, 100, 0, i + 1);
	rs_dt_write_pcap(path, &s, 1000000000ull);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(truncate(path, st.st_size - 50), 0);
	snprintf(c.pcap_path, sizeof(c.pcap_path), "%s", path);
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	struct rs_drv_pkt p[8];
	unsigned n = 0, k;
	for (int i = 0; i < 10 && !rs_drv_eof(d); i++) {
		k = rs_drv_rx_burst(d, p, 8);
		n += k;
		rs_drv_release(d, p, k);
	}
	cr_expect(rs_drv_eof(d));
	cr_expect_eq(n, 4);
	struct rs_drv_counters ctr;
	rs_drv_stats(d, &ctr);
	cr_expect_eq(ctr.errors, 1, "the cut record is an error");
	rs_drv_destroy(d);

	/* not a capture at all */
	FILE *f = fopen(path, "w");
	fputs("this is not a pcap file, just text\n", f);
	fclose(f);
	cr_expect_lt(rs_drv_create(&d, &c), 0);
	unlink(path);
}

/* The real MoldUDP64 capture through the pcap driver: 2 packets, 39 messages. */
Test(drv_pcap, real_moldudp64_capture)
{
	RS_TEST_NEED_DATA(path, "itch/omi_nasdaq_itch50_moldudp64_Multiple.Packets.pcap");
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_PCAP);
	snprintf(c.pcap_path, sizeof(c.pcap_path), "%s", path);
	c.filter = (struct rs_pkt_filter){.dst_ip = 0xE9360C6F, .dst_port = 26477};
	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	struct rs_drv_pkt p[8];
	unsigned n = 0, msgs = 0;
	while (!rs_drv_eof(d)) {
		unsigned k = rs_drv_rx_burst(d, p, 8);
		for (unsigned i = 0; i < k; i++) {
			cr_assert_geq(p[i].len, 20);
			msgs += (unsigned)p[i].data[18] << 8 | p[i].data[19];
			cr_expect_eq(p[i].src_ip, 0xCEC87F8A, "206.200.127.138");
			cr_expect_eq(p[i].flags, RS_DRV_PKTF_TS_FILE);
		}
		n += k;
		rs_drv_release(d, p, k);
	}
	cr_expect_eq(n, 2);
	cr_expect_eq(msgs, 39);
	rs_drv_destroy(d);
}

Test(drv_pcap, registry)
{
	enum rs_drv_kind k;
	cr_expect_eq(rs_drv_kind_parse("io_uring", &k), 0);
	cr_expect_eq(k, RS_DRV_URING);
	cr_expect_eq(rs_drv_kind_parse("AF_XDP", &k), 0);
	cr_expect_eq(k, RS_DRV_XDP);
	cr_expect_eq(rs_drv_kind_parse("nope", &k), -EINVAL);
	cr_expect_str_eq(rs_drv_kind_name(RS_DRV_DPDK), "dpdk");
	cr_expect(rs_drv_kind_available(RS_DRV_URING));
	cr_expect(rs_drv_kind_available(RS_DRV_PCAP));
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, (enum rs_drv_kind)77);
	struct rs_drv *d;
	cr_expect_eq(rs_drv_create(&d, &c), -EINVAL);
}
