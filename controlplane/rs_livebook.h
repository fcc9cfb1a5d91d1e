/*
 * rs_livebook.h - `ringside book SYMBOL`: the live MBP-N book of one
 * instrument from a running instance's depth table (COLD: CLI). The
 * `ringside book` command routes here when its argument is not a file.
 */
#ifndef RS_LIVEBOOK_H
#define RS_LIVEBOOK_H

/* argv[0] = "book"; options: SYMBOL [--depth N] [-i NAME] [--json]
 * [--watch]. Returns a sysexits code (0, 64 usage, 65 unknown symbol,
 * 69 instance unavailable). */
int rs_livebook_main(int argc, char **argv);

#endif
