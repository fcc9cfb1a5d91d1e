/* fuzz_config.c - libFuzzer target: rs_config_load_string on arbitrary
 * bytes must never crash, leak or read out of bounds; a success must dump
 * and reload to the same configuration. Seeds: deploy/examples. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rs_config c, c2;
	static char a[65536], b[65536];

	if (rs_config_load_string(&c, (const char *)data, size, "fuzz") != 0)
		return 0;
	int n = rs_config_dump(&c, a, sizeof(a));
	if (n < 0)
		abort();
	if (rs_config_load_string(&c2, a, (size_t)n, "fuzz") != 0)
		abort();
	if (rs_config_dump(&c2, b, sizeof(b)) != n || memcmp(a, b, (size_t)n))
		abort();
	return 0;
}
