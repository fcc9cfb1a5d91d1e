/*
 * test_dbn.c - DBN buffer decoder: metadata, record validation, upgrades.
 * Synthetic inputs only (the real files are exercised by test_dbnfile).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_dbn.h"

/* Two fixed-width (22-byte) symbols and one mapping with two intervals. */
static uint8_t syms22[2][22] = {{"ESH4"}, {"NQH4"}};
static uint8_t map22[22 + 4 + 2 * (8 + 22)];

static void build_mapping(void)
{
	memset(map22, 0, sizeof(map22));
	memcpy(map22, "ESH4", 4);
	uint32_t n = 2, d[4] = {20231224, 20231225, 20231225, 20231226};
	memcpy(map22 + 22, &n, 4);
	memcpy(map22 + 26, &d[0], 8);
	memcpy(map22 + 34, "17077", 5);
	memcpy(map22 + 56, &d[2], 8);
	memcpy(map22 + 64, "17078", 5);
}

static struct rs_dbn_meta sample_meta(void)
{
	build_mapping();
	struct rs_dbn_meta m = {0};
	m.version = 1;
	strcpy(m.dataset, "GLBX.MDP3");
	m.schema = RS_DBN_SCHEMA_MBO;
	m.start = 1703462400000000000ull;
	m.end = 1703548800000000000ull;
	m.record_count = 42;
	m.stype_in = RS_DBN_STYPE_RAW_SYMBOL;
	m.stype_out = RS_DBN_STYPE_INSTRUMENT_ID;
	m.symbol_cstr_len = 22;
	m.nsymbols = 2;
	m.symbols = &syms22[0][0];
	m.nnot_found = 1;
	m.not_found = &syms22[1][0];
	m.nmappings = 1;
	m.mappings = map22;
	m.mappings_len = sizeof(map22);
	m.nintervals = 2;
	return m;
}

Test(dbn, meta_roundtrip_all_versions)
{
	struct rs_dbn_meta m = sample_meta();
	for (uint8_t v = 1; v <= 3; v++) {
		uint8_t buf[1024];
		size_t need = rs_dbn_meta_encoded_len(&m, v);
		long n = rs_dbn_meta_encode(&m, v, buf, sizeof(buf));
		cr_assert_eq(n, (long)need, "v%u: %ld != %zu", v, n, need);
		if (v == 3)
			cr_assert_eq(n % 8, 0, "v3 metadata is padded to 8 bytes");
		cr_assert_eq(rs_dbn_meta_encode(&m, v, buf, need - 1), -ENOSPC);
		struct rs_dbn_meta d;
		const char *why = NULL;
		cr_assert_eq(rs_dbn_meta_decode(buf, (size_t)n, &d, &why), 0, "v%u: %s", v, why);
		cr_assert_eq(d.version, v);
		cr_assert_str_eq(d.dataset, "GLBX.MDP3");
		cr_assert_eq(d.schema, RS_DBN_SCHEMA_MBO);
		cr_assert_eq(d.start, 1703462400000000000ull);
		cr_assert_eq(d.end, 1703548800000000000ull);
		cr_assert_eq(d.record_count, v == 1 ? 42 : RS_DBN_NULL_RECORD_COUNT);
		cr_assert_eq(d.symbol_cstr_len, v == 1 ? 22 : 71);
		cr_assert_eq(d.nsymbols, 2);
		cr_assert_eq(d.npartial, 0);
		cr_assert_eq(d.nnot_found, 1);
		cr_assert_eq(d.nmappings, 1);
		cr_assert_eq(d.nintervals, 2);
		char s[80];
		rs_dbn_meta_symbol(&d, d.symbols, 1, s, sizeof(s));
		cr_assert_str_eq(s, "NQH4");
		size_t cur = 0;
		struct rs_dbn_mapping mp;
		cr_assert(rs_dbn_meta_mapping_next(&d, &cur, &mp));
		cr_assert_eq(mp.nintervals, 2);
		uint32_t a, b;
		rs_dbn_mapping_interval(&d, &mp, 1, &a, &b, s, sizeof(s));
		cr_assert_eq(a, 20231225);
		cr_assert_eq(b, 20231226);
		cr_assert_str_eq(s, "17078");
		cr_assert_not(rs_dbn_meta_mapping_next(&d, &cur, &mp));
		/* Re-encoding the decoded view at its own version is byte-identical. */
		uint8_t again[1024];
		cr_assert_eq(rs_dbn_meta_encode(&d, v, again, sizeof(again)), n);
		cr_assert_eq(memcmp(buf, again, (size_t)n), 0);
	}
}

Test(dbn, meta_v1_layout_literal)
{
	struct rs_dbn_meta m = sample_meta();
	uint8_t buf[1024];
	long n = rs_dbn_meta_encode(&m, 1, buf, sizeof(buf));
	/* 8 prelude + 100 fixed + 4 schema_def + (4 + 2*22) + 4 + (4 + 22) + 4 + 22+4+2*30 */
	cr_assert_eq(n, 8 + 100 + 4 + 48 + 4 + 26 + 4 + 86);
	cr_assert_eq(memcmp(buf, "DBN\x01", 4), 0);
	uint32_t len;
	memcpy(&len, buf + 4, 4);
	cr_assert_eq(len, (uint32_t)n - 8);
	cr_assert_eq(buf[8 + 16], RS_DBN_SCHEMA_MBO);
	cr_assert_eq(buf[8 + 50], RS_DBN_STYPE_RAW_SYMBOL); /* after record_count */
}

Test(dbn, prelude_errors)
{
	uint8_t v;
	uint32_t len;
	const char *why;
	cr_assert_eq(rs_dbn_prelude((const uint8_t *)"DBN", 3, &v, &len, &why), -EAGAIN);
	cr_assert_eq(rs_dbn_prelude((const uint8_t *)"DBZ\x01\x00\x01\x00\x00", 8, &v, &len, &why), -EPROTO);
	cr_assert_eq(rs_dbn_prelude((const uint8_t *)"DBN\x04\x00\x01\x00\x00", 8, &v, &len, &why),
		     -EPROTONOSUPPORT);
	cr_assert_eq(v, 4);
	cr_assert_eq(rs_dbn_prelude((const uint8_t *)"DBN\x00\x00\x01\x00\x00", 8, &v, &len, &why),
		     -EPROTONOSUPPORT);
	cr_assert_eq(rs_dbn_prelude((const uint8_t *)"DBN\x02\x10\x00\x00\x00", 8, &v, &len, &why), -EBADMSG);
	cr_assert_eq(rs_dbn_prelude((const uint8_t *)"DBN\x02\x00\x01\x00\x00", 8, &v, &len, &why), 0);
	cr_assert_eq(len, 256);
}

Test(dbn, meta_overruns_rejected)
{
	struct rs_dbn_meta m = sample_meta(), d;
	uint8_t buf[1024];
	const char *why;
	long n = rs_dbn_meta_encode(&m, 2, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	/* symbols count at 8 + 100 + 4 */
	uint8_t bad[1024];
	memcpy(bad, buf, (size_t)n);
	uint32_t huge = 0x7fffffff;
	memcpy(bad + 112, &huge, 4);
	cr_assert_eq(rs_dbn_meta_decode(bad, (size_t)n, &d, &why), -EBADMSG);
	/* interval count of the mapping */
	memcpy(bad, buf, (size_t)n);
	size_t map = 112 + 4 + 2 * 71 + 4 + 4 + 71 + 4 + 71;
	memcpy(bad + map, &huge, 4);
	cr_assert_eq(rs_dbn_meta_decode(bad, (size_t)n, &d, &why), -EBADMSG, "%s", why);
	/* schema definition length */
	memcpy(bad, buf, (size_t)n);
	memcpy(bad + 108, &huge, 4);
	cr_assert_eq(rs_dbn_meta_decode(bad, (size_t)n, &d, &why), -EBADMSG);
	/* metadata longer than the data */
	cr_assert_eq(rs_dbn_meta_decode(buf, (size_t)n - 1, &d, &why), -EAGAIN);
	/* symbol_cstr_len 0 */
	memcpy(bad, buf, (size_t)n);
	bad[8 + 16 + 2 + 24 + 3] = 0;
	bad[8 + 16 + 2 + 24 + 4] = 0;
	cr_assert_eq(rs_dbn_meta_decode(bad, (size_t)n, &d, &why), -EBADMSG);
}

Test(dbn, symbol_too_long_for_v1)
{
	static uint8_t s71[71] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"; /* 26 chars > 21 */
	struct rs_dbn_meta m = {.version = 2, .symbol_cstr_len = 71, .nsymbols = 1, .symbols = s71};
	uint8_t buf[512];
	cr_assert_eq(rs_dbn_meta_encode(&m, 1, buf, sizeof(buf)), -EINVAL);
	cr_assert_gt(rs_dbn_meta_encode(&m, 3, buf, sizeof(buf)), 0);
}

Test(dbn, encode_checks_mapping_block)
{
	struct rs_dbn_meta m = sample_meta();
	uint8_t buf[1024];
	m.nintervals = 0; /* not trusted: the block's own counts are used */
	cr_assert_eq(rs_dbn_meta_encode(&m, 2, buf, sizeof(buf)), (long)rs_dbn_meta_encoded_len(&m, 2));
	struct rs_dbn_meta d;
	const char *why;
	cr_assert_eq(rs_dbn_meta_decode(buf, rs_dbn_meta_encoded_len(&m, 2), &d, &why), 0);
	cr_assert_eq(d.nintervals, 2);
	m.mappings_len -= 1; /* block shorter than its interval count */
	cr_assert_eq(rs_dbn_meta_encode(&m, 2, buf, sizeof(buf)), -EINVAL);
	m = sample_meta();
	m.nmappings = 2; /* more mappings than the block holds */
	cr_assert_eq(rs_dbn_meta_encode(&m, 3, buf, sizeof(buf)), -EINVAL);
}

static struct rs_mbo mk_mbo(uint32_t seq)
{
	struct rs_mbo m = {0};
	m.hd.length = sizeof(m) / 4;
	m.hd.rtype = RS_RTYPE_MBO;
	m.hd.publisher_id = 1;
	m.hd.instrument_id = 5482;
	m.hd.ts_event = 1609160400000429831ull + seq;
	m.order_id = 647784973705ull;
	m.price = 3722750000000ll;
	m.size = 1;
	m.flags = RS_F_LAST;
	m.action = 'C';
	m.side = 'A';
	m.ts_recv = 1609160400000704060ull;
	m.sequence = seq;
	return m;
}

Test(dbn, rec_check_reasons)
{
	_Alignas(8) uint8_t buf[256];
	struct rs_dbn_counters c = {0};
	const struct rs_rec_hdr *rec;
	struct rs_mbo m = mk_mbo(7);
	memcpy(buf, &m, sizeof(m));
	cr_assert_eq(rs_dbn_rec_check(buf, 15, 2, &c, &rec), RS_DBN_NEED_MORE);
	cr_assert_eq(rs_dbn_rec_check(buf, 55, 2, &c, &rec), RS_DBN_NEED_MORE);
	cr_assert_eq(rs_dbn_rec_check(buf, 56, 2, &c, &rec), 56);
	cr_assert_eq(rec, (const void *)buf);
	/* unknown rtype: skipped, counted */
	buf[1] = 0x77;
	cr_assert_eq(rs_dbn_rec_check(buf, 56, 2, &c, &rec), 56);
	cr_assert_null(rec);
	cr_assert_eq(c.reject[RS_DBN_REJ_UNKNOWN_RTYPE], 1);
	/* known rtype too short for its layout */
	buf[1] = RS_RTYPE_MBO;
	buf[0] = 12;
	cr_assert_eq(rs_dbn_rec_check(buf, 56, 2, &c, &rec), 48);
	cr_assert_null(rec);
	cr_assert_eq(c.reject[RS_DBN_REJ_SHORT_RECORD], 1);
	/* a v2 definition (400 bytes) is too short for v3 (520) */
	memset(buf, 0, 16);
	buf[0] = 100;
	buf[1] = RS_RTYPE_DEFINITION;
	cr_assert_eq(rs_dbn_rec_size(RS_RTYPE_DEFINITION, 2), 400);
	cr_assert_eq(rs_dbn_rec_size(RS_RTYPE_DEFINITION, 3), 520);
	cr_assert_eq(rs_dbn_rec_size(RS_RTYPE_DEFINITION, 1), 360);
	/* length below the header: fatal */
	buf[0] = 3;
	cr_assert_eq(rs_dbn_rec_check(buf, 56, 2, &c, &rec), RS_DBN_FATAL);
	buf[0] = 0;
	cr_assert_eq(rs_dbn_rec_check(buf, 56, 2, &c, &rec), RS_DBN_FATAL);
	cr_assert_eq(c.reject[RS_DBN_REJ_SHORT_HEADER], 2);
	cr_assert_eq(c.records, 1);
}

Test(dbn, mbo_burst_mixed)
{
	_Alignas(8) uint8_t buf[1024];
	size_t off = 0;
	for (uint32_t i = 0; i < 5; i++) {
		struct rs_mbo m = mk_mbo(100 + i);
		memcpy(buf + off, &m, sizeof(m));
		off += sizeof(m);
		if (i == 1) { /* a trade in between */
			struct rs_dbn_trade t = {.hd = {.length = 12, .rtype = RS_RTYPE_MBP0}};
			memcpy(buf + off, &t, sizeof(t));
			off += sizeof(t);
		}
		if (i == 2) { /* an unknown rtype of 20 bytes */
			uint8_t u[20] = {5, 0x99};
			memcpy(buf + off, u, sizeof(u));
			off += sizeof(u);
		}
	}
	memcpy(buf + off, buf, 30); /* incomplete tail */
	struct rs_event ev[8];
	struct rs_dbn_counters c = {0};
	size_t used;
	bool fatal;
	unsigned n = rs_dbn_mbo_burst(buf, off + 30, 2, ev, 8, 3, &used, &fatal, &c);
	cr_assert_eq(n, 5);
	cr_assert_eq(used, off);
	cr_assert_not(fatal);
	cr_assert_eq(c.mbo, 5);
	cr_assert_eq(c.reject[RS_DBN_REJ_NOT_MBO], 1);
	cr_assert_eq(c.reject[RS_DBN_REJ_UNKNOWN_RTYPE], 1);
	for (unsigned i = 0; i < n; i++) {
		struct rs_mbo m = mk_mbo(100 + i);
		cr_assert_eq(memcmp(&ev[i].mbo, &m, sizeof(m)), 0, "event %u is the record unchanged", i);
		cr_assert_eq(ev[i].feed_id, 3);
		cr_assert_eq(ev[i].rs_flags, 0);
	}
	/* max bounds the burst */
	memset(&c, 0, sizeof(c));
	n = rs_dbn_mbo_burst(buf, off, 2, ev, 2, 0, &used, &fatal, &c);
	cr_assert_eq(n, 2);
	cr_assert_eq(used, 2 * 56);
	/* a zero length is fatal */
	uint8_t z[64] = {0};
	n = rs_dbn_mbo_burst(z, sizeof(z), 2, ev, 8, 0, &used, &fatal, &c);
	cr_assert_eq(n, 0);
	cr_assert(fatal);
	cr_assert_eq(used, 0);
}

Test(dbn, upgrade_definition_v1)
{
	struct rs_dbn_def_v1 o;
	memset(&o, 0, sizeof(o));
	o.hd = (struct rs_rec_hdr){.length = sizeof(o) / 4, .rtype = RS_RTYPE_DEFINITION,
				   .publisher_id = 1, .instrument_id = 118, .ts_event = 1719745435541087259ull};
	o.ts_recv = 1719792000000000000ull;
	o.min_price_increment = 250000000;
	o.display_factor = 10000000;
	o.expiration = 1726839000000000000ull;
	o.trading_reference_price = 123; /* dropped in v3 */
	o.raw_instrument_id = 118;
	o.min_lot_size_round_lot = 1;
	o.underlying_id = 7;
	o.channel_id = 9;
	memcpy(o.raw_symbol, "ESU4", 4);
	memcpy(o.asset, "ES", 2);
	memcpy(o.exchange, "XCME", 4);
	o.instrument_class = 'F';
	o.strike_price = RS_UNDEF_PRICE;
	o.match_algorithm = 'F';
	o.security_update_action = 'A';
	o.user_defined_instrument = 'N';
	o.tick_rule = 5;
	struct rs_dbn_counters c = {0};
	_Alignas(8) uint8_t out[RS_DBN_UPGRADE_BUF_LEN];
	/* unaligned input on purpose */
	uint8_t raw[sizeof(o) + 1];
	memcpy(raw + 1, &o, sizeof(o));
	const struct rs_rec_hdr *h = rs_dbn_upgrade((const void *)(raw + 1), 1, false, out, &c);
	cr_assert_eq((const void *)h, (const void *)out);
	const struct rs_dbn_def *d = (const void *)h;
	cr_assert_eq(d->hd.length, 130);
	cr_assert_eq(d->hd.instrument_id, 118);
	cr_assert_eq(d->min_price_increment, 250000000);
	cr_assert_eq(d->display_factor, 10000000);
	cr_assert_eq(d->expiration, 1726839000000000000ull);
	cr_assert_eq(d->raw_instrument_id, 118);
	cr_assert_eq(d->underlying_id, 7);
	cr_assert_eq(d->channel_id, 9);
	cr_assert_str_eq(d->raw_symbol, "ESU4");
	cr_assert_str_eq(d->asset, "ES");
	cr_assert_str_eq(d->exchange, "XCME");
	cr_assert_eq(d->instrument_class, 'F');
	cr_assert_eq(d->strike_price, RS_UNDEF_PRICE);
	cr_assert_eq(d->leg_price, RS_UNDEF_PRICE);
	cr_assert_eq(d->leg_side, 'N');
	cr_assert_eq(d->tick_rule, 5);
	cr_assert_eq(c.upgraded, 1);

	struct rs_instrument in;
	rs_dbn_def_to_instrument(d, &in);
	cr_assert_eq(in.instrument_id, 118);
	cr_assert_str_eq(in.symbol, "ESU4");
	cr_assert_eq(in.tick_size, 250000000);
	cr_assert_eq(in.display_factor, 10000000);
	cr_assert_eq(in.lot_size, 1);
	cr_assert_eq(in.instrument_class, 'F');
	cr_assert_eq(in.expiration, 1726839000000000000ull);
	cr_assert_eq(in.underlying_id, 7);
	cr_assert_eq(in.ts_updated, 1719745435541087259ull);
	cr_assert_eq(in.flags & RS_INSTF_OPTION, 0);
}

Test(dbn, upgrade_definition_v2_with_ts_out)
{
	uint8_t raw[sizeof(struct rs_dbn_def_v2) + 8];
	struct rs_dbn_def_v2 o;
	memset(&o, 0, sizeof(o));
	o.hd = (struct rs_rec_hdr){.length = sizeof(raw) / 4, .rtype = RS_RTYPE_DEFINITION,
				   .instrument_id = 6819};
	memcpy(o.raw_symbol, "A_VERY_LONG_SYMBOL_OVER_TWENTY_TWO", 34);
	o.instrument_class = 'C';
	o.strike_price = 150 * RS_PRICE_SCALE;
	o.min_lot_size_round_lot = 100;
	memcpy(raw, &o, sizeof(o));
	uint64_t ts_out = 0x1122334455667788ull;
	memcpy(raw + sizeof(o), &ts_out, 8);
	struct rs_dbn_counters c = {0};
	_Alignas(8) uint8_t out[RS_DBN_UPGRADE_BUF_LEN];
	const struct rs_dbn_def *d = (const void *)rs_dbn_upgrade((const void *)raw, 2, true, out, &c);
	cr_assert_eq(d->hd.length, (520 + 8) / 4);
	cr_assert_str_eq(d->raw_symbol, "A_VERY_LONG_SYMBOL_OVER_TWENTY_TWO");
	uint64_t t;
	memcpy(&t, out + 520, 8);
	cr_assert_eq(t, ts_out);
	struct rs_instrument in;
	rs_dbn_def_to_instrument(d, &in);
	cr_assert_eq(strlen(in.symbol), 23, "truncated to the directory's 24 bytes");
	cr_assert_eq(in.strike_price, 150 * RS_PRICE_SCALE);
	cr_assert(in.flags & RS_INSTF_OPTION);
	cr_assert_eq(in.lot_size, 100);
	/* v3 records pass through */
	struct rs_dbn_def v3 = {.hd = {.length = 130, .rtype = RS_RTYPE_DEFINITION}};
	cr_assert_eq((const void *)rs_dbn_upgrade(&v3.hd, 3, false, out, &c), (const void *)&v3);
}

Test(dbn, upgrade_stat_system_error_symmap)
{
	struct rs_dbn_counters c = {0};
	_Alignas(8) uint8_t out[RS_DBN_UPGRADE_BUF_LEN];

	struct rs_dbn_stat_v1 s = {.hd = {.length = 16, .rtype = RS_RTYPE_STATISTICS, .instrument_id = 3},
				   .price = 5, .quantity = RS_DBN_UNDEF_STAT_QTY_V1, .stat_type = 4,
				   .channel_id = 2, .update_action = 1, .sequence = 77};
	const struct rs_dbn_stat *s3 = (const void *)rs_dbn_upgrade(&s.hd, 2, false, out, &c);
	cr_assert_eq(s3->hd.length, 20);
	cr_assert_eq(s3->quantity, RS_DBN_UNDEF_STAT_QTY_V3);
	cr_assert_eq(s3->price, 5);
	cr_assert_eq(s3->sequence, 77);
	cr_assert_eq(s3->stat_type, 4);
	s.quantity = -12;
	s3 = (const void *)rs_dbn_upgrade(&s.hd, 1, false, out, &c);
	cr_assert_eq(s3->quantity, -12);

	struct rs_dbn_system_v1 y = {.hd = {.length = 20, .rtype = RS_RTYPE_SYSTEM}};
	strcpy(y.msg, "Heartbeat");
	const struct rs_dbn_system *y3 = (const void *)rs_dbn_upgrade(&y.hd, 1, false, out, &c);
	cr_assert_eq(y3->hd.length, 80);
	cr_assert_eq(y3->code, RS_DBN_SYSCODE_HEARTBEAT);
	cr_assert_str_eq(y3->msg, "Heartbeat");
	strcpy(y.msg, "Subscription request 0 for mbo data succeeded");
	y3 = (const void *)rs_dbn_upgrade(&y.hd, 1, false, out, &c);
	cr_assert_eq(y3->code, RS_DBN_SYSCODE_SUBSCRIPTION_ACK);
	strcpy(y.msg, "Finished mbo replay");
	y3 = (const void *)rs_dbn_upgrade(&y.hd, 1, false, out, &c);
	cr_assert_eq(y3->code, RS_DBN_SYSCODE_REPLAY_COMPLETED);
	strcpy(y.msg, "something else");
	y3 = (const void *)rs_dbn_upgrade(&y.hd, 1, false, out, &c);
	cr_assert_eq(y3->code, RS_DBN_SYSCODE_UNSET);
	/* v2 system records are already in the v3 layout */
	struct rs_dbn_system y2 = {.hd = {.length = 80, .rtype = RS_RTYPE_SYSTEM}};
	cr_assert_eq((const void *)rs_dbn_upgrade(&y2.hd, 2, false, out, &c), (const void *)&y2);

	struct rs_dbn_error_v1 e = {.hd = {.length = 20, .rtype = RS_RTYPE_ERROR}};
	strcpy(e.err, "Failed to resolve symbol FOO");
	const struct rs_dbn_error *e3 = (const void *)rs_dbn_upgrade(&e.hd, 1, false, out, &c);
	cr_assert_eq(e3->hd.length, 80);
	cr_assert_eq(e3->code, RS_DBN_ERRCODE_SYMBOL_RESOLUTION_FAILED);
	cr_assert_eq(e3->is_last, 255);
	cr_assert_str_eq(e3->err, "Failed to resolve symbol FOO");

	struct rs_dbn_symmap_v1 m = {.hd = {.length = 20, .rtype = RS_RTYPE_SYMMAP, .instrument_id = 17077},
				     .start_ts = 1, .end_ts = 2};
	strcpy(m.stype_in_symbol, "ESH4");
	strcpy(m.stype_out_symbol, "17077");
	const struct rs_dbn_symmap *m3 = (const void *)rs_dbn_upgrade(&m.hd, 1, false, out, &c);
	cr_assert_eq(m3->hd.length, 44);
	cr_assert_eq(m3->stype_in, RS_DBN_NULL_STYPE);
	cr_assert_eq(m3->stype_out, RS_DBN_NULL_STYPE);
	cr_assert_str_eq(m3->stype_in_symbol, "ESH4");
	cr_assert_str_eq(m3->stype_out_symbol, "17077");
	cr_assert_eq(m3->end_ts, 2);
	cr_assert_eq(c.upgraded, 8);
}
