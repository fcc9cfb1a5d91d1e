/*
 * rs_drv_dpdk.c - DPDK ethdev driver (built when libdpdk is found).
 *
 * EAL: initialised once per process, by the first DPDK line, with an
 * EXPLICIT device list and never a blind PCI probe:
 *   ringside --in-memory|--no-shconf --no-telemetry -l <core> [--no-pci | -a <pci> ...]
 *            [--vdev <args> ...] [conf.dpdk_eal extras, no device options]
 * Later lines hot-plug their vdevs with rte_dev_probe(). The EAL stays up
 * until the process exits (it cannot be initialised twice).
 *
 * Per line: one port, one rx queue, an mbuf pool of buf_count mbufs
 * (huge pages, or whatever -m/--no-huge gave the EAL). rx_burst pulls mbufs
 * with rte_eth_rx_burst, parses Ethernet/802.1Q/IPv4/UDP (rs_pkt.h),
 * applies the line's filter, frees what is not ours at once, and hands the
 * UDP payload of the rest to the stage; the mbuf pointer is the cookie and
 * release frees it back to the pool.
 *
 * rx timestamp: the mbuf's dynamic rx timestamp when the PMD provides one
 * as time since the epoch (net_pcap: the capture time in us), else
 * CLOCK_REALTIME read once per burst.
 */
#ifdef RS_HAVE_DPDK
#include "drivers/rs_drv.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#define RS_DPDK_BURST 64
#define RS_DPDK_IDLE_REFRESH 1024u
#define RS_DPDK_MAXARGS 64

struct rs_drv_dpdk {
	struct rs_drv base;
	/* hot */
	uint16_t port;
	uint16_t queue;
	uint32_t idle;
	int ts_off;             /* dynfield offset of the rx timestamp, -1 = none */
	uint64_t ts_flag;
	bool use_mbuf_ts;
	/* cold */
	struct rte_mempool *mp;
	bool started;
	bool port_ok;
	char name[RTE_ETH_NAME_MAX_LEN];
};

static bool rs_dpdk_eal_up;
static uint64_t rs_dpdk_ports_used[RTE_MAX_ETHPORTS / 64 + 1];

/* Append argv entries; refuses device options in the free-form extras. */
static int rs_drv_dpdk_args(const struct rs_drv_conf *c, char **argv, int *argc, char *store,
			    size_t storelen)
{
	int n = 0;
	size_t used = 0;
#define RS_ARG(s)                                                                      \
	do {                                                                           \
		size_t l_ = strlen(s) + 1;                                             \
		if (n >= RS_DPDK_MAXARGS - 1 || used + l_ > storelen)                  \
			return RS_DRV_ERR(-E2BIG, "too many EAL arguments");           \
		memcpy(store + used, (s), l_);                                         \
		argv[n++] = store + used;                                              \
		used += l_;                                                            \
	} while (0)
	char tmp[64];
	RS_ARG("ringside");
	/* no runtime files: --in-memory, or --no-shconf where --no-huge (legacy
	 * memory) forbids --in-memory */
	if (strstr(c->dpdk_eal, "--no-huge"))
		RS_ARG("--no-shconf");
	else
		RS_ARG("--in-memory");
	RS_ARG("--no-telemetry");
	RS_ARG("--log-level=*:warning");
	int core = c->core >= 0 ? c->core : sched_getcpu();
	snprintf(tmp, sizeof(tmp), "%d", core < 0 ? 0 : core);
	RS_ARG("-l");
	RS_ARG(tmp);
	int npci = 0;
	for (int i = 0; i < RS_DRV_DPDK_MAXDEV; i++) {
		if (!c->dpdk_pci[i][0])
			continue;
		RS_ARG("-a");
		RS_ARG(c->dpdk_pci[i]);
		npci++;
	}
	if (npci == 0)
		RS_ARG("--no-pci"); /* never a blind PCI probe */
	for (int i = 0; i < RS_DRV_DPDK_MAXDEV; i++) {
		if (!c->dpdk_vdev[i][0])
			continue;
		RS_ARG("--vdev");
		RS_ARG(c->dpdk_vdev[i]);
	}
	/* extras: space separated, no device selection allowed here */
	char extra[RS_DRV_DPDK_ARGLEN];
	snprintf(extra, sizeof(extra), "%s", c->dpdk_eal);
	for (char *save = NULL, *tok = strtok_r(extra, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		static const char *const banned[] = {"-a", "--allow", "-b", "--block", "--vdev",
						     "--pci-whitelist", "--pci-blacklist", "-w"};
		for (size_t k = 0; k < sizeof(banned) / sizeof(banned[0]); k++)
			if (strncmp(tok, banned[k], strlen(banned[k])) == 0 &&
			    (tok[strlen(banned[k])] == 0 || tok[strlen(banned[k])] == '='))
				return RS_DRV_ERR(-EINVAL,
						  "dpdk_eal: device option '%s' not allowed here (use "
						  "dpdk_vdev / dpdk_pci)", tok);
		RS_ARG(tok);
	}
#undef RS_ARG
	argv[n] = NULL;
	*argc = n;
	return 0;
}

static int rs_drv_dpdk_eal(const struct rs_drv_conf *c)
{
	if (rs_dpdk_eal_up) {
		/* EAL already running: hot-plug this line's vdevs if absent */
		for (int i = 0; i < RS_DRV_DPDK_MAXDEV; i++) {
			if (!c->dpdk_vdev[i][0])
				continue;
			char name[RTE_ETH_NAME_MAX_LEN];
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(c->dpdk_vdev[i], ","),
				 c->dpdk_vdev[i]);
			uint16_t port;
			if (rte_eth_dev_get_port_by_name(name, &port) == 0)
				continue;
			int rc = rte_dev_probe(c->dpdk_vdev[i]);
			if (rc < 0)
				return RS_DRV_ERR(rc, "rte_dev_probe %s: %s", c->dpdk_vdev[i],
						  rte_strerror(-rc));
		}
		return 0;
	}
	char *argv[RS_DPDK_MAXARGS];
	char store[2048];
	int argc = 0;
	int rc = rs_drv_dpdk_args(c, argv, &argc, store, sizeof(store));
	if (rc < 0)
		return rc;
	/* rte_eal_init may permute argv: pass a copy of the pointer array */
	char *av[RS_DPDK_MAXARGS];
	memcpy(av, argv, sizeof(av));
	rc = rte_eal_init(argc, av);
	if (rc < 0) {
		int e = rte_errno;
		char line[512];
		size_t off = 0;
		for (int i = 0; i < argc && off < sizeof(line); i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s ", argv[i]);
		return RS_DRV_ERR(-(e ? e : EINVAL), "rte_eal_init(%s): %s", line, rte_strerror(e));
	}
	rs_dpdk_eal_up = true;
	return 0;
}

static void rs_drv_dpdk_destroy(struct rs_drv *drv)
{
	struct rs_drv_dpdk *d = (struct rs_drv_dpdk *)drv;
	if (d->started)
		rte_eth_dev_stop(d->port);
	if (d->port_ok) {
		rte_eth_dev_close(d->port);
		rs_dpdk_ports_used[d->port / 64] &= ~(1ull << (d->port % 64));
	}
	if (d->mp)
		rte_mempool_free(d->mp);
	free(d);
}

static int rs_drv_dpdk_port(struct rs_drv_dpdk *d, const struct rs_drv_conf *c)
{
	int rc;
	if (c->dpdk_dev[0])
		snprintf(d->name, sizeof(d->name), "%s", c->dpdk_dev);
	else if (c->dpdk_vdev[0][0])
		snprintf(d->name, sizeof(d->name), "%.*s", (int)strcspn(c->dpdk_vdev[0], ","),
			 c->dpdk_vdev[0]);
	else if (c->dpdk_pci[0][0])
		snprintf(d->name, sizeof(d->name), "%s", c->dpdk_pci[0]);
	else
		return RS_DRV_ERR(-EINVAL, "DPDK line without a device (dpdk_vdev or dpdk_pci)");
	if (rte_eth_dev_get_port_by_name(d->name, &d->port) != 0)
		return RS_DRV_ERR(-ENODEV, "DPDK device %s not found (probed: %u ports)", d->name,
				  rte_eth_dev_count_avail());
	if (rs_dpdk_ports_used[d->port / 64] & (1ull << (d->port % 64)))
		return RS_DRV_ERR(-EBUSY, "DPDK device %s already used by another line", d->name);
	d->queue = c->queue;

	struct rte_eth_dev_info info;
	rc = rte_eth_dev_info_get(d->port, &info);
	if (rc < 0)
		return RS_DRV_ERR(rc, "%s: rte_eth_dev_info_get: %s", d->name, rte_strerror(-rc));
	if (d->queue >= info.max_rx_queues)
		return RS_DRV_ERR(-EINVAL, "%s: queue %u >= max rx queues %u", d->name, d->queue,
				  info.max_rx_queues);
	int sock = rte_eth_dev_socket_id(d->port);
	if (sock < 0)
		sock = (int)SOCKET_ID_ANY;

	char mpname[RTE_MEMPOOL_NAMESIZE];
	snprintf(mpname, sizeof(mpname), "rs_mp_%u", d->port);
	unsigned nmbuf = c->buf_count > c->ring_size * 2 ? c->buf_count : c->ring_size * 2;
	uint16_t room = (uint16_t)(RTE_PKTMBUF_HEADROOM + (c->buf_size > 2048 ? c->buf_size + 64 : 2048));
	d->mp = rte_pktmbuf_pool_create(mpname, nmbuf - 1, 256, 0, room, sock);
	if (!d->mp)
		return RS_DRV_ERR(-rte_errno, "%s: mbuf pool of %u: %s", d->name, nmbuf,
				  rte_strerror(rte_errno));

	struct rte_eth_conf pc;
	memset(&pc, 0, sizeof(pc));
	uint16_t nrx = (uint16_t)(d->queue + 1);
	rc = rte_eth_dev_configure(d->port, nrx, 0, &pc);
	bool need_tx = false;
	if (rc < 0) {
		need_tx = true;
		rc = rte_eth_dev_configure(d->port, nrx, 1, &pc);
	}
	if (rc < 0)
		return RS_DRV_ERR(rc, "%s: rte_eth_dev_configure: %s", d->name, rte_strerror(-rc));
	d->port_ok = true;
	rs_dpdk_ports_used[d->port / 64] |= 1ull << (d->port % 64);
	uint16_t nb_rxd = (uint16_t)(c->ring_size > 4096 ? 4096 : c->ring_size), nb_txd = 64;
	(void)rte_eth_dev_adjust_nb_rx_tx_desc(d->port, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < nrx; q++) {
		rc = rte_eth_rx_queue_setup(d->port, q, nb_rxd, (unsigned)sock, NULL, d->mp);
		if (rc < 0)
			return RS_DRV_ERR(rc, "%s: rx queue %u setup: %s", d->name, q, rte_strerror(-rc));
	}
	if (need_tx) {
		rc = rte_eth_tx_queue_setup(d->port, 0, nb_txd, (unsigned)sock, NULL);
		if (rc < 0)
			return RS_DRV_ERR(rc, "%s: tx queue setup: %s", d->name, rte_strerror(-rc));
	}
	/* timestamps in ns since the epoch only from PMDs known to give them */
	d->ts_off = -1;
	/* net_pcap stamps mbufs with the capture time in microseconds */
	if (strcmp(info.driver_name, "net_pcap") == 0 &&
	    rte_mbuf_dyn_rx_timestamp_register(&d->ts_off, &d->ts_flag) == 0)
		d->use_mbuf_ts = true;
	rc = rte_eth_dev_start(d->port);
	if (rc < 0)
		return RS_DRV_ERR(rc, "%s: rte_eth_dev_start: %s", d->name, rte_strerror(-rc));
	d->started = true;
	(void)rte_eth_allmulticast_enable(d->port); /* multicast groups on real NICs */
	return 0;
}

static int rs_drv_dpdk_create(struct rs_drv **out, const struct rs_drv_conf *c)
{
	struct rs_drv_dpdk *d = aligned_alloc(64, (sizeof(*d) + 63) & ~(size_t)63);
	if (!d)
		return RS_DRV_ERR(-ENOMEM, "out of memory");
	memset(d, 0, sizeof(*d));
	d->base.conf = *c;
	int rc = rs_drv_dpdk_eal(c);
	if (rc == 0)
		rc = rs_drv_dpdk_port(d, c);
	if (rc < 0) {
		rs_drv_dpdk_destroy(&d->base);
		return rc;
	}
	*out = &d->base;
	return 0;
}

static void rs_drv_dpdk_refresh(struct rs_drv_dpdk *d)
{
	struct rte_eth_stats st;
	if (rte_eth_stats_get(d->port, &st) == 0) {
		__atomic_store_n(&d->base.ctr.drops, st.imissed + st.ierrors, __ATOMIC_RELAXED);
		__atomic_store_n(&d->base.ctr.buf_exhausted, st.rx_nombuf, __ATOMIC_RELAXED);
	}
}

static unsigned rs_drv_dpdk_rx_burst(struct rs_drv *drv, struct rs_drv_pkt *pkts, unsigned max)
{
	struct rs_drv_dpdk *d = (struct rs_drv_dpdk *)drv;
	struct rs_drv_counters *ctr = &drv->ctr;
	const struct rs_pkt_filter *f = &drv->conf.filter;
	struct rte_mbuf *m[RS_DPDK_BURST], *rej[RS_DPDK_BURST];
	unsigned n = 0, nrej = 0;
	uint64_t bytes = 0, filtered = 0, errors = 0, trunc = 0;

	if (max > RS_DPDK_BURST)
		max = RS_DPDK_BURST;
	uint16_t nb = rte_eth_rx_burst(d->port, d->queue, m, (uint16_t)max);
	if (!nb) {
		if (++d->idle >= RS_DPDK_IDLE_REFRESH) {
			d->idle = 0;
			rs_drv_dpdk_refresh(d);
		}
		return 0;
	}
	/* CLOCK_REALTIME (vDSO) per burst, as the AF_XDP driver: a TSC mapping
	 * of our own from rte_get_tsc_hz() drifted from the daemon's clock by
	 * ~1 ms a second on this VM, which showed as milliseconds of wire
	 * latency in perf/e2e.sh */
	struct timespec tnow;
	clock_gettime(CLOCK_REALTIME, &tnow);
	uint64_t now = (uint64_t)tnow.tv_sec * 1000000000ull + (uint64_t)tnow.tv_nsec;
	for (uint16_t i = 0; i < nb; i++) {
		if (i + 2 < nb)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 2], void *));
		struct rte_mbuf *b = m[i];
		if (b->nb_segs > 1) { /* larger than one mbuf: larger than any feed datagram */
			errors++;
			trunc++;
			rej[nrej++] = b;
			continue;
		}
		struct rs_pkt_udp u;
		enum rs_pkt_err pe = rs_pkt_parse_eth(rte_pktmbuf_mtod(b, const uint8_t *), b->data_len, &u);
		if (pe != RS_PKT_OK) {
			if (rs__drv_pkt_foreign(pe))
				filtered++;
			else
				errors++;
			rej[nrej++] = b;
			continue;
		}
		if (!rs_pkt_match(f, &u)) {
			filtered++;
			rej[nrej++] = b;
			continue;
		}
		if (u.payload_len > drv->conf.buf_size) {
			errors++;
			trunc++;
			rej[nrej++] = b;
			continue;
		}
		struct rs_drv_pkt *p = &pkts[n++];
		p->data = u.payload;
		p->len = u.payload_len;
		if (d->use_mbuf_ts && (b->ol_flags & d->ts_flag)) {
			p->ts_ns = *RTE_MBUF_DYNFIELD(b, d->ts_off, rte_mbuf_timestamp_t *) * 1000u;
			p->flags = RS_DRV_PKTF_TS_FILE;
		} else {
			p->ts_ns = now;
			p->flags = RS_DRV_PKTF_TS_USER;
		}
		p->cookie = (uint64_t)(uintptr_t)b;
		p->src_ip = u.src_ip;
		p->src_port = u.src_port;
		p->line_id = drv->conf.line_id;
		p->reserved = 0;
		bytes += u.payload_len;
	}
	if (nrej)
		rte_pktmbuf_free_bulk(rej, nrej);
	rs__drv_ctr_burst(ctr, n, bytes, filtered, errors, trunc);
	return n;
}

static void rs_drv_dpdk_release(struct rs_drv *drv, const struct rs_drv_pkt *pkts, unsigned n)
{
	struct rte_mbuf *m[RS_DPDK_BURST];
	while (n) {
		unsigned k = n < RS_DPDK_BURST ? n : RS_DPDK_BURST;
		for (unsigned i = 0; i < k; i++)
			m[i] = (struct rte_mbuf *)(uintptr_t)pkts[i].cookie;
		rte_pktmbuf_free_bulk(m, k);
		pkts += k;
		n -= k;
	}
}

const struct rs_drv_ops rs_drv_dpdk_ops = {
	.name = "dpdk",
	.create = rs_drv_dpdk_create,
	.destroy = rs_drv_dpdk_destroy,
	.rx_burst = rs_drv_dpdk_rx_burst,
	.release = rs_drv_dpdk_release,
};
#endif /* RS_HAVE_DPDK */
