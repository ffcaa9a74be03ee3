/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHED_HASH_H
#define NFLVS_SCHED_HASH_H

/*
 * What the hashing schedulers (sh, dh, mh) share: the kernel's address
 * fold (ip_vs_{sh,dh,mh}_hashkey() fold an IPv6 address to the XOR of its
 * four words, in host order), the multiplicative constant of sh and dh,
 * and the order their tables are built in.
 *
 * IPVS fills these tables walking its destination list, most recently
 * added first, so two directors with the same real servers and weights
 * give different answers when the servers were added in another order
 * (config order, reloads, ipvsadm edits).  nflvs builds them from the
 * present destinations sorted by family, address, port and weight
 * instead: a table depends on the set alone, so every director behind an
 * ECMP router picks the same real server for a packet, without any state
 * shared (Maglev, Katran).  The hashes are the kernel's.
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

struct dest;
struct service;

#define SCHED_HASH_GOLDEN	2654435761u

static inline uint32_t sched_addr_fold(const struct nflvs_addr *a)
{
	uint32_t w[4];

	if (a->family != AF_INET6)
		return ntohl(a->v4.s_addr);
	memcpy(w, a->b, sizeof(w));
	return ntohl(w[0] ^ w[1] ^ w[2] ^ w[3]);
}

/*
 * The present destinations of @svc (dest_present: not down, not
 * draining) in the canonical order, in a new array the caller frees, and
 * their number in *n.  NULL when out of memory.
 */
struct dest **sched_hash_order(const struct service *svc, unsigned int *n);

/* A table's slots holding @d empty (a rebuild failed, @d is going). */
void sched_hash_forget(struct dest **tab, unsigned int size,
		       const struct dest *d);

/* The canonical order: <0, 0 or >0 as memcmp. */
int sched_hash_cmp(const struct dest *a, const struct dest *b);

#endif
