/* rs_hugemem.c - see rs_hugemem.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rs_err.h"
#include "rs_hugemem.h"

#define HP (2u << 20)
#define NR_HP "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define FREE_HP "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define RESV_HP "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages"

static long rd(const char *p)
{
	FILE *f = fopen(p, "re");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int wr(const char *p, long v)
{
	FILE *f = fopen(p, "we");
	if (!f)
		return -errno;
	int rc = fprintf(f, "%ld\n", v) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

int rs_hugemem_alloc(struct rs_hugemem *m, size_t len, bool reserve)
{
	size_t hlen = (len + HP - 1) & ~((size_t)HP - 1);
	void *p;

	memset(m, 0, sizeof(*m));
	if (len == 0)
		return RS_ERR_SET(-EINVAL, "zero-length allocation");

	long need = (long)(hlen / HP), avail = rd(FREE_HP) - rd(RESV_HP), total = rd(NR_HP);
	if (reserve && total >= 0 && avail < need && geteuid() == 0) {
		if (!wr(NR_HP, total + (need - avail)) && rd(NR_HP) > total)
			m->reserved = (unsigned)(rd(NR_HP) - total);
	}
	p = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED) {
		m->addr = p;
		m->len = hlen;
		m->huge = true;
		return 0;
	}
	if (m->reserved) { /* give back what we took */
		wr(NR_HP, rd(NR_HP) - (long)m->reserved);
		m->reserved = 0;
	}
	p = mmap(NULL, hlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return RS_ERR_SET(-ENOMEM, "cannot map %zu bytes: %s", hlen, strerror(errno));
	madvise(p, hlen, MADV_HUGEPAGE); /* best effort: THP may be disabled */
	/* prefault so the dataplane never faults on first touch */
	for (size_t off = 0; off < hlen; off += 4096)
		((volatile char *)p)[off] = 0;
	m->addr = p;
	m->len = hlen;
	return 0;
}

void rs_hugemem_free(struct rs_hugemem *m)
{
	if (!m->addr)
		return;
	munmap(m->addr, m->len);
	if (m->reserved) {
		long t = rd(NR_HP);
		if (t >= (long)m->reserved)
			wr(NR_HP, t - (long)m->reserved);
	}
	memset(m, 0, sizeof(*m));
}
