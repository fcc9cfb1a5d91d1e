/*
 * fuzz_baseline.c - libFuzzer target for the baseline file loader
 * (controlplane/rs_baseline_file.c, rs_baseline_file_parse). Every input is
 * parsed twice: as given (magic, version, length and checksum checks) and,
 * when it is long enough to hold a header, with its SHA-256 field
 * recomputed so that the geometry, size and cell checks behind the
 * checksum are reached too. A successful load is then read through the
 * engine's accessors. Seeds: tests/fuzz/baseline_seeds/ (valid, corrupt,
 * version 1, truncated, no instruments: hand-made after the layout in
 * rs_baseline_file.h; test_baseline loads the valid ones).
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_baseline_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use(struct rs_baseline *bl)
{
	volatile double sink = 0;
	for (uint32_t i = 0; i < bl->ninst; i++) {
		const struct rs_bl_inst *in = rs_baseline_find(bl, bl->inst[i].key);
		if (!in)
			abort(); /* every loaded key must be found */
		for (uint32_t w = 0; w < bl->g.nwin; w++)
			for (uint32_t b = 0; b < bl->g.nbuckets[w]; b++) {
				const struct rs_bl_stat *st = rs_baseline_stat(bl, in, w, b);
				sink += st->mean[RS_BL_VI] + st->sd[RS_BL_VI] + st->med[RS_BL_VOLNE];
			}
	}
	(void)rs_baseline_sessions(bl);
	(void)sink;
	rs_baseline_destroy(bl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_baseline *bl = NULL;
	if (!rs_baseline_file_parse(&bl, data, size, "fuzz", NULL))
		use(bl);
	if (size < 128)
		return 0;
	uint8_t *buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* the checksum the loader expects: header (its SHA field zeroed) + payload */
	memset(buf + 24, 0, 32);
	unsigned n = 0;
	uint8_t md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, buf, size) &&
	    EVP_DigestFinal_ex(ctx, md, &n) && n == 32) {
		memcpy(buf + 24, md, 32);
		bl = NULL;
		if (!rs_baseline_file_parse(&bl, buf, size, "fuzz", NULL))
			use(bl);
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	return 0;
}
