/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SYNCSTATE_H
#define NFLVS_SYNCSTATE_H

/*
 * What the state sync (sync.h) carries, to and from this director's
 * tables: DR flows (the kernel's flow maps, with the time each element
 * has left), TUN flows (the flow table) and persistence templates (each
 * service's), as syncmsg entries; and entries a master sent, installed
 * as a restart adopts flows (dr.c): the kernel's element, the flow
 * table's entry (counted, so that ActiveConn/InActConn and -Lnc follow),
 * the service's template.  A real server is found by its address and
 * port in the service the entry names, never by mark: the two directors'
 * marks may differ.
 */

#include <stdint.h>

#include "flowpath.h"
#include "nft.h"
#include "ruleset.h"
#include "svcset.h"
#include "sync.h"
#include "syncmsg.h"

struct syncstate {
	struct svcset *set;
	struct flowpath *fp;
	const struct ruleset *rs;
	bool kernel;			/* DR elements go to the kernel */
	uint64_t unmatched;		/* entries naming nothing we have */
	uint64_t installed;
	/* DR elements gathered until the flush: one transaction */
	struct nft_batch b;
	bool open;
	struct rs_flow *dr;		/* the elements added, for a retry */
	unsigned int ndr, cap;
};

/* The master's packet path: flow @f of @svc was made or changed state
 * (flowpath_env.event): it, and its client's template, go to @s. */
void syncstate_made(struct sync *s, const struct service *svc,
		    const struct flow *f, uint64_t timeout_ms);

/* sync_env.walk, .install and .flush (@ctx: the struct syncstate). */
void syncstate_walk(void *ctx, sync_emit_fn emit, void *ectx, uint64_t now_ns);
void syncstate_install(void *ctx, const struct syncmsg_entry *e,
		       unsigned int n, uint64_t now_ns);
void syncstate_flush(void *ctx);
/* What it holds, freed. */
void syncstate_fini(struct syncstate *st);

#endif
