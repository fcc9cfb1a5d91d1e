/* test_book_diff.c - differential test of the MBO book (dataplane/rs_book.c)
 * against a deliberately simple reference book written here: a plain
 * chained hash map of orders, price levels recomputed from scratch (sort +
 * aggregate) whenever they are compared, queue priority as a global
 * sequence number. >= 10 million generated events with realistic
 * near-touch behaviour (geometric depth, heavy tail, recency-biased
 * cancels, F+C executions, price/size modifies, occasional clears and bad
 * input); full depth and queue order are compared at random event
 * boundaries, invariants are checked there too. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_book.h"

#if defined(RS_DEBUG_INVARIANTS)
#define NEVENTS 100000ull /* the book checks every instrument at every boundary */
#elif defined(RS_SANITIZED)
#define NEVENTS 1500000ull
#else
#define NEVENTS 10000000ull
#endif
#define NINST 16
#define TICK 10000000LL /* 0.01 in 1e-9 units */

/* ------------------------------------------------------------ reference */

struct ref_order {
	uint64_t id;
	uint32_t inst;
	int side;
	int64_t price;
	uint32_t size;
	uint64_t prio;   /* smaller = earlier in the queue */
	int32_t next;    /* hash chain */
	uint32_t livepos;
};

#define REF_BUCKETS (1u << 21)
static struct ref_order *ro;
static uint32_t ro_n, ro_cap;
static int32_t *ro_free; /* stack of free indices */
static uint32_t ro_nfree;
static int32_t *bucket;
static uint64_t prio_ctr;

/* live order indices per instrument (for picking targets) */
static int32_t *live[NINST];
static uint32_t nlive[NINST];

static uint32_t rhash(uint64_t id, uint32_t inst)
{
	return (uint32_t)((id * 31 + inst) % 2097143u) & (REF_BUCKETS - 1);
}

static int32_t ref_find(uint64_t id, uint32_t inst)
{
	for (int32_t i = bucket[rhash(id, inst)]; i >= 0; i = ro[i].next)
		if (ro[i].id == id && ro[i].inst == inst)
			return i;
	return -1;
}

static void ref_remove(int32_t i)
{
	struct ref_order *o = &ro[i];
	int32_t *pp = &bucket[rhash(o->id, o->inst)];
	while (*pp != i)
		pp = &ro[*pp].next;
	*pp = o->next;
	uint32_t in = o->inst, pos = o->livepos;
	live[in][pos] = live[in][--nlive[in]];
	ro[live[in][pos]].livepos = pos;
	ro_free[ro_nfree++] = i;
}

/* Returns 1 if the reference accepted the record (book must agree). */
static int ref_apply(const struct rs_event *ev)
{
	const struct rs_mbo *m = &ev->mbo;
	uint32_t in = m->hd.instrument_id;
	int side = m->side == 'B' ? 0 : m->side == 'A' ? 1 : -1;
	int32_t i;
	switch (m->action) {
	case 'A':
		if (side < 0 || m->size == 0 || m->size == RS_SIZE_ALL || m->price == RS_UNDEF_PRICE ||
		    ref_find(m->order_id, in) >= 0)
			return 0;
		i = ro_nfree ? ro_free[--ro_nfree] : (int32_t)ro_n++;
		cr_assert_lt((uint32_t)i, ro_cap);
		ro[i] = (struct ref_order){m->order_id, in, side, m->price, m->size, ++prio_ctr, -1, 0};
		ro[i].next = bucket[rhash(m->order_id, in)];
		bucket[rhash(m->order_id, in)] = i;
		ro[i].livepos = nlive[in];
		live[in][nlive[in]++] = i;
		return 1;
	case 'C':
		i = ref_find(m->order_id, in);
		if (i < 0 || m->size == 0)
			return 0;
		if (m->size >= ro[i].size)
			ref_remove(i);
		else
			ro[i].size -= m->size;
		return 1;
	case 'M':
		i = ref_find(m->order_id, in);
		if (i < 0 || side != ro[i].side || m->size == 0)
			return 0;
		if (m->price != ro[i].price || m->size > ro[i].size)
			ro[i].prio = ++prio_ctr;
		ro[i].price = m->price;
		ro[i].size = m->size;
		return 1;
	case 'R':
		while (nlive[in])
			ref_remove(live[in][0]);
		return 1;
	default:
		return 1;
	}
}

static int cmp_lvl(const void *a, const void *b)
{
	const struct ref_order *x = *(struct ref_order *const *)a, *y = *(struct ref_order *const *)b;
	/* bids best first: price desc; asks: price asc; then priority */
	if (x->price != y->price)
		return x->side ? (x->price < y->price ? -1 : 1) : (x->price > y->price ? -1 : 1);
	return x->prio < y->prio ? -1 : 1;
}

static struct ref_order **tmp;
static struct rs_level *got;
static uint64_t *ids;

/* Full comparison of one instrument: every level, and the queue of the
 * first few levels. */
static void compare(struct rs_book *b, uint32_t in)
{
	int idx = rs_book_find(b, in);
	for (int side = 0; side < 2; side++) {
		uint32_t n = 0;
		for (uint32_t k = 0; k < nlive[in]; k++)
			if (ro[live[in][k]].side == side)
				tmp[n++] = &ro[live[in][k]];
		qsort(tmp, n, sizeof(tmp[0]), cmp_lvl);
		uint32_t nb = idx < 0 ? 0 : rs_book_levels(b, (uint32_t)idx, side, got, 1u << 20);
		uint32_t lv = 0;
		for (uint32_t k = 0; k < n;) {
			uint32_t j = k;
			uint64_t sz = 0;
			while (j < n && tmp[j]->price == tmp[k]->price)
				sz += tmp[j++]->size;
			cr_assert_lt(lv, nb, "inst %u side %d: book has %u levels, reference more", in,
				     side, nb);
			cr_assert_eq(got[lv].price, tmp[k]->price, "inst %u side %d level %u price", in,
				     side, lv);
			cr_assert_eq(got[lv].size, sz, "inst %u side %d level %u size", in, side, lv);
			cr_assert_eq(got[lv].count, j - k, "inst %u side %d level %u count", in, side, lv);
			if (lv < 3) {
				uint32_t c = rs_book_level_orders(b, (uint32_t)idx, side, lv, ids, 1u << 16);
				cr_assert_eq(c, j - k);
				for (uint32_t q = k; q < j && q - k < (1u << 16); q++)
					cr_assert_eq(ids[q - k], tmp[q]->id,
						     "inst %u side %d level %u queue pos %u", in, side, lv,
						     q - k);
			}
			lv++;
			k = j;
		}
		cr_assert_eq(lv, nb, "inst %u side %d: %u levels, reference %u", in, side, nb, lv);
	}
	if (idx >= 0) {
		char msg[256];
		cr_assert_eq(rs_book_check(b, (uint32_t)idx, msg, sizeof(msg)), 0, "%s", msg);
	}
}

/* ------------------------------------------------------------ generator */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static inline uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static inline double unif(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t mid[NINST];
static uint64_t next_id[NINST];

/* dense ids on even instruments, sparse 64-bit ids on odd ones; instrument
 * 2 and 3 share the dense id space of instrument 0 (same ids, different
 * books) */
static uint64_t new_id(uint32_t in)
{
	uint64_t n = ++next_id[in];
	if (in & 1) {
		uint64_t x = n * 0x9E3779B97F4A7C15ULL;
		return x ^ (x >> 29) ^ ((uint64_t)in << 58);
	}
	return n;
}

static int64_t pick_depth(void)
{
	double u = unif();
	if (u < 0.002) /* p99.9 tail: far levels */
		return 200 + (int64_t)(rnd() % 2000);
	if (u < 0.012)
		return 10 + (int64_t)(rnd() % 200);
	int64_t d = 0;
	while (unif() < 0.5 && d < 30)
		d++;
	return d;
}

static struct rs_event mk(uint32_t in, char a, char side, uint64_t id, int64_t px, uint32_t sz,
			  uint8_t flags)
{
	struct rs_event e;
	memset(&e, 0, sizeof(e));
	e.mbo.hd.instrument_id = in;
	e.mbo.hd.rtype = RS_RTYPE_MBO;
	e.mbo.action = a;
	e.mbo.side = side;
	e.mbo.order_id = id;
	e.mbo.price = px;
	e.mbo.size = sz;
	e.mbo.flags = flags;
	return e;
}

/* Next 1-2 records; returns how many. */
static int gen(struct rs_event *ev)
{
	uint32_t in = (uint32_t)(rnd() % NINST);
	if (unif() < 0.02)
		mid[in] += unif() < 0.5 ? TICK : -TICK;
	double u = unif();
	uint32_t nl = nlive[in];
	int32_t tgt = -1;
	if (nl) {
		/* orders die young: mostly among the newest */
		uint32_t k = unif() < 0.7 ? nl - 1 - (uint32_t)(rnd() % (nl < 32 ? nl : 32))
					  : (uint32_t)(rnd() % nl);
		tgt = live[in][k];
	}
	double addp = nl < 2000 ? 0.55 : nl > 6000 ? 0.35 : 0.45;
	if (u < 1e-5) {
		ev[0] = mk(in, 'R', 'N', 0, RS_UNDEF_PRICE, 0, RS_F_LAST);
		return 1;
	}
	if (u < 0.001) { /* bad input the reference also rejects */
		switch (rnd() % 5) {
		case 0:
			ev[0] = mk(in, 'C', 'B', new_id(in) + (1ull << 40), mid[in], 5, RS_F_LAST);
			break;
		case 1:
			ev[0] = tgt >= 0 ? mk(in, 'A', 'B', ro[tgt].id, mid[in] - TICK, 5, RS_F_LAST)
					 : mk(in, 'N', 'N', 0, 0, 0, RS_F_LAST);
			break;
		case 2:
			ev[0] = mk(in, 'A', 'A', new_id(in), mid[in] + TICK, 0, RS_F_LAST);
			break;
		case 3:
			ev[0] = tgt >= 0 ? mk(in, 'M', ro[tgt].side ? 'B' : 'A', ro[tgt].id,
					      ro[tgt].price, 5, RS_F_LAST)
					 : mk(in, 'N', 'N', 0, 0, 0, RS_F_LAST);
			break;
		default:
			ev[0] = mk(in, 'M', 'B', new_id(in) + (1ull << 41), mid[in], 5, RS_F_LAST);
			break;
		}
		return 1;
	}
	if (u < addp || tgt < 0) {
		int side = (int)(rnd() & 1);
		int64_t d = pick_depth();
		if (unif() < 0.003) /* occasionally aggressive: crossed books happen */
			d = -1 - (int64_t)(rnd() % 3);
		int64_t px = side ? mid[in] + TICK + d * TICK : mid[in] - d * TICK;
		uint32_t sz = 1 + (uint32_t)(rnd() % 500);
		ev[0] = mk(in, 'A', side ? 'A' : 'B', new_id(in), px, sz, RS_F_LAST);
		return 1;
	}
	const struct ref_order *o = &ro[tgt];
	char sc = o->side ? 'A' : 'B';
	u = unif();
	if (u < 0.60) { /* full cancel */
		ev[0] = mk(in, 'C', sc, o->id, o->price, o->size, RS_F_LAST);
		return 1;
	}
	if (u < 0.70) { /* partial cancel */
		ev[0] = mk(in, 'C', sc, o->id, o->price, 1 + (uint32_t)(rnd() % o->size), RS_F_LAST);
		return 1;
	}
	if (u < 0.85) { /* execution: F then C */
		uint32_t q = 1 + (uint32_t)(rnd() % o->size);
		ev[0] = mk(in, 'F', sc, o->id, o->price, q, 0);
		ev[1] = mk(in, 'C', sc, o->id, o->price, q, RS_F_LAST);
		return 2;
	}
	/* modify: price move, size up or size down */
	double v = unif();
	int64_t px = o->price;
	uint32_t sz = o->size;
	if (v < 0.4)
		px += (int64_t)((rnd() % 5) - 2) * TICK;
	else if (v < 0.7)
		sz += 1 + (uint32_t)(rnd() % 100);
	else
		sz = 1 + (uint32_t)(rnd() % sz);
	ev[0] = mk(in, 'M', sc, o->id, px, sz, RS_F_LAST);
	return 1;
}

/* top levels per instrument at the last boundary (BBO_CHANGED check) */
static struct rs_level last_top[NINST][2];
static int burst_mode_last;
static uint64_t bbo_checked;

static void resync_tops(struct rs_book *b)
{
	for (uint32_t in = 0; in < NINST; in++) {
		int idx = b ? rs_book_find(b, in) : -1;
		last_top[in][0] = last_top[in][1] = (struct rs_level){RS_UNDEF_PRICE, 0, 0};
		if (idx >= 0) {
			rs_book_levels(b, (uint32_t)idx, 0, &last_top[in][0], 1);
			rs_book_levels(b, (uint32_t)idx, 1, &last_top[in][1], 1);
		}
	}
}

Test(book_diff, ten_million_events_vs_reference, .timeout = 600)
{
	resync_tops(NULL);
	ro_cap = 1u << 20;
	ro = calloc(ro_cap, sizeof(*ro));
	ro_free = calloc(ro_cap, sizeof(*ro_free));
	bucket = malloc(REF_BUCKETS * sizeof(*bucket));
	memset(bucket, 0xff, REF_BUCKETS * sizeof(*bucket));
	for (int i = 0; i < NINST; i++) {
		live[i] = calloc(ro_cap, sizeof(int32_t));
		mid[i] = (100 + 10 * i) * 1000000000LL;
	}
	tmp = calloc(ro_cap, sizeof(*tmp));
	got = calloc(1u << 20, sizeof(*got));
	ids = calloc(1u << 16, sizeof(*ids));
	cr_assert(ro && ro_free && bucket && tmp && got && ids);

	struct rs_book *b;
	struct rs_book_cfg c;
	rs_book_cfg_default(&c);
	c.max_instruments = 64;
	c.max_orders = 1u << 20;
	c.max_levels = 1u << 18;
	c.ladder_arena = 1u << 20;
	cr_assert_eq(rs_book_create(&b, &c), 0);

	struct rs_event burst[64];
	int bad_agree = 0;
	uint64_t done = 0, compares = 0, rejected = 0;
	while (done < NEVENTS) {
		/* build a burst (the reference must see records as they are
		 * generated, since targets come from its state) */
		unsigned n = 0;
		while (n < 60) {
			struct rs_event e[2];
			int k = gen(e);
			for (int j = 0; j < k; j++) {
				int ok = ref_apply(&e[j]);
				burst[n] = e[j];
				burst[n].reserved = (uint16_t)ok; /* remember the verdict */
				n++;
			}
		}
		burst_mode_last = 0;
		if (rnd() & 1) {
			rs_book_apply_burst(b, burst, n);
			burst_mode_last = 1;
		} else {
			/* one by one: also check RS_EVF_BBO_CHANGED against the
			 * top levels seen at the previous boundary */
			for (unsigned j = 0; j < n; j++) {
				rs_book_apply(b, &burst[j]);
				if (!(burst[j].mbo.flags & RS_F_LAST))
					continue;
				uint32_t in = burst[j].mbo.hd.instrument_id;
				int idx = rs_book_find(b, in);
				struct rs_level top[2] = {{RS_UNDEF_PRICE, 0, 0}, {RS_UNDEF_PRICE, 0, 0}};
				if (idx >= 0) {
					rs_book_levels(b, (uint32_t)idx, 0, &top[0], 1);
					rs_book_levels(b, (uint32_t)idx, 1, &top[1], 1);
				}
				bool changed = memcmp(top, last_top[in], sizeof(top)) != 0;
				cr_assert_eq(changed, (burst[j].rs_flags & RS_EVF_BBO_CHANGED) != 0,
					     "record %llu: BBO %s but flag %s", (unsigned long long)(done + j),
					     changed ? "changed" : "unchanged",
					     changed ? "clear" : "set");
				memcpy(last_top[in], top, sizeof(top));
				bbo_checked++;
			}
		}
		if (burst_mode_last) /* after a burst the flags were not checked: resync */
			resync_tops(b);
		for (unsigned j = 0; j < n; j++) {
			int rej = (burst[j].rs_flags & RS_EVF_REJECTED) != 0;
			if (rej != !burst[j].reserved) {
				bad_agree++;
				cr_assert_fail("record %llu (%c id %llu): book %s, reference %s",
					       (unsigned long long)(done + j), burst[j].mbo.action,
					       (unsigned long long)burst[j].mbo.order_id,
					       rej ? "rejected" : "accepted",
					       burst[j].reserved ? "accepted" : "rejected");
			}
			rejected += rej;
		}
		done += n;
		/* random boundary: the burst ends on one (every generated group
		 * ends with F_LAST) */
		if (rnd() % 300 == 0) {
			compare(b, (uint32_t)(rnd() % NINST));
			compares++;
		}
	}
	for (uint32_t in = 0; in < NINST; in++)
		compare(b, in);
	char msg[256];
	cr_assert_eq(rs_book_check_all(b, msg, sizeof(msg)), 0, "%s", msg);
	const struct rs_book_stats *st = rs_book_stats(b);
	cr_log_info("%llu events, %llu comparisons, %llu rejected, peak %llu orders / %llu levels",
		    (unsigned long long)done, (unsigned long long)compares,
		    (unsigned long long)rejected, (unsigned long long)st->orders_peak,
		    (unsigned long long)st->levels_peak);
	cr_assert_gt(compares, NEVENTS / 200000);
	cr_assert_gt(bbo_checked, NEVENTS / 4, "BBO flag checked on the one-by-one half");
	cr_assert_gt(rejected, NEVENTS / 10000);
	uint64_t crossed = 0;
	for (uint32_t i = 0; i < rs_book_ninst(b); i++)
		crossed += rs_book_inst(b, i)->q[RS_BOOK_Q_CROSSED];
	cr_assert_gt(crossed, 0, "the stream produces crossed books, the book counts them");
	rs_book_destroy(b);
	for (int i = 0; i < NINST; i++)
		free(live[i]);
	free(ro);
	free(ro_free);
	free(bucket);
	free(tmp);
	free(got);
	free(ids);
}
