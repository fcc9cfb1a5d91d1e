/*
 * rs_drv_testnet.h - a private network namespace + veth pair for driver
 * tests and the rx benchmark, and a raw-frame sender inside it.
 *
 *   root netns                          netns rsdt<pid>
 *   rsd<pid>h  10.213.X.1/24  <──veth──>  rsd<pid>n  10.213.X.2/24
 *   (driver under test receives here)    (AF_PACKET sender crafts frames)
 *
 * Names carry the creating pid; rs_dt_net_clean_stale() removes leftovers
 * of crashed runs (namespaces/veths whose pid is gone). IPv6 is disabled on
 * both ends so no ND/MLD noise reaches the drivers. No Criterion here.
 */
#ifndef RS_DRV_TESTNET_H
#define RS_DRV_TESTNET_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct rs_dt_net {
	char ns[32];
	char veth_h[IFNAMSIZ];   /* root netns side: the driver's interface */
	char veth_n[IFNAMSIZ];   /* inside the netns: the sender's interface */
	uint32_t ip_h, ip_n;     /* host order */
	uint8_t mac_h[6], mac_n[6];
	int up;
};

static inline int rs_dt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int rs_dt_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return rc == 0 ? 0 : -1;
}

static inline uint64_t rs_dt_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Remove namespaces/veths named rsdt<pid>/rsd<pid>h of processes that are gone. */
static inline void rs_dt_net_clean_stale(void)
{
	DIR *d = opendir("/var/run/netns");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			int pid;
			if (sscanf(e->d_name, "rsdt%d", &pid) == 1 && pid > 0 && kill(pid, 0) < 0 &&
			    errno == ESRCH)
				rs_dt_sh("ip netns del %s 2>/dev/null", e->d_name);
		}
		closedir(d);
	}
	d = opendir("/tmp"); /* hugetlbfs mounts of the DPDK test */
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			int pid;
			if (sscanf(e->d_name, "rs_drv_huge_%d", &pid) == 1 && pid > 0 && kill(pid, 0) < 0 &&
			    errno == ESRCH)
				rs_dt_sh("umount -l /tmp/%s 2>/dev/null; rmdir /tmp/%s", e->d_name, e->d_name);
		}
		closedir(d);
	}
	d = opendir("/sys/class/net");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			int pid;
			char side;
			if (sscanf(e->d_name, "rsd%d%c", &pid, &side) == 2 && side == 'h' && pid > 0 &&
			    kill(pid, 0) < 0 && errno == ESRCH)
				rs_dt_sh("ip link del %s 2>/dev/null", e->d_name);
		}
		closedir(d);
	}
}

static inline int rs_dt_read_mac(const char *ns, const char *ifname, uint8_t mac[6])
{
	char cmd[256], line[64];
	snprintf(cmd, sizeof(cmd), "%s%s cat /sys/class/net/%s/address", ns ? "ip netns exec " : "",
		 ns ? ns : "", ifname);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	int ok = fgets(line, sizeof(line), f) != NULL;
	pclose(f);
	unsigned m[6];
	if (!ok || sscanf(line, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

/* Create the namespace and veth pair; 0 or -1 (then everything is removed). */
static inline int rs_dt_net_up(struct rs_dt_net *n)
{
	int pid = getpid();
	memset(n, 0, sizeof(*n));
	snprintf(n->ns, sizeof(n->ns), "rsdt%d", pid);
	snprintf(n->veth_h, sizeof(n->veth_h), "rsd%dh", pid);
	snprintf(n->veth_n, sizeof(n->veth_n), "rsd%dn", pid);
	unsigned x = (unsigned)pid % 251u;
	n->ip_h = (10u << 24) | (213u << 16) | (x << 8) | 1u;
	n->ip_n = (10u << 24) | (213u << 16) | (x << 8) | 2u;
	rs_dt_net_clean_stale();
	n->up = 1;
	if (rs_dt_sh("ip netns add %s", n->ns) ||
	    rs_dt_sh("ip link add %s numtxqueues 1 numrxqueues 1 mtu 9000 type veth peer name %s "
		     "numtxqueues 1 numrxqueues 1 mtu 9000 netns %s",
		     n->veth_h, n->veth_n, n->ns) ||
	    rs_dt_sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", n->veth_h) ||
	    rs_dt_sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", n->ns, n->veth_n) ||
	    rs_dt_sh("sysctl -qw net.ipv4.conf.%s.rp_filter=0", n->veth_h) ||
	    rs_dt_sh("ip addr add 10.213.%u.1/24 dev %s && ip link set %s up", x, n->veth_h, n->veth_h) ||
	    rs_dt_sh("ip -n %s addr add 10.213.%u.2/24 dev %s && ip -n %s link set %s up && "
		     "ip -n %s link set lo up",
		     n->ns, x, n->veth_n, n->ns, n->veth_n, n->ns) ||
	    rs_dt_read_mac(NULL, n->veth_h, n->mac_h) || rs_dt_read_mac(n->ns, n->veth_n, n->mac_n)) {
		fprintf(stderr, "rs_dt_net_up: network setup failed\n");
		return -1;
	}
	/* wait for carrier on both ends */
	for (int i = 0; i < 200; i++) {
		char path[128], c = '0';
		snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", n->veth_h);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fread(&c, 1, 1, f) != 1)
				c = '0';
			fclose(f);
		}
		if (c == '1')
			break;
		usleep(10000);
	}
	return 0;
}

static inline void rs_dt_net_down(struct rs_dt_net *n)
{
	if (!n->up)
		return;
	rs_dt_sh("ip link del %s 2>/dev/null", n->veth_h);
	rs_dt_sh("ip netns del %s 2>/dev/null", n->ns);
	n->up = 0;
}

/* An AF_PACKET socket on the netns side (created inside the netns; the
 * calling thread returns to its own netns). Returns fd or -1. */
static inline int rs_dt_sender_open(const struct rs_dt_net *n, int *ifindex)
{
	char path[128];
	snprintf(path, sizeof(path), "/var/run/netns/%s", n->ns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	int fd = -1;
	if (self < 0 || target < 0)
		goto out;
	if (setns(target, CLONE_NEWNET) < 0)
		goto out;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: send only */
	*ifindex = (int)if_nametoindex(n->veth_n);
	int sndbuf = 8 << 20;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	if (setns(self, CLONE_NEWNET) < 0) {
		perror("setns back");
		abort();
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return fd;
}

static inline int rs_dt_send(int fd, int ifindex, const void *frame, size_t len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
	memcpy(sll.sll_addr, frame, 6);
	for (int tries = 0; tries < 1000; tries++) {
		ssize_t r = sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
		if (r == (ssize_t)len)
			return 0;
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN)
			return -1;
		usleep(100);
	}
	return -1;
}

static inline uint16_t rs_dt_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void rs_dt_mcast_mac(uint32_t group, uint8_t mac[6])
{
	mac[0] = 0x01; mac[1] = 0x00; mac[2] = 0x5e;
	mac[3] = (uint8_t)((group >> 16) & 0x7f);
	mac[4] = (uint8_t)(group >> 8);
	mac[5] = (uint8_t)group;
}

/* Frame corruptions for the malformed cases. */
#define RS_DT_IP_LEN_LONG  1 /* IP total length claims more than the frame has */
#define RS_DT_UDP_LEN_LONG 2 /* UDP length larger than the IP payload */

/*
 * Build Ethernet [+802.1Q] + IPv4 + UDP with `plen` payload bytes into buf;
 * returns the frame length. dst MAC: multicast MAC for a group, else `dmac`.
 */
static inline size_t rs_dt_frame(uint8_t *buf, const uint8_t dmac[6], const uint8_t smac[6],
				 uint16_t vlan, uint32_t sip, uint32_t dip, uint16_t sport,
				 uint16_t dport, const uint8_t *payload, size_t plen, int corrupt)
{
	size_t off = 0;
	if ((dip >> 28) == 0xe)
		rs_dt_mcast_mac(dip, buf);
	else
		memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	off = 12;
	if (vlan) {
		buf[off++] = 0x81; buf[off++] = 0x00;
		buf[off++] = (uint8_t)(vlan >> 8); buf[off++] = (uint8_t)vlan;
	}
	buf[off++] = 0x08; buf[off++] = 0x00;
	uint8_t *ip = buf + off;
	size_t tot = 20 + 8 + plen;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	size_t claim = corrupt == RS_DT_IP_LEN_LONG ? tot + 100 : tot;
	ip[2] = (uint8_t)(claim >> 8); ip[3] = (uint8_t)claim;
	ip[6] = 0x40; /* DF */
	ip[8] = 16;
	ip[9] = 17;
	uint32_t s = htonl(sip), d = htonl(dip);
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	uint16_t ck = rs_dt_csum(ip, 20);
	ip[10] = (uint8_t)(ck >> 8); ip[11] = (uint8_t)ck;
	uint8_t *udp = ip + 20;
	size_t ulen = corrupt == RS_DT_UDP_LEN_LONG ? 8 + plen + 40 : 8 + plen;
	udp[0] = (uint8_t)(sport >> 8); udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8); udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8); udp[5] = (uint8_t)ulen;
	udp[6] = 0; udp[7] = 0; /* no checksum (legal for IPv4) */
	memcpy(udp + 8, payload, plen);
	return off + tot;
}

/* Huge pages: free 2 MiB pages now (from /proc/meminfo), or -1. */
static inline long rs_dt_huge_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Make sure `want` free huge pages exist by raising nr_hugepages; returns
 * how many pages were added (give them back with rs_dt_huge_unreserve). */
static inline long rs_dt_huge_reserve(long want)
{
	long fr = rs_dt_huge_free();
	if (fr < 0 || fr >= want)
		return 0;
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long cur = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &cur) != 1)
		cur = 0;
	long add = want - fr;
	rewind(f);
	fprintf(f, "%ld\n", cur + add);
	fclose(f);
	return add;
}

/* Lower nr_hugepages by what rs_dt_huge_reserve added (others' pages stay). */
static inline void rs_dt_huge_unreserve(long added)
{
	if (added <= 0)
		return;
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long cur = 0;
	if (!f)
		return;
	if (fscanf(f, "%ld", &cur) != 1)
		cur = added;
	rewind(f);
	fprintf(f, "%ld\n", cur > added ? cur - added : 0);
	fclose(f);
}

/* 1 if an XDP program is attached to ifname (per `ip link`). */
static inline int rs_dt_has_xdp(const char *ifname)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ip link show dev %s | grep -q 'prog/xdp'", ifname);
	return system(cmd) == 0;
}

#endif /* RS_DRV_TESTNET_H */
