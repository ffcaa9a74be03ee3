/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHED_LOCTAB_H
#define NFLVS_SCHED_LOCTAB_H

/*
 * The destination-address table of lblc and lblcr, with the kernel's
 * expiry rules (ip_vs_lblc{,r}_check_expire), driven by the scheduler's
 * gc callback instead of a kernel timer:
 *
 *  - a check runs every 60 s of the time passed to loctab_gc(), the first
 *    60 s after the first call;
 *  - every 30th check (half an hour) is a full one: entries idle for the
 *    expiration (24 h unless changed) or longer are freed;
 *  - any other check does nothing while the table holds at most 16 x 1024
 *    entries; above that it frees entries idle for 6 min or longer, going
 *    round the buckets from where the last check stopped, until it freed
 *    4/3 of the excess (at most 8 x 1024).
 *
 * The kernel's table has a fixed 1,024 buckets; this one doubles when the
 * entries outnumber the buckets, so a lookup stays O(1) however many
 * addresses are in use.  Like Redis's dict it moves to the larger table a
 * few buckets per insertion, so that no decision pays for a whole rehash.
 * Entries embed struct loc_entry first and are freed with the free_entry
 * callback.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define LOCTAB_CHECK_INTERVAL_NS	(60ull * 1000000000ull)
#define LOCTAB_ENTRY_TIMEOUT_NS		(6ull * 60 * 1000000000ull)
#define LOCTAB_EXPIRATION_NS		(24ull * 3600 * 1000000000ull)
#define LOCTAB_FULL_CHECK_EVERY		30
#define LOCTAB_MAX_SIZE			(16 * 1024)

struct loc_entry {
	struct loc_entry *next;
	uint64_t lastuse;		/* now_ns of the last decision */
	struct nflvs_addr addr;
};

struct loc_table {
	struct loc_entry **tab[2];	/* tab[1]: the larger, while moving */
	unsigned int bits[2];
	unsigned int moved;		/* buckets of tab[0] already moved */
	unsigned int entries;
	unsigned int rover;		/* where the last check stopped */
	unsigned int counter;		/* checks since the last full */
	bool started;
	uint64_t next_check;
	uint64_t expiration;		/* lblc{,r}_expiration */
	void (*free_entry)(struct loc_entry *e);
};

int loctab_init(struct loc_table *t, void (*free_entry)(struct loc_entry *));
void loctab_destroy(struct loc_table *t);
struct loc_entry *loctab_get(const struct loc_table *t,
			     const struct nflvs_addr *addr);
/* @e->addr set, not in the table yet. */
void loctab_add(struct loc_table *t, struct loc_entry *e);
void loctab_walk(struct loc_table *t, void (*fn)(struct loc_entry *, void *),
		 void *arg);
void loctab_gc(struct loc_table *t, uint64_t now);

#endif
