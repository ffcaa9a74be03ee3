// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lblcr against a model of ip_vs_lblcr.c written out below as the kernel
 * writes it: sets as lists with the newest member first, scanned on every
 * decision, and the kernel's loops over the list for the whole-list pick
 * and the overload test.  Long runs of random operations, the same ones
 * on the scheduler and on the model: decisions for a few destination
 * addresses, counts changed through service_conns_changed() (so that
 * thresholds set and clear the overload flag), weights, flags, servers
 * deleted and added again, lost sched_pos, gc with time moving by
 * milliseconds to days.  Every decision must pick the same server.
 *
 * One documented difference is modelled as nflvs does it: a deleted
 * server leaves every set at once (sched_lblcr.c), which the kernel does
 * only when the sets are rebuilt.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sched_loctab.h"
#include "scheduler.h"

#define SEC	1000000000ull
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)

#define MAXD	256
#define MAXA	64

/* ---- the kernel's lblcr, over the same struct dest ---------------------- */

struct ref_entry {
	bool used;
	uint32_t daddr;
	uint64_t lastuse, lastmod;
	int n;
	struct dest *set[MAXD];		/* set[0] added last: list_add_rcu */
};

struct ref {
	struct ref_entry e[MAXA];
	bool started;
	uint64_t next_check;
	unsigned int counter;
	/* what the run went through, to check that it covers the cases */
	int max_set;
	unsigned int drops, expired;
};

/* IPVS unlinks down and deleted servers; we keep them flagged. */
static bool k_listed(const struct dest *d)
{
	return dest_present(d);
}

static int k_overhead(const struct dest *d)
{
	return (d->activeconns << 8) + d->inactconns;
}

/* ip_vs_dest_set_min() */
static struct dest *ref_set_min(const struct ref_entry *en)
{
	struct dest *least, *d;
	int i, loh, doh;

	for (i = 0; i < en->n; i++) {
		least = en->set[i];
		if (least->flags & DEST_F_OVERLOAD)
			continue;
		if (least->weight > 0 && k_listed(least)) {
			loh = k_overhead(least);
			goto nextstage;
		}
	}
	return NULL;
nextstage:
	for (i++; i < en->n; i++) {
		d = en->set[i];
		if (d->flags & DEST_F_OVERLOAD)
			continue;
		doh = k_overhead(d);
		if ((int64_t)loh * d->weight > (int64_t)doh * least->weight &&
		    k_listed(d)) {
			least = d;
			loh = doh;
		}
	}
	return least;
}

/* ip_vs_dest_set_max() */
static struct dest *ref_set_max(const struct ref_entry *en)
{
	struct dest *most, *d;
	int i, moh, doh;

	for (i = 0; i < en->n; i++) {
		most = en->set[i];
		if (most->weight > 0) {
			moh = k_overhead(most);
			goto nextstage;
		}
	}
	return NULL;
nextstage:
	for (i++; i < en->n; i++) {
		d = en->set[i];
		doh = k_overhead(d);
		if ((int64_t)moh * d->weight < (int64_t)doh * most->weight &&
		    d->weight > 0) {
			most = d;
			moh = doh;
		}
	}
	return most;
}

static bool ref_set_has(const struct ref_entry *en, const struct dest *d)
{
	int i;

	for (i = 0; i < en->n; i++)
		if (en->set[i] == d)
			return true;
	return false;
}

static void ref_set_insert(struct ref *r, struct ref_entry *en,
			   struct dest *d, uint64_t now)
{
	if (ref_set_has(en, d))
		return;
	memmove(en->set + 1, en->set, en->n * sizeof(*en->set));
	en->set[0] = d;
	en->n++;
	en->lastmod = now;
	if (en->n > r->max_set)
		r->max_set = en->n;
}

/* without the lastmod update of ip_vs_dest_set_erase() when @now is 0 */
static void ref_set_erase(struct ref_entry *en, const struct dest *d,
			  uint64_t now)
{
	int i;

	for (i = 0; i < en->n; i++)
		if (en->set[i] == d) {
			en->n--;
			memmove(en->set + i, en->set + i + 1,
				(en->n - i) * sizeof(*en->set));
			if (now)
				en->lastmod = now;
			return;
		}
}

/* __ip_vs_lblcr_schedule() */
static struct dest *ref_wlc(const struct service *svc)
{
	struct dest *least = NULL, *d;
	unsigned int i;
	int loh = 0, doh;

	for (i = 0; i < svc->ndests; i++) {
		d = svc->dests[i];
		if (!k_listed(d) || (d->flags & DEST_F_OVERLOAD))
			continue;
		if (!least) {
			if (d->weight > 0) {
				least = d;
				loh = k_overhead(d);
			}
			continue;
		}
		doh = k_overhead(d);
		if ((int64_t)loh * d->weight > (int64_t)doh * least->weight) {
			least = d;
			loh = doh;
		}
	}
	return least;
}

/* is_overloaded() */
static bool ref_overloaded(const struct dest *dest, const struct service *svc)
{
	unsigned int i;

	if ((int)dest->activeconns > dest->weight) {
		for (i = 0; i < svc->ndests; i++) {
			const struct dest *d = svc->dests[i];

			if (k_listed(d) && (int)d->activeconns * 2 < d->weight)
				return true;
		}
	}
	return false;
}

static struct ref_entry *ref_get(struct ref *r, uint32_t daddr)
{
	int i;

	for (i = 0; i < MAXA; i++)
		if (r->e[i].used && r->e[i].daddr == daddr)
			return &r->e[i];
	return NULL;
}

/* ip_vs_lblcr_schedule() */
static struct dest *ref_schedule(struct ref *r, const struct service *svc,
				 uint32_t daddr, uint64_t now)
{
	struct ref_entry *en = ref_get(r, daddr);
	struct dest *dest, *m;
	int i;

	if (en) {
		en->lastuse = now;
		dest = ref_set_min(en);
		if (en->n > 1 && now > en->lastmod + LOCTAB_EXPIRATION_NS) {
			m = ref_set_max(en);
			if (m) {
				ref_set_erase(en, m, now);
				r->drops++;
			}
		}
		if (dest && !ref_overloaded(dest, svc))
			return dest;
		dest = ref_wlc(svc);
		if (dest)
			ref_set_insert(r, en, dest, now);
		return dest;
	}
	dest = ref_wlc(svc);
	if (!dest)
		return NULL;
	for (i = 0; r->e[i].used; i++)
		;
	en = &r->e[i];
	memset(en, 0, sizeof(*en));
	en->used = true;
	en->daddr = daddr;
	en->lastuse = now;
	ref_set_insert(r, en, dest, now);
	return dest;
}

/* ip_vs_lblcr_check_expire() on the 60 s timer, as loctab_gc() runs it */
static void ref_gc(struct ref *r, uint64_t now)
{
	int i;

	if (!r->started) {
		r->started = true;
		r->next_check = now + LOCTAB_CHECK_INTERVAL_NS;
		return;
	}
	if (now < r->next_check)
		return;
	r->next_check = now + LOCTAB_CHECK_INTERVAL_NS;
	if (r->counter % LOCTAB_FULL_CHECK_EVERY) {
		r->counter++;		/* never over 16 x 1024 entries here */
		return;
	}
	for (i = 0; i < MAXA; i++)
		if (r->e[i].used &&
		    now >= r->e[i].lastuse + LOCTAB_EXPIRATION_NS) {
			r->e[i].used = false;
			r->expired++;
		}
	r->counter = 1;
}

/* ---- the run ------------------------------------------------------------ */

struct run {
	struct service svc;
	struct dest d[MAXD];
	bool listed[MAXD];
	struct ref ref;
	int n, naddr;
	unsigned int long_jumps;	/* in 1,000 ticks: up to 30 h */
	uint64_t s, now;
};

static uint32_t rnd(struct run *t)
{
	t->s ^= t->s >> 12;
	t->s ^= t->s << 25;
	t->s ^= t->s >> 27;
	return (t->s * 2685821657736338717ull) >> 32;
}

static uint32_t daddr(int a)
{
	return 0xcb007100u + a;
}

static void run_init(struct run *t, int n, int naddr, unsigned int jumps,
		     uint64_t seed)
{
	int i;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->naddr = naddr;
	t->long_jumps = jumps;
	t->s = seed;
	t->ref.counter = 1;
	cr_assert_eq(service_init(&t->svc, "lblcr"), 0);
	for (i = 0; i < n; i++) {
		t->d[i].addr.family = AF_INET;
		t->d[i].addr.v4.s_addr = htonl(0x0a000001 + i);
		t->d[i].port = 80;
		t->d[i].weight = t->d[i].conf_weight = 1 + rnd(t) % 4;
		cr_assert_eq(service_add_dest(&t->svc, &t->d[i]), 0);
		t->listed[i] = true;
	}
}

static void decide(struct run *t, int a, unsigned int step)
{
	struct pkt_info pi;
	struct dest *got, *want;

	memset(&pi, 0, sizeof(pi));
	pi.family = AF_INET;
	pi.l4proto = IPPROTO_TCP;
	pi.saddr.family = pi.daddr.family = AF_INET;
	pi.saddr.v4.s_addr = htonl(0x0a630001);
	pi.daddr.v4.s_addr = htonl(daddr(a));
	pi.sport = 1024 + step % 60000;
	pi.dport = 80;
	got = t->svc.sched->schedule(&t->svc, &pi, t->now);
	want = ref_schedule(&t->ref, &t->svc, daddr(a), t->now);
	cr_assert_eq(got, want, "step %u: address %d got %d want %d", step, a,
		     got ? (int)(got - t->d) : -1,
		     want ? (int)(want - t->d) : -1);
	/* the new connection, as the director counts it */
	if (got) {
		got->inactconns++;
		service_conns_changed(&t->svc, got);
	}
}

static void del_or_add(struct run *t, int i)
{
	int a;

	if (t->listed[i]) {
		service_del_dest(&t->svc, &t->d[i]);
		for (a = 0; a < MAXA; a++)
			if (t->ref.e[a].used)
				ref_set_erase(&t->ref.e[a], &t->d[i], 0);
	} else {
		t->d[i].flags = 0;
		cr_assert_eq(service_add_dest(&t->svc, &t->d[i]), 0);
	}
	t->listed[i] = !t->listed[i];
}

static void tick(struct run *t)
{
	uint32_t r = rnd(t) % 1000;

	if (r < t->long_jumps)
		t->now += (uint64_t)rnd(t) % (30 * HOUR / SEC) * SEC;
	else if (r < 700)
		t->now += rnd(t) % SEC;
	else
		t->now += rnd(t) % (10 * MIN);
	if (rnd(t) % 2) {
		t->svc.sched->gc(&t->svc, t->now);
		ref_gc(&t->ref, t->now);
	}
}

/* One random change to a server, as the director would make it. */
static void change(struct run *t)
{
	uint32_t r = rnd(t);
	int i = r % t->n;
	struct dest *d = &t->d[i];

	switch ((r >> 8) % 16) {
	case 0:
		d->weight = (r >> 12) % 6;
		service_upd_dest(&t->svc, d);
		break;
	case 1:
		d->flags ^= DEST_F_DOWN;
		service_upd_dest(&t->svc, d);
		break;
	case 2:
		d->u_threshold = (r >> 12) % 3 ? 0 : 2 + (r >> 14) % 8;
		d->l_threshold = (r >> 16) % 2 ? 0 : d->u_threshold / 2;
		service_conns_changed(&t->svc, d);
		break;
	case 3:
		/* another scheduler's leftovers: found again by a search */
		d->sched_pos = (r >> 12) % 3 ? -1 : (int)((r >> 14) % t->n);
		break;
	case 4:
		if ((r >> 12) % 8 == 0)
			del_or_add(t, i);
		break;
	case 5: case 6: case 7:
		d->activeconns = (r >> 12) % 7;
		service_conns_changed(&t->svc, d);
		break;
	default:
		/* a connection ends, or one becomes established */
		if ((r >> 12) % 2 && d->inactconns) {
			d->inactconns--;
			d->activeconns++;
		} else if (d->activeconns) {
			d->activeconns--;
		} else if (d->inactconns) {
			d->inactconns--;
		}
		service_conns_changed(&t->svc, d);
	}
}

static void run_steps(struct run *t, unsigned int steps)
{
	unsigned int k;

	for (k = 0; k < steps; k++) {
		uint32_t r = rnd(t) % 8;

		if (r < 3)
			decide(t, rnd(t) % t->naddr, k);
		else if (r < 7)
			change(t);
		else
			tick(t);
	}
}

static void run_fini(struct run *t)
{
	int i;

	/* deleted ones are not in the list any more: add them back to free */
	for (i = 0; i < t->n; i++)
		if (!t->listed[i])
			del_or_add(t, i);
	service_destroy(&t->svc);
}

struct shape {
	int n, naddr;
	unsigned int long_jumps, steps;
	uint64_t seed;
};

/*
 * Few servers for small sets; more servers and few addresses for sets that
 * grow past LBLCR_SMALL (8) into heaps of their own.
 */
Test(sched_lblcr, matches_the_kernel)
{
	static const struct shape c[] = {
		{ 5, 3, 30, 200000, 1 },
		{ 24, 4, 10, 200000, 2 },
		{ 60, 3, 1, 200000, 3 },
		{ 200, 6, 1, 100000, 4 },
		{ 200, 40, 2, 100000, 5 },
		{ 200, 2, 0, 200000, 6 },
		{ 100, 1, 0, 200000, 8 },
	};
	int max_set = 0;
	unsigned int k, drops = 0, expired = 0;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct run *t = malloc(sizeof(*t));

		cr_assert_not_null(t);
		run_init(t, c[k].n, c[k].naddr, c[k].long_jumps, c[k].seed);
		run_steps(t, c[k].steps);
		if (t->ref.max_set > max_set)
			max_set = t->ref.max_set;
		drops += t->ref.drops;
		expired += t->ref.expired;
		run_fini(t);
		free(t);
	}
	cr_expect_gt(max_set, 16, "sets of %d at most", max_set);
	cr_expect_gt(drops, 10, "%u drops", drops);
	cr_expect_gt(expired, 10, "%u entries expired", expired);
}

/*
 * One set of every server: in constant use with a few count changes
 * between decisions, as with the director's accounting, it keeps a heap
 * that replays them; then used once in a while, between bursts of changes
 * long enough to wrap the queue's log, it is scanned, and its heap
 * rebuilt when it is busy again.
 */
Test(sched_lblcr, big_set_busy_then_idle)
{
	struct run *t = malloc(sizeof(*t));
	unsigned int k, j;

	cr_assert_not_null(t);
	run_init(t, 120, 1, 0, 7);
	/* every server joins: each pick is made over its weight at once */
	for (k = 0; k < 400 && t->ref.max_set < t->n; k++) {
		decide(t, 0, k);
		for (j = 0; j < (unsigned int)t->n; j++) {
			t->d[j].activeconns = t->d[j].weight + 1;
			service_conns_changed(&t->svc, &t->d[j]);
		}
		/* one light server, so that the members count as overloaded */
		t->d[k % t->n].activeconns = 0;
		service_conns_changed(&t->svc, &t->d[k % t->n]);
	}
	cr_assert_gt(t->ref.max_set, 100, "set of %d", t->ref.max_set);
	for (k = 0; k < 20000; k++) {
		struct dest *d = &t->d[rnd(t) % t->n];

		decide(t, 0, k);
		/* a connection ends, another is established */
		if (d->activeconns)
			d->activeconns--;
		else if (d->inactconns)
			d->inactconns--;
		service_conns_changed(&t->svc, d);
		d = &t->d[rnd(t) % t->n];
		if (d->inactconns) {
			d->inactconns--;
			d->activeconns++;
			service_conns_changed(&t->svc, d);
		}
	}
	for (k = 0; k < 60; k++) {
		unsigned int burst = k % 3 == 0 ? 12000 : rnd(t) % 300;
		unsigned int first = rnd(t) % (t->n - 4);

		/* four servers lose their connections first... */
		for (j = first; j < first + 4; j++) {
			t->d[j].activeconns = t->d[j].inactconns = 0;
			service_conns_changed(&t->svc, &t->d[j]);
		}
		/* ...then the others change, maybe past the log's length */
		for (j = 0; j < burst; j++) {
			unsigned int i = rnd(t) % t->n;

			if (i >= first && i < first + 4)
				continue;
			t->d[i].activeconns = 1 + rnd(t) % 9;
			t->d[i].inactconns = rnd(t) % 5;
			service_conns_changed(&t->svc, &t->d[i]);
		}
		decide(t, 0, k);
	}
	run_fini(t);
	free(t);
}
