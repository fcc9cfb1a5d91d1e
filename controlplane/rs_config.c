/*
 * rs_config.c - the appliance configuration: YAML (libyaml document API)
 * -> struct rs_config, validated. COLD.
 *
 * The schema is a set of tables (struct fdef): one per mapping, each entry
 * a key, its kind, and the offset of the field it fills. One walker
 * (parse_map) applies a table to a mapping node: unknown keys (with a
 * "did you mean" by edit distance), duplicate keys, missing required keys
 * and every typed value are checked there, so each message names the file,
 * the line and the full key path. Checks that span fields (core counts,
 * unique feed names, driver-specific keys) run after a mapping is read.
 * Errors are collected (up to RS_CFG_MAX_ERRORS) instead of stopping at
 * the first one, so an operator fixes a file in one pass.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "rs_config.h"
#include "rs_err.h"

#define RS_CFG_MAX_ERRORS 20
#define ERRBUF 8192

/* ------------------------------------------------------------ embedded */

const char rs_config_embedded_yaml[] =
	"# ringside embedded demo configuration: one NASDAQ TotalView-ITCH feed\n"
	"# over MoldUDP64 on loopback (replay it with `ringside replay`), io_uring,\n"
	"# everything on one core (inline mode), analytics on.\n"
	"instance: demo\n"
	"cores:\n"
	"  mode: inline\n"
	"  rx: [1]\n"
	"  handlers: [1]\n"
	"  control: 0\n"
	"feeds:\n"
	"  - name: nasdaq\n"
	"    protocol: itch-moldudp64\n"
	"    lines:\n"
	"      - name: A\n"
	"        driver: uring\n"
	"        interface: lo\n"
	"        bind: 127.0.0.1\n"
	"        port: 26400\n"
	"      - name: B\n"
	"        driver: uring\n"
	"        interface: lo\n"
	"        bind: 127.0.0.1\n"
	"        port: 26401\n"
	"    recovery:\n"
	"      server: 127.0.0.1:26500\n"
	"analytics:\n"
	"  enabled: true\n"
	"control:\n"
	"  http: 127.0.0.1:9106\n";

/* ------------------------------------------------------------ errors */

static __thread char cfg_errs[ERRBUF];

const char *rs_config_errors(void)
{
	return cfg_errs;
}

struct cx {
	yaml_document_t *doc;
	const char *file;
	const char *text;        /* the input, for reader errors given as offsets */
	size_t textlen;
	int nerr;
	size_t errlen;
	struct rs_config *c;
	/* lines remembered for cross-field checks */
	int line_cores, line_rx, line_handlers;
};

static void cx_err(struct cx *x, int line, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cx_err(struct cx *x, int line, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	x->nerr++;
	if (x->nerr > RS_CFG_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		n = snprintf(cfg_errs + x->errlen, sizeof(cfg_errs) - x->errlen, "%s%s:%d: %s: %s",
			     x->errlen ? "\n" : "", x->file, line, path, msg);
	else
		n = snprintf(cfg_errs + x->errlen, sizeof(cfg_errs) - x->errlen, "%s%s:%d: %s",
			     x->errlen ? "\n" : "", x->file, line, msg);
	if (n > 0)
		x->errlen = x->errlen + (size_t)n < sizeof(cfg_errs) ? x->errlen + (size_t)n : sizeof(cfg_errs) - 1;
}

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a sequence";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* `key:` with nothing after it (YAML null) */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = sval(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

/* ------------------------------------------------------------ value parsers */

int rs_config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case 'k': case 'K': mul = 1ull << 10; p++; break;
	case 'M': mul = 1ull << 20; p++; break;
	case 'G': mul = 1ull << 30; p++; break;
	default: break;
	}
	if (*p || (v && mul > UINT64_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

int rs_config_parse_duration(const char *s, int64_t *out)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000ull},
		{"m", 60000000000ull}, {"h", 3600000000000ull}};
	const char *p = s;
	bool neg = false;
	uint64_t v = 0;
	double frac = 0, scale = 1;

	if (*p == '-')
		neg = true, p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++)
			frac += (*p - '0') * (scale /= 10);
	}
	if (!*p) { /* a bare number is only accepted for zero */
		if (v || frac)
			return -EINVAL;
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].u))
			continue;
		if (v > (uint64_t)INT64_MAX / units[i].ns)
			return -EINVAL;
		uint64_t ns = v * units[i].ns + (uint64_t)(frac * (double)units[i].ns + 0.5);
		if (ns > (uint64_t)INT64_MAX)
			return -EINVAL;
		*out = neg ? -(int64_t)ns : (int64_t)ns;
		return 0;
	}
	return -EINVAL;
}

/* "1s", "100ms", "-5h": largest exact unit */
static void fmt_dur(char *buf, size_t len, int64_t ns)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{"h", 3600000000000ull}, {"m", 60000000000ull}, {"s", 1000000000ull},
		{"ms", 1000000}, {"us", 1000}, {"ns", 1}};
	uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	if (!a) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (a % units[i].ns == 0) {
			snprintf(buf, len, "%s%llu%s", ns < 0 ? "-" : "", (unsigned long long)(a / units[i].ns),
				 units[i].u);
			return;
		}
}

static void fmt_size(char *buf, size_t len, uint64_t v)
{
	if (v && v % (1ull << 30) == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
	else if (v && v % (1ull << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v && v % (1ull << 10) == 0)
		snprintf(buf, len, "%lluk", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* Levenshtein distance, for "did you mean" */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static bool valid_ipv4(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

/* "host:port" with an IPv4 address or a host name; port 0..65535 (min_port..) */
static const char *check_hostport(const char *s, unsigned min_port)
{
	const char *colon = strrchr(s, ':');
	char *e;

	if (!colon || colon == s)
		return "expected host:port";
	errno = 0;
	unsigned long p = strtoul(colon + 1, &e, 10);
	if (!colon[1] || *e || errno || p > 65535 || p < min_port)
		return min_port ? "port must be 1..65535" : "port must be 0..65535";
	for (const char *q = s; q < colon; q++)
		if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-' && *q != '_')
			return "bad host name";
	return NULL;
}

/* ------------------------------------------------------------ schema tables */

enum fk {
	K_STR,      /* string into char[size] */
	K_INT,      /* unsigned integer, k/M/G suffixes; size 1/2/4/8 */
	K_CPU,      /* int CPU number or -1 */
	K_DUR,      /* duration into uint64 (>= 0) */
	K_SDUR,     /* signed duration into int64 */
	K_BOOL,
	K_DBL,
	K_ENUM,     /* names[] -> int stored in an enum (size 4) */
	K_DURLIST,  /* list of durations into uint64[maxn], count at cnt_off (uint32) */
	K_CPULIST,  /* list of CPUs into int[maxn], count at cnt_off */
	K_SECTION,  /* nested mapping, same base */
	K_CUSTOM,
};

#define F_REQUIRED 0x1u
#define F_POW2     0x2u

struct fdef;
typedef void (*custom_fn)(struct cx *x, yaml_node_t *n, const char *path, void *base);

struct fdef {
	const char *key;
	enum fk kind;
	size_t off, size;
	int64_t min, max;
	const char *const *names;
	size_t cnt_off;
	uint32_t maxn;
	uint32_t flags;
	const struct fdef *sub;   /* K_SECTION */
	custom_fn fn;             /* K_CUSTOM */
};

#define FEND {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, NULL, NULL}

static void set_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);
	memset(dst, 0, cap);
	memcpy(dst, s, n < cap ? n : cap - 1);
}

static void store_int(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = v; break;
	}
}

static bool scalar_or_err(struct cx *x, yaml_node_t *n, const char *path, const char *what)
{
	if (n->type == YAML_SCALAR_NODE && !is_null(n))
		return true;
	if (n->type == YAML_SCALAR_NODE)
		cx_err(x, line_of(n), path, "expected %s, got nothing", what);
	else
		cx_err(x, line_of(n), path, "expected %s, got %s", what, node_kind(n));
	return false;
}

static void parse_cpu(struct cx *x, yaml_node_t *n, const char *path, int *out, bool allow_any)
{
	char *e;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (!scalar_or_err(x, n, path, "a CPU number"))
		return;
	errno = 0;
	long v = strtol(sval(n), &e, 10);
	if (!*sval(n) || *e || errno) {
		cx_err(x, line_of(n), path, "expected a CPU number, got '%s'", sval(n));
		return;
	}
	if (v == -1 && allow_any) {
		*out = -1;
		return;
	}
	if (v < 0 || v >= RS_CFG_MAX_CORES * 64L) {
		cx_err(x, line_of(n), path, "%s is out of range 0..%d%s", sval(n), RS_CFG_MAX_CORES * 64 - 1,
		       allow_any ? " (or -1: any)" : "");
		return;
	}
	if (ncpu > 0 && v >= ncpu) {
		cx_err(x, line_of(n), path, "CPU %ld does not exist (this machine has CPUs 0..%ld)", v, ncpu - 1);
		return;
	}
	*out = (int)v;
}

static void parse_value(struct cx *x, const struct fdef *f, yaml_node_t *n, const char *path, void *base);
static uint64_t parse_map(struct cx *x, const struct fdef *tab, yaml_node_t *n, const char *path, void *base,
			  int *klines);

static void parse_list(struct cx *x, const struct fdef *f, yaml_node_t *n, const char *path, void *base)
{
	uint32_t *cnt = (uint32_t *)((char *)base + f->cnt_off);
	uint32_t k = 0;
	char sub[256];

	if (n->type != YAML_SEQUENCE_NODE) {
		cx_err(x, line_of(n), path, "expected a sequence ([a, b, ...]), got %s", node_kind(n));
		return;
	}
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len > (int)f->maxn) {
		cx_err(x, line_of(n), path, "%d entries given, at most %u", len, f->maxn);
		return;
	}
	if (len == 0) {
		cx_err(x, line_of(n), path, "empty list, at least one entry needed");
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, k++) {
		yaml_node_t *v = yaml_document_get_node(x->doc, *it);
		snprintf(sub, sizeof(sub), "%s[%u]", path, k);
		if (f->kind == K_CPULIST) {
			parse_cpu(x, v, sub, (int *)((char *)base + f->off) + k, false);
		} else {
			int64_t d;
			if (!scalar_or_err(x, v, sub, "a duration"))
				continue;
			if (rs_config_parse_duration(sval(v), &d)) {
				cx_err(x, line_of(v), sub, "'%s' is not a duration (use ns, us, ms, s, m or h)", sval(v));
				continue;
			}
			if (d <= 0 || d > f->max) {
				char hi[32];
				fmt_dur(hi, sizeof(hi), f->max);
				cx_err(x, line_of(v), sub, "%s is out of range 1ns..%s", sval(v), hi);
				continue;
			}
			uint64_t *arr = (uint64_t *)((char *)base + f->off);
			for (uint32_t j = 0; j < k; j++)
				if (arr[j] == (uint64_t)d)
					cx_err(x, line_of(v), sub, "%s is listed twice", sval(v));
			arr[k] = (uint64_t)d;
		}
	}
	*cnt = k;
}

static void parse_value(struct cx *x, const struct fdef *f, yaml_node_t *n, const char *path, void *base)
{
	void *p = (char *)base + f->off;

	switch (f->kind) {
	case K_STR:
		if (n->type != YAML_SCALAR_NODE) {
			cx_err(x, line_of(n), path, "expected a string, got %s", node_kind(n));
			return;
		}
		if (is_null(n)) {
			set_str(p, f->size, "");
			return;
		}
		if (strlen(sval(n)) >= f->size) {
			cx_err(x, line_of(n), path, "'%s' is too long (at most %zu characters)", sval(n), f->size - 1);
			return;
		}
		set_str(p, f->size, sval(n));
		return;
	case K_INT: {
		uint64_t v;
		if (!scalar_or_err(x, n, path, "an integer"))
			return;
		if (rs_config_parse_size(sval(n), &v)) {
			cx_err(x, line_of(n), path, "expected an integer (optional k, M or G suffix), got '%s'", sval(n));
			return;
		}
		if ((int64_t)v < f->min || v > (uint64_t)f->max) {
			char lo[32], hi[32];
			fmt_size(lo, sizeof(lo), (uint64_t)f->min);
			fmt_size(hi, sizeof(hi), (uint64_t)f->max);
			if (f->max < 100000) /* small ranges read better as plain numbers */
				snprintf(lo, sizeof(lo), "%lld", (long long)f->min), snprintf(hi, sizeof(hi), "%lld", (long long)f->max);
			cx_err(x, line_of(n), path, "%s is out of range %s..%s", sval(n), lo, hi);
			return;
		}
		if ((f->flags & F_POW2) && (v & (v - 1))) {
			uint64_t up = 1;
			while (up < v)
				up <<= 1;
			char s[32];
			fmt_size(s, sizeof(s), up);
			cx_err(x, line_of(n), path, "%s is not a power of two (next: %s)", sval(n), s);
			return;
		}
		store_int(p, f->size, v);
		return;
	}
	case K_CPU:
		parse_cpu(x, n, path, p, true);
		return;
	case K_DUR:
	case K_SDUR: {
		int64_t d;
		if (!scalar_or_err(x, n, path, "a duration"))
			return;
		if (rs_config_parse_duration(sval(n), &d)) {
			cx_err(x, line_of(n), path, "'%s' is not a duration (use ns, us, ms, s, m or h)", sval(n));
			return;
		}
		if (d < f->min || d > f->max) {
			char lo[32], hi[32];
			fmt_dur(lo, sizeof(lo), f->min);
			fmt_dur(hi, sizeof(hi), f->max);
			cx_err(x, line_of(n), path, "%s is out of range %s..%s", sval(n), lo, hi);
			return;
		}
		*(int64_t *)p = d;
		return;
	}
	case K_BOOL: {
		static const char *const t[] = {"true", "yes", "on", "True", "TRUE", "Yes", "On"};
		static const char *const fl[] = {"false", "no", "off", "False", "FALSE", "No", "Off"};
		if (!scalar_or_err(x, n, path, "true or false"))
			return;
		for (size_t i = 0; i < 7; i++) {
			if (!strcmp(sval(n), t[i])) {
				*(bool *)p = true;
				return;
			}
			if (!strcmp(sval(n), fl[i])) {
				*(bool *)p = false;
				return;
			}
		}
		cx_err(x, line_of(n), path, "expected true or false, got '%s'", sval(n));
		return;
	}
	case K_DBL: {
		char *e;
		if (!scalar_or_err(x, n, path, "a number"))
			return;
		errno = 0;
		double v = strtod(sval(n), &e);
		if (*e || errno || v != v) {
			cx_err(x, line_of(n), path, "expected a number, got '%s'", sval(n));
			return;
		}
		if (v < (double)f->min || v > (double)f->max) {
			cx_err(x, line_of(n), path, "%s is out of range %lld..%lld", sval(n), (long long)f->min,
			       (long long)f->max);
			return;
		}
		*(double *)p = v;
		return;
	}
	case K_ENUM: {
		char opts[256] = "";
		size_t ol = 0;
		if (!scalar_or_err(x, n, path, "a value"))
			return;
		for (int i = 0; f->names[i]; i++) {
			if (!strcmp(sval(n), f->names[i])) {
				*(int *)p = i;
				return;
			}
			ol += (size_t)snprintf(opts + ol, sizeof(opts) - ol, "%s%s", i ? ", " : "", f->names[i]);
			if (ol >= sizeof(opts))
				ol = sizeof(opts) - 1;
		}
		cx_err(x, line_of(n), path, "'%s' is not one of %s", sval(n), opts);
		return;
	}
	case K_DURLIST:
	case K_CPULIST:
		parse_list(x, f, n, path, base);
		return;
	case K_SECTION:
		if (is_null(n))
			return; /* "shm:" alone: defaults */
		parse_map(x, f->sub, n, path, base, NULL);
		return;
	case K_CUSTOM:
		f->fn(x, n, path, base);
		return;
	}
}

/* Apply table tab to mapping n. Returns a bitmask of the keys present
 * (bit i = tab[i]). */
static uint64_t parse_map(struct cx *x, const struct fdef *tab, yaml_node_t *n, const char *path, void *base,
			  int *klines)
{
	uint64_t seen = 0;
	char sub[256];

	if (n->type != YAML_MAPPING_NODE) {
		cx_err(x, line_of(n), path, "expected a mapping (key: value), got %s%s%s%s", node_kind(n),
		       n->type == YAML_SCALAR_NODE ? " '" : "", n->type == YAML_SCALAR_NODE ? sval(n) : "",
		       n->type == YAML_SCALAR_NODE ? "'" : "");
		return 0;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(x->doc, pr->value);
		int i;

		if (k->type != YAML_SCALAR_NODE) {
			cx_err(x, line_of(k), path, "keys must be plain words, got %s", node_kind(k));
			continue;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", sval(k));
		for (i = 0; tab[i].key; i++)
			if (!strcmp(tab[i].key, sval(k)))
				break;
		if (!tab[i].key) {
			const char *best = NULL;
			unsigned bd = 99, klen = (unsigned)strlen(sval(k));
			for (int j = 0; tab[j].key; j++) {
				unsigned d = edit_distance(sval(k), tab[j].key);
				if (d < bd)
					bd = d, best = tab[j].key;
			}
			if (best && bd <= 3 && bd < klen)
				cx_err(x, line_of(k), sub, "unknown key (did you mean '%s'?)", best);
			else
				cx_err(x, line_of(k), sub, "unknown key");
			continue;
		}
		if (seen & (1ull << i)) {
			cx_err(x, line_of(k), sub, "duplicate key");
			continue;
		}
		seen |= 1ull << i;
		if (klines)
			klines[i] = line_of(k);
		parse_value(x, &tab[i], v, sub, base);
	}
	for (int i = 0; tab[i].key; i++)
		if ((tab[i].flags & F_REQUIRED) && !(seen & (1ull << i)))
			cx_err(x, line_of(n), path, "missing required key '%s'", tab[i].key);
	return seen;
}

/* ------------------------------------------------------------ the schema */

#define OC(f) offsetof(struct rs_config, f), sizeof(((struct rs_config *)0)->f)
#define OL(f) offsetof(struct rs_cfg_line, f), sizeof(((struct rs_cfg_line *)0)->f)
#define OF(f) offsetof(struct rs_cfg_feed, f), sizeof(((struct rs_cfg_feed *)0)->f)
#define OR(f) offsetof(struct rs_cfg_feed, recovery.f), sizeof(((struct rs_cfg_feed *)0)->recovery.f)
#define OA(f) offsetof(struct rs_config, analytics.f), sizeof(((struct rs_config *)0)->analytics.f)
#define OS(f) offsetof(struct rs_config, session.f), sizeof(((struct rs_config *)0)->session.f)

#define S_(k, o) {k, K_STR, o, 0, 0, NULL, 0, 0, 0, NULL, NULL}
#define I_(k, o, lo, hi, fl) {k, K_INT, o, lo, hi, NULL, 0, 0, fl, NULL, NULL}
#define D_(k, o, lo, hi) {k, K_DUR, o, lo, hi, NULL, 0, 0, 0, NULL, NULL}
#define B_(k, o) {k, K_BOOL, o, 0, 0, NULL, 0, 0, 0, NULL, NULL}
#define E_(k, o, names) {k, K_ENUM, o, 0, 0, names, 0, 0, 0, NULL, NULL}
#define X_(k, fn, fl) {k, K_CUSTOM, 0, 0, 0, 0, NULL, 0, 0, fl, NULL, fn}

#define NS_S 1000000000LL
#define NS_H (3600LL * NS_S)

static const char *const drivers[] = {"uring", "xdp", "dpdk", "pcap", NULL};
static const char *const protocols[] = {"itch-moldudp64", NULL};
static const char *const cores_modes[] = {"inline", "pipeline", NULL};
static const char *const huge_modes[] = {"auto", "on", "off", NULL};
static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const xdp_modes[] = {"skb", "native", NULL};

static void c_instance(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_shm_group(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_shm_mode(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_feeds(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_rx(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_handlers(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_cores_mode(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_time(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_days(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_holidays(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_hostport(struct cx *x, yaml_node_t *n, const char *path, void *base);
static void c_socket_group(struct cx *x, yaml_node_t *n, const char *path, void *base);

static const struct fdef t_shm[] = {
	X_("group", c_shm_group, 0),
	X_("mode", c_shm_mode, 0),
	E_("huge_pages", OC(huge), huge_modes),
	FEND,
};

static const struct fdef t_capacities[] = {
	I_("instruments", OC(instruments), 1, 1 << 24, 0),
	I_("orders", OC(orders), 1024, 1LL << 31, 0),
	I_("levels", OC(levels), 1024, 1LL << 31, 0),
	I_("depth", OC(depth), 1, 1000, 0),
	I_("event_ring", OC(event_ring), 1024, 1LL << 30, F_POW2),
	I_("handler_ring", OC(handler_ring), 64, 1LL << 28, F_POW2),
	I_("analytics_ring", OC(analytics_ring), 64, 1LL << 28, F_POW2),
	FEND,
};

static const struct fdef t_cores[] = {
	X_("mode", c_cores_mode, 0),
	X_("rx", c_rx, 0),
	X_("handlers", c_handlers, 0),
	{"control", K_CPU, OC(control_cpu), 0, 0, NULL, 0, 0, 0, NULL, NULL},
	FEND,
};

/* indices into t_line used by the driver-specific checks */
enum { L_NAME, L_DRIVER, L_IFACE, L_GROUP, L_PORT, L_SOURCE, L_BIND, L_VDEV, L_XDPMODE, L_QUEUE, L_PCAP };
static void c_xdp_mode(struct cx *x, yaml_node_t *n, const char *path, void *base);
static const struct fdef t_line[] = {
	S_("name", OL(name)),
	E_("driver", OL(driver), drivers),
	S_("interface", OL(interface)),
	S_("group", OL(group)),
	I_("port", OL(port), 1, 65535, F_REQUIRED),
	S_("source", OL(source)),
	S_("bind", OL(bind)),
	S_("dpdk_vdev", OL(dpdk_vdev)),
	X_("xdp_mode", c_xdp_mode, 0),
	I_("queue", OL(queue), 0, 1023, 0),
	S_("pcap_file", OL(pcap_file)),
	FEND,
};

static void c_lines(struct cx *x, yaml_node_t *n, const char *path, void *base);
static const struct fdef t_recovery[] = {
	{"server", K_CUSTOM, OR(server), 0, 0, NULL, 0, 0, 0, NULL, c_hostport},
	I_("max_messages", OR(max_messages), 1, 65535, 0),
	I_("rate", OR(rate), 1, 1000000, 0),
	D_("timeout", OR(timeout_ns), 1000, 60 * NS_S),
	I_("retries", OR(retries), 0, 1000, 0),
	D_("deadline", OR(deadline_ns), 1000000, NS_H),
	FEND,
};
static const struct fdef t_feed[] = {
	{"name", K_STR, OF(name), 0, 0, NULL, 0, 0, F_REQUIRED, NULL, NULL},
	E_("protocol", OF(protocol), protocols),
	S_("session", OF(session)),
	X_("lines", c_lines, F_REQUIRED),
	{"recovery", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_recovery, NULL},
	FEND,
};

static const struct fdef t_analytics[] = {
	B_("enabled", OA(enabled)),
	{"bars", K_DURLIST, OA(bars_ns), 0, 24 * NS_H, NULL, offsetof(struct rs_config, analytics.nbars),
	 RS_CFG_MAX_BARS, 0, NULL, NULL},
	I_("sma", OA(sma), 1, 10000, 0),
	I_("ema", OA(ema), 1, 10000, 0),
	I_("rsi", OA(rsi), 1, 10000, 0),
	I_("rvol", OA(rvol), 2, 10000, 0),
	I_("micro_levels", OA(micro_levels), 1, 1000, 0),
	{"pressure_windows", K_DURLIST, OA(windows_ns), 0, 24 * NS_H, NULL,
	 offsetof(struct rs_config, analytics.nwindows), RS_CFG_MAX_WINDOWS, 0, NULL, NULL},
	S_("baseline_file", OA(baseline_file)),
	{"z_threshold", K_DBL, OA(z_threshold), 0, 100, NULL, 0, 0, 0, NULL, NULL},
	{"z_step", K_DBL, OA(z_step), 0, 100, NULL, 0, 0, 0, NULL, NULL},
	I_("baseline_days", OA(baseline_days), 1, 366, 0),
	I_("baseline_min_days", OA(baseline_min_days), 1, 366, 0),
	B_("allow_immature", OA(allow_immature)),
	I_("persist_k", OA(persist_k), 1, 100, 0),
	I_("persist_m", OA(persist_m), 1, 100, 0),
	I_("large_trade_size", OA(large_trade_size), 0, UINT32_MAX, 0),
	I_("min_volume", OA(min_volume), 0, UINT32_MAX, 0),
	D_("iceberg_window", OA(iceberg_ns), 1000, NS_H),
	D_("layering_window", OA(layering_ns), 1000, NS_H),
	I_("quality_alert", OA(quality_alert), 0, 100, 0),
	FEND,
};

static const struct fdef t_session[] = {
	{"timezone_offset", K_SDUR, OS(tz_offset_ns), -14 * NS_H, 14 * NS_H, NULL, 0, 0, 0, NULL, NULL},
	{"open", K_CUSTOM, OS(open_min), 0, 0, NULL, 0, 0, 0, NULL, c_time},
	{"close", K_CUSTOM, OS(close_min), 0, 0, NULL, 0, 0, 0, NULL, c_time},
	X_("days", c_days, 0),
	X_("holidays", c_holidays, 0),
	FEND,
};

static const struct fdef t_control[] = {
	S_("socket", OC(socket)),
	X_("socket_group", c_socket_group, 0),
	{"http", K_CUSTOM, OC(http), 0, 0, NULL, 0, 0, 0, NULL, c_hostport},
	S_("state_dir", OC(state_dir)),
	E_("log_level", OC(log_level), log_levels),
	FEND,
};

static const struct fdef t_health[] = {
	D_("feed_silent", OC(feed_silent_ns), 1000000, NS_H),
	D_("latency_p99", OC(latency_p99_ns), 1, 60 * NS_S),
	FEND,
};

static const struct fdef t_top[] = {
	X_("instance", c_instance, 0),
	{"shm", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_shm, NULL},
	{"capacities", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_capacities, NULL},
	{"cores", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_cores, NULL},
	X_("feeds", c_feeds, F_REQUIRED),
	{"analytics", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_analytics, NULL},
	{"session", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_session, NULL},
	{"control", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_control, NULL},
	{"health", K_SECTION, 0, 0, 0, 0, NULL, 0, 0, 0, t_health, NULL},
	FEND,
};

/* ------------------------------------------------------------ custom keys */

static void c_instance(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_config *c = base;

	if (!scalar_or_err(x, n, path, "a name"))
		return;
	const char *s = sval(n);
	size_t len = strlen(s);
	bool ok = len >= 1 && len < RS_CFG_NAME;
	for (size_t i = 0; ok && i < len; i++)
		ok = isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-';
	if (!ok) {
		cx_err(x, line_of(n), path, "'%s' is not a valid instance name ([a-zA-Z0-9_-], 1..%d characters)", s,
		       RS_CFG_NAME - 1);
		return;
	}
	set_str(c->instance, sizeof(c->instance), s);
}

static int resolve_group(const char *s, gid_t *gid)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);
	if (*s && !*e) {
		*gid = (gid_t)v;
		return 0;
	}
	struct group gr, *res = NULL;
	char buf[4096];
	if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) || !res)
		return -ENOENT;
	*gid = res->gr_gid;
	return 0;
}

static void c_shm_group(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_config *c = base;
	gid_t g;

	if (n->type != YAML_SCALAR_NODE) {
		cx_err(x, line_of(n), path, "expected a group name or gid, got %s", node_kind(n));
		return;
	}
	if (is_null(n) || !*sval(n)) {
		c->shm_group[0] = 0;
		c->shm_gid = (gid_t)-1;
		return;
	}
	if (strlen(sval(n)) >= sizeof(c->shm_group)) {
		cx_err(x, line_of(n), path, "'%s' is too long", sval(n));
		return;
	}
	if (resolve_group(sval(n), &g)) {
		cx_err(x, line_of(n), path, "no such group '%s' (create it: groupadd %s)", sval(n), sval(n));
		return;
	}
	set_str(c->shm_group, sizeof(c->shm_group), sval(n));
	c->shm_gid = g;
}

static void c_socket_group(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_config *c = base;
	gid_t g;

	if (n->type != YAML_SCALAR_NODE) {
		cx_err(x, line_of(n), path, "expected a group name or gid, got %s", node_kind(n));
		return;
	}
	if (is_null(n) || !*sval(n)) {
		c->socket_group[0] = 0;
		return;
	}
	if (strlen(sval(n)) >= sizeof(c->socket_group)) {
		cx_err(x, line_of(n), path, "'%s' is too long", sval(n));
		return;
	}
	if (resolve_group(sval(n), &g)) {
		cx_err(x, line_of(n), path, "no such group '%s' (create it: groupadd %s)", sval(n), sval(n));
		return;
	}
	set_str(c->socket_group, sizeof(c->socket_group), sval(n));
}

static void c_shm_mode(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_config *c = base;
	char *e;

	if (!scalar_or_err(x, n, path, "an octal mode"))
		return;
	errno = 0;
	unsigned long m = strtoul(sval(n), &e, 8);
	if (*e || errno || m > 0777) {
		cx_err(x, line_of(n), path, "expected an octal file mode like \"0640\", got '%s'", sval(n));
		return;
	}
	if (!(m & 0600)) {
		cx_err(x, line_of(n), path, "mode %s leaves the owner without read/write", sval(n));
		return;
	}
	c->shm_mode = (mode_t)m;
}

static void c_cores_mode(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	static const struct fdef f = E_("mode", OC(cores_mode), cores_modes);
	x->line_cores = line_of(n);
	parse_value(x, &f, n, path, base);
}

static void c_rx(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	static const struct fdef f = {"rx", K_CPULIST, OC(rx_cpu), 0, 0, NULL, offsetof(struct rs_config, nrx),
				      RS_CFG_MAX_CORES, 0, NULL, NULL};
	x->line_rx = line_of(n);
	parse_value(x, &f, n, path, base);
}

static void c_handlers(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	static const struct fdef f = {"handlers", K_CPULIST, OC(handler_cpu), 0, 0, NULL,
				      offsetof(struct rs_config, nhandlers), RS_CFG_MAX_CORES, 0, NULL, NULL};
	x->line_handlers = line_of(n);
	parse_value(x, &f, n, path, base);
}

static void c_xdp_mode(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_cfg_line *l = base;
	int m = 0;
	static const struct fdef f = {"xdp_mode", K_ENUM, 0, sizeof(int), 0, 0, xdp_modes, 0, 0, 0, NULL, NULL};
	parse_value(x, &f, n, path, &m);
	l->xdp_native = m == 1;
}

static void c_hostport(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	/* base + offset of the field: resolved by the key */
	bool http = !strcmp(strrchr(path, '.') ? strrchr(path, '.') + 1 : path, "http");
	char *dst = http ? ((struct rs_config *)base)->http : ((struct rs_cfg_feed *)base)->recovery.server;
	size_t cap = http ? sizeof(((struct rs_config *)0)->http) : RS_CFG_STR;
	const char *why;

	if (n->type != YAML_SCALAR_NODE) {
		cx_err(x, line_of(n), path, "expected host:port, got %s", node_kind(n));
		return;
	}
	if (is_null(n) || !*sval(n)) {
		set_str(dst, cap, "");
		return;
	}
	if (strlen(sval(n)) >= cap) {
		cx_err(x, line_of(n), path, "'%s' is too long", sval(n));
		return;
	}
	if ((why = check_hostport(sval(n), http ? 0 : 1))) {
		cx_err(x, line_of(n), path, "'%s': %s", sval(n), why);
		return;
	}
	set_str(dst, cap, sval(n));
}

static void c_time(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_cfg_session *s = &((struct rs_config *)base)->session;
	bool open = !strcmp(strrchr(path, '.') + 1, "open");
	unsigned h, m;
	char tail;

	if (!scalar_or_err(x, n, path, "a time HH:MM"))
		return;
	if (sscanf(sval(n), "%u:%u%c", &h, &m, &tail) != 2 || h > 23 || m > 59 || strlen(sval(n)) != 5) {
		cx_err(x, line_of(n), path, "expected a time HH:MM (quoted, e.g. \"09:30\"), got '%s'", sval(n));
		return;
	}
	*(open ? &s->open_min : &s->close_min) = h * 60 + m;
}

static void c_days(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	static const char *const names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
	struct rs_cfg_session *s = &((struct rs_config *)base)->session;
	uint8_t days = 0;
	unsigned k = 0;
	char sub[256];

	if (n->type != YAML_SEQUENCE_NODE) {
		cx_err(x, line_of(n), path, "expected a sequence of days ([mon, tue, ...]), got %s", node_kind(n));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, k++) {
		yaml_node_t *v = yaml_document_get_node(x->doc, *it);
		int d;
		snprintf(sub, sizeof(sub), "%s[%u]", path, k);
		if (!scalar_or_err(x, v, sub, "a day"))
			continue;
		for (d = 0; d < 7; d++)
			if (!strcasecmp(sval(v), names[d]))
				break;
		if (d == 7) {
			cx_err(x, line_of(v), sub, "'%s' is not a day (sun, mon, tue, wed, thu, fri, sat)", sval(v));
			continue;
		}
		days |= (uint8_t)(1u << d);
	}
	s->days = days;
}

static void c_holidays(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_cfg_session *s = &((struct rs_config *)base)->session;
	unsigned k = 0;
	char sub[256];

	if (n->type != YAML_SEQUENCE_NODE) {
		cx_err(x, line_of(n), path, "expected a sequence of dates ([YYYY-MM-DD, ...]), got %s", node_kind(n));
		return;
	}
	s->nholidays = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, k++) {
		yaml_node_t *v = yaml_document_get_node(x->doc, *it);
		unsigned y, mo, d;
		char tail;
		snprintf(sub, sizeof(sub), "%s[%u]", path, k);
		if (k >= RS_CFG_MAX_HOLIDAYS) {
			cx_err(x, line_of(v), sub, "more than %d holidays", RS_CFG_MAX_HOLIDAYS);
			return;
		}
		if (!scalar_or_err(x, v, sub, "a date"))
			continue;
		if (sscanf(sval(v), "%4u-%2u-%2u%c", &y, &mo, &d, &tail) != 3 || strlen(sval(v)) != 10 || y < 1970 ||
		    mo < 1 || mo > 12 || d < 1 || d > 31) {
			cx_err(x, line_of(v), sub, "expected a date YYYY-MM-DD, got '%s'", sval(v));
			continue;
		}
		s->holidays[s->nholidays++] = y * 10000 + mo * 100 + d;
	}
}

static void check_line(struct cx *x, struct rs_cfg_line *l, uint64_t seen, const int *kl, yaml_node_t *n,
		       const char *path)
{
	static const char *const dn[] = {"uring", "xdp", "dpdk", "pcap"};
	char sub[300];
	int ln = line_of(n), ld = (seen & (1ull << L_DRIVER)) ? kl[L_DRIVER] : ln;

#define KP(k) (snprintf(sub, sizeof(sub), "%s.%s", path, k), sub)
	/* keys that belong to another driver */
	if ((seen & (1ull << L_VDEV)) && l->driver != RS_CFG_DRV_DPDK)
		cx_err(x, kl[L_VDEV], KP("dpdk_vdev"), "only valid with driver dpdk (driver is %s)", dn[l->driver]);
	if ((seen & (1ull << L_XDPMODE)) && l->driver != RS_CFG_DRV_XDP)
		cx_err(x, kl[L_XDPMODE], KP("xdp_mode"), "only valid with driver xdp (driver is %s)", dn[l->driver]);
	if ((seen & (1ull << L_QUEUE)) && l->driver != RS_CFG_DRV_XDP && l->driver != RS_CFG_DRV_DPDK)
		cx_err(x, kl[L_QUEUE], KP("queue"), "only valid with drivers xdp and dpdk (driver is %s)", dn[l->driver]);
	if ((seen & (1ull << L_PCAP)) && l->driver != RS_CFG_DRV_PCAP)
		cx_err(x, kl[L_PCAP], KP("pcap_file"), "only valid with driver pcap (driver is %s)", dn[l->driver]);
	/* keys a driver needs */
	if (l->driver == RS_CFG_DRV_XDP && !l->interface[0])
		cx_err(x, ld, path, "driver xdp needs 'interface'");
	if (l->driver == RS_CFG_DRV_DPDK && !l->dpdk_vdev[0])
		cx_err(x, ld, path, "driver dpdk needs 'dpdk_vdev' (e.g. net_af_packet0,iface=eth1)");
	if (l->driver == RS_CFG_DRV_PCAP && !l->pcap_file[0])
		cx_err(x, ld, path, "driver pcap needs 'pcap_file'");
	if (l->interface[0] && strlen(l->interface) >= 16)
		cx_err(x, kl[L_IFACE], KP("interface"), "'%s' is longer than 15 characters", l->interface);
	/* addresses */
	if (l->group[0]) {
		struct in_addr a;
		if (inet_pton(AF_INET, l->group, &a) != 1 || (ntohl(a.s_addr) >> 28) != 0xE)
			cx_err(x, kl[L_GROUP], KP("group"), "'%s' is not an IPv4 multicast address (224.0.0.0/4)",
			       l->group);
	}
	if (l->source[0] && !valid_ipv4(l->source))
		cx_err(x, kl[L_SOURCE], KP("source"), "'%s' is not an IPv4 address", l->source);
	else if (l->source[0] && !l->group[0])
		cx_err(x, kl[L_SOURCE], KP("source"), "'%s' needs a multicast group", l->source);
	if (!valid_ipv4(l->bind))
		cx_err(x, (seen & (1ull << L_BIND)) ? kl[L_BIND] : ln, KP("bind"), "'%s' is not an IPv4 address",
		       l->bind);
#undef KP
}

static void c_lines(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_cfg_feed *f = base;
	char sub[256];
	unsigned k = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		cx_err(x, line_of(n), path, "expected a sequence of lines, got %s", node_kind(n));
		return;
	}
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len < 1 || len > RS_CFG_MAX_LINES) {
		cx_err(x, line_of(n), path, "%d lines given; a feed has 1 or 2 (A and B)", len);
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, k++) {
		yaml_node_t *v = yaml_document_get_node(x->doc, *it);
		struct rs_cfg_line *l = &f->line[k];
		snprintf(sub, sizeof(sub), "%s[%u]", path, k);
		int kl[16] = {0};
		uint64_t seen = parse_map(x, t_line, v, sub, l, kl);
		if (v->type != YAML_MAPPING_NODE)
			continue;
		check_line(x, l, seen, kl, v, sub);
		if (k == 1 && !strcmp(f->line[0].name, l->name))
			cx_err(x, line_of(v), sub, "duplicate line name '%s'", l->name);
		if (k == 1 && l->port && f->line[0].port == l->port && !strcmp(f->line[0].group, l->group) &&
		    !strcmp(f->line[0].bind, l->bind) && f->line[0].driver == l->driver && !l->group[0] &&
		    l->driver == RS_CFG_DRV_URING)
			cx_err(x, line_of(v), sub, "lines A and B both listen on %s:%u", l->bind, l->port);
	}
	f->nlines = k;
}

static void feed_defaults(struct rs_cfg_feed *f)
{
	memset(f, 0, sizeof(*f));
	f->protocol = RS_CFG_PROTO_ITCH_MOLDUDP64;
	for (int i = 0; i < RS_CFG_MAX_LINES; i++) {
		struct rs_cfg_line *l = &f->line[i];
		l->name[0] = (char)('A' + i);
		l->driver = RS_CFG_DRV_URING;
		set_str(l->bind, sizeof(l->bind), "0.0.0.0");
	}
	f->recovery.max_messages = 1000;
	f->recovery.rate = 200;
	f->recovery.timeout_ns = 100000000ull;
	f->recovery.retries = 5;
	f->recovery.deadline_ns = 2000000000ull;
}

static void c_feeds(struct cx *x, yaml_node_t *n, const char *path, void *base)
{
	struct rs_config *c = base;
	char sub[256];
	unsigned k = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		cx_err(x, line_of(n), path, "expected a sequence of feeds (- name: ...), got %s", node_kind(n));
		return;
	}
	int len = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len < 1 || len > RS_CFG_MAX_FEEDS) {
		cx_err(x, line_of(n), path, "%d feeds given; 1..%d allowed", len, RS_CFG_MAX_FEEDS);
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, k++) {
		yaml_node_t *v = yaml_document_get_node(x->doc, *it);
		struct rs_cfg_feed *f = &c->feed[k];
		snprintf(sub, sizeof(sub), "%s[%u]", path, k);
		int kl[8] = {0};
		feed_defaults(f);
		parse_map(x, t_feed, v, sub, f, kl);
		if (v->type != YAML_MAPPING_NODE || !f->name[0])
			continue;
		snprintf(sub, sizeof(sub), "%s[%u].name", path, k);
		for (unsigned j = 0; j < k; j++)
			if (!strcmp(c->feed[j].name, f->name))
				cx_err(x, kl[0], sub, "duplicate feed name '%s' (also feeds[%u])", f->name, j);
		for (const char *q = f->name; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_') {
				cx_err(x, kl[0], sub, "'%s': use letters, digits, '-' and '_'", f->name);
				break;
			}
		snprintf(sub, sizeof(sub), "%s[%u].session", path, k);
		if (strlen(f->session) > 10)
			cx_err(x, kl[2], sub, "'%s' is longer than 10 characters (MoldUDP64)", f->session);
	}
	c->nfeeds = k;
}

/* ------------------------------------------------------------ whole config */

void rs_config_defaults(struct rs_config *c)
{
	memset(c, 0, sizeof(*c));
	set_str(c->file, sizeof(c->file), "<defaults>");
	set_str(c->instance, sizeof(c->instance), "demo");
	c->shm_gid = (gid_t)-1;
	c->shm_mode = 0640;
	c->huge = RS_CFG_HUGE_AUTO;
	c->instruments = 16384;
	c->orders = 4u << 20;
	c->levels = 1u << 20;
	c->depth = 50;
	c->event_ring = 1u << 20;
	c->handler_ring = 64u << 10;
	c->analytics_ring = 64u << 10;
	c->cores_mode = RS_CFG_CORES_INLINE;
	c->nrx = 1;
	c->rx_cpu[0] = 1;
	c->nhandlers = 1;
	c->handler_cpu[0] = 1;
	c->control_cpu = 0;
	c->nfeeds = 0;
	for (int i = 0; i < RS_CFG_MAX_FEEDS; i++)
		feed_defaults(&c->feed[i]);
	struct rs_cfg_analytics *a = &c->analytics;
	a->enabled = true;
	static const uint64_t bars[] = {1, 5, 15, 30, 60, 300};
	a->nbars = 6;
	for (int i = 0; i < 6; i++)
		a->bars_ns[i] = bars[i] * 1000000000ull;
	a->sma = 20;
	a->ema = 20;
	a->rsi = 14;
	a->rvol = 20;
	a->micro_levels = 5;
	a->nwindows = 3;
	a->windows_ns[0] = 1000000000ull;
	a->windows_ns[1] = 60000000000ull;
	a->windows_ns[2] = 300000000000ull;
	a->z_threshold = 2.5;
	a->z_step = 1.0;
	a->baseline_days = 20;
	a->baseline_min_days = 10;
	a->allow_immature = false;
	a->persist_k = 2;
	a->persist_m = 3;
	a->iceberg_ns = 50000000ull;
	a->layering_ns = 500000000ull;
	a->quality_alert = 80;
	struct rs_cfg_session *s = &c->session;
	s->tz_offset_ns = -5 * 3600LL * 1000000000LL;
	s->open_min = 9 * 60 + 30;
	s->close_min = 16 * 60;
	s->days = 0x3e; /* mon..fri */
	set_str(c->state_dir, sizeof(c->state_dir), "/var/lib/ringside");
	c->log_level = 2;
	c->feed_silent_ns = 1000000000ull;
	c->latency_p99_ns = 100000ull;
}

static void cross_checks(struct cx *x, yaml_node_t *root)
{
	struct rs_config *c = x->c;
	int lc = x->line_cores ? x->line_cores : line_of(root);
	int lr = x->line_rx ? x->line_rx : lc, lh = x->line_handlers ? x->line_handlers : lc;

	if (c->cores_mode == RS_CFG_CORES_INLINE) {
		if (!x->line_handlers) { /* inline: handlers default to the rx cores */
			c->nhandlers = c->nrx;
			memcpy(c->handler_cpu, c->rx_cpu, sizeof(c->handler_cpu));
		} else if (c->nhandlers != c->nrx || memcmp(c->handler_cpu, c->rx_cpu, c->nrx * sizeof(int)))
			cx_err(x, lh, "cores.handlers", "in inline mode the handler CPUs must equal the rx CPUs");
	} else {
		if (c->nfeeds && c->nrx != c->nfeeds)
			cx_err(x, lr, "cores.rx", "pipeline mode needs one rx CPU per feed (%u feeds, %u rx CPUs)",
			       c->nfeeds, c->nrx);
		for (uint32_t i = 0; i < c->nhandlers; i++)
			for (uint32_t j = 0; j < c->nrx; j++)
				if (c->handler_cpu[i] == c->rx_cpu[j])
					cx_err(x, lh, "cores.handlers",
					       "CPU %d is both an rx and a handler CPU in pipeline mode (use inline mode)",
					       c->handler_cpu[i]);
	}
	for (uint32_t i = 0; i < c->nrx; i++)
		for (uint32_t j = 0; j < i; j++)
			if (c->rx_cpu[i] == c->rx_cpu[j] && c->cores_mode == RS_CFG_CORES_PIPELINE)
				cx_err(x, lr, "cores.rx", "CPU %d is listed twice", c->rx_cpu[i]);
	if (c->analytics.baseline_min_days > c->analytics.baseline_days)
		cx_err(x, line_of(root), "analytics.baseline_min_days", "%u is more than baseline_days (%u)",
		       c->analytics.baseline_min_days, c->analytics.baseline_days);
	if (c->analytics.persist_k > c->analytics.persist_m)
		cx_err(x, line_of(root), "analytics.persist_k", "%u is more than persist_m (%u)", c->analytics.persist_k,
		       c->analytics.persist_m);
	if (c->analytics.micro_levels > c->depth)
		cx_err(x, line_of(root), "analytics.micro_levels", "%u is more than capacities.depth (%u)",
		       c->analytics.micro_levels, c->depth);
	if (c->session.close_min <= c->session.open_min)
		cx_err(x, line_of(root), "session.close", "the session closes before it opens");
}

/* line of byte offset off (1-based) for reader errors */
static int line_at(const struct cx *x, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off && i < x->textlen; i++)
		line += x->text[i] == '\n';
	return line;
}

int rs_config_load_string(struct rs_config *c, const char *yaml, size_t len, const char *name)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct rs_config tmp;
	struct cx x = {.file = name ? name : "<string>", .text = yaml, .textlen = len, .c = &tmp};
	int rc = 0;

	cfg_errs[0] = 0;
	rs_config_defaults(&tmp);
	set_str(tmp.file, sizeof(tmp.file), x.file);
	if (!yaml_parser_initialize(&parser))
		return RS_ERR_SET(-ENOMEM, "%s: cannot initialise the YAML parser", x.file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		int line = parser.error == YAML_READER_ERROR ? line_at(&x, parser.problem_offset)
							      : (int)parser.problem_mark.line + 1;
		const char *kind = parser.error == YAML_READER_ERROR ? "not a text file" : "YAML syntax error";
		/* an error at the end of a truncated file names its last line */
		int last = line_at(&x, len && yaml[len - 1] == '\n' ? len - 1 : len);
		if (line > last)
			line = last;
		if (parser.context)
			cx_err(&x, line, NULL, "%s: %s %s", kind, parser.problem ? parser.problem : "?", parser.context);
		else
			cx_err(&x, line, NULL, "%s: %s", kind, parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		return RS_ERR_SET(-EINVAL, "%s", cfg_errs);
	}
	x.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		cx_err(&x, 1, NULL, "empty configuration: at least 'feeds' is required");
	} else if (root->type != YAML_MAPPING_NODE) {
		cx_err(&x, line_of(root), NULL, "expected a mapping of keys (instance:, feeds:, ...) at the top, got %s",
		       node_kind(root));
	} else {
		parse_map(&x, t_top, root, "", &tmp, NULL);
		cross_checks(&x, root);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (x.nerr > RS_CFG_MAX_ERRORS && x.errlen < sizeof(cfg_errs) - 64)
		x.errlen += (size_t)snprintf(cfg_errs + x.errlen, sizeof(cfg_errs) - x.errlen,
					     "\n%s: ... and %d more errors", x.file, x.nerr - RS_CFG_MAX_ERRORS);
	if (x.nerr) {
		rc = RS_ERR_SET(-EINVAL, "%s", cfg_errs);
		return rc;
	}
	memcpy(c, &tmp, sizeof(tmp));
	return 0;
}

int rs_config_load_file(struct rs_config *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	cfg_errs[0] = 0;
	if (!f) {
		rc = -errno;
		snprintf(cfg_errs, sizeof(cfg_errs), "%s: %s", path, strerror(-rc));
		return RS_ERR_SET(rc, "%s", cfg_errs);
	}
	for (;;) {
		if (len == cap) {
			if (cap >= (16u << 20)) {
				fclose(f);
				free(buf);
				snprintf(cfg_errs, sizeof(cfg_errs), "%s: larger than 16 MiB, not a configuration", path);
				return RS_ERR_SET(-EFBIG, "%s", cfg_errs);
			}
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!nb) {
				fclose(f);
				free(buf);
				return RS_ERR_SET(-ENOMEM, "%s: out of memory", path);
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		fclose(f);
		free(buf);
		snprintf(cfg_errs, sizeof(cfg_errs), "%s: read error", path);
		return RS_ERR_SET(rc, "%s", cfg_errs);
	}
	fclose(f);
	/* NUL bytes are not text; libyaml would stop at them silently */
	const char *nul = buf ? memchr(buf, 0, len) : NULL;
	if (nul) {
		struct cx x = {.file = path, .text = buf, .textlen = len};
		cx_err(&x, line_at(&x, (size_t)(nul - buf)), NULL, "not a text file: NUL byte at offset %zu",
		       (size_t)(nul - buf));
		free(buf);
		return RS_ERR_SET(-EINVAL, "%s", cfg_errs);
	}
	rc = rs_config_load_string(c, buf ? buf : "", len, path);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ reload */

struct rfield {
	const char *key;
	size_t off, size;
};

#define RC_(k, f) {k, offsetof(struct rs_config, f), sizeof(((struct rs_config *)0)->f)}
/* Reloadable keys outside the feeds. */
static const struct rfield reloadable[] = {
	RC_("analytics.sma", analytics.sma),
	RC_("analytics.ema", analytics.ema),
	RC_("analytics.rsi", analytics.rsi),
	RC_("analytics.rvol", analytics.rvol),
	RC_("analytics.z_threshold", analytics.z_threshold),
	RC_("analytics.z_step", analytics.z_step),
	RC_("analytics.baseline_min_days", analytics.baseline_min_days),
	RC_("analytics.allow_immature", analytics.allow_immature),
	RC_("analytics.persist_k", analytics.persist_k),
	RC_("analytics.persist_m", analytics.persist_m),
	RC_("analytics.large_trade_size", analytics.large_trade_size),
	RC_("analytics.min_volume", analytics.min_volume),
	RC_("analytics.iceberg_window", analytics.iceberg_ns),
	RC_("analytics.layering_window", analytics.layering_ns),
	RC_("analytics.quality_alert", analytics.quality_alert),
	RC_("control.log_level", log_level),
	RC_("health.feed_silent", feed_silent_ns),
	RC_("health.latency_p99", latency_p99_ns),
};
#define RF_(k, f) {k, offsetof(struct rs_cfg_feed, recovery.f), sizeof(((struct rs_cfg_feed *)0)->recovery.f)}
static const struct rfield reloadable_feed[] = {
	RF_("recovery.rate", rate),
	RF_("recovery.timeout", timeout_ns),
	RF_("recovery.retries", retries),
	RF_("recovery.deadline", deadline_ns),
};
#define NRELOAD (sizeof(reloadable) / sizeof(reloadable[0]))
#define NRELOAD_FEED (sizeof(reloadable_feed) / sizeof(reloadable_feed[0]))

/* Non-reloadable fields, to name the one that differs. */
static const struct rfield fixed[] = {
	RC_("instance", instance),
	RC_("shm.group", shm_group),
	RC_("shm.mode", shm_mode),
	RC_("shm.huge_pages", huge),
	RC_("capacities.instruments", instruments),
	RC_("capacities.orders", orders),
	RC_("capacities.levels", levels),
	RC_("capacities.depth", depth),
	RC_("capacities.event_ring", event_ring),
	RC_("capacities.handler_ring", handler_ring),
	RC_("capacities.analytics_ring", analytics_ring),
	RC_("cores.mode", cores_mode),
	RC_("cores.rx", nrx),
	RC_("cores.rx", rx_cpu),
	RC_("cores.handlers", nhandlers),
	RC_("cores.handlers", handler_cpu),
	RC_("cores.control", control_cpu),
	RC_("feeds", nfeeds),
	RC_("analytics.enabled", analytics.enabled),
	RC_("analytics.bars", analytics.nbars),
	RC_("analytics.bars", analytics.bars_ns),
	RC_("analytics.micro_levels", analytics.micro_levels),
	RC_("analytics.pressure_windows", analytics.nwindows),
	RC_("analytics.pressure_windows", analytics.windows_ns),
	RC_("analytics.baseline_file", analytics.baseline_file),
	RC_("analytics.baseline_days", analytics.baseline_days),
	RC_("session", session),
	RC_("control.socket", socket),
	RC_("control.socket_group", socket_group),
	RC_("control.http", http),
	RC_("control.state_dir", state_dir),
};
#define OFe(k, f) {k, offsetof(struct rs_cfg_feed, f), sizeof(((struct rs_cfg_feed *)0)->f)}
static const struct rfield fixed_feed[] = {
	OFe("name", name), OFe("protocol", protocol), OFe("session", session), OFe("lines", nlines),
	OFe("lines", line), OFe("recovery.server", recovery.server), OFe("recovery.max_messages", recovery.max_messages),
};

static bool field_differs(const void *a, const void *b, const struct rfield *f, bool is_str)
{
	const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
	if (is_str)
		return strncmp(pa, pb, f->size) != 0;
	return memcmp(pa, pb, f->size) != 0;
}

static bool is_string_field(const struct rfield *f)
{
	return f->size == RS_CFG_NAME || f->size == RS_CFG_STR || f->size == RS_CFG_PATH || f->size == 64 ||
	       f->size == 16;
}

int rs_config_reload(struct rs_config *dst, const struct rs_config *src)
{
	int changed = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		const struct rfield *f = &fixed[i];
		bool differs;
		if (!strcmp(f->key, "cores.rx") && f->size != sizeof(uint32_t))
			differs = memcmp(dst->rx_cpu, src->rx_cpu, dst->nrx * sizeof(int)) != 0;
		else if (!strcmp(f->key, "cores.handlers") && f->size != sizeof(uint32_t))
			differs = memcmp(dst->handler_cpu, src->handler_cpu, dst->nhandlers * sizeof(int)) != 0;
		else if (!strcmp(f->key, "analytics.bars") && f->size != sizeof(uint32_t))
			differs = memcmp(dst->analytics.bars_ns, src->analytics.bars_ns,
					 dst->analytics.nbars * sizeof(uint64_t)) != 0;
		else if (!strcmp(f->key, "analytics.pressure_windows") && f->size != sizeof(uint32_t))
			differs = memcmp(dst->analytics.windows_ns, src->analytics.windows_ns,
					 dst->analytics.nwindows * sizeof(uint64_t)) != 0;
		else if (!strcmp(f->key, "session")) {
			const struct rs_cfg_session *a = &dst->session, *b = &src->session;
			differs = a->tz_offset_ns != b->tz_offset_ns || a->open_min != b->open_min ||
				  a->close_min != b->close_min || a->days != b->days || a->nholidays != b->nholidays ||
				  memcmp(a->holidays, b->holidays, a->nholidays * sizeof(uint32_t));
		} else
			differs = field_differs(dst, src, f, is_string_field(f));
		if (differs)
			return RS_ERR_SET(-EPERM, "%s: %s cannot change without a restart", src->file, f->key);
	}
	for (uint32_t k = 0; k < dst->nfeeds; k++) {
		const struct rs_cfg_feed *a = &dst->feed[k], *b = &src->feed[k];
		for (size_t i = 0; i < sizeof(fixed_feed) / sizeof(fixed_feed[0]); i++) {
			const struct rfield *f = &fixed_feed[i];
			bool differs;
			if (f->size == sizeof(a->line)) {
				differs = false;
				for (uint32_t l = 0; l < a->nlines; l++) {
					const struct rs_cfg_line *x = &a->line[l], *y = &b->line[l];
					differs |= strcmp(x->name, y->name) || x->driver != y->driver ||
						   strcmp(x->interface, y->interface) || strcmp(x->group, y->group) ||
						   strcmp(x->source, y->source) || strcmp(x->bind, y->bind) ||
						   x->port != y->port || x->queue != y->queue ||
						   x->xdp_native != y->xdp_native || strcmp(x->dpdk_vdev, y->dpdk_vdev) ||
						   strcmp(x->pcap_file, y->pcap_file);
				}
			} else
				differs = field_differs(a, b, f, is_string_field(f));
			if (differs)
				return RS_ERR_SET(-EPERM, "%s: feeds[%u].%s cannot change without a restart", src->file, k,
						  f->key);
		}
	}
	for (size_t i = 0; i < NRELOAD; i++)
		if (field_differs(dst, src, &reloadable[i], false)) {
			memcpy((char *)dst + reloadable[i].off, (const char *)src + reloadable[i].off, reloadable[i].size);
			changed++;
		}
	for (uint32_t k = 0; k < dst->nfeeds; k++)
		for (size_t i = 0; i < NRELOAD_FEED; i++)
			if (field_differs(&dst->feed[k], &src->feed[k], &reloadable_feed[i], false)) {
				memcpy((char *)&dst->feed[k] + reloadable_feed[i].off,
				       (const char *)&src->feed[k] + reloadable_feed[i].off, reloadable_feed[i].size);
				changed++;
			}
	return changed;
}

/* ------------------------------------------------------------ dump */

struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->cap > o->len ? o->cap - o->len : 0;

	va_start(ap, fmt);
	int n = vsnprintf(o->p + (room ? o->len : 0), room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

/* YAML double-quoted string */
static const char *q(char *buf, size_t len, const char *s)
{
	size_t k = 0;
	buf[k++] = '"';
	for (; *s && k + 4 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[k++] = '\\';
		buf[k++] = *s;
	}
	buf[k++] = '"';
	buf[k] = 0;
	return buf;
}

static const char *D(char *buf, size_t len, int64_t ns)
{
	fmt_dur(buf, len, ns);
	return buf;
}

static const char *Z(char *buf, size_t len, uint64_t v)
{
	fmt_size(buf, len, v);
	return buf;
}

int rs_config_dump(const struct rs_config *c, char *buf, size_t len)
{
	static const char *const dn[] = {"uring", "xdp", "dpdk", "pcap"};
	static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
	struct out o = {buf, 0, len, false};
	char a[300], b[64];

	emit(&o, "# ringside configuration (canonical form of %s)\n", c->file);
	emit(&o, "instance: %s\n", c->instance);
	emit(&o, "shm:\n  group: %s\n  mode: \"%04o\"\n  huge_pages: %s\n", q(a, sizeof(a), c->shm_group),
	     (unsigned)c->shm_mode, huge_modes[c->huge]);
	emit(&o, "capacities:\n");
	emit(&o, "  instruments: %s\n", Z(b, sizeof(b), c->instruments));
	emit(&o, "  orders: %s\n", Z(b, sizeof(b), c->orders));
	emit(&o, "  levels: %s\n", Z(b, sizeof(b), c->levels));
	emit(&o, "  depth: %u\n", c->depth);
	emit(&o, "  event_ring: %s\n", Z(b, sizeof(b), c->event_ring));
	emit(&o, "  handler_ring: %s\n", Z(b, sizeof(b), c->handler_ring));
	emit(&o, "  analytics_ring: %s\n", Z(b, sizeof(b), c->analytics_ring));
	emit(&o, "cores:\n  mode: %s\n  rx: [", cores_modes[c->cores_mode]);
	for (uint32_t i = 0; i < c->nrx; i++)
		emit(&o, "%s%d", i ? ", " : "", c->rx_cpu[i]);
	emit(&o, "]\n  handlers: [");
	for (uint32_t i = 0; i < c->nhandlers; i++)
		emit(&o, "%s%d", i ? ", " : "", c->handler_cpu[i]);
	emit(&o, "]\n  control: %d\n", c->control_cpu);
	emit(&o, "feeds:\n");
	for (uint32_t k = 0; k < c->nfeeds; k++) {
		const struct rs_cfg_feed *f = &c->feed[k];
		emit(&o, "  - name: %s\n", q(a, sizeof(a), f->name));
		emit(&o, "    protocol: %s\n", protocols[f->protocol]);
		emit(&o, "    session: %s\n", q(a, sizeof(a), f->session));
		emit(&o, "    lines:\n");
		for (uint32_t l = 0; l < f->nlines; l++) {
			const struct rs_cfg_line *ln = &f->line[l];
			emit(&o, "      - name: %s\n", q(a, sizeof(a), ln->name));
			emit(&o, "        driver: %s\n", dn[ln->driver]);
			emit(&o, "        interface: %s\n", q(a, sizeof(a), ln->interface));
			if (ln->group[0])
				emit(&o, "        group: %s\n", ln->group);
			emit(&o, "        port: %u\n", ln->port);
			if (ln->source[0])
				emit(&o, "        source: %s\n", ln->source);
			emit(&o, "        bind: %s\n", ln->bind);
			if (ln->driver == RS_CFG_DRV_DPDK)
				emit(&o, "        dpdk_vdev: %s\n", q(a, sizeof(a), ln->dpdk_vdev));
			if (ln->driver == RS_CFG_DRV_XDP)
				emit(&o, "        xdp_mode: %s\n", ln->xdp_native ? "native" : "skb");
			if (ln->driver == RS_CFG_DRV_XDP || ln->driver == RS_CFG_DRV_DPDK)
				emit(&o, "        queue: %u\n", ln->queue);
			if (ln->driver == RS_CFG_DRV_PCAP)
				emit(&o, "        pcap_file: %s\n", q(a, sizeof(a), ln->pcap_file));
		}
		const struct rs_cfg_recovery *r = &f->recovery;
		emit(&o, "    recovery:\n      server: %s\n", q(a, sizeof(a), r->server));
		emit(&o, "      max_messages: %u\n      rate: %u\n", r->max_messages, r->rate);
		emit(&o, "      timeout: %s\n", D(b, sizeof(b), (int64_t)r->timeout_ns));
		emit(&o, "      retries: %u\n", r->retries);
		emit(&o, "      deadline: %s\n", D(b, sizeof(b), (int64_t)r->deadline_ns));
	}
	const struct rs_cfg_analytics *an = &c->analytics;
	emit(&o, "analytics:\n  enabled: %s\n  bars: [", an->enabled ? "true" : "false");
	for (uint32_t i = 0; i < an->nbars; i++)
		emit(&o, "%s%s", i ? ", " : "", D(b, sizeof(b), (int64_t)an->bars_ns[i]));
	emit(&o, "]\n  sma: %u\n  ema: %u\n  rsi: %u\n  rvol: %u\n  micro_levels: %u\n  pressure_windows: [", an->sma,
	     an->ema, an->rsi, an->rvol, an->micro_levels);
	for (uint32_t i = 0; i < an->nwindows; i++)
		emit(&o, "%s%s", i ? ", " : "", D(b, sizeof(b), (int64_t)an->windows_ns[i]));
	emit(&o, "]\n  baseline_file: %s\n", q(a, sizeof(a), an->baseline_file));
	emit(&o, "  z_threshold: %.17g\n  z_step: %.17g\n", an->z_threshold, an->z_step);
	emit(&o, "  baseline_days: %u\n  baseline_min_days: %u\n  allow_immature: %s\n", an->baseline_days,
	     an->baseline_min_days, an->allow_immature ? "true" : "false");
	emit(&o, "  persist_k: %u\n  persist_m: %u\n  large_trade_size: %u\n  min_volume: %u\n", an->persist_k,
	     an->persist_m, an->large_trade_size, an->min_volume);
	emit(&o, "  iceberg_window: %s\n", D(b, sizeof(b), (int64_t)an->iceberg_ns));
	emit(&o, "  layering_window: %s\n", D(b, sizeof(b), (int64_t)an->layering_ns));
	emit(&o, "  quality_alert: %u\n", an->quality_alert);
	const struct rs_cfg_session *s = &c->session;
	emit(&o, "session:\n  timezone_offset: %s\n", D(b, sizeof(b), s->tz_offset_ns));
	emit(&o, "  open: \"%02u:%02u\"\n  close: \"%02u:%02u\"\n  days: [", s->open_min / 60, s->open_min % 60,
	     s->close_min / 60, s->close_min % 60);
	for (int d = 0, n = 0; d < 7; d++)
		if (s->days & (1u << d))
			emit(&o, "%s%s", n++ ? ", " : "", days[d]);
	emit(&o, "]\n  holidays: [");
	for (uint32_t i = 0; i < s->nholidays; i++)
		emit(&o, "%s%04u-%02u-%02u", i ? ", " : "", s->holidays[i] / 10000, s->holidays[i] / 100 % 100,
		     s->holidays[i] % 100);
	emit(&o, "]\ncontrol:\n  socket: %s\n", q(a, sizeof(a), c->socket));
	emit(&o, "  socket_group: %s\n", q(a, sizeof(a), c->socket_group));
	emit(&o, "  http: %s\n", q(a, sizeof(a), c->http));
	emit(&o, "  state_dir: %s\n", q(a, sizeof(a), c->state_dir));
	emit(&o, "  log_level: %s\n", log_levels[c->log_level & 3]);
	emit(&o, "health:\n  feed_silent: %s\n", D(b, sizeof(b), (int64_t)c->feed_silent_ns));
	emit(&o, "  latency_p99: %s\n", D(b, sizeof(b), (int64_t)c->latency_p99_ns));
	if (o.overflow)
		return RS_ERR_SET(-ENOSPC, "config dump needs more than %zu bytes", len);
	return (int)o.len;
}
