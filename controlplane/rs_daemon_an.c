/* rs_daemon_an.c - see rs_daemon_an.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_baseline_file.h"
#include "controlplane/rs_config.h"
#include "controlplane/rs_daemon_an.h"
#include "controlplane/rs_ifdconf.h"
#include "dataplane/rs_analytics.h"
#include "dataplane/rs_baseline.h"
#include "dataplane/rs_handler.h"
#include "dataplane/rs_ifd.h"
#include "shm/rs_counters.h"
#include "shm/rs_err.h"
#include "shm/rs_instance.h"

/* Feed counters the IFD quality score reads (handler thread, relaxed loads
 * of the shared-memory counters the rx stage maintains; NULL = absent). */
struct an_feed {
	_Atomic uint64_t *messages, *gaps, *unrecovered, *state;
	_Atomic uint64_t *dups[RS_CFG_MAX_LINES];
};

struct rs_daemon_an {
	struct rs_analytics *bars;   /* bars, features, microstructure, volume profile */
	struct rs_ifd *ifd;
	struct rs_baseline *bl;      /* owned; handler thread writes it at session end only */
	char blpath[RS_CFG_PATH];
	uint32_t nfeeds;
	struct an_feed feed[RS_CFG_MAX_FEEDS];
	uint64_t last_quality_ns;
	_Atomic int save_req;        /* handler -> control: a session was added to bl */
	_Atomic int saving;          /* control thread is writing bl */
	int end_rc;
};

static _Atomic uint64_t *cfind(struct rs_instance *in, const char *fmt, const char *a, const char *b)
{
	char label[160];
	snprintf(label, sizeof(label), fmt, a, b);
	int id = rs_counters_find(&in->counters, label);
	return id >= 0 ? rs_counters_value(&in->counters, id) : NULL;
}

static uint64_t cget(_Atomic uint64_t *v)
{
	return v ? rs_counters_get(v) : 0;
}

/* ---------------------------------------------------------- handler hooks */

static void an_before(void *ctx, const struct rs_event *ev, unsigned n, const struct rs_book *b)
{
	struct rs_daemon_an *a = ctx;
	rs_ifd_before_book(a->ifd, ev, n, b);
}

static void an_event(void *ctx, const struct rs_event *ev, const struct rs_book *b, int idx)
{
	struct rs_daemon_an *a = ctx;
	rs_ifd_on_event(a->ifd, ev, b, idx);
}

static void an_tick(void *ctx, uint64_t now_ns)
{
	struct rs_daemon_an *a = ctx;
	rs_ifd_tick(a->ifd, now_ns);
	if (now_ns - a->last_quality_ns >= 1000000000ull) {
		a->last_quality_ns = now_ns;
		for (uint32_t i = 0; i < a->nfeeds; i++) {
			const struct an_feed *f = &a->feed[i];
			struct rs_feed_health h = {.messages = cget(f->messages), .gaps = cget(f->gaps),
						   .gap_messages = cget(f->unrecovered),
						   .stale = cget(f->state) == 3};
			for (uint32_t l = 0; l < RS_CFG_MAX_LINES; l++)
				h.duplicates += cget(f->dups[l]);
			rs_ifd_feed_quality(a->ifd, (uint8_t)i, &h);
		}
	}
	/* Session close: add the session to the baseline here (memory only,
	 * once a day after the close), the control thread writes the file. */
	if (rs_ifd_session_over(a->ifd) && !atomic_load_explicit(&a->saving, memory_order_acquire)) {
		a->end_rc = rs_ifd_end_session(a->ifd, a->bl);
		rs_ifd_set_baseline(a->ifd, a->bl);
		atomic_store_explicit(&a->save_req, 1, memory_order_release);
	}
}

static void bars_event(void *ctx, const struct rs_event *ev, const struct rs_book *b, int idx)
{
	rs_analytics_on_event(ctx, ev, b, idx);
}

static void bars_tick(void *ctx, uint64_t now_ns)
{
	rs_analytics_tick(ctx, now_ns);
}

/* Analytics I engine (issue 8) from the analytics keys. */
static int bars_create(struct rs_daemon_an *a, const struct rs_config *cfg, struct rs_instance *in,
		       struct rs_handler *h)
{
	const struct rs_cfg_analytics *ac = &cfg->analytics;
	struct rs_analytics_cfg bc;
	rs_analytics_cfg_default(&bc);
	for (uint32_t i = 0; i < ac->nbars && i < RS_BAR_MAX_INTERVALS; i++)
		bc.intervals_ns[i] = ac->bars_ns[i];
	if (ac->sma)
		bc.sma_len = (uint16_t)ac->sma;
	if (ac->ema)
		bc.ema_len = (uint16_t)ac->ema;
	if (ac->rsi)
		bc.rsi_len = (uint16_t)ac->rsi;
	if (ac->rvol)
		bc.rvol_len = (uint16_t)ac->rvol;
	if (ac->micro_levels)
		bc.micro_levels = (uint16_t)ac->micro_levels;
	if (cfg->instruments)
		bc.max_instruments = cfg->instruments;
	int rc = rs_analytics_create(&a->bars, &bc);
	if (rc)
		return rc;
	rs_analytics_set_book(a->bars, rs_handler_book(h));
	rs_analytics_attach(a->bars, &in->bars, &in->latest);
	struct rs_handler_hook hook = {.ctx = a->bars, .on_event = bars_event, .on_tick = bars_tick,
				       .amend_bbo = rs_analytics_amend_bbo};
	return rs_handler_add_hook(h, &hook);
}

/* ---------------------------------------------------------- set-up */

int rs_daemon_an_create(struct rs_daemon_an **out, const struct rs_config *cfg, struct rs_instance *in,
			struct rs_handler *h)
{
	*out = NULL;
	if (!cfg->analytics.enabled || !in->seg_flow)
		return 0;
	struct rs_daemon_an *a = calloc(1, sizeof(*a));
	if (!a)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	struct rs_ifd_cfg ic;
	struct rs_bl_geom g;
	int rc = bars_create(a, cfg, in, h);
	if (rc)
		goto fail;
	if ((rc = rs_ifd_cfg_from_config(&ic, cfg)))
		goto fail;
	ic.book = rs_handler_book(h);
	rs_ifd_geom(&ic, &g);
	rs_ifd_baseline_path(cfg, a->blpath, sizeof(a->blpath));
	rc = rs_baseline_file_load(&a->bl, a->blpath, &g);
	if (rc == -ENOENT) {
		fprintf(stderr, "ringsided: INFO baseline %s: none yet (signals need %u sessions)\n", a->blpath,
			ic.baseline_min_days);
	} else if (rc) {
		fprintf(stderr, "ringsided: ERROR baseline ignored: %s\n", rs_err_msg());
		a->bl = NULL;
	} else {
		fprintf(stderr, "ringsided: INFO baseline %s: %u sessions\n", a->blpath, rs_baseline_sessions(a->bl));
	}
	if (!a->bl && (rc = rs_baseline_create(&a->bl, &g)))
		goto fail;
	if ((rc = rs_ifd_create(&a->ifd, &ic)))
		goto fail;
	rs_ifd_attach(a->ifd, &in->pressure, &in->signals, &in->flow);
	rs_ifd_set_baseline(a->ifd, a->bl);
	a->nfeeds = cfg->nfeeds;
	for (uint32_t i = 0; i < cfg->nfeeds; i++) {
		const char *fn = cfg->feed[i].name;
		struct an_feed *f = &a->feed[i];
		f->messages = cfind(in, "rs_feed_messages_total{feed=\"%s\"}%s", fn, "");
		f->gaps = cfind(in, "rs_feed_gaps_total{feed=\"%s\"}%s", fn, "");
		f->unrecovered = cfind(in, "rs_feed_unrecovered_total{feed=\"%s\"}%s", fn, "");
		f->state = cfind(in, "rs_feed_state{feed=\"%s\"}%s", fn, "");
		for (uint32_t l = 0; l < cfg->feed[i].nlines && l < RS_CFG_MAX_LINES; l++)
			f->dups[l] = cfind(in, "rs_line_duplicates_total{feed=\"%s\",line=\"%s\"}", fn,
					   cfg->feed[i].line[l].name);
	}
	struct rs_handler_hook hook = {.ctx = a, .on_event = an_event, .on_tick = an_tick,
				       .before_burst = an_before};
	if ((rc = rs_handler_add_hook(h, &hook)))
		goto fail;
	*out = a;
	return 0;
fail:
	RS_ERR_APPEND("analytics");
	rs_daemon_an_destroy(a);
	return rc;
}

void rs_daemon_an_poll(struct rs_daemon_an *a)
{
	if (!a || !atomic_load_explicit(&a->save_req, memory_order_acquire))
		return;
	atomic_store_explicit(&a->saving, 1, memory_order_release);
	atomic_store_explicit(&a->save_req, 0, memory_order_relaxed);
	if (a->end_rc < 0)
		fprintf(stderr, "ringsided: ERROR session not added to the baseline: %d\n", a->end_rc);
	else if (rs_baseline_file_save(a->bl, a->blpath))
		fprintf(stderr, "ringsided: ERROR %s\n", rs_err_msg());
	else
		fprintf(stderr, "ringsided: INFO baseline %s saved: %u sessions\n", a->blpath,
			rs_baseline_sessions(a->bl));
	atomic_store_explicit(&a->saving, 0, memory_order_release);
}

void rs_daemon_an_destroy(struct rs_daemon_an *a)
{
	if (!a)
		return;
	rs_ifd_destroy(a->ifd);
	rs_analytics_destroy(a->bars);
	rs_baseline_destroy(a->bl);
	free(a);
}
