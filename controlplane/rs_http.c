/*
 * rs_http.c - minimal HTTP/1.1 server for /health and /metrics; see
 * rs_http.h. COLD: one thread, poll(2) on the listening socket and a stop
 * pipe; one connection at a time (two cheap endpoints scraped every few
 * seconds do not need more), each bounded by a 2 s read deadline and an
 * 8 KiB request cap, answered and closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rs_err.h"
#include "rs_http.h"
#include "rs_sock.h"

#define REQ_MAX 8192
#define READ_DEADLINE_MS 2000

struct rs_http {
	int lfd;
	int stop_pipe[2];
	int port;
	pthread_t thr;
	rs_http_handler fn;
	void *ctx;
};

/* ------------------------------------------------------------ rs_sbuf */

void rs_sbuf_printf(struct rs_sbuf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->len + (size_t)n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
}

void rs_sbuf_free(struct rs_sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

/* ------------------------------------------------------------ server */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void send_all(int fd, const char *p, size_t n)
{
	(void)rs__send_all(fd, p, n, rs__mono_ms() + READ_DEADLINE_MS);
}

static void respond(int fd, int status, const char *ctype, const char *body, size_t blen, bool head,
		    const char *extra)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sCache-Control: no-store\r\n"
			 "Connection: close\r\n\r\n",
			 status, reason(status), ctype, blen, extra ? extra : "");
	send_all(fd, hdr, (size_t)n);
	if (!head && blen)
		send_all(fd, body, blen);
}

static void respond_text(int fd, int status, const char *msg, bool head, const char *extra)
{
	respond(fd, status, "text/plain; charset=utf-8", msg, strlen(msg), head, extra);
}

static void serve(struct rs_http *h, int fd)
{
	char req[REQ_MAX + 1];
	size_t len = 0;
	uint64_t deadline = rs__mono_ms() + READ_DEADLINE_MS;
	char *end = NULL;

	/* read until the end of the headers (the body of a GET is ignored) */
	while (!end) {
		uint64_t now = rs__mono_ms();
		if (now >= deadline) {
			respond_text(fd, 408, "request timeout\n", false, NULL);
			return;
		}
		if (len >= REQ_MAX) {
			respond_text(fd, 400, "request too large (8 KiB max)\n", false, NULL);
			return;
		}
		struct pollfd pf = {fd, POLLIN, 0};
		int pr = poll(&pf, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		ssize_t r = recv(fd, req + len, REQ_MAX - len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return; /* client gone */
		len += (size_t)r;
		req[len] = 0;
		if (memchr(req, 0, len)) {
			respond_text(fd, 400, "bad request\n", false, NULL);
			return;
		}
		end = strstr(req, "\r\n\r\n");
		if (!end)
			end = strstr(req, "\n\n");
	}
	char method[16], path[2048], version[16];
	if (sscanf(req, "%15s %2047s %15s", method, path, version) != 3 || strncmp(version, "HTTP/1.", 7) ||
	    path[0] != '/') {
		respond_text(fd, 400, "bad request\n", false, NULL);
		return;
	}
	bool head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		respond_text(fd, 405, "method not allowed\n", false, "Allow: GET, HEAD\r\n");
		return;
	}
	char *qm = strchr(path, '?');
	if (qm)
		*qm = 0;
	struct rs_sbuf body = {0};
	const char *ctype = "text/plain; charset=utf-8";
	int status = h->fn(h->ctx, path, &body, &ctype);
	if (body.oom) {
		rs_sbuf_free(&body);
		respond_text(fd, 500, "out of memory\n", head, NULL);
		return;
	}
	if (status == 404 && !body.len)
		rs_sbuf_printf(&body, "not found\n");
	respond(fd, status, ctype, body.p ? body.p : "", body.len, head, NULL);
	rs_sbuf_free(&body);
}

static void *http_thread(void *arg)
{
	struct rs_http *h = arg;
	int fd;

	while ((fd = rs__accept_next(h->lfd, h->stop_pipe[0])) >= 0) {
		serve(h, fd);
		/* half-close so the client sees the whole answer before the FIN */
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	return NULL;
}

int rs_http_start(struct rs_http **out, const char *addr, rs_http_handler fn, void *ctx)
{
	char host[128];
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE},
			*ai = NULL;
	struct rs_http *h;
	int rc, one = 1;

	*out = NULL;
	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return RS_ERR_SET(-EINVAL, "http: '%s' is not host:port", addr ? addr : "(null)");
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:9106 */
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	if ((rc = getaddrinfo(*host && strcmp(host, "*") ? host : NULL, colon + 1, &hints, &ai)))
		return RS_ERR_SET(-EINVAL, "http: cannot resolve '%s': %s", addr, gai_strerror(rc));
	h = calloc(1, sizeof(*h));
	if (!h) {
		freeaddrinfo(ai);
		return RS_ERR_SET(-ENOMEM, "out of memory");
	}
	h->fn = fn;
	h->ctx = ctx;
	h->stop_pipe[0] = h->stop_pipe[1] = -1;
	h->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->lfd < 0) {
		rc = RS_ERR_SET(-errno, "http: socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, ai->ai_addr, ai->ai_addrlen) || listen(h->lfd, 64)) {
		rc = RS_ERR_SET(-errno, "http: listen on %s: %s", addr, strerror(errno));
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(h->lfd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	if (pipe2(h->stop_pipe, O_CLOEXEC)) {
		rc = RS_ERR_SET(-errno, "http: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((rc = pthread_create(&h->thr, NULL, http_thread, h))) {
		rc = RS_ERR_SET(-rc, "http: thread: %s", strerror(rc));
		goto fail;
	}
	freeaddrinfo(ai);
	*out = h;
	return 0;
fail:
	freeaddrinfo(ai);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->stop_pipe[0] >= 0) {
		close(h->stop_pipe[0]);
		close(h->stop_pipe[1]);
	}
	free(h);
	return rc;
}

int rs_http_port(const struct rs_http *h)
{
	return h->port;
}

void rs_http_stop(struct rs_http *h)
{
	if (!h)
		return;
	char b = 1;
	if (write(h->stop_pipe[1], &b, 1) != 1) {
		/* the pipe is empty and ours: cannot fail short of EBADF */
	}
	pthread_join(h->thr, NULL);
	close(h->lfd);
	close(h->stop_pipe[0]);
	close(h->stop_pipe[1]);
	free(h);
}
