// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Never queue (IPVS ip_vs_nq.c): the first available destination in list
 * order with no active connection; when every one is busy, the sed choice.
 * Both are one order: idle destinations cost 0 and tie, so list order
 * decides among them, and busy ones cost (activeconns + 1) / weight > 0.
 */
#include "sched_heap.h"

static bool nq_key(const struct dest *d, uint32_t *num, uint32_t *den)
{
	if (d->activeconns == 0) {
		*num = 0;
		*den = 1;
	} else {
		*num = d->activeconns + 1;
		*den = d->weight;
	}
	return dest_available(d);
}

SCHED_HEAP_OPS(nq, nq_key, true);
