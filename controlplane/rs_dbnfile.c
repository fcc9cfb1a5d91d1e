/*
 * rs_dbnfile.c - streaming DBN reader/writer, plain or zstd (see rs_dbnfile.h).
 *
 * Reader memory: the record window (1 MiB), the zstd input buffer (128 KiB)
 * and libzstd's stream state (window size bounded by ZSTD_d_windowLogMax),
 * plus the metadata; nothing grows with the number of records.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "controlplane/rs_dbnfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "shm/rs_err.h"

#define ZSTD_MAGIC 0xFD2FB528u
#define ZSTD_SKIP_MAGIC_MASK 0xFFFFFFF0u
#define ZSTD_SKIP_MAGIC 0x184D2A50u
#define DBNFILE_WINDOW_LOG_MAX 27 /* 128 MiB: the most a DBN writer uses by default is far less */
#define DBNFILE_DROP_EVERY (32u << 20) /* mapped mode: release pages behind the reader */

struct rs_dbnfile {
	int fd;
	bool own_fd;
	unsigned flags;
	char path[256];

	bool zstd;
	ZSTD_DStream *zds;
	uint8_t *zin;
	size_t zin_pos, zin_len;
	uint64_t zin_off;   /* compressed bytes before zin[0] */
	size_t zret;        /* last ZSTD_decompressStream result: 0 = at a frame boundary */
	bool in_eof;        /* the file is exhausted */
	bool eof;           /* no more decompressed bytes will come */

	uint8_t *buf;       /* the window: wbuf, or the whole mapped file */
	uint8_t *wbuf;      /* RS_DBNFILE_BUF_LEN, 64-byte aligned */
	bool mapped;        /* plain regular file: buf = mmap of the file */
	size_t map_len;
	size_t dropped;     /* mapped bytes already released with MADV_DONTNEED */
	size_t head, tail;
	uint64_t base;      /* stream offset of buf[0] */

	uint8_t *meta_buf;
	struct rs_dbn_meta meta;
	struct rs_dbn_counters c;

	alignas(8) uint8_t scratch[RS_DBN_MAX_RECORD_LEN];
	alignas(8) uint8_t up[RS_DBN_UPGRADE_BUF_LEN];
};

static int read_some(struct rs_dbnfile *f, uint8_t *p, size_t n, size_t *got)
{
	for (;;) {
		ssize_t r = read(f->fd, p, n);
		if (r >= 0) {
			*got = (size_t)r;
			return 0;
		}
		if (errno != EINTR)
			return RS_ERR_SET(-errno, "%s: read: %s", f->path, strerror(errno));
	}
}

static void compact(struct rs_dbnfile *f)
{
	if (f->head == 0 || f->mapped)
		return;
	memmove(f->buf, f->buf + f->head, f->tail - f->head);
	f->base += f->head;
	f->tail -= f->head;
	f->head = 0;
}

/* Add decompressed bytes to the window (at least one unless at the end). */
static int fill(struct rs_dbnfile *f)
{
	compact(f);
	if (f->eof || f->tail == RS_DBNFILE_BUF_LEN)
		return 0;
	if (!f->zstd) {
		size_t got;
		int err = read_some(f, f->buf + f->tail, RS_DBNFILE_BUF_LEN - f->tail, &got);
		if (err)
			return err;
		if (got == 0)
			f->eof = f->in_eof = true;
		f->tail += got;
		return 0;
	}
	for (;;) {
		if (f->zin_pos == f->zin_len && !f->in_eof) {
			size_t got;
			f->zin_off += f->zin_len;
			f->zin_pos = f->zin_len = 0;
			int err = read_some(f, f->zin, RS_DBNFILE_ZIN_LEN, &got);
			if (err)
				return err;
			f->zin_len = got;
			if (got == 0)
				f->in_eof = true;
		}
		bool no_input = f->zin_pos == f->zin_len && f->in_eof;
		if (no_input && f->zret == 0) {
			f->eof = true; /* ended on a frame boundary */
			return 0;
		}
		ZSTD_inBuffer in = {f->zin, f->zin_len, f->zin_pos};
		ZSTD_outBuffer out = {f->buf, RS_DBNFILE_BUF_LEN, f->tail};
		size_t r = ZSTD_decompressStream(f->zds, &out, &in);
		if (ZSTD_isError(r)) {
			f->eof = true;
			return RS_ERR_SET(-EBADMSG, "%s: corrupt zstd data at byte %llu: %s", f->path,
					  (unsigned long long)(f->zin_off + in.pos), ZSTD_getErrorName(r));
		}
		f->zret = r;
		f->zin_pos = in.pos;
		size_t produced = out.pos - f->tail;
		f->tail = out.pos;
		if (produced)
			return 0;
		if (no_input) { /* zstd wants more input than the file has */
			f->eof = true;
			return RS_ERR_SET(-EBADMSG, "%s: truncated zstd frame at byte %llu", f->path,
					  (unsigned long long)(f->zin_off + f->zin_pos));
		}
	}
}

static int fill_to(struct rs_dbnfile *f, size_t need)
{
	while (f->tail - f->head < need && !f->eof) {
		int err = fill(f);
		if (err)
			return err;
	}
	return 0;
}

int rs_dbnfile_open(struct rs_dbnfile **out, const char *path, unsigned flags)
{
	struct rs_dbnfile *f = NULL;
	const char *why = "";
	int err;

	f = aligned_alloc(64, (sizeof(*f) + 63) & ~(size_t)63);
	if (!f)
		return RS_ERR_SET(-ENOMEM, "%s: out of memory", path);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->flags = flags;
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->zret = 1;
	f->buf = f->wbuf = aligned_alloc(64, RS_DBNFILE_BUF_LEN);
	f->zin = malloc(RS_DBNFILE_ZIN_LEN);
	if (!f->buf || !f->zin) {
		err = RS_ERR_SET(-ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		f->fd = STDIN_FILENO;
	} else {
		f->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			err = RS_ERR_SET(-errno, "%s: %s", path, strerror(errno));
			goto fail;
		}
		f->own_fd = true;
		(void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}

	/* Sniff the first bytes for a zstd (or skippable) frame magic. */
	while (f->zin_len < 4 && !f->in_eof) {
		size_t got;
		err = read_some(f, f->zin + f->zin_len, RS_DBNFILE_ZIN_LEN - f->zin_len, &got);
		if (err)
			goto fail;
		f->zin_len += got;
		if (got == 0)
			f->in_eof = true;
	}
	uint32_t magic = 0;
	if (f->zin_len >= 4)
		magic = (uint32_t)f->zin[0] | (uint32_t)f->zin[1] << 8 | (uint32_t)f->zin[2] << 16 |
			(uint32_t)f->zin[3] << 24;
	if (magic == ZSTD_MAGIC || (magic & ZSTD_SKIP_MAGIC_MASK) == ZSTD_SKIP_MAGIC) {
		f->zstd = true;
		f->zds = ZSTD_createDStream();
		if (!f->zds) {
			err = RS_ERR_SET(-ENOMEM, "%s: cannot create a zstd stream", path);
			goto fail;
		}
		ZSTD_DCtx_setParameter(f->zds, ZSTD_d_windowLogMax, DBNFILE_WINDOW_LOG_MAX);
	} else {
		struct stat st;
		if (!(flags & RS_DBNFILE_NO_MMAP) && fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
			/* Zero-copy: records are decoded straight from the page cache. */
			void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, f->fd, 0);
			if (map != MAP_FAILED) {
				(void)madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
				f->mapped = true;
				f->buf = map;
				f->map_len = (size_t)st.st_size;
				f->tail = f->map_len;
				f->eof = f->in_eof = true;
			}
		}
		if (!f->mapped) {
			memcpy(f->buf, f->zin, f->zin_len);
			f->tail = f->zin_len;
			f->eof = f->in_eof;
		}
		f->zin_len = 0;
	}

	err = fill_to(f, RS_DBN_PRELUDE_LEN);
	if (err)
		goto fail;
	uint8_t version = 0;
	uint32_t length = 0;
	err = rs_dbn_prelude(f->buf + f->head, f->tail - f->head, &version, &length, &why);
	if (err == -EAGAIN) {
		err = RS_ERR_SET(-EBADMSG, "%s: %s (%zu bytes)", path,
				 f->tail == f->head ? "empty file" : why, f->tail - f->head);
		goto fail;
	}
	if (err == -EPROTONOSUPPORT) {
		err = RS_ERR_SET(err, "%s: unsupported DBN version %u (supported: 1-3)", path, version);
		goto fail;
	}
	if (err) {
		err = RS_ERR_SET(err, "%s: %s", path, why);
		goto fail;
	}
	if (length > RS_DBNFILE_META_MAX) {
		err = RS_ERR_SET(-EFBIG, "%s: metadata of %u bytes exceeds the %u-byte limit", path,
				 length, RS_DBNFILE_META_MAX);
		goto fail;
	}
	size_t total = RS_DBN_PRELUDE_LEN + (size_t)length, have = 0;
	f->meta_buf = malloc(total);
	if (!f->meta_buf) {
		err = RS_ERR_SET(-ENOMEM, "%s: out of memory for %zu bytes of metadata", path, total);
		goto fail;
	}
	while (have < total) {
		err = fill_to(f, 1);
		if (err)
			goto fail;
		size_t avail = f->tail - f->head, k = total - have < avail ? total - have : avail;
		if (k == 0) {
			err = RS_ERR_SET(-EBADMSG, "%s: metadata truncated: %zu of %zu bytes", path, have,
					 total);
			goto fail;
		}
		memcpy(f->meta_buf + have, f->buf + f->head, k);
		have += k;
		f->head += k;
	}
	err = rs_dbn_meta_decode(f->meta_buf, total, &f->meta, &why);
	if (err) {
		err = RS_ERR_SET(err == -EAGAIN ? -EBADMSG : err, "%s: bad metadata: %s", path, why);
		goto fail;
	}
	compact(f); /* first record at buf[0]: aligned */
	*out = f;
	return 0;
fail:
	rs_dbnfile_close(f);
	return err;
}

const struct rs_dbn_meta *rs_dbnfile_meta(const struct rs_dbnfile *f)
{
	return &f->meta;
}

/* Mapped mode: give back the pages already decoded so the resident set
 * stays bounded however large the file is. */
static inline void drop_behind(struct rs_dbnfile *f)
{
	if (f->mapped && f->head - f->dropped >= DBNFILE_DROP_EVERY) {
		/* keep the page of the record just handed out (it starts at most
		 * one record length before head) */
		size_t upto = (f->head - RS_DBN_MAX_RECORD_LEN) & ~(size_t)(4096 - 1);
		(void)madvise(f->buf + f->dropped, upto - f->dropped, MADV_DONTNEED);
		f->dropped = upto;
	}
}

static int overrun(struct rs_dbnfile *f)
{
	size_t avail = f->tail - f->head;
	const uint8_t *p = f->buf + f->head;
	unsigned long long at = (unsigned long long)(f->base + f->head);
	rs_dbn_count_overrun(&f->c);
	if (avail < sizeof(struct rs_rec_hdr))
		return RS_ERR_SET(-EBADMSG,
				  "%s: truncated record at byte %llu: %zu bytes left, the header needs 16",
				  f->path, at, avail);
	return RS_ERR_SET(-EBADMSG,
			  "%s: record at byte %llu (rtype 0x%02x) of length %u overruns the end of the "
			  "file (%zu bytes left)",
			  f->path, at, p[1], p[0] * 4u, avail);
}

int rs_dbnfile_next(struct rs_dbnfile *f, const struct rs_rec_hdr **rec)
{
	for (;;) {
		size_t avail = f->tail - f->head;
		const uint8_t *p = f->buf + f->head;
		if (avail < sizeof(struct rs_rec_hdr) || avail < (size_t)p[0] * 4) {
			if (!f->eof) {
				int err = fill(f);
				if (err)
					return err;
				continue;
			}
			return avail == 0 ? 0 : overrun(f);
		}
		const struct rs_rec_hdr *r;
		int len = rs_dbn_rec_check(p, avail, f->meta.version, &f->c, &r);
		if (len == RS_DBN_FATAL)
			return RS_ERR_SET(-EBADMSG,
					  "%s: record at byte %llu: length %u is below the 16-byte header",
					  f->path, (unsigned long long)(f->base + f->head), p[0] * 4u);
		f->head += (size_t)len;
		drop_behind(f);
		if (!r)
			continue;
		if ((uintptr_t)p & 7) {
			memcpy(f->scratch, p, (size_t)len);
			r = (const struct rs_rec_hdr *)(const void *)f->scratch;
		}
		if (r->rtype == RS_RTYPE_MBO)
			f->c.mbo++;
		else if (r->rtype == RS_RTYPE_DEFINITION)
			f->c.definitions++;
		if (f->flags & RS_DBNFILE_UPGRADE)
			r = rs_dbn_upgrade(r, f->meta.version, f->meta.ts_out != 0, f->up, &f->c);
		*rec = r;
		return 1;
	}
}

int rs_dbnfile_window(struct rs_dbnfile *f, size_t min, const uint8_t **p, size_t *n)
{
	if (min > RS_DBNFILE_BUF_LEN)
		min = RS_DBNFILE_BUF_LEN;
	if (f->tail - f->head < min) {
		if (f->head)
			compact(f);
		int err = fill_to(f, min);
		if (err)
			return err;
	}
	*p = f->buf + f->head;
	*n = f->tail - f->head;
	return *n >= min ? 1 : 0;
}

void rs_dbnfile_consume(struct rs_dbnfile *f, size_t n)
{
	if (n > f->tail - f->head)
		n = f->tail - f->head;
	f->head += n;
	drop_behind(f);
}

void rs_dbnfile_set_upgrade(struct rs_dbnfile *f, bool on)
{
	f->flags = on ? f->flags | RS_DBNFILE_UPGRADE : f->flags & ~RS_DBNFILE_UPGRADE;
}

struct rs_dbn_counters *rs_dbnfile_counters(struct rs_dbnfile *f)
{
	return &f->c;
}

uint64_t rs_dbnfile_offset(const struct rs_dbnfile *f)
{
	return f->base + f->head;
}

bool rs_dbnfile_is_zstd(const struct rs_dbnfile *f)
{
	return f->zstd;
}

void rs_dbnfile_close(struct rs_dbnfile *f)
{
	if (!f)
		return;
	if (f->own_fd && f->fd >= 0)
		close(f->fd);
	if (f->mapped)
		munmap(f->buf, f->map_len);
	ZSTD_freeDStream(f->zds);
	free(f->zin);
	free(f->wbuf);
	free(f->meta_buf);
	free(f);
}

/* ---- writer --------------------------------------------------------------------- */

#define WBUF_LEN (1u << 20)

struct rs_dbnfile_writer {
	int fd;
	bool own_fd;
	uint8_t version;
	bool zstd;
	ZSTD_CCtx *cctx;
	uint8_t *buf;
	size_t len;
	uint8_t *zout;
	size_t zout_cap;
	int err;
	char path[256];
};

static int write_all(struct rs_dbnfile_writer *w, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(w->fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return RS_ERR_SET(-errno, "%s: write: %s", w->path, strerror(errno));
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int zpush(struct rs_dbnfile_writer *w, const uint8_t *p, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {p, n, 0};
	for (;;) {
		ZSTD_outBuffer out = {w->zout, w->zout_cap, 0};
		size_t r = ZSTD_compressStream2(w->cctx, &out, &in, mode);
		if (ZSTD_isError(r))
			return RS_ERR_SET(-EIO, "%s: zstd: %s", w->path, ZSTD_getErrorName(r));
		if (out.pos) {
			int err = write_all(w, w->zout, out.pos);
			if (err)
				return err;
		}
		if (mode == ZSTD_e_end ? r == 0 : in.pos == in.size)
			return 0;
	}
}

static int wflush(struct rs_dbnfile_writer *w)
{
	int err = 0;
	if (w->len)
		err = w->zstd ? zpush(w, w->buf, w->len, ZSTD_e_continue) : write_all(w, w->buf, w->len);
	w->len = 0;
	return err;
}

static int wbytes(struct rs_dbnfile_writer *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	if (w->len + n > WBUF_LEN) {
		w->err = wflush(w);
		if (w->err)
			return w->err;
		if (n > WBUF_LEN) {
			w->err = w->zstd ? zpush(w, p, n, ZSTD_e_continue) : write_all(w, p, n);
			return w->err;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

int rs_dbnfile_writer_open(struct rs_dbnfile_writer **out, const char *path,
			   const struct rs_dbn_meta *m, uint8_t version, bool zstd, int zlevel)
{
	struct rs_dbnfile_writer *w;
	uint8_t *meta = NULL;
	int err;

	if (version < RS_DBN_VERSION_MIN || version > RS_DBN_VERSION_MAX)
		return RS_ERR_SET(-EINVAL, "%s: cannot write DBN version %u (supported: 1-3)", path,
				  version);
	w = calloc(1, sizeof(*w));
	if (!w)
		return RS_ERR_SET(-ENOMEM, "%s: out of memory", path);
	w->fd = -1;
	w->version = version;
	w->zstd = zstd;
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->buf = malloc(WBUF_LEN);
	if (!w->buf) {
		err = RS_ERR_SET(-ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	if (zstd) {
		w->cctx = ZSTD_createCCtx();
		w->zout_cap = ZSTD_CStreamOutSize();
		w->zout = malloc(w->zout_cap);
		if (!w->cctx || !w->zout) {
			err = RS_ERR_SET(-ENOMEM, "%s: cannot create a zstd stream", path);
			goto fail;
		}
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, zlevel ? zlevel : ZSTD_CLEVEL_DEFAULT);
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	}
	size_t mlen = rs_dbn_meta_encoded_len(m, version);
	meta = malloc(mlen);
	if (!meta) {
		err = RS_ERR_SET(-ENOMEM, "%s: out of memory for metadata", path);
		goto fail;
	}
	long r = rs_dbn_meta_encode(m, version, meta, mlen);
	if (r < 0) {
		err = RS_ERR_SET((int)r, "%s: cannot encode the metadata as DBN v%u%s", path, version,
				 r == -EINVAL ? " (a symbol is too long for this version)" : "");
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0) {
			err = RS_ERR_SET(-errno, "%s: %s", path, strerror(errno));
			goto fail;
		}
		w->own_fd = true;
	}
	err = wbytes(w, meta, (size_t)r);
	if (err)
		goto fail;
	free(meta);
	*out = w;
	return 0;
fail:
	free(meta);
	if (w->own_fd && w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->cctx);
	free(w->zout);
	free(w->buf);
	free(w);
	return err;
}

int rs_dbnfile_write(struct rs_dbnfile_writer *w, const struct rs_rec_hdr *rec)
{
	const uint8_t *p = (const uint8_t *)rec;
	size_t len = (size_t)p[0] * 4;
	uint32_t need = rs_dbn_rec_size(p[1], w->version);
	if (need == 0)
		return RS_ERR_SET(-EINVAL, "%s: unknown rtype 0x%02x is not written", w->path, p[1]);
	if (len < sizeof(*rec) || len < need)
		return RS_ERR_SET(-EINVAL,
				  "%s: record rtype 0x%02x of %zu bytes does not fit DBN v%u (needs %u)",
				  w->path, p[1], len, w->version, need ? need : 16);
	return wbytes(w, p, len);
}

int rs_dbnfile_write_event(struct rs_dbnfile_writer *w, const struct rs_event *ev)
{
	struct rs_mbo m = ev->mbo;
	m.hd.length = sizeof(m) / 4;
	m.hd.rtype = RS_RTYPE_MBO;
	return wbytes(w, &m, sizeof(m));
}

int rs_dbnfile_write_def(struct rs_dbnfile_writer *w, const struct rs_dbn_def *d)
{
	if (w->version < 3)
		return RS_ERR_SET(-EINVAL, "%s: a version-3 definition cannot go into a DBN v%u file",
				  w->path, w->version);
	struct rs_dbn_def c = *d;
	c.hd.length = sizeof(c) / 4;
	c.hd.rtype = RS_RTYPE_DEFINITION;
	return wbytes(w, &c, sizeof(c));
}

int rs_dbnfile_writer_close(struct rs_dbnfile_writer *w)
{
	int err = w->err;
	if (!err)
		err = wflush(w);
	if (!err && w->zstd)
		err = zpush(w, NULL, 0, ZSTD_e_end);
	if (w->own_fd && w->fd >= 0 && close(w->fd) && !err)
		err = RS_ERR_SET(-errno, "%s: close: %s", w->path, strerror(errno));
	ZSTD_freeCCtx(w->cctx);
	free(w->zout);
	free(w->buf);
	free(w);
	return err;
}
