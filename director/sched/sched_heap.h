/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHED_HEAP_H
#define NFLVS_SCHED_HEAP_H

/*
 * The ordered set behind the "best of all destinations" schedulers (lc,
 * wlc, sed, nq, fo, ovf): an indexed heap, so that a decision reads
 * the top instead of walking the list as IPVS does.
 *
 * Each scheduler gives a key function: whether a destination is in the set
 * and its cost as a ratio num/den (den > 0).  The top is the member with
 * the smallest ratio; among equal ratios the one with the largest add_seq,
 * which is the first in IPVS list order, the one the kernel's strict
 * comparisons keep.  Ratios compare by 64-bit cross-multiplication, as the
 * kernel compares them, so no precision is lost.
 *
 * The set is kept in step by the sched_ops callbacks below, which a
 * scheduler plugs in as they are; dest->sched_pos is the index of the
 * destination's entry, -1 when it is not a member.
 *
 * A scheduler can also keep heaps of its own (lblc and lblcr do, through
 * sched_wlcq.h, and lblcr one per destination set): entries are then named
 * by a small integer id, their index is kept in pos[id] (-1 when out of the
 * heap), and the owner moves them with sched_heap_set() instead of a key
 * function.
 */

#include <stdbool.h>
#include <stdint.h>

#include "scheduler.h"

/* Is @d a member, and if so its cost *num / *den. */
typedef bool (*sched_heap_key_fn)(const struct dest *d, uint32_t *num,
				  uint32_t *den);

struct sched_heap_ent {
	uint64_t seq;		/* larger goes first on ties: dest->add_seq */
	uint32_t num, den;
	union {
		struct dest *d;		/* index in d->sched_pos */
		struct {
			uint32_t id;	/* index in pos[id] */
			uint32_t val;	/* the owner's, e.g. a slot number */
		};
	};
};

struct sched_heap {
	sched_heap_key_fn key;
	struct sched_heap_ent *e;
	unsigned int n, cap;
	int *pos;		/* by id; NULL: by d->sched_pos */
};

/*
 * Attach a heap ordered by @key to @svc and fill it from svc->dests.
 * Allocates before it touches any destination, so on failure (-1) the
 * service and its current scheduler are left as they were.
 */
int sched_heap_attach(struct service *svc, sched_heap_key_fn key);
void sched_heap_done(struct service *svc);
void sched_heap_add(struct service *svc, struct dest *d);
/* upd_dest and conn_changed: recompute @d's membership and key. */
void sched_heap_sync(struct service *svc, struct dest *d);
void sched_heap_del(struct service *svc, struct dest *d, int pos);
/* The top, or NULL if no destination is a member. */
struct dest *sched_heap_schedule(struct service *svc,
				 const struct pkt_info *pi, uint64_t now_ns);

/*
 * A scheduler that is the heap's order by @key (lc, wlc, sed, nq, fo,
 * ovf): const struct sched_ops sched_@name.  @counts says whether @key
 * reads the connection counts, so that a count change moves the server.
 */
#define SCHED_HEAP_OPS(name, key, counts)				\
	static int name##_init(struct service *svc)			\
	{								\
		return sched_heap_attach(svc, key);			\
	}								\
	const struct sched_ops sched_##name = {				\
		.init_service = name##_init,				\
		.done_service = sched_heap_done,			\
		.add_dest = sched_heap_add,				\
		.del_dest = sched_heap_del,				\
		.upd_dest = sched_heap_sync,				\
		.conn_changed = (counts) ? sched_heap_sync : NULL,	\
		.schedule = sched_heap_schedule,			\
	}

/*
 * Heaps by id.  Room for @n entries; 0, or -1 without memory (the heap is
 * left as it was).
 */
int sched_heap_reserve(struct sched_heap *h, unsigned int n);
/*
 * Entry @x->id to its key: inserted, moved, or removed when x->den is 0.
 * Inserting needs room: sched_heap_reserve() first.
 */
void sched_heap_set(struct sched_heap *h, const struct sched_heap_ent *x);
/* Entry @i to key @num / @den (den > 0). */
void sched_heap_rekey(struct sched_heap *h, unsigned int i, uint32_t num,
		      uint32_t den);
void sched_heap_remove(struct sched_heap *h, unsigned int i);

#endif
