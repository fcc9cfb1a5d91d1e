/*
 * rs_bars.c - text forms of struct rs_bar (COLD). See rs_bars.h.
 */
#include "rs_bars.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rs_bar_csv_header(void)
{
	return "symbol,instrument_id,interval_ns,ts_open,ts_close,flags,open,high,low,close,vwap,"
	       "volume,buy_volume,sell_volume,unknown_volume,delta,trades,nbars,sma,ema,rsi,rvol,"
	       "vwap_dev,ts_emitted\n";
}

static void px(char *o, size_t n, int64_t v, int json)
{
	if (v == RS_UNDEF_PRICE)
		snprintf(o, n, "%s", json ? "null" : "");
	else
		snprintf(o, n, "%" PRId64, v);
}

int rs_bar_format(const struct rs_bar *b, const char *symbol, int fmt, char *buf, size_t len)
{
	char o[24], h[24], l[24], c[24], w[24];
	int json = fmt == RS_BAR_FMT_JSON;
	px(o, sizeof(o), b->open, json);
	px(h, sizeof(h), b->high, json);
	px(l, sizeof(l), b->low, json);
	px(c, sizeof(c), b->close, json);
	px(w, sizeof(w), b->vwap, json);
	if (!symbol)
		symbol = "";
	int r;
	if (json)
		r = snprintf(buf, len,
			     "{\"symbol\":\"%s\",\"instrument_id\":%" PRIu32 ",\"interval_ns\":%" PRIu64
			     ",\"ts_open\":%" PRIu64 ",\"ts_close\":%" PRIu64 ",\"flags\":%" PRIu32
			     ",\"open\":%s,\"high\":%s,\"low\":%s,\"close\":%s,\"vwap\":%s,\"volume\":%" PRIu64
			     ",\"buy_volume\":%" PRIu64 ",\"sell_volume\":%" PRIu64 ",\"unknown_volume\":%" PRIu64
			     ",\"delta\":%" PRId64 ",\"trades\":%" PRIu32 ",\"nbars\":%" PRIu32
			     ",\"sma\":%.17g,\"ema\":%.17g,\"rsi\":%.17g,\"rvol\":%.17g,\"vwap_dev\":%.17g"
			     ",\"ts_emitted\":%" PRIu64 "}\n",
			     symbol, b->instrument_id, b->interval_ns, b->ts_open, b->ts_close, b->flags, o, h,
			     l, c, w, b->volume, b->buy_volume, b->sell_volume, b->unknown_volume, b->delta,
			     b->trades, b->nbars, b->sma, b->ema, b->rsi, b->rvol, b->vwap_dev, b->ts_emitted);
	else
		r = snprintf(buf, len,
			     "%s,%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu32
			     ",%s,%s,%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64
			     ",%" PRIu32 ",%" PRIu32 ",%.17g,%.17g,%.17g,%.17g,%.17g,%" PRIu64 "\n",
			     symbol, b->instrument_id, b->interval_ns, b->ts_open, b->ts_close, b->flags, o, h,
			     l, c, w, b->volume, b->buy_volume, b->sell_volume, b->unknown_volume, b->delta,
			     b->trades, b->nbars, b->sma, b->ema, b->rsi, b->rvol, b->vwap_dev, b->ts_emitted);
	return r < 0 || (size_t)r >= len ? -1 : r;
}

unsigned long long rs_bar_parse_interval(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || v == 0)
		return 0;
	unsigned long long m;
	if (!strcmp(end, "ns"))
		m = 1;
	else if (!strcmp(end, "us"))
		m = 1000ull;
	else if (!strcmp(end, "ms"))
		m = 1000000ull;
	else if (!strcmp(end, "s") || !*end)
		m = 1000000000ull;
	else if (!strcmp(end, "m"))
		m = 60000000000ull;
	else if (!strcmp(end, "h"))
		m = 3600000000000ull;
	else
		return 0;
	if (v > UINT64_MAX / m)
		return 0;
	return v * m;
}

const char *rs_bar_interval_name(unsigned long long ns, char *buf, size_t len)
{
	static const struct { unsigned long long m; const char *u; } u[] = {
		{3600000000000ull, "h"}, {60000000000ull, "m"}, {1000000000ull, "s"},
		{1000000ull, "ms"},      {1000ull, "us"},       {1ull, "ns"}};
	for (unsigned i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (ns && ns % u[i].m == 0) {
			snprintf(buf, len, "%llu%s", ns / u[i].m, u[i].u);
			return buf;
		}
	snprintf(buf, len, "0");
	return buf;
}
