/* test_shm.c - segments: create/attach, validation errors, liveness,
 * cleaning, huge-page and fallback backings. Suite: rs_shm. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rs_err.h"
#include "rs_hugemem.h"
#include "rs_shm.h"

static char shmdir[128];
static char inst[32];

/* Each test runs in its own Criterion worker process: point the fallback
 * root at a private directory and disable huge pages unless a test opts in. */
static void setup_fallback(void)
{
	snprintf(shmdir, sizeof(shmdir), "/dev/shm/rs-test-%d", (int)getpid());
	snprintf(inst, sizeof(inst), "t%d", (int)getpid());
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

static struct rs_shm_opts opts(const char *name, uint32_t kind, size_t size)
{
	return (struct rs_shm_opts){.instance = inst, .name = name, .kind = kind, .body_size = size,
				    .mode = 0640, .gid = (gid_t)-1, .huge = RS_SHM_HUGE_AUTO,
				    .generation = 7};
}

TestSuite(rs_shm, .init = setup_fallback, .fini = teardown);

Test(rs_shm, create_publish_attach_roundtrip)
{
	struct rs_shm_seg *w, *r;
	struct rs_shm_opts o = opts("events", RS_SEG_RAW, 10000);

	cr_assert_eq(rs_shm_create(&w, &o), 0, "%s", rs_err_msg());
	cr_assert(!w->huge);
	cr_assert_eq(w->hdr->flags, RS_SEGF_FALLBACK);
	cr_assert_geq(w->body_size, 10000);
	memcpy(w->body, "hello", 6);
	/* not visible before publish */
	cr_assert_eq(rs_shm_attach(&r, inst, "events", RS_SEG_RAW, false), -EPROTO);
	cr_assert(strstr(rs_err_msg(), "not published"), "%s", rs_err_msg());
	rs_shm_publish(w);
	cr_assert_eq(rs_shm_attach(&r, inst, "events", RS_SEG_RAW, false), 0, "%s", rs_err_msg());
	cr_assert_str_eq(r->body, "hello");
	cr_assert_eq(r->hdr->generation, 7);
	cr_assert_eq(r->hdr->producer_pid, (uint32_t)getpid());
	cr_assert_eq(rs_shm_producer_state(r->hdr, 0), RS_PRODUCER_ALIVE);
	struct stat st;
	cr_assert_eq(stat(w->path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	rs_shm_mark_closed(w);
	cr_assert_eq(rs_shm_producer_state(r->hdr, 0), RS_PRODUCER_CLOSED);
	rs_shm_detach(r);
	rs_shm_close(w);
	cr_assert_neq(stat(o.name, &st), 0);
}

Test(rs_shm, missing_instance_and_segment)
{
	struct rs_shm_seg *r, *w;
	struct rs_shm_opts o = opts("bbo", RS_SEG_TABLE, 4096);

	cr_assert_eq(rs_shm_attach(&r, "no-such-inst", "bbo", RS_SEG_TABLE, false), -ENOENT);
	cr_assert(strstr(rs_err_msg(), "no such instance 'no-such-inst'"), "%s", rs_err_msg());
	cr_assert_eq(rs_shm_create(&w, &o), 0, "%s", rs_err_msg());
	rs_shm_publish(w);
	cr_assert_eq(rs_shm_attach(&r, inst, "mbp", RS_SEG_TABLE, false), -ENOENT);
	cr_assert(strstr(rs_err_msg(), "has no segment 'mbp'"), "%s", rs_err_msg());
	cr_assert_eq(rs_shm_attach(&r, inst, "bbo", RS_SEG_BCAST, false), -EMEDIUMTYPE);
	cr_assert(strstr(rs_err_msg(), "holds a table, expected a bcast"), "%s", rs_err_msg());
	cr_assert_eq(rs_shm_attach(&r, inst, "../x", RS_SEG_TABLE, false), -EINVAL);
	rs_shm_close(w);
}

Test(rs_shm, layout_version_mismatch)
{
	struct rs_shm_seg *w, *r;
	struct rs_shm_opts o = opts("dir", RS_SEG_TABLE, 4096);

	cr_assert_eq(rs_shm_create(&w, &o), 0);
	rs_shm_publish(w);
	__atomic_store_n(&w->hdr->layout_version, ((RS_LAYOUT_MAJOR + 1) << 16) | 3, __ATOMIC_RELEASE);
	cr_assert_eq(rs_shm_attach(&r, inst, "dir", UINT32_MAX, false), -EPROTONOSUPPORT);
	char want[64];
	snprintf(want, sizeof(want), "layout version %u.3, this library reads %u.x", RS_LAYOUT_MAJOR + 1,
		 RS_LAYOUT_MAJOR);
	cr_assert(strstr(rs_err_msg(), want), "%s", rs_err_msg());
	/* a newer minor version is compatible */
	__atomic_store_n(&w->hdr->layout_version, (RS_LAYOUT_MAJOR << 16) | 9, __ATOMIC_RELEASE);
	cr_assert_eq(rs_shm_attach(&r, inst, "dir", UINT32_MAX, false), 0, "%s", rs_err_msg());
	rs_shm_detach(r);
	rs_shm_close(w);
}

Test(rs_shm, truncated_and_foreign_files)
{
	struct rs_shm_seg *w, *r;
	struct rs_shm_opts o = opts("ring", RS_SEG_SPSC, 1 << 20);
	char path[300];

	cr_assert_eq(rs_shm_create(&w, &o), 0);
	rs_shm_publish(w);
	snprintf(path, sizeof(path), "%s", w->path);
	rs_shm_detach(w); /* leave the file */
	cr_assert_eq(truncate(path, 8192), 0);
	cr_assert_eq(rs_shm_attach(&r, inst, "ring", RS_SEG_SPSC, false), -EBADMSG);
	cr_assert(strstr(rs_err_msg(), "truncated or corrupt"), "%s", rs_err_msg());
	cr_assert_eq(truncate(path, 100), 0);
	cr_assert_eq(rs_shm_attach(&r, inst, "ring", RS_SEG_SPSC, false), -EBADMSG);
	cr_assert(strstr(rs_err_msg(), "is truncated"), "%s", rs_err_msg());
	/* a file that is not a segment at all */
	int fd = open(path, O_WRONLY | O_TRUNC);
	char junk[8192];
	memset(junk, 0x5a, sizeof(junk));
	cr_assert_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	cr_assert_eq(rs_shm_attach(&r, inst, "ring", RS_SEG_SPSC, false), -EPROTO);
	cr_assert(strstr(rs_err_msg(), "bad magic"), "%s", rs_err_msg());
}

/* kill -9 of the producer: readers see it dead (never hang), clean removes
 * its segments, and a new producer may take the name over. */
Test(rs_shm, producer_killed)
{
	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct rs_shm_seg *w;
		struct rs_shm_opts o = opts("events", RS_SEG_RAW, 4096);
		if (rs_shm_create(&w, &o))
			_exit(1);
		rs_shm_publish(w);
		if (write(pfd[1], "x", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	char c;
	cr_assert_eq(read(pfd[0], &c, 1), 1);
	struct rs_shm_seg *r;
	cr_assert_eq(rs_shm_attach(&r, inst, "events", RS_SEG_RAW, false), 0, "%s", rs_err_msg());
	cr_assert_eq(rs_shm_producer_state(r->hdr, 0), RS_PRODUCER_ALIVE);

	/* a second producer may not steal a live producer's segment */
	struct rs_shm_seg *w2;
	struct rs_shm_opts o = opts("events", RS_SEG_RAW, 4096);
	cr_assert_eq(rs_shm_create(&w2, &o), -EEXIST);
	cr_assert(strstr(rs_err_msg(), "owned by running process"), "%s", rs_err_msg());

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_eq(rs_shm_producer_state(r->hdr, 0), RS_PRODUCER_DEAD);
	cr_assert_str_eq(rs_shm_producer_state_str(RS_PRODUCER_DEAD), "dead");

	int n = rs_shm_clean(inst, true, NULL, NULL);
	cr_assert_eq(n, 1, "dry run counts the dead segment");
	n = rs_shm_clean(inst, false, NULL, NULL);
	cr_assert_eq(n, 1);
	cr_assert_eq(rs_shm_list(inst, NULL, NULL), 0, "nothing left");
	/* our mapping stays valid after the unlink */
	cr_assert_eq(r->hdr->magic, RS_SEG_MAGIC);
	rs_shm_detach(r);
	cr_assert_eq(rs_shm_create(&w2, &o), 0, "%s", rs_err_msg());
	rs_shm_close(w2);
}

Test(rs_shm, stale_heartbeat)
{
	struct rs_shm_seg *w;
	struct rs_shm_opts o = opts("hb", RS_SEG_RAW, 64);

	cr_assert_eq(rs_shm_create(&w, &o), 0);
	rs_shm_publish(w);
	cr_assert_eq(rs_shm_producer_state(w->hdr, 1000000000ull), RS_PRODUCER_ALIVE);
	w->hdr->heartbeat_ns -= 5000000000ull; /* as if the producer wedged 5 s ago */
	cr_assert_eq(rs_shm_producer_state(w->hdr, 1000000000ull), RS_PRODUCER_STALE);
	rs_shm_heartbeat(w);
	cr_assert_eq(rs_shm_producer_state(w->hdr, 1000000000ull), RS_PRODUCER_ALIVE);
	rs_shm_close(w);
}

struct listed {
	int n;
	char names[8][RS_NAME_LEN];
};

static int collect(const struct rs_shm_entry *e, void *arg)
{
	struct listed *l = arg;
	if (l->n < 8)
		snprintf(l->names[l->n++], RS_NAME_LEN, "%s", e->name);
	cr_expect(e->valid);
	cr_expect_eq(e->producer, RS_PRODUCER_ALIVE);
	return 0;
}

Test(rs_shm, list_segments)
{
	struct rs_shm_seg *a, *b;
	struct rs_shm_opts oa = opts("alpha", RS_SEG_RAW, 64), ob = opts("beta", RS_SEG_BCAST, 64);
	struct listed l = {0};

	cr_assert_eq(rs_shm_create(&a, &oa), 0);
	cr_assert_eq(rs_shm_create(&b, &ob), 0);
	rs_shm_publish(a);
	rs_shm_publish(b);
	cr_assert_eq(rs_shm_list(inst, collect, &l), 2);
	cr_assert_eq(l.n, 2);
	cr_assert(!strcmp(l.names[0], "alpha") || !strcmp(l.names[1], "alpha"));
	cr_assert_eq(rs_shm_clean(inst, false, NULL, NULL), 0, "live segments are kept");
	rs_shm_close(a);
	rs_shm_close(b);
}

static long hp_read(const char *f)
{
	char p[200];
	long v = -1;
	snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/hugepages-2048kB/%s", f);
	FILE *fp = fopen(p, "r");
	if (fp) {
		if (fscanf(fp, "%ld", &v) != 1)
			v = -1;
		fclose(fp);
	}
	return v;
}

/* The huge-page path: hugetlbfs found or mounted, pages reserved when
 * short, and released again on close. */
Test(rs_shm, hugepage_backing)
{
	if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK))
		cr_skip_test("kernel has no 2 MiB huge pages");
	if (geteuid() != 0)
		cr_skip_test("needs root to mount hugetlbfs / reserve huge pages");
	unsetenv("RINGSIDE_HUGE_DIR");
	long before = hp_read("nr_hugepages");
	struct rs_shm_seg *w, *r;
	struct rs_shm_opts o = opts("huge", RS_SEG_RAW, 3u << 20); /* needs 2 pages */
	o.huge = RS_SHM_HUGE_REQUIRE;
	o.reserve = true;

	cr_assert_eq(rs_shm_create(&w, &o), 0, "%s", rs_err_msg());
	cr_assert(w->huge);
	cr_assert_eq(w->hdr->flags, RS_SEGF_HUGEPAGE);
	cr_assert_eq(w->map_size % (2u << 20), 0);
	cr_assert(strstr(w->path, rs_shm_huge_root()) == w->path, "%s", w->path);
	memset(w->body, 0xab, w->body_size);
	rs_shm_publish(w);
	cr_assert_eq(rs_shm_attach(&r, inst, "huge", RS_SEG_RAW, false), 0, "%s", rs_err_msg());
	cr_assert(r->huge);
	cr_assert_eq(((unsigned char *)r->body)[r->body_size - 1], 0xab);
	rs_shm_detach(r);
	rs_shm_close(w);
	cr_assert_eq(hp_read("nr_hugepages"), before, "reserved pages released");
}

Test(rs_shm, hugemem_private)
{
	struct rs_hugemem m;
	long before = hp_read("nr_hugepages");
	cr_assert_eq(rs_hugemem_alloc(&m, 5u << 20, geteuid() == 0), 0, "%s", rs_err_msg());
	cr_assert_geq(m.len, 5u << 20);
	if (geteuid() == 0 && before >= 0)
		cr_expect(m.huge, "root with 2 MiB pages: MAP_HUGETLB expected");
	((char *)m.addr)[m.len - 1] = 1;
	rs_hugemem_free(&m);
	cr_assert_eq(hp_read("nr_hugepages"), before);
}

/* Segments readable only by the configured group: file mode and group are
 * applied to the segment and its instance directory. */
Test(rs_shm, mode_and_group)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give files to another group");
	struct rs_shm_seg *w;
	struct rs_shm_opts o = opts("grp", RS_SEG_RAW, 64);
	o.mode = 0640;
	o.gid = 1; /* 'daemon' on Debian: any group other than root's */
	cr_assert_eq(rs_shm_create(&w, &o), 0, "%s", rs_err_msg());
	struct stat st;
	cr_assert_eq(stat(w->path, &st), 0);
	cr_assert_eq(st.st_gid, 1);
	cr_assert_eq(st.st_mode & 0777, 0640);
	char dir[300];
	snprintf(dir, sizeof(dir), "%s", w->path);
	*strrchr(dir, '/') = 0;
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_gid, 1);
	cr_assert_eq(st.st_mode & 0777, 0750, "group may enter, others may not: %o", st.st_mode & 0777);
	rs_shm_close(w);
}
