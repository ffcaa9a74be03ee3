/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_ROUTE_H
#define NFLVS_ROUTE_H

/*
 * The routing the DR and TUN forwarding methods need, over rtnetlink.
 *
 * DR: a packet marked for real server R is routed by a policy rule
 * (fwmark M/MASK lookup table T) to a table holding one route, "default
 * via R dev IF onlink", which hands the frame to R's MAC unchanged (the
 * destination stays the VIP).  A VIP local to the director would be
 * delivered locally by the local table's rule at preference 0 before our
 * rules are read, so while DR services run, the local table's rule is
 * moved after them, and moved back when the director stops.
 *
 * TUN: the outer header's source and the path MTU toward a real server
 * come from a route lookup.  Encapsulated in the kernel (tunbpf.h), a TUN
 * flow is routed as a DR one, by its mark, to the next hop toward the
 * real server (the server, or the gateway to it), with the tunnel's room
 * as the route's MTU.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/* What the kernel would use to reach an address. */
struct route_info {
	int oif;			/* output interface */
	struct nflvs_addr src;		/* preferred source */
	uint32_t mtu;			/* path MTU (route's, else the device's) */
	bool onlink;			/* reachable without a gateway */
	struct nflvs_addr gw;		/* else the gateway (family 0: none) */
};

int route_lookup(const struct nflvs_addr *dst, struct route_info *ri);

/* ip rule add/del fwmark @mark/@mask lookup @table pref @pref */
int route_rule(uint8_t family, bool add, uint32_t mark, uint32_t mask,
	       uint32_t table, uint32_t pref);
/* ip route add/del default via @gw dev @oif onlink table @table
 * [mtu lock @mtu] (0: the device's) */
int route_default(bool add, const struct nflvs_addr *gw, int oif,
		  uint32_t table, uint32_t mtu);
/* 1 if @table holds routes or any rule looks it up, 0 if free, -errno. */
int route_table_used(uint8_t family, uint32_t table);
/*
 * The local table's rule: where it is now (preference), and move it to
 * @pref (adding the new rule before removing the old one, so that local
 * delivery never stops).
 */
int route_local_pref(uint8_t family, uint32_t *pref);
int route_local_move(uint8_t family, uint32_t from, uint32_t to);
/*
 * Remove the rules and routes a director with these tables and this rule
 * preference made (protocol RTPROT_NFLVS), moving the local table's rule
 * back to 0 from @pref + 1: what a crash left.  Those of tables @keep
 * says (RT_TABLE_LOCAL for the local table's rule) stay, and so do
 * another director's, with other tables or another preference.
 */
typedef bool (*route_keep_fn)(void *ctx, uint32_t table);
int route_cleanup(uint8_t family, uint32_t table_lo, uint32_t table_hi,
		  uint32_t pref, route_keep_fn keep, void *ctx,
		  unsigned int *removed);

#endif
