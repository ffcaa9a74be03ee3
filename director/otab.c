// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "otab.h"

#define CTRL_USED	0x80

static uint64_t mix(uint64_t h)
{
	h ^= h >> 31;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 29;
	return h;
}

uint64_t otab_hash(const struct otab *t, const void *key)
{
	const uint8_t *p = key;
	uint64_t h = t->seed, w;
	size_t i = 0;

	for (; i + 8 <= t->klen; i += 8) {
		memcpy(&w, p + i, 8);
		h = mix((h ^ w) * 0xbf58476d1ce4e5b9ull);
	}
	if (i < t->klen) {
		w = 0;
		memcpy(&w, p + i, t->klen - i);
		h = mix((h ^ w) * 0xbf58476d1ce4e5b9ull);
	}
	return mix(h ^ t->klen);
}

static uint8_t *slot_rec(const struct otab *t, uint32_t i)
{
	return t->rec + (size_t)i * t->size;
}

static uint8_t tag(uint64_t h)
{
	return CTRL_USED | (uint8_t)(h >> 57);
}

/*
 * Fresh arrays of @cap slots; 0 or -ENOMEM.  Both are written through now
 * (not calloc, which leaves a fresh mapping untouched): the page faults
 * come here rather than one by one under the inserts, and the process
 * holds what otab_bytes() says, no less.
 */
static int alloc_slots(struct otab *t, uint32_t cap)
{
	uint8_t *ctrl = malloc(cap);
	uint8_t *rec = malloc((size_t)cap * t->size);

	if (!ctrl || !rec) {
		free(ctrl);
		free(rec);
		return -ENOMEM;
	}
	memset(ctrl, 0, cap);
	memset(rec, 0, (size_t)cap * t->size);
	t->ctrl = ctrl;
	t->rec = rec;
	t->cap = cap;
	return 0;
}

/* The slot of @key, or the empty slot where it would go. */
static uint32_t probe(const struct otab *t, const void *key, uint64_t h)
{
	uint32_t mask = t->cap - 1, i = (uint32_t)h & mask;
	uint8_t g = tag(h);

	while (t->ctrl[i] && (t->ctrl[i] != g ||
			      memcmp(slot_rec(t, i), key, t->klen)))
		i = (i + 1) & mask;
	return i;
}

static int resize(struct otab *t, uint32_t cap)
{
	struct otab old = *t;
	uint32_t i, j;

	if (alloc_slots(t, cap) < 0) {
		*t = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++) {
		uint64_t h;

		if (!old.ctrl[i])
			continue;
		h = t->hash(t, slot_rec(&old, i));
		j = probe(t, slot_rec(&old, i), h);
		t->ctrl[j] = old.ctrl[i];
		memcpy(slot_rec(t, j), slot_rec(&old, i), t->size);
	}
	free(old.ctrl);
	free(old.rec);
	return 0;
}

int otab_init(struct otab *t, size_t size, size_t klen, uint32_t min_cap)
{
	uint32_t cap = 8;

	memset(t, 0, sizeof(*t));
	if (!size || klen > size || size > UINT16_MAX)
		return -EINVAL;
	while (cap < min_cap && cap < (1u << 31))
		cap <<= 1;
	t->size = (uint16_t)size;
	t->klen = (uint16_t)klen;
	t->min_cap = cap;
	t->hash = otab_hash;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^
			  (uintptr_t)t;
	return alloc_slots(t, cap);
}

void otab_fini(struct otab *t)
{
	free(t->ctrl);
	free(t->rec);
	memset(t, 0, sizeof(*t));
}

void *otab_find(const struct otab *t, const void *key)
{
	uint32_t i;

	if (!t->cap)
		return NULL;
	i = probe(t, key, t->hash(t, key));
	return t->ctrl[i] ? slot_rec(t, i) : NULL;
}

void *otab_get(struct otab *t, const void *key, bool *fresh)
{
	uint64_t h = t->hash(t, key);
	uint32_t i = probe(t, key, h);
	uint8_t *r;

	*fresh = false;
	if (t->ctrl[i])
		return slot_rec(t, i);
	/* past 3/4: double, or, out of memory, go on while a slot stays empty */
	if ((uint64_t)(t->count + 1) * 4 > (uint64_t)t->cap * 3 &&
	    (t->cap >= (1u << 31) || resize(t, t->cap * 2) < 0) &&
	    t->count + 2 > t->cap)
		return NULL;
	i = probe(t, key, h);
	r = slot_rec(t, i);
	t->ctrl[i] = tag(h);
	memset(r, 0, t->size);
	memcpy(r, key, t->klen);
	t->count++;
	*fresh = true;
	return r;
}

/* Slot @i goes: the records after it in its run move back where a probe
 * from their home slot still finds them. */
static void del_slot(struct otab *t, uint32_t i)
{
	uint32_t mask = t->cap - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (!t->ctrl[j])
			break;
		home = (uint32_t)t->hash(t, slot_rec(t, j)) & mask;
		/* stays if its home is cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->ctrl[i] = t->ctrl[j];
		memcpy(slot_rec(t, i), slot_rec(t, j), t->size);
		i = j;
	}
	t->ctrl[i] = 0;
	t->count--;
}

static void maybe_shrink(struct otab *t)
{
	uint32_t cap = t->cap;

	while (cap > t->min_cap && (uint64_t)t->count * 8 < cap)
		cap >>= 1;
	if (cap != t->cap)
		resize(t, cap);	/* out of memory: stays as large */
}

void otab_del(struct otab *t, void *rec)
{
	del_slot(t, (uint32_t)(((uint8_t *)rec - t->rec) / t->size));
	maybe_shrink(t);
}

unsigned int otab_remove_if(struct otab *t, bool (*gone)(void *rec, void *ctx),
			    void *ctx)
{
	unsigned int n = 0;
	uint32_t i = 0;

	/* a removal may move the next record into slot i: look again */
	while (i < t->cap) {
		if (t->ctrl[i] && gone(slot_rec(t, i), ctx)) {
			del_slot(t, i);
			n++;
		} else {
			i++;
		}
	}
	maybe_shrink(t);
	return n;
}

void otab_foreach(const struct otab *t, void (*fn)(void *rec, void *ctx),
		  void *ctx)
{
	uint32_t i;

	for (i = 0; i < t->cap; i++)
		if (t->ctrl[i])
			fn(slot_rec(t, i), ctx);
}

size_t otab_bytes(const struct otab *t)
{
	return (size_t)t->cap * (1 + t->size);
}
