/*
 * rs_view.h - small helpers shared by the operator views (`ringside
 * status`, `feeds`, `stats`, `tail`, `top`, `book`) and the metrics/health
 * code: JSON string escaping, price/time/size formatting, counter
 * snapshots keyed by the rs_metrics.h naming contract. COLD.
 */
#ifndef RS_VIEW_H
#define RS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "controlplane/rs_http.h"
#include "ringside.h"

/* Append s as a JSON string literal (quotes, escapes, control chars). */
void rs_view_jstr(struct rs_sbuf *b, const char *s);

/* Price in 1e-9 units as a decimal with at least 4 and at most 9
 * decimals (as many as needed to be exact); "-" for RS_UNDEF_PRICE. */
const char *rs_view_price(char *buf, size_t len, int64_t price);

/* "12ns", "3.4us", "1.25ms", "2.0s", "3m12s", "1h05m" */
const char *rs_view_dur(char *buf, size_t len, uint64_t ns);

/* "HH:MM:SS.nnnnnnnnn" (UTC) of an epoch-ns time; "-" for RS_UNDEF_TS/0. */
const char *rs_view_time(char *buf, size_t len, uint64_t ns);

/* 1234567 -> "1.23M", below 10000 plain. */
const char *rs_view_count(char *buf, size_t len, uint64_t v);

/* One counter of the instance. */
struct rs_view_counter {
	char label[112];
	uint32_t type;
	uint64_t value;
};

/* Snapshot of every counter (rs_client_counters); free with free(). */
struct rs_view_counters {
	struct rs_view_counter *v;
	size_t n;
};
int rs_view_counters_load(struct rs_client *c, struct rs_view_counters *out);
void rs_view_counters_free(struct rs_view_counters *s);
/* Value of the counter with exactly this label; false when absent. */
bool rs_view_counter_get(const struct rs_view_counters *s, const char *label, uint64_t *out);
/* Label helpers: name{feed="F"} and name{feed="F",line="L"}. */
bool rs_view_feed_get(const struct rs_view_counters *s, const char *name, const char *feed, uint64_t *out);
bool rs_view_line_get(const struct rs_view_counters *s, const char *name, const char *feed, const char *line,
		      uint64_t *out);

/* Feed and line names found in the counters (rs_feed_*{feed="F"} and
 * rs_line_*{feed="F",line="L"} labels), in first-seen order. */
#define RS_VIEW_MAX_FEEDS 16
struct rs_view_feeds {
	unsigned n;
	struct {
		char name[32];
		unsigned nlines;
		char line[4][16];
	} f[RS_VIEW_MAX_FEEDS];
};
void rs_view_feeds_list(const struct rs_view_counters *s, struct rs_view_feeds *out);

/* Label value of key in a Prometheus label: label_value("x{feed=\"a\"}",
 * "feed") = "a"; false when absent. */
bool rs_view_label_value(const char *label, const char *key, char *out, size_t len);

/* rs_feed_state gauge -> "down" | "up" | "recovering" | "stale" */
const char *rs_view_feed_state(uint64_t v);

/* Open `instance` for a read-only view. The heartbeat limit is switched
 * off so a wedged (stopped) producer can still be read; rs_view_state()
 * says it is stale. On failure prints "ringside CMD: <reason>" to stderr
 * and returns RS_EX_UNAVAILABLE. */
int rs_view_open(struct rs_client **c, const char *instance, const char *cmd);

/* Heartbeat age after which the views call a live producer "stale". */
#define RS_VIEW_STALE_NS 5000000000ull

/* Producer facts from the counters segment's header. */
struct rs_view_state {
	char instance[32];
	char producer[12];        /* "alive" | "dead" | "stale" | "closed" | "unknown" */
	uint32_t pid, generation;
	uint64_t heartbeat_ns;    /* last heartbeat, epoch ns */
	uint64_t start_time_ns;   /* segment creation, epoch ns */
	unsigned nsegs, nhuge;    /* segments, of which on huge pages */
};
/* Fill st for the instance c is attached to; instance may be NULL (then
 * it is found from the segments). 0 or -errno. */
int rs_view_state(struct rs_client *c, const char *instance, struct rs_view_state *st);

/* Current time, epoch ns (CLOCK_REALTIME). */
uint64_t rs_view_now_ns(void);

#endif
