// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Least connection (IPVS ip_vs_lc.c): the available destination with the
 * smallest overhead (activeconns << 8) + inactconns.  On a tie the first in
 * list order wins, as the kernel's strict "<" keeps it.
 */
#include "sched_heap.h"

static bool lc_key(const struct dest *d, uint32_t *num, uint32_t *den)
{
	*num = dest_overhead(d);
	*den = 1;
	return dest_available(d);
}

static int lc_init(struct service *svc)
{
	return sched_heap_attach(svc, lc_key);
}

const struct sched_ops sched_lc = {
	.init_service = lc_init,
	.done_service = sched_heap_done,
	.add_dest = sched_heap_add,
	.del_dest = sched_heap_del,
	.upd_dest = sched_heap_sync,
	.conn_changed = sched_heap_sync,
	.schedule = sched_heap_schedule,
};
