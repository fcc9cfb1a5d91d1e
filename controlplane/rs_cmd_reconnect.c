/*
 * rs_cmd_reconnect.c - `ringside reconnect FEED`: ask the daemon, over its
 * control socket, to tear down and re-establish a feed's session (rejoin
 * the multicast groups, reset the recovery state). The one operator
 * command here that needs a live daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rs_cli.h"
#include "rs_ctl.h"
#include "rs_err.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside reconnect FEED [-i|--instance NAME] [--socket PATH] [--timeout MS] [--json]\n\n"
		   "Ask ringsided to reconnect FEED (over the control socket; needs membership of\n"
		   "control.socket_group). Exit 0 done, 64 unknown feed, 69 daemon unreachable.\n"
		   "  -i, --instance NAME   instance (default demo)\n"
		   "      --socket PATH     control socket (default: $RINGSIDE_RUN_DIR, /run/ringside,\n"
		   "                        $XDG_RUNTIME_DIR or /tmp, then /NAME.sock)\n"
		   "      --timeout MS      wait this long for the answer (default 5000)\n"
		   "      --json            print the daemon's JSON answer\n");
}

static int cmd_reconnect(int argc, char **argv)
{
	enum { O_SOCKET = 1000, O_TIMEOUT };
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"socket", required_argument, 0, O_SOCKET},
					   {"timeout", required_argument, 0, O_TIMEOUT},
					   {"json", no_argument, 0, 'j'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "demo", *sock = NULL;
	char path[256], out[8192];
	int opt, json = 0;
	uint64_t timeout = 5000;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jh", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case O_SOCKET: sock = optarg; break;
		case O_TIMEOUT:
			if (rs_cli_parse_count(optarg, 3600000, &timeout) || !timeout) {
				fprintf(stderr, "ringside reconnect: bad --timeout '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	if (!sock) {
		rs_ctl_default_path(path, sizeof(path), instance);
		sock = path;
	}
	char *req[] = {"reconnect", argv[optind]};
	int st = rs_ctl_call(sock, 2, req, out, sizeof(out), (int)timeout);
	if (st < 0) {
		fprintf(stderr, "ringside reconnect: %s\n", rs_err_msg());
		return RS_EX_UNAVAILABLE;
	}
	if (json)
		printf("%s\n", out);
	if (st) {
		if (!json) {
			/* the daemon's {"error":"..."} message when there is one */
			const char *m = strstr(out, "{\"error\":\"") == out ? out + 10 : NULL;
			size_t ml = m ? strlen(m) : 0;
			if (m && ml >= 2 && !strcmp(m + ml - 2, "\"}"))
				fprintf(stderr, "ringside reconnect: %s: %.*s\n", argv[optind], (int)(ml - 2), m);
			else
				fprintf(stderr, "ringside reconnect: %s: %s\n", argv[optind], strerror(st));
		}
		return st == ENOENT || st == EINVAL ? RS_EX_USAGE : RS_EX_UNAVAILABLE;
	}
	if (!json)
		printf("%s: reconnected (lines closed and reopened; anything missed is recovered)\n", argv[optind]);
	return RS_EX_OK;
}

RS_CLI_COMMAND(reconnect, cmd_reconnect, "reconnect FEED [-i NAME]", "ask ringsided to reconnect a feed")
