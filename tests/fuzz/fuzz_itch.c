/*
 * fuzz_itch.c - libFuzzer target: MoldUDP64 packet -> ITCH 5.0 decode.
 *
 * The input is used three ways: as a MoldUDP64 payload (parse, iterate,
 * decode every message with the fast path and the full parser), as an
 * Ethernet frame (rs_pkt) whose UDP payload is then treated the same way,
 * and as a day file (2-byte length prefixed messages). Crashes, ASan/UBSan
 * reports and broken invariants (more than 2 events, events for a rejected
 * message) abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "dataplane/rs_moldudp.h"
#include "dataplane/rs_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/* UBSan findings are failures, not log lines */
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static void one(struct rs_itch_dec *d, const uint8_t *m, size_t len, uint64_t seq)
{
	struct rs_event ev[RS_ITCH_MAX_EVENTS + 1];
	struct rs_itch_msg pm;
	uint64_t rej = d->c.rejects[0] + d->c.rejects[1] + d->c.rejects[2];
	ev[RS_ITCH_MAX_EVENTS].mbo.order_id = 0x5a5a;
	unsigned n = rs_itch_decode_fast(d, m, len, seq, 1, ev);
	if (n > RS_ITCH_MAX_EVENTS || ev[RS_ITCH_MAX_EVENTS].mbo.order_id != 0x5a5a)
		abort();
	int rc = rs_itch_parse(m, len, &pm);
	uint64_t rej2 = d->c.rejects[0] + d->c.rejects[1] + d->c.rejects[2];
	if ((rc < 0) != (rej2 != rej))
		abort(); /* parse and decode must agree on validity */
	if (rc < 0 && n)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (ev[i].mbo.hd.length != 14 || ev[i].mbo.hd.rtype != RS_RTYPE_MBO)
			abort();
}

static void mold(struct rs_itch_dec *d, const uint8_t *p, size_t n)
{
	struct rs_moldudp_counters c;
	struct rs_moldudp_pkt pk;
	memset(&c, 0, sizeof(c));
	if (rs_moldudp_parse_count(&c, p, n, &pk) != RS_MOLDUDP_OK)
		return;
	struct rs_moldudp_iter it;
	const uint8_t *m;
	size_t len;
	uint64_t seq;
	unsigned k = 0;
	rs_moldudp_iter_init(&it, &pk);
	while (rs_moldudp_next(&it, &m, &len, &seq)) {
		one(d, m, len, seq);
		k++;
	}
	if (pk.kind == RS_MOLDUDP_DATA && k != pk.count)
		abort(); /* a validated packet yields exactly count messages */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size copy: any read past the end is an ASan report */
	uint8_t *b = malloc(size ? size : 1);
	memcpy(b, data, size);
	struct rs_itch_dec d;
	rs_itch_dec_init(&d, 1);
	rs_itch_dec_set_date(&d, 2023, 8, 22);
	mold(&d, b, size);
	struct rs_pkt_udp u;
	if (rs_pkt_parse_eth(b, size, &u) == RS_PKT_OK)
		mold(&d, u.payload, u.payload_len);
	struct rs_itchfile f;
	const uint8_t *m;
	size_t len;
	rs_itchfile_init_mem(&f, b, size);
	while (rs_itchfile_next(&f, &m, &len) > 0)
		one(&d, m, len, f.nmsgs);
	free(b);
	return 0;
}
