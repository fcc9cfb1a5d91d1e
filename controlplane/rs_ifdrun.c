/* rs_ifdrun.c - one file through book + IFD engine (see rs_ifdrun.h). */
#include "rs_ifdrun.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/rs_book.h"
#include "rs_err.h"
#include "rs_evsource.h"

#define BURST 256
#define DIRECT 65536 /* instrument ids below this map to book indices by array */

struct run_ctx {
	struct rs_book *b;
};

static void define_cb(void *ctx, uint32_t id, const char *symbol, int64_t tick)
{
	struct run_ctx *r = ctx;
	(void)rs_book_define(r->b, id, symbol && *symbol ? symbol : NULL, tick);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int rs_ifdrun_file(struct rs_ifd *f, struct rs_book *b, const char *path, int format, int timing,
		   struct rs_ifdrun_stats *st)
{
	struct run_ctx rc_ = {.b = b};
	struct rs_evsrc_defs defs = {.ctx = &rc_, .define = define_cb};
	struct rs_evsource *s = NULL;
	struct rs_event *ev = NULL;
	int32_t *direct = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	st->first_ts = RS_UNDEF_TS;
	rs_book_reset(b);
	rs_ifd_reset(f);
	if ((rc = rs_evsource_open(&s, path, format, &defs)))
		return rc;
	ev = malloc(BURST * sizeof(*ev));
	direct = malloc(DIRECT * sizeof(*direct));
	if (!ev || !direct) {
		rc = RS_ERR_SET(-ENOMEM, "%s: out of memory", path);
		goto out;
	}
	memset(direct, 0xff, DIRECT * sizeof(*direct));
	int n;
	while ((n = rs_evsource_next(s, ev, BURST)) > 0) {
		rs_ifd_before_book(f, ev, (unsigned)n, b); /* old sizes of 'M' records */
		rs_book_apply_burst(b, ev, (unsigned)n);
		uint64_t t0 = timing ? cpu_ns() : 0;
		for (int i = 0; i < n; i++) {
			uint32_t id = ev[i].mbo.hd.instrument_id;
			int idx;
			if (id < DIRECT) {
				idx = direct[id];
				if (idx < 0)
					idx = direct[id] = rs_book_find(b, id);
			} else {
				idx = rs_book_find(b, id);
			}
			if (idx >= 0)
				rs_ifd_on_event(f, &ev[i], b, idx);
		}
		uint64_t last = ev[n - 1].mbo.hd.ts_event;
		rs_ifd_tick(f, last);
		if (timing)
			st->ifd_ns += cpu_ns() - t0;
		if (st->first_ts == RS_UNDEF_TS)
			st->first_ts = ev[0].mbo.hd.ts_event;
		st->last_ts = last;
		st->events += (uint64_t)n;
	}
	if (n < 0) {
		rc = n;
		goto out;
	}
	if (st->events) {
		rs_ifd_tick(f, st->last_ts + 3600ull * 1000000000ull);
		rs_ifd_flush(f);
	}
	rc = 0;
out:
	free(direct);
	free(ev);
	rs_evsource_close(s);
	return rc;
}
