/*
 * rs_drv_tcp.h - TCP client socket for control-plane sessions (COLD).
 *
 * A non-blocking socket driven with poll(2) and per-call timeouts, plus a
 * bounded receive buffer. Used by session threads (the Databento live
 * client) that speak a line-based handshake and then a binary stream:
 *
 *   rs_drv_tcp_init(&t, 1 << 20);
 *   rs_drv_tcp_connect(&t, "gw.example", "13000", 2000);
 *   rs_drv_tcp_readline(&t, line, sizeof(line), 1000);   // handshake
 *   rs_drv_tcp_send_all(&t, req, len, 1000);
 *   for (;;) {
 *           int n = rs_drv_tcp_fill(&t, 100);              // > 0 bytes, 0 EOF
 *           size_t len = rs_drv_tcp_span(&t, &p);         // readable bytes
 *           ... rs_drv_tcp_consume(&t, used);
 *   }
 *
 * The buffer never grows: when it is full, rs_drv_tcp_fill() reads nothing
 * and returns -ENOBUFS (counted in full_events), so a slow consumer leaves
 * data in the kernel and TCP flow control pushes back on the sender.
 *
 * Blocking with a timeout is deliberate: this runs on a control-plane
 * thread, never on a dataplane core. Functions return 0 / a count or a
 * negative errno; none of them logs.
 */
#ifndef RS_DRV_TCP_H
#define RS_DRV_TCP_H

#include <stddef.h>
#include <stdint.h>

struct rs_drv_tcp {
	int fd;               /* -1 when closed */
	uint8_t *buf;         /* receive buffer, cap bytes, owned */
	size_t cap;
	size_t head;          /* first unread byte */
	size_t tail;          /* one past the last received byte */
	/* counters (monotonic over the object's life, across reconnects) */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t full_events; /* fill() found the buffer full (backpressure) */
	uint64_t connects;    /* successful connects */
	char peer[64];        /* "addr:port" of the connected peer, for messages */
};

/* Allocate a receive buffer of `bufcap` bytes (>= 64). fd starts closed.
 * Returns 0 or -ENOMEM / -EINVAL. */
int rs_drv_tcp_init(struct rs_drv_tcp *t, size_t bufcap);

/* Close the socket (if open) and free the buffer. Safe on a zeroed or
 * already finalized object. */
void rs_drv_tcp_fini(struct rs_drv_tcp *t);

/* Split "host:port" or "[v6addr]:port" into host and port (an IPv6
 * literal needs the brackets). Returns 0, or -EINVAL when the string has
 * no port, an empty host, or does not fit. */
int rs_drv_tcp_split_hostport(const char *s, char *host, size_t hostlen, char *port,
			      size_t portlen);

/* Resolve host (name, IPv4 or IPv6 literal) with getaddrinfo and connect to
 * the first address that accepts within timeout_ms (the timeout applies to
 * the whole call). Sets TCP_NODELAY and SO_KEEPALIVE; empties the receive
 * buffer. Closes a previously open socket first.
 * Returns 0, -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ENOENT (name did
 * not resolve) or another -errno. */
int rs_drv_tcp_connect(struct rs_drv_tcp *t, const char *host, const char *port, int timeout_ms);

/* Close the socket and drop buffered bytes (counters are kept). */
void rs_drv_tcp_close(struct rs_drv_tcp *t);

/* Send all n bytes within timeout_ms. Returns 0, -ETIMEDOUT, -EPIPE (peer
 * closed), -ENOTCONN or another -errno. Never raises SIGPIPE. */
int rs_drv_tcp_send_all(struct rs_drv_tcp *t, const void *p, size_t n, int timeout_ms);

/* Wait up to timeout_ms (0 = do not wait) for data and read what fits into
 * the buffer's free space (unread bytes are first moved to the front).
 * Returns the number of bytes read (> 0), 0 when the peer closed the
 * connection, -ETIMEDOUT when nothing arrived, -ENOBUFS when the buffer is
 * full (nothing read), or another -errno (-ECONNRESET, -ENOTCONN). */
int rs_drv_tcp_fill(struct rs_drv_tcp *t, int timeout_ms);

/* Read one '\n'-terminated line into line[linecap] within timeout_ms (whole
 * call), strip "\n" or "\r\n" and NUL-terminate. Bytes after the newline
 * stay buffered for the next call or for rs_drv_tcp_span().
 * Returns the line length, -ETIMEDOUT, -EMSGSIZE (longer than linecap-1),
 * -ECONNRESET (peer closed before a full line) or another -errno. */
int rs_drv_tcp_readline(struct rs_drv_tcp *t, char *line, size_t linecap, int timeout_ms);

/* Readable bytes: *p points at them (valid until the next fill/consume/
 * close); returns how many. */
static inline size_t rs_drv_tcp_span(const struct rs_drv_tcp *t, const uint8_t **p)
{
	*p = t->buf + t->head;
	return t->tail - t->head;
}

/* Mark n readable bytes as used (n <= the span length). */
static inline void rs_drv_tcp_consume(struct rs_drv_tcp *t, size_t n)
{
	t->head += n;
	if (t->head >= t->tail)
		t->head = t->tail = 0;
}

/* Free bytes left for the next fill (after compaction). */
static inline size_t rs_drv_tcp_room(const struct rs_drv_tcp *t)
{
	return t->cap - (t->tail - t->head);
}

#endif
