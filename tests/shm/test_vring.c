/* test_vring.c - variable-length SPSC ring: geometry, attach validation,
 * padding at wrap, full/empty edges, corrupt headers, two-thread stress
 * (also under TSan). Suite: rs_vring. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "rs_err.h"
#include "rs_shm_testutil.h"
#include "rs_vring.h"

static void *mem;
static size_t memlen;

static void *vmem(uint32_t cap)
{
	memlen = rs_vring_footprint(cap);
	cr_assert(memlen > 0);
	mem = rs_t_shared(memlen);
	cr_assert(mem);
	return mem;
}

static void fini(void)
{
	rs_t_unshare(mem, memlen);
	mem = NULL;
}

TestSuite(rs_vring, .fini = fini);

/* payload of record n with length len: bytes (n * 31 + i) */
static void pfill(uint8_t *p, uint64_t n, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(n * 31 + i);
}

static int pcheck(const uint8_t *p, uint64_t n, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(n * 31 + i))
			return 1;
	return 0;
}

Test(rs_vring, geometry_and_attach)
{
	struct rs_vring p, c;

	cr_assert_eq(rs_vring_footprint(32), 0);
	cr_assert_eq(rs_vring_footprint(100), 0);
	cr_assert_eq(rs_vring_footprint(256), RS_VRING_HDR_SIZE + 256);
	void *m = vmem(256);
	cr_assert_eq(rs_vring_attach(&c, m, memlen), -EPROTO);
	cr_assert_eq(rs_vring_init(&p, m, memlen - 8, 256), -EMSGSIZE);
	cr_assert_eq(rs_vring_init(&p, m, memlen, 256), 0);
	cr_assert_eq(rs_vring_max_len(&p), 256 / 4 - 8);
	cr_assert_eq(rs_vring_attach(&c, m, memlen), 0);
	cr_assert_eq(rs_vring_attach(&c, m, memlen - 1), -EMSGSIZE);
	struct rs_vring_layout *l = m;
	l->hdr.kind = RS_SEG_SPSC;
	cr_assert_eq(rs_vring_attach(&c, m, memlen), -EPROTO);
	l->hdr.kind = RS_SEG_VRING;
	l->hdr.param = 1000;
	cr_assert_eq(rs_vring_attach(&c, m, memlen), -EINVAL);
	l->hdr.param = 256 / 4 - 8;
	atomic_store(&l->prod.pos, 4); /* not 8-aligned */
	cr_assert_eq(rs_vring_attach(&c, m, memlen), -EINVAL);
	atomic_store(&l->prod.pos, 0);
	cr_assert_eq(rs_vring_attach(&c, m, memlen), 0);
}

Test(rs_vring, sizes_empty_full)
{
	struct rs_vring p, c;
	void *m = vmem(256);
	uint8_t buf[256];
	uint32_t type;

	cr_assert_eq(rs_vring_init(&p, m, memlen, 256), 0);
	cr_assert_eq(rs_vring_attach(&c, m, memlen), 0);
	cr_assert_eq(rs_vring_read(&c, buf, sizeof(buf), &type), -EAGAIN);
	cr_assert_null(rs_vring_peek(&c));
	/* too large */
	cr_assert_eq(rs_vring_write(&p, 1, buf, 57), -EMSGSIZE);
	cr_assert_null(rs_vring_reserve(&p, 57, 1));
	/* zero-length records take 8 bytes: 32 of them fill 256 */
	for (int i = 0; i < 32; i++)
		cr_assert_eq(rs_vring_write(&p, (uint32_t)i, NULL, 0), 0, "i=%d", i);
	cr_assert_eq(rs_vring_write(&p, 99, NULL, 0), -ENOBUFS);
	for (int i = 0; i < 32; i++) {
		cr_assert_eq(rs_vring_read(&c, buf, sizeof(buf), &type), 0);
		cr_assert_eq(type, (uint32_t)i);
	}
	cr_assert_eq(rs_vring_read(&c, buf, sizeof(buf), &type), -EAGAIN);
	/* read into a too small buffer leaves the record */
	pfill(buf, 5, 20);
	cr_assert_eq(rs_vring_write(&p, 7, buf, 20), 0);
	cr_assert_eq(rs_vring_read(&c, buf, 19, &type), -EMSGSIZE);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(rs_vring_read(&c, buf, 20, &type), 20);
	cr_assert_eq(type, 7);
	cr_assert_eq(pcheck(buf, 5, 20), 0);
}

Test(rs_vring, padding_at_wrap)
{
	struct rs_vring p, c;
	void *m = vmem(256);
	uint8_t buf[64];
	uint32_t type;

	cr_assert_eq(rs_vring_init(&p, m, memlen, 256), 0);
	cr_assert_eq(rs_vring_attach(&c, m, memlen), 0);
	/* 5 records of 40 bytes (48 each) = 240; the 6th (48) needs padding 16 */
	for (uint64_t n = 0; n < 5; n++) {
		pfill(buf, n, 40);
		cr_assert_eq(rs_vring_write(&p, (uint32_t)n, buf, 40), 0);
	}
	pfill(buf, 5, 40);
	cr_assert_eq(rs_vring_write(&p, 5, buf, 40), -ENOBUFS, "needs 16 pad + 48");
	for (uint64_t n = 0; n < 2; n++) {
		cr_assert_eq(rs_vring_read(&c, buf, sizeof(buf), &type), 40);
		cr_assert_eq(pcheck(buf, n, 40), 0);
	}
	/* freed 96 bytes at the start: pad (16) + record (48) fit */
	pfill(buf, 5, 40);
	cr_assert_eq(rs_vring_write(&p, 5, buf, 40), 0);
	struct rs_vrec *pad = (struct rs_vrec *)(p.data + 240);
	cr_assert_eq(pad->type, RS_VREC_PAD);
	cr_assert_eq(pad->len, 8);
	for (uint64_t n = 2; n < 6; n++) {
		memset(buf, 0, sizeof(buf));
		cr_assert_eq(rs_vring_read(&c, buf, sizeof(buf), &type), 40, "n=%llu", (unsigned long long)n);
		cr_assert_eq(type, (uint32_t)n);
		cr_assert_eq(pcheck(buf, n, 40), 0);
	}
	cr_assert_eq(rs_vring_read(&c, buf, sizeof(buf), &type), -EAGAIN);
	cr_assert_eq(c.pos, 256 + 48);
}

struct pollctx {
	uint64_t next;
	int bad;
};

static void on_rec(void *ctx, uint32_t type, const void *data, uint32_t len)
{
	struct pollctx *x = ctx;
	if (type != (uint32_t)x->next || len != (uint32_t)(x->next % 57) || pcheck(data, x->next, len))
		x->bad++;
	x->next++;
}

Test(rs_vring, batched_reserve_and_poll)
{
	struct rs_vring p, c;
	void *m = vmem(1024);
	struct pollctx x = {0};
	uint64_t n = 0;

	cr_assert_eq(rs_vring_init(&p, m, memlen, 1024), 0);
	cr_assert_eq(rs_vring_attach(&c, m, memlen), 0);
	for (int round = 0; round < 2000; round++) {
		int batch = round % 9 + 1;
		for (int i = 0; i < batch; i++) {
			uint32_t len = (uint32_t)(n % 57);
			void *d = rs_vring_reserve(&p, len, (uint32_t)n);
			if (!d)
				break;
			pfill(d, n, len);
			n++;
		}
		rs_vring_commit(&p);
		rs_vring_poll(&c, on_rec, &x, (uint32_t)(round % 5 + 1));
	}
	while (rs_vring_poll(&c, on_rec, &x, 100))
		;
	cr_assert_eq(x.bad, 0);
	cr_assert_eq(x.next, n);
	cr_assert_gt(n, 5000);
}

Test(rs_vring, corrupt_length_is_not_followed)
{
	struct rs_vring p, c;
	void *m = vmem(256);
	uint8_t buf[64];

	cr_assert_eq(rs_vring_init(&p, m, memlen, 256), 0);
	cr_assert_eq(rs_vring_attach(&c, m, memlen), 0);
	cr_assert_eq(rs_vring_write(&p, 1, buf, 8), 0);
	((struct rs_vrec *)p.data)->len = 100000; /* corrupt it */
	cr_assert_null(rs_vring_peek(&c));
	cr_assert_eq(c.corrupt, 1);
	cr_assert_eq(rs_vring_read(&c, buf, sizeof(buf), NULL), -EAGAIN);
}

struct stress {
	struct rs_vring p, c;
	uint64_t n;
};

static void *stress_prod(void *arg)
{
	struct stress *s = arg;
	rs_t_pin(0);
	for (uint64_t n = 0; n < s->n;) {
		uint32_t len = (uint32_t)(rs_t_mix(n) % 120);
		void *d = rs_vring_reserve(&s->p, len, (uint32_t)n);
		if (!d) {
			rs_vring_commit(&s->p);
			sched_yield();
			continue;
		}
		pfill(d, n, len);
		n++;
		if (n % 4 == 0)
			rs_vring_commit(&s->p);
	}
	rs_vring_commit(&s->p);
	return NULL;
}

Test(rs_vring, threads_stress, .timeout = 120)
{
	static struct stress s;
	void *m = vmem(4096);
	pthread_t th;
	uint64_t next = 0, bad = 0;

	s.n = 5000000 / RS_T_SCALE;
	cr_assert_eq(rs_vring_init(&s.p, m, memlen, 4096), 0);
	cr_assert_eq(rs_vring_attach(&s.c, m, memlen), 0);
	cr_assert_eq(pthread_create(&th, NULL, stress_prod, &s), 0);
	rs_t_pin(1);
	while (next < s.n) {
		const struct rs_vrec *v = rs_vring_peek(&s.c);
		if (!v) {
			rs_vring_release(&s.c);
			sched_yield();
			continue;
		}
		uint32_t len = (uint32_t)(rs_t_mix(next) % 120);
		if (v->type != (uint32_t)next || v->len != len || pcheck(v->data, next, len))
			bad++;
		rs_vring_advance(&s.c);
		if (++next % 8 == 0)
			rs_vring_release(&s.c);
	}
	rs_vring_release(&s.c);
	pthread_join(th, NULL);
	cr_assert_eq(bad, 0);
	cr_assert_eq(s.c.corrupt, 0);
	cr_assert_null(rs_vring_peek(&s.c));
}
