/*
 * rs_http.h - minimal HTTP/1.1 server for /health and /metrics (COLD:
 * one control-plane thread, poll(2)-driven, GET only, Connection: close,
 * requests capped at 8 KiB, answers 404/405/400 for anything else).
 * Written by hand because no Debian-packaged embeddable server fits the
 * "no threads on the dataplane, two endpoints, no dependencies" need and
 * the protocol subset is ~200 lines (libmicrohttpd would add a thread
 * pool and a dependency for two GET endpoints).
 */
#ifndef RS_HTTP_H
#define RS_HTTP_H

#include <stddef.h>

struct rs_http;

/* Growable response body. */
struct rs_sbuf {
	char *p;
	size_t len, cap;
	int oom;                         /* an append failed */
};
void rs_sbuf_printf(struct rs_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rs_sbuf_free(struct rs_sbuf *b);

/* Produce the response for GET path: append the body to out, set
 * *content_type (static string) and return the HTTP status (200, 404,
 * 503, ...). Runs on the HTTP thread. */
typedef int (*rs_http_handler)(void *ctx, const char *path, struct rs_sbuf *out, const char **content_type);

/* Listen on "host:port" (port 0 = ephemeral; rs_http_port() tells which)
 * and serve on a thread of its own until rs_http_stop(). */
int rs_http_start(struct rs_http **out, const char *addr, rs_http_handler fn, void *ctx);
int rs_http_port(const struct rs_http *h);
void rs_http_stop(struct rs_http *h);

#endif
