/*
 * rs_daemon.h - the appliance daemon (ringsided) as a library: set-up of
 * the instance's shared memory, drivers, rx/handler threads and the
 * recovery thread from a struct rs_config; the control loop (signals,
 * heartbeat, systemd notify); orderly shutdown (COLD: control thread).
 *
 *   rs_daemon_create()  segments (new generation), book, drivers, threads
 *   rs_daemon_run()     blocks: SIGTERM/SIGINT -> drain and stop, SIGHUP ->
 *                       reload the reloadable keys from the config file
 *   rs_daemon_destroy() segments marked closed (or removed), everything freed
 *
 * Threads: inline mode = one dataplane thread (rx + handler, cfg rx[0]);
 * pipeline mode = an rx thread (rx[0]) and one handler thread
 * (handlers[0]) linked by an SPSC ring; a recovery thread and the control
 * (unix socket) and HTTP threads on control_cpu.
 */
#ifndef RS_DAEMON_H
#define RS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/rs_config.h"
#include "dataplane/rs_handler.h"

struct rs_daemon;

struct rs_daemon_opts {
	const char *config_path;  /* for SIGHUP reload; NULL = embedded (no reload source) */
	bool remove_on_exit;      /* unlink the segments at exit (demo); default: mark closed */
	bool no_ctl;              /* do not start the control socket / HTTP server */
	bool quiet;
};

/* Build everything and start the dataplane threads. 0 or -errno with the
 * cause in rs_err_msg(). */
int rs_daemon_create(struct rs_daemon **out, const struct rs_config *cfg,
		     const struct rs_daemon_opts *opts);

/* Add a handler-stage hook (analytics, IFD...) before rs_daemon_create()
 * starts the threads: hooks registered here are installed by the next
 * create. Up to RS_HANDLER_MAX_HOOKS. */
int rs_daemon_register_hook(const struct rs_handler_hook *hook);

/* Control loop until a stop request; returns 0 (clean) or -errno. Blocks
 * SIGTERM, SIGINT and SIGHUP in the calling thread and waits for them. */
int rs_daemon_run(struct rs_daemon *d);

/* Ask rs_daemon_run() to return (any thread, async-signal-safe). */
void rs_daemon_stop(struct rs_daemon *d);
/* Close and reopen every line of feed `feed` (sockets, multicast joins,
 * XDP sockets, DPDK ports) while the rx thread is paused; arbitration and
 * sequence state are kept, so anything missed meanwhile is a gap that
 * recovery fills. Control thread. 0, -ENOENT (no such feed), -ETIMEDOUT
 * (rx thread did not pause) or the driver's error. */
int rs_daemon_reconnect(struct rs_daemon *d, const char *feed);

/* Reload the reloadable keys from opts.config_path (control thread).
 * Returns the number of keys changed or -errno (-EPERM: a key that needs a
 * restart changed; nothing applied). */
int rs_daemon_reload(struct rs_daemon *d);

/* Drain the dataplane, stop every thread, close (or remove) the segments. */
void rs_daemon_destroy(struct rs_daemon *d);

/* JSON views for the control socket / CLI (snprintf semantics). */
int rs_daemon_status_json(struct rs_daemon *d, char *out, size_t len);
int rs_daemon_feeds_json(struct rs_daemon *d, char *out, size_t len);

const struct rs_config *rs_daemon_config(const struct rs_daemon *d);
uint32_t rs_daemon_generation(const struct rs_daemon *d);

/* Ask the control loop to reload (any thread); the result is logged. */
void rs_daemon_request_reload(struct rs_daemon *d);

/* Control socket ("ping", "status", "feeds", "reconnect FEED", "reload",
 * "stop", "version") and HTTP /health, /metrics: controlplane/rs_daemon_ctl.c,
 * the only file that calls rs_ctl / rs_http / rs_metrics. Stop it before
 * rs_daemon_destroy(). */
struct rs_daemon_ctl;
int rs_daemon_ctl_start(struct rs_daemon *d, struct rs_daemon_ctl **out);
void rs_daemon_ctl_stop(struct rs_daemon_ctl *c);

#endif /* RS_DAEMON_H */
