/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CONNS_H
#define NFLVS_CONNS_H

/*
 * Connection accounting as IPVS counts it, on one service's destinations:
 * a connection is active while TCP (or SCTP) ESTABLISHED, inactive in any
 * other state and for UDP.  The sources of the changes are conntrack
 * (NAT, ctrack.h) and the director's own flows (DR, TUN, flows.h); both
 * report a connection moving from one class to another.  Persistence
 * templates learn of the client's connections here too.
 *
 * IPVS counts a connection as inactive the moment it is scheduled.  So do
 * we (conns_scheduled), and the conntrack event that confirms it takes
 * that count over (conns_seen); a scheduled connection conntrack never
 * confirms (the packet was dropped further on) is uncounted half a second
 * to a second later (conns_tick).
 *
 * Pure: callers hold svc->lock.
 */

#include <stdbool.h>

#include "addr.h"
#include "ctrack.h"
#include "service.h"

/* A connection of @client to @dst moved from class @old to @cls (CT_NONE:
 * none): counts, thresholds and persistence follow. */
void conns_move(struct service *svc, struct dest *dst, enum ct_class old,
		enum ct_class cls, const struct nflvs_addr *client);
/* A new connection was scheduled to @dst (NAT): counted inactive now. */
void conns_scheduled(struct service *svc, struct dest *dst);
/* conntrack's word on a connection of @dst: as conns_move, taking over
 * a count conns_scheduled made (then true). */
bool conns_seen(struct service *svc, struct dest *dst, enum ct_class old,
		enum ct_class cls, const struct nflvs_addr *client);
/* Every half second: scheduled connections never confirmed go. */
void conns_tick(struct service *svc, struct dest *dst);
/* No connection left, counted or pending. */
bool conns_drained(const struct dest *dst);

#endif
