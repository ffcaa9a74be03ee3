/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHED_WLCQ_H
#define NFLVS_SCHED_WLCQ_H

/*
 * The weighted least-connection pick of lblc and lblcr kept in order, so
 * that a decision does not scan 1,000 servers: an indexed binary heap of
 * the available destinations, least loaded on top, plus the count of
 * "light" destinations (activeconns * 2 < weight) that their overload test
 * asks about.  The order is the kernel's: overhead / weight compared by
 * cross-multiplication, ties to the destination first in list order, so
 * wlcq_min() is exactly what the kernel's scan (wlcq_scan_min()) returns.
 *
 * It stays right only if every change of a destination's counts, weight
 * or flags reaches it through wlcq_update() (the scheduler's conn_changed
 * and upd_dest callbacks).  Records are indexed by dest->sched_pos.  If
 * memory runs out, or a sched_pos was changed behind its back, the queue
 * marks itself broken and answers by scanning.
 */

#include <stdbool.h>
#include <stdint.h>

#include "service.h"

/* The kernel's wlc test: overhead(a) / weight(a) < overhead(b) / weight(b). */
static inline bool wlcq_lighter(const struct dest *a, const struct dest *b)
{
	return (uint64_t)dest_overhead(a) * (uint32_t)b->weight <
	       (uint64_t)dest_overhead(b) * (uint32_t)a->weight;
}

struct wlcq_rec {
	struct dest *d;
	int heap;		/* index in heap[], -1 = not available */
	bool light;
};

struct wlcq {
	struct wlcq_rec *rec;	/* every destination, by dest->sched_pos */
	unsigned int *heap;	/* available ones' records, least on top */
	unsigned int nrec, nheap, cap;
	unsigned int nlight;	/* present destinations with act * 2 < w */
	bool broken;
};

int wlcq_init(struct wlcq *q, const struct service *svc);
void wlcq_free(struct wlcq *q);
void wlcq_add(struct wlcq *q, struct dest *d);
void wlcq_del(struct wlcq *q, struct dest *d);
void wlcq_update(struct wlcq *q, struct dest *d);
/* The kernel's weighted least-connection destination, or NULL. */
struct dest *wlcq_min(const struct wlcq *q, const struct service *svc);
/* lblc/lblcr is_overloaded(): act > weight while some server is light. */
bool wlcq_overloaded(const struct wlcq *q, const struct service *svc,
		     const struct dest *d);

/* The kernel's linear versions, used when broken (and by the tests). */
struct dest *wlcq_scan_min(const struct service *svc);
bool wlcq_scan_overloaded(const struct service *svc, const struct dest *d);

#endif
