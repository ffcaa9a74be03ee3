// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shortest expected delay (IPVS ip_vs_sed.c): like wlc, but the cost is
 * (activeconns + 1) / weight, counting the connection about to be placed;
 * inactive connections do not count.  On a tie the first in list order.
 */
#include "sched_heap.h"

static bool sed_key(const struct dest *d, uint32_t *num, uint32_t *den)
{
	/* unsigned 32-bit like the kernel's: wraps only at 2^32 - 1 */
	*num = d->activeconns + 1;
	*den = d->weight;
	return dest_available(d);
}

SCHED_HEAP_OPS(sed, sed_key, true);
