// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Locality-based least-connection with replication, as IPVS
 * ip_vs_lblcr.c: a set of servers per destination address.
 *
 *   pick the weighted least-connection available member of the set;
 *   if the set has more than one member and has not changed for the
 *     expiration (24 h), drop its weighted most-connection member;
 *   if there was no pick, or it is overloaded in lblc's sense
 *     (activeconns > weight while some server has activeconns * 2 <
 *     weight), take the weighted least-connection server of the whole
 *     list instead and add it to the set.
 *
 * Sets are small and scanned as the kernel scans them; the whole-list pick
 * and the overload test come from an ordered queue (sched_wlcq.h), and the
 * table and its expiry are the kernel's (sched_loctab.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sched_loctab.h"
#include "sched_wlcq.h"
#include "scheduler.h"

#define LBLCR_SET_INLINE	2

struct lblcr_entry {
	struct loc_entry le;		/* first */
	uint64_t lastmod;		/* now_ns of the last set change */
	unsigned int n, cap;
	struct dest **set;		/* set[n - 1] added last */
	struct dest *inl[LBLCR_SET_INLINE];	/* the set while small */
};

struct lblcr_data {
	struct loc_table tab;
	struct wlcq q;
};

static void lblcr_free_entry(struct loc_entry *e)
{
	struct lblcr_entry *en = (struct lblcr_entry *)e;

	if (en->set != en->inl)
		free(en->set);
	free(en);
}

/* Room for one more member; false without memory. */
static bool lblcr_set_room(struct lblcr_entry *en)
{
	unsigned int cap = en->cap * 2;
	struct dest **set;

	if (en->n < en->cap)
		return true;
	if (en->set == en->inl) {
		set = malloc(cap * sizeof(*set));
		if (set)
			memcpy(set, en->inl, sizeof(en->inl));
	} else {
		set = realloc(en->set, cap * sizeof(*set));
	}
	if (!set)
		return false;
	en->set = set;
	en->cap = cap;
	return true;
}

/* ip_vs_dest_set_insert(..., check = true) */
static void lblcr_set_insert(struct lblcr_entry *en, struct dest *d,
			     uint64_t now)
{
	unsigned int i;

	for (i = 0; i < en->n; i++)
		if (en->set[i] == d)
			return;
	if (!lblcr_set_room(en))
		return;
	en->set[en->n++] = d;
	en->lastmod = now;
}

static void lblcr_set_remove(struct lblcr_entry *en, unsigned int i)
{
	memmove(en->set + i, en->set + i + 1,
		(en->n - i - 1) * sizeof(*en->set));
	en->n--;
}

/* ip_vs_dest_set_min(): walked from the member added last, as the kernel */
static struct dest *lblcr_set_min(const struct lblcr_entry *en)
{
	struct dest *least = NULL, *d;
	unsigned int i;

	for (i = en->n; i-- > 0;) {
		d = en->set[i];
		if (!dest_available(d))
			continue;
		if (!least || wlcq_lighter(d, least))
			least = d;
	}
	return least;
}

/*
 * ip_vs_dest_set_max(): the kernel asks only for weight > 0 here, so a
 * member that is down or overloaded can be the one dropped.
 */
static int lblcr_set_max(const struct lblcr_entry *en)
{
	const struct dest *most = NULL, *d;
	int i, m = -1;

	for (i = en->n - 1; i >= 0; i--) {
		d = en->set[i];
		if (d->weight <= 0)
			continue;
		if (!most || wlcq_lighter(most, d)) {
			most = d;
			m = i;
		}
	}
	return m;
}

static int lblcr_init(struct service *svc)
{
	struct lblcr_data *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	if (loctab_init(&l->tab, lblcr_free_entry) < 0) {
		free(l);
		return -1;
	}
	wlcq_init(&l->q, svc);
	svc->sched_data = l;
	return 0;
}

static void lblcr_done(struct service *svc)
{
	struct lblcr_data *l = svc->sched_data;

	loctab_destroy(&l->tab);
	wlcq_free(&l->q);
	free(l);
	svc->sched_data = NULL;
}

static void lblcr_add_dest(struct service *svc, struct dest *d)
{
	struct lblcr_data *l = svc->sched_data;

	wlcq_add(&l->q, d);
}

static void lblcr_forget(struct loc_entry *e, void *d)
{
	struct lblcr_entry *en = (struct lblcr_entry *)e;
	unsigned int i;

	for (i = 0; i < en->n; i++)
		if (en->set[i] == d) {
			lblcr_set_remove(en, i);
			return;
		}
}

/*
 * @d is freed after this, so it leaves every set now.  The kernel keeps a
 * deleted server in the sets (never picked, maybe dropped as the maximum)
 * until they are rebuilt; leaving early does not count as a set change.
 */
static void lblcr_del_dest(struct service *svc, struct dest *d, int pos)
{
	struct lblcr_data *l = svc->sched_data;

	(void)pos;
	wlcq_del(&l->q, d);
	loctab_walk(&l->tab, lblcr_forget, d);
}

static void lblcr_upd_dest(struct service *svc, struct dest *d)
{
	struct lblcr_data *l = svc->sched_data;

	wlcq_update(&l->q, d);
}

static void lblcr_gc(struct service *svc, uint64_t now)
{
	struct lblcr_data *l = svc->sched_data;

	loctab_gc(&l->tab, now);
}

static struct dest *lblcr_new(struct lblcr_data *l,
			      const struct nflvs_addr *daddr, struct dest *d,
			      uint64_t now)
{
	struct lblcr_entry *en = calloc(1, sizeof(*en));

	/* without memory for an entry, the pick still stands */
	if (!en)
		return d;
	en->set = en->inl;
	en->cap = LBLCR_SET_INLINE;
	en->le.addr = *daddr;
	en->le.lastuse = now;
	lblcr_set_insert(en, d, now);
	loctab_add(&l->tab, &en->le);
	return d;
}

static struct dest *lblcr_schedule(struct service *svc,
				   const struct pkt_info *pi, uint64_t now)
{
	struct lblcr_data *l = svc->sched_data;
	struct lblcr_entry *en;
	struct dest *d;
	int m;

	en = (struct lblcr_entry *)loctab_get(&l->tab, &pi->daddr);
	if (!en) {
		d = wlcq_min(&l->q, svc);
		return d ? lblcr_new(l, &pi->daddr, d, now) : NULL;
	}
	en->le.lastuse = now;
	d = lblcr_set_min(en);
	if (en->n > 1 && now > en->lastmod + l->tab.expiration) {
		m = lblcr_set_max(en);
		if (m >= 0) {
			lblcr_set_remove(en, m);
			en->lastmod = now;
		}
	}
	if (d && !wlcq_overloaded(&l->q, svc, d))
		return d;
	d = wlcq_min(&l->q, svc);
	if (d)
		lblcr_set_insert(en, d, now);
	return d;
}

const struct sched_ops sched_lblcr = {
	.name = "lblcr",
	.init_service = lblcr_init,
	.done_service = lblcr_done,
	.add_dest = lblcr_add_dest,
	.del_dest = lblcr_del_dest,
	.upd_dest = lblcr_upd_dest,
	.conn_changed = lblcr_upd_dest,
	.gc = lblcr_gc,
	.schedule = lblcr_schedule,
};
