// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "publish.h"
#include "scheduler.h"

int publish_service_slot(struct shm_map *m, struct service *svc)
{
	int slot = shm_service_alloc(m, &svc->id);

	svc->shm_slot = slot < 0 ? -1 : slot;
	return slot < 0 ? slot : 0;
}

int publish_dest_slot(struct shm_map *m, struct dest *dst)
{
	int slot = shm_rs_alloc(m, &dst->id);

	dst->shm_slot = slot < 0 ? -1 : slot;
	return slot < 0 ? slot : 0;
}

void publish_service_gone(struct shm_map *m, struct service *svc)
{
	if (svc->shm_slot >= 0)
		shm_service_free(m, svc->shm_slot);
	svc->shm_slot = -1;
}

void publish_dest_gone(struct shm_map *m, struct dest *dst)
{
	if (dst->shm_slot >= 0)
		shm_rs_free(m, dst->shm_slot);
	dst->shm_slot = -1;
}

void publish_service(struct shm_map *m, const struct service *svc)
{
	struct nflvs_shm_service *r;
	__typeof__(r->dir) dir;

	if (svc->shm_slot < 0)
		return;
	r = &m->svc[svc->shm_slot];
	memset(&dir, 0, sizeof(dir));
	dir.family = svc->family;
	dir.protocol = svc->protocol;
	dir.port = svc->port;
	dir.fwmark = svc->fwmark;
	memcpy(dir.addr, svc->vip.b, sizeof(dir.addr));
	snprintf(dir.name, sizeof(dir.name), "%s", svc->name);
	snprintf(dir.scheduler, sizeof(dir.scheduler), "%s",
		 sched_ops_name(svc->sched));
	dir.sched_flags = svc->sched_flags;
	dir.persistence = svc->persistence;
	dir.netmask = svc->netmask;
	dir.quorum = svc->quorum;
	dir.flags = (svc->persistence ? NFLVS_SVC_F_PERSISTENT : 0) |
		    (svc->one_packet ? NFLVS_SVC_F_ONEPACKET : 0) |
		    (svc->fwmark ? NFLVS_SVC_F_FWMARK : 0) |
		    (svc->below_quorum ? NFLVS_SVC_F_DOWN : 0) |
		    (svc->below_quorum && svc->sorry ? NFLVS_SVC_F_SORRY : 0);
	dir.config_index = svc->cfg_index;
	dir.conns = svc->conns;
	nflvs_seq_write(&r->seq, &r->dir, &dir, sizeof(dir));
}

void publish_dest(struct shm_map *m, const struct dest *dst)
{
	struct nflvs_shm_rs *r;
	__typeof__(r->dir) dir;

	if (dst->shm_slot < 0)
		return;
	r = &m->rs[dst->shm_slot];
	memset(&dir, 0, sizeof(dir));
	dir.service_id = dst->svc->id;
	dir.family = dst->addr.family;
	dir.fwd = dst->fwd;
	dir.port = dst->port;
	memcpy(dir.addr, dst->addr.b, sizeof(dir.addr));
	dir.weight = dst->conf_weight;
	dir.mark = dst->mark;
	dir.flags = (dst->flags & DEST_F_OVERLOAD ? NFLVS_RS_F_OVERLOAD : 0) |
		    (dst->flags & DEST_F_DOWN ? NFLVS_RS_F_DOWN : 0);
	dir.eff_weight = dest_weight(dst);
	dir.u_threshold = dst->u_threshold;
	dir.l_threshold = dst->l_threshold;
	dir.config_index = dst->cfg_index;
	dir.activeconns = dst->activeconns;
	dir.inactconns = dst->inactconns;
	dir.persistconns = dst->persistconns;
	dir.conns = dst->conns;
	nflvs_seq_write(&r->seq, &r->dir, &dir, sizeof(dir));
}

void publish_service_dests(struct shm_map *m, const struct service *svc)
{
	unsigned int j;

	for (j = 0; j < svc->ndests; j++)
		publish_dest(m, svc->dests[j]);
	publish_service(m, svc);
}

void publish_all(struct shm_map *m, const struct svcset *set)
{
	unsigned int i;

	for (i = 0; i < set->nsvc; i++)
		publish_service_dests(m, set->svc[i]);
	shm_bump_generation(m);
}

int publish_health(const struct shm_map *m, const struct dest *dst,
		   shm_rs_health_t *h)
{
	struct nflvs_shm_rs *r;

	if (dst->shm_slot < 0)
		return -1;
	r = &m->rs[dst->shm_slot];
	return nflvs_seq_read(&r->hseq, h, &r->health, sizeof(*h));
}
