// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The servers' side of lblc and lblcr (sched_wlcq.h): slots with their
 * keys, the light count, the log of lowered keys, and a sched_heap of the
 * available slots brought up to date from the log when asked.
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
 * Out of memory, or a destination in the list without a slot: from now on
 * answer by scanning, as the kernel does.  The slots stay, for lblcr's
 * sets.
 */
static void wlcq_break(struct wlcq *q)
{
	q->broken = true;
}

static void wlcq_log(struct wlcq *q, unsigned int s)
{
	q->log[q->logseq++ & (WLCQ_LOG_SIZE - 1)] = s;
}

/* Slot @s's heap entry to its real key: in, moved or out. */
static void wlcq_sync_slot(struct wlcq *q, unsigned int s)
{
	const struct wlcq_rec *r = &q->rec[s];
	struct sched_heap_ent x = {
		.num = r->num,
		.den = r->den,
		.id = s,
		.val = s,
	};

	/* the tie-break is needed only for an entry going in */
	if (x.den && q->hpos[s] < 0)
		x.seq = r->d->add_seq;
	sched_heap_set(&q->heap, &x);
}

/*
 * Catch the heap up with the keys lowered since it was last asked, or
 * rebuild it when that is no more work or the log has wrapped.
 */
static void wlcq_sync(struct wlcq *q)
{
	uint64_t lag = q->logseq - q->synced;
	unsigned int s;

	if (lag > WLCQ_LOG_SIZE || lag > q->nrec) {
		q->heap.n = 0;
		for (s = 0; s < q->nrec; s++)
			q->hpos[s] = -1;
		for (s = 0; s < q->nrec; s++)
			wlcq_sync_slot(q, s);
	} else {
		while (q->synced != q->logseq)
			wlcq_sync_slot(q, wlcq_logged(q, ++q->synced));
	}
	q->synced = q->logseq;
}

int wlcq_init(struct wlcq *q, const struct service *svc)
{
	unsigned int i;

	memset(q, 0, sizeof(*q));
	q->log = malloc(WLCQ_LOG_SIZE * sizeof(*q->log));
	if (!q->log)
		return -1;
	for (i = 0; i < svc->ndests; i++)
		wlcq_add(q, svc->dests[i]);
	return 0;
}

void wlcq_free(struct wlcq *q)
{
	free(q->rec);
	free(q->light);
	free(q->hpos);
	free(q->heap.e);
	free(q->log);
	memset(q, 0, sizeof(*q));
}

/* Room for one more slot; -1 without memory. */
static int wlcq_grow(struct wlcq *q)
{
	unsigned int cap = q->cap ? q->cap * 2 : 64;
	struct wlcq_rec *rec;
	uint64_t *light;
	int *hpos;

	if (q->nrec < q->cap)
		return 0;
	rec = realloc(q->rec, cap * sizeof(*rec));
	if (!rec)
		return -1;
	q->rec = rec;
	light = realloc(q->light, cap / 64 * sizeof(*light));
	if (!light)
		return -1;
	memset(light + q->cap / 64, 0, (cap - q->cap) / 64 * sizeof(*light));
	q->light = light;
	hpos = realloc(q->hpos, cap * sizeof(*hpos));
	if (!hpos)
		return -1;
	q->hpos = q->heap.pos = hpos;
	if (sched_heap_reserve(&q->heap, cap))
		return -1;
	q->cap = cap;
	return 0;
}

static bool wlcq_is_light(const struct wlcq *q, unsigned int s)
{
	return q->light[s / 64] >> (s % 64) & 1;
}

void wlcq_add(struct wlcq *q, struct dest *d)
{
	unsigned int s = q->nrec;

	if (q->nfree) {
		/* deletions are rare: a search beats keeping a free list */
		for (s = 0; q->rec[s].d; s++)
			;
		q->nfree--;
	} else if (wlcq_grow(q)) {
		wlcq_break(q);
		return;
	} else {
		q->nrec++;
	}
	q->rec[s].d = d;
	q->rec[s].num = q->rec[s].den = 0;
	q->hpos[s] = -1;
	d->sched_pos = s;
	wlcq_update(q, d);
}

void wlcq_del(struct wlcq *q, struct dest *d)
{
	int s = wlcq_slot(q, d);

	if (s < 0)
		return;
	if (q->hpos[s] >= 0)
		sched_heap_remove(&q->heap, q->hpos[s]);
	if (wlcq_is_light(q, s)) {
		q->light[s / 64] &= ~(1ull << (s % 64));
		q->nlight--;
	}
	q->rec[s].d = NULL;
	q->rec[s].num = q->rec[s].den = 0;
	q->nfree++;
}

int wlcq_slot(struct wlcq *q, struct dest *d)
{
	int s = d->sched_pos;

	if (s >= 0 && (unsigned int)s < q->nrec && q->rec[s].d == d)
		return s;
	for (s = 0; (unsigned int)s < q->nrec; s++)
		if (q->rec[s].d == d) {
			d->sched_pos = s;
			return s;
		}
	return -1;
}

void wlcq_update(struct wlcq *q, struct dest *d)
{
	int s = wlcq_slot(q, d);
	struct wlcq_rec *r;
	uint32_t num, den;
	bool light;

	if (s < 0) {
		wlcq_break(q);
		return;
	}
	light = wlcq_light(d);
	if (light != wlcq_is_light(q, s)) {
		q->light[s / 64] ^= 1ull << (s % 64);
		if (light)
			q->nlight++;
		else
			q->nlight--;
	}
	r = &q->rec[s];
	num = dest_overhead(d);
	den = dest_available(d) ? (uint32_t)d->weight : 0;
	/* a key that went up waits until it reaches a top: wlcq_top() */
	if (den && (!r->den ||
		    (uint64_t)num * r->den < (uint64_t)r->num * den))
		wlcq_log(q, s);
	r->num = num;
	r->den = den;
}

int wlcq_top(const struct wlcq *q, struct sched_heap *h)
{
	const struct wlcq_rec *r;

	while (h->n) {
		r = &q->rec[h->e[0].val];
		if (h->e[0].num == r->num && h->e[0].den == r->den)
			return h->e[0].val;
		if (r->den)
			sched_heap_rekey(h, 0, r->num, r->den);
		else
			sched_heap_remove(h, 0);
	}
	return -1;
}

struct dest *wlcq_min(struct wlcq *q, const struct service *svc)
{
	int s;

	if (q->broken)
		return wlcq_scan_min(svc);
	wlcq_sync(q);
	s = wlcq_top(q, &q->heap);
	return s < 0 ? NULL : q->rec[s].d;
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
