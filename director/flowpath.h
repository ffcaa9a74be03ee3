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
 * the flow's element as the packet passes the lvs chain again (the
 * verdict is NF_REPEAT; ruleset.c, rule_lvs_learn()).  From
 * then on the kernel routes the flow by its map; only a FIN or RST comes
 * here again (accounting).  The kernel says nothing when an element times
 * out, so each flow carries the time its element could have run out at
 * the earliest (its last renewal we know of plus its timeout): then dr.c
 * looks that one element up (flowpath_due(), flowpath_checked()), and the
 * flow goes, or waits for the time the element has left.  Nothing walks
 * the kernel's maps but a restart (flowpath_adopt_*) and listings.
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
	/* optional: read the FINs the kernel logged so far (finlog.h) */
	void (*drain)(void *ctx);
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
	uint64_t next_due;		/* no DR flow is due before (locked) */
};

int flowpath_init(struct flowpath *fp, const struct flowpath_env *env);
void flowpath_fini(struct flowpath *fp);

/* A packet of DR/TUN service @svc (worker, svcset lock held for reading);
 * @mark is the packet's, @now_ns the monotonic clock. */
void flowpath_decide(struct flowpath *fp, struct service *svc,
		     const struct pkt_info *pi, const void *pkt, uint32_t len,
		     uint32_t mark, uint64_t now_ns, struct verdict *v);

/* A FIN or RST of a DR flow, logged by the kernel (finlog.h) as it went
 * on: the flow is closing.  Any thread. */
void flowpath_closed(struct flowpath *fp, const struct pkt_info *pi,
		     uint64_t now_ns);

/*
 * A new DR flow the kernel scheduled itself (ksched.h) to @dst of @svc,
 * logged as it went on (finlog.h): the flow as the queue's verdict would
 * have made it, counted; nothing if the table has it already.  Main
 * thread; the svcset lock held for reading.
 */
void flowpath_learned(struct flowpath *fp, struct service *svc,
		      struct dest *dst, const struct pkt_info *pi,
		      uint64_t now_ns);

/*
 * An ICMP error about flow @pi (packet_parse_icmp_error()) of a TUN
 * service: to the flow's real server through its tunnel, as IPVS's
 * ip_vs_in_icmp() sends it (the original dropped); with no such flow, on
 * to the director's own stack (NF_ACCEPT).  Worker, svcset lock held.
 */
void flowpath_icmp(struct flowpath *fp, const struct pkt_info *pi,
		   const void *pkt, uint32_t len, struct verdict *v);

/*
 * DR: the elements of the kernel's flow maps a restart finds.  Between
 * begin and end the table's lock is held: adopt_one() each element
 * (@dst the real server its mark names, NULL if none; @rf->timeout_ms
 * the time it has left), which a flow of the table takes over.
 */
void flowpath_adopt_begin(struct flowpath *fp);
void flowpath_adopt_one(struct flowpath *fp, const struct rs_flow *rf,
			struct dest *dst, uint64_t now_ns);
void flowpath_adopt_end(struct flowpath *fp);

/*
 * DR: the elements to look up of the flows due by @now_ns, at most @cap
 * (a TCP flow's two, dr_tcp and dr_closing, side by side; the others'
 * at a later call); how many.  Nothing is walked before the earliest
 * flow is due.  Then flowpath_checked() with what the kernel said
 * (ruleset_lookup_flows()): a flow it has waits for the time its element
 * has left (and a TCP one found closing is closing), one it has not
 * leaves the table, counted; how many left.  A flow made or changed in
 * between keeps its own time.
 */
unsigned int flowpath_due(struct flowpath *fp, uint64_t now_ns,
			  struct rs_flow *q, unsigned int cap);
unsigned int flowpath_checked(struct flowpath *fp, const struct rs_flow *q,
			      const int8_t *found, unsigned int n,
			      uint64_t now_ns);
/* The flow timeouts changed (nflvsadm --set): no DR flow is looked up
 * later than a renewal at @now_ns with the new ones could end it. */
void flowpath_retime(struct flowpath *fp, uint64_t now_ns);

/*
 * State sync: a flow another director made, added or brought up to date
 * (real server, state; TUN: @expires_ns; DR: its element's, which the
 * caller adds, is looked up then).
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
