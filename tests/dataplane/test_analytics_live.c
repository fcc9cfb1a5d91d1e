/*
 * test_analytics_live.c - batch == live, byte for byte.
 *
 * Live: a generated ITCH session is fed the way the handler does it into
 * an rs_analytics attached to a real instance's "bars" ring and "latest"
 * table (rs_instance_create, RINGSIDE_SHM_DIR = private temp dir); a
 * libringside subscriber reads the ring and prints every bar with
 * rs_bar_format (JSON lines). Batch: `ringside analyze FILE --out x.jsonl`.
 * The two files must be identical. Then `ringside bars SYM --json` reads
 * the instance's latest table and must print the last bar of each interval
 * exactly as the batch file has it.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/rs_evsource.h"
#include "controlplane/rs_gen.h"
#include "dataplane/rs_analytics.h"
#include "dataplane/rs_bars.h"
#include "dataplane/rs_book.h"
#include "ringside.h"
#include "shm/rs_instance.h"
#include "shm/rs_itable.h"

static char dir[256], itch[300], live[300], batch[300];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rs-analytics-live-%d", (int)getpid());
	cr_assert_eq(mkdir(dir, 0700), 0);
	setenv("RINGSIDE_SHM_DIR", dir, 1);
	snprintf(itch, sizeof(itch), "%s/day.itch", dir);
	snprintf(live, sizeof(live), "%s/live.jsonl", dir);
	snprintf(batch, sizeof(batch), "%s/batch.jsonl", dir);
}

static void teardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", dir);
	/* the instance's segments may sit on hugetlbfs (huge pages are tried
	 * first): remove them too when a failed assertion skipped the close */
	const char *hd = getenv("RINGSIDE_HUGE_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/analytics-live-%d'", hd && *hd ? hd : "/dev/hugepages/ringside",
		 (int)getpid());
	if (system(cmd))
		fprintf(stderr, "cleanup of the huge-page segments failed\n");
}

TestSuite(analytics_live, .init = setup, .fini = teardown, .timeout = 600);

struct symtab {
	char s[65536][RS_SYMBOL_LEN];
};
static struct symtab syms;
struct ctx {
	struct rs_book *b;
	FILE *out;
	uint64_t bars;
	uint64_t compact; /* RS_REC_BARS_EMPTY records read */
};

static struct rs_instance *inst;

static void on_define(void *c, uint32_t id, const char *symbol, int64_t tick)
{
	struct ctx *x = c;
	(void)rs_book_define(x->b, id, symbol && *symbol ? symbol : NULL, tick);
	/* the instrument directory, as the daemon's rs_instdir publishes it */
	struct rs_instrument ri;
	memset(&ri, 0, sizeof(ri));
	ri.instrument_id = id;
	snprintf(ri.symbol, sizeof(ri.symbol), "%s", symbol ? symbol : "");
	int64_t slot = rs_itable_claim(&inst->instruments, id);
	cr_assert_geq(slot, 0);
	rs_seqtab_write(&inst->instruments, (uint32_t)slot, rs_itable_key(id), &ri, sizeof(ri));
	if (id < 65536)
		snprintf(syms.s[id], RS_SYMBOL_LEN, "%s", symbol ? symbol : "");
}

static void on_rec(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	struct ctx *x = arg;
	/* full bars and compact runs of empty bars */
	cr_assert(type == RS_REC_BAR || type == RS_REC_BARS_EMPTY, "record type %u", type);
	if (type == RS_REC_BAR)
		cr_assert_eq(len, sizeof(struct rs_bar));
	else
		x->compact++;
	struct rs_bar bars[RS_BAR_UNPACK_MAX];
	int nb = rs_bar_unpack(type, rec, len, bars, RS_BAR_UNPACK_MAX);
	cr_assert_gt(nb, 0);
	for (int i = 0; i < nb; i++) {
		const struct rs_bar *b = &bars[i];
		char line[1024];
		int n = rs_bar_format(b, b->instrument_id < 65536 ? syms.s[b->instrument_id] : "",
				      RS_BAR_FMT_JSON, line, sizeof(line));
		cr_assert_gt(n, 0);
		fwrite(line, 1, (size_t)n, x->out);
		x->bars++;
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return p;
}

Test(analytics_live, batch_equals_live_and_bars_cli)
{
	/* a short session: 20 symbols, 60 k messages; 1 m and 5 m bars keep
	 * the empty-bar count (instruments x session length) small */
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.symbols = 20;
	o.messages = 60000;
	struct rs_gen *g;
	char err[256];
	cr_assert_eq(rs_gen_create(&g, &o, err, sizeof(err)), 0, "%s", err);
	uint64_t bytes;
	cr_assert_eq(rs_gen_write_day(g, itch, &bytes), 0);
	rs_gen_destroy(g);

	struct rs_instance_conf ic;
	char name[64];
	snprintf(name, sizeof(name), "analytics-live-%d", (int)getpid());
	rs_instance_conf_default(&ic, name);
	ic.max_instruments = 1024;
	ic.event_slots = 1024;
	ic.analytics_slots = 4096;
	ic.huge = 0;
	struct rs_instance *in;
	cr_assert_eq(rs_instance_create(&in, &ic), 0, "%s", rs_errmsg());
	rs_instance_publish(in);
	inst = in;

	struct ctx x = {0};
	struct rs_book_cfg bc;
	rs_book_cfg_default(&bc);
	bc.max_orders = 1 << 20;
	bc.max_levels = 1 << 18;
	cr_assert_eq(rs_book_create(&x.b, &bc), 0);
	struct rs_analytics_cfg ac;
	rs_analytics_cfg_default(&ac);
	memset(ac.intervals_ns, 0, sizeof(ac.intervals_ns));
	ac.intervals_ns[0] = 60000000000ull;
	ac.intervals_ns[1] = 300000000000ull;
	ac.max_instruments = bc.max_instruments;
	struct rs_analytics *a;
	cr_assert_eq(rs_analytics_create(&a, &ac), 0);
	rs_analytics_attach(a, &in->bars, &in->latest);
	rs_book_set_amend(x.b, rs_analytics_amend_bbo, a);
	cr_assert_eq(rs_book_attach_tables(x.b, &in->bbo, NULL), 0);

	struct rs_client *c;
	cr_assert_eq(rs_client_open(&c, name, NULL), 0, "%s", rs_errmsg());
	struct rs_sub *sub;
	cr_assert_eq(rs_client_sub_open(c, RS_SEGNAME_BARS, RS_START_OLDEST, &sub), 0, "%s", rs_errmsg());
	x.out = fopen(live, "w");
	cr_assert_not_null(x.out);

	/* the live handler's loop: per event tick(feed clock), book, analytics;
	 * publication after each burst; the client drains between bursts */
	struct rs_evsource *src;
	struct rs_evsrc_defs defs = {.ctx = &x, .define = on_define};
	cr_assert_eq(rs_evsource_open(&src, itch, RS_EVSRC_ITCH, &defs), 0, "%s", rs_errmsg());
	static struct rs_event ev[256];
	int n;
	while ((n = rs_evsource_next(src, ev, 256)) > 0) {
		for (int i = 0; i < n; i++) {
			rs_analytics_tick(a, ev[i].mbo.hd.ts_event);
			rs_book_apply(x.b, &ev[i]);
			rs_analytics_on_event(a, &ev[i], x.b, rs_book_find(x.b, ev[i].mbo.hd.instrument_id));
		}
		rs_book_publish(x.b, NULL, NULL);
		cr_assert_geq(rs_client_sub_poll(sub, on_rec, &x, 0), 0, "%s", rs_errmsg());
	}
	cr_assert_eq(n, 0);
	rs_evsource_close(src);
	rs_analytics_flush(a);
	cr_assert_geq(rs_client_sub_poll(sub, on_rec, &x, 0), 0, "%s", rs_errmsg());
	cr_assert_eq(rs_client_sub_overruns(sub), 0);
	fclose(x.out);
	const struct rs_analytics_stats *st = rs_analytics_stats(a);
	cr_assert_gt(st->trades, 100);
	cr_assert_eq(x.bars, st->bars);
	cr_assert_gt(x.bars, 20);
	cr_assert_gt(x.compact, 0, "no empty bar went out as an RS_REC_BARS_EMPTY record");
	cr_assert_eq(st->publish_failed, 0);

	/* microstructure reached the BBO table through the amend hook */
	struct rs_bbo bbo;
	int found = 0;
	for (uint32_t id = 1; id <= 20 && !found; id++)
		if (!rs_client_bbo(c, id, &bbo) && bbo.bid.price != RS_UNDEF_PRICE &&
		    bbo.ask.price != RS_UNDEF_PRICE && bbo.bid.size + bbo.ask.size)
			found = bbo.microprice >= bbo.bid.price && bbo.microprice <= bbo.ask.price;
	cr_expect(found, "no BBO row with a microprice inside the spread");

	/* batch: the CLI */
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "%s/bin/ringside analyze '%s' --format itch --bars 1m,5m --out '%s' 2>/dev/null",
		 RS_BUILD_DIR, itch, batch);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	size_t ll, bl;
	char *L = slurp(live, &ll), *B = slurp(batch, &bl);
	cr_assert_eq(ll, bl, "live %zu bytes, batch %zu bytes", ll, bl);
	cr_assert_eq(memcmp(L, B, ll), 0, "live and batch differ");

	/* ringside bars SYM --json: header line + the last 1m and 5m bars,
	 * each identical to a line of the batch output */
	const char *sym = NULL;
	for (uint32_t id = 1; id < 65536 && !sym; id++)
		if (syms.s[id][0]) {
			char key[64];
			snprintf(key, sizeof(key), "\"symbol\":\"%s\"", syms.s[id]);
			if (strstr(B, key))
				sym = syms.s[id];
		}
	cr_assert_not_null(sym);
	char out[300];
	snprintf(out, sizeof(out), "%s/bars.out", dir);
	rs_instance_heartbeat(in); /* the batch run took a while: not a wedged producer */
	snprintf(cmd, sizeof(cmd), "%s/bin/ringside bars '%s' -i '%s' --json > '%s'", RS_BUILD_DIR, sym,
		 name, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	size_t ol;
	char *O = slurp(out, &ol);
	char *nl = strchr(O, '\n');
	cr_assert_not_null(nl);
	cr_expect(strstr(O, "\"session_volume\":") != NULL);
	int lines = 0;
	for (char *p = nl + 1; *p; lines++) {
		char *e = strchr(p, '\n');
		cr_assert_not_null(e);
		*e = 0;
		cr_expect(strstr(B, p) != NULL, "bars line not in the batch output: %s", p);
		p = e + 1;
	}
	cr_expect_eq(lines, 2);
	free(O);
	free(L);
	free(B);

	rs_client_close(c);
	rs_analytics_destroy(a);
	rs_book_destroy(x.b);
	rs_instance_close(in, true);
}
