// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rs_xdp_filter.bpf.c - ringside's XDP program: redirect the configured
 * feed (UDP dst group/address + port, optional source) to the AF_XDP
 * socket of this rx queue; pass everything else to the kernel.
 *
 * Parses Ethernet, up to two 802.1Q/802.1ad tags, IPv4 (options allowed,
 * fragments not) and UDP, with the same rules as dataplane/rs_pkt.h: a
 * frame whose IP/UDP lengths do not fit is never redirected (it goes to the
 * kernel, which drops it) and is counted as an error.
 *
 * Maps:
 *   rs_xsks    XSKMAP, key = rx queue index
 *   rs_cfg     ARRAY[1] struct rs_xdp_cfg, written by user space before the
 *              socket is inserted; dst_port 0 = not configured (pass all)
 *   rs_stats   ARRAY[RS_XDP_STAT__COUNT] u64, BPF_F_MMAPABLE: user space
 *              reads the counters without system calls
 *
 * The program name (rs_xdp_filter) identifies a stale attachment of a
 * crashed ringside at the next start.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rs_xdp_shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} rs_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_xdp_cfg);
} rs_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RS_XDP_STAT__COUNT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} rs_stats SEC(".maps");

struct vlan_hdr_rs {
	__be16 tci;
	__be16 proto;
};

static __always_inline int rs_count(__u32 idx, int action)
{
	__u64 *v = bpf_map_lookup_elem(&rs_stats, &idx);
	if (v)
		__sync_fetch_and_add(v, 1);
	return action;
}

SEC("xdp")
int rs_xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct rs_xdp_cfg *cfg = bpf_map_lookup_elem(&rs_cfg, &zero);
	if (!cfg || cfg->dst_port == 0)
		return XDP_PASS;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);
	__u16 proto = eth->h_proto;
	void *p = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD) &&
		    proto != bpf_htons(0x9100))
			break;
		struct vlan_hdr_rs *vh = p;
		if ((void *)(vh + 1) > end)
			return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);
		proto = vh->proto;
		p = vh + 1;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return rs_count(RS_XDP_STAT_FILTERED, XDP_PASS);

	struct iphdr *ip = p;
	if ((void *)(ip + 1) > end)
		return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);
	if (ip->version != 4 || ip->ihl < 5)
		return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);
	__u32 ihl = ip->ihl * 4;
	__u32 tot = bpf_ntohs(ip->tot_len);
	if (tot < ihl || (void *)ip + tot > end)
		return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);
	if (ip->frag_off & bpf_htons(0x3fff))
		return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);
	if (ip->protocol != IPPROTO_UDP)
		return rs_count(RS_XDP_STAT_FILTERED, XDP_PASS);
	struct udphdr *udp = (void *)ip + ihl;
	if ((void *)(udp + 1) > end || tot - ihl < sizeof(*udp))
		return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);
	__u32 ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > tot - ihl)
		return rs_count(RS_XDP_STAT_ERROR, XDP_PASS);

	if ((cfg->dst_ip && ip->daddr != cfg->dst_ip) || udp->dest != cfg->dst_port ||
	    (cfg->src_ip && ip->saddr != cfg->src_ip))
		return rs_count(RS_XDP_STAT_FILTERED, XDP_PASS);

	rs_count(RS_XDP_STAT_REDIRECT, 0);
	/* no socket on this queue: XDP_PASS (default action in the low flag bits) */
	return bpf_redirect_map(&rs_xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
