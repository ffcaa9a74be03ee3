/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_LVS_H
#define NFLVS_LVS_H

/*
 * The DR and TUN forwarding methods (IPVS's -g and -i): the director's
 * flow table, the kernel's DR flow maps, the routes that carry a marked
 * packet to its real server's MAC, and TUN's encapsulation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "queue.h"
#include "service.h"

struct director;

int lvs_init(struct director *d);
void lvs_fini(struct director *d);

/*
 * Start: undo what a crashed director left in the routing tables, read
 * the DR flows the old table still has (they are put back by the new
 * ruleset, so established DR connections survive a restart).
 */
int lvs_start(struct director *d);
/* The flows read at start, for the first ruleset; then forgotten. */
struct rs_flow;
const struct rs_flow *lvs_restored(struct director *d, unsigned int *n);
void lvs_restored_done(struct director *d);
/* Stop: routes and rules removed, the local table's rule put back. */
void lvs_stop(struct director *d);

/*
 * Before a DR or TUN real server is added: can it be reached as its
 * method needs (DR: on a link, its routing table free; TUN: a route and a
 * path MTU the tunnel fits)?  0, or -errno with @err saying why.
 */
struct cfg_rs;
int lvs_check_dest(struct director *d, const struct dest *dst,
		   const struct cfg_rs *rc, char *err, size_t errlen);
/*
 * After a configuration is applied: routes and tunnels for the DR and TUN
 * real servers that have none yet, the queues' copy range (TUN needs whole
 * packets).
 */
void lvs_applied(struct director *d);
/* A real server is freed: its table, rule and route go, and its flows. */
void lvs_dest_down(struct director *d, struct dest *dst);
/* expire_connections: a dead real server's flows go now. */
void lvs_expire_dest(struct director *d, struct dest *dst);

/* The packet path of DR and TUN services (worker threads). */
void lvs_decide(struct director *d, struct service *svc,
		const struct pkt_info *pi, const void *pkt, uint32_t len,
		uint32_t mark, struct verdict *v);

/* Once a second: DR flows the kernel dropped, TUN flows timed out. */
void lvs_tick(struct director *d, uint64_t now_ns);

/* For listings: every DR/TUN connection. */
struct flow;
typedef void (*lvs_each_fn)(void *ctx, const struct flow *f);
void lvs_foreach(struct director *d, lvs_each_fn fn, void *ctx);

#endif
