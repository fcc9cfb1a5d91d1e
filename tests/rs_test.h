/*
 * rs_test.h - helpers shared by the Criterion test binaries.
 */
#ifndef RS_TEST_H
#define RS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Directory of the real third-party data: $RINGSIDE_TESTDATA, else
 * ../shared/data beside the checkout. */
static inline const char *rs_test_data_dir(void)
{
	const char *d = getenv("RINGSIDE_TESTDATA");
	return (d && *d) ? d : RS_TESTDATA_DEFAULT;
}

/* Full path of a data file into buf; returns buf, or NULL when the file is
 * absent (the caller then cr_skip_test()s with the path in the message). */
static inline const char *rs_test_data(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", rs_test_data_dir(), rel);
	return access(buf, R_OK) == 0 ? buf : NULL;
}

/* Skip the current test unless the data file exists; sets `path`. */
#define RS_TEST_NEED_DATA(path, rel)                                                   \
	char path[4096];                                                                   \
	do {                                                                               \
		if (!rs_test_data(path, sizeof(path), rel))                                    \
			cr_skip_test("test data %s absent (set RINGSIDE_TESTDATA)", path);         \
	} while (0)

#endif
