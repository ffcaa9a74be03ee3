// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Locality-based least-connection, as IPVS ip_vs_lblc.c: a table from the
 * packet's destination address to a server.  The cached server is kept
 * while it is in the list, has weight > 0 and is not overloaded in lblc's
 * sense (activeconns > weight while some server has activeconns * 2 <
 * weight); like the kernel, lblc does not look at the threshold flag of a
 * cached server.  Otherwise the weighted least-connection server over the
 * whole list replaces it.  Entries expire by the kernel's rules
 * (sched_loctab.h) from the gc callback.
 *
 * The kernel scans the list for both the overload test and the wlc pick;
 * here the overload test is O(1) from a count kept by the callbacks and
 * the pick reads a heap that catches up with the changes since it was last
 * read (sched_wlcq.h), so a decision is one hash lookup and a few sifts.
 */
#include <stdlib.h>

#include "sched_lbl.h"

struct lblc_entry {
	struct loc_entry le;		/* first */
	struct dest *dest;		/* NULL once deleted from the list */
};

static void lblc_free_entry(struct loc_entry *e)
{
	free(e);
}

static int lblc_init(struct service *svc)
{
	struct lbl *l = calloc(1, sizeof(*l));

	return l ? lbl_attach(svc, l, lblc_free_entry) : -1;
}

static void lblc_forget(struct loc_entry *e, void *d)
{
	struct lblc_entry *en = (struct lblc_entry *)e;

	if (en->dest == d)
		en->dest = NULL;
}

/*
 * @d is freed after this.  The kernel keeps a deleted server (in its
 * trash) until the entry is rescheduled; an entry without a server is
 * rescheduled the same way.
 */
static void lblc_del_dest(struct service *svc, struct dest *d, int pos)
{
	struct lbl *l = svc->sched_data;

	(void)pos;
	wlcq_del(&l->q, d);
	loctab_walk(&l->tab, lblc_forget, d);
}

static bool lblc_keep(const struct lbl *l, const struct service *svc,
		      const struct dest *d)
{
	return d && dest_present(d) && d->weight > 0 &&
	       !wlcq_overloaded(&l->q, svc, d);
}

static struct dest *lblc_schedule(struct service *svc,
				  const struct pkt_info *pi, uint64_t now)
{
	struct lbl *l = svc->sched_data;
	struct lblc_entry *en;
	struct dest *d;

	en = (struct lblc_entry *)loctab_get(&l->tab, &pi->daddr);
	if (en) {
		en->le.lastuse = now;
		if (lblc_keep(l, svc, en->dest))
			return en->dest;
	}
	d = wlcq_min(&l->q, svc);
	if (!d)
		return NULL;
	if (en) {
		en->dest = d;
		return d;
	}
	/* without memory for an entry, the pick still stands */
	en = malloc(sizeof(*en));
	if (en) {
		en->le.addr = pi->daddr;
		en->le.lastuse = now;
		en->dest = d;
		loctab_add(&l->tab, &en->le);
	}
	return d;
}

const struct sched_ops sched_lblc = {
	.init_service = lblc_init,
	.done_service = lbl_done,
	.add_dest = lbl_add_dest,
	.del_dest = lblc_del_dest,
	.upd_dest = lbl_upd_dest,
	.conn_changed = lbl_upd_dest,
	.gc = lbl_gc,
	.schedule = lblc_schedule,
};
