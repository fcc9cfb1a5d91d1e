/* rs_backoff.c - exponential backoff with full jitter + circuit breaker
 * (see rs_backoff.h). Pure logic: time from the injected clock. */
#include "rs_backoff.h"

#include <string.h>
#include <time.h>

#define DEF_BASE_NS     100000000ull   /* 100 ms */
#define DEF_CAP_NS      30000000000ull /* 30 s */
#define DEF_COOLDOWN_NS 30000000000ull /* 30 s */
#define DEF_SEED        0x5eed5eed5eed5eedull

uint64_t rs_backoff_now_ns(void *unused)
{
	struct timespec ts;
	(void)unused;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rs_backoff_init(struct rs_backoff *b, const struct rs_backoff_cfg *cfg,
		     rs_backoff_clock_fn clock, void *clock_arg,
		     rs_backoff_event_fn on_event, void *event_arg)
{
	memset(b, 0, sizeof(*b));
	if (cfg)
		b->cfg = *cfg;
	if (!b->cfg.base_ns)
		b->cfg.base_ns = DEF_BASE_NS;
	if (!b->cfg.cap_ns)
		b->cfg.cap_ns = DEF_CAP_NS;
	if (b->cfg.cap_ns < b->cfg.base_ns)
		b->cfg.cap_ns = b->cfg.base_ns;
	if (!b->cfg.cooldown_ns)
		b->cfg.cooldown_ns = DEF_COOLDOWN_NS;
	if (!b->cfg.seed)
		b->cfg.seed = DEF_SEED;
	b->rng = b->cfg.seed;
	b->state = RS_BACKOFF_CLOSED;
	b->clock = clock ? clock : rs_backoff_now_ns;
	b->clock_arg = clock_arg;
	b->on_event = on_event;
	b->event_arg = event_arg;
}

static void emit(struct rs_backoff *b, enum rs_backoff_event ev)
{
	if (b->on_event)
		b->on_event(b->event_arg, ev, b);
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, seedable, good enough for
 * jitter and exactly reproducible in tests. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rs_backoff_jitter(struct rs_backoff *b, uint64_t ceiling)
{
	uint64_t x = splitmix64(&b->rng);
	/* modulo bias is < ceiling/2^64: irrelevant for delays */
	return ceiling == UINT64_MAX ? x : x % (ceiling + 1);
}

uint64_t rs_backoff_ceiling(const struct rs_backoff_cfg *cfg, uint32_t failures)
{
	uint64_t c = cfg->base_ns;
	for (uint32_t i = 1; i < failures && c < cfg->cap_ns; i++)
		c = c > cfg->cap_ns / 2 ? cfg->cap_ns : c * 2;
	return c < cfg->cap_ns ? c : cfg->cap_ns;
}

bool rs_backoff_ready(struct rs_backoff *b, uint64_t *wait_ns)
{
	uint64_t now = b->clock(b->clock_arg);

	if (now < b->next_attempt_ns) {
		if (wait_ns)
			*wait_ns = b->next_attempt_ns - now;
		return false;
	}
	if (b->state == RS_BACKOFF_OPEN) {
		b->state = RS_BACKOFF_HALF_OPEN;
		b->probes_total++;
	}
	if (wait_ns)
		*wait_ns = 0;
	return true;
}

uint64_t rs_backoff_failure(struct rs_backoff *b)
{
	uint64_t now = b->clock(b->clock_arg), delay;
	bool open = false;

	b->failures_total++;
	if (b->consecutive_failures < UINT32_MAX)
		b->consecutive_failures++;
	emit(b, RS_BACKOFF_EV_CONNECTION_FAILED);

	if (b->state == RS_BACKOFF_HALF_OPEN || b->state == RS_BACKOFF_OPEN)
		open = true; /* the probe failed: open again */
	else if (b->cfg.open_after && b->consecutive_failures >= b->cfg.open_after)
		open = true;

	if (open) {
		b->state = RS_BACKOFF_OPEN;
		b->circuit_open_total++;
		delay = b->cfg.cooldown_ns;
		b->next_attempt_ns = now + delay;
		b->last_delay_ns = delay;
		emit(b, RS_BACKOFF_EV_CIRCUIT_OPEN);
		return delay;
	}
	delay = rs_backoff_jitter(b, rs_backoff_ceiling(&b->cfg, b->consecutive_failures));
	b->next_attempt_ns = now + delay;
	b->last_delay_ns = delay;
	return delay;
}

void rs_backoff_success(struct rs_backoff *b)
{
	bool was_failing = b->consecutive_failures > 0;
	bool was_open = b->state != RS_BACKOFF_CLOSED;

	b->successes_total++;
	b->consecutive_failures = 0;
	b->next_attempt_ns = 0;
	b->state = RS_BACKOFF_CLOSED;
	if (was_open) {
		b->circuit_closed_total++;
		emit(b, RS_BACKOFF_EV_CIRCUIT_CLOSED);
	}
	if (was_failing) {
		b->restored_total++;
		emit(b, RS_BACKOFF_EV_CONNECTION_RESTORED);
	}
}

const char *rs_backoff_event_name(enum rs_backoff_event ev)
{
	switch (ev) {
	case RS_BACKOFF_EV_CONNECTION_FAILED: return "connection_failed";
	case RS_BACKOFF_EV_CONNECTION_RESTORED: return "connection_restored";
	case RS_BACKOFF_EV_CIRCUIT_OPEN: return "circuit_open";
	case RS_BACKOFF_EV_CIRCUIT_CLOSED: return "circuit_closed";
	}
	return "?";
}

const char *rs_backoff_state_name(enum rs_backoff_state st)
{
	switch (st) {
	case RS_BACKOFF_CLOSED: return "closed";
	case RS_BACKOFF_OPEN: return "open";
	case RS_BACKOFF_HALF_OPEN: return "half_open";
	}
	return "?";
}
