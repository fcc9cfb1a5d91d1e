/* test_dblive.c - the Databento live client against a loopback gateway
 * written from the public Raw API description (rs_test_gateway.c), serving
 * real DBN files from $RINGSIDE_TESTDATA.
 *
 * Every assertion is on events, counts and bytes, never on durations; the
 * short timeouts only make the failure paths quick. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "controlplane/rs_dblive.h"
#include "rs_test.h"
#include "rs_test_gateway.h"

#define KEY "db-0123456789abcdefghijklmnopqrs" /* 32 characters, like a real key */
#define KEY_ENV "RS_TEST_DBLIVE_KEY"
#define ES_FILE "dbn/nautilus/esh4-glbx-mdp3-20231225.mbo.dbn.zst"
#define SMALL_FILE "dbn/databento_dbn/test_data.mbo.dbn"

/* ------------------------------------------------------------ DBN file */

struct file {
	uint8_t *buf;
	size_t len;
	size_t meta_len;
	size_t *off; /* record offsets */
	size_t nrec;
};

static void load_file(const char *path, struct file *f)
{
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp, "open %s", path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *raw = malloc((size_t)n);
	cr_assert_eq(fread(raw, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);

	memset(f, 0, sizeof(*f));
	if (n > 4 && raw[0] == 0x28 && raw[1] == 0xb5 && raw[2] == 0x2f && raw[3] == 0xfd) {
		ZSTD_DStream *ds = ZSTD_createDStream();
		size_t cap = 1 << 20;
		f->buf = malloc(cap);
		ZSTD_inBuffer in = {raw, (size_t)n, 0};
		for (;;) {
			if (f->len == cap) {
				cap *= 2;
				f->buf = realloc(f->buf, cap);
			}
			ZSTD_outBuffer out = {f->buf + f->len, cap - f->len, 0};
			size_t r = ZSTD_decompressStream(ds, &out, &in);
			cr_assert(!ZSTD_isError(r), "zstd: %s", ZSTD_getErrorName(r));
			f->len += out.pos;
			if (r == 0 && in.pos == in.size)
				break;
			cr_assert(out.pos > 0 || in.pos < in.size, "truncated zstd frame");
		}
		ZSTD_freeDStream(ds);
		free(raw);
	} else {
		f->buf = raw;
		f->len = (size_t)n;
	}
	cr_assert_eq(memcmp(f->buf, "DBN", 3), 0);
	uint32_t ml;
	memcpy(&ml, f->buf + 4, 4);
	f->meta_len = 8 + ml;
	size_t cap = 1024;
	f->off = malloc(cap * sizeof(size_t));
	for (size_t o = f->meta_len; o < f->len; o += (size_t)f->buf[o] * 4) {
		cr_assert_geq(f->buf[o], 4);
		if (f->nrec == cap) {
			cap *= 2;
			f->off = realloc(f->off, cap * sizeof(size_t));
		}
		f->off[f->nrec++] = o;
	}
}

static uint64_t ts_at(const struct file *f, size_t i)
{
	uint64_t ts;
	memcpy(&ts, f->buf + f->off[i] + 8, 8);
	return ts;
}

static size_t first_ge(const struct file *f, uint64_t ts)
{
	size_t i = 0;
	while (i < f->nrec && ts_at(f, i) < ts)
		i++;
	return i;
}

/* --------------------------------------------------------------- sink */

struct sink {
	struct file *f;
	struct rs_dblive *c;
	struct rs_test_gateway *gw;
	size_t next;            /* next expected record index */
	size_t mismatches;
	uint64_t bytes;
	size_t stop_after;      /* stop once this many records arrived */
	unsigned nsys;          /* SystemMsg/ErrorMsg records delivered */
	unsigned nmeta, meta_mismatch;
	unsigned busy_every, calls;
	bool busy_pending;
	uint64_t busy_returned;
	unsigned ev[RS_DBLIVE_EV__COUNT];
	enum rs_dblive_event seq[64];
	unsigned nseq;
	char fail[8][256];
	unsigned nfail;
	unsigned stop_after_failures;
	unsigned up_after_opens; /* bring the gateway up at this circuit_open count */
	char logs[1 << 16];
	size_t loglen;
};

static int on_record(void *arg, const struct rs_rec_hdr *rec, size_t len)
{
	struct sink *s = arg;
	if (s->busy_every && ++s->calls % s->busy_every == 0 && !s->busy_pending) {
		s->busy_pending = true;
		s->busy_returned++;
		return RS_DBLIVE_BUSY;
	}
	s->busy_pending = false;
	cr_assert_eq((uintptr_t)rec % 8, 0, "records are delivered aligned");
	if (rec->rtype == RS_RTYPE_SYSTEM || rec->rtype == RS_RTYPE_ERROR) {
		s->nsys++; /* session messages, not part of the file */
		return 0;
	}
	if (s->next < s->f->nrec) {
		size_t o = s->f->off[s->next];
		if (len != (size_t)s->f->buf[o] * 4 || memcmp(rec, s->f->buf + o, len) != 0)
			s->mismatches++;
	} else {
		s->mismatches++;
	}
	s->next++;
	s->bytes += len;
	if (s->stop_after && s->next >= s->stop_after)
		rs_dblive_stop(s->c);
	return 0;
}

static void on_metadata(void *arg, const uint8_t *meta, size_t len, uint8_t version)
{
	struct sink *s = arg;
	s->nmeta++;
	if (len != s->f->meta_len || memcmp(meta, s->f->buf, len) != 0 ||
	    version != s->f->buf[3])
		s->meta_mismatch++;
}

static void on_event(void *arg, enum rs_dblive_event ev, const char *detail)
{
	struct sink *s = arg;
	s->ev[ev]++;
	if (ev == RS_DBLIVE_EV_CONNECTION_FAILED || ev == RS_DBLIVE_EV_CONNECTION_RESTORED ||
	    ev == RS_DBLIVE_EV_CIRCUIT_OPEN || ev == RS_DBLIVE_EV_CIRCUIT_CLOSED) {
		if (s->nseq < 64)
			s->seq[s->nseq++] = ev;
	}
	if (ev == RS_DBLIVE_EV_CONNECTION_FAILED) {
		if (s->nfail < 8)
			snprintf(s->fail[s->nfail++], sizeof(s->fail[0]), "%s", detail ? detail : "");
		if (s->stop_after_failures && s->ev[ev] >= s->stop_after_failures)
			rs_dblive_stop(s->c);
	}
	if (ev == RS_DBLIVE_EV_CIRCUIT_OPEN && s->up_after_opens &&
	    s->ev[ev] == s->up_after_opens)
		cr_assert_eq(rs_test_gateway_set_down(s->gw, false), 0, "gateway back up");
}

static void on_log(void *arg, enum rs_dblive_log_level lvl, const char *msg)
{
	struct sink *s = arg;
	int n = snprintf(s->logs + s->loglen, sizeof(s->logs) - s->loglen, "%d %s\n", (int)lvl, msg);
	if (n > 0 && s->loglen + (size_t)n < sizeof(s->logs))
		s->loglen += (size_t)n;
}

static struct rs_dblive_cfg base_cfg(char gw[64], uint16_t port, struct sink *s)
{
	snprintf(gw, 64, "127.0.0.1:%u", port);
	setenv(KEY_ENV, KEY, 1);
	return (struct rs_dblive_cfg){
		.gateway = gw,
		.dataset = "GLBX.MDP3",
		.schema = "mbo",
		.symbols = "ESH4",
		.heartbeat_interval_s = 1,
		.heartbeat_timeout_ms = 5000,
		.connect_timeout_ms = 1000,
		.auth_timeout_ms = 2000,
		.key_env = KEY_ENV,
		.backoff = {.base_ns = 5000000, .cap_ns = 20000000, .open_after = 10,
			    .cooldown_ns = 100000000, .seed = 1},
		.max_run_ms = 90000, /* failsafe against a hang, not a timing assertion */
		.log = on_log,
		.log_arg = s,
		.log_level = RS_DBLIVE_LOG_DEBUG,
	};
}

static void start_client(struct sink *s, const struct rs_dblive_cfg *cfg)
{
	struct rs_dblive_handler h = {.on_metadata = on_metadata, .on_record = on_record,
				      .on_event = on_event, .arg = s};
	char err[256];
	int rc = rs_dblive_create(&s->c, cfg, &h, err, sizeof(err));
	cr_assert_eq(rc, 0, "create: %s", err);
}

static void start_gateway(struct sink *s, struct file *f,
			  const struct rs_test_gateway_step *script, unsigned n)
{
	struct rs_test_gateway_cfg g = {.key = KEY, .dbn = f->buf, .dbn_len = f->len,
					.nscript = n, .heartbeat_ms = 50};
	for (unsigned i = 0; i < n; i++)
		g.script[i] = script[i];
	s->f = f;
	cr_assert_eq(rs_test_gateway_start(&s->gw, &g), 0);
}

/* The key must never leak into logs, errors or event details. */
static void check_no_key(struct sink *s)
{
	s->logs[s->loglen] = '\0';
	cr_expect_null(strstr(s->logs, KEY), "the API key appears in the log");
	cr_expect_null(strstr(s->logs, &KEY[5]), "part of the API key appears in the log");
	if (s->c)
		cr_expect_null(strstr(rs_dblive_errmsg(s->c), &KEY[5]), "key in the error message");
	for (unsigned i = 0; i < s->nfail; i++)
		cr_expect_null(strstr(s->fail[i], &KEY[5]), "key in an event detail");
}

static void finish(struct sink *s)
{
	check_no_key(s);
	free(s->f->buf);
	free(s->f->off);
	rs_dblive_destroy(s->c);
	s->c = NULL;
	rs_test_gateway_stop(s->gw);
	s->gw = NULL;
}

/* Every record of the file, in order, exactly once. */
static void expect_exactly_once(const struct sink *s)
{
	cr_expect_eq(s->next, s->f->nrec, "delivered %zu of %zu records", s->next, s->f->nrec);
	cr_expect_eq(s->mismatches, 0, "%zu records differ from the file", s->mismatches);
	cr_expect_eq(s->bytes, s->f->len - s->f->meta_len);
}

/* ================================================================ tests */

Test(dblive, cram_response_and_time_parsing)
{
	char hex[65];
	cr_assert_eq(rs_dblive_cram_response("abc123", KEY, hex), 0);
	/* sha256("abc123|" KEY), computed independently */
	cr_expect_str_eq(hex, "5ba8d229ee5c46a457674ba5a4daf6c2885a8f3a90a7049097e45ed34a85b593");

	uint64_t ns;
	cr_expect_eq(rs_dblive_parse_time("2023-12-25T22:00:00Z", &ns), 0);
	cr_expect_eq(ns, 1703541600000000000ull);
	cr_expect_eq(rs_dblive_parse_time("2023-12-25T22:00:00.5Z", &ns), 0);
	cr_expect_eq(ns, 1703541600500000000ull);
	cr_expect_eq(rs_dblive_parse_time("2023-12-25T22:00:00.000000001", &ns), 0);
	cr_expect_eq(ns, 1703541600000000001ull);
	cr_expect_eq(rs_dblive_parse_time("2023-12-25T23:00:00+01:00", &ns), 0);
	cr_expect_eq(ns, 1703541600000000000ull);
	cr_expect_eq(rs_dblive_parse_time("2023-12-25", &ns), 0);
	cr_expect_eq(ns, 1703462400000000000ull);
	cr_expect_eq(rs_dblive_parse_time("1703541600000000000", &ns), 0);
	cr_expect_eq(ns, 1703541600000000000ull);
	cr_expect_eq(rs_dblive_parse_time("2023-13-01", &ns), -EINVAL);
	cr_expect_eq(rs_dblive_parse_time("2023-12-25T22", &ns), -EINVAL);
	cr_expect_eq(rs_dblive_parse_time("yesterday", &ns), -EINVAL);
	cr_expect_eq(rs_dblive_parse_time("", &ns), -EINVAL);
	cr_expect_eq(rs_dblive_parse_time("2023-12-25T22:00:00.Z", &ns), -EINVAL);
}

Test(dblive, authentication_accepted_and_subscription_fields)
{
	RS_TEST_NEED_DATA(path, SMALL_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	cr_assert_eq(f.nrec, 2, "test_data.mbo.dbn holds 2 records");
	cr_assert_eq(f.buf[3], 2, "DBN v2");

	start_gateway(&s, &f, NULL, 0);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	cfg.heartbeat_interval_s = 7;
	cfg.symbols = "ESH1,ESM1";
	cfg.client_name = "ringside-test/1";
	s.stop_after = 2;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);
	cr_expect_eq(s.nmeta, 1);
	cr_expect_eq(s.meta_mismatch, 0);

	struct rs_test_gateway_conn c;
	cr_assert(rs_test_gateway_conn(s.gw, 0, &c));
	cr_expect(c.auth_ok);
	cr_expect(c.started);
	/* auth=<64 hex>-<last 5 of key>|dataset=..|encoding=dbn|... */
	cr_expect_eq(strncmp(c.auth, "auth=", 5), 0, "%s", c.auth);
	cr_expect_eq(c.auth[5 + 64], '-');
	cr_expect_eq(strncmp(c.auth + 70, "pqrs|", 5) == 0 || strncmp(c.auth + 70, "opqrs|", 6) == 0,
		     true, "%s", c.auth);
	cr_expect_not_null(strstr(c.auth, "|dataset=GLBX.MDP3|"));
	cr_expect_not_null(strstr(c.auth, "|encoding=dbn|"));
	cr_expect_not_null(strstr(c.auth, "|ts_out=0|"));
	cr_expect_not_null(strstr(c.auth, "|client=ringside-test/1"));
	cr_expect_not_null(strstr(c.auth, "|heartbeat_interval_s=7"));
	cr_expect_null(strstr(c.auth, KEY), "the key itself is never sent");
	cr_expect_eq(c.nsubs, 1);
	cr_expect_str_eq(c.subs[0], "schema=mbo|stype_in=raw_symbol|symbols=ESH1,ESM1|snapshot=0|is_last=1");
	cr_expect_not(c.has_start);

	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.sessions_total, 1);
	cr_expect_eq(st.connect_attempts_total, 1);
	cr_expect_eq(st.connection_failed_total, 0);
	cr_expect_eq(st.records_total, 2);
	cr_expect_eq(s.ev[RS_DBLIVE_EV_AUTHENTICATED], 1);
	cr_expect_eq(s.ev[RS_DBLIVE_EV_SESSION_STARTED], 1);
	cr_expect_eq(st.last_ts_event, ts_at(&f, 1));
	finish(&s);
}

Test(dblive, authentication_rejected_with_a_wrong_key)
{
	RS_TEST_NEED_DATA(path, SMALL_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	start_gateway(&s, &f, NULL, 0);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	setenv(KEY_ENV, "db-WRONGKEYwrongkeyWRONGKEYxxxxx", 1);
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), -EACCES);
	cr_expect_not_null(strstr(rs_dblive_errmsg(s.c), "Authentication failed"), "%s",
			   rs_dblive_errmsg(s.c));
	cr_expect_null(strstr(rs_dblive_errmsg(s.c), "WRONGKEY"));
	s.logs[s.loglen] = '\0';
	cr_expect_null(strstr(s.logs, "WRONGKEY"), "the rejected key is not logged");
	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.auth_rejected_total, 1);
	cr_expect_eq(st.connect_attempts_total, 1, "a rejected key is not retried");
	cr_expect_eq(st.records_total, 0);
	struct rs_test_gateway_conn c;
	cr_assert(rs_test_gateway_conn(s.gw, 0, &c));
	cr_expect_not(c.auth_ok);
	cr_expect_not(c.started);
	finish(&s);
}

Test(dblive, start_time_and_symbol_chunks)
{
	RS_TEST_NEED_DATA(path, SMALL_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	static char syms[1200 * 6];
	size_t n = 0;
	for (int i = 0; i < 1200; i++)
		n += (size_t)snprintf(syms + n, sizeof(syms) - n, "%sS%04d", i ? "," : "", i);

	load_file(path, &f);
	start_gateway(&s, &f, NULL, 0);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	cfg.symbols = syms;
	cfg.schema = "mbo";
	cfg.stype_in = "parent";
	cfg.has_start = true;
	cr_assert_eq(rs_dblive_parse_time("2020-12-28T13:00:00Z", &cfg.start_ns), 0);
	s.stop_after = 2;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);

	struct rs_test_gateway_conn c;
	cr_assert(rs_test_gateway_conn(s.gw, 0, &c));
	cr_expect_eq(c.nsubs, 3, "1200 symbols = 3 subscription lines of <= 500");
	cr_expect(c.has_start);
	cr_expect_eq(c.start, 1609160400000000000ull);
	cr_expect_eq(strncmp(c.subs[0], "schema=mbo|stype_in=parent|symbols=S0000,S0001,", 47), 0);
	cr_expect_not_null(strstr(c.subs[0], ",S0499|snapshot=0|is_last=0|start=1609160400000000000"));
	cr_expect_not_null(strstr(c.subs[1], "symbols=S0500,"));
	cr_expect_not_null(strstr(c.subs[1], ",S0999|snapshot=0|is_last=0|"));
	cr_expect_not_null(strstr(c.subs[2], "symbols=S1000,"));
	cr_expect_not_null(strstr(c.subs[2], ",S1199|snapshot=0|is_last=1|start=1609160400000000000"));
	finish(&s);
}

Test(dblive, streams_every_record_of_a_real_file)
{
	RS_TEST_NEED_DATA(path, ES_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	cr_assert_eq(f.nrec, 68792, "ESH4 2023-12-25 MBO holds 68,792 records");
	cr_assert_eq(f.buf[3], 1, "DBN v1");

	start_gateway(&s, &f, NULL, 0);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	s.stop_after = f.nrec;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);
	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.records_total, 68792);
	cr_expect_eq(st.record_bytes_total, 68792u * 56u);
	cr_expect_eq(st.duplicates_dropped_total, 0);
	cr_expect_geq(st.rx_bytes_total, f.len);
	cr_expect_eq(st.last_ts_event, ts_at(&f, f.nrec - 1));
	finish(&s);
}

Test(dblive, dropped_connection_replays_and_delivers_exactly_once)
{
	RS_TEST_NEED_DATA(path, ES_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	/* first drop inside the 8,725-record snapshot burst (one ts_event),
	 * second in the live part */
	static const struct rs_test_gateway_step script[] = {
		{RS_TGW_DROP, 5000}, {RS_TGW_DROP, 30000}, {RS_TGW_NORMAL, 0}};
	start_gateway(&s, &f, script, 3);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	s.stop_after = f.nrec;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);

	/* The replays start at the last ts_event delivered; what the gateway
	 * re-sent up to the cut is dropped, nothing else. */
	size_t f1 = first_ge(&f, ts_at(&f, 4999));
	size_t cut1 = 5000;
	size_t last2 = f1 + 30000 - 1; /* last record of the second connection */
	size_t f2 = first_ge(&f, ts_at(&f, last2));
	uint64_t dups = (cut1 - f1) + (last2 + 1 - f2);

	struct rs_test_gateway_conn c0, c1, c2;
	cr_assert(rs_test_gateway_conn(s.gw, 0, &c0));
	cr_assert(rs_test_gateway_conn(s.gw, 1, &c1));
	cr_assert(rs_test_gateway_conn(s.gw, 2, &c2));
	cr_expect_not(c0.has_start);
	cr_expect(c1.has_start);
	cr_expect_eq(c1.start, ts_at(&f, 4999));
	cr_expect(c2.has_start);
	cr_expect_eq(c2.start, ts_at(&f, last2));

	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.duplicates_dropped_total, dups, "dropped %lu, expected %lu",
		     (unsigned long)st.duplicates_dropped_total, (unsigned long)dups);
	cr_expect_eq(st.sessions_total, 3);
	cr_expect_eq(st.reconnects_total, 2);
	cr_expect_eq(st.disconnects_total, 2);
	cr_expect_eq(st.connection_failed_total, 2);
	cr_expect_eq(st.connection_restored_total, 2);
	cr_expect_eq(s.nmeta, 3);
	cr_expect_eq(s.meta_mismatch, 0);
	cr_expect_not_null(strstr(s.fail[0], "closed the connection"), "%s", s.fail[0]);
	finish(&s);
}

Test(dblive, heartbeat_silence_times_out_and_reconnects)
{
	RS_TEST_NEED_DATA(path, ES_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	static const struct rs_test_gateway_step script[] = {{RS_TGW_SILENT, 3000},
							     {RS_TGW_NORMAL, 0}};
	start_gateway(&s, &f, script, 2);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	cfg.heartbeat_timeout_ms = 250;
	s.stop_after = f.nrec;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);

	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	/* at least the scripted silence; a loaded machine may add more */
	cr_expect_geq(st.heartbeat_timeouts_total, 1);
	cr_expect_geq(s.ev[RS_DBLIVE_EV_HEARTBEAT_TIMEOUT], 1);
	cr_expect_geq(st.reconnects_total, 1);
	cr_expect_not_null(strstr(s.fail[0], "heartbeat timeout"), "%s", s.fail[0]);
	struct rs_test_gateway_conn c1;
	cr_assert(rs_test_gateway_conn(s.gw, 1, &c1));
	cr_expect(c1.has_start);
	cr_expect_eq(c1.start, ts_at(&f, 2999));
	finish(&s);
}

/* Stops the client once the gateway has sent n heartbeats. */
struct hb_watch {
	struct sink *s;
	uint64_t n;
};

static void *hb_watcher(void *arg)
{
	struct hb_watch *w = arg;
	for (;;) {
		struct rs_test_gateway_conn c;
		if (rs_test_gateway_conn(w->s->gw, 0, &c) && c.heartbeats_sent >= w->n)
			break;
		usleep(5000);
	}
	rs_dblive_stop(w->s->c);
	return NULL;
}

Test(dblive, idle_gateway_heartbeats_keep_the_session)
{
	RS_TEST_NEED_DATA(path, SMALL_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	pthread_t thr;
	load_file(path, &f);
	start_gateway(&s, &f, NULL, 0);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	start_client(&s, &cfg);
	struct hb_watch w = {.s = &s, .n = 5};
	cr_assert_eq(pthread_create(&thr, NULL, hb_watcher, &w), 0);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	pthread_join(thr, NULL);

	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	expect_exactly_once(&s);
	cr_expect_eq(st.sessions_total, 1);
	cr_expect_eq(st.heartbeat_timeouts_total, 0);
	cr_expect_geq(st.heartbeats_total, 1, "heartbeats were received");
	cr_expect_eq(st.records_total, 2, "heartbeats are not delivered as records");
	finish(&s);
}

Test(dblive, garbage_bytes_fail_cleanly_and_recover)
{
	RS_TEST_NEED_DATA(path, ES_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	static const struct rs_test_gateway_step script[] = {
		{RS_TGW_GARBAGE_GREETING, 0}, {RS_TGW_GARBAGE_STREAM, 100}, {RS_TGW_NORMAL, 0}};
	start_gateway(&s, &f, script, 3);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	s.stop_after = f.nrec;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);
	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.protocol_errors_total, 2);
	cr_expect_eq(st.connection_failed_total, 2);
	cr_expect_eq(s.nfail, 2);
	cr_expect_not_null(strstr(s.fail[0], "unexpected greeting"), "%s", s.fail[0]);
	cr_expect_not_null(strstr(s.fail[1], "protocol error: record length 4 bytes"), "%s",
			   s.fail[1]);
	cr_expect_eq(st.sessions_total, 2, "the garbage-greeting session never started");
	finish(&s);
}

Test(dblive, gateway_messages_and_unknown_records)
{
	RS_TEST_NEED_DATA(path, SMALL_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	static const struct rs_test_gateway_step script[] = {{RS_TGW_EXTRAS, 0}};
	start_gateway(&s, &f, script, 1);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	s.stop_after = 2;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);
	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(s.nsys, 2, "the SystemMsg and the ErrorMsg reach the consumer");
	cr_expect_eq(st.gateway_errors_total, 1);
	cr_expect_eq(st.skipped_records_total, 1, "the unknown rtype is skipped and counted");
	cr_expect_eq(s.ev[RS_DBLIVE_EV_SYSTEM], 1);
	cr_expect_eq(s.ev[RS_DBLIVE_EV_GATEWAY_ERROR], 1);
	cr_expect_eq(st.sessions_total, 1, "none of this ends the session");
	s.logs[s.loglen] = '\0';
	cr_expect_not_null(strstr(s.logs, "gateway error: Symbol XYZ not found"), "%s", s.logs);
	cr_expect_not_null(strstr(s.logs, "Subscription request 0 for mbo data succeeded"));
	finish(&s);
}

Test(dblive, gateway_that_never_answers_times_out)
{
	RS_TEST_NEED_DATA(path, SMALL_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	static const struct rs_test_gateway_step script[] = {{RS_TGW_MUTE, 0}};
	start_gateway(&s, &f, script, 1);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	cfg.auth_timeout_ms = 150;
	s.stop_after_failures = 3;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.connection_failed_total, 3);
	cr_expect_eq(st.timeouts_total, 3);
	cr_expect_eq(st.connect_attempts_total, 3);
	cr_expect_eq(st.sessions_total, 0);
	cr_expect_eq(st.records_total, 0);
	for (unsigned i = 0; i < 3; i++)
		cr_expect_not_null(strstr(s.fail[i], "no greeting within 150 ms"), "%s", s.fail[i]);
	finish(&s);
}

Test(dblive, circuit_breaker_opens_and_closes)
{
	RS_TEST_NEED_DATA(path, SMALL_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	start_gateway(&s, &f, NULL, 0);
	cr_assert_eq(rs_test_gateway_set_down(s.gw, true), 0);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	cfg.backoff.open_after = 3;
	cfg.backoff.cooldown_ns = 100000000; /* 100 ms */
	s.up_after_opens = 2; /* the first half-open probe fails, the second succeeds */
	s.stop_after = 2;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);

	static const enum rs_dblive_event want[] = {
		RS_DBLIVE_EV_CONNECTION_FAILED, RS_DBLIVE_EV_CONNECTION_FAILED,
		RS_DBLIVE_EV_CONNECTION_FAILED, RS_DBLIVE_EV_CIRCUIT_OPEN,
		RS_DBLIVE_EV_CONNECTION_FAILED, RS_DBLIVE_EV_CIRCUIT_OPEN,
		RS_DBLIVE_EV_CIRCUIT_CLOSED,    RS_DBLIVE_EV_CONNECTION_RESTORED};
	cr_assert_eq(s.nseq, 8, "events: %u", s.nseq);
	for (unsigned i = 0; i < 8; i++)
		cr_expect_eq(s.seq[i], want[i], "event %u: %s, want %s", i,
			     rs_dblive_event_name(s.seq[i]), rs_dblive_event_name(want[i]));
	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.connection_failed_total, 4);
	cr_expect_eq(st.circuit_open_total, 2);
	cr_expect_eq(st.circuit_closed_total, 1);
	cr_expect_eq(st.connection_restored_total, 1);
	cr_expect_eq(rs_dblive_backoff(s.c)->probes_total, 2);
	cr_expect_eq(rs_dblive_backoff(s.c)->state, RS_BACKOFF_CLOSED);
	cr_expect_not_null(strstr(s.fail[0], "Connection refused"), "%s", s.fail[0]);
	s.logs[s.loglen] = '\0';
	cr_expect_not_null(strstr(s.logs, "circuit_open"));
	cr_expect_not_null(strstr(s.logs, "circuit_closed"));
	cr_expect_not_null(strstr(s.logs, "connection_restored"));
	cr_expect_not_null(strstr(s.logs, "connection_failed"));
	finish(&s);
}

Test(dblive, slow_reader_backpressure_is_bounded_and_lossless)
{
	RS_TEST_NEED_DATA(path, ES_FILE);
	struct file f;
	struct sink s = {0};
	char gw[64];
	load_file(path, &f);
	start_gateway(&s, &f, NULL, 0);
	struct rs_dblive_cfg cfg = base_cfg(gw, rs_test_gateway_port(s.gw), &s);
	cfg.rx_buf_bytes = 4096;
	s.busy_every = 997;
	s.stop_after = f.nrec;
	start_client(&s, &cfg);
	cr_expect_eq(rs_dblive_run(s.c), 0);
	expect_exactly_once(&s);
	struct rs_dblive_stats st;
	rs_dblive_stats(s.c, &st);
	cr_expect_eq(st.backpressure_total, s.busy_returned);
	cr_expect_geq(s.busy_returned, 68);
	cr_expect_eq(st.records_total, f.nrec, "a held record is delivered once, later");
	finish(&s);
}

/* ------------------------------------------------------------- API key */

static char keypath[64];

static void write_key(mode_t mode, const char *content)
{
	strcpy(keypath, "/tmp/rs_dblive_key_XXXXXX");
	int fd = mkstemp(keypath);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	cr_assert_eq(chmod(keypath, mode), 0);
}

static int load(char *err, size_t errlen)
{
	char key[RS_DBLIVE_KEY_MAX];
	int rc = rs_dblive_load_key(key, sizeof(key), keypath, NULL, err, errlen);
	if (rc > 0)
		cr_expect_str_eq(key, KEY);
	return rc;
}

Test(dblive, key_file_permissions)
{
	char err[256];

	write_key(0644, KEY "\n");
	cr_expect_eq(load(err, sizeof(err)), -EPERM);
	cr_expect_not_null(strstr(err, "mode 0644"), "%s", err);
	cr_expect_not_null(strstr(err, "0600 or 0400"), "%s", err);
	cr_expect_null(strstr(err, &KEY[5]));

	cr_assert_eq(chmod(keypath, 0640), 0);
	cr_expect_eq(load(err, sizeof(err)), -EPERM);
	cr_assert_eq(chmod(keypath, 0600), 0);
	cr_expect_eq(load(err, sizeof(err)), 32);
	cr_assert_eq(chmod(keypath, 0400), 0);
	cr_expect_eq(load(err, sizeof(err)), 32);

	if (geteuid() == 0) { /* another owner: rejected even with mode 0600 */
		cr_assert_eq(chmod(keypath, 0600), 0);
		cr_assert_eq(chown(keypath, 65534, 65534), 0);
		cr_expect_eq(load(err, sizeof(err)), -EPERM);
		cr_expect_not_null(strstr(err, "owned by uid 65534"), "%s", err);
	}

	char link[80];
	snprintf(link, sizeof(link), "%s.lnk", keypath);
	cr_assert_eq(symlink(keypath, link), 0);
	char key[RS_DBLIVE_KEY_MAX];
	cr_expect_eq(rs_dblive_load_key(key, sizeof(key), link, NULL, err, sizeof(err)), -EPERM);
	cr_expect_not_null(strstr(err, "symbolic link"), "%s", err);
	unlink(link);
	unlink(keypath);

	cr_expect_eq(rs_dblive_load_key(key, sizeof(key), "/nonexistent/key", NULL, err,
					sizeof(err)), -ENOENT);

	/* bad content: the message names the position, never the characters */
	write_key(0600, "db-abc|defghijkl\n");
	cr_expect_eq(load(err, sizeof(err)), -EINVAL);
	cr_expect_null(strstr(err, "defghijkl"), "%s", err);
	unlink(keypath);

	/* environment */
	unsetenv(KEY_ENV);
	cr_expect_eq(rs_dblive_load_key(key, sizeof(key), NULL, KEY_ENV, err, sizeof(err)),
		     -ENOKEY);
	cr_expect_not_null(strstr(err, KEY_ENV), "%s", err);
	setenv(KEY_ENV, KEY, 1);
	cr_expect_eq(rs_dblive_load_key(key, sizeof(key), NULL, KEY_ENV, err, sizeof(err)), 32);
	cr_expect_str_eq(key, KEY);
}

Test(dblive, create_rejects_a_bad_key_file_without_leaking_it)
{
	struct rs_dblive *c = NULL;
	struct sink s = {0};
	char err[256], gw[64];
	struct rs_dblive_cfg cfg = base_cfg(gw, 9, &s);
	struct rs_dblive_handler h = {.on_record = on_record, .arg = &s};

	write_key(0666, KEY);
	cfg.key_file = keypath;
	cr_expect_eq(rs_dblive_create(&c, &cfg, &h, err, sizeof(err)), -EPERM);
	cr_expect_null(c);
	cr_expect_null(strstr(err, &KEY[5]), "%s", err);
	cr_assert_eq(chmod(keypath, 0600), 0);
	cr_expect_eq(rs_dblive_create(&c, &cfg, &h, err, sizeof(err)), 0, "%s", err);
	rs_dblive_destroy(c);
	unlink(keypath);

	cfg.key_file = NULL;
	cfg.gateway = "no-port";
	cr_expect_eq(rs_dblive_create(&c, &cfg, &h, err, sizeof(err)), -EINVAL);
	cr_expect_not_null(strstr(err, "HOST:PORT"), "%s", err);
	cfg.gateway = gw;
	cfg.symbols = "A|B";
	cr_expect_eq(rs_dblive_create(&c, &cfg, &h, err, sizeof(err)), -EINVAL);
}

/* ------------------------------------------------------------------ CLI */

Test(dblive, cli_records_a_session_to_a_dbn_file)
{
	RS_TEST_NEED_DATA(path, ES_FILE);
	char exe[4096], out[64], errf[64], cmd[8192];
	snprintf(exe, sizeof(exe), "%s/bin/ringside", RS_BUILD_DIR);
	if (access(exe, X_OK) != 0)
		cr_skip_test("%s not built (cmake --build ... --target ringside_cli)", exe);
	struct file f;
	struct sink s = {0};
	load_file(path, &f);
	static const struct rs_test_gateway_step script[] = {{RS_TGW_DROP, 20000},
							     {RS_TGW_NORMAL, 0}};
	start_gateway(&s, &f, script, 2);
	setenv(KEY_ENV, KEY, 1);
	strcpy(out, "/tmp/rs_dblive_cli_XXXXXX");
	int fd = mkstemp(out);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(errf, sizeof(errf), "%s.err", out);
	snprintf(cmd, sizeof(cmd),
		 "%s dblive --gateway 127.0.0.1:%u --dataset GLBX.MDP3 --schema mbo "
		 "--symbols ESH4 --key-env %s --out %s --limit %zu --duration 60 2>%s",
		 exe, rs_test_gateway_port(s.gw), KEY_ENV, out, f.nrec, errf);
	int rc = system(cmd);
	cr_expect_eq(rc, 0, "%s -> %d", cmd, rc);

	/* the recording is the vendor file, byte for byte, across the drop */
	FILE *fp = fopen(out, "rb");
	cr_assert_not_null(fp);
	uint8_t *got = malloc(f.len + 1);
	size_t n = fread(got, 1, f.len + 1, fp);
	fclose(fp);
	cr_expect_eq(n, f.len, "output %zu bytes, file %zu", n, f.len);
	cr_expect_eq(memcmp(got, f.buf, n < f.len ? n : f.len), 0);
	free(got);

	fp = fopen(errf, "r");
	cr_assert_not_null(fp);
	size_t el = fread(s.logs, 1, sizeof(s.logs) - 1, fp);
	fclose(fp);
	s.logs[el] = '\0';
	cr_expect_not_null(strstr(s.logs, "68792 records"), "%s", s.logs);
	cr_expect_not_null(strstr(s.logs, "connection_failed"), "%s", s.logs);
	cr_expect_not_null(strstr(s.logs, "connection_restored"), "%s", s.logs);
	cr_expect_null(strstr(s.logs, &KEY[5]), "key on stderr");
	unlink(out);
	unlink(errf);
	finish(&s);
}
