// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "svctab.h"

static uint32_t svctab_hash(uint8_t proto, const struct nflvs_addr *a,
			    uint16_t port)
{
	uint32_t h = 2166136261u ^ proto ^ ((uint32_t)port << 8);
	size_t i;

	for (i = 0; i < addr_len(a); i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h ^ (h >> 15);
}

static int svctab_match(const struct service *s, uint8_t family, uint8_t proto,
			const struct nflvs_addr *a, uint16_t port)
{
	return s->family == family && s->protocol == proto &&
	       s->port == port && !s->fwmark && addr_eq(&s->vip, a);
}

static uint32_t fw_hash(uint8_t family, uint32_t fwmark)
{
	return (fwmark * 2654435761u) ^ family;
}

int svctab_build(struct svctab *t, struct service *const *svcs,
		 unsigned int n)
{
	uint32_t size = 8, i, h;
	struct service **tab;

	while (size < 2 * n)
		size *= 2;
	t->slot = calloc(size, sizeof(*t->slot));
	t->fwslot = calloc(size, sizeof(*t->fwslot));
	if (!t->slot || !t->fwslot) {
		svctab_free(t);
		return -ENOMEM;
	}
	t->mask = size - 1;
	for (i = 0; i < n; i++) {
		const struct service *s = svcs[i];

		if (s->fwmark) {
			tab = t->fwslot;
			h = fw_hash(s->family, s->fwmark);
		} else {
			tab = t->slot;
			h = svctab_hash(s->protocol, &s->vip, s->port);
		}
		while (tab[h & t->mask])
			h++;
		tab[h & t->mask] = svcs[i];
	}
	return 0;
}

void svctab_free(struct svctab *t)
{
	free(t->slot);
	free(t->fwslot);
	t->slot = t->fwslot = NULL;
}

struct service *svctab_find_fwmark(const struct svctab *t, uint8_t family,
				   uint32_t fwmark)
{
	struct service *s;
	uint32_t h;

	if (!t->fwslot)
		return NULL;
	for (h = fw_hash(family, fwmark); (s = t->fwslot[h & t->mask]); h++)
		if (s->fwmark == fwmark && s->family == family)
			return s;
	return NULL;
}

struct service *svctab_lookup(const struct svctab *t, uint32_t fwmark,
			      uint8_t family, uint8_t proto,
			      const struct nflvs_addr *addr, uint16_t port)
{
	struct service *s = NULL;

	if (fwmark)
		s = svctab_find_fwmark(t, family, fwmark);
	if (!s)
		s = svctab_find(t, family, proto, addr, port);
	if (!s)
		s = svctab_find(t, family, proto, addr, 0);
	return s;
}

struct service *svctab_find(const struct svctab *t, uint8_t family,
			    uint8_t proto, const struct nflvs_addr *addr,
			    uint16_t port)
{
	uint32_t h;
	struct service *s;

	if (!t->slot)
		return NULL;
	for (h = svctab_hash(proto, addr, port); (s = t->slot[h & t->mask]); h++)
		if (svctab_match(s, family, proto, addr, port))
			return s;
	return NULL;
}
