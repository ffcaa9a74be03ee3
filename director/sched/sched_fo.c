// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Weighted failover (IPVS ip_vs_fo.c): the available destination with the
 * highest weight, the first in list order on a tie.  Connection counts play
 * no part, so there is no conn_changed.  Cost 1 / weight: smallest first.
 */
#include "sched_heap.h"

static bool fo_key(const struct dest *d, uint32_t *num, uint32_t *den)
{
	*num = 1;
	*den = d->weight;
	return dest_available(d);
}

static int fo_init(struct service *svc)
{
	return sched_heap_attach(svc, fo_key);
}

const struct sched_ops sched_fo = {
	.init_service = fo_init,
	.done_service = sched_heap_done,
	.add_dest = sched_heap_add,
	.del_dest = sched_heap_del,
	.upd_dest = sched_heap_sync,
	.schedule = sched_heap_schedule,
};
