// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Weighted round robin, as IPVS ip_vs_wrr.c: walk the list with a current
 * weight cw that starts at the maximum weight mw and drops by the gcd di of
 * all weights at the end of each pass; pick the next destination whose
 * weight is >= cw.  Every list or weight change recomputes di and mw and
 * restarts from the head, keeping cw where the kernel keeps it.
 *
 * The kernel's walk costs the list length divided by the number of picks
 * per pass, so one heavy server among many light ones, or a list that is
 * mostly down, makes each decision a scan of most of the list.  Here a
 * segment tree over the list positions holds, per subtree, the largest
 * weight that fits (present and not overloaded), the largest present
 * weight and the gcd of the present ones: "the next position after i
 * with weight >= cw" is one O(log n) descent, mw and di are read at the
 * root, and passes that the root says cannot pick anything are counted
 * off arithmetically instead of walked.  The sequence is the kernel's:
 * the loop below is its loop, with its scans answered by the tree.  The
 * next few positions are still tried directly first, which is what the
 * common case needs.
 *
 * Add and delete move positions, so they rebuild the tree (O(n)); upd_dest
 * updates one leaf (O(log n)).  A candidate is checked against the
 * destination itself, so a flag set without upd_dest cannot make a pick.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "scheduler.h"

#define WRR_NEAR	8	/* positions tried before asking the tree */

struct wrr_data {
	int cl;			/* current position, -1 = list head */
	int cw;			/* current weight */
	int mw;			/* maximum weight - (di - 1) */
	int di;			/* gcd of the positive weights */
	unsigned int n;		/* leaves in use */
	unsigned int size;	/* leaves: a power of two >= n, 0 if stale */
	unsigned int cap;	/* leaves allocated */
	/* nodes 1 .. 2 * size - 1, leaves from size on */
	int *fit;		/* largest weight that fits */
	int *max;		/* largest present weight */
	int *gcd;		/* gcd of the positive present weights, 0 if none */
};

static int wrr_fit_weight(const struct dest *d)
{
	return dest_present(d) && !(d->flags & DEST_F_OVERLOAD) ? d->weight : 0;
}

static bool wrr_fits(const struct dest *d, int cw)
{
	return dest_present(d) && !(d->flags & DEST_F_OVERLOAD) &&
	       d->weight >= cw;
}

static void wrr_leaf(struct wrr_data *m, unsigned int i, const struct dest *d)
{
	int w = d ? dest_weight(d) : 0;

	i += m->size;
	m->fit[i] = d ? wrr_fit_weight(d) : 0;
	m->max[i] = w;
	m->gcd[i] = w > 0 ? w : 0;
}

static void wrr_pull(struct wrr_data *m, unsigned int i)
{
	unsigned int l = 2 * i, r = l + 1;

	m->fit[i] = m->fit[l] > m->fit[r] ? m->fit[l] : m->fit[r];
	m->max[i] = m->max[l] > m->max[r] ? m->max[l] : m->max[r];
	m->gcd[i] = sched_gcd(m->gcd[l], m->gcd[r]);
}

static int wrr_reserve(struct wrr_data *m, unsigned int leaves)
{
	unsigned int cap = m->cap ? m->cap : 1;
	int *a;

	if (m->fit && leaves <= m->cap)
		return 0;
	while (cap < leaves)
		cap *= 2;
	a = malloc(3 * 2 * cap * sizeof(*a));
	if (!a)
		return -1;
	free(m->fit);
	m->fit = a;
	m->max = a + 2 * cap;
	m->gcd = a + 4 * cap;
	m->cap = cap;
	return 0;
}

static void wrr_rebuild(struct service *svc)
{
	struct wrr_data *m = svc->sched_data;
	unsigned int i;

	m->n = m->size = 0;
	if (wrr_reserve(m, svc->ndests))
		return;
	m->n = svc->ndests;
	for (m->size = 1; m->size < m->n; m->size *= 2)
		;
	for (i = 0; i < m->size; i++) {
		if (i < m->n)
			svc->dests[i]->sched_pos = i;
		wrr_leaf(m, i, i < m->n ? svc->dests[i] : NULL);
	}
	for (i = m->size - 1; i >= 1; i--)
		wrr_pull(m, i);
}

/* ip_vs_wrr_dest_changed(), with mw and di from the root */
static void wrr_changed(struct service *svc)
{
	struct wrr_data *m = svc->sched_data;
	int max = m->size ? m->max[1] : 0;

	m->cl = -1;
	m->di = m->size && m->gcd[1] ? m->gcd[1] : 1;
	m->mw = max - (m->di - 1);
	if (m->cw > m->mw || !m->cw)
		m->cw = m->mw;
	else if (m->di > 1)
		m->cw = (m->cw / m->di) * m->di + 1;
}

static int wrr_init(struct service *svc)
{
	struct wrr_data *m = calloc(1, sizeof(*m));

	if (!m || wrr_reserve(m, svc->ndests)) {
		free(m);
		return -1;
	}
	svc->sched_data = m;
	wrr_rebuild(svc);
	wrr_changed(svc);
	return 0;
}

static void wrr_done(struct service *svc)
{
	struct wrr_data *m = svc->sched_data;

	free(m->fit);
	free(m);
	svc->sched_data = NULL;
}

static void wrr_add_dest(struct service *svc, struct dest *d)
{
	(void)d;
	wrr_rebuild(svc);
	wrr_changed(svc);
}

static void wrr_del_dest(struct service *svc, struct dest *d, int pos)
{
	(void)d;
	(void)pos;
	wrr_rebuild(svc);
	wrr_changed(svc);
}

/*
 * The kernel recomputes (and restarts from the head) when a destination is
 * edited, not when a threshold sets or clears its overload flag: when the
 * weight is what it was, only the tree learns of the flag.
 */
static void wrr_upd_dest(struct service *svc, struct dest *d)
{
	struct wrr_data *m = svc->sched_data;
	unsigned int i = d->sched_pos;
	bool weight_changed = true;

	if (!m->size) {
		wrr_rebuild(svc);
	} else {
		weight_changed = m->max[i + m->size] != dest_weight(d);
		wrr_leaf(m, i, d);
		for (i = (i + m->size) / 2; i >= 1; i /= 2)
			wrr_pull(m, i);
	}
	if (weight_changed)
		wrr_changed(svc);
}

/* The first position >= @from whose fitting weight is >= @cw, or -1. */
static int wrr_tree_next(const struct wrr_data *m, unsigned int from, int cw)
{
	unsigned int i;

	if (from >= m->n)
		return -1;
	i = from + m->size;
	while (m->fit[i] < cw) {
		/* up past right children, then on to the right sibling */
		while (i & 1)
			i /= 2;
		if (!i)
			return -1;
		i++;
	}
	while (i < m->size)
		i = 2 * i + (m->fit[2 * i] < cw);
	return i - m->size;
}

/* The first position >= @from that fits @cw, or -1: the kernel's scan. */
static int wrr_next(struct service *svc, const struct wrr_data *m, int from,
		    int cw)
{
	int end = from + WRR_NEAR < (int)m->n ? from + WRR_NEAR : (int)m->n;
	int i;

	for (i = from; i < end; i++)
		if (wrr_fits(svc->dests[i], cw))
			return i;
	for (;;) {
		i = wrr_tree_next(m, end, cw);
		if (i < 0 || wrr_fits(svc->dests[i], cw))
			return i;
		end = i + 1;
	}
}

/*
 * Passes from the head with cw above every fitting weight pick nothing;
 * while cw stays above di as well they change nothing but cw, so jump to
 * the last of them.  (Near di the kernel's loop decides to stop.)
 */
static void wrr_skip_empty_passes(struct wrr_data *m)
{
	int top = m->fit[1] > m->di ? m->fit[1] : m->di;

	if (m->cw > top)
		m->cw -= (m->cw - top - 1) / m->di * m->di;
}

static struct dest *wrr_schedule(struct service *svc,
				 const struct pkt_info *pi, uint64_t now)
{
	struct wrr_data *m = svc->sched_data;
	int last = m->cl, stop = -2, i = m->cl, j;
	bool last_pass = false, restarted = false;

	(void)pi;
	(void)now;
	/* only after running out of memory: try again, else no server */
	if (!m->size && svc->ndests) {
		wrr_rebuild(svc);
		wrr_changed(svc);
		i = last = m->cl;
	}
	if (m->mw == 0)
		return NULL;
	for (;;) {
		/* the kernel's scan from i + 1, which gives up at stop */
		j = wrr_next(svc, m, i + 1, m->cw);
		if (stop > i && (j < 0 || j > stop)) {
			i = stop;
			goto over;
		}
		if (j >= 0) {
			m->cl = j;
			return svc->dests[j];
		}
		i = -1;		/* back at the head */
		m->cw -= m->di;
		if (m->cw <= 0) {
			m->cw = m->mw;
			/* every dest was already checked for weight >= 1 */
			if (last_pass || last == -1)
				goto over;
			restarted = true;
		}
		last_pass = m->cw <= m->di;
		if (last_pass && restarted && last != -1)
			stop = last;
		if (stop < 0)
			wrr_skip_empty_passes(m);
	}
over:
	m->cl = i;
	return NULL;
}

/*
 * The kernel's sequence: a pass over the list for each cw = mw, mw - di,
 * ... > 0, each giving the destinations that fit cw, in list order; over
 * a cycle each destination gets about its weight / di connections, so
 * its length is about the sum of the weights over their gcd.  Rotated to
 * begin where schedule() stands: the first pick after position cl in the
 * pass of cw, or the next pass's first.
 */
static unsigned int wrr_cycle(const struct service *svc, struct dest **out,
			      unsigned int cap)
{
	const struct wrr_data *m = svc->sched_data;
	unsigned int i, n = 0, start = 0, k;
	bool found = false;
	int cw;

	if (!m->size)
		return 0;	/* out of memory: the director schedules */
	for (cw = m->mw; cw > 0; cw -= m->di) {
		for (i = 0; i < svc->ndests; i++) {
			if (!wrr_fits(svc->dests[i], cw))
				continue;
			if (n == cap)
				return 0;
			if (!found && (cw < m->cw ||
				       (cw == m->cw && (int)i > m->cl))) {
				found = true;
				start = n;
			}
			out[n++] = svc->dests[i];
		}
	}
	/* rotate out[] left by start, in place */
	for (k = 0; k < start; k++) {
		struct dest *first = out[0];

		for (i = 1; i < n; i++)
			out[i - 1] = out[i];
		out[n - 1] = first;
	}
	return n;
}

const struct sched_ops sched_wrr = {
	.init_service = wrr_init,
	.done_service = wrr_done,
	.add_dest = wrr_add_dest,
	.del_dest = wrr_del_dest,
	.upd_dest = wrr_upd_dest,
	.schedule = wrr_schedule,
	.cycle = wrr_cycle,
};
