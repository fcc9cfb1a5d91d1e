/* test_client.c - libringside against a producer in another process:
 * tables, broadcast subscription, counters, overrun errors, kill -9 of the
 * producer, restart with a new generation and re-attachment.
 * Suite: rs_client. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringside.h"
#include "rs_instance.h"
#include "rs_itable.h"

static char shmdir[128], inst[32];

static void setup(void)
{
	snprintf(shmdir, sizeof(shmdir), "/dev/shm/rs-ctest-%d", (int)getpid());
	snprintf(inst, sizeof(inst), "c%d", (int)getpid());
	setenv("RINGSIDE_SHM_DIR", shmdir, 1);
	setenv("RINGSIDE_HUGE_DIR", "", 1);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shmdir);
	if (system(cmd)) {
	}
}

TestSuite(rs_client, .init = setup, .fini = teardown);

static uint64_t seen[16];
static int nseen;
static uint64_t last_id;

static void cb(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	(void)arg;
	cr_assert_eq(type, RS_REC_EVENT);
	cr_assert_eq(len, sizeof(struct rs_event));
	last_id = ((const struct rs_event *)rec)->mbo.order_id;
	if (nseen < 16)
		seen[nseen] = last_id;
	nseen++;
}

static int visit(void *arg, uint32_t cid, uint32_t type, const char *label, uint64_t value)
{
	(void)cid; (void)type;
	cr_assert_str_eq(label, "rx.packets");
	cr_assert_eq(value, 42);
	(*(int *)arg)++;
	return 0;
}

static struct rs_instance *make_instance(uint32_t gen, uint32_t event_slots)
{
	struct rs_instance_conf c;
	struct rs_instance *in;

	rs_instance_conf_default(&c, inst);
	c.generation = gen;
	c.max_instruments = 64;
	c.depth = 10;
	c.event_slots = event_slots;
	c.counters = 16;
	c.huge = RS_SHM_HUGE_OFF;
	c.analytics = false; /* core segment set; analytics segments tested below */
	cr_assert_eq(rs_instance_create(&in, &c), 0, "%s", rs_errmsg());
	return in;
}

static void fill(struct rs_instance *in, uint32_t id, const char *sym, int64_t bid)
{
	struct rs_instrument ins = {.instrument_id = id, .lot_size = 100};
	snprintf(ins.symbol, sizeof(ins.symbol), "%s", sym);
	int64_t slot = rs_itable_claim(&in->instruments, id);
	cr_assert_geq(slot, 0);
	rs_seqtab_write(&in->instruments, (uint32_t)slot, rs_itable_key(id), &ins, sizeof(ins));

	struct rs_bbo b = {.instrument_id = id, .bid = {bid, 300, 2}, .ask = {bid + 100000000, 200, 1}};
	slot = rs_itable_claim(&in->bbo, id);
	rs_seqtab_write(&in->bbo, (uint32_t)slot, rs_itable_key(id), &b, sizeof(b));
}

Test(rs_client, tables_counters_and_events)
{
	struct rs_instance *in = make_instance(3, 1024);
	int id = rs_counters_alloc(&in->counters, 1, 0, "rx.packets");
	rs_counters_add(rs_counters_value(&in->counters, id), 42);
	fill(in, 7, "AAPL", 190000000000);
	fill(in, 64 + 7, "MSFT", 410000000000); /* same home slot as 7: probes */
	rs_instance_publish(in);

	struct rs_client *c;
	cr_assert_eq(rs_client_open(&c, inst, NULL), 0, "%s", rs_errmsg());
	cr_assert_eq(rs_client_generation(c), 3);
	cr_assert_eq(rs_client_check(c), 0, "%s", rs_errmsg());

	struct rs_instrument ins;
	cr_assert_eq(rs_client_instrument(c, 71, &ins), 0, "%s", rs_errmsg());
	cr_assert_str_eq(ins.symbol, "MSFT");
	cr_assert_eq(rs_client_lookup(c, "AAPL", &ins), 0, "%s", rs_errmsg());
	cr_assert_eq(ins.instrument_id, 7);
	cr_assert_eq(rs_client_lookup(c, "NOPE", &ins), -ENOENT);
	cr_assert_eq(rs_client_instrument(c, 8, &ins), -ENOENT);
	struct rs_bbo b;
	cr_assert_eq(rs_client_bbo(c, 71, &b), 0);
	cr_assert_eq(b.bid.price, 410000000000);
	cr_assert_eq(b.ask.size, 200);

	struct rs_segment_info segs[8];
	cr_assert_eq(rs_client_segments(c, segs, 8), 6); /* core five + latency */

	struct rs_sub *s;
	cr_assert_eq(rs_client_sub_open(c, RS_SEGNAME_EVENTS, RS_START_NEWEST, &s), 0, "%s", rs_errmsg());
	for (uint32_t i = 0; i < 10; i++) {
		struct rs_event ev = {.mbo = {.order_id = i, .action = 'A'}};
		cr_assert_eq(rs_bcast_write(&in->events, RS_REC_EVENT, &ev, sizeof(ev)), 0);
	}
	cr_assert_eq(rs_client_sub_poll(s, cb, NULL, 4), 4);
	cr_assert_eq(rs_client_sub_poll(s, cb, NULL, 0), 6);
	cr_assert_eq(rs_client_sub_poll(s, cb, NULL, 0), 0);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(seen[i], (uint64_t)i);

	/* lap the subscriber: clear error, counted loss, then it continues */
	for (uint32_t i = 0; i < 5000; i++) {
		struct rs_event ev = {.mbo = {.order_id = 100 + i}};
		rs_bcast_write(&in->events, RS_REC_EVENT, &ev, sizeof(ev));
	}
	cr_assert_eq(rs_client_sub_poll(s, cb, NULL, 0), -EOVERFLOW);
	cr_assert(strstr(rs_errmsg(), "was overrun"), "%s", rs_errmsg());
	cr_assert_gt(rs_client_sub_overruns(s), 0);
	int got = rs_client_sub_poll(s, cb, NULL, 0);
	cr_assert_gt(got, 0);
	cr_assert_eq(last_id, 100 + 4999, "continues up to the newest record");
	cr_assert_eq(rs_client_sub_overruns(s) + (uint64_t)got, 5000);

	int cnt = 0;
	cr_assert_eq(rs_client_counters(c, visit, &cnt), 1);
	cr_assert_eq(cnt, 1);
	rs_client_close(c);
	rs_instance_close(in, true);
}

Test(rs_client, missing_instance)
{
	struct rs_client *c;
	cr_assert_eq(rs_client_open(&c, "nobody-here", NULL), -ENOENT);
	cr_assert(strstr(rs_errmsg(), "no such instance 'nobody-here'"), "%s", rs_errmsg());
	cr_assert_null(c);
}

Test(rs_client, missing_table)
{
	struct rs_instance *in = make_instance(1, 64);
	rs_instance_publish(in);
	struct rs_client *c;
	struct rs_table *t;
	struct rs_sub *s;
	cr_assert_eq(rs_client_open(&c, inst, NULL), 0);
	cr_assert_eq(rs_client_table_open(c, "bars", &t), -ENODEV);
	cr_assert(strstr(rs_errmsg(), "has no table 'bars'"), "%s", rs_errmsg());
	cr_assert_eq(rs_client_sub_open(c, "signals", RS_START_OLDEST, &s), -ENODEV);
	/* a table is not a broadcast ring */
	cr_assert_eq(rs_client_sub_open(c, RS_SEGNAME_BBO, RS_START_OLDEST, &s), -EMEDIUMTYPE);
	rs_client_close(c);
	rs_instance_close(in, true);
}

/* The producer dies by SIGKILL: the client is told, never hangs; a new
 * producer generation replaces it and the client re-attaches. */
Test(rs_client, producer_killed_then_restarted)
{
	int go[2], done[2];
	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(done), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct rs_instance *in = make_instance(1, 64);
		fill(in, 5, "GEN1", 100);
		rs_instance_publish(in);
		if (write(done[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char ch;
	cr_assert_eq(read(done[0], &ch, 1), 1);
	struct rs_client *c;
	cr_assert_eq(rs_client_open(&c, inst, NULL), 0, "%s", rs_errmsg());
	struct rs_sub *s;
	cr_assert_eq(rs_client_sub_open(c, RS_SEGNAME_EVENTS, RS_START_NEWEST, &s), 0);
	cr_assert_eq(rs_client_check(c), 0);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_eq(rs_client_check(c), -EOWNERDEAD);
	cr_assert(strstr(rs_errmsg(), "is dead"), "%s", rs_errmsg());
	/* reading what the dead producer left never blocks */
	struct rs_bbo b;
	cr_assert_eq(rs_client_bbo(c, 5, &b), 0);
	cr_assert_eq(rs_client_sub_poll(s, cb, NULL, 0), 0);
	/* a fresh open is refused with the reason */
	struct rs_client *c2;
	cr_assert_eq(rs_client_open(&c2, inst, NULL), -EOWNERDEAD);

	/* restart: generation 2 takes over the names */
	struct rs_instance *in = make_instance(0, 64);
	cr_assert_eq(in->generation, 2, "generation derived from the previous run");
	fill(in, 5, "GEN2", 200);
	rs_instance_publish(in);
	cr_assert_eq(rs_client_check(c), -ESTALE);
	cr_assert(strstr(rs_errmsg(), "new generation"), "%s", rs_errmsg());
	cr_assert_eq(rs_client_reattach(c), 0, "%s", rs_errmsg());
	cr_assert_eq(rs_client_generation(c), 2);
	cr_assert_eq(rs_client_check(c), 0);
	struct rs_instrument ins;
	cr_assert_eq(rs_client_instrument(c, 5, &ins), 0);
	cr_assert_str_eq(ins.symbol, "GEN2");
	struct rs_event ev = {.mbo = {.order_id = 77}};
	rs_bcast_write(&in->events, RS_REC_EVENT, &ev, sizeof(ev));
	cr_assert_eq(rs_client_sub_poll(s, cb, NULL, 0), 1);
	cr_assert_eq(last_id, 77);

	/* clean shutdown is reported as such */
	rs_instance_close(in, false);
	cr_assert_eq(rs_client_check(c), -ESHUTDOWN);
	rs_client_close(c);
}

struct got_signal {
	int n;
	struct rs_signal last;
};
static void on_rec_signal(void *arg, uint32_t type, const void *rec, uint32_t len)
{
	struct got_signal *g = arg;
	cr_assert_eq(type, RS_REC_SIGNAL);
	cr_assert_eq(len, sizeof(struct rs_signal));
	memcpy(&g->last, rec, sizeof(g->last));
	g->n++;
}

Test(rs_client, analytics_segments)
{
	struct rs_instance_conf cf;
	struct rs_instance *in;
	rs_instance_conf_default(&cf, inst);
	cf.generation = 1;
	cf.max_instruments = 64;
	cf.depth = 10;
	cf.event_slots = 64;
	cf.counters = 16;
	cf.analytics_slots = 64;
	cf.huge = RS_SHM_HUGE_OFF;
	cr_assert_eq(rs_instance_create(&in, &cf), 0, "%s", rs_errmsg());
	rs_instance_publish(in);

	struct rs_client *c;
	struct rs_table *t;
	struct rs_sub *s;
	struct rs_segment_info segs[16];
	cr_assert_eq(rs_client_open(&c, inst, NULL), 0, "%s", rs_errmsg());
	cr_assert_eq(rs_client_segments(c, segs, 16), 11);
	cr_assert_eq(rs_client_table_open(c, RS_SEGNAME_LATEST, &t), 0, "%s", rs_errmsg());
	cr_assert_eq(rs_client_table_payload(t), sizeof(struct rs_latest));
	cr_assert_eq(rs_client_table_open(c, RS_SEGNAME_FLOW, &t), 0, "%s", rs_errmsg());
	cr_assert_eq(rs_client_table_payload(t), sizeof(struct rs_flow));
	cr_assert_eq(rs_client_sub_open(c, RS_SEGNAME_SIGNALS, RS_START_OLDEST, &s), 0, "%s", rs_errmsg());
	struct rs_signal sig = {.instrument_id = 9, .direction = RS_SIDE_BID, .confidence = 0.93};
	cr_assert_eq(rs_bcast_write(&in->signals, RS_REC_SIGNAL, &sig, sizeof(sig)), 0);
	struct got_signal g = {0};
	cr_assert_eq(rs_client_sub_poll(s, on_rec_signal, &g, 0), 1);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.last.instrument_id, 9);
	cr_assert_eq(g.last.direction, RS_SIDE_BID);
	rs_client_close(c);
	rs_instance_close(in, true);
}
