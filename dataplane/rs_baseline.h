/*
 * rs_baseline.h - per instrument, window length and time-of-day bucket
 * baselines of the pressure metrics over the last `days` sessions
 * (IFD.md section 3), the session calendar, and the statistics helpers
 * (mean, sample sd, median, MAD). COLD: built between sessions, read on
 * the handler core through rs_baseline_stat() (a pointer, no search).
 *
 * Metrics (RS_BL_*): vi, ofi / avg_depth, buy + sell volume, large trade
 * count (buy + sell), and buy + sell volume of the non-empty windows.
 *
 * Populations (the reading of IFD.md section 3 this code implements). A
 * window without aggressor volume (buy + sell = 0: "empty" here, even if it
 * had adds or cancels) carries no information about vi - vi is 0 there by
 * definition, for reporting only. So the statistics of vi, ofi / avg_depth
 * and VOLNE are taken over the NON-EMPTY windows of the bucket (count
 * `ne`), while volume and large-trade count are taken over ALL windows of
 * the bucket (count `n`, empty windows contributing 0). The default
 * min_volume of the decision is the median of VOLNE (the typical volume of
 * a window that traded at all).
 *
 * Buckets. A window [k W, (k+1) W) belongs to bucket
 * (start - session open) / B_W with B_W = max(W, bucket_ns) (bucket_ns
 * default 300 s: 78 buckets in a 6.5 h US equity session). For W >= B_W a
 * bucket holds one window per session and the statistics are exactly
 * those of IFD.md over the last `days` values. Shorter windows (1 s, 1 min)
 * pool the bucket's windows: each session keeps per metric the count,
 * mean and M2 of its windows (mean and sd over all pooled windows are
 * exact) and their median and MAD; the baseline median is the median of
 * the session medians and the MAD the median of the session MADs. This
 * bounds memory (a per-second exact baseline would be 23,400 buckets x 20
 * sessions per instrument) while keeping the robust statistics robust.
 *
 * Instruments are keyed by symbol (instrument ids such as ITCH stock
 * locates change between days); "#<id>" when no symbol is known.
 *
 * Ring: per instrument `days` session slots; adding a session whose date
 * is already there replaces that slot (re-running a build is idempotent),
 * otherwise the oldest slot is reused. The session being analysed is never
 * in the baseline the engine uses: it is added after the session ends.
 */
#ifndef RS_BASELINE_H
#define RS_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#define RS_BL_VI    0
#define RS_BL_OFI   1 /* ofi / avg_depth */
#define RS_BL_VOL   2 /* buy + sell volume */
#define RS_BL_LARGE 3 /* large_buy + large_sell trades */
#define RS_BL_VOLNE 4 /* buy + sell volume of windows with buy + sell > 0 */
#define RS_BL_METRICS 5
/* 1 when metric m is taken over the non-empty windows only (count ne). */
#define RS_BL_NONEMPTY(m) ((m) == RS_BL_VI || (m) == RS_BL_OFI || (m) == RS_BL_VOLNE)
#define RS_BL_MAX_WIN 3
#define RS_BL_KEY 24
#define RS_BL_MAX_DAYS 256
#define RS_BL_MAX_BUCKETS 100000  /* per window (a week of 1 s buckets fits) */

/* ---- statistics helpers (exact, double precision) ---- */

/* Mean and sample standard deviation (n - 1; 0 when n < 2). */
void rs_stats_mean_sd(const double *v, size_t n, double *mean, double *sd);
/* Median (mean of the two middle values for even n; 0 for n = 0).
 * Reorders v (quickselect, no allocation). */
double rs_stats_median(double *v, size_t n);
/* Median absolute deviation from `med` (not scaled). Overwrites v. */
double rs_stats_mad(double *v, size_t n, double med);
/* The same over v[0..n) plus `zeros` values 0 (all v >= 0 not required).
 * Reorder / overwrite v like the two above; O(n), whatever `zeros` is. */
double rs_stats_median_z(double *v, size_t n, size_t zeros);
double rs_stats_mad_z(double *v, size_t n, size_t zeros, double med);

/* ---- session calendar ---- */

struct rs_session_cal {
	int64_t tz_offset_ns;       /* local = UTC + offset (default -5 h) */
	uint32_t open_min, close_min; /* minutes after local midnight (570, 960) */
	uint8_t days;               /* bit 0 = Sunday .. bit 6 = Saturday (0x3e) */
	uint32_t nholidays;
	uint32_t holidays[64];      /* yyyymmdd */
};

void rs_session_cal_default(struct rs_session_cal *c);
/* Local date (yyyymmdd) of a UNIX ns time. */
uint32_t rs_session_date(const struct rs_session_cal *c, uint64_t ts);
/* 1 when yyyymmdd is a trading day (weekday in days, not a holiday). */
int rs_session_is_day(const struct rs_session_cal *c, uint32_t yyyymmdd);
/* Offset of ts from the session open of its local day when ts lies in
 * [open, close) of a trading day: 0 and *off set; else -1. */
int rs_session_offset(const struct rs_session_cal *c, uint64_t ts, uint64_t *off);
/* Session length in ns. */
static inline uint64_t rs_session_len(const struct rs_session_cal *c)
{
	return c->close_min > c->open_min ? (uint64_t)(c->close_min - c->open_min) * 60000000000ull : 0;
}

/* ---- baseline geometry and records ---- */

struct rs_bl_geom {
	uint32_t nwin;
	uint32_t days;              /* baseline_days (20) */
	uint64_t window_ns[RS_BL_MAX_WIN];
	uint64_t bucket_ns;         /* minimum bucket length (default 300 s) */
	uint64_t session_ns;        /* session length */
	/* derived by rs_bl_geom_derive() */
	uint64_t blen[RS_BL_MAX_WIN];     /* bucket length of window w */
	uint32_t nbuckets[RS_BL_MAX_WIN]; /* <= RS_BL_MAX_BUCKETS */
	uint32_t off[RS_BL_MAX_WIN];      /* first cell of window w */
	uint32_t ncells;                  /* sum of nbuckets */
	uint32_t per_bucket[RS_BL_MAX_WIN]; /* windows per bucket (blen / W) */
};

/* Fill the derived fields; -EINVAL when a window is 0, not dividing the
 * bucket, more than RS_BL_MAX_WIN windows, days out of 1..RS_BL_MAX_DAYS. */
int rs_bl_geom_derive(struct rs_bl_geom *g);
/* 1 when both describe the same layout. */
int rs_bl_geom_equal(const struct rs_bl_geom *a, const struct rs_bl_geom *b);

/* One session's summary of one bucket (88 bytes; also the file layout,
 * little-endian). n = 0: no data that session. n = windows of the bucket,
 * ne = those with buy + sell > 0 (see Populations above). */
struct rs_bl_cell {
	uint32_t n, ne;
	float mean[RS_BL_METRICS], m2[RS_BL_METRICS], med[RS_BL_METRICS], mad[RS_BL_METRICS];
};
_Static_assert(sizeof(struct rs_bl_cell) == 88, "cell layout");

/* Summarize one metric into cell (mean, m2, median, MAD) from the values v
 * of its non-empty windows plus `zeros` empty windows (value 0; only for
 * RS_BL_VOL / RS_BL_LARGE, 0 for the others). Sets cell->ne = n for a
 * non-empty-window metric, cell->n = n + zeros for the others (and raises
 * n to at least ne). v is reordered. */
void rs_bl_cell_set_z(struct rs_bl_cell *c, int metric, double *v, size_t n, size_t zeros);
/* rs_bl_cell_set_z(c, metric, v, n, 0). */
void rs_bl_cell_set(struct rs_bl_cell *c, int metric, double *v, size_t n);
/* A whole cell from ne rows of RS_BL_ROW floats {vi, ofi/depth, volume,
 * large} (the non-empty windows) and n >= ne windows in all; scratch holds
 * >= ne doubles. */
#define RS_BL_ROW 4
void rs_bl_cell_from_rows(struct rs_bl_cell *c, const float *rows, uint32_t ne, uint32_t n,
			  double *scratch);

/* Statistics of one (instrument, window, bucket) used by the decision. */
struct rs_bl_stat {
	double mean[RS_BL_METRICS], sd[RS_BL_METRICS], med[RS_BL_METRICS], mad[RS_BL_METRICS];
	uint32_t samples;           /* sessions with a non-empty window in this bucket
				       (the vi statistics' sessions: maturity) */
	uint32_t sessions;          /* sessions with any data in this bucket */
};

struct rs_bl_inst {
	char key[RS_BL_KEY];        /* symbol or "#id", NUL padded */
	uint32_t instrument_id;     /* last seen (informational) */
	uint32_t nsess;             /* sessions held (<= days) */
	uint32_t head;              /* next slot to reuse */
	uint32_t large_size;        /* median of the sessions' trade-size p95, 0 = unknown */
	uint32_t *dates;            /* [days] yyyymmdd, 0 = empty slot */
	float *p95;                 /* [days] trade-size p95 of the session, 0 = none */
	struct rs_bl_cell *cells;   /* [ncells][days] */
	struct rs_bl_stat *stats;   /* [ncells] */
};

struct rs_baseline {
	struct rs_bl_geom g;
	uint32_t ninst, cap;
	struct rs_bl_inst *inst;
	uint32_t *hash;             /* open addressing, inst index + 1; hcap slots */
	uint32_t hcap;
};

/* Empty baseline with geometry g (derived here). -EINVAL / -ENOMEM. */
int rs_baseline_create(struct rs_baseline **out, const struct rs_bl_geom *g);
void rs_baseline_destroy(struct rs_baseline *bl);
/* Key of an instrument: the symbol (trimmed) or "#id". */
void rs_baseline_key(char key[RS_BL_KEY], const char *symbol, uint32_t instrument_id);
const struct rs_bl_inst *rs_baseline_find(const struct rs_baseline *bl, const char *key);
/* Find or create (cold). NULL on ENOMEM. */
struct rs_bl_inst *rs_baseline_get(struct rs_baseline *bl, const char *key, uint32_t instrument_id);
/* Add (or replace, same date) one instrument's session: cells[ncells]
 * (n = 0 where there was no data), trade-size p95 (0 = no trades).
 * Recomputes that instrument's statistics. 0 / -ENOMEM / -EINVAL. */
int rs_baseline_add(struct rs_baseline *bl, const char *key, uint32_t instrument_id, uint32_t date,
		    float p95, const struct rs_bl_cell *cells);
/* Recompute stats and large_size of one instrument from its cells. */
void rs_baseline_recompute(const struct rs_baseline *bl, struct rs_bl_inst *in);
/* Statistics of instrument in, window w, bucket b (NULL if out of range). */
static inline const struct rs_bl_stat *rs_baseline_stat(const struct rs_baseline *bl,
							 const struct rs_bl_inst *in, uint32_t w,
							 uint32_t b)
{
	if (!in || w >= bl->g.nwin || b >= bl->g.nbuckets[w])
		return NULL;
	return &in->stats[bl->g.off[w] + b];
}
/* Sessions (distinct dates) held over all instruments. */
uint32_t rs_baseline_sessions(const struct rs_baseline *bl);

#endif
