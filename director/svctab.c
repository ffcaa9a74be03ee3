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

int svctab_build(struct svctab *t, struct service *const *svcs,
		 unsigned int n)
{
	uint32_t size = 8, i, h;

	while (size < 2 * n)
		size *= 2;
	t->slot = calloc(size, sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	t->mask = size - 1;
	for (i = 0; i < n; i++) {
		if (svcs[i]->fwmark)
			continue;
		h = svctab_hash(svcs[i]->protocol, &svcs[i]->vip, svcs[i]->port);
		while (t->slot[h & t->mask])
			h++;
		t->slot[h & t->mask] = svcs[i];
	}
	return 0;
}

void svctab_free(struct svctab *t)
{
	free(t->slot);
	t->slot = NULL;
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
