/*
 * rs_patterns.h - pattern detectors of IFD.md section 6 (HOT, static
 * inline, O(1) per event, per-instrument state of 256 bytes):
 *
 *   sweep     fills on one resting side at >= 2 distinct prices with the
 *             same ts_event (one aggressor, one packet/matching event);
 *             reported when the run ends (next event of the instrument
 *             with another ts_event or a fill on the other side, or
 *             rs_pat_sweep_end), side = the aggressor's, price = the last
 *             price reached.
 *   iceberg   per resting side: fills at a price, then an add at the same
 *             price and side within `iceberg_ns` of the last fill whose
 *             size is similar to the volume filled since the previous
 *             refill (between half and twice), >= `iceberg_min` (3) times
 *             in a row at that price; reported once per price episode
 *             (a fill at another price on that side starts a new one).
 *   layering  an add of >= large size strictly away from the touch (as the
 *             book stood before it), cancelled whole within `layering_ns`
 *             without any fill; >= `layering_min` (3) such cycles within
 *             `layering_span_ns` report one event and restart the count.
 *             The last RS_PAT_LAY_SLOTS candidates are tracked.
 *
 * Each rs_pat_* returns 1 when it filled *out (ts_emitted left 0 for the
 * caller), else 0.
 */
#ifndef RS_PATTERNS_H
#define RS_PATTERNS_H

#include <stdint.h>
#include <string.h>

#include "ringside.h"

#define RS_PAT_LAY_SLOTS 6

struct rs_pat_cfg {
	uint64_t iceberg_ns;       /* 50 ms */
	uint64_t layering_ns;      /* 500 ms */
	uint64_t layering_span_ns; /* 60 s */
	uint32_t iceberg_min;      /* 3 */
	uint32_t layering_min;     /* 3 */
};

struct rs_pat_ice {
	int64_t px;
	uint64_t filled;           /* since the last refill */
	uint64_t volume;           /* whole episode */
	uint64_t last_fill_ts, first_ts;
	uint64_t order_id;
	uint32_t refills;
	uint8_t active, reported;
	uint16_t reserved;
};

struct rs_pat_lay {
	uint64_t order_id;
	uint64_t ts;
	int64_t px;
	uint32_t size;
	char side;
	uint8_t used;
	uint16_t reserved;
};

struct rs_pat_state {
	/* sweep run */
	uint64_t sw_ts, sw_vol, sw_oid;
	int64_t sw_px, sw_first_px;
	uint16_t sw_levels;
	char sw_rside;             /* resting side of the run, 0 = none */
	uint8_t reserved0[5];
	/* iceberg per resting side (0 bid, 1 ask) */
	struct rs_pat_ice ice[2];
	/* layering */
	struct rs_pat_lay lay[RS_PAT_LAY_SLOTS];
	uint64_t lay_first_ts, lay_vol, lay_oid;
	int64_t lay_px;
	uint32_t lay_cycles;
	uint32_t lay_pos;
	char lay_side;
	uint8_t lay_mask;          /* bit i: lay[i].used (the hot checks test this byte) */
	uint8_t reserved1[6];
};

static inline void rs_pat_init(struct rs_pat_state *s)
{
	memset(s, 0, sizeof(*s));
}

static inline int rs_pat_side_idx(char side)
{
	return side == RS_SIDE_ASK;
}

static inline char rs_pat_other(char side)
{
	return side == RS_SIDE_BID ? RS_SIDE_ASK : RS_SIDE_BID;
}

/* End the current sweep run; 1 (and *out) when it took >= 2 levels. */
static inline int rs_pat_sweep_end(struct rs_pat_state *s, uint32_t id, struct rs_pattern *out)
{
	int r = 0;
	if (s->sw_rside && s->sw_levels >= 2) {
		*out = (struct rs_pattern){.instrument_id = id, .kind = RS_PAT_SWEEP,
					   .side = rs_pat_other(s->sw_rside), .levels = s->sw_levels,
					   .price = s->sw_px, .volume = s->sw_vol, .count = 1,
					   .order_id = s->sw_oid, .ts_first = s->sw_ts,
					   .ts_last = s->sw_ts};
		r = 1;
	}
	s->sw_rside = 0;
	s->sw_levels = 0;
	return r;
}

/* Any event of the instrument at ts: ends a sweep run of another ts. */
static inline int rs_pat_event(struct rs_pat_state *s, uint32_t id, uint64_t ts,
			       struct rs_pattern *out)
{
	if (s->sw_rside && ts != s->sw_ts)
		return rs_pat_sweep_end(s, id, out);
	return 0;
}

/* A fill of resting order (ev: 'F', completed price/side/size). May end
 * a sweep run (reported in *out). */
static inline int rs_pat_fill(struct rs_pat_state *s, const struct rs_pat_cfg *c, uint32_t id,
			      const struct rs_event *ev, struct rs_pattern *out)
{
	(void)c;
	char rs = ev->mbo.side;
	if (rs != RS_SIDE_BID && rs != RS_SIDE_ASK)
		return 0;
	uint64_t ts = ev->mbo.hd.ts_event;
	int64_t px = ev->mbo.price;
	uint32_t q = ev->mbo.size;
	int r = 0;

	/* sweep */
	if (s->sw_rside && (ts != s->sw_ts || rs != s->sw_rside))
		r = rs_pat_sweep_end(s, id, out);
	if (!s->sw_rside) {
		s->sw_rside = rs;
		s->sw_ts = ts;
		s->sw_levels = 1;
		s->sw_px = s->sw_first_px = px;
		s->sw_vol = 0;
		s->sw_oid = ev->mbo.order_id;
	} else if (px != s->sw_px) {
		s->sw_levels++;
		s->sw_px = px;
	}
	s->sw_vol += q;

	/* iceberg */
	struct rs_pat_ice *ic = &s->ice[rs_pat_side_idx(rs)];
	if (!ic->active || ic->px != px) {
		*ic = (struct rs_pat_ice){.px = px, .first_ts = ts, .active = 1};
	}
	ic->filled += q;
	ic->volume += q;
	ic->last_fill_ts = ts;
	ic->order_id = ev->mbo.order_id;

	/* layering: a candidate that trades is not layering */
	if (s->lay_mask)
		for (int i = 0; i < RS_PAT_LAY_SLOTS; i++)
			if (s->lay[i].used && s->lay[i].order_id == ev->mbo.order_id) {
				s->lay[i].used = 0;
				s->lay_mask &= (uint8_t)~(1u << i);
			}
	return r;
}

/* An add. away = the price is strictly behind the touch of its side as
 * the book stood before it; large = size >= the large-trade size. */
static inline int rs_pat_add(struct rs_pat_state *s, const struct rs_pat_cfg *c, uint32_t id,
			     const struct rs_event *ev, int away, int large, struct rs_pattern *out)
{
	char side = ev->mbo.side;
	if (side != RS_SIDE_BID && side != RS_SIDE_ASK)
		return 0;
	uint64_t ts = ev->mbo.hd.ts_event;
	uint32_t q = ev->mbo.size;
	int r = 0;

	struct rs_pat_ice *ic = &s->ice[rs_pat_side_idx(side)];
	if (ic->active && ic->px == ev->mbo.price && ic->filled &&
	    ts - ic->last_fill_ts <= c->iceberg_ns && 2 * (uint64_t)q >= ic->filled &&
	    (uint64_t)q <= 2 * ic->filled) {
		ic->refills++;
		ic->filled = 0;
		if (ic->refills >= c->iceberg_min && !ic->reported) {
			ic->reported = 1;
			*out = (struct rs_pattern){.instrument_id = id, .kind = RS_PAT_ICEBERG,
						   .side = side, .price = ic->px, .volume = ic->volume,
						   .count = ic->refills, .order_id = ev->mbo.order_id,
						   .ts_first = ic->first_ts, .ts_last = ts};
			r = 1;
		}
	}
	if (away && large) {
		struct rs_pat_lay *l = &s->lay[s->lay_pos];
		s->lay_mask |= (uint8_t)(1u << s->lay_pos);
		s->lay_pos = (s->lay_pos + 1) % RS_PAT_LAY_SLOTS;
		*l = (struct rs_pat_lay){.order_id = ev->mbo.order_id, .ts = ts, .px = ev->mbo.price,
					 .size = q, .side = side, .used = 1};
	}
	return r;
}

/* 1 when order_id is a layering candidate. */
static inline int rs_pat_lay_watched(const struct rs_pat_state *s, uint64_t order_id)
{
	int r = 0;
	if (!s->lay_mask)
		return 0;
	for (int i = 0; i < RS_PAT_LAY_SLOTS; i++)
		r |= s->lay[i].used && s->lay[i].order_id == order_id;
	return r;
}

/* A cancel (not the book side of an execution). whole = the order is gone. */
static inline int rs_pat_cancel(struct rs_pat_state *s, const struct rs_pat_cfg *c, uint32_t id,
				const struct rs_event *ev, int whole, struct rs_pattern *out)
{
	for (int i = 0; i < RS_PAT_LAY_SLOTS; i++) {
		struct rs_pat_lay *l = &s->lay[i];
		if (!l->used || l->order_id != ev->mbo.order_id)
			continue;
		uint64_t ts = ev->mbo.hd.ts_event;
		if (!whole)
			return 0; /* partially pulled: keep watching it */
		l->used = 0;
		s->lay_mask &= (uint8_t)~(1u << i);
		if (ts - l->ts > c->layering_ns)
			return 0;
		if (!s->lay_cycles || ts - s->lay_first_ts > c->layering_span_ns) {
			s->lay_cycles = 0;
			s->lay_first_ts = l->ts;
			s->lay_vol = 0;
		}
		s->lay_cycles++;
		s->lay_vol += l->size;
		s->lay_px = l->px;
		s->lay_side = l->side;
		s->lay_oid = l->order_id;
		if (s->lay_cycles >= c->layering_min) {
			*out = (struct rs_pattern){.instrument_id = id, .kind = RS_PAT_LAYERING,
						   .side = s->lay_side, .price = s->lay_px,
						   .volume = s->lay_vol, .count = s->lay_cycles,
						   .order_id = s->lay_oid, .ts_first = s->lay_first_ts,
						   .ts_last = ts};
			s->lay_cycles = 0;
			return 1;
		}
		return 0;
	}
	return 0;
}

#endif
