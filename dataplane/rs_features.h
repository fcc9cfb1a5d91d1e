/*
 * rs_features.h - bar features (SMA, EMA, Wilder RSI, realized volatility)
 * over the closes of one instrument at one interval (HOT, header-only).
 *
 * The one implementation: rs_analytics calls rs_feat_add() for every bar
 * it closes (with a close), live or batch, and rs_feat_fill() when the
 * bar's record is built; definitions in rs_analytics.h. Per series the
 * caller provides two rings: int64 closes[sma_len] and double
 * rets[rvol_len]. The SMA keeps an exact integer running sum; the realized
 * volatility's sum of squares is recomputed from the ring (O(len) per bar,
 * never per event) whenever the window changed, so there is no
 * floating-point drift and the result depends only on the sequence of
 * closes.
 *
 * Cost: most closes are empty bars (close = previous close). Those skip
 * what provably does not change: the SMA ring and sum once the last sma_len
 * closes are equal, the returns ring once the last rvol_len returns are 0,
 * the Wilder averages once both are 0, the EMA once it stopped moving.
 * Everything that is computed is computed with the same expressions in the
 * same order, so the outputs are bit for bit those of the plain definition.
 */
#ifndef RS_FEATURES_H
#define RS_FEATURES_H

#include <math.h>
#include <stdint.h>

#include "ringside.h"

struct rs_feat_cfg {
	uint32_t sma_len, ema_len, rsi_len, rvol_len;
	double alpha;        /* 2 / (ema_len + 1), set by rs_feat_cfg_init */
};

static inline void rs_feat_cfg_init(struct rs_feat_cfg *c, uint32_t sma_len, uint32_t ema_len,
				    uint32_t rsi_len, uint32_t rvol_len)
{
	c->sma_len = sma_len;
	c->ema_len = ema_len;
	c->rsi_len = rsi_len;
	c->rvol_len = rvol_len;
	c->alpha = 2.0 / ((double)ema_len + 1.0);
}

/* State of one series (rs_feat_init). The first 48 bytes are all an
 * unchanged close touches once the series is steady (rs_feat_repeat). */
struct rs_feat {
	int64_t prev_close;  /* RS_UNDEF_PRICE before the first close */
	double ema;
	double avg_gain, avg_loss; /* sums while nchanges < rsi_len, then Wilder averages */
	uint32_t ncloses;    /* closes seen */
	uint32_t nchanges;   /* close-to-close changes seen */
	uint8_t steady;      /* the windows hold one close and only zero returns (rs_feat_repeat) */
	uint8_t ema_fixed;   /* the EMA stopped moving at this close */
	uint8_t reserved[6];
	__int128 sum;        /* sum of the closes in the SMA ring (exact) */
	double ss;           /* sum of squares of the returns ring (see rs_feat_close) */
	double sma, rvol;    /* last outputs (unchanged when the window did not change) */
	uint32_t cpos, rpos; /* ring positions: ncloses % sma_len, nchanges % rvol_len */
	uint32_t same;       /* trailing closes equal to the last one, saturating at sma_len */
	uint32_t zrun;       /* trailing zero returns, saturating at rvol_len */
};

static inline void rs_feat_init(struct rs_feat *f)
{
	f->prev_close = RS_UNDEF_PRICE;
	f->ema = 0;
	f->avg_gain = f->avg_loss = 0;
	f->ncloses = f->nchanges = 0;
	f->steady = f->ema_fixed = 0;
	for (int i = 0; i < 6; i++)
		f->reserved[i] = 0;
	f->sum = 0;
	f->ss = 0;
	f->sma = f->rvol = 0;
	f->cpos = f->rpos = 0;
	f->same = f->zrun = 0;
}

static __attribute__((noinline, cold)) double rs__feat_i128_to_double_slow(__int128 v)
{
	return (double)v;
}

/* int128 -> double, correctly rounded either way; the 64-bit conversion
 * is one instruction instead of a library call (kept out of line so the
 * compiler does not evaluate both). */
static inline double rs__feat_i128_to_double(__int128 v)
{
	int64_t lo = (int64_t)v;
	if (__builtin_expect(v == (__int128)lo, 1))
		return (double)lo;
	return rs__feat_i128_to_double_slow(v);
}

/* Outputs after the last rs_feat_add: sma, ema, rsi, rvol (0 before the
 * first close); returns RS_BARF_FEATURES once sma_len closes and rsi_len
 * and rvol_len changes were seen, else 0. */
static inline uint32_t rs_feat_out(const struct rs_feat *f, const struct rs_feat_cfg *c, double *sma, double *ema,
				   double *rsi, double *rvol)
{
	*sma = f->sma;
	*ema = f->ema;
	*rvol = f->rvol;
	/* while filling, the ratio of the sums is the ratio of the means */
	if (f->nchanges == 0)
		*rsi = 0;
	else if (f->avg_loss == 0)
		*rsi = f->avg_gain == 0 ? 50.0 : 100.0;
	else
		*rsi = 100.0 - 100.0 / (1.0 + f->avg_gain / f->avg_loss);
	return f->ncloses >= c->sma_len && f->nchanges >= c->rsi_len && f->nchanges >= c->rvol_len
		       ? RS_BARF_FEATURES : 0;
}

/* rs_feat_out into the bar (flags |= RS_BARF_FEATURES when valid). */
static inline void rs_feat_fill(const struct rs_feat *f, const struct rs_feat_cfg *c, struct rs_bar *out)
{
	out->flags |= rs_feat_out(f, c, &out->sma, &out->ema, &out->rsi, &out->rvol);
}

/* rs_feat_add(f, c, closes, rets, f->prev_close) for a steady series
 * (f->steady), bit for bit, without touching the rings: the SMA, the
 * returns ring and the realized volatility cannot move; the EMA moves
 * until it stops (then it stays: same input, same result); the Wilder
 * averages decay with zero gain and loss. */
static inline __attribute__((always_inline)) void rs_feat_repeat(struct rs_feat *f, const struct rs_feat_cfg *c)
{
	if (!f->ema_fixed) {
		double x = (double)f->prev_close, e0 = f->ema;
		double alpha = c->alpha;
		f->ema += alpha * (x - f->ema); /* the expression of rs_feat_add */
		f->ema_fixed = f->ema == e0;
	}
	if (f->avg_gain != 0 || f->avg_loss != 0) {
		uint32_t L = c->rsi_len;
		double g = 0, l = 0;
		f->avg_gain = (f->avg_gain * (double)(L - 1) + g) / (double)L;
		f->avg_loss = (f->avg_loss * (double)(L - 1) + l) / (double)L;
	}
	f->ncloses++;
	f->nchanges++;
}

/* rs_feat_add(f, c, closes, rets, f->prev_close) for a series that had a
 * close and is not steady: the same state with the terms that are zero for
 * an unchanged close (gain, loss, log return) dropped. */
static inline __attribute__((always_inline)) void rs_feat_same(struct rs_feat *f, const struct rs_feat_cfg *c,
							       int64_t *closes, double *rets)
{
	int64_t close = f->prev_close;
	uint32_t n = f->ncloses, m = f->nchanges;
	if (f->same < c->sma_len) { /* else: the ring holds only this value */
		uint32_t p = f->cpos;
		if (n >= c->sma_len)
			f->sum -= closes[p];
		closes[p] = close;
		f->sum += close;
		uint32_t ns = n + 1 < c->sma_len ? n + 1 : c->sma_len;
		f->sma = rs__feat_i128_to_double(f->sum) / (double)ns;
		f->same++;
	}
	f->cpos = f->cpos + 1 == c->sma_len ? 0 : f->cpos + 1;
	double x = (double)close, e0 = f->ema;
	double alpha = c->alpha;
	f->ema += alpha * (x - f->ema); /* the expression of rs_feat_add */
	f->ema_fixed = f->ema == e0;
	uint32_t L = c->rsi_len;
	if (m < L) { /* adding the zero gain and loss changes nothing */
		if (m + 1 == L) {
			f->avg_gain /= (double)L;
			f->avg_loss /= (double)L;
		}
	} else if (f->avg_gain != 0 || f->avg_loss != 0) {
		double g = 0, l = 0;
		f->avg_gain = (f->avg_gain * (double)(L - 1) + g) / (double)L;
		f->avg_loss = (f->avg_loss * (double)(L - 1) + l) / (double)L;
	}
	/* zero log return */
	uint32_t rp = f->rpos;
	if (f->zrun < c->rvol_len) { /* else: zeros only, nothing moves */
		double old = m >= c->rvol_len ? rets[rp] : 0.0;
		rets[rp] = 0.0;
		if (old != 0.0) {
			uint32_t nr = m + 1 < c->rvol_len ? m + 1 : c->rvol_len;
			double ss = 0;
			for (uint32_t i = 0; i < nr; i++)
				ss += rets[i] * rets[i];
			f->ss = ss;
			f->rvol = sqrt(ss);
		}
		f->zrun++;
	}
	f->rpos = rp + 1 == c->rvol_len ? 0 : rp + 1;
	f->nchanges = ++m;
	f->ncloses = ++n;
	f->steady = f->same >= c->sma_len && f->zrun >= c->rvol_len && m >= c->rsi_len;
}

/* Add one close (the bar's close; for an empty bar the previous close). */
static inline void rs_feat_add(struct rs_feat *f, const struct rs_feat_cfg *c, int64_t *closes,
			       double *rets, int64_t close)
{
	uint32_t n = f->ncloses;
	if (n > 0 && close == f->prev_close) { /* unchanged close (empty bar) */
		if (f->steady)
			rs_feat_repeat(f, c);
		else
			rs_feat_same(f, c, closes, rets);
		return;
	}
	if (f->steady) { /* rs_feat_repeat did not move the ring positions */
		f->cpos = n % c->sma_len;
		f->rpos = f->nchanges % c->rvol_len;
	}
	double x = (double)close;

	/* SMA: integer running sum over the ring (exact, so no drift) */
	uint32_t p = f->cpos;
	if (n >= c->sma_len)
		f->sum -= closes[p];
	closes[p] = close;
	f->sum += close;
	uint32_t ns = n + 1 < c->sma_len ? n + 1 : c->sma_len;
	f->sma = rs__feat_i128_to_double(f->sum) / (double)ns;
	f->cpos = p + 1 == c->sma_len ? 0 : p + 1;
	f->same = 1;
	f->ema_fixed = 0;

	if (n == 0) {
		f->ema = x;
	} else {
		double alpha = c->alpha;
		f->ema += alpha * (x - f->ema);
		double d = (double)(close - f->prev_close);
		double g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
		uint32_t m = f->nchanges, L = c->rsi_len;
		if (m < L) { /* first average: mean of the first L changes (sums until then) */
			f->avg_gain += g;
			f->avg_loss += l;
			if (m + 1 == L) {
				f->avg_gain /= (double)L;
				f->avg_loss /= (double)L;
			}
		} else { /* Wilder smoothing */
			f->avg_gain = (f->avg_gain * (double)(L - 1) + g) / (double)L;
			f->avg_loss = (f->avg_loss * (double)(L - 1) + l) / (double)L;
		}
		/* log return; closes are positive for the series this is
		 * meant for, anything else contributes 0 */
		double r = (close > 0 && f->prev_close > 0 && close != f->prev_close)
				   ? log(x / (double)f->prev_close) : 0.0;
		uint32_t rp = f->rpos;
		double old = m >= c->rvol_len ? rets[rp] : 0.0;
		rets[rp] = r;
		/* the sum of squares is summed in ring order from scratch
		 * unless a zero replaced a zero: then the ring holds the same
		 * values at the same places and the sum is the one computed
		 * before, bit for bit */
		if (r != 0.0 || old != 0.0) {
			uint32_t nr = m + 1 < c->rvol_len ? m + 1 : c->rvol_len;
			double ss = 0;
			for (uint32_t i = 0; i < nr; i++)
				ss += rets[i] * rets[i];
			f->ss = ss;
			f->rvol = sqrt(ss);
		}
		f->rpos = rp + 1 == c->rvol_len ? 0 : rp + 1;
		f->zrun = r == 0.0 ? (f->zrun < c->rvol_len ? f->zrun + 1 : f->zrun) : 0;
		f->nchanges = m + 1;
	}
	f->prev_close = close;
	f->ncloses = n + 1;
	f->steady = f->same >= c->sma_len && f->zrun >= c->rvol_len && f->nchanges >= c->rsi_len;
}

/* Add one close and fill out's features (rs_feat_add + rs_feat_fill). */
static inline void rs_feat_close(struct rs_feat *f, const struct rs_feat_cfg *c, int64_t *closes,
				 double *rets, int64_t close, struct rs_bar *out)
{
	rs_feat_add(f, c, closes, rets, close);
	rs_feat_fill(f, c, out);
}

#endif
