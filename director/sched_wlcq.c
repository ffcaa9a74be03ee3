// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The weighted least-connection queue of lblc and lblcr (sched_wlcq.h): an
 * indexed binary heap, so a pick is O(1) and a count or weight change is
 * O(log n), where the kernel scans the whole list on every pick.
 */
#include <stdlib.h>
#include <string.h>

#include "sched_wlcq.h"

static bool wlcq_light(const struct dest *d)
{
	return dest_present(d) && d->weight > 0 &&
	       2ull * d->activeconns < (uint64_t)d->weight;
}

/*
 * @a goes before @b: lower overhead / weight, or the same and earlier in
 * the list (added later), which is the one the kernel's scan keeps.
 */
static bool wlcq_before(const struct dest *a, const struct dest *b)
{
	uint64_t l = (uint64_t)dest_overhead(a) * (uint32_t)b->weight;
	uint64_t r = (uint64_t)dest_overhead(b) * (uint32_t)a->weight;

	if (l != r)
		return l < r;
	return a->add_seq > b->add_seq;
}

/*
 * heap[] holds record numbers, not destinations, so that sifting never
 * reads dest->sched_pos: only the entry points (update, del) do, and they
 * check it.
 */
static bool wlcq_rec_before(const struct wlcq *q, unsigned int a,
			    unsigned int b)
{
	return wlcq_before(q->rec[a].d, q->rec[b].d);
}

static void wlcq_place(struct wlcq *q, unsigned int i, unsigned int r)
{
	q->heap[i] = r;
	q->rec[r].heap = i;
}

static void wlcq_sift_up(struct wlcq *q, unsigned int i)
{
	unsigned int r = q->heap[i];

	while (i > 0) {
		unsigned int p = (i - 1) / 2;

		if (!wlcq_rec_before(q, r, q->heap[p]))
			break;
		wlcq_place(q, i, q->heap[p]);
		i = p;
	}
	wlcq_place(q, i, r);
}

static void wlcq_sift_down(struct wlcq *q, unsigned int i)
{
	unsigned int r = q->heap[i], c;

	while ((c = 2 * i + 1) < q->nheap) {
		if (c + 1 < q->nheap &&
		    wlcq_rec_before(q, q->heap[c + 1], q->heap[c]))
			c++;
		if (!wlcq_rec_before(q, q->heap[c], r))
			break;
		wlcq_place(q, i, q->heap[c]);
		i = c;
	}
	wlcq_place(q, i, r);
}

static void wlcq_resift(struct wlcq *q, unsigned int r)
{
	wlcq_sift_up(q, q->rec[r].heap);
	wlcq_sift_down(q, q->rec[r].heap);
}

static void wlcq_heap_del(struct wlcq *q, unsigned int r)
{
	unsigned int i = q->rec[r].heap, last = q->heap[--q->nheap];

	q->rec[r].heap = -1;
	if (i == q->nheap)
		return;
	wlcq_place(q, i, last);
	wlcq_resift(q, last);
}

/*
 * Out of memory, or a record lost: from now on answer by scanning, as the
 * kernel does.
 */
static void wlcq_break(struct wlcq *q)
{
	free(q->rec);
	free(q->heap);
	q->rec = NULL;
	q->heap = NULL;
	q->nrec = q->nheap = q->cap = q->nlight = 0;
	q->broken = true;
}

/*
 * @d's record, or NULL if dest->sched_pos no longer points to it (another
 * scheduler's done_service, run after our init_service, may reset it).
 */
static struct wlcq_rec *wlcq_rec_of(const struct wlcq *q, const struct dest *d)
{
	if (d->sched_pos < 0 || (unsigned int)d->sched_pos >= q->nrec ||
	    q->rec[d->sched_pos].d != d)
		return NULL;
	return &q->rec[d->sched_pos];
}

int wlcq_init(struct wlcq *q, const struct service *svc)
{
	unsigned int i;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < svc->ndests; i++)
		wlcq_add(q, svc->dests[i]);
	return 0;
}

void wlcq_free(struct wlcq *q)
{
	free(q->rec);
	free(q->heap);
	memset(q, 0, sizeof(*q));
}

void wlcq_add(struct wlcq *q, struct dest *d)
{
	if (q->broken)
		return;
	if (q->nrec == q->cap) {
		unsigned int cap = q->cap ? q->cap * 2 : 16;
		struct wlcq_rec *rec = realloc(q->rec, cap * sizeof(*rec));
		unsigned int *heap;

		if (!rec) {
			wlcq_break(q);
			return;
		}
		q->rec = rec;
		heap = realloc(q->heap, cap * sizeof(*heap));
		if (!heap) {
			wlcq_break(q);
			return;
		}
		q->heap = heap;
		q->cap = cap;
	}
	q->rec[q->nrec].d = d;
	q->rec[q->nrec].heap = -1;
	q->rec[q->nrec].light = false;
	d->sched_pos = q->nrec++;
	wlcq_update(q, d);
}

void wlcq_del(struct wlcq *q, struct dest *d)
{
	unsigned int i = d->sched_pos;

	if (q->broken)
		return;
	if (!wlcq_rec_of(q, d)) {
		wlcq_break(q);
		return;
	}
	if (q->rec[i].heap >= 0)
		wlcq_heap_del(q, i);
	if (q->rec[i].light)
		q->nlight--;
	if (i == --q->nrec)
		return;
	/* the last record fills the hole */
	q->rec[i] = q->rec[q->nrec];
	q->rec[i].d->sched_pos = i;
	if (q->rec[i].heap >= 0)
		q->heap[q->rec[i].heap] = i;
}

void wlcq_update(struct wlcq *q, struct dest *d)
{
	struct wlcq_rec *r;
	bool light, avail;

	if (q->broken)
		return;
	r = wlcq_rec_of(q, d);
	if (!r) {
		wlcq_break(q);
		return;
	}
	light = wlcq_light(d);
	if (light != r->light) {
		r->light = light;
		if (light)
			q->nlight++;
		else
			q->nlight--;
	}
	avail = dest_available(d);
	if (avail && r->heap < 0) {
		wlcq_place(q, q->nheap++, r - q->rec);
		wlcq_sift_up(q, r->heap);
	} else if (!avail && r->heap >= 0) {
		wlcq_heap_del(q, r - q->rec);
	} else if (avail) {
		wlcq_resift(q, r - q->rec);
	}
}

struct dest *wlcq_min(const struct wlcq *q, const struct service *svc)
{
	if (q->broken)
		return wlcq_scan_min(svc);
	return q->nheap ? q->rec[q->heap[0]].d : NULL;
}

bool wlcq_overloaded(const struct wlcq *q, const struct service *svc,
		     const struct dest *d)
{
	if ((int64_t)d->activeconns <= d->weight)
		return false;
	if (q->broken)
		return wlcq_scan_overloaded(svc, d);
	return q->nlight > 0;
}

/* __ip_vs_lblc_schedule() */
struct dest *wlcq_scan_min(const struct service *svc)
{
	struct dest *least = NULL, *d;
	unsigned int i;

	for (i = 0; i < svc->ndests; i++) {
		d = svc->dests[i];
		if (!dest_present(d) || (d->flags & DEST_F_OVERLOAD))
			continue;
		if (!least) {
			if (d->weight > 0)
				least = d;
			continue;
		}
		if (wlcq_lighter(d, least))
			least = d;
	}
	return least;
}

/* is_overloaded() of ip_vs_lblc.c and ip_vs_lblcr.c */
bool wlcq_scan_overloaded(const struct service *svc, const struct dest *d)
{
	unsigned int i;

	if ((int64_t)d->activeconns <= d->weight)
		return false;
	for (i = 0; i < svc->ndests; i++)
		if (wlcq_light(svc->dests[i]))
			return true;
	return false;
}
