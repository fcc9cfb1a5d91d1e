/*
 * rs_baseline_file.h - baseline persistence (COLD): one file per instance,
 * versioned, checksummed (SHA-256 over header and payload, OpenSSL EVP),
 * written atomically: "<path>.tmp.<pid>", write, fsync, rename over
 * <path>, fsync of the directory. A crash at any point leaves either the
 * old or the new complete file under <path>.
 *
 * Layout (little-endian, as the machine writes it; x86-64/arm64):
 *
 *   0    magic "RSIFDBL\n"          8
 *   8    version (2)                u32
 *   12   header length (128)        u32
 *   16   payload length             u64
 *   24   SHA-256                    32   over header (this field zeroed) + payload
 *   56   nwin, days                 u32, u32
 *   64   window_ns[3]               3 x u64
 *   88   bucket_ns, session_ns      u64, u64
 *   104  ninst, ncells              u32, u32
 *   112  reserved                   16
 *   128  payload: per instrument
 *          key[24] instrument_id u32, reserved u32,
 *          dates[days] u32, p95[days] f32,
 *          cells[ncells][days] struct rs_bl_cell (88 B)
 *
 * Version 2 (cells with n and ne: the vi statistics over non-empty
 * windows, see rs_baseline.h) replaced version 1; a version 1 file is
 * reported (-EPROTONOSUPPORT) and ignored - rebuild with `ringside
 * baseline build`.
 */
#ifndef RS_BASELINE_FILE_H
#define RS_BASELINE_FILE_H

#include <stddef.h>

#include "dataplane/rs_baseline.h"

#define RS_BASELINE_FILE_VERSION 2u

/* Write bl to path atomically. 0 or -errno (message names the file). */
int rs_baseline_file_save(const struct rs_baseline *bl, const char *path);

/* Load path into a new baseline. expect (may be NULL) is the geometry the
 * caller needs. Errors (the caller reports them and carries on without a
 * baseline; nothing is ever half-loaded):
 *   -ENOENT etc.      cannot open/read
 *   -EBADMSG          not a baseline file (foreign), truncated, checksum
 *                     mismatch or inconsistent contents
 *   -EPROTONOSUPPORT  another format version
 *   -ESTALE           valid, but its geometry differs from expect */
int rs_baseline_file_load(struct rs_baseline **out, const char *path, const struct rs_bl_geom *expect);

/* The same from memory (data, len); name is used in messages. Besides the
 * checks above, every cell must hold n <= windows per bucket, ne <= n and
 * finite statistics, else -EBADMSG. */
int rs_baseline_file_parse(struct rs_baseline **out, const void *data, size_t len, const char *name,
			   const struct rs_bl_geom *expect);

/* Test hook: called after each chunk written to the temporary file with
 * the bytes written so far (simulating power loss mid-write). */
extern void (*rs__baseline_file_write_hook)(size_t written);

#endif
