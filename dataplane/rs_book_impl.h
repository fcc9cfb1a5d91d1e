/*
 * rs_book_impl.h - the book's private state, shared by the engine
 * (rs_book.c) and its publication (rs_book_pub.c). Not a public header:
 * nothing outside dataplane/rs_book*.c includes it.
 */
#ifndef RS_BOOK_IMPL_H
#define RS_BOOK_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/rs_book.h"
#include "shm/rs_hugemem.h"

/* Ladder size classes: capacity 16 << cls entries (LAD_W << cls). */
#define LAD_NCLS 24
/* Keys of the ladder window compared at once from the touch. */
#define LAD_W 16

struct rs_book_islot {
	uint32_t instrument_id;
	uint32_t idx1; /* 0 empty, else instrument index + 1 */
};

struct rs_book {
	struct rs_book_cfg cfg;
	struct rs_hugemem mem;

	struct rs_book_order *orders;
	uint32_t ofree;              /* free-list head */
	struct rs_book_oslot *oring; /* direct-mapped order-id ring */
	uint64_t rmask;
	struct rs_book_oslot *oh;    /* overflow table */
	uint64_t ohmask;
	unsigned ohshift;            /* 64 - log2(slots): ohash() keeps the top bits */

	struct rs_book_level *levels;
	uint32_t lfree;

	int64_t *arena;              /* ladder slabs; offsets and sizes in int64 units */
	uint64_t arena_n, arena_used;
	int64_t cls_free[LAD_NCLS];  /* free blocks per class: arena offsets, -1 none */
	uint8_t max_cls;

	struct rs_book_inst *insts;
	uint32_t ninst;
	struct rs_book_islot *ih;
	uint32_t ihmask;
	uint32_t *dmap;              /* instrument_id < DMAP_N -> index + 1 (ITCH locates) */
	uint32_t last_iid, last_idx; /* one-entry lookup cache */

	uint32_t *pubq;              /* instruments to publish */
	uint32_t npub;

	/* the order deleted by the last 'C' with RS_EVF_DELETE (ITCH replace) */
	uint32_t del_iid;
	uint8_t del_side;            /* 0/1, 0xff none */

	struct rs_book_stats st;

	/* publication scratch and attached tables */
	struct rs_bbo pub_bbo;
	struct rs_depth *pub_depth;
	struct rs_seqtab *tab_bbo, *tab_depth;
	uint64_t pub_skipped;        /* instruments beyond a table's slots */
	rs_book_amend_fn amend;      /* see rs_book_set_amend() */
	void *amend_ctx;
};

/* level indices of a ladder: right after its keys */
static inline uint32_t *lad_lvl(const struct rs_book_side *s)
{
	return (uint32_t *)(s->key + ((size_t)LAD_W << s->cls));
}

#endif
