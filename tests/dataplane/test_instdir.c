/*
 * test_instdir.c - instrument directory: built from ITCH messages through
 * the decoder's handlers, halts, lookups, seqlocked table publication.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_instdir.h"
#include "dataplane/rs_itch.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

static size_t hdr(uint8_t *p, char type, uint16_t loc, uint64_t ts)
{
	memset(p, ' ', 64);
	p[0] = (uint8_t)type;
	p[1] = (uint8_t)(loc >> 8);
	p[2] = (uint8_t)loc;
	p[3] = p[4] = 0;
	for (int i = 0; i < 6; i++)
		p[5 + i] = (uint8_t)(ts >> (40 - 8 * i));
	return 11;
}

static void feed(struct rs_itch_dec *d, const uint8_t *m, size_t len)
{
	struct rs_event ev[2];
	uint8_t *b = malloc(len);
	memcpy(b, m, len);
	cr_assert_eq(rs_itch_decode(d, b, len, 1, 0, ev), 0);
	free(b);
}

static void directory(struct rs_itch_dec *d, uint16_t loc, const char *sym, char etp, char auth,
		      uint32_t lot, char lots_only)
{
	uint8_t m[64];
	hdr(m, 'R', loc, 1000 + loc);
	memcpy(m + 11, sym, strlen(sym));
	m[19] = 'Q';
	m[20] = 'N';
	m[21] = (uint8_t)(lot >> 24);
	m[22] = (uint8_t)(lot >> 16);
	m[23] = (uint8_t)(lot >> 8);
	m[24] = (uint8_t)lot;
	m[25] = (uint8_t)lots_only;
	m[26] = 'C';
	m[29] = (uint8_t)auth;
	m[30] = 'N';
	m[32] = '2';
	m[33] = (uint8_t)etp;
	memset(m + 34, 0, 4);
	m[38] = 'N';
	feed(d, m, 39);
}

Test(rs_instdir, built_from_messages)
{
	struct rs_instdir dir;
	struct rs_itch_dec d;
	cr_assert_eq(rs_instdir_init(&dir, 1000, 3), 0);
	rs_itch_dec_init(&d, 3);
	cr_assert_eq(rs_itch_dec_set_date(&d, 2023, 8, 22), 0);
	rs_instdir_bind(&dir, &d);
	directory(&d, 5, "MSFT", 'N', 'P', 100, 'N');
	directory(&d, 6, "ZVZZT", 'N', 'T', 50, 'Y');
	directory(&d, 7, "QQQ", 'Y', 'P', 100, 'N');
	cr_expect_eq(dir.count, 3);
	const struct rs_instrument *in = rs_instdir_find(&dir, "MSFT");
	cr_assert_not_null(in);
	cr_expect_eq(in->instrument_id, 5);
	cr_expect_eq(in->publisher_id, 3);
	cr_expect_str_eq(in->symbol, "MSFT");
	cr_expect_eq(in->lot_size, 100);
	cr_expect_eq(in->min_lot_size, 1);
	cr_expect_eq(in->market_category, 'Q');
	cr_expect_eq(in->financial_status, 'N');
	cr_expect_eq(in->issue_classification, 'C');
	cr_expect_eq(in->luld_tier, '2');
	cr_expect_eq(in->instrument_class, 'K');
	cr_expect_eq(in->display_factor, RS_PRICE_SCALE);
	cr_expect_eq(in->strike_price, RS_UNDEF_PRICE);
	cr_expect_eq(in->expiration, RS_UNDEF_TS);
	cr_expect_eq(in->ts_updated, 1692676800000000000ull + 1005);
	cr_expect_eq(in->flags, 0);
	in = rs_instdir_get(&dir, 6);
	cr_expect_eq(in->flags, RS_INSTF_TEST);
	cr_expect_eq(in->lot_size, 50);
	cr_expect_eq(in->min_lot_size, 50);
	cr_expect_eq(rs_instdir_get(&dir, 7)->flags, RS_INSTF_ETP);

	/* trading action: halted, then trading */
	uint8_t m[64];
	hdr(m, 'H', 5, 2000);
	memcpy(m + 11, "MSFT    ", 8);
	m[19] = 'H';
	feed(&d, m, 25);
	in = rs_instdir_get(&dir, 5);
	cr_expect_eq(in->trading_state, 'H');
	cr_expect_eq(in->flags & RS_INSTF_HALTED, RS_INSTF_HALTED);
	m[19] = 'T';
	feed(&d, m, 25);
	cr_expect_eq(in->flags & RS_INSTF_HALTED, 0);
	/* operational halt keeps it halted while trading state is T */
	hdr(m, 'h', 5, 2100);
	memcpy(m + 11, "MSFT    ", 8);
	m[19] = 'Q';
	m[20] = 'H';
	feed(&d, m, 21);
	cr_expect_eq(in->flags & RS_INSTF_HALTED, RS_INSTF_HALTED);
	m[20] = 'T';
	feed(&d, m, 21);
	cr_expect_eq(in->flags & RS_INSTF_HALTED, 0);
	/* Reg SHO */
	hdr(m, 'Y', 5, 2200);
	memcpy(m + 11, "MSFT    ", 8);
	m[19] = '1';
	feed(&d, m, 20);
	cr_expect_eq(in->reg_sho, '1');
	cr_expect_eq(in->ts_updated, 1692676800000000000ull + 2200);
	/* H for an unknown locate creates the entry with its symbol */
	hdr(m, 'H', 9, 2300);
	memcpy(m + 11, "NEWONE  ", 8);
	m[19] = 'P';
	feed(&d, m, 25);
	cr_expect_eq(dir.count, 4);
	cr_expect_str_eq(rs_instdir_get(&dir, 9)->symbol, "NEWONE");
	cr_expect_eq(rs_instdir_get(&dir, 9)->flags & RS_INSTF_HALTED, RS_INSTF_HALTED);
	/* out of range locate is counted and ignored */
	directory(&d, 1000, "FAR", 'N', 'P', 100, 'N');
	cr_expect_eq(dir.out_of_range, 1);
	cr_expect_null(rs_instdir_get(&dir, 1000));
	/* participant position and system event are counted */
	hdr(m, 'L', 5, 2400);
	feed(&d, m, 26);
	cr_expect_eq(dir.participant_positions, 1);
	hdr(m, 'S', 0, 2500);
	m[11] = 'C';
	feed(&d, m, 12);
	cr_expect_eq(dir.last_system_event, 'C');
	rs_instdir_fini(&dir);
}

Test(rs_instdir, published_to_seqtab)
{
	uint32_t nslots = 16;
	size_t fp = rs_seqtab_footprint(nslots, sizeof(struct rs_instrument));
	cr_assert_gt(fp, 0);
	void *mem = aligned_alloc(4096, (fp + 4095) & ~(size_t)4095);
	cr_assert_not_null(mem);
	memset(mem, 0, fp);
	struct rs_seqtab t;
	cr_assert_eq(rs_seqtab_init(&t, mem, fp, nslots, sizeof(struct rs_instrument)), 0);

	struct rs_instdir dir;
	struct rs_itch_dec d;
	cr_assert_eq(rs_instdir_init(&dir, 0, 9), 0);
	rs_itch_dec_init(&d, 9);
	rs_instdir_bind(&dir, &d);
	directory(&d, 2, "AAPL", 'N', 'P', 100, 'N'); /* before attach */
	cr_assert_eq(rs_instdir_attach_table(&dir, &t), 0);
	cr_expect_eq(dir.published, 1);
	directory(&d, 3, "SPY", 'Y', 'P', 100, 'N');
	directory(&d, 40, "BEYOND", 'N', 'P', 100, 'N'); /* home slot 40 % 16 = 8 */
	directory(&d, 18, "COLLIDE", 'N', 'P', 100, 'N'); /* home slot 2 is taken: probes */
	cr_expect_eq(dir.published, 4);
	cr_expect_eq(dir.publish_dropped, 0);

	/* the instrument-keyed layout clients read (shm/rs_itable.h):
	 * key = id + 1 at home slot id % nslots, linear probing */
	struct rs_instrument got;
	uint64_t key;
	cr_assert_eq(rs_seqtab_read(&t, 2, &got, sizeof(got), &key), 0);
	cr_expect_eq(key, 3);
	cr_expect_str_eq(got.symbol, "AAPL");
	cr_expect_eq(got.publisher_id, 9);
	cr_assert_eq(rs_seqtab_read(&t, 3, &got, sizeof(got), &key), 0);
	cr_expect_str_eq(got.symbol, "SPY");
	cr_expect_eq(got.flags, RS_INSTF_ETP);
	cr_assert_eq(rs_itable_find(&t, 40), 8);
	cr_assert_eq(rs_itable_find(&t, 18), 4, "2 and 3 taken: first free slot after home");
	cr_assert_eq(rs_seqtab_read(&t, 4, &got, sizeof(got), &key), 0);
	cr_expect_str_eq(got.symbol, "COLLIDE");
	cr_assert_eq(rs_itable_find(&t, 2), 2);
	cr_assert_eq(rs_itable_find(&t, 5), -ENOENT);
	cr_expect_eq(rs_seqtab_read(&t, 5, &got, sizeof(got), &key), -ENOENT);
	/* an update is republished */
	uint8_t m[64];
	hdr(m, 'H', 3, 5000);
	memcpy(m + 11, "SPY     ", 8);
	m[19] = 'H';
	feed(&d, m, 25);
	cr_assert_eq(rs_seqtab_read(&t, 3, &got, sizeof(got), &key), 0);
	cr_expect_eq(got.trading_state, 'H');
	cr_expect_eq(got.flags, RS_INSTF_ETP | RS_INSTF_HALTED);
	rs_instdir_fini(&dir);
	free(mem);
}
