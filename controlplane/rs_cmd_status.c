/*
 * rs_cmd_status.c - `ringside status`: one screen (or one JSON object)
 * answering "is the appliance OK?": instance, generation, producer
 * liveness, uptime, huge pages, a line per feed, and the health verdict
 * with its reasons. Reads shared memory only, so it answers while the
 * daemon is wedged.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rs_cli.h"
#include "rs_metrics.h"
#include "rs_view.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside status [-i|--instance NAME] [--json]\n\n"
		   "Instance, generation, producer (alive | dead | stale | closed), uptime, huge\n"
		   "pages, one line per feed and the health verdict (healthy | degraded | critical\n"
		   "| offline) with its reasons, read from shared memory (works while ringsided is\n"
		   "wedged). Exit 0, or 69 when the instance cannot be attached.\n"
		   "  -i, --instance NAME   instance (default demo)\n"
		   "      --json            one JSON object\n");
}

static int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo";
	int opt, json = 0, rc;
	struct rs_client *c = NULL;
	struct rs_view_state st;
	struct rs_view_counters cs = {0};
	struct rs_view_feeds feeds;
	struct rs_sbuf b = {0}, hb = {0};
	char d1[32], d2[32];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jh", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	struct rs_client_opts o = {.stale_ns = UINT64_MAX / 4};
	if ((rc = rs_client_open(&c, instance, &o))) {
		/* offline: still a complete answer */
		if (json) {
			rs_sbuf_printf(&b, "{\"instance\":");
			rs_view_jstr(&b, instance);
			rs_sbuf_printf(&b, ",\"producer\":\"%s\",\"health\":{\"status\":\"offline\",\"reasons\":[",
				       rc == -EOWNERDEAD ? "dead" : "none");
			rs_view_jstr(&b, rs_errmsg());
			rs_sbuf_printf(&b, "]}}\n");
			fwrite(b.p, 1, b.len, stdout);
			rs_sbuf_free(&b);
		} else {
			printf("instance   %s\nhealth     offline: %s\n", instance, rs_errmsg());
		}
		return RS_EX_UNAVAILABLE;
	}
	uint64_t now = rs_view_now_ns();
	rs_view_state(c, instance, &st);
	rs_view_counters_load(c, &cs);
	rs_view_feeds_list(&cs, &feeds);
	enum rs_health h = rs_health_eval(c, NULL, now, &hb);
	uint64_t hb_age = now > st.heartbeat_ns ? now - st.heartbeat_ns : 0;
	uint64_t up = now > st.start_time_ns ? now - st.start_time_ns : 0;

	if (json) {
		rs_sbuf_printf(&b, "{\"instance\":");
		rs_view_jstr(&b, instance);
		rs_sbuf_printf(&b,
			       ",\"generation\":%u,\"pid\":%u,\"producer\":\"%s\",\"heartbeat_age_ns\":%" PRIu64
			       ",\"uptime_ns\":%" PRIu64 ",\"segments\":%u,\"huge_segments\":%u,\"feeds\":[",
			       st.generation, st.pid, st.producer, hb_age, up, st.nsegs, st.nhuge);
		for (unsigned i = 0; i < feeds.n; i++) {
			uint64_t state = 0, msgs = 0, gaps = 0, unrec = 0;
			const char *f = feeds.f[i].name;
			bool has_state = rs_view_feed_get(&cs, "rs_feed_state", f, &state);
			rs_view_feed_get(&cs, "rs_feed_messages_total", f, &msgs);
			rs_view_feed_get(&cs, "rs_feed_gaps_total", f, &gaps);
			rs_view_feed_get(&cs, "rs_feed_unrecovered_total", f, &unrec);
			rs_sbuf_printf(&b, "%s{\"name\":", i ? "," : "");
			rs_view_jstr(&b, f);
			rs_sbuf_printf(&b,
				       ",\"state\":\"%s\",\"messages\":%" PRIu64 ",\"gaps\":%" PRIu64
				       ",\"unrecovered\":%" PRIu64 ",\"lines\":[",
				       has_state ? rs_view_feed_state(state) : "unknown", msgs, gaps, unrec);
			for (unsigned l = 0; l < feeds.f[i].nlines; l++) {
				rs_sbuf_printf(&b, "%s", l ? "," : "");
				rs_view_jstr(&b, feeds.f[i].line[l]);
			}
			rs_sbuf_printf(&b, "]}");
		}
		rs_sbuf_printf(&b, "],\"health\":%s}\n", hb.p ? hb.p : "{}");
		fwrite(b.p, 1, b.len, stdout);
	} else {
		printf("instance   %s\n", instance);
		printf("generation %u\n", st.generation);
		printf("producer   pid %u %s (heartbeat %s ago)\n", st.pid, st.producer, rs_view_dur(d1, sizeof(d1), hb_age));
		printf("uptime     %s\n", rs_view_dur(d2, sizeof(d2), up));
		printf("huge pages %u of %u segments%s\n", st.nhuge, st.nsegs,
		       st.nhuge < st.nsegs ? " (rest in ordinary shared memory)" : "");
		if (!feeds.n)
			printf("feeds      none reported\n");
		for (unsigned i = 0; i < feeds.n; i++) {
			uint64_t state = 0, msgs = 0, gaps = 0, unrec = 0;
			const char *f = feeds.f[i].name;
			bool has_state = rs_view_feed_get(&cs, "rs_feed_state", f, &state);
			rs_view_feed_get(&cs, "rs_feed_messages_total", f, &msgs);
			rs_view_feed_get(&cs, "rs_feed_gaps_total", f, &gaps);
			rs_view_feed_get(&cs, "rs_feed_unrecovered_total", f, &unrec);
			printf("%s %-16s %-10s messages %s  gaps %" PRIu64 "  unrecovered %" PRIu64 "  lines %u\n",
			       i ? "          " : "feeds     ", f, has_state ? rs_view_feed_state(state) : "unknown",
			       rs_view_count(d1, sizeof(d1), msgs), gaps, unrec, feeds.f[i].nlines);
		}
		printf("health     %s\n", rs_health_name(h));
		/* reasons: the JSON strings of hb, one per line */
		const char *r = hb.p ? strstr(hb.p, "\"reasons\":[") : NULL;
		if (r) {
			r += 11;
			while (*r == '"') {
				const char *e = r + 1;
				while (*e && !(*e == '"' && e[-1] != '\\'))
					e++;
				printf("           - %.*s\n", (int)(e - r - 1), r + 1);
				r = *e ? e + 1 : e;
				if (*r == ',')
					r++;
			}
		}
	}
	rs_sbuf_free(&b);
	rs_sbuf_free(&hb);
	rs_view_counters_free(&cs);
	rs_client_close(c);
	return RS_EX_OK;
}

RS_CLI_COMMAND(status, cmd_status, "status [-i NAME] [--json]", "instance, producer, feeds and health at a glance")
