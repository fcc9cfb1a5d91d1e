/*
 * fuzz_arb.c - libFuzzer target for dataplane/rs_arb: the input is a
 * sequence of datagrams on lines A, B and the recovery link, each
 * [line (1) | time step (1) | len (2, LE) | payload], the payload usually a
 * MoldUDP64 packet (any bytes are allowed). Checked after every call:
 * delivery is strictly sequential within a session, per line messages =
 * delivered + duplicates once nothing is held, no crash / out-of-bounds
 * read (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_arb.h"

static uint64_t expect, sessions_seen;
static int jump_ok; /* a gap was skipped: the next delivery may jump ahead */
static struct rs_arb *A;

static void on_deliver(void *ctx, const uint8_t *msg, uint32_t len, uint64_t seq, uint32_t line,
		       uint32_t flags, uint64_t ts)
{
	(void)ctx; (void)flags; (void)ts; (void)line;
	volatile uint8_t sink = 0;
	for (uint32_t i = 0; i < len; i++) /* every byte must be readable */
		sink ^= msg[i];
	(void)sink;
	if (expect && seq != expect && !(jump_ok && seq > expect))
		abort();
	jump_ok = 0;
	expect = seq + 1;
}

static void on_event(void *ctx, enum rs_arb_ev ev, uint64_t arg)
{
	(void)ctx; (void)arg;
	if (ev == RS_ARB_EV_UNRECOVERED)
		jump_ok = 1;
	if (ev == RS_ARB_EV_SESSION) {
		expect = 0; /* sequence restarts */
		sessions_seen++;
	}
}

static void on_request(void *ctx, const uint8_t *s, uint64_t seq, uint64_t count)
{
	(void)ctx; (void)s;
	if (!count || seq + count < seq)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_arb_cfg c;
	memset(&c, 0, sizeof(c));
	c.nlines = 2;
	c.hold_pkts = 8;
	c.hold_bytes = 512;
	c.gap_timeout = 3;
	c.deadline = 40;
	c.overflow_deadline = 10;
	c.deliver = on_deliver;
	c.request = on_request;
	c.event = on_event;
	if (rs_arb_create(&A, &c))
		return 0;
	expect = 0;
	jump_ok = 0;
	uint64_t now = 1;
	size_t off = 0;
	while (off + 4 <= size) {
		uint32_t line = data[off] % 3;
		now += data[off + 1];
		uint32_t len = (uint32_t)data[off + 2] | (uint32_t)data[off + 3] << 8;
		off += 4;
		if (len > size - off)
			len = (uint32_t)(size - off);
		uint8_t *pkt = malloc(len ? len : 1); /* exact size: ASan sees overreads */
		memcpy(pkt, data + off, len);
		rs_arb_rx(A, pkt, len, line, now, now);
		free(pkt);
		rs_arb_poll(A, now);
		off += len;
	}
	const struct rs_arb_stats *s = rs_arb_stats(A);
	if (!s->nheld)
		for (int l = 0; l < RS_ARB_NLINE_STATS; l++)
			if (s->sessions <= 1 && s->line[l].messages != s->line[l].delivered + s->line[l].duplicates &&
			    !s->hold_overflow)
				abort();
	rs_arb_destroy(A);
	return 0;
}
