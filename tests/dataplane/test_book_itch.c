/* test_book_itch.c - ITCH decode (dataplane/rs_itch) -> book on a generated
 * session (controlplane/rs_gen): every INCOMPLETE record completed, no
 * record rejected, no quality event (the generator never crosses a book),
 * live orders equal to the generator's, invariants hold, and the burst
 * path builds the same books as the one-record path. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_gen.h"
#include "dataplane/rs_book.h"
#include "dataplane/rs_itch.h"

#ifdef RS_SANITIZED
#define NMSG 300000ull
#else
#define NMSG 2000000ull
#endif

static struct rs_book *mk(void)
{
	struct rs_book *b;
	struct rs_book_cfg c;
	rs_book_cfg_default(&c);
	c.max_instruments = 2048;
	c.max_orders = 1u << 20;
	c.max_levels = 1u << 18;
	cr_assert_eq(rs_book_create(&b, &c), 0);
	return b;
}

Test(book_itch, generated_session_consistent, .timeout = 300)
{
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.messages = NMSG;
	o.symbols = 500;
	struct rs_gen *g;
	char err[256];
	cr_assert_eq(rs_gen_create(&g, &o, err, sizeof(err)), 0, "%s", err);
	struct rs_book *b1 = mk(), *b2 = mk();
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 1);
	uint8_t msg[RS_GEN_MSG_MAX];
	size_t len;
	struct rs_event burst[64 + RS_ITCH_MAX_EVENTS], one[RS_ITCH_MAX_EVENTS];
	unsigned n = 0;
	uint64_t seq = 0, incomplete = 0, changed = 0;
	while ((len = rs_gen_next(g, msg)) > 0) {
		unsigned k = rs_itch_decode(&d, msg, len, ++seq, 0, burst + n);
		memcpy(one, burst + n, k * sizeof(one[0]));
		for (unsigned i = 0; i < k; i++)
			rs_book_apply(b2, &one[i]);
		n += k;
		if (n >= 64) {
			rs_book_apply_burst(b1, burst, n);
			for (unsigned i = 0; i < n; i++) {
				incomplete += (burst[i].rs_flags & RS_EVF_INCOMPLETE) != 0;
				changed += (burst[i].rs_flags & RS_EVF_BBO_CHANGED) != 0;
				cr_assert_eq(burst[i].rs_flags & RS_EVF_REJECTED, 0, "record %c id %llu rejected",
					     burst[i].mbo.action, (unsigned long long)burst[i].mbo.order_id);
			}
			n = 0;
		}
	}
	rs_book_apply_burst(b1, burst, n);
	cr_assert_eq(incomplete, 0, "every ITCH record completed by the book");
	cr_assert_gt(changed, NMSG / 10);
	const struct rs_gen_stats *gs = rs_gen_stats(g);
	const struct rs_book_stats *st = rs_book_stats(b1);
	cr_assert_eq(st->rejected, 0);
	cr_assert_eq(st->orders_live, gs->live_orders, "book %llu live orders, generator %llu",
		     (unsigned long long)st->orders_live, (unsigned long long)gs->live_orders);
	for (uint32_t i = 0; i < rs_book_ninst(b1); i++)
		for (int q = 0; q < RS_BOOK_Q_COUNT; q++)
			cr_assert_eq(rs_book_inst(b1, i)->q[q], 0, "instrument %u: %s = %llu",
				     rs_book_inst(b1, i)->instrument_id, rs_book_q_names[q],
				     (unsigned long long)rs_book_inst(b1, i)->q[q]);
	char m[256];
	cr_assert_eq(rs_book_check_all(b1, m, sizeof(m)), 0, "%s", m);
	cr_assert_eq(rs_book_check_all(b2, m, sizeof(m)), 0, "%s", m);
	/* burst == one by one, full depth */
	static struct rs_level l1[70000], l2[70000];
	cr_assert_eq(rs_book_ninst(b1), rs_book_ninst(b2));
	for (uint32_t i = 0; i < rs_book_ninst(b1); i++)
		for (int s = 0; s < 2; s++) {
			unsigned a = rs_book_levels(b1, i, s, l1, 70000), c = rs_book_levels(b2, i, s, l2, 70000);
			cr_assert_eq(a, c);
			cr_assert_eq(memcmp(l1, l2, a * sizeof(l1[0])), 0, "instrument index %u side %d", i, s);
		}
	rs_book_destroy(b1);
	rs_book_destroy(b2);
	rs_gen_destroy(g);
}
