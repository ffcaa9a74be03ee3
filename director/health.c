// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "log.h"
#include "publish.h"

extern char **environ;

static const char *state_name(uint32_t st)
{
	switch (st) {
	case NFLVS_RS_UP:
		return "up";
	case NFLVS_RS_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

/* "10.0.2.11:8080 of service web (TCP 10.0.1.100:80)" */
static const char *dest_label(const struct service *svc,
			      const struct dest *dst, char *buf, size_t len)
{
	char a[ADDR_STRLEN], s[SERVICE_STRLEN];

	service_str(svc, s, sizeof(s));
	snprintf(buf, len, "%s of service %s%s(%s)",
		 addr_port_str(&dst->addr, dst->port, a, sizeof(a)),
		 svc->name, svc->name[0] ? " " : "", s);
	return buf;
}

/* notify_up / notify_down: argv from the config, no shell. */
static void health_notify(const struct service *svc, const struct dest *dst,
			  char **argv)
{
	char e_addr[64], e_port[32], e_vip[64], e_vport[32], a[ADDR_STRLEN];
	char *env[] = { e_addr, e_port, e_vip, e_vport, NULL };
	pid_t pid;
	int err;

	if (!argv || !argv[0])
		return;
	snprintf(e_addr, sizeof(e_addr), "NFLVS_RS_ADDR=%s",
		 addr_str(&dst->addr, a, sizeof(a)));
	snprintf(e_port, sizeof(e_port), "NFLVS_RS_PORT=%u", dst->port);
	snprintf(e_vip, sizeof(e_vip), "NFLVS_VIP=%s",
		 svc->fwmark ? "" : addr_str(&svc->vip, a, sizeof(a)));
	snprintf(e_vport, sizeof(e_vport), "NFLVS_VPORT=%u", svc->port);
	/* SIGCHLD is ignored by the director: children reap themselves */
	err = posix_spawn(&pid, argv[0], NULL, NULL, argv, env);
	if (err)
		log_warn("notify %s: %s", argv[0], strerror(err));
}

void health_quorum(struct service *svc)
{
	char str[SERVICE_STRLEN];
	uint64_t live = 0;
	unsigned int i;
	bool below;

	for (i = 0; i < svc->ndests; i++)
		if (dest_present(svc->dests[i]))
			live += svc->dests[i]->weight;
	below = live < svc->quorum;
	if (below == svc->below_quorum)
		return;
	svc->below_quorum = below;
	/* as the other service lines: "TCP 10.0.0.1:80", then its name */
	log_warn("service %s%s%s: live weight %llu %s quorum %u%s",
		 service_str(svc, str, sizeof(str)), svc->name[0] ? " " : "",
		 svc->name, (unsigned long long)live, below ? "below" : "back at",
		 svc->quorum, svc->sorry ? (below ? ": sorry server in use"
						  : ": sorry server released") : "");
}

void health_judge(const struct dest *dst, const shm_rs_health_t *h,
		  struct health_change *c)
{
	const struct cfg_check *ck = &dst->cfg.check;
	bool down = h->state == NFLVS_RS_DOWN;

	memset(c, 0, sizeof(*c));
	c->weight = h->weight >= 0 ? h->weight : dst->conf_weight;
	c->flags = dst->flags & ~DEST_F_DOWN;
	if (down && ck->on_failure == ON_FAILURE_QUIESCE)
		c->weight = 0;
	else if (down)
		c->flags |= DEST_F_DOWN;
	c->changed = c->weight != dst->weight || c->flags != dst->flags;
	c->transition = h->state != dst->hstate;
	if (!c->transition)
		return;
	c->expire = down && ck->expire_connections;
	/* up again means: after a down; unknown -> up is no news */
	if (down)
		c->notify = dst->cfg.notify_down;
	else if (dst->hstate == NFLVS_RS_DOWN)
		c->notify = dst->cfg.notify_up;
}

bool health_apply_dest(struct health *h, struct service *svc,
		       struct dest *dst)
{
	struct health_change c;
	shm_rs_health_t rec;
	char label[160];

	if (publish_health(h->shm, dst, &rec) < 0)
		return false;
	health_judge(dst, &rec, &c);
	dest_label(svc, dst, label, sizeof(label));
	if (c.transition)
		log_info("real server %s: %s%s%s", label, state_name(rec.state),
			 rec.state == NFLVS_RS_DOWN ? ": " : "",
			 rec.state == NFLVS_RS_DOWN ? rec.last_error : "");
	if (c.changed) {
		pthread_mutex_lock(&svc->lock);
		dst->weight = c.weight;
		dst->flags = c.flags;
		service_upd_dest(svc, dst);
		health_quorum(svc);
		pthread_mutex_unlock(&svc->lock);
	}
	if (c.expire && h->expire)
		h->expire(h->ctx, dst);
	if (c.notify)
		health_notify(svc, dst, c.notify);
	dst->hstate = rec.state;
	dst->hweight = rec.weight;
	return c.changed;
}

bool health_poll(struct health *h)
{
	struct svcset *set = h->set;
	uint64_t gen = __atomic_load_n(&h->shm->hdr->health_generation,
				       __ATOMIC_ACQUIRE);
	unsigned int i, j;
	bool changed = false;

	if (gen == h->gen)
		return false;
	h->gen = gen;
	pthread_rwlock_rdlock(&set->lock);
	for (i = 0; i < set->nsvc; i++)
		for (j = 0; j < set->svc[i]->ndests; j++)
			changed |= health_apply_dest(h, set->svc[i],
						     set->svc[i]->dests[j]);
	pthread_rwlock_unlock(&set->lock);
	return changed;
}
