/*
 * rs_client.c - libringside: the public client API (include/ringside.h).
 *
 * Everything here is cold except rs_client_sub_poll, rs_client_spsc_poll
 * and the table reads, which make no system calls. Liveness checks
 * (rs_client_check) are explicit so the read path stays syscall-free.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ringside.h"
#include "rs_bcast.h"
#include "rs_counters.h"
#include "rs_err.h"
#include "rs_itable.h"
#include "rs_ring.h"
#include "rs_seqtab.h"
#include "rs_shm.h"

#define DEFAULT_STALE_NS 5000000000ull
#define SUB_BUF 65536u

struct rs_table {
	struct rs_client *c;
	struct rs_table *next;
	struct rs_shm_seg *seg;
	struct rs_seqtab t;
	char name[RS_NAME_LEN];
};

struct rs_sub {
	struct rs_client *c;
	struct rs_sub *next;
	struct rs_shm_seg *seg;
	struct rs_bcast_reader rd;
	uint64_t delivered;
	uint64_t overruns; /* across re-attachments */
	int start;
	char name[RS_NAME_LEN];
	alignas(64) uint8_t buf[SUB_BUF];
};

struct rs_spsc {
	struct rs_client *c;
	struct rs_spsc *next;
	struct rs_shm_seg *seg;
	struct rs_ring r;
	char name[RS_NAME_LEN];
};

struct rs_client {
	char instance[RS_NAME_LEN];
	uint64_t stale_ns;
	struct rs_shm_seg *anchor; /* liveness and generation reference */
	struct rs_table *tables;
	struct rs_sub *subs;
	struct rs_spsc *spscs;
	struct rs_shm_seg *counters;
	struct rs_counters cnt;
	/* cached well-known tables (NULL until first use; ENODEV remembered) */
	struct rs_table *t_inst, *t_bbo, *t_depth;
};

RS_API const char *rs_errmsg(void)
{
	return rs_err_msg();
}

struct pick {
	char name[RS_NAME_LEN];
	int found;
	int any;
};

static int pick_anchor(const struct rs_shm_entry *e, void *arg)
{
	struct pick *p = arg;

	p->any++;
	if (!e->valid)
		return 0;
	/* prefer the counters segment, which every producer creates */
	if (!p->found || !strcmp(e->name, RS_SEGNAME_COUNTERS)) {
		snprintf(p->name, sizeof(p->name), "%s", e->name);
		p->found = 1;
	}
	return 0;
}

static int producer_rc(struct rs_client *c, const struct rs_seg_hdr *h)
{
	int st = rs_shm_producer_state(h, c->stale_ns);

	switch (st) {
	case RS_PRODUCER_ALIVE:
		return 0;
	case RS_PRODUCER_DEAD:
		return RS_ERR_SET(-EOWNERDEAD, "instance '%s': producer pid %u is dead", c->instance,
				  h->producer_pid);
	case RS_PRODUCER_CLOSED:
		return RS_ERR_SET(-ESHUTDOWN, "instance '%s': producer pid %u has shut down", c->instance,
				  h->producer_pid);
	default:
		return RS_ERR_SET(-ETIMEDOUT, "instance '%s': producer pid %u stopped its heartbeat %.1f s ago",
				  c->instance, h->producer_pid,
				  (double)(rs_shm_now_ns() - h->heartbeat_ns) / 1e9);
	}
}

static int attach_anchor(struct rs_client *c)
{
	struct pick p = {0};
	int rc = rs_shm_list(c->instance, pick_anchor, &p);

	if (rc < 0)
		return rc;
	if (!p.any)
		return RS_ERR_SET(-ENOENT, "no such instance '%s' (is ringsided running?)", c->instance);
	if (!p.found)
		return RS_ERR_SET(-EPROTO, "instance '%s' has no published segment yet", c->instance);
	rc = rs_shm_attach(&c->anchor, c->instance, p.name, UINT32_MAX, false);
	if (rc)
		return rc;
	return producer_rc(c, c->anchor->hdr);
}

RS_API int rs_client_open(struct rs_client **out, const char *instance, const struct rs_client_opts *opts)
{
	struct rs_client *c;
	int rc;

	*out = NULL;
	if (!instance || !*instance || strlen(instance) >= RS_NAME_LEN)
		return RS_ERR_SET(-EINVAL, "invalid instance name");
	c = calloc(1, sizeof(*c));
	if (!c)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	snprintf(c->instance, sizeof(c->instance), "%s", instance);
	c->stale_ns = opts && opts->stale_ns ? opts->stale_ns : DEFAULT_STALE_NS;
	rc = attach_anchor(c);
	if (rc) {
		rs_client_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

RS_API void rs_client_close(struct rs_client *c)
{
	if (!c)
		return;
	for (struct rs_table *t = c->tables, *n; t; t = n) {
		n = t->next;
		rs_shm_detach(t->seg);
		free(t);
	}
	for (struct rs_sub *s = c->subs, *n; s; s = n) {
		n = s->next;
		rs_shm_detach(s->seg);
		free(s);
	}
	for (struct rs_spsc *s = c->spscs, *n; s; s = n) {
		n = s->next;
		rs_shm_detach(s->seg);
		free(s);
	}
	rs_shm_detach(c->counters);
	rs_shm_detach(c->anchor);
	free(c);
}

RS_API const char *rs_client_instance(const struct rs_client *c)
{
	return c->instance;
}

RS_API uint32_t rs_client_generation(const struct rs_client *c)
{
	return c->anchor ? c->anchor->hdr->generation : 0;
}

RS_API int rs_client_check(struct rs_client *c)
{
	struct stat st;

	/* A replaced file means a new producer generation took over. */
	if (!stat(c->anchor->path, &st) && (uint64_t)st.st_ino != c->anchor->ino)
		return RS_ERR_SET(-ESTALE, "instance '%s': a new generation replaced generation %u; re-attach",
				  c->instance, c->anchor->hdr->generation);
	return producer_rc(c, c->anchor->hdr);
}

static int table_attach(struct rs_client *c, struct rs_table *t)
{
	int rc = rs_shm_attach(&t->seg, c->instance, t->name, RS_SEG_TABLE, false);
	if (rc)
		return rc == -ENOENT ? -ENODEV : rc;
	rc = rs_seqtab_attach(&t->t, t->seg->body, t->seg->body_size);
	if (rc) {
		RS_ERR_APPEND("segment %s", t->name);
		rs_shm_detach(t->seg);
		t->seg = NULL;
	}
	return rc;
}

static int sub_attach(struct rs_client *c, struct rs_sub *s, int start)
{
	int rc = rs_shm_attach(&s->seg, c->instance, s->name, RS_SEG_BCAST, false);
	if (rc)
		return rc == -ENOENT ? -ENODEV : rc;
	rc = rs_bcast_reader_attach(&s->rd, s->seg->body, s->seg->body_size,
				    start == RS_START_OLDEST ? RS_BCAST_OLDEST : RS_BCAST_NEXT);
	if (rc) {
		RS_ERR_APPEND("segment %s", s->name);
		rs_shm_detach(s->seg);
		s->seg = NULL;
	}
	return rc;
}

static int spsc_attach(struct rs_client *c, struct rs_spsc *s)
{
	int rc = rs_shm_attach(&s->seg, c->instance, s->name, RS_SEG_SPSC, true);
	if (rc)
		return rc == -ENOENT ? -ENODEV : rc;
	rc = rs_ring_attach(&s->r, s->seg->body, s->seg->body_size);
	if (rc) {
		RS_ERR_APPEND("segment %s", s->name);
		rs_shm_detach(s->seg);
		s->seg = NULL;
	}
	return rc;
}

RS_API int rs_client_reattach(struct rs_client *c)
{
	int rc;

	rs_shm_detach(c->anchor);
	c->anchor = NULL;
	if ((rc = attach_anchor(c)))
		return rc;
	for (struct rs_table *t = c->tables; t; t = t->next) {
		rs_shm_detach(t->seg);
		t->seg = NULL;
		if ((rc = table_attach(c, t)))
			return rc;
	}
	for (struct rs_sub *s = c->subs; s; s = s->next) {
		s->overruns += s->rd.overruns;
		rs_shm_detach(s->seg);
		s->seg = NULL;
		if ((rc = sub_attach(c, s, RS_START_OLDEST)))
			return rc;
	}
	for (struct rs_spsc *s = c->spscs; s; s = s->next) {
		rs_shm_detach(s->seg);
		s->seg = NULL;
		if ((rc = spsc_attach(c, s)))
			return rc;
	}
	if (c->counters) {
		rs_shm_detach(c->counters);
		c->counters = NULL;
	}
	return 0;
}

struct seg_ctx {
	struct rs_segment_info *out;
	size_t max;
	int n;
};

static int seg_info(const struct rs_shm_entry *e, void *arg)
{
	struct seg_ctx *x = arg;

	if ((size_t)x->n < x->max) {
		struct rs_segment_info *i = &x->out[x->n];
		memset(i, 0, sizeof(*i));
		snprintf(i->name, sizeof(i->name), "%s", e->name);
		snprintf(i->kind, sizeof(i->kind), "%s", e->valid ? rs_shm_kind_str(e->kind) : "invalid");
		i->size = e->file_size;
		i->generation = e->generation;
		i->pid = e->pid;
		i->huge = e->huge;
		snprintf(i->producer, sizeof(i->producer), "%s",
			 e->valid ? rs_shm_producer_state_str(e->producer) : "none");
	}
	x->n++;
	return 0;
}

RS_API int rs_client_segments(struct rs_client *c, struct rs_segment_info *out, size_t max)
{
	struct seg_ctx x = {out, max, 0};
	int rc = rs_shm_list(c->instance, seg_info, &x);
	return rc < 0 ? rc : x.n;
}

RS_API int rs_client_table_open(struct rs_client *c, const char *name, struct rs_table **out)
{
	struct rs_table *t;
	int rc;

	*out = NULL;
	for (t = c->tables; t; t = t->next)
		if (!strcmp(t->name, name)) {
			*out = t;
			return 0;
		}
	t = calloc(1, sizeof(*t));
	if (!t)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	t->c = c;
	snprintf(t->name, sizeof(t->name), "%s", name);
	rc = table_attach(c, t);
	if (rc) {
		free(t);
		if (rc == -ENODEV)
			RS_ERR_SET(-ENODEV, "instance '%s' has no table '%s'", c->instance, name);
		return rc;
	}
	t->next = c->tables;
	c->tables = t;
	*out = t;
	return 0;
}

RS_API uint32_t rs_client_table_slots(const struct rs_table *t)
{
	return rs_seqtab_nslots(&t->t);
}

RS_API uint32_t rs_client_table_payload(const struct rs_table *t)
{
	return rs_seqtab_payload_size(&t->t);
}

RS_API int rs_client_table_read(struct rs_table *t, uint32_t slot, uint64_t *key, void *dst, size_t len)
{
	uint32_t n = rs_seqtab_payload_size(&t->t);

	if (slot >= rs_seqtab_nslots(&t->t))
		return RS_ERR_SET(-ERANGE, "table %s: slot %u out of range (%u slots)", t->name, slot,
				  rs_seqtab_nslots(&t->t));
	int rc = rs_seqtab_read(&t->t, slot, dst, len < n ? (uint32_t)len : n, key);
	if (rc == -EAGAIN)
		return RS_ERR_SET(-EAGAIN, "table %s: slot %u stayed busy (producer wedged mid-write?)",
				  t->name, slot);
	return rc;
}

static int itable_read(struct rs_client *c, struct rs_table **cache, const char *name, uint32_t id,
		       void *dst, size_t len)
{
	int rc;

	if (!*cache && (rc = rs_client_table_open(c, name, cache)))
		return rc;
	int64_t slot = rs_itable_find(&(*cache)->t, id);
	if (slot < 0)
		return RS_ERR_SET(-ENOENT, "instance '%s': no instrument %u in %s", c->instance, id, name);
	return rs_client_table_read(*cache, (uint32_t)slot, NULL, dst, len);
}

RS_API int rs_client_instrument(struct rs_client *c, uint32_t id, struct rs_instrument *out)
{
	return itable_read(c, &c->t_inst, RS_SEGNAME_INSTRUMENTS, id, out, sizeof(*out));
}

RS_API int rs_client_bbo(struct rs_client *c, uint32_t id, struct rs_bbo *out)
{
	return itable_read(c, &c->t_bbo, RS_SEGNAME_BBO, id, out, sizeof(*out));
}

RS_API int rs_client_depth(struct rs_client *c, uint32_t id, struct rs_depth *out, size_t out_len)
{
	if (out_len < sizeof(*out))
		return RS_ERR_SET(-EINVAL, "depth buffer of %zu bytes is smaller than its header", out_len);
	int rc = itable_read(c, &c->t_depth, RS_SEGNAME_DEPTH, id, out, out_len);
	if (rc)
		return rc;
	/* a caller buffer for fewer levels than the table holds: the copy
	 * stopped mid-bids; report only what fits on both sides */
	size_t fit = (out_len - sizeof(*out)) / (2 * sizeof(struct rs_level));
	if (fit < out->depth) {
		/* asks start after `depth` bid levels in the slot, re-read them */
		size_t full = sizeof(*out) + 2 * (size_t)out->depth * sizeof(struct rs_level);
		struct rs_depth *tmp = malloc(full);
		if (!tmp)
			return RS_ERR_SET(-ENOMEM, "out of memory");
		rc = itable_read(c, &c->t_depth, RS_SEGNAME_DEPTH, id, tmp, full);
		if (!rc) {
			memcpy(out, tmp, sizeof(*out));
			memcpy(out->levels, tmp->levels, fit * sizeof(struct rs_level));
			memcpy(out->levels + fit, tmp->levels + tmp->depth, fit * sizeof(struct rs_level));
			out->depth = (uint16_t)fit;
			if (out->nbids > fit)
				out->nbids = (uint16_t)fit;
			if (out->nasks > fit)
				out->nasks = (uint16_t)fit;
		}
		free(tmp);
	}
	return rc;
}

RS_API int rs_client_lookup(struct rs_client *c, const char *symbol, struct rs_instrument *out)
{
	int rc;

	if (!c->t_inst && (rc = rs_client_table_open(c, RS_SEGNAME_INSTRUMENTS, &c->t_inst)))
		return rc;
	uint32_t n = rs_seqtab_nused(&c->t_inst->t);
	for (uint32_t slot = 0; slot < n; slot++) {
		if (rs_seqtab_read(&c->t_inst->t, slot, out, sizeof(*out), NULL))
			continue;
		if (!strncmp(out->symbol, symbol, RS_SYMBOL_LEN))
			return 0;
	}
	return RS_ERR_SET(-ENOENT, "instance '%s': no instrument with symbol '%s'", c->instance, symbol);
}

RS_API int rs_client_sub_open(struct rs_client *c, const char *name, int start, struct rs_sub **out)
{
	struct rs_sub *s;
	int rc;

	*out = NULL;
	if (start != RS_START_NEWEST && start != RS_START_OLDEST)
		return RS_ERR_SET(-EINVAL, "start must be RS_START_NEWEST or RS_START_OLDEST");
	s = aligned_alloc(64, sizeof(*s));
	if (!s)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	memset(s, 0, offsetof(struct rs_sub, buf));
	s->c = c;
	s->start = start;
	snprintf(s->name, sizeof(s->name), "%s", name);
	rc = sub_attach(c, s, start);
	if (rc) {
		free(s);
		if (rc == -ENODEV)
			RS_ERR_SET(-ENODEV, "instance '%s' has no broadcast ring '%s'", c->instance, name);
		return rc;
	}
	s->rd.resync = RS_BCAST_OLDEST;
	s->next = c->subs;
	c->subs = s;
	*out = s;
	return 0;
}

RS_API int rs_client_sub_poll(struct rs_sub *s, rs_record_fn fn, void *arg, int limit)
{
	int n = 0;
	uint32_t len, type;

	while (limit <= 0 || n < limit) {
		int rc = rs_bcast_read(&s->rd, s->buf, sizeof(s->buf), &len, &type);
		if (rc == 0)
			break;
		if (rc == -EOVERFLOW)
			return RS_ERR_SET(-EOVERFLOW,
					  "subscriber of '%s' was overrun: %llu records lost (%llu in total); resumed at the oldest valid record",
					  s->name, (unsigned long long)s->rd.last_lost,
					  (unsigned long long)(s->overruns + s->rd.overruns));
		if (rc == -EMSGSIZE)
			continue; /* cannot happen: buf >= the largest slot */
		fn(arg, type, s->buf, len);
		n++;
	}
	s->delivered += (uint64_t)n;
	return n;
}

RS_API uint64_t rs_client_sub_overruns(const struct rs_sub *s)
{
	return s->overruns + s->rd.overruns;
}

RS_API uint64_t rs_client_sub_delivered(const struct rs_sub *s)
{
	return s->delivered;
}

RS_API int rs_client_spsc_open(struct rs_client *c, const char *name, struct rs_spsc **out)
{
	struct rs_spsc *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	s->c = c;
	snprintf(s->name, sizeof(s->name), "%s", name);
	rc = spsc_attach(c, s);
	if (rc) {
		free(s);
		if (rc == -ENODEV)
			RS_ERR_SET(-ENODEV, "instance '%s' has no SPSC ring '%s'", c->instance, name);
		return rc;
	}
	s->next = c->spscs;
	c->spscs = s;
	*out = s;
	return 0;
}

RS_API int rs_client_spsc_poll(struct rs_spsc *s, rs_event_fn fn, void *arg, int limit)
{
	uint64_t pos;
	uint32_t max = limit <= 0 ? 256u : (uint32_t)limit;
	uint32_t n = rs_ring_peek(&s->r, max, &pos);

	for (uint32_t i = 0; i < n; i++)
		fn(arg, rs_ring_slot(&s->r, pos + i));
	rs_ring_release(&s->r, n);
	return (int)n;
}

struct cnt_ctx {
	rs_counter_fn fn;
	void *arg;
	int n;
};

static int cnt_visit(void *arg, const struct rs_counter_info *i)
{
	struct cnt_ctx *x = arg;
	x->n++;
	return x->fn(x->arg, (uint32_t)i->id, i->type, i->label, i->value);
}

RS_API int rs_client_counters(struct rs_client *c, rs_counter_fn fn, void *arg)
{
	struct cnt_ctx x = {fn, arg, 0};
	int rc;

	if (!c->counters) {
		rc = rs_shm_attach(&c->counters, c->instance, RS_SEGNAME_COUNTERS, RS_SEG_COUNTERS, false);
		if (rc)
			return rc == -ENOENT ? RS_ERR_SET(-ENODEV, "instance '%s' has no counters", c->instance) : rc;
		rc = rs_counters_attach(&c->cnt, c->counters->body, c->counters->body_size);
		if (rc) {
			rs_shm_detach(c->counters);
			c->counters = NULL;
			return rc;
		}
	}
	rc = rs_counters_foreach(&c->cnt, cnt_visit, &x);
	return rc < 0 ? rc : x.n;
}
