/*
 * rs_daemon_ctl.c - the daemon's control socket and HTTP endpoints (COLD:
 * their own threads). The only file of the daemon that calls rs_ctl,
 * rs_http and rs_metrics, so those can be wired late.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controlplane/rs_ctl.h"
#include "controlplane/rs_daemon.h"
#include "controlplane/rs_http.h"
#include "controlplane/rs_metrics.h"
#include "ringside.h"
#include "shm/rs_err.h"
#include "shm/rs_layout.h"

struct rs_daemon_ctl {
	struct rs_daemon *d;
	struct rs_ctl *ctl;
	struct rs_http *http;
	struct rs_client *client;   /* the HTTP thread's view of our own instance */
	pthread_mutex_t lock;
};

static int ctl_handler(void *ctx, int argc, char **argv, char *out, size_t outlen)
{
	struct rs_daemon_ctl *c = ctx;
	if (argc < 1) {
		snprintf(out, outlen, "{\"error\":\"empty request\"}");
		return EINVAL;
	}
	const char *cmd = argv[0];
	if (!strcmp(cmd, "ping")) {
		snprintf(out, outlen, "{\"pong\":true,\"generation\":%u}", rs_daemon_generation(c->d));
		return 0;
	}
	if (!strcmp(cmd, "version")) {
		snprintf(out, outlen, "{\"version\":\"%s\",\"layout\":%u}",
#ifdef RS_VERSION_STRING
			 RS_VERSION_STRING,
#else
			 "0.1.0",
#endif
			 (unsigned)RS_LAYOUT_MAJOR);
		return 0;
	}
	if (!strcmp(cmd, "status")) {
		rs_daemon_status_json(c->d, out, outlen);
		return 0;
	}
	if (!strcmp(cmd, "feeds")) {
		rs_daemon_feeds_json(c->d, out, outlen);
		return 0;
	}
	if (!strcmp(cmd, "reload")) {
		rs_daemon_request_reload(c->d);
		snprintf(out, outlen, "{\"reload\":\"requested\"}");
		return 0;
	}
	if (!strcmp(cmd, "stop")) {
		rs_daemon_stop(c->d);
		snprintf(out, outlen, "{\"stop\":\"requested\"}");
		return 0;
	}
	if (!strcmp(cmd, "reconnect")) {
		if (argc < 2) {
			snprintf(out, outlen, "{\"error\":\"usage: reconnect FEED\"}");
			return EINVAL;
		}
		int rc = rs_daemon_reconnect(c->d, argv[1]);
		if (rc) {
			char esc[256];
			snprintf(esc, sizeof(esc), "%s", rs_err_msg());
			for (char *p = esc; *p; p++)
				if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
					*p = '\'';
			snprintf(out, outlen, "{\"error\":\"%s\"}", esc);
			return -rc;
		}
		snprintf(out, outlen, "{\"reconnected\":\"%s\"}", argv[1]);
		return 0;
	}
	snprintf(out, outlen, "{\"error\":\"unknown command '%s'\"}", cmd);
	return EINVAL;
}

static int http_handler(void *ctx, const char *path, struct rs_sbuf *out, const char **ctype)
{
	struct rs_daemon_ctl *c = ctx;
	const struct rs_config *cfg = rs_daemon_config(c->d);
	pthread_mutex_lock(&c->lock);
	if (!c->client && rs_client_open(&c->client, cfg->instance, NULL))
		c->client = NULL;
	int status = 200;
	if (!strcmp(path, "/metrics")) {
		*ctype = "text/plain; version=0.0.4";
		if (!c->client || rs_metrics_prometheus(c->client, out))
			status = 503;
	} else if (!strcmp(path, "/health")) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		*ctype = "application/json";
		enum rs_health h = c->client ? rs_health_eval(c->client, cfg,
							     (uint64_t)ts.tv_sec * 1000000000ull +
								     (uint64_t)ts.tv_nsec,
							     out)
					     : RS_HEALTH_OFFLINE;
		if (!c->client)
			rs_sbuf_printf(out, "{\"status\":\"offline\",\"reasons\":[\"not attached\"]}");
		status = h >= RS_HEALTH_CRITICAL ? 503 : 200;
	} else {
		status = 404;
		*ctype = "text/plain";
		rs_sbuf_printf(out, "not found\n");
	}
	pthread_mutex_unlock(&c->lock);
	return status;
}

int rs_daemon_ctl_start(struct rs_daemon *d, struct rs_daemon_ctl **out)
{
	*out = NULL;
	struct rs_daemon_ctl *c = calloc(1, sizeof(*c));
	if (!c)
		return RS_ERR_SET(-ENOMEM, "control: out of memory");
	c->d = d;
	pthread_mutex_init(&c->lock, NULL);
	const struct rs_config *cfg = rs_daemon_config(d);
	char path[512];
	if (cfg->socket[0])
		snprintf(path, sizeof(path), "%s", cfg->socket);
	else
		rs_ctl_default_path(path, sizeof(path), cfg->instance);
	int rc = rs_ctl_start(&c->ctl, path, (gid_t)-1, ctl_handler, c);
	if (rc) {
		RS_ERR_APPEND("control socket %s", path);
		goto fail;
	}
	if (cfg->http[0] && (rc = rs_http_start(&c->http, cfg->http, http_handler, c))) {
		RS_ERR_APPEND("http %s", cfg->http);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	rs_daemon_ctl_stop(c);
	return rc;
}

void rs_daemon_ctl_stop(struct rs_daemon_ctl *c)
{
	if (!c)
		return;
	if (c->http)
		rs_http_stop(c->http);
	if (c->ctl)
		rs_ctl_stop(c->ctl);
	if (c->client)
		rs_client_close(c->client);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
