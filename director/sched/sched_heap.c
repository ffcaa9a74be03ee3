// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Indexed 4-ary heap of destinations, shared by lc, wlc, sed, nq, fo and
 * ovf, and by lblc and lblcr through sched_wlcq.h.  A decision is O(1); a
 * count or weight change is one O(log n) sift.  Entries carry a copy of
 * their key so that sifting compares within the array and touches a
 * destination, if at all, only to store its index.
 */
#include <stdlib.h>

#include "sched_heap.h"

/*
 * Four children per node: half the depth of a binary heap for a few more
 * comparisons, which are cheap and branch-free; a step down the heap is
 * what costs, in mispredicted branches and cache lines.
 */
#define HEAP_D	4	/* heap_child() plays a full node as 2 + 1 */

/*
 * Cost first, then the larger seq: one 128-bit comparison, which compiles
 * to a subtract-with-borrow instead of branches the predictor would miss.
 */
static inline unsigned int ent_before(const struct sched_heap_ent *a,
				      const struct sched_heap_ent *b)
{
	unsigned __int128 ka = (unsigned __int128)((uint64_t)a->num * b->den);
	unsigned __int128 kb = (unsigned __int128)((uint64_t)b->num * a->den);

	return ((ka << 64) | ~a->seq) < ((kb << 64) | ~b->seq);
}

static inline void heap_put(struct sched_heap *h, unsigned int i,
			    const struct sched_heap_ent *x)
{
	h->e[i] = *x;
	if (h->pos)
		h->pos[x->id] = i;
	else
		x->d->sched_pos = i;
}

/*
 * The sifts place @x, which goes at @i, rather than read it from e[i]: a
 * caller that has just changed a key in e[i] would otherwise stall on
 * reading a whole entry over its narrower stores.
 */
static void heap_up(struct sched_heap *h, unsigned int i,
		    const struct sched_heap_ent *x)
{
	while (i > 0) {
		unsigned int p = (i - 1) / HEAP_D;

		if (!ent_before(x, &h->e[p]))
			break;
		heap_put(h, i, &h->e[p]);
		i = p;
	}
	heap_put(h, i, x);
}

static inline unsigned int ent_min(const struct sched_heap *h,
				   unsigned int a, unsigned int b)
{
	return a ^ ((a ^ b) & -ent_before(&h->e[b], &h->e[a]));
}

/*
 * Which of @i's children goes first, by masked selects, again free of
 * branches; a full node as a two-round tournament, for a shorter chain.
 */
static inline unsigned int heap_child(const struct sched_heap *h,
				      unsigned int i)
{
	unsigned int c = HEAP_D * i + 1, k, m;

	if (c + HEAP_D <= h->n)
		return ent_min(h, ent_min(h, c, c + 1), ent_min(h, c + 2, c + 3));
	for (m = c, k = c + 1; k < h->n; k++)
		m = ent_min(h, m, k);
	return m;
}

static void heap_down(struct sched_heap *h, unsigned int i,
		      const struct sched_heap_ent *x)
{
	unsigned int c;

	while (HEAP_D * i + 1 < h->n) {
		c = heap_child(h, i);
		if (!ent_before(&h->e[c], x))
			break;
		heap_put(h, i, &h->e[c]);
		i = c;
	}
	heap_put(h, i, x);
}

/* Place @x, which replaces whatever is at @i. */
static void heap_fix(struct sched_heap *h, unsigned int i,
		     const struct sched_heap_ent *x)
{
	if (i > 0 && ent_before(x, &h->e[(i - 1) / HEAP_D]))
		heap_up(h, i, x);
	else
		heap_down(h, i, x);
}

/*
 * Place @x, the entry at @i with a new key: one way only, since a key
 * that went down is still before its children, and one that went up
 * still after its parent.
 */
static void heap_move(struct sched_heap *h, unsigned int i,
		      const struct sched_heap_ent *x)
{
	if (ent_before(x, &h->e[i]))
		heap_up(h, i, x);
	else
		heap_down(h, i, x);
}

void sched_heap_remove(struct sched_heap *h, unsigned int i)
{
	if (h->pos)
		h->pos[h->e[i].id] = -1;
	else
		h->e[i].d->sched_pos = -1;
	if (i != --h->n) {
		struct sched_heap_ent last = h->e[h->n];

		heap_fix(h, i, &last);
	}
}

int sched_heap_reserve(struct sched_heap *h, unsigned int want)
{
	struct sched_heap_ent *e;
	unsigned int cap = h->cap;

	if (want <= cap)
		return 0;
	while (cap < want)
		cap = cap ? cap * 2 : 8;
	e = realloc(h->e, cap * sizeof(*e));
	if (!e)
		return -1;
	h->e = e;
	h->cap = cap;
	return 0;
}

void sched_heap_sync(struct service *svc, struct dest *d)
{
	struct sched_heap *h = svc->sched_data;
	struct sched_heap_ent x = { .seq = d->add_seq, .d = d };
	bool member = h->key(d, &x.num, &x.den);
	int i = d->sched_pos;

	if (i >= 0) {
		if (!member) {
			sched_heap_remove(h, i);
		} else if (h->e[i].num != x.num || h->e[i].den != x.den) {
			heap_move(h, i, &x);
		}
		return;
	}
	/*
	 * Out of memory: @d stays out of the set, as if unavailable, until
	 * its next change brings it here again.
	 */
	if (!member || sched_heap_reserve(h, h->n + 1))
		return;
	heap_up(h, h->n++, &x);
}

void sched_heap_set(struct sched_heap *h, const struct sched_heap_ent *x)
{
	int i = h->pos[x->id];

	if (i < 0) {
		if (x->den && h->n < h->cap)
			heap_up(h, h->n++, x);
	} else if (!x->den) {
		sched_heap_remove(h, i);
	} else {
		sched_heap_rekey(h, i, x->num, x->den);
	}
}

void sched_heap_rekey(struct sched_heap *h, unsigned int i, uint32_t num,
		      uint32_t den)
{
	struct sched_heap_ent x = h->e[i];

	if (x.num == num && x.den == den)
		return;
	x.num = num;
	x.den = den;
	heap_move(h, i, &x);
}

void sched_heap_add(struct service *svc, struct dest *d)
{
	/* whatever its last owner left there */
	d->sched_pos = -1;
	sched_heap_sync(svc, d);
}

void sched_heap_del(struct service *svc, struct dest *d, int pos)
{
	struct sched_heap *h = svc->sched_data;

	(void)pos;
	if (d->sched_pos >= 0)
		sched_heap_remove(h, d->sched_pos);
}

struct dest *sched_heap_schedule(struct service *svc,
				 const struct pkt_info *pi, uint64_t now_ns)
{
	const struct sched_heap *h = svc->sched_data;

	(void)pi;
	(void)now_ns;
	return h->n ? h->e[0].d : NULL;
}

int sched_heap_attach(struct service *svc, sched_heap_key_fn key)
{
	struct sched_heap *h = calloc(1, sizeof(*h));
	unsigned int i;

	if (!h || sched_heap_reserve(h, svc->ndests)) {
		free(h);
		return -1;
	}
	h->key = key;
	svc->sched_data = h;
	for (i = 0; i < svc->ndests; i++)
		svc->dests[i]->sched_pos = -1;
	for (i = 0; i < svc->ndests; i++)
		sched_heap_sync(svc, svc->dests[i]);
	return 0;
}

void sched_heap_done(struct service *svc)
{
	struct sched_heap *h = svc->sched_data;

	if (h)
		free(h->e);
	free(h);
	svc->sched_data = NULL;
}
