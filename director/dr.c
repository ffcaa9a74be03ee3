// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/rtnetlink.h>

#include "clock.h"
#include "dr.h"
#include "log.h"
#include "tunbpf.h"

#define CHECK_MAX	8192	/* flow elements looked up a tick */

void dr_init(struct dr *dr, const struct ruleset *rs, struct svcset *set,
	     struct flowpath *fp, uint32_t route_table, uint32_t route_pref)
{
	*dr = (struct dr){ .rs = rs, .set = set, .fp = fp,
			   .route_table = route_table, .route_pref = route_pref };
}

static uint32_t dest_table(const struct dr *dr, const struct dest *dst)
{
	return dr->route_table + svcset_mark_index(dr->set, dst->mark);
}

/* ---- routes ---------------------------------------------------------------- */

int dr_check(const struct dr *dr, const struct dest *dst,
	     const struct route_info *ri, char *err, size_t errlen)
{
	char a[ADDR_STRLEN];

	addr_str(&dst->addr, a, sizeof(a));
	if (!ri->onlink) {
		snprintf(err, errlen, "real server %s: dr forwarding needs it on a directly connected network (the route to it has a gateway)",
			 a);
		return -EHOSTUNREACH;
	}
	if (route_table_used(dst->addr.family, dest_table(dr, dst)) > 0) {
		snprintf(err, errlen, "real server %s: routing table %u is in use by somebody else (set director.route_table)",
			 a, dest_table(dr, dst));
		return -EBUSY;
	}
	return 0;
}

/* The local table's rule goes after ours while DR services run. */
static int local_rule_move(struct dr *dr, uint8_t family)
{
	int f = family == AF_INET6;
	uint32_t pref;
	int ret;

	if (dr->local_moved[f])
		return 0;
	ret = route_local_pref(family, &pref);
	if (ret < 0)
		return ret;
	if (pref == dr->route_pref + 1) {
		/* a director before us moved it, from the kernel's 0 */
		dr->local_orig[f] = 0;
		dr->local_moved[f] = true;
		return 0;
	}
	ret = route_local_move(family, pref, dr->route_pref + 1);
	if (ret < 0)
		return ret;
	dr->local_orig[f] = pref;
	dr->local_moved[f] = true;
	log_info("routing: the local table's %s rule moved from preference %u to %u, after the DR rules",
		 f ? "IPv6" : "IPv4", pref, dr->route_pref + 1);
	return 0;
}

int dr_dest_up(struct dr *dr, struct dest *dst)
{
	struct route_info ri;
	int ret;

	if (dst->routed)
		return 0;
	ret = route_lookup(&dst->addr, &ri);
	if (ret)
		return ret;
	return dr_route_up(dr, dst, &dst->addr, ri.oif, 0);
}

int dr_route_up(struct dr *dr, struct dest *dst, const struct nflvs_addr *via,
		int oif, uint32_t mtu)
{
	uint32_t table = dest_table(dr, dst);
	int ret;

	if (dst->routed)
		return 0;
	ret = local_rule_move(dr, via->family);
	if (!ret)
		ret = route_default(true, via, oif, table, mtu);
	if (!ret)
		ret = route_rule(via->family, true, dst->mark,
				 dr->rs->mark_mask, table, dr->route_pref);
	if (ret == -EEXIST)
		ret = 0;	/* a director before us left it */
	if (!ret) {
		dst->routed = true;
		dst->route_via = *via;
	} else {
		route_default(false, via, 0, table, 0);
	}
	return ret;
}

int dr_route_mtu(struct dr *dr, struct dest *dst, int oif, uint32_t mtu)
{
	if (!dst->routed)
		return -ENOENT;
	return route_default(true, &dst->route_via, oif, dest_table(dr, dst),
			     mtu);
}

void dr_dest_down(struct dr *dr, struct dest *dst)
{
	uint32_t table = dest_table(dr, dst);

	if (dst->routed && !dr->keep) {	/* -k: the next start takes them over */
		route_rule(dst->route_via.family, false, dst->mark,
			   dr->rs->mark_mask, table, dr->route_pref);
		route_default(false, &dst->route_via, 0, table, 0);
		dst->routed = false;
	}
}

struct keep_ctx {
	struct dr *dr;
	int fam;
};

static bool keep_table(void *ctx, uint32_t table)
{
	struct keep_ctx *x = ctx;
	struct dr *dr = x->dr;
	struct dest *dst;

	if (table == RT_TABLE_LOCAL)
		return dr->local_moved[x->fam];
	if (table < dr->route_table)
		return false;
	dst = svcset_by_index(dr->set, table - dr->route_table);
	return dst && dst->routed && (dst->addr.family == AF_INET6) == x->fam;
}

/*
 * What a director before us left and we do not use: its rules and routes
 * stayed while we started (a restart in its place must not drop the DR
 * connections it routed), the unused ones go now.
 */
void dr_cleanup(struct dr *dr)
{
	struct keep_ctx x = { .dr = dr };
	unsigned int removed, total = 0;

	if (dr->cleaned)
		return;
	dr->cleaned = true;
	for (x.fam = 0; x.fam < 2; x.fam++)
		if (route_cleanup(x.fam ? AF_INET6 : AF_INET, dr->route_table,
				  dr->route_table + svcset_capacity(dr->set),
				  dr->route_pref, keep_table, &x, &removed) == 0)
			total += removed;
	if (total)
		log_info("routing: removed %u rules and routes a previous director left",
			 total);
}

void dr_stop(struct dr *dr)
{
	int f;

	for (f = 0; f < 2; f++) {
		if (!dr->local_moved[f])
			continue;
		if (route_local_move(f ? AF_INET6 : AF_INET, dr->route_pref + 1,
				     dr->local_orig[f]) < 0)
			log_err("routing: could not move the local table's rule back to %u",
				dr->local_orig[f]);
		else
			log_info("routing: the local table's rule is back at preference %u",
				 dr->local_orig[f]);
		dr->local_moved[f] = false;
	}
}

/* ---- the kernel's flow maps ------------------------------------------------- */

/*
 * Flows whose elements may have timed out, looked up one by one (the
 * kernel tells nobody when an element times out, and a dump of a hash
 * set walks it from its start again for every message: a million flows
 * read that way took minutes).  At most CHECK_MAX lookups a tick; what
 * is left waits for the next.
 */
void dr_tick(struct dr *dr, uint64_t now)
{
	struct rs_flow *q;
	int8_t *found;
	unsigned int n, gone;

	if (now < dr->next_check)
		return;
	dr->next_check = now + NS_PER_SEC;
	q = malloc(CHECK_MAX * sizeof(*q));
	found = malloc(CHECK_MAX);
	if (q && found) {
		n = flowpath_due(dr->fp, now, q, CHECK_MAX);
		/* unanswered ones (found -1) are asked again */
		if (n && ruleset_lookup_flows(dr->rs, q, found, n) < 0)
			log_debug("DR flows: looking %u elements up failed", n);
		gone = n ? flowpath_checked(dr->fp, q, found, n, now) : 0;
		if (gone)
			log_debug("DR flows: %u timed out in the kernel", gone);
	}
	free(q);
	free(found);
}

struct expire_ctx {
	struct dr *dr;
	struct nft_batch b;
	unsigned int n;
};

static void expire_cb(void *ctx, const struct flow *f)
{
	struct expire_ctx *x = ctx;
	struct rs_flow rf;

	flowpath_element(x->dr->fp, f, &rf);
	if (ruleset_build_flow(&x->b, x->dr->rs, &rf, true) == 0)
		x->n++;
}

void dr_forget(struct dr *dr, const struct rs_flow *rf)
{
	struct nft_batch b;
	char err[256];

	if (nft_batch_init(&b) < 0)
		return;
	if (ruleset_build_flow(&b, dr->rs, rf, true) == 0 &&
	    ruleset_commit(&b, err, sizeof(err)) < 0)
		log_debug("DR flows: removing one: %s", err);
	nft_batch_free(&b);
}

void dr_expire_dest(struct dr *dr, struct dest *dst)
{
	struct expire_ctx x = { .dr = dr };
	char err[256];

	if (nft_batch_init(&x.b) < 0)
		return;
	flowpath_drop_dest(dr->fp, dst, true, expire_cb, &x);
	if (x.n && ruleset_commit(&x.b, err, sizeof(err)) < 0)
		log_debug("DR flows: removing %u: %s", x.n, err);
	nft_batch_free(&x.b);
}

/* ---- a restart ---------------------------------------------------------------- */

struct restore_ctx {
	struct dr *dr;
	struct nflvs_addr *old;		/* old mark index -> address */
	uint32_t nold;
	struct rs_flow *v;
	unsigned int n, cap;
};

static void restore_mark_cb(void *ctx, uint32_t mark,
			    const struct nflvs_addr *addr)
{
	struct restore_ctx *x = ctx;
	uint32_t idx = svcset_mark_index(x->dr->set, mark);

	if (idx && idx < x->nold)
		x->old[idx] = *addr;
}

/* Are @svc's flows to @d in the kernel's flow maps?  DR's, and TUN's where
 * the kernel encapsulates (tunbpf.h). */
static bool kernel_flows(const struct svcset *set, const struct service *svc,
			 const struct dest *d)
{
	if (d->fwd == FWD_DR)
		return svc->fwd == FWD_DR;
	return set->tun_kernel && d->fwd == FWD_TUN && svc->fwd == FWD_TUN &&
	       tunbpf_suits(&d->cfg.tunnel, svc->family, d->addr.family);
}

bool dr_remap(const struct svcset *set, const struct nflvs_addr *old,
	      uint32_t nold, struct rs_flow *f)
{
	uint32_t idx = svcset_mark_index(set, f->mark), mask = set->marks.mask;
	uint8_t proto = f->map == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	unsigned int i, j;

	if (!idx || idx >= nold || !old[idx].family)
		return false;
	for (i = 0; i < set->nsvc; i++) {
		const struct service *svc = set->svc[i];

		if ((svc->fwd != FWD_DR && svc->fwd != FWD_TUN) ||
		    svc->protocol != proto || svc->port != f->dport ||
		    !addr_eq(&svc->vip, &f->daddr))
			continue;
		for (j = 0; j < svc->ndests; j++)
			if (kernel_flows(set, svc, svc->dests[j]) &&
			    addr_eq(&svc->dests[j]->addr, &old[idx])) {
				f->mark = (f->mark & ~mask) | svc->dests[j]->mark;
				return true;
			}
	}
	return false;
}

static void restore_cb(void *ctx, const struct rs_flow *f)
{
	struct restore_ctx *x = ctx;
	struct rs_flow nf = *f;

	/* an element about to expire is not worth carrying over */
	if (f->timeout_ms <= 100 || !dr_remap(x->dr->set, x->old, x->nold, &nf))
		return;
	if (x->n == x->cap) {
		unsigned int cap = x->cap ? 2 * x->cap : 256;
		struct rs_flow *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return;
		x->v = v;
		x->cap = cap;
	}
	/* the time it has left, not a whole new timeout */
	x->v[x->n++] = nf;
}

static bool has_dr_service(const struct svcset *set)
{
	unsigned int i;

	for (i = 0; i < set->nsvc; i++)
		if (set->svc[i]->fwd == FWD_DR ||
		    (set->tun_kernel && set->svc[i]->fwd == FWD_TUN))
			return true;
	return false;
}

int dr_restore(struct dr *dr, struct rs_flow **v, unsigned int *n)
{
	struct restore_ctx x = { .dr = dr };
	int fam;

	*v = NULL;
	*n = 0;
	if (!has_dr_service(dr->set))
		return 0;	/* no DR service: no flow to keep */
	x.nold = svcset_capacity(dr->set) + 1;
	x.old = calloc(x.nold, sizeof(*x.old));
	if (!x.old)
		return -ENOMEM;
	if (ruleset_read_marks(dr->rs->table, restore_mark_cb, &x) == 0)
		for (fam = 0; fam < 2; fam++)
			ruleset_read_flows(dr->rs, fam ? AF_INET6 : AF_INET,
					   restore_cb, &x);
	free(x.old);
	*v = x.v;
	*n = x.n;
	if (x.n)
		log_info("DR flows: %u flows of the previous director kept", x.n);
	return 0;
}

void dr_adopt(struct dr *dr, const struct rs_flow *v, unsigned int n,
	      uint64_t now)
{
	unsigned int i;

	flowpath_adopt_begin(dr->fp);
	for (i = 0; i < n; i++)
		flowpath_adopt_one(dr->fp, &v[i],
				   svcset_by_mark(dr->set, v[i].mark), now);
	flowpath_adopt_end(dr->fp);
}
