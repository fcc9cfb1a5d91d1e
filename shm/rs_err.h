/*
 * rs_err.h - thread-local error message with a context chain (cold code).
 *
 * Cold functions return 0 or -errno and describe the failure with
 * RS_ERR_SET(err, fmt, ...); callers up the stack prepend context with
 * RS_ERR_APPEND(fmt, ...) so an operator reads the whole chain, e.g.
 *   "feed nasdaq-a: join 233.54.12.1:26477 on vfeed0: No such device"
 * Each entry also records function:file:line for `--verbose` output.
 * Never used on the dataplane (counters there).
 */
#ifndef RS_ERR_H
#define RS_ERR_H

#include <errno.h>

#define RS_ERR_MSG_MAX 1024

/* Replace the thread's error with a new one; returns err (a -errno value). */
int rs__err_set(int err, const char *func, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Prepend "context: " to the thread's error; returns the stored error code. */
int rs__err_append(const char *func, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define RS_ERR_SET(err, ...) rs__err_set((err), __func__, __FILE__, __LINE__, __VA_ARGS__)
#define RS_ERR_APPEND(...) rs__err_append(__func__, __FILE__, __LINE__, __VA_ARGS__)

/* The readable message chain ("" if none). Valid until the next set. */
const char *rs_err_msg(void);
/* Where the innermost error was raised: "func:file:line" ("" if none). */
const char *rs_err_where(void);
/* The -errno code of the last error (0 if none). */
int rs_err_code(void);
void rs_err_clear(void);

#endif
