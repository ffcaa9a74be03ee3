/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SVCTAB_H
#define NFLVS_SVCTAB_H

/*
 * Service lookup by (family, protocol, address, port): an open-addressing
 * hash table built once per change of the service list and then only read,
 * so packet workers never contend on it.
 */

#include <stdint.h>

#include "service.h"

struct svctab {
	struct service **slot;		/* by (family, proto, vip, port) */
	struct service **fwslot;	/* by (family, fwmark) */
	uint32_t mask;
};

int svctab_build(struct svctab *t, struct service *const *svcs,
		 unsigned int n);
void svctab_free(struct svctab *t);
struct service *svctab_find(const struct svctab *t, uint8_t family,
			    uint8_t proto, const struct nflvs_addr *addr,
			    uint16_t port);
struct service *svctab_find_fwmark(const struct svctab *t, uint8_t family,
				   uint32_t fwmark);
/*
 * The service of a new connection as IPVS finds it: firewall mark first
 * (@fwmark = the packet mark without the director's bits), then
 * vip . protocol . port, then an any-port service of the vip.
 */
struct service *svctab_lookup(const struct svctab *t, uint32_t fwmark,
			      uint8_t family, uint8_t proto,
			      const struct nflvs_addr *addr, uint16_t port);

#endif
