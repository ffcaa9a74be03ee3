/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHEDULER_H
#define NFLVS_SCHEDULER_H

/*
 * Scheduler interface, shaped like IPVS's struct ip_vs_scheduler.  Each
 * scheduler is one file, director/sched_<name>.c, exporting one
 * `const struct sched_ops sched_<name>` listed in sched.c.
 *
 * All callbacks run with svc->lock held.  schedule() is pure: it reads the
 * service, its destinations and the packet, and time is passed in.
 */

#include <stdint.h>

#include "packet.h"
#include "service.h"

struct sched_ops {
	const char *name;
	int (*init_service)(struct service *svc);	/* may be NULL */
	void (*done_service)(struct service *svc);	/* may be NULL */
	/* @d was inserted at the head of the list */
	void (*add_dest)(struct service *svc, struct dest *d);
	/* @d was unlinked from position @pos */
	void (*del_dest)(struct service *svc, struct dest *d, int pos);
	void (*upd_dest)(struct service *svc, struct dest *d);
	/* Connection counts of @d changed (for schedulers keeping order). */
	void (*conn_changed)(struct service *svc, struct dest *d);
	/* Periodic housekeeping (about once a second), e.g. lblc expiry. */
	void (*gc)(struct service *svc, uint64_t now_ns);
	struct dest *(*schedule)(struct service *svc,
				 const struct pkt_info *pi, uint64_t now_ns);
};

const struct sched_ops *sched_find(const char *name);
/* NULL-terminated list of every scheduler, in documentation order. */
extern const struct sched_ops *const sched_all[];

int sched_gcd(int a, int b);

#endif
