/* test_drv_tcp.c - rs_drv_tcp on loopback: host:port parsing, connect
 * (IPv4, IPv6, names, refused, timeout), line reading, bounded buffer. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/rs_drv_tcp.h"

static int listener(int family, int backlog, char port[16])
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	if (bind(fd, (void *)&ss, sl) < 0 || listen(fd, backlog) < 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (void *)&ss, &sl);
	unsigned p = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	snprintf(port, 16, "%u", p);
	return fd;
}

Test(drv_tcp, split_hostport)
{
	char h[64], p[8];
	cr_expect_eq(rs_drv_tcp_split_hostport("glbx-mdp3.lsg.databento.com:13000", h, sizeof(h), p, sizeof(p)), 0);
	cr_expect_str_eq(h, "glbx-mdp3.lsg.databento.com");
	cr_expect_str_eq(p, "13000");
	cr_expect_eq(rs_drv_tcp_split_hostport("[::1]:80", h, sizeof(h), p, sizeof(p)), 0);
	cr_expect_str_eq(h, "::1");
	cr_expect_str_eq(p, "80");
	cr_expect_eq(rs_drv_tcp_split_hostport("127.0.0.1:1", h, sizeof(h), p, sizeof(p)), 0);
	cr_expect_str_eq(h, "127.0.0.1");
	cr_expect_eq(rs_drv_tcp_split_hostport("::1:80", h, sizeof(h), p, sizeof(p)), -EINVAL);
	cr_expect_eq(rs_drv_tcp_split_hostport("host", h, sizeof(h), p, sizeof(p)), -EINVAL);
	cr_expect_eq(rs_drv_tcp_split_hostport(":80", h, sizeof(h), p, sizeof(p)), -EINVAL);
	cr_expect_eq(rs_drv_tcp_split_hostport("host:", h, sizeof(h), p, sizeof(p)), -EINVAL);
	cr_expect_eq(rs_drv_tcp_split_hostport("host:8x", h, sizeof(h), p, sizeof(p)), -EINVAL);
	cr_expect_eq(rs_drv_tcp_split_hostport("[::1]80", h, sizeof(h), p, sizeof(p)), -EINVAL);
	cr_expect_eq(rs_drv_tcp_split_hostport("host:123456789", h, sizeof(h), p, sizeof(p)), -EINVAL);
}

Test(drv_tcp, lines_then_binary_span)
{
	struct rs_drv_tcp t;
	char port[16], line[64];
	int lfd = listener(AF_INET, 4, port);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(rs_drv_tcp_init(&t, 256), 0);
	cr_assert_eq(rs_drv_tcp_connect(&t, "127.0.0.1", port, 1000), 0);
	cr_expect_eq(t.connects, 1);
	int s = accept(lfd, NULL, NULL);
	cr_assert_geq(s, 0);

	/* nothing yet: timeout */
	cr_expect_eq(rs_drv_tcp_readline(&t, line, sizeof(line), 20), -ETIMEDOUT);
	/* a line split over two sends, CRLF, then a line and binary bytes in one send */
	cr_assert_eq(send(s, "lsg_ver", 7, 0), 7);
	cr_expect_eq(rs_drv_tcp_readline(&t, line, sizeof(line), 20), -ETIMEDOUT);
	cr_assert_eq(send(s, "sion=0.7\r\ncram=abc\nDBN\x01", 23, 0), 23);
	cr_expect_eq(rs_drv_tcp_readline(&t, line, sizeof(line), 1000), 15);
	cr_expect_str_eq(line, "lsg_version=0.7");
	cr_expect_eq(rs_drv_tcp_readline(&t, line, sizeof(line), 1000), 8);
	cr_expect_str_eq(line, "cram=abc");
	const uint8_t *p;
	cr_expect_eq(rs_drv_tcp_span(&t, &p), 4);
	cr_expect_eq(memcmp(p, "DBN\x01", 4), 0);
	rs_drv_tcp_consume(&t, 4);
	cr_expect_eq(rs_drv_tcp_span(&t, &p), 0);

	/* client -> server */
	cr_expect_eq(rs_drv_tcp_send_all(&t, "start_session\n", 14, 1000), 0);
	char buf[32];
	cr_expect_eq(recv(s, buf, sizeof(buf), 0), 14);
	cr_expect_eq(t.tx_bytes, 14);

	/* a line longer than the caller's buffer */
	cr_assert_eq(send(s, "0123456789abcdef\n", 17, 0), 17);
	cr_expect_eq(rs_drv_tcp_readline(&t, line, 8, 1000), -EMSGSIZE);

	/* peer closes: fill reports EOF, readline a reset */
	rs_drv_tcp_close(&t);
	close(s);
	cr_assert_eq(rs_drv_tcp_connect(&t, "localhost", port, 1000), 0);
	s = accept(lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	cr_assert_eq(send(s, "partial", 7, 0), 7);
	close(s);
	cr_expect_eq(rs_drv_tcp_readline(&t, line, sizeof(line), 1000), -ECONNRESET);
	cr_expect_eq(rs_drv_tcp_fill(&t, 100), 0);
	rs_drv_tcp_fini(&t);
	rs_drv_tcp_fini(&t); /* idempotent */
	close(lfd);
}

Test(drv_tcp, bounded_buffer_pushes_back)
{
	struct rs_drv_tcp t;
	char port[16];
	uint8_t data[1000], got[1000];
	size_t have = 0;
	int lfd = listener(AF_INET, 4, port);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(rs_drv_tcp_init(&t, 64), 0);
	cr_assert_eq(rs_drv_tcp_connect(&t, "127.0.0.1", port, 1000), 0);
	int s = accept(lfd, NULL, NULL);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	cr_assert_eq(send(s, data, sizeof(data), 0), (ssize_t)sizeof(data));

	/* fill to the brim without consuming: the buffer never grows */
	int r;
	while ((r = rs_drv_tcp_fill(&t, 1000)) > 0)
		;
	cr_expect_eq(r, -ENOBUFS);
	cr_expect_eq(t.full_events, 1);
	cr_expect_eq(rs_drv_tcp_room(&t), 0);
	/* drain in odd-sized pieces */
	while (have < sizeof(data)) {
		const uint8_t *p;
		size_t n = rs_drv_tcp_span(&t, &p);
		size_t take = n < 13 ? n : 13;
		memcpy(got + have, p, take);
		have += take;
		rs_drv_tcp_consume(&t, take);
		if (have < sizeof(data) && rs_drv_tcp_span(&t, &p) == 0)
			cr_assert_gt(rs_drv_tcp_fill(&t, 1000), 0);
		else if (have < sizeof(data))
			(void)rs_drv_tcp_fill(&t, 0); /* compacts, reads what fits */
	}
	cr_expect_eq(memcmp(got, data, sizeof(data)), 0);
	cr_expect_eq(t.rx_bytes, sizeof(data));
	close(s);
	close(lfd);
	rs_drv_tcp_fini(&t);
}

Test(drv_tcp, connect_refused_and_unresolvable)
{
	struct rs_drv_tcp t;
	char port[16];
	int lfd = listener(AF_INET, 4, port);
	cr_assert_geq(lfd, 0);
	close(lfd); /* nobody listens on this port now */
	cr_assert_eq(rs_drv_tcp_init(&t, 128), 0);
	cr_expect_eq(rs_drv_tcp_connect(&t, "127.0.0.1", port, 1000), -ECONNREFUSED);
	cr_expect_eq(t.fd, -1);
	cr_expect_eq(rs_drv_tcp_connect(&t, "no-such-host.invalid", port, 1000), -ENOENT);
	cr_expect_eq(rs_drv_tcp_fill(&t, 0), -ENOTCONN);
	cr_expect_eq(rs_drv_tcp_send_all(&t, "x", 1, 10), -ENOTCONN);
	rs_drv_tcp_fini(&t);
}

Test(drv_tcp, ipv6_loopback)
{
	struct rs_drv_tcp t;
	char port[16];
	int lfd = listener(AF_INET6, 4, port);
	if (lfd < 0)
		cr_skip_test("no IPv6 loopback on this machine");
	cr_assert_eq(rs_drv_tcp_init(&t, 128), 0);
	cr_expect_eq(rs_drv_tcp_connect(&t, "::1", port, 1000), 0);
	cr_expect_eq(strncmp(t.peer, "[::1]:", 6), 0, "peer %s", t.peer);
	close(lfd);
	rs_drv_tcp_fini(&t);
}

Test(drv_tcp, connect_timeout_when_the_accept_queue_is_full)
{
	/* A listener that never accepts with backlog 0: once its queue is
	 * full the kernel drops further SYNs, so connect() cannot finish. */
	struct rs_drv_tcp t[8];
	char port[16];
	int lfd = listener(AF_INET, 0, port), timed_out = -1;
	cr_assert_geq(lfd, 0);
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(rs_drv_tcp_init(&t[i], 128), 0);
		int r = rs_drv_tcp_connect(&t[i], "127.0.0.1", port, 150);
		if (r == -ETIMEDOUT) {
			timed_out = i;
			break;
		}
		cr_expect_eq(r, 0, "connect %d: %s", i, strerror(-r));
	}
	cr_expect_geq(timed_out, 1, "a connect beyond the accept queue times out");
	for (int i = 0; i <= (timed_out < 0 ? 7 : timed_out); i++)
		rs_drv_tcp_fini(&t[i]);
	close(lfd);
}
