/*
 * rs_ctl.h - the daemon's unix-socket control protocol (COLD: control
 * plane threads only, never the dataplane).
 *
 * Wire format: one request line, one response, then the server closes.
 *   request:  "<command>[ <arg>...]\n"       (UTF-8, <= 4096 bytes)
 *   response: "<status> <json>\n"           status 0 = ok, else errno value;
 *                                           json is one JSON object (on error
 *                                           {"error":"message"})
 * Commands the daemon answers: "ping", "status", "feeds", "reconnect FEED",
 * "reload", "stop", "version". The socket is created with mode 0660 and
 * the configured group (control.socket_group), so group members may
 * operate the appliance; anyone else gets EACCES from connect(2).
 */
#ifndef RS_CTL_H
#define RS_CTL_H

#include <stddef.h>
#include <sys/types.h>

struct rs_ctl;

/* Handle one request: argv[0] is the command. Write one JSON object into
 * out (capacity outlen, NUL-terminated) and return 0, or a positive errno
 * value with {"error":"..."} in out. Runs on the control thread. */
typedef int (*rs_ctl_handler)(void *ctx, int argc, char **argv, char *out, size_t outlen);

/* Bind path (unlinking a stale socket whose owner is gone; -EADDRINUSE when
 * a live server answers), chmod 0660, chgrp gid ((gid_t)-1 = unchanged),
 * and serve requests on a thread of its own until rs_ctl_stop(). */
int rs_ctl_start(struct rs_ctl **out, const char *path, gid_t gid, rs_ctl_handler fn, void *ctx);
void rs_ctl_stop(struct rs_ctl *c);

/* Client: send one request (args joined by spaces), wait up to timeout_ms
 * for the answer. Returns the status (0 ok, positive errno from the
 * server) with the JSON in out, or a negative errno when the daemon could
 * not be reached (-ENOENT no socket, -ECONNREFUSED dead, -ETIMEDOUT). */
int rs_ctl_call(const char *path, int argc, char **argv, char *out, size_t outlen, int timeout_ms);

/* Default socket path of an instance: $RINGSIDE_RUN_DIR, else
 * /run/ringside when writable, else $XDG_RUNTIME_DIR or /tmp; then
 * "/<instance>.sock". */
void rs_ctl_default_path(char *buf, size_t len, const char *instance);

#endif
