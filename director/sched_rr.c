// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Round robin (IPVS ip_vs_rr.c): the next available destination after the
 * last one used, in list order, wrapping once.  Like the kernel's list
 * pointer, the position follows its destination when others are inserted
 * at the head, and moves to the predecessor when that destination is
 * deleted.
 */
#include <stdlib.h>

#include "scheduler.h"

struct rr_data {
	int last;		/* index of the last used, -1 = list head */
};

static int rr_init(struct service *svc)
{
	struct rr_data *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->last = -1;
	svc->sched_data = r;
	return 0;
}

static void rr_done(struct service *svc)
{
	free(svc->sched_data);
	svc->sched_data = NULL;
}

static void rr_add_dest(struct service *svc, struct dest *d)
{
	struct rr_data *r = svc->sched_data;

	(void)d;
	if (r->last >= 0)
		r->last++;
}

static void rr_del_dest(struct service *svc, struct dest *d, int pos)
{
	struct rr_data *r = svc->sched_data;

	(void)d;
	if (pos <= r->last)
		r->last--;
}

static struct dest *rr_schedule(struct service *svc,
				const struct pkt_info *pi, uint64_t now)
{
	struct rr_data *r = svc->sched_data;
	int n = svc->ndests, i, k;

	(void)pi;
	(void)now;
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

const struct sched_ops sched_rr = {
	.name = "rr",
	.init_service = rr_init,
	.done_service = rr_done,
	.add_dest = rr_add_dest,
	.del_dest = rr_del_dest,
	.schedule = rr_schedule,
};
