/* test_lobster.c - LOBSTER message/orderbook parsing, record mapping,
 * seeding and seed redirection (controlplane/rs_lobster.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "controlplane/rs_lobster.h"

TestSuite(lobster);

Test(lobster, parse_message_exact_time)
{
	struct rs_lobster_msg m;
	const char *why = NULL;
	cr_assert_eq(rs_lobster_parse_msg("34200.004241176,1,16113575,18,5853300,1", &m, &why), 0);
	cr_assert_eq(m.time_ns, 34200004241176ull);
	cr_assert_eq(m.type, 1);
	cr_assert_eq(m.order_id, 16113575);
	cr_assert_eq(m.size, 18);
	cr_assert_eq(m.price, 5853300);
	cr_assert_eq(m.direction, 1);
	cr_assert_eq(rs_lobster_parse_msg("34200.00426064,4,7,5,5853200,-1\r\n", &m, &why), 0);
	cr_assert_eq(m.time_ns, 34200004260640ull);
	cr_assert_eq(m.direction, -1);
	cr_assert_eq(rs_lobster_parse_msg("34200,7,0,0,-1,-1", &m, &why), 0, "halt with price -1");
	cr_assert_eq(m.price, -1);
}

Test(lobster, parse_message_errors)
{
	struct rs_lobster_msg m;
	const char *why = NULL;
	static const char *bad[] = {
		"",
		"abc,1,1,1,1,1",
		"1.0,8,1,1,1,1",          /* type */
		"1.0,1,1,1,1,0",          /* direction */
		"1.0,1,1,1,1",            /* 5 fields */
		"1.0,1,1,1,1,1,9",        /* 7 fields */
		"1.0,1,-5,1,1,1",         /* negative id */
		"1.0,1,1,1,99999999999999999999,1",
		"1.0,1,1,1,1,1x",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		cr_assert_eq(rs_lobster_parse_msg(bad[i], &m, &why), -EINVAL, "'%s' accepted", bad[i]);
		cr_assert_not_null(why);
	}
}

Test(lobster, parse_row_with_dummies)
{
	static struct rs_lobster_row r;
	const char *why;
	cr_assert_eq(rs_lobster_parse_row("5859400,200,5853300,18,9999999999,0,-9999999999,0", &r, &why), 0);
	cr_assert_eq(r.nlevels, 2);
	cr_assert_eq(r.ask_px[0], 5859400LL * 100000);
	cr_assert_eq(r.bid_sz[0], 18);
	cr_assert_eq(r.ask_px[1], RS_UNDEF_PRICE);
	cr_assert_eq(r.bid_px[1], RS_UNDEF_PRICE);
	cr_assert_eq(rs_lobster_parse_row("1,2,3", &r, &why), -EINVAL);
	cr_assert_eq(rs_lobster_parse_row("1,2,3,4,5", &r, &why), -EINVAL);
	cr_assert_eq(rs_lobster_parse_row("1,-2,3,4", &r, &why), -EINVAL);
}

Test(lobster, message_to_records)
{
	struct rs_lobster_msg m = {.time_ns = 5, .type = 4, .order_id = 9, .size = 7, .price = 100000,
				   .direction = -1};
	struct rs_event e[2];
	cr_assert_eq(rs_lobster_to_events(&m, 3, 1000, 1, e), 2);
	cr_assert_eq(e[0].mbo.action, 'F');
	cr_assert_eq(e[0].mbo.side, 'A', "resting sell order");
	cr_assert_eq(e[0].mbo.flags & RS_F_LAST, 0);
	cr_assert_eq(e[1].mbo.action, 'C');
	cr_assert_eq(e[1].mbo.size, 7);
	cr_assert_eq(e[1].mbo.price, 10000000000LL);
	cr_assert_eq(e[1].mbo.hd.ts_event, 1005);
	cr_assert(e[1].mbo.flags & RS_F_LAST);
	m.type = 5;
	cr_assert_eq(rs_lobster_to_events(&m, 3, 0, 1, e), 1);
	cr_assert_eq(e[0].mbo.action, 'T');
	cr_assert_eq(e[0].mbo.side, 'B', "aggressor is the buyer");
	m.type = 3;
	cr_assert_eq(rs_lobster_to_events(&m, 3, 0, 1, e), 1);
	cr_assert(e[0].rs_flags & RS_EVF_DELETE);
	m.type = 7;
	cr_assert_eq(rs_lobster_to_events(&m, 3, 0, 1, e), 1);
	cr_assert_eq(e[0].mbo.action, 'N');
	m.type = 9;
	cr_assert_eq(rs_lobster_to_events(&m, 3, 0, 1, e), 0);
}

Test(lobster, seed_minus_first_message_and_redirect)
{
	struct rs_book *b;
	cr_assert_eq(rs_book_create(&b, &(struct rs_book_cfg){.max_orders = 64, .max_levels = 64,
							       .max_instruments = 4}), 0);
	static struct rs_lobster_row r;
	const char *why;
	/* after msg0 (add 18 @ 585.33 buy): bid 585.33 x 118, 585.30 x 5 */
	cr_assert_eq(rs_lobster_parse_row("5859400,200,5853300,118,5859800,100,5853000,5", &r, &why), 0);
	struct rs_lobster_msg m0 = {.type = 1, .order_id = 77, .size = 18, .price = 5853300, .direction = 1};
	cr_assert_eq(rs_lobster_seed(b, 1, &r, &m0), 4);
	struct rs_level lv[4];
	cr_assert_eq(rs_book_levels(b, 0, 0, lv, 4), 2);
	cr_assert_eq(lv[0].size, 100, "the first message's own 18 are not seeded");
	struct rs_event e[2];
	cr_assert_eq(rs_lobster_to_events(&m0, 1, 0, 1, e), 1);
	rs_book_apply(b, &e[0]);
	rs_book_levels(b, 0, 0, lv, 4);
	cr_assert_eq(lv[0].size, 118);
	cr_assert_eq(lv[0].count, 2);
	/* delete of an order resting before the file: reduces the seed */
	struct rs_lobster_msg m1 = {.type = 3, .order_id = 5, .size = 60, .price = 5853300, .direction = 1};
	rs_lobster_to_events(&m1, 1, 0, 2, e);
	cr_assert_eq(rs_lobster_fixup(b, &e[0]), 1);
	cr_assert_eq(e[0].rs_flags & RS_EVF_DELETE, 0);
	rs_book_apply(b, &e[0]);
	rs_book_levels(b, 0, 0, lv, 4);
	cr_assert_eq(lv[0].size, 58);
	/* known ids are not redirected */
	struct rs_lobster_msg m2 = {.type = 2, .order_id = 77, .size = 8, .price = 5853300, .direction = 1};
	rs_lobster_to_events(&m2, 1, 0, 3, e);
	cr_assert_eq(rs_lobster_fixup(b, &e[0]), 0);
	/* a delete that makes the first row inconsistent is refused */
	rs_book_reset(b);
	struct rs_lobster_msg bad = {.type = 1, .order_id = 1, .size = 500, .price = 5853300, .direction = 1};
	cr_assert_lt(rs_lobster_seed(b, 1, &r, &bad), 0);
	/* sync a level up and down */
	rs_book_reset(b);
	cr_assert_geq(rs_lobster_sync_level(b, 1, 1, 5859400LL * 100000, 300), 1);
	rs_book_levels(b, 0, 1, lv, 1);
	cr_assert_eq(lv[0].size, 300);
	cr_assert_geq(rs_lobster_sync_level(b, 1, 1, 5859400LL * 100000, 0), 1);
	cr_assert_eq(rs_book_nlevels(b, 0, 1), 0);
	char msg[256];
	cr_assert_eq(rs_book_check_all(b, msg, sizeof(msg)), 0, "%s", msg);
	rs_book_destroy(b);
}
