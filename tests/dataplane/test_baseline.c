/* test_baseline.c - baseline file (controlplane/rs_baseline_file.c): round
 * trip, corrupt file, wrong version, foreign file, other geometry, power
 * loss in the middle of a save (a child killed while writing: the old
 * file survives and loads). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controlplane/rs_baseline_file.h"
#include "rs_err.h"

#define S 1000000000ull

static char dir[256], path[512];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ringside-ifd-bl-%d", (int)getpid());
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/demo.baseline", dir);
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

TestSuite(baseline, .init = setup, .fini = teardown);

static struct rs_bl_geom geom(void)
{
	struct rs_bl_geom g = {.nwin = 2, .days = 20, .window_ns = {60 * S, 300 * S},
			       .bucket_ns = 300 * S, .session_ns = 390 * 60 * S};
	cr_assert_eq(rs_bl_geom_derive(&g), 0);
	return g;
}

/* `n` sessions of two instruments with values derived from (day, cell) */
static struct rs_baseline *mk(int n, double shift)
{
	struct rs_bl_geom g = geom();
	struct rs_baseline *bl;
	cr_assert_eq(rs_baseline_create(&bl, &g), 0);
	struct rs_bl_cell *cells = calloc(g.ncells, sizeof(*cells));
	for (int d = 0; d < n; d++)
		for (int i = 0; i < 2; i++) {
			for (uint32_t c = 0; c < g.ncells; c++)
				for (int m = 0; m < RS_BL_METRICS; m++) {
					double v[5];
					for (int k = 0; k < 5; k++)
						v[k] = shift + 0.01 * d + 0.001 * c + 0.1 * m + 0.02 * k + i;
					rs_bl_cell_set(&cells[c], m, v, c < g.nbuckets[0] ? 5 : 1);
				}
			cr_assert_eq(rs_baseline_add(bl, i ? "MSFT" : "AAPL", (uint32_t)(10 + i),
						     20240102 + (uint32_t)d, 100.0f + (float)d, cells), 0);
		}
	free(cells);
	return bl;
}

static void same(const struct rs_baseline *a, const struct rs_baseline *b)
{
	cr_assert_eq(a->ninst, b->ninst);
	cr_assert(rs_bl_geom_equal(&a->g, &b->g));
	for (uint32_t i = 0; i < a->ninst; i++) {
		const struct rs_bl_inst *x = &a->inst[i], *y = rs_baseline_find(b, x->key);
		cr_assert_not_null(y, "%s", x->key);
		cr_assert_eq(x->instrument_id, y->instrument_id);
		cr_assert_eq(x->nsess, y->nsess);
		cr_assert_eq(x->large_size, y->large_size);
		cr_assert_eq(memcmp(x->dates, y->dates, a->g.days * 4), 0);
		cr_assert_eq(memcmp(x->cells, y->cells, (size_t)a->g.ncells * a->g.days * sizeof(*x->cells)), 0);
		cr_assert_eq(memcmp(x->stats, y->stats, a->g.ncells * sizeof(*x->stats)), 0);
	}
}

Test(baseline, round_trip)
{
	struct rs_baseline *a = mk(12, 0), *b;
	cr_assert_eq(rs_baseline_file_save(a, path), 0, "%s", rs_err_msg());
	struct rs_bl_geom g = geom();
	cr_assert_eq(rs_baseline_file_load(&b, path, &g), 0, "%s", rs_err_msg());
	same(a, b);
	const struct rs_bl_inst *in = rs_baseline_find(b, "MSFT");
	cr_assert_eq(in->nsess, 12);
	cr_assert_eq(in->large_size, 106); /* median of 100..111 = 105.5 -> 106 */
	cr_assert_eq(rs_baseline_stat(b, in, 1, 0)->samples, 12);
	/* save over an existing file, no temporary left behind */
	cr_assert_eq(rs_baseline_file_save(b, path), 0);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "test $(ls '%s' | wc -l) -eq 1", dir);
	cr_assert_eq(system(cmd), 0);
	rs_baseline_destroy(a);
	rs_baseline_destroy(b);
}

static void poke(long off, uint8_t x)
{
	int fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, &x, 1, off), 1);
	close(fd);
}

Test(baseline, corrupt_file)
{
	struct rs_baseline *a = mk(3, 0), *b = NULL;
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	poke(128 + 40, 0x5a); /* a payload byte */
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EBADMSG);
	cr_assert_null(b);
	cr_assert(strstr(rs_err_msg(), "checksum mismatch"), "%s", rs_err_msg());
	/* truncated */
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	cr_assert_eq(truncate(path, 1000), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EBADMSG);
	cr_assert(strstr(rs_err_msg(), "truncated"), "%s", rs_err_msg());
	/* foreign file */
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 100; i++)
		fputs("this is not a baseline\n", f);
	fclose(f);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EBADMSG);
	cr_assert(strstr(rs_err_msg(), "not a baseline file"), "%s", rs_err_msg());
	/* empty and missing */
	cr_assert_eq(truncate(path, 0), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EBADMSG);
	unlink(path);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -ENOENT);
	rs_baseline_destroy(a);
}

Test(baseline, wrong_version_and_geometry)
{
	struct rs_baseline *a = mk(2, 0), *b = NULL;
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	poke(8, 1); /* version 1: cells without the non-empty window count */
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EPROTONOSUPPORT);
	cr_assert(strstr(rs_err_msg(), "version 1"), "%s", rs_err_msg());
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	struct rs_bl_geom g = geom();
	g.days = 10;
	cr_assert_eq(rs_bl_geom_derive(&g), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, &g), -ESTALE);
	cr_assert_null(b);
	rs_baseline_destroy(a);
}

/* checksummed but inconsistent contents: rejected whole, never half-loaded */
Test(baseline, inconsistent_cells)
{
	struct rs_baseline *a = mk(2, 0), *b = NULL;
	struct rs_bl_cell *c = &a->inst[1].cells[3 * a->g.days];
	c->ne = c->n + 1; /* more non-empty windows than windows */
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EBADMSG);
	cr_assert_null(b);
	cr_assert(strstr(rs_err_msg(), "inconsistent cell"), "%s", rs_err_msg());
	c->ne = c->n;
	c->n = 6; /* 6 one-minute windows in a 5 min bucket */
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EBADMSG);
	c->n = 5;
	c->mad[RS_BL_VI] = __builtin_nanf("");
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), -EBADMSG);
	c->mad[RS_BL_VI] = 0;
	cr_assert_eq(rs_baseline_file_save(a, path), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), 0, "%s", rs_err_msg());
	rs_baseline_destroy(b);
	rs_baseline_destroy(a);
}

/* the fuzz seeds (tests/fuzz/baseline_seeds/) stay what they claim to be */
Test(baseline, fuzz_seeds)
{
	static const struct {
		const char *name;
		int rc;
		uint32_t ninst;
	} seeds[] = {
		{"valid_1win.bl", 0, 1},           {"valid_2win.bl", 0, 2},
		{"empty_0inst.bl", 0, 0},          {"corrupt_checksum.bl", -EBADMSG, 0},
		{"truncated.bl", -EBADMSG, 0},     {"version1.bl", -EPROTONOSUPPORT, 0},
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char p[1024];
		snprintf(p, sizeof(p), "%s/tests/fuzz/baseline_seeds/%s", RS_SOURCE_DIR, seeds[i].name);
		struct rs_baseline *b = NULL;
		cr_assert_eq(rs_baseline_file_load(&b, p, NULL), seeds[i].rc, "%s: %s", seeds[i].name,
			     rs_err_msg());
		if (!seeds[i].rc) {
			cr_assert_eq(b->ninst, seeds[i].ninst, "%s", seeds[i].name);
			rs_baseline_destroy(b);
		}
	}
	/* valid_2win: MSFT, 1 min windows, bucket 0: two sessions, one with
	 * 3 of 5 windows non-empty (vi mean 0.2), one with none */
	struct rs_baseline *b = NULL;
	char p[1024];
	snprintf(p, sizeof(p), "%s/tests/fuzz/baseline_seeds/valid_2win.bl", RS_SOURCE_DIR);
	cr_assert_eq(rs_baseline_file_load(&b, p, NULL), 0);
	const struct rs_bl_stat *st = rs_baseline_stat(b, rs_baseline_find(b, "MSFT"), 0, 0);
	cr_assert_eq(st->sessions, 2);
	cr_assert_eq(st->samples, 1);
	cr_assert_float_eq(st->mean[RS_BL_VI], 0.2, 1e-7);
	cr_assert_float_eq(st->mean[RS_BL_VOL], 20.0, 1e-6); /* 5 x 40 + 5 x 0 over 10 */
	rs_baseline_destroy(b);
}

static size_t kill_after;
static void hook(size_t written)
{
	if (written >= kill_after)
		raise(SIGKILL);
}

Test(baseline, power_loss_mid_write_keeps_old_file)
{
	struct rs_baseline *old = mk(4, 0), *neu = mk(8, 0.5), *b;
	cr_assert_eq(rs_baseline_file_save(old, path), 0);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	/* a child writes the new baseline and dies after the first MiB chunk */
	kill_after = 1;
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		rs__baseline_file_write_hook = hook;
		rs_baseline_file_save(neu, path);
		_exit(0); /* not reached */
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* the temporary file of the dead writer is there, the old file intact */
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)pid);
	cr_assert_eq(access(tmp, F_OK), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), 0, "%s", rs_err_msg());
	same(old, b);
	rs_baseline_destroy(b);
	/* the next save replaces it cleanly */
	cr_assert_eq(rs_baseline_file_save(neu, path), 0);
	cr_assert_eq(rs_baseline_file_load(&b, path, NULL), 0);
	same(neu, b);
	rs_baseline_destroy(b);
	rs_baseline_destroy(old);
	rs_baseline_destroy(neu);
}
