/*
 * rs_drv_pcap.c - pcap/pcapng file "driver": replays a capture through the
 * burst interface at full speed or at its original pacing (scaled by
 * pcap_speed). The historical fallback path and the backbone of offline
 * tests.
 *
 * libpcap reads the file (pcap or pcapng, nanosecond precision); every
 * frame is parsed with rs_pkt.h (Ethernet/802.1Q/IPv4/UDP, also Linux
 * cooked SLL/SLL2, raw IPv4 and BSD loopback captures), matched against
 * the line's filter, and the UDP payload is copied into one of buf_count
 * preallocated slots (libpcap reuses its own buffer on the next read, and
 * the rx stage may hold packets across bursts). Released slots go back on
 * a free stack.
 *
 * Pacing: packet i is due at start + (ts_i - ts_0) / speed on CLOCK_MONOTONIC;
 * a frame that is not due yet stays pending (libpcap's buffer stays valid
 * because we do not read the next one) and rx_burst returns what was due.
 */
#include "drivers/rs_drv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct rs_drv_pcap {
	struct rs_drv base;
	pcap_t *pc;
	int dlt;
	uint8_t *slots;         /* buf_count x buf_size */
	uint32_t *free_ids;     /* stack of free slot ids */
	uint32_t nfree;
	uint32_t nslots;
	uint32_t slot_size;
	uint32_t loops_left;
	/* pending frame (read but not yet due) */
	const uint8_t *pend_data;
	struct pcap_pkthdr pend_hdr;
	bool pending;
	/* pacing */
	bool started;
	uint64_t t0_file_ns;
	uint64_t t0_mono_ns;
	uint64_t loop_offset_ns; /* added to file times on repeated loops */
	uint64_t last_file_ns;
	double inv_speed;
};

static inline uint64_t rs_drv_pcap_clock(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int rs_drv_pcap_open(struct rs_drv_pcap *p)
{
	char err[PCAP_ERRBUF_SIZE];
	p->pc = pcap_open_offline_with_tstamp_precision(p->base.conf.pcap_path,
							PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p->pc)
		return RS_DRV_ERR(-ENOENT, "%s: %s", p->base.conf.pcap_path, err);
	p->dlt = pcap_datalink(p->pc);
	switch (p->dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case 228: /* LINKTYPE_IPV4 */
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
		return 0;
	default:
		return RS_DRV_ERR(-EPROTONOSUPPORT, "%s: link type %d (%s) not supported",
				  p->base.conf.pcap_path, p->dlt,
				  pcap_datalink_val_to_name(p->dlt) ? pcap_datalink_val_to_name(p->dlt) : "?");
	}
}

static void rs_drv_pcap_destroy(struct rs_drv *drv)
{
	struct rs_drv_pcap *p = (struct rs_drv_pcap *)drv;
	if (p->pc)
		pcap_close(p->pc);
	free(p->slots);
	free(p->free_ids);
	free(p);
}

static int rs_drv_pcap_create(struct rs_drv **out, const struct rs_drv_conf *c)
{
	if (!c->pcap_path[0])
		return RS_DRV_ERR(-EINVAL, "pcap driver needs pcap_path");
	if (c->pcap_speed < 0)
		return RS_DRV_ERR(-EINVAL, "pcap_speed must be >= 0");
	struct rs_drv_pcap *p = calloc(1, sizeof(*p));
	if (!p)
		return RS_DRV_ERR(-ENOMEM, "out of memory");
	p->base.conf = *c;
	p->nslots = c->buf_count;
	p->slot_size = c->buf_size;
	p->loops_left = c->pcap_loops;
	p->inv_speed = c->pcap_speed > 0 ? 1.0 / c->pcap_speed : 0;
	p->slots = malloc((size_t)p->nslots * p->slot_size);
	p->free_ids = malloc(sizeof(uint32_t) * p->nslots);
	int rc = 0;
	if (!p->slots || !p->free_ids)
		rc = RS_DRV_ERR(-ENOMEM, "out of memory for %u slots", p->nslots);
	if (rc == 0)
		rc = rs_drv_pcap_open(p);
	if (rc < 0) {
		rs_drv_pcap_destroy(&p->base);
		return rc;
	}
	for (uint32_t i = 0; i < p->nslots; i++)
		p->free_ids[i] = p->nslots - 1 - i;
	p->nfree = p->nslots;
	*out = &p->base;
	return 0;
}

/* Parse one captured frame according to the link type. */
static inline enum rs_pkt_err rs_drv_pcap_parse(int dlt, const uint8_t *d, size_t len,
						struct rs_pkt_udp *u)
{
	switch (dlt) {
	case DLT_EN10MB:
		return rs_pkt_parse_eth(d, len, u);
	case DLT_LINUX_SLL:
		if (len < 16)
			return RS_PKT_ERR_SHORT_ETH;
		if (rs_pkt__be16(d + 14) != RS_PKT_ETHERTYPE_IPV4)
			return RS_PKT_ERR_NOT_IPV4;
		return rs_pkt_parse_ipv4(d + 16, len - 16, u);
	case DLT_LINUX_SLL2:
		if (len < 20)
			return RS_PKT_ERR_SHORT_ETH;
		if (rs_pkt__be16(d) != RS_PKT_ETHERTYPE_IPV4)
			return RS_PKT_ERR_NOT_IPV4;
		return rs_pkt_parse_ipv4(d + 20, len - 20, u);
	case DLT_NULL:
	case DLT_LOOP:
		if (len < 4)
			return RS_PKT_ERR_SHORT_ETH;
		/* AF_INET = 2 in either byte order */
		if (!((d[0] == 2 && d[3] == 0) || (d[0] == 0 && d[3] == 2)))
			return RS_PKT_ERR_NOT_IPV4;
		return rs_pkt_parse_ipv4(d + 4, len - 4, u);
	default: /* raw IPv4 */
		return rs_pkt_parse_ipv4(d, len, u);
	}
}

static unsigned rs_drv_pcap_rx_burst(struct rs_drv *drv, struct rs_drv_pkt *pkts, unsigned max)
{
	struct rs_drv_pcap *p = (struct rs_drv_pcap *)drv;
	struct rs_drv_counters *ctr = &drv->ctr;
	const struct rs_pkt_filter *f = &drv->conf.filter;
	unsigned n = 0;
	uint64_t bytes = 0, filtered = 0, errors = 0, trunc = 0;
	uint64_t now_mono = p->inv_speed > 0 ? rs_drv_pcap_clock(CLOCK_MONOTONIC) : 0;
	uint64_t now_real = drv->conf.pcap_now_ts ? rs_drv_pcap_clock(CLOCK_REALTIME) : 0;

	if (drv->eof)
		return 0;
	while (n < max) {
		if (!p->pending) {
			struct pcap_pkthdr *h;
			const u_char *d;
			int rc = pcap_next_ex(p->pc, &h, &d);
			if (rc == PCAP_ERROR_BREAK) {
				if (p->loops_left == 0) {
					drv->eof = true;
					break;
				}
				/* loop: reopen and continue the timeline after the last packet */
				p->loops_left--;
				pcap_close(p->pc);
				p->pc = NULL;
				if (rs_drv_pcap_open(p) < 0) {
					errors++;
					drv->eof = true;
					break;
				}
				p->loop_offset_ns += p->last_file_ns + 1 - p->t0_file_ns;
				continue;
			}
			if (rc != 1) {
				/* read error (truncated file): count and stop cleanly */
				errors++;
				drv->eof = true;
				break;
			}
			p->pend_hdr = *h;
			p->pend_data = d;
			p->pending = true;
		}
		uint64_t fts = (uint64_t)p->pend_hdr.ts.tv_sec * 1000000000ull +
			       (uint64_t)p->pend_hdr.ts.tv_usec; /* nanosecond precision: tv_usec holds ns */
		if (!p->started) {
			p->started = true;
			p->t0_file_ns = fts;
			p->t0_mono_ns = now_mono ? now_mono : rs_drv_pcap_clock(CLOCK_MONOTONIC);
		}
		if (p->inv_speed > 0 && fts >= p->t0_file_ns) {
			uint64_t rel = fts - p->t0_file_ns + p->loop_offset_ns;
			uint64_t due = p->t0_mono_ns + (uint64_t)((double)rel * p->inv_speed);
			if (now_mono < due)
				break; /* not due yet: stays pending */
		}
		p->pending = false;
		p->last_file_ns = fts;

		struct rs_pkt_udp u;
		enum rs_pkt_err pe = rs_drv_pcap_parse(p->dlt, p->pend_data, p->pend_hdr.caplen, &u);
		if (pe != RS_PKT_OK) {
			if (rs__drv_pkt_foreign(pe))
				filtered++;
			else
				errors++;
			continue;
		}
		if (!rs_pkt_match(f, &u)) {
			filtered++;
			continue;
		}
		if (u.payload_len > p->slot_size) {
			errors++;
			trunc++;
			continue;
		}
		if (p->nfree == 0) {
			/* the stage holds every slot: keep this frame for later */
			p->pending = true;
			rs__drv_ctr_add(&ctr->buf_exhausted, 1);
			break;
		}
		uint32_t id = p->free_ids[--p->nfree];
		uint8_t *slot = p->slots + (size_t)id * p->slot_size;
		memcpy(slot, u.payload, u.payload_len);
		struct rs_drv_pkt *o = &pkts[n++];
		o->data = slot;
		o->len = u.payload_len;
		o->ts_ns = now_real ? now_real : fts + p->loop_offset_ns;
		o->cookie = id;
		o->src_ip = u.src_ip;
		o->src_port = u.src_port;
		o->line_id = drv->conf.line_id;
		o->flags = now_real ? RS_DRV_PKTF_TS_USER : RS_DRV_PKTF_TS_FILE;
		o->reserved = 0;
		bytes += u.payload_len;
	}
	rs__drv_ctr_burst(ctr, n, bytes, filtered, errors, trunc);
	return n;
}

static void rs_drv_pcap_release(struct rs_drv *drv, const struct rs_drv_pkt *pkts, unsigned n)
{
	struct rs_drv_pcap *p = (struct rs_drv_pcap *)drv;
	for (unsigned i = 0; i < n; i++)
		p->free_ids[p->nfree++] = (uint32_t)pkts[i].cookie;
}

const struct rs_drv_ops rs_drv_pcap_ops = {
	.name = "pcap",
	.create = rs_drv_pcap_create,
	.destroy = rs_drv_pcap_destroy,
	.rx_burst = rs_drv_pcap_rx_burst,
	.release = rs_drv_pcap_release,
};
