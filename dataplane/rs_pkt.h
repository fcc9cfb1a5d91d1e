/*
 * rs_pkt.h - Ethernet / 802.1Q / QinQ / IPv4 / UDP frame parsing (hot path).
 *
 * Header-only, static inline, no allocation, no errno. Parses one received
 * frame into its UDP 4-tuple and payload, rejecting anything truncated or
 * inconsistent with a reason code (the caller counts reasons), and matches
 * the result against a feed filter.
 *
 * Accepted:  Ethernet II, optionally one 802.1Q/802.1ad tag or two (QinQ:
 *            0x88A8 or 0x9100 outer, 0x8100 inner), then IPv4 (IHL >= 5,
 *            options skipped, no fragments: MF clear and offset 0), then UDP.
 * Rejected:  see enum rs_pkt_err. The payload length is taken from the UDP
 *            header (Ethernet padding after a short datagram is ignored); a
 *            UDP length larger than what the IP total length or the frame
 *            holds is rejected. Checksums are not verified (NICs do it).
 *
 * Addresses and ports in struct rs_pkt_udp are in HOST byte order
 * (e.g. 233.54.12.111 == 0xE9360C6F).
 *
 * Pointers returned point into the caller's frame (zero copy) and are
 * valid as long as the frame is.
 */
#ifndef RS_PKT_H
#define RS_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RS_PKT_ETH_HLEN   14u
#define RS_PKT_VLAN_HLEN  4u
#define RS_PKT_IPV4_HLEN  20u  /* minimum */
#define RS_PKT_UDP_HLEN   8u

#define RS_PKT_ETHERTYPE_IPV4   0x0800u
#define RS_PKT_ETHERTYPE_VLAN   0x8100u
#define RS_PKT_ETHERTYPE_QINQ   0x88A8u
#define RS_PKT_ETHERTYPE_QINQ_OLD 0x9100u
#define RS_PKT_IPPROTO_UDP      17u

/* Reason codes; RS_PKT_OK = 0. Values index per-reason counter arrays. */
enum rs_pkt_err {
	RS_PKT_OK = 0,
	RS_PKT_ERR_SHORT_ETH,     /* frame shorter than the Ethernet (+VLAN) header */
	RS_PKT_ERR_NOT_IPV4,      /* ethertype is not IPv4 (ARP, IPv6, LLDP, ...) */
	RS_PKT_ERR_VLAN_DEPTH,    /* more than two VLAN tags */
	RS_PKT_ERR_SHORT_IP,      /* fewer than 20 bytes (or than IHL*4) of IP header */
	RS_PKT_ERR_IP_VERSION,    /* version != 4 */
	RS_PKT_ERR_IP_HLEN,       /* IHL < 5 */
	RS_PKT_ERR_IP_LEN,        /* total length < header length or > bytes present */
	RS_PKT_ERR_IP_FRAG,       /* fragment (MF set or offset != 0) */
	RS_PKT_ERR_NOT_UDP,       /* protocol != 17 */
	RS_PKT_ERR_SHORT_UDP,     /* fewer than 8 bytes of UDP header */
	RS_PKT_ERR_UDP_LEN,       /* UDP length < 8 or > IP payload length */
	RS_PKT_ERR__COUNT
};

/* Human-readable names for counters/logs (cold). */
static inline const char *rs_pkt_err_name(unsigned e)
{
	static const char *const names[RS_PKT_ERR__COUNT] = {
		"ok", "short_eth", "not_ipv4", "vlan_depth", "short_ip",
		"ip_version", "ip_hlen", "ip_len", "ip_frag", "not_udp",
		"short_udp", "udp_len",
	};
	return e < RS_PKT_ERR__COUNT ? names[e] : "unknown";
}

/* Result of a parse: UDP 4-tuple (host byte order) and payload. */
struct rs_pkt_udp {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t vlan_outer;      /* VLAN id (12 bits) of the outer tag, 0 = none */
	uint16_t vlan_inner;      /* VLAN id of the inner tag (QinQ), 0 = none */
	const uint8_t *payload;   /* points into the frame */
	uint32_t payload_len;     /* from the UDP header, minus 8 */
};

static inline uint16_t rs_pkt__be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t rs_pkt__be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

/*
 * Parse an IPv4 packet (no link header) at `ip`, `len` bytes available.
 * Used directly for DLT_RAW captures and by rs_pkt_parse_eth().
 */
static inline enum rs_pkt_err rs_pkt_parse_ipv4(const uint8_t *ip, size_t len,
						struct rs_pkt_udp *out)
{
	if (len < RS_PKT_IPV4_HLEN)
		return RS_PKT_ERR_SHORT_IP;
	if ((ip[0] >> 4) != 4)
		return RS_PKT_ERR_IP_VERSION;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4u;
	if (ihl < RS_PKT_IPV4_HLEN)
		return RS_PKT_ERR_IP_HLEN;
	if (len < ihl)
		return RS_PKT_ERR_SHORT_IP;
	size_t tot = rs_pkt__be16(ip + 2);
	if (tot < ihl || tot > len)
		return RS_PKT_ERR_IP_LEN;
	/* flags/fragment offset: MF bit 0x2000, offset 0x1fff; DF is fine. */
	if (rs_pkt__be16(ip + 6) & 0x3fffu)
		return RS_PKT_ERR_IP_FRAG;
	if (ip[9] != RS_PKT_IPPROTO_UDP)
		return RS_PKT_ERR_NOT_UDP;
	size_t ipl = tot - ihl;
	const uint8_t *udp = ip + ihl;
	if (ipl < RS_PKT_UDP_HLEN)
		return RS_PKT_ERR_SHORT_UDP;
	size_t ulen = rs_pkt__be16(udp + 4);
	if (ulen < RS_PKT_UDP_HLEN || ulen > ipl)
		return RS_PKT_ERR_UDP_LEN;
	out->src_ip = rs_pkt__be32(ip + 12);
	out->dst_ip = rs_pkt__be32(ip + 16);
	out->src_port = rs_pkt__be16(udp);
	out->dst_port = rs_pkt__be16(udp + 2);
	out->payload = udp + RS_PKT_UDP_HLEN;
	out->payload_len = (uint32_t)(ulen - RS_PKT_UDP_HLEN);
	return RS_PKT_OK;
}

/*
 * Parse an Ethernet frame of `len` bytes (no FCS expected; trailing bytes
 * beyond the IP total length, such as padding or an FCS, are ignored).
 */
static inline enum rs_pkt_err rs_pkt_parse_eth(const uint8_t *frame, size_t len,
					       struct rs_pkt_udp *out)
{
	if (len < RS_PKT_ETH_HLEN)
		return RS_PKT_ERR_SHORT_ETH;
	size_t off = 12;
	uint16_t et = rs_pkt__be16(frame + off);
	out->vlan_outer = 0;
	out->vlan_inner = 0;
	if (et == RS_PKT_ETHERTYPE_VLAN || et == RS_PKT_ETHERTYPE_QINQ ||
	    et == RS_PKT_ETHERTYPE_QINQ_OLD) {
		if (len < off + 2 + RS_PKT_VLAN_HLEN)
			return RS_PKT_ERR_SHORT_ETH;
		out->vlan_outer = rs_pkt__be16(frame + off + 2) & 0x0fffu;
		off += RS_PKT_VLAN_HLEN;
		et = rs_pkt__be16(frame + off);
		if (et == RS_PKT_ETHERTYPE_VLAN || et == RS_PKT_ETHERTYPE_QINQ ||
		    et == RS_PKT_ETHERTYPE_QINQ_OLD) {
			if (len < off + 2 + RS_PKT_VLAN_HLEN)
				return RS_PKT_ERR_SHORT_ETH;
			out->vlan_inner = rs_pkt__be16(frame + off + 2) & 0x0fffu;
			off += RS_PKT_VLAN_HLEN;
			et = rs_pkt__be16(frame + off);
			if (et == RS_PKT_ETHERTYPE_VLAN || et == RS_PKT_ETHERTYPE_QINQ ||
			    et == RS_PKT_ETHERTYPE_QINQ_OLD)
				return RS_PKT_ERR_VLAN_DEPTH;
		}
	}
	if (et != RS_PKT_ETHERTYPE_IPV4)
		return RS_PKT_ERR_NOT_IPV4;
	off += 2;
	return rs_pkt_parse_ipv4(frame + off, len - off, out);
}

/*
 * Feed filter. Zero fields are wildcards except dst_port (a feed always has
 * a port; 0 matches any port, used by tools). All values in host order.
 */
struct rs_pkt_filter {
	uint32_t dst_ip;   /* multicast group or unicast address; 0 = any */
	uint16_t dst_port; /* 0 = any */
	uint16_t reserved;
	uint32_t src_ip;   /* source-specific filter; 0 = any */
};

/* 1 if the parsed datagram belongs to the filter's feed, else 0. */
static inline int rs_pkt_match(const struct rs_pkt_filter *f,
			       const struct rs_pkt_udp *u)
{
	return (f->dst_ip == 0 || f->dst_ip == u->dst_ip) &&
	       (f->dst_port == 0 || f->dst_port == u->dst_port) &&
	       (f->src_ip == 0 || f->src_ip == u->src_ip);
}

#endif /* RS_PKT_H */
