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
 */

#include <stdbool.h>
#include <stdint.h>

#include "scheduler.h"

/* Is @d a member, and if so its cost *num / *den. */
typedef bool (*sched_heap_key_fn)(const struct dest *d, uint32_t *num,
				  uint32_t *den);

struct sched_heap_ent {
	uint64_t seq;		/* dest->add_seq: larger goes first on ties */
	uint32_t num, den;
	struct dest *d;
};

struct sched_heap {
	sched_heap_key_fn key;
	struct sched_heap_ent *e;
	unsigned int n, cap;
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

#endif
