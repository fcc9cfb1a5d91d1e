/*
 * test_gen.c - ITCH encoders and the session generator (`ringside gen`).
 *
 * The consistency checker below is independent of the generator: its own
 * big-endian parser, its own order table (open addressing by order
 * reference) and its own per-symbol books (price -> count hash with lazy
 * max/min heaps for the best bid/ask).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/rs_gen.h"
#include "controlplane/rs_itch_enc.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "dataplane/rs_moldudp.h"
#include "rs_test.h"

/* ---------------------------------------------------------------- parser */

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int type_len(uint8_t t)
{
	switch (t) {
	case 'S': return 12; case 'R': return 39; case 'H': return 25; case 'Y': return 20;
	case 'L': return 26; case 'V': return 35; case 'W': return 12; case 'K': return 28;
	case 'J': return 35; case 'h': return 21; case 'A': return 36; case 'F': return 40;
	case 'E': return 31; case 'C': return 36; case 'X': return 23; case 'D': return 19;
	case 'U': return 35; case 'P': return 44; case 'Q': return 40; case 'B': return 19;
	case 'I': return 50; case 'N': return 20; case 'O': return 48;
	}
	return -1;
}

/* ---------------------------------------------------------------- checker */

struct ck_order {
	uint64_t ref; /* 0 = empty, UINT64_MAX = tombstone */
	uint32_t shares, price;
	uint16_t locate;
	char side;
};

struct ck_heap {
	uint32_t *v;
	size_t n, cap;
	int max; /* 1 = max-heap */
};

struct ck_book {
	struct ck_heap bids, asks;
};

struct ck {
	struct ck_order *tab;
	size_t cap, used, live;
	struct ck_book *books; /* by locate */
	uint32_t nsym;
	/* price level counts: key (locate, side, price) */
	uint64_t *lkey;
	uint32_t *lcnt;
	size_t lcap;
	uint64_t last_ts;
	uint64_t max_ref;
	uint64_t errors;
	char first_error[256];
	uint64_t by_type[128];
	uint64_t *per_locate;
	uint64_t n;
};

static uint64_t hmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void ck_fail(struct ck *c, const char *what, uint64_t n)
{
	if (!c->errors++)
		snprintf(c->first_error, sizeof(c->first_error), "message %llu: %s",
			 (unsigned long long)n, what);
}

static struct ck_order *ck_find(struct ck *c, uint64_t ref)
{
	size_t i = hmix(ref) & (c->cap - 1);
	while (c->tab[i].ref) {
		if (c->tab[i].ref == ref)
			return &c->tab[i];
		i = (i + 1) & (c->cap - 1);
	}
	return NULL;
}

static void ck_grow(struct ck *c);

static struct ck_order *ck_insert(struct ck *c, uint64_t ref)
{
	if ((c->used + 1) * 2 > c->cap)
		ck_grow(c);
	size_t i = hmix(ref) & (c->cap - 1);
	while (c->tab[i].ref && c->tab[i].ref != UINT64_MAX)
		i = (i + 1) & (c->cap - 1);
	if (!c->tab[i].ref)
		c->used++;
	c->tab[i].ref = ref;
	c->live++;
	return &c->tab[i];
}

static void ck_grow(struct ck *c)
{
	struct ck_order *old = c->tab;
	size_t ocap = c->cap;
	c->cap = ocap ? ocap * 2 : 1 << 16;
	/* shrink back when mostly tombstones */
	if (ocap && c->live * 4 < ocap)
		c->cap = ocap;
	c->tab = calloc(c->cap, sizeof(*c->tab));
	cr_assert(c->tab);
	c->used = 0;
	c->live = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].ref && old[i].ref != UINT64_MAX) {
			struct ck_order o = old[i];
			*ck_insert(c, o.ref) = o;
		}
	free(old);
}

static void ck_erase(struct ck *c, struct ck_order *o)
{
	o->ref = UINT64_MAX;
	c->live--;
}

static uint32_t *lvl_cnt(struct ck *c, uint16_t loc, char side, uint32_t price, int create)
{
	uint64_t key = (uint64_t)loc << 40 | (uint64_t)(side == 'B') << 32 | price;
	size_t i = hmix(key) & (c->lcap - 1);
	while (c->lkey[i]) {
		if (c->lkey[i] == key + 1)
			return &c->lcnt[i];
		i = (i + 1) & (c->lcap - 1);
	}
	if (!create)
		return NULL;
	c->lkey[i] = key + 1; /* levels are never erased; the table is sized for the test */
	c->lcnt[i] = 0;
	return &c->lcnt[i];
}

static int heap_less(const struct ck_heap *h, uint32_t a, uint32_t b)
{
	return h->max ? a > b : a < b;
}

static void heap_push(struct ck_heap *h, uint32_t v)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = realloc(h->v, h->cap * sizeof(uint32_t));
		cr_assert(h->v);
	}
	size_t i = h->n++;
	h->v[i] = v;
	while (i && heap_less(h, h->v[i], h->v[(i - 1) / 2])) {
		uint32_t t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct ck_heap *h)
{
	h->v[0] = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && heap_less(h, h->v[l], h->v[m]))
			m = l;
		if (r < h->n && heap_less(h, h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		uint32_t t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

/* Best live price of a side, 0 if none (lazy deletion of empty levels). */
static uint32_t best(struct ck *c, uint16_t loc, char side)
{
	struct ck_heap *h = side == 'B' ? &c->books[loc].bids : &c->books[loc].asks;
	while (h->n) {
		uint32_t *cnt = lvl_cnt(c, loc, side, h->v[0], 0);
		if (cnt && *cnt)
			return h->v[0];
		heap_pop(h);
	}
	return 0;
}

static void level_add(struct ck *c, uint16_t loc, char side, uint32_t price)
{
	uint32_t *cnt = lvl_cnt(c, loc, side, price, 1);
	if ((*cnt)++ == 0)
		heap_push(side == 'B' ? &c->books[loc].bids : &c->books[loc].asks, price);
}

static void level_del(struct ck *c, uint16_t loc, char side, uint32_t price)
{
	uint32_t *cnt = lvl_cnt(c, loc, side, price, 0);
	cr_assert(cnt && *cnt);
	(*cnt)--;
}

static void ck_init(struct ck *c, uint32_t nsym)
{
	memset(c, 0, sizeof(*c));
	c->nsym = nsym;
	c->books = calloc(nsym + 1u, sizeof(*c->books));
	c->per_locate = calloc(nsym + 1u, sizeof(uint64_t));
	for (uint32_t i = 0; i <= nsym; i++) {
		c->books[i].bids.max = 1;
		c->books[i].asks.max = 0;
	}
	c->lcap = 1 << 22;
	c->lkey = calloc(c->lcap, sizeof(uint64_t));
	c->lcnt = calloc(c->lcap, sizeof(uint32_t));
	ck_grow(c);
	cr_assert(c->books && c->lkey && c->lcnt && c->per_locate);
}

static void ck_fini(struct ck *c)
{
	for (uint32_t i = 0; i <= c->nsym; i++) {
		free(c->books[i].bids.v);
		free(c->books[i].asks.v);
	}
	free(c->books);
	free(c->per_locate);
	free(c->lkey);
	free(c->lcnt);
	free(c->tab);
}

/* An add (or the new half of a replace) must not lock or cross the book. */
static void ck_place(struct ck *c, uint64_t n, uint16_t loc, char side, uint32_t price)
{
	if (side == 'B') {
		uint32_t a = best(c, loc, 'S');
		if (a && price >= a)
			ck_fail(c, "bid at or above the best ask", n);
	} else {
		uint32_t b = best(c, loc, 'B');
		if (b && price <= b)
			ck_fail(c, "ask at or below the best bid", n);
	}
	level_add(c, loc, side, price);
}

static void ck_msg(struct ck *c, const uint8_t *m, size_t len)
{
	uint64_t n = c->n++;
	int tl = len ? type_len(m[0]) : -1;
	if (tl < 0 || (size_t)tl != len) {
		ck_fail(c, "bad type or length", n);
		return;
	}
	c->by_type[m[0]]++;
	uint16_t loc = (uint16_t)be(m + 1, 2);
	uint64_t ts = be(m + 5, 6);
	if (ts < c->last_ts)
		ck_fail(c, "timestamp went backwards", n);
	c->last_ts = ts;
	if (loc > c->nsym) {
		ck_fail(c, "stock locate out of range", n);
		return;
	}
	c->per_locate[loc]++;
	struct ck_order *o;
	switch (m[0]) {
	case 'A':
	case 'F': {
		uint64_t ref = be(m + 11, 8);
		char side = (char)m[19];
		uint32_t sh = (uint32_t)be(m + 20, 4), px = (uint32_t)be(m + 32, 4);
		if (ref <= c->max_ref || ck_find(c, ref))
			ck_fail(c, "order reference not new/increasing", n);
		if (ref > c->max_ref)
			c->max_ref = ref;
		if ((side != 'B' && side != 'S') || !sh || !px)
			ck_fail(c, "bad add fields", n);
		ck_place(c, n, loc, side, px);
		o = ck_insert(c, ref);
		o->shares = sh;
		o->price = px;
		o->locate = loc;
		o->side = side;
		break;
	}
	case 'E':
	case 'C':
	case 'X': {
		uint64_t ref = be(m + 11, 8);
		uint32_t sh = (uint32_t)be(m + 19, 4);
		o = ck_find(c, ref);
		if (!o) {
			ck_fail(c, "execution/cancel of an unknown order", n);
			break;
		}
		if (o->locate != loc)
			ck_fail(c, "locate differs from the order's", n);
		if (!sh || sh > o->shares) {
			ck_fail(c, "more shares than the order has", n);
			break;
		}
		if (m[0] == 'X' && sh == o->shares)
			ck_fail(c, "cancel of the whole order (should be D)", n);
		if (m[0] != 'X') {
			/* executions hit the best price of the order's side */
			uint32_t b = best(c, loc, o->side);
			if (b != o->price)
				ck_fail(c, "execution away from the touch", n);
		}
		o->shares -= sh;
		if (!o->shares) {
			level_del(c, loc, o->side, o->price);
			ck_erase(c, o);
		}
		break;
	}
	case 'D':
		o = ck_find(c, be(m + 11, 8));
		if (!o) {
			ck_fail(c, "delete of an unknown order", n);
			break;
		}
		if (o->locate != loc)
			ck_fail(c, "locate differs from the order's", n);
		level_del(c, loc, o->side, o->price);
		ck_erase(c, o);
		break;
	case 'U': {
		uint64_t old = be(m + 11, 8), nref = be(m + 19, 8);
		uint32_t sh = (uint32_t)be(m + 27, 4), px = (uint32_t)be(m + 31, 4);
		o = ck_find(c, old);
		if (!o) {
			ck_fail(c, "replace of an unknown order", n);
			break;
		}
		char side = o->side;
		level_del(c, loc, side, o->price);
		ck_erase(c, o);
		if (nref <= c->max_ref || ck_find(c, nref))
			ck_fail(c, "replace reference not new/increasing", n);
		if (nref > c->max_ref)
			c->max_ref = nref;
		if (!sh || !px)
			ck_fail(c, "bad replace fields", n);
		ck_place(c, n, loc, side, px);
		o = ck_insert(c, nref);
		o->shares = sh;
		o->price = px;
		o->locate = loc;
		o->side = side;
		break;
	}
	default:
		break;
	}
}

/* ---------------------------------------------------------------- helpers */

static struct rs_gen *mkgen(uint64_t seed, uint32_t symbols, uint64_t messages, bool uniform)
{
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.seed = seed;
	o.symbols = symbols;
	o.messages = messages;
	o.uniform_cancels = uniform;
	struct rs_gen *g = NULL;
	char err[200];
	int rc = rs_gen_create(&g, &o, err, sizeof(err));
	cr_assert_eq(rc, 0, "rs_gen_create: %d %s", rc, err);
	return g;
}

static void tmpname(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "/tmp/rs_test_gen_%d_%s", (int)getpid(), tag);
}

/* ---------------------------------------------------------------- encoders */

Test(gen, encoders_bytes)
{
	uint8_t b[64];
	char stk[8];
	rs_itch_enc_stock(stk, "AAPL");
	cr_assert_eq(memcmp(stk, "AAPL    ", 8), 0);
	/* A: locate 0x0102, tracking 3, ts 0x0000AABBCCDD, ref 0x1122334455667788,
	 * 'B', 100 shares, AAPL, $187.50 = 1875000 = 0x001C9C38 */
	size_t n = rs_itch_enc_add(b, 0x0102, 3, 0xAABBCCDDULL, 0x1122334455667788ULL, 'B', 100,
				   stk, 1875000);
	static const uint8_t want_a[36] = {'A', 0x01, 0x02, 0x00, 0x03, 0x00, 0x00, 0xAA, 0xBB,
					   0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					   0x88, 'B', 0x00, 0x00, 0x00, 0x64, 'A', 'A', 'P', 'L',
					   ' ', ' ', ' ', ' ', 0x00, 0x1C, 0x9C, 0x38};
	cr_assert_eq(n, 36);
	cr_assert_eq(memcmp(b, want_a, 36), 0);
	/* D */
	n = rs_itch_enc_delete(b, 7, 0, 0x010203040506ULL, 42);
	static const uint8_t want_d[19] = {'D', 0, 7, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 42};
	cr_assert_eq(n, 19);
	cr_assert_eq(memcmp(b, want_d, 19), 0);
	/* U */
	n = rs_itch_enc_replace(b, 1, 0, 5, 10, 11, 300, 100);
	cr_assert_eq(n, 35);
	cr_assert_eq(be(b + 11, 8), 10);
	cr_assert_eq(be(b + 19, 8), 11);
	cr_assert_eq(be(b + 27, 4), 300);
	cr_assert_eq(be(b + 31, 4), 100);
	/* lengths of every writer */
	const char mp[4] = {'G', 'S', 'C', 'O'};
	cr_assert_eq(rs_itch_enc_add_mpid(b, 1, 0, 1, 1, 'S', 1, stk, 1, mp), 40);
	cr_assert_eq(memcmp(b + 36, "GSCO", 4), 0);
	cr_assert_eq(rs_itch_enc_exec(b, 1, 0, 1, 1, 1, 1), 31);
	cr_assert_eq(rs_itch_enc_exec_price(b, 1, 0, 1, 1, 1, 1, 'Y', 1), 36);
	cr_assert_eq(rs_itch_enc_cancel(b, 1, 0, 1, 1, 1), 23);
	cr_assert_eq(rs_itch_enc_trade(b, 1, 0, 1, 0, 'B', 1, stk, 1, 1), 44);
	cr_assert_eq(rs_itch_enc_cross(b, 1, 0, 1, 1, stk, 1, 1, 'O'), 40);
	cr_assert_eq(rs_itch_enc_broken(b, 1, 0, 1, 1), 19);
	cr_assert_eq(rs_itch_enc_system_event(b, 0, 1, 'O'), 12);
	cr_assert_eq(b[11], 'O');
	struct rs_itch_enc_dir d = {.market_category = 'Q', .financial_status = 'N',
				    .round_lot_size = 100, .round_lots_only = 'N',
				    .issue_classification = 'C', .issue_subtype = {'Z', ' '},
				    .authenticity = 'P', .short_sale_threshold = 'N',
				    .ipo_flag = 'N', .luld_tier = '1', .etp_flag = 'N',
				    .inverse_indicator = 'N'};
	memcpy(d.stock, stk, 8);
	cr_assert_eq(rs_itch_enc_stock_directory(b, 9, 0, 1, &d), 39);
	cr_assert_eq(be(b + 21, 4), 100);
	cr_assert_eq(b[38], 'N');
	cr_assert_eq(rs_itch_enc_trading_action(b, 9, 0, 1, stk, 'T', "    "), 25);
	cr_assert_eq(rs_itch_enc_reg_sho(b, 9, 0, 1, stk, '0'), 20);
	cr_assert_eq(rs_itch_enc_participant(b, 9, 0, 1, mp, stk, 'Y', 'N', 'A'), 26);
	cr_assert_eq(rs_itch_enc_mwcb_decline(b, 0, 1, 1, 2, 3), 35);
	cr_assert_eq(rs_itch_enc_mwcb_status(b, 0, 1, '1'), 12);
	cr_assert_eq(rs_itch_enc_ipo_quoting(b, 9, 0, 1, stk, 1, 'A', 1), 28);
	cr_assert_eq(rs_itch_enc_luld_collar(b, 9, 0, 1, stk, 1, 2, 3, 4), 35);
	cr_assert_eq(rs_itch_enc_op_halt(b, 9, 0, 1, stk, 'Q', 'H'), 21);
	cr_assert_eq(rs_itch_enc_noii(b, 9, 0, 1, 1, 2, 'B', stk, 1, 2, 3, 'O', 'L'), 50);
	cr_assert_eq(rs_itch_enc_rpii(b, 9, 0, 1, stk, 'N'), 20);
}

/* Every encoder's output parses with the decoder helper's rs_itch_parse to
 * the values written. */
Test(gen, encoders_decode)
{
	uint8_t b[64];
	char stk[8];
	struct rs_itch_msg m;
	rs_itch_enc_stock(stk, "MSFT");
	size_t n = rs_itch_enc_add(b, 5, 0, 34200000000000ULL, 99, 'S', 300, stk, 4123400);
	cr_assert_eq(rs_itch_parse(b, n, &m), 0);
	cr_assert_eq(m.A.h.locate, 5);
	cr_assert_eq(m.A.h.ts, 34200000000000ULL);
	cr_assert_eq(m.A.order_ref, 99);
	cr_assert_eq(m.A.side, 'S');
	cr_assert_eq(m.A.shares, 300);
	cr_assert_eq(m.A.price, 4123400LL * 100000);
	cr_assert_eq(memcmp(m.A.stock, "MSFT    ", 8), 0);
	n = rs_itch_enc_exec_price(b, 5, 0, 1, 99, 100, 777, 'Y', 4123500);
	cr_assert_eq(rs_itch_parse(b, n, &m), 0);
	cr_assert_eq(m.E.order_ref, 99);
	cr_assert_eq(m.E.shares, 100);
	cr_assert_eq(m.E.match_number, 777);
	cr_assert_eq(m.E.printable, 'Y');
	cr_assert_eq(m.E.price, 4123500LL * 100000);
	n = rs_itch_enc_replace(b, 5, 0, 1, 99, 100, 200, 4123300);
	cr_assert_eq(rs_itch_parse(b, n, &m), 0);
	cr_assert_eq(m.U.orig_order_ref, 99);
	cr_assert_eq(m.U.new_order_ref, 100);
	cr_assert_eq(m.U.shares, 200);
	cr_assert_eq(m.U.price, 4123300LL * 100000);
	n = rs_itch_enc_cross(b, 5, 0, 1, 123456, stk, 4100000, 778, 'C');
	cr_assert_eq(rs_itch_parse(b, n, &m), 0);
	cr_assert_eq(m.Q.shares, 123456);
	cr_assert_eq(m.Q.cross_type, 'C');
	n = rs_itch_enc_noii(b, 5, 0, 1, 1000, 200, 'B', stk, 1, 2, 3, 'O', 'L');
	cr_assert_eq(rs_itch_parse(b, n, &m), 0);
	cr_assert_eq(m.I.paired_shares, 1000);
	cr_assert_eq(m.I.imbalance_shares, 200);
	cr_assert_eq(m.I.imbalance_direction, 'B');
	cr_assert_eq(m.I.price_variation, 'L');
}

/* ---------------------------------------------------------------- generator */

static void check_session(uint64_t seed, uint32_t symbols, uint64_t messages, bool uniform,
			  struct ck *c)
{
	struct rs_gen *g = mkgen(seed, symbols, messages, uniform);
	uint8_t b[RS_GEN_MSG_MAX];
	size_t n;
	ck_init(c, symbols);
	while ((n = rs_gen_next(g, b)))
		ck_msg(c, b, n);
	cr_assert_eq(c->errors, 0, "%llu errors; first: %s", (unsigned long long)c->errors,
		     c->first_error);
	cr_assert_eq(c->n, messages);
	const struct rs_gen_stats *st = rs_gen_stats(g);
	cr_assert_eq(st->messages, messages);
	cr_assert_eq(st->live_orders, c->live, "generator %llu live, checker %zu",
		     (unsigned long long)st->live_orders, c->live);
	rs_gen_destroy(g);
}

Test(gen, consistent_books_recent_cancels, .timeout = 120)
{
	struct ck c;
	check_session(7, 40, 400000, false, &c);
	cr_assert_eq(c.by_type['S'], 6);
	cr_assert_eq(c.by_type['R'], 40);
	cr_assert_eq(c.by_type['H'], 40);
	cr_assert_eq(c.by_type['Q'], 80);
	ck_fini(&c);
}

Test(gen, consistent_books_uniform_cancels, .timeout = 120)
{
	struct ck c;
	check_session(8, 25, 300000, true, &c);
	ck_fini(&c);
}

Test(gen, consistent_books_one_symbol, .timeout = 120)
{
	struct ck c;
	check_session(9, 1, 200000, false, &c);
	ck_fini(&c);
}

Test(gen, message_mix, .timeout = 120)
{
	struct ck c;
	const uint64_t total = 1000000;
	check_session(11, 100, total, false, &c);
	double flow = (double)(total - rs_gen_overhead(100));
#define PCT(x) (100.0 * (double)(x) / flow)
	double add = PCT(c.by_type['A'] + c.by_type['F']), del = PCT(c.by_type['D']);
	double rep = PCT(c.by_type['U']), ex = PCT(c.by_type['E'] + c.by_type['C']);
	double can = PCT(c.by_type['X']), tr = PCT(c.by_type['P']);
	cr_log_info("mix: add %.2f del %.2f rep %.2f exec %.2f cancel %.2f trade %.2f", add, del,
		    rep, ex, can, tr);
	cr_expect(add > 44.0 && add < 47.5, "adds %.2f%%", add);
	cr_expect(del > 40.5 && del < 43.5, "deletes %.2f%%", del);
	cr_expect(rep > 6.3 && rep < 7.7, "replaces %.2f%%", rep);
	cr_expect(ex > 2.5 && ex < 3.5, "executions %.2f%%", ex);
	cr_expect(can > 1.2 && can < 1.8, "cancels %.2f%%", can);
	cr_expect(tr > 0.8 && tr < 1.2, "trades %.2f%%", tr);
	cr_expect(c.by_type['F'] > 0 && c.by_type['C'] > 0, "F and C present");
#undef PCT
	/* Zipf: the top-ranked symbol is the busiest, far busier than the median */
	struct rs_gen *g = mkgen(11, 100, total, false);
	uint16_t top = rs_gen_locate_by_rank(g, 1), mid = rs_gen_locate_by_rank(g, 50);
	rs_gen_destroy(g);
	for (uint32_t l = 1; l <= 100; l++)
		cr_expect(c.per_locate[l] <= c.per_locate[top], "locate %u busier than rank 1", l);
	cr_expect(c.per_locate[top] > 20 * c.per_locate[mid], "zipf: top %llu, rank 50 %llu",
		  (unsigned long long)c.per_locate[top], (unsigned long long)c.per_locate[mid]);
	ck_fini(&c);
}

/* Orders die young: with the default recency bias most deleted orders are
 * among the newest of their symbol; uniform cancels are much older. */
static double median_delete_age(bool uniform)
{
	struct rs_gen *g = mkgen(5, 20, 200000, uniform);
	uint8_t b[RS_GEN_MSG_MAX];
	size_t n;
	uint64_t *ages = malloc(200000 * sizeof(uint64_t)), nages = 0;
	/* age in messages since the add, via ref -> message index table */
	uint64_t *born = calloc(1 << 22, sizeof(uint64_t));
	uint64_t i = 0;
	cr_assert(ages && born);
	while ((n = rs_gen_next(g, b))) {
		i++;
		if (b[0] == 'A' || b[0] == 'F')
			born[be(b + 11, 8) & ((1 << 22) - 1)] = i;
		else if (b[0] == 'U')
			born[be(b + 19, 8) & ((1 << 22) - 1)] = i;
		else if (b[0] == 'D')
			ages[nages++] = i - born[be(b + 11, 8) & ((1 << 22) - 1)];
	}
	rs_gen_destroy(g);
	/* median by counting */
	uint64_t lo = 0, hi = 200000;
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2, below = 0;
		for (uint64_t k = 0; k < nages; k++)
			below += ages[k] <= mid;
		if (below * 2 >= nages)
			hi = mid;
		else
			lo = mid + 1;
	}
	free(ages);
	free(born);
	return (double)lo;
}

Test(gen, order_lifetimes)
{
	double recent = median_delete_age(false), uni = median_delete_age(true);
	cr_log_info("median delete age: recent-biased %.0f, uniform %.0f messages", recent, uni);
	cr_expect(recent * 2 < uni, "recent %.0f vs uniform %.0f", recent, uni);
}

Test(gen, deterministic_by_seed)
{
	uint8_t a[RS_GEN_MSG_MAX], b[RS_GEN_MSG_MAX];
	struct rs_gen *g1 = mkgen(42, 30, 100000, false), *g2 = mkgen(42, 30, 100000, false);
	struct rs_gen *g3 = mkgen(43, 30, 100000, false);
	size_t n1, n2;
	uint64_t differ = 0;
	do {
		n1 = rs_gen_next(g1, a);
		n2 = rs_gen_next(g2, b);
		cr_assert_eq(n1, n2);
		cr_assert_eq(memcmp(a, b, n1), 0);
		size_t n3 = rs_gen_next(g3, b);
		differ += n3 != n1 || memcmp(a, b, n1) != 0;
	} while (n1);
	cr_expect(differ > 50000, "seed 43 differs from seed 42 in only %llu messages",
		  (unsigned long long)differ);
	rs_gen_destroy(g1);
	rs_gen_destroy(g2);
	rs_gen_destroy(g3);
}

/* flow_seed: same market (symbols, prices, activity ranks), another day's
 * order flow; deterministic for a given (seed, flow_seed). */
Test(gen, flow_seed_other_day_same_market)
{
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.seed = 42;
	o.symbols = 30;
	o.messages = 50000;
	struct rs_gen *g[3];
	char err[256];
	for (int i = 0; i < 3; i++) {
		o.flow_seed = i < 2 ? 7 : 8;
		cr_assert_eq(rs_gen_create(&g[i], &o, err, sizeof(err)), 0, "%s", err);
	}
	for (uint32_t r = 1; r <= 30; r++) {
		cr_assert_eq(rs_gen_locate_by_rank(g[0], r), rs_gen_locate_by_rank(g[2], r));
		cr_assert_str_eq(rs_gen_symbol(g[0], (uint16_t)r), rs_gen_symbol(g[2], (uint16_t)r));
	}
	uint8_t a[RS_GEN_MSG_MAX], b[RS_GEN_MSG_MAX], c[RS_GEN_MSG_MAX];
	uint64_t differ = 0, k = 0; /* k: messages compared */
	size_t n1;
	do {
		n1 = rs_gen_next(g[0], a);
		size_t n2 = rs_gen_next(g[1], b), n3 = rs_gen_next(g[2], c);
		cr_assert_eq(n1, n2);
		cr_assert_eq(memcmp(a, b, n1), 0);
		k++;
		differ += n3 != n1 || memcmp(a, c, n1) != 0;
	} while (n1);
	cr_expect(differ > k / 2, "flow seed 8 differs in only %llu of %llu messages",
		  (unsigned long long)differ, (unsigned long long)k);
	for (int i = 0; i < 3; i++)
		rs_gen_destroy(g[i]);
}

/* Generator -> day file -> the decoder helper's day-file reader and ITCH
 * decoder: every message is accepted, fields equal what the generator made. */
Test(gen, day_file_round_trip, .timeout = 120)
{
	char path[256];
	tmpname(path, sizeof(path), "rt.itch");
	struct rs_gen *g = mkgen(3, 60, 200000, false);
	uint64_t bytes = 0;
	cr_assert_eq(rs_gen_write_day(g, path, &bytes), 0);
	rs_gen_destroy(g);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq((uint64_t)sb.st_size, bytes);

	struct rs_itchfile f;
	cr_assert_eq(rs_itchfile_open(&f, path, 0), 0);
	struct rs_itch_dec dec;
	rs_itch_dec_init(&dec, 1);
	g = mkgen(3, 60, 200000, false);
	const uint8_t *m;
	size_t len;
	uint8_t want[RS_GEN_MSG_MAX];
	uint64_t n = 0, events = 0;
	int rc;
	while ((rc = rs_itchfile_next(&f, &m, &len)) == 1) {
		size_t wl = rs_gen_next(g, want);
		cr_assert_eq(len, wl, "message %llu length", (unsigned long long)n);
		cr_assert_eq(memcmp(m, want, len), 0, "message %llu bytes", (unsigned long long)n);
		struct rs_itch_msg pm;
		cr_assert_eq(rs_itch_parse(m, len, &pm), 0, "message %llu type %c rejected",
			     (unsigned long long)n, m[0]);
		cr_assert_eq(pm.h.type, (char)m[0]);
		cr_assert_eq(pm.h.locate, be(m + 1, 2));
		cr_assert_eq(pm.h.ts, be(m + 5, 6));
		if (m[0] == 'A' || m[0] == 'F') {
			cr_assert_eq(pm.A.order_ref, be(m + 11, 8));
			cr_assert_eq(pm.A.shares, be(m + 20, 4));
			cr_assert_eq(pm.A.price, (int64_t)be(m + 32, 4) * 100000);
		} else if (m[0] == 'U') {
			cr_assert_eq(pm.U.new_order_ref, be(m + 19, 8));
		}
		struct rs_event ev[RS_ITCH_MAX_EVENTS];
		events += rs_itch_decode(&dec, m, len, n + 1, 0, ev);
		n++;
	}
	cr_assert_eq(rc, 0, "day file ends cleanly");
	cr_assert_eq(n, 200000);
	cr_assert_eq(rs_gen_next(g, want), 0);
	for (unsigned r = 0; r < RS_ITCH_REJ__COUNT; r++)
		cr_assert_eq(dec.c.rejects[r], 0, "decoder rejects[%u] = %llu", r,
			     (unsigned long long)dec.c.rejects[r]);
	cr_assert(events > n / 2);
	rs_gen_destroy(g);
	rs_itchfile_close(&f);
	unlink(path);
}

/* pcap output: nanosecond Ethernet/IPv4/UDP MoldUDP64, contiguous sequence
 * numbers, the same messages as the day file, one end-of-session packet. */
Test(gen, pcap_output, .timeout = 120)
{
	char path[256];
	tmpname(path, sizeof(path), "out.pcap");
	struct rs_gen *g = mkgen(4, 30, 50000, false);
	struct rs_gen_pcap_opts po;
	rs_gen_pcap_opts_default(&po);
	po.midnight_ns = rs_gen_midnight_ns(2024, 6, 3);
	uint64_t npk = 0;
	cr_assert_eq(rs_gen_write_pcap(g, path, &po, &npk), 0);
	rs_gen_destroy(g);

	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	cr_assert(p, "%s", errbuf);
	cr_assert_eq(pcap_datalink(p), DLT_EN10MB);
	g = mkgen(4, 30, 50000, false);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t next_seq = 1, pk = 0, msgs = 0, eos = 0, last_t = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		pk++;
		cr_assert(h->caplen >= 42 + 20);
		cr_assert_eq(d[12], 0x08);
		cr_assert_eq(d[13], 0x00);
		cr_assert_eq(d[14 + 9], 17, "UDP");
		cr_assert_eq(be(d + 14 + 16, 4), 0xe9360c6f);
		cr_assert_eq(be(d + 34 + 2, 2), 26477);
		cr_assert_eq(be(d + 34 + 4, 2), h->caplen - 34);
		cr_assert(h->caplen - 42 <= 1400);
		uint64_t t = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
		cr_assert(t >= last_t);
		last_t = t;
		struct rs_moldudp_pkt mp;
		cr_assert_eq(rs_moldudp_parse(d + 42, h->caplen - 42, &mp), RS_MOLDUDP_OK);
		cr_assert_eq(memcmp(mp.session, "RSGEN00001", 10), 0);
		cr_assert_eq(mp.seq, next_seq);
		if (mp.kind == RS_MOLDUDP_KIND_EOS) {
			eos++;
			continue;
		}
		cr_assert(mp.count >= 1 && mp.count <= 8);
		struct rs_moldudp_iter it;
		rs_moldudp_iter_init(&it, &mp);
		const uint8_t *m;
		size_t len;
		uint64_t seq;
		int first = 1;
		while (rs_moldudp_next(&it, &m, &len, &seq)) {
			uint8_t want[RS_GEN_MSG_MAX];
			cr_assert_eq(rs_gen_next(g, want), len);
			cr_assert_eq(memcmp(want, m, len), 0);
			if (first) /* packet time = its first message's time */
				cr_assert_eq(t, (uint64_t)po.midnight_ns + be(m + 5, 6));
			first = 0;
			msgs++;
		}
		next_seq += mp.count;
	}
	pcap_close(p);
	rs_gen_destroy(g);
	cr_assert_eq(msgs, 50000);
	cr_assert_eq(eos, 1);
	cr_assert_eq(pk, npk);
	unlink(path);
}

Test(gen, injection_sweep_and_iceberg, .timeout = 60)
{
	struct rs_gen_opts o;
	rs_gen_opts_default(&o);
	o.seed = 21;
	o.symbols = 10;
	o.messages = 200000;
	cr_assert_eq(rs_gen_inject_parse(&o.inject[0], "sweep:#1@10:00:00,levels=4"), 0);
	cr_assert_eq(rs_gen_inject_parse(&o.inject[1], "iceberg:#2@11:00:00.5,refills=6,size=700,gap-ms=20"), 0);
	o.ninject = 2;
	cr_assert_eq(o.inject[1].at_ns, (11 * 3600ULL) * 1000000000ULL + 500000000ULL);
	struct rs_gen *g = NULL;
	cr_assert_eq(rs_gen_create(&g, &o, NULL, 0), 0);
	uint16_t l1 = rs_gen_locate_by_rank(g, 1), l2 = rs_gen_locate_by_rank(g, 2);
	struct ck c;
	ck_init(&c, 10);
	uint8_t b[RS_GEN_MSG_MAX];
	size_t n;
	/* sweep: the longest run of consecutive E on l1 with one timestamp, on
	 * distinct increasing prices (the checker gives each order's price) */
	uint64_t run = 0, best_run_levels = 0, run_ts = 0;
	uint32_t run_last_px = 0, run_levels = 0;
	/* iceberg: E of exactly 700 shares on l2 right after an A of 700 on l2 */
	uint64_t ice = 0;
	uint8_t prev[RS_GEN_MSG_MAX];
	size_t prevn = 0;
	while ((n = rs_gen_next(g, b))) {
		if (b[0] == 'E' && be(b + 1, 2) == l1) {
			struct ck_order *o1 = ck_find(&c, be(b + 11, 8));
			cr_assert(o1);
			uint64_t ts = be(b + 5, 6);
			if (run && ts == run_ts) {
				if (o1->price != run_last_px)
					run_levels++;
			} else {
				run = 0;
				run_levels = 1;
				run_ts = ts;
			}
			run++;
			run_last_px = o1->price;
			if (run_levels > best_run_levels)
				best_run_levels = run_levels;
		} else if (b[0] != 'A') { /* adds that thicken the book come before */
			run = 0;
		}
		if (b[0] == 'E' && be(b + 1, 2) == l2 && be(b + 19, 4) == 700 && prevn &&
		    prev[0] == 'A' && be(prev + 1, 2) == l2 && be(prev + 20, 4) == 700 &&
		    be(prev + 11, 8) == be(b + 11, 8))
			ice++;
		ck_msg(&c, b, n);
		memcpy(prev, b, n);
		prevn = n;
	}
	cr_assert_eq(c.errors, 0, "first error: %s", c.first_error);
	cr_expect_geq(best_run_levels, 4, "sweep took %llu levels", (unsigned long long)best_run_levels);
	cr_expect_eq(ice, 6, "iceberg refills %llu", (unsigned long long)ice);
	cr_expect_gt(rs_gen_stats(g)->injected, 0);
	rs_gen_destroy(g);
	ck_fini(&c);
}

Test(gen, bad_options)
{
	struct rs_gen_opts o;
	struct rs_gen *g = NULL;
	char err[200];
	rs_gen_opts_default(&o);
	o.symbols = 100;
	o.messages = rs_gen_overhead(100) - 1;
	cr_assert_eq(rs_gen_create(&g, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "fewer than"), "%s", err);
	o.messages = rs_gen_overhead(100); /* only the fixed messages: valid */
	cr_assert_eq(rs_gen_create(&g, &o, err, sizeof(err)), 0);
	uint8_t b[RS_GEN_MSG_MAX];
	uint64_t k = 0;
	while (rs_gen_next(g, b))
		k++;
	cr_assert_eq(k, rs_gen_overhead(100));
	rs_gen_destroy(g);
	o.symbols = 0;
	cr_assert_eq(rs_gen_create(&g, &o, err, sizeof(err)), -EINVAL);
	o.symbols = 10;
	o.messages = 1000;
	cr_assert_eq(rs_gen_inject_parse(&o.inject[0], "sweep:NOPE@10:00:00"), 0);
	o.ninject = 1;
	cr_assert_eq(rs_gen_create(&g, &o, err, sizeof(err)), -ENOENT);
	struct rs_gen_inject in;
	cr_assert_eq(rs_gen_inject_parse(&in, "sweep:X@25:00:00"), -EINVAL);
	cr_assert_eq(rs_gen_inject_parse(&in, "sweep:X"), -EINVAL);
	cr_assert_eq(rs_gen_inject_parse(&in, "hover:X@10:00:00"), -EINVAL);
	cr_assert_eq(rs_gen_inject_parse(&in, "sweep:X@10:00:00,levels=0"), -EINVAL);
	cr_assert_eq(rs_gen_inject_parse(&in, "sweep:X@10:00:00,side=Q"), -EINVAL);
	cr_assert_eq(rs_gen_inject_parse(&in, "sweep:X@10:00:00,side=S,levels=7"), 0);
	cr_assert_eq(in.side, 'S');
	cr_assert_eq(in.levels, 7);
}

Test(gen, midnight_new_york)
{
	/* 2024-06-03 (EDT): 04:00 UTC; 2024-01-02 (EST): 05:00 UTC */
	cr_assert_eq(rs_gen_midnight_ns(2024, 6, 3), 1717387200LL * 1000000000LL);
	cr_assert_eq(rs_gen_midnight_ns(2024, 1, 2), 1704171600LL * 1000000000LL);
	/* DST starts 2024-03-10 02:00: midnight that day is still EST */
	cr_assert_eq(rs_gen_midnight_ns(2024, 3, 10), 1710046800LL * 1000000000LL);
	cr_assert_eq(rs_gen_midnight_ns(2024, 3, 11), 1710129600LL * 1000000000LL);
	/* agrees with the decoder's */
	cr_assert_eq(rs_gen_midnight_ns(2023, 11, 5), rs_itch_midnight_ns(2023, 11, 5));
	cr_assert_eq(rs_gen_midnight_ns(2023, 11, 6), rs_itch_midnight_ns(2023, 11, 6));
}

/* The CLI: determinism of the bytes, --help, usage errors. */
Test(gen, cli, .timeout = 120)
{
	char a[256], b[256], cmd[1024];
	tmpname(a, sizeof(a), "cli_a.itch");
	tmpname(b, sizeof(b), "cli_b.itch");
	const char *bin = RS_BUILD_DIR "/bin/ringside";
	snprintf(cmd, sizeof(cmd), "%s gen --quiet --seed 5 --symbols 20 --messages 30k %s", bin, a);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s gen --quiet --seed 5 --symbols 20 --messages 30000 %s", bin, b);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	cr_assert_eq(system(cmd), 0, "same seed, same bytes");
	snprintf(cmd, sizeof(cmd), "%s gen --quiet --seed 6 --symbols 20 --messages 30000 %s", bin, b);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	cr_assert_neq(system(cmd), 0, "different seed, different bytes");
	/* the CLI file equals the library's */
	struct rs_gen *g = mkgen(5, 20, 30000, false);
	FILE *f = fopen(a, "rb");
	cr_assert(f);
	uint8_t m[RS_GEN_MSG_MAX], hdr[2], got[RS_GEN_MSG_MAX];
	size_t n;
	while ((n = rs_gen_next(g, m))) {
		cr_assert_eq(fread(hdr, 1, 2, f), 2);
		cr_assert_eq(((size_t)hdr[0] << 8 | hdr[1]), n);
		cr_assert_eq(fread(got, 1, n, f), n);
		cr_assert_eq(memcmp(got, m, n), 0);
	}
	cr_assert_eq(fread(hdr, 1, 1, f), 0);
	fclose(f);
	rs_gen_destroy(g);
	/* --flow-seed: the library's (seed, flow_seed) session */
	snprintf(cmd, sizeof(cmd), "%s gen --quiet --seed 5 --flow-seed 9 --symbols 20 --messages 30k %s",
		 bin, a);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	struct rs_gen_opts fo;
	rs_gen_opts_default(&fo);
	fo.seed = 5;
	fo.flow_seed = 9;
	fo.symbols = 20;
	fo.messages = 30000;
	char err[256];
	cr_assert_eq(rs_gen_create(&g, &fo, err, sizeof(err)), 0, "%s", err);
	f = fopen(a, "rb");
	cr_assert(f);
	while ((n = rs_gen_next(g, m))) {
		cr_assert_eq(fread(hdr, 1, 2, f), 2);
		cr_assert_eq(((size_t)hdr[0] << 8 | hdr[1]), n);
		cr_assert_eq(fread(got, 1, n, f), n);
		cr_assert_eq(memcmp(got, m, n), 0);
	}
	cr_assert_eq(fread(hdr, 1, 1, f), 0);
	fclose(f);
	rs_gen_destroy(g);
	snprintf(cmd, sizeof(cmd), "%s gen --flow-seed x %s 2>/dev/null", bin, a);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 64);
	snprintf(cmd, sizeof(cmd), "%s gen --help > /dev/null", bin);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s gen --symbols 100 --messages 10 %s 2>/dev/null", bin, a);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 64);
	snprintf(cmd, sizeof(cmd), "%s gen --format xml %s 2>/dev/null", bin, a);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 64);
	snprintf(cmd, sizeof(cmd), "%s gen --quiet --messages 5000 --symbols 10 /nonexistent/dir/x 2>/dev/null", bin);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 74);
	snprintf(cmd, sizeof(cmd), "%s gen --quiet --format pcap --date 2024-01-02 --messages 5000 --symbols 10 %s", bin, b);
	cr_assert_eq(system(cmd), 0);
	unlink(a);
	unlink(b);
}
