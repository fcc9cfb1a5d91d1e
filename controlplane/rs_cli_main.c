/* rs_cli_main.c - `ringside` entry point: dispatches to registered commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_cli.h"

static struct rs_cli_cmd *cmds;

void rs_cli_register(struct rs_cli_cmd *cmd)
{
	/* keep the list sorted by name for --help */
	struct rs_cli_cmd **pp = &cmds;
	while (*pp && strcmp((*pp)->name, cmd->name) < 0)
		pp = &(*pp)->next;
	cmd->next = *pp;
	*pp = cmd;
}

int rs_cli_parse_count(const char *s, uint64_t max, uint64_t *out)
{
	char *e;
	errno = 0;
	double v = strtod(s, &e);
	if (e == s || errno || v < 0)
		return -EINVAL;
	if (*e == 'k' || *e == 'K')
		v *= 1e3, e++;
	else if (*e == 'm' || *e == 'M')
		v *= 1e6, e++;
	else if (*e == 'g' || *e == 'G')
		v *= 1e9, e++;
	if (*e || v > (double)max)
		return -EINVAL;
	*out = (uint64_t)(v + 0.5);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside COMMAND [ARGS]\n\n"
		   "ringside is the operator and tool CLI of the ringside market-data appliance.\n"
		   "Run 'ringside COMMAND --help' for a command's options.\n\ncommands:\n");
	for (struct rs_cli_cmd *c = cmds; c; c = c->next)
		fprintf(f, "  %-14s %s\n", c->name, c->summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return RS_EX_OK;
	}
	for (struct rs_cli_cmd *c = cmds; c; c = c->next)
		if (!strcmp(c->name, argv[1]))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "ringside: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return RS_EX_USAGE;
}
