/*
 * rs_instdir.c - instrument directory (see rs_instdir.h).
 */
#include "rs_instdir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shm/rs_err.h"
#include "shm/rs_itable.h"
#include "shm/rs_seqtab.h"

int rs_instdir_init(struct rs_instdir *d, uint32_t capacity, uint16_t publisher_id)
{
	memset(d, 0, sizeof(*d));
	if (capacity == 0)
		capacity = RS_INSTDIR_MAX_ITCH;
	d->inst = calloc(capacity, sizeof(*d->inst));
	d->present = calloc(capacity, 1);
	d->op_halted = calloc(capacity, 1);
	d->used = calloc(capacity, sizeof(*d->used));
	if (!d->inst || !d->present || !d->op_halted || !d->used) {
		rs_instdir_fini(d);
		return RS_ERR_SET(-ENOMEM, "instrument directory: %u entries: out of memory", capacity);
	}
	d->capacity = capacity;
	d->publisher_id = publisher_id;
	return 0;
}

void rs_instdir_fini(struct rs_instdir *d)
{
	free(d->inst);
	free(d->present);
	free(d->op_halted);
	free(d->used);
	memset(d, 0, sizeof(*d));
}

void rs_instdir_bind(struct rs_instdir *d, struct rs_itch_dec *dec)
{
	d->dec = dec;
	dec->h.ctx = d;
	dec->h.stock_directory = rs_instdir_on_stock_directory;
	dec->h.trading_action = rs_instdir_on_trading_action;
	dec->h.reg_sho = rs_instdir_on_reg_sho;
	dec->h.participant_position = rs_instdir_on_participant_position;
	dec->h.system_event = rs_instdir_on_system_event;
	dec->h.operational_halt = rs_instdir_on_operational_halt;
}

static void rs_instdir__publish(struct rs_instdir *d, uint32_t id)
{
	if (!d->tab)
		return;
	/* instrument-keyed table (shm/rs_itable.h): the layout every client
	 * reads through rs_client_instrument(); dense ITCH locates land on
	 * their home slot */
	int64_t slot = rs_itable_claim(d->tab, id);
	if (slot < 0) {
		d->publish_dropped++;
		return;
	}
	rs_seqtab_write(d->tab, (uint32_t)slot, rs_itable_key(id), &d->inst[id], sizeof(struct rs_instrument));
	d->published++;
}

int rs_instdir_attach_table(struct rs_instdir *d, struct rs_seqtab *t)
{
	if (t && rs_seqtab_payload_size(t) < sizeof(struct rs_instrument))
		return RS_ERR_SET(-EINVAL, "instrument table payload %u < %zu bytes",
				  rs_seqtab_payload_size(t), sizeof(struct rs_instrument));
	d->tab = t;
	for (uint32_t i = 0; t && i < d->count; i++)
		rs_instdir__publish(d, d->used[i]);
	return 0;
}

/* Entry for id, created (symbol from `stock`) if absent; NULL if out of range. */
static struct rs_instrument *rs_instdir__entry(struct rs_instdir *d, uint32_t id, const char stock[8])
{
	if (id >= d->capacity) {
		d->out_of_range++;
		return NULL;
	}
	struct rs_instrument *in = &d->inst[id];
	if (!d->present[id]) {
		d->present[id] = 1;
		d->used[d->count++] = id;
		memset(in, 0, sizeof(*in));
		in->instrument_id = id;
		in->publisher_id = d->publisher_id;
		in->display_factor = RS_PRICE_SCALE;
		in->lot_size = 100;
		in->min_lot_size = 1;
		in->instrument_class = 'K';
		in->market_category = ' ';
		in->financial_status = ' ';
		in->issue_classification = ' ';
		in->trading_state = ' ';
		in->reg_sho = ' ';
		in->luld_tier = ' ';
		in->strike_price = RS_UNDEF_PRICE;
		in->expiration = RS_UNDEF_TS;
	}
	if (stock && in->symbol[0] == 0) {
		int n = 8;
		while (n > 0 && stock[n - 1] == ' ')
			n--;
		memcpy(in->symbol, stock, (size_t)n);
	}
	return in;
}

static uint64_t rs_instdir__ts(const struct rs_instdir *d, uint64_t ts)
{
	return (d->dec ? d->dec->midnight_ns : 0) + ts;
}

static void rs_instdir__halt_flag(struct rs_instdir *d, struct rs_instrument *in)
{
	int halted = in->trading_state == 'H' || in->trading_state == 'P' || d->op_halted[in->instrument_id];
	if (halted)
		in->flags |= RS_INSTF_HALTED;
	else
		in->flags &= (uint16_t)~RS_INSTF_HALTED;
}

void rs_instdir_on_stock_directory(void *ctx, const struct rs_itch_stock_directory *m)
{
	struct rs_instdir *d = ctx;
	struct rs_instrument *in = rs_instdir__entry(d, m->h.locate, NULL);
	if (!in)
		return;
	int n = 8;
	while (n > 0 && m->stock[n - 1] == ' ')
		n--;
	memset(in->symbol, 0, sizeof(in->symbol));
	memcpy(in->symbol, m->stock, (size_t)n);
	in->lot_size = m->round_lot_size ? m->round_lot_size : 100;
	in->min_lot_size = m->round_lots_only == 'Y' ? in->lot_size : 1;
	in->market_category = m->market_category;
	in->financial_status = m->financial_status;
	in->issue_classification = m->issue_classification;
	in->luld_tier = m->luld_tier;
	if (m->authenticity == 'T')
		in->flags |= RS_INSTF_TEST;
	else
		in->flags &= (uint16_t)~RS_INSTF_TEST;
	if (m->etp_flag == 'Y')
		in->flags |= RS_INSTF_ETP;
	else
		in->flags &= (uint16_t)~RS_INSTF_ETP;
	in->ts_updated = rs_instdir__ts(d, m->h.ts);
	d->directory_msgs++;
	rs_instdir__publish(d, m->h.locate);
}

void rs_instdir_on_trading_action(void *ctx, const struct rs_itch_trading_action *m)
{
	struct rs_instdir *d = ctx;
	struct rs_instrument *in = rs_instdir__entry(d, m->h.locate, m->stock);
	if (!in)
		return;
	in->trading_state = m->trading_state;
	rs_instdir__halt_flag(d, in);
	in->ts_updated = rs_instdir__ts(d, m->h.ts);
	rs_instdir__publish(d, m->h.locate);
}

void rs_instdir_on_reg_sho(void *ctx, const struct rs_itch_reg_sho *m)
{
	struct rs_instdir *d = ctx;
	struct rs_instrument *in = rs_instdir__entry(d, m->h.locate, m->stock);
	if (!in)
		return;
	in->reg_sho = m->action;
	in->ts_updated = rs_instdir__ts(d, m->h.ts);
	rs_instdir__publish(d, m->h.locate);
}

void rs_instdir_on_operational_halt(void *ctx, const struct rs_itch_operational_halt *m)
{
	struct rs_instdir *d = ctx;
	struct rs_instrument *in = rs_instdir__entry(d, m->h.locate, m->stock);
	if (!in)
		return;
	d->op_halted[m->h.locate] = m->action == 'H';
	rs_instdir__halt_flag(d, in);
	in->ts_updated = rs_instdir__ts(d, m->h.ts);
	rs_instdir__publish(d, m->h.locate);
}

void rs_instdir_on_participant_position(void *ctx, const struct rs_itch_participant_position *m)
{
	struct rs_instdir *d = ctx;
	(void)m;
	d->participant_positions++;
}

void rs_instdir_on_system_event(void *ctx, const struct rs_itch_system_event *m)
{
	struct rs_instdir *d = ctx;
	d->last_system_event = m->event_code;
}

const struct rs_instrument *rs_instdir_get(const struct rs_instdir *d, uint32_t id)
{
	return id < d->capacity && d->present[id] ? &d->inst[id] : NULL;
}

const struct rs_instrument *rs_instdir_find(const struct rs_instdir *d, const char *symbol)
{
	size_t n = strlen(symbol);
	while (n > 0 && symbol[n - 1] == ' ')
		n--;
	if (n == 0 || n >= RS_SYMBOL_LEN)
		return NULL;
	for (uint32_t i = 0; i < d->count; i++) {
		const struct rs_instrument *in = &d->inst[d->used[i]];
		if (strncmp(in->symbol, symbol, n) == 0 && in->symbol[n] == 0)
			return in;
	}
	return NULL;
}
