/* rs_evsource.c - see rs_evsource.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_dbnfile.h"
#include "controlplane/rs_evsource.h"
#include "dataplane/rs_dbn.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "shm/rs_err.h"

struct rs_evsource {
	int format;
	int eof;
	char path[256];
	struct rs_evsrc_defs defs;
	uint64_t messages, skipped;
	int err;                 /* deferred error (events before it were delivered first) */
	char errmsg[256];
	/* ITCH */
	struct rs_itchfile itf;
	struct rs_itch_dec dec;
	/* DBN */
	struct rs_dbnfile *dbn;
};

int rs_evsource_format(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "itch"))
		return RS_EVSRC_ITCH;
	if (!strcmp(name, "dbn"))
		return RS_EVSRC_DBN;
	return 0;
}

static void define(struct rs_evsource *s, uint32_t id, const char *sym, int64_t tick)
{
	if (s->defs.define)
		s->defs.define(s->defs.ctx, id, sym, tick);
}

static void on_stock_dir(void *ctx, const struct rs_itch_stock_directory *m)
{
	char sym[9];
	memcpy(sym, m->stock, 8);
	sym[8] = 0;
	for (int i = 7; i >= 0 && sym[i] == ' '; i--)
		sym[i] = 0;
	define(ctx, m->h.locate, sym, 0);
}

/* NASDAQ names day files MMDDYYYY.NASDAQ_ITCH50[.gz]; also accept
 * S<MMDDYYYY>-v50.txt as in the historical FTP. */
static void date_from_name(struct rs_evsource *s, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (*b == 'S')
		b++;
	for (int i = 0; i < 8; i++)
		if (!isdigit((unsigned char)b[i]))
			return;
	int mm = (b[0] - '0') * 10 + b[1] - '0', dd = (b[2] - '0') * 10 + b[3] - '0';
	int yy = atoi((char[5]){b[4], b[5], b[6], b[7], 0});
	if (mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31 && yy >= 2000)
		(void)rs_itch_dec_set_date(&s->dec, yy, mm, dd);
}

static int open_dbn(struct rs_evsource *s, const char *path)
{
	int rc = rs_dbnfile_open(&s->dbn, path, RS_DBNFILE_UPGRADE);
	if (rc)
		return rc;
	/* symbols from the metadata mappings (interval symbol = instrument id) */
	const struct rs_dbn_meta *m = rs_dbnfile_meta(s->dbn);
	size_t cur = 0;
	struct rs_dbn_mapping mp;
	while (rs_dbn_meta_mapping_next(m, &cur, &mp)) {
		char raw[72], sym[72];
		size_t rl = m->symbol_cstr_len < 71 ? m->symbol_cstr_len : 71;
		memcpy(raw, mp.raw_symbol, rl);
		raw[rl] = 0;
		for (uint32_t i = 0; i < mp.nintervals; i++) {
			uint32_t sd, ed;
			rs_dbn_mapping_interval(m, &mp, i, &sd, &ed, sym, sizeof(sym));
			char *end;
			unsigned long iid = strtoul(sym, &end, 10);
			if (*sym && !*end && iid <= UINT32_MAX)
				define(s, (uint32_t)iid, raw, 0);
		}
	}
	return 0;
}

int rs_evsource_open(struct rs_evsource **out, const char *path, int format,
		     const struct rs_evsrc_defs *defs)
{
	struct rs_evsource *s;
	int rc;

	*out = NULL;
	if (format != RS_EVSRC_ITCH && format != RS_EVSRC_DBN)
		return RS_ERR_SET(-EINVAL, "%s: unknown format %d (itch or dbn)", path, format);
	if (!(s = calloc(1, sizeof(*s))))
		return RS_ERR_SET(-ENOMEM, "out of memory");
	s->format = format;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (defs)
		s->defs = *defs;
	if (format == RS_EVSRC_ITCH) {
		rc = rs_itchfile_open(&s->itf, path, 0);
		if (!rc) {
			rs_itch_dec_init(&s->dec, 0);
			/* NASDAQ fills the P side byte with 'B' on every trade in
			 * real captures: classify those trades (Lee-Ready) instead */
			s->dec.pside_mode = RS_ITCH_PSIDE_NONE;
			s->dec.h.ctx = s;
			s->dec.h.stock_directory = on_stock_dir;
			date_from_name(s, path);
		}
	} else {
		rc = open_dbn(s, path);
	}
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int rs_evsource_set_date(struct rs_evsource *s, int year, int month, int day)
{
	if (s->format != RS_EVSRC_ITCH)
		return RS_ERR_SET(-EINVAL, "%s: a session date applies to ITCH files only", s->path);
	return rs_itch_dec_set_date(&s->dec, year, month, day);
}

static int next_itch(struct rs_evsource *s, struct rs_event *out, unsigned cap)
{
	int rc = 0;
	uint64_t before = s->itf.nmsgs;
	unsigned n = rs_itch_decode_file(&s->dec, &s->itf, 0, out, cap, &rc);
	s->messages += s->itf.nmsgs - before;
	if (rc == 0)
		s->eof = 1;
	if (rc < 0 && n == 0)
		return RS_ERR_SET(-EBADMSG, "%s: truncated ITCH record at byte %zu", s->path, s->itf.err_off);
	if (rc < 0) { /* deliver n now, the error on the next call */
		s->eof = -1;
		s->err = -EBADMSG;
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: truncated ITCH record at byte %zu", s->path,
			 s->itf.err_off);
	}
	return (int)n;
}

static int next_dbn(struct rs_evsource *s, struct rs_event *out, unsigned cap)
{
	const struct rs_rec_hdr *rec;
	unsigned n = 0;
	int rc = 1;
	while (n < cap && (rc = rs_dbnfile_next(s->dbn, &rec)) > 0) {
		s->messages++;
		if (rec->rtype == RS_RTYPE_MBO) {
			rs_dbn_mbo_to_event(rec, &out[n++], 0);
		} else if (rec->rtype == RS_RTYPE_DEFINITION) {
			struct rs_instrument ins;
			rs_dbn_def_to_instrument((const struct rs_dbn_def *)rec, &ins);
			define(s, ins.instrument_id, ins.symbol, ins.tick_size);
			s->skipped++;
			if (n) /* definitions take effect before later events */
				break;
		} else {
			s->skipped++;
		}
	}
	if (rc == 0)
		s->eof = 1;
	if (rc < 0) {
		if (!n)
			return rc; /* rs_dbnfile_next set the message */
		s->eof = -1;
		s->err = rc;
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", rs_err_msg());
	}
	return (int)n;
}

int rs_evsource_next(struct rs_evsource *s, struct rs_event *out, unsigned cap)
{
	if (cap < RS_EVSRC_MIN_CAP)
		return RS_ERR_SET(-EINVAL, "%s: burst capacity %u < %u", s->path, cap, RS_EVSRC_MIN_CAP);
	if (s->eof > 0)
		return 0;
	if (s->eof < 0) {
		s->eof = 1; /* the error ends the file */
		return RS_ERR_SET(s->err, "%s", s->errmsg);
	}
	int n;
	do
		n = s->format == RS_EVSRC_ITCH ? next_itch(s, out, cap) : next_dbn(s, out, cap);
	while (n == 0 && !s->eof);
	return n;
}

uint64_t rs_evsource_messages(const struct rs_evsource *s)
{
	return s->messages;
}

uint64_t rs_evsource_skipped(const struct rs_evsource *s)
{
	return s->skipped;
}

void rs_evsource_close(struct rs_evsource *s)
{
	if (!s)
		return;
	if (s->format == RS_EVSRC_ITCH)
		rs_itchfile_close(&s->itf);
	else
		rs_dbnfile_close(s->dbn);
	free(s);
}
