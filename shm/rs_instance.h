/*
 * rs_instance.h - the producer side of an appliance instance's standard
 * shared-memory segments (COLD: start-up and shutdown only).
 *
 *   counters     counters block (rs_counters.h)
 *   instruments  seqlocked table of struct rs_instrument, instrument-keyed
 *   bbo          seqlocked table of struct rs_bbo, instrument-keyed
 *   depth        seqlocked table of struct rs_depth + 2*depth levels
 *   events       broadcast ring of struct rs_event (type RS_REC_EVENT)
 * and, with analytics on (conf.analytics):
 *   bars         broadcast ring of struct rs_bar (RS_REC_BAR) and compact runs
 *                of empty bars (RS_REC_BARS_EMPTY; rs_bar_unpack() expands both)
 *   latest       seqlocked table of struct rs_latest, instrument-keyed
 *   pressure     broadcast ring of struct rs_pressure (RS_REC_PRESSURE)
 *   signals      broadcast ring of rs_signal / rs_pattern (RS_REC_SIGNAL/PATTERN)
 *   flow         seqlocked table of struct rs_flow, instrument-keyed
 * and always:
 *   latency      raw segment holding struct rs_latency_block
 *
 * Clients read them through libringside (include/ringside.h).
 */
#ifndef RS_INSTANCE_H
#define RS_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rs_bcast.h"
#include "rs_counters.h"
#include "rs_seqtab.h"
#include "rs_shm.h"

struct rs_instance_conf {
	const char *name;          /* instance name */
	uint32_t generation;       /* 0 = derive from the previous one + 1 */
	uint32_t max_instruments;  /* table slots, default 16384 */
	uint16_t depth;            /* MBP-N levels per side, default 50 */
	uint32_t event_slots;      /* broadcast ring slots (power of two), default 1 Mi */
	uint32_t counters;         /* counter capacity, default 4096 */
	mode_t mode;               /* segment file mode, default 0640 */
	gid_t gid;                 /* group, (gid_t)-1 = unchanged */
	int huge;                  /* RS_SHM_HUGE_* */
	bool reserve;              /* may raise vm.nr_hugepages */
	bool analytics;            /* create bars/latest/pressure/signals/flow, default true */
	uint32_t analytics_slots;  /* slots of each analytics broadcast ring, default 64 Ki */
};

struct rs_instance {
	struct rs_shm_seg *seg_counters, *seg_instruments, *seg_bbo, *seg_depth, *seg_events;
	struct rs_counters counters;
	struct rs_seqtab instruments, bbo, depth;
	struct rs_bcast events;
	/* analytics (NULL / zeroed when conf.analytics is false) */
	struct rs_shm_seg *seg_bars, *seg_latest, *seg_pressure, *seg_signals, *seg_flow;
	struct rs_bcast bars, pressure, signals;
	struct rs_seqtab latest, flow;
	struct rs_shm_seg *seg_latency;
	struct rs_latency_block *latency; /* in seg_latency */
	uint32_t generation;
	uint16_t depth_levels;
	bool huge;                 /* every segment is on huge pages */
};

void rs_instance_conf_default(struct rs_instance_conf *c, const char *name);
/* Create every segment (not yet visible to clients). */
int rs_instance_create(struct rs_instance **out, const struct rs_instance_conf *c);
/* Make all segments visible (counters last: clients anchor on it). */
void rs_instance_publish(struct rs_instance *in);
/* Heartbeat on every segment; call about once a second. */
void rs_instance_heartbeat(struct rs_instance *in);
/* Mark closed; with remove, unlink the files. Frees in. */
void rs_instance_close(struct rs_instance *in, bool remove);

/* Bytes of one depth slot payload for n levels per side. */
static inline uint32_t rs_instance_depth_payload(uint16_t n)
{
	return (uint32_t)(sizeof(struct rs_depth) + 2u * n * sizeof(struct rs_level));
}

#endif
