/*
 * rs_sock.h - small socket helpers shared by the control-plane servers
 * (rs_ctl.c unix socket, rs_http.c TCP): a monotonic ms clock, a send loop
 * with a deadline for non-blocking sockets, and the accept loop of a
 * server thread that a pipe stops. COLD.
 */
#ifndef RS_SOCK_H
#define RS_SOCK_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

static inline uint64_t rs__mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Send all n bytes of p on a non-blocking socket before deadline
 * (rs__mono_ms() time). 0, -ETIMEDOUT or -errno. */
static inline int rs__send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			uint64_t now = rs__mono_ms();
			if (now >= deadline)
				return -ETIMEDOUT;
			struct pollfd pf = {fd, POLLOUT, 0};
			poll(&pf, 1, (int)(deadline - now));
			continue;
		}
		return -errno;
	}
	return 0;
}

/* Server thread loop step: wait for a connection on lfd or a byte on
 * stop_fd. Returns the accepted non-blocking fd, or -1 when stopped. */
static inline int rs__accept_next(int lfd, int stop_fd)
{
	for (;;) {
		struct pollfd pf[2] = {{lfd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
		int n = poll(pf, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || pf[1].revents)
			return -1;
		if (!(pf[0].revents & POLLIN))
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			return fd;
	}
}

#endif
