/*
 * rs_ifdrun.h - replay one historical file (ITCH day file or DBN) through
 * the MBO book and the IFD engine exactly as the live handler does
 * (rs_ifd_before_book, rs_book_apply_burst, then rs_ifd_on_event per
 * event, rs_ifd_tick with feed time after each burst). Used by `ringside baseline build`, the
 * scenario tests and perf/bench_ifd. COLD set-up, hot loop.
 *
 * Baseline build = for each session file in date order:
 *   rs_ifd_set_baseline(f, bl); rs_ifdrun_file(...); rs_ifd_end_session(f, bl);
 * so each session is judged against the sessions before it only.
 */
#ifndef RS_IFDRUN_H
#define RS_IFDRUN_H

#include <stdint.h>

#include "dataplane/rs_ifd.h"

struct rs_book;

struct rs_ifdrun_stats {
	uint64_t events;          /* events given to the engine */
	uint64_t first_ts, last_ts;
	uint64_t ifd_ns;          /* thread CPU ns spent in rs_ifd_on_event/tick (when timing) */
};

/* Reset b and f's instruments, replay path (format RS_EVSRC_ITCH / _DBN),
 * close the last windows (tick to last event + longest window) and report
 * pending sweeps. With `timing`, measures the engine's own CPU time per
 * burst into st->ifd_ns. 0 or -errno (rs_err_msg names the file). */
int rs_ifdrun_file(struct rs_ifd *f, struct rs_book *b, const char *path, int format, int timing,
		   struct rs_ifdrun_stats *st);

#endif
