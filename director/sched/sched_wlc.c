// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Weighted least connection (IPVS ip_vs_wlc.c), the default: the available
 * destination with the smallest overhead / weight, compared as the kernel
 * does by 64-bit cross-multiplication; on a tie the first in list order.
 */
#include "sched_heap.h"

static bool wlc_key(const struct dest *d, uint32_t *num, uint32_t *den)
{
	*num = dest_overhead(d);
	*den = d->weight;
	return dest_available(d);
}

SCHED_HEAP_OPS(wlc, wlc_key, true);
