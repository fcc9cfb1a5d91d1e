/*
 * rs_daemon.c - ringsided: shared memory, drivers, dataplane threads,
 * recovery, signals and lifecycle. See rs_daemon.h.
 */
#include "controlplane/rs_daemon.h"
#include "controlplane/rs_daemon_an.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_recovery.h"
#include "controlplane/rs_sdnotify.h"
#include "dataplane/rs_instdir.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_lat.h"
#include "dataplane/rs_pipeline.h"
#include "drivers/rs_drv.h"
#include "shm/rs_counters.h"
#include "shm/rs_err.h"
#include "shm/rs_instance.h"
#include "shm/rs_ring.h"

#define NO_RECOVERY_DEADLINE_NS 50000000ull /* 50 ms */

#ifndef RS_VERSION_STRING
#define RS_VERSION_STRING "0.1.0"
#endif

struct rs_daemon {
	struct rs_config cfg;
	struct rs_daemon_opts opts;
	char cfg_path[RS_CFG_PATH];
	struct rs_instance *in;
	struct rs_instdir dir;
	bool dir_init;
	struct rs_lat_clock clock;
	struct rs_handler *handler;
	struct rs_daemon_an *an;    /* analytics hooks (NULL when off) */
	struct rs_rx *rx;
	struct rs_drv *drv[RS_CFG_MAX_FEEDS][RS_CFG_MAX_LINES];
	struct rs_rlink *link[RS_CFG_MAX_FEEDS];
	struct rs_recovery *rec;
	/* pipeline mode */
	void *ring_mem;
	struct rs_ring ring_prod, ring_cons;
	_Atomic uint64_t *c_ring_occ, *c_ring_cap, *c_hloops, *c_hbusy;
	/* feed counters the control loop watches */
	_Atomic uint64_t *c_unrec[RS_CFG_MAX_FEEDS], *c_fmsgs[RS_CFG_MAX_FEEDS];
	_Atomic uint64_t *c_next[RS_CFG_MAX_FEEDS], *c_state[RS_CFG_MAX_FEEDS];
	_Atomic uint64_t *c_reconnects[RS_CFG_MAX_FEEDS];
	uint64_t unrec_seen[RS_CFG_MAX_FEEDS];
	pthread_t thr_rx, thr_h;
	bool rx_started, h_started;
	_Atomic int stop_rx, rx_done, stop_h;
	_Atomic int stop_req;       /* rs_daemon_stop */
	_Atomic int reload_req;
	_Atomic int pause_req, paused; /* reconnect: control thread <-> rx thread */
	uint64_t t_start;
};

static struct rs_handler_hook g_hooks[RS_HANDLER_MAX_HOOKS];
static uint32_t g_nhooks;

int rs_daemon_register_hook(const struct rs_handler_hook *hook)
{
	if (g_nhooks == RS_HANDLER_MAX_HOOKS)
		return RS_ERR_SET(-ENOSPC, "daemon: %d hooks at most", RS_HANDLER_MAX_HOOKS);
	g_hooks[g_nhooks++] = *hook;
	return 0;
}

const struct rs_config *rs_daemon_config(const struct rs_daemon *d)
{
	return &d->cfg;
}

uint32_t rs_daemon_generation(const struct rs_daemon *d)
{
	return d->in->generation;
}

static void logf_(const struct rs_daemon *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_(const struct rs_daemon *d, int level, const char *fmt, ...)
{
	if (d->opts.quiet && level > 0)
		return;
	if (level > d->cfg.log_level)
		return;
	static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "ringsided: %s ", names[level < 0 ? 0 : level > 3 ? 3 : level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ counters */

static _Atomic uint64_t *ctr(struct rs_daemon *d, uint32_t type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static _Atomic uint64_t *ctr(struct rs_daemon *d, uint32_t type, const char *fmt, ...)
{
	char label[RS_COUNTER_LABEL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	int id = rs_counters_alloc(&d->in->counters, type, 0, label);
	return id >= 0 ? rs_counters_value(&d->in->counters, id) : NULL;
}

#define CNT RS_COUNTER_TYPE_COUNTER
#define GAU RS_COUNTER_TYPE_GAUGE

static const char *line_label(const struct rs_cfg_feed *f, uint32_t l)
{
	if (l == RS_ARB_LINE_RECOVERY)
		return "retrans";
	return f->line[l].name[0] ? f->line[l].name : (l ? "B" : "A");
}

static void feed_counters(struct rs_daemon *d, uint32_t i, struct rs_rx_feed_cfg *fc)
{
	const struct rs_cfg_feed *f = &d->cfg.feed[i];
	const char *n = f->name;
	for (uint32_t l = 0; l < RS_ARB_NLINE_STATS; l++) {
		if (l >= f->nlines && l != RS_ARB_LINE_RECOVERY)
			continue;
		const char *ln = line_label(f, l);
		struct rs_rx_line_ctr *c = &fc->line[l];
		c->packets = ctr(d, CNT, "rs_line_packets_total{feed=\"%s\",line=\"%s\"}", n, ln);
		c->messages = ctr(d, CNT, "rs_line_messages_total{feed=\"%s\",line=\"%s\"}", n, ln);
		c->duplicates = ctr(d, CNT, "rs_line_duplicates_total{feed=\"%s\",line=\"%s\"}", n, ln);
		c->discarded = ctr(d, CNT, "rs_line_discarded_total{feed=\"%s\",line=\"%s\"}", n, ln);
		if (l == RS_ARB_LINE_RECOVERY)
			continue;
		c->bytes = ctr(d, CNT, "rs_line_bytes_total{feed=\"%s\",line=\"%s\"}", n, ln);
		c->drops = ctr(d, CNT, "rs_line_drops_total{feed=\"%s\",line=\"%s\"}", n, ln);
		c->last_rx_ns = ctr(d, RS_COUNTER_TYPE_HEARTBEAT, "rs_line_last_rx_ns{feed=\"%s\",line=\"%s\"}",
				    n, ln);
	}
	fc->c_messages = d->c_fmsgs[i] = ctr(d, CNT, "rs_feed_messages_total{feed=\"%s\"}", n);
	fc->c_gaps = ctr(d, CNT, "rs_feed_gaps_total{feed=\"%s\"}", n);
	fc->c_gap_messages = ctr(d, CNT, "rs_feed_gap_messages_total{feed=\"%s\"}", n);
	fc->c_recovered = ctr(d, CNT, "rs_feed_recovered_total{feed=\"%s\"}", n);
	fc->c_unrecovered = d->c_unrec[i] = ctr(d, CNT, "rs_feed_unrecovered_total{feed=\"%s\"}", n);
	fc->c_late = ctr(d, CNT, "rs_feed_late_filled_total{feed=\"%s\"}", n);
	fc->c_gaps_open = ctr(d, GAU, "rs_feed_gaps_open{feed=\"%s\"}", n);
	fc->c_next_seq = d->c_next[i] = ctr(d, GAU, "rs_feed_next_seq{feed=\"%s\"}", n);
	fc->c_state = d->c_state[i] = ctr(d, GAU, "rs_feed_state{feed=\"%s\"}", n);
	fc->c_hold_overflow = ctr(d, CNT, "rs_feed_reorder_overflow_total{feed=\"%s\"}", n);
	fc->c_bad = ctr(d, CNT, "rs_feed_bad_packets_total{feed=\"%s\"}", n);
	d->c_reconnects[i] = ctr(d, CNT, "rs_feed_reconnects_total{feed=\"%s\"}", n);
}

/* ------------------------------------------------------------ drivers */

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (!s || !*s) {
		*out = 0;
		return 0;
	}
	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

static int make_driver(struct rs_daemon *d, uint32_t fi, uint32_t li, struct rs_drv **out)
{
	const struct rs_cfg_feed *f = &d->cfg.feed[fi];
	const struct rs_cfg_line *l = &f->line[li];
	static const enum rs_drv_kind kinds[] = {RS_DRV_URING, RS_DRV_XDP, RS_DRV_DPDK, RS_DRV_PCAP};
	struct rs_drv_conf c;
	uint32_t ip;
	rs_drv_conf_init(&c, kinds[l->driver]);
	snprintf(c.ifname, sizeof(c.ifname), "%s", l->interface);
	if (parse_ip(l->group[0] ? l->group : l->bind, &ip))
		return RS_ERR_SET(-EINVAL, "feed %s line %s: bad address '%s'", f->name, l->name,
				  l->group[0] ? l->group : l->bind);
	c.filter.dst_ip = ip;
	c.filter.dst_port = l->port;
	if (parse_ip(l->source, &ip))
		return RS_ERR_SET(-EINVAL, "feed %s line %s: bad source '%s'", f->name, l->name, l->source);
	c.filter.src_ip = ip;
	c.line_id = (uint8_t)li;
	c.queue = l->queue;
	if (c.kind == RS_DRV_XDP || c.kind == RS_DRV_DPDK) {
		/* poll-mode rings are all the buffering there is: 1024 descriptors
		 * are 8 ms at 125 k packets/s, less than one scheduler hiccup on a
		 * shared core; 4096 descriptors and twice as many buffers */
		c.ring_size = 4096;
		c.buf_count = 8192;
	}
	c.core = -1;
	c.xdp_mode = l->xdp_native ? RS_DRV_XDP_NATIVE_COPY : RS_DRV_XDP_SKB;
	if (l->dpdk_vdev[0])
		snprintf(c.dpdk_vdev[0], sizeof(c.dpdk_vdev[0]), "%s", l->dpdk_vdev);
	const char *eal = getenv("RINGSIDE_DPDK_EAL");
	if (eal)
		snprintf(c.dpdk_eal, sizeof(c.dpdk_eal), "%s", eal);
	if (l->dpdk_vdev[0]) { /* the ethdev of this vdev, not the first one */
		snprintf(c.dpdk_dev, sizeof(c.dpdk_dev), "%.*s", (int)strcspn(l->dpdk_vdev, ","),
			 l->dpdk_vdev);
	}
	snprintf(c.pcap_path, sizeof(c.pcap_path), "%s", l->pcap_file);
	int rc = rs_drv_create(out, &c);
	if (rc)
		return RS_ERR_APPEND("feed %s line %s (%s)", f->name, l->name, rs_drv_kind_name(c.kind));
	return 0;
}

/* ------------------------------------------------------------ threads */

/* This thread on cpu (-1: left alone) and named; 0 or a pthread error. */
static int pin(int cpu, const char *name)
{
	int e = 0;
	if (cpu >= 0) {
		cpu_set_t cs;
		CPU_ZERO(&cs);
		CPU_SET(cpu, &cs);
		e = pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
	}
	(void)pthread_setname_np(pthread_self(), name);
	return e;
}

static void *rx_main(void *arg)
{
	struct rs_daemon *d = arg;
	(void)pin(d->cfg.nrx ? d->cfg.rx_cpu[0] : -1,
	    d->cfg.cores_mode == RS_CFG_CORES_INLINE ? "rs-inline" : "rs-rx");
	while (!atomic_load_explicit(&d->stop_rx, memory_order_relaxed)) {
		rs_rx_poll(d->rx);
		if (__builtin_expect(atomic_load_explicit(&d->pause_req, memory_order_acquire), 0)) {
			/* reconnect: the control thread swaps drivers meanwhile */
			atomic_store_explicit(&d->paused, 1, memory_order_release);
			while (atomic_load_explicit(&d->pause_req, memory_order_acquire) &&
			       !atomic_load_explicit(&d->stop_rx, memory_order_relaxed))
				__builtin_ia32_pause();
			atomic_store_explicit(&d->paused, 0, memory_order_release);
		}
	}
	rs_rx_poll(d->rx); /* last flush */
	rs_rx_sync(d->rx);
	if (d->cfg.cores_mode == RS_CFG_CORES_INLINE)
		rs_handler_sync(d->handler);
	/* release pairs with the handler's acquire: every event is in the ring */
	atomic_store_explicit(&d->rx_done, 1, memory_order_release);
	return NULL;
}

static void *handler_main(void *arg)
{
	struct rs_daemon *d = arg;
	(void)pin(d->cfg.nhandlers ? d->cfg.handler_cpu[0] : -1, "rs-handler");
	uint64_t loops = 0, busy = 0, t_sync = 0, ms = rs_lat_ticks(&d->clock, 1000000);
	for (;;) {
		uint32_t n = rs_pipe_handler_poll(d->handler, &d->ring_cons);
		loops++;
		busy += n != 0;
		if (!n && atomic_load_explicit(&d->rx_done, memory_order_acquire) &&
		    !rs_ring_count(&d->ring_cons))
			break;
		uint64_t now = rs_tsc();
		if (now - t_sync >= ms) {
			t_sync = now;
			if (d->c_hloops) {
				rs_counters_set(d->c_hloops, loops);
				rs_counters_set(d->c_hbusy, busy);
				rs_counters_set(d->c_ring_occ, rs_ring_count(&d->ring_cons));
			}
		}
	}
	rs_handler_sync(d->handler);
	if (d->c_hloops) {
		rs_counters_set(d->c_hloops, loops);
		rs_counters_set(d->c_hbusy, busy);
		rs_counters_set(d->c_ring_occ, 0);
	}
	return NULL;
}

/* ------------------------------------------------------------ create */

static void session_date(int *y, int *m, int *dd)
{
	/* New York's calendar day (close enough: -5 h) */
	time_t t = time(NULL) - 5 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*dd = tm.tm_mday;
}

int rs_daemon_create(struct rs_daemon **out, const struct rs_config *cfg,
		     const struct rs_daemon_opts *opts)
{
	int rc;
	*out = NULL;
	if (cfg->nfeeds < 1 || cfg->nfeeds > RS_RX_MAX_FEEDS)
		return RS_ERR_SET(-EINVAL, "config: 1..%d feeds (got %u)", RS_RX_MAX_FEEDS, cfg->nfeeds);
	if (cfg->cores_mode == RS_CFG_CORES_PIPELINE && cfg->nhandlers > 1)
		return RS_ERR_SET(-ENOTSUP, "config: cores.handlers: one handler core is supported "
					    "today (got %u): the events ring and tables have one writer",
				  cfg->nhandlers);
	struct rs_daemon *d = calloc(1, sizeof(*d));
	if (!d)
		return RS_ERR_SET(-ENOMEM, "daemon: out of memory");
	d->cfg = *cfg;
	if (opts)
		d->opts = *opts;
	if (d->opts.config_path)
		snprintf(d->cfg_path, sizeof(d->cfg_path), "%s", d->opts.config_path);
	d->opts.config_path = d->cfg_path[0] ? d->cfg_path : NULL;
	d->t_start = mono_ns();
	/* the threads started below inherit the mask: only rs_daemon_run's
	 * sigtimedwait takes SIGTERM/SIGINT/SIGHUP */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rs_lat_calibrate(&d->clock, 20000000);

	/* shared memory: a new generation (clients of the old one see -ESTALE) */
	struct rs_instance_conf ic;
	rs_instance_conf_default(&ic, cfg->instance);
	if (cfg->instruments)
		ic.max_instruments = cfg->instruments;
	if (cfg->depth)
		ic.depth = cfg->depth;
	if (cfg->event_ring)
		ic.event_slots = cfg->event_ring;
	if (cfg->shm_mode)
		ic.mode = cfg->shm_mode;
	ic.gid = cfg->shm_gid;
	ic.huge = cfg->huge == RS_CFG_HUGE_ON ? RS_SHM_HUGE_REQUIRE
		  : cfg->huge == RS_CFG_HUGE_OFF ? RS_SHM_HUGE_OFF : RS_SHM_HUGE_AUTO;
	ic.reserve = cfg->huge != RS_CFG_HUGE_OFF;
	ic.analytics = cfg->analytics.enabled;
	if (cfg->analytics_ring)
		ic.analytics_slots = cfg->analytics_ring;
	if ((rc = rs_instance_create(&d->in, &ic))) {
		RS_ERR_APPEND("instance '%s'", cfg->instance);
		goto fail;
	}
	if ((rc = rs_instdir_init(&d->dir, 65536, 1)))
		goto fail;
	d->dir_init = true;
	if ((rc = rs_instdir_attach_table(&d->dir, &d->in->instruments)))
		goto fail;

	/* handler stage */
	struct rs_handler_cfg hc;
	memset(&hc, 0, sizeof(hc));
	rs_book_cfg_default(&hc.book);
	if (cfg->instruments)
		hc.book.max_instruments = cfg->instruments;
	if (cfg->orders)
		hc.book.max_orders = cfg->orders;
	if (cfg->levels)
		hc.book.max_levels = cfg->levels;
	hc.book.depth = d->in->depth_levels;
	hc.book.reserve_huge = cfg->huge != RS_CFG_HUGE_OFF;
	hc.events = &d->in->events;
	hc.bbo = &d->in->bbo;
	hc.depth = &d->in->depth;
	hc.clock = &d->clock;
	int hcore = cfg->cores_mode == RS_CFG_CORES_INLINE ? (cfg->nrx ? cfg->rx_cpu[0] : 0)
							  : (cfg->nhandlers ? cfg->handler_cpu[0] : 0);
	struct rs_latency_block *lb = d->in->latency;
	hc.lat = &lb->hist[0];
	char hname[32];
	snprintf(hname, sizeof(hname), "rx_to_publish/core%d", hcore);
	rs_lat_hist_init(hc.lat, hname);
	hc.lat_wire = &lb->hist[1];
	snprintf(hname, sizeof(hname), "wire_to_publish/core%d", hcore);
	rs_lat_hist_init(hc.lat_wire, hname);
	lb->nhist = 2;
	hc.c_events = ctr(d, CNT, "rs_events_published_total");
	hc.c_rejected = ctr(d, CNT, "rs_book_rejected_total");
	hc.c_orders_live = ctr(d, GAU, "rs_book_orders_live");
	hc.c_bcast_overwrites = ctr(d, CNT, "rs_bcast_overwrites_total{ring=\"events\"}");
	hc.event_slots = ic.event_slots;
	for (uint32_t i = 0; i < cfg->nfeeds; i++)
		hc.c_stale_inst[i] = ctr(d, GAU, "rs_feed_stale_instruments{feed=\"%s\"}", cfg->feed[i].name);
	if ((rc = rs_handler_create(&d->handler, &hc)))
		goto fail;
	for (uint32_t k = 0; k < g_nhooks; k++)
		if ((rc = rs_handler_add_hook(d->handler, &g_hooks[k])))
			goto fail;
	if ((rc = rs_daemon_an_create(&d->an, cfg, d->in, d->handler)))
		goto fail;

	/* rx stage */
	struct rs_rx_cfg rc_;
	memset(&rc_, 0, sizeof(rc_));
	rc_.nfeeds = cfg->nfeeds;
	rc_.dir = &d->dir;
	session_date(&rc_.year, &rc_.month, &rc_.day);
	rc_.clock = &d->clock;
	const char *role = cfg->cores_mode == RS_CFG_CORES_INLINE ? "inline" : "rx";
	int rxcore = cfg->nrx ? cfg->rx_cpu[0] : -1;
	rc_.c_loops = ctr(d, CNT, "rs_core_loops_total{core=\"%d\",role=\"%s\"}", rxcore, role);
	rc_.c_busy = ctr(d, CNT, "rs_core_busy_loops_total{core=\"%d\",role=\"%s\"}", rxcore, role);
	if (cfg->cores_mode == RS_CFG_CORES_INLINE) {
		rc_.inline_handler = d->handler;
	} else {
		uint32_t cap = cfg->handler_ring ? cfg->handler_ring : 65536;
		size_t fp = rs_ring_footprint(cap);
		if (!fp) {
			rc = RS_ERR_SET(-EINVAL, "capacities.handler_ring: %u is not a power of two", cap);
			goto fail;
		}
		fp = (fp + 4095) & ~(size_t)4095;
		d->ring_mem = aligned_alloc(4096, fp);
		if (!d->ring_mem) {
			rc = RS_ERR_SET(-ENOMEM, "handler ring: out of memory");
			goto fail;
		}
		memset(d->ring_mem, 0, fp);
		if ((rc = rs_ring_init(&d->ring_prod, d->ring_mem, fp, cap)) ||
		    (rc = rs_ring_attach(&d->ring_cons, d->ring_mem, fp)))
			goto fail;
		rc_.out = &d->ring_prod;
		rc_.c_ring_full = ctr(d, CNT, "rs_ring_full_total{ring=\"handler0\"}");
		d->c_ring_occ = ctr(d, GAU, "rs_ring_occupancy{ring=\"handler0\"}");
		d->c_ring_cap = ctr(d, GAU, "rs_ring_capacity{ring=\"handler0\"}");
		if (d->c_ring_cap)
			rs_counters_set(d->c_ring_cap, cap);
		d->c_hloops = ctr(d, CNT, "rs_core_loops_total{core=\"%d\",role=\"handler\"}", hcore);
		d->c_hbusy = ctr(d, CNT, "rs_core_busy_loops_total{core=\"%d\",role=\"handler\"}", hcore);
	}
	struct rs_recovery_cfg rcv;
	memset(&rcv, 0, sizeof(rcv));
	rcv.nfeeds = cfg->nfeeds;
	rcv.cpu = cfg->control_cpu;
	bool any_recovery = false;
	for (uint32_t i = 0; i < cfg->nfeeds; i++) {
		const struct rs_cfg_feed *f = &cfg->feed[i];
		struct rs_rx_feed_cfg *fc = &rc_.feed[i];
		fc->nlines = f->nlines;
		for (uint32_t l = 0; l < f->nlines; l++) {
			if ((rc = make_driver(d, i, l, &d->drv[i][l])))
				goto fail;
			fc->drv[l] = d->drv[i][l];
		}
		/* a gap waits this long for the other line before it is requested anyway */
		fc->gap_timeout_ns = 1000000;
		fc->deadline_ns = f->recovery.deadline_ns ? f->recovery.deadline_ns : 2000000000ull;
		/* without a re-request server only the other line can fill a gap:
		 * waiting longer than a generous A/B skew would only stall the feed
		 * (and overflow the reorder buffer) */
		if (!f->recovery.server[0])
			fc->deadline_ns = f->nlines > 1 ? NO_RECOVERY_DEADLINE_NS : fc->gap_timeout_ns;
		/* reorder buffer full (4096 packets: tens of ms of feed) and still
		 * no fill after 100 ms: the feed is overloaded, keep it live */
		fc->overflow_deadline_ns = 100000000ull;
		if (f->session[0]) {
			memset(fc->session, ' ', sizeof(fc->session));
			memcpy(fc->session, f->session, strnlen(f->session, sizeof(fc->session)));
		}
		feed_counters(d, i, fc);
		struct rs_recovery_feed_cfg *r = &rcv.feed[i];
		snprintf(r->name, sizeof(r->name), "%s", f->name);
		if (f->recovery.server[0]) {
			if ((rc = rs_rlink_create(&d->link[i], 1u << 22)))
				goto fail;
			fc->link = d->link[i];
			snprintf(r->server, sizeof(r->server), "%s", f->recovery.server);
			r->max_messages = f->recovery.max_messages;
			r->rate = f->recovery.rate;
			r->retries = f->recovery.retries;
			r->timeout_ns = f->recovery.timeout_ns;
			r->deadline_ns = fc->deadline_ns;
			r->link = d->link[i];
			r->next_seq = d->c_next[i];
			r->c_requests = ctr(d, CNT, "rs_feed_requests_total{feed=\"%s\"}", f->name);
			any_recovery = true;
		}
	}
	if ((rc = rs_rx_create(&d->rx, &rc_)))
		goto fail;
	if (any_recovery && (rc = rs_recovery_start(&d->rec, &rcv)))
		goto fail;

	rs_instance_publish(d->in);
	if ((rc = -pthread_create(&d->thr_rx, NULL, rx_main, d))) {
		RS_ERR_SET(rc, "pthread_create: %s", strerror(-rc));
		goto fail;
	}
	d->rx_started = true;
	if (cfg->cores_mode == RS_CFG_CORES_PIPELINE) {
		if ((rc = -pthread_create(&d->thr_h, NULL, handler_main, d))) {
			RS_ERR_SET(rc, "pthread_create: %s", strerror(-rc));
			goto fail;
		}
		d->h_started = true;
	}
	/* this (control) thread on the control core, after the dataplane
	 * threads pinned themselves; the ctl and HTTP threads started later
	 * inherit it. Left on every core, it and they would wake on the
	 * dataplane core and preempt the poller. */
	int e = pin(cfg->control_cpu, "ringsided");
	if (e)
		logf_(d, 1, "WARN control thread not pinned to CPU %d: %s", cfg->control_cpu, strerror(e));
	logf_(d, 2, "instance '%s' generation %u up: %u feed(s), %s mode, %s, TSC %" PRIu64 " ticks/us",
	      cfg->instance, d->in->generation, cfg->nfeeds,
	      cfg->cores_mode == RS_CFG_CORES_INLINE ? "inline" : "pipeline",
	      d->in->huge ? "2 MiB huge pages" : "ordinary shared memory", d->clock.ticks_per_us);
	*out = d;
	return 0;
fail:
	rs_daemon_destroy(d);
	return rc;
}

/* ------------------------------------------------------------ stop */

int rs_daemon_reconnect(struct rs_daemon *d, const char *feed)
{
	uint32_t i;
	for (i = 0; i < d->cfg.nfeeds && strcmp(d->cfg.feed[i].name, feed); i++)
		;
	if (i == d->cfg.nfeeds)
		return RS_ERR_SET(-ENOENT, "no feed '%s'", feed);
	/* pause the rx thread (it finishes its loop iteration first) */
	atomic_store_explicit(&d->pause_req, 1, memory_order_release);
	uint64_t t0 = mono_ns();
	while (d->rx_started && !atomic_load_explicit(&d->paused, memory_order_acquire)) {
		if (mono_ns() - t0 > 2000000000ull) {
			atomic_store_explicit(&d->pause_req, 0, memory_order_release);
			return RS_ERR_SET(-ETIMEDOUT, "feed %s: the rx thread did not pause within 2 s", feed);
		}
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	/* close every line, then open them again (same port: the old socket,
	 * XDP program or port must be gone first) */
	int rc = 0;
	for (uint32_t l = 0; l < d->cfg.feed[i].nlines; l++) {
		rs_drv_destroy(rs_rx_swap_driver(d->rx, i, l, NULL));
		d->drv[i][l] = NULL;
	}
	for (uint32_t l = 0; l < d->cfg.feed[i].nlines; l++) {
		struct rs_drv *nd = NULL;
		int r = make_driver(d, i, l, &nd);
		if (r) {
			logf_(d, 0, "reconnect: %s", rs_err_msg());
			rc = rc ? rc : r;
			continue;
		}
		d->drv[i][l] = nd;
		rs_rx_swap_driver(d->rx, i, l, nd);
	}
	if (d->c_reconnects[i])
		rs_counters_add_shared(d->c_reconnects[i], 1);
	atomic_store_explicit(&d->pause_req, 0, memory_order_release);
	logf_(d, rc ? 0 : 2, "feed %s: reconnected (%s)", feed, rc ? "some lines failed" : "all lines");
	return rc ? RS_ERR_SET(rc, "feed %s: a line could not be reopened (see the log)", feed) : 0;
}

void rs_daemon_stop(struct rs_daemon *d)
{
	atomic_store_explicit(&d->stop_req, 1, memory_order_release);
}

void rs_daemon_request_reload(struct rs_daemon *d)
{
	atomic_store_explicit(&d->reload_req, 1, memory_order_release);
}

void rs_daemon_destroy(struct rs_daemon *d)
{
	if (!d)
		return;
	/* drain: rx stops receiving and flushes, the handler empties its ring */
	atomic_store_explicit(&d->stop_rx, 1, memory_order_relaxed);
	if (d->rx_started)
		pthread_join(d->thr_rx, NULL);
	else
		atomic_store_explicit(&d->rx_done, 1, memory_order_release);
	if (d->h_started)
		pthread_join(d->thr_h, NULL);
	rs_recovery_stop(d->rec);
	rs_rx_destroy(d->rx);
	for (uint32_t i = 0; i < RS_CFG_MAX_FEEDS; i++) {
		for (uint32_t l = 0; l < RS_CFG_MAX_LINES; l++)
			rs_drv_destroy(d->drv[i][l]);
		rs_rlink_destroy(d->link[i]);
	}
	rs_handler_destroy(d->handler);
	rs_daemon_an_destroy(d->an);
	free(d->ring_mem);
	if (d->dir_init)
		rs_instdir_fini(&d->dir);
	if (d->in) {
		rs_instance_heartbeat(d->in);
		rs_instance_close(d->in, d->opts.remove_on_exit);
	}
	free(d);
}

/* ------------------------------------------------------------ reload */

int rs_daemon_reload(struct rs_daemon *d)
{
	if (!d->opts.config_path)
		return RS_ERR_SET(-ENOENT, "reload: running on the embedded configuration (no file)");
	struct rs_config *nc = malloc(sizeof(*nc));
	if (!nc)
		return RS_ERR_SET(-ENOMEM, "reload: out of memory");
	int rc = rs_config_load_file(nc, d->opts.config_path);
	if (rc) {
		free(nc);
		return RS_ERR_APPEND("reload %s", d->opts.config_path);
	}
	rc = rs_config_reload(&d->cfg, nc);
	free(nc);
	if (rc < 0)
		return RS_ERR_APPEND("reload %s", d->opts.config_path);
	for (uint32_t i = 0; i < d->cfg.nfeeds; i++) {
		const struct rs_cfg_recovery *r = &d->cfg.feed[i].recovery;
		uint64_t deadline = !r->server[0] ? (d->cfg.feed[i].nlines > 1 ? NO_RECOVERY_DEADLINE_NS : 1000000)
				    : r->deadline_ns ? r->deadline_ns : 2000000000ull;
		rs_rx_request_timeouts(d->rx, i, 1000000, deadline);
		if (d->rec)
			rs_recovery_set_params(d->rec, i, r->rate, r->timeout_ns, r->retries, deadline);
	}
	logf_(d, 2, "reloaded %s: %d key(s) changed", d->opts.config_path, rc);
	return rc;
}

/* ------------------------------------------------------------ views */

static uint64_t get(_Atomic uint64_t *c)
{
	return c ? rs_counters_get(c) : 0;
}

int rs_daemon_feeds_json(struct rs_daemon *d, char *out, size_t len)
{
	static const char *const states[] = {"down", "up", "recovering", "stale"};
	size_t o = 0;
	o += (size_t)snprintf(out + o, o < len ? len - o : 0, "{\"feeds\":[");
	for (uint32_t i = 0; i < d->cfg.nfeeds; i++) {
		uint64_t st = get(d->c_state[i]);
		struct rs_recovery_stats rs;
		memset(&rs, 0, sizeof(rs));
		if (d->rec)
			rs_recovery_get_stats(d->rec, i, &rs);
		o += (size_t)snprintf(out + o, o < len ? len - o : 0,
				      "%s{\"name\":\"%s\",\"state\":\"%s\",\"messages\":%" PRIu64
				      ",\"next_seq\":%" PRIu64 ",\"unrecovered\":%" PRIu64
				      ",\"requests\":%" PRIu64 ",\"pending_requests\":%" PRIu64 ",\"lines\":%u}",
				      i ? "," : "", d->cfg.feed[i].name, states[st < 4 ? st : 0],
				      get(d->c_fmsgs[i]), get(d->c_next[i]), get(d->c_unrec[i]), rs.requests,
				      rs.pending, d->cfg.feed[i].nlines);
	}
	o += (size_t)snprintf(out + o, o < len ? len - o : 0, "]}");
	return (int)o;
}

int rs_daemon_status_json(struct rs_daemon *d, char *out, size_t len)
{
	const struct rs_latency_hist *h = &d->in->latency->hist[0], *w = &d->in->latency->hist[1];
	return snprintf(out, len,
			"{\"instance\":\"%s\",\"generation\":%u,\"pid\":%d,\"version\":\"%s\","
			"\"mode\":\"%s\",\"uptime_s\":%.3f,\"huge_pages\":%s,\"feeds\":%u,"
			"\"latency_ns\":{\"count\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
			",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 "},"
			"\"wire_latency_ns\":{\"count\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
			",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 "}}",
			d->cfg.instance, d->in->generation, (int)getpid(), RS_VERSION_STRING,
			d->cfg.cores_mode == RS_CFG_CORES_INLINE ? "inline" : "pipeline",
			(double)(mono_ns() - d->t_start) / 1e9, d->in->huge ? "true" : "false",
			d->cfg.nfeeds, h->count, rs_lat_percentile(h, 0.5), rs_lat_percentile(h, 0.99),
			rs_lat_percentile(h, 0.999), h->count ? h->max_ns : 0, w->count,
			rs_lat_percentile(w, 0.5), rs_lat_percentile(w, 0.99), rs_lat_percentile(w, 0.999),
			w->count ? w->max_ns : 0);
}

/* ------------------------------------------------------------ run */

int rs_daemon_run(struct rs_daemon *d)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rs_sdnotify("READY=1\nSTATUS=running");
	uint64_t t_status = mono_ns(), last_msgs = 0;
	while (!atomic_load_explicit(&d->stop_req, memory_order_acquire)) {
		struct timespec to = {0, 100000000};
		int sig = sigtimedwait(&set, NULL, &to);
		if (sig == SIGTERM || sig == SIGINT) {
			logf_(d, 2, "%s: draining and stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP || atomic_exchange(&d->reload_req, 0)) {
			rs_sdnotify("RELOADING=1");
			if (rs_daemon_reload(d) < 0)
				logf_(d, 0, "%s", rs_err_msg());
			rs_sdnotify("READY=1");
		}
		rs_daemon_an_poll(d->an);
		uint64_t now = mono_ns();
		for (uint32_t i = 0; i < d->cfg.nfeeds; i++) {
			uint64_t u = get(d->c_unrec[i]);
			if (u > d->unrec_seen[i]) {
				logf_(d, 0, "feed %s: %" PRIu64 " message(s) UNRECOVERABLE (gap skipped at the "
					    "deadline); its instruments are marked stale until the next session",
				      d->cfg.feed[i].name, u - d->unrec_seen[i]);
				d->unrec_seen[i] = u;
			}
		}
		if (now - t_status >= 1000000000ull) {
			rs_instance_heartbeat(d->in);
			uint64_t m = 0;
			for (uint32_t i = 0; i < d->cfg.nfeeds; i++)
				m += get(d->c_fmsgs[i]);
			char st[160];
			snprintf(st, sizeof(st), "STATUS=%.0f msg/s, %" PRIu64 " messages, generation %u",
				 (double)(m - last_msgs) * 1e9 / (double)(now - t_status), m, d->in->generation);
			rs_sdnotify(st);
			last_msgs = m;
			t_status = now;
		}
	}
	rs_sdnotify("STOPPING=1");
	return 0;
}
