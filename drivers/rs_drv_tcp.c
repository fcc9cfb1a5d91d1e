/* rs_drv_tcp.c - TCP client socket with poll-based timeouts and a bounded
 * receive buffer (see rs_drv_tcp.h). Cold code: session threads only. */
#include "rs_drv_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, clamped at 0. */
static int left_ms(int64_t deadline)
{
	int64_t d = deadline - now_ms();
	if (d < 0)
		return 0;
	return d > INT32_MAX ? INT32_MAX : (int)d;
}

int rs_drv_tcp_init(struct rs_drv_tcp *t, size_t bufcap)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (bufcap < 64)
		return -EINVAL;
	t->buf = malloc(bufcap);
	if (!t->buf)
		return -ENOMEM;
	t->cap = bufcap;
	return 0;
}

void rs_drv_tcp_fini(struct rs_drv_tcp *t)
{
	if (!t->buf) /* never initialized, or already finalized */
		return;
	rs_drv_tcp_close(t);
	free(t->buf);
	t->buf = NULL;
	t->cap = 0;
}

void rs_drv_tcp_close(struct rs_drv_tcp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->head = t->tail = 0;
}

int rs_drv_tcp_split_hostport(const char *s, char *host, size_t hostlen, char *port,
			      size_t portlen)
{
	const char *h, *p;
	size_t hl;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		p = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL; /* no port, or an unbracketed IPv6 literal */
		h = s;
		hl = (size_t)(colon - s);
		p = colon + 1;
	}
	if (hl == 0 || hl >= hostlen || !*p || strlen(p) >= portlen)
		return -EINVAL;
	for (const char *c = p; *c; c++)
		if (*c < '0' || *c > '9')
			return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, p);
	return 0;
}

static void set_peer(struct rs_drv_tcp *t, const struct sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		port = ntohs(in->sin_port);
		snprintf(t->peer, sizeof(t->peer), "%s:%u", a, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		port = ntohs(in6->sin6_port);
		snprintf(t->peer, sizeof(t->peer), "[%s]:%u", a, port);
	}
}

/* Non-blocking connect of one address within the deadline. Returns an fd
 * or -errno. */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd, err = 0, one = 1;
	socklen_t elen = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
			goto fail;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int r;
		do {
			r = poll(&pfd, 1, left_ms(deadline));
		} while (r < 0 && errno == EINTR);
		if (r < 0) {
			err = -errno;
			goto fail;
		}
		if (r == 0) {
			err = -ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
			err = -errno;
			goto fail;
		}
		if (err) {
			err = -err;
			goto fail;
		}
	}
	/* Handshake lines and heartbeats are small: send them at once. Keepalive
	 * detects a dead peer on an idle connection even without heartbeats. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return err;
}

int rs_drv_tcp_connect(struct rs_drv_tcp *t, const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	int r, err = -ENOENT;

	rs_drv_tcp_close(t);
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		if (r == EAI_SYSTEM)
			return errno ? -errno : -EIO;
		return r == EAI_AGAIN ? -EAGAIN : -ENOENT;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = connect_one(ai, deadline);
		if (fd >= 0) {
			t->fd = fd;
			t->head = t->tail = 0;
			t->connects++;
			set_peer(t, ai->ai_addr);
			err = 0;
			break;
		}
		err = fd;
		if (err == -ETIMEDOUT || left_ms(deadline) == 0) {
			err = -ETIMEDOUT;
			break;
		}
	}
	freeaddrinfo(res);
	return err;
}

int rs_drv_tcp_send_all(struct rs_drv_tcp *t, const void *p, size_t n, int timeout_ms)
{
	const uint8_t *b = p;
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);

	if (t->fd < 0)
		return -ENOTCONN;
	while (n > 0) {
		ssize_t w = send(t->fd, b, n, MSG_NOSIGNAL);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
			t->tx_bytes += (uint64_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		struct pollfd pfd = {.fd = t->fd, .events = POLLOUT};
		int r = poll(&pfd, 1, left_ms(deadline));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

int rs_drv_tcp_fill(struct rs_drv_tcp *t, int timeout_ms)
{
	if (t->fd < 0)
		return -ENOTCONN;
	if (t->head > 0) { /* compact: unread bytes to the front */
		memmove(t->buf, t->buf + t->head, t->tail - t->head);
		t->tail -= t->head;
		t->head = 0;
	}
	if (t->tail == t->cap) {
		t->full_events++;
		return -ENOBUFS;
	}
	for (;;) {
		ssize_t r = recv(t->fd, t->buf + t->tail, t->cap - t->tail, 0);
		if (r > 0) {
			t->tail += (size_t)r;
			t->rx_bytes += (uint64_t)r;
			return (int)r;
		}
		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (timeout_ms == 0)
			return -ETIMEDOUT;
		struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
		int p = poll(&pfd, 1, timeout_ms);
		if (p < 0 && errno != EINTR)
			return -errno;
		if (p == 0)
			return -ETIMEDOUT;
		timeout_ms = 0; /* readable (or error): one more recv decides */
	}
}

int rs_drv_tcp_readline(struct rs_drv_tcp *t, char *line, size_t linecap, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	size_t scanned = 0;

	if (linecap == 0)
		return -EINVAL;
	for (;;) {
		const uint8_t *p;
		size_t n = rs_drv_tcp_span(t, &p);
		const uint8_t *nl = n > scanned ? memchr(p + scanned, '\n', n - scanned) : NULL;
		if (nl) {
			size_t len = (size_t)(nl - p);
			size_t take = len;
			if (take > 0 && p[take - 1] == '\r')
				take--;
			if (take >= linecap)
				return -EMSGSIZE;
			memcpy(line, p, take);
			line[take] = '\0';
			rs_drv_tcp_consume(t, len + 1);
			return (int)take;
		}
		if (n >= linecap)
			return -EMSGSIZE;
		scanned = n;
		int r = rs_drv_tcp_fill(t, left_ms(deadline));
		if (r == 0)
			return -ECONNRESET;
		if (r == -ENOBUFS)
			return -EMSGSIZE;
		if (r < 0)
			return r;
		/* fill() may compact the buffer, but offsets from the span's
		 * start stay valid, so `scanned` still holds */
	}
}
