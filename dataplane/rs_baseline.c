/* rs_baseline.c - baselines and session calendar (COLD; see rs_baseline.h). */
#include "rs_baseline.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_err.h"

/* ---------------------------------------------------------------- stats */

void rs_stats_mean_sd(const double *v, size_t n, double *mean, double *sd)
{
	double m = 0, m2 = 0;
	/* Welford: stable for the small spreads of vi */
	for (size_t i = 0; i < n; i++) {
		double d = v[i] - m;
		m += d / (double)(i + 1);
		m2 += d * (v[i] - m);
	}
	*mean = n ? m : 0.0;
	*sd = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
}

/* k-th smallest (0-based): iterative quickselect with a three-way
 * partition (runs of equal values - empty windows - stay linear), pivot
 * = median of three; no allocation. */
static double select_k(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n; /* [lo, hi) */
	while (hi - lo > 1) {
		double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi - 1];
		double p = (a < b) ? ((b < c) ? b : (a < c ? c : a)) : ((a < c) ? a : (b < c ? c : b));
		size_t lt = lo, i = lo, gt = hi; /* [lo,lt) < p, [lt,i) == p, [gt,hi) > p */
		while (i < gt) {
			double x = v[i];
			if (x < p) {
				v[i++] = v[lt];
				v[lt++] = x;
			} else if (x > p) {
				v[i] = v[--gt];
				v[gt] = x;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return p;
	}
	return v[k];
}

double rs_stats_median(double *v, size_t n)
{
	if (n == 0)
		return 0.0;
	double hi = select_k(v, n, n / 2);
	if (n & 1)
		return hi;
	/* the lower middle is the maximum of the part left of n/2 */
	double lo = v[0];
	for (size_t i = 1; i < n / 2; i++)
		if (v[i] > lo)
			lo = v[i];
	return (lo + hi) / 2.0;
}

double rs_stats_mad(double *v, size_t n, double med)
{
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - med);
	return rs_stats_median(v, n);
}

/* k-th smallest (0-based) of v[0..n) plus z copies of c: the copies sit
 * after the values < c, so only v needs a selection. */
static double kth_c(double *v, size_t n, double c, size_t z, size_t k)
{
	size_t lt = 0;
	for (size_t i = 0; i < n; i++)
		lt += v[i] < c;
	if (k < lt)
		return select_k(v, n, k);
	if (k < lt + z)
		return c;
	return select_k(v, n, k - z);
}

static double median_c(double *v, size_t n, double c, size_t z)
{
	size_t N = n + z;
	if (N == 0)
		return 0.0;
	if (z == 0)
		return rs_stats_median(v, n);
	double hi = kth_c(v, n, c, z, N / 2);
	if (N & 1)
		return hi;
	return (kth_c(v, n, c, z, N / 2 - 1) + hi) / 2.0;
}

double rs_stats_median_z(double *v, size_t n, size_t zeros)
{
	return median_c(v, n, 0.0, zeros);
}

double rs_stats_mad_z(double *v, size_t n, size_t zeros, double med)
{
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - med);
	return median_c(v, n, fabs(med), zeros);
}

void rs_bl_cell_set_z(struct rs_bl_cell *c, int metric, double *v, size_t n, size_t zeros)
{
	/* Welford over the values, then the zeros as a second group (mean 0,
	 * M2 0): M2 = M2_v + n z / N * mean_v^2 */
	double m = 0, m2 = 0;
	for (size_t i = 0; i < n; i++) {
		double d = v[i] - m;
		m += d / (double)(i + 1);
		m2 += d * (v[i] - m);
	}
	size_t N = n + zeros;
	double mean = N ? m * (double)n / (double)N : 0.0;
	if (N && zeros)
		m2 += (double)n * (double)zeros / (double)N * m * m;
	c->mean[metric] = (float)mean;
	c->m2[metric] = (float)(N > 1 ? m2 : 0.0);
	double med = median_c(v, n, 0.0, zeros);
	c->med[metric] = (float)med;
	c->mad[metric] = (float)rs_stats_mad_z(v, n, zeros, med);
	if (RS_BL_NONEMPTY(metric))
		c->ne = (uint32_t)n;
	else
		c->n = (uint32_t)N;
	if (c->n < c->ne)
		c->n = c->ne;
}

void rs_bl_cell_set(struct rs_bl_cell *c, int metric, double *v, size_t n)
{
	rs_bl_cell_set_z(c, metric, v, n, 0);
}

void rs_bl_cell_from_rows(struct rs_bl_cell *c, const float *rows, uint32_t ne, uint32_t n,
			  double *scratch)
{
	static const int col_metric[RS_BL_ROW] = {RS_BL_VI, RS_BL_OFI, RS_BL_VOL, RS_BL_LARGE};
	if (n < ne)
		n = ne;
	for (int k = 0; k <= RS_BL_ROW; k++) {
		int col = k < RS_BL_ROW ? k : 2; /* VOLNE: the volume column again */
		int m = k < RS_BL_ROW ? col_metric[k] : RS_BL_VOLNE;
		for (uint32_t j = 0; j < ne; j++)
			scratch[j] = rows[(size_t)j * RS_BL_ROW + (size_t)col];
		rs_bl_cell_set_z(c, m, scratch, ne, RS_BL_NONEMPTY(m) ? 0 : n - ne);
	}
	c->n = n;
	c->ne = ne;
}

/* ---------------------------------------------------------------- calendar */

void rs_session_cal_default(struct rs_session_cal *c)
{
	memset(c, 0, sizeof(*c));
	c->tz_offset_ns = -5LL * 3600 * 1000000000LL;
	c->open_min = 9 * 60 + 30;
	c->close_min = 16 * 60;
	c->days = 0x3e;
}

#define NS_DAY 86400000000000LL

static int64_t local_days(const struct rs_session_cal *c, uint64_t ts, int64_t *tod)
{
	int64_t l = (int64_t)ts + c->tz_offset_ns;
	int64_t d = l / NS_DAY;
	if (l % NS_DAY < 0)
		d--;
	if (tod)
		*tod = l - d * NS_DAY;
	return d;
}

/* days since 1970-01-01 -> civil date (Howard Hinnant's algorithm) */
static uint32_t civil(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return (uint32_t)(y * 10000 + m * 100 + d);
}

static int64_t days_from_civil(uint32_t ymd)
{
	int64_t y = ymd / 10000, m = (ymd / 100) % 100, d = ymd % 100;
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

uint32_t rs_session_date(const struct rs_session_cal *c, uint64_t ts)
{
	return civil(local_days(c, ts, NULL));
}

int rs_session_is_day(const struct rs_session_cal *c, uint32_t ymd)
{
	int64_t z = days_from_civil(ymd);
	int wd = (int)(((z % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	if (!(c->days & (1u << wd)))
		return 0;
	for (uint32_t i = 0; i < c->nholidays && i < 64; i++)
		if (c->holidays[i] == ymd)
			return 0;
	return 1;
}

int rs_session_offset(const struct rs_session_cal *c, uint64_t ts, uint64_t *off)
{
	int64_t tod;
	int64_t d = local_days(c, ts, &tod);
	int64_t open = (int64_t)c->open_min * 60000000000LL, close = (int64_t)c->close_min * 60000000000LL;
	if (tod < open || tod >= close)
		return -1;
	if (!rs_session_is_day(c, civil(d)))
		return -1;
	*off = (uint64_t)(tod - open);
	return 0;
}

/* ---------------------------------------------------------------- geometry */

int rs_bl_geom_derive(struct rs_bl_geom *g)
{
	if (g->nwin == 0 || g->nwin > RS_BL_MAX_WIN)
		return RS_ERR_SET(-EINVAL, "baseline: %u windows (1..%d)", g->nwin, RS_BL_MAX_WIN);
	if (g->days == 0 || g->days > RS_BL_MAX_DAYS)
		return RS_ERR_SET(-EINVAL, "baseline: baseline_days %u (1..%d)", g->days, RS_BL_MAX_DAYS);
	if (g->session_ns == 0)
		return RS_ERR_SET(-EINVAL, "baseline: empty session (open >= close)");
	uint32_t off = 0;
	for (uint32_t w = 0; w < g->nwin; w++) {
		uint64_t W = g->window_ns[w];
		if (W == 0)
			return RS_ERR_SET(-EINVAL, "baseline: window %u is 0", w);
		uint64_t bl = g->bucket_ns > W ? g->bucket_ns : W;
		if (bl % W)
			return RS_ERR_SET(-EINVAL, "baseline: window %llu ns does not divide bucket %llu ns",
					  (unsigned long long)W, (unsigned long long)bl);
		uint64_t nb = g->session_ns / bl + (g->session_ns % bl != 0);
		if (nb > RS_BL_MAX_BUCKETS || bl / W > RS_BL_MAX_BUCKETS)
			return RS_ERR_SET(-EINVAL, "baseline: window %llu ns: more than %d buckets or "
					  "windows per bucket", (unsigned long long)W, RS_BL_MAX_BUCKETS);
		g->blen[w] = bl;
		g->per_bucket[w] = (uint32_t)(bl / W);
		g->nbuckets[w] = (uint32_t)nb;
		g->off[w] = off;
		off += g->nbuckets[w];
	}
	for (uint32_t w = g->nwin; w < RS_BL_MAX_WIN; w++) {
		g->window_ns[w] = g->blen[w] = 0;
		g->nbuckets[w] = g->per_bucket[w] = 0;
		g->off[w] = off;
	}
	g->ncells = off;
	return 0;
}

int rs_bl_geom_equal(const struct rs_bl_geom *a, const struct rs_bl_geom *b)
{
	if (a->nwin != b->nwin || a->days != b->days || a->bucket_ns != b->bucket_ns ||
	    a->session_ns != b->session_ns)
		return 0;
	for (uint32_t w = 0; w < a->nwin; w++)
		if (a->window_ns[w] != b->window_ns[w])
			return 0;
	return 1;
}

/* ---------------------------------------------------------------- store */

int rs_baseline_create(struct rs_baseline **out, const struct rs_bl_geom *g)
{
	struct rs_baseline *bl = calloc(1, sizeof(*bl));
	if (!bl)
		return RS_ERR_SET(-ENOMEM, "baseline: out of memory");
	bl->g = *g;
	int rc = rs_bl_geom_derive(&bl->g);
	if (rc) {
		free(bl);
		return rc;
	}
	*out = bl;
	return 0;
}

static void inst_free(struct rs_bl_inst *in)
{
	free(in->dates);
	free(in->p95);
	free(in->cells);
	free(in->stats);
}

void rs_baseline_destroy(struct rs_baseline *bl)
{
	if (!bl)
		return;
	for (uint32_t i = 0; i < bl->ninst; i++)
		inst_free(&bl->inst[i]);
	free(bl->inst);
	free(bl->hash);
	free(bl);
}

void rs_baseline_key(char key[RS_BL_KEY], const char *symbol, uint32_t id)
{
	memset(key, 0, RS_BL_KEY);
	size_t n = 0;
	if (symbol) {
		while (n < RS_BL_KEY - 1 && symbol[n] && symbol[n] != ' ')
			n++;
	}
	if (n)
		memcpy(key, symbol, n);
	else
		snprintf(key, RS_BL_KEY, "#%u", id);
}

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < RS_BL_KEY && k[i]; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h;
}

const struct rs_bl_inst *rs_baseline_find(const struct rs_baseline *bl, const char *key)
{
	if (!bl || !bl->hcap)
		return NULL;
	uint32_t m = bl->hcap - 1;
	for (uint32_t h = key_hash(key) & m;; h = (h + 1) & m) {
		uint32_t v = bl->hash[h];
		if (!v)
			return NULL;
		if (!strncmp(bl->inst[v - 1].key, key, RS_BL_KEY))
			return &bl->inst[v - 1];
	}
}

static int rehash(struct rs_baseline *bl, uint32_t cap)
{
	uint32_t *h = calloc(cap, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (uint32_t i = 0; i < bl->ninst; i++) {
		uint32_t s = key_hash(bl->inst[i].key) & (cap - 1);
		while (h[s])
			s = (s + 1) & (cap - 1);
		h[s] = i + 1;
	}
	free(bl->hash);
	bl->hash = h;
	bl->hcap = cap;
	return 0;
}

struct rs_bl_inst *rs_baseline_get(struct rs_baseline *bl, const char *key, uint32_t id)
{
	const struct rs_bl_inst *f = rs_baseline_find(bl, key);
	if (f)
		return (struct rs_bl_inst *)f;
	if (bl->ninst == bl->cap) {
		uint32_t cap = bl->cap ? bl->cap * 2 : 64;
		struct rs_bl_inst *n = realloc(bl->inst, cap * sizeof(*n));
		if (!n)
			return NULL;
		bl->inst = n;
		bl->cap = cap;
	}
	if ((bl->ninst + 1) * 2 > bl->hcap && rehash(bl, bl->hcap ? bl->hcap * 2 : 128))
		return NULL;
	struct rs_bl_inst *in = &bl->inst[bl->ninst];
	memset(in, 0, sizeof(*in));
	/* key may be a short string: copy up to its NUL, zero the rest */
	size_t kl = strnlen(key, RS_BL_KEY - 1);
	memcpy(in->key, key, kl);
	in->instrument_id = id;
	uint32_t d = bl->g.days, nc = bl->g.ncells;
	in->dates = calloc(d, sizeof(*in->dates));
	in->p95 = calloc(d, sizeof(*in->p95));
	in->cells = calloc((size_t)nc * d, sizeof(*in->cells));
	in->stats = calloc(nc, sizeof(*in->stats));
	if (!in->dates || !in->p95 || !in->cells || !in->stats) {
		inst_free(in);
		return NULL;
	}
	bl->ninst++;
	uint32_t s = key_hash(in->key) & (bl->hcap - 1);
	while (bl->hash[s])
		s = (s + 1) & (bl->hcap - 1);
	bl->hash[s] = bl->ninst;
	return in;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

void rs_baseline_recompute(const struct rs_baseline *bl, struct rs_bl_inst *in)
{
	uint32_t D = bl->g.days;
	double v[RS_BL_MAX_DAYS], w[RS_BL_MAX_DAYS];
	double mean[RS_BL_MAX_DAYS];
	for (uint32_t c = 0; c < bl->g.ncells; c++) {
		const struct rs_bl_cell *cs = &in->cells[(size_t)c * D];
		struct rs_bl_stat *st = &in->stats[c];
		memset(st, 0, sizeof(*st));
		for (uint32_t d = 0; d < D; d++) {
			if (!in->dates[d])
				continue;
			st->sessions += cs[d].n > 0;
			st->samples += cs[d].ne > 0;
		}
		if (!st->sessions)
			continue;
		for (int m = 0; m < RS_BL_METRICS; m++) {
			/* each metric over its own population: ne (non-empty
			 * windows) or n (all windows) per session */
			int ne = RS_BL_NONEMPTY(m);
			double sum = 0;
			uint64_t N = 0;
			uint32_t j = 0, all_one = 1;
			for (uint32_t d = 0; d < D; d++) {
				uint32_t k = ne ? cs[d].ne : cs[d].n;
				if (!in->dates[d] || !k)
					continue;
				N += k;
				all_one &= k == 1;
				sum += (double)k * cs[d].mean[m];
				mean[j] = cs[d].mean[m];
				v[j] = cs[d].med[m];
				w[j] = cs[d].mad[m];
				j++;
			}
			if (!j)
				continue;
			/* pooled mean and M2 (exact over all windows) */
			double mu = sum / (double)N, m2 = 0;
			uint32_t jj = 0;
			for (uint32_t d = 0; d < D; d++) {
				uint32_t k = ne ? cs[d].ne : cs[d].n;
				if (!in->dates[d] || !k)
					continue;
				double dm = mean[jj++] - mu;
				m2 += cs[d].m2[m] + (double)k * dm * dm;
			}
			st->mean[m] = mu;
			st->sd[m] = N > 1 && m2 > 0 ? sqrt(m2 / (double)(N - 1)) : 0.0;
			if (all_one) {
				/* one window per session: exact median and MAD of the values */
				double md = rs_stats_median(v, j);
				st->med[m] = md;
				st->mad[m] = rs_stats_mad(v, j, md);
			} else {
				st->med[m] = rs_stats_median(v, j);
				st->mad[m] = rs_stats_median(w, j);
			}
		}
	}
	/* large-trade size: median of the sessions' p95 */
	float p[RS_BL_MAX_DAYS];
	uint32_t np = 0;
	for (uint32_t d = 0; d < D; d++)
		if (in->dates[d] && in->p95[d] > 0)
			p[np++] = in->p95[d];
	in->large_size = 0;
	if (np) {
		qsort(p, np, sizeof(p[0]), cmp_float);
		double med = (np & 1) ? p[np / 2] : (p[np / 2 - 1] + p[np / 2]) / 2.0;
		in->large_size = (uint32_t)llround(med);
	}
	in->nsess = 0;
	for (uint32_t d = 0; d < D; d++)
		in->nsess += in->dates[d] != 0;
}

int rs_baseline_add(struct rs_baseline *bl, const char *key, uint32_t id, uint32_t date, float p95,
		    const struct rs_bl_cell *cells)
{
	if (!date)
		return RS_ERR_SET(-EINVAL, "baseline: session date 0");
	struct rs_bl_inst *in = rs_baseline_get(bl, key, id);
	if (!in)
		return RS_ERR_SET(-ENOMEM, "baseline: out of memory");
	uint32_t D = bl->g.days, slot = UINT32_MAX;
	for (uint32_t d = 0; d < D; d++)
		if (in->dates[d] == date)
			slot = d;
	if (slot == UINT32_MAX) {
		/* the oldest date goes (slots are not kept in date order when
		 * sessions arrive out of order) */
		uint32_t oldest = 0;
		for (uint32_t d = 0; d < D; d++) {
			if (!in->dates[d]) {
				oldest = d;
				break;
			}
			if (in->dates[d] < in->dates[oldest])
				oldest = d;
		}
		slot = oldest;
		if (in->dates[slot] && in->dates[slot] > date)
			return 0; /* older than everything held: not part of the last `days` */
	}
	in->instrument_id = id;
	in->dates[slot] = date;
	in->p95[slot] = p95;
	in->head = (slot + 1) % D;
	for (uint32_t c = 0; c < bl->g.ncells; c++)
		in->cells[(size_t)c * D + slot] = cells[c];
	rs_baseline_recompute(bl, in);
	return 0;
}

uint32_t rs_baseline_sessions(const struct rs_baseline *bl)
{
	/* distinct dates over all instruments (small: days x instruments) */
	uint32_t seen[RS_BL_MAX_DAYS * 4], n = 0;
	for (uint32_t i = 0; bl && i < bl->ninst; i++)
		for (uint32_t d = 0; d < bl->g.days; d++) {
			uint32_t x = bl->inst[i].dates[d], j;
			if (!x)
				continue;
			for (j = 0; j < n && seen[j] != x; j++)
				;
			if (j == n && n < RS_BL_MAX_DAYS * 4)
				seen[n++] = x;
		}
	return n;
}
