/*
 * rs_metrics.c - Prometheus exposition, health and latency percentiles
 * from an instance's shared memory; see rs_metrics.h. COLD.
 *
 * Everything is read through libringside (counters) and, for the latency
 * block, a read-only mapping of the raw RS_SEGNAME_LATENCY segment
 * (rs_shm_attach: libringside has no raw-segment reader). Nothing here
 * talks to the daemon, so a wedged daemon still has its metrics scraped
 * from shared memory (by the CLI, or by a second process).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_counters.h"
#include "rs_err.h"
#include "rs_metrics.h"
#include "rs_shm.h"
#include "rs_view.h"

#ifndef RS_VERSION
#define RS_VERSION "0.1.0"
#endif

const char *rs_health_name(enum rs_health h)
{
	switch (h) {
	case RS_HEALTH_HEALTHY: return "healthy";
	case RS_HEALTH_DEGRADED: return "degraded";
	case RS_HEALTH_CRITICAL: return "critical";
	default: return "offline";
	}
}

uint64_t rs_latency_percentile(const struct rs_latency_hist *h, double q)
{
	uint64_t total = 0, cum = 0;

	for (uint32_t b = 0; b < RS_LAT_BUCKETS; b++)
		total += h->buckets[b];
	if (!total || q <= 0)
		return 0;
	if (q >= 1)
		return h->max_ns;
	/* nearest rank: the smallest value with at least q of the samples at
	 * or below it */
	uint64_t rank = (uint64_t)ceil(q * (double)total);
	if (rank < 1)
		rank = 1;
	for (uint32_t b = 0; b < RS_LAT_BUCKETS; b++) {
		cum += h->buckets[b];
		if (cum >= rank)
			return rs_lat_bucket_lo(b);
	}
	return h->max_ns;
}

int rs_metrics_latency(struct rs_client *c, struct rs_latency_block *out)
{
	struct rs_view_state st;
	struct rs_shm_seg *seg;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = rs_view_state(c, NULL, &st)))
		return RS_ERR_SET(rc, "latency: cannot name the attached instance");
	rc = rs_shm_attach(&seg, st.instance, RS_SEGNAME_LATENCY, RS_SEG_RAW, false);
	if (rc)
		return rc == -ENOENT ? RS_ERR_SET(-ENODEV, "instance '%s' has no latency segment", st.instance) : rc;
	if (seg->body_size < sizeof(*out)) {
		rs_shm_detach(seg);
		return RS_ERR_SET(-EBADMSG, "instance '%s': latency segment of %zu bytes is too small", st.instance,
				  seg->body_size);
	}
	/* one writer, relaxed stores: a copy is a slightly blurred but
	 * untorn (64-bit aligned) picture, which is all percentiles need */
	memcpy(out, seg->body, sizeof(*out));
	rs_shm_detach(seg);
	if (out->nhist > RS_LAT_MAX_HIST)
		out->nhist = RS_LAT_MAX_HIST;
	for (uint32_t i = 0; i < RS_LAT_MAX_HIST; i++)
		out->hist[i].name[sizeof(out->hist[i].name) - 1] = 0;
	return 0;
}

/* ------------------------------------------------------------ Prometheus */

/* Counter metric names in the contract, with help text. */
static const struct {
	const char *name, *help;
} helps[] = {
	{"rs_line_packets_total", "Packets received on a feed line."},
	{"rs_line_bytes_total", "Bytes received on a feed line."},
	{"rs_line_messages_total", "MoldUDP64 messages received on a feed line."},
	{"rs_line_duplicates_total", "Messages dropped by A/B arbitration as duplicates."},
	{"rs_line_drops_total", "Packets dropped by the driver or NIC."},
	{"rs_line_last_rx_ns", "Receive time of the line's last packet, ns since the epoch."},
	{"rs_feed_messages_total", "Messages delivered in sequence."},
	{"rs_feed_gaps_total", "Sequence gaps detected."},
	{"rs_feed_gap_messages_total", "Messages missing in detected gaps."},
	{"rs_feed_recovered_total", "Messages recovered by retransmission."},
	{"rs_feed_unrecovered_total", "Messages given up after the recovery deadline."},
	{"rs_feed_requests_total", "Retransmission requests sent."},
	{"rs_feed_gaps_open", "Gaps currently being recovered."},
	{"rs_feed_next_seq", "Next expected sequence number."},
	{"rs_feed_state", "Feed state: 0 down, 1 up, 2 recovering, 3 stale."},
	{"rs_feed_reconnects_total", "Feed session reconnects."},
	{"rs_feed_stale_instruments", "Instruments marked stale by unrecovered gaps."},
	{"rs_core_loops_total", "Poll loops of a dataplane core."},
	{"rs_core_busy_loops_total", "Poll loops that did work."},
	{"rs_ring_occupancy", "Records waiting in a ring."},
	{"rs_ring_capacity", "Capacity of a ring in records."},
	{"rs_ring_full_total", "Times the producer found a ring full."},
	{"rs_events_published_total", "Normalized events published."},
	{"rs_book_orders_live", "Orders live in the books."},
	{"rs_book_rejected_total", "Events the book rejected as bad input."},
	{"rs_signals_total", "IFD signals emitted."},
	{"rs_bars_total", "Bars closed."},
	{"rs_bcast_overwrites_total", "Broadcast ring records overwritten (readers behind lose them)."},
};

/* A valid metric name from a counter label's name part. */
static void metric_name(const char *label, char *out, size_t len)
{
	size_t k = 0;
	for (const char *p = label; *p && *p != '{' && k + 1 < len; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' ||
			  (k && ch >= '0' && ch <= '9');
		out[k++] = ok ? ch : '_';
	}
	out[k] = 0;
}

static void seconds(struct rs_sbuf *b, uint64_t ns)
{
	rs_sbuf_printf(b, "%" PRIu64 ".%09" PRIu64, (uint64_t)(ns / 1000000000ull), (uint64_t)(ns % 1000000000ull));
}

static void hist_label(struct rs_sbuf *b, const char *name)
{
	rs_sbuf_printf(b, "{hist=");
	rs_view_jstr(b, name);
}

int rs_metrics_prometheus(struct rs_client *c, struct rs_sbuf *out)
{
	struct rs_view_counters cs;
	struct rs_view_state st;
	int rc;

	if ((rc = rs_view_counters_load(c, &cs)))
		return rc;
	if (rs_view_state(c, NULL, &st) == 0) {
		rs_sbuf_printf(out, "# HELP rs_instance_info The attached ringside instance.\n"
				    "# TYPE rs_instance_info gauge\nrs_instance_info{instance=");
		rs_view_jstr(out, st.instance);
		rs_sbuf_printf(out, ",generation=\"%u\",pid=\"%u\"} 1\n", st.generation, st.pid);
		rs_sbuf_printf(out, "# HELP rs_producer_up 1 while the producer is alive with a fresh heartbeat.\n"
				    "# TYPE rs_producer_up gauge\nrs_producer_up %d\n",
			       !strcmp(st.producer, "alive"));
		rs_sbuf_printf(out, "# HELP rs_heartbeat_timestamp_seconds Last producer heartbeat.\n"
				    "# TYPE rs_heartbeat_timestamp_seconds gauge\nrs_heartbeat_timestamp_seconds ");
		seconds(out, st.heartbeat_ns);
		rs_sbuf_printf(out, "\n");
	}
	/* counters grouped by metric name (Prometheus wants one block per name) */
	bool *done = calloc(cs.n ? cs.n : 1, sizeof(bool));
	if (!done) {
		rs_view_counters_free(&cs);
		return RS_ERR_SET(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cs.n; i++) {
		char name[128], other[128];
		if (done[i])
			continue;
		metric_name(cs.v[i].label, name, sizeof(name));
		const char *help = NULL;
		for (size_t h = 0; h < sizeof(helps) / sizeof(helps[0]); h++)
			if (!strcmp(helps[h].name, name))
				help = helps[h].help;
		if (help)
			rs_sbuf_printf(out, "# HELP %s %s\n", name, help);
		rs_sbuf_printf(out, "# TYPE %s %s\n", name,
			       cs.v[i].type == RS_COUNTER_TYPE_COUNTER ? "counter" : "gauge");
		for (size_t j = i; j < cs.n; j++) {
			if (done[j])
				continue;
			metric_name(cs.v[j].label, other, sizeof(other));
			if (strcmp(name, other))
				continue;
			done[j] = true;
			const char *lb = strchr(cs.v[j].label, '{');
			rs_sbuf_printf(out, "%s%s %" PRIu64 "\n", name, lb ? lb : "", cs.v[j].value);
		}
	}
	free(done);
	rs_view_counters_free(&cs);

	/* latency histograms */
	struct rs_latency_block *lb = malloc(sizeof(*lb));
	if (!lb)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	if (rs_metrics_latency(c, lb) == 0 && lb->nhist) {
		rs_sbuf_printf(out, "# HELP rs_latency_seconds Dataplane latency histograms.\n"
				    "# TYPE rs_latency_seconds histogram\n");
		for (uint32_t i = 0; i < lb->nhist; i++) {
			const struct rs_latency_hist *h = &lb->hist[i];
			uint64_t cum = 0;
			if (!h->name[0])
				continue;
			for (uint32_t b = 0; b + 1 < RS_LAT_BUCKETS; b++) {
				if (!h->buckets[b])
					continue;
				cum += h->buckets[b];
				rs_sbuf_printf(out, "rs_latency_seconds_bucket");
				hist_label(out, h->name);
				rs_sbuf_printf(out, ",le=\"");
				seconds(out, rs_lat_bucket_lo(b + 1) - 1); /* largest integer ns in bucket b */
				rs_sbuf_printf(out, "\"} %" PRIu64 "\n", cum);
			}
			cum += h->buckets[RS_LAT_BUCKETS - 1];
			rs_sbuf_printf(out, "rs_latency_seconds_bucket");
			hist_label(out, h->name);
			rs_sbuf_printf(out, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
			rs_sbuf_printf(out, "rs_latency_seconds_sum");
			hist_label(out, h->name);
			rs_sbuf_printf(out, "} ");
			seconds(out, h->sum_ns);
			rs_sbuf_printf(out, "\nrs_latency_seconds_count");
			hist_label(out, h->name);
			rs_sbuf_printf(out, "} %" PRIu64 "\n", cum);
		}
		static const struct {
			const char *q;
			double v;
		} qs[] = {{"0.5", 0.5}, {"0.99", 0.99}, {"0.999", 0.999}};
		rs_sbuf_printf(out, "# HELP rs_latency_quantile_seconds Latency percentiles (bucket lower bound, "
				    "< 12.5 %% error).\n# TYPE rs_latency_quantile_seconds gauge\n");
		for (uint32_t i = 0; i < lb->nhist; i++)
			for (size_t k = 0; k < 3 && lb->hist[i].name[0]; k++) {
				rs_sbuf_printf(out, "rs_latency_quantile_seconds");
				hist_label(out, lb->hist[i].name);
				rs_sbuf_printf(out, ",quantile=\"%s\"} ", qs[k].q);
				seconds(out, rs_latency_percentile(&lb->hist[i], qs[k].v));
				rs_sbuf_printf(out, "\n");
			}
		rs_sbuf_printf(out, "# HELP rs_latency_max_seconds Largest latency seen.\n"
				    "# TYPE rs_latency_max_seconds gauge\n");
		for (uint32_t i = 0; i < lb->nhist; i++) {
			if (!lb->hist[i].name[0])
				continue;
			rs_sbuf_printf(out, "rs_latency_max_seconds");
			hist_label(out, lb->hist[i].name);
			rs_sbuf_printf(out, "} ");
			seconds(out, lb->hist[i].max_ns);
			rs_sbuf_printf(out, "\n");
		}
	}
	free(lb);
	rs_sbuf_printf(out, "# HELP rs_build_info ringside build.\n# TYPE rs_build_info gauge\n"
			    "rs_build_info{version=\"%s\"} 1\n",
		       RS_VERSION);
	return out->oom ? RS_ERR_SET(-ENOMEM, "out of memory") : 0;
}

/* ------------------------------------------------------------ health */

struct reasons {
	struct rs_sbuf *b;
	int n;
	enum rs_health worst;
};

static void reason(struct reasons *r, enum rs_health level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reason(struct reasons *r, enum rs_health level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (level > r->worst)
		r->worst = level;
	if (!r->b)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs_sbuf_printf(r->b, "%s", r->n++ ? "," : "");
	rs_view_jstr(r->b, msg);
}

enum rs_health rs_health_eval(struct rs_client *c, const struct rs_config *cfg, uint64_t now_ns,
			      struct rs_sbuf *out)
{
	uint64_t silent_ns = cfg ? cfg->feed_silent_ns : 1000000000ull;
	uint64_t p99_ns = cfg ? cfg->latency_p99_ns : 100000ull;
	struct rs_view_state st = {0};
	struct rs_sbuf rb = {0};
	struct reasons r = {out ? &rb : NULL, 0, RS_HEALTH_HEALTHY};
	struct rs_view_counters cs = {0};
	struct rs_view_feeds feeds;
	char d[32];

	if (!c || rs_view_state(c, NULL, &st)) {
		reason(&r, RS_HEALTH_OFFLINE, "instance not running");
		goto done;
	}
	if (!strcmp(st.producer, "dead")) {
		reason(&r, RS_HEALTH_OFFLINE, "producer pid %u is dead", st.pid);
		goto done;
	}
	if (!strcmp(st.producer, "closed")) {
		reason(&r, RS_HEALTH_OFFLINE, "producer pid %u has shut down", st.pid);
		goto done;
	}
	if (now_ns > st.heartbeat_ns && now_ns - st.heartbeat_ns > RS_VIEW_STALE_NS) {
		reason(&r, RS_HEALTH_OFFLINE, "producer pid %u stopped: heartbeat %s old", st.pid,
		       rs_view_dur(d, sizeof(d), now_ns - st.heartbeat_ns));
		goto done;
	}
	if (rs_view_counters_load(c, &cs)) {
		reason(&r, RS_HEALTH_OFFLINE, "counters unreadable: %s", rs_errmsg());
		goto done;
	}
	rs_view_feeds_list(&cs, &feeds);
	for (unsigned i = 0; i < feeds.n; i++) {
		const char *f = feeds.f[i].name;
		uint64_t v;
		unsigned silent = 0;
		uint64_t newest = 0;
		if (rs_view_feed_get(&cs, "rs_feed_state", f, &v)) {
			if (v == 0)
				reason(&r, RS_HEALTH_CRITICAL, "feed %s is down", f);
			else if (v == 3)
				reason(&r, RS_HEALTH_CRITICAL, "feed %s is stale", f);
			else if (v == 2)
				reason(&r, RS_HEALTH_DEGRADED, "feed %s is recovering", f);
		}
		if (rs_view_feed_get(&cs, "rs_feed_unrecovered_total", f, &v) && v)
			reason(&r, RS_HEALTH_CRITICAL, "feed %s: %" PRIu64 " messages unrecovered", f, v);
		if (rs_view_feed_get(&cs, "rs_feed_gaps_open", f, &v) && v)
			reason(&r, RS_HEALTH_DEGRADED, "feed %s: %" PRIu64 " gaps open", f, v);
		for (unsigned l = 0; l < feeds.f[i].nlines; l++) {
			if (!rs_view_line_get(&cs, "rs_line_last_rx_ns", f, feeds.f[i].line[l], &v))
				continue;
			if (v > newest)
				newest = v;
			if (!v || (now_ns > v && now_ns - v > silent_ns))
				silent++;
		}
		if (feeds.f[i].nlines && silent == feeds.f[i].nlines)
			reason(&r, RS_HEALTH_CRITICAL, "feed %s silent: no packet %s", f,
			       newest ? (rs_view_dur(d, sizeof(d), now_ns - newest), d) : "yet");
		else
			for (unsigned l = 0; l < feeds.f[i].nlines; l++)
				if (rs_view_line_get(&cs, "rs_line_last_rx_ns", f, feeds.f[i].line[l], &v) &&
				    (!v || (now_ns > v && now_ns - v > silent_ns)))
					reason(&r, RS_HEALTH_DEGRADED, "feed %s line %s silent: no packet %s", f,
					       feeds.f[i].line[l], v ? (rs_view_dur(d, sizeof(d), now_ns - v), d) : "yet");
	}
	for (size_t i = 0; i < cs.n; i++) {
		char ring[32];
		if (!strncmp(cs.v[i].label, "rs_ring_full_total{", 19) && cs.v[i].value &&
		    rs_view_label_value(cs.v[i].label, "ring", ring, sizeof(ring)))
			reason(&r, RS_HEALTH_DEGRADED, "ring %s overran %" PRIu64 " times", ring, cs.v[i].value);
	}
	{
		struct rs_latency_block *lb = malloc(sizeof(*lb));
		if (lb && rs_metrics_latency(c, lb) == 0)
			for (uint32_t i = 0; i < lb->nhist; i++) {
				uint64_t p = rs_latency_percentile(&lb->hist[i], 0.99);
				char lim[32];
				if (lb->hist[i].name[0] && p > p99_ns)
					reason(&r, RS_HEALTH_DEGRADED, "latency %s p99 %s above %s", lb->hist[i].name,
					       rs_view_dur(d, sizeof(d), p), rs_view_dur(lim, sizeof(lim), p99_ns));
			}
		free(lb);
	}
done:
	rs_view_counters_free(&cs);
	if (out) {
		rs_sbuf_printf(out, "{\"status\":\"%s\",\"reasons\":[%s]", rs_health_name(r.worst), rb.p ? rb.p : "");
		rs_sbuf_free(&rb);
		if (c && st.instance[0]) {
			rs_sbuf_printf(out, ",\"instance\":");
			rs_view_jstr(out, st.instance);
			rs_sbuf_printf(out, ",\"generation\":%u,\"producer\":\"%s\",\"pid\":%u", st.generation,
				       st.producer, st.pid);
		}
		rs_sbuf_printf(out, "}");
	}
	return r.worst;
}
