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
	uint8_t pad0[16];
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

/*
 * ---------------------------------------------------------------------
 * Ring, broadcast, table and counters layouts (owned by shm/rs_ring.c,
 * rs_vring.c, rs_bcast.c, rs_seqtab.c, rs_counters.c).
 *
 * Every object starts with a struct rs_obj_hdr so a reader can validate it
 * without trusting the segment header: magic, kind (RS_SEG_*), layout
 * version, header size, total footprint, capacity and record stride. The
 * creator fills the header and the object, then stores `magic` LAST with
 * release ordering; attach loads it with acquire (pairing), so a reader
 * that sees the magic sees a fully initialised object.
 *
 * Fields written by different sides live in different RS_FS_STRIDE
 * (128-byte) blocks: 64 bytes is the line, but Intel's adjacent-line
 * prefetcher pulls lines in 128-byte pairs, so a producer index next to a
 * consumer index on the neighbouring line still ping-pongs.
 *
 * Indices are uint64 and monotonic (positions, never wrapped): slot =
 * position & (capacity - 1); at 1e9 records/s they overflow after 584 years.
 * Objects need 64-byte aligned memory (segment bodies are page aligned).
 * --------------------------------------------------------------------- */

#include <stdatomic.h>

#define RS_FS_STRIDE 128u                 /* false-sharing distance */
#define RS_OBJ_MAGIC 0x4a424f52u           /* "ROBJ" little-endian */

/* Object header: first 64 bytes of every ring/table/counters object. */
struct rs_obj_hdr {
	_Atomic uint32_t magic;   /* RS_OBJ_MAGIC; stored last (release) by init */
	uint32_t kind;            /* RS_SEG_SPSC | _VRING | _BCAST | _TABLE | _COUNTERS */
	uint32_t layout_version;  /* RS_LAYOUT_VERSION of the creator */
	uint32_t hdr_size;        /* bytes from the object start to its data area */
	uint64_t footprint;       /* total bytes of the object (header + data) */
	uint32_t capacity;        /* records (SPSC, bcast), bytes (vring), slots
	                             (table), counters (counters); power of two
	                             except for tables and counters */
	uint32_t rec_size;        /* record/slot stride in bytes (vring: 8) */
	uint32_t param;           /* kind-specific, see each object */
	uint32_t flags;           /* kind-specific, 0 today */
	uint8_t pad[24];
};
_Static_assert(sizeof(struct rs_obj_hdr) == 64, "object header is one line");
_Static_assert(offsetof(struct rs_obj_hdr, magic) == 0, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, kind) == 4, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, layout_version) == 8, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, hdr_size) == 12, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, footprint) == 16, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, capacity) == 24, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, rec_size) == 28, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, param) == 32, "layout");
_Static_assert(offsetof(struct rs_obj_hdr, flags) == 36, "layout");
_Static_assert(sizeof(_Atomic uint64_t) == 8 && _Alignof(_Atomic uint64_t) == 8,
	       "lock-free 64-bit atomics with plain layout");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "layout");

/* One index alone in its false-sharing block. */
struct rs_pos_block {
	_Atomic uint64_t pos;
	uint8_t pad[RS_FS_STRIDE - 8];
};
_Static_assert(sizeof(struct rs_pos_block) == RS_FS_STRIDE, "layout");

/*
 * SPSC ring of 64-byte records (kind RS_SEG_SPSC).
 *
 *   0        64       128           256           384
 *   +--------+--------+-------------+-------------+------------------------+
 *   | obj hdr| pad    | prod.pos    | cons.pos    | slots[capacity]        |
 *   |        |        | (+120 pad)  | (+120 pad)  | struct rs_event, 64 B  |
 *   +--------+--------+-------------+-------------+------------------------+
 *   hdr.capacity = records (power of two), hdr.rec_size = 64, param = 0.
 *   prod.pos: records committed (producer stores release, consumer loads
 *   acquire); cons.pos: records released (consumer stores release,
 *   producer loads acquire). 0 <= prod.pos - cons.pos <= capacity.
 */
struct rs_ring_layout {
	struct rs_obj_hdr hdr;
	uint8_t pad0[RS_FS_STRIDE - sizeof(struct rs_obj_hdr)];
	struct rs_pos_block prod;
	struct rs_pos_block cons;
	struct rs_event slots[];
};
#define RS_RING_HDR_SIZE 384u
_Static_assert(offsetof(struct rs_ring_layout, prod) == 128, "layout");
_Static_assert(offsetof(struct rs_ring_layout, cons) == 256, "layout");
_Static_assert(offsetof(struct rs_ring_layout, slots) == RS_RING_HDR_SIZE, "layout");
_Static_assert(sizeof(struct rs_ring_layout) == RS_RING_HDR_SIZE, "layout");

/*
 * Variable-length SPSC ring (kind RS_SEG_VRING).
 *
 *   0        128           256           384
 *   +--------+-------------+-------------+---------------------------------+
 *   | obj hdr| prod.pos    | cons.pos    | data[capacity] bytes            |
 *   +--------+-------------+-------------+---------------------------------+
 *   data holds records, each 8-byte aligned:
 *   +---------+---------+----------------------+---------+
 *   | len u32 | type u32| payload (len bytes)  | pad to 8|  ...
 *   +---------+---------+----------------------+---------+
 *   A record never wraps: when it does not fit before the end, the
 *   producer writes a padding record (type RS_VREC_PAD) filling the rest
 *   and puts the record at offset 0.
 *   hdr.capacity = data bytes (power of two, >= 64), rec_size = 8 (alignment),
 *   param = largest payload accepted (capacity / 4 - 8).
 *   prod.pos / cons.pos: byte positions, same pairing as the SPSC ring.
 */
#define RS_VREC_PAD   0xFFFFFFFFu /* padding record type: skip to offset 0 */
#define RS_VREC_ALIGN 8u
struct rs_vrec {
	uint32_t len;             /* payload bytes (excludes this header and alignment pad) */
	uint32_t type;            /* user record type; RS_VREC_PAD is reserved */
	uint8_t data[];
};
_Static_assert(sizeof(struct rs_vrec) == 8, "layout");
struct rs_vring_layout {
	struct rs_obj_hdr hdr;
	uint8_t pad0[RS_FS_STRIDE - sizeof(struct rs_obj_hdr)];
	struct rs_pos_block prod;
	struct rs_pos_block cons;
	uint8_t data[];
};
#define RS_VRING_HDR_SIZE 384u
_Static_assert(offsetof(struct rs_vring_layout, prod) == 128, "layout");
_Static_assert(offsetof(struct rs_vring_layout, cons) == 256, "layout");
_Static_assert(offsetof(struct rs_vring_layout, data) == RS_VRING_HDR_SIZE, "layout");

/*
 * Broadcast ring (kind RS_SEG_BCAST): one writer, any number of readers,
 * each reader's position is private to the reader (nothing written by
 * readers), so the writer never waits and never sees readers.
 *
 *   0        128            256
 *   +--------+--------------+--------------------------------------------+
 *   | obj hdr| tail.pos     | slots[capacity], rec_size bytes each       |
 *   +--------+--------------+--------------------------------------------+
 *   slot (rec_size bytes, power of two >= 64):
 *   +----------+---------+---------+------------------------------------+
 *   | seq u64  | len u32 | type u32| payload (rec_size - 16 bytes)      |
 *   +----------+---------+---------+------------------------------------+
 *   Record n (0, 1, 2, ...) goes to slot n & (capacity - 1). Its seq is
 *   2n+1 while the writer copies it and 2n+2 when complete; 0 = never
 *   written. A reader expecting record p sees seq == 2p+2 (ready),
 *   seq < 2p+2 (not yet written) or seq > 2p+2 (lapped: overrun).
 *   tail.pos: records completely written (writer stores release after
 *   each record; readers load it only to start or resynchronise).
 *   hdr.capacity = slots (power of two), rec_size = slot bytes,
 *   param = payload bytes per slot (rec_size - 16).
 */
#define RS_BCAST_SLOT_HDR 16u
struct rs_bcast_slot {
	_Atomic uint64_t seq;     /* per-slot seqlock, see above */
	uint32_t len;             /* payload bytes (read under the seqlock) */
	uint32_t type;            /* user record type (read under the seqlock) */
	uint8_t payload[];        /* 8-byte aligned */
};
_Static_assert(sizeof(struct rs_bcast_slot) == RS_BCAST_SLOT_HDR, "layout");
struct rs_bcast_layout {
	struct rs_obj_hdr hdr;
	uint8_t pad0[RS_FS_STRIDE - sizeof(struct rs_obj_hdr)];
	struct rs_pos_block tail;
	uint8_t slots[];
};
#define RS_BCAST_HDR_SIZE 256u
_Static_assert(offsetof(struct rs_bcast_layout, tail) == 128, "layout");
_Static_assert(offsetof(struct rs_bcast_layout, slots) == RS_BCAST_HDR_SIZE, "layout");

/*
 * Seqlocked table (kind RS_SEG_TABLE): fixed slots, one writer, any
 * number of readers (BBO, MBP-N depth, instrument directory).
 *
 *   0        128                256
 *   +--------+------------------+----------------------------------------+
 *   | obj hdr| writes | nused   | slots[capacity], rec_size bytes each   |
 *   +--------+------------------+----------------------------------------+
 *   slot (rec_size = round_up(16 + payload, 64) bytes):
 *   +----------+----------+---------------------------------+----------+
 *   | seq u64  | key u64  | payload (param bytes)           | pad to 64|
 *   +----------+----------+---------------------------------+----------+
 *   seq: even = stable, odd = write in progress, 0 = never written.
 *   key: caller's tag for the slot (e.g. instrument_id), read under the
 *   seqlock with the payload.
 *   writes: completed slot writes (writer stores release after each
 *   write); nused: 1 + highest slot index ever written (release). Readers
 *   may poll `writes` to learn that something changed.
 *   hdr.capacity = slots (any number >= 1), rec_size = slot stride,
 *   param = payload bytes (multiple of 8).
 */
#define RS_SEQTAB_SLOT_HDR 16u
struct rs_seqtab_slot {
	_Atomic uint64_t seq;
	uint64_t key;
	uint8_t payload[];        /* 16-byte aligned */
};
_Static_assert(sizeof(struct rs_seqtab_slot) == RS_SEQTAB_SLOT_HDR, "layout");
struct rs_seqtab_layout {
	struct rs_obj_hdr hdr;
	uint8_t pad0[RS_FS_STRIDE - sizeof(struct rs_obj_hdr)];
	_Atomic uint64_t writes;
	_Atomic uint32_t nused;
	uint32_t pad1;
	uint8_t pad2[RS_FS_STRIDE - 16];
	uint8_t slots[];
};
#define RS_SEQTAB_HDR_SIZE 256u
_Static_assert(offsetof(struct rs_seqtab_layout, writes) == 128, "layout");
_Static_assert(offsetof(struct rs_seqtab_layout, nused) == 136, "layout");
_Static_assert(offsetof(struct rs_seqtab_layout, slots) == RS_SEQTAB_HDR_SIZE, "layout");

/*
 * Counters block (kind RS_SEG_COUNTERS), like Aeron's counters file:
 * metadata written once at allocation (cold), values written by their
 * owning thread (hot, relaxed), read by anyone (CLI, metrics).
 *
 *   0        128         256                     256 + cap*128
 *   +--------+-----------+-----------------------+------------------------+
 *   | obj hdr| hiwater   | meta[capacity] 128 B  | values[capacity] 128 B |
 *   +--------+-----------+-----------------------+------------------------+
 *   meta (128 B):
 *   +----------+---------+---------+----------+---------+---------------+
 *   | state u32| type u32| key u64 | label_len| pad u32 | label[104]    |
 *   +----------+---------+---------+----------+---------+---------------+
 *   value (128 B): uint64 value + 120 bytes pad (one counter per
 *   false-sharing block; the adjacent-line prefetcher pairs lines).
 *   state: FREE -> RESERVED (allocator CAS) -> ALLOCATED (release, after
 *   type/key/label are written) -> RECLAIMED (freed, may be reused).
 *   hiwater: 1 + highest id ever allocated (listing scans [0, hiwater)).
 *   hdr.capacity = counters, rec_size = 128 (value stride),
 *   param = 128 (meta stride).
 */
#define RS_COUNTER_FREE      0u
#define RS_COUNTER_RESERVED  1u
#define RS_COUNTER_ALLOCATED 2u
#define RS_COUNTER_RECLAIMED 3u
#define RS_COUNTER_LABEL_MAX 104u /* bytes including the NUL */
struct rs_counter_meta {
	_Atomic uint32_t state;   /* RS_COUNTER_* */
	uint32_t type;            /* RS_COUNTER_TYPE_* (rs_counters.h) or user */
	uint64_t key;             /* owner-defined (feed, core, ...) */
	uint32_t label_len;       /* bytes before the NUL */
	uint32_t pad;
	char label[RS_COUNTER_LABEL_MAX]; /* NUL-terminated */
};
_Static_assert(sizeof(struct rs_counter_meta) == 128, "layout");
_Static_assert(offsetof(struct rs_counter_meta, key) == 8, "layout");
_Static_assert(offsetof(struct rs_counter_meta, label) == 24, "layout");
struct rs_counter_value {
	_Atomic uint64_t value;
	uint8_t pad[RS_FS_STRIDE - 8];
};
_Static_assert(sizeof(struct rs_counter_value) == RS_FS_STRIDE, "layout");
struct rs_counters_layout {
	struct rs_obj_hdr hdr;
	uint8_t pad0[RS_FS_STRIDE - sizeof(struct rs_obj_hdr)];
	_Atomic uint32_t hiwater;
	uint8_t pad1[RS_FS_STRIDE - 4];
	struct rs_counter_meta meta[];
	/* followed by struct rs_counter_value values[capacity] at
	 * RS_COUNTERS_HDR_SIZE + capacity * sizeof(struct rs_counter_meta) */
};
#define RS_COUNTERS_HDR_SIZE 256u
_Static_assert(offsetof(struct rs_counters_layout, hiwater) == 128, "layout");
_Static_assert(offsetof(struct rs_counters_layout, meta) == RS_COUNTERS_HDR_SIZE, "layout");

#endif /* RS_LAYOUT_H */
