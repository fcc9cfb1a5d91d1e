/*
 * rs_bars.h - text forms of struct rs_bar (COLD): CSV and JSON lines, used
 * by `ringside analyze` (batch) and `ringside bars` (live shared memory),
 * so the same bar prints the same bytes on both paths.
 *
 * Prices are printed as integers in 1e-9 units (RS_UNDEF_PRICE as empty
 * CSV field / JSON null), doubles with %.17g (round-trip exact).
 */
#ifndef RS_BARS_H
#define RS_BARS_H

#include <stddef.h>

#include "ringside.h"

#define RS_BAR_FMT_CSV  1
#define RS_BAR_FMT_JSON 2

/* Most bars one bars-ring record carries (rs_bar_unpack). */
#define RS_BAR_UNPACK_MAX 8

/* rs_bar_unpack() (expanding a bars-ring record) is public: include/ringside.h. */

/* CSV header line (with '\n'). */
const char *rs_bar_csv_header(void);

/* One line (with '\n') for bar into buf; symbol may be NULL ("").
 * Returns the length, or -1 if buf is too small (512 bytes always fit). */
int rs_bar_format(const struct rs_bar *bar, const char *symbol, int fmt, char *buf, size_t len);

/* "1s", "5m", "90s" -> ns; 0 when malformed. */
unsigned long long rs_bar_parse_interval(const char *s);
/* ns -> "1s", "5m", "1h", "250ms" into buf. */
const char *rs_bar_interval_name(unsigned long long ns, char *buf, size_t len);

#endif
