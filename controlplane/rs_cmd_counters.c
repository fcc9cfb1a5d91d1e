/* rs_cmd_counters.c - `ringside counters`: every counter of an instance,
 * read straight from shared memory through libringside (works even when
 * the daemon is wedged). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ringside.h"
#include "rs_cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside counters --instance NAME [--json] [--match TEXT]\n\n"
		   "Prints every counter (id, label, value) of a running instance from its\n"
		   "shared-memory counters block. --match keeps labels containing TEXT.\n");
}

struct ctx {
	int json;
	const char *match;
};

static int show(void *arg, uint32_t id, uint32_t type, const char *label, uint64_t value)
{
	struct ctx *x = arg;

	if (x->match && !strstr(label, x->match))
		return 0;
	if (x->json)
		printf("{\"id\":%u,\"type\":%u,\"label\":\"%s\",\"value\":%llu}\n", id, type, label,
		       (unsigned long long)value);
	else
		printf("%5u  %-60s %20llu\n", id, label, (unsigned long long)value);
	return 0;
}

static int cmd_counters(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"match", required_argument, 0, 'm'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = "default";
	struct ctx x = {0, NULL};
	struct rs_client *c;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:jm:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': instance = optarg; break;
		case 'j': x.json = 1; break;
		case 'm': x.match = optarg; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if ((rc = rs_client_open(&c, instance, NULL))) {
		fprintf(stderr, "ringside counters: %s\n", rs_errmsg());
		return RS_EX_UNAVAILABLE;
	}
	rc = rs_client_counters(c, show, &x);
	if (rc < 0)
		fprintf(stderr, "ringside counters: %s\n", rs_errmsg());
	rs_client_close(c);
	return rc < 0 ? RS_EX_UNAVAILABLE : RS_EX_OK;
}

RS_CLI_COMMAND(counters, cmd_counters, "counters --instance NAME [--json]",
	       "list an instance's counters from shared memory")
