/*
 * test_itch.c - ITCH 5.0 decoder against the real captures in
 * $RINGSIDE_TESTDATA/itch (values read by hand from the bytes with xxd and
 * checked against the ITCH 5.0 layouts), hand-made messages for the types
 * absent from the captures (V W K h B N O), and malformed input.
 *
 * Every message is copied into a heap buffer of exactly its length before
 * decoding, so an over-read is caught by ASan in the sanitizer build.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_gen.h"
#include "controlplane/rs_pcapfile.h"
#include "dataplane/rs_instdir.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "dataplane/rs_moldudp.h"
#include "rs_test.h"

/* 2023-08-22 00:00 EDT = 04:00 UTC */
#define MID_20230822 1692676800000000000ull
#define PX(d) ((int64_t)(d))

/* ------------------------------------------------------------ capture load */

#define CAP_MAX 64
struct cap {
	size_t n;
	uint64_t seq[CAP_MAX];
	size_t len[CAP_MAX];
	uint8_t msg[CAP_MAX][64];
	size_t npkts;
	uint64_t pkt_ts[8];
	struct rs_pkt_udp udp[8];
	char session[8][11];
	struct rs_moldudp_counters mc;
};

static void load_pcap(const char *path, struct cap *c)
{
	memset(c, 0, sizeof(*c));
	struct rs_pcapfile *f;
	cr_assert_eq(rs_pcapfile_open(&f, path), 0, "open %s", path);
	struct rs_pcapfile_udp u;
	int rc;
	while ((rc = rs_pcapfile_next_udp(f, NULL, &u)) > 0) {
		struct rs_moldudp_pkt pk;
		cr_assert_eq(rs_moldudp_parse_count(&c->mc, u.udp.payload, u.udp.payload_len, &pk),
			     RS_MOLDUDP_OK);
		if (c->npkts < 8) {
			c->pkt_ts[c->npkts] = u.frame.ts_ns;
			c->udp[c->npkts] = u.udp;
			rs_moldudp_session_str(pk.session, c->session[c->npkts]);
		}
		c->npkts++;
		struct rs_moldudp_iter it;
		const uint8_t *m;
		size_t len;
		uint64_t seq;
		rs_moldudp_iter_init(&it, &pk);
		while (rs_moldudp_next(&it, &m, &len, &seq)) {
			cr_assert_lt(c->n, CAP_MAX);
			cr_assert_leq(len, 64);
			memcpy(c->msg[c->n], m, len);
			c->len[c->n] = len;
			c->seq[c->n] = seq;
			c->n++;
		}
	}
	cr_assert_eq(rc, 0);
	rs_pcapfile_close(f);
}

/* Decode message i of c with an exact-size heap copy. */
static unsigned dec(struct rs_itch_dec *d, const struct cap *c, size_t i, struct rs_event *ev)
{
	uint8_t *b = malloc(c->len[i]);
	memcpy(b, c->msg[i], c->len[i]);
	unsigned n = rs_itch_decode(d, b, c->len[i], c->seq[i], 777, ev);
	free(b);
	return n;
}

static void parse(const struct cap *c, size_t i, struct rs_itch_msg *m)
{
	uint8_t *b = malloc(c->len[i]);
	memcpy(b, c->msg[i], c->len[i]);
	cr_assert_eq(rs_itch_parse(b, c->len[i], m), 0);
	free(b);
}

static void dec_2023(struct rs_itch_dec *d)
{
	rs_itch_dec_init(d, 7);
	cr_assert_eq(rs_itch_dec_set_date(d, 2023, 8, 22), 0);
}

static void check_ev(const struct rs_event *e, uint32_t inst, uint64_t ts, char action, char side,
		     uint64_t oid, int64_t price, uint32_t size, uint8_t flags, uint32_t rsf,
		     uint32_t seq)
{
	cr_expect_eq(e->mbo.hd.length, 14);
	cr_expect_eq(e->mbo.hd.rtype, RS_RTYPE_MBO);
	cr_expect_eq(e->mbo.hd.publisher_id, 7);
	cr_expect_eq(e->mbo.hd.instrument_id, inst);
	cr_expect_eq(e->mbo.hd.ts_event, MID_20230822 + ts, "ts_event %lu", (unsigned long)e->mbo.hd.ts_event);
	cr_expect_eq(e->mbo.action, action, "action %c want %c", e->mbo.action, action);
	cr_expect_eq(e->mbo.side, side, "side %c want %c", e->mbo.side, side);
	cr_expect_eq(e->mbo.order_id, oid);
	cr_expect_eq(e->mbo.price, price, "price %ld want %ld", (long)e->mbo.price, (long)price);
	cr_expect_eq(e->mbo.size, size, "size %u want %u", e->mbo.size, size);
	cr_expect_eq(e->mbo.flags, flags);
	cr_expect_eq(e->mbo.channel_id, 0);
	cr_expect_eq(e->mbo.ts_recv, 777);
	cr_expect_eq(e->mbo.ts_in_delta, 0);
	cr_expect_eq(e->mbo.sequence, seq);
	cr_expect_eq(e->rs_flags, rsf, "rs_flags %x want %x", e->rs_flags, rsf);
}

#define NEED_CAP(c, rel)                          \
	RS_TEST_NEED_DATA(path_, "itch/" rel);     \
	static struct cap c;                      \
	load_pcap(path_, &c)

/* ---------------------------------------------------------- order messages */

Test(rs_itch, add_order_no_mpid_2023, .description = "A: 2023-08-22 IVOO B 1600 @ 87.39")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_AddOrderNoMPID.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 0, &m);
	cr_expect_eq(m.A.h.type, 'A');
	cr_expect_eq(m.A.h.locate, 5528);
	cr_expect_eq(m.A.h.tracking, 0);
	cr_expect_eq(m.A.h.ts, 34199999894278ull); /* 09:29:59.999894278 */
	cr_expect_eq(m.A.order_ref, 23508286);
	cr_expect_eq(m.A.side, 'B');
	cr_expect_eq(m.A.shares, 1600);
	cr_expect_arr_eq(m.A.stock, "IVOO    ", 8);
	cr_expect_eq(m.A.price, PX(87390000000));
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 1);
	check_ev(&ev[0], 5528, 34199999894278ull, 'A', 'B', 23508286, PX(87390000000), 1600, RS_F_LAST, 0, 0);
	/* second: RETL S 100 @ 7.17 -> ask */
	cr_assert_eq(dec(&d, &c, 1, ev), 1);
	check_ev(&ev[0], 8554, 34199999914224ull, 'A', 'A', 21361419, PX(7170000000), 100, RS_F_LAST, 0, 0);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_A], 2);
	cr_expect_eq(d.c.events, 2);
}

Test(rs_itch, add_order_mpid_2023, .description = "F: CASY S 100 @ 255.52 FLTU")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_AddOrderWithMPID.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 0, &m);
	cr_expect_eq(m.A.h.type, 'F');
	cr_expect_eq(m.A.h.locate, 1738);
	cr_expect_eq(m.A.h.ts, 34199999977782ull);
	cr_expect_eq(m.A.order_ref, 18923125);
	cr_expect_eq(m.A.side, 'S');
	cr_expect_eq(m.A.shares, 100);
	cr_expect_arr_eq(m.A.stock, "CASY    ", 8);
	cr_expect_eq(m.A.price, PX(255520000000));
	cr_expect_arr_eq(m.A.attribution, "FLTU", 4);
	parse(&c, 2, &m);
	cr_expect_arr_eq(m.A.attribution, "GSCO", 4);
	cr_expect_arr_eq(m.A.stock, "EIDO    ", 8);
	cr_expect_eq(m.A.shares, 800);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 1);
	check_ev(&ev[0], 1738, 34199999977782ull, 'A', 'A', 18923125, PX(255520000000), 100, RS_F_LAST, 0, 0);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_F], 1);
}

Test(rs_itch, order_executed_2023, .description = "E: ref 23499418 25 shares match 255547")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_OrderExecuted.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 0, &m);
	cr_expect_eq(m.E.h.locate, 2345);
	cr_expect_eq(m.E.h.tracking, 2);
	cr_expect_eq(m.E.h.ts, 34199999934561ull);
	cr_expect_eq(m.E.order_ref, 23499418);
	cr_expect_eq(m.E.shares, 25);
	cr_expect_eq(m.E.match_number, 255547);
	cr_expect_eq(m.E.price, RS_UNDEF_PRICE);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 2);
	check_ev(&ev[0], 2345, 34199999934561ull, 'F', 'N', 23499418, RS_UNDEF_PRICE, 25, 0, RS_EVF_INCOMPLETE, 0);
	check_ev(&ev[1], 2345, 34199999934561ull, 'C', 'N', 23499418, RS_UNDEF_PRICE, 25, RS_F_LAST, RS_EVF_INCOMPLETE, 0);
	parse(&c, 1, &m);
	cr_expect_eq(m.E.order_ref, 34057696);
	cr_expect_eq(m.E.shares, 2000);
	cr_expect_eq(m.E.match_number, 255548);
}

Test(rs_itch, order_executed_price_2023, .description = "C: non-printable 4926 @ 22.48; printable 100 @ 441.17")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_OrderExecutedWithPrice.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 0, &m);
	cr_expect_eq(m.E.h.type, 'C');
	cr_expect_eq(m.E.h.locate, 5092);
	cr_expect_eq(m.E.h.tracking, 1);
	cr_expect_eq(m.E.h.ts, 34200001163323ull);
	cr_expect_eq(m.E.order_ref, 19993566);
	cr_expect_eq(m.E.shares, 4926);
	cr_expect_eq(m.E.match_number, 255581);
	cr_expect_eq(m.E.printable, 'N');
	cr_expect_eq(m.E.price, PX(22480000000));
	parse(&c, 2, &m);
	cr_expect_eq(m.E.order_ref, 34105576);
	cr_expect_eq(m.E.shares, 100);
	cr_expect_eq(m.E.match_number, 256056);
	cr_expect_eq(m.E.printable, 'Y');
	cr_expect_eq(m.E.price, PX(441170000000));
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 2, ev), 2);
	check_ev(&ev[0], 9509, 34200007615761ull, 'F', 'N', 34105576, PX(441170000000), 100, 0, RS_EVF_INCOMPLETE, 0);
	check_ev(&ev[1], 9509, 34200007615761ull, 'C', 'N', 34105576, RS_UNDEF_PRICE, 100, RS_F_LAST, RS_EVF_INCOMPLETE, 0);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_C], 1);
}

Test(rs_itch, order_cancel_2023, .description = "X: ref 33823232 cancel 100")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_OrderCancel.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 3, &m);
	cr_expect_eq(m.X.h.locate, 6485);
	cr_expect_eq(m.X.h.ts, 34200006901693ull);
	cr_expect_eq(m.X.order_ref, 21259975);
	cr_expect_eq(m.X.shares, 2000);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 1);
	check_ev(&ev[0], 9413, 34200002394205ull, 'C', 'N', 33823232, RS_UNDEF_PRICE, 100, RS_F_LAST, RS_EVF_INCOMPLETE, 0);
}

Test(rs_itch, order_delete_2023, .description = "D: ref 23442714")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_OrderDelete.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 4, &m);
	cr_expect_eq(m.D.h.locate, 7499);
	cr_expect_eq(m.D.h.ts, 34199999920371ull);
	cr_expect_eq(m.D.order_ref, 21358375);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 1);
	check_ev(&ev[0], 3353, 34199999889645ull, 'C', 'N', 23442714, RS_UNDEF_PRICE, RS_SIZE_ALL, RS_F_LAST,
		 RS_EVF_INCOMPLETE | RS_EVF_DELETE, 0);
}

Test(rs_itch, order_replace_2023, .description = "U: 15108479 -> 21361351 100 @ 106.26")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_OrderReplace.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 0, &m);
	cr_expect_eq(m.U.h.locate, 7603);
	cr_expect_eq(m.U.h.ts, 34199999836649ull);
	cr_expect_eq(m.U.orig_order_ref, 15108479);
	cr_expect_eq(m.U.new_order_ref, 21361351);
	cr_expect_eq(m.U.shares, 100);
	cr_expect_eq(m.U.price, PX(106260000000));
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 2);
	check_ev(&ev[0], 7603, 34199999836649ull, 'C', 'N', 15108479, RS_UNDEF_PRICE, RS_SIZE_ALL, 0,
		 RS_EVF_INCOMPLETE | RS_EVF_DELETE, 0);
	check_ev(&ev[1], 7603, 34199999836649ull, 'A', 'N', 21361351, PX(106260000000), 100, RS_F_LAST,
		 RS_EVF_REPLACE, 0);
	parse(&c, 3, &m);
	cr_expect_eq(m.U.h.locate, 3709);
	cr_expect_eq(m.U.orig_order_ref, 22987054);
	cr_expect_eq(m.U.new_order_ref, 23508278);
	cr_expect_eq(m.U.price, PX(161400000000));
}

Test(rs_itch, trade_2023, .description = "P: GOOGL 100 @ 128.46 match 255554, indicator B")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_NonCrossTrade.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 0, &m);
	cr_expect_eq(m.P.h.locate, 4499);
	cr_expect_eq(m.P.h.tracking, 2);
	cr_expect_eq(m.P.h.ts, 34200000684713ull);
	cr_expect_eq(m.P.order_ref, 0);
	cr_expect_eq(m.P.side, 'B');
	cr_expect_eq(m.P.shares, 100);
	cr_expect_arr_eq(m.P.stock, "GOOGL   ", 8);
	cr_expect_eq(m.P.price, PX(128460000000));
	cr_expect_eq(m.P.match_number, 255554);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	/* resting buy matched -> sell aggressor -> 'A' */
	cr_assert_eq(dec(&d, &c, 0, ev), 1);
	check_ev(&ev[0], 4499, 34200000684713ull, 'T', 'A', 0, PX(128460000000), 100, RS_F_LAST, 0, 0);
	d.pside_mode = RS_ITCH_PSIDE_NONE;
	cr_assert_eq(dec(&d, &c, 3, ev), 1);
	check_ev(&ev[0], 749, 34200000997052ull, 'T', 'N', 0, PX(679520000000), 2, RS_F_LAST, 0, 0);
}

static int g_cross_calls;
static struct rs_itch_cross_trade g_cross;
static void on_cross(void *ctx, const struct rs_itch_cross_trade *m)
{
	(void)ctx;
	g_cross_calls++;
	g_cross = *m;
}

Test(rs_itch, cross_trade_2023, .description = "Q: PTGX opening cross 5577 @ 19.56")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_CrossTrade.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_msg m;
	parse(&c, 2, &m);
	cr_expect_eq(m.Q.h.locate, 8231);
	cr_expect_eq(m.Q.h.tracking, 2);
	cr_expect_eq(m.Q.h.ts, 34200000781447ull);
	cr_expect_eq(m.Q.shares, 5577);
	cr_expect_arr_eq(m.Q.stock, "PTGX    ", 8);
	cr_expect_eq(m.Q.price, PX(19560000000));
	cr_expect_eq(m.Q.match_number, 255561);
	cr_expect_eq(m.Q.cross_type, 'O');
	parse(&c, 0, &m); /* BAC-Q: no shares crossed */
	cr_expect_arr_eq(m.Q.stock, "BAC-Q   ", 8);
	cr_expect_eq(m.Q.shares, 0);
	cr_expect_eq(m.Q.price, 0);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	d.h.cross_trade = on_cross;
	g_cross_calls = 0;
	cr_assert_eq(dec(&d, &c, 2, ev), 1);
	check_ev(&ev[0], 8231, 34200000781447ull, 'T', 'N', 0, PX(19560000000), 5577, RS_F_LAST, 0, 0);
	cr_expect_eq(g_cross_calls, 1);
	cr_expect_eq(g_cross.match_number, 255561);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_Q], 1);
}

/* ------------------------------------------------------ non-order messages */

static struct rs_itch_msg g_last;
static int g_calls;
#define CB(name, type, field)                                          \
	static void cb_##name(void *ctx, const type *m)                    \
	{                                                                  \
		(void)ctx;                                                 \
		g_calls++;                                                 \
		memcpy(&g_last.field, m, sizeof(*m));                      \
	}
CB(system_event, struct rs_itch_system_event, S)
CB(stock_directory, struct rs_itch_stock_directory, R)
CB(trading_action, struct rs_itch_trading_action, H)
CB(reg_sho, struct rs_itch_reg_sho, Y)
CB(participant_position, struct rs_itch_participant_position, L)
CB(mwcb_decline, struct rs_itch_mwcb_decline, V)
CB(mwcb_status, struct rs_itch_mwcb_status, W)
CB(ipo_quoting, struct rs_itch_ipo_quoting, K)
CB(luld_collar, struct rs_itch_luld_collar, J)
CB(operational_halt, struct rs_itch_operational_halt, oh)
CB(noii, struct rs_itch_noii, I)
CB(rpii, struct rs_itch_rpii, N)
CB(dlcr, struct rs_itch_dlcr, O)
CB(broken_trade, struct rs_itch_broken_trade, B)

static void dec_cb(struct rs_itch_dec *d)
{
	dec_2023(d);
	d->h.system_event = cb_system_event;
	d->h.stock_directory = cb_stock_directory;
	d->h.trading_action = cb_trading_action;
	d->h.reg_sho = cb_reg_sho;
	d->h.participant_position = cb_participant_position;
	d->h.mwcb_decline = cb_mwcb_decline;
	d->h.mwcb_status = cb_mwcb_status;
	d->h.ipo_quoting = cb_ipo_quoting;
	d->h.luld_collar = cb_luld_collar;
	d->h.operational_halt = cb_operational_halt;
	d->h.noii = cb_noii;
	d->h.rpii = cb_rpii;
	d->h.dlcr = cb_dlcr;
	d->h.broken_trade = cb_broken_trade;
	g_calls = 0;
	memset(&g_last, 0, sizeof(g_last));
}

Test(rs_itch, system_event_2023, .description = "S: start of market hours 09:30:00.000070384")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_SystemEvent.pcap");
	cr_assert_eq(c.n, 1);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_cb(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 0);
	cr_expect_eq(g_calls, 1);
	cr_expect_eq(g_last.S.h.type, 'S');
	cr_expect_eq(g_last.S.h.locate, 0);
	cr_expect_eq(g_last.S.h.ts, 34200000070384ull);
	cr_expect_eq(g_last.S.event_code, 'Q');
	cr_expect_eq(d.c.msgs[RS_ITCH_T_S], 1);
	cr_expect_eq(d.c.events, 0);
}

Test(rs_itch, trading_action_2023, .description = "H: ZXZZT paused LUDP; CAML halted")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_StockTradingAction.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_cb(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 0);
	cr_expect_eq(g_last.H.h.locate, 11325);
	cr_expect_eq(g_last.H.h.ts, 34215592125541ull);
	cr_expect_arr_eq(g_last.H.stock, "ZXZZT   ", 8);
	cr_expect_eq(g_last.H.trading_state, 'P');
	cr_expect_eq(g_last.H.reserved, ' ');
	cr_expect_arr_eq(g_last.H.reason, "LUDP", 4);
	cr_assert_eq(dec(&d, &c, 2, ev), 0);
	cr_expect_eq(g_last.H.h.locate, 1707);
	cr_expect_eq(g_last.H.h.ts, 34220599106486ull);
	cr_expect_arr_eq(g_last.H.stock, "CAML    ", 8);
	cr_expect_eq(g_last.H.trading_state, 'H');
	cr_expect_arr_eq(g_last.H.reason, "    ", 4);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_H], 2);
}

Test(rs_itch, reg_sho_2023, .description = "Y: SOPA restriction in effect")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_RegSHORestriction.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_cb(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 0);
	cr_expect_eq(g_last.Y.h.locate, 9405);
	cr_expect_eq(g_last.Y.h.ts, 34200116533431ull);
	cr_expect_arr_eq(g_last.Y.stock, "SOPA    ", 8);
	cr_expect_eq(g_last.Y.action, '1');
	cr_assert_eq(dec(&d, &c, 4, ev), 0);
	cr_expect_arr_eq(g_last.Y.stock, "YCBD-A  ", 8);
	cr_expect_eq(g_last.Y.h.locate, 11203);
}

Test(rs_itch, participant_position_2023, .description = "L: MAXM FDLS primary, normal, active")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_MarketParticipantPosition.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_cb(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 0);
	cr_expect_eq(g_last.L.h.locate, 3648);
	cr_expect_eq(g_last.L.h.ts, 34224468064326ull);
	cr_expect_arr_eq(g_last.L.mpid, "MAXM", 4);
	cr_expect_arr_eq(g_last.L.stock, "FDLS    ", 8);
	cr_expect_eq(g_last.L.primary_market_maker, 'Y');
	cr_expect_eq(g_last.L.market_maker_mode, 'N');
	cr_expect_eq(g_last.L.participant_state, 'A');
	cr_assert_eq(dec(&d, &c, 2, ev), 0);
	cr_expect_arr_eq(g_last.L.mpid, "RILY", 4);
	cr_expect_arr_eq(g_last.L.stock, "FBIO    ", 8);
	cr_expect_eq(g_last.L.participant_state, 'E');
}

Test(rs_itch, luld_collar_2023, .description = "J: ZXZZT ref 13.34 upper 14.01 lower 10.92")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_LULDAuctionCollar.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_cb(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 0);
	cr_expect_eq(g_last.J.h.locate, 11325);
	cr_expect_eq(g_last.J.h.ts, 34215592415125ull);
	cr_expect_arr_eq(g_last.J.stock, "ZXZZT   ", 8);
	cr_expect_eq(g_last.J.ref_price, PX(13340000000));
	cr_expect_eq(g_last.J.upper_price, PX(14010000000));
	cr_expect_eq(g_last.J.lower_price, PX(10920000000));
	cr_expect_eq(g_last.J.extension, 0);
	cr_assert_eq(dec(&d, &c, 4, ev), 0); /* ZVZZT first extension */
	cr_expect_eq(g_last.J.h.locate, 11320);
	cr_expect_eq(g_last.J.lower_price, PX(24320000000));
	cr_expect_eq(g_last.J.extension, 1);
}

Test(rs_itch, noii_2023, .description = "I: MDC paired 1 no imbalance 46.44 opening cross")
{
	NEED_CAP(c, "omi_2023_anonymized/nasdaq_20230822_NetOrderImbalanceIndicator.pcap");
	cr_assert_eq(c.n, 5);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_cb(&d);
	cr_assert_eq(dec(&d, &c, 3, ev), 0);
	cr_expect_eq(g_last.I.h.locate, 6462);
	cr_expect_eq(g_last.I.h.ts, 34200000268978ull);
	cr_expect_eq(g_last.I.paired_shares, 1);
	cr_expect_eq(g_last.I.imbalance_shares, 0);
	cr_expect_eq(g_last.I.imbalance_direction, 'N');
	cr_expect_arr_eq(g_last.I.stock, "MDC     ", 8);
	cr_expect_eq(g_last.I.far_price, PX(46440000000));
	cr_expect_eq(g_last.I.near_price, PX(46440000000));
	cr_expect_eq(g_last.I.ref_price, PX(46440000000));
	cr_expect_eq(g_last.I.cross_type, 'O');
	cr_expect_eq(g_last.I.price_variation, 'L');
	cr_assert_eq(dec(&d, &c, 0, ev), 0);
	cr_expect_arr_eq(g_last.I.stock, "PFTAW   ", 8);
	cr_expect_eq(g_last.I.imbalance_direction, 'O');
	cr_expect_eq(g_last.I.price_variation, ' ');
	cr_expect_eq(d.c.msgs[RS_ITCH_T_I], 2);
}

/* ------------------------------------------------ single real packets */

Test(rs_itch, nasdaq_single_add_packet, .description = "MoldUDP64 framing of a real packet")
{
	NEED_CAP(c, "omi_single_packets/nasdaq_AddOrderNoMpidAttributionMessage.pcap");
	cr_assert_eq(c.npkts, 1);
	cr_assert_eq(c.n, 1);
	cr_expect_str_eq(c.session[0], "000010059B");
	cr_expect_eq(c.seq[0], 14757721);
	cr_expect_eq(c.pkt_ts[0], 1692711000000059094ull); /* 13:30:00.000059094 UTC */
	cr_expect_eq(c.udp[0].src_ip, 0xCEC87F8Au);         /* 206.200.127.138 */
	cr_expect_eq(c.udp[0].dst_ip, 0xE9360C6Fu);         /* 233.54.12.111 */
	cr_expect_eq(c.udp[0].src_port, 49653);
	cr_expect_eq(c.udp[0].dst_port, 26477);
	struct rs_pkt_filter f = {.dst_ip = 0xE9360C6Fu, .dst_port = 26477};
	cr_expect(rs_pkt_match(&f, &c.udp[0]));
	f.dst_port = 26478;
	cr_expect_not(rs_pkt_match(&f, &c.udp[0]));
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	cr_assert_eq(dec(&d, &c, 0, ev), 1);
	check_ev(&ev[0], 5528, 34199999894278ull, 'A', 'B', 23508286, PX(87390000000), 1600, RS_F_LAST, 0,
		 (uint32_t)14757721);
	/* decoded ts_event is 164816 ns before the capture time */
	cr_expect_eq(c.pkt_ts[0] - ev[0].mbo.hd.ts_event, 164816);
}

Test(rs_itch, nasdaq_single_packets_all)
{
	struct rs_itch_dec d;
	struct rs_event ev[2];
	struct rs_itch_msg m;
	{
		NEED_CAP(c, "omi_single_packets/nasdaq_StockTradingActionMessage.pcap");
		cr_assert_eq(c.n, 1);
		cr_expect_eq(c.seq[0], 34147961);
		parse(&c, 0, &m);
		cr_expect_eq(m.H.h.locate, 464);
		cr_expect_eq(m.H.h.ts, 34763322465824ull);
		cr_expect_arr_eq(m.H.stock, "AMC     ", 8);
		cr_expect_eq(m.H.trading_state, 'T');
	}
	{
		NEED_CAP(c, "omi_single_packets/nasdaq_OrderDeleteMessage.pcap");
		cr_assert_eq(c.n, 1);
		dec_2023(&d);
		cr_assert_eq(dec(&d, &c, 0, ev), 1);
		check_ev(&ev[0], 3517, 34199999896280ull, 'C', 'N', 23497686, RS_UNDEF_PRICE, RS_SIZE_ALL,
			 RS_F_LAST, RS_EVF_INCOMPLETE | RS_EVF_DELETE, 14757722);
	}
	{
		NEED_CAP(c, "omi_single_packets/nasdaq_OrderExecutedMessage.pcap");
		cr_assert_eq(c.n, 1);
		dec_2023(&d);
		cr_assert_eq(dec(&d, &c, 0, ev), 2);
		check_ev(&ev[1], 2345, 34199999934561ull, 'C', 'N', 23499418, RS_UNDEF_PRICE, 25, RS_F_LAST,
			 RS_EVF_INCOMPLETE, 14757745);
	}
	{
		NEED_CAP(c, "omi_single_packets/nasdaq_OrderReplaceMessage.pcap");
		cr_assert_eq(c.n, 1);
		cr_expect_eq(c.seq[0], 14757701);
		parse(&c, 0, &m);
		cr_expect_eq(m.U.orig_order_ref, 15108479);
		cr_expect_eq(m.U.new_order_ref, 21361351);
	}
	{
		NEED_CAP(c, "omi_single_packets/nasdaq_MarketParticipantPositionMessage.pcap");
		cr_assert_eq(c.n, 1);
		cr_expect_eq(c.seq[0], 17861990);
		parse(&c, 0, &m);
		cr_expect_arr_eq(m.L.mpid, "MAXM", 4);
		cr_expect_arr_eq(m.L.stock, "FGMC    ", 8);
	}
	{
		NEED_CAP(c, "omi_single_packets/nasdaq_NetOrderImbalanceIndicatorMessage.pcap");
		cr_assert_eq(c.n, 1);
		cr_expect_eq(c.seq[0], 14757919);
		parse(&c, 0, &m);
		cr_expect_arr_eq(m.I.stock, "MDC     ", 8);
		cr_expect_eq(m.I.far_price, PX(46440000000));
	}
}

Test(rs_itch, bx_single_packets)
{
	struct rs_itch_dec d;
	struct rs_event ev[2];
	{
		NEED_CAP(c, "omi_single_packets/bx_AddOrderNoMpidAttributionMessage.pcap");
		cr_assert_eq(c.n, 1);
		cr_expect_str_eq(c.session[0], "000010059D");
		cr_expect_eq(c.udp[0].dst_ip, 0xE931C428u); /* 233.49.196.40 */
		cr_expect_eq(c.udp[0].dst_port, 25475);
		cr_expect_eq(c.udp[0].vlan_outer, 142);     /* 802.1Q tag 0x008e */
		dec_2023(&d);
		cr_assert_eq(dec(&d, &c, 0, ev), 1);
		check_ev(&ev[0], 524, 34199999357223ull, 'A', 'B', 1551269, PX(24270000000), 300, RS_F_LAST, 0,
			 1621717);
	}
	{
		NEED_CAP(c, "omi_single_packets/bx_OrderDeleteMessage.pcap");
		dec_2023(&d);
		cr_assert_eq(dec(&d, &c, 0, ev), 1);
		check_ev(&ev[0], 4135, 34199999524563ull, 'C', 'N', 2902330, RS_UNDEF_PRICE, RS_SIZE_ALL, RS_F_LAST,
			 RS_EVF_INCOMPLETE | RS_EVF_DELETE, 1621741);
	}
	{
		NEED_CAP(c, "omi_single_packets/bx_OrderReplaceMessage.pcap");
		dec_2023(&d);
		cr_assert_eq(dec(&d, &c, 0, ev), 2);
		check_ev(&ev[0], 2908, 34199999665635ull, 'C', 'N', 2589422, RS_UNDEF_PRICE, RS_SIZE_ALL, 0,
			 RS_EVF_INCOMPLETE | RS_EVF_DELETE, 1621746);
		check_ev(&ev[1], 2908, 34199999665635ull, 'A', 'N', 3541246, PX(54880000000), 100, RS_F_LAST,
			 RS_EVF_REPLACE, 1621746);
	}
}

Test(rs_itch, multiple_packets, .description = "2 packets, 39 messages: D, then 36 A + 2 F (META)")
{
	NEED_CAP(c, "omi_nasdaq_itch50_moldudp64_Multiple.Packets.pcap");
	cr_assert_eq(c.npkts, 2);
	cr_assert_eq(c.n, 39);
	cr_expect_eq(c.mc.pkts, 2);
	cr_expect_eq(c.mc.msgs, 39);
	cr_expect_eq(c.seq[0], 14764496);
	cr_expect_eq(c.seq[1], 19009117);
	cr_expect_eq(c.seq[38], 19009154);
	struct rs_itch_dec d;
	struct rs_event ev[2];
	dec_2023(&d);
	for (size_t i = 0; i < c.n; i++)
		dec(&d, &c, i, ev);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_D], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_A], 36);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_F], 2);
	cr_expect_eq(d.c.events, 39);
	cr_assert_eq(dec(&d, &c, 0, ev), 1);
	check_ev(&ev[0], 2737, 34200007495351ull, 'C', 'N', 23485802, RS_UNDEF_PRICE, RS_SIZE_ALL, RS_F_LAST,
		 RS_EVF_INCOMPLETE | RS_EVF_DELETE, 14764496);
	cr_assert_eq(dec(&d, &c, 1, ev), 1);
	check_ev(&ev[0], 6514, 34238952381153ull, 'A', 'B', 7942047, PX(80520000000), 1, RS_F_LAST, 0, 19009117);
	cr_assert_eq(dec(&d, &c, 9, ev), 1); /* F UBSS */
	check_ev(&ev[0], 6514, 34238952381153ull, 'A', 'B', 9752743, PX(80110000000), 5, RS_F_LAST, 0, 19009125);
	cr_assert_eq(dec(&d, &c, 14, ev), 1);
	check_ev(&ev[0], 6514, 34238952381153ull, 'A', 'A', 10250271, PX(357890000000), 112, RS_F_LAST, 0,
		 19009130);
	cr_assert_eq(dec(&d, &c, 38, ev), 1);
	check_ev(&ev[0], 6514, 34238952381153ull, 'A', 'A', 5325319, PX(358000000000), 1, RS_F_LAST, 0, 19009154);
}

/* ----------------------------------------------------------- the day file */

Test(rs_itch, day_file_head, .description = "1,000 messages to exact EOF: S=1 R=993 H=3 Y=3")
{
	RS_TEST_NEED_DATA(path, "itch/nasdaq_itch50_binaryfile_first1000msgs.itch");
	struct rs_itchfile f;
	cr_assert_eq(rs_itchfile_open(&f, path, 1), 0);
	cr_expect_eq(f.size, 40874);
	struct rs_itch_dec d;
	struct rs_instdir dir;
	cr_assert_eq(rs_instdir_init(&dir, 0, 7), 0);
	rs_itch_dec_init(&d, 7);
	rs_instdir_bind(&dir, &d);
	const uint8_t *m;
	size_t len;
	int rc;
	struct rs_event ev[2];
	struct rs_itch_msg first, second, fourth;
	while ((rc = rs_itchfile_next(&f, &m, &len)) > 0) {
		uint8_t *b = malloc(len);
		memcpy(b, m, len);
		cr_assert_eq(rs_itch_decode(&d, b, len, f.nmsgs, 0, ev), 0);
		if (f.nmsgs == 1)
			rs_itch_parse(b, len, &first);
		if (f.nmsgs == 2)
			rs_itch_parse(b, len, &second);
		if (f.nmsgs == 4)
			rs_itch_parse(b, len, &fourth);
		free(b);
	}
	cr_expect_eq(rc, 0, "clean EOF");
	cr_expect_eq(f.nmsgs, 1000);
	cr_expect_eq(f.off, 40874);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_S], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_R], 993);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_H], 3);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_Y], 3);
	for (int i = 0; i < RS_ITCH_REJ__COUNT; i++)
		cr_expect_eq(d.c.rejects[i], 0);
	cr_expect_eq(dir.count, 993);
	cr_expect_eq(dir.directory_msgs, 993);
	cr_expect_eq(dir.last_system_event, 'O');
	/* S: start of messages at 03:04:32.057543747 */
	cr_expect_eq(first.S.h.ts, 11072057543747ull);
	cr_expect_eq(first.S.event_code, 'O');
	/* R #1: A, NYSE, normal, round lot 100, common stock subtype Z, tier 1 */
	cr_expect_eq(second.R.h.locate, 1);
	cr_expect_eq(second.R.h.ts, 11354325413976ull);
	cr_expect_arr_eq(second.R.stock, "A       ", 8);
	cr_expect_eq(second.R.market_category, 'N');
	cr_expect_eq(second.R.financial_status, ' ');
	cr_expect_eq(second.R.round_lot_size, 100);
	cr_expect_eq(second.R.round_lots_only, 'N');
	cr_expect_eq(second.R.issue_classification, 'C');
	cr_expect_arr_eq(second.R.issue_subtype, "Z ", 2);
	cr_expect_eq(second.R.authenticity, 'P');
	cr_expect_eq(second.R.short_sale_threshold, 'N');
	cr_expect_eq(second.R.ipo_flag, ' ');
	cr_expect_eq(second.R.luld_tier, '1');
	cr_expect_eq(second.R.etp_flag, 'N');
	cr_expect_eq(second.R.etp_leverage_factor, 0);
	cr_expect_eq(second.R.inverse_indicator, 'N');
	/* R #3: AAAU, NYSE Arca, ETP, leverage 1, tier 2 */
	cr_expect_arr_eq(fourth.R.stock, "AAAU    ", 8);
	cr_expect_eq(fourth.R.h.locate, 3);
	cr_expect_eq(fourth.R.market_category, 'P');
	cr_expect_eq(fourth.R.issue_classification, 'Q');
	cr_expect_eq(fourth.R.luld_tier, '2');
	cr_expect_eq(fourth.R.etp_flag, 'Y');
	cr_expect_eq(fourth.R.etp_leverage_factor, 1);
	/* the directory */
	const struct rs_instrument *in = rs_instdir_find(&dir, "AAAU");
	cr_assert_not_null(in);
	cr_expect_eq(in->instrument_id, 3);
	cr_expect_eq(in->publisher_id, 7);
	cr_expect_eq(in->flags & RS_INSTF_ETP, RS_INSTF_ETP);
	cr_expect_eq(in->market_category, 'P');
	cr_expect_eq(in->lot_size, 100);
	cr_expect_eq(in->instrument_class, 'K');
	cr_expect_eq(in->luld_tier, '2');
	in = rs_instdir_get(&dir, 1);
	cr_assert_not_null(in);
	cr_expect_str_eq(in->symbol, "A");
	cr_expect_eq(in->trading_state, 'T'); /* H at message 82 */
	cr_expect_eq(in->reg_sho, '0');       /* Y at message 83 */
	cr_expect_eq(in->flags & RS_INSTF_HALTED, 0);
	cr_expect_eq(in->ts_updated, 11354328788607ull); /* the Y message, no session date set */
	in = rs_instdir_get(&dir, 993);
	cr_assert_not_null(in);
	cr_expect_str_eq(in->symbol, "BPFH"); /* last message: locate 0x3e1 */
	cr_expect_null(rs_instdir_get(&dir, 994));
	cr_expect_null(rs_instdir_find(&dir, "ZZZZZZ"));
	cr_expect_not_null(rs_instdir_find(&dir, "AA      "));
	rs_instdir_fini(&dir);
	rs_itchfile_close(&f);
}

Test(rs_itch, day_file_truncated, .description = "truncated tail -> -EBADMSG with offset")
{
	RS_TEST_NEED_DATA(path, "itch/nasdaq_itch50_binaryfile_first1000msgs.itch");
	struct rs_itchfile full;
	cr_assert_eq(rs_itchfile_open(&full, path, 0), 0);
	/* cut inside the last message (39 bytes + 2 prefix at 40833) */
	size_t cut = full.size - 5;
	uint8_t *b = malloc(cut);
	memcpy(b, full.base, cut);
	struct rs_itchfile f;
	rs_itchfile_init_mem(&f, b, cut);
	const uint8_t *m;
	size_t len;
	int rc;
	while ((rc = rs_itchfile_next(&f, &m, &len)) > 0)
		;
	cr_expect_eq(rc, -EBADMSG);
	cr_expect_eq(f.nmsgs, 999);
	cr_expect_eq(f.err_off, 40874 - 41);
	/* cut after one byte of a length prefix */
	rs_itchfile_init_mem(&f, b, 40874 - 40);
	while ((rc = rs_itchfile_next(&f, &m, &len)) > 0)
		;
	cr_expect_eq(rc, -EBADMSG);
	cr_expect_eq(f.err_off, 40874 - 41);
	free(b);
	rs_itchfile_close(&full);
	/* empty buffer: clean EOF */
	rs_itchfile_init_mem(&f, NULL, 0);
	cr_expect_eq(rs_itchfile_next(&f, &m, &len), 0);
}

Test(rs_itch, itchfile_open_errors)
{
	struct rs_itchfile f;
	cr_expect_eq(rs_itchfile_open(&f, "/nonexistent/x.itch", 0), -ENOENT);
	cr_expect_eq(rs_itchfile_open(&f, "/tmp", 0), -EINVAL);
}

/* ------------------------------------------- hand-made (absent) types */

static size_t hdr(uint8_t *p, char type, uint16_t loc, uint16_t trk, uint64_t ts)
{
	p[0] = (uint8_t)type;
	p[1] = (uint8_t)(loc >> 8);
	p[2] = (uint8_t)loc;
	p[3] = (uint8_t)(trk >> 8);
	p[4] = (uint8_t)trk;
	for (int i = 0; i < 6; i++)
		p[5 + i] = (uint8_t)(ts >> (40 - 8 * i));
	return 11;
}

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static unsigned dec_buf(struct rs_itch_dec *d, const uint8_t *m, size_t len, struct rs_event *ev)
{
	uint8_t *b = malloc(len ? len : 1);
	memcpy(b, m, len);
	unsigned n = rs_itch_decode(d, b, len, 1, 777, ev);
	free(b);
	return n;
}

Test(rs_itch, handmade_mwcb_ipo_halt_broken_rpii_dlcr)
{
	struct rs_itch_dec d;
	struct rs_event ev[2];
	uint8_t m[64];
	dec_cb(&d);
	/* V: levels 3,984.12345678 / 3,713.1 / 3,442.0 (Price(8)) */
	memset(m, 0, sizeof(m));
	hdr(m, 'V', 0, 0, 34200000000000ull);
	put(m + 11, 398412345678ull, 8);
	put(m + 19, 371310000000ull, 8);
	put(m + 27, 344200000000ull, 8);
	cr_assert_eq(dec_buf(&d, m, 35, ev), 0);
	cr_expect_eq(g_last.V.level1, 3984123456780LL);
	cr_expect_eq(g_last.V.level2, 3713100000000LL);
	cr_expect_eq(g_last.V.level3, 3442000000000LL);
	cr_expect_eq(g_last.V.h.ts, 34200000000000ull);
	/* a level beyond int64 1e-9 units is "no price", not an overflow */
	put(m + 19, 0xFFFFFFFFFFFFFFFFull, 8);
	cr_assert_eq(dec_buf(&d, m, 35, ev), 0);
	cr_expect_eq(g_last.V.level2, RS_UNDEF_PRICE);
	cr_expect_eq(g_last.V.level1, 3984123456780LL);
	/* W: level 1 breached */
	hdr(m, 'W', 0, 0, 1);
	m[11] = '1';
	cr_assert_eq(dec_buf(&d, m, 12, ev), 0);
	cr_expect_eq(g_last.W.breached_level, '1');
	/* K: IPO at 10:30:00, anticipated, 17.50 */
	hdr(m, 'K', 42, 3, 2);
	memcpy(m + 11, "NEWCO   ", 8);
	put(m + 19, 37800, 4);
	m[23] = 'A';
	put(m + 24, 175000, 4);
	cr_assert_eq(dec_buf(&d, m, 28, ev), 0);
	cr_expect_eq(g_last.K.h.locate, 42);
	cr_expect_eq(g_last.K.h.tracking, 3);
	cr_expect_arr_eq(g_last.K.stock, "NEWCO   ", 8);
	cr_expect_eq(g_last.K.release_time, 37800);
	cr_expect_eq(g_last.K.release_qualifier, 'A');
	cr_expect_eq(g_last.K.ipo_price, PX(17500000000));
	/* h: operational halt on Nasdaq */
	hdr(m, 'h', 9, 0, 3);
	memcpy(m + 11, "HOOD    ", 8);
	m[19] = 'Q';
	m[20] = 'H';
	cr_assert_eq(dec_buf(&d, m, 21, ev), 0);
	cr_expect_arr_eq(g_last.oh.stock, "HOOD    ", 8);
	cr_expect_eq(g_last.oh.market_code, 'Q');
	cr_expect_eq(g_last.oh.action, 'H');
	/* B: broken trade */
	hdr(m, 'B', 9, 0, 4);
	put(m + 11, 255561, 8);
	cr_assert_eq(dec_buf(&d, m, 19, ev), 0);
	cr_expect_eq(g_last.B.match_number, 255561);
	/* N: RPII */
	hdr(m, 'N', 9, 0, 5);
	memcpy(m + 11, "SPY     ", 8);
	m[19] = 'A';
	cr_assert_eq(dec_buf(&d, m, 20, ev), 0);
	cr_expect_eq(g_last.N.interest_flag, 'A');
	cr_expect_arr_eq(g_last.N.stock, "SPY     ", 8);
	/* O: DLCR */
	hdr(m, 'O', 77, 0, 6);
	memcpy(m + 11, "DLCR    ", 8);
	m[19] = 'Y';
	put(m + 20, 80000, 4);
	put(m + 24, 360000, 4);
	put(m + 28, 125000, 4);
	put(m + 32, 36000000000000ull, 8);
	put(m + 40, 100000, 4);
	put(m + 44, 150000, 4);
	cr_assert_eq(dec_buf(&d, m, 48, ev), 0);
	cr_expect_eq(g_last.O.h.locate, 77);
	cr_expect_eq(g_last.O.open_eligibility, 'Y');
	cr_expect_eq(g_last.O.min_price, PX(8000000000));
	cr_expect_eq(g_last.O.max_price, PX(36000000000));
	cr_expect_eq(g_last.O.near_exec_price, PX(12500000000));
	cr_expect_eq(g_last.O.near_exec_time, 36000000000000ull);
	cr_expect_eq(g_last.O.lower_collar, PX(10000000000));
	cr_expect_eq(g_last.O.upper_collar, PX(15000000000));
	cr_expect_eq(g_calls, 8);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_V] + d.c.msgs[RS_ITCH_T_W] + d.c.msgs[RS_ITCH_T_K] +
			     d.c.msgs[RS_ITCH_T_h] + d.c.msgs[RS_ITCH_T_B] + d.c.msgs[RS_ITCH_T_N] +
			     d.c.msgs[RS_ITCH_T_O],
		     8);
	cr_expect_eq(d.c.events, 0);
}

/* --------------------------------------------------------------- malformed */

Test(rs_itch, wrong_length_every_type, .description = "len-1 and len+1 of every type rejected, no read past end")
{
	struct rs_itch_dec d;
	struct rs_event ev[2];
	uint8_t m[64];
	dec_cb(&d);
	uint64_t rej = 0;
	for (unsigned i = 0; i < RS_ITCH_T__COUNT; i++) {
		char t = rs_itch_type_char(i);
		unsigned want = rs_itch_msg_len((uint8_t)t);
		cr_assert_gt(want, 0, "type %c", t);
		memset(m, 0x41, sizeof(m));
		m[0] = (uint8_t)t;
		cr_expect_eq(dec_buf(&d, m, want - 1, ev), 0, "type %c short", t);
		cr_expect_eq(dec_buf(&d, m, want + 1, ev), 0, "type %c long", t);
		cr_expect_eq(dec_buf(&d, m, 1, ev), 0, "type %c 1 byte", t);
		rej += 3;
		struct rs_itch_msg pm;
		uint8_t *b = malloc(want - 1);
		memcpy(b, m, want - 1);
		cr_expect_eq(rs_itch_parse(b, want - 1, &pm), -EMSGSIZE);
		free(b);
	}
	cr_expect_eq(d.c.rejects[RS_ITCH_REJ_BAD_LENGTH], rej);
	cr_expect_eq(d.c.events, 0);
	cr_expect_eq(g_calls, 0);
	for (unsigned i = 0; i < RS_ITCH_T__COUNT; i++)
		cr_expect_eq(d.c.msgs[i], 0);
}

Test(rs_itch, unknown_type_and_empty)
{
	struct rs_itch_dec d;
	struct rs_event ev[2];
	uint8_t m[64];
	memset(m, 0, sizeof(m));
	rs_itch_dec_init(&d, 1);
	unsigned unknown = 0;
	for (int t = 0; t < 256; t++) {
		if (rs_itch_msg_len((uint8_t)t))
			continue;
		m[0] = (uint8_t)t;
		cr_expect_eq(dec_buf(&d, m, 36, ev), 0);
		unknown++;
	}
	cr_expect_eq(unknown, 256 - 23);
	cr_expect_eq(d.c.rejects[RS_ITCH_REJ_UNKNOWN_TYPE], unknown);
	cr_expect_eq(dec_buf(&d, m, 0, ev), 0);
	cr_expect_eq(d.c.rejects[RS_ITCH_REJ_EMPTY], 1);
	struct rs_itch_msg pm;
	cr_expect_eq(rs_itch_parse(m, 0, &pm), -EINVAL);
	m[0] = 'Z';
	cr_expect_eq(rs_itch_parse(m, 36, &pm), -EINVAL);
	cr_expect_str_eq(rs_itch_type_name('A'), "add_order");
	cr_expect_str_eq(rs_itch_type_name('Z'), "unknown");
	cr_expect_str_eq(rs_itch_rej_name(RS_ITCH_REJ_BAD_LENGTH), "bad_length");
}

Test(rs_itch, moldudp_count_disagrees_rejected)
{
	RS_TEST_NEED_DATA(path, "itch/omi_nasdaq_itch50_moldudp64_Multiple.Packets.pcap");
	struct rs_pcapfile *f;
	cr_assert_eq(rs_pcapfile_open(&f, path), 0);
	struct rs_pcapfile_udp u;
	cr_assert_eq(rs_pcapfile_next_udp(f, NULL, &u), 1);
	cr_assert_eq(rs_pcapfile_next_udp(f, NULL, &u), 1); /* the 38-message packet */
	size_t n = u.udp.payload_len;
	uint8_t *b = malloc(n);
	memcpy(b, u.udp.payload, n);
	struct rs_moldudp_counters mc;
	memset(&mc, 0, sizeof(mc));
	struct rs_moldudp_pkt pk;
	cr_expect_eq(rs_moldudp_parse_count(&mc, b, n, &pk), RS_MOLDUDP_OK);
	cr_expect_eq(pk.count, 38);
	b[19] = 39; /* count says 39 */
	cr_expect_eq(rs_moldudp_parse_count(&mc, b, n, &pk), RS_MOLDUDP_ERR_COUNT_LONG);
	b[19] = 37; /* count says 37: one block left over */
	cr_expect_eq(rs_moldudp_parse_count(&mc, b, n, &pk), RS_MOLDUDP_ERR_TRAILING);
	b[19] = 38;
	cr_expect_eq(rs_moldudp_parse_count(&mc, b, n - 1, &pk), RS_MOLDUDP_ERR_BLOCK_TRUNC);
	cr_expect_eq(rs_moldudp_parse_count(&mc, b, 19, &pk), RS_MOLDUDP_ERR_SHORT);
	cr_expect_eq(mc.pkts, 1);
	cr_expect_eq(mc.rejects[RS_MOLDUDP_ERR_COUNT_LONG], 1);
	cr_expect_eq(mc.rejects[RS_MOLDUDP_ERR_TRAILING], 1);
	cr_expect_eq(mc.rejects[RS_MOLDUDP_ERR_BLOCK_TRUNC], 1);
	cr_expect_eq(mc.rejects[RS_MOLDUDP_ERR_SHORT], 1);
	free(b);
	rs_pcapfile_close(f);
}

/* ------------------------------------------------------- session date */

Test(rs_itch, midnight_eastern_time)
{
	cr_expect_eq(rs_itch_midnight_ns(2023, 8, 22), (int64_t)MID_20230822); /* EDT */
	cr_expect_eq(rs_itch_midnight_ns(2024, 1, 2), 1704171600LL * 1000000000LL); /* EST: 05:00Z */
	/* DST starts 2024-03-10 02:00: midnight of the 10th is still EST */
	cr_expect_eq(rs_itch_midnight_ns(2024, 3, 10), 1710046800LL * 1000000000LL);
	cr_expect_eq(rs_itch_midnight_ns(2024, 3, 11), 1710129600LL * 1000000000LL);
	/* DST ends 2024-11-03 02:00: midnight of the 3rd is still EDT */
	cr_expect_eq(rs_itch_midnight_ns(2024, 11, 3), 1730606400LL * 1000000000LL);
	cr_expect_eq(rs_itch_midnight_ns(2024, 11, 4), 1730696400LL * 1000000000LL);
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 1);
	cr_expect_eq(rs_itch_dec_set_date(&d, 2023, 2, 29), -EINVAL);
	cr_expect_eq(rs_itch_dec_set_date(&d, 2024, 2, 29), 0);
	cr_expect_eq(rs_itch_dec_set_date(&d, 2024, 13, 1), -EINVAL);
}

/* ------------------------------------------- rs_itch_decode_file() bursts */

/* Append one length-prefixed message to a growing day-file buffer. */
struct dbuf {
	uint8_t *b;
	size_t n, cap;
};

static void dbuf_put(struct dbuf *w, const uint8_t *m, size_t len)
{
	if (w->n + len + 2 > w->cap) {
		w->cap = (w->cap + len + 2) * 2;
		w->b = realloc(w->b, w->cap);
		cr_assert_not_null(w->b);
	}
	w->b[w->n] = (uint8_t)(len >> 8);
	w->b[w->n + 1] = (uint8_t)len;
	memcpy(w->b + w->n + 2, m, len);
	w->n += 2 + len;
}

Test(rs_itch, decode_file_handmade, .description = "A E U P D in the fast lane, literal records")
{
	struct dbuf w = {0};
	uint8_t m[64];
	memset(m, ' ', sizeof(m));
	/* 1: A locate 5, order 1001, sell 300 @ 123.4500 */
	hdr(m, 'A', 5, 0, 34200000000001ull);
	put(m + 11, 1001, 8);
	m[19] = 'S';
	put(m + 20, 300, 4);
	memcpy(m + 24, "ABCD    ", 8);
	put(m + 32, 1234500, 4);
	dbuf_put(&w, m, RS_ITCH_LEN_A);
	/* 2: E order 1001, 100 executed */
	hdr(m, 'E', 5, 0, 34200000000002ull);
	put(m + 11, 1001, 8);
	put(m + 19, 100, 4);
	put(m + 23, 77, 8);
	dbuf_put(&w, m, RS_ITCH_LEN_E);
	/* 3: U 1001 -> 1002, 200 @ 123.4600 */
	hdr(m, 'U', 5, 0, 34200000000003ull);
	put(m + 11, 1001, 8);
	put(m + 19, 1002, 8);
	put(m + 27, 200, 4);
	put(m + 31, 1234600, 4);
	dbuf_put(&w, m, RS_ITCH_LEN_U);
	/* 4: P resting buy (aggressor sells) 50 @ 123.4700, order 0 */
	hdr(m, 'P', 5, 0, 34200000000004ull);
	put(m + 11, 0, 8);
	m[19] = 'B';
	put(m + 20, 50, 4);
	memcpy(m + 24, "ABCD    ", 8);
	put(m + 32, 1234700, 4);
	put(m + 36, 78, 8);
	dbuf_put(&w, m, RS_ITCH_LEN_P);
	/* 5: C order 1002, 20 @ 123.4800 printable */
	hdr(m, 'C', 5, 0, 34200000000005ull);
	put(m + 11, 1002, 8);
	put(m + 19, 20, 4);
	put(m + 23, 79, 8);
	m[31] = 'Y';
	put(m + 32, 1234800, 4);
	dbuf_put(&w, m, RS_ITCH_LEN_C);
	/* 6: D order 1002 */
	hdr(m, 'D', 5, 0, 34200000000006ull);
	put(m + 11, 1002, 8);
	dbuf_put(&w, m, RS_ITCH_LEN_D);
	/* then > 64 KiB of X (cancel 1 of order 9, locate 6): the messages
	 * above are decoded in the unchecked fast lane */
	for (int i = 0; i < 3000; i++) {
		hdr(m, 'X', 6, 0, 34200000000007ull);
		put(m + 11, 9, 8);
		put(m + 19, 1, 4);
		dbuf_put(&w, m, RS_ITCH_LEN_X);
	}
	uint8_t *b = malloc(w.n); /* exact size: ASan catches an over-read */
	memcpy(b, w.b, w.n);
	struct rs_itchfile f;
	rs_itchfile_init_mem(&f, b, w.n);
	struct rs_itch_dec d;
	dec_2023(&d);
	struct rs_event ev[16];
	int rc;
	unsigned n = rs_itch_decode_file(&d, &f, 777, ev, 11, &rc);
	cr_assert_eq(rc, 1);
	cr_assert_eq(n, 10, "stops with < 2 slots left: 9 records of 6 messages + 1 X");
	cr_expect_eq(f.nmsgs, 7);
	check_ev(&ev[0], 5, 34200000000001ull, 'A', 'A', 1001, PX(123450000000), 300, RS_F_LAST, 0, 1);
	check_ev(&ev[1], 5, 34200000000002ull, 'F', 'N', 1001, RS_UNDEF_PRICE, 100, 0,
		 RS_EVF_INCOMPLETE, 2);
	check_ev(&ev[2], 5, 34200000000002ull, 'C', 'N', 1001, RS_UNDEF_PRICE, 100, RS_F_LAST,
		 RS_EVF_INCOMPLETE, 2);
	check_ev(&ev[3], 5, 34200000000003ull, 'C', 'N', 1001, RS_UNDEF_PRICE, RS_SIZE_ALL, 0,
		 RS_EVF_INCOMPLETE | RS_EVF_DELETE, 3);
	check_ev(&ev[4], 5, 34200000000003ull, 'A', 'N', 1002, PX(123460000000), 200, RS_F_LAST,
		 RS_EVF_REPLACE, 3);
	check_ev(&ev[5], 5, 34200000000004ull, 'T', 'A', 0, PX(123470000000), 50, RS_F_LAST, 0, 4);
	check_ev(&ev[6], 5, 34200000000005ull, 'F', 'N', 1002, PX(123480000000), 20, 0,
		 RS_EVF_INCOMPLETE, 5);
	check_ev(&ev[7], 5, 34200000000005ull, 'C', 'N', 1002, RS_UNDEF_PRICE, 20, RS_F_LAST,
		 RS_EVF_INCOMPLETE, 5);
	check_ev(&ev[8], 5, 34200000000006ull, 'C', 'N', 1002, RS_UNDEF_PRICE, RS_SIZE_ALL, RS_F_LAST,
		 RS_EVF_INCOMPLETE | RS_EVF_DELETE, 6);
	check_ev(&ev[9], 6, 34200000000007ull, 'C', 'N', 9, RS_UNDEF_PRICE, 1, RS_F_LAST,
		 RS_EVF_INCOMPLETE, 7);
	for (int i = 0; i < 10; i++) {
		cr_expect_eq(ev[i].feed_id, 0);
		cr_expect_eq(ev[i].line_id, 0);
		cr_expect_eq(ev[i].reserved, 0);
	}
	cr_expect_eq(d.c.events, 10);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_A], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_E], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_U], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_P], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_C], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_D], 1);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_X], 1);
	/* the rest: all X, to the clean end */
	uint64_t total = n;
	while (rc > 0) {
		n = rs_itch_decode_file(&d, &f, 777, ev, 16, &rc);
		total += n;
	}
	cr_expect_eq(rc, 0);
	cr_expect_eq(total, 9 + 3000);
	cr_expect_eq(f.nmsgs, 6 + 3000);
	cr_expect_eq(f.off, w.n);
	cr_expect_eq(d.c.msgs[RS_ITCH_T_X], 3000);
	cr_expect_eq(d.c.events, total);
	/* cap < 2 */
	cr_expect_eq(rs_itch_decode_file(&d, &f, 777, ev, 1, &rc), 0);
	cr_expect_eq(rc, -EINVAL);
	free(b);
	free(w.b);
}

/*
 * Independent reference: the records of one message built from
 * rs_itch_parse() by the table in rs_itch.h, field by field (no fast-path
 * code). Returns the number of records, 0 for non-order and rejected
 * messages.
 */
static unsigned ref_decode(const struct rs_itch_dec *d, const uint8_t *m, size_t len,
			   uint64_t seq, uint64_t ts_recv, struct rs_event *out)
{
	struct rs_itch_msg x;
	if (rs_itch_parse(m, len, &x) != 0)
		return 0;
	struct rs_event e;
	memset(&e, 0, sizeof(e));
	e.mbo.hd.length = sizeof(struct rs_mbo) / 4;
	e.mbo.hd.rtype = RS_RTYPE_MBO;
	e.mbo.hd.publisher_id = d->publisher_id;
	e.mbo.hd.instrument_id = x.h.locate;
	e.mbo.hd.ts_event = d->midnight_ns + x.h.ts;
	e.mbo.ts_recv = ts_recv;
	e.mbo.sequence = (uint32_t)seq;
	e.feed_id = d->feed_id;
	e.line_id = d->line_id;
	e.mbo.side = RS_SIDE_NONE;
	e.mbo.price = RS_UNDEF_PRICE;
	e.mbo.flags = RS_F_LAST;
	switch (x.h.type) {
	case 'A':
	case 'F':
		e.mbo.action = RS_ACTION_ADD;
		e.mbo.side = x.A.side == 'B' ? 'B' : x.A.side == 'S' ? 'A' : 'N';
		e.mbo.order_id = x.A.order_ref;
		e.mbo.price = x.A.price;
		e.mbo.size = x.A.shares;
		out[0] = e;
		return 1;
	case 'E':
	case 'C':
		e.mbo.action = RS_ACTION_FILL;
		e.mbo.order_id = x.E.order_ref;
		e.mbo.price = x.E.price; /* RS_UNDEF_PRICE for E */
		e.mbo.size = x.E.shares;
		e.mbo.flags = 0;
		e.rs_flags = RS_EVF_INCOMPLETE;
		out[0] = e;
		e.mbo.action = RS_ACTION_CANCEL;
		e.mbo.price = RS_UNDEF_PRICE;
		e.mbo.flags = RS_F_LAST;
		out[1] = e;
		return 2;
	case 'X':
		e.mbo.action = RS_ACTION_CANCEL;
		e.mbo.order_id = x.X.order_ref;
		e.mbo.size = x.X.shares;
		e.rs_flags = RS_EVF_INCOMPLETE;
		out[0] = e;
		return 1;
	case 'D':
		e.mbo.action = RS_ACTION_CANCEL;
		e.mbo.order_id = x.D.order_ref;
		e.mbo.size = RS_SIZE_ALL;
		e.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_DELETE;
		out[0] = e;
		return 1;
	case 'U':
		e.mbo.action = RS_ACTION_CANCEL;
		e.mbo.order_id = x.U.orig_order_ref;
		e.mbo.size = RS_SIZE_ALL;
		e.mbo.flags = 0;
		e.rs_flags = RS_EVF_INCOMPLETE | RS_EVF_DELETE;
		out[0] = e;
		e.mbo.action = RS_ACTION_ADD;
		e.mbo.order_id = x.U.new_order_ref;
		e.mbo.price = x.U.price;
		e.mbo.size = x.U.shares;
		e.mbo.flags = RS_F_LAST;
		e.rs_flags = RS_EVF_REPLACE;
		out[1] = e;
		return 2;
	case 'P':
		e.mbo.action = RS_ACTION_TRADE;
		if (d->pside_mode == RS_ITCH_PSIDE_AGGRESSOR)
			e.mbo.side = x.P.side == 'B' ? 'A' : x.P.side == 'S' ? 'B' : 'N';
		e.mbo.order_id = x.P.order_ref;
		e.mbo.price = x.P.price;
		e.mbo.size = x.P.shares;
		out[0] = e;
		return 1;
	case 'Q':
		e.mbo.action = RS_ACTION_TRADE;
		e.mbo.price = x.Q.price;
		e.mbo.size = x.Q.shares >= RS_SIZE_ALL ? RS_SIZE_ALL - 1 : (uint32_t)x.Q.shares;
		out[0] = e;
		return 1;
	default:
		return 0;
	}
}

static uint64_t eq_rng;
static uint64_t eq_rnd(void)
{
	eq_rng ^= eq_rng << 13;
	eq_rng ^= eq_rng >> 7;
	eq_rng ^= eq_rng << 17;
	return eq_rng;
}

/*
 * A generated day file (`ringside gen` session, seed 1) of nmsgs messages; with `corrupt`, about 1 % of the messages are damaged
 * (random type byte, cut, padded, emptied, another order type's layout,
 * random bytes) and a few oversize (1-64 KiB) records are inserted.
 */
static uint8_t *gen_day(uint64_t nmsgs, uint32_t symbols, int corrupt, size_t *size,
		       uint64_t by_type[256])
{
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.messages = nmsgs;
	o.symbols = symbols;
	struct rs_gen *g;
	cr_assert_eq(rs_gen_create(&g, &o, NULL, 0), 0);
	struct dbuf w = {0};
	w.cap = nmsgs * 34;
	w.b = malloc(w.cap);
	cr_assert_not_null(w.b);
	uint8_t m[RS_GEN_MSG_MAX + 64], big[65535];
	static const char order_types[] = "AFDXUECPQB";
	eq_rng = 0x9E3779B97F4A7C15ull;
	size_t len;
	while ((len = rs_gen_next(g, m)) > 0) {
		by_type[m[0]]++;
		if (corrupt) {
			uint64_t r = eq_rnd() % 10000;
			if (r < 20) {
				m[0] = (uint8_t)eq_rnd();
			} else if (r < 40) {
				len = eq_rnd() % len;
			} else if (r < 60) {
				size_t add = 1 + eq_rnd() % 29;
				memset(m + len, 0, add);
				len += add;
			} else if (r < 70) {
				len = 0;
			} else if (r < 90) {
				m[0] = (uint8_t)order_types[eq_rnd() % 10];
			} else if (r < 95) {
				len = eq_rnd() % 60;
				for (size_t i = 1; i < len; i++)
					m[i] = (uint8_t)eq_rnd();
			} else if (r < 96) {
				size_t bl = 1000 + eq_rnd() % (sizeof(big) - 1000);
				for (size_t i = 0; i < bl; i++)
					big[i] = (uint8_t)eq_rnd();
				big[0] = 'A';
				dbuf_put(&w, big, bl);
			}
		}
		dbuf_put(&w, m, len);
	}
	rs_gen_destroy(g);
	/* exact size: ASan catches an over-read at the end */
	uint8_t *b = malloc(w.n);
	cr_assert_not_null(b);
	memcpy(b, w.b, w.n);
	free(w.b);
	*size = w.n;
	return b;
}

/* Handlers of the equivalence runs: a running hash of the counters each
 * handler call sees (they must be exact mid-burst too); with `mutate` the
 * directory handler also changes the decoder (P side mode, line, feed),
 * which the burst decoder must pick up from the next message on. */
struct eq_hctx {
	struct rs_itch_dec *d;
	uint64_t hash;
	uint64_t calls;
	int mutate;
};

static void eq_note(struct eq_hctx *h, char type)
{
	uint64_t msgs = 0;
	for (int i = 0; i < RS_ITCH_T__COUNT; i++)
		msgs = msgs * 3 + h->d->c.msgs[i];
	h->hash = (h->hash ^ (uint64_t)type ^ h->d->c.events * 0x100000001b3ull ^ msgs) * 0x9E3779B97F4A7C15ull;
	h->calls++;
}

static void eq_dir(void *ctx, const struct rs_itch_stock_directory *m)
{
	struct eq_hctx *h = ctx;
	eq_note(h, 'R');
	if (h->mutate && m->h.locate % 3 == 0) {
		h->d->pside_mode ^= 1;
		h->d->line_id ^= 1;
		h->d->feed_id++;
	}
}

static void eq_sys(void *ctx, const struct rs_itch_system_event *m)
{
	eq_note(ctx, 'S');
}

static void eq_cross(void *ctx, const struct rs_itch_cross_trade *m)
{
	eq_note(ctx, 'Q');
}

static void eq_dec_init(struct rs_itch_dec *d, struct eq_hctx *h, int cfg)
{
	rs_itch_dec_init(d, (uint16_t)(100 + cfg));
	if (cfg & 1) {
		cr_assert_eq(rs_itch_dec_set_date(d, 2024, 6, 3), 0);
		d->feed_id = 3;
		d->line_id = 1;
	}
	if (cfg & 2)
		d->pside_mode = RS_ITCH_PSIDE_NONE;
	memset(h, 0, sizeof(*h));
	h->d = d;
	h->mutate = (cfg & 4) != 0;
	d->h.ctx = h;
	d->h.stock_directory = eq_dir;
	d->h.system_event = eq_sys;
	d->h.cross_trade = eq_cross;
}

/* The per-message side of the comparison: rs_itchfile_next() +
 * rs_itch_decode() (out of line), with the independent reference checked
 * on every message when the decoder is not mutated by handlers. */
struct eq_ref {
	struct rs_itchfile f;
	struct rs_itch_dec d;
	struct eq_hctx h;
	struct rs_event q[RS_ITCH_MAX_EVENTS];
	unsigned nq, iq;
	int rc;
	int check_ref;
	uint64_t ref_mismatch;
};

/* Next record of the per-message stream; NULL at the end (ref->rc set). */
static const struct rs_event *eq_ref_next(struct eq_ref *r, uint64_t ts_recv)
{
	while (r->iq == r->nq) {
		const uint8_t *m;
		size_t len;
		r->rc = rs_itchfile_next(&r->f, &m, &len);
		if (r->rc <= 0)
			return NULL;
		struct rs_event want[RS_ITCH_MAX_EVENTS];
		struct rs_itch_dec before = r->d;
		unsigned nw = r->check_ref ? ref_decode(&before, m, len, r->f.nmsgs, ts_recv, want) : 0;
		r->nq = rs_itch_decode(&r->d, m, len, r->f.nmsgs, ts_recv, r->q);
		r->iq = 0;
		if (r->check_ref && (nw != r->nq || memcmp(want, r->q, nw * sizeof(want[0]))))
			r->ref_mismatch++;
	}
	return &r->q[r->iq++];
}

/* Decode buf[0..size) with rs_itch_decode_file() in bursts of `cap` and
 * compare every record, the counters, the handler calls, the position and
 * the result with the per-message stream. */
static void eq_run(const uint8_t *buf, size_t size, unsigned cap, int cfg, uint64_t *records)
{
	struct rs_itchfile f;
	rs_itchfile_init_mem(&f, buf, size);
	struct rs_itch_dec d;
	struct eq_hctx h;
	eq_dec_init(&d, &h, cfg);
	static struct eq_ref ref;
	memset(&ref, 0, sizeof(ref));
	rs_itchfile_init_mem(&ref.f, buf, size);
	eq_dec_init(&ref.d, &ref.h, cfg);
	ref.h.d = &ref.d;
	ref.d.h.ctx = &ref.h;
	ref.check_ref = !(cfg & 4);
	struct rs_event *ev = malloc(cap * sizeof(*ev));
	cr_assert_not_null(ev);
	uint64_t ts_recv = 1000 + (uint64_t)cfg, n_total = 0, bad = 0, bursts = 0;
	int rc;
	do {
		unsigned n = rs_itch_decode_file(&d, &f, ts_recv, ev, cap, &rc);
		cr_assert_leq(n, cap);
		bursts++;
		for (unsigned i = 0; i < n; i++) {
			const struct rs_event *want = eq_ref_next(&ref, ts_recv);
			if (!want || memcmp(want, &ev[i], sizeof(ev[i]))) {
				if (bad++ < 3)
					cr_expect_fail("cfg %d cap %u: record %llu differs", cfg, cap,
						       (unsigned long long)(n_total + i));
				if (!want)
					break;
			}
		}
		n_total += n;
		/* the burst stops exactly where the per-message stream is */
		if (rc > 0)
			cr_expect(ref.iq == ref.nq, "cfg %d cap %u: burst ends inside a message", cfg, cap);
	} while (rc > 0);
	cr_expect_null(eq_ref_next(&ref, ts_recv), "cfg %d cap %u: records left over", cfg, cap);
	cr_expect_eq(bad, 0, "cfg %d cap %u: %llu records differ", cfg, cap, (unsigned long long)bad);
	cr_expect_eq(rc, ref.rc, "cfg %d cap %u: rc %d vs %d", cfg, cap, rc, ref.rc);
	cr_expect_eq(f.off, ref.f.off);
	cr_expect_eq(f.nmsgs, ref.f.nmsgs);
	if (rc < 0)
		cr_expect_eq(f.err_off, ref.f.err_off);
	cr_expect_eq(d.c.events, n_total);
	cr_expect(!memcmp(&d.c, &ref.d.c, sizeof(d.c)), "cfg %d cap %u: counters differ", cfg, cap);
	cr_expect_eq(h.calls, ref.h.calls);
	cr_expect_eq(h.hash, ref.h.hash, "cfg %d cap %u: handlers saw other counters", cfg, cap);
	cr_expect_eq(ref.ref_mismatch, 0, "cfg %d: rs_itch_decode differs from the reference on %llu "
		     "messages", cfg, (unsigned long long)ref.ref_mismatch);
	cr_expect_gt(bursts, n_total / cap / 2);
	*records = n_total;
	free(ev);
}

Test(rs_itch, decode_file_equals_per_message, .timeout = 300,
     .description = "3 M generated messages: every record of the bursts = rs_itch_decode = reference")
{
	uint64_t by_type[256] = {0};
	size_t size;
	uint8_t *buf = gen_day(3000000, 1000, 0, &size, by_type);
	/* the mix covers every order type and the cold ones */
	for (const char *t = "AFDXUECPQSR"; *t; t++)
		cr_expect_gt(by_type[(uint8_t)*t], 0, "no %c in the generated file", *t);
	uint64_t want_records = by_type['A'] + by_type['F'] + by_type['D'] + by_type['X'] +
				by_type['P'] + by_type['Q'] +
				2 * (by_type['E'] + by_type['C'] + by_type['U']);
	static const unsigned caps[] = {2, 3, 65, 100000};
	uint64_t records;
	for (int cfg = 0; cfg < 8; cfg++) {
		eq_run(buf, size, caps[cfg % 4], cfg, &records);
		cr_expect_eq(records, want_records, "cfg %d", cfg);
	}
	/* cut in the middle of the order flow (inside an order message and
	 * inside a length prefix), in an exact-size copy: bursts that may run
	 * the unchecked lane up to the cut must stop at it */
	size_t off = 0;
	for (int i = 0; i < 1500000; i++)
		off += 2 + ((size_t)buf[off] << 8 | buf[off + 1]);
	for (size_t cut = off + 1; cut <= off + 5; cut += 4) {
		uint8_t *b = malloc(cut);
		memcpy(b, buf, cut);
		eq_run(b, cut, 100000, 0, &records);
		eq_run(b, cut, 65, 1, &records);
		free(b);
	}
	free(buf);
}

Test(rs_itch, decode_file_equals_per_message_malformed, .timeout = 300,
     .description = "damaged and oversize messages, truncated tail: bursts = per message")
{
	uint64_t by_type[256] = {0};
	size_t size;
	uint8_t *buf = gen_day(400000, 1000, 1, &size, by_type);
	static const unsigned caps[] = {2, 5, 64, 4096};
	uint64_t records;
	for (int cfg = 0; cfg < 8; cfg++)
		eq_run(buf, size, caps[cfg % 4], cfg, &records);
	/* truncated inside the last record; large bursts run the unchecked
	 * lane as close to the end as they may */
	eq_run(buf, size - 3, 64, 0, &records);
	eq_run(buf, size - 1, 2, 5, &records);
	eq_run(buf, size - 3, 4096, 1, &records);
	eq_run(buf, size - 2, 100000, 2, &records);
	free(buf);
	/* a file shorter than one maximal record: all of it the checked way */
	buf = gen_day(2000, 50, 1, &size, by_type);
	cr_assert_lt(size, RS_ITCHFILE_MAX_REC);
	eq_run(buf, size, 7, 0, &records);
	eq_run(buf, size - 1, 64, 6, &records);
	free(buf);
}
