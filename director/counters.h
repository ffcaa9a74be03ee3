/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_COUNTERS_H
#define NFLVS_COUNTERS_H

/*
 * The director's own packet counters (metrics.c shows them): written by
 * the queue workers with relaxed atomics, read by anyone.
 */

#include <stdint.h>

struct dir_counters {
	uint64_t malformed;	/* dropped: could not parse */
	uint64_t noservice;	/* accepted untouched: no such service */
	uint64_t noavail;	/* dropped: no destination available */
	uint64_t scheduled;
	uint64_t nosyn;		/* dropped: TCP packet of no connection, not a
				 * SYN, and the service not consistent */
	uint64_t adopted;	/* scheduled: TCP packet of no connection, not
				 * a SYN (begun on another director) */
	uint64_t tun_errors;	/* TUN: encapsulated packets not sent */
	uint64_t tun_toobig;	/* TUN: ICMP too-big answers sent */
	uint64_t standby;	/* dropped: a backup (or faulty) director
				 * schedules nothing (ha.h) */
};

static inline void counter_inc(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static inline uint64_t counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
