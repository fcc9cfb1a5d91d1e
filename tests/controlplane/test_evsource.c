/* test_evsource.c - rs_evsource: real ITCH day-file head and DBN file,
 * truncated input, bad arguments. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/rs_evsource.h"
#include "shm/rs_err.h"
#include "tests/rs_test.h"

struct defs {
	unsigned n;
	char last[RS_SYMBOL_LEN];
};
static void on_define(void *ctx, uint32_t id, const char *sym, int64_t tick)
{
	struct defs *d = ctx;
	(void)id;
	(void)tick;
	d->n++;
	snprintf(d->last, sizeof(d->last), "%s", sym);
}

static uint64_t drain(struct rs_evsource *s, int *err)
{
	struct rs_event ev[256];
	uint64_t total = 0;
	int n;
	while ((n = rs_evsource_next(s, ev, 256)) > 0)
		total += (uint64_t)n;
	*err = n;
	return total;
}

Test(evsource, itch_day_file_head)
{
	RS_TEST_NEED_DATA(path, "itch/nasdaq_itch50_binaryfile_first1000msgs.itch");
	struct defs d = {0};
	struct rs_evsrc_defs cb = {.ctx = &d, .define = on_define};
	struct rs_evsource *s;
	int err;
	cr_assert_eq(rs_evsource_open(&s, path, RS_EVSRC_ITCH, &cb), 0, "%s", rs_err_msg());
	drain(s, &err);
	cr_assert_eq(err, 0, "%s", rs_err_msg());
	cr_assert_eq(rs_evsource_messages(s), 1000);
	cr_assert_eq(d.n, 993, "directory entries %u", d.n);
	rs_evsource_close(s);
}

Test(evsource, itch_truncated_file_reports_offset)
{
	RS_TEST_NEED_DATA(path, "itch/nasdaq_itch50_binaryfile_first1000msgs.itch");
	char tmp[] = "/tmp/rs_evsrc_XXXXXX";
	int fd = mkstemp(tmp);
	FILE *in = fopen(path, "rb");
	cr_assert(fd >= 0 && in);
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	cr_assert(n > 1000);
	cr_assert_eq(write(fd, buf, n - 7), (ssize_t)(n - 7)); /* cut inside a record */
	close(fd);
	struct rs_evsource *s;
	int err;
	cr_assert_eq(rs_evsource_open(&s, tmp, RS_EVSRC_ITCH, NULL), 0, "%s", rs_err_msg());
	drain(s, &err);
	unlink(tmp);
	cr_assert_eq(err, -EBADMSG);
	cr_assert(strstr(rs_err_msg(), "truncated ITCH record at byte"), "%s", rs_err_msg());
	cr_assert(rs_evsource_messages(s) > 0);
	rs_evsource_close(s);
}

Test(evsource, dbn_mbo_with_symbols)
{
	RS_TEST_NEED_DATA(path, "dbn/databento_python/XNAS.ITCH.mbo.dbn.zst");
	struct defs d = {0};
	struct rs_evsrc_defs cb = {.ctx = &d, .define = on_define};
	struct rs_evsource *s;
	int err;
	cr_assert_eq(rs_evsource_open(&s, path, RS_EVSRC_DBN, &cb), 0, "%s", rs_err_msg());
	uint64_t n = drain(s, &err);
	cr_assert_eq(err, 0, "%s", rs_err_msg());
	cr_assert(n > 0);
	cr_assert_eq(n + rs_evsource_skipped(s), rs_evsource_messages(s));
	cr_assert_geq(d.n, 1);
	cr_assert_str_eq(d.last, "NVDA");
	rs_evsource_close(s);
}

Test(evsource, bad_arguments)
{
	struct rs_evsource *s;
	cr_assert_eq(rs_evsource_format("itch"), RS_EVSRC_ITCH);
	cr_assert_eq(rs_evsource_format("lobster"), 0);
	cr_assert_eq(rs_evsource_open(&s, "/nonexistent/x.itch", RS_EVSRC_ITCH, NULL), -ENOENT);
	cr_assert_eq(rs_evsource_open(&s, "/etc/hostname", 7, NULL), -EINVAL);
	cr_assert_eq(rs_evsource_open(&s, "/etc/hostname", RS_EVSRC_DBN, NULL) < 0, 1);
}
