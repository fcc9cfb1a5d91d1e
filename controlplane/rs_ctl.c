/*
 * rs_ctl.c - the daemon's unix-socket control protocol; see rs_ctl.h.
 * COLD: one server thread, poll(2) on the listening socket and a stop
 * pipe, one request per connection, each bounded by a 2 s deadline so a
 * stuck client cannot hold the control plane.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rs_ctl.h"
#include "rs_sock.h"
#include "rs_err.h"

#define REQ_MAX 4096
#define RESP_MAX 65536
#define MAX_ARGS 32
#define SERVER_DEADLINE_MS 2000

struct rs_ctl {
	int lfd;
	int stop_pipe[2];
	pthread_t thr;
	rs_ctl_handler fn;
	void *ctx;
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char out[RESP_MAX];
};

static int mkaddr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!path || !*path || strlen(path) >= sizeof(sa->sun_path))
		return RS_ERR_SET(-ENAMETOOLONG, "control socket path '%s' is empty or longer than %zu bytes",
				  path ? path : "", sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* Write all of p before the deadline (non-blocking fd). */
/* Read up to and including '\n' (or EOF when eof_ok) into buf. Returns the
 * length, -EMSGSIZE when cap is exceeded first, -ETIMEDOUT, -ECONNRESET. */
static ssize_t read_line(int fd, char *buf, size_t cap, uint64_t deadline, bool eof_ok)
{
	size_t len = 0;

	for (;;) {
		uint64_t now = rs__mono_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd pf = {fd, POLLIN, 0};
		int pr = poll(&pf, 1, (int)(deadline - now));
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr <= 0)
			continue;
		if (len == cap)
			return -EMSGSIZE;
		ssize_t r = recv(fd, buf + len, cap - len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (eof_ok && len)
				return (ssize_t)len;
			return -ECONNRESET;
		}
		char *nl = memchr(buf + len, '\n', (size_t)r);
		len += (size_t)r;
		if (nl)
			return (ssize_t)len;
	}
}

static void json_error(char *out, size_t len, const char *msg)
{
	size_t k = (size_t)snprintf(out, len, "{\"error\":\"");
	for (; *msg && k + 8 < len; msg++) {
		if (*msg == '"' || *msg == '\\')
			out[k++] = '\\';
		out[k++] = (unsigned char)*msg < 0x20 ? ' ' : *msg;
	}
	snprintf(out + k, len - k, "\"}");
}

static void serve(struct rs_ctl *c, int fd)
{
	char req[REQ_MAX + 1], hdr[16];
	uint64_t deadline = rs__mono_ms() + SERVER_DEADLINE_MS;
	char *argv[MAX_ARGS + 1];
	int argc = 0, status;

	ssize_t n = read_line(fd, req, REQ_MAX, deadline, true);
	if (n < 0) {
		if (n == -EMSGSIZE) {
			snprintf(c->out, sizeof(c->out), "%d {\"error\":\"request longer than %d bytes\"}\n", EMSGSIZE,
				 REQ_MAX);
			rs__send_all(fd, c->out, strlen(c->out), deadline);
		}
		return;
	}
	req[n] = 0;
	char *nl = strchr(req, '\n');
	if (nl)
		*nl = 0;
	for (char *save = NULL, *tok = strtok_r(req, " \t\r", &save); tok && argc < MAX_ARGS;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	c->out[0] = 0;
	if (!argc) {
		status = EINVAL;
		json_error(c->out, sizeof(c->out), "empty request");
	} else {
		status = c->fn(c->ctx, argc, argv, c->out, sizeof(c->out));
		if (status < 0)
			status = -status;
		if (status && !c->out[0])
			json_error(c->out, sizeof(c->out), strerror(status));
		if (!c->out[0])
			snprintf(c->out, sizeof(c->out), "{}");
	}
	c->out[sizeof(c->out) - 1] = 0;
	int hl = snprintf(hdr, sizeof(hdr), "%d ", status);
	if (rs__send_all(fd, hdr, (size_t)hl, deadline) == 0 && rs__send_all(fd, c->out, strlen(c->out), deadline) == 0)
		rs__send_all(fd, "\n", 1, deadline);
}

static void *ctl_thread(void *arg)
{
	struct rs_ctl *c = arg;
	int fd;

	while ((fd = rs__accept_next(c->lfd, c->stop_pipe[0])) >= 0) {
		serve(c, fd);
		close(fd);
	}
	return NULL;
}

/* Is a server answering on path? */
static bool live_server(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

int rs_ctl_start(struct rs_ctl **out, const char *path, gid_t gid, rs_ctl_handler fn, void *ctx)
{
	struct sockaddr_un sa;
	struct rs_ctl *c;
	struct stat st;
	int rc;

	*out = NULL;
	if ((rc = mkaddr(&sa, path)))
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	c->fn = fn;
	c->ctx = ctx;
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		rc = RS_ERR_SET(-errno, "control socket: %s", strerror(errno));
		goto fail;
	}
	/* the parent directory (e.g. /run/ringside) may not exist yet */
	{
		char dir[sizeof(c->path)];
		snprintf(dir, sizeof(dir), "%s", path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			if (mkdir(dir, 0755) && errno != EEXIST) {
				rc = RS_ERR_SET(-errno, "control socket %s: mkdir %s: %s", path, dir, strerror(errno));
				goto fail;
			}
		}
	}
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno != EADDRINUSE) {
			rc = RS_ERR_SET(-errno, "control socket %s: bind: %s", path, strerror(errno));
			goto fail;
		}
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			rc = RS_ERR_SET(-EEXIST, "control socket %s: exists and is not a socket", path);
			goto fail;
		}
		if (live_server(&sa)) {
			rc = RS_ERR_SET(-EADDRINUSE, "control socket %s: another server is answering on it", path);
			goto fail;
		}
		/* stale: its owner is gone */
		unlink(path);
		if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
			rc = RS_ERR_SET(-errno, "control socket %s: bind: %s", path, strerror(errno));
			goto fail;
		}
	}
	if (chmod(path, 0660) || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid))) {
		rc = RS_ERR_SET(-errno, "control socket %s: permissions: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	if (stat(path, &st) == 0)
		c->ino = st.st_ino;
	if (listen(c->lfd, 16) || pipe2(c->stop_pipe, O_CLOEXEC)) {
		rc = RS_ERR_SET(-errno, "control socket %s: listen: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	if ((rc = pthread_create(&c->thr, NULL, ctl_thread, c))) {
		rc = RS_ERR_SET(-rc, "control socket %s: thread: %s", path, strerror(rc));
		unlink(path);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->stop_pipe[0] >= 0) {
		close(c->stop_pipe[0]);
		close(c->stop_pipe[1]);
	}
	free(c);
	return rc;
}

void rs_ctl_stop(struct rs_ctl *c)
{
	struct stat st;

	if (!c)
		return;
	char b = 1;
	if (write(c->stop_pipe[1], &b, 1) != 1) {
		/* cannot fail on our own empty pipe */
	}
	pthread_join(c->thr, NULL);
	close(c->lfd);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	/* remove the socket unless a newer server replaced it */
	if (stat(c->path, &st) == 0 && st.st_ino == c->ino)
		unlink(c->path);
	free(c);
}

int rs_ctl_call(const char *path, int argc, char **argv, char *out, size_t outlen, int timeout_ms)
{
	struct sockaddr_un sa;
	char req[REQ_MAX + 2], *resp = NULL;
	size_t rl = 0;
	uint64_t deadline = rs__mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 5000);
	int fd = -1, rc;

	if (outlen)
		out[0] = 0;
	if ((rc = mkaddr(&sa, path)))
		return rc;
	for (int i = 0; i < argc; i++) {
		size_t al = strlen(argv[i]);
		if (rl + al + 2 > REQ_MAX + 1 || strpbrk(argv[i], "\n"))
			return RS_ERR_SET(-EMSGSIZE, "control request longer than %d bytes or with a newline", REQ_MAX);
		if (i)
			req[rl++] = ' ';
		memcpy(req + rl, argv[i], al);
		rl += al;
	}
	req[rl++] = '\n';
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return RS_ERR_SET(-errno, "control socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		if (rc == -EAGAIN) /* listen backlog full: a wedged server */
			rc = -ETIMEDOUT;
		close(fd);
		if (rc == -ENOENT)
			return RS_ERR_SET(rc, "no control socket %s (is ringsided running?)", path);
		if (rc == -ECONNREFUSED)
			return RS_ERR_SET(rc, "control socket %s: nobody answers (ringsided dead?)", path);
		return RS_ERR_SET(rc, "control socket %s: connect: %s", path, strerror(-rc));
	}
	if ((rc = rs__send_all(fd, req, rl, deadline))) {
		close(fd);
		return RS_ERR_SET(rc, "control socket %s: send: %s", path, strerror(-rc));
	}
	resp = malloc(RESP_MAX + 32);
	if (!resp) {
		close(fd);
		return RS_ERR_SET(-ENOMEM, "out of memory");
	}
	ssize_t n = read_line(fd, resp, RESP_MAX + 31, deadline, true);
	close(fd);
	if (n < 0) {
		free(resp);
		if (n == -ETIMEDOUT)
			return RS_ERR_SET(-ETIMEDOUT, "control socket %s: no answer within %d ms (ringsided wedged?)", path,
					  timeout_ms);
		return RS_ERR_SET((int)n, "control socket %s: %s", path, strerror((int)-n));
	}
	resp[n] = 0;
	if (n && resp[n - 1] == '\n')
		resp[--n] = 0;
	char *e;
	long st = strtol(resp, &e, 10);
	if (e == resp || *e != ' ' || st < 0 || st > 4095) {
		free(resp);
		return RS_ERR_SET(-EPROTO, "control socket %s: malformed answer", path);
	}
	if (outlen)
		snprintf(out, outlen, "%s", e + 1);
	free(resp);
	return (int)st;
}

void rs_ctl_default_path(char *buf, size_t len, const char *instance)
{
	const char *dir = getenv("RINGSIDE_RUN_DIR");

	if (!dir || !*dir) {
		if (access("/run/ringside", W_OK) == 0 || (access("/run", W_OK) == 0 && access("/run/ringside", F_OK)))
			dir = "/run/ringside";
		else if (!(dir = getenv("XDG_RUNTIME_DIR")) || !*dir)
			dir = "/tmp";
	}
	snprintf(buf, len, "%s/%s.sock", dir, instance);
}
