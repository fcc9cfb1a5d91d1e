/*
 * bench_rx.c - receive rate per feed driver through a veth pair.
 *
 * A sender thread in a private netns (pinned to CPU 1) sends MoldUDP64
 * packets of 8 ITCH add-order messages (324-byte payload) to a multicast
 * group with sendmmsg, as fast as it can, for a fixed time; the driver
 * under test receives on the other end of the veth on CPU 0 and counts
 * packets and ITCH messages (the MoldUDP64 message count). Loss = sent -
 * received. Drivers: a plain recvmmsg socket (reference), io_uring, AF_XDP
 * (skb mode, copy), DPDK net_af_packet; plus the pcap file driver reading
 * a generated capture at full speed (no network).
 *
 * Usage: bench-rx [--raw] [seconds-per-driver (default 3)] [driver ...]
 *   --raw: the sender writes crafted frames to an AF_PACKET socket with
 *          PACKET_QDISC_BYPASS (cheaper than the UDP/IP output path).
 * Needs root (netns, XDP, DPDK). Numbers are indicative: on a 2-core VM the
 * kernel's veth/softirq work runs on the SENDER's core, so for the kernel
 * paths the sender, not the receiver, is usually the bound.
 */
#include "rs_bench.h"

#include <pthread.h>
#include <stdatomic.h>

#include "drivers/rs_drv.h"
#include "tests/drivers/rs_drv_testnet.h"

#include <pcap/pcap.h>

#define GROUP 0xEFC20201u /* 239.194.2.1 */
#define PORT 26400
#define MSGS_PER_PKT 8
#define PLEN (20 + MSGS_PER_PKT * 38)
#define BATCH 32

static struct rs_dt_net net;
static double secs = 3.0;
static int raw_sender; /* --raw: AF_PACKET + PACKET_QDISC_BYPASS instead of a UDP socket */

struct sender {
	pthread_t th;
	atomic_int stop;
	uint64_t sent;
	int err;
};

static void mold_packet(uint8_t *p, uint64_t seq)
{
	memcpy(p, "BENCH00001", 10);
	for (int i = 0; i < 8; i++)
		p[10 + i] = (uint8_t)(seq >> (56 - 8 * i));
	p[18] = 0;
	p[19] = MSGS_PER_PKT;
	uint8_t *m = p + 20;
	for (int k = 0; k < MSGS_PER_PKT; k++, m += 38) {
		m[0] = 0;
		m[1] = 36; /* ITCH 'A' add order: 36 bytes */
		memset(m + 2, 0, 36);
		m[2] = 'A';
	}
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	rs_bench_pin(1);
	char path[128];
	snprintf(path, sizeof(path), "/var/run/netns/%s", net.ns);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) { /* this thread only */
		s->err = errno;
		return NULL;
	}
	close(nsfd);
	if (raw_sender) {
		/* crafted Ethernet/IPv4/UDP frames: no IP output path on the sender */
		int pfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		int one = 1;
		setsockopt(pfd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
		struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = 6,
					  .sll_ifindex = (int)if_nametoindex(net.veth_n)};
		static uint8_t fr[BATCH][PLEN + 64];
		static size_t flen;
		struct mmsghdr mm[BATCH];
		struct iovec iov[BATCH];
		uint8_t pl[PLEN];
		mold_packet(pl, 1);
		for (int i = 0; i < BATCH; i++)
			flen = rs_dt_frame(fr[i], net.mac_h, net.mac_n, 0, net.ip_n, GROUP, 40000, PORT, pl,
					   PLEN, 0);
		memcpy(sll.sll_addr, fr[0], 6);
		uint64_t seq = 1;
		while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
			for (int i = 0; i < BATCH; i++) {
				uint64_t q = seq + (uint64_t)i * MSGS_PER_PKT;
				for (int b = 0; b < 8; b++) /* MoldUDP64 sequence at payload offset 10 */
					fr[i][42 + 10 + b] = (uint8_t)(q >> (56 - 8 * b));
				iov[i] = (struct iovec){fr[i], flen};
				mm[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &sll, .msg_namelen = sizeof(sll),
								     .msg_iov = &iov[i], .msg_iovlen = 1}};
			}
			int r = sendmmsg(pfd, mm, BATCH, 0);
			if (r > 0) {
				s->sent += (uint64_t)r;
				seq += (uint64_t)r * MSGS_PER_PKT;
			} else if (errno != ENOBUFS && errno != EAGAIN) {
				s->err = errno;
				break;
			}
		}
		close(pfd);
		return NULL;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ip_mreqn mr = {.imr_ifindex = (int)if_nametoindex(net.veth_n)};
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
	int sndbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(PORT),
				  .sin_addr.s_addr = htonl(GROUP)};
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		s->err = errno;
		close(fd);
		return NULL;
	}
	static uint8_t bufs[BATCH][PLEN];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t seq = 1;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		for (int i = 0; i < BATCH; i++) {
			mold_packet(bufs[i], seq + (uint64_t)i * MSGS_PER_PKT);
			iov[i] = (struct iovec){bufs[i], PLEN};
			mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		int r = sendmmsg(fd, mm, BATCH, 0);
		if (r > 0) {
			s->sent += (uint64_t)r;
			seq += (uint64_t)r * MSGS_PER_PKT;
		} else if (errno != ENOBUFS && errno != EAGAIN) {
			s->err = errno;
			break;
		}
	}
	close(fd);
	return NULL;
}

struct result {
	const char *name;
	uint64_t sent, rcvd, msgs;
	double secs;
	struct rs_drv_counters ctr;
	int ok;
	char why[160];
};

static struct result results[8];
static int nres;

/* Run the sender for `secs` while `poll` receives; drain 200 ms after. */
typedef unsigned poll_fn(void *ctx, uint64_t *msgs);

static void run(const char *name, poll_fn *poll, void *ctx, struct rs_drv *d)
{
	struct result *r = &results[nres++];
	r->name = name;
	struct sender s = {0};
	rs_bench_pin(0);
	/* warm: drain anything stale */
	uint64_t dummy = 0;
	for (int i = 0; i < 1000; i++)
		poll(ctx, &dummy);
	pthread_create(&s.th, NULL, sender_main, &s);
	uint64_t t0 = rs_bench_now_ns(), tend = t0 + (uint64_t)(secs * 1e9), last_rx = t0;
	uint64_t rcvd = 0, msgs = 0;
	int stopped = 0;
	for (;;) {
		unsigned k = poll(ctx, &msgs);
		rcvd += k;
		uint64_t now = rs_bench_now_ns();
		if (k)
			last_rx = now;
		if (!stopped && now >= tend) {
			atomic_store(&s.stop, 1);
			pthread_join(s.th, NULL);
			stopped = 1;
		}
		if (stopped && now - last_rx > 200000000ull)
			break;
		if (stopped && now - tend > 2000000000ull)
			break;
	}
	r->sent = s.sent;
	r->rcvd = rcvd;
	r->msgs = msgs;
	r->secs = (double)(last_rx - t0) / 1e9;
	r->ok = s.err == 0;
	if (s.err)
		snprintf(r->why, sizeof(r->why), "sender: %s", strerror(s.err));
	if (d)
		rs_drv_stats(d, &r->ctr);
}

/* ---- plain recvmmsg reference ---------------------------------------- */
struct mm_ctx {
	int fd;
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint8_t buf[BATCH][2048];
};

static unsigned mm_poll(void *p, uint64_t *msgs)
{
	struct mm_ctx *c = p;
	int r = recvmmsg(c->fd, c->mm, BATCH, MSG_DONTWAIT, NULL);
	if (r <= 0)
		return 0;
	for (int i = 0; i < r; i++)
		if (c->mm[i].msg_len >= 20)
			*msgs += (unsigned)c->buf[i][18] << 8 | c->buf[i][19];
	return (unsigned)r;
}

static void bench_recvmmsg(void)
{
	static struct mm_ctx c;
	c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1, rcv = 8 << 20, zero = 0;
	setsockopt(c.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(c.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	setsockopt(c.fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(GROUP)};
	bind(c.fd, (struct sockaddr *)&sa, sizeof(sa));
	struct ip_mreqn mr = {.imr_multiaddr.s_addr = htonl(GROUP),
			      .imr_ifindex = (int)if_nametoindex(net.veth_h)};
	setsockopt(c.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	for (int i = 0; i < BATCH; i++) {
		c.iov[i] = (struct iovec){c.buf[i], sizeof(c.buf[i])};
		c.mm[i].msg_hdr = (struct msghdr){.msg_iov = &c.iov[i], .msg_iovlen = 1};
	}
	run("recvmmsg (reference)", mm_poll, &c, NULL);
	close(c.fd);
}

/* ---- drivers ---------------------------------------------------------- */
static unsigned drv_poll(void *p, uint64_t *msgs)
{
	struct rs_drv *d = p;
	struct rs_drv_pkt pk[BATCH];
	unsigned k = rs_drv_rx_burst(d, pk, BATCH);
	for (unsigned i = 0; i < k; i++)
		if (pk[i].len >= 20)
			*msgs += (unsigned)pk[i].data[18] << 8 | pk[i].data[19];
	rs_drv_release(d, pk, k);
	return k;
}

static void bench_driver(const char *name, struct rs_drv_conf *c)
{
	c->filter = (struct rs_pkt_filter){.dst_ip = GROUP, .dst_port = PORT};
	snprintf(c->ifname, sizeof(c->ifname), "%s", net.veth_h);
	struct rs_drv *d;
	if (rs_drv_create(&d, c) < 0) {
		struct result *r = &results[nres++];
		r->name = name;
		snprintf(r->why, sizeof(r->why), "%s", rs_drv_errmsg());
		return;
	}
	usleep(50000);
	run(name, drv_poll, d, d);
	rs_drv_destroy(d);
}

static void bench_pcap(void)
{
	struct result *r = &results[nres++];
	r->name = "pcap file (full speed, no network)";
	char path[128];
	snprintf(path, sizeof(path), "/tmp/bench_rx_%d.pcap", getpid());
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *dp = pcap_dump_open(pd, path);
	if (!dp) {
		snprintf(r->why, sizeof(r->why), "cannot write %s", path);
		pcap_close(pd);
		return;
	}
	uint8_t pl[PLEN], fr[PLEN + 64];
	const unsigned npk = 100000;
	for (unsigned i = 0; i < npk; i++) {
		mold_packet(pl, 1 + (uint64_t)i * MSGS_PER_PKT);
		size_t len = rs_dt_frame(fr, net.mac_h, net.mac_n, 0, net.ip_n, GROUP, 40000, PORT, pl,
					 PLEN, 0);
		struct pcap_pkthdr h = {.caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};
		h.ts.tv_sec = 1700000000 + i / 1000000;
		h.ts.tv_usec = (suseconds_t)(i % 1000000) * 1000;
		pcap_dump((u_char *)dp, &h, fr);
	}
	pcap_dump_close(dp);
	pcap_close(pd);
	struct rs_drv_conf c;
	rs_drv_conf_init(&c, RS_DRV_PCAP);
	snprintf(c.pcap_path, sizeof(c.pcap_path), "%s", path);
	c.filter = (struct rs_pkt_filter){.dst_ip = GROUP, .dst_port = PORT};
	struct rs_drv *d;
	if (rs_drv_create(&d, &c) < 0) {
		snprintf(r->why, sizeof(r->why), "%s", rs_drv_errmsg());
		unlink(path);
		return;
	}
	uint64_t msgs = 0, n = 0, t0 = rs_bench_now_ns();
	while (!rs_drv_eof(d))
		n += drv_poll(d, &msgs);
	r->secs = (double)(rs_bench_now_ns() - t0) / 1e9;
	r->sent = npk;
	r->rcvd = n;
	r->msgs = msgs;
	r->ok = 1;
	rs_drv_stats(d, &r->ctr);
	rs_drv_destroy(d);
	unlink(path);
}

static int want(int argc, char **argv, const char *name)
{
	if (argc <= 2)
		return 1;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static void cleanup(void)
{
	rs_dt_net_down(&net);
	rmdir("/var/run/dpdk/rte"); /* left (empty) by the EAL; fails harmlessly if in use */
	rmdir("/var/run/dpdk");
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--raw") == 0) {
		raw_sender = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc > 1 && atof(argv[1]) > 0)
		secs = atof(argv[1]);
	if (secs > 10)
		secs = 10; /* bounded */
	if (geteuid() != 0) {
		fprintf(stderr, "bench-rx needs root (netns, veth, XDP, DPDK)\n");
		return 77;
	}
	if (rs_dt_net_up(&net) < 0) {
		rs_dt_net_down(&net);
		return 69;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("rx benchmark: veth %s <- netns %s, MoldUDP64 %d-byte payloads of %d ITCH messages, "
	       "%.1f s per driver, receiver CPU 0, sender CPU 1 (%s)\n",
	       net.veth_h, net.ns, PLEN, MSGS_PER_PKT, secs,
	       raw_sender ? "AF_PACKET sendmmsg, qdisc bypass" : "UDP sendmmsg");

	if (want(argc, argv, "recvmmsg"))
		bench_recvmmsg();
	if (want(argc, argv, "uring")) {
		struct rs_drv_conf c;
		rs_drv_conf_init(&c, RS_DRV_URING);
		bench_driver("io_uring (multishot, buf ring)", &c);
	}
	if (want(argc, argv, "uring_busy")) {
		struct rs_drv_conf c;
		rs_drv_conf_init(&c, RS_DRV_URING);
		c.busy_poll = true;
		bench_driver("io_uring + SO_BUSY_POLL", &c);
	}
	if (want(argc, argv, "xdp") && rs_drv_kind_available(RS_DRV_XDP)) {
		struct rs_drv_conf c;
		rs_drv_conf_init(&c, RS_DRV_XDP);
		c.xdp_mode = RS_DRV_XDP_SKB;
		c.xdp_no_hugepages = true;
		c.ring_size = 4096; /* the XSK ring is the only buffer before the receiver */
		c.buf_count = 8192;
		bench_driver("AF_XDP (skb mode, copy)", &c);
	}
	if (want(argc, argv, "dpdk") && rs_drv_kind_available(RS_DRV_DPDK)) {
		struct rs_drv_conf c;
		rs_drv_conf_init(&c, RS_DRV_DPDK);
		snprintf(c.dpdk_vdev[0], sizeof(c.dpdk_vdev[0]), "net_af_packet0,iface=%s,framecnt=4096",
			 net.veth_h);
		snprintf(c.dpdk_eal, sizeof(c.dpdk_eal), "--no-huge -m 256");
		c.core = 0;
		bench_driver("DPDK net_af_packet", &c);
	}
	if (want(argc, argv, "pcap"))
		bench_pcap();

	printf("\n%-36s %10s %10s %9s %12s %12s %10s %10s\n", "driver", "sent", "received", "loss%",
	       "pkts/s", "ITCH msg/s", "drv drops", "filtered");
	for (int i = 0; i < nres; i++) {
		struct result *r = &results[i];
		if (!r->rcvd && r->why[0]) {
			printf("%-36s skipped: %s\n", r->name, r->why);
			continue;
		}
		double pps = r->secs > 0 ? (double)r->rcvd / r->secs : 0;
		double loss = r->sent ? 100.0 * (double)(r->sent - (r->rcvd < r->sent ? r->rcvd : r->sent)) /
						(double)r->sent : 0;
		printf("%-36s %10lu %10lu %8.2f%% %12.0f %12.0f %10lu %10lu%s%s\n", r->name,
		       (unsigned long)r->sent, (unsigned long)r->rcvd, loss, pps, pps * MSGS_PER_PKT,
		       (unsigned long)r->ctr.drops, (unsigned long)r->ctr.filtered, r->why[0] ? "  " : "",
		       r->why);
		char m[96];
		static char names[8][3][96];
		snprintf(m, sizeof(m), "%s", r->name);
		for (char *p = m; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
				*p = '_';
		snprintf(names[i][0], 96, "%s_pps", m);
		snprintf(names[i][1], 96, "%s_itch_msgs_per_s", m);
		snprintf(names[i][2], 96, "%s_loss_pct", m);
		rs_bench_result(names[i][0], pps, "packets/s");
		rs_bench_result(names[i][1], pps * MSGS_PER_PKT, "msgs/s");
		rs_bench_result(names[i][2], loss, "%");
	}
	printf("\nloss = sent by the sender - received by the driver (veth backlog, socket or ring drops).\n");
	rs_bench_print_json("rx");
	return 0;
}
