/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_KSCHED_H
#define NFLVS_KSCHED_H

/*
 * Kernel scheduling: the new connections of a service whose scheduler
 * decides by the destinations alone (rr, wrr: sched_ops.cycle) are
 * scheduled by nftables, not through the queue.  The director writes the
 * scheduler's cycle into the service's chain (ruleset.h, rs_ksched):
 *
 *   ct mark set numgen inc mod N map { 0 : rs1, 1 : rs2, ... }
 *
 * for NAT; for DR (and TUN where the kernel encapsulates) the packet mark,
 * which the kernel's flow maps learn (the lvs chain's learning rules, after
 * the jump returns), and the packet is logged
 * to the director (finlog.h), which makes the flow from the log
 * (flowpath_learned()) as it would from its own verdict.
 *
 * and rewrites it when the cycle changes (health, weights, quorum, a
 * configuration change, the HA role).  Everything else stays the
 * director's: a TCP packet other than a SYN (adoption), persistence,
 * thresholds, one-packet services, firewall-mark and any-port services,
 * the other schedulers, and whatever the chain does not take goes on to
 * the queue as before.  The counts come from conntrack as for every NAT
 * connection (ctrack.h), from the log for DR; the connection is counted
 * in Conns when the director hears of it.
 *
 * What the kernel holds is remembered per service as the cycle's length
 * and a hash of its marks (service.ks_n, ks_sig).  Main thread only.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ruleset.h"
#include "service.h"
#include "svcset.h"

#define KSCHED_MAX	256	/* the longest cycle the kernel is given */

struct ksched {
	const struct ruleset *rs;
	bool enabled;		/* director.kernel_schedule */
	bool broken;		/* a commit failed: the queue schedules all
				   until the next whole ruleset */
	unsigned int services;	/* scheduled by the kernel now */
	uint64_t changes;	/* chains written since start */
};

/*
 * The pure part: the marks of the real servers @svc's scheduler gives new
 * connections, one cycle of them, into @marks (KSCHED_MAX); how many, 0
 * when the kernel cannot schedule @svc now.  @dr: DR and TUN services
 * too (the log that tells the director of their flows is bound).  Caller
 * holds svc->lock.
 */
unsigned int ksched_cycle(const struct service *svc, bool dr, uint32_t *marks);

/* Make what the kernel schedules what @set's services need now; with
 * @active false (an HA backup) nothing. */
void ksched_sync(struct ksched *k, struct svcset *set, bool active);
/* The same into @b, which the caller commits (the first ruleset's batch:
 * no connection is queued that the kernel would have scheduled). */
int ksched_build(struct ksched *k, struct svcset *set, bool active,
		 struct nft_batch *b);
/* Before a change of configuration: the queue schedules every new
 * connection until the next ksched_sync(). */
void ksched_suspend(struct ksched *k, struct svcset *set);

#endif
