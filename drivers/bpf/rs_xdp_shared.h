/*
 * rs_xdp_shared.h - layouts shared by rs_xdp_filter.bpf.c and rs_drv_xdp.c.
 */
#ifndef RS_XDP_SHARED_H
#define RS_XDP_SHARED_H

#include <linux/types.h>

/* rs_cfg[0]: the feed, NETWORK byte order (compared with packet fields). */
struct rs_xdp_cfg {
	__u32 dst_ip;   /* 0 = any destination address */
	__u32 src_ip;   /* 0 = any source */
	__u16 dst_port; /* 0 = not configured: pass everything */
	__u16 pad;
	__u32 owner_pid; /* process that attached it (stale detection) */
};

/* rs_stats[] indexes. */
enum rs_xdp_stat {
	RS_XDP_STAT_REDIRECT = 0, /* matched the feed, redirected to the XSK map */
	RS_XDP_STAT_FILTERED,     /* valid, not our feed: passed to the kernel */
	RS_XDP_STAT_ERROR,        /* malformed/truncated: passed to the kernel */
	RS_XDP_STAT__COUNT
};

#define RS_XDP_PROG_NAME "rs_xdp_filter"

#endif
