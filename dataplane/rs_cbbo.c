/* rs_cbbo.c - consolidated BBO across venues. See rs_cbbo.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rs_cbbo.h"
#include "shm/rs_err.h"

/* A venue's last BBO. */
struct cbbo_venue {
	int64_t bid_px, ask_px;
	uint32_t bid_sz, ask_sz;
	uint32_t bid_ct, ask_ct;
};

/* (publisher_id, instrument_id) -> (symbol, venue slot); open addressing,
 * linear probing, never deleted. sym1 == 0: empty. */
struct cbbo_pslot {
	uint64_t key;
	uint32_t sym1;
	uint32_t venue;
};

struct rs_cbbo {
	uint32_t max_symbols, max_venues, nsym;
	struct rs_cbbo_quote *q;     /* [max_symbols] */
	struct cbbo_venue *v;        /* [max_symbols * max_venues] */
	struct cbbo_pslot *pmap;
	uint64_t pmask;
	uint32_t *smap;              /* symbol hash -> index + 1 */
	uint32_t smask;
	uint64_t unbound;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t sym_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static inline uint64_t pkey(uint16_t publisher_id, uint32_t instrument_id)
{
	return (uint64_t)publisher_id << 32 | instrument_id;
}

static inline struct cbbo_pslot *pfind(const struct rs_cbbo *c, uint64_t key)
{
	uint64_t i = mix64(key) & c->pmask;
	for (;;) {
		struct cbbo_pslot *s = &c->pmap[i];
		if (!s->sym1 || s->key == key)
			return s;
		i = (i + 1) & c->pmask;
	}
}

int rs_cbbo_create(struct rs_cbbo **out, uint32_t max_symbols, uint32_t max_venues)
{
	if (!max_symbols || !max_venues || max_symbols > (1u << 24) || max_venues > 65535)
		return RS_ERR_SET(-EINVAL, "cbbo: %u symbols x %u venues (1..2^24 x 1..65535)",
				  max_symbols, max_venues);
	struct rs_cbbo *c = calloc(1, sizeof(*c));
	if (!c)
		return RS_ERR_SET(-ENOMEM, "cbbo: out of memory");
	c->max_symbols = max_symbols;
	c->max_venues = max_venues;
	uint64_t pairs = (uint64_t)max_symbols * max_venues, pn = 16;
	while (pn < pairs * 2)
		pn <<= 1;
	uint32_t sn = 16;
	while (sn < max_symbols * 2u)
		sn <<= 1;
	c->pmask = pn - 1;
	c->smask = sn - 1;
	c->q = calloc(max_symbols, sizeof(*c->q));
	c->v = calloc(pairs, sizeof(*c->v));
	c->pmap = calloc(pn, sizeof(*c->pmap));
	c->smap = calloc(sn, sizeof(*c->smap));
	if (!c->q || !c->v || !c->pmap || !c->smap) {
		rs_cbbo_destroy(c);
		return RS_ERR_SET(-ENOMEM, "cbbo: out of memory (%u symbols x %u venues)", max_symbols,
				  max_venues);
	}
	*out = c;
	return 0;
}

void rs_cbbo_destroy(struct rs_cbbo *c)
{
	if (!c)
		return;
	free(c->q);
	free(c->v);
	free(c->pmap);
	free(c->smap);
	free(c);
}

int rs_cbbo_find(const struct rs_cbbo *c, const char *symbol)
{
	if (!symbol)
		return -1;
	for (uint32_t i = sym_hash(symbol) & c->smask;; i = (i + 1) & c->smask) {
		uint32_t x = c->smap[i];
		if (!x)
			return -1;
		if (!strncmp(c->q[x - 1].symbol, symbol, RS_SYMBOL_LEN))
			return (int)(x - 1);
	}
}

int rs_cbbo_bind(struct rs_cbbo *c, uint16_t publisher_id, uint32_t instrument_id,
		 const char *symbol)
{
	size_t len = symbol ? strlen(symbol) : 0;
	if (!len || len >= RS_SYMBOL_LEN)
		return RS_ERR_SET(-EINVAL, "cbbo: symbol must have 1..%d characters", RS_SYMBOL_LEN - 1);
	int idx = rs_cbbo_find(c, symbol);
	struct cbbo_pslot *ps = pfind(c, pkey(publisher_id, instrument_id));
	if (ps->sym1) {
		if ((int)ps->sym1 - 1 == idx)
			return idx;
		return RS_ERR_SET(-EEXIST, "cbbo: publisher %u instrument %u is bound to %s, not %s",
				  publisher_id, instrument_id, c->q[ps->sym1 - 1].symbol, symbol);
	}
	if (idx < 0) {
		if (c->nsym >= c->max_symbols)
			return RS_ERR_SET(-ENOSPC, "cbbo: %u symbols in use", c->max_symbols);
		idx = (int)c->nsym++;
		struct rs_cbbo_quote *q = &c->q[idx];
		memcpy(q->symbol, symbol, len);
		q->bid.price = q->ask.price = RS_UNDEF_PRICE;
		uint32_t i = sym_hash(symbol) & c->smask;
		while (c->smap[i])
			i = (i + 1) & c->smask;
		c->smap[i] = (uint32_t)idx + 1;
	}
	struct rs_cbbo_quote *q = &c->q[idx];
	if (q->nvenues >= c->max_venues)
		return RS_ERR_SET(-ENOSPC, "cbbo: %s has %u venues already", symbol, c->max_venues);
	struct cbbo_venue *v = &c->v[(size_t)idx * c->max_venues + q->nvenues];
	v->bid_px = v->ask_px = RS_UNDEF_PRICE;
	ps->key = pkey(publisher_id, instrument_id);
	ps->sym1 = (uint32_t)idx + 1;
	ps->venue = q->nvenues++;
	return idx;
}

/* Best side over the venues: bid (sign 1) = max price, ask (sign -1) = min
 * price (compared as sign * price); equal prices add up. */
static inline struct rs_cbbo_side best(const struct cbbo_venue *v, uint32_t n, bool ask)
{
	struct rs_cbbo_side s = {RS_UNDEF_PRICE, 0, 0, 0, 0};
	for (uint32_t j = 0; j < n; j++) {
		int64_t px = ask ? v[j].ask_px : v[j].bid_px;
		if (px == RS_UNDEF_PRICE)
			continue;
		uint32_t sz = ask ? v[j].ask_sz : v[j].bid_sz, ct = ask ? v[j].ask_ct : v[j].bid_ct;
		if (s.price == RS_UNDEF_PRICE || (ask ? px < s.price : px > s.price)) {
			s.price = px;
			s.size = sz;
			s.count = ct;
			s.venues = 1;
		} else if (px == s.price) {
			s.size += sz;
			s.count += ct;
			s.venues++;
		}
	}
	return s;
}

static inline bool side_eq(const struct rs_cbbo_side *a, const struct rs_cbbo_side *b)
{
	return a->price == b->price && a->size == b->size && a->count == b->count &&
	       a->venues == b->venues;
}

int rs_cbbo_update(struct rs_cbbo *c, uint16_t publisher_id, uint32_t instrument_id,
		   const struct rs_level *bid, const struct rs_level *ask, uint64_t ts_event)
{
	const struct cbbo_pslot *ps = pfind(c, pkey(publisher_id, instrument_id));
	if (__builtin_expect(!ps->sym1, 0)) {
		c->unbound++;
		return -1;
	}
	uint32_t idx = ps->sym1 - 1;
	struct rs_cbbo_quote *q = &c->q[idx];
	struct cbbo_venue *vs = &c->v[(size_t)idx * c->max_venues], *v = &vs[ps->venue];
	v->bid_px = bid->price;
	v->bid_sz = bid->size;
	v->bid_ct = bid->count;
	v->ask_px = ask->price;
	v->ask_sz = ask->size;
	v->ask_ct = ask->count;
	struct rs_cbbo_side b = best(vs, q->nvenues, false), a = best(vs, q->nvenues, true);
	q->updates++;
	q->ts_event = ts_event;
	if (side_eq(&b, &q->bid) && side_eq(&a, &q->ask))
		return (int)idx;
	q->bid = b;
	q->ask = a;
	q->crossed = b.price == RS_UNDEF_PRICE || a.price == RS_UNDEF_PRICE ? 0
		     : b.price > a.price				       ? RS_CBBO_CROSSED
		     : b.price == a.price				       ? RS_CBBO_LOCKED
									       : 0;
	q->changes++;
	return (int)idx | RS_CBBO_CHANGED;
}

const struct rs_cbbo_quote *rs_cbbo_get(const struct rs_cbbo *c, uint32_t idx)
{
	return idx < c->nsym ? &c->q[idx] : NULL;
}

uint32_t rs_cbbo_nsymbols(const struct rs_cbbo *c)
{
	return c->nsym;
}

uint64_t rs_cbbo_unbound(const struct rs_cbbo *c)
{
	return c->unbound;
}
