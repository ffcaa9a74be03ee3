// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The schedulers that look at connection counts or weights of every
 * destination: lc, wlc, sed, nq, fo, ovf and twos.  Hand-made states with
 * known picks, and each scheduler against the kernel's O(n) loop, written
 * out again below, over long runs of random operations.
 *
 * Services are built as the director builds them: destinations added one
 * at a time (so the list is in reverse order of addition, as in IPVS),
 * counts changed followed by service_conns_changed(), weights and flags
 * followed by service_upd_dest().
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

#define MAXD	8
#define OV	DEST_F_OVERLOAD
#define DOWN	DEST_F_DOWN
#define DRAIN	DEST_F_DRAINING

/* ---- the kernel's loops ------------------------------------------------- */

/*
 * As in ip_vs_*.c, over the kernel's list: IPVS unlinks a destination that
 * is deleted or (with a health checker) down, which we keep flagged in
 * svc->dests instead, so the walk skips those and nothing else; each loop
 * then applies its scheduler's own tests as the kernel writes them.
 */
#define for_each_kdest(svc, i, d)					\
	for (i = 0; i < (svc)->ndests; i++)				\
		if (d = (svc)->dests[i], !dest_present(d)) {} else

static bool k_overloaded(const struct dest *d)
{
	return d->flags & DEST_F_OVERLOAD;
}

static struct dest *ref_lc(struct service *svc)
{
	struct dest *d, *least = NULL;
	uint32_t loh = 0, doh;
	unsigned int i;

	for_each_kdest(svc, i, d) {
		if (k_overloaded(d) || d->weight == 0)
			continue;
		doh = dest_overhead(d);
		if (!least || doh < loh) {
			least = d;
			loh = doh;
		}
	}
	return least;
}

/* wlc and sed: first available, then the cross-multiplied comparison. */
static struct dest *ref_ratio(struct service *svc, uint32_t (*oh)(const struct dest *))
{
	struct dest *d, *least = NULL;
	uint32_t loh = 0, doh;
	unsigned int i;

	for_each_kdest(svc, i, d) {
		if (!least) {
			if (!k_overloaded(d) && d->weight > 0) {
				least = d;
				loh = oh(d);
			}
			continue;
		}
		if (k_overloaded(d))
			continue;
		doh = oh(d);
		if ((int64_t)loh * d->weight > (int64_t)doh * least->weight) {
			least = d;
			loh = doh;
		}
	}
	return least;
}

static uint32_t sed_overhead(const struct dest *d)
{
	return d->activeconns + 1;
}

static struct dest *ref_wlc(struct service *svc)
{
	return ref_ratio(svc, dest_overhead);
}

static struct dest *ref_sed(struct service *svc)
{
	return ref_ratio(svc, sed_overhead);
}

static struct dest *ref_nq(struct service *svc)
{
	struct dest *d, *least = NULL;
	uint32_t loh = 0, doh;
	unsigned int i;

	for_each_kdest(svc, i, d) {
		if (k_overloaded(d) || !d->weight)
			continue;
		doh = sed_overhead(d);
		if (d->activeconns == 0)
			return d;
		if (!least || (int64_t)loh * d->weight > (int64_t)doh * least->weight) {
			least = d;
			loh = doh;
		}
	}
	return least;
}

static struct dest *ref_fo(struct service *svc)
{
	struct dest *d, *best = NULL;
	unsigned int i;
	int hw = 0;

	for_each_kdest(svc, i, d) {
		if (!k_overloaded(d) && d->weight > hw) {
			best = d;
			hw = d->weight;
		}
	}
	return best;
}

static struct dest *ref_ovf(struct service *svc)
{
	struct dest *d, *h = NULL;
	unsigned int i;
	int hw = 0, w;

	for_each_kdest(svc, i, d) {
		w = d->weight;
		if (k_overloaded(d) || d->activeconns > (uint32_t)w || w == 0)
			continue;
		if (!h || w > hw) {
			h = d;
			hw = w;
		}
	}
	return h;
}

/*
 * ip_vs_twos.c, drawing from a copy of the service's generator: the caller
 * passes the state the scheduler started from, and gets it back advanced
 * by the same two draws.  The final products are 64-bit, as ours are on
 * purpose: the kernel's ints overflow there.
 */
static struct dest *ref_twos(struct service *svc, uint64_t *rand)
{
	struct service r = { .rand = *rand };
	struct dest *d, *c1 = NULL, *c2 = NULL;
	int64_t total = 0, rw1, rw2, w, w1 = -1, w2 = -1, o1 = 0, o2 = 0;
	unsigned int i;

	for_each_kdest(svc, i, d) {
		if (!k_overloaded(d) && d->weight > 0) {
			total += d->weight;
			c1 = d;
		}
	}
	if (!c1)
		return NULL;
	total += 1;
	rw1 = sched_rand_below(&r, total);
	rw2 = sched_rand_below(&r, total);
	*rand = r.rand;
	for_each_kdest(svc, i, d) {
		if (k_overloaded(d))
			continue;
		w = d->weight;
		if (w <= 0)
			continue;
		rw1 -= w;
		rw2 -= w;
		if (rw1 <= 0 && w1 == -1) {
			c1 = d;
			w1 = w;
			o1 = dest_overhead(d);
		}
		if (rw2 <= 0 && w2 == -1) {
			c2 = d;
			w2 = w;
			o2 = dest_overhead(d);
		}
		if (w1 != -1 && w2 != -1)
			break;
	}
	if (c2 && w2 * o1 > w1 * o2)
		c1 = c2;
	return c1;
}

static struct dest *ref_pick(struct service *svc, uint64_t *rand)
{
	const char *s = sched_ops_name(svc->sched);

	if (!strcmp(s, "lc"))
		return ref_lc(svc);
	if (!strcmp(s, "wlc"))
		return ref_wlc(svc);
	if (!strcmp(s, "sed"))
		return ref_sed(svc);
	if (!strcmp(s, "nq"))
		return ref_nq(svc);
	if (!strcmp(s, "fo"))
		return ref_fo(svc);
	if (!strcmp(s, "ovf"))
		return ref_ovf(svc);
	if (!strcmp(s, "twos"))
		return ref_twos(svc, rand);
	cr_assert_fail("no reference for %s", s);
	return NULL;
}

static const char *const conn_scheds[] = {
	"lc", "wlc", "sed", "nq", "fo", "ovf", "twos",
};

/* ---- fixture ------------------------------------------------------------ */

struct fixture {
	struct service svc;
	struct dest d[MAXD];
	int n;
};

/* Port p is the p-th destination added, so the list is n .. 1. */
static void fx_init(struct fixture *f, const char *sched, int n, const int *w)
{
	int i;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(service_init(&f->svc, sched), 0, "%s", sched);
	f->svc.rand = 0x1234567;
	f->n = n;
	for (i = 0; i < n; i++) {
		f->d[i].weight = f->d[i].conf_weight = w[i];
		f->d[i].port = i + 1;
		cr_assert_eq(service_add_dest(&f->svc, &f->d[i]), 0);
	}
}

static void fx_fini(struct fixture *f)
{
	service_destroy(&f->svc);
}

static int port(const struct dest *d)
{
	return d ? d->port : 0;
}

static int pick(struct fixture *f)
{
	struct pkt_info pi = { 0 };

	return port(f->svc.sched->schedule(&f->svc, &pi, 0));
}

static void set_counts(struct fixture *f, int p, uint32_t act, uint32_t inact)
{
	f->d[p - 1].activeconns = act;
	f->d[p - 1].inactconns = inact;
	service_conns_changed(&f->svc, &f->d[p - 1]);
}

static void set_weight(struct fixture *f, int p, int w)
{
	f->d[p - 1].weight = w;
	service_upd_dest(&f->svc, &f->d[p - 1]);
}

static void set_flags(struct fixture *f, int p, uint32_t flags)
{
	f->d[p - 1].flags = flags;
	service_upd_dest(&f->svc, &f->d[p - 1]);
}

/*
 * A script: a change to destination @port (its counts @a active and @b
 * inactive, its weight @a or its flags @a), then the pick that follows
 * (a port, 0 = none; NOPICK: none asked, the next change comes first).
 */
enum step_op { COUNTS, WEIGHT, FLAGS };
#define NOPICK	(-1)

struct step {
	enum step_op op;
	int port;
	uint32_t a, b;
	int want;
};

static void run_steps(struct fixture *f, const struct step *s, size_t n,
		      const char *what)
{
	size_t i;

	for (i = 0; i < n; i++, s++) {
		if (s->op == COUNTS)
			set_counts(f, s->port, s->a, s->b);
		else if (s->op == WEIGHT)
			set_weight(f, s->port, (int)s->a);
		else
			set_flags(f, s->port, s->a);
		if (s->want != NOPICK)
			cr_expect_eq(pick(f), s->want, "%s, step %zu", what, i);
	}
}

#define RUN_STEPS(f, steps, what) \
	run_steps(f, steps, sizeof(steps) / sizeof(steps[0]), what)

/* ---- picks for given states --------------------------------------------- */

struct pick_case {
	const char *sched, *what;
	int n;
	int w[MAXD];
	uint32_t act[MAXD], inact[MAXD], flags[MAXD];
	int want;		/* port, 0 = none */
};

static const struct pick_case pick_cases[] = {
	{ "lc", "least overhead", 3, { 1, 1, 1 }, { 0, 1, 0 }, { 5, 0, 3 }, { 0 }, 3 },
	{ "lc", "an active connection is 256", 2, { 1, 1 }, { 1, 0 }, { 0, 257 }, { 0 }, 1 },
	{ "lc", "tie: first in list", 4, { 1, 1, 1, 1 }, { 0 }, { 2, 2, 2, 5 }, { 0 }, 3 },
	{ "lc", "weight only counts as 0", 3, { 5, 1, 0 }, { 0 }, { 3, 2, 1 }, { 0 }, 2 },
	{ "lc", "overloaded", 3, { 1, 1, 1 }, { 0 }, { 1, 2, 3 }, { OV }, 2 },
	{ "lc", "down", 3, { 1, 1, 1 }, { 0 }, { 1, 2, 3 }, { DOWN }, 2 },
	{ "lc", "draining", 3, { 1, 1, 1 }, { 0 }, { 1, 2, 3 }, { DRAIN }, 2 },
	{ "lc", "none available", 3, { 0, 1, 1 }, { 0 }, { 0 }, { 0, OV, DOWN }, 0 },

	{ "wlc", "overhead / weight", 2, { 1, 3 }, { 0 }, { 1, 2 }, { 0 }, 2 },
	{ "wlc", "tie: first in list", 3, { 1, 2, 3 }, { 0 }, { 1, 2, 3 }, { 0 }, 3 },
	{ "wlc", "an active connection is 256", 2, { 1, 10 }, { 0, 1 }, { 100, 0 }, { 0 }, 2 },
	{ "wlc", "weight 0, even idle", 2, { 0, 1 }, { 0 }, { 0, 5 }, { 0 }, 2 },
	{ "wlc", "overloaded", 3, { 1, 1, 1 }, { 0 }, { 0, 1, 2 }, { OV }, 2 },
	{ "wlc", "down", 3, { 1, 1, 1 }, { 0 }, { 0, 1, 2 }, { DOWN }, 2 },
	{ "wlc", "none available", 2, { 0, 0 }, { 0 }, { 0 }, { 0 }, 0 },
	/* 70000 * 65535 > 2^32: wrong in 32-bit arithmetic */
	{ "wlc", "64-bit products", 2, { 65535, 1 }, { 0 }, { 4000000000u, 70000 }, { 0 }, 1 },
	{ "wlc", "64-bit products, other way", 2, { 1, 65535 }, { 0 }, { 70000, 4000000000u }, { 0 }, 2 },

	{ "sed", "inactive ignored", 2, { 1, 2 }, { 0 }, { 0, 100 }, { 0 }, 2 },
	{ "sed", "counts the new connection", 2, { 1, 2 }, { 0, 1 }, { 0 }, { 0 }, 2 },
	{ "sed", "(0+1)/2 < (2+1)/3", 2, { 2, 3 }, { 0, 2 }, { 0 }, { 0 }, 1 },
	{ "sed", "weight 0", 2, { 0, 1 }, { 0, 5 }, { 0 }, { 0 }, 2 },
	{ "sed", "overloaded", 2, { 1, 1 }, { 0, 3 }, { 0 }, { OV }, 2 },
	{ "sed", "none available", 1, { 1 }, { 0 }, { 0 }, { DRAIN }, 0 },

	{ "nq", "first idle in list", 3, { 1, 5, 1 }, { 0, 3, 0 }, { 0 }, { 0 }, 3 },
	{ "nq", "idle beats a better ratio", 2, { 1, 100 }, { 0, 1 }, { 0 }, { 0 }, 1 },
	{ "nq", "all busy: sed", 2, { 1, 3 }, { 1, 4 }, { 0 }, { 0 }, 2 },
	{ "nq", "inactive is still idle", 2, { 1, 1 }, { 0 }, { 0, 9 }, { 0 }, 2 },
	{ "nq", "idle but overloaded", 2, { 1, 1 }, { 0, 2 }, { 0 }, { OV }, 2 },
	{ "nq", "idle but weight 0", 2, { 0, 1 }, { 0, 2 }, { 0 }, { 0 }, 2 },
	{ "nq", "none available", 1, { 1 }, { 0 }, { 0 }, { DOWN }, 0 },

	{ "fo", "highest weight", 3, { 1, 3, 2 }, { 0 }, { 0 }, { 0 }, 2 },
	{ "fo", "tie: first in list", 3, { 3, 1, 3 }, { 0 }, { 0 }, { 0 }, 3 },
	{ "fo", "counts ignored", 3, { 1, 3, 2 }, { 0, 100 }, { 0, 100 }, { 0 }, 2 },
	{ "fo", "overloaded", 3, { 1, 3, 2 }, { 0 }, { 0 }, { 0, OV }, 3 },
	{ "fo", "down", 3, { 1, 3, 2 }, { 0 }, { 0 }, { 0, DOWN }, 3 },
	{ "fo", "none available", 2, { 0, 0 }, { 0 }, { 0 }, { 0 }, 0 },

	{ "ovf", "highest weight", 3, { 1, 3, 2 }, { 0 }, { 0 }, { 0 }, 2 },
	{ "ovf", "active == weight: still", 3, { 1, 3, 2 }, { 0, 3 }, { 0 }, { 0 }, 2 },
	{ "ovf", "active > weight: overflow", 3, { 1, 3, 2 }, { 0, 4 }, { 0 }, { 0 }, 3 },
	{ "ovf", "inactive ignored", 3, { 1, 3, 2 }, { 0 }, { 0, 100 }, { 0 }, 2 },
	{ "ovf", "tie: first in list", 2, { 3, 3 }, { 0 }, { 0 }, { 0 }, 2 },
	{ "ovf", "overloaded", 3, { 1, 3, 2 }, { 0 }, { 0 }, { 0, OV }, 3 },
	{ "ovf", "weight 0", 2, { 1, 0 }, { 0 }, { 0 }, { 0 }, 1 },
	{ "ovf", "all full", 2, { 1, 1 }, { 2, 2 }, { 0 }, { 0 }, 0 },

	{ "twos", "one available", 3, { 0, 5, 0 }, { 0 }, { 0 }, { 0 }, 2 },
	{ "twos", "overloaded and down", 3, { 1, 1, 1 }, { 0 }, { 0 }, { OV, 0, DOWN }, 2 },
	{ "twos", "none available", 2, { 0, 1 }, { 0 }, { 0 }, { 0, OV }, 0 },
};

Test(sched_conn, picks)
{
	size_t k;
	int i, r;

	for (k = 0; k < sizeof(pick_cases) / sizeof(*pick_cases); k++) {
		const struct pick_case *c = &pick_cases[k];
		struct fixture f;
		uint64_t rand;

		fx_init(&f, c->sched, c->n, c->w);
		for (i = 0; i < c->n; i++)
			set_counts(&f, i + 1, c->act[i], c->inact[i]);
		for (i = 0; i < c->n; i++)
			if (c->flags[i])
				set_flags(&f, i + 1, c->flags[i]);
		/* twos draws: the same answer every time here */
		for (r = 0; r < 20; r++)
			cr_expect_eq(pick(&f), c->want, "%s, %s: got %d, want %d",
				     c->sched, c->what, pick(&f), c->want);
		/* and the reference agrees, which checks the reference */
		rand = f.svc.rand;
		cr_expect_eq(port(ref_pick(&f.svc, &rand)), c->want,
			     "reference %s, %s", c->sched, c->what);
		fx_fini(&f);
	}
}

/* ---- counts moving the pick --------------------------------------------- */

struct seq_case {
	const char *sched;
	int n, w[MAXD];
	bool active;		/* each pick adds an active, else inactive, conn */
	const char *want;
};

static const struct seq_case seq_cases[] = {
	{ "lc", 3, { 3, 1, 2 }, false, "321321321321" },
	{ "wlc", 3, { 1, 1, 1 }, false, "321321321" },
	{ "wlc", 2, { 1, 2 }, false, "212212212212" },
	{ "wlc", 3, { 3, 1, 2 }, false, "321131321131" },
	{ "wlc", 3, { 3, 1, 2 }, true, "321131321131" },
	{ "sed", 2, { 1, 2 }, true, "221221221221" },
	{ "sed", 3, { 3, 1, 2 }, true, "131321131321" },
	{ "nq", 2, { 1, 2 }, true, "212221221221" },
	{ "nq", 3, { 3, 1, 2 }, true, "321131131321" },
	{ "ovf", 3, { 1, 3, 2 }, true, "222233311-" },
	{ "fo", 3, { 1, 3, 2 }, true, "2222" },
};

Test(sched_conn, counts_move_the_pick)
{
	size_t k;
	int i;

	for (k = 0; k < sizeof(seq_cases) / sizeof(*seq_cases); k++) {
		const struct seq_case *c = &seq_cases[k];
		char got[32];
		struct fixture f;
		size_t n = strlen(c->want);

		fx_init(&f, c->sched, c->n, c->w);
		for (i = 0; i < (int)n; i++) {
			struct pkt_info pi = { 0 };
			struct dest *d = f.svc.sched->schedule(&f.svc, &pi, 0);

			got[i] = d ? '0' + d->port : '-';
			if (!d)
				continue;
			if (c->active)
				d->activeconns++;
			else
				d->inactconns++;
			service_conns_changed(&f.svc, d);
		}
		got[n] = '\0';
		cr_expect_str_eq(got, c->want, "%s %s", c->sched,
				 c->active ? "active" : "inactive");
		fx_fini(&f);
	}
}

Test(sched_conn, ending_connections_move_it_back)
{
	static const int w[] = { 1, 1 };
	static const struct step lc[] = {
		{ COUNTS, 1, 0, 3, NOPICK },
		{ COUNTS, 2, 0, 4, 1 },
		{ COUNTS, 2, 0, 2, 2 },
		{ COUNTS, 2, 1, 0, 1 },		/* established: 256 */
		{ COUNTS, 2, 0, 3, 2 },		/* closed: tie, 2 is first */
	};
	static const struct step ovf[] = {
		{ COUNTS, 2, 2, 0, 1 },
		{ COUNTS, 1, 2, 0, 0 },
		{ COUNTS, 1, 1, 0, 1 },
		{ COUNTS, 2, 0, 0, 2 },
	};
	struct fixture f;

	fx_init(&f, "lc", 2, w);
	RUN_STEPS(&f, lc, "lc");
	fx_fini(&f);

	fx_init(&f, "ovf", 2, w);
	RUN_STEPS(&f, ovf, "ovf");
	fx_fini(&f);
}

/* ---- weights, flags, the list ------------------------------------------- */

Test(sched_conn, weight_changes)
{
	static const int w[] = { 1, 1 };
	static const struct step wlc[] = {
		{ COUNTS, 1, 0, 2, NOPICK },
		{ COUNTS, 2, 0, 1, 2 },
		{ WEIGHT, 1, 3, 0, 1 },		/* 2/3 < 1/1 */
		{ WEIGHT, 1, 0, 0, 2 },
		{ WEIGHT, 2, 0, 0, 0 },
		{ WEIGHT, 1, 2, 0, 1 },		/* 2/2 */
	};
	static const struct step fo[] = {
		{ WEIGHT, 2, 5, 0, 2 },
		{ WEIGHT, 2, 2, 0, 2 },		/* tie: 2 is first */
		{ WEIGHT, 2, 0, 0, 1 },
	};
	struct fixture f;

	fx_init(&f, "wlc", 2, w);
	RUN_STEPS(&f, wlc, "wlc");
	fx_fini(&f);

	fx_init(&f, "fo", 2, (const int[]){ 2, 1 });
	cr_expect_eq(pick(&f), 1);
	RUN_STEPS(&f, fo, "fo");
	fx_fini(&f);
}

Test(sched_conn, flags_come_and_go)
{
	static const int w[] = { 1, 1, 1 };
	static const struct step flags[] = {
		{ FLAGS, 3, DOWN, 0, 2 },
		{ FLAGS, 2, OV, 0, 1 },
		{ FLAGS, 1, DRAIN, 0, 0 },
		{ FLAGS, 2, 0, 0, 2 },
		{ FLAGS, 3, 0, 0, 3 },
	};
	const char *const *s;

	for (s = conn_scheds; s < conn_scheds + 6; s++) {
		struct fixture f;

		/* counts make 3, then 2, then 1 the pick in every scheduler */
		fx_init(&f, *s, 3, w);
		set_counts(&f, 2, 1, 1);
		set_counts(&f, 1, 2, 2);
		if (!strcmp(*s, "fo") || !strcmp(*s, "ovf")) {
			set_weight(&f, 3, 4);
			set_weight(&f, 2, 3);
			set_weight(&f, 1, 2);
		}
		cr_expect_eq(pick(&f), 3, "%s", *s);
		RUN_STEPS(&f, flags, *s);
		fx_fini(&f);
	}
}

Test(sched_conn, thresholds_overload_through_the_counts)
{
	static const int w[] = { 1, 1 };
	struct fixture f;

	fx_init(&f, "wlc", 2, w);
	f.d[1].u_threshold = 4;			/* port 2 */
	set_counts(&f, 1, 0, 5);
	set_counts(&f, 2, 0, 3);
	cr_expect_eq(pick(&f), 2);
	set_counts(&f, 2, 0, 4);		/* at the threshold */
	cr_expect(f.d[1].flags & OV);
	cr_expect_eq(pick(&f), 1);
	set_counts(&f, 2, 0, 3);		/* not below 3/4 of 4 */
	cr_expect_eq(pick(&f), 1);
	set_counts(&f, 2, 0, 2);
	cr_expect_not(f.d[1].flags & OV);
	cr_expect_eq(pick(&f), 2);
	fx_fini(&f);
}

Test(sched_conn, add_and_delete)
{
	static const int w[] = { 1, 1 };
	struct fixture f;

	fx_init(&f, "lc", 2, w);
	set_counts(&f, 1, 0, 3);
	set_counts(&f, 2, 0, 4);
	cr_expect_eq(pick(&f), 1);
	f.d[2].weight = 1;
	f.d[2].port = 3;
	service_add_dest(&f.svc, &f.d[2]);	/* idle newcomer */
	cr_expect_eq(pick(&f), 3);
	service_del_dest(&f.svc, &f.d[2]);
	cr_expect_eq(pick(&f), 1);
	service_del_dest(&f.svc, &f.d[0]);
	cr_expect_eq(pick(&f), 2);
	service_del_dest(&f.svc, &f.d[1]);
	cr_expect_eq(pick(&f), 0);
	/* back at the head of the list: first on a tie */
	f.d[0].inactconns = 4;
	service_add_dest(&f.svc, &f.d[1]);
	service_add_dest(&f.svc, &f.d[0]);
	cr_expect_eq(pick(&f), 1);
	fx_fini(&f);
}

Test(sched_conn, switching_scheduler_keeps_the_state)
{
	static const int w[] = { 1, 4, 2 };
	struct fixture f;

	fx_init(&f, "rr", 3, w);
	set_counts(&f, 1, 0, 2);
	set_counts(&f, 2, 0, 8);
	set_counts(&f, 3, 0, 3);
	cr_assert_eq(service_set_scheduler(&f.svc, "lc"), 0);
	cr_expect_eq(pick(&f), 1);
	cr_assert_eq(service_set_scheduler(&f.svc, "wlc"), 0);
	cr_expect_eq(pick(&f), 3);		/* 2/1, 8/4, 3/2 */
	cr_assert_eq(service_set_scheduler(&f.svc, "fo"), 0);
	cr_expect_eq(pick(&f), 2);
	set_counts(&f, 2, 0, 0);
	set_counts(&f, 3, 0, 0);
	cr_assert_eq(service_set_scheduler(&f.svc, "twos"), 0);
	cr_assert_eq(service_set_scheduler(&f.svc, "sed"), 0);
	cr_expect_eq(pick(&f), 2);		/* 1/4 */
	fx_fini(&f);
}

Test(sched_conn, registry)
{
	const char *const *s;

	for (s = conn_scheds; s < conn_scheds + 7; s++) {
		const struct sched_ops *ops = sched_find(*s);

		cr_assert_not_null(ops, "%s", *s);
		cr_expect_str_eq(sched_ops_name(ops), *s);
	}
}

/* ---- twos: distribution and the generator -------------------------------- */

/*
 * The exact probability of each pick, by enumerating both draws over
 * [0, W] as the kernel's loop maps them, against 400,000 decisions; a
 * fixed seed makes the run the same every time, the 5-sigma bound leaves
 * room for a sound generator and none for a skewed mapping.
 */
Test(sched_conn, twos_distribution)
{
	static const int w[] = { 1, 2, 3, 4, 6 };
	static const uint32_t inact[] = { 1, 5, 5, 20, 30 };
	static const int n = 5, draws = 400000;
	uint64_t W = 0, r1, r2, exact[MAXD] = { 0 }, pairs;
	int owner[32], got[MAXD + 1] = { 0 }, i, j, p;
	struct fixture f;

	fx_init(&f, "twos", n, w);
	for (i = 0; i < n; i++)
		set_counts(&f, i + 1, 0, inact[i]);
	/* list order n..1: r in 1..W belongs to whoever covers it, 0 to n */
	for (p = n; p >= 1; p--)
		for (j = 0; j < w[p - 1]; j++)
			owner[++W] = p;
	owner[0] = n;
	pairs = (W + 1) * (W + 1);
	for (r1 = 0; r1 <= W; r1++) {
		for (r2 = 0; r2 <= W; r2++) {
			int a = owner[r1], b = owner[r2];
			uint64_t oa = inact[a - 1], ob = inact[b - 1];

			p = (uint64_t)w[b - 1] * oa > (uint64_t)w[a - 1] * ob ? b : a;
			exact[p - 1]++;
		}
	}
	f.svc.rand = 42;
	for (i = 0; i < draws; i++)
		got[pick(&f)]++;
	cr_expect_eq(got[0], 0);
	for (p = 1; p <= n; p++) {
		double e = (double)exact[p - 1] / pairs, o = (double)got[p] / draws;
		double var = e * (1 - e) / draws;

		cr_expect((o - e) * (o - e) <= 25 * var,
			  "port %d: %.4f, want %.4f", p, o, e);
	}
	fx_fini(&f);
}

Test(sched_conn, twos_is_reproducible)
{
	static const int w[] = { 5, 5, 5, 5 };
	struct fixture a, b;
	int i, same = 0, differ = 0;

	fx_init(&a, "twos", 4, w);
	fx_init(&b, "twos", 4, w);
	a.svc.rand = b.svc.rand = 7;
	for (i = 0; i < 100; i++)
		same += pick(&a) == pick(&b);
	cr_expect_eq(same, 100);
	b.svc.rand = 8;
	for (i = 0; i < 100; i++)
		differ += pick(&a) != pick(&b);
	cr_expect_gt(differ, 10);
	fx_fini(&a);
	fx_fini(&b);

	/* an unseeded service gets a seed at init */
	memset(&a, 0, sizeof(a));
	cr_assert_eq(service_init(&a.svc, "twos"), 0);
	cr_expect_neq(a.svc.rand, 0);
	service_destroy(&a.svc);
}

/* ---- against the kernel's loops, at random ------------------------------- */

struct world {
	struct service svc;
	struct dest *pool;
	bool *in;
	unsigned int npool;
	bool big;		/* large weights and counts half the time */
	uint64_t rng;
};

static uint64_t w_rand(struct world *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t w_below(struct world *w, uint32_t n)
{
	return n ? w_rand(w) % n : 0;
}

/*
 * Mostly small values, so that ties are common, and now and then large
 * ones; in a big world often large ones, whose cross products need all
 * 64 bits.  Up to 2^22 connections, so that the overhead stays below
 * 2^31, where the kernel's int would turn negative.
 */
static int w_weight(struct world *w)
{
	uint32_t r = w_below(w, 100);

	if (r < 15)
		return 0;
	if (r < (w->big ? 55 : 95))
		return 1 + w_below(w, 6);
	return 1 + w_below(w, 65535);
}

static uint32_t w_count(struct world *w)
{
	return w_below(w, 100) < (w->big ? 50 : 95) ? w_below(w, 6) :
							w_below(w, 1u << 22);
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

	while (w->in[i] && w->svc.ndests < w->npool)
		d = &w->pool[i = w_below(w, w->npool)];
	if (w->in[i])
		return;
	/* a reused dest keeps its counts now and then, as a re-added one can */
	if (w_below(w, 4)) {
		d->activeconns = d->inactconns = 0;
		d->flags = 0;
	}
	d->weight = w_weight(w);
	d->u_threshold = w_below(w, 8) ? 0 : 3 + w_below(w, 6);
	w->in[i] = true;
	cr_assert_eq(service_add_dest(&w->svc, d), 0);
}

static void w_del(struct world *w)
{
	struct dest *d = w_some_in(w);

	if (!d)
		return;
	service_del_dest(&w->svc, d);
	w->in[d - w->pool] = false;
}

static void w_count_change(struct world *w)
{
	struct dest *d = w_some_in(w);
	uint32_t r = w_below(w, 10);

	if (!d)
		return;
	if (r < 2)
		d->inactconns++;
	else if (r < 4)
		d->activeconns++;
	else if (r < 6 && d->inactconns)
		d->inactconns--;
	else if (r < 9 && d->activeconns)
		d->activeconns--;
	else if (r == 9) {
		d->activeconns = w_count(w);
		d->inactconns = w_count(w);
	}
	service_conns_changed(&w->svc, d);
}

static void w_upd(struct world *w)
{
	static const uint32_t flips[] = { OV, OV, DOWN, DRAIN };
	struct dest *d = w_some_in(w);

	if (!d)
		return;
	if (w_below(w, 2))
		d->weight = w_weight(w);
	else
		d->flags ^= flips[w_below(w, 4)];
	service_upd_dest(&w->svc, d);
}

static void w_check(struct world *w, const char *sched, uint64_t seed,
		    unsigned long step)
{
	struct pkt_info pi = { 0 };
	uint64_t rand = w->svc.rand;
	struct dest *want = ref_pick(&w->svc, &rand);
	struct dest *got = w->svc.sched->schedule(&w->svc, &pi, 0);

	cr_assert_eq(got, want,
		     "%s seed %llu step %lu, %u dests: got %ld, want %ld",
		     sched, (unsigned long long)seed, step, w->svc.ndests,
		     got ? (long)(got - w->pool) : -1L,
		     want ? (long)(want - w->pool) : -1L);
	cr_assert_eq(w->svc.rand, rand, "%s: draws out of step", sched);
	/* the director's accounting: a new connection, inactive at first */
	if (got && !w_below(w, 4)) {
		got->inactconns++;
		service_conns_changed(&w->svc, got);
	}
}

static void differential(const char *sched, uint64_t seed, unsigned int npool,
			 bool big, unsigned long steps)
{
	struct world w = { .npool = npool, .big = big, .rng = seed };
	unsigned long step;
	unsigned int i;

	w.pool = calloc(npool, sizeof(*w.pool));
	w.in = calloc(npool, sizeof(*w.in));
	cr_assert(w.pool && w.in);
	for (i = 0; i < npool; i++)
		w.pool[i].port = i + 1;
	cr_assert_eq(service_init(&w.svc, sched), 0);
	w.svc.rand = seed;
	for (i = 0; i < npool / 2; i++)
		w_add(&w);
	for (step = 0; step < steps; step++) {
		uint32_t r = w_below(&w, 100);

		/* the list hovers around half the pool */
		if (r < 5 && w.svc.ndests < npool / 2)
			w_add(&w);
		else if (r < 9)
			w_del(&w);
		else if (r < 20)
			w_upd(&w);
		else if (r < 55)
			w_count_change(&w);
		else if (r == 55)
			/* rebuilt from the list as it stands */
			cr_assert_eq(service_set_scheduler(&w.svc, w_below(&w, 2) ?
				sched : conn_scheds[w_below(&w, 7)]), 0);
		else if (r == 56)
			cr_assert_eq(service_set_scheduler(&w.svc, sched), 0);
		else
			w_check(&w, sched, seed, step);
	}
	service_destroy(&w.svc);
	free(w.pool);
	free(w.in);
}

/*
 * Small lists for many ties and empty states, larger for deeper trees,
 * large numbers for the arithmetic.
 */
#define DIFFERENTIAL(name)						\
	Test(sched_conn, name##_matches_kernel_loop)			\
	{								\
		differential(#name, 1, 10, false, 100000);		\
		differential(#name, 2, 40, false, 200000);		\
		differential(#name, 3, 300, false, 100000);		\
		differential(#name, 4, 40, true, 100000);		\
	}

DIFFERENTIAL(lc)
DIFFERENTIAL(wlc)
DIFFERENTIAL(sed)
DIFFERENTIAL(nq)
DIFFERENTIAL(fo)
DIFFERENTIAL(ovf)
DIFFERENTIAL(twos)
