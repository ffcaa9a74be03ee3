// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A service's destination list and the scheduler hooks around it.  The list
 * is kept in IPVS order (new destinations at the head), so that rr and wrr
 * walk it exactly as the kernel does and listings match ipvsadm's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "persist.h"
#include "scheduler.h"
#include "service.h"

int service_init(struct service *svc, const char *sched)
{
	pthread_mutex_init(&svc->lock, NULL);
	return service_set_scheduler(svc, sched);
}

void service_destroy(struct service *svc)
{
	if (svc->sched && svc->sched->done_service)
		svc->sched->done_service(svc);
	svc->sched = NULL;
	free(svc->dests);
	svc->dests = NULL;
	svc->ndests = svc->cap = 0;
	pthread_mutex_destroy(&svc->lock);
}

int service_set_scheduler(struct service *svc, const char *name)
{
	const struct sched_ops *ops = sched_find(name);
	const struct sched_ops *old = svc->sched;
	void *old_data = svc->sched_data;
	int err;

	if (!ops)
		return -ENOENT;
	svc->sched = ops;
	svc->sched_data = NULL;
	if (ops->init_service) {
		err = ops->init_service(svc);
		if (err) {
			svc->sched = old;
			svc->sched_data = old_data;
			return err;
		}
	}
	if (old && old->done_service) {
		void *new_data = svc->sched_data;

		svc->sched_data = old_data;
		old->done_service(svc);
		svc->sched_data = new_data;
	}
	return 0;
}

int service_dest_index(const struct service *svc, const struct dest *d)
{
	unsigned int i;

	for (i = 0; i < svc->ndests; i++)
		if (svc->dests[i] == d)
			return i;
	return -1;
}

int service_add_dest(struct service *svc, struct dest *d)
{
	if (svc->ndests == svc->cap) {
		unsigned int cap = svc->cap ? svc->cap * 2 : 8;
		struct dest **n = realloc(svc->dests, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		svc->dests = n;
		svc->cap = cap;
	}
	memmove(svc->dests + 1, svc->dests, svc->ndests * sizeof(*svc->dests));
	svc->dests[0] = d;
	svc->ndests++;
	d->svc = svc;
	d->add_seq = ++svc->next_seq;
	if (svc->sched->add_dest)
		svc->sched->add_dest(svc, d);
	return 0;
}

void service_del_dest(struct service *svc, struct dest *d)
{
	int i = service_dest_index(svc, d);

	if (i < 0)
		return;
	memmove(svc->dests + i, svc->dests + i + 1,
		(svc->ndests - i - 1) * sizeof(*svc->dests));
	svc->ndests--;
	if (svc->sched->del_dest)
		svc->sched->del_dest(svc, d, i);
}

void service_upd_dest(struct service *svc, struct dest *d)
{
	if (svc->sched->upd_dest)
		svc->sched->upd_dest(svc, d);
}

static bool dest_overloaded(const struct dest *d)
{
	uint64_t total = (uint64_t)d->activeconns + d->inactconns;

	if (d->flags & DEST_F_OVERLOAD) {
		if (d->l_threshold)
			return total >= d->l_threshold;
		if (d->u_threshold)
			return total * 4 >= (uint64_t)d->u_threshold * 3;
		return false;
	}
	return d->u_threshold && total >= d->u_threshold;
}

void service_conns_changed(struct service *svc, struct dest *d)
{
	bool over = dest_overloaded(d);

	if (over != !!(d->flags & DEST_F_OVERLOAD)) {
		d->flags ^= DEST_F_OVERLOAD;
		service_upd_dest(svc, d);
	} else if (svc->sched->conn_changed) {
		svc->sched->conn_changed(svc, d);
	}
}

const char *service_str(const struct service *svc, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	if (svc->fwmark)
		snprintf(buf, len, "FWM %u%s", svc->fwmark,
			 svc->family == AF_INET6 ? " IPv6" : "");
	else
		snprintf(buf, len, "%s %s", proto_name(svc->protocol),
			 addr_port_str(&svc->vip, svc->port, a, sizeof(a)));
	return buf;
}

const char *service_mark_key(const struct service *svc,
			     const struct nflvs_addr *addr, uint16_t port,
			     bool sorry, char *buf, size_t len)
{
	char a[ADDR_STRLEN], s[SERVICE_STRLEN];

	snprintf(buf, len, "%s%s of %s", addr_port_str(addr, port, a, sizeof(a)),
		 sorry ? " (sorry server)" : "",
		 service_str(svc, s, sizeof(s)));
	return buf;
}

/* The scheduler, behind the client's persistence template if any. */
static struct dest *service_schedule(struct service *svc,
				     const struct pkt_info *pi, uint64_t now)
{
	struct nflvs_addr client;
	struct dest *dst;

	if (!svc->persist)
		return svc->sched->schedule(svc, pi, now);
	client = pi->saddr;
	addr_mask(&client, svc->netmask);
	dst = persist_lookup(svc->persist, &client, svc->persistence, now);
	if (dst)
		return dst;
	dst = svc->sched->schedule(svc, pi, now);
	if (dst)
		persist_bind(svc->persist, &client, dst, svc->persistence, now);
	return dst;
}

struct dest *service_pick(struct service *svc, const struct pkt_info *pi,
			  uint64_t now_ns)
{
	struct dest *dst;

	if (svc->below_quorum && svc->sorry)
		dst = svc->sorry;
	else
		dst = service_schedule(svc, pi, now_ns);
	if (dst) {
		service_count_conn(svc, dst);
	} else {
		svc->noavail++;
	}
	return dst;
}

bool service_consistent(const struct service *svc)
{
	const struct sched_ops *ops = svc->sched;
	unsigned int i;

	if (ops != sched_all[SCHEDULER_SH] && ops != sched_all[SCHEDULER_DH] &&
	    ops != sched_all[SCHEDULER_MH])
		return false;
	/* the sorry server takes new connections, not ones begun elsewhere */
	if (svc->persistence || (svc->below_quorum && svc->sorry))
		return false;
	for (i = 0; i < svc->ndests; i++)
		if (svc->dests[i]->u_threshold || svc->dests[i]->l_threshold)
			return false;
	return true;
}

bool service_may_start(const struct service *svc, const struct pkt_info *pi,
		       bool adopt)
{
	if (pi->l4proto != IPPROTO_TCP)
		return true;
	if (pi->tcp_flags & TCP_RST)
		return false;
	return (pi->tcp_flags & TCP_SYN) || (adopt && service_consistent(svc));
}

void service_gc(struct service *svc, uint64_t now_ns)
{
	if (svc->persist)
		persist_gc(svc->persist, svc->persistence, now_ns);
	if (svc->sched->gc)
		svc->sched->gc(svc, now_ns);
}
