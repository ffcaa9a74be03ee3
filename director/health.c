// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack.h"
#include "director.h"
#include "health.h"
#include "log.h"
#include "lvs.h"

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
	char a[ADDR_STRLEN], s[ADDR_STRLEN + 16];

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

/* The checker's word on @dst, or NULL when the record is unreadable. */
static int health_read(struct director *d, const struct dest *dst,
		       struct nflvs_shm_rs *h)
{
	struct nflvs_shm_rs *r = &d->shm.rs[dst->shm_slot];

	return nflvs_seq_read(&r->hseq, &h->health, &r->health,
			      sizeof(h->health));
}

void health_quorum(struct service *svc)
{
	char str[ADDR_STRLEN + 16];
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

void health_apply_dest(struct director *d, struct service *svc,
		       struct dest *dst)
{
	const struct cfg_check *ck = &dst->cfg.check;
	struct nflvs_shm_rs h;
	uint32_t flags;
	int weight;
	char label[160];

	if (health_read(d, dst, &h) < 0)
		return;
	dest_label(svc, dst, label, sizeof(label));
	weight = h.health.weight >= 0 ? h.health.weight : dst->conf_weight;
	flags = dst->flags & ~DEST_F_DOWN;
	if (h.health.state == NFLVS_RS_DOWN) {
		if (ck->on_failure == ON_FAILURE_QUIESCE)
			weight = 0;
		else
			flags |= DEST_F_DOWN;
	}
	if (h.health.state != dst->hstate)
		log_info("real server %s: %s%s%s", label,
			 state_name(h.health.state),
			 h.health.state == NFLVS_RS_DOWN ? ": " : "",
			 h.health.state == NFLVS_RS_DOWN ? h.health.last_error : "");
	if (weight != dst->weight || flags != dst->flags) {
		pthread_mutex_lock(&svc->lock);
		dst->weight = weight;
		dst->flags = flags;
		service_upd_dest(svc, dst);
		health_quorum(svc);
		/* at once, not at the next tick: tools see when it applied */
		if (dst->shm_slot >= 0)
			director_shm_dest(d, dst);
		pthread_mutex_unlock(&svc->lock);
	}
	if (h.health.state != dst->hstate) {
		bool down = h.health.state == NFLVS_RS_DOWN;

		if (down && ck->expire_connections && dst->fwd != FWD_NAT)
			lvs_expire_dest(d, dst);
		else if (down && ck->expire_connections &&
			 ctrack_flush_mark(dst->mark, d->cfg.director.mark_mask) < 0)
			log_warn("real server %s: expiring its connections failed", label);
		if (down || dst->hstate == NFLVS_RS_DOWN)
			health_notify(svc, dst, down ? dst->cfg.notify_down
						     : dst->cfg.notify_up);
	}
	dst->hstate = h.health.state;
	dst->hweight = h.health.weight;
}

void health_poll(struct director *d)
{
	uint64_t gen = __atomic_load_n(&d->shm.hdr->health_generation,
				       __ATOMIC_ACQUIRE);
	unsigned int i, j;

	if (gen == d->health_gen)
		return;
	d->health_gen = gen;
	pthread_rwlock_rdlock(&d->lock);
	for (i = 0; i < d->nsvc; i++)
		for (j = 0; j < d->svc[i]->ndests; j++)
			health_apply_dest(d, d->svc[i], d->svc[i]->dests[j]);
	pthread_rwlock_unlock(&d->lock);
}
