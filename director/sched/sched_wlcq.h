/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHED_WLCQ_H
#define NFLVS_SCHED_WLCQ_H

/*
 * The servers' side of lblc and lblcr: the weighted least-connection pick
 * over the whole list and the count of "light" destinations (activeconns
 * * 2 < weight) that their overload test asks about, without scanning
 * 1,000 servers.  The order is the kernel's: overhead / weight compared by
 * cross-multiplication, ties to the destination first in list order, so
 * wlcq_min() is exactly what the kernel's scan (wlcq_scan_min()) returns.
 *
 * Every tracked destination has a slot, its number in dest->sched_pos, and
 * a copy of its key there.  A change of counts, weight or flags must reach
 * wlcq_update() (the scheduler's conn_changed and upd_dest callbacks),
 * which keeps the key and the light count; if the key went down (or the
 * destination became available) it also stores the slot in a log, and
 * that is all the work of a change.
 *
 * The heap (sched_heap.h) behind wlcq_min(), and lblcr's per-set heaps,
 * are ordered by keys that may be stale, but never above the real ones: a
 * key that went up is left as it was, and one that went down is caught up
 * from the log when the heap is next used, each heap from where it last
 * stopped (or rebuilt, if that is cheaper or the log has wrapped).  So the
 * top is the real minimum as soon as its own key is real; wlcq_top()
 * re-sifts stale tops until it is.  A change costs O(1) however many heaps
 * there are, and a heap pays only for what reaches its top and for the
 * keys that went down since it was last used.
 *
 * A lost sched_pos (another scheduler's done_service, run after our
 * init_service, may reset it) is found again by a search.  If memory runs
 * out for a slot, the queue marks itself broken and answers by scanning.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sched_heap.h"
#include "scheduler.h"

#define WLCQ_LOG_BITS	12
#define WLCQ_LOG_SIZE	(1u << WLCQ_LOG_BITS)

/* The kernel's wlc test: overhead(a) / weight(a) < overhead(b) / weight(b). */
static inline bool wlcq_lighter(const struct dest *a, const struct dest *b)
{
	return (uint64_t)dest_overhead(a) * (uint32_t)b->weight <
	       (uint64_t)dest_overhead(b) * (uint32_t)a->weight;
}

/*
 * A slot: its destination and key, overhead / weight, den 0 while not
 * available (or free); together, so that a count change reads one line.
 */
struct wlcq_rec {
	struct dest *d;		/* NULL: a free slot */
	uint32_t num, den;
};

struct wlcq {
	struct wlcq_rec *rec;	/* by slot */
	int *hpos;		/* by slot: index in heap, -1 when out */
	uint64_t *light;	/* by slot: present with act * 2 < weight */
	unsigned int nrec, cap;	/* slots used or freed, allocated */
	unsigned int nfree;	/* free slots below nrec */
	unsigned int nlight;	/* bits set in light[] */
	struct sched_heap heap;	/* available ones, least loaded on top */
	uint64_t synced;	/* log position the heap has caught up to */
	uint64_t logseq;	/* lowered keys logged so far */
	uint32_t *log;		/* the last WLCQ_LOG_SIZE lowered slots */
	bool broken;
};

/* 0, or -1 without memory for the log. */
int wlcq_init(struct wlcq *q, const struct service *svc);
void wlcq_free(struct wlcq *q);
void wlcq_add(struct wlcq *q, struct dest *d);
void wlcq_del(struct wlcq *q, struct dest *d);
void wlcq_update(struct wlcq *q, struct dest *d);
/* @d's slot, or -1 if it has none (out of memory when it was added). */
int wlcq_slot(struct wlcq *q, struct dest *d);
/*
 * The slot on top of @h, a heap by slot (entries' val) kept as above, once
 * its key is real; -1 if @h is empty.
 */
int wlcq_top(const struct wlcq *q, struct sched_heap *h);
/* The kernel's weighted least-connection destination, or NULL. */
struct dest *wlcq_min(struct wlcq *q, const struct service *svc);
/* lblc/lblcr is_overloaded(): act > weight while some server is light. */
bool wlcq_overloaded(const struct wlcq *q, const struct service *svc,
		     const struct dest *d);

/* The slot logged at position @i, one of (logseq - WLCQ_LOG_SIZE, logseq]. */
static inline uint32_t wlcq_logged(const struct wlcq *q, uint64_t i)
{
	return q->log[(i - 1) & (WLCQ_LOG_SIZE - 1)];
}

/* The kernel's linear versions, used when broken (and by the tests). */
struct dest *wlcq_scan_min(const struct service *svc);
bool wlcq_scan_overloaded(const struct service *svc, const struct dest *d);

#endif
