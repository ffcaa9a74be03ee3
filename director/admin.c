// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "admin.h"
#include "persist.h"
#include "cfgedit.h"
#include "clock.h"
#include "ctlmsg.h"
#include "log.h"
#include "publish.h"
#include "scheduler.h"
#include "stats.h"
#include "validate.h"

/* ---- listing ------------------------------------------------------------ */

static void svc_key(const struct service *svc, struct nflvs_ctl_svc *o)
{
	o->family = svc->family;
	o->protocol = svc->protocol;
	o->port = svc->port;
	o->fwmark = svc->fwmark;
	memcpy(o->addr, svc->vip.b, sizeof(o->addr));
}

static void svc_out(const struct service *svc, struct nflvs_ctl_svc *o)
{
	memset(o, 0, sizeof(*o));
	svc_key(svc, o);
	snprintf(o->sched, sizeof(o->sched), "%s", sched_ops_name(svc->sched));
	o->flags = (svc->persistence ? NFLVS_CTL_SVC_F_PERSISTENT : 0) |
		   (svc->one_packet ? NFLVS_CTL_SVC_F_ONEPACKET : 0);
	o->sched_flags = svc->sched_flags;
	o->timeout = svc->persistence;
	o->netmask = svc->netmask;
	snprintf(o->name, sizeof(o->name), "%s", svc->name);
	o->id = svc->id;
	o->ndests = svc->ndests;
	o->down = svc->below_quorum;
	stats_service(svc, &o->stats);
}

static void dest_out(const struct admin *ad, const struct dest *dst,
		     struct nflvs_ctl_dest *o)
{
	shm_rs_health_t h;

	memset(o, 0, sizeof(*o));
	o->family = dst->addr.family;
	o->fwd = dst->fwd;
	o->port = dst->port;
	memcpy(o->addr, dst->addr.b, sizeof(o->addr));
	o->weight = dst->conf_weight;
	o->u_threshold = dst->u_threshold;
	o->l_threshold = dst->l_threshold;
	o->tun_type = dst->cfg.tunnel.type;
	o->tun_port = dst->cfg.tunnel.port;
	o->tun_flags = dst->cfg.tunnel.csum ? NFLVS_CTL_TUN_F_CSUM : 0;
	o->id = dst->id;
	o->eff_weight = dest_present(dst) ? dst->weight : 0;
	o->activeconns = dst->activeconns;
	o->inactconns = dst->inactconns;
	o->persistconns = dst->persistconns;
	if (publish_health(ad->shm, dst, &h) == 0) {
		o->health = h.state;
		o->latency_us = h.latency_us;
		memcpy(o->last_error, h.last_error, sizeof(o->last_error) - 1);
	}
	o->flags = (dst->flags & DEST_F_OVERLOAD ? NFLVS_RS_F_OVERLOAD : 0) |
		   (dst->flags & DEST_F_DRAINING ? NFLVS_RS_F_DRAINING : 0);
	stats_dest(dst, &o->stats);
}

static bool svc_matches(const struct service *svc,
			const struct nflvs_ctl_svc *k)
{
	if (k->fwmark || svc->fwmark)
		return svc->fwmark == k->fwmark && svc->family == k->family;
	return svc->family == k->family && svc->protocol == k->protocol &&
	       svc->port == k->port &&
	       !memcmp(svc->vip.b, k->addr, addr_len(&svc->vip));
}

static int do_list(struct admin *ad, const void *req, uint32_t len,
		   struct ctl_reply *r)
{
	struct svcset *set = ad->set;
	const struct nflvs_ctl_svc *k = len ? req : NULL;
	struct nflvs_ctl_svc so;
	struct nflvs_ctl_dest dout;
	unsigned int i, j, found = 0;
	int err = 0;

	pthread_rwlock_rdlock(&set->lock);
	for (i = 0; i < set->nsvc && !err; i++) {
		struct service *svc = set->svc[i];

		if (k && !svc_matches(svc, k))
			continue;
		found++;
		pthread_mutex_lock(&svc->lock);
		svc_out(svc, &so);
		err = ctl_reply_put(r, &so, sizeof(so));
		for (j = 0; j < svc->ndests && !err; j++) {
			dest_out(ad, svc->dests[j], &dout);
			err = ctl_reply_put(r, &dout, sizeof(dout));
		}
		pthread_mutex_unlock(&svc->lock);
	}
	pthread_rwlock_unlock(&set->lock);
	if (err)
		return ctl_reply_err(r, err, "reply too large");
	if (k && !found)
		return ctl_reply_err(r, -ESRCH, "no such service");
	return 0;
}

struct conns_ctx {
	const struct svcset *set;
	struct ctl_reply *r;
	uint64_t now;
	int err;
};

static void conn_out(void *ctx, const struct ct_event *ev, uint32_t mark,
		     uint64_t expires)
{
	struct conns_ctx *x = ctx;
	struct nflvs_ctl_conn c = { 0 };
	struct dest *dst = svcset_by_mark(x->set, mark);

	if (x->err || !dst)
		return;
	c.family = ev->src.family;
	c.protocol = ev->l4proto;
	c.fwd = dst->fwd;
	snprintf(c.state, sizeof(c.state), "%s",
		 ctrack_state_name(ev->l4proto, ev->state));
	c.expires = expires > x->now ? (expires - x->now) / 1000000000ull : 0;
	memcpy(c.caddr, ev->src.b, sizeof(c.caddr));
	memcpy(c.vaddr, ev->dst.b, sizeof(c.vaddr));
	memcpy(c.daddr, dst->addr.b, sizeof(c.daddr));
	c.cport = ntohs(ev->sport);
	c.vport = ntohs(ev->dport);
	c.dport = dst->port ? dst->port : c.vport;
	x->err = ctl_reply_put(x->r, &c, sizeof(c));
}

/* One DR or TUN connection; @left in seconds. */
static void flow_conn_out(struct conns_ctx *x, const struct nflvs_addr *client,
			 uint16_t cport, const struct nflvs_addr *vip,
			 uint16_t vport, uint8_t proto, const char *state,
			 uint64_t left, uint32_t mark)
{
	struct nflvs_ctl_conn c = { 0 };
	struct dest *dst = svcset_by_mark(x->set, mark);

	if (x->err || !dst)
		return;
	c.family = client->family;
	c.protocol = proto;
	c.fwd = dst->fwd;
	snprintf(c.state, sizeof(c.state), "%s", state);
	c.expires = left;
	memcpy(c.caddr, client->b, sizeof(c.caddr));
	memcpy(c.vaddr, vip->b, sizeof(c.vaddr));
	memcpy(c.daddr, dst->addr.b, sizeof(c.daddr));
	c.cport = cport;
	c.vport = vport;
	c.dport = vport;
	x->err = ctl_reply_put(x->r, &c, sizeof(c));
}

/* DR: the kernel's flow maps, with the time each element has left. */
static void dr_conn_out(void *ctx, const struct rs_flow *f)
{
	static const char *const state[RS_FLOWMAPS] = {
		[RS_FLOWS_TCP] = "ESTABLISHED", [RS_FLOWS_UDP] = "UDP",
		[RS_FLOWS_CLOSING] = "FIN_WAIT",
	};

	flow_conn_out(ctx, &f->saddr, f->sport, &f->daddr, f->dport,
		     f->map == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP,
		     state[f->map], f->timeout_ms / 1000, f->mark);
}

/* TUN: our own flows. */
static void tun_conn_out(void *ctx, const struct flow *f)
{
	static const char *const state[] = {
		[FLOW_SYN] = "SYN_RECV", [FLOW_ESTABLISHED] = "ESTABLISHED",
		[FLOW_CLOSING] = "FIN_WAIT", [FLOW_UDP] = "UDP",
	};
	struct conns_ctx *x = ctx;

	if (f->tun)
		flow_conn_out(x, &f->key.saddr, f->key.sport, &f->key.daddr,
			     f->key.dport, f->key.proto, state[f->state],
			     f->expires > x->now ? (f->expires - x->now) / 1000000000ull : 0,
			     f->mark);
}

/* A persistence template, as IPVS lists one: state NONE, the client's
 * masked address and port 0. */
struct tpl_ctx {
	struct conns_ctx *x;
	const struct service *svc;
};

static void tpl_conn_out(void *ctx, const struct nflvs_addr *client,
			 struct dest *dst, uint64_t expires)
{
	struct tpl_ctx *t = ctx;
	struct conns_ctx *x = t->x;
	struct nflvs_ctl_conn c = { 0 };

	if (x->err)
		return;
	c.family = client->family;
	c.protocol = t->svc->protocol ? t->svc->protocol : IPPROTO_IP;
	c.fwd = dst->fwd;
	snprintf(c.state, sizeof(c.state), "NONE");
	c.expires = expires > x->now ? (expires - x->now) / 1000000000ull : 0;
	memcpy(c.caddr, client->b, sizeof(c.caddr));
	memcpy(c.vaddr, t->svc->vip.b, sizeof(c.vaddr));
	memcpy(c.daddr, dst->addr.b, sizeof(c.daddr));
	c.vport = t->svc->port;
	c.dport = dst->port;
	x->err = ctl_reply_put(x->r, &c, sizeof(c));
}

static void templates_out(struct conns_ctx *x, const struct svcset *set)
{
	unsigned int i;

	for (i = 0; i < set->nsvc; i++) {
		struct tpl_ctx t = { x, set->svc[i] };

		if (!set->svc[i]->persist)
			continue;
		pthread_mutex_lock(&set->svc[i]->lock);
		persist_foreach(set->svc[i]->persist, tpl_conn_out, &t);
		pthread_mutex_unlock(&set->svc[i]->lock);
	}
}

/* Whether a DR or TUN service runs: flows to list. */
static bool has_flows(const struct svcset *set)
{
	unsigned int i;

	for (i = 0; i < set->nsvc; i++)
		if (set->svc[i]->fwd != FWD_NAT)
			return true;
	return false;
}

static int do_conns(struct admin *ad, struct ctl_reply *r)
{
	struct conns_ctx x = { .set = ad->set, .r = r, .now = clock_mono_ns() };
	int fam;

	pthread_rwlock_rdlock(&ad->set->lock);
	ctrack_foreach(ad->ct, conn_out, &x);
	if (has_flows(ad->set)) {
		for (fam = 0; fam < 2; fam++)
			ruleset_read_flows(ad->rs, fam ? AF_INET6 : AF_INET,
					   dr_conn_out, &x);
		flowpath_foreach(ad->fp, tun_conn_out, &x);
	}
	templates_out(&x, ad->set);
	pthread_rwlock_unlock(&ad->set->lock);
	return x.err ? ctl_reply_err(r, x.err, "reply too large") : 0;
}

static int do_info(struct admin *ad, struct ctl_reply *r)
{
	struct nflvs_ctl_info info = {
		.version = 0x010201,	/* what IPVS reports: "1.2.1" */
		.conn_tab_size = 4096,
		.nservices = ad->set->nsvc,
	};

	snprintf(info.name, sizeof(info.name), "nflvs %s", NFLVS_VERSION);
	return ctl_reply_put(r, &info, sizeof(info));
}

/* ---- changes ------------------------------------------------------------- */

/* ---- changes ------------------------------------------------------------- */

/* Apply an edited copy; on failure say why and free it. */
static int commit(struct admin *ad, struct nflvs_config *cfg,
		  struct ctl_reply *r)
{
	struct cfg_errors errs = { 0 };
	char err[512];
	size_t i;
	int ret;

	if (validate_config(cfg, &errs) > 0) {
		r->len = 0;
		for (i = 0; i < errs.n; i++) {
			/* no file and line here: drop the "FILE:0: " */
			const char *m = strstr(errs.msg[i], ":0: ");

			m = m ? m + 4 : errs.msg[i];
			ctl_reply_put(r, m, strlen(m));
			ctl_reply_put(r, "\n", 1);
		}
		config_errors_free(&errs);
		config_free(cfg);
		return r->status = -EINVAL;
	}
	ret = ad->apply(ad->ctx, cfg, err, sizeof(err));
	if (ret) {
		config_free(cfg);
		return ctl_reply_err(r, ret, "%s", err);
	}
	return 0;
}

/* One edit of @cfg: 0, or the error (and its text in @r). */
static int edit_cfg(struct nflvs_config *cfg, uint16_t type, const void *req,
		    struct ctl_reply *r)
{
	const char *why;
	int ret = cfgedit_apply(cfg, type, req, &why);

	if (ret && why)
		return ctl_reply_err(r, ret, "%s", why);
	return r->status = ret;
}

/* One edit request: a copy, the edit, one commit. */
static int edit(struct admin *ad, uint16_t type, const void *req,
		struct ctl_reply *r)
{
	struct nflvs_config cfg;

	if (config_dup(&cfg, ad->running) < 0)
		return ctl_reply_err(r, -ENOMEM, "out of memory");
	if (edit_cfg(&cfg, type, req, r)) {
		config_free(&cfg);
		return r->status;
	}
	return commit(ad, &cfg, r);
}

/* Sub-request payloads may sit anywhere in the batch: edit a copy. */
static int edit_sub(struct nflvs_config *cfg, struct admin *ad,
		    const struct nflvs_ctl_hdr *sub, const void *p,
		    struct ctl_reply *r)
{
	uint64_t a[CONTROL_REQ_MAX / sizeof(uint64_t)];

	memcpy(a, p, sub->len);		/* ctl_batch_next() checked the len */
	return cfg ? edit_cfg(cfg, sub->type, a, r) : edit(ad, sub->type, a, r);
}

/*
 * BATCH: the @n sub-requests on one copy (@cfg, taken), one commit.  When
 * the commit fails (the combined change is refused), they go again one
 * by one, each committed, so that the one that fails is known and those
 * before it stay applied, as ipvsadm -R would leave them.
 */
static void batch_apply(struct admin *ad, struct nflvs_config *cfg,
			const void *req, uint32_t len, uint32_t n,
			struct nflvs_ctl_batch_reply *br, struct ctl_reply *r)
{
	struct ctl_reply failed = { 0 };
	struct nflvs_ctl_hdr sub;
	const void *p;
	uint32_t off = 0;

	for (br->done = 0; br->done < n; br->done++) {
		ctl_batch_next(req, len, &off, &sub, &p);
		if (edit_sub(cfg, ad, &sub, p, &failed))
			break;
	}
	if (!br->done && failed.status) {
		config_free(cfg);	/* the first one failed: nothing to do */
		*r = failed;
		return;
	}
	if (commit(ad, cfg, r) == 0) {
		free(r->buf);
		*r = failed;		/* the edit that stopped the batch, if any */
		return;
	}
	/* nothing applied: one by one, to find the one refused */
	free(failed.buf);
	for (off = 0, br->done = 0; br->done < n; br->done++) {
		ctl_batch_next(req, len, &off, &sub, &p);
		r->len = 0;
		r->status = 0;
		if (edit_sub(NULL, ad, &sub, p, r))
			break;
	}
}

static void do_batch(struct admin *ad, const void *req, uint32_t len,
		     struct ctl_reply *r)
{
	struct nflvs_ctl_batch_reply br = { 0 };
	struct nflvs_config cfg;
	struct ctl_reply out = { 0 };
	struct nflvs_ctl_hdr sub;
	const void *p;
	uint32_t off = 0, n = 0;
	int ret;

	/* a batch that is not well formed does nothing */
	while ((ret = ctl_batch_next(req, len, &off, &sub, &p)) > 0)
		n++;
	if (ret < 0)
		ctl_reply_err(r, -EPROTO, "BATCH: sub-request %u is not well formed", n);
	else if (config_dup(&cfg, ad->running) < 0)
		ctl_reply_err(r, -ENOMEM, "out of memory");
	else
		batch_apply(ad, &cfg, req, len, n, &br, r);
	/* every reply starts with what was applied */
	ctl_reply_put(&out, &br, sizeof(br));
	ctl_reply_put(&out, r->buf, r->len);
	out.status = r->status;
	free(r->buf);
	*r = out;
}

static int do_zero(struct admin *ad, const void *req, uint32_t len,
		   struct ctl_reply *r)
{
	const struct nflvs_ctl_svc *k = len ? req : NULL;
	struct svcset *set = ad->set;
	unsigned int i, found = 0;

	stats_refresh(set, ad->rs->table, false);
	pthread_rwlock_rdlock(&set->lock);
	for (i = 0; i < set->nsvc; i++) {
		if (k && !svc_matches(set->svc[i], k))
			continue;
		found++;
		pthread_mutex_lock(&set->svc[i]->lock);
		stats_zero_service(set->svc[i]);
		pthread_mutex_unlock(&set->svc[i]->lock);
	}
	pthread_rwlock_unlock(&set->lock);
	return k && !found ? (r->status = -ESRCH) : 0;
}

static int do_timeout(struct admin *ad, uint16_t type, const void *req,
		      struct ctl_reply *r)
{
	const struct nflvs_ctl_timeout *in = req;
	const struct rs_timeouts *now = &ad->rs->timeouts;
	struct nflvs_ctl_timeout out = { now->tcp, now->tcpfin, now->udp };
	struct rs_timeouts t = *now;
	const char *why = NULL;
	char err[256];
	int ret;

	if (type == NFLVS_CTL_GET_TIMEOUT)
		return ctl_reply_put(r, &out, sizeof(out));
	ret = ctl_check_timeout(in, &why);
	if (ret)
		return ctl_reply_err(r, ret, "%s", why ? why : "invalid timeout");
	/* 0 = unchanged, as ipvsadm --set */
	if (in->tcp)
		t.tcp = in->tcp;
	if (in->tcp_fin)
		t.tcpfin = in->tcp_fin;
	if (in->udp)
		t.udp = in->udp;
	ret = ad->set_timeouts(ad->ctx, &t, err, sizeof(err));
	if (ret)
		return ctl_reply_err(r, ret, "%s", err);
	log_info("timeouts (tcp tcpfin udp): %u %u %u", t.tcp, t.tcpfin, t.udp);
	return 0;
}

static int do_reload(struct admin *ad, struct ctl_reply *r)
{
	struct cfg_errors errs = { 0 };	/* a hook that fails early */
	size_t i;

	if (ad->reload(ad->ctx, &errs) == 0)
		return 0;
	for (i = 0; i < errs.n; i++) {
		ctl_reply_put(r, errs.msg[i], strlen(errs.msg[i]));
		ctl_reply_put(r, "\n", 1);
	}
	config_errors_free(&errs);
	return r->status = -EINVAL;
}

static int do_daemon(struct admin *ad, uint16_t type, const void *req,
		     struct ctl_reply *r)
{
	struct nflvs_ctl_daemon out[2];
	const char *why = NULL;
	char err[256];
	unsigned int n;
	int ret;

	if (type == NFLVS_CTL_GET_DAEMON) {
		n = ad->daemons(ad->ctx, out);
		return n ? ctl_reply_put(r, out, n * sizeof(out[0])) : 0;
	}
	ret = ctl_check_daemon(req, type == NFLVS_CTL_START_DAEMON, &why);
	if (ret)
		return ctl_reply_err(r, ret, "%s", why);
	ret = ad->daemon(ad->ctx, req, type == NFLVS_CTL_START_DAEMON, err,
			 sizeof(err));
	return ret ? ctl_reply_err(r, ret, "%s", err) : 0;
}

static void do_ha(struct admin *ad, uint16_t type, const void *req,
		  struct ctl_reply *r)
{
	struct nflvs_ctl_role role;
	char err[256], *text;
	size_t len = 0;
	int ret;

	switch (type) {
	case NFLVS_CTL_SET_ROLE:
		memcpy(&role, req, sizeof(role));
		if (ad->set_role(ad->ctx, role.role) < 0)
			ctl_reply_err(r, -EINVAL, "unknown role %u", role.role);
		break;
	case NFLVS_CTL_STATUS:
		text = ad->status(ad->ctx, &len);
		if (!text)
			ctl_reply_err(r, -ENOMEM, "out of memory");
		else
			ctl_reply_put(r, text, len);
		free(text);
		break;
	default:		/* NFLVS_CTL_CHECK */
		ret = ad->check(ad->ctx, err, sizeof(err));
		if (ret)
			ctl_reply_err(r, ret, "%s", err);
	}
}

void admin_serve(void *ctx, const struct nflvs_ctl_hdr *h, const void *req,
		 struct ctl_reply *r)
{
	struct admin *ad = ctx;

	if (ctl_batchable(h->type)) {	/* the edits */
		edit(ad, h->type, req, r);
		return;
	}
	switch (h->type) {
	case NFLVS_CTL_INFO:
		do_info(ad, r);
		break;
	case NFLVS_CTL_LIST:
		do_list(ad, req, h->len, r);
		break;
	case NFLVS_CTL_CONNS:
		do_conns(ad, r);
		break;
	case NFLVS_CTL_BATCH:
		do_batch(ad, req, h->len, r);
		break;
	case NFLVS_CTL_ZERO:
		do_zero(ad, req, h->len, r);
		break;
	case NFLVS_CTL_GET_TIMEOUT:
	case NFLVS_CTL_SET_TIMEOUT:
		do_timeout(ad, h->type, req, r);
		break;
	case NFLVS_CTL_RELOAD:
		do_reload(ad, r);
		break;
	case NFLVS_CTL_START_DAEMON:
	case NFLVS_CTL_STOP_DAEMON:
	case NFLVS_CTL_GET_DAEMON:
		if (ad->daemon)
			do_daemon(ad, h->type, req, r);
		else
			r->status = -EOPNOTSUPP;
		break;
	case NFLVS_CTL_SET_ROLE:
	case NFLVS_CTL_STATUS:
	case NFLVS_CTL_CHECK:
		if (ad->set_role)
			do_ha(ad, h->type, req, r);
		else
			r->status = -EOPNOTSUPP;
		break;
	default:
		r->status = -EOPNOTSUPP;
	}
}
