/*
 * rs_ifdconf.h - map the daemon configuration (controlplane/rs_config.h:
 * analytics + session keys) onto the IFD engine's plain configuration
 * (dataplane/rs_ifd.h). COLD.
 */
#ifndef RS_IFDCONF_H
#define RS_IFDCONF_H

#include "dataplane/rs_ifd.h"

struct rs_config;

/* Start from rs_ifd_cfg_default(), then copy every key the configuration
 * sets (0 / empty keeps the IFD.md default; capacities: instruments).
 * Sinks are left NULL. 0, or -EINVAL when the windows are unusable
 * (none, more than RS_IFD_MAX_WIN, not ascending). */
int rs_ifd_cfg_from_config(struct rs_ifd_cfg *out, const struct rs_config *c);

/* Baseline file of an instance: analytics.baseline_file, else
 * <state_dir>/<instance>.baseline. */
void rs_ifd_baseline_path(const struct rs_config *c, char *buf, size_t len);

#endif
