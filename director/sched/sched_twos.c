// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power of two choices (IPVS ip_vs_twos.c).  Two destinations are drawn at
 * random, each with probability proportional to its weight, and the
 * second is kept only if it is strictly less loaded by overhead / weight:
 * w2 * O1 > w1 * O2.
 *
 * The kernel draws r uniform in [0, W] (W the sum of the available
 * weights) and walks the list subtracting weights until r <= 0, so the
 * first available destination owns r = 0 as well as its own w values.  A
 * Fenwick tree over the list positions gives the same answer in O(log n):
 * the first position whose prefix sum reaches max(r, 1).  Positions move
 * when a destination is added or deleted, so those rebuild the tree,
 * O(n); a weight or flag change is an O(log n) update.  Counts are read at
 * decision time, so there is no conn_changed.
 */
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

struct twos_data {
	uint64_t *tree;		/* Fenwick tree, 1-based */
	uint32_t *w;		/* weight counted for dests[i], 0 if unavailable */
	uint64_t total;		/* sum of w[] */
	unsigned int n, cap;
	unsigned int size;	/* of the tree: a power of two >= n, or 0 */
	bool stale;		/* a rebuild ran out of memory: tree empty */
};

static uint32_t twos_weight(const struct dest *d)
{
	return dest_available(d) ? (uint32_t)d->weight : 0;
}

static void twos_add(struct twos_data *t, unsigned int pos, int64_t delta)
{
	t->total += delta;
	for (pos++; pos <= t->size; pos += pos & -pos)
		t->tree[pos] += delta;
}

/*
 * The indexes of the first destinations whose prefix sums reach @r1 and
 * @r2 (both >= 1), found together: the two walks are independent, so the
 * CPU overlaps their loads, and each step is masked arithmetic rather
 * than a branch (which gcc makes of ?:), since a branch on random data is
 * a coin toss for the predictor.  The tree is
 * padded with zeros to a power of two, so no step can run off its end.
 */
static void twos_find(const struct twos_data *t, uint64_t r1, uint64_t r2,
		      unsigned int *i1, unsigned int *i2)
{
	unsigned int p1 = 0, p2 = 0, step;

	for (step = t->size; step; step >>= 1) {
		uint64_t v1 = t->tree[p1 + step], v2 = t->tree[p2 + step];
		uint64_t m1 = -(uint64_t)(v1 < r1), m2 = -(uint64_t)(v2 < r2);

		p1 += step & m1;
		r1 -= v1 & m1;
		p2 += step & m2;
		r2 -= v2 & m2;
	}
	*i1 = p1;
	*i2 = p2;
}

static int twos_reserve(struct twos_data *t, unsigned int want)
{
	unsigned int cap = t->cap ? t->cap : 8;
	uint64_t *tree;
	uint32_t *w;

	if (t->tree && t->w && want <= t->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	/* cap stays a power of two, so the tree can be padded to it */
	tree = realloc(t->tree, (cap + 1) * sizeof(*tree));
	if (!tree)
		return -1;
	t->tree = tree;
	w = realloc(t->w, cap * sizeof(*w));
	if (!w)
		return -1;
	t->w = w;
	t->cap = cap;
	return 0;
}

static void twos_rebuild(struct service *svc)
{
	struct twos_data *t = svc->sched_data;
	unsigned int i, j;

	t->n = t->size = 0;
	t->total = 0;
	t->stale = twos_reserve(t, svc->ndests) < 0;
	if (t->stale)
		return;
	t->n = svc->ndests;
	for (t->size = 1; t->size < t->n; t->size *= 2)
		;
	memset(t->tree, 0, (t->size + 1) * sizeof(*t->tree));
	for (i = 0; i < t->n; i++) {
		svc->dests[i]->sched_pos = i;
		t->w[i] = twos_weight(svc->dests[i]);
		t->tree[i + 1] = t->w[i];
		t->total += t->w[i];
	}
	for (i = 1; i <= t->size; i++) {
		j = i + (i & -i);
		if (j <= t->size)
			t->tree[j] += t->tree[i];
	}
}

static int twos_init(struct service *svc)
{
	struct twos_data *t = calloc(1, sizeof(*t));

	if (!t || twos_reserve(t, svc->ndests)) {
		if (t) {
			free(t->tree);
			free(t->w);
		}
		free(t);
		return -1;
	}
	svc->sched_data = t;
	twos_rebuild(svc);
	sched_rand_seed(svc);
	return 0;
}

static void twos_done(struct service *svc)
{
	struct twos_data *t = svc->sched_data;

	free(t->tree);
	free(t->w);
	free(t);
	svc->sched_data = NULL;
}

static void twos_add_dest(struct service *svc, struct dest *d)
{
	(void)d;
	twos_rebuild(svc);
}

static void twos_del_dest(struct service *svc, struct dest *d, int pos)
{
	(void)d;
	(void)pos;
	twos_rebuild(svc);
}

static void twos_upd_dest(struct service *svc, struct dest *d)
{
	struct twos_data *t = svc->sched_data;
	unsigned int i = d->sched_pos;
	uint32_t w = twos_weight(d);

	if (t->stale) {
		twos_rebuild(svc);
		return;
	}
	if (w != t->w[i]) {
		twos_add(t, i, (int64_t)w - t->w[i]);
		t->w[i] = w;
	}
}

static struct dest *twos_schedule(struct service *svc,
				  const struct pkt_info *pi, uint64_t now)
{
	struct twos_data *t = svc->sched_data;
	uint64_t total = t->total, r1, r2, w1, w2, o1, o2;
	unsigned int i1, i2;
	struct dest *d1, *d2;

	(void)pi;
	(void)now;
	/* only after running out of memory: try again, else no server */
	if (t->stale) {
		twos_rebuild(svc);
		total = t->total;
	}
	if (!total)
		return NULL;
	r1 = sched_rand_below(svc, total + 1);
	r2 = sched_rand_below(svc, total + 1);
	twos_find(t, r1 ? r1 : 1, r2 ? r2 : 1, &i1, &i2);
	d1 = svc->dests[i1];
	d2 = svc->dests[i2];
	w1 = t->w[i1];
	w2 = t->w[i2];
	o1 = dest_overhead(d1);
	o2 = dest_overhead(d2);
	/* 64-bit where the kernel multiplies ints, which can overflow */
	return w2 * o1 > w1 * o2 ? d2 : d1;
}

const struct sched_ops sched_twos = {
	.init_service = twos_init,
	.done_service = twos_done,
	.add_dest = twos_add_dest,
	.del_dest = twos_del_dest,
	.upd_dest = twos_upd_dest,
	.schedule = twos_schedule,
};
