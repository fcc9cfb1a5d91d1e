/*
 * dbn_seedgen.c - writes the fuzz seeds in tests/fuzz/dbn_seeds/ with our
 * own DBN writer: for each version 1-3, with and without ts_out, a file
 * with metadata (symbols, partial, a two-interval mapping), three MBO
 * records and one record of every other known rtype.
 *
 *   build-x/fuzz/dbn_seedgen tests/fuzz/dbn_seeds
 */
#include <stdio.h>
#include <string.h>

#include "controlplane/rs_dbnfile.h"
#include "shm/rs_err.h"

static uint8_t sym71[2][71] = {{"ESH4"}, {"NQH4"}};
static uint8_t map71[71 + 4 + 2 * (8 + 71)];

static void build_mapping(void)
{
	uint32_t n = 2, d[4] = {20231224, 20231225, 20231225, 20231226};
	memcpy(map71, "ESH4", 4);
	memcpy(map71 + 71, &n, 4);
	memcpy(map71 + 75, d, 8);
	memcpy(map71 + 83, "17077", 5);
	memcpy(map71 + 75 + 79, d + 2, 8);
	memcpy(map71 + 83 + 79, "17078", 5);
}

static int write_seed(const char *dir, uint8_t v, int tso)
{
	static const uint8_t types[] = {
		RS_RTYPE_DEFINITION, RS_RTYPE_STATISTICS, RS_RTYPE_SYSTEM, RS_RTYPE_ERROR,
		RS_RTYPE_SYMMAP, RS_RTYPE_MBP1, RS_RTYPE_MBP10, RS_RTYPE_MBP0, RS_RTYPE_STATUS,
		RS_RTYPE_IMBALANCE, RS_RTYPE_OHLCV_1S, RS_RTYPE_BBO_1S, RS_RTYPE_CMBP1,
	};
	struct rs_dbn_meta m = {0};
	struct rs_dbnfile_writer *w;
	_Alignas(8) uint8_t rec[1024];
	char p[512];

	strcpy(m.dataset, "GLBX.MDP3");
	m.schema = v == 3 ? RS_DBN_NULL_SCHEMA : RS_DBN_SCHEMA_MBO;
	m.start = 1703462400000000000ull;
	m.end = RS_UNDEF_TS;
	m.record_count = RS_DBN_NULL_RECORD_COUNT;
	m.stype_in = RS_DBN_STYPE_RAW_SYMBOL;
	m.stype_out = RS_DBN_STYPE_INSTRUMENT_ID;
	m.ts_out = (uint8_t)tso;
	m.symbol_cstr_len = 71;
	m.nsymbols = 2;
	m.symbols = &sym71[0][0];
	m.npartial = 1;
	m.partial = &sym71[1][0];
	m.nmappings = 1;
	m.mappings = map71;
	m.mappings_len = sizeof(map71);
	m.nintervals = 2;
	snprintf(p, sizeof(p), "%s/v%u%s.dbn", dir, v, tso ? "_tsout" : "");
	if (rs_dbnfile_writer_open(&w, p, &m, v, false, 0))
		return -1;
	uint64_t ts_out = 1703462400000000200ull;
	for (int i = 0; i < 3; i++) {
		struct rs_mbo mb = {.hd = {14, RS_RTYPE_MBO, 1, 17077, 1703462400000000000ull + (uint64_t)i},
				    .order_id = 10 + (uint64_t)i, .price = 4799000000000ll, .size = 2,
				    .flags = RS_F_LAST, .action = "ACT"[i], .side = 'B',
				    .ts_recv = 1703462400000000100ull, .sequence = 682 + (uint32_t)i};
		size_t len = sizeof(mb);
		memcpy(rec, &mb, len);
		if (tso) {
			memcpy(rec + len, &ts_out, 8);
			len += 8;
		}
		rec[0] = (uint8_t)(len / 4);
		if (rs_dbnfile_write(w, (const void *)rec))
			return -1;
	}
	for (size_t k = 0; k < sizeof(types); k++) {
		size_t len = rs_dbn_rec_size(types[k], v);
		memset(rec, 0, sizeof(rec));
		rec[1] = types[k];
		rec[4] = 0xB5; /* instrument_id 17077 */
		rec[5] = 0x42;
		if (types[k] == RS_RTYPE_SYSTEM)
			strcpy((char *)rec + 16, "Heartbeat");
		if (types[k] == RS_RTYPE_ERROR)
			strcpy((char *)rec + 16, "Failed to resolve symbol X");
		if (types[k] == RS_RTYPE_DEFINITION) {
			int64_t tick = 250000000; /* min_price_increment at offset 24 in every version */
			memcpy(rec + 24, &tick, 8);
			memcpy(rec + (v == 3 ? 238 : 200), "ESH4", 4);
		}
		if (types[k] == RS_RTYPE_SYMMAP)
			memcpy(rec + 16 + (v == 1 ? 0 : 1), "ESH4", 4);
		if (tso) {
			memcpy(rec + len, &ts_out, 8);
			len += 8;
		}
		rec[0] = (uint8_t)(len / 4);
		if (rs_dbnfile_write(w, (const void *)rec))
			return -1;
	}
	return rs_dbnfile_writer_close(w);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dbn_seedgen DIR\n");
		return 64;
	}
	build_mapping();
	for (uint8_t v = 1; v <= 3; v++)
		for (int tso = 0; tso < 2; tso++)
			if (write_seed(argv[1], v, tso)) {
				fprintf(stderr, "dbn_seedgen: %s\n", rs_err_msg());
				return 1;
			}
	return 0;
}
