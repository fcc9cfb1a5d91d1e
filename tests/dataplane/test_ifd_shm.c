/* test_ifd_shm.c - publication: the engine attached to an instance's
 * pressure / signals rings and flow table (shm/rs_instance), read back
 * through libringside (rs_client_sub_*, rs_client_table_*) and by
 * `ringside signals [--json]` in a private RINGSIDE_SHM_DIR. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/rs_book.h"
#include "dataplane/rs_ifd.h"
#include "rs_instance.h"
#include "rs_itable.h"
#include "ringside.h"

#define PX(x) ((int64_t)((x) * 1000000000.0 + 0.5))
#define S 1000000000ull
#define T10 ((1704153600ull + 15 * 3600) * S)
#define IID 5u

static char shmdir[128], inst[32];
static struct rs_book *bk;
static struct rs_ifd *ifd;

static void setup(void)
{
	snprintf(shmdir, sizeof(shmdir), "/tmp/rs-ifd-shm-%d", (int)getpid());
	snprintf(inst, sizeof(inst), "ifd%d", (int)getpid());
	setenv("RINGSIDE_SHM_DIR", shmdir, 1);
	setenv("RINGSIDE_HUGE_DIR", "", 1);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shmdir);
	(void)!system(cmd);
}

static void ev(char act, char side, uint64_t id, double px, uint32_t size, uint64_t ts)
{
	struct rs_event e;
	memset(&e, 0, sizeof(e));
	e.mbo.hd.instrument_id = IID;
	e.mbo.hd.ts_event = ts;
	e.mbo.order_id = id;
	e.mbo.price = PX(px);
	e.mbo.size = size;
	e.mbo.flags = RS_F_LAST;
	e.mbo.action = act;
	e.mbo.side = side;
	rs_book_apply(bk, &e);
	rs_ifd_on_event(ifd, &e, bk, rs_book_find(bk, IID));
}

struct got {
	int pressure, signals, patterns;
	struct rs_signal s;
	struct rs_pattern p;
};

static void cb(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	struct got *g = arg;
	if (type == RS_REC_PRESSURE && len == sizeof(struct rs_pressure))
		g->pressure++;
	if (type == RS_REC_SIGNAL && len == sizeof(struct rs_signal)) {
		g->signals++;
		memcpy(&g->s, rec, len);
	}
	if (type == RS_REC_PATTERN && len == sizeof(struct rs_pattern)) {
		g->patterns++;
		memcpy(&g->p, rec, len);
	}
}

Test(ifd_shm, rings_flow_table_and_cli, .init = setup, .fini = teardown, .timeout = 60)
{
	struct rs_instance_conf ic;
	struct rs_instance *in;
	rs_instance_conf_default(&ic, inst);
	ic.max_instruments = 64;
	ic.depth = 5;
	ic.event_slots = 1024;
	ic.counters = 16;
	ic.huge = RS_SHM_HUGE_OFF;
	ic.analytics = true;
	ic.analytics_slots = 1024;
	cr_assert_eq(rs_instance_create(&in, &ic), 0, "%s", rs_errmsg());
	struct rs_instrument ins = {.instrument_id = IID, .symbol = "IFDX"};
	int64_t slot = rs_itable_claim(&in->instruments, IID);
	rs_seqtab_write(&in->instruments, (uint32_t)slot, rs_itable_key(IID), &ins, sizeof(ins));
	rs_instance_publish(in);

	struct rs_book_cfg bc;
	rs_book_cfg_default(&bc);
	bc.max_instruments = 8;
	bc.max_orders = 256;
	bc.max_levels = 64;
	bc.ladder_arena = 512;
	bc.max_ladder = 64;
	bc.depth = 5;
	cr_assert_eq(rs_book_create(&bk, &bc), 0);
	cr_assert_geq(rs_book_define(bk, IID, "IFDX", 0), 0);
	struct rs_ifd_cfg c;
	rs_ifd_cfg_default(&c);
	c.max_instruments = 8;
	c.nwin = 1;
	c.windows_ns[0] = 60 * S;
	c.allow_immature = true;
	c.baseline_min_days = 1;
	cr_assert_eq(rs_ifd_create(&ifd, &c), 0);
	rs_ifd_attach(ifd, &in->pressure, &in->signals, &in->flow);

	/* baseline: 2 sessions, vi +-0.1 in every bucket, volume 10 */
	struct rs_bl_geom g;
	rs_ifd_geom(&c, &g);
	struct rs_baseline *bl;
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	struct rs_bl_cell *cells = calloc(g.ncells, sizeof(*cells));
	for (int d = 0; d < 2; d++) {
		for (uint32_t k = 0; k < g.ncells; k++) {
			double x = d ? 0.1 : -0.1;
			rs_bl_cell_set(&cells[k], RS_BL_VI, &x, 1);
			x = 10;
			rs_bl_cell_set(&cells[k], RS_BL_VOL, &x, 1);
		}
		cr_assert_eq(rs_baseline_add(bl, "IFDX", IID, 20231201 + (uint32_t)d, 50, cells), 0);
	}
	free(cells);
	rs_ifd_set_baseline(ifd, bl);

	/* two buy-heavy minutes with large buys; an iceberg at the ask */
	ev('A', 'B', 1, 10.00, 100, T10);
	for (int k = 0; k < 2; k++) {
		uint64_t t = T10 + (uint64_t)k * 60 * S + S;
		ev('T', 'B', 0, 10.02, 80, t);
		ev('T', 'A', 0, 10.00, 20, t + 1);
	}
	for (int k = 0; k < 4; k++) {
		uint64_t t = T10 + 100 * S + (uint64_t)k * 10000000;
		ev('A', 'A', 10 + (uint64_t)k, 10.05, 300, t);
		ev('F', 'A', 10 + (uint64_t)k, 10.05, 300, t + 1000);
		ev('C', 'A', 10 + (uint64_t)k, 10.05, 300, t + 1000);
	}
	rs_ifd_tick(ifd, T10 + 180 * S);
	const struct rs_ifd_stats *st = rs_ifd_stats(ifd);
	cr_assert_eq(st->signals, 1);
	cr_assert_eq(st->patterns[RS_PAT_ICEBERG], 1);
	cr_assert_eq(st->windows, 3);

	/* libringside */
	struct rs_client *cl;
	cr_assert_eq(rs_client_open(&cl, inst, NULL), 0, "%s", rs_errmsg());
	struct rs_sub *sp, *ss;
	cr_assert_eq(rs_client_sub_open(cl, RS_SEGNAME_PRESSURE, RS_START_OLDEST, &sp), 0);
	cr_assert_eq(rs_client_sub_open(cl, RS_SEGNAME_SIGNALS, RS_START_OLDEST, &ss), 0);
	struct got gt = {0};
	cr_assert_eq(rs_client_sub_poll(sp, cb, &gt, 0), 3);
	cr_assert_eq(rs_client_sub_poll(ss, cb, &gt, 0), 2);
	cr_assert_eq(gt.pressure, 3);
	cr_assert_eq(gt.signals, 1);
	cr_assert_eq(gt.patterns, 1);
	cr_assert_eq(gt.s.instrument_id, IID);
	cr_assert_eq(gt.s.direction, RS_SIDE_BID);
	cr_assert_eq(gt.s.ts_start, T10 + 60 * S);
	cr_assert_eq(gt.s.flags, 0);
	cr_assert_eq(gt.s.baseline_samples, 2);
	cr_assert_eq(gt.p.kind, RS_PAT_ICEBERG);
	struct rs_table *t;
	cr_assert_eq(rs_client_table_open(cl, RS_SEGNAME_FLOW, &t), 0, "%s", rs_errmsg());
	struct rs_flow row;
	uint64_t key = 0;
	int found = 0;
	for (uint32_t s = 0; s < rs_client_table_slots(t); s++)
		if (!rs_client_table_read(t, s, &key, &row, sizeof(row)) && key == IID + 1) {
			found = 1;
			break;
		}
	cr_assert(found);
	cr_assert_eq(row.instrument_id, IID);
	cr_assert_eq(row.quality, 100);
	cr_assert_eq(row.signals, 1);
	cr_assert_eq(row.patterns[RS_PAT_ICEBERG], 1);
	/* the 10:02 window was empty: published on the ring only, the row
	 * keeps the last window with events */
	cr_assert_eq(row.last[0].ts_start, T10 + 60 * S);
	cr_assert_eq(row.last_signal.ts_start, T10 + 60 * S);
	rs_client_close(cl);

	/* ringside signals */
	char cmd[512], line[1024];
	snprintf(cmd, sizeof(cmd), "'%s/bin/ringside' signals -i %s --json", RS_BUILD_DIR, inst);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	int sig = 0, pat = 0;
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, "\"type\":\"signal\"") && strstr(line, "\"symbol\":\"IFDX\"") &&
		    strstr(line, "\"direction\":\"buy\""))
			sig++;
		if (strstr(line, "\"type\":\"pattern\"") && strstr(line, "\"kind\":\"iceberg\""))
			pat++;
	}
	cr_assert_eq(pclose(p), 0);
	cr_assert_eq(sig, 1);
	cr_assert_eq(pat, 1);
	snprintf(cmd, sizeof(cmd), "'%s/bin/ringside' signals -i %s | grep -c '^SIGNAL  IFDX'",
		 RS_BUILD_DIR, inst);
	p = popen(cmd, "r");
	cr_assert(fgets(line, sizeof(line), p));
	pclose(p);
	cr_assert_eq(atoi(line), 1);

	rs_ifd_destroy(ifd);
	rs_baseline_destroy(bl);
	rs_book_destroy(bk);
	rs_instance_close(in, true);
}
