/*
 * rs_daemon_an.h - the analytics engines inside ringsided (COLD set-up and
 * control-thread upkeep; the engines themselves run as handler hooks on
 * the handler core): the analytics engine (dataplane/rs_analytics.h: bars,
 * features, microstructure into the BBO rows, volume profile) publishing
 * into the bars ring and latest table, and the IFD engine (dataplane/
 * rs_ifd.h: pressure windows, baselines, signals, patterns, quality)
 * publishing into the pressure/signals rings and the flow table.
 */
#ifndef RS_DAEMON_AN_H
#define RS_DAEMON_AN_H

struct rs_config;
struct rs_instance;
struct rs_handler;
struct rs_daemon_an;

/* Create the engines from cfg->analytics (nothing when disabled: *out
 * NULL), load the baseline file (a missing file is normal; a corrupt,
 * foreign or other-version file is reported on stderr and ignored), and
 * add the handler hooks. Must run before the handler thread starts. */
int rs_daemon_an_create(struct rs_daemon_an **out, const struct rs_config *cfg, struct rs_instance *in,
			struct rs_handler *h);
/* Control thread, ~10 times a second: save the baseline after a session
 * closed on the handler core (temp file + fsync + rename, off the
 * dataplane). */
void rs_daemon_an_poll(struct rs_daemon_an *a);
/* After the handler thread stopped. */
void rs_daemon_an_destroy(struct rs_daemon_an *a);

#endif
