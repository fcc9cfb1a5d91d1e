/*
 * test_drv_dpdk.c - DPDK driver: the conformance test through net_af_packet
 * on the veth, the same sequence through net_pcap, and the real MoldUDP64
 * captures in $RINGSIDE_TESTDATA/itch through net_pcap (packet, payload
 * byte and message counts are literal, from the captures' MANIFEST and an
 * independent count). EAL runs with --no-pci --no-huge --in-memory; each
 * Criterion test is its own process, so each initialises the EAL once.
 */
#include "rs_drv_conformance.h"
#include "rs_test.h"

static struct rs_dt_net net;

static void net_setup(void)
{
	cr_assert_eq(rs_dt_net_up(&net), 0, "cannot create netns/veth (need root and iproute2)");
}

/* The EAL creates /var/run/dpdk/rte even with --in-memory/--no-shconf
 * (empty): remove it when empty (rmdir fails harmlessly otherwise). */
static void dpdk_rundir_cleanup(void)
{
	rmdir("/var/run/dpdk/rte");
	rmdir("/var/run/dpdk");
}

static void net_teardown(void)
{
	rs_dt_net_down(&net);
	dpdk_rundir_cleanup();
}

TestSuite(drv_dpdk, .fini = dpdk_rundir_cleanup, .timeout = 120);

static void dpdk_conf(struct rs_drv_conf *c, const char *vdev)
{
	rs_drv_conf_init(c, RS_DRV_DPDK);
	snprintf(c->dpdk_vdev[0], sizeof(c->dpdk_vdev[0]), "%s", vdev);
	snprintf(c->dpdk_eal, sizeof(c->dpdk_eal), "--no-huge -m 128");
}

Test(drv_dpdk, af_packet_multicast_conformance, .init = net_setup, .fini = net_teardown)
{
	struct rs_drv_conf c;
	char vdev[128];
	snprintf(vdev, sizeof(vdev), "net_af_packet0,iface=%s,framesz=2048,framecnt=1024", net.veth_h);
	dpdk_conf(&c, vdev);
	/* TSC-derived timestamps: allow 20 ms of calibration slack */
	rs_dt_run_live(&net, &c, 0, RS_DT_VIEW_ETH, 20, "dpdk af_packet mcast");
}

Test(drv_dpdk, af_packet_unicast_conformance, .init = net_setup, .fini = net_teardown)
{
	struct rs_drv_conf c;
	char vdev[128];
	snprintf(vdev, sizeof(vdev), "net_af_packet0,iface=%s", net.veth_h);
	dpdk_conf(&c, vdev);
	rs_dt_run_live(&net, &c, 1, RS_DT_VIEW_ETH, 20, "dpdk af_packet ucast");
}

Test(drv_dpdk, pcap_vdev_conformance)
{
	static struct rs_dt_seq s;
	static struct rs_dt_net fake;
	fake.ip_h = 0x0AD50001;
	fake.ip_n = 0x0AD50002;
	memcpy(fake.mac_h, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(fake.mac_n, "\x02\x00\x00\x00\x00\x02", 6);
	char path[128];
	snprintf(path, sizeof(path), "/tmp/rs_drv_dpdk_%d.pcap", getpid());
	rs_dt_build_mcast(&s, &fake);
	uint64_t t0 = rs_dt_now_ns();
	rs_dt_write_pcap(path, &s, t0);
	struct rs_drv_conf c;
	char vdev[192];
	snprintf(vdev, sizeof(vdev), "net_pcap0,rx_pcap=%s", path);
	dpdk_conf(&c, vdev);
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT,
					  .src_ip = fake.ip_n};
	struct rs_drv *d;
	int rc = rs_drv_create(&d, &c);
	unlink(path); /* net_pcap opened it */
	cr_assert_eq(rc, 0, "%s", rs_drv_errmsg());
	struct rs_dt_result *r = malloc(sizeof(*r));
	/* net_pcap gives microseconds: the window starts at t0 rounded down */
	rs_dt_collect(d, r, rs_dt_expected(&s, RS_DT_VIEW_ETH), 5000, 50, t0 - t0 % 1000, 20);
	cr_expect_eq(r->first_ts, t0 - t0 % 1000, "capture time of the first frame");
	rs_dt_check(&s, r, RS_DT_VIEW_ETH, d, "dpdk pcap");
	free(r);
	rs_drv_destroy(d);
}

struct real_cap {
	const char *rel;
	uint32_t group;
	uint16_t port;
	unsigned packets, bytes, msgs;
};

/* Literal counts (MANIFEST.txt + an independent count of the captures). */
static const struct real_cap real_caps[] = {
	{"itch/omi_nasdaq_itch50_moldudp64_Multiple.Packets.pcap", 0xE9360C6F, 26477, 2, 1513, 39},
	{"itch/omi_single_packets/nasdaq_AddOrderNoMpidAttributionMessage.pcap", 0xE9360C6F, 26477, 1, 58, 1},
	{"itch/omi_single_packets/nasdaq_MarketParticipantPositionMessage.pcap", 0xE9360C6F, 26477, 1, 48, 1},
	{"itch/omi_single_packets/nasdaq_NetOrderImbalanceIndicatorMessage.pcap", 0xE9360C6F, 26477, 1, 72, 1},
	{"itch/omi_single_packets/nasdaq_OrderDeleteMessage.pcap", 0xE9360C6F, 26477, 1, 41, 1},
	{"itch/omi_single_packets/nasdaq_OrderExecutedMessage.pcap", 0xE9360C6F, 26477, 1, 53, 1},
	{"itch/omi_single_packets/nasdaq_OrderReplaceMessage.pcap", 0xE9360C6F, 26477, 1, 57, 1},
	{"itch/omi_single_packets/nasdaq_StockTradingActionMessage.pcap", 0xE9360C6F, 26477, 1, 47, 1},
	{"itch/omi_single_packets/bx_AddOrderNoMpidAttributionMessage.pcap", 0xE931C428, 25475, 1, 58, 1},
	{"itch/omi_single_packets/bx_OrderDeleteMessage.pcap", 0xE931C428, 25475, 1, 41, 1},
	{"itch/omi_single_packets/bx_OrderReplaceMessage.pcap", 0xE931C428, 25475, 1, 57, 1},
	/* anonymized: addresses and ports zeroed, so the filter is "any" */
	{"itch/omi_2023_anonymized/nasdaq_20230822_AddOrderNoMPID.pcap", 0, 0, 5, 290, 5},
	{"itch/omi_2023_anonymized/nasdaq_20230822_OrderExecutedWithPrice.pcap", 0, 0, 5, 290, 5},
	{"itch/omi_2023_anonymized/nasdaq_20230822_SystemEvent.pcap", 0, 0, 1, 34, 1},
};

/* All captures in one EAL: the first through rte_eal_init's --vdev, the
 * rest hot-plugged with rte_dev_probe. */
Test(drv_dpdk, real_moldudp64_captures)
{
	RS_TEST_NEED_DATA(first, "itch/omi_nasdaq_itch50_moldudp64_Multiple.Packets.pcap");
	(void)first;
	for (size_t i = 0; i < sizeof(real_caps) / sizeof(real_caps[0]); i++) {
		const struct real_cap *rc = &real_caps[i];
		char path[4096];
		cr_assert(rs_test_data(path, sizeof(path), rc->rel), "missing %s", rc->rel);
		struct rs_drv_conf c;
		char vdev[RS_DRV_DPDK_ARGLEN];
		cr_assert_lt((size_t)snprintf(vdev, sizeof(vdev), "net_pcap%zu,rx_pcap=%s", i, path),
			     sizeof(vdev), "data path too long for a vdev argument");
		dpdk_conf(&c, vdev);
		c.filter = (struct rs_pkt_filter){.dst_ip = rc->group, .dst_port = rc->port};
		struct rs_drv *d;
		cr_assert_eq(rs_drv_create(&d, &c), 0, "%s: %s", rc->rel, rs_drv_errmsg());
		struct rs_drv_pkt p[32];
		unsigned n = 0, bytes = 0, msgs = 0;
		uint64_t t_end = rs_dt_now_ns() + 2000000000ull;
		while (rs_dt_now_ns() < t_end && n < rc->packets) {
			unsigned k = rs_drv_rx_burst(d, p, 32);
			for (unsigned j = 0; j < k; j++) {
				bytes += p[j].len;
				if (p[j].len >= 20) /* MoldUDP64: session(10) seq(8) count(2) */
					msgs += (unsigned)p[j].data[18] << 8 | p[j].data[19];
				cr_expect_eq(p[j].flags, RS_DRV_PKTF_TS_FILE, "capture timestamps");
				/* captured in 2010s-2020s: between 2001 and 2100 */
				cr_expect(p[j].ts_ns > 1000000000ull * 1000000000ull &&
					  p[j].ts_ns < 4102444800ull * 1000000000ull, "ts %lu",
					  (unsigned long)p[j].ts_ns);
			}
			n += k;
			rs_drv_release(d, p, k);
		}
		/* and nothing more */
		for (int spin = 0; spin < 1000; spin++) {
			unsigned k = rs_drv_rx_burst(d, p, 32);
			n += k;
			rs_drv_release(d, p, k);
		}
		struct rs_drv_counters ctr;
		rs_drv_stats(d, &ctr);
		cr_expect_eq(n, rc->packets, "%s: packets", rc->rel);
		cr_expect_eq(bytes, rc->bytes, "%s: payload bytes", rc->rel);
		cr_expect_eq(msgs, rc->msgs, "%s: MoldUDP64 messages", rc->rel);
		cr_expect_eq(ctr.errors, 0, "%s: errors", rc->rel);
		rs_drv_destroy(d);
	}
}

Test(drv_dpdk, refuses_device_options_in_extras)
{
	struct rs_drv_conf c;
	struct rs_drv *d;
	dpdk_conf(&c, "net_null0");
	snprintf(c.dpdk_eal, sizeof(c.dpdk_eal), "--no-huge -m 64 -a 0000:00:01.0");
	cr_expect_eq(rs_drv_create(&d, &c), -EINVAL);
	cr_expect(strstr(rs_drv_errmsg(), "not allowed") != NULL, "%s", rs_drv_errmsg());
	/* a line without any device is refused before the EAL starts */
	rs_drv_conf_init(&c, RS_DRV_DPDK);
	snprintf(c.dpdk_eal, sizeof(c.dpdk_eal), "--no-huge -m 64");
	cr_expect_lt(rs_drv_create(&d, &c), 0);
}

/* The production memory path: mbuf pool in huge pages (EAL --in-memory on a
 * private hugetlbfs mount); pages reserved for the test and given back. */
Test(drv_dpdk, huge_page_pool_af_packet, .init = net_setup, .fini = net_teardown)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/rs_drv_huge_%d", getpid());
	long added = rs_dt_huge_reserve(80);
	if (rs_dt_huge_free() < 64) {
		rs_dt_huge_unreserve(added);
		cr_skip_test("cannot reserve 64 huge pages");
	}
	cr_assert_eq(rs_dt_sh("mkdir -p %s && mount -t hugetlbfs -o pagesize=2M nodev %s", dir, dir), 0);
	struct rs_drv_conf c;
	char vdev[128];
	snprintf(vdev, sizeof(vdev), "net_af_packet0,iface=%s", net.veth_h);
	rs_drv_conf_init(&c, RS_DRV_DPDK);
	snprintf(c.dpdk_vdev[0], sizeof(c.dpdk_vdev[0]), "%s", vdev);
	snprintf(c.dpdk_eal, sizeof(c.dpdk_eal), "--huge-dir %s -m 64", dir);
	long before = rs_dt_huge_free();
	rs_dt_run_live(&net, &c, 0, RS_DT_VIEW_ETH, 20, "dpdk af_packet hugepages");
	long during = rs_dt_huge_free();
	fprintf(stderr, "huge pages free: %ld before EAL, %ld after\n", before, during);
	cr_expect_lt(during, before, "the EAL took huge pages");
	rs_dt_sh("umount -l %s; rmdir %s", dir, dir);
	/* the EAL keeps its memory until exit; the pages return when this
	 * test process ends, and nr_hugepages is lowered by what we added
	 * (the kernel shrinks the pool as pages become free) */
	rs_dt_huge_unreserve(added);
}

Test(drv_dpdk, moldudp64_from_ringside_replay, .init = net_setup, .fini = net_teardown)
{
	struct rs_drv_conf c;
	char vdev[128];
	snprintf(vdev, sizeof(vdev), "net_af_packet0,iface=%s,framecnt=2048", net.veth_h);
	dpdk_conf(&c, vdev);
	rs_dt_run_replay(&net, &c, "dpdk replay");
}
