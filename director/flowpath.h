/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_FLOWPATH_H
#define NFLVS_FLOWPATH_H

/*
 * The packet path of DR and TUN services, whose connections conntrack
 * does not follow (a director sees only the client's side), and the
 * director's own flow table (flows.h) that follows them instead.
 *
 * DR.  A new flow's first packet comes here (it missed the kernel's flow
 * maps): the service picks a real server, the flow enters the table, and
 * the verdict's mark routes the packet (dr.c) and makes the kernel add
 * the flow's element as the packet passes (ruleset.c, lvs_learn).  From
 * then on the kernel routes the flow by its map; only a FIN or RST comes
 * here again (accounting).  Once a second dr.c reads the maps back: the
 * flows the kernel timed out leave the table (flowpath_sync_*).
 *
 * TUN.  To a real server the kernel encapsulates for (dest->tun_kernel,
 * tunbpf.h), a flow is a DR one: its mark routes it, the kernel learns
 * it, and the egress program puts the tunnel on.  To the others every
 * packet comes here: the flow's real server, or a new one, and the packet
 * is handed to env.send (tun.c) while the original is dropped.  Those
 * flows follow IPVS's TCP states as seen from the client's side and time
 * out by the director's clock.
 *
 * A SYN on the tuple of a closing flow starts a new connection, as IPVS's
 * conn_reuse_mode does.  Counts go to the service (conns.h) under its
 * lock; the lock order is in svcset.h.
 */

#include <pthread.h>
#include <stdint.h>

#include "counters.h"
#include "flows.h"
#include "packet.h"
#include "queue.h"
#include "ruleset.h"
#include "service.h"

struct flowpath_env {
	uint32_t mark_mask;		/* director.mark_mask */
	const struct rs_timeouts *timeouts;	/* the director's, may change */
	struct dir_counters *counters;
	/* TUN: send @pkt of flow @k encapsulated to @dst */
	void (*send)(void *ctx, struct dest *dst, const struct flow_key *k,
		     const void *pkt, uint32_t len);
	/* optional: flow @f of @svc was just made, or changed state (the
	 * table locked); its timeout @timeout_ms (state sync) */
	void (*event)(void *ctx, const struct service *svc,
		      const struct flow *f, uint64_t timeout_ms);
	/* remove @rf from the kernel's flow maps now (may be NULL) */
	void (*forget)(void *ctx, const struct rs_flow *rf);
	void *ctx;
};

struct flowpath {
	struct flowpath_env env;
	pthread_mutex_t lock;		/* the table */
	struct flow_table flows;
	int no_adopt;			/* atomic: taking over, flows begun
					 * elsewhere are not adopted */
};

int flowpath_init(struct flowpath *fp, const struct flowpath_env *env);
void flowpath_fini(struct flowpath *fp);

/* A packet of DR/TUN service @svc (worker, svcset lock held for reading);
 * @mark is the packet's, @now_ns the monotonic clock. */
void flowpath_decide(struct flowpath *fp, struct service *svc,
		     const struct pkt_info *pi, const void *pkt, uint32_t len,
		     uint32_t mark, uint64_t now_ns, struct verdict *v);

/*
 * An ICMP error about flow @pi (packet_parse_icmp_error()) of a TUN
 * service: to the flow's real server through its tunnel, as IPVS's
 * ip_vs_in_icmp() sends it (the original dropped); with no such flow, on
 * to the director's own stack (NF_ACCEPT).  Worker, svcset lock held.
 */
void flowpath_icmp(struct flowpath *fp, const struct pkt_info *pi,
		   const void *pkt, uint32_t len, struct verdict *v);

/*
 * DR: the table against the kernel's flow maps.  Between begin and end
 * the table's lock is held: sync_one() each element read (@dst the real
 * server its mark names, NULL if none), and end() removes the DR flows
 * not seen that were made before @older_than (a newer one's element may
 * not be in the kernel yet; 0: remove none); it returns how many went.
 * abort() keeps everything (the maps could not be read).
 */
void flowpath_sync_begin(struct flowpath *fp);
void flowpath_sync_one(struct flowpath *fp, const struct rs_flow *rf,
		       struct dest *dst);
unsigned int flowpath_sync_end(struct flowpath *fp, uint64_t older_than);
void flowpath_sync_abort(struct flowpath *fp);

/*
 * State sync: a flow another director made, added or brought up to date
 * (real server, state; TUN: @expires_ns).  A DR flow is taken as made now,
 * so that the next read of the maps gives its element time to arrive.
 * *@old is what the table had: whether, and its element (@old->map,
 * @old->mark), so that the caller replaces the kernel's.  0 or -ENOMEM.
 */
struct flowpath_old {
	bool had;
	uint32_t mark;
	enum rs_flowmap map;
};
int flowpath_install(struct flowpath *fp, const struct flow_key *k,
		     struct dest *dst, uint32_t mark, enum flow_state st,
		     uint64_t expires_ns, uint64_t now_ns,
		     struct flowpath_old *old);

/* TUN: flows whose time ran out by @now_ns go; how many. */
unsigned int flowpath_expire(struct flowpath *fp, uint64_t now_ns);
/*
 * Every flow to @dst goes: counted as ended (expire_connections), or not
 * (the real server is being freed).  @each, if not NULL, sees each DR
 * flow first (under the lock), so that its kernel element can go too.
 */
unsigned int flowpath_drop_dest(struct flowpath *fp, const struct dest *dst,
				bool count, flows_each_fn each, void *ctx);
/* Every flow, under the lock (listings). */
void flowpath_foreach(struct flowpath *fp, flows_each_fn fn, void *ctx);
uint32_t flowpath_count(struct flowpath *fp);
/* flows_bytes() of the table, under the lock. */
size_t flowpath_bytes(struct flowpath *fp);

/* The element of DR flow @f in the kernel's map for its state. */
void flowpath_element(const struct flowpath *fp, const struct flow *f,
		      struct rs_flow *rf);

#endif
