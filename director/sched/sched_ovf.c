// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Overflow (IPVS ip_vs_ovf.c): the destination with the highest weight
 * among the available ones whose active connections do not exceed their
 * weight, the first in list order on a tie; so traffic stays on the
 * heaviest server until it holds more than weight active connections, then
 * overflows to the next.  Cost 1 / weight: smallest first.
 */
#include "sched_heap.h"

static bool ovf_key(const struct dest *d, uint32_t *num, uint32_t *den)
{
	*num = 1;
	*den = d->weight;
	return dest_available(d) && d->activeconns <= (uint32_t)d->weight;
}

static int ovf_init(struct service *svc)
{
	return sched_heap_attach(svc, ovf_key);
}

const struct sched_ops sched_ovf = {
	.init_service = ovf_init,
	.done_service = sched_heap_done,
	.add_dest = sched_heap_add,
	.del_dest = sched_heap_del,
	.upd_dest = sched_heap_sync,
	.conn_changed = sched_heap_sync,
	.schedule = sched_heap_schedule,
};
