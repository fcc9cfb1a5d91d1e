/*
 * fuzz_dbn.c - libFuzzer target for the DBN buffer decoder (dataplane/rs_dbn.c).
 *
 * The input is a whole DBN file. Metadata that decodes is re-encoded at every
 * version and decoded again (fields must survive); the records are walked
 * with rs_dbn_rec_check, upgraded, and burst-decoded; the input is also
 * walked as a bare record stream for every version. ASan/UBSan catch any
 * read outside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_dbn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *p, size_t n, uint8_t version, bool ts_out)
{
	struct rs_dbn_counters c = {0};
	_Alignas(8) static uint8_t up[RS_DBN_UPGRADE_BUF_LEN];
	const struct rs_rec_hdr *rec;
	int len;
	size_t off = 0;
	while ((len = rs_dbn_rec_check(p + off, n - off, version, &c, &rec)) > 0) {
		if (rec) {
			const struct rs_rec_hdr *u = rs_dbn_upgrade(rec, version, ts_out, up, &c);
			/* u may be only 4-byte aligned: read rtype as a byte */
			if (((const uint8_t *)u)[offsetof(struct rs_rec_hdr, rtype)] == RS_RTYPE_DEFINITION) {
				/* always the v3 layout here */
				struct rs_dbn_def d;
				struct rs_instrument in;
				memcpy(&d, u, sizeof(d)); /* p may be only 4-byte aligned */
				rs_dbn_def_to_instrument(&d, &in);
			}
		}
		off += (size_t)len;
	}
	struct rs_event ev[32];
	size_t used;
	bool fatal;
	off = 0;
	for (;;) {
		unsigned k = rs_dbn_mbo_burst(p + off, n - off, version, ev, 32, 0, &used, &fatal, &c);
		off += used;
		if (!k && !used)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Aligned private copy: records are read through struct pointers. */
	uint8_t *buf = aligned_alloc(8, (size + 7) & ~(size_t)7 ? (size + 7) & ~(size_t)7 : 8);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (uint8_t v = 1; v <= 3; v++)
		walk(buf, size, v, v == 2);

	struct rs_dbn_meta m;
	const char *why;
	if (rs_dbn_meta_decode(buf, size, &m, &why) == 0) {
		char s[80];
		if (m.nsymbols)
			rs_dbn_meta_symbol(&m, m.symbols, m.nsymbols - 1, s, sizeof(s));
		size_t cur = 0;
		struct rs_dbn_mapping mp;
		while (rs_dbn_meta_mapping_next(&m, &cur, &mp))
			for (uint32_t i = 0; i < mp.nintervals && i < 4; i++) {
				uint32_t a, b;
				rs_dbn_mapping_interval(&m, &mp, i, &a, &b, s, sizeof(s));
			}
		for (uint8_t v = 1; v <= 3; v++) {
			size_t need = rs_dbn_meta_encoded_len(&m, v);
			if (need > (64u << 20))
				continue;
			uint8_t *enc = malloc(need);
			long n = rs_dbn_meta_encode(&m, v, enc, need);
			if (n > 0) {
				struct rs_dbn_meta d;
				if (rs_dbn_meta_decode(enc, (size_t)n, &d, &why) != 0 || d.nsymbols != m.nsymbols ||
				    d.nmappings != m.nmappings || d.nintervals != m.nintervals ||
				    d.start != m.start || d.schema != m.schema)
					abort(); /* our own encoding must decode to the same fields */
			}
			free(enc);
		}
		size_t hdr = RS_DBN_PRELUDE_LEN + m.length;
		uint8_t *recs = aligned_alloc(8, ((size - hdr) + 7) / 8 * 8 + 8);
		memcpy(recs, buf + hdr, size - hdr);
		walk(recs, size - hdr, m.version, m.ts_out != 0);
		free(recs);
	}
	free(buf);
	return 0;
}
