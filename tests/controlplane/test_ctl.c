/* test_ctl.c - the unix-socket control protocol: round trip, errors,
 * stale socket replaced, live socket refused, 0660 + group, oversize
 * requests, a server that never answers, default path. Suite: rs_ctl. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "controlplane/rs_ctl.h"
#include "rs_err.h"

static char dir[128], path[160];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rs-ctl-test-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/t.sock", dir);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd)) {
	}
}

TestSuite(rs_ctl, .init = setup, .fini = teardown);

/* echo: {"argc":N,"argv":["a","b"]}; "fail" -> ENOENT with a message;
 * "silent" -> EPERM without one */
static int handler(void *ctx, int argc, char **argv, char *out, size_t outlen)
{
	(*(int *)ctx)++;
	if (!strcmp(argv[0], "fail")) {
		snprintf(out, outlen, "{\"error\":\"no such feed '%s'\"}", argc > 1 ? argv[1] : "");
		return ENOENT;
	}
	if (!strcmp(argv[0], "silent"))
		return EPERM;
	size_t k = (size_t)snprintf(out, outlen, "{\"argc\":%d,\"argv\":[", argc);
	for (int i = 0; i < argc; i++)
		k += (size_t)snprintf(out + k, outlen - k, "%s\"%s\"", i ? "," : "", argv[i]);
	snprintf(out + k, outlen - k, "]}");
	return 0;
}

Test(rs_ctl, round_trip_and_errors)
{
	struct rs_ctl *s;
	int calls = 0;
	char out[512];
	char *a1[] = {"reconnect", "nasdaq"}, *a2[] = {"fail", "x"}, *a3[] = {"silent"}, *a4[] = {"ping"};

	cr_assert_eq(rs_ctl_start(&s, path, (gid_t)-1, handler, &calls), 0, "%s", rs_err_msg());
	cr_assert_eq(rs_ctl_call(path, 2, a1, out, sizeof(out), 2000), 0, "%s", rs_err_msg());
	cr_assert_str_eq(out, "{\"argc\":2,\"argv\":[\"reconnect\",\"nasdaq\"]}");
	cr_assert_eq(rs_ctl_call(path, 2, a2, out, sizeof(out), 2000), ENOENT);
	cr_assert_str_eq(out, "{\"error\":\"no such feed 'x'\"}");
	cr_assert_eq(rs_ctl_call(path, 1, a3, out, sizeof(out), 2000), EPERM);
	cr_assert_str_eq(out, "{\"error\":\"Operation not permitted\"}");
	/* extra spaces are separators; an empty request is refused */
	char *a5[] = {"  ping   one "};
	cr_assert_eq(rs_ctl_call(path, 1, a5, out, sizeof(out), 2000), 0);
	cr_assert_str_eq(out, "{\"argc\":2,\"argv\":[\"ping\",\"one\"]}");
	char *a6[] = {""};
	cr_assert_eq(rs_ctl_call(path, 1, a6, out, sizeof(out), 2000), EINVAL);
	cr_assert_str_eq(out, "{\"error\":\"empty request\"}");
	cr_assert_eq(calls, 4);
	/* output truncated to the caller's buffer, still NUL-terminated */
	char small[8];
	cr_assert_eq(rs_ctl_call(path, 1, a4, small, sizeof(small), 2000), 0);
	cr_assert_str_eq(small, "{\"argc\"");
	rs_ctl_stop(s);
	struct stat st;
	cr_assert_eq(stat(path, &st), -1, "rs_ctl_stop removes the socket");
	cr_assert_eq(rs_ctl_call(path, 1, a4, out, sizeof(out), 2000), -ENOENT);
}

/* A socket file whose server is gone: bound, then the process "died". */
static void make_stale_socket(const char *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

Test(rs_ctl, stale_socket_replaced)
{
	struct rs_ctl *s;
	int calls = 0;
	char out[256];
	char *a[] = {"ping"};

	make_stale_socket(path);
	cr_assert_eq(rs_ctl_call(path, 1, a, out, sizeof(out), 1000), -ECONNREFUSED);
	cr_assert_eq(rs_ctl_start(&s, path, (gid_t)-1, handler, &calls), 0, "%s", rs_err_msg());
	cr_assert_eq(rs_ctl_call(path, 1, a, out, sizeof(out), 2000), 0);
	rs_ctl_stop(s);
}

Test(rs_ctl, live_socket_is_not_stolen)
{
	struct rs_ctl *s, *s2;
	int calls = 0;
	char out[256];
	char *a[] = {"ping"};

	cr_assert_eq(rs_ctl_start(&s, path, (gid_t)-1, handler, &calls), 0, "%s", rs_err_msg());
	cr_assert_eq(rs_ctl_start(&s2, path, (gid_t)-1, handler, &calls), -EADDRINUSE);
	cr_assert(strstr(rs_err_msg(), "another server is answering"), "%s", rs_err_msg());
	cr_assert_eq(rs_ctl_call(path, 1, a, out, sizeof(out), 2000), 0, "first server still answers");
	/* a regular file in the way is not removed */
	char f[200];
	snprintf(f, sizeof(f), "%s/file", dir);
	fclose(fopen(f, "w"));
	cr_assert_eq(rs_ctl_start(&s2, f, (gid_t)-1, handler, &calls), -EEXIST);
	cr_assert_eq(access(f, F_OK), 0);
	rs_ctl_stop(s);
}

Test(rs_ctl, permissions_0660_and_group)
{
	struct rs_ctl *s;
	struct stat st;
	int calls = 0;
	gid_t g = getgid() == 0 ? 1 : getgid(); /* root may give it to group 1 (daemon) */

	cr_assert_eq(rs_ctl_start(&s, path, g, handler, &calls), 0, "%s", rs_err_msg());
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0660, "mode %o", st.st_mode & 07777);
	cr_assert_eq(st.st_gid, g);
	rs_ctl_stop(s);
}

Test(rs_ctl, oversize_request_rejected)
{
	struct rs_ctl *s;
	int calls = 0;
	char out[256];
	static char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	char *a[] = {"ping", big};
	cr_assert_eq(rs_ctl_start(&s, path, (gid_t)-1, handler, &calls), 0, "%s", rs_err_msg());
	cr_assert_eq(rs_ctl_call(path, 2, a, out, sizeof(out), 2000), -EMSGSIZE);
	/* a raw client that ignores the limit gets EMSGSIZE from the server */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(write(fd, big, sizeof(big) - 1), (ssize_t)sizeof(big) - 1);
	char resp[256] = {0};
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, resp + n, sizeof(resp) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	cr_assert_str_eq(resp, "90 {\"error\":\"request longer than 4096 bytes\"}\n");
	cr_assert_eq(calls, 0, "the handler never saw it");
	rs_ctl_stop(s);
}

Test(rs_ctl, client_times_out_on_a_server_that_never_answers)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char out[64];
	char *a[] = {"status"};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0); /* never accepts, never answers */
	cr_assert_eq(rs_ctl_call(path, 1, a, out, sizeof(out), 200), -ETIMEDOUT);
	cr_assert(strstr(rs_err_msg(), "no answer within 200 ms"), "%s", rs_err_msg());
	close(fd);
}

Test(rs_ctl, default_path)
{
	char buf[256];
	setenv("RINGSIDE_RUN_DIR", "/tmp/rs-run", 1);
	rs_ctl_default_path(buf, sizeof(buf), "demo");
	cr_assert_str_eq(buf, "/tmp/rs-run/demo.sock");
	unsetenv("RINGSIDE_RUN_DIR");
	rs_ctl_default_path(buf, sizeof(buf), "demo");
	cr_assert(!strcmp(buf, "/run/ringside/demo.sock") || strstr(buf, "/demo.sock"), "%s", buf);
}
