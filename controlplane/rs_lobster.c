/* rs_lobster.c - LOBSTER message/orderbook files. See rs_lobster.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_lobster.h"
#include "shm/rs_err.h"

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Signed decimal integer field ending at ',' or end of line. */
static int parse_int(const char **pp, int64_t *out)
{
	const char *p = skip_ws(*pp);
	int neg = 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9')
		return -1;
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	p = skip_ws(p);
	*out = neg ? -(int64_t)v : (int64_t)v;
	*pp = p;
	return 0;
}

static int field_end(const char **pp, int last)
{
	const char *p = *pp;
	if (last)
		return (*p == 0 || *p == '\r' || *p == '\n') ? 0 : -1;
	if (*p != ',')
		return -1;
	*pp = p + 1;
	return 0;
}

int rs_lobster_parse_msg(const char *line, struct rs_lobster_msg *m, const char **why)
{
	const char *p = skip_ws(line);
	/* time: seconds '.' fraction, converted exactly to ns */
	uint64_t sec = 0, frac = 0;
	int nd = 0, digits = 0;
	while (*p >= '0' && *p <= '9') {
		if (sec > 1000000000ull) {
			*why = "time out of range";
			return -EINVAL;
		}
		sec = sec * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nd < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				nd++;
			}
			p++;
			digits++;
		}
	}
	if (!digits) {
		*why = "time is not a decimal number";
		return -EINVAL;
	}
	while (nd < 9) {
		frac *= 10;
		nd++;
	}
	m->time_ns = sec * 1000000000ull + frac;
	p = skip_ws(p);
	int64_t type, id, size, price, dir;
	if (field_end(&p, 0) || parse_int(&p, &type) || field_end(&p, 0) || parse_int(&p, &id) ||
	    field_end(&p, 0) || parse_int(&p, &size) || field_end(&p, 0) ||
	    parse_int(&p, &price) || field_end(&p, 0) || parse_int(&p, &dir) || field_end(&p, 1)) {
		*why = "expected 6 comma-separated fields: time,type,order_id,size,price,direction";
		return -EINVAL;
	}
	if (type < 1 || type > 7) {
		*why = "event type not in 1..7";
		return -EINVAL;
	}
	if (dir != 1 && dir != -1) {
		*why = "direction not 1 or -1";
		return -EINVAL;
	}
	if (id < 0) {
		*why = "negative order id";
		return -EINVAL;
	}
	if (price > INT64_MAX / RS_LOBSTER_PRICE_MULT || price < -INT64_MAX / RS_LOBSTER_PRICE_MULT) {
		*why = "price out of range";
		return -EINVAL;
	}
	m->type = (int)type;
	m->order_id = (uint64_t)id;
	m->size = size;
	m->price = price;
	m->direction = (int)dir;
	return 0;
}

int rs_lobster_parse_row(const char *line, struct rs_lobster_row *r, const char **why)
{
	const char *p = line;
	unsigned n = 0;
	int64_t v[4];
	for (;;) {
		for (int k = 0; k < 4; k++) {
			if (parse_int(&p, &v[k])) {
				*why = "orderbook row: expected integers (ask px, ask size, bid px, bid size per level)";
				return -EINVAL;
			}
			if (k < 3 && field_end(&p, 0)) {
				*why = "orderbook row: field count not a multiple of 4";
				return -EINVAL;
			}
		}
		if (n >= RS_LOBSTER_MAX_LEVELS) {
			*why = "orderbook row: more than 200 levels";
			return -EINVAL;
		}
		if (v[1] < 0 || v[3] < 0 || v[1] > UINT32_MAX || v[3] > UINT32_MAX ||
		    v[0] > INT64_MAX / RS_LOBSTER_PRICE_MULT || v[2] < -INT64_MAX / RS_LOBSTER_PRICE_MULT ||
		    v[0] < -INT64_MAX / RS_LOBSTER_PRICE_MULT || v[2] > INT64_MAX / RS_LOBSTER_PRICE_MULT) {
			*why = "orderbook row: size or price out of range";
			return -EINVAL;
		}
		bool adummy = v[0] == RS_LOBSTER_DUMMY_ASK || v[1] == 0;
		bool bdummy = v[2] == RS_LOBSTER_DUMMY_BID || v[3] == 0;
		r->ask_px[n] = adummy ? RS_UNDEF_PRICE : v[0] * RS_LOBSTER_PRICE_MULT;
		r->ask_sz[n] = adummy ? 0 : v[1];
		r->bid_px[n] = bdummy ? RS_UNDEF_PRICE : v[2] * RS_LOBSTER_PRICE_MULT;
		r->bid_sz[n] = bdummy ? 0 : v[3];
		n++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (field_end(&p, 1)) {
			*why = "orderbook row: trailing characters";
			return -EINVAL;
		}
		break;
	}
	r->nlevels = n;
	return 0;
}

static void ev_init(struct rs_event *e, uint32_t iid, uint64_t ts, uint32_t seq, char action,
		    char side, uint64_t id, int64_t price, uint32_t size, uint8_t flags)
{
	memset(e, 0, sizeof(*e));
	e->mbo.hd.length = sizeof(struct rs_mbo) / 4;
	e->mbo.hd.rtype = RS_RTYPE_MBO;
	e->mbo.hd.instrument_id = iid;
	e->mbo.hd.ts_event = ts;
	e->mbo.order_id = id;
	e->mbo.price = price;
	e->mbo.size = size;
	e->mbo.flags = flags;
	e->mbo.action = action;
	e->mbo.side = side;
	e->mbo.ts_recv = ts;
	e->mbo.sequence = seq;
}

unsigned rs_lobster_to_events(const struct rs_lobster_msg *m, uint32_t iid, uint64_t midnight_ns,
			      uint32_t seq, struct rs_event *out)
{
	uint64_t ts = midnight_ns + m->time_ns;
	char side = m->direction == 1 ? RS_SIDE_BID : RS_SIDE_ASK;
	char aggr = m->direction == 1 ? RS_SIDE_ASK : RS_SIDE_BID;
	int64_t px = m->price * RS_LOBSTER_PRICE_MULT;
	bool size_ok = m->size > 0 && m->size < (int64_t)RS_SIZE_ALL;
	uint32_t sz = size_ok ? (uint32_t)m->size : 0;
	switch (m->type) {
	case 1:
		ev_init(out, iid, ts, seq, RS_ACTION_ADD, side, m->order_id, px, sz, RS_F_LAST);
		return 1;
	case 2:
		ev_init(out, iid, ts, seq, RS_ACTION_CANCEL, side, m->order_id, px, sz, RS_F_LAST);
		return 1;
	case 3:
		ev_init(out, iid, ts, seq, RS_ACTION_CANCEL, side, m->order_id, px, sz, RS_F_LAST);
		out->rs_flags = RS_EVF_DELETE;
		return 1;
	case 4:
		ev_init(out, iid, ts, seq, RS_ACTION_FILL, side, m->order_id, px, sz, 0);
		ev_init(out + 1, iid, ts, seq, RS_ACTION_CANCEL, side, m->order_id, px, sz, RS_F_LAST);
		return 2;
	case 5:
		ev_init(out, iid, ts, seq, RS_ACTION_TRADE, aggr, m->order_id, px, sz, RS_F_LAST);
		return 1;
	case 6:
		ev_init(out, iid, ts, seq, RS_ACTION_TRADE, RS_SIDE_NONE, m->order_id, px, sz, RS_F_LAST);
		return 1;
	case 7:
		ev_init(out, iid, ts, seq, RS_ACTION_NONE, RS_SIDE_NONE, 0, px, 0, RS_F_LAST);
		return 1;
	default:
		return 0;
	}
}

int rs_lobster_open(struct rs_lobster_file *lf, const char *path)
{
	memset(lf, 0, sizeof(*lf));
	lf->f = fopen(path, "re");
	if (!lf->f)
		return RS_ERR_SET(-errno, "%s: %s", path, strerror(errno));
	return 0;
}

int rs_lobster_getline(struct rs_lobster_file *lf, const char **line)
{
	for (;;) {
		ssize_t n = getline(&lf->line, &lf->cap, lf->f);
		if (n < 0)
			return ferror(lf->f) ? RS_ERR_SET(-EIO, "read error at line %llu",
							  (unsigned long long)lf->lineno + 1)
					     : 0;
		lf->lineno++;
		while (n > 0 && (lf->line[n - 1] == '\n' || lf->line[n - 1] == '\r'))
			lf->line[--n] = 0;
		if ((size_t)n != strlen(lf->line))
			return RS_ERR_SET(-EBADMSG, "line %llu: NUL byte", (unsigned long long)lf->lineno);
		if (n == 0)
			continue;
		*line = lf->line;
		return 1;
	}
}

void rs_lobster_close(struct rs_lobster_file *lf)
{
	if (lf->f)
		fclose(lf->f);
	free(lf->line);
	memset(lf, 0, sizeof(*lf));
}

int rs_lobster_next_msg(struct rs_lobster_file *lf, struct rs_lobster_msg *m)
{
	const char *line, *why;
	int rc = rs_lobster_getline(lf, &line);
	if (rc <= 0)
		return rc;
	if (rs_lobster_parse_msg(line, m, &why))
		return RS_ERR_SET(-EBADMSG, "line %llu: %s", (unsigned long long)lf->lineno, why);
	return 1;
}

int rs_lobster_next_row(struct rs_lobster_file *lf, struct rs_lobster_row *r)
{
	const char *line, *why;
	int rc = rs_lobster_getline(lf, &line);
	if (rc <= 0)
		return rc;
	if (rs_lobster_parse_row(line, r, &why))
		return RS_ERR_SET(-EBADMSG, "line %llu: %s", (unsigned long long)lf->lineno, why);
	return 1;
}

int rs_lobster_seed(struct rs_book *b, uint32_t iid, const struct rs_lobster_row *row0,
		    const struct rs_lobster_msg *msg0)
{
	/* the state before msg0, per side: row0's levels adjusted by msg0 */
	int64_t px[2][RS_LOBSTER_MAX_LEVELS + 1], sz[2][RS_LOBSTER_MAX_LEVELS + 1];
	unsigned n[2] = {0, 0};
	for (unsigned i = 0; i < row0->nlevels; i++) {
		if (row0->bid_px[i] != RS_UNDEF_PRICE)
			px[0][n[0]] = row0->bid_px[i], sz[0][n[0]++] = row0->bid_sz[i];
		if (row0->ask_px[i] != RS_UNDEF_PRICE)
			px[1][n[1]] = row0->ask_px[i], sz[1][n[1]++] = row0->ask_sz[i];
	}
	if (msg0 && msg0->type >= 1 && msg0->type <= 4) {
		int s = msg0->direction == 1 ? 0 : 1;
		int64_t p = msg0->price * RS_LOBSTER_PRICE_MULT;
		int64_t d = msg0->type == 1 ? -msg0->size : msg0->size; /* undo */
		unsigned i = 0;
		while (i < n[s] && px[s][i] != p)
			i++;
		if (i == n[s]) { /* level emptied by msg0 (or added beyond the row) */
			if (d < 0)
				return RS_ERR_SET(-EINVAL, "first message adds at %lld, absent from the first row",
						  (long long)msg0->price);
			px[s][n[s]] = p;
			sz[s][n[s]++] = 0;
		}
		sz[s][i] += d;
		if (sz[s][i] < 0)
			return RS_ERR_SET(-EINVAL, "first message removes more than the level at %lld holds",
					  (long long)msg0->price);
	}
	int added = 0;
	for (int s = 0; s < 2; s++) {
		for (unsigned i = 0; i < n[s]; i++) {
			if (sz[s][i] <= 0)
				continue;
			struct rs_event e;
			ev_init(&e, iid, msg0 ? msg0->time_ns : 0, 0, RS_ACTION_ADD,
				s ? RS_SIDE_ASK : RS_SIDE_BID, RS_LOBSTER_SEED_ID(s, px[s][i]), px[s][i],
				sz[s][i] >= (int64_t)RS_SIZE_ALL ? RS_SIZE_ALL - 1 : (uint32_t)sz[s][i],
				RS_F_SNAPSHOT | RS_F_LAST);
			rs_book_apply(b, &e);
			if (e.rs_flags & RS_EVF_REJECTED)
				return RS_ERR_SET(-ENOSPC, "seed order at %lld rejected by the book",
						  (long long)px[s][i]);
			added++;
		}
	}
	return added;
}

int rs_lobster_fixup(const struct rs_book *b, struct rs_event *ev)
{
	struct rs_mbo *m = &ev->mbo;
	if (m->action != RS_ACTION_CANCEL && m->action != RS_ACTION_FILL)
		return 0;
	if (m->order_id & (1ULL << 63))
		return 0;
	if (rs_book_order(b, m->hd.instrument_id, m->order_id))
		return 0;
	int s = m->side == RS_SIDE_BID ? 0 : m->side == RS_SIDE_ASK ? 1 : -1;
	if (s < 0 || m->price == RS_UNDEF_PRICE)
		return 0;
	uint64_t sid = RS_LOBSTER_SEED_ID(s, m->price);
	if (!rs_book_order(b, m->hd.instrument_id, sid))
		return 0;
	m->order_id = sid;
	ev->rs_flags &= ~RS_EVF_DELETE;
	return 1;
}

int rs_lobster_sync_level(struct rs_book *b, uint32_t iid, int side, int64_t price, uint64_t size)
{
	int idx = rs_book_find(b, iid);
	if (idx < 0)
		idx = rs_book_define(b, iid, NULL, 0);
	if (idx < 0)
		return RS_ERR_SET(-ENOSPC, "no room for instrument %u", iid);
	char sc = side ? RS_SIDE_ASK : RS_SIDE_BID;
	uint64_t sid = RS_LOBSTER_SEED_ID(side, price);
	int applied = 0;
	struct rs_event e;
	for (;;) {
		int pos = rs_book_level_pos(b, (uint32_t)idx, side, price);
		uint64_t have = 0;
		if (pos >= 0) {
			/* size of the level at pos: read the top pos+1 levels */
			struct rs_level *all = malloc(((size_t)pos + 1) * sizeof(*all));
			if (!all)
				return RS_ERR_SET(-ENOMEM, "out of memory");
			rs_book_levels(b, (uint32_t)idx, side, all, (unsigned)pos + 1);
			have = all[pos].size;
			free(all);
		}
		const struct rs_book_order *seed = rs_book_order(b, iid, sid);
		uint64_t real = have - (seed ? seed->size : 0);
		if (real <= size) {
			uint64_t want = size - real;
			if (want >= RS_SIZE_ALL)
				want = RS_SIZE_ALL - 1;
			if (seed && want == seed->size)
				return applied;
			if (!seed && want == 0)
				return applied;
			if (seed && want)
				ev_init(&e, iid, 0, 0, RS_ACTION_MODIFY, sc, sid, price, (uint32_t)want, RS_F_LAST);
			else if (seed)
				ev_init(&e, iid, 0, 0, RS_ACTION_CANCEL, sc, sid, price, seed->size, RS_F_LAST);
			else
				ev_init(&e, iid, 0, 0, RS_ACTION_ADD, sc, sid, price, (uint32_t)want, RS_F_LAST);
			rs_book_apply(b, &e);
			if (e.rs_flags & RS_EVF_REJECTED)
				return RS_ERR_SET(-ENOSPC, "sync of level %lld rejected", (long long)price);
			return applied + 1;
		}
		/* real orders exceed the target: cancel the newest one (or its excess) */
		uint32_t cnt = rs_book_level_orders(b, (uint32_t)idx, side, (uint32_t)pos, NULL, 0);
		uint64_t *ids = malloc((size_t)cnt * sizeof(*ids));
		if (!ids)
			return RS_ERR_SET(-ENOMEM, "out of memory");
		rs_book_level_orders(b, (uint32_t)idx, side, (uint32_t)pos, ids, cnt);
		uint64_t victim = ids[cnt - 1] == sid && cnt > 1 ? ids[cnt - 2] : ids[cnt - 1];
		free(ids);
		const struct rs_book_order *o = rs_book_order(b, iid, victim);
		uint64_t excess = real - size;
		uint32_t cut = o->size <= excess ? o->size : (uint32_t)excess;
		ev_init(&e, iid, 0, 0, RS_ACTION_CANCEL, sc, victim, price, cut, RS_F_LAST);
		rs_book_apply(b, &e);
		if (e.rs_flags & RS_EVF_REJECTED)
			return RS_ERR_SET(-ENOSPC, "sync of level %lld rejected", (long long)price);
		applied++;
	}
}

/* Window edge of a side: the worst shown price when all N levels are
 * shown, else everything (RS_UNDEF_PRICE). */
static int64_t edge_of(const int64_t *px, unsigned n)
{
	return n && px[n - 1] != RS_UNDEF_PRICE ? px[n - 1] : RS_UNDEF_PRICE;
}

void rs_lobster_window(const struct rs_lobster_row *row, int64_t bound[2])
{
	bound[0] = edge_of(row->bid_px, row->nlevels);
	bound[1] = edge_of(row->ask_px, row->nlevels);
}

void rs_lobster_narrow(const struct rs_lobster_row *row, int64_t bound[2])
{
	int64_t e0 = edge_of(row->bid_px, row->nlevels), e1 = edge_of(row->ask_px, row->nlevels);
	if (e0 != RS_UNDEF_PRICE && (bound[0] == RS_UNDEF_PRICE || e0 > bound[0]))
		bound[0] = e0;
	if (e1 != RS_UNDEF_PRICE && (bound[1] == RS_UNDEF_PRICE || e1 < bound[1]))
		bound[1] = e1;
}

static bool beyond(int side, int64_t p, int64_t bound)
{
	return bound != RS_UNDEF_PRICE && (side ? p > bound : p < bound);
}

int rs_lobster_sync_row(struct rs_book *b, uint32_t iid, const struct rs_lobster_row *row,
			int64_t bound[2])
{
	int idx = rs_book_find(b, iid);
	int changed = 0;
	for (int side = 0; side < 2; side++) {
		const int64_t *vpx = side ? row->ask_px : row->bid_px;
		const int64_t *vsz = side ? row->ask_sz : row->bid_sz;
		int64_t edge = edge_of(vpx, row->nlevels);
		/* our levels in (bound, edge] that the row does not show: gone */
		if (idx >= 0) {
			struct rs_level ours[RS_LOBSTER_MAX_LEVELS];
			unsigned n = rs_book_levels(b, (uint32_t)idx, side, ours, row->nlevels);
			for (unsigned l = 0; l < n; l++) {
				int64_t p = ours[l].price;
				bool in_window = edge == RS_UNDEF_PRICE || !beyond(side, p, edge);
				if (!beyond(side, p, bound[side]) || !in_window)
					continue;
				bool shown = false;
				for (unsigned v = 0; v < row->nlevels; v++)
					shown |= vpx[v] == p;
				if (!shown) {
					int r = rs_lobster_sync_level(b, iid, side, p, 0);
					if (r < 0)
						return r;
					changed += r > 0;
				}
			}
		}
		for (unsigned v = 0; v < row->nlevels && vpx[v] != RS_UNDEF_PRICE; v++) {
			if (!beyond(side, vpx[v], bound[side]))
				continue;
			int r = rs_lobster_sync_level(b, iid, side, vpx[v], (uint64_t)vsz[v]);
			if (r < 0)
				return r;
			changed += r > 0;
			idx = rs_book_find(b, iid);
		}
		bound[side] = edge;
	}
	return changed;
}
