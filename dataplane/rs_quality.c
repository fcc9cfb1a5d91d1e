/* rs_quality.c - feed quality score (see rs_quality.h for the formula). */
#include "rs_quality.h"

#include <math.h>

static double cap(double x, double c)
{
	return x > c ? c : x;
}

static uint32_t clamp_round(double s)
{
	if (s < 0)
		s = 0;
	if (s > 100)
		s = 100;
	return (uint32_t)lround(s);
}

uint32_t rs_quality_feed_score(const struct rs_quality_delta *d)
{
	double s = 100;
	if (d->messages) {
		double n = (double)d->messages;
		s -= cap(4000.0 * (double)d->lost / n, 40);
		s -= cap(1000.0 * (double)d->dups / n, 10);
		s -= cap(1000.0 * (double)d->ooo / n, 10);
	} else if (d->lost) {
		s -= 40;
	}
	if (d->stale)
		s -= 30;
	if (d->budget_ns && d->p99_ns > d->budget_ns)
		s -= cap(10.0 * ((double)d->p99_ns / (double)d->budget_ns - 1.0), 10);
	return clamp_round(s);
}

uint32_t rs_quality_inst_score(uint32_t feed_score, uint64_t crossed, uint64_t rejects, int stale)
{
	double s = 100 - cap(2.0 * (double)crossed, 20) - cap(2.0 * (double)rejects, 20) -
		   (stale ? 30 : 0);
	uint32_t i = clamp_round(s);
	return i < feed_score ? i : feed_score;
}
