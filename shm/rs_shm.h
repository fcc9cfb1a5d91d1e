/*
 * rs_shm.h - named shared-memory segments of an appliance instance (COLD).
 *
 * A segment is one file holding a struct rs_seg_hdr (4 KiB) and a body
 * (one ring, broadcast ring, table or counters block). Files live in
 *
 *   <hugetlbfs mount>/ringside/<instance>/<name>   2 MiB huge pages, or
 *   /dev/shm/ringside/<instance>/<name>            fallback, logged, and
 *                                                  RS_SEGF_FALLBACK set
 *
 * (RINGSIDE_HUGE_DIR / RINGSIDE_SHM_DIR override the two roots, for tests.)
 *
 * Producer: rs_shm_create() maps a zeroed segment, the caller initialises
 * the body, then rs_shm_publish() stores the header's layout version last
 * with release ordering. Readers: rs_shm_attach() validates magic, version,
 * kind and sizes (load-acquire of the version pairs with publish's store).
 */
#ifndef RS_SHM_H
#define RS_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rs_layout.h"

#define RS_HUGE_PAGE_SIZE (2u << 20)

/* rs_shm_opts.huge */
#define RS_SHM_HUGE_AUTO    0 /* huge pages if possible, else fallback with a warning */
#define RS_SHM_HUGE_OFF     1 /* ordinary shared memory */
#define RS_SHM_HUGE_REQUIRE 2 /* fail with -ENOMEM if huge pages are unavailable */

struct rs_shm_opts {
	const char *instance;   /* [A-Za-z0-9_.-]{1,31} */
	const char *name;       /* [A-Za-z0-9_.-]{1,31} */
	uint32_t kind;          /* RS_SEG_* */
	size_t body_size;       /* bytes needed by the object */
	mode_t mode;            /* file mode, 0 = 0640 */
	gid_t gid;              /* owning group, (gid_t)-1 = unchanged */
	int huge;               /* RS_SHM_HUGE_* */
	bool reserve;           /* may raise vm.nr_hugepages (root) when short */
	uint32_t generation;    /* producer generation (daemon start count) */
};

/* Process-local handle of a mapped segment. */
struct rs_shm_seg {
	struct rs_seg_hdr *hdr;
	void *body;
	size_t body_size;
	size_t map_size;
	bool owner;             /* created by this process */
	bool huge;
	uint32_t reserved_pages; /* huge pages this process added for it */
	uint64_t ino;           /* inode of the file (a new generation has another) */
	char path[256];
};

/* Producer liveness as seen by a reader (rs_shm_producer_state). */
#define RS_PRODUCER_ALIVE  0
#define RS_PRODUCER_DEAD   1 /* pid gone, or pid reused by another process */
#define RS_PRODUCER_STALE  2 /* alive but heartbeat older than the limit */
#define RS_PRODUCER_CLOSED 3 /* shut down cleanly */

/* Create (or replace) segment instance/name. Fails with -EEXIST if a live
 * producer owns it. */
int rs_shm_create(struct rs_shm_seg **out, const struct rs_shm_opts *opts);

/* Make the segment visible to readers: state OPEN, then layout version with
 * release ordering. */
void rs_shm_publish(struct rs_shm_seg *seg);

/* Producer: store the heartbeat (CLOCK_REALTIME ns). Cheap; call ~1/s. */
void rs_shm_heartbeat(struct rs_shm_seg *seg);

/* Producer: mark CLOSED (clean shutdown). Readers see RS_PRODUCER_CLOSED. */
void rs_shm_mark_closed(struct rs_shm_seg *seg);

/* Attach a reader. expect_kind = RS_SEG_* or UINT32_MAX for any.
 * Errors: -ENOENT no such instance/segment, -EPROTO bad magic or not yet
 * published, -EPROTONOSUPPORT layout major mismatch, -EBADMSG truncated or
 * inconsistent sizes, -EMEDIUMTYPE wrong kind. writable maps read-write. */
int rs_shm_attach(struct rs_shm_seg **out, const char *instance, const char *name,
		  uint32_t expect_kind, bool writable);

/* Unmap; the owner also unlinks the file (and releases reserved pages). */
void rs_shm_close(struct rs_shm_seg *seg);
/* Unmap without unlinking, also for owners (segment survives). */
void rs_shm_detach(struct rs_shm_seg *seg);

/* Liveness of the producer; stale_ns = heartbeat age limit (0 = ignore). */
int rs_shm_producer_state(const struct rs_seg_hdr *hdr, uint64_t stale_ns);
const char *rs_shm_producer_state_str(int state);

/* Directory iteration: calls fn for each segment file of `instance` (NULL =
 * every instance). Returns the number visited or -errno. */
struct rs_shm_entry {
	char instance[RS_NAME_LEN];
	char name[RS_NAME_LEN];
	char path[256];
	uint64_t file_size;
	bool huge;
	bool valid;             /* header readable and published */
	uint32_t kind, generation, pid, layout_version, state, flags;
	int producer;           /* RS_PRODUCER_*, -1 if !valid */
	uint64_t heartbeat_ns, start_time_ns;
};
typedef int (*rs_shm_entry_fn)(const struct rs_shm_entry *e, void *arg);
int rs_shm_list(const char *instance, rs_shm_entry_fn fn, void *arg);

/* Remove segments whose producer is dead (or never published, or closed)
 * and empty instance directories. Returns the number removed or -errno. */
int rs_shm_clean(const char *instance, bool dry_run, rs_shm_entry_fn removed, void *arg);

/* The two roots currently in use ("" when unavailable). */
const char *rs_shm_huge_root(void);
const char *rs_shm_fallback_root(void);

/* CLOCK_REALTIME in ns. */
uint64_t rs_shm_now_ns(void);

/* Kind as a word ("spsc", "bcast", ...). */
const char *rs_shm_kind_str(uint32_t kind);

#endif
