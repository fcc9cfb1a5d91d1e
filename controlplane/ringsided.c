/*
 * ringsided.c - the appliance daemon.
 *
 *   ringsided -c FILE        run the configuration in FILE (YAML, rs_config.h)
 *   ringsided --embedded     run the built-in default (the demo: io_uring on
 *                            loopback, lines 127.0.0.1:26400/26401, recovery
 *                            server 127.0.0.1:26500, instance "demo")
 *
 * Under systemd (Type=notify): READY=1 once the segments are published and
 * the threads run, STATUS= every second, RELOADING=1 on SIGHUP (reloadable
 * keys only), STOPPING=1 on SIGTERM, which drains the dataplane and marks
 * the segments closed. A restart creates the next segment generation;
 * attached clients see -ESTALE from rs_client_check() and re-attach.
 * Exit codes (sysexits): 0 clean stop, 64 usage, 69 unavailable, 78 config.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_cli.h"
#include "controlplane/rs_config.h"
#include "controlplane/rs_daemon.h"
#include "shm/rs_err.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringsided (-c FILE | --embedded) [options]\n"
		   "  -c, --config FILE     configuration file (YAML)\n"
		   "      --embedded        built-in default configuration (the demo)\n"
		   "      --instance NAME   override the configuration's instance name\n"
		   "      --remove-on-exit  unlink the shared-memory segments at exit\n"
		   "                        (default: mark them closed)\n"
		   "      --no-ctl          no control socket / HTTP server\n"
		   "      --check           load and validate the configuration, then exit\n"
		   "  -q, --quiet           errors only\n"
		   "  -h, --help\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"config", required_argument, 0, 'c'}, {"embedded", no_argument, 0, 'e'},
		{"instance", required_argument, 0, 'i'}, {"remove-on-exit", no_argument, 0, 'r'},
		{"no-ctl", no_argument, 0, 'n'}, {"check", no_argument, 0, 'k'},
		{"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *path = NULL, *instance = NULL;
	bool embedded = false, check = false;
	struct rs_daemon_opts o;
	memset(&o, 0, sizeof(o));
	int ch;
	while ((ch = getopt_long(argc, argv, "c:qh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'e': embedded = true; break;
		case 'i': instance = optarg; break;
		case 'r': o.remove_on_exit = true; break;
		case 'n': o.no_ctl = true; break;
		case 'k': check = true; break;
		case 'q': o.quiet = true; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (!path == !embedded || optind != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	struct rs_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return RS_EX_UNAVAILABLE;
	int rc = path ? rs_config_load_file(cfg, path)
		      : rs_config_load_string(cfg, rs_config_embedded_yaml, strlen(rs_config_embedded_yaml),
					      "<embedded>");
	if (rc) {
		fprintf(stderr, "ringsided: %s\n", rs_err_msg());
		free(cfg);
		return RS_EX_CONFIG;
	}
	if (instance)
		snprintf(cfg->instance, sizeof(cfg->instance), "%s", instance);
	if (check) {
		printf("ringsided: %s: ok (instance %s, %u feed(s))\n", path ? path : "<embedded>",
		       cfg->instance, cfg->nfeeds);
		free(cfg);
		return RS_EX_OK;
	}
	o.config_path = path;
	struct rs_daemon *d;
	if ((rc = rs_daemon_create(&d, cfg, &o))) {
		fprintf(stderr, "ringsided: %s\n", rs_err_msg());
		free(cfg);
		return rc == -EINVAL || rc == -ENOTSUP ? RS_EX_CONFIG : RS_EX_UNAVAILABLE;
	}
	struct rs_daemon_ctl *ctl = NULL;
	if (!o.no_ctl && rs_daemon_ctl_start(d, &ctl))
		fprintf(stderr, "ringsided: WARN %s (continuing without it)\n", rs_err_msg());
	rc = rs_daemon_run(d);
	rs_daemon_ctl_stop(ctl);
	rs_daemon_destroy(d);
	free(cfg);
	return rc ? RS_EX_SOFTWARE : RS_EX_OK;
}
