/* test_metrics.c - Prometheus exposition, latency percentiles and health
 * states from an instance created here with the rs_metrics.h counter
 * names and a latency histogram of known values. Suite: rs_metrics. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/rs_metrics.h"
#include "rs_instance.h"

static char shmdir[128], inst[32];
static struct rs_instance *in;
static struct rs_client *cl;
static _Atomic uint64_t *v_state, *v_unrec, *v_last_a, *v_last_b, *v_gaps_open, *v_ring_full;
static uint64_t T;

static _Atomic uint64_t *counter(uint32_t type, const char *label, uint64_t value)
{
	int id = rs_counters_alloc(&in->counters, type, 0, label);
	cr_assert_geq(id, 0, "%s", label);
	rs_counters_set(rs_counters_value(&in->counters, id), value);
	return rs_counters_value(&in->counters, id);
}

static void record(struct rs_latency_hist *h, uint64_t ns, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		h->buckets[rs_lat_bucket(ns)]++;
		h->count++;
		h->sum_ns += ns;
		if (ns > h->max_ns)
			h->max_ns = ns;
		if (ns < h->min_ns)
			h->min_ns = ns;
	}
}

static void setup(void)
{
	struct rs_instance_conf c;

	snprintf(shmdir, sizeof(shmdir), "/tmp/rs-metrics-test-%d", (int)getpid());
	snprintf(inst, sizeof(inst), "m%d", (int)getpid());
	setenv("RINGSIDE_SHM_DIR", shmdir, 1);
	setenv("RINGSIDE_HUGE_DIR", "", 1);
	rs_instance_conf_default(&c, inst);
	c.generation = 7;
	c.max_instruments = 64;
	c.depth = 5;
	c.event_slots = 1024;
	c.counters = 64;
	c.huge = RS_SHM_HUGE_OFF;
	c.analytics = false;
	cr_assert_eq(rs_instance_create(&in, &c), 0, "%s", rs_errmsg());
	T = rs_shm_now_ns();
	counter(RS_COUNTER_TYPE_COUNTER, "rs_line_packets_total{feed=\"nasdaq\",line=\"A\"}", 100);
	counter(RS_COUNTER_TYPE_COUNTER, "rs_line_packets_total{feed=\"nasdaq\",line=\"B\"}", 90);
	v_last_a = counter(RS_COUNTER_TYPE_HEARTBEAT, "rs_line_last_rx_ns{feed=\"nasdaq\",line=\"A\"}", T);
	v_last_b = counter(RS_COUNTER_TYPE_HEARTBEAT, "rs_line_last_rx_ns{feed=\"nasdaq\",line=\"B\"}", T);
	v_state = counter(RS_COUNTER_TYPE_GAUGE, "rs_feed_state{feed=\"nasdaq\"}", 1);
	v_gaps_open = counter(RS_COUNTER_TYPE_GAUGE, "rs_feed_gaps_open{feed=\"nasdaq\"}", 0);
	v_unrec = counter(RS_COUNTER_TYPE_COUNTER, "rs_feed_unrecovered_total{feed=\"nasdaq\"}", 0);
	v_ring_full = counter(RS_COUNTER_TYPE_COUNTER, "rs_ring_full_total{ring=\"handler0\"}", 0);
	counter(RS_COUNTER_TYPE_COUNTER, "demo.itch_messages", 5);

	struct rs_latency_hist *h = &in->latency->hist[0];
	snprintf(h->name, sizeof(h->name), "rx_to_publish/core1");
	h->min_ns = UINT64_MAX;
	record(h, 1000, 90);
	record(h, 5000, 9);
	record(h, 200000, 1);
	in->latency->nhist = 1;
	rs_instance_publish(in);
	rs_instance_heartbeat(in);
	cr_assert_eq(rs_client_open(&cl, inst, NULL), 0, "%s", rs_errmsg());
}

static void teardown(void)
{
	char cmd[256];
	rs_client_close(cl);
	if (in)
		rs_instance_close(in, true);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shmdir);
	if (system(cmd)) {
	}
}

TestSuite(rs_metrics, .init = setup, .fini = teardown);

static void has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);
	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	cr_assert_fail("missing line\n  %s\nin\n%s", line, text);
}

Test(rs_metrics, prometheus_text)
{
	struct rs_sbuf b = {0};

	cr_assert_eq(rs_metrics_prometheus(cl, &b), 0, "%s", rs_errmsg());
	const char *t = b.p;
	cr_assert(strstr(t, "# HELP rs_line_packets_total Packets received on a feed line.\n"
			    "# TYPE rs_line_packets_total counter\n"
			    "rs_line_packets_total{feed=\"nasdaq\",line=\"A\"} 100\n"
			    "rs_line_packets_total{feed=\"nasdaq\",line=\"B\"} 90\n"),
		  "%s", t);
	has_line(t, "# TYPE rs_line_last_rx_ns gauge");
	has_line(t, "# TYPE rs_feed_state gauge");
	has_line(t, "rs_feed_state{feed=\"nasdaq\"} 1");
	has_line(t, "# TYPE rs_feed_unrecovered_total counter");
	has_line(t, "# TYPE demo_itch_messages counter"); /* '.' is not valid in a metric name */
	has_line(t, "demo_itch_messages 5");
	char want[160];
	snprintf(want, sizeof(want), "rs_instance_info{instance=\"%s\",generation=\"7\",pid=\"%d\"} 1", inst,
		 (int)getpid());
	has_line(t, want);
	has_line(t, "rs_producer_up 1");
	cr_assert(strstr(t, "# TYPE rs_latency_seconds histogram\n"
			    "rs_latency_seconds_bucket{hist=\"rx_to_publish/core1\",le=\"0.000001023\"} 90\n"
			    "rs_latency_seconds_bucket{hist=\"rx_to_publish/core1\",le=\"0.000005119\"} 99\n"
			    "rs_latency_seconds_bucket{hist=\"rx_to_publish/core1\",le=\"0.000212991\"} 100\n"
			    "rs_latency_seconds_bucket{hist=\"rx_to_publish/core1\",le=\"+Inf\"} 100\n"
			    "rs_latency_seconds_sum{hist=\"rx_to_publish/core1\"} 0.000335000\n"
			    "rs_latency_seconds_count{hist=\"rx_to_publish/core1\"} 100\n"),
		  "%s", t);
	has_line(t, "rs_latency_quantile_seconds{hist=\"rx_to_publish/core1\",quantile=\"0.5\"} 0.000000960");
	has_line(t, "rs_latency_quantile_seconds{hist=\"rx_to_publish/core1\",quantile=\"0.99\"} 0.000004608");
	has_line(t, "rs_latency_quantile_seconds{hist=\"rx_to_publish/core1\",quantile=\"0.999\"} 0.000196608");
	has_line(t, "rs_latency_max_seconds{hist=\"rx_to_publish/core1\"} 0.000200000");
	has_line(t, "rs_build_info{version=\"0.1.0\"} 1");
	/* every TYPE appears once */
	cr_assert_null(strstr(strstr(t, "# TYPE rs_line_packets_total") + 1, "# TYPE rs_line_packets_total"));
	rs_sbuf_free(&b);
}

Test(rs_metrics, percentiles)
{
	struct rs_latency_block lb;
	cr_assert_eq(rs_metrics_latency(cl, &lb), 0, "%s", rs_errmsg());
	cr_assert_eq(lb.nhist, 1);
	const struct rs_latency_hist *h = &lb.hist[0];
	cr_assert_str_eq(h->name, "rx_to_publish/core1");
	cr_assert_eq(rs_latency_percentile(h, 0.5), 960);
	cr_assert_eq(rs_latency_percentile(h, 0.9), 960);
	cr_assert_eq(rs_latency_percentile(h, 0.91), 4608);
	cr_assert_eq(rs_latency_percentile(h, 0.99), 4608);
	cr_assert_eq(rs_latency_percentile(h, 0.999), 196608);
	cr_assert_eq(rs_latency_percentile(h, 1.0), 200000);
	struct rs_latency_hist empty = {.min_ns = UINT64_MAX};
	cr_assert_eq(rs_latency_percentile(&empty, 0.5), 0);
	cr_assert_eq(rs_latency_percentile(&empty, 1.0), 0);
	/* small values are exact */
	struct rs_latency_hist small = {0};
	small.buckets[rs_lat_bucket(7)] = 1;
	small.max_ns = 7;
	cr_assert_eq(rs_latency_percentile(&small, 0.5), 7);
}

static const char *health(const struct rs_config *cfg, uint64_t now, enum rs_health want)
{
	static struct rs_sbuf b;
	rs_sbuf_free(&b);
	enum rs_health h = rs_health_eval(cl, cfg, now, &b);
	cr_assert_eq(h, want, "%s", b.p);
	return b.p;
}

static void starts(const char *s, const char *prefix)
{
	cr_assert(!strncmp(s, prefix, strlen(prefix)), "got\n  %s\nwant prefix\n  %s", s, prefix);
}

Test(rs_metrics, health_states)
{
	struct rs_config cfg;
	struct rs_sbuf b = {0};
	char want[256];

	rs_config_defaults(&cfg);
	/* offline: no instance */
	cr_assert_eq(rs_health_eval(NULL, NULL, T, &b), RS_HEALTH_OFFLINE);
	cr_assert_str_eq(b.p, "{\"status\":\"offline\",\"reasons\":[\"instance not running\"]}");
	rs_sbuf_free(&b);
	cr_assert_str_eq(rs_health_name(RS_HEALTH_CRITICAL), "critical");

	/* healthy */
	snprintf(want, sizeof(want),
		 "{\"status\":\"healthy\",\"reasons\":[],\"instance\":\"%s\",\"generation\":7,\"producer\":\"alive\",\"pid\":%d}",
		 inst, (int)getpid());
	cr_assert_str_eq(health(&cfg, T, RS_HEALTH_HEALTHY), want);
	cr_assert_eq(rs_health_eval(cl, NULL, T, NULL), RS_HEALTH_HEALTHY);

	/* degraded: one line silent, a gap open, a ring overran, p99 over the limit */
	rs_counters_set(v_last_b, T - 3000000000ull);
	starts(health(&cfg, T, RS_HEALTH_DEGRADED),
	       "{\"status\":\"degraded\",\"reasons\":[\"feed nasdaq line B silent: no packet 3.0s\"]");
	rs_counters_set(v_gaps_open, 2);
	rs_counters_set(v_ring_full, 4);
	cfg.latency_p99_ns = 1000;
	starts(health(&cfg, T, RS_HEALTH_DEGRADED),
	       "{\"status\":\"degraded\",\"reasons\":[\"feed nasdaq: 2 gaps open\",\"feed nasdaq line B silent: no packet "
	       "3.0s\",\"ring handler0 overran 4 times\",\"latency rx_to_publish/core1 p99 4.6us above 1.0us\"]");
	rs_counters_set(v_gaps_open, 0);
	rs_counters_set(v_ring_full, 0);
	rs_config_defaults(&cfg);
	cfg.feed_silent_ns = 5000000000ull; /* 3 s of silence is fine with a 5 s limit */
	cr_assert_eq(rs_health_eval(cl, &cfg, T, NULL), RS_HEALTH_HEALTHY);

	/* critical: both lines silent; feed down; unrecovered messages */
	rs_config_defaults(&cfg);
	rs_counters_set(v_last_a, T - 2000000000ull);
	starts(health(&cfg, T, RS_HEALTH_CRITICAL),
	       "{\"status\":\"critical\",\"reasons\":[\"feed nasdaq silent: no packet 2.0s\"]");
	rs_counters_set(v_last_a, T);
	rs_counters_set(v_last_b, T);
	rs_counters_set(v_state, 0);
	rs_counters_set(v_unrec, 5);
	starts(health(&cfg, T, RS_HEALTH_CRITICAL),
	       "{\"status\":\"critical\",\"reasons\":[\"feed nasdaq is down\",\"feed nasdaq: 5 messages unrecovered\"]");
	rs_counters_set(v_state, 2);
	rs_counters_set(v_unrec, 0);
	starts(health(&cfg, T, RS_HEALTH_DEGRADED), "{\"status\":\"degraded\",\"reasons\":[\"feed nasdaq is recovering\"]");
	rs_counters_set(v_state, 1);

	/* offline: producer stopped (heartbeat 10 s old), then shut down */
	snprintf(want, sizeof(want), "{\"status\":\"offline\",\"reasons\":[\"producer pid %d stopped: heartbeat 1", (int)getpid());
	starts(health(&cfg, rs_shm_now_ns() + 10000000000ull, RS_HEALTH_OFFLINE), want);
	rs_instance_close(in, false);
	in = NULL;
	snprintf(want, sizeof(want), "{\"status\":\"offline\",\"reasons\":[\"producer pid %d has shut down\"]", (int)getpid());
	starts(health(&cfg, T, RS_HEALTH_OFFLINE), want);
}
