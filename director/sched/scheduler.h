/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHEDULER_H
#define NFLVS_SCHEDULER_H

/*
 * Scheduler interface, shaped like IPVS's struct ip_vs_scheduler.  Each
 * scheduler is one file, director/sched/sched_<name>.c, exporting one
 * `const struct sched_ops sched_<name>`, which sched.c files under its
 * name's value in common/names.h (enum sched_kind).
 *
 * A scheduler sees this interface and, through it, the service (the
 * director's scheduling model), the packet and the address types: the
 * folder is built with its own include path, so nothing else is in
 * reach.
 *
 * All callbacks run with svc->lock held.  schedule() is pure: it reads the
 * service, its destinations and the packet, and time is passed in.
 */

#include <stdint.h>

#include "names.h"
#include "../packet.h"
#include "../service.h"

struct sched_ops {
	int (*init_service)(struct service *svc);	/* may be NULL */
	void (*done_service)(struct service *svc);	/* may be NULL */
	/* @d was inserted at the head of the list */
	void (*add_dest)(struct service *svc, struct dest *d);
	/* @d was unlinked from position @pos */
	void (*del_dest)(struct service *svc, struct dest *d, int pos);
	void (*upd_dest)(struct service *svc, struct dest *d);
	/* Connection counts of @d changed (for schedulers keeping order). */
	void (*conn_changed)(struct service *svc, struct dest *d);
	/* Periodic housekeeping (about once a second), e.g. lblc expiry. */
	void (*gc)(struct service *svc, uint64_t now_ns);
	struct dest *(*schedule)(struct service *svc,
				 const struct pkt_info *pi, uint64_t now_ns);
	/*
	 * When the order in which this scheduler gives destinations new
	 * connections depends on nothing but the destinations (rr, wrr):
	 * one whole cycle of it into @out, from the pick schedule() would
	 * make next; how many (0 when no destination is available or the
	 * cycle is longer than @cap).  The kernel can then run the
	 * scheduler itself (director/ksched.h).  NULL: it cannot.
	 */
	unsigned int (*cycle)(const struct service *svc, struct dest **out,
			      unsigned int cap);
};

/* The scheduler of that name (names.h), or NULL. */
const struct sched_ops *sched_find(const char *name);
/* Every scheduler, by enum sched_kind. */
extern const struct sched_ops *const sched_all[SCHEDULERS];
/* Its name in names.h's list. */
const char *sched_ops_name(const struct sched_ops *ops);

int sched_gcd(int a, int b);

/*
 * The schedulers' randomness: xorshift64* on svc->rand, so that a run is
 * reproducible from its seed (tests set it) and schedule() reads no clock
 * or device.  A zero state, which xorshift would never leave, is replaced
 * by a constant.  sched_rand_seed() gives a zero state a random seed; call
 * it from init_service.
 */
static inline uint64_t sched_rand(struct service *svc)
{
	uint64_t x = svc->rand ? svc->rand : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	svc->rand = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, bound) to within bound / 2^64: a 64 x 64-bit product. */
static inline uint64_t sched_rand_below(struct service *svc, uint64_t bound)
{
	return (uint64_t)(((unsigned __int128)sched_rand(svc) * bound) >> 64);
}

void sched_rand_seed(struct service *svc);

#endif
