/*
 * rs_dbn.c - DBN metadata decode/encode and record upgrades (see rs_dbn.h).
 *
 * Everything reads and writes explicit little-endian fields through
 * memcpy, so unaligned and hostile input is safe: every count is checked
 * against the bytes that remain before anything is read.
 */
#include "dataplane/rs_dbn.h"

#include <errno.h>
#include <string.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void wr64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t cstr_len_for(uint8_t version)
{
	return version == 1 ? RS_DBN_SYMBOL_CSTR_V1 : RS_DBN_SYMBOL_CSTR_V2;
}

int rs_dbn_prelude(const uint8_t *buf, size_t len, uint8_t *version, uint32_t *length,
		   const char **why)
{
	if (len < RS_DBN_PRELUDE_LEN) {
		*why = "shorter than the 8-byte DBN prelude";
		return -EAGAIN;
	}
	if (memcmp(buf, "DBN", 3) != 0) {
		*why = "wrong magic (not a DBN file)";
		return -EPROTO;
	}
	*version = buf[3];
	if (buf[3] < RS_DBN_VERSION_MIN || buf[3] > RS_DBN_VERSION_MAX) {
		*why = "unsupported DBN version (supported: 1-3)";
		return -EPROTONOSUPPORT;
	}
	*length = rd32(buf + 4);
	if (*length < RS_DBN_META_FIXED_LEN + 4) {
		*why = "metadata length shorter than its fixed part";
		return -EBADMSG;
	}
	return 0;
}

/* Read a u32 count and count x cstr_len bytes of symbols at *pos. */
static int read_symbols(const uint8_t *buf, size_t end, size_t *pos, uint16_t cstr_len,
			uint32_t *count, const uint8_t **list)
{
	if (end - *pos < 4)
		return -1;
	*count = rd32(buf + *pos);
	*pos += 4;
	if ((uint64_t)*count * cstr_len > end - *pos)
		return -1;
	*list = buf + *pos;
	*pos += (size_t)*count * cstr_len;
	return 0;
}

int rs_dbn_meta_decode(const uint8_t *buf, size_t len, struct rs_dbn_meta *m, const char **why)
{
	uint32_t length;
	int err = rs_dbn_prelude(buf, len, &m->version, &length, why);
	if (err)
		return err;
	if (len - RS_DBN_PRELUDE_LEN < length) {
		*why = "metadata extends past the end of the data";
		return -EAGAIN;
	}
	const uint8_t *b = buf + RS_DBN_PRELUDE_LEN; /* metadata, `length` bytes */
	size_t end = length, pos = 0;
	m->length = length;
	memcpy(m->dataset, b, 16);
	m->dataset[16] = '\0';
	pos = 16;
	m->schema = rd16(b + pos);
	pos += 2;
	m->start = rd64(b + pos);
	m->end = rd64(b + pos + 8);
	m->limit = rd64(b + pos + 16);
	pos += 24;
	m->record_count = RS_DBN_NULL_RECORD_COUNT;
	if (m->version == 1) {
		m->record_count = rd64(b + pos);
		pos += 8;
	}
	m->stype_in = b[pos];
	m->stype_out = b[pos + 1];
	m->ts_out = b[pos + 2];
	pos += 3;
	if (m->version == 1) {
		m->symbol_cstr_len = RS_DBN_SYMBOL_CSTR_V1;
		pos += RS_DBN_META_RESERVED_V1;
	} else {
		m->symbol_cstr_len = rd16(b + pos);
		pos += 2 + RS_DBN_META_RESERVED_V2;
	}
	/* pos == RS_DBN_META_FIXED_LEN; length >= FIXED + 4 checked above. */
	m->schema_def_len = rd32(b + pos);
	pos += 4;
	if (m->schema_def_len > end - pos) {
		*why = "schema_definition_length overruns the metadata";
		return -EBADMSG;
	}
	m->schema_def = b + pos;
	pos += m->schema_def_len;
	if (m->symbol_cstr_len == 0) {
		*why = "symbol_cstr_len is 0";
		return -EBADMSG;
	}
	uint16_t cl = m->symbol_cstr_len;
	if (read_symbols(b, end, &pos, cl, &m->nsymbols, &m->symbols) ||
	    read_symbols(b, end, &pos, cl, &m->npartial, &m->partial) ||
	    read_symbols(b, end, &pos, cl, &m->nnot_found, &m->not_found)) {
		*why = "symbol list overruns the metadata";
		return -EBADMSG;
	}
	if (end - pos < 4) {
		*why = "mapping count overruns the metadata";
		return -EBADMSG;
	}
	m->nmappings = rd32(b + pos);
	pos += 4;
	m->mappings = b + pos;
	size_t mstart = pos;
	m->nintervals = 0;
	for (uint32_t i = 0; i < m->nmappings; i++) {
		if (end - pos < (size_t)cl + 4) {
			*why = "symbol mapping overruns the metadata";
			return -EBADMSG;
		}
		uint32_t n = rd32(b + pos + cl);
		pos += (size_t)cl + 4;
		if ((uint64_t)n * (8u + cl) > end - pos) {
			*why = "mapping intervals overrun the metadata";
			return -EBADMSG;
		}
		pos += (size_t)n * (8u + cl);
		m->nintervals += n;
	}
	m->mappings_len = pos - mstart;
	/* Bytes after the mappings are padding (v3 pads to 8 bytes). */
	return 0;
}

/* Count the intervals of the encoded mapping block by walking it (a
 * hand-built meta's nintervals is not trusted); -1 if the block is shorter
 * than its counts say. */
static int64_t count_intervals(const struct rs_dbn_meta *m)
{
	size_t scl = m->symbol_cstr_len, pos = 0;
	uint64_t total = 0;
	for (uint32_t i = 0; i < m->nmappings; i++) {
		if (m->mappings_len - pos < scl + 4)
			return -1;
		uint32_t n = rd32(m->mappings + pos + scl);
		pos += scl + 4;
		if ((uint64_t)n * (8 + scl) > m->mappings_len - pos)
			return -1;
		pos += (size_t)n * (8 + scl);
		total += n;
	}
	return (int64_t)total;
}

static size_t meta_len_body(const struct rs_dbn_meta *m, uint8_t version)
{
	size_t cl = cstr_len_for(version);
	int64_t ni = count_intervals(m);
	size_t n = RS_DBN_META_FIXED_LEN + 4 * 5 + m->schema_def_len;
	n += ((size_t)m->nsymbols + m->npartial + m->nnot_found) * cl;
	n += (size_t)m->nmappings * (cl + 4) + (size_t)(ni < 0 ? 0 : ni) * (8 + cl);
	return n;
}

static size_t meta_len_padded(const struct rs_dbn_meta *m, uint8_t version)
{
	size_t n = meta_len_body(m, version);
	if (version >= 3 && n % 8)
		n += 8 - n % 8;
	if (m->version == version && m->length > n)
		n = m->length;
	return n;
}

size_t rs_dbn_meta_encoded_len(const struct rs_dbn_meta *m, uint8_t version)
{
	return RS_DBN_PRELUDE_LEN + meta_len_padded(m, version);
}

/* Copy a fixed-width symbol from src_len to dst_len bytes; -1 if it does not fit. */
static int put_cstr(uint8_t *dst, size_t dst_len, const uint8_t *src, size_t src_len)
{
	size_t n = strnlen((const char *)src, src_len);
	if (n > dst_len - 1 && !(n == dst_len && src_len == dst_len))
		return -1;
	memset(dst, 0, dst_len);
	memcpy(dst, src, n < dst_len ? n : dst_len);
	return 0;
}

long rs_dbn_meta_encode(const struct rs_dbn_meta *m, uint8_t version, uint8_t *buf, size_t cap)
{
	if (version < RS_DBN_VERSION_MIN || version > RS_DBN_VERSION_MAX || m->symbol_cstr_len == 0 ||
	    count_intervals(m) < 0)
		return -EINVAL;
	size_t length = meta_len_padded(m, version);
	size_t total = RS_DBN_PRELUDE_LEN + length;
	if (total > cap)
		return -ENOSPC;
	if (length > UINT32_MAX)
		return -EINVAL;
	size_t cl = cstr_len_for(version), scl = m->symbol_cstr_len;
	memset(buf, 0, total);
	memcpy(buf, "DBN", 3);
	buf[3] = version;
	wr32(buf + 4, (uint32_t)length);
	uint8_t *b = buf + RS_DBN_PRELUDE_LEN;
	size_t pos = 0;
	memcpy(b, m->dataset, strnlen(m->dataset, 16));
	pos = 16;
	wr16(b + pos, m->schema);
	wr64(b + pos + 2, m->start);
	wr64(b + pos + 10, m->end);
	wr64(b + pos + 18, m->limit);
	pos += 26;
	if (version == 1) {
		wr64(b + pos, m->version == 1 ? m->record_count : RS_DBN_NULL_RECORD_COUNT);
		pos += 8;
	}
	b[pos] = m->stype_in;
	b[pos + 1] = m->stype_out;
	b[pos + 2] = m->ts_out;
	pos += 3;
	if (version == 1) {
		pos += RS_DBN_META_RESERVED_V1;
	} else {
		wr16(b + pos, (uint16_t)cl);
		pos += 2 + RS_DBN_META_RESERVED_V2;
	}
	wr32(b + pos, m->schema_def_len);
	pos += 4;
	if (m->schema_def_len)
		memcpy(b + pos, m->schema_def, m->schema_def_len);
	pos += m->schema_def_len;
	const uint8_t *lists[3] = {m->symbols, m->partial, m->not_found};
	uint32_t counts[3] = {m->nsymbols, m->npartial, m->nnot_found};
	for (int l = 0; l < 3; l++) {
		wr32(b + pos, counts[l]);
		pos += 4;
		for (uint32_t i = 0; i < counts[l]; i++, pos += cl)
			if (put_cstr(b + pos, cl, lists[l] + (size_t)i * scl, scl))
				return -EINVAL;
	}
	wr32(b + pos, m->nmappings);
	pos += 4;
	const uint8_t *s = m->mappings;
	for (uint32_t i = 0; i < m->nmappings; i++) {
		if (put_cstr(b + pos, cl, s, scl))
			return -EINVAL;
		uint32_t n = rd32(s + scl);
		wr32(b + pos + cl, n);
		pos += cl + 4;
		s += scl + 4;
		for (uint32_t k = 0; k < n; k++) {
			memcpy(b + pos, s, 8); /* start_date, end_date */
			if (put_cstr(b + pos + 8, cl, s + 8, scl))
				return -EINVAL;
			pos += 8 + cl;
			s += 8 + scl;
		}
	}
	return (long)total;
}

void rs_dbn_meta_symbol(const struct rs_dbn_meta *m, const uint8_t *list, uint32_t i, char *out,
			size_t outlen)
{
	if (!outlen)
		return;
	const char *s = (const char *)list + (size_t)i * m->symbol_cstr_len;
	size_t n = strnlen(s, m->symbol_cstr_len);
	if (n > outlen - 1)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

bool rs_dbn_meta_mapping_next(const struct rs_dbn_meta *m, size_t *cursor, struct rs_dbn_mapping *mp)
{
	size_t cl = m->symbol_cstr_len;
	if (*cursor + cl + 4 > m->mappings_len)
		return false;
	const uint8_t *p = m->mappings + *cursor;
	mp->raw_symbol = p;
	mp->nintervals = rd32(p + cl);
	mp->intervals = p + cl + 4;
	*cursor += cl + 4 + (size_t)mp->nintervals * (8 + cl);
	return true;
}

void rs_dbn_mapping_interval(const struct rs_dbn_meta *m, const struct rs_dbn_mapping *mp, uint32_t i,
			     uint32_t *start_date, uint32_t *end_date, char *sym, size_t symlen)
{
	size_t cl = m->symbol_cstr_len;
	const uint8_t *p = mp->intervals + (size_t)i * (8 + cl);
	*start_date = rd32(p);
	*end_date = rd32(p + 4);
	if (symlen) {
		size_t n = strnlen((const char *)p + 8, cl);
		if (n > symlen - 1)
			n = symlen - 1;
		memcpy(sym, p + 8, n);
		sym[n] = '\0';
	}
}

const char *rs_dbn_schema_name(uint16_t schema)
{
	static const char *const names[] = {
		"mbo", "mbp-1", "mbp-10", "tbbo", "trades", "ohlcv-1s", "ohlcv-1m",
		"ohlcv-1h", "ohlcv-1d", "definition", "statistics", "status", "imbalance",
		"ohlcv-eod", "cmbp-1", "cbbo-1s", "cbbo-1m", "tcbbo", "bbo-1s", "bbo-1m",
	};
	if (schema == RS_DBN_NULL_SCHEMA)
		return "(mixed)";
	return schema < sizeof(names) / sizeof(names[0]) ? names[schema] : "?";
}

const char *rs_dbn_stype_name(uint8_t stype)
{
	static const char *const names[] = {
		"instrument_id", "raw_symbol", "smart", "continuous", "parent", "nasdaq_symbol",
		"cms_symbol", "isin", "us_code", "bbg_comp_id", "bbg_comp_ticker", "figi",
		"figi_ticker",
	};
	if (stype == RS_DBN_NULL_STYPE)
		return "(mixed)";
	return stype < sizeof(names) / sizeof(names[0]) ? names[stype] : "?";
}

const char *rs_dbn_rtype_name(uint8_t rtype)
{
	switch (rtype) {
	case RS_RTYPE_MBP0: return "trade";
	case RS_RTYPE_MBP1: return "mbp-1";
	case RS_RTYPE_MBP10: return "mbp-10";
	case RS_RTYPE_OHLCV_DEPRECATED: return "ohlcv";
	case RS_RTYPE_OHLCV_1S: return "ohlcv-1s";
	case RS_RTYPE_OHLCV_1M: return "ohlcv-1m";
	case RS_RTYPE_OHLCV_1H: return "ohlcv-1h";
	case RS_RTYPE_OHLCV_1D: return "ohlcv-1d";
	case RS_RTYPE_OHLCV_EOD: return "ohlcv-eod";
	case RS_RTYPE_STATUS: return "status";
	case RS_RTYPE_DEFINITION: return "definition";
	case RS_RTYPE_IMBALANCE: return "imbalance";
	case RS_RTYPE_ERROR: return "error";
	case RS_RTYPE_SYMMAP: return "symbol-mapping";
	case RS_RTYPE_SYSTEM: return "system";
	case RS_RTYPE_STATISTICS: return "statistics";
	case RS_RTYPE_MBO: return "mbo";
	case RS_RTYPE_CMBP1: return "cmbp-1";
	case RS_RTYPE_CBBO_1S: return "cbbo-1s";
	case RS_RTYPE_CBBO_1M: return "cbbo-1m";
	case RS_RTYPE_TCBBO: return "tcbbo";
	case RS_RTYPE_BBO_1S: return "bbo-1s";
	case RS_RTYPE_BBO_1M: return "bbo-1m";
	default: return "?";
	}
}

/* ---- upgrades ------------------------------------------------------------------ */

static void def_v3_defaults(struct rs_dbn_def *d)
{
	memset(d, 0, sizeof(*d));
	d->leg_price = RS_UNDEF_PRICE;
	d->leg_delta = RS_UNDEF_PRICE;
	d->leg_side = RS_SIDE_NONE;
}

/* Fields common to v1 and v2 definitions (same names, same types). */
#define DEF_COPY_COMMON(d, o)                                                      \
	do {                                                                       \
		(d)->hd = (o)->hd;                                                 \
		(d)->ts_recv = (o)->ts_recv;                                       \
		(d)->min_price_increment = (o)->min_price_increment;               \
		(d)->display_factor = (o)->display_factor;                         \
		(d)->expiration = (o)->expiration;                                 \
		(d)->activation = (o)->activation;                                 \
		(d)->high_limit_price = (o)->high_limit_price;                     \
		(d)->low_limit_price = (o)->low_limit_price;                       \
		(d)->max_price_variation = (o)->max_price_variation;               \
		(d)->unit_of_measure_qty = (o)->unit_of_measure_qty;               \
		(d)->min_price_increment_amount = (o)->min_price_increment_amount; \
		(d)->price_ratio = (o)->price_ratio;                               \
		(d)->strike_price = (o)->strike_price;                             \
		(d)->raw_instrument_id = (o)->raw_instrument_id;                   \
		(d)->inst_attrib_value = (o)->inst_attrib_value;                   \
		(d)->underlying_id = (o)->underlying_id;                           \
		(d)->market_depth_implied = (o)->market_depth_implied;             \
		(d)->market_depth = (o)->market_depth;                             \
		(d)->market_segment_id = (o)->market_segment_id;                   \
		(d)->max_trade_vol = (o)->max_trade_vol;                           \
		(d)->min_lot_size = (o)->min_lot_size;                             \
		(d)->min_lot_size_block = (o)->min_lot_size_block;                 \
		(d)->min_lot_size_round_lot = (o)->min_lot_size_round_lot;         \
		(d)->min_trade_vol = (o)->min_trade_vol;                           \
		(d)->contract_multiplier = (o)->contract_multiplier;               \
		(d)->decay_quantity = (o)->decay_quantity;                         \
		(d)->original_contract_size = (o)->original_contract_size;         \
		(d)->appl_id = (o)->appl_id;                                       \
		(d)->maturity_year = (o)->maturity_year;                           \
		(d)->decay_start_date = (o)->decay_start_date;                     \
		(d)->channel_id = (o)->channel_id;                                 \
		memcpy((d)->currency, (o)->currency, 4);                           \
		memcpy((d)->settl_currency, (o)->settl_currency, 4);               \
		memcpy((d)->secsubtype, (o)->secsubtype, 6);                       \
		memcpy((d)->raw_symbol, (o)->raw_symbol, sizeof((o)->raw_symbol)); \
		memcpy((d)->group, (o)->group, 21);                                \
		memcpy((d)->exchange, (o)->exchange, 5);                           \
		memcpy((d)->asset, (o)->asset, RS_DBN_ASSET_CSTR_V1);              \
		memcpy((d)->cfi, (o)->cfi, 7);                                     \
		memcpy((d)->security_type, (o)->security_type, 7);                 \
		memcpy((d)->unit_of_measure, (o)->unit_of_measure, 31);            \
		memcpy((d)->underlying, (o)->underlying, 21);                      \
		memcpy((d)->strike_price_currency, (o)->strike_price_currency, 4); \
		(d)->instrument_class = (o)->instrument_class;                     \
		(d)->match_algorithm = (o)->match_algorithm;                       \
		(d)->main_fraction = (o)->main_fraction;                           \
		(d)->price_display_format = (o)->price_display_format;             \
		(d)->sub_fraction = (o)->sub_fraction;                             \
		(d)->underlying_product = (o)->underlying_product;                 \
		(d)->security_update_action = (o)->security_update_action;         \
		(d)->maturity_month = (o)->maturity_month;                         \
		(d)->maturity_day = (o)->maturity_day;                             \
		(d)->maturity_week = (o)->maturity_week;                           \
		(d)->user_defined_instrument = (o)->user_defined_instrument;       \
		(d)->contract_multiplier_unit = (o)->contract_multiplier_unit;     \
		(d)->flow_schedule_type = (o)->flow_schedule_type;                 \
		(d)->tick_rule = (o)->tick_rule;                                   \
	} while (0)

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return strnlen(s, n) >= k && memcmp(s, prefix, k) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t l = strnlen(s, n), k = strlen(suffix);
	return l >= k && memcmp(s + l - k, suffix, k) == 0;
}

static bool str_eq(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	return strnlen(s, n) == k && memcmp(s, lit, k) == 0;
}

const struct rs_rec_hdr *rs_dbn_upgrade(const struct rs_rec_hdr *rec, uint8_t version, bool ts_out,
					void *out, struct rs_dbn_counters *c)
{
	/* Aligned private copy of the input: rec may be unaligned. */
	union {
		struct rs_rec_hdr hd;
		struct rs_dbn_def_v1 d1;
		struct rs_dbn_def_v2 d2;
		struct rs_dbn_stat_v1 s1;
		struct rs_dbn_error_v1 e1;
		struct rs_dbn_symmap_v1 m1;
		struct rs_dbn_system_v1 y1;
		uint8_t raw[RS_DBN_MAX_RECORD_LEN];
	} in;
	const uint8_t *src = (const uint8_t *)rec;
	uint8_t rtype = src[1];
	size_t len = (size_t)src[0] * 4, old = rs_dbn_rec_size(rtype, version), neu;

	if (version >= 3 || old == 0 || len < old)
		return rec;
	switch (rtype) {
	case RS_RTYPE_DEFINITION:
	case RS_RTYPE_STATISTICS:
		break;
	case RS_RTYPE_ERROR:
	case RS_RTYPE_SYMMAP:
	case RS_RTYPE_SYSTEM:
		if (version == 1)
			break;
		return rec;
	default:
		return rec;
	}
	memcpy(in.raw, src, len);
	switch (rtype) {
	case RS_RTYPE_DEFINITION: {
		struct rs_dbn_def *d = out;
		def_v3_defaults(d);
		if (version == 1)
			DEF_COPY_COMMON(d, &in.d1);
		else
			DEF_COPY_COMMON(d, &in.d2);
		neu = sizeof(*d);
		break;
	}
	case RS_RTYPE_STATISTICS: {
		struct rs_dbn_stat *s = out;
		memset(s, 0, sizeof(*s));
		s->hd = in.s1.hd;
		s->ts_recv = in.s1.ts_recv;
		s->ts_ref = in.s1.ts_ref;
		s->price = in.s1.price;
		s->quantity = in.s1.quantity == RS_DBN_UNDEF_STAT_QTY_V1 ? RS_DBN_UNDEF_STAT_QTY_V3
									  : (int64_t)in.s1.quantity;
		s->sequence = in.s1.sequence;
		s->ts_in_delta = in.s1.ts_in_delta;
		s->stat_type = in.s1.stat_type;
		s->channel_id = in.s1.channel_id;
		s->update_action = in.s1.update_action;
		s->stat_flags = in.s1.stat_flags;
		neu = sizeof(*s);
		break;
	}
	case RS_RTYPE_ERROR: {
		struct rs_dbn_error *e = out;
		const char *t = in.e1.err;
		size_t n = sizeof(in.e1.err);
		memset(e, 0, sizeof(*e));
		e->hd = in.e1.hd;
		memcpy(e->err, t, n);
		e->is_last = UINT8_MAX;
		e->code = RS_DBN_ERRCODE_UNSET;
		if (str_eq(t, n, "User or API key deactivated"))
			e->code = RS_DBN_ERRCODE_API_KEY_DEACTIVATED;
		else if (str_eq(t, n, "User has reached their open connection limit"))
			e->code = RS_DBN_ERRCODE_CONNECTION_LIMIT_EXCEEDED;
		else if (starts_with(t, n, "Failed to resolve symbol"))
			e->code = RS_DBN_ERRCODE_SYMBOL_RESOLUTION_FAILED;
		else if (str_eq(t, n, "Internal error"))
			e->code = RS_DBN_ERRCODE_INTERNAL_ERROR;
		else if (starts_with(t, n, "Slow client detected for "))
			e->code = RS_DBN_ERRCODE_SKIPPED_RECORDS_AFTER_SLOW_READING;
		neu = sizeof(*e);
		break;
	}
	case RS_RTYPE_SYMMAP: {
		struct rs_dbn_symmap *s = out;
		memset(s, 0, sizeof(*s));
		s->hd = in.m1.hd;
		s->stype_in = RS_DBN_NULL_STYPE;
		s->stype_out = RS_DBN_NULL_STYPE;
		memcpy(s->stype_in_symbol, in.m1.stype_in_symbol, RS_DBN_SYMBOL_CSTR_V1);
		memcpy(s->stype_out_symbol, in.m1.stype_out_symbol, RS_DBN_SYMBOL_CSTR_V1);
		s->start_ts = in.m1.start_ts;
		s->end_ts = in.m1.end_ts;
		neu = sizeof(*s);
		break;
	}
	default: { /* RS_RTYPE_SYSTEM */
		struct rs_dbn_system *y = out;
		const char *t = in.y1.msg;
		size_t n = sizeof(in.y1.msg);
		memset(y, 0, sizeof(*y));
		y->hd = in.y1.hd;
		memcpy(y->msg, t, n);
		y->code = RS_DBN_SYSCODE_UNSET;
		if (str_eq(t, n, "Heartbeat"))
			y->code = RS_DBN_SYSCODE_HEARTBEAT;
		else if (starts_with(t, n, "End of interval for "))
			y->code = RS_DBN_SYSCODE_END_OF_INTERVAL;
		else if (starts_with(t, n, "Subscription request ") && ends_with(t, n, " succeeded"))
			y->code = RS_DBN_SYSCODE_SUBSCRIPTION_ACK;
		else if (starts_with(t, n, "Warning: slow reading"))
			y->code = RS_DBN_SYSCODE_SLOW_READER_WARNING;
		else if (starts_with(t, n, "Finished ") && ends_with(t, n, " replay"))
			y->code = RS_DBN_SYSCODE_REPLAY_COMPLETED;
		neu = sizeof(*y);
		break;
	}
	}
	uint8_t *o = out;
	if (ts_out && len >= old + 8) {
		memcpy(o + neu, in.raw + old, 8);
		neu += 8;
	}
	o[0] = (uint8_t)(neu / 4);
	c->upgraded++;
	return (const struct rs_rec_hdr *)out;
}

void rs_dbn_def_to_instrument(const struct rs_dbn_def *d, struct rs_instrument *out)
{
	memset(out, 0, sizeof(*out));
	out->instrument_id = d->hd.instrument_id;
	out->publisher_id = d->hd.publisher_id;
	size_t n = strnlen(d->raw_symbol, sizeof(d->raw_symbol));
	if (n > RS_SYMBOL_LEN - 1)
		n = RS_SYMBOL_LEN - 1;
	memcpy(out->symbol, d->raw_symbol, n);
	out->tick_size = d->min_price_increment == RS_UNDEF_PRICE ? 0 : d->min_price_increment;
	out->display_factor = d->display_factor == RS_UNDEF_PRICE ? 0 : d->display_factor;
	out->lot_size = d->min_lot_size_round_lot > 0 && d->min_lot_size_round_lot != INT32_MAX
				? (uint32_t)d->min_lot_size_round_lot
				: 0;
	out->min_lot_size = d->min_lot_size > 0 && d->min_lot_size != INT32_MAX ? (uint32_t)d->min_lot_size
										 : 0;
	out->instrument_class = d->instrument_class;
	if (d->instrument_class == 'C' || d->instrument_class == 'P')
		out->flags |= RS_INSTF_OPTION;
	out->underlying_id = d->underlying_id;
	out->strike_price = d->strike_price;
	out->expiration = d->expiration;
	out->ts_updated = d->hd.ts_event;
}
