/*
 * rs_hugemem.h - process-private memory backed by huge pages (COLD: start-up
 * allocation of dataplane state such as the book's order and level pools).
 *
 * Tries, in order: MAP_HUGETLB 2 MiB pages (raising vm.nr_hugepages when
 * `reserve` is set and we are root), then ordinary pages with
 * MADV_HUGEPAGE (transparent huge pages). Memory is zeroed and prefaulted
 * so the dataplane never takes a page fault on it.
 */
#ifndef RS_HUGEMEM_H
#define RS_HUGEMEM_H

#include <stdbool.h>
#include <stddef.h>

struct rs_hugemem {
	void *addr;
	size_t len;        /* mapped length (rounded up) */
	bool huge;         /* true: MAP_HUGETLB; false: THP advice only */
	unsigned reserved; /* huge pages this allocation added to the pool */
};

/* Map len bytes. Returns 0 or -ENOMEM (with rs_err message). */
int rs_hugemem_alloc(struct rs_hugemem *m, size_t len, bool reserve);
void rs_hugemem_free(struct rs_hugemem *m);

#endif
