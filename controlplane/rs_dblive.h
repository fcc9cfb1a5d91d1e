/*
 * rs_dblive.h - Databento Raw API (live) client (COLD, session thread).
 *
 * One client = one gateway session that survives disconnects:
 *
 *   connect (drivers/rs_drv_tcp) -> "lsg_version=..." greeting ->
 *   "cram=<challenge>" -> auth request
 *      auth=<sha256hex(cram|key)>-<last 5 chars of key>|dataset=..|
 *      encoding=dbn|compression=none|ts_out=0|client=..|heartbeat_interval_s=N
 *   -> "success=1|session_id=.." (or "success=0|error=..") ->
 *   subscription(s) "schema=..|stype_in=..|symbols=..|snapshot=0|is_last=1
 *   [|start=<ns>]" (symbols in chunks of 500) -> "start_session" ->
 *   DBN stream: metadata, then records; SystemMsg heartbeats when idle.
 *
 * Reliability:
 *  - No byte for heartbeat_timeout (default heartbeat_interval + 5 s): the
 *    connection is dropped and re-established.
 *  - Every failed attempt (connect, greeting, auth timeout, protocol
 *    error, EOF) goes through rs_backoff: exponential backoff with full
 *    jitter and a circuit breaker. Events connection_failed,
 *    connection_restored, circuit_open, circuit_closed are logged (channel
 *    "rs.dblive") and counted.
 *  - After a reconnect the client resubscribes with intraday replay from
 *    the last ts_event delivered (ts_recv for the bbo-/cbbo- schemas, which
 *    Databento filters on ts_recv) and drops the duplicates at the seam:
 *    records with ts_event < last, and records with ts_event == last whose
 *    bytes were already delivered (a multiset of record hashes at the last
 *    timestamp). The consumer sees every record exactly once; see the
 *    README for the one case the protocol cannot recover.
 *  - Slow reader: records are decoded from a bounded receive buffer; the
 *    consumer may return RS_DBLIVE_BUSY to hold a record, and the client
 *    then stops reading the socket (TCP pushes back on the gateway) and
 *    retries the same record shortly after. Counted, never buffered.
 *
 * The API key comes from a key file (regular file owned by the user, mode
 * 0600 or 0400, else rejected) or an environment variable
 * (DATABENTO_API_KEY by default). It never appears in logs or error
 * messages and is wiped (OPENSSL_cleanse) on destroy and after each use in
 * a hash input.
 *
 * Threading: rs_dblive_run() blocks on the calling thread. rs_dblive_stop()
 * may be called from any thread or from a callback. Counters may be read
 * with rs_dblive_stats() from the running thread (callbacks) or after run.
 */
#ifndef RS_DBLIVE_H
#define RS_DBLIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside.h"
#include "rs_backoff.h"

#define RS_DBLIVE_DEFAULT_KEY_ENV "DATABENTO_API_KEY"
#define RS_DBLIVE_KEY_MAX 256
#define RS_DBLIVE_BUSY 1 /* on_record: hold this record, retry later */

struct rs_dblive;

enum rs_dblive_event {
	RS_DBLIVE_EV_CONNECTED = 0,       /* TCP connected */
	RS_DBLIVE_EV_AUTHENTICATED,       /* detail: session id */
	RS_DBLIVE_EV_SESSION_STARTED,     /* metadata received */
	RS_DBLIVE_EV_CONNECTION_FAILED,   /* detail: reason */
	RS_DBLIVE_EV_CONNECTION_RESTORED,
	RS_DBLIVE_EV_CIRCUIT_OPEN,
	RS_DBLIVE_EV_CIRCUIT_CLOSED,
	RS_DBLIVE_EV_HEARTBEAT_TIMEOUT,
	RS_DBLIVE_EV_GATEWAY_ERROR,       /* ErrorMsg record; detail: its text */
	RS_DBLIVE_EV_SYSTEM,              /* non-heartbeat SystemMsg; detail: text */
	RS_DBLIVE_EV__COUNT,
};

enum rs_dblive_log_level { RS_DBLIVE_LOG_ERROR = 1, RS_DBLIVE_LOG_WARN, RS_DBLIVE_LOG_INFO,
			   RS_DBLIVE_LOG_DEBUG };

/* Log sink: `msg` is one line without newline, borrowed for the call. */
typedef void (*rs_dblive_log_fn)(void *arg, enum rs_dblive_log_level lvl, const char *msg);

struct rs_dblive_cfg {
	const char *gateway;          /* "host:port" or "[v6]:port"; required */
	const char *dataset;          /* e.g. "GLBX.MDP3"; required */
	const char *schema;           /* e.g. "mbo"; required */
	const char *stype_in;         /* default "raw_symbol" */
	const char *symbols;          /* comma separated; required ("ALL_SYMBOLS" allowed) */
	bool has_start;               /* first subscription replays from start_ns */
	uint64_t start_ns;
	uint32_t heartbeat_interval_s;/* requested from the gateway (Databento: 5-1800); 0 = default (30) */
	uint32_t heartbeat_timeout_ms;/* 0 = (interval or 30 s) + 5 s */
	uint32_t connect_timeout_ms;  /* TCP connect; default 5000 */
	uint32_t auth_timeout_ms;     /* greeting, challenge, auth reply; default 10000 */
	const char *key_file;         /* if set, the key is read from this file */
	const char *key_env;          /* else from this variable; default DATABENTO_API_KEY */
	const char *client_name;      /* "client=" value; default "ringside/<version>" */
	size_t rx_buf_bytes;          /* bounded receive buffer; default 1 MiB (>= 4 KiB) */
	uint32_t seam_max_records;    /* max records remembered at the last ts; default 1M */
	bool retry_auth_failure;      /* default false: a rejected key ends run() with -EACCES */
	uint32_t max_run_ms;          /* run() returns 0 after this long; 0 = until stopped */
	struct rs_backoff_cfg backoff;/* zero = defaults (100 ms base, 30 s cap, K=5, 30 s) */
	rs_backoff_clock_fn clock;    /* backoff clock; NULL = monotonic (tests inject) */
	void *clock_arg;
	rs_dblive_log_fn log;         /* NULL = stderr "rs.dblive <level>: msg" */
	void *log_arg;
	int log_level;                /* max level passed to log; 0 = RS_DBLIVE_LOG_INFO */
};

/* Consumer callbacks; all pointers are borrowed, valid only during the
 * call. Any callback may call rs_dblive_stop(). */
struct rs_dblive_handler {
	/* Once per session, with the raw DBN metadata (prelude included). */
	void (*on_metadata)(void *arg, const uint8_t *meta, size_t len, uint8_t version);
	/* Every record except heartbeats, exactly once across reconnects;
	 * `len` = hd.length * 4. Return 0 (consumed), RS_DBLIVE_BUSY (retry
	 * the same record later; backpressure) or < 0 (stop run()). */
	int (*on_record)(void *arg, const struct rs_rec_hdr *rec, size_t len);
	/* Session events; detail may be NULL. */
	void (*on_event)(void *arg, enum rs_dblive_event ev, const char *detail);
	void *arg;
};

struct rs_dblive_stats {
	uint64_t connect_attempts_total;
	uint64_t sessions_total;            /* sessions that reached the DBN stream */
	uint64_t reconnects_total;          /* sessions after the first */
	uint64_t connection_failed_total;
	uint64_t connection_restored_total;
	uint64_t circuit_open_total;
	uint64_t circuit_closed_total;
	uint64_t auth_rejected_total;
	uint64_t timeouts_total;            /* connect/greeting/auth timeouts */
	uint64_t heartbeat_timeouts_total;
	uint64_t protocol_errors_total;     /* bad greeting/metadata/record framing */
	uint64_t disconnects_total;         /* gateway closed the connection */
	uint64_t heartbeats_total;
	uint64_t gateway_errors_total;      /* ErrorMsg records */
	uint64_t records_total;             /* delivered to on_record */
	uint64_t record_bytes_total;
	uint64_t duplicates_dropped_total;  /* seam duplicates not delivered */
	uint64_t skipped_records_total;     /* unknown rtype / too short for its rtype */
	uint64_t seam_overflow_total;       /* records at the last ts beyond seam_max_records */
	uint64_t backpressure_total;        /* on_record returned RS_DBLIVE_BUSY */
	uint64_t rx_full_total;             /* receive buffer full when the socket was read */
	uint64_t rx_bytes_total;
	uint64_t last_ts_event;             /* ts_event of the last delivered data record
					       (ts_recv for bbo-/cbbo- schemas) */
	uint64_t events_total[RS_DBLIVE_EV__COUNT];
};

/* Validate cfg, load the API key and allocate the client. On failure
 * returns -EINVAL (bad config), -ENOKEY (no key), -EPERM (key file with
 * bad owner/permissions), -ENOENT/-EACCES (key file unreadable) or
 * -ENOMEM, *out = NULL, and `err` (if not NULL) receives a message (never
 * the key), also set as the thread's rs_err message. cfg strings are
 * copied; h is copied. */
int rs_dblive_create(struct rs_dblive **out, const struct rs_dblive_cfg *cfg,
		     const struct rs_dblive_handler *h, char *err, size_t errlen);

/* Wipe the key and free everything. NULL is fine. */
void rs_dblive_destroy(struct rs_dblive *c);

/* Run sessions until rs_dblive_stop(), a callback returns < 0, max_run_ms,
 * or a fatal error. Returns 0 when stopped, the callback's negative value,
 * -EACCES (authentication rejected and retry_auth_failure false) or
 * -EINVAL. rs_dblive_errmsg() then describes the last failure (a fatal
 * one is also the thread's rs_err message). */
int rs_dblive_run(struct rs_dblive *c);

/* Ask run() to return soon (async-signal- and thread-safe). */
void rs_dblive_stop(struct rs_dblive *c);

/* Last error message (never contains the key). */
const char *rs_dblive_errmsg(const struct rs_dblive *c);

void rs_dblive_stats(const struct rs_dblive *c, struct rs_dblive_stats *out);

/* The breaker/backoff state (read-only). */
const struct rs_backoff *rs_dblive_backoff(const struct rs_dblive *c);

const char *rs_dblive_event_name(enum rs_dblive_event ev);

/* Load an API key (file if key_file, else env var env or the default) into
 * key[keylen]. Returns the key length or -ENOKEY/-EPERM/-ENOENT/-EACCES/
 * -EINVAL with a message in err (never the key). */
int rs_dblive_load_key(char *key, size_t keylen, const char *key_file, const char *env,
		       char *err, size_t errlen);

/* Hex SHA-256 of "<cram>|<key>" into out[65] (EVP_Digest); 0 or -EIO. */
int rs_dblive_cram_response(const char *cram, const char *key, char out[65]);

/* Parse "2023-12-25T22:00:00[.nnnnnnnnn][Z]", "2023-12-25" or integer ns
 * into ns since the epoch (UTC). Returns 0 or -EINVAL. */
int rs_dblive_parse_time(const char *s, uint64_t *ns);

#endif
