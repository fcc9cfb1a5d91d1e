/* test_backoff.c - rs_backoff with an injected clock and a fixed seed:
 * exact delay sequences and circuit-breaker transitions. */
#include <criterion/criterion.h>
#include <string.h>

#include "controlplane/rs_backoff.h"

struct fake {
	uint64_t now;
	enum rs_backoff_event ev[64];
	unsigned nev;
};

static uint64_t fake_clock(void *arg)
{
	return ((struct fake *)arg)->now;
}

static void on_ev(void *arg, enum rs_backoff_event ev, const struct rs_backoff *b)
{
	struct fake *f = arg;
	(void)b;
	if (f->nev < 64)
		f->ev[f->nev++] = ev;
}

#define MS 1000000ull

Test(backoff, ceiling_doubles_up_to_the_cap)
{
	struct rs_backoff_cfg cfg = {.base_ns = 100 * MS, .cap_ns = 1000 * MS};
	static const uint64_t want[] = {100, 200, 400, 800, 1000, 1000, 1000};
	for (unsigned n = 1; n <= 7; n++)
		cr_expect_eq(rs_backoff_ceiling(&cfg, n), want[n - 1] * MS, "failures=%u", n);
	cr_expect_eq(rs_backoff_ceiling(&cfg, 4000000000u), 1000 * MS);
}

Test(backoff, full_jitter_sequence_is_exact_for_a_seed)
{
	/* splitmix64(seed 42) values modulo (ceiling + 1), computed
	 * independently (Python) for base 100 ms, cap 1 s */
	static const uint64_t want[] = {60701454, 177761905, 14554519, 321758199,
					440430465, 647007953, 748760217};
	struct fake f = {.now = 1000};
	struct rs_backoff b;
	struct rs_backoff_cfg cfg = {.base_ns = 100 * MS, .cap_ns = 1000 * MS, .seed = 42};

	rs_backoff_init(&b, &cfg, fake_clock, &f, on_ev, &f);
	for (unsigned i = 0; i < 7; i++) {
		uint64_t d = rs_backoff_failure(&b);
		cr_expect_eq(d, want[i], "delay %u: %lu", i, (unsigned long)d);
		cr_expect_leq(d, rs_backoff_ceiling(&cfg, i + 1));
		uint64_t wait = 0;
		cr_expect_eq(rs_backoff_ready(&b, &wait), d == 0);
		cr_expect_eq(wait, d);
		f.now += d;
		cr_expect(rs_backoff_ready(&b, &wait));
	}
	cr_expect_eq(b.state, RS_BACKOFF_CLOSED, "open_after 0 never opens");
	cr_expect_eq(f.nev, 7);
	for (unsigned i = 0; i < f.nev; i++)
		cr_expect_eq(f.ev[i], RS_BACKOFF_EV_CONNECTION_FAILED);
}

Test(backoff, raw_generator_matches_splitmix64)
{
	struct rs_backoff b;
	struct rs_backoff_cfg cfg = {.seed = 42};
	rs_backoff_init(&b, &cfg, NULL, NULL, NULL, NULL);
	cr_expect_eq(rs_backoff_jitter(&b, UINT64_MAX), 0xbdd732262feb6e95ull);
	cr_expect_eq(rs_backoff_jitter(&b, UINT64_MAX), 0x28efe333b266f103ull);
	cr_expect_eq(rs_backoff_jitter(&b, UINT64_MAX), 0x47526757130f9f52ull);
	cr_expect_eq(rs_backoff_jitter(&b, 0), 0);
}

Test(backoff, circuit_opens_probes_and_closes)
{
	struct fake f = {.now = 5000};
	struct rs_backoff b;
	struct rs_backoff_cfg cfg = {.base_ns = 10 * MS, .cap_ns = 40 * MS, .open_after = 3,
				     .cooldown_ns = 1000 * MS, .seed = 7};
	uint64_t wait;

	rs_backoff_init(&b, &cfg, fake_clock, &f, on_ev, &f);
	cr_assert(rs_backoff_ready(&b, &wait));
	rs_backoff_failure(&b);
	f.now += 40 * MS;
	rs_backoff_failure(&b);
	f.now += 40 * MS;
	cr_expect_eq(b.state, RS_BACKOFF_CLOSED);
	uint64_t d = rs_backoff_failure(&b); /* third: opens */
	cr_expect_eq(d, 1000 * MS);
	cr_expect_eq(b.state, RS_BACKOFF_OPEN);
	cr_expect_eq(f.nev, 4);
	cr_expect_eq(f.ev[2], RS_BACKOFF_EV_CONNECTION_FAILED);
	cr_expect_eq(f.ev[3], RS_BACKOFF_EV_CIRCUIT_OPEN);

	/* open: nothing until the cool-down has elapsed */
	f.now += 999 * MS;
	cr_expect_not(rs_backoff_ready(&b, &wait));
	cr_expect_eq(wait, 1 * MS);
	f.now += 1 * MS;
	cr_expect(rs_backoff_ready(&b, &wait));
	cr_expect_eq(b.state, RS_BACKOFF_HALF_OPEN);
	cr_expect_eq(b.probes_total, 1);

	/* the probe fails: open again for a full cool-down */
	d = rs_backoff_failure(&b);
	cr_expect_eq(d, 1000 * MS);
	cr_expect_eq(b.state, RS_BACKOFF_OPEN);
	cr_expect_eq(f.nev, 6);
	cr_expect_eq(f.ev[4], RS_BACKOFF_EV_CONNECTION_FAILED);
	cr_expect_eq(f.ev[5], RS_BACKOFF_EV_CIRCUIT_OPEN);
	cr_expect_not(rs_backoff_ready(&b, &wait));

	/* second probe succeeds: closed, restored */
	f.now += 1000 * MS;
	cr_expect(rs_backoff_ready(&b, &wait));
	cr_expect_eq(b.state, RS_BACKOFF_HALF_OPEN);
	rs_backoff_success(&b);
	cr_expect_eq(b.state, RS_BACKOFF_CLOSED);
	cr_expect_eq(f.nev, 8);
	cr_expect_eq(f.ev[6], RS_BACKOFF_EV_CIRCUIT_CLOSED);
	cr_expect_eq(f.ev[7], RS_BACKOFF_EV_CONNECTION_RESTORED);
	cr_expect_eq(b.failures_total, 4);
	cr_expect_eq(b.circuit_open_total, 2);
	cr_expect_eq(b.circuit_closed_total, 1);
	cr_expect_eq(b.restored_total, 1);
	cr_expect_eq(b.probes_total, 2);
	cr_expect_eq(b.consecutive_failures, 0);
	cr_expect(rs_backoff_ready(&b, &wait));

	/* after closing, the streak starts again from the base */
	rs_backoff_failure(&b);
	cr_expect_eq(b.state, RS_BACKOFF_CLOSED);
	cr_expect_leq(b.last_delay_ns, 10 * MS);
}

Test(backoff, success_without_failure_emits_nothing)
{
	struct fake f = {0};
	struct rs_backoff b;
	rs_backoff_init(&b, NULL, fake_clock, &f, on_ev, &f);
	rs_backoff_success(&b);
	rs_backoff_success(&b);
	cr_expect_eq(f.nev, 0);
	cr_expect_eq(b.successes_total, 2);
	cr_expect_eq(b.cfg.base_ns, 100 * MS);
	cr_expect_eq(b.cfg.cap_ns, 30000 * MS);

	/* one failure then success: restored without circuit events */
	rs_backoff_failure(&b);
	rs_backoff_success(&b);
	cr_expect_eq(f.nev, 2);
	cr_expect_eq(f.ev[0], RS_BACKOFF_EV_CONNECTION_FAILED);
	cr_expect_eq(f.ev[1], RS_BACKOFF_EV_CONNECTION_RESTORED);
	cr_expect_str_eq(rs_backoff_event_name(RS_BACKOFF_EV_CIRCUIT_OPEN), "circuit_open");
	cr_expect_str_eq(rs_backoff_state_name(RS_BACKOFF_HALF_OPEN), "half_open");
}
