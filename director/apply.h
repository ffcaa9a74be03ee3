/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_APPLY_H
#define NFLVS_APPLY_H

/*
 * Changing the running configuration (apply.c says how): the config file
 * at start and on reload, nflvsadm's changes in between.  What it needs
 * of the rest of the director comes as hooks.
 */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "nft.h"
#include "ruleset.h"
#include "service.h"
#include "shm_map.h"
#include "svcset.h"

struct apply_hooks {
	/* DR and TUN: can @dst be reached as its method needs?  0, or
	 * -errno with @err saying why.  NULL: every one can. */
	int (*check_dest)(void *ctx, const struct dest *dst,
			  const struct cfg_rs *rc, char *err, size_t errlen);
	/* The difference, as one nftables batch: 0, or -errno with @err
	 * (then the kernel changed nothing). */
	int (*commit)(void *ctx, struct nft_batch *b, char *err, size_t errlen);
	/* @dst's health, re-derived after a change (health.h); may be NULL */
	void (*dest_health)(void *ctx, struct service *svc, struct dest *dst);
	/* @dst is being freed: its routes, tunnel and flows go; may be NULL */
	void (*dest_gone)(void *ctx, struct dest *dst);
	void *ctx;
};

struct apply {
	struct svcset *set;
	struct shm_map *shm;
	struct nflvs_config *running;	/* replaced by each change */
	const struct ruleset *rs;	/* table, mask, queues, timeouts */
	bool in_kernel;			/* changes go to the ruleset there */
	bool keep;			/* stopping with -k: records stay */
	struct apply_hooks hooks;
};

/*
 * Make @cfg the running configuration.  On success takes ownership of
 * @cfg (it is left empty) and the old one is freed; on failure nothing
 * changed, @cfg is still the caller's and @err says why.
 */
int apply_config(struct apply *a, struct nflvs_config *cfg, char *err,
		 size_t errlen);
/* Free the real servers and services that drained (tick). */
void apply_reap(struct apply *a);
/* The chains the running services need (ruleset_service_chains()), per
 * family; main thread. */
void apply_chains(const struct apply *a, unsigned int has[2]);
/* Free every service and real server (stop). */
void apply_release(struct apply *a);
/*
 * The whole ruleset for what runs, with the DR flows @flows to put back,
 * into @b; *@nrs = the real servers in it.  0 or -errno.
 */
int apply_ruleset(const struct apply *a, const struct rs_flow *flows,
		  unsigned int nflows, struct nft_batch *b, unsigned int *nrs);

#endif
