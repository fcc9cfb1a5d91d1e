/*
 * rs_pcapfile.h - pcap / pcapng capture reader through libpcap (COLD/tools).
 *
 * Opens classic pcap (micro- or nanosecond) and pcapng files with
 * nanosecond timestamp precision, yields frames, and, through
 * dataplane/rs_pkt.h, the UDP datagrams they carry.
 *
 * Link types: DLT_EN10MB (Ethernet, 802.1Q, QinQ), DLT_RAW / LINKTYPE_IPV4
 * (bare IPv4), DLT_LINUX_SLL (cooked v1), DLT_LINUX_SLL2 (cooked v2),
 * DLT_NULL / DLT_LOOP (BSD loopback). Others are rejected at open.
 *
 * Frames whose captured length is shorter than their wire length (snaplen)
 * are still parsed: rs_pkt rejects them when headers are cut, and a UDP
 * payload cut by the snaplen is skipped and counted as `truncated`.
 */
#ifndef RS_PCAPFILE_H
#define RS_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/rs_pkt.h"

struct rs_pcapfile;

struct rs_pcapfile_frame {
	const uint8_t *data;  /* valid until the next call */
	uint32_t caplen;
	uint32_t len;         /* length on the wire */
	uint64_t ts_ns;       /* capture time, ns since epoch */
	uint64_t index;       /* 0-based frame number in the file */
};

struct rs_pcapfile_udp {
	struct rs_pcapfile_frame frame;
	struct rs_pkt_udp udp; /* payload points into frame.data */
};

struct rs_pcapfile_stats {
	uint64_t frames;
	uint64_t udp;                        /* UDP datagrams returned */
	uint64_t filtered;                   /* UDP not matching the filter */
	uint64_t truncated;                  /* UDP payload cut by the snaplen */
	uint64_t bad_link;                   /* link header short/unknown protocol */
	uint64_t pkt_err[RS_PKT_ERR__COUNT]; /* rs_pkt rejects */
};

/* Open a capture. 0 or -errno (rs_err message: libpcap's text). */
int rs_pcapfile_open(struct rs_pcapfile **out, const char *path);
void rs_pcapfile_close(struct rs_pcapfile *f);
/* libpcap DLT_* of the file. */
int rs_pcapfile_linktype(const struct rs_pcapfile *f);
const struct rs_pcapfile_stats *rs_pcapfile_stats(const struct rs_pcapfile *f);

/* Next frame: 1, 0 at end of file, -EIO on a read error (rs_err set). */
int rs_pcapfile_next(struct rs_pcapfile *f, struct rs_pcapfile_frame *fr);

/* Next UDP datagram matching `filter` (NULL = any): 1, 0 at end, -EIO.
 * Non-UDP and malformed frames are skipped and counted. */
int rs_pcapfile_next_udp(struct rs_pcapfile *f, const struct rs_pkt_filter *filter,
			 struct rs_pcapfile_udp *out);

#endif /* RS_PCAPFILE_H */
