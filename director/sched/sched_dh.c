// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Destination hashing, as IPVS ip_vs_dh.c: a 256-bucket table filled with
 * the destinations round robin in the canonical order of sched_hash.h
 * (IPVS: its list order), weights ignored; the packet's destination
 * address times 2654435761 picks the bucket, and an unavailable
 * destination there means no server.  Down and draining destinations are
 * left out of the table, which is rebuilt on every list or flag change and
 * never while scheduling; should that fail (no memory for the sort), the
 * old table stays, less a deleted destination.
 */
#include <errno.h>
#include <stdlib.h>

#include "sched_hash.h"
#include "scheduler.h"

#define DH_TAB_BITS	8
#define DH_TAB_SIZE	(1 << DH_TAB_BITS)
#define DH_TAB_MASK	(DH_TAB_SIZE - 1)

struct dh_data {
	struct dest *bucket[DH_TAB_SIZE];
};

static unsigned int dh_hashkey(const struct nflvs_addr *a)
{
	return (sched_addr_fold(a) * SCHED_HASH_GOLDEN) & DH_TAB_MASK;
}

/* ip_vs_dh_reassign(), over the present destinations in canonical order */
static int dh_reassign(struct service *svc)
{
	struct dh_data *s = svc->sched_data;
	unsigned int i, n;
	struct dest **v = sched_hash_order(svc, &n);

	if (!v)
		return -ENOMEM;
	for (i = 0; i < DH_TAB_SIZE; i++)
		s->bucket[i] = n ? v[i % n] : NULL;
	free(v);
	return 0;
}

static int dh_init(struct service *svc)
{
	struct dh_data *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	svc->sched_data = s;
	if (dh_reassign(svc) < 0) {
		free(s);
		svc->sched_data = NULL;
		return -1;
	}
	return 0;
}

static void dh_done(struct service *svc)
{
	free(svc->sched_data);
	svc->sched_data = NULL;
}

static void dh_add_dest(struct service *svc, struct dest *d)
{
	(void)d;
	dh_reassign(svc);
}

static void dh_del_dest(struct service *svc, struct dest *d, int pos)
{
	struct dh_data *s = svc->sched_data;

	(void)pos;
	/* @d is freed after this: a failed rebuild must not leave it */
	if (dh_reassign(svc) < 0)
		sched_hash_forget(s->bucket, DH_TAB_SIZE, d);
}

static void dh_upd_dest(struct service *svc, struct dest *d)
{
	(void)d;
	dh_reassign(svc);
}

static struct dest *dh_schedule(struct service *svc,
				const struct pkt_info *pi, uint64_t now)
{
	const struct dh_data *s = svc->sched_data;
	struct dest *d = s->bucket[dh_hashkey(&pi->daddr)];

	(void)now;
	return d && dest_available(d) ? d : NULL;
}

const struct sched_ops sched_dh = {
	.init_service = dh_init,
	.done_service = dh_done,
	.add_dest = dh_add_dest,
	.del_dest = dh_del_dest,
	.upd_dest = dh_upd_dest,
	.schedule = dh_schedule,
};
