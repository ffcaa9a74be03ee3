/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_DR_H
#define NFLVS_DR_H

/*
 * DR forwarding (IPVS's -g), the kernel's side: a packet marked for real
 * server R is routed by a policy rule to a table of R's own holding one
 * route, "default via R onlink", which hands the frame to R's MAC with
 * the VIP still its destination (route.c).  The kernel's flow maps carry
 * each established flow's mark (ruleset.c); they are read back once a
 * second into the director's flow table (flowpath.h), and at a restart
 * the new ruleset takes the old one's flows over, so that established
 * DR connections survive it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowpath.h"
#include "route.h"
#include "ruleset.h"
#include "service.h"
#include "svcset.h"

struct dr {
	const struct ruleset *rs;	/* the director's: table, mask, timeouts */
	struct svcset *set;
	struct flowpath *fp;
	uint32_t route_table;		/* director.route_table: mark index 0 */
	uint32_t route_pref;		/* director.route_pref */
	bool local_moved[2];		/* the local table's rule, v4 and v6 */
	uint32_t local_orig[2];
	bool cleaned;			/* a previous director's routes */
	bool keep;			/* -k: leave routes for the next start */
	uint64_t next_check;		/* monotonic ns */
};

void dr_init(struct dr *dr, const struct ruleset *rs, struct svcset *set,
	     struct flowpath *fp, uint32_t route_table, uint32_t route_pref);

/* Before a DR real server is added: on a link (route @ri), its routing
 * table free?  0, or -errno with @err saying why. */
int dr_check(const struct dr *dr, const struct dest *dst,
	     const struct route_info *ri, char *err, size_t errlen);
/* Its route and rule (and, the first time, the local table's rule moved
 * after ours): 0 or -errno. */
int dr_dest_up(struct dr *dr, struct dest *dst);
/* The same toward the next hop @via on @oif, the route's MTU @mtu (0:
 * the device's): a TUN real server encapsulated in the kernel. */
int dr_route_up(struct dr *dr, struct dest *dst, const struct nflvs_addr *via,
		int oif, uint32_t mtu);
/* Its route's MTU is now @mtu (the device @oif's): 0 or -errno. */
int dr_route_mtu(struct dr *dr, struct dest *dst, int oif, uint32_t mtu);
/* Its route and rule go (unless -k). */
void dr_dest_down(struct dr *dr, struct dest *dst);
/* Once, after the first configuration: what a director before us left
 * in the routing tables and we do not use goes. */
void dr_cleanup(struct dr *dr);
/* Stop: the local table's rule back where it was. */
void dr_stop(struct dr *dr);

/* Once a second: the flows whose elements may have timed out are looked
 * up in the kernel's maps; those it no longer has end. */
void dr_tick(struct dr *dr, uint64_t now_ns);
/* @rf goes from the kernel's maps now (any thread). */
void dr_forget(struct dr *dr, const struct rs_flow *rf);
/* expire_connections: @dst's flows go now, from the maps too. */
void dr_expire_dest(struct dr *dr, struct dest *dst);

/*
 * A restart: the flows of the table a director before us left, their
 * marks rewritten to the real servers of the new configuration with the
 * same address (those without one are left behind).  *@v is malloc'd.
 * The caller puts them into its first ruleset, then dr_adopt()s them.
 */
int dr_restore(struct dr *dr, struct rs_flow **v, unsigned int *n);
void dr_adopt(struct dr *dr, const struct rs_flow *v, unsigned int n,
	      uint64_t now_ns);
/*
 * The pure part of dr_restore(): rewrite @f's mark, given the address
 * each old mark index stood for (@old, @nold entries).  False when no DR
 * real server of a DR service for @f's VIP has that address now.
 */
bool dr_remap(const struct svcset *set, const struct nflvs_addr *old,
	      uint32_t nold, struct rs_flow *f);

#endif
