/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHED_HASH_H
#define NFLVS_SCHED_HASH_H

/*
 * What the hashing schedulers (sh, dh, mh) share with the kernel's: the
 * address folded to 32 bits in host order, as ip_vs_{sh,dh,mh}_hashkey()
 * fold it (an IPv6 address is the XOR of its four words), and the
 * multiplicative constant of sh and dh.
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

#define SCHED_HASH_GOLDEN	2654435761u

static inline uint32_t sched_addr_fold(const struct nflvs_addr *a)
{
	uint32_t w[4];

	if (a->family != AF_INET6)
		return ntohl(a->v4.s_addr);
	memcpy(w, a->b, sizeof(w));
	return ntohl(w[0] ^ w[1] ^ w[2] ^ w[3]);
}

#endif
