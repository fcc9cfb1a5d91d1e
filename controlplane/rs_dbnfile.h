/*
 * rs_dbnfile.h - streaming DBN file reader and writer (plain or zstd).
 *
 * Reader: bounded memory whatever the file size: one fixed record window
 * (RS_DBNFILE_BUF_LEN) plus, for zstd, one fixed input buffer and the
 * zstd stream state; only the metadata is held whole (up to
 * RS_DBNFILE_META_MAX). Plain regular files are memory-mapped instead
 * (records decoded straight from the page cache, pages behind the reader
 * released every 32 MiB); pipes and RS_DBNFILE_NO_MMAP use the window. zstd is detected by its magic (0xFD2FB528, or a
 * skippable frame 0x184D2A5?); concatenated and skippable frames are fine.
 * Records handed out are 8-byte aligned and valid until the next call.
 *
 * Writer: metadata re-encoded field by field (rs_dbn_meta_encode), then
 * records; optional zstd (one frame). Writing a decoded file's records at
 * its own version reproduces its bytes.
 *
 * All functions return 0 (or a count) or a negative errno with the reason
 * in rs_err_msg(), e.g. "x.dbn.zst: truncated zstd frame at byte 4096".
 */
#ifndef RS_DBNFILE_H
#define RS_DBNFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/rs_dbn.h"

#define RS_DBNFILE_BUF_LEN (1u << 20)          /* record window */
#define RS_DBNFILE_ZIN_LEN (128u << 10)        /* compressed input buffer */
#define RS_DBNFILE_META_MAX (64u << 20)        /* largest metadata accepted */

/* rs_dbnfile_open flags */
#define RS_DBNFILE_UPGRADE 0x1u /* hand out version-3 layouts (rs_dbn_upgrade) */
#define RS_DBNFILE_NO_MMAP 0x2u /* plain files: read(2) into the window, no mmap */

struct rs_dbnfile;

/*
 * Open `path` ("-" = stdin) and decode its metadata. Errors: -ENOENT etc.
 * from open(2); -EPROTO wrong magic; -EPROTONOSUPPORT version not 1-3;
 * -EBADMSG malformed metadata or truncated zstd frame; -EFBIG metadata
 * larger than RS_DBNFILE_META_MAX.
 */
int rs_dbnfile_open(struct rs_dbnfile **out, const char *path, unsigned flags);

/* Metadata (pointers valid until rs_dbnfile_close). */
const struct rs_dbn_meta *rs_dbnfile_meta(const struct rs_dbnfile *f);

/*
 * Next valid record: returns 1 and sets *rec (8-byte aligned, valid until
 * the next call; upgraded to v3 with RS_DBNFILE_UPGRADE), 0 at the clean
 * end of the file, or a negative errno: -EBADMSG for a record length below
 * the header, a record that overruns the end of the file, or a truncated
 * zstd frame; -EIO for read errors. Unknown rtypes and records too short
 * for their rtype are skipped and counted.
 */
int rs_dbnfile_next(struct rs_dbnfile *f, const struct rs_rec_hdr **rec);

/*
 * Raw access for bulk decoders: make at least `min` bytes (<= the window,
 * use 1 for "any") available and return the window of undecoded record
 * bytes in *p and *n (starting where the last consumed record ended). Returns 1, 0 at the end of the
 * data (n may then hold an incomplete tail: call rs_dbnfile_next to get the
 * error), or a negative errno. Then rs_dbnfile_consume() what was decoded.
 */
int rs_dbnfile_window(struct rs_dbnfile *f, size_t min, const uint8_t **p, size_t *n);
void rs_dbnfile_consume(struct rs_dbnfile *f, size_t n);

/* Switch RS_DBNFILE_UPGRADE on or off (e.g. after looking at the version). */
void rs_dbnfile_set_upgrade(struct rs_dbnfile *f, bool on);

/* Decoder counters (records, skips and rejects per reason). */
struct rs_dbn_counters *rs_dbnfile_counters(struct rs_dbnfile *f);
/* Offset in the decompressed stream of the next record. */
uint64_t rs_dbnfile_offset(const struct rs_dbnfile *f);
bool rs_dbnfile_is_zstd(const struct rs_dbnfile *f);
void rs_dbnfile_close(struct rs_dbnfile *f);

struct rs_dbnfile_writer;

/*
 * Create `path` ("-" = stdout) and write the metadata m encoded as DBN
 * `version` (1-3), zstd-compressed at `zlevel` when zstd (0 = default).
 * m is only read during the call.
 */
int rs_dbnfile_writer_open(struct rs_dbnfile_writer **out, const char *path,
			   const struct rs_dbn_meta *m, uint8_t version, bool zstd, int zlevel);

/* Write one record as is (its length bytes). Its layout must be that of
 * the writer's version: -EINVAL if shorter than its rtype's size there or
 * its length is below the header, or its rtype unknown. */
int rs_dbnfile_write(struct rs_dbnfile_writer *w, const struct rs_rec_hdr *rec);
/* Write a normalized event's MBO record (the first 56 bytes). */
int rs_dbnfile_write_event(struct rs_dbnfile_writer *w, const struct rs_event *ev);
/* Write a version-3 definition; -EINVAL if the writer's version is < 3. */
int rs_dbnfile_write_def(struct rs_dbnfile_writer *w, const struct rs_dbn_def *d);
/* Flush (end the zstd frame), close; returns the first error seen. Frees w. */
int rs_dbnfile_writer_close(struct rs_dbnfile_writer *w);

#endif
