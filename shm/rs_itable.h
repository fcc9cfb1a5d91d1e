/*
 * rs_itable.h - instrument-keyed seqlocked tables ("instruments", "bbo",
 * "depth"): instrument `id` lives at home slot id % nslots with linear
 * probing; the slot's key is id + 1 (0 = empty). Slots are never freed, so
 * a reader's probe sequence is stable: once a key is seen it never changes.
 *
 * Writer (one thread): slot = rs_itable_claim(t, id) once per instrument
 * (cache it), then rs_seqtab_write(t, slot, id + 1, payload, len).
 * Reader: slot = rs_itable_find(t, id), then rs_seqtab_read().
 * Dense ids (ITCH stock locate < nslots) land on their home slot: O(1).
 */
#ifndef RS_ITABLE_H
#define RS_ITABLE_H

#include <errno.h>
#include <stdint.h>

#include "rs_seqtab.h"

static inline uint64_t rs_itable_key(uint32_t id) { return (uint64_t)id + 1; }

/* Key of slot as the reader sees it (0 = empty or unreadable). */
static inline uint64_t rs__itable_slot_key(const struct rs_seqtab *t, uint32_t slot)
{
	uint64_t key = 0;
	uint8_t none;
	return rs_seqtab_try_read(t, slot, &none, 0, &key, 1u << 16) >= 0 ? key : 0;
}

/* Reader: slot of instrument id, or -ENOENT. */
static inline int64_t rs_itable_find(const struct rs_seqtab *t, uint32_t id)
{
	uint32_t n = rs_seqtab_nslots(t), slot = id % n;
	uint64_t want = rs_itable_key(id);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t k = rs__itable_slot_key(t, slot);
		if (k == want)
			return slot;
		if (k == 0)
			return -ENOENT;
		if (++slot == n)
			slot = 0;
	}
	return -ENOENT;
}

/* Writer: slot of instrument id, claiming (and keying, payload zeroed) a
 * free one on first use. -ENOSPC when the table is full. */
static inline int64_t rs_itable_claim(struct rs_seqtab *t, uint32_t id)
{
	uint32_t n = rs_seqtab_nslots(t), slot = id % n;
	uint64_t want = rs_itable_key(id);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t k = rs__itable_slot_key(t, slot);
		if (k == want)
			return slot;
		if (k == 0) {
			rs_seqtab_write_begin(t, slot);
			rs_seqtab_set_key(t, slot, want);
			rs_seqtab_write_end(t, slot);
			return slot;
		}
		if (++slot == n)
			slot = 0;
	}
	return -ENOSPC;
}

#endif
