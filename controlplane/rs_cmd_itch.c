/*
 * rs_cmd_itch.c - `ringside itch dump FILE`: print decoded ITCH 5.0 messages
 * from a day file (2-byte length prefixed) or a pcap/pcapng capture of
 * MoldUDP64 packets, one message per line; --stats prints per-type counts
 * and rejects.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/rs_cli.h"
#include "controlplane/rs_pcapfile.h"
#include "dataplane/rs_itch.h"
#include "dataplane/rs_itchfile.h"
#include "dataplane/rs_moldudp.h"
#include "shm/rs_err.h"

struct dump {
	struct rs_itch_dec dec;
	struct rs_moldudp_counters mold;
	uint64_t limit;      /* 0 = no limit */
	uint64_t printed;
	uint64_t msgs;
	int quiet;
	int stats;
	FILE *out;
};

static void fmt_px(char *b, size_t n, int64_t p)
{
	if (p == RS_UNDEF_PRICE) {
		snprintf(b, n, "undef");
		return;
	}
	/* 1e-9 units; print with 4 decimals (ITCH resolution) unless finer */
	int64_t ip = p / RS_PRICE_SCALE, fp = p % RS_PRICE_SCALE;
	if (fp < 0)
		fp = -fp;
	if (fp % 100000 == 0)
		snprintf(b, n, "%s%" PRId64 ".%04" PRId64, p < 0 && ip == 0 ? "-" : "", ip, fp / 100000);
	else
		snprintf(b, n, "%s%" PRId64 ".%09" PRId64, p < 0 && ip == 0 ? "-" : "", ip, fp);
}

static void fmt_ts(char *b, size_t n, uint64_t ts)
{
	uint64_t s = ts / 1000000000u;
	snprintf(b, n, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%09" PRIu64, s / 3600, s / 60 % 60,
		 s % 60, ts % 1000000000u);
}

/* Alpha field without its space padding, for "%.*s". */
static int alen(const char *s, int n)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	return n;
}
#define STK(x) alen((x), (int)sizeof(x)), (x)

static void print_msg(struct dump *d, const uint8_t *m, size_t len, uint64_t seq)
{
	struct rs_itch_msg msg;
	char ts[32], p1[32], p2[32], p3[32];
	int rc = rs_itch_parse(m, len, &msg);
	FILE *o = d->out;
	if (rc < 0) {
		fprintf(o, "%" PRIu64 " REJECT %s len=%zu type=0x%02x\n", seq,
			rc == -EMSGSIZE ? "bad_length" : len ? "unknown_type" : "empty", len,
			len ? m[0] : 0);
		return;
	}
	fmt_ts(ts, sizeof(ts), msg.h.ts);
	fprintf(o, "%" PRIu64 " %s %c locate=%u track=%u ", seq, ts, msg.h.type, msg.h.locate,
		msg.h.tracking);
	switch (msg.h.type) {
	case 'S':
		fprintf(o, "system_event event=%c", msg.S.event_code);
		break;
	case 'R':
		fprintf(o,
			"stock_directory stock=%.*s mkt=%c fin=%c lot=%u lots_only=%c class=%c sub=%.2s "
			"auth=%c ssti=%c ipo=%c luld=%c etp=%c lev=%u inv=%c",
			STK(msg.R.stock), msg.R.market_category, msg.R.financial_status,
			msg.R.round_lot_size, msg.R.round_lots_only, msg.R.issue_classification,
			msg.R.issue_subtype, msg.R.authenticity, msg.R.short_sale_threshold, msg.R.ipo_flag,
			msg.R.luld_tier, msg.R.etp_flag, msg.R.etp_leverage_factor, msg.R.inverse_indicator);
		break;
	case 'H':
		fprintf(o, "trading_action stock=%.*s state=%c reason=%.4s", STK(msg.H.stock),
			msg.H.trading_state, msg.H.reason);
		break;
	case 'Y':
		fprintf(o, "reg_sho stock=%.*s action=%c", STK(msg.Y.stock), msg.Y.action);
		break;
	case 'L':
		fprintf(o, "participant_position mpid=%.4s stock=%.*s primary=%c mode=%c state=%c",
			msg.L.mpid, STK(msg.L.stock), msg.L.primary_market_maker,
			msg.L.market_maker_mode, msg.L.participant_state);
		break;
	case 'V':
		fmt_px(p1, sizeof(p1), msg.V.level1);
		fmt_px(p2, sizeof(p2), msg.V.level2);
		fmt_px(p3, sizeof(p3), msg.V.level3);
		fprintf(o, "mwcb_decline l1=%s l2=%s l3=%s", p1, p2, p3);
		break;
	case 'W':
		fprintf(o, "mwcb_status level=%c", msg.W.breached_level);
		break;
	case 'K':
		fmt_px(p1, sizeof(p1), msg.K.ipo_price);
		fprintf(o, "ipo_quoting stock=%.*s release=%u qual=%c price=%s", STK(msg.K.stock),
			msg.K.release_time, msg.K.release_qualifier, p1);
		break;
	case 'J':
		fmt_px(p1, sizeof(p1), msg.J.ref_price);
		fmt_px(p2, sizeof(p2), msg.J.upper_price);
		fmt_px(p3, sizeof(p3), msg.J.lower_price);
		fprintf(o, "luld_collar stock=%.*s ref=%s upper=%s lower=%s ext=%u", STK(msg.J.stock),
			p1, p2, p3, msg.J.extension);
		break;
	case 'h':
		fprintf(o, "operational_halt stock=%.*s market=%c action=%c", STK(msg.oh.stock),
			msg.oh.market_code, msg.oh.action);
		break;
	case 'A':
	case 'F':
		fmt_px(p1, sizeof(p1), msg.A.price);
		fprintf(o, "add_order ref=%" PRIu64 " side=%c shares=%u stock=%.*s price=%s",
			msg.A.order_ref, msg.A.side, msg.A.shares, STK(msg.A.stock), p1);
		if (msg.h.type == 'F')
			fprintf(o, " mpid=%.4s", msg.A.attribution);
		break;
	case 'E':
		fprintf(o, "order_executed ref=%" PRIu64 " shares=%u match=%" PRIu64, msg.E.order_ref,
			msg.E.shares, msg.E.match_number);
		break;
	case 'C':
		fmt_px(p1, sizeof(p1), msg.E.price);
		fprintf(o, "order_executed_price ref=%" PRIu64 " shares=%u match=%" PRIu64 " printable=%c price=%s",
			msg.E.order_ref, msg.E.shares, msg.E.match_number, msg.E.printable, p1);
		break;
	case 'X':
		fprintf(o, "order_cancel ref=%" PRIu64 " shares=%u", msg.X.order_ref, msg.X.shares);
		break;
	case 'D':
		fprintf(o, "order_delete ref=%" PRIu64, msg.D.order_ref);
		break;
	case 'U':
		fmt_px(p1, sizeof(p1), msg.U.price);
		fprintf(o, "order_replace ref=%" PRIu64 " new_ref=%" PRIu64 " shares=%u price=%s",
			msg.U.orig_order_ref, msg.U.new_order_ref, msg.U.shares, p1);
		break;
	case 'P':
		fmt_px(p1, sizeof(p1), msg.P.price);
		fprintf(o, "trade ref=%" PRIu64 " side=%c shares=%u stock=%.*s price=%s match=%" PRIu64,
			msg.P.order_ref, msg.P.side, msg.P.shares, STK(msg.P.stock), p1,
			msg.P.match_number);
		break;
	case 'Q':
		fmt_px(p1, sizeof(p1), msg.Q.price);
		fprintf(o, "cross_trade shares=%" PRIu64 " stock=%.*s price=%s match=%" PRIu64 " cross=%c",
			msg.Q.shares, STK(msg.Q.stock), p1, msg.Q.match_number, msg.Q.cross_type);
		break;
	case 'B':
		fprintf(o, "broken_trade match=%" PRIu64, msg.B.match_number);
		break;
	case 'I':
		fmt_px(p1, sizeof(p1), msg.I.far_price);
		fmt_px(p2, sizeof(p2), msg.I.near_price);
		fmt_px(p3, sizeof(p3), msg.I.ref_price);
		fprintf(o, "noii paired=%" PRIu64 " imbalance=%" PRIu64 " dir=%c stock=%.*s far=%s near=%s ref=%s cross=%c var=%c",
			msg.I.paired_shares, msg.I.imbalance_shares, msg.I.imbalance_direction,
			STK(msg.I.stock), p1, p2, p3, msg.I.cross_type, msg.I.price_variation);
		break;
	case 'N':
		fprintf(o, "rpii stock=%.*s interest=%c", STK(msg.N.stock), msg.N.interest_flag);
		break;
	case 'O':
		fmt_px(p1, sizeof(p1), msg.O.min_price);
		fmt_px(p2, sizeof(p2), msg.O.max_price);
		fmt_px(p3, sizeof(p3), msg.O.near_exec_price);
		fprintf(o, "dlcr stock=%.*s eligible=%c min=%s max=%s near=%s near_time=%" PRIu64,
			STK(msg.O.stock), msg.O.open_eligibility, p1, p2, p3, msg.O.near_exec_time);
		break;
	default:
		break;
	}
	fputc('\n', o);
}

/* Returns 1 to continue, 0 when the limit is reached. */
static int one_msg(struct dump *d, const uint8_t *m, size_t len, uint64_t seq)
{
	struct rs_event ev[RS_ITCH_MAX_EVENTS];
	rs_itch_decode(&d->dec, m, len, seq, 0, ev);
	d->msgs++;
	if (!d->quiet)
		print_msg(d, m, len, seq);
	return !(d->limit && d->msgs >= d->limit);
}

static int dump_day(struct dump *d, const char *path)
{
	struct rs_itchfile f;
	int rc = rs_itchfile_open(&f, path, 0);
	if (rc < 0) {
		fprintf(stderr, "ringside itch: %s\n", rs_err_msg());
		return RS_EX_NOINPUT;
	}
	const uint8_t *m;
	size_t len;
	int ex = RS_EX_OK;
	while ((rc = rs_itchfile_next(&f, &m, &len)) > 0)
		if (!one_msg(d, m, len, f.nmsgs))
			break;
	if (rc < 0) {
		fprintf(stderr, "ringside itch: %s: truncated at byte %zu (after %" PRIu64 " messages, file is %zu bytes)\n",
			path, f.err_off, f.nmsgs, f.size);
		ex = RS_EX_DATAERR;
	}
	rs_itchfile_close(&f);
	return ex;
}

static int dump_pcap(struct dump *d, const char *path)
{
	struct rs_pcapfile *f;
	if (rs_pcapfile_open(&f, path) < 0) {
		fprintf(stderr, "ringside itch: %s\n", rs_err_msg());
		return RS_EX_NOINPUT;
	}
	struct rs_pcapfile_udp u;
	int rc, ex = RS_EX_OK, more = 1;
	while (more && (rc = rs_pcapfile_next_udp(f, NULL, &u)) > 0) {
		struct rs_moldudp_pkt pk;
		enum rs_moldudp_err e = rs_moldudp_parse_count(&d->mold, u.udp.payload, u.udp.payload_len, &pk);
		if (e != RS_MOLDUDP_OK) {
			if (!d->quiet)
				fprintf(d->out, "# frame %" PRIu64 ": MoldUDP64 rejected: %s (%u bytes)\n",
					u.frame.index, rs_moldudp_err_name(e), u.udp.payload_len);
			continue;
		}
		if (pk.kind != RS_MOLDUDP_DATA) {
			if (!d->quiet) {
				char s[RS_MOLDUDP_SESSION_LEN + 1];
				rs_moldudp_session_str(pk.session, s);
				fprintf(d->out, "# frame %" PRIu64 ": session=%s seq=%" PRIu64 " %s\n",
					u.frame.index, s, pk.seq,
					pk.kind == RS_MOLDUDP_KIND_EOS ? "end-of-session" : "heartbeat");
			}
			continue;
		}
		struct rs_moldudp_iter it;
		const uint8_t *m;
		size_t len;
		uint64_t seq;
		rs_moldudp_iter_init(&it, &pk);
		while (rs_moldudp_next(&it, &m, &len, &seq))
			if (!(more = one_msg(d, m, len, seq)))
				break;
	}
	if (more && rc < 0) {
		fprintf(stderr, "ringside itch: %s: %s\n", path, rs_err_msg());
		ex = RS_EX_IOERR;
	}
	if (d->stats) {
		const struct rs_pcapfile_stats *st = rs_pcapfile_stats(f);
		fprintf(d->out, "frames %" PRIu64 " udp %" PRIu64 " truncated %" PRIu64 " bad_link %" PRIu64 "\n",
			st->frames, st->udp, st->truncated, st->bad_link);
		for (unsigned i = 1; i < RS_PKT_ERR__COUNT; i++)
			if (st->pkt_err[i])
				fprintf(d->out, "frame_reject %s %" PRIu64 "\n", rs_pkt_err_name(i), st->pkt_err[i]);
		fprintf(d->out, "moldudp packets %" PRIu64 " heartbeats %" PRIu64 " eos %" PRIu64 " messages %" PRIu64 "\n",
			d->mold.pkts, d->mold.heartbeats, d->mold.eos, d->mold.msgs);
		for (unsigned i = 1; i < RS_MOLDUDP_ERR__COUNT; i++)
			if (d->mold.rejects[i])
				fprintf(d->out, "moldudp_reject %s %" PRIu64 "\n", rs_moldudp_err_name(i),
					d->mold.rejects[i]);
	}
	rs_pcapfile_close(f);
	return ex;
}

static int is_pcap(const char *path)
{
	uint8_t b[4] = {0};
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(b, 1, 4, f);
	fclose(f);
	if (n < 4)
		return 0;
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return v == 0xa1b2c3d4u || v == 0xd4c3b2a1u || v == 0xa1b23c4du || v == 0x4d3cb2a1u ||
	       v == 0x0a0d0d0au;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ringside itch dump FILE [--format day|pcap] [--limit N] [--stats] [--quiet]\n"
		   "\n"
		   "Decode NASDAQ TotalView-ITCH 5.0 messages and print one per line:\n"
		   "  SEQ HH:MM:SS.nnnnnnnnn TYPE locate=N track=N NAME fields...\n"
		   "FILE is a day file (2-byte big-endian length before each message) or a\n"
		   "pcap/pcapng capture of MoldUDP64 packets; the format is detected from\n"
		   "the file's magic unless --format is given. For day files SEQ is the\n"
		   "message's 1-based position; for captures the MoldUDP64 sequence number.\n"
		   "\n"
		   "  --format day|pcap  input format (default: auto)\n"
		   "  --limit N          stop after N messages\n"
		   "  --stats            print per-type counts and rejects at the end\n"
		   "  --quiet            do not print messages (use with --stats)\n"
		   "Exit: 0 ok, 64 usage, 65 malformed (truncated) file, 66 cannot open.\n");
}

static int cmd_itch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, 0, 'f'}, {"limit", required_argument, 0, 'n'},
		{"stats", no_argument, 0, 's'},        {"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
	};
	struct dump d;
	memset(&d, 0, sizeof(d));
	d.out = stdout;
	rs_itch_dec_init(&d.dec, 0);
	int fmt = -1, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:n:sqh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "day"))
				fmt = 0;
			else if (!strcmp(optarg, "pcap") || !strcmp(optarg, "pcapng"))
				fmt = 1;
			else {
				fprintf(stderr, "ringside itch: --format must be day or pcap\n");
				return RS_EX_USAGE;
			}
			break;
		case 'n': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "ringside itch: bad --limit '%s'\n", optarg);
				return RS_EX_USAGE;
			}
			d.limit = v;
			break;
		}
		case 's':
			d.stats = 1;
			break;
		case 'q':
			d.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return RS_EX_OK;
		default:
			usage(stderr);
			return RS_EX_USAGE;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "dump")) {
		usage(stderr);
		return RS_EX_USAGE;
	}
	const char *path = argv[optind + 1];
	if (fmt < 0) {
		fmt = is_pcap(path);
		if (fmt < 0) {
			fprintf(stderr, "ringside itch: %s: %s\n", path, strerror(errno));
			return RS_EX_NOINPUT;
		}
	}
	int ex = fmt ? dump_pcap(&d, path) : dump_day(&d, path);
	if (d.stats) {
		fprintf(d.out, "messages %" PRIu64 " events %" PRIu64 "\n", d.msgs, d.dec.c.events);
		for (unsigned i = 0; i < RS_ITCH_T__COUNT; i++)
			if (d.dec.c.msgs[i])
				fprintf(d.out, "type %c %-22s %" PRIu64 "\n", rs_itch_type_char(i),
					rs_itch_type_name((uint8_t)rs_itch_type_char(i)), d.dec.c.msgs[i]);
		for (unsigned i = 0; i < RS_ITCH_REJ__COUNT; i++)
			fprintf(d.out, "reject %-12s %" PRIu64 "\n", rs_itch_rej_name(i), d.dec.c.rejects[i]);
	}
	return ex;
}

RS_CLI_COMMAND(itch, cmd_itch, "itch dump FILE [--format day|pcap] [--limit N] [--stats]",
	       "decode and print ITCH 5.0 messages from a day file or capture")
