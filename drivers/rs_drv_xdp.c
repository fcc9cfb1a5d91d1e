/*
 * rs_drv_xdp.c - AF_XDP driver (libxdp + libbpf) with our own XDP program.
 *
 *   NIC rx queue ──XDP rs_xdp_filter──┬─ feed UDP ─▶ XSK map[queue] ─▶ RX ring ─▶ rx_burst
 *                                     └─ all else ─▶ XDP_PASS (kernel stack)
 *   UMEM (huge pages if possible): buf_count frames of 4 KiB
 *   fill ring  ◀── release (and startup): frames the kernel may fill
 *   RX ring    ──▶ descriptors {addr, len} of received frames
 *
 * The BPF object is compiled at build time and embedded here (.incbin);
 * conf.xdp_obj may name another file. It is attached in SKB (generic) mode
 * or native mode; the socket binds zero-copy where the NIC supports it,
 * else copy mode (veth: SKB + copy). The program is detached on destroy; a
 * program of ours left by a crashed process (its owner pid, stored in the
 * rs_cfg map, is gone) is detached at the next start.
 *
 * Counters: the BPF program counts redirected/filtered/malformed frames in
 * an mmap-able array map; rx_burst folds them into the driver counters with
 * plain loads. Socket drops (XDP_STATISTICS) are refreshed when idle.
 */
#ifdef RS_HAVE_XDP
#include "drivers/rs_drv.h"
#include "drivers/bpf/rs_xdp_shared.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#ifndef RS_XDP_OBJ_PATH
#error "RS_XDP_OBJ_PATH (the compiled rs_xdp_filter.bpf.o) must be defined by the build"
#endif

/* The compiled BPF object, embedded at build time. */
__asm__(".pushsection .rodata\n"
	".balign 8\n"
	".hidden rs__xdp_obj\n.global rs__xdp_obj\n"
	"rs__xdp_obj:\n"
	".incbin \"" RS_XDP_OBJ_PATH "\"\n"
	".hidden rs__xdp_obj_end\n.global rs__xdp_obj_end\n"
	"rs__xdp_obj_end:\n"
	".popsection\n");
extern const unsigned char rs__xdp_obj[];
extern const unsigned char rs__xdp_obj_end[];

#define RS_XDP_FRAME 4096u
#define RS_XDP_IDLE_REFRESH 1024u

struct rs_drv_xdp {
	struct rs_drv base;
	/* hot */
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	uint8_t *umem_area;
	const volatile uint64_t *stats; /* mmap of rs_stats (BPF writes with atomics) */
	uint32_t frames_out;
	uint32_t nframes;
	uint32_t idle;
	uint64_t user_errors;
	uint64_t user_filtered;
	bool exhausted;
	int xsk_fd;
	/* cold */
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xdp_program *prog;
	struct bpf_object *own_obj; /* opened from the embedded image: ours to close */
	enum xdp_attach_mode mode;
	int ifindex;
	bool attached;
	bool zerocopy;
	bool huge;
	size_t umem_bytes;
	size_t stats_bytes;
};

/* libbpf's messages during setup: warnings only, minus the noise libxdp's
 * dispatcher metadata produces. The previous print function is restored. */
static int rs_drv_xdp_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN || strstr(fmt, "unrecognized data section"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int rs_drv_xdp_libxdp_quiet(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Owner pid of an attached rs_xdp_filter program (from its rs_cfg map), or 0. */
static int rs_drv_xdp_owner(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 ids[16];
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 16;
	info.map_ids = (__u64)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return 0;
	int owner = 0;
	for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++) {
		int fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		struct bpf_map_info mi;
		__u32 ml = sizeof(mi);
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &ml) == 0 && strcmp(mi.name, "rs_cfg") == 0 &&
		    mi.value_size == sizeof(struct rs_xdp_cfg)) {
			__u32 key = 0;
			struct rs_xdp_cfg cfg;
			if (bpf_map_lookup_elem(fd, &key, &cfg) == 0)
				owner = (int)cfg.owner_pid;
		}
		close(fd);
	}
	return owner;
}

/*
 * Crash recovery: detach an rs_xdp_filter left on the interface by a
 * process that no longer exists. A live owner means the interface is in
 * use: -EBUSY.
 */
static int rs_drv_xdp_detach_stale(int ifindex, const char *ifname)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!mp || libxdp_get_error(mp))
		return 0;
	int rc = 0;
	enum xdp_attach_mode mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		struct xdp_program *p = xdp_multiprog__main_prog(mp);
		if (p && strcmp(xdp_program__name(p), RS_XDP_PROG_NAME) == 0) {
			int owner = rs_drv_xdp_owner(xdp_program__fd(p));
			if (owner > 0 && (kill(owner, 0) == 0 || errno != ESRCH))
				rc = RS_DRV_ERR(-EBUSY, "%s: XDP program %s of live process %d attached",
						ifname, RS_XDP_PROG_NAME, owner);
			else
				rc = xdp_multiprog__detach(mp);
		}
	} else {
		for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (strcmp(xdp_program__name(p), RS_XDP_PROG_NAME) != 0)
				continue;
			int owner = rs_drv_xdp_owner(xdp_program__fd(p));
			if (owner > 0 && (kill(owner, 0) == 0 || errno != ESRCH)) {
				rc = RS_DRV_ERR(-EBUSY, "%s: XDP program %s of live process %d attached",
						ifname, RS_XDP_PROG_NAME, owner);
				break;
			}
			rc = xdp_program__detach(p, ifindex, mode, 0);
			break;
		}
	}
	xdp_multiprog__close(mp);
	if (rc < 0 && rc != -EBUSY)
		return RS_DRV_ERR(rc, "%s: detach stale %s: %s", ifname, RS_XDP_PROG_NAME, strerror(-rc));
	return rc;
}

static void rs_drv_xdp_destroy(struct rs_drv *drv)
{
	struct rs_drv_xdp *x = (struct rs_drv_xdp *)drv;
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->umem_area)
		munmap(x->umem_area, x->umem_bytes);
	if (x->stats)
		munmap((void *)x->stats, x->stats_bytes);
	if (x->prog) {
		if (x->attached)
			xdp_program__detach(x->prog, x->ifindex, x->mode, 0);
		xdp_program__close(x->prog);
	}
	if (x->own_obj)
		bpf_object__close(x->own_obj);
	free(x);
}

static int rs_drv_xdp_load(struct rs_drv_xdp *x, const struct rs_drv_conf *c)
{
	int rc;
	if (c->xdp_obj[0]) {
		x->prog = xdp_program__open_file(c->xdp_obj, "xdp", NULL);
	} else {
		DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = RS_XDP_PROG_NAME);
		struct bpf_object *obj = bpf_object__open_mem(
			rs__xdp_obj, (size_t)(rs__xdp_obj_end - rs__xdp_obj), &oo);
		rc = (int)libbpf_get_error(obj);
		if (rc)
			return RS_DRV_ERR(rc, "open embedded BPF object: %s", strerror(-rc));
		x->own_obj = obj; /* libxdp does not take ownership of a passed-in object */
		x->prog = xdp_program__from_bpf_obj(obj, "xdp");
	}
	rc = (int)libxdp_get_error(x->prog);
	if (rc) {
		x->prog = NULL;
		return RS_DRV_ERR(rc, "open XDP program %s: %s", c->xdp_obj[0] ? c->xdp_obj : "(built in)",
				  strerror(-rc));
	}

	enum xdp_attach_mode modes[2] = {XDP_MODE_SKB, XDP_MODE_UNSPEC};
	if (c->xdp_mode == RS_DRV_XDP_NATIVE_COPY || c->xdp_mode == RS_DRV_XDP_NATIVE_ZC)
		modes[0] = XDP_MODE_NATIVE;
	else if (c->xdp_mode == RS_DRV_XDP_AUTO) {
		modes[0] = XDP_MODE_NATIVE;
		modes[1] = XDP_MODE_SKB;
	}
	rc = -EINVAL;
	for (int i = 0; i < 2 && modes[i] != XDP_MODE_UNSPEC; i++) {
		rc = xdp_program__attach(x->prog, x->ifindex, modes[i], 0);
		if (rc == 0) {
			x->mode = modes[i];
			break;
		}
	}
	if (rc < 0)
		return RS_DRV_ERR(rc, "%s: attach XDP program (%s mode): %s", c->ifname,
				  modes[0] == XDP_MODE_SKB ? "skb" : "native", strerror(-rc));
	x->attached = true;

	struct bpf_object *obj = xdp_program__bpf_obj(x->prog);
	struct bpf_map *mcfg = bpf_object__find_map_by_name(obj, "rs_cfg");
	struct bpf_map *mstats = bpf_object__find_map_by_name(obj, "rs_stats");
	if (!mcfg || !mstats)
		return RS_DRV_ERR(-ENOENT, "BPF object lacks rs_cfg/rs_stats maps");
	x->stats_bytes = ((size_t)RS_XDP_STAT__COUNT * sizeof(uint64_t) + 4095) & ~(size_t)4095;
	void *st = mmap(NULL, x->stats_bytes, PROT_READ, MAP_SHARED, bpf_map__fd(mstats), 0);
	if (st == MAP_FAILED)
		return RS_DRV_ERR(-errno, "mmap rs_stats: %s", strerror(errno));
	x->stats = st;
	/* the config goes in after the stats are readable; until then the
	 * program passes everything (dst_port 0) */
	struct rs_xdp_cfg cfg = {.dst_ip = htonl(c->filter.dst_ip), .src_ip = htonl(c->filter.src_ip),
				 .dst_port = htons(c->filter.dst_port), .owner_pid = (__u32)getpid()};
	__u32 key = 0;
	if (bpf_map_update_elem(bpf_map__fd(mcfg), &key, &cfg, BPF_ANY) < 0)
		return RS_DRV_ERR(-errno, "update rs_cfg: %s", strerror(errno));
	return 0;
}

static int rs_drv_xdp_socket(struct rs_drv_xdp *x, const struct rs_drv_conf *c)
{
	int rc;
	x->nframes = c->buf_count;
	x->umem_bytes = (size_t)x->nframes * RS_XDP_FRAME;
	void *area = MAP_FAILED;
	if (!c->xdp_no_hugepages) {
		size_t hsz = (x->umem_bytes + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
		area = mmap(NULL, hsz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (area != MAP_FAILED) {
			x->umem_bytes = hsz;
			x->huge = true;
		}
	}
	if (area == MAP_FAILED)
		area = mmap(NULL, x->umem_bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area == MAP_FAILED)
		return RS_DRV_ERR(-errno, "mmap UMEM %zu bytes: %s", x->umem_bytes, strerror(errno));
	x->umem_area = area;

	struct xsk_umem_config uc = {.fill_size = x->nframes, .comp_size = 64,
				     .frame_size = RS_XDP_FRAME, .frame_headroom = 0, .flags = 0};
	rc = xsk_umem__create(&x->umem, area, (__u64)x->nframes * RS_XDP_FRAME, &x->fq, &x->cq, &uc);
	if (rc < 0) {
		x->umem = NULL;
		return RS_DRV_ERR(rc, "xsk_umem__create: %s", strerror(-rc));
	}

	/* zero copy where the NIC supports it, else copy mode */
	__u16 binds[2] = {XDP_COPY, 0};
	if (c->xdp_mode == RS_DRV_XDP_NATIVE_ZC)
		binds[0] = XDP_ZEROCOPY;
	else if (c->xdp_mode == RS_DRV_XDP_AUTO && x->mode == XDP_MODE_NATIVE) {
		binds[0] = XDP_ZEROCOPY;
		binds[1] = XDP_COPY;
	}
	for (int i = 0; i < 2 && binds[i]; i++) {
		struct xsk_socket_config sc = {
			.rx_size = c->ring_size, .tx_size = 0,
			.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
			.xdp_flags = x->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
			.bind_flags = (__u16)(binds[i] | XDP_USE_NEED_WAKEUP)};
		rc = xsk_socket__create(&x->xsk, c->ifname, c->queue, x->umem, &x->rx, NULL, &sc);
		if (rc == 0) {
			x->zerocopy = binds[i] == XDP_ZEROCOPY;
			break;
		}
		x->xsk = NULL;
	}
	if (rc < 0)
		return RS_DRV_ERR(rc, "%s queue %u: xsk_socket__create: %s", c->ifname, c->queue,
				  strerror(-rc));
	x->xsk_fd = xsk_socket__fd(x->xsk);

	struct bpf_map *mx = bpf_object__find_map_by_name(xdp_program__bpf_obj(x->prog), "rs_xsks");
	if (!mx)
		return RS_DRV_ERR(-ENOENT, "BPF object lacks the rs_xsks map");
	rc = xsk_socket__update_xskmap(x->xsk, bpf_map__fd(mx));
	if (rc < 0)
		return RS_DRV_ERR(rc, "xsk_socket__update_xskmap: %s", strerror(-rc));

	/* every frame starts on the fill ring */
	__u32 idx;
	if (xsk_ring_prod__reserve(&x->fq, x->nframes, &idx) != x->nframes)
		return RS_DRV_ERR(-ENOSPC, "fill ring smaller than %u frames", x->nframes);
	for (uint32_t i = 0; i < x->nframes; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = (__u64)i * RS_XDP_FRAME;
	xsk_ring_prod__submit(&x->fq, x->nframes);
	return 0;
}

static int rs_drv_xdp_create(struct rs_drv **out, const struct rs_drv_conf *c)
{
	if (!c->ifname[0])
		return RS_DRV_ERR(-EINVAL, "AF_XDP driver needs an interface");
	if (c->filter.dst_port == 0)
		return RS_DRV_ERR(-EINVAL, "AF_XDP driver needs a UDP port");
	if (c->buf_size > RS_XDP_FRAME - 64)
		return RS_DRV_ERR(-EINVAL, "AF_XDP buf_size %u > %u", c->buf_size, RS_XDP_FRAME - 64);
	struct rs_drv_xdp *x = aligned_alloc(64, (sizeof(*x) + 63) & ~(size_t)63);
	if (!x)
		return RS_DRV_ERR(-ENOMEM, "out of memory");
	memset(x, 0, sizeof(*x));
	x->base.conf = *c;
	x->xsk_fd = -1;
	libxdp_set_print(rs_drv_xdp_libxdp_quiet);
	libbpf_print_fn_t prev = libbpf_set_print(rs_drv_xdp_libbpf_print);
	int rc = 0;
	x->ifindex = (int)if_nametoindex(c->ifname);
	if (!x->ifindex)
		rc = RS_DRV_ERR(-errno, "interface %s: %s", c->ifname, strerror(errno));
	if (rc == 0)
		rc = rs_drv_xdp_detach_stale(x->ifindex, c->ifname);
	if (rc == 0)
		rc = rs_drv_xdp_load(x, c);
	if (rc == 0)
		rc = rs_drv_xdp_socket(x, c);
	libbpf_set_print(prev);
	if (rc < 0) {
		rs_drv_xdp_destroy(&x->base);
		return rc;
	}
	*out = &x->base;
	return 0;
}

static void rs_drv_xdp_refresh_drops(struct rs_drv_xdp *x)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);
	if (getsockopt(x->xsk_fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0)
		__atomic_store_n(&x->base.ctr.drops, st.rx_dropped + st.rx_ring_full, __ATOMIC_RELAXED);
}

static inline void rs_drv_xdp_fill(struct rs_drv_xdp *x, const uint64_t *addrs, unsigned n)
{
	__u32 idx;
	/* the fill ring holds every frame, so this reservation cannot fail */
	if (xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
		return;
	for (unsigned i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = addrs[i];
	/* submit = store-release of the producer index, paired with the kernel's acquire */
	xsk_ring_prod__submit(&x->fq, n);
}

static unsigned rs_drv_xdp_rx_burst(struct rs_drv *drv, struct rs_drv_pkt *pkts, unsigned max)
{
	struct rs_drv_xdp *x = (struct rs_drv_xdp *)drv;
	struct rs_drv_counters *ctr = &drv->ctr;
	const struct rs_pkt_filter *f = &drv->conf.filter;
	uint64_t recycle[64];
	unsigned nrec = 0, n = 0;
	uint64_t bytes = 0;
	__u32 idx;

	if (max > 64)
		max = 64;
	unsigned rcvd = xsk_ring_cons__peek(&x->rx, max, &idx);
	if (!rcvd) {
		if (xsk_ring_prod__needs_wakeup(&x->fq))
			(void)recvfrom(x->xsk_fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		if (x->frames_out == x->nframes && !x->exhausted) {
			x->exhausted = true;
			rs__drv_ctr_add(&ctr->buf_exhausted, 1);
		}
		if (++x->idle >= RS_XDP_IDLE_REFRESH) {
			x->idle = 0;
			rs_drv_xdp_refresh_drops(x);
		}
		goto counters;
	}
	x->exhausted = false;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t ts = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	for (unsigned i = 0; i < rcvd; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		uint64_t base = xsk_umem__extract_addr(d->addr);
		const uint8_t *frame = xsk_umem__get_data(x->umem_area, xsk_umem__add_offset_to_addr(d->addr));
		struct rs_pkt_udp u;
		enum rs_pkt_err pe = rs_pkt_parse_eth(frame, d->len, &u);
		if (pe != RS_PKT_OK) {
			if (rs__drv_pkt_foreign(pe))
				x->user_filtered++;
			else
				x->user_errors++;
			recycle[nrec++] = base;
			continue;
		}
		if (!rs_pkt_match(f, &u)) {
			x->user_filtered++;
			recycle[nrec++] = base;
			continue;
		}
		if (u.payload_len > drv->conf.buf_size) {
			x->user_errors++;
			rs__drv_ctr_add(&ctr->truncated, 1);
			recycle[nrec++] = base;
			continue;
		}
		struct rs_drv_pkt *p = &pkts[n++];
		p->data = u.payload;
		p->len = u.payload_len;
		p->ts_ns = ts;
		p->cookie = base;
		p->src_ip = u.src_ip;
		p->src_port = u.src_port;
		p->line_id = drv->conf.line_id;
		p->flags = RS_DRV_PKTF_TS_USER;
		p->reserved = 0;
		bytes += u.payload_len;
	}
	/* release = store-release of the consumer index: the kernel may reuse the descriptors */
	xsk_ring_cons__release(&x->rx, rcvd);
	if (nrec)
		rs_drv_xdp_fill(x, recycle, nrec);
	x->frames_out += n;
	if (n) {
		rs__drv_ctr_add(&ctr->packets, n);
		rs__drv_ctr_add(&ctr->bytes, bytes);
	}
counters:
	/* BPF counters: plain loads of the mmap'd map (atomically incremented by the program) */
	__atomic_store_n(&ctr->filtered, x->stats[RS_XDP_STAT_FILTERED] + x->user_filtered,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&ctr->errors, x->stats[RS_XDP_STAT_ERROR] + x->user_errors, __ATOMIC_RELAXED);
	return n;
}

static void rs_drv_xdp_release(struct rs_drv *drv, const struct rs_drv_pkt *pkts, unsigned n)
{
	struct rs_drv_xdp *x = (struct rs_drv_xdp *)drv;
	__u32 idx;
	if (xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
		return; /* cannot happen: the fill ring holds every frame */
	for (unsigned i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = pkts[i].cookie;
	xsk_ring_prod__submit(&x->fq, n);
	x->frames_out -= n;
}

const struct rs_drv_ops rs_drv_xdp_ops = {
	.name = "xdp",
	.create = rs_drv_xdp_create,
	.destroy = rs_drv_xdp_destroy,
	.rx_burst = rs_drv_xdp_rx_burst,
	.release = rs_drv_xdp_release,
};
#endif /* RS_HAVE_XDP */
