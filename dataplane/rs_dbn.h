/*
 * rs_dbn.h - zero-copy DBN v1-v3 decoding from a memory buffer.
 *
 * Layouts are in rs_dbn_types.h. The decoder never allocates, logs or
 * touches errno; every rejected or skipped record increments a counter in
 * struct rs_dbn_counters. Cold metadata functions return 0 or a negative
 * errno value and a static reason string.
 *
 * Record loop (buffer `p`, `n` bytes, version from the metadata):
 *
 *   const struct rs_rec_hdr *rec;
 *   int len;
 *   while ((len = rs_dbn_rec_check(p, n, ver, &c, &rec)) > 0) {
 *           if (rec) ... use rec (upgrade with rs_dbn_upgrade if needed)
 *           p += len; n -= len;
 *   }
 *   len == RS_DBN_NEED_MORE: the rest is an incomplete record (read more,
 *   or at end of data: the file is truncated, see rs_dbn_count_overrun());
 *   len == RS_DBN_FATAL: a length below the 16-byte header, cannot resync.
 *
 * Alignment: records are read through pointers; callers that dereference
 * the returned struct pointers must keep records 8-byte aligned (the file
 * reader does). rs_dbn_upgrade() and rs_dbn_mbo_to_event() accept any
 * alignment.
 */
#ifndef RS_DBN_H
#define RS_DBN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/rs_dbn_types.h"

#define RS_DBN_NEED_MORE 0
#define RS_DBN_FATAL (-1)

/* ---- metadata (cold) -------------------------------------------------------- */

/*
 * Read the 8-byte prelude. Returns 0 and sets *version and *length (metadata
 * bytes that follow the prelude), -EAGAIN if len < 8, -EPROTO if the magic
 * is not "DBN", -EPROTONOSUPPORT if the version is not 1..3 (*version is
 * still set), -EBADMSG if length < the fixed metadata size. *why gets a
 * static description on failure.
 */
int rs_dbn_prelude(const uint8_t *buf, size_t len, uint8_t *version, uint32_t *length,
		   const char **why);

/*
 * Decode the metadata at buf (starting with the prelude); len must cover
 * the whole metadata (8 + length bytes, from rs_dbn_prelude). Fills *m with
 * pointers into buf. Returns 0, or the rs_dbn_prelude errors, or -EBADMSG
 * (counts or mappings overrun the metadata, bad schema_definition_length)
 * with *why set.
 */
int rs_dbn_meta_decode(const uint8_t *buf, size_t len, struct rs_dbn_meta *m, const char **why);

/* Total size of the metadata block (prelude included) m would encode to as
 * version `version` (1..3), with v3's 8-byte end padding. */
size_t rs_dbn_meta_encoded_len(const struct rs_dbn_meta *m, uint8_t version);

/*
 * Encode m as DBN `version` into buf, field by field. Symbols are read at
 * m->symbol_cstr_len and written at the width of `version` (22 in v1, 71
 * after; a longer symbol is rejected). If m->version == version and
 * m->length exceeds the computed length the metadata is zero-padded to
 * m->length (keeps a decoded file's bytes identical). Returns the number
 * of bytes written, or -ENOSPC if cap is too small (rs_dbn_meta_encoded_len
 * tells how much), -EINVAL for a bad version, a symbol too long, or a
 * mapping block shorter than its counts (m->mappings_len is checked; the
 * interval counts are read from the block itself).
 */
long rs_dbn_meta_encode(const struct rs_dbn_meta *m, uint8_t version, uint8_t *buf, size_t cap);

/* Copy list entry i (list = m->symbols, m->partial or m->not_found) as a
 * NUL-terminated string into out (truncated to outlen - 1). */
void rs_dbn_meta_symbol(const struct rs_dbn_meta *m, const uint8_t *list, uint32_t i, char *out,
			size_t outlen);

/* Iterate mappings: *cursor starts at 0; returns true and fills *mp while
 * mappings remain. Only valid on metadata accepted by rs_dbn_meta_decode. */
bool rs_dbn_meta_mapping_next(const struct rs_dbn_meta *m, size_t *cursor, struct rs_dbn_mapping *mp);

/* Interval i of a mapping: dates as YYYYMMDD, symbol copied NUL-terminated. */
void rs_dbn_mapping_interval(const struct rs_dbn_meta *m, const struct rs_dbn_mapping *mp, uint32_t i,
			     uint32_t *start_date, uint32_t *end_date, char *sym, size_t symlen);

/* Human-readable names ("mbo", "raw_symbol", "MBO"...); "?" if unknown. */
const char *rs_dbn_schema_name(uint16_t schema);
const char *rs_dbn_stype_name(uint8_t stype);
const char *rs_dbn_rtype_name(uint8_t rtype);

/* ---- records (hot) ------------------------------------------------------------ */

/* Minimum size in bytes of a known rtype in DBN `version`, 0 if unknown. */
static inline uint32_t rs_dbn_rec_size(uint8_t rtype, uint8_t version)
{
	switch (rtype) {
	case RS_RTYPE_MBO:
		return sizeof(struct rs_mbo);
	case RS_RTYPE_MBP0:
		return sizeof(struct rs_dbn_trade);
	case RS_RTYPE_MBP1:
		return sizeof(struct rs_dbn_mbp1);
	case RS_RTYPE_MBP10:
		return sizeof(struct rs_dbn_mbp10);
	case RS_RTYPE_OHLCV_DEPRECATED:
	case RS_RTYPE_OHLCV_1S:
	case RS_RTYPE_OHLCV_1M:
	case RS_RTYPE_OHLCV_1H:
	case RS_RTYPE_OHLCV_1D:
	case RS_RTYPE_OHLCV_EOD:
		return sizeof(struct rs_dbn_ohlcv);
	case RS_RTYPE_STATUS:
		return sizeof(struct rs_dbn_status);
	case RS_RTYPE_DEFINITION:
		return version == 1 ? sizeof(struct rs_dbn_def_v1)
		       : version == 2 ? sizeof(struct rs_dbn_def_v2)
				      : sizeof(struct rs_dbn_def);
	case RS_RTYPE_IMBALANCE:
		return sizeof(struct rs_dbn_imbalance);
	case RS_RTYPE_ERROR:
		return version == 1 ? sizeof(struct rs_dbn_error_v1) : sizeof(struct rs_dbn_error);
	case RS_RTYPE_SYMMAP:
		return version == 1 ? sizeof(struct rs_dbn_symmap_v1) : sizeof(struct rs_dbn_symmap);
	case RS_RTYPE_SYSTEM:
		return version == 1 ? sizeof(struct rs_dbn_system_v1) : sizeof(struct rs_dbn_system);
	case RS_RTYPE_STATISTICS:
		return version < 3 ? sizeof(struct rs_dbn_stat_v1) : sizeof(struct rs_dbn_stat);
	case RS_RTYPE_CMBP1:
	case RS_RTYPE_TCBBO:
	case RS_RTYPE_CBBO_1S:
	case RS_RTYPE_CBBO_1M:
	case RS_RTYPE_BBO_1S:
	case RS_RTYPE_BBO_1M:
		return 80;
	default:
		return 0;
	}
}

/*
 * Validate the record at p (avail bytes left). Returns its length in bytes
 * (> 0) and sets *rec to it, or to NULL when the record is skipped (unknown
 * rtype, or shorter than its rtype's size in this version; counted);
 * RS_DBN_NEED_MORE if the record is incomplete; RS_DBN_FATAL if its length
 * is below the header size (counted).
 */
static inline int rs_dbn_rec_check(const uint8_t *p, size_t avail, uint8_t version,
				   struct rs_dbn_counters *c, const struct rs_rec_hdr **rec)
{
	if (avail < sizeof(struct rs_rec_hdr))
		return RS_DBN_NEED_MORE;
	uint32_t len = (uint32_t)p[0] * 4u;
	if (__builtin_expect(len < sizeof(struct rs_rec_hdr), 0)) {
		c->reject[RS_DBN_REJ_SHORT_HEADER]++;
		return RS_DBN_FATAL;
	}
	if (len > avail)
		return RS_DBN_NEED_MORE;
	c->bytes += len;
	uint32_t need = p[1] == RS_RTYPE_MBO ? (uint32_t)sizeof(struct rs_mbo)
					     : rs_dbn_rec_size(p[1], version);
	if (__builtin_expect(need == 0, 0)) {
		c->reject[RS_DBN_REJ_UNKNOWN_RTYPE]++;
		*rec = NULL;
	} else if (__builtin_expect(len < need, 0)) {
		c->reject[RS_DBN_REJ_SHORT_RECORD]++;
		*rec = NULL;
	} else {
		c->records++;
		*rec = (const struct rs_rec_hdr *)(const void *)p;
	}
	return (int)len;
}

/* Count the incomplete record left at the end of the data (a truncated file). */
static inline void rs_dbn_count_overrun(struct rs_dbn_counters *c)
{
	c->reject[RS_DBN_REJ_OVERRUN]++;
}

/*
 * Wrap an MBO record (any alignment) into a normalized event: the first 56
 * bytes are the record unchanged, rs_flags 0, feed_id as given, line 0.
 */
static inline void rs_dbn_mbo_to_event(const void *mbo, struct rs_event *ev, uint8_t feed_id)
{
	memcpy(&ev->mbo, mbo, sizeof(ev->mbo));
	ev->rs_flags = 0;
	ev->feed_id = feed_id;
	ev->line_id = 0;
	ev->reserved = 0;
}

/*
 * Burst decode: walk records in buf[0..len) and wrap up to max MBO records
 * into ev[]. Other valid records are skipped and counted NOT_MBO. Stops at
 * max events, at an incomplete record, or at a fatal length (*fatal = true).
 * Returns the number of events; *consumed = bytes fully processed.
 */
static inline unsigned rs_dbn_mbo_burst(const uint8_t *buf, size_t len, uint8_t version,
					struct rs_event *ev, unsigned max, uint8_t feed_id,
					size_t *consumed, bool *fatal, struct rs_dbn_counters *c)
{
	size_t off = 0;
	unsigned n = 0, fast = 0;
	*fatal = false;
	while (n < max) {
		/* Fast path: a complete plain MBO record (14 units, rtype 0xA0).
		 * Counters are summed locally: ev stores could alias *c. */
		if (len - off >= sizeof(struct rs_mbo) && buf[off] == sizeof(struct rs_mbo) / 4 &&
		    buf[off + 1] == RS_RTYPE_MBO) {
			rs_dbn_mbo_to_event(buf + off, &ev[n++], feed_id);
			off += sizeof(struct rs_mbo);
			fast++;
			continue;
		}
		const struct rs_rec_hdr *rec;
		int r = rs_dbn_rec_check(buf + off, len - off, version, c, &rec);
		if (r <= 0) {
			*fatal = r == RS_DBN_FATAL;
			break;
		}
		/* rec may be only 4-byte aligned (lengths are in 4-byte units):
		 * read rtype as a byte, never through the struct */
		if (rec && ((const uint8_t *)rec)[1] == RS_RTYPE_MBO) { /* MBO with ts_out or extension */
			rs_dbn_mbo_to_event(rec, &ev[n++], feed_id);
			c->mbo++;
		} else if (rec) {
			c->reject[RS_DBN_REJ_NOT_MBO]++;
		}
		off += (size_t)r;
	}
	c->records += fast;
	c->mbo += fast;
	c->bytes += (uint64_t)fast * sizeof(struct rs_mbo);
	*consumed = off;
	return n;
}

/*
 * Upgrade a record of DBN `version` to the version-3 layout. Definitions
 * (v1, v2), statistics (v1, v2), and error, symbol-mapping and system
 * records (v1) are converted into out (RS_DBN_UPGRADE_BUF_LEN bytes, 8-byte
 * aligned) following Databento's rules (new fields get their "undefined"
 * values, v1 system/error messages get their code from the text); a
 * trailing ts_out (ts_out != 0) is kept. Returns out for converted records
 * and rec itself for records whose layout did not change. rec must have
 * passed rs_dbn_rec_check; any alignment.
 */
const struct rs_rec_hdr *rs_dbn_upgrade(const struct rs_rec_hdr *rec, uint8_t version, bool ts_out,
					void *out, struct rs_dbn_counters *c);

/*
 * Fill an instrument directory entry from a version-3 definition: symbol =
 * raw_symbol (truncated to 23 chars), tick size = min_price_increment, lot
 * size = min_lot_size_round_lot, display factor, class, strike,
 * expiration, underlying id; undefined DBN values become 0 (RS_UNDEF_*
 * for strike and expiration).
 */
void rs_dbn_def_to_instrument(const struct rs_dbn_def *d, struct rs_instrument *out);

#endif
