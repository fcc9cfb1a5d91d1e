/* rs_view.c - helpers shared by the operator views; see rs_view.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_cli.h"
#include "rs_shm.h"
#include "rs_view.h"

void rs_view_jstr(struct rs_sbuf *b, const char *s)
{
	rs_sbuf_printf(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': rs_sbuf_printf(b, "\\\""); break;
		case '\\': rs_sbuf_printf(b, "\\\\"); break;
		case '\n': rs_sbuf_printf(b, "\\n"); break;
		case '\r': rs_sbuf_printf(b, "\\r"); break;
		case '\t': rs_sbuf_printf(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rs_sbuf_printf(b, "\\u%04x", *p);
			else
				rs_sbuf_printf(b, "%c", *p);
		}
	}
	rs_sbuf_printf(b, "\"");
}

const char *rs_view_price(char *buf, size_t len, int64_t price)
{
	if (price == RS_UNDEF_PRICE) {
		snprintf(buf, len, "-");
		return buf;
	}
	uint64_t a = price < 0 ? (uint64_t)0 - (uint64_t)price : (uint64_t)price;
	uint64_t ip = a / 1000000000ull, fp = a % 1000000000ull;
	int dec = 9;
	while (dec > 4 && fp % 10 == 0) {
		fp /= 10;
		dec--;
	}
	snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64, price < 0 ? "-" : "", ip, dec, fp);
	return buf;
}

const char *rs_view_dur(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else if (ns < 60000000000ull)
		snprintf(buf, len, "%.1fs", (double)ns / 1e9);
	else if (ns < 3600000000000ull)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", (uint64_t)(ns / 60000000000ull), (uint64_t)(ns / 1000000000ull % 60));
	else
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", (uint64_t)(ns / 3600000000000ull), (uint64_t)(ns / 60000000000ull % 60));
	return buf;
}

const char *rs_view_time(char *buf, size_t len, uint64_t ns)
{
	if (ns == RS_UNDEF_TS || ns == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%09" PRIu64, tm.tm_hour, tm.tm_min, tm.tm_sec, (uint64_t)(ns % 1000000000ull));
	return buf;
}

const char *rs_view_count(char *buf, size_t len, uint64_t v)
{
	if (v < 10000)
		snprintf(buf, len, "%" PRIu64, v);
	else if (v < 10000000)
		snprintf(buf, len, "%.1fk", (double)v / 1e3);
	else if (v < 10000000000ull)
		snprintf(buf, len, "%.1fM", (double)v / 1e6);
	else
		snprintf(buf, len, "%.1fG", (double)v / 1e9);
	return buf;
}

struct load_ctx {
	struct rs_view_counters *s;
	size_t cap;
	int oom;
};

static int load_one(void *arg, uint32_t id, uint32_t type, const char *label, uint64_t value)
{
	struct load_ctx *x = arg;
	(void)id;
	if (x->s->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 256;
		struct rs_view_counter *nv = realloc(x->s->v, nc * sizeof(*nv));
		if (!nv) {
			x->oom = 1;
			return 1;
		}
		x->s->v = nv;
		x->cap = nc;
	}
	struct rs_view_counter *c = &x->s->v[x->s->n++];
	snprintf(c->label, sizeof(c->label), "%s", label);
	c->type = type;
	c->value = value;
	return 0;
}

int rs_view_counters_load(struct rs_client *c, struct rs_view_counters *out)
{
	struct load_ctx x = {out, 0, 0};
	out->v = NULL;
	out->n = 0;
	int rc = rs_client_counters(c, load_one, &x);
	if (x.oom) {
		rs_view_counters_free(out);
		return -ENOMEM;
	}
	return rc < 0 ? rc : 0;
}

void rs_view_counters_free(struct rs_view_counters *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

bool rs_view_counter_get(const struct rs_view_counters *s, const char *label, uint64_t *out)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].label, label)) {
			*out = s->v[i].value;
			return true;
		}
	return false;
}

bool rs_view_feed_get(const struct rs_view_counters *s, const char *name, const char *feed, uint64_t *out)
{
	char l[160];
	snprintf(l, sizeof(l), "%s{feed=\"%s\"}", name, feed);
	return rs_view_counter_get(s, l, out);
}

bool rs_view_line_get(const struct rs_view_counters *s, const char *name, const char *feed, const char *line,
		      uint64_t *out)
{
	char l[160];
	snprintf(l, sizeof(l), "%s{feed=\"%s\",line=\"%s\"}", name, feed, line);
	return rs_view_counter_get(s, l, out);
}

bool rs_view_label_value(const char *label, const char *key, char *out, size_t len)
{
	char pat[48];
	snprintf(pat, sizeof(pat), "%s=\"", key);
	const char *b = strchr(label, '{');
	while (b && (b = strstr(b, pat))) {
		if (b[-1] == '{' || b[-1] == ',') {
			const char *v = b + strlen(pat), *e = strchr(v, '"');
			if (!e)
				return false;
			snprintf(out, len, "%.*s", (int)(e - v), v);
			return true;
		}
		b++;
	}
	return false;
}

void rs_view_feeds_list(const struct rs_view_counters *s, struct rs_view_feeds *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n; i++) {
		const char *lb = s->v[i].label;
		char feed[32], line[16];
		bool is_line = !strncmp(lb, "rs_line_", 8), is_feed = !strncmp(lb, "rs_feed_", 8);
		if ((!is_line && !is_feed) || !rs_view_label_value(lb, "feed", feed, sizeof(feed)))
			continue;
		unsigned k;
		for (k = 0; k < out->n; k++)
			if (!strcmp(out->f[k].name, feed))
				break;
		if (k == out->n) {
			if (out->n == RS_VIEW_MAX_FEEDS)
				continue;
			snprintf(out->f[out->n++].name, sizeof(out->f[0].name), "%s", feed);
		}
		if (is_line && rs_view_label_value(lb, "line", line, sizeof(line))) {
			unsigned j;
			for (j = 0; j < out->f[k].nlines; j++)
				if (!strcmp(out->f[k].line[j], line))
					break;
			if (j == out->f[k].nlines && j < 4)
				snprintf(out->f[k].line[out->f[k].nlines++], sizeof(out->f[0].line[0]), "%s", line);
		}
	}
}

const char *rs_view_feed_state(uint64_t v)
{
	switch (v) {
	case 0: return "down";
	case 1: return "up";
	case 2: return "recovering";
	case 3: return "stale";
	default: return "unknown";
	}
}

int rs_view_open(struct rs_client **c, const char *instance, const char *cmd)
{
	struct rs_client_opts o = {.stale_ns = UINT64_MAX / 4};
	if (!rs_client_open(c, instance, &o))
		return 0;
	fprintf(stderr, "ringside %s: %s\n", cmd, rs_errmsg());
	return RS_EX_UNAVAILABLE;
}

uint64_t rs_view_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* libringside may export the attached instance's name (a newer shm/);
 * without it the name is found by matching the counters segment. */
const char *rs_client_instance(const struct rs_client *c) __attribute__((weak)); /* libringside */

struct find_ctx {
	const char *instance;     /* NULL: match pid + generation */
	uint32_t pid, generation;
	struct rs_view_state *st;
	int found;
};

static int find_seg(const struct rs_shm_entry *e, void *arg)
{
	struct find_ctx *x = arg;

	if (x->instance && strcmp(e->instance, x->instance))
		return 0;
	if (!x->instance && (strcmp(e->name, RS_SEGNAME_COUNTERS) || !e->valid || e->pid != x->pid ||
			     e->generation != x->generation))
		return 0;
	if (x->instance || !x->found) {
		x->st->nsegs++;
		x->st->nhuge += e->huge;
	}
	if (strcmp(e->name, RS_SEGNAME_COUNTERS) || !e->valid || x->found)
		return 0;
	x->found = 1;
	snprintf(x->st->instance, sizeof(x->st->instance), "%s", e->instance);
	x->st->pid = e->pid;
	x->st->generation = e->generation;
	x->st->heartbeat_ns = e->heartbeat_ns;
	x->st->start_time_ns = e->start_time_ns;
	const char *p = rs_shm_producer_state_str(e->producer);
	if (e->producer == RS_PRODUCER_ALIVE && rs_view_now_ns() > e->heartbeat_ns &&
	    rs_view_now_ns() - e->heartbeat_ns > RS_VIEW_STALE_NS)
		p = "stale";
	snprintf(x->st->producer, sizeof(x->st->producer), "%s", p);
	return 0;
}

int rs_view_state(struct rs_client *c, const char *instance, struct rs_view_state *st)
{
	struct find_ctx x = {instance, 0, 0, st, 0};
	int rc;

	memset(st, 0, sizeof(*st));
	snprintf(st->producer, sizeof(st->producer), "unknown");
	if (!instance && c && rs_client_instance)
		x.instance = instance = rs_client_instance(c);
	if (!instance) {
		struct rs_segment_info segs[32];
		int n = rs_client_segments(c, segs, 32);
		if (n < 0)
			return n;
		for (int i = 0; i < n && i < 32; i++)
			if (!strcmp(segs[i].name, RS_SEGNAME_COUNTERS)) {
				x.pid = segs[i].pid;
				x.generation = segs[i].generation;
			}
	}
	rc = rs_shm_list(x.instance, find_seg, &x);
	if (rc < 0)
		return rc;
	if (!x.found)
		return -ENOENT;
	if (!instance) { /* count the segments of the instance found */
		char name[32];
		snprintf(name, sizeof(name), "%s", st->instance);
		struct rs_view_state tmp = *st;
		struct find_ctx y = {name, 0, 0, &tmp, 0};
		tmp.nsegs = tmp.nhuge = 0;
		if (rs_shm_list(name, find_seg, &y) >= 0) {
			st->nsegs = tmp.nsegs;
			st->nhuge = tmp.nhuge;
		}
	}
	return 0;
}
