/*
 * rs_handler.c - book, hooks, publication and latency of the handler stage.
 * See rs_handler.h.
 */
#include "dataplane/rs_handler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shm/rs_bcast.h"
#include "shm/rs_counters.h"
#include "shm/rs_err.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

#define LAT_PENDING 64 /* markers between two publications */

struct rs_handler {
	struct rs_handler_cfg cfg;
	struct rs_book *book;
	struct rs_handler_hook hooks[RS_HANDLER_MAX_HOOKS];
	uint32_t nhooks;
	bool any_on_event, any_amend;
	uint8_t feed_stale[RS_HANDLER_MAX_FEEDS];
	uint8_t *inst_feed;              /* [max_instruments]: feed of a book index + 1 */
	uint32_t max_inst;
	uint64_t events_total, rejected_total, written;
	/* rx tsc of the events processed since the last publication */
	uint64_t lat_tsc[LAT_PENDING];
	uint32_t lat_n[LAT_PENDING];
	uint32_t nlat;
	uint64_t cur_tsc;
	uint64_t tick_every, last_tick;
};

static void amend(void *ctx, uint32_t idx, struct rs_bbo *bbo)
{
	struct rs_handler *h = ctx;
	if (idx < h->max_inst) {
		uint8_t f = h->inst_feed[idx];
		if (f && h->feed_stale[f - 1])
			bbo->flags |= RS_INSTF_STALE;
	}
	if (h->any_amend)
		for (uint32_t i = 0; i < h->nhooks; i++)
			if (h->hooks[i].amend_bbo)
				h->hooks[i].amend_bbo(h->hooks[i].ctx, idx, bbo);
}

int rs_handler_create(struct rs_handler **out, const struct rs_handler_cfg *cfg)
{
	int rc;
	*out = NULL;
	struct rs_handler *h = calloc(1, sizeof(*h));
	if (!h)
		return RS_ERR_SET(-ENOMEM, "handler: out of memory");
	h->cfg = *cfg;
	if ((rc = rs_book_create(&h->book, &cfg->book))) {
		free(h);
		return RS_ERR_APPEND("handler book");
	}
	h->max_inst = rs_book_config(h->book)->max_instruments;
	h->inst_feed = calloc(h->max_inst, 1);
	if (!h->inst_feed) {
		rs_handler_destroy(h);
		return RS_ERR_SET(-ENOMEM, "handler: out of memory");
	}
	if ((cfg->bbo || cfg->depth) && (rc = rs_book_attach_tables(h->book, cfg->bbo, cfg->depth))) {
		rs_handler_destroy(h);
		return rc;
	}
	rs_book_set_amend(h->book, amend, h);
	h->tick_every = cfg->clock ? rs_lat_ticks(cfg->clock, 1000000) : 1000000;
	*out = h;
	return 0;
}

void rs_handler_destroy(struct rs_handler *h)
{
	if (!h)
		return;
	rs_book_destroy(h->book);
	free(h->inst_feed);
	free(h);
}

int rs_handler_add_hook(struct rs_handler *h, const struct rs_handler_hook *hook)
{
	if (h->nhooks == RS_HANDLER_MAX_HOOKS)
		return RS_ERR_SET(-ENOSPC, "handler: %d hooks at most", RS_HANDLER_MAX_HOOKS);
	h->hooks[h->nhooks++] = *hook;
	if (hook->on_event)
		h->any_on_event = true;
	if (hook->amend_bbo)
		h->any_amend = true;
	return 0;
}

struct rs_book *rs_handler_book(struct rs_handler *h)
{
	return h->book;
}

bool rs_handler_feed_stale(const struct rs_handler *h, uint32_t feed)
{
	return feed < RS_HANDLER_MAX_FEEDS && h->feed_stale[feed];
}

/* Rewrite the BBO rows of a feed's instruments after its stale mark
 * changed (rare: a gap on all lines; no allocation, no system call). */
static void republish_feed(struct rs_handler *h, uint32_t feed)
{
	uint32_t n = rs_book_ninst(h->book), cnt = 0;
	struct rs_bbo bbo;
	for (uint32_t idx = 0; idx < n && idx < h->max_inst; idx++) {
		if (h->inst_feed[idx] != feed + 1)
			continue;
		cnt++;
		if (!h->cfg.bbo)
			continue;
		rs_book_bbo(h->book, idx, &bbo);
		amend(h, idx, &bbo);
		int64_t slot = rs_itable_find(h->cfg.bbo, bbo.instrument_id);
		if (slot >= 0)
			rs_seqtab_write(h->cfg.bbo, (uint32_t)slot, rs_itable_key(bbo.instrument_id), &bbo,
					sizeof(bbo));
	}
	if (h->cfg.c_stale_inst[feed])
		rs_counters_set(h->cfg.c_stale_inst[feed], h->feed_stale[feed] ? cnt : 0);
}

static void control(struct rs_handler *h, const struct rs_event *e)
{
	uint32_t f = e->feed_id < RS_HANDLER_MAX_FEEDS ? e->feed_id : RS_HANDLER_MAX_FEEDS - 1;
	switch (e->mbo.action) {
	case RS_HREC_MARK:
		h->cur_tsc = e->mbo.ts_recv;
		if (h->nlat < LAT_PENDING) {
			h->lat_tsc[h->nlat] = h->cur_tsc;
			h->lat_n[h->nlat++] = 0;
		}
		break;
	case RS_HREC_STALE:
		if (h->feed_stale[f] != (e->mbo.size != 0)) {
			rs_book_publish(h->book, NULL, NULL); /* rows before the change keep their flag */
			h->feed_stale[f] = e->mbo.size != 0;
			republish_feed(h, f);
		}
		break;
	case RS_HREC_RESET:
		rs_book_publish(h->book, NULL, NULL);
		rs_book_reset(h->book);
		memset(h->inst_feed, 0, h->max_inst);
		h->feed_stale[f] = 0;
		if (h->cfg.c_stale_inst[f])
			rs_counters_set(h->cfg.c_stale_inst[f], 0);
		break;
	}
}

/* Per record, called by the book right after it applied the record (so
 * hooks see the book as of that record, while the book's prefetch
 * pipeline keeps running over the burst). */
static void after_event(void *ctx, const struct rs_event *e, int idx)
{
	struct rs_handler *h = ctx;
	if (idx >= 0 && (uint32_t)idx < h->max_inst)
		h->inst_feed[idx] = (uint8_t)(e->feed_id + 1);
	for (uint32_t k = 0; k < h->nhooks; k++)
		if (h->hooks[k].on_event)
			h->hooks[k].on_event(h->hooks[k].ctx, e, h->book, idx);
	if (h->cfg.events)
		rs_bcast_write(h->cfg.events, RS_REC_EVENT, e, sizeof(*e));
	h->rejected_total += (e->rs_flags & RS_EVF_REJECTED) != 0;
}

static void run(struct rs_handler *h, struct rs_event *ev, uint32_t n)
{
	for (uint32_t k = 0; k < h->nhooks; k++)
		if (h->hooks[k].before_burst)
			h->hooks[k].before_burst(h->hooks[k].ctx, ev, n, h->book);
	rs_book_apply_burst_cb(h->book, ev, n, after_event, h);
	h->events_total += n;
	if (h->nlat)
		h->lat_n[h->nlat - 1] += n;
}

uint32_t rs_handler_process(struct rs_handler *h, struct rs_event *ev, uint32_t n)
{
	uint32_t i = 0, done = 0;
	while (i < n) {
		uint32_t j = i;
		while (j < n && ev[j].mbo.hd.rtype != RS_HREC_RTYPE)
			j++;
		if (j > i) {
			run(h, ev + i, j - i);
			done += j - i;
		}
		if (j < n)
			control(h, &ev[j++]);
		i = j;
	}
	rs_book_publish(h->book, NULL, NULL);
	if (h->cfg.lat_wire && done) {
		/* vDSO clock read (no system call): same clock as the kernel's stamps */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t real = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		for (uint32_t k = 0; k < n; k++)
			if (ev[k].mbo.hd.rtype != RS_HREC_RTYPE && ev[k].mbo.ts_recv)
				rs_lat_record(h->cfg.lat_wire,
					      real > ev[k].mbo.ts_recv ? real - ev[k].mbo.ts_recv : 0, 1);
	}
	/* everything processed so far is now visible: rx -> publication */
	if (h->nlat) {
		uint64_t now = rs_tsc();
		for (uint32_t k = 0; k < h->nlat; k++)
			if (h->lat_n[k] && h->cfg.lat && h->cfg.clock)
				rs_lat_record(h->cfg.lat, rs_lat_ns(h->cfg.clock, now - h->lat_tsc[k]),
					      h->lat_n[k]);
		/* events after the last marker of this call belong to it */
		h->lat_tsc[0] = h->cur_tsc;
		h->lat_n[0] = 0;
		h->nlat = 1;
	}
	return done;
}

void rs_handler_poll(struct rs_handler *h, uint64_t now)
{
	if (now - h->last_tick < h->tick_every)
		return;
	h->last_tick = now;
	uint64_t now_ns = h->cfg.clock ? rs_lat_real_ns(h->cfg.clock, now) : now;
	for (uint32_t k = 0; k < h->nhooks; k++)
		if (h->hooks[k].on_tick)
			h->hooks[k].on_tick(h->hooks[k].ctx, now_ns);
	rs_handler_sync(h);
}

void rs_handler_sync(struct rs_handler *h)
{
	if (h->cfg.c_events)
		rs_counters_set(h->cfg.c_events, h->events_total);
	if (h->cfg.c_rejected)
		rs_counters_set(h->cfg.c_rejected, h->rejected_total);
	if (h->cfg.c_orders_live)
		rs_counters_set(h->cfg.c_orders_live, rs_book_stats(h->book)->orders_live);
	if (h->cfg.c_bcast_overwrites && h->cfg.event_slots && h->events_total > h->cfg.event_slots)
		rs_counters_set(h->cfg.c_bcast_overwrites, h->events_total - h->cfg.event_slots);
}
