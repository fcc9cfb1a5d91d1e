/*
 * rs_shm.c - named shared-memory segments; see rs_shm.h.
 *
 * Why files and not shm_open(): hugetlbfs has no shm_open() equivalent, and
 * one scheme for both backings keeps listing and cleaning uniform.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rs_err.h"
#include "rs_shm.h"

#define HP_SYSFS "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static char huge_root[200];
static char fallback_root[200];
static pthread_once_t roots_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t rs_shm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void shm_warn(const char *fmt, const char *a, const char *b)
{
	/* Cold and rare (once per segment creation at most); the control
	 * plane's log channel is not available at this layer. */
	fprintf(stderr, "ringside: rs.shm: warning: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[256];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* A hugetlbfs mount with 2 MiB pages, from /proc/mounts. */
static int find_hugetlbfs(char *out, size_t len)
{
	char line[512], dev[128], dir[256], type[64], opts[256];
	FILE *f = fopen("/proc/mounts", "re");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %255s %63s %255s", dev, dir, type, opts) != 4)
			continue;
		if (strcmp(type, "hugetlbfs"))
			continue;
		/* pagesize=1G mounts are not ours; no option means the default
		 * size, which is 2 MiB on x86-64 (checked via sysfs below). */
		if (strstr(opts, "pagesize=") && !strstr(opts, "pagesize=2M"))
			continue;
		snprintf(out, len, "%s", dir);
		found = 1;
		break;
	}
	fclose(f);
	return found;
}

static void init_roots(void)
{
	const char *e = getenv("RINGSIDE_SHM_DIR");
	char mnt[256];

	snprintf(fallback_root, sizeof(fallback_root), "%s", e && *e ? e : "/dev/shm/ringside");

	e = getenv("RINGSIDE_HUGE_DIR");
	if (e) { /* explicit: "" disables huge pages */
		snprintf(huge_root, sizeof(huge_root), "%s", e);
		return;
	}
	if (access(HP_SYSFS, F_OK))
		return; /* kernel without 2 MiB huge pages */
	if (!find_hugetlbfs(mnt, sizeof(mnt))) {
		/* Mount one where systemd would, when we may. */
		if (geteuid() != 0)
			return;
		if (mkdir_p("/dev/hugepages", 0755) ||
		    mount("hugetlbfs", "/dev/hugepages", "hugetlbfs", 0, "pagesize=2M"))
			return;
		snprintf(mnt, sizeof(mnt), "/dev/hugepages");
	}
	snprintf(huge_root, sizeof(huge_root), "%s/ringside", mnt);
}

const char *rs_shm_huge_root(void)
{
	pthread_once(&roots_once, init_roots);
	return huge_root;
}

const char *rs_shm_fallback_root(void)
{
	pthread_once(&roots_once, init_roots);
	return fallback_root;
}

const char *rs_shm_kind_str(uint32_t kind)
{
	static const char *const names[] = {"raw", "spsc", "vring", "bcast", "table", "counters"};
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

static int valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= RS_NAME_LEN || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static long read_long(const char *path)
{
	char buf[64];
	long v = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		v = strtol(buf, NULL, 10);
	}
	close(fd);
	return v;
}

static int write_long(const char *path, long v)
{
	char buf[64];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int len = snprintf(buf, sizeof(buf), "%ld\n", v);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len)
		rc = -errno;
	close(fd);
	return rc;
}

/* Make sure `pages` huge pages are free and unreserved, raising
 * vm.nr_hugepages when allowed. Returns pages added (>= 0) or -ENOMEM. */
static int reserve_pages(uint32_t pages, bool allowed)
{
	long free_p, resv, total;
	int added = 0;

	pthread_mutex_lock(&reserve_lock);
	free_p = read_long(HP_SYSFS "free_hugepages");
	resv = read_long(HP_SYSFS "resv_hugepages");
	total = read_long(HP_SYSFS "nr_hugepages");
	if (free_p < 0 || resv < 0 || total < 0) {
		added = -ENOMEM;
		goto out;
	}
	long avail = free_p - resv;
	if (avail >= (long)pages)
		goto out;
	if (!allowed || geteuid() != 0) {
		added = -ENOMEM;
		goto out;
	}
	long want = total + ((long)pages - avail);
	if (write_long(HP_SYSFS "nr_hugepages", want) ||
	    read_long(HP_SYSFS "nr_hugepages") < want) {
		/* the kernel could not find contiguous memory: give back what it got */
		write_long(HP_SYSFS "nr_hugepages", total);
		added = -ENOMEM;
		goto out;
	}
	added = (int)(want - total);
out:
	pthread_mutex_unlock(&reserve_lock);
	return added;
}

static void release_pages(uint32_t pages)
{
	if (!pages)
		return;
	pthread_mutex_lock(&reserve_lock);
	long total = read_long(HP_SYSFS "nr_hugepages");
	if (total >= (long)pages)
		write_long(HP_SYSFS "nr_hugepages", total - (long)pages);
	pthread_mutex_unlock(&reserve_lock);
}

/* starttime (clock ticks since boot) of pid, field 22 of /proc/pid/stat;
 * 0 when the process does not exist. */
static uint64_t proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	uint64_t st = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* comm may contain spaces and parens */
	if (!p)
		return 0;
	p += 2; /* now at field 3 (state) */
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		st = strtoull(p, NULL, 10);
	return st;
}

int rs_shm_producer_state(const struct rs_seg_hdr *hdr, uint64_t stale_ns)
{
	uint32_t state = __atomic_load_n(&hdr->state, __ATOMIC_ACQUIRE);
	pid_t pid = (pid_t)hdr->producer_pid;

	if (state == RS_SEGS_CLOSED)
		return RS_PRODUCER_CLOSED;
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return RS_PRODUCER_DEAD;
	if (hdr->producer_starttime && proc_starttime(pid) != hdr->producer_starttime)
		return RS_PRODUCER_DEAD; /* pid reused */
	if (stale_ns) {
		uint64_t hb = __atomic_load_n(&hdr->heartbeat_ns, __ATOMIC_RELAXED);
		uint64_t now = rs_shm_now_ns();
		if (now > hb && now - hb > stale_ns)
			return RS_PRODUCER_STALE;
	}
	return RS_PRODUCER_ALIVE;
}

const char *rs_shm_producer_state_str(int state)
{
	switch (state) {
	case RS_PRODUCER_ALIVE: return "alive";
	case RS_PRODUCER_DEAD: return "dead";
	case RS_PRODUCER_STALE: return "stale";
	case RS_PRODUCER_CLOSED: return "closed";
	default: return "unknown";
	}
}

static int seg_path(char *out, size_t len, const char *root, const char *instance, const char *name)
{
	int n = snprintf(out, len, "%s/%s/%s", root, instance, name);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/* Read the header of an existing file without mapping the body. */
static int peek_header(const char *path, struct rs_seg_hdr *hdr, uint64_t *fsize)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	*fsize = (uint64_t)st.st_size;
	if ((size_t)st.st_size < sizeof(*hdr)) {
		rc = -EBADMSG;
		goto out;
	}
	/* hugetlbfs files cannot be read(), only mapped, and their mappings
	 * are unmapped in whole huge pages: map min(file, 2 MiB) */
	size_t mlen = (size_t)st.st_size < RS_HUGE_PAGE_SIZE ? (size_t)st.st_size : RS_HUGE_PAGE_SIZE;
	void *p = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	memcpy(hdr, p, sizeof(*hdr));
	munmap(p, mlen);
out:
	close(fd);
	return rc;
}

/* Refuse to replace a segment whose producer is alive (another instance). */
static int check_replace(const char *path)
{
	struct rs_seg_hdr hdr;
	uint64_t fsize;

	if (peek_header(path, &hdr, &fsize))
		return 0;
	if (hdr.magic == RS_SEG_MAGIC && hdr.layout_version &&
	    rs_shm_producer_state(&hdr, 0) == RS_PRODUCER_ALIVE && hdr.producer_pid != (uint32_t)getpid())
		return RS_ERR_SET(-EEXIST, "segment %s is owned by running process %u", path,
				  hdr.producer_pid);
	return 0;
}

static int create_in(struct rs_shm_seg *seg, const struct rs_shm_opts *o, const char *root, bool huge)
{
	char dir[256];
	int fd, rc;
	size_t size = RS_SEG_HDR_SIZE + o->body_size;
	mode_t mode = o->mode ? o->mode : 0640;

	if (huge)
		size = (size + RS_HUGE_PAGE_SIZE - 1) & ~((size_t)RS_HUGE_PAGE_SIZE - 1);
	else
		size = (size + 4095) & ~(size_t)4095;

	snprintf(dir, sizeof(dir), "%s/%s", root, o->instance);
	/* directories: the file mode plus search permission where readable */
	mode_t dmode = mode | ((mode & 0444) >> 2) | 0700;
	if ((rc = mkdir_p(dir, dmode)))
		return RS_ERR_SET(rc, "mkdir %s: %s", dir, strerror(-rc));
	if (o->gid != (gid_t)-1 && chown(dir, (uid_t)-1, o->gid))
		return RS_ERR_SET(-errno, "chown %s to gid %d: %s", dir, (int)o->gid, strerror(errno));
	if ((rc = seg_path(seg->path, sizeof(seg->path), root, o->instance, o->name)))
		return RS_ERR_SET(rc, "segment path too long");
	if ((rc = check_replace(seg->path)))
		return rc;
	unlink(seg->path); /* a new inode: readers of a previous generation keep theirs */

	if (huge) {
		int got = reserve_pages((uint32_t)(size / RS_HUGE_PAGE_SIZE), o->reserve);
		if (got < 0)
			return RS_ERR_SET(-ENOMEM, "not enough free 2 MiB huge pages for %zu bytes", size);
		seg->reserved_pages = (uint32_t)got;
	}
	fd = open(seg->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = RS_ERR_SET(-errno, "create %s: %s", seg->path, strerror(errno));
		goto err_pages;
	}
	if (fchmod(fd, mode) || (o->gid != (gid_t)-1 && fchown(fd, (uid_t)-1, o->gid))) {
		rc = RS_ERR_SET(-errno, "set mode/group of %s: %s", seg->path, strerror(errno));
		goto err_file;
	}
	if (ftruncate(fd, (off_t)size)) {
		rc = RS_ERR_SET(-errno, "size %s to %zu bytes: %s", seg->path, size, strerror(errno));
		goto err_file;
	}
	struct stat st;
	if (!fstat(fd, &st))
		seg->ino = (uint64_t)st.st_ino;
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (base == MAP_FAILED) {
		rc = RS_ERR_SET(-errno, "map %s (%zu bytes): %s", seg->path, size, strerror(errno));
		goto err_file;
	}
	close(fd);

	seg->hdr = base;
	seg->body = (char *)base + RS_SEG_HDR_SIZE;
	seg->body_size = size - RS_SEG_HDR_SIZE;
	seg->map_size = size;
	seg->huge = huge;
	seg->owner = true;
	return 0;

err_file:
	close(fd);
	unlink(seg->path);
err_pages:
	release_pages(seg->reserved_pages);
	seg->reserved_pages = 0;
	return rc;
}

int rs_shm_create(struct rs_shm_seg **out, const struct rs_shm_opts *o)
{
	struct rs_shm_seg *seg;
	int rc = -ENOMEM;

	*out = NULL;
	if (!valid_name(o->instance) || !valid_name(o->name))
		return RS_ERR_SET(-EINVAL, "invalid instance/segment name '%s/%s' (use [A-Za-z0-9_.-], < %d chars)",
				  o->instance ? o->instance : "", o->name ? o->name : "", RS_NAME_LEN);
	seg = calloc(1, sizeof(*seg));
	if (!seg)
		return RS_ERR_SET(-ENOMEM, "out of memory");

	const char *hroot = rs_shm_huge_root();
	if (o->huge != RS_SHM_HUGE_OFF && hroot[0]) {
		rc = create_in(seg, o, hroot, true);
		if (rc == 0)
			goto init;
		if (rc == -EEXIST || o->huge == RS_SHM_HUGE_REQUIRE)
			goto err;
		shm_warn("huge pages unavailable for %s (%s); using ordinary shared memory", o->name,
			 rs_err_msg());
	} else if (o->huge == RS_SHM_HUGE_REQUIRE) {
		rc = RS_ERR_SET(-ENOMEM, "huge pages required but no 2 MiB hugetlbfs is available");
		goto err;
	}
	rc = create_in(seg, o, rs_shm_fallback_root(), false);
	if (rc)
		goto err;

init:;
	struct rs_seg_hdr *h = seg->hdr;
	h->magic = RS_SEG_MAGIC;
	h->flags = seg->huge ? RS_SEGF_HUGEPAGE : RS_SEGF_FALLBACK;
	h->total_size = seg->map_size;
	h->body_offset = RS_SEG_HDR_SIZE;
	h->body_size = seg->body_size;
	h->kind = o->kind;
	h->hdr_size = RS_SEG_HDR_SIZE;
	snprintf(h->instance, sizeof(h->instance), "%s", o->instance);
	snprintf(h->name, sizeof(h->name), "%s", o->name);
	h->producer_pid = (uint32_t)getpid();
	h->generation = o->generation;
	h->start_time_ns = rs_shm_now_ns();
	h->producer_starttime = proc_starttime(getpid());
	h->heartbeat_ns = h->start_time_ns;
	h->state = RS_SEGS_INIT;
	*out = seg;
	return 0;
err:
	free(seg);
	return RS_ERR_APPEND("segment %s/%s", o->instance, o->name);
}

void rs_shm_publish(struct rs_shm_seg *seg)
{
	__atomic_store_n(&seg->hdr->heartbeat_ns, rs_shm_now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&seg->hdr->state, RS_SEGS_OPEN, __ATOMIC_RELAXED);
	/* Release: every header and body store above happens-before a reader's
	 * acquire load of layout_version in rs_shm_attach(). */
	__atomic_store_n(&seg->hdr->layout_version, RS_LAYOUT_VERSION, __ATOMIC_RELEASE);
}

void rs_shm_heartbeat(struct rs_shm_seg *seg)
{
	/* relaxed: liveness only, orders no data */
	__atomic_store_n(&seg->hdr->heartbeat_ns, rs_shm_now_ns(), __ATOMIC_RELAXED);
}

void rs_shm_mark_closed(struct rs_shm_seg *seg)
{
	/* release: pairs with the acquire in rs_shm_producer_state(); data
	 * written before the close is visible to a reader that sees CLOSED */
	__atomic_store_n(&seg->hdr->state, RS_SEGS_CLOSED, __ATOMIC_RELEASE);
}

static int attach_path(struct rs_shm_seg *seg, const char *path, uint32_t expect_kind, bool writable)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = RS_ERR_SET(-errno, "stat %s: %s", path, strerror(errno));
		goto out;
	}
	if ((size_t)st.st_size < RS_SEG_HDR_SIZE) {
		rc = RS_ERR_SET(-EBADMSG, "segment %s is truncated (%lld bytes, header needs %u)", path,
				(long long)st.st_size, RS_SEG_HDR_SIZE);
		goto out;
	}
	void *base = mmap(NULL, (size_t)st.st_size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
			  fd, 0);
	if (base == MAP_FAILED) {
		rc = RS_ERR_SET(-errno, "map %s: %s", path, strerror(errno));
		goto out;
	}
	struct rs_seg_hdr *h = base;
	/* acquire: pairs with the release store in rs_shm_publish() */
	uint32_t ver = __atomic_load_n(&h->layout_version, __ATOMIC_ACQUIRE);

	if (h->magic != RS_SEG_MAGIC)
		rc = RS_ERR_SET(-EPROTO, "%s is not a ringside segment (bad magic)", path);
	else if (ver == 0)
		rc = RS_ERR_SET(-EPROTO, "segment %s is not published yet (producer starting or died during start-up)", path);
	else if ((ver >> 16) != RS_LAYOUT_MAJOR)
		rc = RS_ERR_SET(-EPROTONOSUPPORT, "segment %s has layout version %u.%u, this library reads %u.x",
				path, ver >> 16, ver & 0xffff, RS_LAYOUT_MAJOR);
	else if (h->hdr_size != RS_SEG_HDR_SIZE || h->body_offset != RS_SEG_HDR_SIZE ||
		 h->total_size != (uint64_t)st.st_size || h->body_size + RS_SEG_HDR_SIZE > h->total_size)
		rc = RS_ERR_SET(-EBADMSG, "segment %s is truncated or corrupt (header says %llu bytes, file has %lld)",
				path, (unsigned long long)h->total_size, (long long)st.st_size);
	else if (expect_kind != UINT32_MAX && h->kind != expect_kind)
		rc = RS_ERR_SET(-EMEDIUMTYPE, "segment %s holds a %s, expected a %s", path,
				rs_shm_kind_str(h->kind), rs_shm_kind_str(expect_kind));
	if (rc) {
		munmap(base, (size_t)st.st_size);
		goto out;
	}
	seg->hdr = h;
	seg->body = (char *)base + RS_SEG_HDR_SIZE;
	seg->body_size = h->body_size;
	seg->map_size = (size_t)st.st_size;
	seg->huge = h->flags & RS_SEGF_HUGEPAGE;
	seg->owner = false;
	seg->ino = (uint64_t)st.st_ino;
	snprintf(seg->path, sizeof(seg->path), "%s", path);
out:
	close(fd);
	return rc;
}

int rs_shm_attach(struct rs_shm_seg **out, const char *instance, const char *name,
		  uint32_t expect_kind, bool writable)
{
	const char *roots[2] = {rs_shm_huge_root(), rs_shm_fallback_root()};
	struct rs_shm_seg *seg;
	char path[256];
	int rc = -ENOENT;

	*out = NULL;
	if (!valid_name(instance) || !valid_name(name))
		return RS_ERR_SET(-EINVAL, "invalid instance/segment name '%s/%s'", instance ? instance : "",
				  name ? name : "");
	seg = calloc(1, sizeof(*seg));
	if (!seg)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	for (int i = 0; i < 2; i++) {
		if (!roots[i][0] || seg_path(path, sizeof(path), roots[i], instance, name))
			continue;
		rc = attach_path(seg, path, expect_kind, writable);
		if (rc != -ENOENT)
			break;
	}
	if (rc == -ENOENT) {
		char dir[256];
		struct stat st;
		snprintf(dir, sizeof(dir), "%s/%s", rs_shm_fallback_root(), instance);
		int have = !stat(dir, &st);
		if (!have && huge_root[0]) {
			snprintf(dir, sizeof(dir), "%s/%s", huge_root, instance);
			have = !stat(dir, &st);
		}
		rc = have ? RS_ERR_SET(-ENOENT, "instance '%s' has no segment '%s'", instance, name)
			  : RS_ERR_SET(-ENOENT, "no such instance '%s' (is ringsided running?)", instance);
	}
	if (rc) {
		free(seg);
		return rc;
	}
	*out = seg;
	return 0;
}

void rs_shm_detach(struct rs_shm_seg *seg)
{
	if (!seg)
		return;
	munmap(seg->hdr, seg->map_size);
	free(seg);
}

void rs_shm_close(struct rs_shm_seg *seg)
{
	if (!seg)
		return;
	if (seg->owner) {
		/* unlink only our own file: a newer generation may have replaced it */
		struct rs_seg_hdr h;
		uint64_t fsize;
		if (!peek_header(seg->path, &h, &fsize) && h.producer_pid == seg->hdr->producer_pid &&
		    h.start_time_ns == seg->hdr->start_time_ns)
			unlink(seg->path);
		uint32_t pages = seg->reserved_pages;
		munmap(seg->hdr, seg->map_size);
		/* drop the instance directory once its last segment is gone */
		char *slash = strrchr(seg->path, '/');
		if (slash) {
			*slash = 0;
			rmdir(seg->path);
		}
		release_pages(pages); /* after unmapping, so the pages are free again */
		free(seg);
		return;
	}
	rs_shm_detach(seg);
}

static void fill_entry(struct rs_shm_entry *e, const char *root, const char *inst, const char *name)
{
	struct rs_seg_hdr h;

	memset(e, 0, sizeof(*e));
	snprintf(e->instance, sizeof(e->instance), "%s", inst);
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->path, sizeof(e->path), "%s/%s/%s", root, inst, name);
	e->huge = root == huge_root;
	e->producer = -1;
	if (peek_header(e->path, &h, &e->file_size))
		return;
	if (h.magic != RS_SEG_MAGIC || h.layout_version == 0)
		return;
	e->valid = true;
	e->kind = h.kind;
	e->generation = h.generation;
	e->pid = h.producer_pid;
	e->layout_version = h.layout_version;
	e->state = h.state;
	e->flags = h.flags;
	e->heartbeat_ns = h.heartbeat_ns;
	e->start_time_ns = h.start_time_ns;
	e->producer = rs_shm_producer_state(&h, 0);
}

static int list_root(const char *root, const char *instance, rs_shm_entry_fn fn, void *arg)
{
	DIR *top, *d;
	struct dirent *ie, *se;
	char dir[256];
	int n = 0, rc;

	if (!root[0] || !(top = opendir(root)))
		return 0;
	while ((ie = readdir(top))) {
		if (ie->d_name[0] == '.' || (instance && strcmp(instance, ie->d_name)))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, ie->d_name);
		if (!(d = opendir(dir)))
			continue;
		while ((se = readdir(d))) {
			struct rs_shm_entry e;
			if (se->d_name[0] == '.')
				continue;
			fill_entry(&e, root, ie->d_name, se->d_name);
			n++;
			if (fn && (rc = fn(&e, arg))) {
				closedir(d);
				closedir(top);
				return rc < 0 ? rc : n;
			}
		}
		closedir(d);
	}
	closedir(top);
	return n;
}

int rs_shm_list(const char *instance, rs_shm_entry_fn fn, void *arg)
{
	int a = list_root(rs_shm_huge_root(), instance, fn, arg);
	if (a < 0)
		return a;
	int b = list_root(rs_shm_fallback_root(), instance, fn, arg);
	return b < 0 ? b : a + b;
}

struct clean_ctx {
	bool dry_run;
	rs_shm_entry_fn removed;
	void *arg;
	int count;
	char dirs[64][256];
	int ndirs;
};

static int clean_one(const struct rs_shm_entry *e, void *arg)
{
	struct clean_ctx *c = arg;

	if (e->valid && e->producer == RS_PRODUCER_ALIVE)
		return 0;
	if (!e->valid) {
		/* unpublished: only remove when no live process has it open for
		 * creation, i.e. it is older than a minute */
		struct stat st;
		if (!stat(e->path, &st) && time(NULL) - st.st_mtime < 60)
			return 0;
	}
	if (!c->dry_run && unlink(e->path))
		return 0;
	c->count++;
	if (c->removed)
		c->removed(e, c->arg);
	if (c->ndirs < 64) {
		const char *slash = strrchr(e->path, '/');
		snprintf(c->dirs[c->ndirs], sizeof(c->dirs[0]), "%.*s", (int)(slash - e->path), e->path);
		c->ndirs++;
	}
	return 0;
}

int rs_shm_clean(const char *instance, bool dry_run, rs_shm_entry_fn removed, void *arg)
{
	struct clean_ctx *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	c->dry_run = dry_run;
	c->removed = removed;
	c->arg = arg;
	rc = rs_shm_list(instance, clean_one, c);
	if (rc >= 0) {
		rc = c->count;
		if (!dry_run)
			for (int i = 0; i < c->ndirs; i++)
				rmdir(c->dirs[i]); /* fails harmlessly unless empty */
	}
	free(c);
	return rc;
}
