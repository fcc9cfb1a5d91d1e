/*
 * rs_cmd_config.c - `ringside config check FILE [--print] [--json]` and
 * `ringside config embedded`: validate a configuration the way ringsided
 * will load it (every problem with file:line and key path), print its
 * canonical form, or print the built-in demo configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_cli.h"
#include "rs_config.h"
#include "rs_err.h"
#include "rs_http.h"
#include "rs_view.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside config check FILE [--print] [--json]\n"
		   "       ringside config embedded\n\n"
		   "check     validate FILE as ringsided would (exit 0 and \"FILE: ok\", or exit 78\n"
		   "          with every problem found as FILE:LINE: KEY.PATH: message)\n"
		   "  --print print the canonical configuration (every key, defaults filled in)\n"
		   "  --json  one JSON object: {\"file\":...,\"ok\":true|false,\"errors\":[...]}\n"
		   "embedded  print the built-in demo configuration (a starting point)\n");
}

static int check(int argc, char **argv)
{
	static const struct option lo[] = {{"print", no_argument, 0, 'p'},
					   {"json", no_argument, 0, 'j'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	int opt, print = 0, json = 0;
	static struct rs_config cfg;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "pjh", lo, NULL)) != -1) {
		switch (opt) {
		case 'p': print = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	const char *file = argv[optind];
	int rc = rs_config_load_file(&cfg, file);
	const char *errs = rs_config_errors();
	if (!*errs)
		errs = rs_err_msg();
	if (json) {
		struct rs_sbuf b = {0};
		rs_sbuf_printf(&b, "{\"file\":");
		rs_view_jstr(&b, file);
		rs_sbuf_printf(&b, ",\"ok\":%s", rc ? "false" : "true");
		if (rc) {
			rs_sbuf_printf(&b, ",\"errors\":[");
			for (const char *p = errs, *e; *p; p = *e ? e + 1 : e) {
				e = strchr(p, '\n');
				if (!e)
					e = p + strlen(p);
				char one[1024];
				snprintf(one, sizeof(one), "%.*s", (int)(e - p), p);
				rs_sbuf_printf(&b, "%s", p == errs ? "" : ",");
				rs_view_jstr(&b, one);
			}
			rs_sbuf_printf(&b, "]");
		} else if (print) {
			char *buf = malloc(1 << 20);
			if (buf && rs_config_dump(&cfg, buf, 1 << 20) >= 0) {
				rs_sbuf_printf(&b, ",\"canonical\":");
				rs_view_jstr(&b, buf);
			}
			free(buf);
		}
		rs_sbuf_printf(&b, "}\n");
		fwrite(b.p, 1, b.len, stdout);
		rs_sbuf_free(&b);
		return rc ? RS_EX_CONFIG : RS_EX_OK;
	}
	if (rc) {
		fprintf(stderr, "%s\n", errs);
		return RS_EX_CONFIG;
	}
	if (print) {
		char *buf = malloc(1 << 20);
		if (!buf || rs_config_dump(&cfg, buf, 1 << 20) < 0) {
			free(buf);
			fprintf(stderr, "ringside config: %s\n", rs_err_msg());
			return RS_EX_SOFTWARE;
		}
		fputs(buf, stdout);
		free(buf);
	}
	fprintf(print ? stderr : stdout, "%s: ok\n", file);
	return RS_EX_OK;
}

static int cmd_config(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? RS_EX_USAGE : RS_EX_OK;
	}
	if (!strcmp(argv[1], "check"))
		return check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "embedded")) {
		fputs(rs_config_embedded_yaml, stdout);
		return RS_EX_OK;
	}
	fprintf(stderr, "ringside config: unknown sub-command '%s'\n", argv[1]);
	usage(stderr);
	return RS_EX_USAGE;
}

RS_CLI_COMMAND(config, cmd_config, "config check FILE [--print] [--json]",
	       "validate a ringsided configuration file")
