// SPDX-License-Identifier: GPL-2.0-or-later
#include "conns.h"
#include "persist.h"

static void count_class(struct dest *dst, enum ct_class cls, int delta)
{
	uint32_t *c = cls == CT_ACTIVE ? &dst->activeconns : &dst->inactconns;

	if (cls == CT_NONE)
		return;
	if (delta > 0)
		(*c)++;
	else if (*c)
		(*c)--;
}

static void persist_count(struct service *svc, const struct nflvs_addr *client,
			  int delta)
{
	struct nflvs_addr c = *client;

	addr_mask(&c, svc->netmask);
	persist_conn(svc->persist, &c, delta);
}

void conns_move(struct service *svc, struct dest *dst, enum ct_class old,
		enum ct_class cls, const struct nflvs_addr *client)
{
	if (svc->persist && (old == CT_NONE) != (cls == CT_NONE))
		persist_count(svc, client, cls == CT_NONE ? -1 : 1);
	count_class(dst, old, -1);
	count_class(dst, cls, +1);
	service_conns_changed(svc, dst);
}

void conns_scheduled(struct service *svc, struct dest *dst)
{
	dst->pending[0]++;
	dst->inactconns++;
	service_conns_changed(svc, dst);
}

static bool pending_take(struct dest *dst)
{
	if (dst->pending[1]) {
		dst->pending[1]--;
		return true;
	}
	if (dst->pending[0]) {
		dst->pending[0]--;
		return true;
	}
	return false;
}

bool conns_seen(struct service *svc, struct dest *dst, enum ct_class old,
		enum ct_class cls, const struct nflvs_addr *client)
{
	if (old == CT_NONE && cls != CT_NONE && pending_take(dst)) {
		/* counted when scheduled: only persistence learns of it now */
		conns_move(svc, dst, CT_INACTIVE, cls, client);
		if (svc->persist)
			persist_count(svc, client, 1);
		return true;
	}
	conns_move(svc, dst, old, cls, client);
	return false;
}

void conns_tick(struct service *svc, struct dest *dst)
{
	uint32_t gone = dst->pending[1];

	dst->pending[1] = dst->pending[0];
	dst->pending[0] = 0;
	if (!gone)
		return;
	dst->inactconns = dst->inactconns > gone ? dst->inactconns - gone : 0;
	service_conns_changed(svc, dst);
}

bool conns_drained(const struct dest *dst)
{
	return !dst->activeconns && !dst->inactconns && !dst->pending[0] &&
	       !dst->pending[1];
}
