// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rr and wrr find the next destination with a bitmap and a segment tree
 * instead of walking the list; their sequences must stay those of the
 * walk.  The walk, as it was in sched_rr.c and sched_wrr.c (IPVS's loops),
 * is kept here as the reference and run in lockstep with the scheduler
 * over random operations.  The exact sequences themselves are pinned by
 * sched_test.c.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

/* ---- the reference: the O(n) walks -------------------------------------- */

struct ref {
	int last;			/* rr */
	int cl, cw, mw, di;		/* wrr */
};

static void ref_wrr_changed(struct ref *m, const struct service *svc)
{
	unsigned int i;
	int g = 0, max = 0, w;

	for (i = 0; i < svc->ndests; i++) {
		w = dest_weight(svc->dests[i]);
		if (w > 0)
			g = g > 0 ? sched_gcd(w, g) : w;
		if (w > max)
			max = w;
	}
	m->cl = -1;
	m->di = g ? g : 1;
	m->mw = max - (m->di - 1);
	if (m->cw > m->mw || !m->cw)
		m->cw = m->mw;
	else if (m->di > 1)
		m->cw = (m->cw / m->di) * m->di + 1;
}

static struct dest *ref_rr(struct ref *r, const struct service *svc)
{
	int n = svc->ndests, i, k;

	for (k = 1; k <= n; k++) {
		i = r->last + k;
		if (i >= n)
			i -= n;
		if (dest_available(svc->dests[i])) {
			r->last = i;
			return svc->dests[i];
		}
	}
	return NULL;
}

static bool ref_fits(const struct dest *d, int cw)
{
	return dest_present(d) && !(d->flags & DEST_F_OVERLOAD) &&
	       d->weight >= cw;
}

static struct dest *ref_wrr(struct ref *m, const struct service *svc)
{
	int n = svc->ndests, last = m->cl, stop = -2, i = m->cl;
	bool last_pass = false, restarted = false;

	if (m->mw == 0)
		return NULL;
	for (;;) {
		for (i = i + 1; i < n; i++) {
			if (ref_fits(svc->dests[i], m->cw)) {
				m->cl = i;
				return svc->dests[i];
			}
			if (i == stop)
				goto over;
		}
		i = -1;
		m->cw -= m->di;
		if (m->cw <= 0) {
			m->cw = m->mw;
			if (last_pass || last == -1)
				goto over;
			restarted = true;
		}
		last_pass = m->cw <= m->di;
		if (last_pass && restarted && last != -1)
			stop = last;
	}
over:
	m->cl = i;
	return NULL;
}

/* ---- random operations, mirrored into the reference ---------------------- */

struct world {
	struct service svc;
	struct ref ref;
	bool wrr;
	struct dest *pool;
	bool *in;
	unsigned int npool;
	int profile;
	uint64_t rng;
};

static uint32_t w_below(struct world *w, uint32_t n)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return n ? (x * 0x2545f4914f6cdd1dULL >> 32) % n : 0;
}

/*
 * Profiles: 0 small weights with common factors (di > 1 at times),
 * 1 one heavy weight among light ones (long empty passes),
 * 2 mostly down, 3 all but a few down (long runs of empty words).
 */
static int w_weight(struct world *w)
{
	static const int small[] = { 0, 1, 2, 3, 4, 6, 8, 12 };
	static const int even[] = { 0, 2, 4, 6, 8, 12 };

	switch (w->profile) {
	case 1:
		return w_below(w, 20) ? 1 + w_below(w, 2) : 1000;
	default:
		return w_below(w, 3) ? small[w_below(w, 8)] : even[w_below(w, 6)];
	}
}

static uint32_t w_flags(struct world *w)
{
	if (w->profile == 2)
		return w_below(w, 20) ? DEST_F_DOWN : 0;
	if (w->profile == 3)
		return w_below(w, 1000) ? DEST_F_DOWN : 0;
	return w_below(w, 8) ? 0 : DEST_F_OVERLOAD;
}

static struct dest *w_some_in(struct world *w)
{
	if (!w->svc.ndests)
		return NULL;
	return w->svc.dests[w_below(w, w->svc.ndests)];
}

static void w_add(struct world *w)
{
	unsigned int i = w_below(w, w->npool);
	struct dest *d = &w->pool[i];

	while (w->in[i])
		d = &w->pool[i = w_below(w, w->npool)];
	d->weight = w_weight(w);
	d->flags = w_flags(w);
	d->activeconns = d->inactconns = 0;
	d->u_threshold = w_below(w, 4) ? 0 : 2 + w_below(w, 3);
	w->in[i] = true;
	cr_assert_eq(service_add_dest(&w->svc, d), 0);
	if (w->wrr)
		ref_wrr_changed(&w->ref, &w->svc);
	else if (w->ref.last >= 0)
		w->ref.last++;
}

static void w_del(struct world *w)
{
	struct dest *d = w_some_in(w);
	int pos;

	if (!d)
		return;
	pos = service_dest_index(&w->svc, d);
	service_del_dest(&w->svc, d);
	w->in[d - w->pool] = false;
	if (w->wrr)
		ref_wrr_changed(&w->ref, &w->svc);
	else if (pos <= w->ref.last)
		w->ref.last--;
}

static void w_upd(struct world *w)
{
	static const uint32_t flips[] = {
		DEST_F_OVERLOAD, DEST_F_DOWN, DEST_F_DRAINING,
	};
	struct dest *d = w_some_in(w);
	int before;

	if (!d)
		return;
	before = dest_weight(d);
	if (w_below(w, 2))
		d->weight = w_weight(w);
	else
		d->flags ^= flips[w_below(w, 3)];
	service_upd_dest(&w->svc, d);
	/* as the kernel: an overload flip alone does not restart wrr */
	if (w->wrr && dest_weight(d) != before)
		ref_wrr_changed(&w->ref, &w->svc);
}

/* Counts, which cross the thresholds now and then: OVERLOAD flips. */
static void w_count(struct world *w)
{
	struct dest *d = w_some_in(w);
	uint32_t before;

	if (!d)
		return;
	before = d->flags;
	if (w_below(w, 2))
		d->inactconns++;
	else if (d->inactconns)
		d->inactconns--;
	/* OVERLOAD flips here: the kernel does not restart wrr for them */
	service_conns_changed(&w->svc, d);
	(void)before;
}

static void w_check(struct world *w, uint64_t seed, unsigned long step)
{
	struct pkt_info pi = { 0 };
	struct dest *want = w->wrr ? ref_wrr(&w->ref, &w->svc)
				   : ref_rr(&w->ref, &w->svc);
	struct dest *got = w->svc.sched->schedule(&w->svc, &pi, 0);

	cr_assert_eq(got, want,
		     "%s profile %d seed %llu step %lu, %u dests: got %ld, want %ld",
		     sched_ops_name(w->svc.sched), w->profile, (unsigned long long)seed,
		     step, w->svc.ndests, got ? (long)(got - w->pool) : -1L,
		     want ? (long)(want - w->pool) : -1L);
}

static void lockstep(const char *sched, int profile, uint64_t seed,
		     unsigned int npool, unsigned long steps)
{
	struct world w = {
		.wrr = !strcmp(sched, "wrr"), .npool = npool,
		.profile = profile, .rng = seed,
	};
	unsigned long step;
	unsigned int i;

	w.pool = calloc(npool, sizeof(*w.pool));
	w.in = calloc(npool, sizeof(*w.in));
	cr_assert(w.pool && w.in);
	cr_assert_eq(service_init(&w.svc, sched), 0);
	w.ref.last = -1;
	ref_wrr_changed(&w.ref, &w.svc);
	for (i = 0; i < npool / 2; i++)
		w_add(&w);
	for (step = 0; step < steps; step++) {
		uint32_t r = w_below(&w, 100);

		/* the list hovers around half the pool */
		if (r < 3 && w.svc.ndests < npool / 2)
			w_add(&w);
		else if (r < 6)
			w_del(&w);
		else if (r < 12)
			w_upd(&w);
		else if (r < 20)
			w_count(&w);
		else
			w_check(&w, seed, step);
	}
	service_destroy(&w.svc);
	free(w.pool);
	free(w.in);
}

Test(sched_rr_wrr, rr_matches_the_walk)
{
	int p;

	for (p = 0; p < 3; p++) {
		lockstep("rr", p, 11 + p, 8, 50000);
		lockstep("rr", p, 21 + p, 200, 100000);
	}
	/* more than 64 * 64 positions: the summary's second word */
	lockstep("rr", 2, 31, 9000, 20000);
	lockstep("rr", 3, 32, 20000, 20000);
}

Test(sched_rr_wrr, wrr_matches_the_walk)
{
	int p;

	for (p = 0; p < 3; p++) {
		lockstep("wrr", p, 11 + p, 8, 100000);
		lockstep("wrr", p, 21 + p, 200, 200000);
	}
	lockstep("wrr", 1, 31, 3000, 20000);
	lockstep("wrr", 3, 32, 3000, 20000);
}

/*
 * The same, where a pass from the head picks nothing for most values of
 * cw: the skipped passes must leave cw where walking them would.
 */
Test(sched_rr_wrr, wrr_skips_empty_passes_exactly)
{
	static const int w[] = { 1000, 1, 1, 999, 1 };
	struct dest d[5];
	struct service svc;
	struct ref ref = { 0 };
	struct pkt_info pi = { 0 };
	int i, k;

	memset(&svc, 0, sizeof(svc));
	memset(d, 0, sizeof(d));
	cr_assert_eq(service_init(&svc, "wrr"), 0);
	ref_wrr_changed(&ref, &svc);
	for (i = 0; i < 5; i++) {
		d[i].weight = w[i];
		cr_assert_eq(service_add_dest(&svc, &d[i]), 0);
		ref_wrr_changed(&ref, &svc);
	}
	for (k = 0; k < 20000; k++) {
		if (k == 5000 || k == 12000) {
			/* the heavy ones overloaded, then back */
			d[0].flags ^= DEST_F_OVERLOAD;
			service_upd_dest(&svc, &d[0]);
			d[3].flags ^= DEST_F_OVERLOAD;
			service_upd_dest(&svc, &d[3]);
		}
		cr_assert_eq(svc.sched->schedule(&svc, &pi, 0), ref_wrr(&ref, &svc),
			     "decision %d", k);
	}
	service_destroy(&svc);
}
