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

SCHED_HEAP_OPS(ovf, ovf_key, true);
