/*
 * test_drv_uring.c - io_uring driver: conformance on a veth in a private
 * netns (multicast with source filter, unicast), buffer exhaustion and
 * re-arm, SQPOLL and busy-poll switches.
 */
#include "rs_drv_conformance.h"

#include <pthread.h>
#include <sys/resource.h>

static struct rs_dt_net net;

static void net_setup(void)
{
	cr_assert_eq(rs_dt_net_up(&net), 0, "cannot create netns/veth (need root and iproute2)");
}

static void net_teardown(void)
{
	rs_dt_net_down(&net);
}

TestSuite(drv_uring, .init = net_setup, .fini = net_teardown, .timeout = 60);

Test(drv_uring, multicast_conformance)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_URING);
	rs_dt_run_live(&net, &c, 0, RS_DT_VIEW_SOCKET, 0, "uring mcast");
}

Test(drv_uring, unicast_conformance)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_URING);
	rs_dt_run_live(&net, &c, 1, RS_DT_VIEW_SOCKET, 0, "uring ucast");
}

Test(drv_uring, sqpoll_busy_poll)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_URING);
	c.sqpoll = true;
	c.core = 0;
	c.busy_poll = true;
	c.hw_timestamps = true; /* veth has none: must fall back to software stamps */
	rs_dt_run_live(&net, &c, 0, RS_DT_VIEW_SOCKET, 0, "uring sqpoll+busy_poll");
}

/* Few buffers, a stage that holds them: the multishot ends on ENOBUFS and
 * is re-armed; nothing is lost (datagrams wait in the socket buffer). */
Test(drv_uring, exhaustion_rearm)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_URING);
	c.buf_count = 8;
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	snprintf(c.ifname, sizeof(c.ifname), "%s", net.veth_h);
	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	usleep(50000);
	static struct rs_dt_seq s;
	s.n = 0;
	for (uint32_t i = 0; i < 100; i++) {
		struct rs_dt_frame *f = rs_dt_add(&s, &net, 0, net.ip_n, RS_DT_GROUP, RS_DT_PORT, 64, 0, i + 1);
		f->deliver[0] = 1;
	}
	rs_dt_send_seq(&net, &s);
	usleep(100000); /* everything queued before we start reading */
	struct rs_drv_pkt held[8], p[32];
	unsigned nh = 0;
	uint32_t got[128];
	int ng = 0;
	uint64_t t_end = rs_dt_now_ns() + 5000000000ull;
	while (ng < 100 && rs_dt_now_ns() < t_end) {
		unsigned k = rs_drv_rx_burst(d, p, 32);
		for (unsigned i = 0; i < k; i++) {
			uint32_t seq;
			memcpy(&seq, p[i].data + 4, 4);
			if (ng < 128)
				got[ng++] = seq;
			held[nh++] = p[i];
			if (nh == 8) { /* the stage gives buffers back only when it holds all of them */
				rs_drv_release(d, held, nh);
				nh = 0;
			}
		}
		if (!k) {
			rs_drv_release(d, held, nh);
			nh = 0;
			usleep(100);
		}
	}
	rs_drv_release(d, held, nh);
	struct rs_drv_counters ctr;
	rs_drv_stats(d, &ctr);
	fprintf(stderr, "exhaustion: got %d, buf_exhausted=%lu rearms=%lu drops=%lu\n", ng,
		(unsigned long)ctr.buf_exhausted, (unsigned long)ctr.rearms, (unsigned long)ctr.drops);
	cr_expect_eq(ng, 100);
	for (int i = 0; i < ng; i++)
		cr_expect_eq(got[i], (uint32_t)(i + 1), "order at %d", i);
	cr_expect_gt(ctr.buf_exhausted, 0);
	cr_expect_gt(ctr.rearms, 0);
	cr_expect_eq(ctr.drops, 0);
	rs_drv_destroy(d);
}

/*
 * The kernel turns each datagram into a completion in task work of the task
 * that armed the multishot request. The driver is created on one thread
 * (the daemon's control thread) and polled on another (the dataplane
 * core): arming on the creator made every datagram wake the creator - on
 * the sender's core in the e2e bench - and the completion waited until it
 * ran (rx -> shm p99 0.6 ms at 1 M msg/s). Here the creator blocks in
 * pthread_join while a poller thread receives 200 datagrams sent 300 us
 * apart: the creator must not be woken for them.
 */
struct poll_arg {
	struct rs_drv *d;
	int got;
	struct rs_dt_seq *s;
	const struct rs_dt_net *n;
};

static void *poller_main(void *arg)
{
	struct poll_arg *a = arg;
	struct rs_drv_pkt p[32];
	uint64_t t_end = rs_dt_now_ns() + 10000000000ull;
	while (a->got < a->s->n && rs_dt_now_ns() < t_end) {
		unsigned k = rs_drv_rx_burst(a->d, p, 32);
		a->got += (int)k;
		rs_drv_release(a->d, p, k);
	}
	return NULL;
}

static void *sender_main(void *arg)
{
	struct poll_arg *a = arg;
	int ifindex = 0;
	int fd = rs_dt_sender_open(a->n, &ifindex);
	if (fd < 0)
		return NULL;
	for (int i = 0; i < a->s->n; i++) {
		(void)rs_dt_send(fd, ifindex, a->s->f[i].buf, a->s->f[i].len);
		usleep(300);
	}
	close(fd);
	return NULL;
}

static long thread_switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

Test(drv_uring, completions_on_the_polling_thread)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_URING);
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	snprintf(c.ifname, sizeof(c.ifname), "%s", net.veth_h);
	struct rs_drv *d;
	cr_assert_eq(rs_drv_create(&d, &c), 0, "%s", rs_drv_errmsg());
	static struct rs_dt_seq s;
	s.n = 0;
	for (uint32_t i = 0; i < 200; i++)
		rs_dt_add(&s, &net, 0, net.ip_n, RS_DT_GROUP, RS_DT_PORT, 64, 0, i + 1);
	struct poll_arg a = {.d = d, .s = &s, .n = &net};
	pthread_t tp, ts;
	long before = thread_switches();
	cr_assert_eq(pthread_create(&tp, NULL, poller_main, &a), 0);
	usleep(20000); /* the poller enables and arms the ring first */
	cr_assert_eq(pthread_create(&ts, NULL, sender_main, &a), 0);
	pthread_join(ts, NULL);
	pthread_join(tp, NULL);
	long woken = thread_switches() - before;
	fprintf(stderr, "polling thread: %d datagrams; creating thread switched %ld times\n", a.got,
		woken);
	cr_expect_eq(a.got, 200);
	cr_expect_lt(woken, 40, "the creating thread was woken %ld times for 200 datagrams", woken);
	rs_drv_destroy(d);
}

Test(drv_uring, bad_config)
{
	struct rs_drv_conf c;
	struct rs_drv *d;
	rs_drv_conf_init(&c, RS_DRV_URING);
	c.filter = (struct rs_pkt_filter){.dst_ip = RS_DT_GROUP, .dst_port = RS_DT_PORT};
	snprintf(c.ifname, sizeof(c.ifname), "nosuchif0");
	cr_expect_lt(rs_drv_create(&d, &c), 0);
	cr_expect(strstr(rs_drv_errmsg(), "nosuchif0") != NULL, "message: %s", rs_drv_errmsg());
	c.ifname[0] = 0;
	c.filter.dst_port = 0;
	cr_expect_eq(rs_drv_create(&d, &c), -EINVAL);
	c.filter.dst_port = RS_DT_PORT;
	c.buf_count = 100;
	cr_expect_eq(rs_drv_create(&d, &c), -EINVAL);
}

Test(drv_uring, moldudp64_from_ringside_replay)
{
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_URING);
	rs_dt_run_replay(&net, &c, "uring replay");
}
