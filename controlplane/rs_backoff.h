/*
 * rs_backoff.h - reconnection policy: exponential backoff with full jitter
 * and a cap, and a circuit breaker (COLD, pure logic).
 *
 * Backoff: after the n-th consecutive failure (n = 1, 2, ...) the next
 * attempt waits a uniformly random delay in [0, min(cap, base * 2^(n-1))]
 * ("full jitter"), drawn from a seeded splitmix64 generator, so a test with
 * a fixed seed sees an exact sequence.
 *
 * Circuit breaker:
 *
 *            K consecutive failures              cool-down elapsed
 *   CLOSED ------------------------> OPEN ----------------------> HALF_OPEN
 *     ^  ^                            ^                             |  |
 *     |  +---- success (any state) ---+-----------------------------+  |
 *     |                               +------ probe fails -------------+
 *
 * While OPEN no attempt is allowed until the cool-down has elapsed; then
 * exactly one probe (HALF_OPEN) decides: success closes the circuit, failure
 * opens it again for another cool-down.
 *
 * Events (through the callback, in this order when several happen at once):
 * CONNECTION_FAILED on every failure; CIRCUIT_OPEN when the breaker opens;
 * CIRCUIT_CLOSED when a success closes an open/half-open breaker;
 * CONNECTION_RESTORED on the first success after one or more failures.
 *
 * Time comes from an injectable clock (ns, monotonic); nothing here sleeps,
 * allocates or logs. Not thread-safe: one session thread owns it.
 */
#ifndef RS_BACKOFF_H
#define RS_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct rs_backoff;

enum rs_backoff_event {
	RS_BACKOFF_EV_CONNECTION_FAILED = 0,
	RS_BACKOFF_EV_CONNECTION_RESTORED,
	RS_BACKOFF_EV_CIRCUIT_OPEN,
	RS_BACKOFF_EV_CIRCUIT_CLOSED,
};

enum rs_backoff_state {
	RS_BACKOFF_CLOSED = 0,
	RS_BACKOFF_OPEN,
	RS_BACKOFF_HALF_OPEN,
};

/* Monotonic time in ns. */
typedef uint64_t (*rs_backoff_clock_fn)(void *arg);
/* Called synchronously from rs_backoff_failure/success/ready. */
typedef void (*rs_backoff_event_fn)(void *arg, enum rs_backoff_event ev,
				    const struct rs_backoff *b);

struct rs_backoff_cfg {
	uint64_t base_ns;      /* ceiling of the first delay; default 100 ms */
	uint64_t cap_ns;       /* ceiling never exceeds this; default 30 s */
	uint32_t open_after;   /* K consecutive failures open the circuit; 0 = never */
	uint64_t cooldown_ns;  /* OPEN -> HALF_OPEN after this; default 30 s */
	uint64_t seed;         /* RNG seed; 0 = a fixed default */
};

struct rs_backoff {
	struct rs_backoff_cfg cfg;
	enum rs_backoff_state state;
	uint32_t consecutive_failures;
	uint64_t rng;
	uint64_t next_attempt_ns;     /* no attempt before this (absolute clock) */
	uint64_t last_delay_ns;       /* the delay chosen by the last failure */
	rs_backoff_clock_fn clock;
	void *clock_arg;
	rs_backoff_event_fn on_event;
	void *event_arg;
	/* counters */
	uint64_t failures_total;
	uint64_t successes_total;
	uint64_t restored_total;
	uint64_t circuit_open_total;
	uint64_t circuit_closed_total;
	uint64_t probes_total;        /* half-open attempts */
};

/* Initialize (caller-provided memory). cfg may be NULL (defaults); zero
 * fields take their defaults except open_after (0 = breaker disabled).
 * clock NULL = CLOCK_MONOTONIC; on_event may be NULL. */
void rs_backoff_init(struct rs_backoff *b, const struct rs_backoff_cfg *cfg,
		     rs_backoff_clock_fn clock, void *clock_arg,
		     rs_backoff_event_fn on_event, void *event_arg);

/* May an attempt start now? Returns true (an OPEN breaker whose cool-down
 * has elapsed becomes HALF_OPEN: this attempt is the probe). Otherwise
 * returns false and sets *wait_ns (if not NULL) to the time left. */
bool rs_backoff_ready(struct rs_backoff *b, uint64_t *wait_ns);

/* Record a failed attempt; returns the delay before the next attempt may
 * start (the jittered backoff, or the cool-down when the breaker opens). */
uint64_t rs_backoff_failure(struct rs_backoff *b);

/* Record a successful attempt: resets the failure streak and closes the
 * breaker. */
void rs_backoff_success(struct rs_backoff *b);

/* Draw the next jitter value in [0, ceiling] (exposed for tests). */
uint64_t rs_backoff_jitter(struct rs_backoff *b, uint64_t ceiling);

/* Ceiling of the delay after `failures` consecutive failures (>= 1). */
uint64_t rs_backoff_ceiling(const struct rs_backoff_cfg *cfg, uint32_t failures);

const char *rs_backoff_event_name(enum rs_backoff_event ev);
const char *rs_backoff_state_name(enum rs_backoff_state st);

/* Monotonic clock in ns (the default clock). */
uint64_t rs_backoff_now_ns(void *unused);

#endif
