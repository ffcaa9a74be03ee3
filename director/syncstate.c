// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "clock.h"
#include "log.h"
#include "persist.h"
#include "syncstate.h"


static uint32_t clamp_ms(uint64_t ms)
{
	return ms > SYNCMSG_MAX_TIMEOUT_MS ? SYNCMSG_MAX_TIMEOUT_MS : ms;
}

static uint8_t wire_state(enum flow_state st)
{
	return st == FLOW_SYN ? SYNCMSG_SYN :
	       st == FLOW_ESTABLISHED ? SYNCMSG_ESTABLISHED :
	       st == FLOW_CLOSING ? SYNCMSG_CLOSING : SYNCMSG_UDP;
}

static enum flow_state flow_state_of(uint8_t st)
{
	return st == SYNCMSG_SYN ? FLOW_SYN :
	       st == SYNCMSG_ESTABLISHED ? FLOW_ESTABLISHED :
	       st == SYNCMSG_CLOSING ? FLOW_CLOSING : FLOW_UDP;
}

static void flow_entry(const struct flow *f, uint64_t timeout_ms,
		       struct syncmsg_entry *e)
{
	const struct dest *d = f->dest;

	*e = (struct syncmsg_entry){
		.kind = d->fwd == FWD_TUN ? SYNCMSG_TUN : SYNCMSG_DR,
		.protocol = f->key.proto, .state = wire_state(f->state),
		.fwmark = d->svc->fwmark, .timeout_ms = clamp_ms(timeout_ms),
		.caddr = f->key.saddr, .vaddr = f->key.daddr, .daddr = d->addr,
		.cport = f->key.sport, .vport = f->key.dport, .dport = d->port,
	};
}

/* A firewall-mark service has no protocol: the connection's is sent. */
static void tpl_entry(const struct service *svc,
		      const struct nflvs_addr *client, const struct dest *d,
		      uint8_t proto, uint64_t timeout_ms,
		      struct syncmsg_entry *e)
{
	*e = (struct syncmsg_entry){
		.kind = SYNCMSG_TPL,
		.protocol = svc->protocol ? svc->protocol : proto,
		.fwmark = svc->fwmark, .timeout_ms = clamp_ms(timeout_ms),
		.caddr = *client, .vaddr = svc->vip, .daddr = d->addr,
		.vport = svc->port, .dport = d->port,
	};
	e->vaddr.family = client->family;
}

void syncstate_made(struct sync *s, const struct service *svc,
		    const struct flow *f, uint64_t timeout_ms)
{
	struct syncmsg_entry e;
	struct nflvs_addr client;

	if (!sync_master_on(s))
		return;
	flow_entry(f, timeout_ms, &e);
	sync_event(s, &e);
	if (!svc->persist)
		return;
	client = f->key.saddr;
	addr_mask(&client, svc->netmask);
	tpl_entry(svc, &client, f->dest, f->key.proto,
		  (uint64_t)svc->persistence * 1000, &e);
	sync_event(s, &e);
}

/* ---- the master: everything there is -------------------------------------- */

struct walk {
	struct syncstate *st;
	struct syncmsg_entry *v;
	size_t n, cap;
	uint64_t now;
	const struct service *svc;	/* templates: whose */
};

static void push(struct walk *w, const struct syncmsg_entry *e)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 1024;
		struct syncmsg_entry *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return;		/* the next refresh tries again */
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = *e;
}

/* Its flows are elements of the kernel's flow maps: DR, and TUN where
 * the kernel encapsulates. */
static bool kernel_flows(const struct dest *d)
{
	return d->fwd == FWD_DR || (d->fwd == FWD_TUN && d->tun_kernel);
}

static void walk_dr(void *ctx, const struct rs_flow *rf)
{
	static const uint8_t state[RS_FLOWMAPS] = {
		[RS_FLOWS_TCP] = SYNCMSG_ESTABLISHED,
		[RS_FLOWS_UDP] = SYNCMSG_UDP,
		[RS_FLOWS_CLOSING] = SYNCMSG_CLOSING,
	};
	struct walk *w = ctx;
	struct dest *d = svcset_by_mark(w->st->set, rf->mark);
	struct syncmsg_entry e;

	if (!d || !kernel_flows(d) || !rf->timeout_ms)
		return;
	e = (struct syncmsg_entry){
		.kind = d->fwd == FWD_DR ? SYNCMSG_DR : SYNCMSG_TUN,
		.protocol = rf->map == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP,
		.state = state[rf->map], .fwmark = d->svc->fwmark,
		.timeout_ms = clamp_ms(rf->timeout_ms),
		.caddr = rf->saddr, .vaddr = rf->daddr, .daddr = d->addr,
		.cport = rf->sport, .vport = rf->dport, .dport = d->port,
	};
	push(w, &e);
}

static void walk_tun(void *ctx, const struct flow *f)
{
	struct walk *w = ctx;
	struct syncmsg_entry e;

	if (!f->tun || kernel_flows(f->dest) || f->expires <= w->now)
		return;
	flow_entry(f, (f->expires - w->now) / NS_PER_MS, &e);
	push(w, &e);
}

static void walk_tpl(void *ctx, const struct nflvs_addr *client,
		     struct dest *d, uint64_t expires)
{
	struct walk *w = ctx;
	struct syncmsg_entry e;

	if (expires <= w->now)
		return;
	tpl_entry(w->svc, client, d, IPPROTO_TCP,
		  (expires - w->now) / NS_PER_MS, &e);
	push(w, &e);
}

static bool has_kernel_flows(const struct svcset *set)
{
	unsigned int i;

	for (i = 0; i < set->nsvc; i++)
		if (set->svc[i]->fwd == FWD_DR ||
		    (set->svc[i]->fwd == FWD_TUN && set->tun_kernel))
			return true;
	return false;
}

/* Gathered first, sent after: no lock is held while sending. */
void syncstate_walk(void *ctx, sync_emit_fn emit, void *ectx, uint64_t now)
{
	struct walk w = { .st = ctx, .now = now };
	struct svcset *set = w.st->set;
	unsigned int i;
	size_t k;
	int fam;

	pthread_rwlock_rdlock(&set->lock);
	for (fam = 0; w.st->kernel && has_kernel_flows(set) && fam < 2; fam++)
		ruleset_read_flows(w.st->rs, fam ? AF_INET6 : AF_INET,
				   walk_dr, &w);
	flowpath_foreach(w.st->fp, walk_tun, &w);
	for (i = 0; i < set->nsvc; i++) {
		struct service *svc = set->svc[i];

		if (!svc->persist)
			continue;
		w.svc = svc;
		pthread_mutex_lock(&svc->lock);
		persist_foreach(svc->persist, walk_tpl, &w);
		pthread_mutex_unlock(&svc->lock);
	}
	pthread_rwlock_unlock(&set->lock);
	for (k = 0; k < w.n; k++)
		emit(ectx, &w.v[k]);
	free(w.v);
}

/* ---- the backup: what the master sent ---------------------------------------- */

static struct dest *find_dest(const struct service *svc,
			      const struct syncmsg_entry *e)
{
	enum fwd_method fwd = e->kind == SYNCMSG_DR ? FWD_DR : FWD_TUN;
	unsigned int j;

	for (j = 0; j < svc->ndests; j++) {
		struct dest *d = svc->dests[j];

		if (addr_eq(&d->addr, &e->daddr) && d->port == e->dport &&
		    (e->kind == SYNCMSG_TPL || d->fwd == fwd))
			return d;
	}
	return NULL;
}

static enum rs_flowmap map_of_state(enum flow_state st)
{
	return st == FLOW_UDP ? RS_FLOWS_UDP :
	       st == FLOW_CLOSING ? RS_FLOWS_CLOSING : RS_FLOWS_TCP;
}

struct install {
	struct syncstate *st;
	uint64_t now;
};

/* Room for one more DR element in the open transaction: 0 or -ENOMEM. */
static int dr_room(struct syncstate *st)
{
	if (!st->open) {
		if (nft_batch_init(&st->b) < 0)
			return -ENOMEM;
		st->open = true;
	}
	if (st->ndr == st->cap) {
		unsigned int cap = st->cap ? 2 * st->cap : 256;
		struct rs_flow *v = realloc(st->dr, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->dr = v;
		st->cap = cap;
	}
	return 0;
}

static int install_flow(struct install *in, const struct syncmsg_entry *e,
			struct dest *d)
{
	struct syncstate *st = in->st;
	enum flow_state fs = flow_state_of(e->state);
	struct flow_key k = {
		.family = e->caddr.family, .proto = e->protocol,
		.sport = e->cport, .dport = e->vport,
		.saddr = e->caddr, .daddr = e->vaddr,
	};
	struct flowpath_old old;
	struct rs_flow rf, del;
	int ret;

	if (kernel_flows(d) && st->kernel && dr_room(st) < 0)
		return -ENOMEM;
	ret = flowpath_install(st->fp, &k, d, d->mark, fs,
			       in->now + e->timeout_ms * NS_PER_MS, in->now,
			       &old);
	if (ret || !kernel_flows(d) || !st->kernel)
		return ret;
	rf = (struct rs_flow){
		.saddr = e->caddr, .daddr = e->vaddr, .sport = e->cport,
		.dport = e->vport, .mark = d->mark, .map = map_of_state(fs),
		.timeout_ms = e->timeout_ms,
	};
	/* the element the kernel has for it under another mark or map
	 * goes first: an add with other data is refused */
	if (old.had && (old.mark != rf.mark || old.map != rf.map)) {
		del = rf;
		del.map = old.map;
		ruleset_build_flow(&st->b, st->rs, &del, true);
	}
	st->dr[st->ndr++] = rf;
	return ruleset_build_flow(&st->b, st->rs, &rf, false);
}

static int install_one(struct install *in, const struct syncmsg_entry *e)
{
	struct svcset *set = in->st->set;
	struct service *svc;
	struct dest *d;
	int ret;

	svc = svcset_lookup(set, e->fwmark, e->caddr.family, e->protocol,
			    &e->vaddr, e->vport);
	d = svc ? find_dest(svc, e) : NULL;
	if (!d || (e->kind == SYNCMSG_TPL && !svc->persist))
		return -ENOENT;
	if (e->kind != SYNCMSG_TPL)
		return install_flow(in, e, d);
	pthread_mutex_lock(&svc->lock);
	ret = persist_install(svc->persist, &e->caddr, d,
			      in->now + e->timeout_ms * NS_PER_MS);
	pthread_mutex_unlock(&svc->lock);
	return ret;
}

/* The transaction was refused (an element the table did not know of,
 * under another mark): one by one, each replacing what the kernel has. */
static void install_retry(struct syncstate *st)
{
	struct nft_batch b;
	char err[256];
	unsigned int i, lost = 0;

	for (i = 0; i < st->ndr; i++) {
		if (nft_batch_init(&b) < 0)
			return;
		ruleset_build_flow(&b, st->rs, &st->dr[i], false);
		if (ruleset_commit(&b, err, sizeof(err)) < 0) {
			nft_batch_free(&b);
			if (nft_batch_init(&b) < 0)
				return;
			ruleset_build_flow(&b, st->rs, &st->dr[i], true);
			ruleset_build_flow(&b, st->rs, &st->dr[i], false);
			if (ruleset_commit(&b, err, sizeof(err)) < 0)
				lost++;
		}
		nft_batch_free(&b);
	}
	if (lost)
		log_debug("sync: %u DR flows not installed: %s", lost, err);
}

void syncstate_install(void *ctx, const struct syncmsg_entry *e,
		       unsigned int n, uint64_t now)
{
	struct install in = { .st = ctx, .now = now };
	unsigned int i;

	pthread_rwlock_rdlock(&in.st->set->lock);
	for (i = 0; i < n; i++) {
		if (!e[i].timeout_ms)
			continue;	/* it ended on the way */
		if (install_one(&in, &e[i]) < 0)
			in.st->unmatched++;
		else
			in.st->installed++;
	}
	pthread_rwlock_unlock(&in.st->set->lock);
}

void syncstate_flush(void *ctx)
{
	struct syncstate *st = ctx;
	char err[256];

	if (!st->open)
		return;
	if (st->ndr && ruleset_commit(&st->b, err, sizeof(err)) < 0)
		install_retry(st);
	nft_batch_free(&st->b);
	st->open = false;
	st->ndr = 0;
}

void syncstate_fini(struct syncstate *st)
{
	if (st->open)
		nft_batch_free(&st->b);
	st->open = false;
	free(st->dr);
	st->dr = NULL;
	st->ndr = st->cap = 0;
}
