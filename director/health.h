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
 * plus expire_connections (a server going down has its conntrack entries
 * deleted, so its clients reconnect at once), notify_up / notify_down,
 * and quorum: below `quorum` live weight a service with a sorry server
 * sends its new connections there.
 */

#include "service.h"

struct director;

/* Cheap when nothing changed: one atomic load. */
void health_poll(struct director *d);
/* Re-derive one server's scheduling state (after a config change too). */
void health_apply_dest(struct director *d, struct service *svc,
		       struct dest *dst);
/* Recompute the service's quorum state; under the service lock. */
void health_quorum(struct service *svc);

#endif
