/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_PERSIST_H
#define NFLVS_PERSIST_H

/*
 * Persistence templates, as IPVS keeps them: per service, a client address
 * (masked by persistence_netmask) -> the real server it was given.
 *
 * A template lives `timeout` seconds from its last renewal; when it
 * expires while the client still has connections to the service it is
 * re-armed for another timeout (IPVS re-arms a template that controls
 * connections).  New connections through a template renew it, unless its
 * real server is quiesced (weight 0): then they still go there but the
 * template is not renewed, so the client moves once it expires.  A
 * template whose real server is down or deleted is dropped at once.
 *
 * Pure: time is passed in; callers hold the service lock.
 */

#include <stdint.h>

#include "addr.h"
#include "service.h"

struct persist_tpl;

struct persist_table {
	struct persist_tpl **bucket;
	uint32_t nbucket;
	uint32_t count;
};

int persist_init(struct persist_table *t);
void persist_fini(struct persist_table *t);

/* The client's real server, or NULL (no template, or it was invalid). */
struct dest *persist_lookup(struct persist_table *t,
			    const struct nflvs_addr *client,
			    uint32_t timeout_s, uint64_t now_ns);
/* Remember @d for the client (new template, or repoint an old one). */
int persist_bind(struct persist_table *t, const struct nflvs_addr *client,
		 struct dest *d, uint32_t timeout_s, uint64_t now_ns);
/*
 * State sync: a template another director made, with the time it has
 * left (@expires_ns, on our clock): added, or brought up to date.
 */
int persist_install(struct persist_table *t, const struct nflvs_addr *client,
		    struct dest *d, uint64_t expires_ns);
/* Every template: its client, real server and expiry (state sync). */
typedef void (*persist_each_fn)(void *ctx, const struct nflvs_addr *client,
				struct dest *d, uint64_t expires_ns);
void persist_foreach(const struct persist_table *t, persist_each_fn fn,
		     void *ctx);
/* A connection of the client started (+1) or ended (-1). */
void persist_conn(struct persist_table *t, const struct nflvs_addr *client,
		  int delta);
/* Expire templates; returns how many were removed. */
unsigned int persist_gc(struct persist_table *t, uint32_t timeout_s,
			uint64_t now_ns);
/* @d is going away: drop every template pointing at it. */
void persist_forget_dest(struct persist_table *t, const struct dest *d);

#endif
