/*
 * rs_evsource.h - normalized events from a file, in bursts (COLD set-up,
 * WARM loop): the one way offline tools (ringside book, analyze, baseline
 * build, tests, benchmarks) read ITCH day files and DBN files, so that
 * batch runs see exactly the records the live dataplane would.
 *
 *   struct rs_evsource *s;
 *   rs_evsource_open(&s, "day.itch", RS_EVSRC_ITCH, &defs);
 *   while ((n = rs_evsource_next(s, ev, cap)) > 0)
 *           ... rs_book_apply_burst(book, ev, n); analytics ...
 *   if (n < 0) fprintf(stderr, "%s\n", rs_err_msg());
 *   rs_evsource_close(s);
 *
 * Instrument definitions (ITCH stock directory, DBN metadata mappings and
 * definition records) are delivered through defs->define before the first
 * event of that instrument is returned. ITCH ts_event is ns since the
 * session day's midnight America/New_York when the file name carries a
 * date (e.g. 01302019.NASDAQ_ITCH50 or S20190130...), else ns since
 * midnight of 1970-01-01 (time of day only; set_date overrides).
 */
#ifndef RS_EVSOURCE_H
#define RS_EVSOURCE_H

#include <stdint.h>

#include "ringside.h"

enum rs_evsrc_format { RS_EVSRC_ITCH = 1, RS_EVSRC_DBN };

struct rs_evsrc_defs {
	void *ctx;
	/* symbol may be "" (unknown); tick_size 0 = unknown. May be NULL. */
	void (*define)(void *ctx, uint32_t instrument_id, const char *symbol, int64_t tick_size);
};

struct rs_evsource;

/* Minimum cap for rs_evsource_next(). */
#define RS_EVSRC_MIN_CAP 64u

/* "itch" | "dbn" -> format, or 0. */
int rs_evsource_format(const char *name);

/* Open path. Errors: -ENOENT/-EACCES..., -EINVAL (format), -EBADMSG
 * (not a DBN file, ...); rs_err_msg() names the file. */
int rs_evsource_open(struct rs_evsource **out, const char *path, int format,
		     const struct rs_evsrc_defs *defs);
/* ITCH only: session date for absolute timestamps. */
int rs_evsource_set_date(struct rs_evsource *s, int year, int month, int day);
/* Up to cap (>= RS_EVSRC_MIN_CAP) events. Returns the count (> 0), 0 at the
 * end of the file, or -EBADMSG/-EIO for a truncated or corrupt file
 * (message names file and offset; events before it were delivered). */
int rs_evsource_next(struct rs_evsource *s, struct rs_event *out, unsigned cap);
/* Messages / records read so far, and records that were not events
 * (definitions, status, other record types). */
uint64_t rs_evsource_messages(const struct rs_evsource *s);
uint64_t rs_evsource_skipped(const struct rs_evsource *s);
void rs_evsource_close(struct rs_evsource *s);

#endif
