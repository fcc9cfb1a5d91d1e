/*
 * daemon_testlib.h - helpers of the ringsided end-to-end and lifecycle
 * tests: network namespace + veth pairs, child processes, configs,
 * counters. Everything created carries the test's pid in its name and is
 * removed by dt_cleanup() (called from .fini and atexit).
 */
#ifndef DAEMON_TESTLIB_H
#define DAEMON_TESTLIB_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ringside.h"

#define DT_MAXCHILD 8

struct dt {
	char ns[32];                 /* network namespace */
	char va0[16], va1[16];       /* line A veth: root side, namespace side */
	char vb0[16], vb1[16];       /* line B */
	char dir[128];               /* temp dir: shm, huge, run, files */
	char instance[32];
	char bin[256];               /* build dir bin/ */
	pid_t child[DT_MAXCHILD];
	int nchild;
	long huge_reserved;          /* pages we added to nr_hugepages */
	long huge_before;
	bool net;
};

static struct dt DT;

static inline void dt_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static inline int dt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int dt_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static inline long dt_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static inline void dt_write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

static inline void dt_cleanup(void)
{
	for (int i = 0; i < DT.nchild; i++)
		if (DT.child[i] > 0) {
			kill(DT.child[i], SIGKILL);
			waitpid(DT.child[i], NULL, 0);
			DT.child[i] = 0;
		}
	DT.nchild = 0;
	if (DT.net) {
		dt_sh("ip netns del %s 2>/dev/null", DT.ns); /* takes the veth pairs with it */
		dt_sh("ip link del %s 2>/dev/null; ip link del %s 2>/dev/null", DT.va0, DT.vb0);
		DT.net = false;
	}
	if (DT.huge_reserved) {
		long now = dt_read_long("/proc/sys/vm/nr_hugepages");
		if (now >= DT.huge_reserved)
			dt_write_long("/proc/sys/vm/nr_hugepages", now - DT.huge_reserved);
		DT.huge_reserved = 0;
	}
	if (DT.dir[0]) {
		dt_sh("rm -rf '%s'", DT.dir);
		DT.dir[0] = 0;
	}
}

/* Temp dir and environment (segments isolated per test). */
static inline void dt_init(const char *tag)
{
	memset(&DT, 0, sizeof(DT));
	int p = (int)getpid() % 100000;
	snprintf(DT.dir, sizeof(DT.dir), "/tmp/rsd-%s-%d", tag, p);
	snprintf(DT.instance, sizeof(DT.instance), "rsd%s%d", tag, p);
	snprintf(DT.bin, sizeof(DT.bin), "%s/bin", RS_BUILD_DIR);
	dt_sh("rm -rf '%s'; mkdir -p '%s/shm' '%s/huge' '%s/run'", DT.dir, DT.dir, DT.dir, DT.dir);
	char v[256];
	snprintf(v, sizeof(v), "%s/shm", DT.dir);
	setenv("RINGSIDE_SHM_DIR", v, 1);
	snprintf(v, sizeof(v), "%s/huge", DT.dir);
	setenv("RINGSIDE_HUGE_DIR", v, 1);
	snprintf(v, sizeof(v), "%s/run", DT.dir);
	setenv("RINGSIDE_RUN_DIR", v, 1);
	atexit(dt_cleanup);
}

static inline bool dt_have_root_net(void)
{
	return geteuid() == 0 && dt_sh("command -v ip >/dev/null 2>&1") == 0 &&
	       dt_sh("ip netns list >/dev/null 2>&1") == 0;
}

/* namespace + veth A (10.R.1.0/24) and B (10.R.2.0/24); root side .1 */
static inline void dt_net(int r)
{
	int p = (int)getpid() % 100000;
	snprintf(DT.ns, sizeof(DT.ns), "rsdns%d", p);
	snprintf(DT.va0, sizeof(DT.va0), "rsa%d", p);
	snprintf(DT.va1, sizeof(DT.va1), "rsa%dn", p);
	snprintf(DT.vb0, sizeof(DT.vb0), "rsb%d", p);
	snprintf(DT.vb1, sizeof(DT.vb1), "rsb%dn", p);
	DT.net = true;
	cr_assert_eq(dt_sh("ip netns add %s", DT.ns), 0);
	for (int k = 0; k < 2; k++) {
		const char *a = k ? DT.vb0 : DT.va0, *b = k ? DT.vb1 : DT.va1;
		cr_assert_eq(dt_sh("ip link add %s type veth peer name %s && ip link set %s netns %s && "
				   "ip addr add 10.%d.%d.1/24 dev %s && ip link set %s up && "
				   "ip -n %s addr add 10.%d.%d.2/24 dev %s && ip -n %s link set %s up && "
				   "ip -n %s link set lo up",
				   a, b, b, DT.ns, r, k + 1, a, a, DT.ns, r, k + 1, b, DT.ns, b, DT.ns),
			     0, "veth set-up failed");
		/* big enough socket buffers for bursts */
		dt_sh("ethtool -K %s gro off >/dev/null 2>&1; true", a);
	}
	dt_sh("sysctl -qw net.core.rmem_max=33554432 >/dev/null 2>&1; true");
}

static inline pid_t dt_spawn(const char *logname, char *const argv[])
{
	char log[256];
	snprintf(log, sizeof(log), "%s/%s.log", DT.dir, logname);
	pid_t p = fork();
	cr_assert_geq(p, 0);
	if (p == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (DT.nchild < DT_MAXCHILD)
		DT.child[DT.nchild++] = p;
	return p;
}

/* waitpid with a bound; returns the exit status or -1 (still running). */
static inline int dt_wait(pid_t p, int ms)
{
	for (int i = 0; i <= ms / 10; i++) {
		int st;
		pid_t r = waitpid(p, &st, WNOHANG);
		if (r == p) {
			for (int k = 0; k < DT.nchild; k++)
				if (DT.child[k] == p)
					DT.child[k] = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		dt_sleep_ms(10);
	}
	return -1;
}

static inline void dt_dump_log(const char *logname)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "tail -20 %s/%s.log >&2", DT.dir, logname);
	(void)!system(cmd);
}

/* Attach to the instance once the daemon published it. */
static inline struct rs_client *dt_attach(const char *instance, pid_t daemon, int ms)
{
	struct rs_client *c = NULL;
	for (int i = 0; i <= ms / 20; i++) {
		if (!rs_client_open(&c, instance, NULL) && !rs_client_check(c))
			return c;
		if (c) {
			rs_client_close(c);
			c = NULL;
		}
		int st;
		if (daemon > 0 && waitpid(daemon, &st, WNOHANG) == daemon) {
			dt_dump_log("ringsided");
			cr_assert_fail("ringsided exited during start-up");
		}
		dt_sleep_ms(20);
	}
	return NULL;
}

struct dt_ctr_find {
	const char *label;
	uint64_t value;
	bool found;
};

static inline int dt_ctr_cb(void *arg, uint32_t id, uint32_t type, const char *label, uint64_t value)
{
	struct dt_ctr_find *f = arg;
	(void)id;
	(void)type;
	if (!strcmp(label, f->label)) {
		f->value = value;
		f->found = true;
		return 1;
	}
	return 0;
}

static inline uint64_t dt_ctr(struct rs_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline uint64_t dt_ctr(struct rs_client *c, const char *fmt, ...)
{
	char label[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	struct dt_ctr_find f = {.label = label};
	rs_client_counters(c, dt_ctr_cb, &f);
	cr_assert(f.found, "counter %s not found", label);
	return f.value;
}

static inline void dt_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

#endif
