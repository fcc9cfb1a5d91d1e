/*
 * rs_arb.c - A/B line arbitration, sequence tracking, reorder buffer and
 * gap detection for one MoldUDP64 feed. See rs_arb.h for the rules.
 *
 * The in-order case (the packet starts at or before `next`) touches no
 * buffer: messages are handed to the deliver callback straight from the
 * driver's buffer. Only packets ahead of a gap are copied (into a
 * preallocated pool) and kept in an index sorted by first sequence number,
 * so the front gap is always [next, held[0].seq).
 */
#include "dataplane/rs_arb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shm/rs_err.h"

struct rs_arb_slot {
	uint64_t seq, end;   /* [seq, end) */
	uint64_t ts;
	uint32_t len;
	uint32_t line;
	uint8_t *data;
};

struct rs_arb {
	struct rs_arb_cfg cfg;
	uint64_t next;                   /* 0 = not known yet (join_at_first) */
	uint8_t session[RS_MOLDUDP_SESSION_LEN];
	bool have_session;
	bool gap_active;                 /* a front gap exists, gap_t0 valid */
	bool requested;                  /* ... and was handed to the request callback */
	uint64_t gap_t0;
	uint64_t req_hi;                 /* requested up to here (exclusive) */
	uint64_t max_hi;                 /* max of the lines' high-water marks */
	bool overflowed;                 /* the reorder buffer overflowed since the last request */
	struct rs_arb_slot *slots;       /* [hold_pkts] */
	uint32_t *free_list;             /* [hold_pkts] */
	uint32_t nfree;
	uint32_t *ord;                   /* [hold_pkts] held slots sorted by seq */
	uint32_t nheld;
	uint8_t *pool;
	struct rs_arb_stats st;
};

static const uint8_t zero_session[RS_MOLDUDP_SESSION_LEN];

int rs_arb_create(struct rs_arb **out, const struct rs_arb_cfg *cfg)
{
	*out = NULL;
	if (!cfg->deliver || cfg->nlines < 1 || cfg->nlines > RS_ARB_MAX_LINES)
		return RS_ERR_SET(-EINVAL, "arbiter: need a deliver callback and 1..%d lines (got %u)",
				  RS_ARB_MAX_LINES, cfg->nlines);
	struct rs_arb *a = calloc(1, sizeof(*a));
	if (!a)
		return RS_ERR_SET(-ENOMEM, "arbiter: out of memory");
	a->cfg = *cfg;
	if (!a->cfg.hold_pkts)
		a->cfg.hold_pkts = 4096;
	if (!a->cfg.hold_bytes)
		a->cfg.hold_bytes = 2048;
	uint32_t n = a->cfg.hold_pkts;
	a->slots = calloc(n, sizeof(*a->slots));
	a->free_list = calloc(n, sizeof(uint32_t));
	a->ord = calloc(n, sizeof(uint32_t));
	a->pool = malloc((size_t)n * a->cfg.hold_bytes);
	if (!a->slots || !a->free_list || !a->ord || !a->pool) {
		rs_arb_destroy(a);
		return RS_ERR_SET(-ENOMEM, "arbiter: reorder buffer of %u x %u bytes", n,
				  a->cfg.hold_bytes);
	}
	memset(a->pool, 0, (size_t)n * a->cfg.hold_bytes); /* prefault now, not on the hot path */
	for (uint32_t i = 0; i < n; i++) {
		a->slots[i].data = a->pool + (size_t)i * a->cfg.hold_bytes;
		a->free_list[i] = n - 1 - i;
	}
	a->nfree = n;
	a->next = a->cfg.join_at_first ? 0 : 1;
	a->st.next = a->next;
	if (memcmp(a->cfg.session, zero_session, sizeof(zero_session))) {
		memcpy(a->session, a->cfg.session, sizeof(a->session));
		a->have_session = true;
	}
	*out = a;
	return 0;
}

void rs_arb_destroy(struct rs_arb *a)
{
	if (!a)
		return;
	free(a->slots);
	free(a->free_list);
	free(a->ord);
	free(a->pool);
	free(a);
}

const struct rs_arb_stats *rs_arb_stats(const struct rs_arb *a)
{
	return &a->st;
}

const uint8_t *rs_arb_session(const struct rs_arb *a)
{
	return a->session;
}

bool rs_arb_gap_pending(const struct rs_arb *a)
{
	return a->gap_active;
}

void rs_arb_set_timeouts(struct rs_arb *a, uint64_t gap_timeout, uint64_t deadline)
{
	a->cfg.gap_timeout = gap_timeout;
	a->cfg.deadline = deadline;
}

static void ev(struct rs_arb *a, enum rs_arb_ev e, uint64_t arg)
{
	if (a->cfg.event)
		a->cfg.event(a->cfg.ctx, e, arg);
}

static uint32_t cur_flags(const struct rs_arb *a)
{
	return a->st.stale ? RS_ARB_F_STALE : 0;
}

/* The requested front gap has been filled (by retransmission or a late copy). */
static void close_requested(struct rs_arb *a)
{
	a->requested = false;
	a->gap_active = false;
	a->st.gaps_open = 0;
	if (a->st.stale && !a->st.unrec_stale) {
		a->st.stale = 0;
		ev(a, RS_ARB_EV_STALE_OFF, a->next);
	}
}

/*
 * Deliver the messages of a validated data packet from sequence `next` on
 * (the ones before it are duplicates). Returns the number delivered.
 */
static uint32_t deliver_pkt(struct rs_arb *a, const struct rs_moldudp_pkt *pk, uint32_t line,
			    uint64_t ts)
{
	struct rs_moldudp_iter it;
	const uint8_t *msg;
	size_t len;
	uint64_t seq;
	uint32_t n = 0, dups = 0, late = 0;
	uint32_t flags = cur_flags(a) | (line == RS_ARB_LINE_RECOVERY ? RS_ARB_F_RECOVERED : 0);

	rs_moldudp_iter_init(&it, pk);
	while (rs_moldudp_next(&it, &msg, &len, &seq)) {
		if (seq < a->next) {
			dups++;
			continue;
		}
		/* seq == next: callers only deliver packets starting at or before next */
		if (a->requested && seq < a->req_hi && line != RS_ARB_LINE_RECOVERY)
			late++;
		a->cfg.deliver(a->cfg.ctx, msg, (uint32_t)len, seq, line, flags, ts);
		a->next = seq + 1;
		n++;
		if (__builtin_expect(a->requested && a->next >= a->req_hi, 0)) {
			close_requested(a);
			flags &= ~RS_ARB_F_STALE;
			flags |= cur_flags(a);
		}
	}
	struct rs_arb_line_stats *ls = &a->st.line[line];
	ls->delivered += n;
	ls->duplicates += dups;
	a->st.delivered += n;
	a->st.late_filled += late;
	if (line == RS_ARB_LINE_RECOVERY)
		a->st.recovered += n;
	a->st.next = a->next;
	return n;
}

static void hold_remove_front(struct rs_arb *a)
{
	a->free_list[a->nfree++] = a->ord[0];
	a->nheld--;
	memmove(a->ord, a->ord + 1, a->nheld * sizeof(uint32_t));
	a->st.nheld = a->nheld;
}

/* Deliver every held packet that now starts at or before next. */
static uint32_t drain(struct rs_arb *a)
{
	uint32_t n = 0;
	while (a->nheld) {
		struct rs_arb_slot *s = &a->slots[a->ord[0]];
		if (s->seq > a->next)
			break;
		if (s->end <= a->next) {
			a->st.line[s->line].duplicates += s->end - s->seq;
		} else {
			struct rs_moldudp_pkt pk;
			if (rs_moldudp_parse(s->data, s->len, &pk) == RS_MOLDUDP_OK)
				n += deliver_pkt(a, &pk, s->line, s->ts);
		}
		hold_remove_front(a);
	}
	return n;
}

/* Park a packet that starts beyond next. */
static void hold(struct rs_arb *a, const uint8_t *data, uint32_t len, const struct rs_moldudp_pkt *pk,
		 uint32_t line, uint64_t ts)
{
	uint64_t s = pk->seq, e = pk->seq + pk->count;
	uint32_t pos = 0;
	/* sorted by seq; a packet already covered by a held one is a duplicate */
	while (pos < a->nheld) {
		const struct rs_arb_slot *h = &a->slots[a->ord[pos]];
		if (h->seq <= s && h->end >= e) {
			a->st.line[line].duplicates += pk->count;
			return;
		}
		if (h->seq > s)
			break;
		pos++;
	}
	if (!a->nfree || len > a->cfg.hold_bytes) {
		a->st.hold_overflow++;
		a->st.line[line].discarded += pk->count;
		a->overflowed = true; /* waiting for the other line is pointless now */
		return;
	}
	uint32_t i = a->free_list[--a->nfree];
	struct rs_arb_slot *sl = &a->slots[i];
	memcpy(sl->data, data, len);
	sl->len = len;
	sl->seq = s;
	sl->end = e;
	sl->ts = ts;
	sl->line = line;
	memmove(a->ord + pos + 1, a->ord + pos, (a->nheld - pos) * sizeof(uint32_t));
	a->ord[pos] = i;
	a->nheld++;
	a->st.nheld = a->nheld;
	a->st.line[line].held++;
}

/* End of the front gap (exclusive), or next when there is none. */
static uint64_t front_hi(const struct rs_arb *a)
{
	if (a->nheld)
		return a->slots[a->ord[0]].seq;
	return a->max_hi > a->next ? a->max_hi : a->next;
}

static void request(struct rs_arb *a, uint64_t lo, uint64_t hi)
{
	a->st.requests++;
	a->st.gap_messages += hi - lo;
	if (a->cfg.request)
		a->cfg.request(a->cfg.ctx, a->session, lo, hi - lo);
}

static uint32_t skip_gap(struct rs_arb *a, uint64_t hi)
{
	uint64_t lost = hi - a->next;
	if (a->requested && hi > a->req_hi)
		a->st.gap_messages += hi - a->req_hi;
	else if (!a->requested) { /* deadline before any request (no line saw past it) */
		a->st.gaps++;
		a->st.gap_messages += lost;
	}
	a->st.unrecovered += lost;
	a->next = hi;
	a->st.next = hi;
	a->requested = false;
	a->gap_active = false;
	a->st.gaps_open = 0;
	a->st.unrec_stale = 1;
	if (!a->st.stale) {
		a->st.stale = 1;
		ev(a, RS_ARB_EV_STALE_ON, hi - lost);
	}
	ev(a, RS_ARB_EV_UNRECOVERED, lost);
	return drain(a);
}

/*
 * Re-evaluate the front gap after next or a line's high-water mark moved.
 * Returns messages delivered (a skip at the deadline drains).
 */
static uint32_t check_gap(struct rs_arb *a, uint64_t now)
{
	uint32_t n = 0;
	for (;;) {
		if (a->requested && a->next >= a->req_hi) /* the requested gap closed */
			close_requested(a);
		uint64_t hi = front_hi(a);
		if (hi <= a->next) {
			a->gap_active = false;
			return n;
		}
		if (!a->gap_active) {
			a->gap_active = true;
			a->gap_t0 = now;
		}
		if (!a->requested) {
			bool seen = a->cfg.nlines == 1;
			if (!seen) {
				seen = true;
				for (uint32_t l = 0; l < a->cfg.nlines; l++)
					if (a->st.line[l].hi <= a->next)
						seen = false;
			}
			if (seen || a->overflowed || now - a->gap_t0 >= a->cfg.gap_timeout) {
				a->overflowed = false;
				a->requested = true;
				a->req_hi = hi;
				a->st.gaps++;
				a->st.gaps_open = 1;
				if (!a->st.stale) {
					a->st.stale = 1;
					ev(a, RS_ARB_EV_STALE_ON, a->next);
				}
				request(a, a->next, hi);
			}
		} else if (hi > a->req_hi) { /* the gap grew (heartbeat/end of session beyond it) */
			request(a, a->req_hi, hi);
			a->req_hi = hi;
		}
		if ((a->cfg.deadline && now - a->gap_t0 >= a->cfg.deadline) ||
		    (a->cfg.overflow_deadline && !a->nfree && now - a->gap_t0 >= a->cfg.overflow_deadline)) {
			n += skip_gap(a, hi);
			continue; /* the next hole (if any) starts its own clock */
		}
		return n;
	}
}

static void new_session(struct rs_arb *a, const uint8_t *session)
{
	bool first = !a->have_session;
	memcpy(a->session, session, sizeof(a->session));
	a->have_session = true;
	a->st.sessions++;
	if (first)
		return;
	/* everything held belongs to the old session */
	while (a->nheld)
		hold_remove_front(a);
	a->next = a->cfg.join_at_first ? 0 : 1;
	a->st.next = a->next;
	for (uint32_t l = 0; l < RS_ARB_NLINE_STATS; l++)
		a->st.line[l].hi = 0;
	a->max_hi = 0;
	a->gap_active = a->requested = false;
	a->st.gaps_open = 0;
	a->st.unrec_stale = 0;
	if (a->st.stale) {
		a->st.stale = 0;
		ev(a, RS_ARB_EV_STALE_OFF, 0);
	}
	ev(a, RS_ARB_EV_SESSION, 0);
}

uint32_t rs_arb_rx(struct rs_arb *a, const uint8_t *data, uint32_t len, uint32_t line, uint64_t ts,
		   uint64_t now)
{
	struct rs_moldudp_pkt pk;
	if (line > RS_ARB_LINE_RECOVERY || rs_moldudp_parse(data, len, &pk) != RS_MOLDUDP_OK) {
		a->st.bad_packets++;
		return 0;
	}
	if (__builtin_expect(!a->have_session || memcmp(pk.session, a->session, sizeof(a->session)), 0)) {
		/* a retransmission never switches sessions; a configured session is fixed */
		if (line == RS_ARB_LINE_RECOVERY ||
		    (a->have_session && memcmp(a->cfg.session, zero_session, sizeof(zero_session)))) {
			a->st.wrong_session++;
			return 0;
		}
		new_session(a, pk.session);
	}
	struct rs_arb_line_stats *ls = &a->st.line[line];
	ls->packets++;
	ls->last_rx = now;
	uint64_t end;
	if (pk.kind == RS_MOLDUDP_DATA) {
		ls->messages += pk.count;
		end = pk.seq + pk.count;
	} else {
		end = pk.seq; /* heartbeat / end of session: seq = next expected */
		if (pk.kind == RS_MOLDUDP_KIND_EOS) {
			a->st.eos++;
			ev(a, RS_ARB_EV_EOS, pk.seq);
		} else {
			a->st.heartbeats++;
		}
	}
	if (!a->next) /* join at the first packet */
		a->next = a->st.next = pk.seq ? pk.seq : 1;
	if (line < RS_ARB_LINE_RECOVERY && end > ls->hi) {
		ls->hi = end;
		if (end > a->max_hi)
			a->max_hi = end;
	}

	uint32_t n = 0;
	if (pk.kind == RS_MOLDUDP_DATA) {
		if (end <= a->next) {
			ls->duplicates += pk.count;
		} else if (pk.seq <= a->next) {
			n = deliver_pkt(a, &pk, line, ts);
			if (a->nheld)
				n += drain(a);
		} else {
			hold(a, data, len, &pk, line, ts);
		}
	}
	if (a->max_hi > a->next || a->gap_active || a->requested)
		n += check_gap(a, now);
	return n;
}

uint32_t rs_arb_poll(struct rs_arb *a, uint64_t now)
{
	if (!a->gap_active && !a->requested)
		return 0;
	return check_gap(a, now);
}
