/*
 * rs_test_gateway.h - a Databento Raw API gateway for tests (loopback).
 *
 * Written from the public protocol description: greeting
 * "lsg_version=...", challenge "cram=...", auth request checked against
 * sha256hex("<cram>|<key>") + "-" + the key's last 5 characters, reply
 * "success=1|session_id=N" or "success=0|error=...", subscription lines
 * until "start_session", then a DBN stream: the metadata and records of a
 * real DBN file (records with ts_event >= the subscription's start= when
 * one is given), then SystemMsg heartbeats while idle.
 *
 * Each accepted connection follows one step of a script (connection i uses
 * script[min(i, nscript-1)]), so a test scripts drops, silence, garbage and
 * mute gateways deterministically. One connection at a time, served on the
 * gateway's own thread; everything it saw is recorded per connection.
 */
#ifndef RS_TEST_GATEWAY_H
#define RS_TEST_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rs_test_gateway_mode {
	RS_TGW_NORMAL = 0,      /* everything, then heartbeats until the client leaves */
	RS_TGW_DROP,            /* close after `arg` records plus half of the next one */
	RS_TGW_SILENT,          /* after `arg` records send nothing (no heartbeats) */
	RS_TGW_GARBAGE_GREETING,/* a binary line instead of the greeting */
	RS_TGW_GARBAGE_STREAM,  /* after `arg` records, bytes that are not a record */
	RS_TGW_MUTE,            /* accept, never send a byte */
	RS_TGW_EXTRAS,          /* NORMAL, but first a SystemMsg (not a heartbeat), an
				   ErrorMsg and a record of an unknown rtype */
};

struct rs_test_gateway_step {
	enum rs_test_gateway_mode mode;
	uint64_t arg;
};

#define RS_TGW_MAX_STEPS 8
#define RS_TGW_MAX_CONNS 64
#define RS_TGW_MAX_SUBS 4

struct rs_test_gateway_cfg {
	const char *key;                /* the accepted API key */
	const uint8_t *dbn;             /* an uncompressed DBN file: metadata + records */
	size_t dbn_len;
	struct rs_test_gateway_step script[RS_TGW_MAX_STEPS];
	unsigned nscript;               /* 0 = always NORMAL */
	unsigned heartbeat_ms;          /* idle heartbeat period; default 50 */
};

/* What the gateway saw on one connection. */
struct rs_test_gateway_conn {
	char auth[1024];                /* the auth request line */
	bool auth_ok;
	char subs[RS_TGW_MAX_SUBS][8192];
	unsigned nsubs;
	bool started;                   /* start_session received */
	bool has_start;                 /* subscription carried start= */
	uint64_t start;
	uint64_t records_sent;          /* complete records sent */
	uint64_t heartbeats_sent;
	bool done;                      /* connection finished */
};

struct rs_test_gateway;

/* Listen on 127.0.0.1 (ephemeral port) and serve on a new thread.
 * cfg->dbn is borrowed and must outlive the gateway. 0 or -errno. */
int rs_test_gateway_start(struct rs_test_gateway **out, const struct rs_test_gateway_cfg *cfg);

/* Stop the thread, close everything, free. */
void rs_test_gateway_stop(struct rs_test_gateway *gw);

uint16_t rs_test_gateway_port(const struct rs_test_gateway *gw);

/* Close (down=true) or reopen the listening socket on the same port; returns
 * once the gateway thread has done it. Down = connections are refused. */
int rs_test_gateway_set_down(struct rs_test_gateway *gw, bool down);

/* Connections accepted so far. */
unsigned rs_test_gateway_connections(struct rs_test_gateway *gw);

/* Copy what connection i saw; false when there is no such connection. */
bool rs_test_gateway_conn(struct rs_test_gateway *gw, unsigned i, struct rs_test_gateway_conn *out);

#endif
