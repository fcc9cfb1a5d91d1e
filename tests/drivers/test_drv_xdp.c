/*
 * test_drv_xdp.c - AF_XDP driver on a veth (SKB attach + copy mode):
 * conformance, UMEM in huge pages, program removed on exit, stale program
 * of a killed process detached at the next start.
 */
#include "rs_drv_conformance.h"

#include <sys/wait.h>

static struct rs_dt_net net;
static long huge_added;

static void net_setup(void)
{
	cr_assert_eq(rs_dt_net_up(&net), 0, "cannot create netns/veth (need root and iproute2)");
	huge_added = rs_dt_huge_reserve(16); /* 4096 frames x 4 KiB = 8 pages, with slack */
}

static void net_teardown(void)
{
	rs_dt_net_down(&net);
	rs_dt_huge_unreserve(huge_added);
}

TestSuite(drv_xdp, .init = net_setup, .fini = net_teardown, .timeout = 90);

static void xdp_conf(struct rs_drv_conf *c)
{
	rs_drv_conf_init(c, RS_DRV_XDP);
	c->xdp_mode = RS_DRV_XDP_SKB;
}

Test(drv_xdp, multicast_conformance)
{
	struct rs_drv_conf c;
	xdp_conf(&c);
	rs_dt_run_live(&net, &c, 0, RS_DT_VIEW_ETH, 0, "xdp mcast");
	cr_expect(!rs_dt_has_xdp(net.veth_h), "XDP program removed on destroy");
}

Test(drv_xdp, unicast_conformance)
{
	struct rs_drv_conf c;
	xdp_conf(&c);
	rs_dt_run_live(&net, &c, 1, RS_DT_VIEW_ETH, 0, "xdp ucast");
}

Test(drv_xdp, auto_mode_falls_back_to_copy)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_XDP);
	c.xdp_mode = RS_DRV_XDP_AUTO; /* native attach on veth, zero copy refused -> copy */
	c.xdp_no_hugepages = true;
	rs_dt_run_live(&net, &c, 0, RS_DT_VIEW_ETH, 0, "xdp auto");
}

Test(drv_xdp, umem_in_huge_pages)
{
	long before = rs_dt_huge_free();
	if (before < 8)
		cr_skip_test("no free huge pages (HugePages_Free=%ld) even after reserving", before);
	struct rs_drv_conf c;
	xdp_conf(&c);
	snprintf(c.ifname, sizeof(c.ifname), "%s", net.veth_h);
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	long during = rs_dt_huge_free();
	rs_drv_destroy(d);
	cr_expect_eq(before - during, 8, "UMEM of 4096 x 4 KiB frames = 8 huge pages (free %ld -> %ld)",
		     before, during);
	/* the kernel unpins UMEM pages in deferred work */
	for (int i = 0; i < 200 && rs_dt_huge_free() != before; i++)
		usleep(10000);
	cr_expect_eq(rs_dt_huge_free(), before, "huge pages given back");
}

/* A process that dies without cleaning up leaves the program attached; the
 * next start detaches it (owner pid gone) and works. */
Test(drv_xdp, stale_program_recovered)
{
	struct rs_drv_conf c;
	xdp_conf(&c);
	snprintf(c.ifname, sizeof(c.ifname), "%s", net.veth_h);
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	c.xdp_no_hugepages = true;
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct rs_drv *d;
		if (rs_drv_create(&d, &c) < 0)
			_exit(1);
		raise(SIGKILL); /* crash: no destroy */
		_exit(2);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFSIGNALED(st), "child did not crash as planned (status %d)", st);
	cr_assert(rs_dt_has_xdp(net.veth_h), "the crashed process left its program attached");

	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "recovery: %s", rs_drv_errmsg());
	/* a second line on the same interface in this (live) process is refused */
	struct rs_drv *d2;
	cr_expect_eq(rs_drv_create(&d2, &c), -EBUSY, "%s", rs_drv_errmsg());
	rs_drv_destroy(d);
	cr_expect(!rs_dt_has_xdp(net.veth_h), "program removed on destroy");
}

Test(drv_xdp, bad_config)
{
	struct rs_drv_conf c;
	struct rs_drv *d;
	xdp_conf(&c);
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	cr_expect_eq(rs_drv_create(&d, &c), -EINVAL, "no interface");
	snprintf(c.ifname, sizeof(c.ifname), "nosuchif0");
	cr_expect_lt(rs_drv_create(&d, &c), 0);
	cr_expect(strstr(rs_drv_errmsg(), "nosuchif0") != NULL, "%s", rs_drv_errmsg());
}

Test(drv_xdp, moldudp64_from_ringside_replay)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_XDP);
	c.xdp_mode = RS_DRV_XDP_SKB;
	c.xdp_no_hugepages = true;
	rs_dt_run_replay(&net, &c, "xdp replay");
}

/* Native (driver) mode on veth needs a peer MTU that fits a page; copy
 * mode works, zero copy is refused by veth with a clear error. */
Test(drv_xdp, native_mode_on_veth)
{
	cr_assert_eq(rs_dt_sh("ip link set dev %s mtu 1500 && ip -n %s link set dev %s mtu 1500",
			      net.veth_h, net.ns, net.veth_n), 0);
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_XDP);
	c.xdp_mode = RS_DRV_XDP_NATIVE_COPY;
	c.xdp_no_hugepages = true;
	rs_dt_run_live(&net, &c, 1, RS_DT_VIEW_ETH, 0, "xdp native copy");
	cr_expect(!rs_dt_has_xdp(net.veth_h), "program removed");

	c.xdp_mode = RS_DRV_XDP_NATIVE_ZC;
	snprintf(c.ifname, sizeof(c.ifname), "%s", net.veth_h);
	struct rs_drv *d;
	int rc = rs_drv_create(&d, &c);
	if (rc == 0) {
		rs_drv_destroy(d); /* a kernel whose veth gained zero copy: fine */
	} else {
		fprintf(stderr, "zero copy on veth: %s\n", rs_drv_errmsg());
		cr_expect(strstr(rs_drv_errmsg(), "xsk_socket__create") != NULL, "%s", rs_drv_errmsg());
	}
	cr_expect(!rs_dt_has_xdp(net.veth_h), "program removed after the failed create");
}
