/*
 * rs_drv_types.h - types of the feed-driver burst interface (no functions).
 *
 * A driver owns preallocated receive buffers. rs_drv_rx_burst() hands the
 * rx stage up to `max` received UDP payloads that matched the line's
 * filter (struct rs_drv_pkt, pointing INTO the driver's buffers); the stage
 * gives them back with rs_drv_release() when it no longer reads them, in
 * any order and in any grouping. Until released a buffer is not reused.
 *
 *   driver buffers ──rx_burst──▶ rx stage (arbitration, decode) ──release──▶ driver
 */
#ifndef RS_DRV_TYPES_H
#define RS_DRV_TYPES_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/rs_pkt.h"

/* Driver kinds (struct rs_drv_conf.kind). */
enum rs_drv_kind {
	RS_DRV_URING = 0, /* UDP socket + io_uring multishot recvmsg (embedded default) */
	RS_DRV_XDP,       /* AF_XDP socket + our XDP filter program */
	RS_DRV_DPDK,      /* DPDK ethdev (vdev or allow-listed PCI device) */
	RS_DRV_PCAP,      /* pcap/pcapng file, original pacing or full speed */
	RS_DRV__COUNT
};

/*
 * One received datagram. `data` points at the UDP payload inside a driver
 * buffer; valid until the packet is passed to rs_drv_release().
 * 40 bytes; bursts are arrays of these on the caller's stack.
 */
struct rs_drv_pkt {
	const uint8_t *data;  /* UDP payload */
	uint64_t ts_ns;       /* rx time, ns since the UNIX epoch (see rs_drv_pkt flags) */
	uint64_t cookie;      /* driver-private buffer handle for release; do not touch */
	uint32_t len;         /* UDP payload bytes */
	uint32_t src_ip;      /* host order */
	uint16_t src_port;    /* host order */
	uint8_t line_id;      /* the line's id (0 = A, 1 = B, ...) */
	uint8_t flags;        /* RS_DRV_PKTF_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct rs_drv_pkt) == 40, "rs_drv_pkt is 40 bytes");

/* Where ts_ns came from. */
#define RS_DRV_PKTF_TS_HW    0x01 /* NIC hardware timestamp */
#define RS_DRV_PKTF_TS_KERN  0x02 /* kernel software rx timestamp */
#define RS_DRV_PKTF_TS_USER  0x04 /* user space clock at burst time (TSC or clock_gettime) */
#define RS_DRV_PKTF_TS_FILE  0x08 /* capture timestamp from a file */

/*
 * Per-driver counters. One writer (the rx thread), relaxed atomic stores;
 * any thread may read them with rs_drv_stats() (relaxed loads pair with the
 * relaxed stores in rs__drv_ctr_add: counters are monotonic, no ordering
 * with packet data is implied).
 */
struct rs_drv_counters {
	alignas(64) uint64_t packets;   /* delivered to the rx stage */
	uint64_t bytes;                 /* UDP payload bytes delivered */
	uint64_t drops;                 /* lost below us: socket/ring/queue drops the driver can see */
	uint64_t filtered;              /* valid UDP that did not match the line's filter */
	uint64_t errors;                /* malformed/truncated/oversized frames, completion errors */
	uint64_t buf_exhausted;         /* times the driver ran out of free rx buffers */
	uint64_t rearms;                /* multishot re-arms (io_uring) / refill stalls */
	uint64_t truncated;             /* of errors: datagrams larger than a buffer (cut) */
};

/* Limits of the fixed-size strings in struct rs_drv_conf. */
#define RS_DRV_IFNAMSIZ   16
#define RS_DRV_PATH_MAX   256
#define RS_DRV_DPDK_MAXDEV 4
#define RS_DRV_DPDK_ARGLEN 160

/* AF_XDP attach/bind mode. */
enum rs_drv_xdp_mode {
	RS_DRV_XDP_AUTO = 0, /* native + zero copy if the NIC allows, else skb + copy */
	RS_DRV_XDP_SKB,      /* generic (skb) attach, copy mode: works everywhere (veth) */
	RS_DRV_XDP_NATIVE_COPY,
	RS_DRV_XDP_NATIVE_ZC,
};

/*
 * Configuration of one feed line's driver. Zero-initialise, then set what
 * is needed; rs_drv_conf_init() fills the defaults noted below. All
 * addresses/ports in HOST byte order (as struct rs_pkt_filter).
 */
struct rs_drv_conf {
	enum rs_drv_kind kind;
	char ifname[RS_DRV_IFNAMSIZ];  /* uring: interface for the multicast join (optional);
	                                  xdp: interface to attach to (required) */
	struct rs_pkt_filter filter;   /* UDP dst group/address + port, optional source */
	uint8_t line_id;               /* copied into every rs_drv_pkt */
	uint16_t queue;                /* xdp/dpdk rx queue (default 0) */
	int core;                      /* -1 = none; uring: SQPOLL thread cpu */
	uint32_t ring_size;            /* rx ring / CQ / descriptors (default 1024) */
	uint32_t buf_count;            /* rx buffers, power of two (default 4096) */
	uint32_t buf_size;             /* bytes per buffer = max datagram (default 2048) */
	bool busy_poll;                /* uring: SO_BUSY_POLL (+ SO_PREFER_BUSY_POLL) */
	uint32_t busy_poll_us;         /* default 50 */
	bool sqpoll;                   /* uring: IORING_SETUP_SQPOLL */
	bool hw_timestamps;            /* try SO_TIMESTAMPING hardware stamps, fall back to software */
	uint32_t rcvbuf;               /* uring: SO_RCVBUF(FORCE) bytes, 0 = default 8 MiB */

	/* AF_XDP */
	enum rs_drv_xdp_mode xdp_mode;
	bool xdp_no_hugepages;         /* UMEM in normal pages (default: try MAP_HUGETLB) */
	char xdp_obj[RS_DRV_PATH_MAX]; /* BPF object path; empty = the built-in one */

	/* DPDK: the EAL is initialised once per process by the first DPDK line. */
	char dpdk_vdev[RS_DRV_DPDK_MAXDEV][RS_DRV_DPDK_ARGLEN]; /* --vdev args, e.g.
	                                  "net_af_packet0,iface=veth0" */
	char dpdk_pci[RS_DRV_DPDK_MAXDEV][32]; /* PCI allow-list (-a); none = --no-pci */
	char dpdk_dev[64];             /* ethdev name to receive on; empty = the first device */
	char dpdk_eal[RS_DRV_DPDK_ARGLEN]; /* extra EAL args, space separated
	                                  (e.g. "--no-huge -m 256"); never device args */

	/* pcap file */
	char pcap_path[RS_DRV_PATH_MAX];
	double pcap_speed;             /* 0 = full speed; 1.0 = original pacing; 2.0 = twice as fast */
	bool pcap_now_ts;              /* stamp with the current clock instead of the capture time */
	uint32_t pcap_loops;           /* replay the file this many extra times (0 = once) */
};

#endif /* RS_DRV_TYPES_H */
