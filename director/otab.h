/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_OTAB_H
#define NFLVS_OTAB_H

/*
 * A compact hash table of fixed-size records stored in one array (open
 * addressing, linear probing): no pointer and no allocation per record,
 * one control byte per slot.  A record's first @klen bytes are its key,
 * compared with memcmp (callers zero the padding).  The table doubles past
 * 3/4 full and halves below 1/8 (not below its first size), so at any
 * count it holds between 3/8 and 3/4 of its slots (after growing) with
 * records.  Deletion shifts the records after it back (no tombstones).
 *
 * A pointer to a record is good until the next otab_get() that adds one,
 * or the next removal.  The hash is seeded at random per table, so that
 * the clients' choice of ports cannot pile records into one run of slots.
 * Not thread-safe: callers lock.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct otab {
	uint8_t *ctrl;		/* per slot: 0 empty, else 0x80 | hash bits */
	uint8_t *rec;		/* cap records of size bytes */
	uint32_t cap;		/* slots, a power of two */
	uint32_t count;
	uint32_t min_cap;
	uint16_t size, klen;
	uint64_t seed;
	/* the hash of a key; tests may set their own (collisions) */
	uint64_t (*hash)(const struct otab *t, const void *key);
};

/* Records of @size bytes keyed by their first @klen; @min_cap slots at
 * least (rounded up to a power of two).  0 or -ENOMEM. */
int otab_init(struct otab *t, size_t size, size_t klen, uint32_t min_cap);
void otab_fini(struct otab *t);

void *otab_find(const struct otab *t, const void *key);
/* The record of @key: the one there (*fresh false) or a new one with the
 * key copied and the rest zero (*fresh true); NULL if out of memory. */
void *otab_get(struct otab *t, const void *key, bool *fresh);
/* @rec (a pointer otab_find or otab_get gave) goes. */
void otab_del(struct otab *t, void *rec);

/* Every record @gone says goes (@gone sees it first, so it can count it);
 * @gone may see a record twice.  How many went. */
unsigned int otab_remove_if(struct otab *t, bool (*gone)(void *rec, void *ctx),
			    void *ctx);
/* Every record, in no particular order. */
void otab_foreach(const struct otab *t, void (*fn)(void *rec, void *ctx),
		  void *ctx);

/* The record in slot @i (< cap), or NULL: for walks that stop early. */
static inline void *otab_at(const struct otab *t, uint32_t i)
{
	return t->ctrl[i] ? t->rec + (size_t)i * t->size : NULL;
}

/* Bytes the table holds now (its arrays). */
size_t otab_bytes(const struct otab *t);

/* The default hash: seeded, over the key's bytes. */
uint64_t otab_hash(const struct otab *t, const void *key);

#endif
