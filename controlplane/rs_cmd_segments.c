/* rs_cmd_segments.c - `ringside segments [list|clean]`: list an instance's
 * shared-memory segments, remove those left by dead instances. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "rs_cli.h"
#include "rs_err.h"
#include "rs_shm.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside segments [list] [--instance NAME] [--json]\n"
		   "       ringside segments clean [--instance NAME] [--dry-run]\n\n"
		   "list   every segment (all instances unless --instance): kind, size, backing\n"
		   "       (huge = 2 MiB huge pages, shm = fallback), producer pid and state\n"
		   "clean  remove segments whose producer is dead or that were never published\n"
		   "       (live instances are never touched); --dry-run only lists them\n\n"
		   "roots: huge pages %s, fallback %s\n",
		rs_shm_huge_root()[0] ? rs_shm_huge_root() : "(none)", rs_shm_fallback_root());
}

static int print_entry(const struct rs_shm_entry *e, void *arg)
{
	int json = *(int *)arg;

	if (json) {
		printf("{\"instance\":\"%s\",\"name\":\"%s\",\"kind\":\"%s\",\"bytes\":%llu,\"huge\":%s,"
		       "\"pid\":%u,\"generation\":%u,\"producer\":\"%s\",\"path\":\"%s\"}\n",
		       e->instance, e->name, e->valid ? rs_shm_kind_str(e->kind) : "invalid",
		       (unsigned long long)e->file_size, e->huge ? "true" : "false", e->pid, e->generation,
		       e->valid ? rs_shm_producer_state_str(e->producer) : "none", e->path);
	} else {
		printf("%-16s %-14s %-9s %10.1f MiB  %-4s pid %-7u gen %-4u %s\n", e->instance, e->name,
		       e->valid ? rs_shm_kind_str(e->kind) : "invalid", (double)e->file_size / (1 << 20),
		       e->huge ? "huge" : "shm", e->pid, e->generation,
		       e->valid ? rs_shm_producer_state_str(e->producer) : "unpublished");
	}
	return 0;
}

static int removed(const struct rs_shm_entry *e, void *arg)
{
	printf("%s %s\n", *(int *)arg ? "would remove" : "removed", e->path);
	return 0;
}

static int cmd_segments(int argc, char **argv)
{
	static const struct option lo[] = {{"instance", required_argument, 0, 'i'},
					   {"json", no_argument, 0, 'j'},
					   {"dry-run", no_argument, 0, 'n'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *instance = NULL, *sub = "list";
	int json = 0, dry = 0, c;

	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		argc--;
		argv++;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:jnh", lo, NULL)) != -1) {
		switch (c) {
		case 'i': instance = optarg; break;
		case 'j': json = 1; break;
		case 'n': dry = 1; break;
		case 'h': usage(stdout); return RS_EX_OK;
		default: usage(stderr); return RS_EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	if (!strcmp(sub, "list")) {
		int n = rs_shm_list(instance, print_entry, &json);
		if (n < 0) {
			fprintf(stderr, "ringside segments: %s\n", rs_err_msg());
			return RS_EX_IOERR;
		}
		if (n == 0 && !json)
			printf("no segments%s%s\n", instance ? " for instance " : "", instance ? instance : "");
		return RS_EX_OK;
	}
	if (!strcmp(sub, "clean")) {
		int n = rs_shm_clean(instance, dry, removed, &dry);
		if (n < 0) {
			fprintf(stderr, "ringside segments clean: %s\n", rs_err_msg());
			return RS_EX_IOERR;
		}
		printf("%d segment%s %s\n", n, n == 1 ? "" : "s", dry ? "would be removed" : "removed");
		return RS_EX_OK;
	}
	fprintf(stderr, "ringside segments: unknown sub-command '%s'\n", sub);
	usage(stderr);
	return RS_EX_USAGE;
}

RS_CLI_COMMAND(segments, cmd_segments, "segments [list|clean] [--instance NAME] [--json|--dry-run]",
	       "list shared-memory segments; clean those of dead instances")
