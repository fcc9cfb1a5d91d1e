/*
 * rs_drv_uring.c - UDP receive with io_uring multishot recvmsg (the
 * embedded default driver).
 *
 * One UDP socket per line (bound to the group or unicast address and the
 * feed port, IGMP join on the configured interface, source-specific when a
 * source is configured). One multishot IORING_OP_RECVMSG with buffer
 * selection from a registered provided-buffer ring: each datagram lands in
 * one buffer laid out by the kernel as
 *
 *   +-----------------------+----------+-------------+------------------+
 *   | io_uring_recvmsg_out  | name     | control     | payload          |
 *   | (16 B)                | (16 B)   | (RS_CTL B)  | (<= buf_size)    |
 *   +-----------------------+----------+-------------+------------------+
 *
 * The buffer id travels in the packet cookie; rs_drv_release() puts the
 * buffer back on the ring. When the ring runs dry the kernel terminates the
 * multishot request with -ENOBUFS (no IORING_CQE_F_MORE): we count it and
 * re-arm once buffers are free again (datagrams wait in the socket buffer
 * meanwhile; SO_RXQ_OVFL reports what the socket had to drop).
 *
 * Task work: the kernel turns a datagram into a completion in "task work"
 * of the task that submitted the multishot request. That must be the
 * polling thread: had the control thread that created the driver submitted
 * it, every datagram would wake that thread (on another core: the sender's,
 * in the e2e bench) and the completion would wait until it ran - hundreds
 * of microseconds behind a busy core. So the ring is created disabled
 * (IORING_SETUP_R_DISABLED) and the first rx_burst, on the dataplane
 * thread, enables it and arms the request. Flags, first that the kernel
 * takes: SINGLE_ISSUER|DEFER_TASKRUN (6.1+: task work runs only when the
 * poller enters the kernel, no interrupt, no wake-up), COOP_TASKRUN, none;
 * TASKRUN_FLAG with each, so the kernel raises IORING_SQ_TASKRUN when task
 * work is pending and only then (or with an empty CQ and no flag) do we
 * enter the kernel.
 */
#include "drivers/rs_drv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define RS_URING_BGID   7
#define RS_URING_CTL    128 /* control buffer: timestamp(ing) + SO_RXQ_OVFL */
#define RS_URING_HDR    (sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_in) + RS_URING_CTL)

struct rs_drv_uring {
	struct rs_drv base;
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	uint8_t *bufs;
	size_t br_bytes;
	size_t bufs_bytes;
	uint32_t slot;          /* bytes per buffer slot (header + payload) */
	uint32_t nbufs;
	uint32_t mask;
	uint32_t bufs_out;      /* buffers not on the ring (held by the stage) */
	int fd;
	bool ring_ok;
	bool armed;             /* a multishot request is outstanding */
	bool hw_ts;             /* SO_TIMESTAMPING with hardware stamps */
	bool sqpoll;
	bool taskrun_flag;      /* kernel raises IORING_SQ_TASKRUN when task work is pending */
	bool disabled;          /* created with R_DISABLED: the poller enables it */
	struct msghdr msg;      /* template for the multishot request: lengths only */
};

static int rs_drv_uring_arm(struct rs_drv_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_recvmsg_multishot(sqe, u->fd, &u->msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = RS_URING_BGID;
	int rc = io_uring_submit(&u->ring);
	if (rc < 0)
		return rc;
	u->armed = true;
	return 0;
}

static int rs_drv_uring_socket(struct rs_drv_uring *u, const struct rs_drv_conf *c)
{
	const struct rs_pkt_filter *f = &c->filter;
	struct in_addr grp = {htonl(f->dst_ip)};
	char gs[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &grp, gs, sizeof(gs));
	int one = 1, zero = 0;
	unsigned ifindex = 0;

	if (c->ifname[0]) {
		ifindex = if_nametoindex(c->ifname);
		if (!ifindex)
			return RS_DRV_ERR(-errno, "interface %s: %s", c->ifname, strerror(errno));
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return RS_DRV_ERR(-errno, "socket: %s", strerror(errno));
	u->fd = fd;
	/* A and B lines, or two processes, may bind the same group/port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return RS_DRV_ERR(-errno, "SO_REUSEADDR: %s", strerror(errno));
	int rcvbuf = c->rcvbuf ? (int)c->rcvbuf : 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));

	bool mcast = IN_MULTICAST(f->dst_ip);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(f->dst_port),
				 .sin_addr.s_addr = htonl(f->dst_ip)};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return RS_DRV_ERR(-errno, "bind %s:%u: %s", gs, f->dst_port, strerror(errno));
	if (mcast) {
		/* Only the groups this socket joined, not every group of the host. */
		(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
		if (f->src_ip) {
			/* IP_ADD_SOURCE_MEMBERSHIP by interface index */
			struct group_source_req gsr = {.gsr_interface = ifindex};
			struct sockaddr_in *g = (struct sockaddr_in *)&gsr.gsr_group;
			struct sockaddr_in *s = (struct sockaddr_in *)&gsr.gsr_source;
			g->sin_family = AF_INET;
			g->sin_addr.s_addr = htonl(f->dst_ip);
			s->sin_family = AF_INET;
			s->sin_addr.s_addr = htonl(f->src_ip);
			if (setsockopt(fd, IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, &gsr, sizeof(gsr)) < 0)
				return RS_DRV_ERR(-errno, "join %s source %s on %s: %s", gs,
						  inet_ntoa(s->sin_addr), c->ifname[0] ? c->ifname : "(default)",
						  strerror(errno));
		} else {
			struct ip_mreqn mr = {.imr_multiaddr = grp, .imr_ifindex = (int)ifindex};
			if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
				return RS_DRV_ERR(-errno, "join %s on %s: %s", gs,
						  c->ifname[0] ? c->ifname : "(default)", strerror(errno));
		}
	} else if (ifindex) {
		/* unicast feed: only from the named interface */
		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->ifname, (socklen_t)strlen(c->ifname)) < 0)
			return RS_DRV_ERR(-errno, "SO_BINDTODEVICE %s: %s", c->ifname, strerror(errno));
	}

	/* Timestamps: hardware if asked for and the NIC accepts it, else kernel software. */
	if (c->hw_timestamps && c->ifname[0]) {
		struct hwtstamp_config hc = {.tx_type = HWTSTAMP_TX_OFF, .rx_filter = HWTSTAMP_FILTER_ALL};
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
		ifr.ifr_data = (char *)&hc;
		int tsflags = SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE |
			      SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
		if (ioctl(fd, SIOCSHWTSTAMP, &ifr) == 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &tsflags, sizeof(tsflags)) == 0)
			u->hw_ts = true;
	}
	if (!u->hw_ts && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		return RS_DRV_ERR(-errno, "SO_TIMESTAMPNS: %s", strerror(errno));

	if (c->busy_poll) {
		int us = (int)c->busy_poll_us, budget = 64;
		if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) < 0)
			return RS_DRV_ERR(-errno, "SO_BUSY_POLL: %s", strerror(errno));
		(void)setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one));
		(void)setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget));
	}
	return 0;
}

static int rs_drv_uring_ring(struct rs_drv_uring *u, const struct rs_drv_conf *c)
{
	struct io_uring_params p;
	unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
	static const unsigned extra[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	int rc = -EINVAL;

	if (c->sqpoll)
		base |= IORING_SETUP_SQPOLL | (c->core >= 0 ? IORING_SETUP_SQ_AFF : 0);
	for (unsigned attempt = c->sqpoll ? 2 : 0; attempt < 3; attempt++) {
		memset(&p, 0, sizeof(p));
		p.flags = base | extra[attempt];
		p.cq_entries = c->ring_size * 4; /* one multishot SQE, many CQEs */
		if (c->sqpoll) {
			p.sq_thread_idle = 1000;
			p.sq_thread_cpu = c->core >= 0 ? (unsigned)c->core : 0;
		}
		rc = io_uring_queue_init_params(8, &u->ring, &p);
		if (rc != -EINVAL)
			break;
	}
	if (rc < 0)
		return RS_DRV_ERR(rc, "io_uring_queue_init%s: %s", c->sqpoll ? " (SQPOLL)" : "",
				  strerror(-rc));
	u->ring_ok = true;
	u->sqpoll = c->sqpoll;
	u->taskrun_flag = (p.flags & IORING_SETUP_TASKRUN_FLAG) != 0;
	u->disabled = true;

	u->nbufs = c->buf_count;
	u->mask = (uint32_t)io_uring_buf_ring_mask(u->nbufs);
	u->slot = (uint32_t)((RS_URING_HDR + c->buf_size + 63) & ~(size_t)63);
	u->br_bytes = sizeof(struct io_uring_buf) * u->nbufs;
	u->bufs_bytes = (size_t)u->slot * u->nbufs;
	void *br = mmap(NULL, u->br_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED)
		return RS_DRV_ERR(-errno, "mmap buffer ring: %s", strerror(errno));
	u->br = br;
	void *bufs = mmap(NULL, u->bufs_bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (bufs == MAP_FAILED)
		return RS_DRV_ERR(-errno, "mmap %zu bytes of buffers: %s", u->bufs_bytes, strerror(errno));
	u->bufs = bufs;

	struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)(uintptr_t)br,
				       .ring_entries = u->nbufs, .bgid = RS_URING_BGID};
	io_uring_buf_ring_init(u->br);
	rc = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (rc < 0)
		return RS_DRV_ERR(rc, "io_uring_register_buf_ring: %s", strerror(-rc));
	for (uint32_t i = 0; i < u->nbufs; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * u->slot, u->slot, (unsigned short)i,
				      (int)u->mask, (int)i);
	io_uring_buf_ring_advance(u->br, (int)u->nbufs);

	memset(&u->msg, 0, sizeof(u->msg));
	u->msg.msg_namelen = sizeof(struct sockaddr_in);
	u->msg.msg_controllen = RS_URING_CTL;
	/* armed by the first rx_burst, on the polling thread (see the top) */
	return 0;
}

/* On the polling thread: enable the ring (this thread becomes its single
 * issuer) and arm the multishot request. Datagrams that arrived before
 * wait in the socket buffer. */
static int rs_drv_uring_start(struct rs_drv_uring *u)
{
	/* liburing 2.3 declares io_uring_enable_rings() but does not export it */
	if (syscall(__NR_io_uring_register, u->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
		return -errno;
	u->disabled = false;
	return rs_drv_uring_arm(u);
}

static void rs_drv_uring_destroy(struct rs_drv *drv)
{
	struct rs_drv_uring *u = (struct rs_drv_uring *)drv;
	if (u->ring_ok)
		io_uring_queue_exit(&u->ring); /* cancels the multishot request */
	if (u->fd >= 0)
		close(u->fd);
	if (u->bufs)
		munmap(u->bufs, u->bufs_bytes);
	if (u->br)
		munmap(u->br, u->br_bytes);
	free(u);
}

static int rs_drv_uring_create(struct rs_drv **out, const struct rs_drv_conf *c)
{
	if (c->filter.dst_port == 0)
		return RS_DRV_ERR(-EINVAL, "io_uring driver needs a UDP port");
	struct rs_drv_uring *u = aligned_alloc(64, (sizeof(*u) + 63) & ~(size_t)63);
	if (!u)
		return RS_DRV_ERR(-ENOMEM, "out of memory");
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->base.conf = *c;
	int rc = rs_drv_uring_socket(u, c);
	if (rc == 0)
		rc = rs_drv_uring_ring(u, c);
	if (rc < 0) {
		rs_drv_uring_destroy(&u->base);
		return rc;
	}
	*out = &u->base;
	return 0;
}

static inline void rs_drv_uring_recycle(struct rs_drv_uring *u, unsigned bid, int *nadd)
{
	io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * u->slot, u->slot, (unsigned short)bid,
			      (int)u->mask, *nadd);
	(*nadd)++;
}

static unsigned rs_drv_uring_rx_burst(struct rs_drv *drv, struct rs_drv_pkt *pkts, unsigned max)
{
	struct rs_drv_uring *u = (struct rs_drv_uring *)drv;
	struct rs_drv_counters *ctr = &drv->ctr;
	const struct rs_pkt_filter *f = &drv->conf.filter;
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0, n = 0;
	int nadd = 0;
	uint64_t bytes = 0, filtered = 0, errors = 0, trunc = 0;

	if (!io_uring_cq_ready(&u->ring)) {
		if (!u->armed) {
			if (__builtin_expect(u->disabled, 0)) {
				if (rs_drv_uring_start(u) < 0) /* retried on the next poll */
					rs__drv_ctr_burst(ctr, 0, 0, 0, 1, 0);
				return 0;
			}
			/* re-arm once the stage gave buffers back (multishot ended on ENOBUFS) */
			if (u->bufs_out < u->nbufs && rs_drv_uring_arm(u) == 0)
				rs__drv_ctr_add(&ctr->rearms, 1);
			return 0;
		}
		/* completions are produced by task work: run it when the kernel
		 * says some is pending (TASKRUN_FLAG) or, without the flag, always */
		if (!u->sqpoll &&
		    (!u->taskrun_flag ||
		     (IO_URING_READ_ONCE(*u->ring.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))))
			(void)io_uring_get_events(&u->ring);
		if (!io_uring_cq_ready(&u->ring))
			return 0;
	}

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		if (n == max)
			break;
		seen++;
		if (!(cqe->flags & IORING_CQE_F_MORE))
			u->armed = false;
		if (cqe->res < 0) {
			if (cqe->res == -ENOBUFS)
				rs__drv_ctr_add(&ctr->buf_exhausted, 1);
			else
				errors++;
			continue;
		}
		if (!(cqe->flags & IORING_CQE_F_BUFFER)) {
			errors++;
			continue;
		}
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *buf = u->bufs + (size_t)bid * u->slot;
		struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, cqe->res, &u->msg);
		if (!o || (o->flags & MSG_TRUNC)) {
			if (o)
				trunc++;
			errors++;
			rs_drv_uring_recycle(u, bid, &nadd);
			continue;
		}
		const struct sockaddr_in *sin = io_uring_recvmsg_name(o);
		uint32_t src = ntohl(sin->sin_addr.s_addr);
		if (f->src_ip && src != f->src_ip) {
			filtered++;
			rs_drv_uring_recycle(u, bid, &nadd);
			continue;
		}
		uint64_t ts = 0;
		uint8_t tsf = 0;
		for (struct cmsghdr *cm = io_uring_recvmsg_cmsg_firsthdr(o, &u->msg); cm;
		     cm = io_uring_recvmsg_cmsg_nexthdr(o, &u->msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET)
				continue;
			if (cm->cmsg_type == SO_TIMESTAMPNS) {
				struct timespec t;
				memcpy(&t, CMSG_DATA(cm), sizeof(t));
				ts = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
				tsf = RS_DRV_PKTF_TS_KERN;
			} else if (cm->cmsg_type == SO_TIMESTAMPING) {
				struct scm_timestamping st;
				memcpy(&st, CMSG_DATA(cm), sizeof(st));
				if (st.ts[2].tv_sec || st.ts[2].tv_nsec) {
					ts = (uint64_t)st.ts[2].tv_sec * 1000000000ull + (uint64_t)st.ts[2].tv_nsec;
					tsf = RS_DRV_PKTF_TS_HW;
				} else {
					ts = (uint64_t)st.ts[0].tv_sec * 1000000000ull + (uint64_t)st.ts[0].tv_nsec;
					tsf = RS_DRV_PKTF_TS_KERN;
				}
			} else if (cm->cmsg_type == SO_RXQ_OVFL) {
				uint32_t drops;
				memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
				/* cumulative socket drop count: store, not add */
				__atomic_store_n(&ctr->drops, drops, __ATOMIC_RELAXED);
			}
		}
		struct rs_drv_pkt *p = &pkts[n++];
		p->data = io_uring_recvmsg_payload(o, &u->msg);
		p->len = io_uring_recvmsg_payload_length(o, cqe->res, &u->msg);
		p->ts_ns = ts;
		p->cookie = bid;
		p->src_ip = src;
		p->src_port = ntohs(sin->sin_port);
		p->line_id = drv->conf.line_id;
		p->flags = tsf;
		p->reserved = 0;
		bytes += p->len;
	}
	io_uring_cq_advance(&u->ring, seen);
	u->bufs_out += n;
	if (nadd)
		io_uring_buf_ring_advance(u->br, nadd);
	rs__drv_ctr_burst(ctr, n, bytes, filtered, errors, trunc);
	return n;
}

static void rs_drv_uring_release(struct rs_drv *drv, const struct rs_drv_pkt *pkts, unsigned n)
{
	struct rs_drv_uring *u = (struct rs_drv_uring *)drv;
	for (unsigned i = 0; i < n; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)pkts[i].cookie * u->slot, u->slot,
				      (unsigned short)pkts[i].cookie, (int)u->mask, (int)i);
	/* store-release of the tail pairs with the kernel's acquire load when it picks a buffer */
	io_uring_buf_ring_advance(u->br, (int)n);
	u->bufs_out -= n;
}

const struct rs_drv_ops rs_drv_uring_ops = {
	.name = "uring",
	.create = rs_drv_uring_create,
	.destroy = rs_drv_uring_destroy,
	.rx_burst = rs_drv_uring_rx_burst,
	.release = rs_drv_uring_release,
};
