/* rs_itch_enc.c - the rarely used ITCH 5.0 encoders (see rs_itch_enc.h). */
#include "rs_itch_enc.h"

void rs_itch_enc_stock(char out[8], const char *sym)
{
	size_t n = sym ? strnlen(sym, 8) : 0;
	memset(out, ' ', 8);
	memcpy(out, sym, n);
}

size_t rs_itch_enc_system_event(uint8_t *p, uint16_t tracking, uint64_t ts, char code)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'S', 0, tracking, ts);
	*q = (uint8_t)code;
	return RS_ITCH_LEN_S;
}

size_t rs_itch_enc_stock_directory(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				   const struct rs_itch_enc_dir *d)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'R', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, d->stock, 8);
	*q++ = (uint8_t)d->market_category;
	*q++ = (uint8_t)d->financial_status;
	q = rs_itch_enc_be32(q, d->round_lot_size);
	*q++ = (uint8_t)d->round_lots_only;
	*q++ = (uint8_t)d->issue_classification;
	q = rs_itch_enc_bytes(q, d->issue_subtype, 2);
	*q++ = (uint8_t)d->authenticity;
	*q++ = (uint8_t)d->short_sale_threshold;
	*q++ = (uint8_t)d->ipo_flag;
	*q++ = (uint8_t)d->luld_tier;
	*q++ = (uint8_t)d->etp_flag;
	q = rs_itch_enc_be32(q, d->etp_leverage_factor);
	*q = (uint8_t)d->inverse_indicator;
	return RS_ITCH_LEN_R;
}

size_t rs_itch_enc_trading_action(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
				  const char stock[8], char state, const char reason[4])
{
	uint8_t *q = rs_itch_enc_hdr(p, 'H', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, stock, 8);
	*q++ = (uint8_t)state;
	*q++ = ' '; /* reserved */
	rs_itch_enc_bytes(q, reason, 4);
	return RS_ITCH_LEN_H;
}

size_t rs_itch_enc_reg_sho(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			   const char stock[8], char action)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'Y', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, stock, 8);
	*q = (uint8_t)action;
	return RS_ITCH_LEN_Y;
}

size_t rs_itch_enc_participant(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			       const char mpid[4], const char stock[8], char primary, char mode,
			       char state)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'L', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, mpid, 4);
	q = rs_itch_enc_bytes(q, stock, 8);
	*q++ = (uint8_t)primary;
	*q++ = (uint8_t)mode;
	*q = (uint8_t)state;
	return RS_ITCH_LEN_L;
}

size_t rs_itch_enc_mwcb_decline(uint8_t *p, uint16_t tracking, uint64_t ts, uint64_t level1,
				uint64_t level2, uint64_t level3)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'V', 0, tracking, ts);
	q = rs_itch_enc_be64(q, level1);
	q = rs_itch_enc_be64(q, level2);
	rs_itch_enc_be64(q, level3);
	return RS_ITCH_LEN_V;
}

size_t rs_itch_enc_mwcb_status(uint8_t *p, uint16_t tracking, uint64_t ts, char level)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'W', 0, tracking, ts);
	*q = (uint8_t)level;
	return RS_ITCH_LEN_W;
}

size_t rs_itch_enc_ipo_quoting(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			       const char stock[8], uint32_t release_time, char qualifier,
			       uint32_t price)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'K', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, stock, 8);
	q = rs_itch_enc_be32(q, release_time);
	*q++ = (uint8_t)qualifier;
	rs_itch_enc_be32(q, price);
	return RS_ITCH_LEN_K;
}

size_t rs_itch_enc_luld_collar(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			       const char stock[8], uint32_t ref_price, uint32_t upper,
			       uint32_t lower, uint32_t extension)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'J', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, stock, 8);
	q = rs_itch_enc_be32(q, ref_price);
	q = rs_itch_enc_be32(q, upper);
	q = rs_itch_enc_be32(q, lower);
	rs_itch_enc_be32(q, extension);
	return RS_ITCH_LEN_J;
}

size_t rs_itch_enc_op_halt(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			   const char stock[8], char market_code, char action)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'h', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, stock, 8);
	*q++ = (uint8_t)market_code;
	*q = (uint8_t)action;
	return RS_ITCH_LEN_h;
}

size_t rs_itch_enc_noii(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			uint64_t paired, uint64_t imbalance, char direction, const char stock[8],
			uint32_t far_price, uint32_t near_price, uint32_t ref_price,
			char cross_type, char variation)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'I', locate, tracking, ts);
	q = rs_itch_enc_be64(q, paired);
	q = rs_itch_enc_be64(q, imbalance);
	*q++ = (uint8_t)direction;
	q = rs_itch_enc_bytes(q, stock, 8);
	q = rs_itch_enc_be32(q, far_price);
	q = rs_itch_enc_be32(q, near_price);
	q = rs_itch_enc_be32(q, ref_price);
	*q++ = (uint8_t)cross_type;
	*q = (uint8_t)variation;
	return RS_ITCH_LEN_I;
}

size_t rs_itch_enc_rpii(uint8_t *p, uint16_t locate, uint16_t tracking, uint64_t ts,
			const char stock[8], char flag)
{
	uint8_t *q = rs_itch_enc_hdr(p, 'N', locate, tracking, ts);
	q = rs_itch_enc_bytes(q, stock, 8);
	*q = (uint8_t)flag;
	return RS_ITCH_LEN_N;
}
