/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_DIRECTOR_H
#define NFLVS_DIRECTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "ctrack.h"
#include "flows.h"
#include "mark.h"
#include "metrics.h"
#include "packet.h"
#include "queue.h"
#include "ruleset.h"
#include "service.h"
#include "shm_map.h"
#include "svctab.h"

/* Size of the shared-memory tables. */
#define DIRECTOR_MAX_SERVICES	1024
#define DIRECTOR_MAX_RS		16384

/* Bytes of each queued packet copied to us: headers only (TUN: all). */
#define DIRECTOR_COPY_RANGE	256

struct director_stats {
	uint64_t malformed;	/* dropped: could not parse */
	uint64_t noservice;	/* accepted untouched: no such service */
	uint64_t noavail;	/* dropped: no destination available */
	uint64_t scheduled;
	uint64_t nosyn;		/* dropped: DR/TUN TCP packet of no flow, not a SYN */
	uint64_t tun_errors;	/* TUN: encapsulated packets not sent */
	uint64_t tun_toobig;	/* TUN: ICMP too-big answers sent */
};

/* DR and TUN (director/lvs.c). */
struct rs_flow;
struct lvs {
	pthread_mutex_t lock;		/* the flow table */
	struct flow_table flows;
	struct rs_flow *restored;	/* DR flows read at start */
	unsigned int nrestored;
	bool local_moved[2];		/* the local table's rule, v4 and v6 */
	uint32_t local_orig[2];
	unsigned int dr_services;	/* running DR/TUN services */
	unsigned int tun_dests;		/* TUN real servers: full copies */
	uint32_t copy_range;		/* the queues' copy range now */
	bool cleaned;			/* a previous director's routes */
	uint64_t next_sync, next_mtu;	/* monotonic ns */
};

struct director {
	struct nflvs_config cfg;
	struct shm_map shm;
	struct markspace marks;

	/* Services: the array and the lookup table change together under
	 * the write lock; workers take the read lock per packet. */
	pthread_rwlock_t lock;
	struct service **svc;
	unsigned int nsvc;
	struct svctab tab;
	/* deleted services whose destinations still have connections */
	struct service **dead;
	unsigned int ndead;

	/* mark index -> destination, for the conntrack accounting */
	struct dest **bymark;
	struct ctrack ct;
	unsigned int ticks;
	uint64_t health_gen;	/* header.health_generation last applied */
	struct rs_timeouts timeouts;	/* ipvsadm --set */
	struct control control;
	struct metrics metrics;

	bool native_queue;
	bool ruleset_applied;
	bool keep;		/* stopping with -k: leave the kernel state */
	struct queue_worker *queues;
	unsigned int nqueues;

	struct lvs lvs;

	struct director_stats stats;	/* relaxed atomics */
};

/*
 * Checks only this director can make (what the build supports), on top of
 * config_load()'s validation.  Errors are appended to @errs.
 */
int director_check_config(const struct nflvs_config *cfg,
			  struct cfg_errors *errs);

/* Take ownership of @cfg and build services, marks and shared memory. */
int director_init(struct director *d, struct nflvs_config *cfg);

/*
 * Make @cfg the running configuration (director/apply.c): the difference
 * to what runs goes to the kernel as one batch, then to the services.  On
 * success takes ownership of @cfg; on failure nothing changed, @cfg is
 * still the caller's and @err says why.
 */
int director_apply(struct director *d, struct nflvs_config *cfg,
		   char *err, size_t errlen);
/*
 * Re-read the config file: validate all of it, then apply the difference.
 * On any error the running state stays as it was and @errs says why
 * (FILE:LINE: message).
 */
int director_reload(struct director *d, struct cfg_errors *errs);

/* Free drained destinations and services (tick). */
void director_reap(struct director *d);
void director_free_services(struct director *d);
/* Probe the kernel, start the queue workers, apply the ruleset. */
int director_start(struct director *d);
/* Remove the ruleset and stop the workers. */
void director_stop(struct director *d);
void director_free(struct director *d);

/* Periodic work: counters to shared memory, template expiry (100 ms). */
void director_tick(struct director *d);

/* File descriptors the main loop polls for the director, and their work. */
int director_ct_fd(const struct director *d);
void director_ct_read(struct director *d);

/* Internal, shared by director.c, apply.c, health.c, control.c. */
void director_shm_service(struct director *d, const struct service *svc);
void director_shm_dest(struct director *d, const struct dest *dst);
struct ruleset;
struct rs_nat;
void director_ruleset_base(const struct director *d, struct ruleset *rs);
/* The NAT (and counter) elements of @dst in @svc, with one_packet @op. */
void director_rs_nat(const struct service *svc, const struct dest *dst,
		     bool op, struct rs_nat *n);

/*
 * A connection of @dst moved from class @old to @cls (CT_NONE: none);
 * persistence and counts follow.  Under the service lock.
 */
void director_count(struct service *svc, struct dest *dst, enum ct_class old,
		    enum ct_class cls, const struct nflvs_addr *client);
/* The real server for a new connection (sorry server, persistence,
 * scheduler), counted as scheduled; NULL if none.  Under the lock. */
struct dest *director_pick(struct service *svc, const struct pkt_info *pi);

/* The NFQUEUE decision callback (ctx is the director). */
void director_decide(void *ctx, const void *pkt, uint32_t len, uint32_t mark,
		     struct verdict *v);

#endif
