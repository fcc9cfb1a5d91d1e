/*
 * rs_dbn_types.h - Databento Binary Encoding (DBN) v1-v3: wire layouts.
 *
 * Every record starts with struct rs_rec_hdr (include/ringside.h); its
 * `length` is the record size in 4-byte units. All integers little-endian,
 * all structs naturally aligned without implicit padding (as in DBN), so on
 * a little-endian host a struct below IS the wire format.
 *
 * File layout:
 *
 *   0      3   4        8                          8+length
 *   +------+---+--------+--------------------------+----------------
 *   | DBN  |ver| length | metadata (length bytes)  | records ...
 *   +------+---+--------+--------------------------+----------------
 *
 * Metadata (after the 8-byte prelude; "v1" = DBN version 1 only):
 *   dataset[16] schema:u16 start:u64 end:u64 limit:u64 [v1: record_count:u64]
 *   stype_in:u8 stype_out:u8 ts_out:u8 [v2+: symbol_cstr_len:u16]
 *   reserved[v1: 47, v2+: 53] schema_definition_length:u32 (+ bytes)
 *   symbols:   count:u32, count x char[symbol_cstr_len]
 *   partial:   count:u32, count x char[symbol_cstr_len]
 *   not_found: count:u32, count x char[symbol_cstr_len]
 *   mappings:  count:u32, count x { raw_symbol[cstr_len], n:u32,
 *                                   n x { start_date:u32 end_date:u32
 *                                         symbol[cstr_len] } }
 *   (v3 writers pad the metadata with zeros to a multiple of 8 bytes.)
 *   symbol_cstr_len is 22 in v1 and 71 in v2/v3; dates are YYYYMMDD.
 *
 * With ts_out set in the metadata every record carries an extra u64
 * (gateway send time) after its body, included in `length`.
 */
#ifndef RS_DBN_TYPES_H
#define RS_DBN_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "ringside.h"

#define RS_DBN_VERSION_MIN 1
#define RS_DBN_VERSION_MAX 3
#define RS_DBN_PRELUDE_LEN 8            /* "DBN", version, u32 length */
#define RS_DBN_META_FIXED_LEN 100       /* fixed part after the prelude, before schema_def_len */
#define RS_DBN_META_RESERVED_V1 47
#define RS_DBN_META_RESERVED_V2 53
#define RS_DBN_SYMBOL_CSTR_V1 22
#define RS_DBN_SYMBOL_CSTR_V2 71        /* also v3 */
#define RS_DBN_ASSET_CSTR_V1 7          /* also v2 */
#define RS_DBN_ASSET_CSTR_V3 11
#define RS_DBN_MAX_RECORD_LEN (255 * 4) /* length is a u8 in 4-byte units */
#define RS_DBN_NULL_SCHEMA UINT16_MAX
#define RS_DBN_NULL_STYPE UINT8_MAX
#define RS_DBN_NULL_RECORD_COUNT UINT64_MAX
#define RS_DBN_UNDEF_STAT_QTY_V1 INT32_MAX
#define RS_DBN_UNDEF_STAT_QTY_V3 INT64_MAX

/* Record types beyond those in ringside.h. */
#define RS_RTYPE_OHLCV_DEPRECATED 0x11
#define RS_RTYPE_OHLCV_1S  0x20
#define RS_RTYPE_OHLCV_1M  0x21
#define RS_RTYPE_OHLCV_1H  0x22
#define RS_RTYPE_OHLCV_1D  0x23
#define RS_RTYPE_OHLCV_EOD 0x24
#define RS_RTYPE_CMBP1     0xB1
#define RS_RTYPE_CBBO_1S   0xC0
#define RS_RTYPE_CBBO_1M   0xC1
#define RS_RTYPE_TCBBO     0xC2
#define RS_RTYPE_BBO_1S    0xC3
#define RS_RTYPE_BBO_1M    0xC4

/* Schemas (metadata `schema`). */
enum rs_dbn_schema {
	RS_DBN_SCHEMA_MBO = 0, RS_DBN_SCHEMA_MBP1 = 1, RS_DBN_SCHEMA_MBP10 = 2,
	RS_DBN_SCHEMA_TBBO = 3, RS_DBN_SCHEMA_TRADES = 4, RS_DBN_SCHEMA_OHLCV_1S = 5,
	RS_DBN_SCHEMA_OHLCV_1M = 6, RS_DBN_SCHEMA_OHLCV_1H = 7, RS_DBN_SCHEMA_OHLCV_1D = 8,
	RS_DBN_SCHEMA_DEFINITION = 9, RS_DBN_SCHEMA_STATISTICS = 10, RS_DBN_SCHEMA_STATUS = 11,
	RS_DBN_SCHEMA_IMBALANCE = 12, RS_DBN_SCHEMA_OHLCV_EOD = 13, RS_DBN_SCHEMA_CMBP1 = 14,
	RS_DBN_SCHEMA_CBBO_1S = 15, RS_DBN_SCHEMA_CBBO_1M = 16, RS_DBN_SCHEMA_TCBBO = 17,
	RS_DBN_SCHEMA_BBO_1S = 18, RS_DBN_SCHEMA_BBO_1M = 19,
};

/* Symbology types (metadata stype_in/stype_out). */
enum rs_dbn_stype {
	RS_DBN_STYPE_INSTRUMENT_ID = 0, RS_DBN_STYPE_RAW_SYMBOL = 1, RS_DBN_STYPE_SMART = 2,
	RS_DBN_STYPE_CONTINUOUS = 3, RS_DBN_STYPE_PARENT = 4, RS_DBN_STYPE_NASDAQ_SYMBOL = 5,
	RS_DBN_STYPE_CMS_SYMBOL = 6, RS_DBN_STYPE_ISIN = 7, RS_DBN_STYPE_US_CODE = 8,
	RS_DBN_STYPE_BBG_COMP_ID = 9, RS_DBN_STYPE_BBG_COMP_TICKER = 10, RS_DBN_STYPE_FIGI = 11,
	RS_DBN_STYPE_FIGI_TICKER = 12,
};

/* SystemMsg.code / ErrorMsg.code (v2+). */
#define RS_DBN_SYSCODE_HEARTBEAT 0
#define RS_DBN_SYSCODE_SUBSCRIPTION_ACK 1
#define RS_DBN_SYSCODE_SLOW_READER_WARNING 2
#define RS_DBN_SYSCODE_REPLAY_COMPLETED 3
#define RS_DBN_SYSCODE_END_OF_INTERVAL 4
#define RS_DBN_SYSCODE_UNSET 255
#define RS_DBN_ERRCODE_AUTH_FAILED 1
#define RS_DBN_ERRCODE_API_KEY_DEACTIVATED 2
#define RS_DBN_ERRCODE_CONNECTION_LIMIT_EXCEEDED 3
#define RS_DBN_ERRCODE_SYMBOL_RESOLUTION_FAILED 4
#define RS_DBN_ERRCODE_INVALID_SUBSCRIPTION 5
#define RS_DBN_ERRCODE_INTERNAL_ERROR 6
#define RS_DBN_ERRCODE_SKIPPED_RECORDS_AFTER_SLOW_READING 7
#define RS_DBN_ERRCODE_UNSET 255

/* ---- records identical in v1, v2 and v3 --------------------------------- */

/* MBO: struct rs_mbo (ringside.h), 56 bytes. */

struct rs_dbn_bidask {     /* BidAskPair, 32 bytes */
	int64_t bid_px;
	int64_t ask_px;
	uint32_t bid_sz;
	uint32_t ask_sz;
	uint32_t bid_ct;
	uint32_t ask_ct;
};

struct rs_dbn_cbidask {    /* ConsolidatedBidAskPair, 32 bytes */
	int64_t bid_px;
	int64_t ask_px;
	uint32_t bid_sz;
	uint32_t ask_sz;
	uint16_t bid_pb;
	uint8_t reserved1[2];
	uint16_t ask_pb;
	uint8_t reserved2[2];
};

/* TradeMsg (rtype 0x00, schema trades) and the head of MBP-1/MBP-10/TBBO. */
struct rs_dbn_trade {
	struct rs_rec_hdr hd;
	int64_t price;
	uint32_t size;
	char action;
	char side;
	uint8_t flags;
	uint8_t depth;
	uint64_t ts_recv;
	int32_t ts_in_delta;
	uint32_t sequence;
};

struct rs_dbn_mbp1 {       /* rtype 0x01: MBP-1 and TBBO */
	struct rs_dbn_trade t;
	struct rs_dbn_bidask levels[1];
};

struct rs_dbn_mbp10 {      /* rtype 0x0A */
	struct rs_dbn_trade t;
	struct rs_dbn_bidask levels[10];
};

struct rs_dbn_bbo {        /* rtype 0xC3 bbo-1s, 0xC4 bbo-1m */
	struct rs_rec_hdr hd;
	int64_t price;
	uint32_t size;
	uint8_t reserved1;
	char side;
	uint8_t flags;
	uint8_t reserved2;
	uint64_t ts_recv;
	uint8_t reserved3[4];
	uint32_t sequence;
	struct rs_dbn_bidask levels[1];
};

struct rs_dbn_cmbp1 {      /* rtype 0xB1 cmbp-1, 0xC2 tcbbo */
	struct rs_rec_hdr hd;
	int64_t price;
	uint32_t size;
	char action;
	char side;
	uint8_t flags;
	uint8_t reserved1;
	uint64_t ts_recv;
	int32_t ts_in_delta;
	uint8_t reserved2[4];
	struct rs_dbn_cbidask levels[1];
};

struct rs_dbn_cbbo {       /* rtype 0xC0 cbbo-1s, 0xC1 cbbo-1m */
	struct rs_rec_hdr hd;
	int64_t price;
	uint32_t size;
	uint8_t reserved1;
	char side;
	uint8_t flags;
	uint8_t reserved2;
	uint64_t ts_recv;
	uint8_t reserved3[8];
	struct rs_dbn_cbidask levels[1];
};

struct rs_dbn_ohlcv {      /* rtypes 0x11, 0x20-0x24 */
	struct rs_rec_hdr hd;
	int64_t open;
	int64_t high;
	int64_t low;
	int64_t close;
	uint64_t volume;
};

struct rs_dbn_status {     /* rtype 0x12 */
	struct rs_rec_hdr hd;
	uint64_t ts_recv;
	uint16_t action;
	uint16_t reason;
	uint16_t trading_event;
	char is_trading;
	char is_quoting;
	char is_short_sell_restricted;
	uint8_t reserved[7];
};

struct rs_dbn_imbalance {  /* rtype 0x14 */
	struct rs_rec_hdr hd;
	uint64_t ts_recv;
	int64_t ref_price;
	uint64_t auction_time;
	int64_t cont_book_clr_price;
	int64_t auct_interest_clr_price;
	int64_t ssr_filling_price;
	int64_t ind_match_price;
	int64_t upper_collar;
	int64_t lower_collar;
	uint32_t paired_qty;
	uint32_t total_imbalance_qty;
	uint32_t market_imbalance_qty;
	uint32_t unpaired_qty;
	char auction_type;
	char side;
	uint8_t auction_status;
	uint8_t freeze_status;
	uint8_t num_extensions;
	char unpaired_side;
	char significant_imbalance;
	uint8_t reserved[1];
};

/* ---- version-3 layouts of the records that changed ------------------------ */

struct rs_dbn_def {        /* rtype 0x13, InstrumentDefMsg v3, 520 bytes */
	struct rs_rec_hdr hd;
	uint64_t ts_recv;
	int64_t min_price_increment;
	int64_t display_factor;
	uint64_t expiration;
	uint64_t activation;
	int64_t high_limit_price;
	int64_t low_limit_price;
	int64_t max_price_variation;
	int64_t unit_of_measure_qty;
	int64_t min_price_increment_amount;
	int64_t price_ratio;
	int64_t strike_price;
	uint64_t raw_instrument_id;
	int64_t leg_price;
	int64_t leg_delta;
	int32_t inst_attrib_value;
	uint32_t underlying_id;
	int32_t market_depth_implied;
	int32_t market_depth;
	uint32_t market_segment_id;
	uint32_t max_trade_vol;
	int32_t min_lot_size;
	int32_t min_lot_size_block;
	int32_t min_lot_size_round_lot;
	uint32_t min_trade_vol;
	int32_t contract_multiplier;
	int32_t decay_quantity;
	int32_t original_contract_size;
	uint32_t leg_instrument_id;
	int32_t leg_ratio_price_numerator;
	int32_t leg_ratio_price_denominator;
	int32_t leg_ratio_qty_numerator;
	int32_t leg_ratio_qty_denominator;
	uint32_t leg_underlying_id;
	int16_t appl_id;
	uint16_t maturity_year;
	uint16_t decay_start_date;
	uint16_t channel_id;
	uint16_t leg_count;
	uint16_t leg_index;
	char currency[4];
	char settl_currency[4];
	char secsubtype[6];
	char raw_symbol[RS_DBN_SYMBOL_CSTR_V2];
	char group[21];
	char exchange[5];
	char asset[RS_DBN_ASSET_CSTR_V3];
	char cfi[7];
	char security_type[7];
	char unit_of_measure[31];
	char underlying[21];
	char strike_price_currency[4];
	char leg_raw_symbol[RS_DBN_SYMBOL_CSTR_V2];
	char instrument_class;
	char match_algorithm;
	uint8_t main_fraction;
	uint8_t price_display_format;
	uint8_t sub_fraction;
	uint8_t underlying_product;
	char security_update_action;
	uint8_t maturity_month;
	uint8_t maturity_day;
	uint8_t maturity_week;
	char user_defined_instrument;
	int8_t contract_multiplier_unit;
	int8_t flow_schedule_type;
	uint8_t tick_rule;
	char leg_instrument_class;
	char leg_side;
	uint8_t reserved[17];
};

struct rs_dbn_stat {       /* rtype 0x18, StatMsg v3, 80 bytes */
	struct rs_rec_hdr hd;
	uint64_t ts_recv;
	uint64_t ts_ref;
	int64_t price;
	int64_t quantity;      /* RS_DBN_UNDEF_STAT_QTY_V3 = undefined */
	uint32_t sequence;
	int32_t ts_in_delta;
	uint16_t stat_type;
	uint16_t channel_id;
	uint8_t update_action;
	uint8_t stat_flags;
	uint8_t reserved[18];
};

struct rs_dbn_error {      /* rtype 0x15, ErrorMsg v2/v3, 320 bytes */
	struct rs_rec_hdr hd;
	char err[302];
	uint8_t code;          /* RS_DBN_ERRCODE_* */
	uint8_t is_last;
};

struct rs_dbn_symmap {     /* rtype 0x16, SymbolMappingMsg v2/v3, 176 bytes */
	struct rs_rec_hdr hd;
	uint8_t stype_in;
	char stype_in_symbol[RS_DBN_SYMBOL_CSTR_V2];
	uint8_t stype_out;
	char stype_out_symbol[RS_DBN_SYMBOL_CSTR_V2];
	uint64_t start_ts;
	uint64_t end_ts;
};

struct rs_dbn_system {     /* rtype 0x17, SystemMsg v2/v3, 320 bytes */
	struct rs_rec_hdr hd;
	char msg[303];
	uint8_t code;          /* RS_DBN_SYSCODE_* */
};

/* ---- version-1/2 layouts (upgraded by rs_dbn_upgrade) ---------------------- */

struct rs_dbn_def_v1 {     /* 360 bytes */
	struct rs_rec_hdr hd;
	uint64_t ts_recv;
	int64_t min_price_increment;
	int64_t display_factor;
	uint64_t expiration;
	uint64_t activation;
	int64_t high_limit_price;
	int64_t low_limit_price;
	int64_t max_price_variation;
	int64_t trading_reference_price;
	int64_t unit_of_measure_qty;
	int64_t min_price_increment_amount;
	int64_t price_ratio;
	int32_t inst_attrib_value;
	uint32_t underlying_id;
	uint32_t raw_instrument_id;
	int32_t market_depth_implied;
	int32_t market_depth;
	uint32_t market_segment_id;
	uint32_t max_trade_vol;
	int32_t min_lot_size;
	int32_t min_lot_size_block;
	int32_t min_lot_size_round_lot;
	uint32_t min_trade_vol;
	uint8_t reserved2[4];
	int32_t contract_multiplier;
	int32_t decay_quantity;
	int32_t original_contract_size;
	uint8_t reserved3[4];
	uint16_t trading_reference_date;
	int16_t appl_id;
	uint16_t maturity_year;
	uint16_t decay_start_date;
	uint16_t channel_id;
	char currency[4];
	char settl_currency[4];
	char secsubtype[6];
	char raw_symbol[RS_DBN_SYMBOL_CSTR_V1];
	char group[21];
	char exchange[5];
	char asset[RS_DBN_ASSET_CSTR_V1];
	char cfi[7];
	char security_type[7];
	char unit_of_measure[31];
	char underlying[21];
	char strike_price_currency[4];
	char instrument_class;
	uint8_t reserved4[2];
	int64_t strike_price;
	uint8_t reserved5[6];
	char match_algorithm;
	uint8_t md_security_trading_status;
	uint8_t main_fraction;
	uint8_t price_display_format;
	uint8_t settl_price_type;
	uint8_t sub_fraction;
	uint8_t underlying_product;
	char security_update_action;
	uint8_t maturity_month;
	uint8_t maturity_day;
	uint8_t maturity_week;
	char user_defined_instrument;
	int8_t contract_multiplier_unit;
	int8_t flow_schedule_type;
	uint8_t tick_rule;
	uint8_t dummy[3];
};

struct rs_dbn_def_v2 {     /* 400 bytes */
	struct rs_rec_hdr hd;
	uint64_t ts_recv;
	int64_t min_price_increment;
	int64_t display_factor;
	uint64_t expiration;
	uint64_t activation;
	int64_t high_limit_price;
	int64_t low_limit_price;
	int64_t max_price_variation;
	int64_t trading_reference_price;
	int64_t unit_of_measure_qty;
	int64_t min_price_increment_amount;
	int64_t price_ratio;
	int64_t strike_price;
	int32_t inst_attrib_value;
	uint32_t underlying_id;
	uint32_t raw_instrument_id;
	int32_t market_depth_implied;
	int32_t market_depth;
	uint32_t market_segment_id;
	uint32_t max_trade_vol;
	int32_t min_lot_size;
	int32_t min_lot_size_block;
	int32_t min_lot_size_round_lot;
	uint32_t min_trade_vol;
	int32_t contract_multiplier;
	int32_t decay_quantity;
	int32_t original_contract_size;
	uint16_t trading_reference_date;
	int16_t appl_id;
	uint16_t maturity_year;
	uint16_t decay_start_date;
	uint16_t channel_id;
	char currency[4];
	char settl_currency[4];
	char secsubtype[6];
	char raw_symbol[RS_DBN_SYMBOL_CSTR_V2];
	char group[21];
	char exchange[5];
	char asset[RS_DBN_ASSET_CSTR_V1];
	char cfi[7];
	char security_type[7];
	char unit_of_measure[31];
	char underlying[21];
	char strike_price_currency[4];
	char instrument_class;
	char match_algorithm;
	uint8_t md_security_trading_status;
	uint8_t main_fraction;
	uint8_t price_display_format;
	uint8_t settl_price_type;
	uint8_t sub_fraction;
	uint8_t underlying_product;
	char security_update_action;
	uint8_t maturity_month;
	uint8_t maturity_day;
	uint8_t maturity_week;
	char user_defined_instrument;
	int8_t contract_multiplier_unit;
	int8_t flow_schedule_type;
	uint8_t tick_rule;
	uint8_t reserved[10];
};

struct rs_dbn_stat_v1 {    /* v1 and v2, 64 bytes */
	struct rs_rec_hdr hd;
	uint64_t ts_recv;
	uint64_t ts_ref;
	int64_t price;
	int32_t quantity;      /* RS_DBN_UNDEF_STAT_QTY_V1 = undefined */
	uint32_t sequence;
	int32_t ts_in_delta;
	uint16_t stat_type;
	uint16_t channel_id;
	uint8_t update_action;
	uint8_t stat_flags;
	uint8_t reserved[6];
};

struct rs_dbn_error_v1 {   /* 80 bytes */
	struct rs_rec_hdr hd;
	char err[64];
};

struct rs_dbn_symmap_v1 {  /* 80 bytes */
	struct rs_rec_hdr hd;
	char stype_in_symbol[RS_DBN_SYMBOL_CSTR_V1];
	char stype_out_symbol[RS_DBN_SYMBOL_CSTR_V1];
	uint8_t dummy[4];
	uint64_t start_ts;
	uint64_t end_ts;
};

struct rs_dbn_system_v1 {  /* 80 bytes */
	struct rs_rec_hdr hd;
	char msg[64];
};

/* Largest version-3 record body any upgrade produces (+ ts_out). */
#define RS_DBN_UPGRADE_BUF_LEN (sizeof(struct rs_dbn_def) + 8)

/* ---- metadata (zero-copy view) -------------------------------------------- */

/*
 * Decoded metadata. The pointer fields point INTO the buffer passed to
 * rs_dbn_meta_decode() and are valid as long as it is. To write a file from
 * scratch, fill the scalars and point symbols/partial/not_found at arrays of
 * count x `symbol_cstr_len`-byte strings and mappings at an encoded mapping
 * block (or set the counts to 0).
 */
struct rs_dbn_meta {
	uint8_t version;          /* 1..3 */
	uint32_t length;          /* metadata bytes after the 8-byte prelude */
	char dataset[17];         /* NUL-terminated */
	uint16_t schema;          /* RS_DBN_SCHEMA_*, RS_DBN_NULL_SCHEMA = mixed */
	uint64_t start;
	uint64_t end;             /* RS_UNDEF_TS = none */
	uint64_t limit;           /* 0 = none */
	uint64_t record_count;    /* v1 only (deprecated), else RS_DBN_NULL_RECORD_COUNT */
	uint8_t stype_in;         /* RS_DBN_NULL_STYPE = mixed */
	uint8_t stype_out;
	uint8_t ts_out;           /* records carry a trailing u64 ts_out */
	uint16_t symbol_cstr_len; /* 22 (v1) or 71 */
	uint32_t schema_def_len;
	const uint8_t *schema_def;
	uint32_t nsymbols, npartial, nnot_found, nmappings;
	const uint8_t *symbols;   /* nsymbols x symbol_cstr_len */
	const uint8_t *partial;
	const uint8_t *not_found;
	const uint8_t *mappings;  /* first encoded mapping */
	size_t mappings_len;      /* bytes of the mapping block after its count */
	uint64_t nintervals;      /* sum of interval counts over all mappings */
};

/* One symbol mapping read by rs_dbn_meta_mapping_next(). */
struct rs_dbn_mapping {
	const uint8_t *raw_symbol;  /* symbol_cstr_len bytes */
	uint32_t nintervals;
	const uint8_t *intervals;   /* nintervals x (u32 start, u32 end, symbol[cstr_len]) */
};

/* ---- decoder counters ------------------------------------------------------ */

enum rs_dbn_reject {
	RS_DBN_REJ_SHORT_HEADER,  /* length * 4 < 16: cannot continue */
	RS_DBN_REJ_OVERRUN,       /* record extends past the end of the data */
	RS_DBN_REJ_SHORT_RECORD,  /* known rtype, length below its size for the version */
	RS_DBN_REJ_UNKNOWN_RTYPE, /* skipped */
	RS_DBN_REJ_NOT_MBO,       /* not an MBO record where only MBO was asked for (skipped) */
	RS_DBN_REJ__COUNT,
};

struct rs_dbn_counters {
	uint64_t records;         /* records accepted (any known rtype) */
	uint64_t mbo;             /* MBO records */
	uint64_t definitions;
	uint64_t upgraded;        /* records converted to the v3 layout */
	uint64_t bytes;           /* record bytes consumed (accepted or skipped) */
	uint64_t reject[RS_DBN_REJ__COUNT];
};

/* ---- layout checks ----------------------------------------------------------- */
_Static_assert(sizeof(struct rs_dbn_bidask) == 32, "BidAskPair");
_Static_assert(sizeof(struct rs_dbn_cbidask) == 32, "ConsolidatedBidAskPair");
_Static_assert(sizeof(struct rs_dbn_trade) == 48, "TradeMsg");
_Static_assert(sizeof(struct rs_dbn_mbp1) == 80, "Mbp1Msg");
_Static_assert(sizeof(struct rs_dbn_mbp10) == 368, "Mbp10Msg");
_Static_assert(sizeof(struct rs_dbn_bbo) == 80, "BboMsg");
_Static_assert(sizeof(struct rs_dbn_cmbp1) == 80, "Cmbp1Msg");
_Static_assert(sizeof(struct rs_dbn_cbbo) == 80, "CbboMsg");
_Static_assert(sizeof(struct rs_dbn_ohlcv) == 56, "OhlcvMsg");
_Static_assert(sizeof(struct rs_dbn_status) == 40, "StatusMsg");
_Static_assert(sizeof(struct rs_dbn_imbalance) == 112, "ImbalanceMsg");
_Static_assert(sizeof(struct rs_dbn_def) == 520, "InstrumentDefMsg v3");
_Static_assert(offsetof(struct rs_dbn_def, raw_instrument_id) == 112, "def v3");
_Static_assert(offsetof(struct rs_dbn_def, appl_id) == 212, "def v3");
_Static_assert(offsetof(struct rs_dbn_def, raw_symbol) == 238, "def v3");
_Static_assert(offsetof(struct rs_dbn_def, leg_raw_symbol) == 416, "def v3");
_Static_assert(offsetof(struct rs_dbn_def, instrument_class) == 487, "def v3");
_Static_assert(sizeof(struct rs_dbn_def_v2) == 400, "InstrumentDefMsg v2");
_Static_assert(offsetof(struct rs_dbn_def_v2, raw_symbol) == 200, "def v2");
_Static_assert(offsetof(struct rs_dbn_def_v2, instrument_class) == 374, "def v2");
_Static_assert(sizeof(struct rs_dbn_def_v1) == 360, "InstrumentDefMsg v1");
_Static_assert(offsetof(struct rs_dbn_def_v1, raw_symbol) == 200, "def v1");
_Static_assert(offsetof(struct rs_dbn_def_v1, strike_price) == 328, "def v1");
_Static_assert(offsetof(struct rs_dbn_def_v1, match_algorithm) == 342, "def v1");
_Static_assert(sizeof(struct rs_dbn_stat) == 80, "StatMsg v3");
_Static_assert(sizeof(struct rs_dbn_stat_v1) == 64, "StatMsg v1/v2");
_Static_assert(sizeof(struct rs_dbn_error) == 320, "ErrorMsg v2");
_Static_assert(sizeof(struct rs_dbn_error_v1) == 80, "ErrorMsg v1");
_Static_assert(sizeof(struct rs_dbn_symmap) == 176, "SymbolMappingMsg v2");
_Static_assert(sizeof(struct rs_dbn_symmap_v1) == 80, "SymbolMappingMsg v1");
_Static_assert(sizeof(struct rs_dbn_system) == 320, "SystemMsg v2");
_Static_assert(sizeof(struct rs_dbn_system_v1) == 80, "SystemMsg v1");

#endif
