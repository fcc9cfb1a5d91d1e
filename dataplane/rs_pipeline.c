/*
 * rs_pipeline.c - rx stage (drivers -> arbitration -> ITCH decode ->
 * handler or SPSC ring) and the recovery link rings. See rs_pipeline.h.
 */
#include "dataplane/rs_pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_instdir.h"
#include "dataplane/rs_itch.h"
#include "drivers/rs_drv.h"
#include "shm/rs_counters.h"
#include "shm/rs_err.h"

#define OUT_CAP 512                       /* events per flush at most */
/* Flush (process / enqueue and publish) after each packet once this many
 * events are pending: a packet's events are published before the next
 * packet of the burst is decoded, so rx -> publication does not include
 * the rest of the burst (~100-200 ns per event); costs a few more BBO row
 * writes when one instrument changes in consecutive packets. */
#define FLUSH_EVENTS 8
#define OUT_SLACK (RS_ITCH_MAX_EVENTS + 4) /* one message + control records */

struct rs_rx_feed {
	struct rs_rx_feed_cfg cfg;
	struct rs_arb *arb;
	struct rs_itch_dec dec;
	struct rs_rx *rx;
	uint8_t id;
	bool seen;                 /* any packet yet */
	/* reload request from another thread: values, then the flag (release) */
	uint64_t new_timeout, new_deadline;
	_Atomic uint32_t reload;
	/* driver counters of lines' earlier drivers (reconnect), so the
	 * published totals stay monotonic across a driver swap */
	uint64_t base_pkts[RS_ARB_MAX_LINES], base_bytes[RS_ARB_MAX_LINES], base_drops[RS_ARB_MAX_LINES];
};

struct rs_rx {
	struct rs_rx_cfg cfg;
	struct rs_rx_feed feed[RS_RX_MAX_FEEDS];
	uint64_t ms_ticks;
	uint64_t last_sync;
	uint64_t now;              /* tsc of the current loop */
	bool marked;               /* the current burst has its MARK record */
	uint64_t loops, busy, ring_full;
	uint32_t nout;
	struct rs_event out[OUT_CAP + OUT_SLACK];
};

/* ------------------------------------------------------------ recovery link */

int rs_rlink_create(struct rs_rlink **out, uint32_t bytes)
{
	*out = NULL;
	size_t fp = rs_vring_footprint(bytes);
	if (!fp)
		return RS_ERR_SET(-EINVAL, "recovery link: %u bytes is not a power of two >= 64", bytes);
	fp = (fp + 63) & ~(size_t)63;
	struct rs_rlink *l = calloc(1, sizeof(*l));
	if (!l)
		return RS_ERR_SET(-ENOMEM, "recovery link: out of memory");
	l->mem = aligned_alloc(64, 2 * fp);
	if (!l->mem) {
		free(l);
		return RS_ERR_SET(-ENOMEM, "recovery link: out of memory");
	}
	memset(l->mem, 0, 2 * fp);
	uint8_t *m = l->mem;
	int rc;
	if ((rc = rs_vring_init(&l->req_tx, m, fp, bytes)) || (rc = rs_vring_attach(&l->req_rx, m, fp)) ||
	    (rc = rs_vring_init(&l->pkt_tx, m + fp, fp, bytes)) ||
	    (rc = rs_vring_attach(&l->pkt_rx, m + fp, fp))) {
		rs_rlink_destroy(l);
		return rc;
	}
	*out = l;
	return 0;
}

void rs_rlink_destroy(struct rs_rlink *l)
{
	if (!l)
		return;
	free(l->mem);
	free(l);
}

/* ------------------------------------------------------------ output */

static void flush(struct rs_rx *rx)
{
	uint32_t n = rx->nout;
	rx->nout = 0;
	rx->marked = false;
	if (!n)
		return;
	if (rx->cfg.inline_handler) {
		rs_handler_process(rx->cfg.inline_handler, rx->out, n);
		return;
	}
	uint32_t done = 0;
	bool full = false;
	while (done < n) {
		uint32_t k = rs_ring_enqueue_burst(rx->cfg.out, rx->out + done, n - done);
		if (!k && !full) {
			full = true; /* the handler is behind: wait, never drop after arbitration */
			rx->ring_full++;
		}
		done += k;
	}
}

static inline struct rs_event *out_slot(struct rs_rx *rx)
{
	if (!rx->marked) {
		rs_handler_ctl_rec(&rx->out[rx->nout++], RS_HREC_MARK, 0, rx->now);
		rx->marked = true;
	}
	return &rx->out[rx->nout];
}

static void on_deliver(void *ctx, const uint8_t *msg, uint32_t len, uint64_t seq, uint32_t line,
		       uint32_t flags, uint64_t ts)
{
	struct rs_rx_feed *f = ctx;
	struct rs_rx *rx = f->rx;
	struct rs_event *e = out_slot(rx);
	f->dec.line_id = (uint8_t)line;
	unsigned n = rs_itch_decode(&f->dec, msg, len, seq, ts, e);
	if (__builtin_expect(flags != 0, 0)) {
		uint32_t add = ((flags & RS_ARB_F_STALE) ? RS_EVF_STALE : 0) |
			       ((flags & RS_ARB_F_RECOVERED) ? RS_EVF_RECOVERED : 0);
		for (unsigned i = 0; i < n; i++)
			e[i].rs_flags |= add;
	}
	rx->nout += n;
	if (rx->nout >= OUT_CAP)
		flush(rx);
}

static void on_request(void *ctx, const uint8_t *session, uint64_t seq, uint64_t count)
{
	struct rs_rx_feed *f = ctx;
	if (!f->cfg.link)
		return;
	struct rs_rlink_req r;
	memset(&r, 0, sizeof(r));
	memcpy(r.session, session, sizeof(r.session));
	r.feed = f->id;
	r.seq = seq;
	r.count = count;
	/* a full request ring loses the request; the gap then runs into its
	 * deadline (counted as unrecovered), never blocks the rx thread */
	(void)rs_vring_write(&f->cfg.link->req_tx, RS_RLINK_REQ, &r, sizeof(r));
}

/* RS_INSTF_STALE in the instrument directory rows (this thread writes
 * that table). The directory is shared by the feeds: every row is marked
 * while any feed is stale. Rare (a gap lost on every line): one pass over
 * the directory, seqlocked writes, no system call. */
static void dir_stale(struct rs_rx *rx)
{
	struct rs_instdir *d = rx->cfg.dir;
	if (!d)
		return;
	bool any = false;
	for (uint32_t i = 0; i < rx->cfg.nfeeds; i++)
		any |= rs_arb_stats(rx->feed[i].arb)->stale != 0;
	for (uint32_t i = 0; i < d->count; i++) {
		struct rs_instrument *in = &d->inst[d->used[i]];
		in->flags = any ? (uint16_t)(in->flags | RS_INSTF_STALE)
				: (uint16_t)(in->flags & ~RS_INSTF_STALE);
	}
	if (d->tab)
		rs_instdir_attach_table(d, d->tab); /* republishes every row */
}

static void on_event(void *ctx, enum rs_arb_ev ev, uint64_t arg)
{
	struct rs_rx_feed *f = ctx;
	struct rs_rx *rx = f->rx;
	(void)arg;
	switch (ev) {
	case RS_ARB_EV_STALE_ON:
	case RS_ARB_EV_STALE_OFF:
		rs_handler_ctl_rec(out_slot(rx), RS_HREC_STALE, f->id, ev == RS_ARB_EV_STALE_ON);
		rx->nout++;
		dir_stale(rx);
		break;
	case RS_ARB_EV_SESSION:
		rs_handler_ctl_rec(out_slot(rx), RS_HREC_RESET, f->id, 0);
		rx->nout++;
		break;
	default:
		break;
	}
	if (rx->nout >= OUT_CAP)
		flush(rx);
}

/* ------------------------------------------------------------ set-up */

int rs_rx_create(struct rs_rx **out, const struct rs_rx_cfg *cfg)
{
	*out = NULL;
	if (!cfg->nfeeds || cfg->nfeeds > RS_RX_MAX_FEEDS || !cfg->clock ||
	    (!cfg->inline_handler == !cfg->out))
		return RS_ERR_SET(-EINVAL, "rx stage: 1..%d feeds, a clock and exactly one of "
					   "inline handler / output ring", RS_RX_MAX_FEEDS);
	struct rs_rx *rx = aligned_alloc(64, (sizeof(*rx) + 63) & ~(size_t)63);
	if (!rx)
		return RS_ERR_SET(-ENOMEM, "rx stage: out of memory");
	memset(rx, 0, sizeof(*rx));
	rx->cfg = *cfg;
	rx->ms_ticks = rs_lat_ticks(cfg->clock, 1000000);
	for (uint32_t i = 0; i < cfg->nfeeds; i++) {
		struct rs_rx_feed *f = &rx->feed[i];
		f->cfg = cfg->feed[i];
		f->rx = rx;
		f->id = (uint8_t)i;
		rs_itch_dec_init(&f->dec, 1);
		f->dec.feed_id = (uint8_t)i;
		if (cfg->year)
			rs_itch_dec_set_date(&f->dec, cfg->year, cfg->month, cfg->day);
		if (cfg->dir)
			rs_instdir_bind(cfg->dir, &f->dec);
		struct rs_arb_cfg ac;
		memset(&ac, 0, sizeof(ac));
		ac.nlines = f->cfg.nlines;
		ac.hold_pkts = f->cfg.hold_pkts;
		ac.gap_timeout = rs_lat_ticks(cfg->clock, f->cfg.gap_timeout_ns);
		ac.deadline = rs_lat_ticks(cfg->clock, f->cfg.deadline_ns);
		ac.overflow_deadline = rs_lat_ticks(cfg->clock, f->cfg.overflow_deadline_ns);
		memcpy(ac.session, f->cfg.session, sizeof(ac.session));
		ac.deliver = on_deliver;
		ac.request = on_request;
		ac.event = on_event;
		ac.ctx = f;
		int rc = rs_arb_create(&f->arb, &ac);
		if (rc) {
			rs_rx_destroy(rx);
			return RS_ERR_APPEND("feed %u", i);
		}
	}
	*out = rx;
	return 0;
}

void rs_rx_destroy(struct rs_rx *rx)
{
	if (!rx)
		return;
	for (uint32_t i = 0; i < rx->cfg.nfeeds; i++)
		rs_arb_destroy(rx->feed[i].arb);
	free(rx);
}

const struct rs_arb_stats *rs_rx_arb_stats(const struct rs_rx *rx, uint32_t feed)
{
	return rs_arb_stats(rx->feed[feed].arb);
}

void rs_rx_request_timeouts(struct rs_rx *rx, uint32_t feed, uint64_t gap_timeout_ns,
			    uint64_t deadline_ns)
{
	struct rs_rx_feed *f = &rx->feed[feed];
	f->new_timeout = rs_lat_ticks(rx->cfg.clock, gap_timeout_ns);
	f->new_deadline = rs_lat_ticks(rx->cfg.clock, deadline_ns);
	/* release pairs with the acquire exchange in rs_rx_poll: values first */
	atomic_store_explicit(&f->reload, 1, memory_order_release);
}

/* ------------------------------------------------------------ counters */

static inline void cset(_Atomic uint64_t *c, uint64_t v)
{
	if (c)
		rs_counters_set(c, v);
}

void rs_rx_sync(struct rs_rx *rx)
{
	uint64_t real = rs_lat_real_ns(rx->cfg.clock, rx->now ? rx->now : rs_tsc());
	for (uint32_t i = 0; i < rx->cfg.nfeeds; i++) {
		struct rs_rx_feed *f = &rx->feed[i];
		const struct rs_arb_stats *s = rs_arb_stats(f->arb);
		for (uint32_t l = 0; l < RS_ARB_NLINE_STATS; l++) {
			const struct rs_rx_line_ctr *c = &f->cfg.line[l];
			const struct rs_arb_line_stats *ls = &s->line[l];
			if (l < f->cfg.nlines && f->cfg.drv[l]) {
				/* relaxed loads pair with rs__drv_ctr_add (inline here: the
				 * dataplane library does not link the drivers) */
				const struct rs_drv_counters *dc = &f->cfg.drv[l]->ctr;
				cset(c->packets, f->base_pkts[l] + __atomic_load_n(&dc->packets, __ATOMIC_RELAXED));
				cset(c->bytes, f->base_bytes[l] + __atomic_load_n(&dc->bytes, __ATOMIC_RELAXED));
				cset(c->drops, f->base_drops[l] + __atomic_load_n(&dc->drops, __ATOMIC_RELAXED));
			} else if (l == RS_ARB_LINE_RECOVERY) {
				cset(c->packets, ls->packets);
			}
			cset(c->messages, ls->messages);
			cset(c->duplicates, ls->duplicates);
			cset(c->discarded, ls->discarded);
			if (ls->last_rx)
				cset(c->last_rx_ns, real - rs_lat_ns(rx->cfg.clock, rx->now - ls->last_rx));
		}
		cset(f->cfg.c_messages, s->delivered);
		cset(f->cfg.c_gaps, s->gaps);
		cset(f->cfg.c_gap_messages, s->gap_messages);
		cset(f->cfg.c_recovered, s->recovered);
		cset(f->cfg.c_unrecovered, s->unrecovered);
		cset(f->cfg.c_late, s->late_filled);
		cset(f->cfg.c_gaps_open, s->gaps_open);
		cset(f->cfg.c_next_seq, s->next);
		cset(f->cfg.c_hold_overflow, s->hold_overflow);
		cset(f->cfg.c_bad, s->bad_packets + s->wrong_session);
		cset(f->cfg.c_state, !f->seen ? 0 : s->unrec_stale ? 3 : s->stale ? 2 : 1);
	}
	cset(rx->cfg.c_loops, rx->loops);
	cset(rx->cfg.c_busy, rx->busy);
	cset(rx->cfg.c_ring_full, rx->ring_full);
}

/* ------------------------------------------------------------ loop */

static void on_retrans(void *ctx, uint32_t type, const void *data, uint32_t len)
{
	struct rs_rx_feed *f = ctx;
	if (type == RS_RLINK_PKT)
		rs_arb_rx(f->arb, data, len, RS_ARB_LINE_RECOVERY,
			  rs_lat_real_ns(f->rx->cfg.clock, f->rx->now), f->rx->now);
}

uint32_t rs_rx_poll(struct rs_rx *rx)
{
	struct rs_drv_pkt pkts[RS_RX_BURST];
	uint32_t work = 0;
	uint64_t now = rs_tsc();
	rx->now = now;
	for (uint32_t i = 0; i < rx->cfg.nfeeds; i++) {
		struct rs_rx_feed *f = &rx->feed[i];
		const struct rs_arb_stats *s = rs_arb_stats(f->arb);
		uint64_t before = s->delivered;
		for (uint32_t l = 0; l < f->cfg.nlines; l++) {
			struct rs_drv *d = f->cfg.drv[l];
			if (!d)
				continue;
			unsigned n = rs_drv_rx_burst(d, pkts, RS_RX_BURST);
			if (!n)
				continue;
			f->seen = true;
			now = rx->now = rs_tsc(); /* the burst's rx time (MARK records) */
			for (unsigned k = 0; k < n; k++) {
				if (k + 1 < n)
					__builtin_prefetch(pkts[k + 1].data);
				uint64_t ts = pkts[k].ts_ns ? pkts[k].ts_ns : rs_lat_real_ns(rx->cfg.clock, now);
				rs_arb_rx(f->arb, pkts[k].data, pkts[k].len, l, ts, now);
				if (rx->nout >= FLUSH_EVENTS)
					flush(rx);
			}
			rs_drv_release(d, pkts, n);
			work += n;
		}
		if (f->cfg.link)
			work += rs_vring_poll(&f->cfg.link->pkt_rx, on_retrans, f, 64);
		if (rs_arb_gap_pending(f->arb))
			rs_arb_poll(f->arb, now);
		if (__builtin_expect(atomic_load_explicit(&f->reload, memory_order_relaxed), 0) &&
		    atomic_exchange_explicit(&f->reload, 0, memory_order_acquire))
			rs_arb_set_timeouts(f->arb, f->new_timeout, f->new_deadline);
		work += (uint32_t)(s->delivered - before);
	}
	flush(rx);
	rx->loops++;
	rx->busy += work != 0;
	if (rx->cfg.inline_handler)
		rs_handler_poll(rx->cfg.inline_handler, now);
	if (now - rx->last_sync >= rx->ms_ticks) {
		rx->last_sync = now;
		rs_rx_sync(rx);
	}
	return work;
}

uint32_t rs_pipe_handler_poll(struct rs_handler *h, struct rs_ring *in)
{
	struct rs_event buf[64];
	uint32_t n = rs_ring_dequeue_burst(in, buf, 64);
	if (n)
		rs_handler_process(h, buf, n);
	rs_handler_poll(h, rs_tsc());
	return n;
}

struct rs_drv *rs_rx_swap_driver(struct rs_rx *rx, uint32_t feed, uint32_t line, struct rs_drv *drv)
{
	if (feed >= rx->cfg.nfeeds || line >= rx->feed[feed].cfg.nlines)
		return NULL;
	struct rs_rx_feed *f = &rx->feed[feed];
	struct rs_drv *old = f->cfg.drv[line];
	if (old) {
		rs_rx_sync(rx); /* publish the old driver's last counts first */
		f->base_pkts[line] += __atomic_load_n(&old->ctr.packets, __ATOMIC_RELAXED);
		f->base_bytes[line] += __atomic_load_n(&old->ctr.bytes, __ATOMIC_RELAXED);
		f->base_drops[line] += __atomic_load_n(&old->ctr.drops, __ATOMIC_RELAXED);
	}
	f->cfg.drv[line] = drv;
	return old;
}
