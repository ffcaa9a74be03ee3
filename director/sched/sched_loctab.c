// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The destination-address table of lblc and lblcr (sched_loctab.h).
 *
 * Buckets are numbered across both tables for the walks: 0 .. size(tab[0])
 * - 1, then tab[1]'s while a move is in progress.  A bucket of tab[0]
 * below `moved' is empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched_loctab.h"

#define LOCTAB_INIT_BITS	10	/* IP_VS_LBLC_TAB_BITS */
#define LOCTAB_MAX_BITS		26
#define LOCTAB_MOVE_STEP	2	/* buckets moved per insertion */

/*
 * Client networks are runs of nearby addresses: mix every bit (the
 * murmur3 finalizer) so that they spread over the buckets.
 */
static uint64_t loctab_hash(const struct nflvs_addr *a)
{
	uint64_t w[2], h;

	if (a->family == AF_INET6) {
		memcpy(w, a->b, sizeof(w));
		h = w[0] ^ (w[1] * 0x9e3779b97f4a7c15ull);
	} else {
		h = a->v4.s_addr;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static unsigned int loctab_size(const struct loc_table *t, int k)
{
	return t->tab[k] ? 1u << t->bits[k] : 0;
}

/* Bucket @i in the numbering across both tables. */
static struct loc_entry **loctab_bucket(struct loc_table *t, unsigned int i)
{
	unsigned int n0 = loctab_size(t, 0);

	return i < n0 ? &t->tab[0][i] : &t->tab[1][i - n0];
}

static unsigned int loctab_nbuckets(const struct loc_table *t)
{
	return loctab_size(t, 0) + loctab_size(t, 1);
}

int loctab_init(struct loc_table *t, void (*free_entry)(struct loc_entry *))
{
	memset(t, 0, sizeof(*t));
	t->bits[0] = LOCTAB_INIT_BITS;
	t->tab[0] = calloc(1u << t->bits[0], sizeof(*t->tab[0]));
	if (!t->tab[0])
		return -ENOMEM;
	t->counter = 1;
	t->expiration = LOCTAB_EXPIRATION_NS;
	t->free_entry = free_entry;
	return 0;
}

void loctab_destroy(struct loc_table *t)
{
	unsigned int i, n = loctab_nbuckets(t);
	struct loc_entry *e, *next;

	for (i = 0; i < n; i++)
		for (e = *loctab_bucket(t, i); e; e = next) {
			next = e->next;
			t->free_entry(e);
		}
	free(t->tab[0]);
	free(t->tab[1]);
	t->tab[0] = t->tab[1] = NULL;
	t->entries = 0;
}

struct loc_entry *loctab_get(const struct loc_table *t,
			     const struct nflvs_addr *addr)
{
	uint64_t h = loctab_hash(addr);
	struct loc_entry *e;
	int k;

	for (k = 0; k < 2 && t->tab[k]; k++)
		for (e = t->tab[k][h & ((1u << t->bits[k]) - 1)]; e;
		     e = e->next)
			if (addr_eq(&e->addr, addr))
				return e;
	return NULL;
}

static void loctab_link(struct loc_table *t, int k, struct loc_entry *e)
{
	struct loc_entry **b = &t->tab[k][loctab_hash(&e->addr) &
					  ((1u << t->bits[k]) - 1)];

	e->next = *b;
	*b = e;
}

/* Move @n more buckets of tab[0] to tab[1]; swap them when done. */
static void loctab_move(struct loc_table *t, unsigned int n)
{
	unsigned int n0 = loctab_size(t, 0);
	struct loc_entry *e, *next;

	for (; n && t->moved < n0; n--, t->moved++) {
		for (e = t->tab[0][t->moved]; e; e = next) {
			next = e->next;
			loctab_link(t, 1, e);
		}
		t->tab[0][t->moved] = NULL;
	}
	if (t->moved < n0)
		return;
	free(t->tab[0]);
	t->tab[0] = t->tab[1];
	t->bits[0] = t->bits[1];
	t->tab[1] = NULL;
	t->moved = 0;
	t->rover = 0;
}

void loctab_add(struct loc_table *t, struct loc_entry *e)
{
	unsigned int bits = t->bits[0] + 1;

	if (t->tab[1]) {
		loctab_link(t, 1, e);
		loctab_move(t, LOCTAB_MOVE_STEP);
	} else {
		loctab_link(t, 0, e);
	}
	t->entries++;
	if (t->tab[1] || t->entries <= 1u << t->bits[0] ||
	    bits > LOCTAB_MAX_BITS)
		return;
	/* on failure the chains just grow longer */
	t->tab[1] = calloc(1u << bits, sizeof(*t->tab[1]));
	if (t->tab[1]) {
		t->bits[1] = bits;
		t->moved = 0;
	}
}

void loctab_walk(struct loc_table *t, void (*fn)(struct loc_entry *, void *),
		 void *arg)
{
	unsigned int i, n = loctab_nbuckets(t);
	struct loc_entry *e, *next;

	for (i = 0; i < n; i++)
		for (e = *loctab_bucket(t, i); e; e = next) {
			next = e->next;
			fn(e, arg);
		}
}

/* Free the entries of bucket @i idle for @idle or longer; how many. */
static unsigned int loctab_sweep(struct loc_table *t, unsigned int i,
				 uint64_t now, uint64_t idle)
{
	struct loc_entry **pp = loctab_bucket(t, i), *e;
	unsigned int n = 0;

	while ((e = *pp)) {
		if (now < e->lastuse + idle) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		t->entries--;
		t->free_entry(e);
		n++;
	}
	return n;
}

/* ip_vs_lblc_full_check() */
static void loctab_full_check(struct loc_table *t, uint64_t now)
{
	unsigned int i, n = loctab_nbuckets(t);

	for (i = 0; i < n; i++)
		loctab_sweep(t, i, now, t->expiration);
}

/* ip_vs_lblc_check_expire(), one run of the kernel's 60 s timer */
static void loctab_check_expire(struct loc_table *t, uint64_t now)
{
	unsigned int i, j, n = loctab_nbuckets(t);
	int goal;

	if (t->counter % LOCTAB_FULL_CHECK_EVERY == 0) {
		loctab_full_check(t, now);
		t->counter = 1;
		return;
	}
	if (t->entries <= LOCTAB_MAX_SIZE) {
		t->counter++;
		return;
	}
	goal = (t->entries - LOCTAB_MAX_SIZE) * 4 / 3;
	if (goal > LOCTAB_MAX_SIZE / 2)
		goal = LOCTAB_MAX_SIZE / 2;
	for (i = 0, j = t->rover % n; i < n; i++) {
		j = (j + 1) % n;
		goal -= loctab_sweep(t, j, now, LOCTAB_ENTRY_TIMEOUT_NS);
		if (goal <= 0)
			break;
	}
	t->rover = j;
}

void loctab_gc(struct loc_table *t, uint64_t now)
{
	if (!t->started) {
		t->started = true;
		t->next_check = now + LOCTAB_CHECK_INTERVAL_NS;
		return;
	}
	if (now < t->next_check)
		return;
	t->next_check = now + LOCTAB_CHECK_INTERVAL_NS;
	loctab_check_expire(t, now);
}
