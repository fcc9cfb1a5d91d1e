/* test_http.c - the /health + /metrics HTTP server: status codes, content
 * types, 404/405/400, Connection: close, HEAD, query strings, oversize
 * requests, and a real HTTP client (curl) when installed. Suite: rs_http. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controlplane/rs_http.h"
#include "rs_err.h"

TestSuite(rs_http);

static int handler(void *ctx, const char *path, struct rs_sbuf *out, const char **ctype)
{
	(*(int *)ctx)++;
	if (!strcmp(path, "/health")) {
		*ctype = "application/json";
		rs_sbuf_printf(out, "{\"status\":\"healthy\",\"reasons\":[]}\n");
		return 200;
	}
	if (!strcmp(path, "/metrics")) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		rs_sbuf_printf(out, "# TYPE rs_x_total counter\nrs_x_total 42\n");
		return 200;
	}
	if (!strcmp(path, "/down")) {
		*ctype = "application/json";
		rs_sbuf_printf(out, "{\"status\":\"offline\"}\n");
		return 503;
	}
	return 404;
}

/* Send req raw, return the whole answer (the server closes). */
static char *raw(int port, const char *req, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	static char buf[65536];
	size_t n = 0;
	ssize_t r;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	while ((r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd);
	return buf;
}

static char *get(int port, const char *req)
{
	return raw(port, req, strlen(req));
}

Test(rs_http, status_codes_and_content_types)
{
	struct rs_http *h;
	int calls = 0;

	cr_assert_eq(rs_http_start(&h, "127.0.0.1:0", handler, &calls), 0, "%s", rs_err_msg());
	int port = rs_http_port(h);
	cr_assert_gt(port, 0);

	cr_assert_str_eq(get(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 34\r\n"
			 "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
			 "{\"status\":\"healthy\",\"reasons\":[]}\n");
	cr_assert_str_eq(get(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n"),
			 "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			 "Content-Length: 40\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
			 "# TYPE rs_x_total counter\nrs_x_total 42\n");
	cr_assert_str_eq(get(port, "GET /nope HTTP/1.1\r\n\r\n"),
			 "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n"
			 "Cache-Control: no-store\r\nConnection: close\r\n\r\nnot found\n");
	cr_assert(!strncmp(get(port, "GET /down HTTP/1.1\r\n\r\n"), "HTTP/1.1 503 Service Unavailable\r\n", 34));
	cr_assert_str_eq(get(port, "POST /health HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
			 "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: 19\r\nAllow: GET, HEAD\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
			 "method not allowed\n");
	cr_assert_str_eq(get(port, "HEAD /health HTTP/1.1\r\n\r\n"),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 34\r\n"
			 "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
	cr_assert(!strncmp(get(port, "garbage\r\n\r\n"), "HTTP/1.1 400 Bad Request\r\n", 26));
	cr_assert(!strncmp(get(port, "GET health HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request\r\n", 26));
	cr_assert(!strncmp(get(port, "GET /health SMTP\r\n\r\n"), "HTTP/1.1 400 Bad Request\r\n", 26));
	/* 9 KiB of headers without an end: refused, the handler never runs */
	static char big[9300];
	memcpy(big, "GET /health HTTP/1.1\r\nX: ", 25);
	memset(big + 25, 'a', sizeof(big) - 26);
	int before = calls;
	cr_assert(!strncmp(raw(port, big, sizeof(big) - 1), "HTTP/1.1 400 Bad Request\r\n", 26));
	cr_assert_eq(calls, before);
	rs_http_stop(h);
}

Test(rs_http, real_client_curl)
{
	struct rs_http *h;
	int calls = 0;
	char cmd[256], buf[4096];

	if (system("command -v curl >/dev/null 2>&1"))
		cr_skip_test("curl is not installed (apt-get install curl); the raw-socket tests cover the protocol");
	cr_assert_eq(rs_http_start(&h, "127.0.0.1:0", handler, &calls), 0, "%s", rs_err_msg());
	snprintf(cmd, sizeof(cmd), "curl -sS -m 5 -w '|%%{http_code}|%%{content_type}' http://127.0.0.1:%d/metrics",
		 rs_http_port(h));
	FILE *p = popen(cmd, "r");
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(p)), 0);
	cr_assert_str_eq(buf, "# TYPE rs_x_total counter\nrs_x_total 42\n|200|text/plain; version=0.0.4; charset=utf-8");
	snprintf(cmd, sizeof(cmd), "curl -sS -m 5 -o /dev/null -w '%%{http_code}' -X DELETE http://127.0.0.1:%d/health",
		 rs_http_port(h));
	p = popen(cmd, "r");
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	pclose(p);
	cr_assert_str_eq(buf, "405");
	rs_http_stop(h);
}

Test(rs_http, bad_addresses)
{
	struct rs_http *h, *h2;
	int calls = 0;
	char addr[64];

	cr_assert_eq(rs_http_start(&h, "nonsense", handler, &calls), -EINVAL);
	cr_assert_eq(rs_http_start(&h, "127.0.0.1:0", handler, &calls), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", rs_http_port(h));
	cr_assert_eq(rs_http_start(&h2, addr, handler, &calls), -EADDRINUSE);
	cr_assert(strstr(rs_err_msg(), "Address already in use"), "%s", rs_err_msg());
	rs_http_stop(h);
}

Test(rs_http, sbuf_grows)
{
	struct rs_sbuf b = {0};
	for (int i = 0; i < 10000; i++)
		rs_sbuf_printf(&b, "%05d\n", i);
	cr_assert_eq(b.len, 60000);
	cr_assert(!strncmp(b.p + 59994, "09999\n", 6));
	cr_assert_eq(b.oom, 0);
	rs_sbuf_free(&b);
	cr_assert_null(b.p);
}
