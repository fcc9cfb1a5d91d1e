/* rs_instance.c - see rs_instance.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ringside.h"
#include "rs_err.h"
#include "rs_instance.h"

void rs_instance_conf_default(struct rs_instance_conf *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->max_instruments = 16384;
	c->depth = 50;
	c->event_slots = 1u << 20;
	c->counters = 4096;
	c->mode = 0640;
	c->gid = (gid_t)-1;
	c->huge = RS_SHM_HUGE_AUTO;
	c->reserve = true;
	c->analytics = true;
	c->analytics_slots = 1u << 16;
}

/* The generation of the instance's previous run, from its counters
 * segment if one is left (0 if none). */
static uint32_t previous_generation(const char *name)
{
	struct rs_shm_seg *s;
	uint32_t g = 0;

	if (!rs_shm_attach(&s, name, RS_SEGNAME_COUNTERS, UINT32_MAX, false)) {
		g = s->hdr->generation;
		rs_shm_detach(s);
	}
	return g;
}

static int mkseg(struct rs_shm_seg **out, const struct rs_instance_conf *c, uint32_t gen,
		 const char *name, uint32_t kind, size_t size)
{
	struct rs_shm_opts o = {.instance = c->name, .name = name, .kind = kind, .body_size = size,
				.mode = c->mode, .gid = c->gid, .huge = c->huge, .reserve = c->reserve,
				.generation = gen};
	return rs_shm_create(out, &o);
}

/* Every segment of in, counters first; unused ones are NULL. */
#define RS_INSTANCE_NSEG 11
static void segs(struct rs_instance *in, struct rs_shm_seg *s[RS_INSTANCE_NSEG])
{
	struct rs_shm_seg *t[RS_INSTANCE_NSEG] = {in->seg_counters, in->seg_instruments, in->seg_bbo, in->seg_depth,
						  in->seg_events, in->seg_bars, in->seg_latest, in->seg_pressure,
						  in->seg_signals, in->seg_flow, in->seg_latency};
	memcpy(s, t, sizeof(t));
}

int rs_instance_create(struct rs_instance **out, const struct rs_instance_conf *c)
{
	struct rs_instance *in;
	uint32_t gen = c->generation ? c->generation : previous_generation(c->name) + 1;
	uint32_t dpay = rs_instance_depth_payload(c->depth);
	size_t fc = rs_counters_footprint(c->counters), fi = rs_seqtab_footprint(c->max_instruments, sizeof(struct rs_instrument)),
	       fb = rs_seqtab_footprint(c->max_instruments, sizeof(struct rs_bbo)),
	       fd = rs_seqtab_footprint(c->max_instruments, dpay), fe = rs_bcast_footprint(c->event_slots, 128);
	int rc;

	*out = NULL;
	if (!fc || !fi || !fb || !fd || !fe)
		return RS_ERR_SET(-EINVAL, "instance %s: invalid capacities (instruments %u, depth %u, event slots %u, counters %u)",
				  c->name, c->max_instruments, c->depth, c->event_slots, c->counters);
	in = calloc(1, sizeof(*in));
	if (!in)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	in->generation = gen;
	in->depth_levels = c->depth;
	if ((rc = mkseg(&in->seg_counters, c, gen, RS_SEGNAME_COUNTERS, RS_SEG_COUNTERS, fc)) ||
	    (rc = rs_counters_init(&in->counters, in->seg_counters->body, in->seg_counters->body_size, c->counters)) ||
	    (rc = mkseg(&in->seg_instruments, c, gen, RS_SEGNAME_INSTRUMENTS, RS_SEG_TABLE, fi)) ||
	    (rc = rs_seqtab_init(&in->instruments, in->seg_instruments->body, in->seg_instruments->body_size,
				 c->max_instruments, sizeof(struct rs_instrument))) ||
	    (rc = mkseg(&in->seg_bbo, c, gen, RS_SEGNAME_BBO, RS_SEG_TABLE, fb)) ||
	    (rc = rs_seqtab_init(&in->bbo, in->seg_bbo->body, in->seg_bbo->body_size, c->max_instruments,
				 sizeof(struct rs_bbo))) ||
	    (rc = mkseg(&in->seg_depth, c, gen, RS_SEGNAME_DEPTH, RS_SEG_TABLE, fd)) ||
	    (rc = rs_seqtab_init(&in->depth, in->seg_depth->body, in->seg_depth->body_size, c->max_instruments, dpay)) ||
	    (rc = mkseg(&in->seg_events, c, gen, RS_SEGNAME_EVENTS, RS_SEG_BCAST, fe)) ||
	    (rc = rs_bcast_init(&in->events, in->seg_events->body, in->seg_events->body_size, c->event_slots, 128))) {
		RS_ERR_APPEND("instance %s", c->name);
		rs_instance_close(in, true);
		return rc;
	}
	if (c->analytics) {
		uint32_t as = c->analytics_slots ? c->analytics_slots : 1u << 16;
		size_t fbar = rs_bcast_footprint(as, 256), fpr = rs_bcast_footprint(as, 256),
		       fsig = rs_bcast_footprint(as, 256),
		       flt = rs_seqtab_footprint(c->max_instruments, sizeof(struct rs_latest)),
		       ffl = rs_seqtab_footprint(c->max_instruments, sizeof(struct rs_flow));
		if (!fbar || !flt || !ffl) {
			rs_instance_close(in, true);
			return RS_ERR_SET(-EINVAL, "instance %s: invalid analytics ring slots %u", c->name, as);
		}
		if ((rc = mkseg(&in->seg_bars, c, gen, RS_SEGNAME_BARS, RS_SEG_BCAST, fbar)) ||
		    (rc = rs_bcast_init(&in->bars, in->seg_bars->body, in->seg_bars->body_size, as, 256)) ||
		    (rc = mkseg(&in->seg_latest, c, gen, RS_SEGNAME_LATEST, RS_SEG_TABLE, flt)) ||
		    (rc = rs_seqtab_init(&in->latest, in->seg_latest->body, in->seg_latest->body_size,
					 c->max_instruments, sizeof(struct rs_latest))) ||
		    (rc = mkseg(&in->seg_pressure, c, gen, RS_SEGNAME_PRESSURE, RS_SEG_BCAST, fpr)) ||
		    (rc = rs_bcast_init(&in->pressure, in->seg_pressure->body, in->seg_pressure->body_size, as, 256)) ||
		    (rc = mkseg(&in->seg_signals, c, gen, RS_SEGNAME_SIGNALS, RS_SEG_BCAST, fsig)) ||
		    (rc = rs_bcast_init(&in->signals, in->seg_signals->body, in->seg_signals->body_size, as, 256)) ||
		    (rc = mkseg(&in->seg_flow, c, gen, RS_SEGNAME_FLOW, RS_SEG_TABLE, ffl)) ||
		    (rc = rs_seqtab_init(&in->flow, in->seg_flow->body, in->seg_flow->body_size, c->max_instruments,
					 sizeof(struct rs_flow)))) {
			RS_ERR_APPEND("instance %s", c->name);
			rs_instance_close(in, true);
			return rc;
		}
	}
	if ((rc = mkseg(&in->seg_latency, c, gen, RS_SEGNAME_LATENCY, RS_SEG_RAW, sizeof(struct rs_latency_block)))) {
		RS_ERR_APPEND("instance %s", c->name);
		rs_instance_close(in, true);
		return rc;
	}
	in->latency = (struct rs_latency_block *)in->seg_latency->body;
	memset(in->latency, 0, sizeof(*in->latency));
	in->latency->bucket_count = RS_LAT_BUCKETS;
	{
		struct rs_shm_seg *s[RS_INSTANCE_NSEG];
		segs(in, s);
		in->huge = true;
		for (unsigned i = 0; i < RS_INSTANCE_NSEG; i++)
			if (s[i] && !s[i]->huge)
				in->huge = false;
	}
	*out = in;
	return 0;
}

void rs_instance_publish(struct rs_instance *in)
{
	struct rs_shm_seg *s[RS_INSTANCE_NSEG];
	segs(in, s);
	for (unsigned i = RS_INSTANCE_NSEG; i-- > 0;) /* counters last: clients anchor on it */
		if (s[i])
			rs_shm_publish(s[i]);
}

void rs_instance_heartbeat(struct rs_instance *in)
{
	struct rs_shm_seg *s[RS_INSTANCE_NSEG];
	segs(in, s);
	for (unsigned i = 0; i < RS_INSTANCE_NSEG; i++)
		if (s[i])
			rs_shm_heartbeat(s[i]);
}

void rs_instance_close(struct rs_instance *in, bool remove)
{
	if (!in)
		return;
	struct rs_shm_seg *s[RS_INSTANCE_NSEG];
	segs(in, s);
	for (unsigned i = 0; i < RS_INSTANCE_NSEG; i++) {
		if (!s[i])
			continue;
		rs_shm_mark_closed(s[i]);
		if (remove)
			rs_shm_close(s[i]);
		else
			rs_shm_detach(s[i]);
	}
	free(in);
}
