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

SCHED_HEAP_OPS(fo, fo_key, false);
