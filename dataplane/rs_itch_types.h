/*
 * rs_itch_types.h - NASDAQ TotalView-ITCH 5.0: message layouts, constants,
 * decoded message structs and decoder counters (types only).
 *
 * Wire format (all integers big-endian, Alpha fields left-justified and
 * space padded, Price(4) = 4 implied decimals, Price(8) = 8 implied
 * decimals, Timestamp = 6-byte ns since midnight Eastern time). Every
 * message starts with the same 11-byte header:
 *
 *   0      1        3          5                11
 *   +------+--------+----------+----------------+------ ...
 *   | type | locate | tracking | timestamp (48) | body
 *   +------+--------+----------+----------------+------ ...
 *
 * Message lengths (bytes, including the type byte):
 *   S 12  R 39  H 25  Y 20  L 26  V 35  W 12  K 28  J 35  h 21
 *   A 36  F 40  E 31  C 36  X 23  D 19  U 35  P 44  Q 40  B 19
 *   I 50  N 20  O 48
 * A message whose length differs from its type's is rejected.
 *
 * Decoded structs hold host-order values: prices already scaled to the
 * normalized 1e-9 fixed point (Price(4) x 100000, Price(8) x 10), timestamps
 * as ns since midnight (`ts`) as in the message; Alpha fields are copied
 * verbatim (space padded, NOT NUL terminated, so sizes are exact).
 */
#ifndef RS_ITCH_TYPES_H
#define RS_ITCH_TYPES_H

#include <stdint.h>

/* Message lengths. */
#define RS_ITCH_LEN_S 12
#define RS_ITCH_LEN_R 39
#define RS_ITCH_LEN_H 25
#define RS_ITCH_LEN_Y 20
#define RS_ITCH_LEN_L 26
#define RS_ITCH_LEN_V 35
#define RS_ITCH_LEN_W 12
#define RS_ITCH_LEN_K 28
#define RS_ITCH_LEN_J 35
#define RS_ITCH_LEN_h 21
#define RS_ITCH_LEN_A 36
#define RS_ITCH_LEN_F 40
#define RS_ITCH_LEN_E 31
#define RS_ITCH_LEN_C 36
#define RS_ITCH_LEN_X 23
#define RS_ITCH_LEN_D 19
#define RS_ITCH_LEN_U 35
#define RS_ITCH_LEN_P 44
#define RS_ITCH_LEN_Q 40
#define RS_ITCH_LEN_B 19
#define RS_ITCH_LEN_I 50
#define RS_ITCH_LEN_N 20
#define RS_ITCH_LEN_O 48
#define RS_ITCH_HDR_LEN 11
#define RS_ITCH_MAX_LEN 50

/* Price scaling to 1e-9 units. */
#define RS_ITCH_PRICE4_SCALE 100000LL /* 4 implied decimals -> 1e-9 */
#define RS_ITCH_PRICE8_SCALE 10LL     /* 8 implied decimals -> 1e-9 */

/* Dense index of each message type, for per-type counters. */
enum rs_itch_type_idx {
	RS_ITCH_T_S, RS_ITCH_T_R, RS_ITCH_T_H, RS_ITCH_T_Y, RS_ITCH_T_L,
	RS_ITCH_T_V, RS_ITCH_T_W, RS_ITCH_T_K, RS_ITCH_T_J, RS_ITCH_T_h,
	RS_ITCH_T_A, RS_ITCH_T_F, RS_ITCH_T_E, RS_ITCH_T_C, RS_ITCH_T_X,
	RS_ITCH_T_D, RS_ITCH_T_U, RS_ITCH_T_P, RS_ITCH_T_Q, RS_ITCH_T_B,
	RS_ITCH_T_I, RS_ITCH_T_N, RS_ITCH_T_O,
	RS_ITCH_T__COUNT
};

/* Reject reasons (index of rs_itch_counters.rejects). */
enum rs_itch_rej {
	RS_ITCH_REJ_EMPTY,        /* zero-length message */
	RS_ITCH_REJ_UNKNOWN_TYPE, /* type byte is not an ITCH 5.0 message */
	RS_ITCH_REJ_BAD_LENGTH,   /* length differs from the type's length */
	RS_ITCH_REJ__COUNT
};

/*
 * Decoder counters: plain (non-atomic) uint64, written only by the decoding
 * thread; the daemon copies/maps them to shared-memory counters.
 */
struct rs_itch_counters {
	uint64_t msgs[RS_ITCH_T__COUNT];  /* accepted messages per type */
	uint64_t rejects[RS_ITCH_REJ__COUNT];
	uint64_t events;                  /* rs_event records produced */
};

/* Common header, decoded. */
struct rs_itch_hdr {
	char type;
	uint8_t pad0;
	uint16_t locate;    /* stock locate (0 for market-wide messages) */
	uint16_t tracking;
	uint16_t pad1;
	uint64_t ts;        /* ns since midnight */
};

/* S: system event. */
struct rs_itch_system_event {
	struct rs_itch_hdr h;
	char event_code;    /* 'O','S','Q','M','E','C' */
};

/* R: stock directory. */
struct rs_itch_stock_directory {
	struct rs_itch_hdr h;
	char stock[8];
	char market_category;
	char financial_status;
	uint32_t round_lot_size;
	char round_lots_only;
	char issue_classification;
	char issue_subtype[2];
	char authenticity;
	char short_sale_threshold;
	char ipo_flag;
	char luld_tier;
	char etp_flag;
	uint32_t etp_leverage_factor;
	char inverse_indicator;
};

/* H: stock trading action. */
struct rs_itch_trading_action {
	struct rs_itch_hdr h;
	char stock[8];
	char trading_state; /* 'H','P','Q','T' */
	char reserved;
	char reason[4];
};

/* Y: Reg SHO short sale price test restricted indicator. */
struct rs_itch_reg_sho {
	struct rs_itch_hdr h;
	char stock[8];
	char action;        /* '0','1','2' */
};

/* L: market participant position. */
struct rs_itch_participant_position {
	struct rs_itch_hdr h;
	char mpid[4];
	char stock[8];
	char primary_market_maker;
	char market_maker_mode;
	char participant_state;
};

/* V: MWCB decline level (Price(8) levels, scaled to 1e-9; RS_UNDEF_PRICE if
 * a level does not fit in int64 1e-9 units). */
struct rs_itch_mwcb_decline {
	struct rs_itch_hdr h;
	int64_t level1;
	int64_t level2;
	int64_t level3;
};

/* W: MWCB status. */
struct rs_itch_mwcb_status {
	struct rs_itch_hdr h;
	char breached_level; /* '1','2','3' */
};

/* K: IPO quoting period update. */
struct rs_itch_ipo_quoting {
	struct rs_itch_hdr h;
	char stock[8];
	uint32_t release_time;  /* seconds since midnight */
	char release_qualifier; /* 'A','C' */
	int64_t ipo_price;
};

/* J: LULD auction collar. */
struct rs_itch_luld_collar {
	struct rs_itch_hdr h;
	char stock[8];
	int64_t ref_price;
	int64_t upper_price;
	int64_t lower_price;
	uint32_t extension;
};

/* h: operational halt. */
struct rs_itch_operational_halt {
	struct rs_itch_hdr h;
	char stock[8];
	char market_code;   /* 'Q','B','X' */
	char action;        /* 'H' halted, 'T' resumed */
};

/* A / F: add order (F carries an attribution MPID). */
struct rs_itch_add_order {
	struct rs_itch_hdr h;
	uint64_t order_ref;
	char side;          /* 'B','S' */
	uint32_t shares;
	char stock[8];
	int64_t price;
	char attribution[4]; /* F only; spaces for A */
};

/* E: order executed. C: order executed with price. */
struct rs_itch_order_executed {
	struct rs_itch_hdr h;
	uint64_t order_ref;
	uint32_t shares;
	uint64_t match_number;
	char printable;     /* C only ('Y','N'); 0 for E */
	int64_t price;      /* C only; RS_UNDEF_PRICE for E */
};

/* X: order cancel. */
struct rs_itch_order_cancel {
	struct rs_itch_hdr h;
	uint64_t order_ref;
	uint32_t shares;
};

/* D: order delete. */
struct rs_itch_order_delete {
	struct rs_itch_hdr h;
	uint64_t order_ref;
};

/* U: order replace. */
struct rs_itch_order_replace {
	struct rs_itch_hdr h;
	uint64_t orig_order_ref;
	uint64_t new_order_ref;
	uint32_t shares;
	int64_t price;
};

/* P: trade (non-cross). */
struct rs_itch_trade {
	struct rs_itch_hdr h;
	uint64_t order_ref;
	char side;          /* indicator of the RESTING (non-displayed) order */
	uint32_t shares;
	char stock[8];
	int64_t price;
	uint64_t match_number;
};

/* Q: cross trade. */
struct rs_itch_cross_trade {
	struct rs_itch_hdr h;
	uint64_t shares;    /* 8 bytes on the wire */
	char stock[8];
	int64_t price;
	uint64_t match_number;
	char cross_type;    /* 'O','C','H','I' */
};

/* B: broken trade. */
struct rs_itch_broken_trade {
	struct rs_itch_hdr h;
	uint64_t match_number;
};

/* I: net order imbalance indicator. */
struct rs_itch_noii {
	struct rs_itch_hdr h;
	uint64_t paired_shares;
	uint64_t imbalance_shares;
	char imbalance_direction; /* 'B','S','N','O','P' */
	char stock[8];
	int64_t far_price;
	int64_t near_price;
	int64_t ref_price;
	char cross_type;
	char price_variation;
};

/* N: retail price improvement indicator. */
struct rs_itch_rpii {
	struct rs_itch_hdr h;
	char stock[8];
	char interest_flag; /* 'B','S','A','N' */
};

/* O: direct listing with capital raise price discovery. */
struct rs_itch_dlcr {
	struct rs_itch_hdr h;
	char stock[8];
	char open_eligibility; /* 'N','Y' */
	int64_t min_price;
	int64_t max_price;
	int64_t near_exec_price;
	uint64_t near_exec_time; /* 8-byte integer as sent */
	int64_t lower_collar;
	int64_t upper_collar;
};

/* Any message, fully decoded (cold paths: dump, tests). */
struct rs_itch_msg {
	union {
		struct rs_itch_hdr h;
		struct rs_itch_system_event S;
		struct rs_itch_stock_directory R;
		struct rs_itch_trading_action H;
		struct rs_itch_reg_sho Y;
		struct rs_itch_participant_position L;
		struct rs_itch_mwcb_decline V;
		struct rs_itch_mwcb_status W;
		struct rs_itch_ipo_quoting K;
		struct rs_itch_luld_collar J;
		struct rs_itch_operational_halt oh; /* 'h' */
		struct rs_itch_add_order A;         /* A and F */
		struct rs_itch_order_executed E;    /* E and C */
		struct rs_itch_order_cancel X;
		struct rs_itch_order_delete D;
		struct rs_itch_order_replace U;
		struct rs_itch_trade P;
		struct rs_itch_cross_trade Q;
		struct rs_itch_broken_trade B;
		struct rs_itch_noii I;
		struct rs_itch_rpii N;
		struct rs_itch_dlcr O;
	};
};

/*
 * Cold handlers for messages that are not order events. Every pointer may
 * be NULL. The struct passed is valid only during the call. Called on the
 * decoding thread (hot core): handlers must be short and never block.
 */
struct rs_itch_handlers {
	void *ctx;
	void (*system_event)(void *ctx, const struct rs_itch_system_event *m);
	void (*stock_directory)(void *ctx, const struct rs_itch_stock_directory *m);
	void (*trading_action)(void *ctx, const struct rs_itch_trading_action *m);
	void (*reg_sho)(void *ctx, const struct rs_itch_reg_sho *m);
	void (*participant_position)(void *ctx, const struct rs_itch_participant_position *m);
	void (*mwcb_decline)(void *ctx, const struct rs_itch_mwcb_decline *m);
	void (*mwcb_status)(void *ctx, const struct rs_itch_mwcb_status *m);
	void (*ipo_quoting)(void *ctx, const struct rs_itch_ipo_quoting *m);
	void (*luld_collar)(void *ctx, const struct rs_itch_luld_collar *m);
	void (*operational_halt)(void *ctx, const struct rs_itch_operational_halt *m);
	void (*noii)(void *ctx, const struct rs_itch_noii *m);
	void (*rpii)(void *ctx, const struct rs_itch_rpii *m);
	void (*dlcr)(void *ctx, const struct rs_itch_dlcr *m);
	void (*broken_trade)(void *ctx, const struct rs_itch_broken_trade *m);
	void (*cross_trade)(void *ctx, const struct rs_itch_cross_trade *m); /* in addition to the 'T' event */
};

/* P-message side handling (see rs_itch.h). */
#define RS_ITCH_PSIDE_AGGRESSOR 0 /* side = opposite of the resting-order indicator */
#define RS_ITCH_PSIDE_NONE      1 /* side = 'N' */

#endif /* RS_ITCH_TYPES_H */
