/*
 * rs_itchfile.h - NASDAQ ITCH "BinaryFILE" day files: a 2-byte big-endian
 * length before every message, nothing else. Zero-copy reader over an
 * mmap'ed file (or any memory buffer).
 *
 *   +-----+-----------+-----+-----------+ ...
 *   | len | message   | len | message   |
 *   +-----+-----------+-----+-----------+ ...
 *
 * open/close are cold (may log via rs_err); next() is hot and inline.
 * A truncated tail (a length prefix, or a message, cut by EOF) ends the
 * iteration with -EBADMSG and records the offset of the broken record in
 * `err_off`, so callers can report "truncated at byte N".
 */
#ifndef RS_ITCHFILE_H
#define RS_ITCHFILE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct rs_itchfile {
	const uint8_t *base;  /* file contents */
	size_t size;
	size_t off;           /* offset of the next length prefix */
	uint64_t nmsgs;       /* messages returned so far */
	size_t err_off;       /* offset of the truncated record (after -EBADMSG) */
	int fd;               /* -1 for memory buffers */
	int mapped;
};

/* mmap `path` read-only (MAP_POPULATE optional via populate != 0).
 * 0 or -errno (rs_err message set). */
int rs_itchfile_open(struct rs_itchfile *f, const char *path, int populate);
/* Iterate an existing buffer (not owned). */
void rs_itchfile_init_mem(struct rs_itchfile *f, const void *buf, size_t len);
void rs_itchfile_close(struct rs_itchfile *f);
/* Restart from the beginning. */
void rs_itchfile_rewind(struct rs_itchfile *f);

/* Next message: 1 (msg/len set; len may be 0), 0 at a clean end of file,
 * -EBADMSG when the file is truncated (f->err_off says where). */
static inline int rs_itchfile_next(struct rs_itchfile *f, const uint8_t **msg, size_t *len)
{
	size_t left = f->size - f->off;
	if (left == 0)
		return 0;
	if (left < 2) {
		f->err_off = f->off;
		return -EBADMSG;
	}
	const uint8_t *p = f->base + f->off;
	size_t ml = (size_t)p[0] << 8 | p[1];
	if (left - 2 < ml) {
		f->err_off = f->off;
		return -EBADMSG;
	}
	*msg = p + 2;
	*len = ml;
	f->off += 2 + ml;
	f->nmsgs++;
	return 1;
}

/*
 * Bulk iteration with one bounds check per message instead of three: no
 * record is longer than RS_ITCHFILE_MAX_REC (2-byte prefix + 65535), so a
 * record starting before rs_itchfile_unchecked_end() ends inside the file
 * and needs no check. Loop with
 *
 *   size_t end = rs_itchfile_unchecked_end(f);
 *   while (f->off < end) { rs_itchfile_next_unchecked(f, &m, &len); ... }
 *   while ((rc = rs_itchfile_next(f, &m, &len)) > 0) { ... }  (the tail)
 *
 * which yields exactly what rs_itchfile_next() alone would.
 */
#define RS_ITCHFILE_MAX_REC (2 + 65535)

static inline size_t rs_itchfile_unchecked_end(const struct rs_itchfile *f)
{
	return f->size > RS_ITCHFILE_MAX_REC ? f->size - RS_ITCHFILE_MAX_REC : 0;
}

/* rs_itchfile_next() for f->off < rs_itchfile_unchecked_end(f) only. */
static inline void rs_itchfile_next_unchecked(struct rs_itchfile *f, const uint8_t **msg,
					      size_t *len)
{
	const uint8_t *p = f->base + f->off;
	size_t ml = (size_t)p[0] << 8 | p[1];
	*msg = p + 2;
	*len = ml;
	f->off += 2 + ml;
	f->nmsgs++;
}

#endif /* RS_ITCHFILE_H */
