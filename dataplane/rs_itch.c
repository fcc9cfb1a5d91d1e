/*
 * rs_itch.c - ITCH 5.0 decoder: tables, full parse, the cold part of the
 * decoder (non-order messages and handlers), session date.
 */
#include "rs_itch.h"

#include <errno.h>
#include <string.h>

const uint8_t rs_itch__len_tab[256] = {
	['S'] = RS_ITCH_LEN_S, ['R'] = RS_ITCH_LEN_R, ['H'] = RS_ITCH_LEN_H,
	['Y'] = RS_ITCH_LEN_Y, ['L'] = RS_ITCH_LEN_L, ['V'] = RS_ITCH_LEN_V,
	['W'] = RS_ITCH_LEN_W, ['K'] = RS_ITCH_LEN_K, ['J'] = RS_ITCH_LEN_J,
	['h'] = RS_ITCH_LEN_h, ['A'] = RS_ITCH_LEN_A, ['F'] = RS_ITCH_LEN_F,
	['E'] = RS_ITCH_LEN_E, ['C'] = RS_ITCH_LEN_C, ['X'] = RS_ITCH_LEN_X,
	['D'] = RS_ITCH_LEN_D, ['U'] = RS_ITCH_LEN_U, ['P'] = RS_ITCH_LEN_P,
	['Q'] = RS_ITCH_LEN_Q, ['B'] = RS_ITCH_LEN_B, ['I'] = RS_ITCH_LEN_I,
	['N'] = RS_ITCH_LEN_N, ['O'] = RS_ITCH_LEN_O,
};

/* Descriptor constants pre-shifted into their record words (rs_itch.h). */
#define RS_ITCH__W4(SZOR, FLAGS, ACT)                                                          \
	((uint64_t)(SZOR) | (uint64_t)(FLAGS) << 32 | (uint64_t)(ACT) << 48)
#define RS_ITCH__S(c) ((uint64_t)(uint8_t)(c) << 56)
#define RS_ITCH__SIDES(ON_B, ON_S)                                                              \
	{[0 ... 'B' - 1] = RS_ITCH__S(RS_SIDE_NONE), ['B'] = RS_ITCH__S(ON_B),                 \
	 ['B' + 1 ... 'S' - 1] = RS_ITCH__S(RS_SIDE_NONE), ['S'] = RS_ITCH__S(ON_S),           \
	 ['S' + 1 ... 255] = RS_ITCH__S(RS_SIDE_NONE)}
const uint64_t rs_itch__side64[3][256] = {
	[RS_ITCH__SIDE_NONE] = RS_ITCH__SIDES(RS_SIDE_NONE, RS_SIDE_NONE),
	[RS_ITCH__SIDE_BOOK] = RS_ITCH__SIDES(RS_SIDE_BID, RS_SIDE_ASK),
	[RS_ITCH__SIDE_AGGR] = RS_ITCH__SIDES(RS_SIDE_ASK, RS_SIDE_BID),
};

#define PX(HASPX) .px_mul = (HASPX) ? RS_ITCH_PRICE4_SCALE : 0, .px_add = (HASPX) ? 0 : RS_UNDEF_PRICE
#define PX2(HASPX) .px_mul2 = (HASPX) ? RS_ITCH_PRICE4_SCALE : 0, .px_add2 = (HASPX) ? 0 : RS_UNDEF_PRICE
/* Record 1: type, records (documentation: the decoder goes by
 * RS_ITCH__TWO_MASK), action, flags, size offset, price offset (0: none, read
 * at 11), side offset, side mode, size_or, rs_flags. */
#define REC1(T, C, NREC, ACT, FLAGS, OSZ, OPX, OSD, SMODE, SZOR, RSF)                          \
	.file_key = RS_ITCH__FILE_KEY(RS_ITCH_LEN_##T, C), .len = RS_ITCH_LEN_##T, \
	.idx = RS_ITCH_T_##T, .off_size = OSZ, .off_price = (OPX) ? (OPX) : 11,                \
	.off_side = OSD, PX(OPX), .side_col = rs_itch__side64[SMODE],                          \
	.k1 = {RS_ITCH__W4(SZOR, FLAGS, ACT), 0, 0, RSF}
/* Record 2 (side 'N', F_LAST): order id offset, size offset, price offset
 * (0: none), action, rs_flags. */
#define REC2(OOID, OSZ, OPX, ACT, RSF)                                                         \
	.off_oid2 = OOID, .off_size2 = OSZ, .off_price2 = (OPX) ? (OPX) : 11, PX2(OPX),        \
	.k2 = {RS_ITCH__W4(0, RS_F_LAST, ACT) | RS_ITCH__S(RS_SIDE_NONE), 0, 0, RSF}

#define RS_ITCH__TAB(PSIDE)                                                                    \
	{                                                                                      \
		.desc = {                                                                      \
			/* every other type: zero, i.e. cold (rs_itch.h) */                    \
			[0] = {.file_key = RS_ITCH__FILE_KEY_NONE, .len = 0},                  \
			['A'] = {REC1(A, 'A', 1, RS_ACTION_ADD, RS_F_LAST, 20, 32, 19,         \
				      RS_ITCH__SIDE_BOOK, 0, 0)},                              \
			['F'] = {REC1(F, 'F', 1, RS_ACTION_ADD, RS_F_LAST, 20, 32, 19,         \
				      RS_ITCH__SIDE_BOOK, 0, 0)},                              \
			['X'] = {REC1(X, 'X', 1, RS_ACTION_CANCEL, RS_F_LAST, 19, 0, 0,        \
				      RS_ITCH__SIDE_NONE, 0, RS_EVF_INCOMPLETE)},              \
			['D'] = {REC1(D, 'D', 1, RS_ACTION_CANCEL, RS_F_LAST, 11, 0, 0,        \
				      RS_ITCH__SIDE_NONE, RS_SIZE_ALL,                         \
				      RS_EVF_INCOMPLETE | RS_EVF_DELETE)},                     \
			/* E, C: fill (C with its price), then cancel of the same size */      \
			['E'] = {REC1(E, 'E', 2, RS_ACTION_FILL, 0, 19, 0, 0,                  \
				      RS_ITCH__SIDE_NONE, 0, RS_EVF_INCOMPLETE),               \
				 REC2(11, 19, 0, RS_ACTION_CANCEL, RS_EVF_INCOMPLETE)},        \
			['C'] = {REC1(C, 'C', 2, RS_ACTION_FILL, 0, 19, 32, 0,                 \
				      RS_ITCH__SIDE_NONE, 0, RS_EVF_INCOMPLETE),               \
				 REC2(11, 19, 0, RS_ACTION_CANCEL, RS_EVF_INCOMPLETE)},        \
			/* U: delete of the old order, add of the new one */                   \
			['U'] = {REC1(U, 'U', 2, RS_ACTION_CANCEL, 0, 11, 0, 0,                \
				      RS_ITCH__SIDE_NONE, RS_SIZE_ALL,                         \
				      RS_EVF_INCOMPLETE | RS_EVF_DELETE),                      \
				 REC2(19, 27, 31, RS_ACTION_ADD, RS_EVF_REPLACE)},             \
			['P'] = {REC1(P, 'P', 1, RS_ACTION_TRADE, RS_F_LAST, 20, 32, 19,       \
				      PSIDE, 0, 0)},                                           \
		},                                                                             \
	}

const struct rs_itch__tab rs_itch__tab[2] __attribute__((aligned(64))) = {
	RS_ITCH__TAB(RS_ITCH__SIDE_AGGR), /* RS_ITCH_PSIDE_AGGRESSOR */
	RS_ITCH__TAB(RS_ITCH__SIDE_NONE), /* RS_ITCH_PSIDE_NONE (and any other value) */
};

static const char rs_itch__types[RS_ITCH_T__COUNT] = {
	'S', 'R', 'H', 'Y', 'L', 'V', 'W', 'K', 'J', 'h', 'A', 'F',
	'E', 'C', 'X', 'D', 'U', 'P', 'Q', 'B', 'I', 'N', 'O',
};

static const char *const rs_itch__names[RS_ITCH_T__COUNT] = {
	"system_event", "stock_directory", "trading_action", "reg_sho",
	"participant_position", "mwcb_decline", "mwcb_status", "ipo_quoting",
	"luld_collar", "operational_halt", "add_order", "add_order_mpid",
	"order_executed", "order_executed_price", "order_cancel", "order_delete",
	"order_replace", "trade", "cross_trade", "broken_trade", "noii", "rpii",
	"dlcr",
};

int rs_itch_type_index(uint8_t type)
{
	for (int i = 0; i < RS_ITCH_T__COUNT; i++)
		if ((uint8_t)rs_itch__types[i] == type)
			return i;
	return -1;
}

char rs_itch_type_char(unsigned idx)
{
	return idx < RS_ITCH_T__COUNT ? rs_itch__types[idx] : '?';
}

const char *rs_itch_type_name(uint8_t type)
{
	int i = rs_itch_type_index(type);
	return i < 0 ? "unknown" : rs_itch__names[i];
}

const char *rs_itch_rej_name(unsigned rej)
{
	static const char *const n[RS_ITCH_REJ__COUNT] = {"empty", "unknown_type", "bad_length"};
	return rej < RS_ITCH_REJ__COUNT ? n[rej] : "unknown";
}

void rs_itch_dec_init(struct rs_itch_dec *d, uint16_t publisher_id)
{
	memset(d, 0, sizeof(*d));
	d->publisher_id = publisher_id;
	d->pside_mode = RS_ITCH_PSIDE_AGGRESSOR;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t rs_itch__days(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Day of month of the n-th Sunday (n >= 1) of a month. */
static int rs_itch__nth_sunday(int y, int m, int n)
{
	int64_t d1 = rs_itch__days(y, m, 1);
	int wd = (int)(((d1 % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday (4) */
	int first = 1 + (7 - wd) % 7;
	return first + 7 * (n - 1);
}

static int rs_itch__valid_date(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

int64_t rs_itch_midnight_ns(int y, int m, int d)
{
	/* Eastern time: EDT (UTC-4) from the 2nd Sunday of March 02:00 to the
	 * 1st Sunday of November 02:00, else EST (UTC-5). At 00:00 the switch
	 * of that day has not happened yet. */
	int64_t days = rs_itch__days(y, m, d);
	int64_t dst_on = rs_itch__days(y, 3, rs_itch__nth_sunday(y, 3, 2));
	int64_t dst_off = rs_itch__days(y, 11, rs_itch__nth_sunday(y, 11, 1));
	int edt = days > dst_on && days <= dst_off;
	int64_t off_h = edt ? 4 : 5;
	return (days * 86400 + off_h * 3600) * 1000000000LL;
}

int rs_itch_dec_set_date(struct rs_itch_dec *d, int year, int month, int day)
{
	if (!rs_itch__valid_date(year, month, day))
		return -EINVAL;
	d->midnight_ns = (uint64_t)rs_itch_midnight_ns(year, month, day);
	return 0;
}

/* Price(8) to 1e-9 units; a value that does not fit (> 9.2e17) is
 * RS_UNDEF_PRICE rather than an overflow. */
static int64_t rs_itch__price8(const uint8_t *p)
{
	uint64_t v = rs_itch_be64(p);
	if (v > (uint64_t)(INT64_MAX / RS_ITCH_PRICE8_SCALE))
		return RS_UNDEF_PRICE;
	return (int64_t)v * RS_ITCH_PRICE8_SCALE;
}

static void rs_itch__hdr(const uint8_t *m, struct rs_itch_hdr *h)
{
	h->type = (char)m[0];
	h->pad0 = 0;
	h->locate = rs_itch_be16(m + 1);
	h->tracking = rs_itch_be16(m + 3);
	h->pad1 = 0;
	h->ts = rs_itch_ts48(m);
}

int rs_itch_parse(const uint8_t *m, size_t len, struct rs_itch_msg *o)
{
	memset(o, 0, sizeof(*o));
	if (len == 0)
		return -EINVAL;
	unsigned want = rs_itch__len_tab[m[0]];
	if (want == 0)
		return -EINVAL;
	if (len != want)
		return -EMSGSIZE;
	rs_itch__hdr(m, &o->h);
	switch (m[0]) {
	case 'S':
		o->S.event_code = (char)m[11];
		break;
	case 'R':
		memcpy(o->R.stock, m + 11, 8);
		o->R.market_category = (char)m[19];
		o->R.financial_status = (char)m[20];
		o->R.round_lot_size = rs_itch_be32(m + 21);
		o->R.round_lots_only = (char)m[25];
		o->R.issue_classification = (char)m[26];
		memcpy(o->R.issue_subtype, m + 27, 2);
		o->R.authenticity = (char)m[29];
		o->R.short_sale_threshold = (char)m[30];
		o->R.ipo_flag = (char)m[31];
		o->R.luld_tier = (char)m[32];
		o->R.etp_flag = (char)m[33];
		o->R.etp_leverage_factor = rs_itch_be32(m + 34);
		o->R.inverse_indicator = (char)m[38];
		break;
	case 'H':
		memcpy(o->H.stock, m + 11, 8);
		o->H.trading_state = (char)m[19];
		o->H.reserved = (char)m[20];
		memcpy(o->H.reason, m + 21, 4);
		break;
	case 'Y':
		memcpy(o->Y.stock, m + 11, 8);
		o->Y.action = (char)m[19];
		break;
	case 'L':
		memcpy(o->L.mpid, m + 11, 4);
		memcpy(o->L.stock, m + 15, 8);
		o->L.primary_market_maker = (char)m[23];
		o->L.market_maker_mode = (char)m[24];
		o->L.participant_state = (char)m[25];
		break;
	case 'V':
		o->V.level1 = rs_itch__price8(m + 11);
		o->V.level2 = rs_itch__price8(m + 19);
		o->V.level3 = rs_itch__price8(m + 27);
		break;
	case 'W':
		o->W.breached_level = (char)m[11];
		break;
	case 'K':
		memcpy(o->K.stock, m + 11, 8);
		o->K.release_time = rs_itch_be32(m + 19);
		o->K.release_qualifier = (char)m[23];
		o->K.ipo_price = rs_itch_price4(m + 24);
		break;
	case 'J':
		memcpy(o->J.stock, m + 11, 8);
		o->J.ref_price = rs_itch_price4(m + 19);
		o->J.upper_price = rs_itch_price4(m + 23);
		o->J.lower_price = rs_itch_price4(m + 27);
		o->J.extension = rs_itch_be32(m + 31);
		break;
	case 'h':
		memcpy(o->oh.stock, m + 11, 8);
		o->oh.market_code = (char)m[19];
		o->oh.action = (char)m[20];
		break;
	case 'A':
	case 'F':
		o->A.order_ref = rs_itch_be64(m + 11);
		o->A.side = (char)m[19];
		o->A.shares = rs_itch_be32(m + 20);
		memcpy(o->A.stock, m + 24, 8);
		o->A.price = rs_itch_price4(m + 32);
		if (m[0] == 'F')
			memcpy(o->A.attribution, m + 36, 4);
		else
			memset(o->A.attribution, ' ', 4);
		break;
	case 'E':
	case 'C':
		o->E.order_ref = rs_itch_be64(m + 11);
		o->E.shares = rs_itch_be32(m + 19);
		o->E.match_number = rs_itch_be64(m + 23);
		if (m[0] == 'C') {
			o->E.printable = (char)m[31];
			o->E.price = rs_itch_price4(m + 32);
		} else {
			o->E.price = RS_UNDEF_PRICE;
		}
		break;
	case 'X':
		o->X.order_ref = rs_itch_be64(m + 11);
		o->X.shares = rs_itch_be32(m + 19);
		break;
	case 'D':
		o->D.order_ref = rs_itch_be64(m + 11);
		break;
	case 'U':
		o->U.orig_order_ref = rs_itch_be64(m + 11);
		o->U.new_order_ref = rs_itch_be64(m + 19);
		o->U.shares = rs_itch_be32(m + 27);
		o->U.price = rs_itch_price4(m + 31);
		break;
	case 'P':
		o->P.order_ref = rs_itch_be64(m + 11);
		o->P.side = (char)m[19];
		o->P.shares = rs_itch_be32(m + 20);
		memcpy(o->P.stock, m + 24, 8);
		o->P.price = rs_itch_price4(m + 32);
		o->P.match_number = rs_itch_be64(m + 36);
		break;
	case 'Q':
		o->Q.shares = rs_itch_be64(m + 11);
		memcpy(o->Q.stock, m + 19, 8);
		o->Q.price = rs_itch_price4(m + 27);
		o->Q.match_number = rs_itch_be64(m + 31);
		o->Q.cross_type = (char)m[39];
		break;
	case 'B':
		o->B.match_number = rs_itch_be64(m + 11);
		break;
	case 'I':
		o->I.paired_shares = rs_itch_be64(m + 11);
		o->I.imbalance_shares = rs_itch_be64(m + 19);
		o->I.imbalance_direction = (char)m[27];
		memcpy(o->I.stock, m + 28, 8);
		o->I.far_price = rs_itch_price4(m + 36);
		o->I.near_price = rs_itch_price4(m + 40);
		o->I.ref_price = rs_itch_price4(m + 44);
		o->I.cross_type = (char)m[48];
		o->I.price_variation = (char)m[49];
		break;
	case 'N':
		memcpy(o->N.stock, m + 11, 8);
		o->N.interest_flag = (char)m[19];
		break;
	case 'O':
		memcpy(o->O.stock, m + 11, 8);
		o->O.open_eligibility = (char)m[19];
		o->O.min_price = rs_itch_price4(m + 20);
		o->O.max_price = rs_itch_price4(m + 24);
		o->O.near_exec_price = rs_itch_price4(m + 28);
		o->O.near_exec_time = rs_itch_be64(m + 32);
		o->O.lower_collar = rs_itch_price4(m + 40);
		o->O.upper_collar = rs_itch_price4(m + 44);
		break;
	default:
		return -EINVAL; /* unreachable: the length table covers the same types */
	}
	return 0;
}

unsigned rs_itch__decode_cold(struct rs_itch_dec *d, const uint8_t *m, size_t len, uint64_t seq,
			      uint64_t ts_recv, struct rs_event *out)
{
	if (len == 0) {
		d->c.rejects[RS_ITCH_REJ_EMPTY]++;
		return 0;
	}
	unsigned want = rs_itch__len_tab[m[0]];
	if (want == 0) {
		d->c.rejects[RS_ITCH_REJ_UNKNOWN_TYPE]++;
		return 0;
	}
	if (len != want) {
		d->c.rejects[RS_ITCH_REJ_BAD_LENGTH]++;
		return 0;
	}
	struct rs_itch_msg msg;
	rs_itch_parse(m, len, &msg); /* cannot fail: type and length checked */
	const struct rs_itch_handlers *h = &d->h;
	unsigned n = 0;
	int idx;
	switch (m[0]) {
	case 'S': idx = RS_ITCH_T_S; if (h->system_event) h->system_event(h->ctx, &msg.S); break;
	case 'R': idx = RS_ITCH_T_R; if (h->stock_directory) h->stock_directory(h->ctx, &msg.R); break;
	case 'H': idx = RS_ITCH_T_H; if (h->trading_action) h->trading_action(h->ctx, &msg.H); break;
	case 'Y': idx = RS_ITCH_T_Y; if (h->reg_sho) h->reg_sho(h->ctx, &msg.Y); break;
	case 'L':
		idx = RS_ITCH_T_L;
		if (h->participant_position)
			h->participant_position(h->ctx, &msg.L);
		break;
	case 'V': idx = RS_ITCH_T_V; if (h->mwcb_decline) h->mwcb_decline(h->ctx, &msg.V); break;
	case 'W': idx = RS_ITCH_T_W; if (h->mwcb_status) h->mwcb_status(h->ctx, &msg.W); break;
	case 'K': idx = RS_ITCH_T_K; if (h->ipo_quoting) h->ipo_quoting(h->ctx, &msg.K); break;
	case 'J': idx = RS_ITCH_T_J; if (h->luld_collar) h->luld_collar(h->ctx, &msg.J); break;
	case 'h':
		idx = RS_ITCH_T_h;
		if (h->operational_halt)
			h->operational_halt(h->ctx, &msg.oh);
		break;
	case 'I': idx = RS_ITCH_T_I; if (h->noii) h->noii(h->ctx, &msg.I); break;
	case 'N': idx = RS_ITCH_T_N; if (h->rpii) h->rpii(h->ctx, &msg.N); break;
	case 'O': idx = RS_ITCH_T_O; if (h->dlcr) h->dlcr(h->ctx, &msg.O); break;
	case 'B': idx = RS_ITCH_T_B; if (h->broken_trade) h->broken_trade(h->ctx, &msg.B); break;
	case 'Q': {
		idx = RS_ITCH_T_Q;
		uint32_t sz = msg.Q.shares >= RS_SIZE_ALL ? RS_SIZE_ALL - 1 : (uint32_t)msg.Q.shares;
		rs_itch__ev(out, d, m, seq, ts_recv, RS_ACTION_TRADE, RS_SIDE_NONE, 0, msg.Q.price,
			    sz, RS_F_LAST, 0);
		n = 1;
		if (h->cross_trade)
			h->cross_trade(h->ctx, &msg.Q);
		break;
	}
	default:
		/* Order messages of the right length reach here only when called
		 * directly (not through the fast path): decode them inline. */
		return rs_itch_decode_fast(d, m, len, seq, ts_recv, out);
	}
	d->c.msgs[idx]++;
	d->c.events += n;
	return n;
}

unsigned rs_itch_decode(struct rs_itch_dec *d, const uint8_t *msg, size_t len, uint64_t seq,
			uint64_t ts_recv, struct rs_event *out)
{
	return rs_itch_decode_fast(d, msg, len, seq, ts_recv, out);
}
