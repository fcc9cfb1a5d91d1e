/*
 * rs_instdir.h - instrument directory: stock locate -> struct rs_instrument.
 *
 * Filled from ITCH messages through the decoder's cold handlers:
 *   R stock directory  -> symbol, round lot, market category, financial
 *                         status, issue classification, LULD tier, ETP and
 *                         test flags (creates the entry)
 *   H trading action   -> trading_state, RS_INSTF_HALTED (H or P)
 *   h operational halt -> RS_INSTF_HALTED while halted on any market
 *   Y Reg SHO          -> reg_sho
 *   L, S               -> counted (participant positions, last system event)
 * instrument_id = stock locate. Entries live in a local array indexed by
 * instrument id (allocated once at init; never after) and, when a table is
 * attached, every change is published into a seqlocked shared-memory table
 * (shm/rs_seqtab.h, instrument-keyed as in shm/rs_itable.h; payload =
 * struct rs_instrument) so that local clients read a consistent entry.
 *
 * Updates run on the decoding thread (handlers are short, no allocation, no
 * system call). Lookup by symbol is cold (linear over the used entries).
 */
#ifndef RS_INSTDIR_H
#define RS_INSTDIR_H

#include <stdint.h>

#include "ringside.h"
#include "rs_itch.h"

struct rs_seqtab;

#define RS_INSTDIR_MAX_ITCH 65536u /* stock locate is 16 bits */

struct rs_instdir {
	struct rs_instrument *inst;  /* [capacity] */
	uint8_t *present;            /* [capacity]: 1 once an entry exists */
	uint8_t *op_halted;          /* [capacity]: operational halt in force */
	uint32_t *used;              /* ids in creation order, for scans */
	uint32_t capacity;
	uint32_t count;              /* entries that exist */
	uint32_t directory_msgs;     /* R messages applied */
	uint16_t publisher_id;
	char last_system_event;      /* last S event code, 0 if none */
	uint8_t pad;
	uint64_t participant_positions; /* L messages seen */
	uint64_t out_of_range;       /* messages for ids >= capacity (ignored) */
	uint64_t published;          /* seqtab writes */
	uint64_t publish_dropped;    /* not published: the table is full */
	const struct rs_itch_dec *dec; /* for ts conversion (midnight), may be NULL */
	struct rs_seqtab *tab;       /* publication target, may be NULL */
};

/* Allocate a directory for ids [0, capacity) (capacity 0 = 65536). Cold. */
int rs_instdir_init(struct rs_instdir *d, uint32_t capacity, uint16_t publisher_id);
void rs_instdir_fini(struct rs_instdir *d);

/* Install the directory's handlers (stock_directory, trading_action,
 * reg_sho, participant_position, system_event, operational_halt) into the
 * decoder's handler table; other handlers are left as they are. */
void rs_instdir_bind(struct rs_instdir *d, struct rs_itch_dec *dec);

/* Publish every change into t (NULL to stop); also publishes all existing
 * entries now. The table's payload must hold a struct rs_instrument. */
int rs_instdir_attach_table(struct rs_instdir *d, struct rs_seqtab *t);

/* Entry by id, NULL if none. */
const struct rs_instrument *rs_instdir_get(const struct rs_instdir *d, uint32_t id);
/* Entry by symbol (trailing spaces ignored), NULL if none. Cold. */
const struct rs_instrument *rs_instdir_find(const struct rs_instdir *d, const char *symbol);

/* The handlers themselves (ctx = struct rs_instdir *), for callers that
 * compose their own handler table. */
void rs_instdir_on_stock_directory(void *ctx, const struct rs_itch_stock_directory *m);
void rs_instdir_on_trading_action(void *ctx, const struct rs_itch_trading_action *m);
void rs_instdir_on_reg_sho(void *ctx, const struct rs_itch_reg_sho *m);
void rs_instdir_on_participant_position(void *ctx, const struct rs_itch_participant_position *m);
void rs_instdir_on_system_event(void *ctx, const struct rs_itch_system_event *m);
void rs_instdir_on_operational_halt(void *ctx, const struct rs_itch_operational_halt *m);

#endif /* RS_INSTDIR_H */
