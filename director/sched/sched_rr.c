// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Round robin (IPVS ip_vs_rr.c): the next available destination after the
 * last one used, in list order, wrapping once.  Like the kernel's list
 * pointer, the position follows its destination when others are inserted
 * at the head, and moves to the predecessor when that destination is
 * deleted.
 *
 * The kernel walks the list to the next available destination, which is
 * the whole list when most are down.  A bitmap of the available positions,
 * with a summary bit per word, finds it in a few word operations instead.
 * Add and delete move positions, so they rebuild it (O(n)); upd_dest sets
 * or clears one bit.  A candidate is still checked against the
 * destination itself, so a change made without upd_dest can only hide a
 * destination that became available, never pick an unavailable one.
 */
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

struct rr_data {
	int last;		/* index of the last used, -1 = list head */
	unsigned int n;		/* positions in the bitmap */
	unsigned int cap;	/* words allocated */
	uint64_t *bits;		/* bit i: dests[i] available, as last told */
	uint64_t *summary;	/* bit w: bits[w] != 0 */
	bool stale;		/* a rebuild ran out of memory */
};

static void rr_set(struct rr_data *r, unsigned int i, bool on)
{
	uint64_t b = 1ULL << (i & 63);
	unsigned int w = i >> 6;

	if (on)
		r->bits[w] |= b;
	else
		r->bits[w] &= ~b;
	b = 1ULL << (w & 63);
	if (r->bits[w])
		r->summary[w >> 6] |= b;
	else
		r->summary[w >> 6] &= ~b;
}

/* The first set position >= @from, or -1. */
static int rr_next(const struct rr_data *r, unsigned int from)
{
	unsigned int w = from >> 6, s, nwords = (r->n + 63) >> 6;
	uint64_t b;

	if (from >= r->n)
		return -1;
	b = r->bits[w] & (~0ULL << (from & 63));
	if (b)
		return (w << 6) + __builtin_ctzll(b);
	if (++w >= nwords)
		return -1;
	s = w >> 6;
	b = r->summary[s] & (~0ULL << (w & 63));
	while (!b) {
		if (++s > (nwords - 1) >> 6)
			return -1;
		b = r->summary[s];
	}
	w = (s << 6) + __builtin_ctzll(b);
	return (w << 6) + __builtin_ctzll(r->bits[w]);
}

static int rr_reserve(struct rr_data *r, unsigned int words)
{
	unsigned int cap = r->cap ? r->cap : 1;
	uint64_t *bits, *summary;

	if (r->bits && words <= r->cap)
		return 0;
	while (cap < words)
		cap *= 2;
	bits = calloc(cap, sizeof(*bits));
	summary = calloc((cap + 63) >> 6, sizeof(*summary));
	if (!bits || !summary) {
		free(bits);
		free(summary);
		return -1;
	}
	free(r->bits);
	free(r->summary);
	r->bits = bits;
	r->summary = summary;
	r->cap = cap;
	return 0;
}

static void rr_rebuild(struct service *svc)
{
	struct rr_data *r = svc->sched_data;
	unsigned int i, words = (svc->ndests + 63) >> 6;

	r->n = 0;
	r->stale = rr_reserve(r, words ? words : 1) < 0;
	if (r->stale)
		return;
	memset(r->bits, 0, r->cap * sizeof(*r->bits));
	memset(r->summary, 0, ((r->cap + 63) >> 6) * sizeof(*r->summary));
	r->n = svc->ndests;
	for (i = 0; i < r->n; i++) {
		svc->dests[i]->sched_pos = i;
		if (dest_available(svc->dests[i]))
			rr_set(r, i, true);
	}
}

static int rr_init(struct service *svc)
{
	struct rr_data *r = calloc(1, sizeof(*r));

	if (!r || rr_reserve(r, (svc->ndests + 63) / 64 + 1)) {
		free(r);
		return -1;
	}
	r->last = -1;
	svc->sched_data = r;
	rr_rebuild(svc);
	return 0;
}

static void rr_done(struct service *svc)
{
	struct rr_data *r = svc->sched_data;

	free(r->bits);
	free(r->summary);
	free(r);
	svc->sched_data = NULL;
}

static void rr_add_dest(struct service *svc, struct dest *d)
{
	struct rr_data *r = svc->sched_data;

	(void)d;
	if (r->last >= 0)
		r->last++;
	rr_rebuild(svc);
}

static void rr_del_dest(struct service *svc, struct dest *d, int pos)
{
	struct rr_data *r = svc->sched_data;

	(void)d;
	if (pos <= r->last)
		r->last--;
	rr_rebuild(svc);
}

static void rr_upd_dest(struct service *svc, struct dest *d)
{
	struct rr_data *r = svc->sched_data;

	if (r->stale)
		rr_rebuild(svc);
	else
		rr_set(r, d->sched_pos, dest_available(d));
}

/* The first available position in [@from, @to), or -1. */
static int rr_find(struct service *svc, const struct rr_data *r, int from,
		   int to)
{
	int i;

	for (i = rr_next(r, from); i >= 0 && i < to; i = rr_next(r, i + 1))
		if (dest_available(svc->dests[i]))
			return i;
	return -1;
}

static struct dest *rr_schedule(struct service *svc,
				const struct pkt_info *pi, uint64_t now)
{
	struct rr_data *r = svc->sched_data;
	int i;

	(void)pi;
	(void)now;
	/* only after running out of memory: try again, else no server */
	if (r->stale)
		rr_rebuild(svc);
	i = rr_find(svc, r, r->last + 1, r->n);
	if (i < 0)
		i = rr_find(svc, r, 0, r->last + 1);
	if (i < 0)
		return NULL;
	r->last = i;
	return svc->dests[i];
}

/* Every available destination once, in list order, from the one
 * schedule() would pick next. */
static unsigned int rr_cycle(const struct service *svc, struct dest **out,
			     unsigned int cap)
{
	const struct rr_data *r = svc->sched_data;
	unsigned int i, k, n = 0;

	for (k = 0; k < svc->ndests; k++) {
		i = (unsigned int)(r->last + 1) + k;
		if (i >= svc->ndests)
			i -= svc->ndests;
		if (!dest_available(svc->dests[i]))
			continue;
		if (n == cap)
			return 0;
		out[n++] = svc->dests[i];
	}
	return n;
}

const struct sched_ops sched_rr = {
	.init_service = rr_init,
	.done_service = rr_done,
	.add_dest = rr_add_dest,
	.del_dest = rr_del_dest,
	.upd_dest = rr_upd_dest,
	.schedule = rr_schedule,
	.cycle = rr_cycle,
};
