/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HEALTH_H
#define NFLVS_HEALTH_H

/*
 * The director's side of health checking.  The checker (nflvs-healthcheck)
 * publishes each real server's state and effective weight in the health
 * half of its shared-memory record and bumps header.health_generation;
 * the director polls that counter every few milliseconds and applies what
 * changed:
 *
 *   DOWN, on_failure "remove"   no longer scheduled (as if deleted)
 *   DOWN, on_failure "quiesce"  weight 0: existing connections continue
 *   up (or never checked)       the checker's weight, else the configured
 *
 * plus expire_connections (a server going down has its connections
 * removed, so its clients reconnect at once), notify_up / notify_down,
 * and quorum: below `quorum` live weight a service with a sorry server
 * sends its new connections there.
 *
 * health_judge() is the rule, a pure function from a record to the change
 * it makes; the rest carries the change out.
 */

#include <stdbool.h>
#include <stdint.h>

#include "service.h"
#include "shm_map.h"
#include "svcset.h"

/* What a health record means for one real server. */
struct health_change {
	int weight;		/* effective weight from now on */
	uint32_t flags;		/* dest flags from now on (DEST_F_DOWN) */
	bool changed;		/* weight or flags differ: reschedule */
	bool transition;	/* the state differs from the last applied */
	bool expire;		/* went down, connections to expire */
	char **notify;		/* notify_up/notify_down argv to run, or NULL */
};

void health_judge(const struct dest *dst, const shm_rs_health_t *h,
		  struct health_change *c);

struct health {
	struct shm_map *shm;
	struct svcset *set;
	uint64_t gen;		/* header.health_generation last applied */
	/* expire_connections: @dst went down, its connections go now */
	void (*expire)(void *ctx, struct dest *dst);
	void *ctx;
};

/*
 * Cheap when nothing changed: one atomic load.  Main thread.  True when a
 * server's weight or state moved.  The caller publishes the servers then,
 * once everything that schedules by them has it: the queue's threads at
 * once, a kernel-scheduled service's chain after its commit (ksched.h).
 * A tool that sees a server down in the shared memory sees it applied.
 */
bool health_poll(struct health *h);
/* Re-derive one server's scheduling state (after a config change too);
 * true when its weight or state moved (not yet published). */
bool health_apply_dest(struct health *h, struct service *svc,
		       struct dest *dst);
/* Recompute the service's quorum state; under the service lock. */
void health_quorum(struct service *svc);

#endif
