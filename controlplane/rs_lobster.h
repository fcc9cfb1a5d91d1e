/*
 * rs_lobster.h - LOBSTER (lobsterdata.com) message and orderbook files
 * (COLD: offline replay, tests).
 *
 * Message file: CSV, one event per line, no header:
 *   time, type, order_id, size, price, direction
 *   time       seconds after midnight, decimal (up to ns precision)
 *   type       1 submit, 2 partial cancel, 3 delete, 4 visible execution,
 *              5 hidden execution, 6 cross trade, 7 trading halt/resume
 *   price      dollars x 10000 (integer)
 *   direction  1 buy limit order, -1 sell limit order (for executions: the
 *              side of the RESTING order)
 * Orderbook file: one row per message, the book AFTER that message:
 *   ask px 1, ask size 1, bid px 1, bid size 1, ask px 2, ... (N levels)
 *   missing levels: ask px 9999999999, bid px -9999999999, size 0.
 *
 * Mapping to normalized records (struct rs_event, all F_LAST-terminated,
 * one boundary per message so replays line up with orderbook rows):
 *   1  'A'                         4  'F' (resting side) + 'C' (size)
 *   2  'C' size                    5  'T' (aggressor side = -direction)
 *   3  'C' size, RS_EVF_DELETE     6  'T' side N
 *                                  7  'N'
 *
 * Initial state: LOBSTER files start mid-session, so orders resting
 * before the first message are unknown. rs_lobster_seed() builds the book
 * from the first orderbook row MINUS the first message's own effect, as
 * one synthetic order per level (id RS_LOBSTER_SEED_ID); rs_lobster_fixup()
 * redirects a cancel/execution of an unknown order id to the seed order of
 * its price level (a partial reduction of that aggregate).
 */
#ifndef RS_LOBSTER_H
#define RS_LOBSTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/rs_book.h"
#include "ringside.h"

#define RS_LOBSTER_MAX_LEVELS 200
#define RS_LOBSTER_PRICE_MULT 100000LL /* x10000 -> 1e-9 units */
#define RS_LOBSTER_DUMMY_ASK 9999999999LL
#define RS_LOBSTER_DUMMY_BID (-9999999999LL)

/* Synthetic order id of the seed order at (side 0 bid / 1 ask, price in
 * 1e-9 units). Top bit set: never a real LOBSTER (NASDAQ) order id. */
#define RS_LOBSTER_SEED_ID(side, price) \
	((1ULL << 63) | ((uint64_t)(side) << 62) | ((uint64_t)(price) & ((1ULL << 62) - 1)))

struct rs_lobster_msg {
	uint64_t time_ns;   /* ns after midnight */
	int type;           /* 1..7 */
	uint64_t order_id;
	int64_t size;
	int64_t price;      /* as in the file: dollars x 10000 */
	int direction;      /* 1 buy, -1 sell */
};

struct rs_lobster_row {
	unsigned nlevels;   /* levels per side in the row */
	/* index 0 = best; price in 1e-9 units, RS_UNDEF_PRICE for a dummy level */
	int64_t ask_px[RS_LOBSTER_MAX_LEVELS], bid_px[RS_LOBSTER_MAX_LEVELS];
	int64_t ask_sz[RS_LOBSTER_MAX_LEVELS], bid_sz[RS_LOBSTER_MAX_LEVELS];
};

/* Parse one message line (without or with the trailing newline).
 * 0, or -EINVAL with a reason in *why (static string). */
int rs_lobster_parse_msg(const char *line, struct rs_lobster_msg *m, const char **why);
/* Parse one orderbook row (4*N comma-separated integers, N <= 200). */
int rs_lobster_parse_row(const char *line, struct rs_lobster_row *r, const char **why);

/* Records for a message: returns 1 or 2 (written to out[0..1]), or 0 for
 * an invalid message (bad type/direction/size). ts_event = midnight_ns +
 * time_ns; sequence = seq. */
unsigned rs_lobster_to_events(const struct rs_lobster_msg *m, uint32_t instrument_id,
			      uint64_t midnight_ns, uint32_t seq, struct rs_event *out);

/* Line reader for either file: 1 line read (NUL-terminated, no newline),
 * 0 EOF, -errno. */
struct rs_lobster_file {
	FILE *f;
	char *line;
	size_t cap;
	uint64_t lineno;
};
int rs_lobster_open(struct rs_lobster_file *lf, const char *path);
int rs_lobster_getline(struct rs_lobster_file *lf, const char **line);
void rs_lobster_close(struct rs_lobster_file *lf);

/* Next message of a message file: 1, 0 at EOF, -EBADMSG (rs_err message
 * names the file line) or -errno. Blank lines are skipped. */
int rs_lobster_next_msg(struct rs_lobster_file *lf, struct rs_lobster_msg *m);
/* Next row of an orderbook file: same conventions. */
int rs_lobster_next_row(struct rs_lobster_file *lf, struct rs_lobster_row *r);

/* Seed instrument_id's book from row0 (the book after msg0) minus msg0's
 * effect. The instrument's book should be empty. Returns the number of
 * seed orders added, or -EINVAL (a level would go negative: row and
 * message do not belong together). */
int rs_lobster_seed(struct rs_book *b, uint32_t instrument_id, const struct rs_lobster_row *row0,
		    const struct rs_lobster_msg *msg0);

/* Before applying ev: if it is a 'C'/'F' of an order id the book does not
 * know and a seed order rests at its side and price, point it at the seed
 * order (and drop RS_EVF_DELETE: it reduces the aggregate). Returns 1 if
 * redirected. */
int rs_lobster_fixup(const struct rs_book *b, struct rs_event *ev);

/* Force the level (side 0 bid / 1 ask, price in 1e-9 units) of
 * instrument_id to hold `size` in total (0 = no level), for levels that
 * come back into a truncated file's visible window: the seed order of the
 * level absorbs the difference; if the real orders alone exceed `size`,
 * the newest are cancelled first. Applies ordinary book records (counted
 * as such). Returns the number of records applied, or -ENOSPC when the
 * book rejected one. */
int rs_lobster_sync_level(struct rs_book *b, uint32_t instrument_id, int side, int64_t price,
			  uint64_t size);

/* Keep a replay in step with an orderbook file that shows only N levels
 * (and a *_message_N file that omits messages touching only deeper levels).
 * bound[0]/bound[1] (bid/ask, 1e-9 units; RS_UNDEF_PRICE = whole side) is
 * the known range: prices at or better than it have stayed inside the
 * visible window since they were last synchronised. Call after applying
 * message i with row i:
 *   rs_lobster_narrow(row, bound)   - the row's window narrows the range;
 *                                     compare inside `bound` now, then
 *   rs_lobster_sync_row(b, iid, row, bound) - levels that came (back) into
 *                                     view beyond the bound are set from the
 *                                     row, and the bound becomes the row's
 *                                     window edge.
 * Start with bound = the first row's window edge (after rs_lobster_seed).
 * sync returns the number of levels changed or a negative errno. */
void rs_lobster_window(const struct rs_lobster_row *row, int64_t bound[2]);
void rs_lobster_narrow(const struct rs_lobster_row *row, int64_t bound[2]);
int rs_lobster_sync_row(struct rs_book *b, uint32_t instrument_id, const struct rs_lobster_row *row,
			int64_t bound[2]);

#endif
