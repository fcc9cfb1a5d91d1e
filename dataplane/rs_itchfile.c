/*
 * rs_itchfile.c - open/close of ITCH day files (cold).
 */
#include "rs_itchfile.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/rs_err.h"

int rs_itchfile_open(struct rs_itchfile *f, const char *path, int populate)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	int err;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return RS_ERR_SET(err, "open %s: %s", path, strerror(-err));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = RS_ERR_SET(-errno, "stat %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = RS_ERR_SET(-EINVAL, "%s: not a regular file", path);
		goto fail;
	}
	f->fd = fd;
	f->size = (size_t)st.st_size;
	if (f->size == 0) {
		f->base = (const uint8_t *)"";
		return 0;
	}
	void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
	if (p == MAP_FAILED) {
		err = RS_ERR_SET(-errno, "mmap %s (%zu bytes): %s", path, f->size, strerror(errno));
		f->fd = -1;
		goto fail;
	}
	madvise(p, f->size, MADV_SEQUENTIAL);
	f->base = p;
	f->mapped = 1;
	return 0;
fail:
	close(fd);
	return err;
}

void rs_itchfile_init_mem(struct rs_itchfile *f, const void *buf, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->base = len ? buf : (const uint8_t *)"";
	f->size = len;
}

void rs_itchfile_close(struct rs_itchfile *f)
{
	if (f->mapped)
		munmap((void *)f->base, f->size);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

void rs_itchfile_rewind(struct rs_itchfile *f)
{
	f->off = 0;
	f->nmsgs = 0;
	f->err_off = 0;
}
