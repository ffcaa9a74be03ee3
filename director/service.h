/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SERVICE_H
#define NFLVS_SERVICE_H

/*
 * The scheduling model: virtual services and their destinations (real
 * servers), as IPVS keeps them.  Schedulers see only these structs, so the
 * unit tests build them by hand with no kernel and no director.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

struct encap;
struct pkt_info;

struct persist_table;
struct sched_ops;
struct service;

/* Counters as ipvsadm --stats shows them, and their estimated rates. */
struct stats {
	uint64_t conns, inpkts, outpkts, inbytes, outbytes;
};

struct rates {
	struct stats last;		/* the previous sample */
	uint64_t cps, inpps, outpps, inbps, outbps;	/* per second, << 10 */
};

/* dest->flags */
#define DEST_F_OVERLOAD		0x01	/* over its upper threshold */
#define DEST_F_DOWN		0x02	/* failed its health check: removed */
#define DEST_F_DRAINING		0x04	/* deleted by config; kept for counts */

struct dest {
	struct service *svc;
	struct nflvs_addr addr;
	uint16_t port;
	enum fwd_method fwd;
	int weight;			/* effective weight the scheduler uses */
	int conf_weight;		/* configured weight */
	uint32_t flags;			/* DEST_F_* */
	uint32_t activeconns;		/* TCP ESTABLISHED */
	uint32_t inactconns;		/* every other state, and UDP */
	uint32_t persistconns;		/* persistence templates */
	uint32_t pending[2];		/* counted at scheduling, not yet seen
					 * in conntrack: this and the last
					 * half second */
	uint32_t hstate;		/* health state last applied (shm.h) */
	int32_t hweight;		/* checker's weight last applied */
	uint32_t u_threshold, l_threshold;
	uint32_t mark;			/* value under director.mark_mask */
	uint32_t id;			/* stable id (shm) */
	int shm_slot;
	uint64_t conns;			/* connections scheduled to it */
	struct stats kstats;		/* packets and bytes, nft counters */
	struct stats zero;		/* what -Z set aside */
	struct rates rates;
	int sched_pos;			/* scheduler's private index */
	uint64_t add_seq;		/* larger = added later = earlier in list */
	uint32_t cfg_index;		/* position in its service's config */
	struct cfg_rs cfg;		/* as configured (tunnel, check, ...) */
	bool routed;			/* DR: its table, route and rule exist
					   (dr.c) */
	struct nflvs_addr route_via;	/* the next hop of that route */
	bool tun_kernel;		/* TUN: encapsulated by the kernel
					   (tunbpf.h), routed as DR */
	uint32_t tun_room;		/* its route's MTU: the tunnel's room */
	struct encap *encap;		/* TUN: the outer headers (tun.c) */
	uint64_t tun_pkts, tun_bytes;	/* TUN: sent encapsulated (atomics,
					   tun.c) */
};

struct service {
	uint32_t id;			/* stable id (shm) */
	int shm_slot;
	uint32_t cfg_index;		/* position in the config file */
	char name[CFG_NAME_MAX];
	uint32_t fwmark;		/* != 0: firewall-mark service */
	uint8_t family;
	uint8_t protocol;
	uint16_t port;
	struct nflvs_addr vip;
	uint32_t sched_flags;
	enum fwd_method fwd;
	uint32_t persistence;
	int netmask;
	bool one_packet;
	struct persist_table *persist;	/* NULL unless persistent */
	uint32_t quorum;		/* minimum live weight */
	bool below_quorum;
	struct dest *sorry;		/* sorry server, not in dests[] */

	/* IPVS list order: the most recently added destination first */
	struct dest **dests;
	unsigned int ndests;
	unsigned int cap;
	/* deleted, kept until their connections are gone (IPVS's trash) */
	struct dest **draining;
	unsigned int ndraining;

	const struct sched_ops *sched;
	void *sched_data;
	uint64_t next_seq;		/* for dest->add_seq */
	uint64_t rand;			/* PRNG state for schedulers (twos) */
	pthread_mutex_t lock;		/* scheduling state and dests */
	uint64_t conns;
	uint64_t noavail;		/* no destination available */
	/* the cycle the kernel schedules with (ksched.h): its length
	 * (0: the director schedules) and a hash of its marks */
	unsigned int ks_n;
	uint64_t ks_sig;
	struct stats gone;		/* of real servers freed since */
	struct stats zero;		/* what -Z set aside */
	struct rates rates;
};

/* Eligible for new connections: weight > 0, not overloaded, not down. */
static inline bool dest_available(const struct dest *d)
{
	return d->weight > 0 && !(d->flags & (DEST_F_OVERLOAD | DEST_F_DOWN |
					      DEST_F_DRAINING));
}

/* A new connection of @svc scheduled to @d (its real server or sorry
 * server), by the director or by the kernel: Conns. */
static inline void service_count_conn(struct service *svc, struct dest *d)
{
	d->conns++;
	svc->conns++;
}

/* IPVS: a dest is "in" the scheduler's set unless down or deleted. */
static inline bool dest_present(const struct dest *d)
{
	return !(d->flags & (DEST_F_DOWN | DEST_F_DRAINING));
}

/* Weight as the scheduler sees it: 0 when not present. */
static inline int dest_weight(const struct dest *d)
{
	return dest_present(d) ? d->weight : 0;
}

/* IPVS overhead: (activeconns << 8) + inactconns */
static inline uint32_t dest_overhead(const struct dest *d)
{
	return (d->activeconns << 8) + d->inactconns;
}

int service_init(struct service *svc, const char *sched);
void service_destroy(struct service *svc);
/* Insert at the head (IPVS order) and tell the scheduler. */
int service_add_dest(struct service *svc, struct dest *d);
/* Unlink and tell the scheduler; the caller frees @d. */
void service_del_dest(struct service *svc, struct dest *d);
/* Weight or flags of @d changed. */
void service_upd_dest(struct service *svc, struct dest *d);
int service_set_scheduler(struct service *svc, const char *sched);
/*
 * Connection counts of @d changed: apply the thresholds (IPVS: over upper
 * sets OVERLOAD; it clears below lower, or below 3/4 of upper when only
 * upper is set) and tell the scheduler.
 */
void service_conns_changed(struct service *svc, struct dest *d);
int service_dest_index(const struct service *svc, const struct dest *d);
/*
 * The real server for a new connection at @now_ns: the sorry server while
 * the service is below its quorum, else the client's persistence template,
 * else the scheduler's choice (which a new template remembers); counted
 * as scheduled.  NULL when none is available.
 */
struct dest *service_pick(struct service *svc, const struct pkt_info *pi,
			  uint64_t now_ns);
/*
 * Does the service's choice for a packet depend only on the packet and on
 * what every director of a group shares (the configuration: real servers,
 * weights, flags; and their health), never on this director's history?
 * Then any director may take a connection that began on another one
 * (behind ECMP, or after a failover) and pick the real server it has.
 * True for sh, dh and mh (their tables depend on the set alone, any
 * flags) unless the service is persistent (templates live in one
 * director and may point elsewhere than the hash), a real server has
 * connection thresholds (overload follows this director's counts) or the
 * sorry server is in use (it takes new connections, not ones begun on a
 * real server).
 */
bool service_consistent(const struct service *svc);
/*
 * May @pi, a packet that belongs to no connection this director knows,
 * start one?  Any packet but TCP; a TCP SYN (not RST), as IPVS; another
 * TCP packet but a RST only when service_consistent(): its connection
 * began elsewhere, and the scheduler picks the real server that has it
 * (IPVS's sloppy_tcp, limited to where it cannot pick a wrong one), and
 * only with @adopt: not while a director takes over from its peer, when
 * the connection's state may still be on its way (ha.h).
 */
bool service_may_start(const struct service *svc, const struct pkt_info *pi,
		       bool adopt);
/* Once a second: persistence templates expire, scheduler housekeeping. */
void service_gc(struct service *svc, uint64_t now_ns);
/* "TCP 10.0.1.100:80", "UDP [2001:db8::1]:53", "FWM 5" */
const char *service_str(const struct service *svc, char *buf, size_t len);
#define SERVICE_STRLEN	(ADDR_STRLEN + 16)
/*
 * The key a real server's mark is derived from (mark.h), which is also
 * the comment of its counters in the kernel, where a restart reads it
 * back: "10.0.2.11:8080 of TCP 10.0.1.100:80", " (sorry server)" after
 * the address of a sorry server.
 */
#define SERVICE_MARK_KEYLEN	128
const char *service_mark_key(const struct service *svc,
			     const struct nflvs_addr *addr, uint16_t port,
			     bool sorry, char *buf, size_t len);

#endif
