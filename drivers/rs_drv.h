/*
 * rs_drv.h - feed drivers behind one burst interface.
 *
 * COLD: rs_drv_create()/rs_drv_destroy() (sockets, rings, XDP programs,
 * EAL, files). HOT: rs_drv_rx_burst()/rs_drv_release(), called from the rx
 * core only (a driver instance is single-threaded; counters may be read
 * from any thread with rs_drv_stats()).
 *
 * Usage (rx loop):
 *
 *   struct rs_drv_conf c;
 *   rs_drv_conf_init(&c, RS_DRV_URING);
 *   c.filter = (struct rs_pkt_filter){.dst_ip = 0xE9360C6F, .dst_port = 26477};
 *   struct rs_drv *d;
 *   if (rs_drv_create(&d, &c) < 0) { fprintf(stderr, "%s\n", rs_drv_errmsg()); ... }
 *   struct rs_drv_pkt p[32];
 *   for (;;) {
 *           unsigned n = rs_drv_rx_burst(d, p, 32);
 *           ... consume p[0..n) (data valid until released) ...
 *           rs_drv_release(d, p, n);
 *   }
 *   rs_drv_destroy(d);
 *
 * Dispatch: the burst and release entry points are function pointers
 * copied into struct rs_drv itself (no ops-table indirection on the hot
 * path). One indirect call per burst of up to 32 packets costs ~1-2 ns,
 * i.e. well under 0.1 ns per packet, and keeps the rx stage independent of
 * which drivers were compiled in; a switch would save nothing measurable.
 */
#ifndef RS_DRV_H
#define RS_DRV_H

#include <stddef.h>

#include "drivers/rs_drv_types.h"
#include "shm/rs_err.h"

struct rs_drv;

/* Hot entry points of a driver (see rs_drv_rx_burst / rs_drv_release). */
typedef unsigned rs_drv_burst_fn(struct rs_drv *drv, struct rs_drv_pkt *pkts, unsigned max);
typedef void rs_drv_release_fn(struct rs_drv *drv, const struct rs_drv_pkt *pkts, unsigned n);

/* Cold operations of one driver kind (registry in rs_drv.c). */
struct rs_drv_ops {
	const char *name;
	int (*create)(struct rs_drv **out, const struct rs_drv_conf *conf);
	void (*destroy)(struct rs_drv *drv);
	rs_drv_burst_fn *rx_burst;
	rs_drv_release_fn *release;
};

/*
 * Common head of every driver instance; each driver embeds it as its
 * first member. Read-mostly fields first, the counters on their own line.
 */
struct rs_drv {
	rs_drv_burst_fn *rx_burst;
	rs_drv_release_fn *release;
	const struct rs_drv_ops *ops;
	bool eof;                   /* file drivers: no more packets will come */
	struct rs_drv_conf conf;
	struct rs_drv_counters ctr; /* written by the rx thread only */
};

/* Fill `conf` with defaults for `kind` (see struct rs_drv_conf). */
void rs_drv_conf_init(struct rs_drv_conf *conf, enum rs_drv_kind kind);

/*
 * Create a driver for one feed line. Returns 0 and *out, or -errno with a
 * message in rs_drv_errmsg() (-ENOTSUP: kind not built in; -EINVAL: bad
 * conf; -EPERM: needs privileges; others from the OS/library).
 */
int rs_drv_create(struct rs_drv **out, const struct rs_drv_conf *conf);

/* Release everything the driver holds (NULL is a no-op). Packets not yet
 * released become invalid. */
void rs_drv_destroy(struct rs_drv *drv);

/*
 * Receive up to `max` packets matching the line's filter into pkts[].
 * Never blocks (io_uring may enter the kernel to run pending task work);
 * returns the number delivered, 0 when nothing is ready.
 */
static inline unsigned rs_drv_rx_burst(struct rs_drv *drv, struct rs_drv_pkt *pkts,
				       unsigned max)
{
	return drv->rx_burst(drv, pkts, max);
}

/* Give packets from earlier bursts back to the driver (any order). */
static inline void rs_drv_release(struct rs_drv *drv, const struct rs_drv_pkt *pkts, unsigned n)
{
	if (n)
		drv->release(drv, pkts, n);
}

/* true once a file driver has delivered its last packet (live drivers: never). */
static inline bool rs_drv_eof(const struct rs_drv *drv)
{
	return drv->eof;
}

/* Snapshot of the counters (any thread). */
void rs_drv_stats(const struct rs_drv *drv, struct rs_drv_counters *out);

/* "uring", "xdp", "dpdk", "pcap". */
const char *rs_drv_kind_name(enum rs_drv_kind kind);

/* Parse a kind name (also "io_uring", "af_xdp"); -EINVAL if unknown. */
int rs_drv_kind_parse(const char *name, enum rs_drv_kind *out);

/* true if `kind` was compiled in. */
bool rs_drv_kind_available(enum rs_drv_kind kind);

/* Last error of the calling thread (= rs_err_msg()), e.g.
 * "join 239.1.1.1 on veth0: No such device". */
const char *rs_drv_errmsg(void);

/* ---- internal, for the driver files ---------------------------------- */

/* Counter add: single writer, readers use relaxed loads (rs_drv_stats). */
static inline void rs__drv_ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

/* End of an rx burst: fold the burst's local tallies into the counters
 * (one store per non-zero tally, not one per packet). */
static inline void rs__drv_ctr_burst(struct rs_drv_counters *ctr, unsigned n, uint64_t bytes,
				     uint64_t filtered, uint64_t errors, uint64_t trunc)
{
	if (n) {
		rs__drv_ctr_add(&ctr->packets, n);
		rs__drv_ctr_add(&ctr->bytes, bytes);
	}
	if (filtered)
		rs__drv_ctr_add(&ctr->filtered, filtered);
	if (errors) {
		rs__drv_ctr_add(&ctr->errors, errors);
		rs__drv_ctr_add(&ctr->truncated, trunc);
	}
}

/* Parse results that are someone else's traffic (counted as filtered),
 * not malformed frames (counted as errors). */
static inline bool rs__drv_pkt_foreign(enum rs_pkt_err e)
{
	return e == RS_PKT_ERR_NOT_IPV4 || e == RS_PKT_ERR_NOT_UDP;
}

/* Cold errors go to the thread's error chain (shm/rs_err.h); returns err. */
#define RS_DRV_ERR(err, ...) RS_ERR_SET((err), __VA_ARGS__)

extern const struct rs_drv_ops rs_drv_uring_ops;
extern const struct rs_drv_ops rs_drv_pcap_ops;
#ifdef RS_HAVE_XDP
extern const struct rs_drv_ops rs_drv_xdp_ops;
#endif
#ifdef RS_HAVE_DPDK
extern const struct rs_drv_ops rs_drv_dpdk_ops;
#endif

#endif /* RS_DRV_H */
