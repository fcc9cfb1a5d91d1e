/* rs_err.c - thread-local error chain; see rs_err.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rs_err.h"

static __thread char rs__err_msg[RS_ERR_MSG_MAX];
static __thread char rs__err_where_buf[256];
static __thread int rs__err_code;

int rs__err_set(int err, const char *func, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	const char *base = strrchr(file, '/');

	va_start(ap, fmt);
	vsnprintf(rs__err_msg, sizeof(rs__err_msg), fmt, ap);
	va_end(ap);
	snprintf(rs__err_where_buf, sizeof(rs__err_where_buf), "%s:%s:%d", func,
		 base ? base + 1 : file, line);
	rs__err_code = err;
	return err;
}

int rs__err_append(const char *func, const char *file, int line, const char *fmt, ...)
{
	char ctx[RS_ERR_MSG_MAX], old[RS_ERR_MSG_MAX];
	va_list ap;

	(void)func; (void)file; (void)line;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, rs__err_msg, sizeof(old));
	if (old[0])
		snprintf(rs__err_msg, sizeof(rs__err_msg), "%s: %s", ctx, old);
	else
		snprintf(rs__err_msg, sizeof(rs__err_msg), "%s", ctx);
	return rs__err_code;
}

const char *rs_err_msg(void) { return rs__err_msg; }
const char *rs_err_where(void) { return rs__err_where_buf; }
int rs_err_code(void) { return rs__err_code; }

void rs_err_clear(void)
{
	rs__err_msg[0] = 0;
	rs__err_where_buf[0] = 0;
	rs__err_code = 0;
}
