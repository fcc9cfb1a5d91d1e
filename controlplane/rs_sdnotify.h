/*
 * rs_sdnotify.h - systemd readiness protocol by hand (COLD): one datagram
 * with "KEY=value" lines to $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace). No libsystemd dependency.
 */
#ifndef RS_SDNOTIFY_H
#define RS_SDNOTIFY_H

/* Send state (e.g. "READY=1\nSTATUS=up"). Returns 1 sent, 0 when not run
 * under systemd (no NOTIFY_SOCKET), or -errno. */
int rs_sdnotify(const char *state);

#endif
