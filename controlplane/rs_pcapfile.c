/*
 * rs_pcapfile.c - pcap/pcapng reading via libpcap.
 */
#include "rs_pcapfile.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "shm/rs_err.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif

struct rs_pcapfile {
	pcap_t *p;
	int dlt;
	uint64_t index;
	struct rs_pcapfile_stats st;
};

int rs_pcapfile_open(struct rs_pcapfile **out, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct rs_pcapfile *f = calloc(1, sizeof(*f));
	if (!f)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	f->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!f->p) {
		int err = strstr(errbuf, "No such file") ? -ENOENT : -EINVAL;
		free(f);
		return RS_ERR_SET(err, "%s: %s", path, errbuf);
	}
	f->dlt = pcap_datalink(f->p);
	switch (f->dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
		break;
	default: {
		int dlt = f->dlt;
		pcap_close(f->p);
		free(f);
		return RS_ERR_SET(-EPROTONOSUPPORT, "%s: unsupported link type %d (%s)", path, dlt,
				  pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
	}
	}
	*out = f;
	return 0;
}

void rs_pcapfile_close(struct rs_pcapfile *f)
{
	if (!f)
		return;
	pcap_close(f->p);
	free(f);
}

int rs_pcapfile_linktype(const struct rs_pcapfile *f)
{
	return f->dlt;
}

const struct rs_pcapfile_stats *rs_pcapfile_stats(const struct rs_pcapfile *f)
{
	return &f->st;
}

int rs_pcapfile_next(struct rs_pcapfile *f, struct rs_pcapfile_frame *fr)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(f->p, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1)
		return RS_ERR_SET(-EIO, "pcap read: %s", pcap_geterr(f->p));
	fr->data = data;
	fr->caplen = h->caplen;
	fr->len = h->len;
	/* opened with nanosecond precision: tv_usec holds nanoseconds */
	fr->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	fr->index = f->index++;
	f->st.frames++;
	return 1;
}

/* Parse past the link header; returns the rs_pkt result or -1 for a link
 * problem (counted as bad_link). */
static int rs_pcapfile__parse(struct rs_pcapfile *f, const uint8_t *d, size_t n, struct rs_pkt_udp *u)
{
	switch (f->dlt) {
	case DLT_EN10MB:
		return rs_pkt_parse_eth(d, n, u);
	case DLT_RAW:
	case DLT_IPV4:
		u->vlan_outer = u->vlan_inner = 0;
		return rs_pkt_parse_ipv4(d, n, u);
	case DLT_LINUX_SLL: /* 16-byte header, protocol (BE) at 14 */
		if (n < 16 || rs_pkt__be16(d + 14) != RS_PKT_ETHERTYPE_IPV4)
			return -1;
		u->vlan_outer = u->vlan_inner = 0;
		return rs_pkt_parse_ipv4(d + 16, n - 16, u);
	case DLT_LINUX_SLL2: /* 20-byte header, protocol (BE) at 0 */
		if (n < 20 || rs_pkt__be16(d) != RS_PKT_ETHERTYPE_IPV4)
			return -1;
		u->vlan_outer = u->vlan_inner = 0;
		return rs_pkt_parse_ipv4(d + 20, n - 20, u);
	case DLT_NULL:
	case DLT_LOOP: { /* 4-byte family: host order (NULL) or BE (LOOP); AF_INET = 2 */
		if (n < 4)
			return -1;
		uint32_t fam;
		memcpy(&fam, d, 4);
		if (fam != 2 && fam != 0x02000000u)
			return -1;
		u->vlan_outer = u->vlan_inner = 0;
		return rs_pkt_parse_ipv4(d + 4, n - 4, u);
	}
	default:
		return -1;
	}
}

int rs_pcapfile_next_udp(struct rs_pcapfile *f, const struct rs_pkt_filter *filter,
			 struct rs_pcapfile_udp *out)
{
	for (;;) {
		int rc = rs_pcapfile_next(f, &out->frame);
		if (rc <= 0)
			return rc;
		const uint8_t *d = out->frame.data;
		size_t n = out->frame.caplen;
		int e = rs_pcapfile__parse(f, d, n, &out->udp);
		if (e < 0) {
			f->st.bad_link++;
			continue;
		}
		if (e != RS_PKT_OK) {
			/* a frame cut by the snaplen shows up as a length error */
			if (out->frame.caplen < out->frame.len &&
			    (e == RS_PKT_ERR_IP_LEN || e == RS_PKT_ERR_UDP_LEN ||
			     e == RS_PKT_ERR_SHORT_UDP || e == RS_PKT_ERR_SHORT_IP))
				f->st.truncated++;
			else
				f->st.pkt_err[e]++;
			continue;
		}
		if (filter && !rs_pkt_match(filter, &out->udp)) {
			f->st.filtered++;
			continue;
		}
		f->st.udp++;
		return 1;
	}
}
