/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CLOCK_H
#define NFLVS_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_SEC	1000000000ull
#define NS_PER_MS	1000000ull

/* CLOCK_MONOTONIC in ns: read by the callers that pass time on. */
static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

#endif
