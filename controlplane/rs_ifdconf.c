/* rs_ifdconf.c - configuration -> IFD engine configuration (rs_ifdconf.h). */
#include "rs_ifdconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rs_config.h"
#include "rs_err.h"

int rs_ifd_cfg_from_config(struct rs_ifd_cfg *o, const struct rs_config *c)
{
	const struct rs_cfg_analytics *a = &c->analytics;
	const struct rs_cfg_session *s = &c->session;

	rs_ifd_cfg_default(o);
	if (c->instruments)
		o->max_instruments = c->instruments;
	if (a->nwindows) {
		if (a->nwindows > RS_IFD_MAX_WIN)
			return RS_ERR_SET(-EINVAL, "analytics.pressure_windows: at most %d windows",
					  RS_IFD_MAX_WIN);
		o->nwin = a->nwindows;
		for (uint32_t w = 0; w < a->nwindows; w++) {
			o->windows_ns[w] = a->windows_ns[w];
			if (!a->windows_ns[w] || (w && a->windows_ns[w] <= a->windows_ns[w - 1]))
				return RS_ERR_SET(-EINVAL,
						  "analytics.pressure_windows: must be > 0 and ascending");
		}
	}
	if (a->z_threshold > 0)
		o->z_threshold = a->z_threshold;
	if (a->z_step > 0)
		o->z_step = a->z_step;
	if (a->baseline_days)
		o->baseline_days = a->baseline_days;
	if (a->baseline_min_days)
		o->baseline_min_days = a->baseline_min_days;
	o->allow_immature = a->allow_immature;
	if (a->persist_k)
		o->persist_k = a->persist_k;
	if (a->persist_m)
		o->persist_m = a->persist_m;
	o->large_trade_size = a->large_trade_size;
	o->min_volume = a->min_volume;
	if (a->iceberg_ns)
		o->pat.iceberg_ns = a->iceberg_ns;
	if (a->layering_ns)
		o->pat.layering_ns = a->layering_ns;
	if (a->quality_alert)
		o->quality_alert = a->quality_alert;
	if (c->latency_p99_ns)
		o->latency_budget_ns = c->latency_p99_ns;
	/* the session calendar: an all-zero section keeps the default */
	if (s->close_min > s->open_min) {
		o->cal.tz_offset_ns = s->tz_offset_ns;
		o->cal.open_min = s->open_min;
		o->cal.close_min = s->close_min;
		if (s->days)
			o->cal.days = s->days;
		o->cal.nholidays = s->nholidays < 64 ? s->nholidays : 64;
		memcpy(o->cal.holidays, s->holidays, o->cal.nholidays * sizeof(uint32_t));
	}
	return 0;
}

void rs_ifd_baseline_path(const struct rs_config *c, char *buf, size_t len)
{
	if (c->analytics.baseline_file[0])
		snprintf(buf, len, "%s", c->analytics.baseline_file);
	else
		snprintf(buf, len, "%s/%s.baseline", c->state_dir[0] ? c->state_dir : ".",
			 c->instance[0] ? c->instance : "ringside");
}
