/* test_config.c - rs_config: the embedded demo, the deploy examples, every
 * class of error with its literal message (file:line: key.path: text),
 * reload of reloadable vs fixed keys, the canonical dump, and the
 * `ringside config check` command. Suite: rs_config. */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controlplane/rs_config.h"
#include "rs_err.h"

TestSuite(rs_config);

static struct rs_config cfg;

/* Load text as "t.yaml" and require the load to fail with exactly this
 * line among its messages. */
static void expect_error(const char *yaml, const char *line)
{
	int rc = rs_config_load_string(&cfg, yaml, strlen(yaml), "t.yaml");
	cr_assert_eq(rc, -EINVAL, "expected failure for:\n%s", yaml);
	const char *all = rs_config_errors();
	const char *p = strstr(all, line);
	cr_assert(p, "missing message\n  %s\nin\n%s", line, all);
	cr_assert(p == all || p[-1] == '\n', "not at a line start: %s", all);
	cr_assert(p[strlen(line)] == 0 || p[strlen(line)] == '\n', "message continues: %s", all);
}

#define FEED "feeds:\n  - name: a\n    lines:\n      - port: 1\n" /* 4 lines */

Test(rs_config, embedded_demo_loads)
{
	cr_assert_eq(rs_config_load_string(&cfg, rs_config_embedded_yaml, strlen(rs_config_embedded_yaml), "<embedded>"),
		     0, "%s", rs_config_errors());
	cr_assert_str_eq(cfg.instance, "demo");
	cr_assert_eq(cfg.nfeeds, 1);
	cr_assert_str_eq(cfg.feed[0].name, "nasdaq");
	cr_assert_eq(cfg.feed[0].protocol, RS_CFG_PROTO_ITCH_MOLDUDP64);
	cr_assert_eq(cfg.feed[0].nlines, 2);
	cr_assert_str_eq(cfg.feed[0].line[0].name, "A");
	cr_assert_str_eq(cfg.feed[0].line[1].name, "B");
	cr_assert_eq(cfg.feed[0].line[0].port, 26400);
	cr_assert_eq(cfg.feed[0].line[1].port, 26401);
	cr_assert_str_eq(cfg.feed[0].line[0].bind, "127.0.0.1");
	cr_assert_str_eq(cfg.feed[0].line[0].interface, "lo");
	cr_assert_eq(cfg.feed[0].line[1].driver, RS_CFG_DRV_URING);
	cr_assert_str_eq(cfg.feed[0].line[0].group, "");
	cr_assert_str_eq(cfg.feed[0].recovery.server, "127.0.0.1:26500");
	cr_assert_eq(cfg.feed[0].recovery.timeout_ns, 100000000ull);
	cr_assert_eq(cfg.cores_mode, RS_CFG_CORES_INLINE);
	cr_assert_eq(cfg.nrx, 1);
	cr_assert_eq(cfg.rx_cpu[0], 1);
	cr_assert_eq(cfg.nhandlers, 1);
	cr_assert_eq(cfg.handler_cpu[0], 1);
	cr_assert_eq(cfg.control_cpu, 0);
	cr_assert(cfg.analytics.enabled);
	cr_assert_str_eq(cfg.http, "127.0.0.1:9106");
	/* defaults from the schema */
	cr_assert_eq(cfg.orders, 4u << 20);
	cr_assert_eq(cfg.event_ring, 1u << 20);
	cr_assert_eq(cfg.analytics.nbars, 6);
	cr_assert_eq(cfg.analytics.bars_ns[5], 300000000000ull);
	cr_assert_eq(cfg.session.tz_offset_ns, -5 * 3600LL * 1000000000LL);
	cr_assert_eq(cfg.session.open_min, 570);
	cr_assert_eq(cfg.session.days, 0x3e);
	cr_assert_eq(cfg.shm_mode, 0640);
	cr_assert_eq(cfg.shm_gid, (gid_t)-1);
	cr_assert_eq(cfg.log_level, 2);
	cr_assert_str_eq(rs_config_errors(), "");
}

Test(rs_config, dump_round_trip)
{
	static char a[65536], b[65536];
	static struct rs_config c2;
	const char *ex = RS_SOURCE_DIR "/deploy/examples/nasdaq-itch-multicast.yaml";

	cr_assert_eq(rs_config_load_file(&cfg, ex), 0, "%s", rs_config_errors());
	int n = rs_config_dump(&cfg, a, sizeof(a));
	cr_assert_gt(n, 100, "%s", rs_err_msg());
	cr_assert_eq(rs_config_load_string(&c2, a, (size_t)n, "dump"), 0, "%s\n%s", rs_config_errors(), a);
	cr_assert_gt(rs_config_dump(&c2, b, sizeof(b)), 0);
	/* identical except the first comment line naming the source */
	cr_assert_str_eq(strchr(a, '\n'), strchr(b, '\n'));
	cr_assert(strstr(a, "  orders: 16M\n"), "%s", a);
	cr_assert(strstr(a, "        group: 233.54.12.111\n"), "%s", a);
	cr_assert(strstr(a, "  holidays: [2026-11-26, 2026-12-25]\n"), "%s", a);
	cr_assert(strstr(a, "  timezone_offset: -5h\n"), "%s", a);
	cr_assert_eq(rs_config_dump(&cfg, a, 100), -ENOSPC);
}

Test(rs_config, deploy_examples_pass_check)
{
	glob_t g;
	cr_assert_eq(glob(RS_SOURCE_DIR "/deploy/examples/*.yaml", 0, NULL, &g), 0);
	cr_assert_geq(g.gl_pathc, 2);
	for (size_t i = 0; i < g.gl_pathc; i++)
		cr_expect_eq(rs_config_load_file(&cfg, g.gl_pathv[i]), 0, "%s: %s", g.gl_pathv[i], rs_config_errors());
	globfree(&g);
}

Test(rs_config, unknown_key_with_suggestion)
{
	expect_error("capacities:\n  instruments: 100\n  oders: 4M\n" FEED,
		     "t.yaml:3: capacities.oders: unknown key (did you mean 'orders'?)");
	expect_error(FEED "analytcs:\n  enabled: true\n", "t.yaml:5: analytcs: unknown key (did you mean 'analytics'?)");
	expect_error(FEED "zebra: 1\n", "t.yaml:5: zebra: unknown key");
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n        interfce: lo\n",
		     "t.yaml:5: feeds[0].lines[0].interfce: unknown key (did you mean 'interface'?)");
}

Test(rs_config, out_of_range)
{
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n      - name: B\n        port: 70000\n",
		     "t.yaml:6: feeds[0].lines[1].port: 70000 is out of range 1..65535");
	expect_error(FEED "capacities:\n  depth: 0\n", "t.yaml:6: capacities.depth: 0 is out of range 1..1000");
	expect_error(FEED "capacities:\n  event_ring: 1000000\n",
		     "t.yaml:6: capacities.event_ring: 1000000 is not a power of two (next: 1M)");
	expect_error(FEED "analytics:\n  quality_alert: 101\n",
		     "t.yaml:6: analytics.quality_alert: 101 is out of range 0..100");
	expect_error(FEED "health:\n  feed_silent: 2h\n", "t.yaml:6: health.feed_silent: 2h is out of range 1ms..1h");
}

Test(rs_config, wrong_type)
{
	expect_error(FEED "analytics:\n  sma: [1]\n", "t.yaml:6: analytics.sma: expected an integer, got a sequence");
	expect_error(FEED "capacities:\n  orders: lots\n",
		     "t.yaml:6: capacities.orders: expected an integer (optional k, M or G suffix), got 'lots'");
	expect_error(FEED "analytics:\n  enabled: maybe\n",
		     "t.yaml:6: analytics.enabled: expected true or false, got 'maybe'");
	expect_error(FEED "shm: 5\n", "t.yaml:5: shm: expected a mapping (key: value), got a scalar '5'");
	expect_error(FEED "cores:\n  mode: turbo\n", "t.yaml:6: cores.mode: 'turbo' is not one of inline, pipeline");
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n        driver: netmap\n",
		     "t.yaml:5: feeds[0].lines[0].driver: 'netmap' is not one of uring, xdp, dpdk, pcap");
}

Test(rs_config, duplicate_feed_name)
{
	expect_error(FEED "  - name: a\n    lines:\n      - port: 2\n",
		     "t.yaml:5: feeds[1].name: duplicate feed name 'a' (also feeds[0])");
	expect_error(FEED "feeds: []\n", "t.yaml:5: feeds: duplicate key");
}

Test(rs_config, three_lines)
{
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n      - port: 2\n      - port: 3\n",
		     "t.yaml:4: feeds[0].lines: 3 lines given; a feed has 1 or 2 (A and B)");
}

Test(rs_config, bad_duration)
{
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n    recovery:\n      timeout: 10 parsecs\n",
		     "t.yaml:6: feeds[0].recovery.timeout: '10 parsecs' is not a duration (use ns, us, ms, s, m or h)");
	expect_error(FEED "health:\n  latency_p99: 100\n",
		     "t.yaml:6: health.latency_p99: '100' is not a duration (use ns, us, ms, s, m or h)");
	expect_error(FEED "analytics:\n  bars: [1s, 1s]\n", "t.yaml:6: analytics.bars[1]: 1s is listed twice");
}

Test(rs_config, missing_required_key)
{
	expect_error("feeds:\n  - name: a\n    lines:\n      - name: A\n        driver: uring\n",
		     "t.yaml:4: feeds[0].lines[0]: missing required key 'port'");
	expect_error("instance: demo\n", "t.yaml:1: missing required key 'feeds'");
	expect_error("feeds:\n  - lines:\n      - port: 1\n", "t.yaml:2: feeds[0]: missing required key 'name'");
	expect_error("", "t.yaml:1: empty configuration: at least 'feeds' is required");
}

Test(rs_config, driver_specific_keys)
{
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n        xdp_mode: native\n",
		     "t.yaml:5: feeds[0].lines[0].xdp_mode: only valid with driver xdp (driver is uring)");
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n        driver: xdp\n",
		     "t.yaml:5: feeds[0].lines[0]: driver xdp needs 'interface'");
	expect_error("feeds:\n  - name: a\n    lines:\n      - port: 1\n        group: 10.0.0.1\n",
		     "t.yaml:5: feeds[0].lines[0].group: '10.0.0.1' is not an IPv4 multicast address (224.0.0.0/4)");
}

Test(rs_config, cores_must_exist)
{
	char msg[256];
	long n = sysconf(_SC_NPROCESSORS_CONF);
	snprintf(msg, sizeof(msg), "t.yaml:6: cores.rx[0]: CPU 1000 does not exist (this machine has CPUs 0..%ld)", n - 1);
	expect_error(FEED "cores:\n  rx: [1000]\n", msg);
	expect_error(FEED "cores:\n  mode: pipeline\n  rx: [0, 0]\n  handlers: [0]\n",
		     "t.yaml:7: cores.rx: pipeline mode needs one rx CPU per feed (1 feeds, 2 rx CPUs)");
}

Test(rs_config, syntax_errors_corrupt_and_truncated_files)
{
	char path[128];
	FILE *f;

	expect_error("feeds:\n  - name: a\n    lines: [\n", "t.yaml:3: YAML syntax error: did not find expected node content while parsing a flow node");
	expect_error("a: b: c\n", "t.yaml:1: YAML syntax error: mapping values are not allowed in this context");
	expect_error("hello world\n",
		     "t.yaml:1: expected a mapping of keys (instance:, feeds:, ...) at the top, got a scalar");
	/* the embedded demo cut inside a flow sequence, and inside a key */
	const char *e = rs_config_embedded_yaml;
	const char *cut = strstr(e, "rx: [1") + 6;
	cr_assert_eq(rs_config_load_string(&cfg, e, (size_t)(cut - e), "t.yaml"), -EINVAL);
	cr_assert_str_eq(rs_config_errors(),
			 "t.yaml:7: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence");
	cut = strstr(e, "port: 26401") + 3;
	cr_assert_eq(rs_config_load_string(&cfg, e, (size_t)(cut - e), "t.yaml"), -EINVAL);
	cr_assert_str_eq(rs_config_errors(), "t.yaml:23: YAML syntax error: could not find expected ':' while scanning a simple key");
	cut = strstr(e, "port: 26401") + 5;
	cr_assert_eq(rs_config_load_string(&cfg, e, (size_t)(cut - e), "t.yaml"), -EINVAL);
	cr_assert_str_eq(rs_config_errors(), "t.yaml:23: feeds[0].lines[1].port: expected an integer, got nothing");
	/* a binary file */
	snprintf(path, sizeof(path), "/tmp/rs-cfg-test-%d.yaml", (int)getpid());
	f = fopen(path, "wb");
	cr_assert(f);
	fwrite("instance: x\n\x7f" "ELF\x02\x01\x00\x00junk", 1, 21, f);
	fclose(f);
	cr_assert_eq(rs_config_load_file(&cfg, path), -EINVAL);
	char want[256];
	snprintf(want, sizeof(want), "%s:2: not a text file: NUL byte at offset 18", path);
	cr_assert_str_eq(rs_config_errors(), want);
	/* invalid UTF-8 without NUL */
	f = fopen(path, "wb");
	fwrite("instance: \xff\xfe\n", 1, 13, f);
	fclose(f);
	cr_assert_eq(rs_config_load_file(&cfg, path), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: not a text file: invalid leading UTF-8 octet", path);
	cr_assert_str_eq(rs_config_errors(), want);
	unlink(path);
	cr_assert_eq(rs_config_load_file(&cfg, "/nonexistent/x.yaml"), -ENOENT);
	cr_assert_str_eq(rs_config_errors(), "/nonexistent/x.yaml: No such file or directory");
}

Test(rs_config, reports_all_errors_up_to_20)
{
	char y[4096] = FEED "analytics:\n";
	for (int i = 0; i < 25; i++)
		snprintf(y + strlen(y), sizeof(y) - strlen(y), "  k%02d: 1\n", i);
	cr_assert_eq(rs_config_load_string(&cfg, y, strlen(y), "t.yaml"), -EINVAL);
	const char *all = rs_config_errors();
	int lines = 1;
	for (const char *p = all; *p; p++)
		lines += *p == '\n';
	cr_assert_eq(lines, 21, "%s", all);
	cr_assert(strstr(all, "t.yaml:6: analytics.k00: unknown key\n"), "%s", all);
	cr_assert(strstr(all, "t.yaml:25: analytics.k19: unknown key\n"), "%s", all);
	cr_assert(!strstr(all, "k20"), "%s", all);
	cr_assert(strstr(all, "\nt.yaml: ... and 5 more errors"), "%s", all);
	/* the first messages are also in rs_err_msg() */
	cr_assert(!strncmp(rs_err_msg(), "t.yaml:6: analytics.k00: unknown key", 36), "%s", rs_err_msg());
}

Test(rs_config, sizes_and_durations)
{
	uint64_t v;
	int64_t d;
	cr_assert_eq(rs_config_parse_size("4M", &v), 0);
	cr_assert_eq(v, 4194304);
	cr_assert_eq(rs_config_parse_size("64k", &v), 0);
	cr_assert_eq(v, 65536);
	cr_assert_eq(rs_config_parse_size("2G", &v), 0);
	cr_assert_eq(v, 2147483648ull);
	cr_assert_eq(rs_config_parse_size("123", &v), 0);
	cr_assert_eq(v, 123);
	cr_assert_eq(rs_config_parse_size("1.5k", &v), -EINVAL);
	cr_assert_eq(rs_config_parse_size("-1", &v), -EINVAL);
	cr_assert_eq(rs_config_parse_size("4MB", &v), -EINVAL);
	cr_assert_eq(rs_config_parse_duration("1.5s", &d), 0);
	cr_assert_eq(d, 1500000000);
	cr_assert_eq(rs_config_parse_duration("-5h", &d), 0);
	cr_assert_eq(d, -18000000000000LL);
	cr_assert_eq(rs_config_parse_duration("250us", &d), 0);
	cr_assert_eq(d, 250000);
	cr_assert_eq(rs_config_parse_duration("3m", &d), 0);
	cr_assert_eq(d, 180000000000LL);
	cr_assert_eq(rs_config_parse_duration("7ns", &d), 0);
	cr_assert_eq(d, 7);
	cr_assert_eq(rs_config_parse_duration("0", &d), 0);
	cr_assert_eq(d, 0);
	cr_assert_eq(rs_config_parse_duration("10", &d), -EINVAL);
	cr_assert_eq(rs_config_parse_duration("5d", &d), -EINVAL);
	cr_assert_eq(rs_config_parse_duration("ms", &d), -EINVAL);
}

Test(rs_config, reload_reloadable_and_fixed_keys)
{
	static struct rs_config run, next;
	const char *base = FEED "analytics:\n  sma: 20\ncontrol:\n  log_level: info\n";
	cr_assert_eq(rs_config_load_string(&run, base, strlen(base), "a.yaml"), 0, "%s", rs_config_errors());

	const char *ok = "feeds:\n  - name: a\n    lines:\n      - port: 1\n    recovery:\n      timeout: 250ms\n"
			 "analytics:\n  sma: 50\ncontrol:\n  log_level: debug\nhealth:\n  latency_p99: 1ms\n";
	cr_assert_eq(rs_config_load_string(&next, ok, strlen(ok), "b.yaml"), 0, "%s", rs_config_errors());
	cr_assert_eq(rs_config_reload(&run, &next), 4);
	cr_assert_eq(run.analytics.sma, 50);
	cr_assert_eq(run.log_level, 3);
	cr_assert_eq(run.feed[0].recovery.timeout_ns, 250000000ull);
	cr_assert_eq(run.latency_p99_ns, 1000000ull);
	cr_assert_eq(rs_config_reload(&run, &next), 0); /* nothing left to change */

	const char *bad = "feeds:\n  - name: a\n    lines:\n      - port: 1\ncapacities:\n  orders: 8M\n"
			  "analytics:\n  sma: 7\n";
	cr_assert_eq(rs_config_load_string(&next, bad, strlen(bad), "c.yaml"), 0, "%s", rs_config_errors());
	cr_assert_eq(rs_config_reload(&run, &next), -EPERM);
	cr_assert_str_eq(rs_err_msg(), "c.yaml: capacities.orders cannot change without a restart");
	cr_assert_eq(run.analytics.sma, 50, "dst must stay unchanged");
	cr_assert_eq(run.orders, 4u << 20);

	const char *port = "feeds:\n  - name: a\n    lines:\n      - port: 2\n";
	cr_assert_eq(rs_config_load_string(&next, port, strlen(port), "d.yaml"), 0);
	cr_assert_eq(rs_config_reload(&run, &next), -EPERM);
	cr_assert_str_eq(rs_err_msg(), "d.yaml: feeds[0].lines cannot change without a restart");
}

Test(rs_config, cli_config_check)
{
	char cmd[512], path[128], buf[4096];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s/bin/ringside config check %s/deploy/examples/demo.yaml", RS_BUILD_DIR,
		 RS_SOURCE_DIR);
	p = popen(cmd, "r");
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(p)), 0);
	cr_assert_str_eq(buf, RS_SOURCE_DIR "/deploy/examples/demo.yaml: ok\n");

	snprintf(path, sizeof(path), "/tmp/rs-cfg-cli-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	fputs("feeds:\n  - name: a\n    lines:\n      - port: 99999\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/bin/ringside config check %s 2>&1", RS_BUILD_DIR, path);
	p = popen(cmd, "r");
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(p)), 78);
	char want[256];
	snprintf(want, sizeof(want), "%s:4: feeds[0].lines[0].port: 99999 is out of range 1..65535\n", path);
	cr_assert_str_eq(buf, want);
	snprintf(cmd, sizeof(cmd), "%s/bin/ringside config check --json %s", RS_BUILD_DIR, path);
	p = popen(cmd, "r");
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(p)), 78);
	snprintf(want, sizeof(want),
		 "{\"file\":\"%s\",\"ok\":false,\"errors\":[\"%s:4: feeds[0].lines[0].port: 99999 is out of range "
		 "1..65535\"]}\n",
		 path, path);
	cr_assert_str_eq(buf, want);
	unlink(path);
}
