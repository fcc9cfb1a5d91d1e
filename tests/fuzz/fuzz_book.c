/* fuzz_book.c - libFuzzer target for the MBO book (dataplane/rs_book.c) and
 * the LOBSTER line parsers (controlplane/rs_lobster.c).
 *
 * Input byte 0 selects the mode:
 *   'L'   the rest is one LOBSTER message line and one orderbook row
 *         (split at the first '\n'): parse both, map the message to records
 *   else  the rest is a sequence of 16-byte compact records expanded into
 *         struct rs_event (few instruments, small id and price spaces so
 *         the fuzzer reaches duplicates, crossings and capacity limits,
 *         plus raw 64-bit values and every special size/price/flag), applied
 *         one by one (bit 0 of byte 0 clear) or in bursts; after every
 *         burst the book must pass rs_book_check_all(). Any violation
 *         aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_lobster.h"
#include "dataplane/rs_book.h"

static struct rs_book *bk;

static const char actions[8] = {'A', 'C', 'M', 'R', 'T', 'F', 'N', 'A'};

static void expand(const uint8_t *p, struct rs_event *e)
{
	memset(e, 0, sizeof(*e));
	uint8_t c = p[0], f = p[1];
	e->mbo.hd.rtype = RS_RTYPE_MBO;
	e->mbo.hd.instrument_id = (f & 0x80) ? (uint32_t)p[2] << 24 | p[3] : p[2] & 3;
	e->mbo.action = (c & 0x80) ? (char)p[3] : actions[c & 7];
	e->mbo.side = (c & 0x18) == 0 ? 'B' : (c & 0x18) == 0x08 ? 'A' : (c & 0x18) == 0x10 ? 'N' : (char)p[4];
	uint64_t id;
	memcpy(&id, p + 8, 8);
	e->mbo.order_id = (c & 0x20) ? id : (id & 63);
	int64_t px = (int64_t)(int16_t)(p[4] | p[5] << 8);
	switch ((c >> 6) & 1 ? (p[6] & 3) : 0) {
	case 0:
		e->mbo.price = 100000000000LL + px * 10000000LL; /* 100.00 +- ticks */
		break;
	case 1:
		e->mbo.price = RS_UNDEF_PRICE;
		break;
	case 2:
		e->mbo.price = INT64_MIN;
		break;
	default:
		memcpy(&e->mbo.price, p + 8, 8);
		break;
	}
	uint32_t sz = p[7];
	e->mbo.size = (f & 0x40) ? RS_SIZE_ALL : (f & 0x20) ? (uint32_t)-(int32_t)sz : sz;
	e->mbo.flags = (f & 1) ? 0 : RS_F_LAST;
	if (f & 2)
		e->mbo.flags |= RS_F_SNAPSHOT;
	if ((f & 0x1c) == 0x1c)
		e->mbo.flags |= RS_F_TOB;
	e->rs_flags = (f & 4 ? RS_EVF_INCOMPLETE : 0) | (f & 8 ? RS_EVF_DELETE : 0) |
		      (f & 0x10 ? RS_EVF_REPLACE : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 'L') {
		char *s = malloc(size);
		if (!s)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		char *nl = strchr(s, '\n');
		const char *row = "";
		if (nl) {
			*nl = 0;
			row = nl + 1;
		}
		struct rs_lobster_msg m;
		static struct rs_lobster_row r;
		const char *why;
		struct rs_event ev[2];
		if (rs_lobster_parse_msg(s, &m, &why) == 0)
			rs_lobster_to_events(&m, 1, 0, 1, ev);
		rs_lobster_parse_row(row, &r, &why);
		free(s);
		return 0;
	}
	if (!bk) {
		struct rs_book_cfg c;
		rs_book_cfg_default(&c);
		c.max_instruments = 8;
		c.max_orders = 48;
		c.id_ring = 16; /* < live orders: the order-id overflow table is always in use */
		c.max_levels = 24;
		c.ladder_arena = 64;
		c.max_ladder = 16;
		c.depth = 4;
		if (rs_book_create(&bk, &c))
			abort();
	}
	rs_book_reset(bk);
	struct rs_event ev[64];
	unsigned n = 0;
	char msg[256];
	for (size_t off = 1; off + 16 <= size; off += 16) {
		expand(data + off, &ev[n++]);
		if (n == 64 || off + 32 > size) {
			if (data[0] & 1) {
				rs_book_apply_burst(bk, ev, n);
			} else {
				for (unsigned i = 0; i < n; i++)
					rs_book_apply(bk, &ev[i]);
			}
			n = 0;
			if (rs_book_check_all(bk, msg, sizeof(msg))) {
				fprintf(stderr, "book invariant violated: %s\n", msg);
				abort();
			}
		}
	}
	rs_book_publish(bk, NULL, NULL);
	return 0;
}
