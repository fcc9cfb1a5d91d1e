/*
 * rs_cli.h - sub-command registration for the `ringside` CLI.
 *
 * Each controlplane/rs_cmd_<name>.c defines its command with
 *
 *   static int cmd_gen(int argc, char **argv);
 *   RS_CLI_COMMAND(gen, cmd_gen, "gen [options] OUT", "generate an ITCH session");
 *
 * and is linked straight into the executable; the constructor registers it,
 * so adding a command never edits a shared file. argv[0] is the command
 * name. A command returns a sysexits code (0, 64 usage, 65 data, 66 no
 * input, 69 unavailable, 70 software, 74 I/O, 78 config).
 */
#ifndef RS_CLI_H
#define RS_CLI_H

typedef int (*rs_cli_cmd_fn)(int argc, char **argv);

struct rs_cli_cmd {
	const char *name;
	rs_cli_cmd_fn fn;
	const char *usage;   /* one line: "name [options] ARGS" */
	const char *summary; /* one line */
	struct rs_cli_cmd *next;
};

void rs_cli_register(struct rs_cli_cmd *cmd);

#define RS_CLI_COMMAND(NAME, FN, USAGE, SUMMARY)                                  \
	static struct rs_cli_cmd rs__cli_cmd_##NAME = {#NAME, FN, USAGE, SUMMARY, 0}; \
	__attribute__((constructor)) static void rs__cli_reg_##NAME(void)              \
	{                                                                              \
		rs_cli_register(&rs__cli_cmd_##NAME);                                      \
	}

#include <stdint.h>

/* Parse a count with an optional k/M/G suffix ("50M", "1.5k", "100000")
 * into *out, rounded; -EINVAL when malformed, negative or above max. */
int rs_cli_parse_count(const char *s, uint64_t max, uint64_t *out);

/* sysexits */
#define RS_EX_OK 0
#define RS_EX_USAGE 64
#define RS_EX_DATAERR 65
#define RS_EX_NOINPUT 66
#define RS_EX_UNAVAILABLE 69
#define RS_EX_SOFTWARE 70
#define RS_EX_IOERR 74
#define RS_EX_CONFIG 78

#endif
