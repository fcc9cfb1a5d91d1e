/*
 * rs_drv.c - driver registry, configuration defaults, errors (cold).
 */
#include "drivers/rs_drv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct rs_drv_ops *const rs_drv_registry[RS_DRV__COUNT] = {
	[RS_DRV_URING] = &rs_drv_uring_ops,
	[RS_DRV_PCAP] = &rs_drv_pcap_ops,
#ifdef RS_HAVE_XDP
	[RS_DRV_XDP] = &rs_drv_xdp_ops,
#endif
#ifdef RS_HAVE_DPDK
	[RS_DRV_DPDK] = &rs_drv_dpdk_ops,
#endif
};

static const char *const rs_drv_names[RS_DRV__COUNT] = {
	[RS_DRV_URING] = "uring",
	[RS_DRV_XDP] = "xdp",
	[RS_DRV_DPDK] = "dpdk",
	[RS_DRV_PCAP] = "pcap",
};

const char *rs_drv_errmsg(void)
{
	return rs_err_msg();
}

void rs_drv_conf_init(struct rs_drv_conf *conf, enum rs_drv_kind kind)
{
	memset(conf, 0, sizeof(*conf));
	conf->kind = kind;
	conf->core = -1;
	conf->ring_size = 1024;
	conf->buf_count = 4096;
	conf->buf_size = 2048;
	conf->busy_poll_us = 50;
	conf->pcap_speed = 0;
}

const char *rs_drv_kind_name(enum rs_drv_kind kind)
{
	return (unsigned)kind < RS_DRV__COUNT ? rs_drv_names[kind] : "?";
}

int rs_drv_kind_parse(const char *name, enum rs_drv_kind *out)
{
	static const struct {
		const char *name;
		enum rs_drv_kind kind;
	} alias[] = {{"uring", RS_DRV_URING}, {"io_uring", RS_DRV_URING}, {"xdp", RS_DRV_XDP},
		     {"af_xdp", RS_DRV_XDP},  {"dpdk", RS_DRV_DPDK},      {"pcap", RS_DRV_PCAP}};
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
		if (strcasecmp(name, alias[i].name) == 0) {
			*out = alias[i].kind;
			return 0;
		}
	}
	return -EINVAL;
}

bool rs_drv_kind_available(enum rs_drv_kind kind)
{
	return (unsigned)kind < RS_DRV__COUNT && rs_drv_registry[kind] != NULL;
}

int rs_drv_create(struct rs_drv **out, const struct rs_drv_conf *conf)
{
	*out = NULL;
	if ((unsigned)conf->kind >= RS_DRV__COUNT)
		return RS_DRV_ERR(-EINVAL, "unknown driver kind %d", (int)conf->kind);
	const struct rs_drv_ops *ops = rs_drv_registry[conf->kind];
	if (!ops)
		return RS_DRV_ERR(-ENOTSUP, "driver '%s' is not built into this binary",
				  rs_drv_names[conf->kind]);
	if (conf->buf_count == 0 || (conf->buf_count & (conf->buf_count - 1)) != 0 ||
	    conf->buf_count > 32768)
		return RS_DRV_ERR(-EINVAL, "buf_count %u must be a power of two <= 32768",
				  conf->buf_count);
	if (conf->buf_size < 64 || conf->buf_size > 65536)
		return RS_DRV_ERR(-EINVAL, "buf_size %u out of range [64, 65536]", conf->buf_size);
	if (conf->ring_size == 0 || (conf->ring_size & (conf->ring_size - 1)) != 0)
		return RS_DRV_ERR(-EINVAL, "ring_size %u must be a power of two", conf->ring_size);
	struct rs_drv *d = NULL;
	int rc = ops->create(&d, conf);
	if (rc < 0)
		return rc;
	d->ops = ops;
	d->rx_burst = ops->rx_burst;
	d->release = ops->release;
	*out = d;
	return 0;
}

void rs_drv_destroy(struct rs_drv *drv)
{
	if (drv)
		drv->ops->destroy(drv);
}

void rs_drv_stats(const struct rs_drv *drv, struct rs_drv_counters *out)
{
	const struct rs_drv_counters *c = &drv->ctr;
	/* relaxed loads pair with the relaxed stores in rs__drv_ctr_add() */
	out->packets = __atomic_load_n(&c->packets, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
	out->drops = __atomic_load_n(&c->drops, __ATOMIC_RELAXED);
	out->filtered = __atomic_load_n(&c->filtered, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
	out->buf_exhausted = __atomic_load_n(&c->buf_exhausted, __ATOMIC_RELAXED);
	out->rearms = __atomic_load_n(&c->rearms, __ATOMIC_RELAXED);
	out->truncated = __atomic_load_n(&c->truncated, __ATOMIC_RELAXED);
}
