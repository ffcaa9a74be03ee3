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

SCHED_HEAP_OPS(lc, lc_key, true);
