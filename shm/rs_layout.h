/*
 * rs_layout.h - every shared-memory layout of ringside, in one place.
 *
 * Rules: fixed-width fields, explicit padding, no pointers, bool or enum
 * stored in shared memory; a _Static_assert on every size and offset that
 * a reader in another process depends on. Bump RS_LAYOUT_MAJOR on any
 * incompatible change, RS_LAYOUT_MINOR on compatible additions.
 *
 * A segment is one file (hugetlbfs, or /dev/shm as fallback) holding one
 * object (ring, broadcast ring, table, counters):
 *
 *   offset 0        4096                                        total_size
 *   +---------------+-------------------------------------------+
 *   | rs_seg_hdr    | body: the object (its own header + data)  |
 *   | (4 KiB)       |                                           |
 *   +---------------+-------------------------------------------+
 *
 *   rs_seg_hdr:
 *   line 0  identity (written once before layout_version is published)
 *           magic | layout_version | flags(static) | total/body sizes |
 *           kind | instance name | segment name
 *   line 2  liveness: producer_pid | generation | start_time_ns
 *   line 3  heartbeat_ns (producer stores, readers load)
 *   line 4  state: RS_SEGS_* (open / closed), written by the producer
 */
#ifndef RS_LAYOUT_H
#define RS_LAYOUT_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside.h"

#define RS_CACHELINE 64

#define RS_SEG_MAGIC 0x4745535344495352ULL /* "RSIDSSEG" little-endian */
#define RS_LAYOUT_MAJOR 1u
#define RS_LAYOUT_MINOR 0u
#define RS_LAYOUT_VERSION ((RS_LAYOUT_MAJOR << 16) | RS_LAYOUT_MINOR)

#define RS_SEG_HDR_SIZE 4096u
#define RS_NAME_LEN 32

/* rs_seg_hdr.flags (set at creation). */
#define RS_SEGF_HUGEPAGE 0x1u /* backed by hugetlbfs */
#define RS_SEGF_FALLBACK 0x2u /* ordinary shared memory: huge pages were unavailable */

/* rs_seg_hdr.state */
#define RS_SEGS_INIT   0u
#define RS_SEGS_OPEN   1u
#define RS_SEGS_CLOSED 2u /* producer shut down cleanly */

/* rs_seg_hdr.kind */
#define RS_SEG_RAW      0u
#define RS_SEG_SPSC     1u /* fixed 64-byte record SPSC ring */
#define RS_SEG_VRING    2u /* variable-length SPSC ring */
#define RS_SEG_BCAST    3u /* broadcast ring */
#define RS_SEG_TABLE    4u /* seqlocked table */
#define RS_SEG_COUNTERS 5u /* counters block */

struct rs_seg_hdr {
	/* line 0-1: identity; immutable once layout_version is non-zero */
	uint64_t magic;
	uint32_t layout_version;   /* stored LAST, release; readers load acquire */
	uint32_t flags;            /* RS_SEGF_* */
	uint64_t total_size;       /* bytes in the file */
	uint64_t body_offset;      /* == RS_SEG_HDR_SIZE */
	uint64_t body_size;
	uint32_t kind;             /* RS_SEG_* */
	uint32_t hdr_size;         /* RS_SEG_HDR_SIZE */
	char instance[RS_NAME_LEN];
	char name[RS_NAME_LEN];
	uint8_t pad0[48];
	/* line 2: liveness identity */
	alignas(RS_CACHELINE) uint32_t producer_pid;
	uint32_t generation;       /* bumped on every daemon start */
	uint64_t start_time_ns;    /* CLOCK_REALTIME at creation */
	uint64_t producer_starttime; /* /proc/pid/stat starttime, detects pid reuse */
	uint8_t pad1[40];
	/* line 3: heartbeat, CLOCK_REALTIME ns, producer stores (relaxed is
	 * enough: it carries no data, only liveness) */
	alignas(RS_CACHELINE) uint64_t heartbeat_ns;
	uint8_t pad2[56];
	/* line 4: state */
	alignas(RS_CACHELINE) uint32_t state; /* RS_SEGS_* */
	uint8_t pad3[60];
};

_Static_assert(offsetof(struct rs_seg_hdr, magic) == 0, "layout");
_Static_assert(offsetof(struct rs_seg_hdr, layout_version) == 8, "layout");
_Static_assert(offsetof(struct rs_seg_hdr, instance) == 48, "layout");
_Static_assert(offsetof(struct rs_seg_hdr, producer_pid) == 128, "layout");
_Static_assert(offsetof(struct rs_seg_hdr, heartbeat_ns) == 192, "layout");
_Static_assert(offsetof(struct rs_seg_hdr, state) == 256, "layout");
_Static_assert(sizeof(struct rs_seg_hdr) == 320, "layout");
_Static_assert(sizeof(struct rs_seg_hdr) <= RS_SEG_HDR_SIZE, "header fits its page");

/* RS_RING_LAYOUTS: the ring, broadcast, table and counters layouts follow. */

#endif /* RS_LAYOUT_H */
