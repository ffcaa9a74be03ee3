// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket: nflvsadm's requests (include/nflvs/ctl.h).
 *
 * The main thread serves it: one request at a time per client, each
 * validated as untrusted input (framing by common/ctl.c, every field by
 * ctl_check_*).  A change is made as the config file's changes are: a copy
 * of the running configuration is edited and handed to director_apply(),
 * which puts the difference into the kernel in one batch, or changes
 * nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "ctlmsg.h"
#include "director.h"
#include "log.h"
#include "lvs.h"
#include "scheduler.h"
#include "stats.h"

#define CTL_TIMEOUT_MS	2000
#define CTL_REQ_MAX	4096	/* the largest request is two structs */

/* A reply being built. */
struct reply {
	char *buf;
	size_t len, cap;
	int status;
};

static int reply_put(struct reply *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *nb;

		while (cap < r->len + n)
			cap *= 2;
		if (cap > NFLVS_CTL_MAX_LEN || !(nb = realloc(r->buf, cap)))
			return -ENOMEM;
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	return 0;
}

/* An error with a sentence saying why (the reply's payload). */
static int reply_err(struct reply *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reply_err(struct reply *r, int err, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->len = 0;
	if (n > 0)
		reply_put(r, text, strlen(text));
	return r->status = err;
}

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

static void dest_out(struct director *d, const struct dest *dst,
		     struct nflvs_ctl_dest *o)
{
	struct nflvs_shm_rs h = { 0 };

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
	if (dst->shm_slot >= 0 &&
	    nflvs_seq_read(&d->shm.rs[dst->shm_slot].hseq, &h.health,
			   &d->shm.rs[dst->shm_slot].health, sizeof(h.health)) == 0) {
		o->health = h.health.state;
		o->latency_us = h.health.latency_us;
		memcpy(o->last_error, h.health.last_error,
		       sizeof(o->last_error) - 1);
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

static int do_list(struct director *d, const void *req, uint32_t len,
		   struct reply *r)
{
	const struct nflvs_ctl_svc *k = len ? req : NULL;
	struct nflvs_ctl_svc so;
	struct nflvs_ctl_dest dout;
	unsigned int i, j, found = 0;
	int err = 0;

	pthread_rwlock_rdlock(&d->lock);
	for (i = 0; i < d->nsvc && !err; i++) {
		struct service *svc = d->svc[i];

		if (k && !svc_matches(svc, k))
			continue;
		found++;
		pthread_mutex_lock(&svc->lock);
		svc_out(svc, &so);
		err = reply_put(r, &so, sizeof(so));
		for (j = 0; j < svc->ndests && !err; j++) {
			dest_out(d, svc->dests[j], &dout);
			err = reply_put(r, &dout, sizeof(dout));
		}
		pthread_mutex_unlock(&svc->lock);
	}
	pthread_rwlock_unlock(&d->lock);
	if (err)
		return reply_err(r, err, "reply too large");
	if (k && !found)
		return reply_err(r, -ESRCH, "no such service");
	return 0;
}

struct conns_ctx {
	struct director *d;
	struct reply *r;
	uint64_t now;
	int err;
};

static void conn_out(void *ctx, const struct ct_event *ev, uint32_t mark,
		     uint64_t expires)
{
	struct conns_ctx *x = ctx;
	struct director *d = x->d;
	uint32_t idx = mark >> d->marks.shift;
	struct nflvs_ctl_conn c = { 0 };
	struct dest *dst;

	if (x->err || idx > mark_capacity(&d->marks) || !(dst = d->bymark[idx]))
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
	x->err = reply_put(x->r, &c, sizeof(c));
}

/* One DR or TUN connection; @left in seconds. */
static void lvs_conn_out(struct conns_ctx *x, const struct nflvs_addr *client,
			 uint16_t cport, const struct nflvs_addr *vip,
			 uint16_t vport, uint8_t proto, const char *state,
			 uint64_t left, uint32_t mark)
{
	struct director *d = x->d;
	uint32_t idx = (mark & d->cfg.director.mark_mask) >> d->marks.shift;
	struct nflvs_ctl_conn c = { 0 };
	struct dest *dst;

	if (x->err || idx > mark_capacity(&d->marks) || !(dst = d->bymark[idx]))
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
	x->err = reply_put(x->r, &c, sizeof(c));
}

/* DR: the kernel's flow maps, with the time each element has left. */
static void dr_conn_out(void *ctx, const struct rs_flow *f)
{
	static const char *const state[RS_FLOWMAPS] = {
		[RS_FLOWS_TCP] = "ESTABLISHED", [RS_FLOWS_UDP] = "UDP",
		[RS_FLOWS_CLOSING] = "FIN_WAIT",
	};

	lvs_conn_out(ctx, &f->saddr, f->sport, &f->daddr, f->dport,
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
		lvs_conn_out(x, &f->key.saddr, f->key.sport, &f->key.daddr,
			     f->key.dport, f->key.proto, state[f->state],
			     f->expires > x->now ? (f->expires - x->now) / 1000000000ull : 0,
			     f->mark);
}

static int do_conns(struct director *d, struct reply *r)
{
	struct timespec ts;
	struct conns_ctx x = { .d = d, .r = r };
	struct ruleset rs;
	int fam;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x.now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	pthread_rwlock_rdlock(&d->lock);
	ctrack_foreach(&d->ct, conn_out, &x);
	if (d->lvs.dr_services) {
		director_ruleset_base(d, &rs);
		for (fam = 0; fam < 2; fam++)
			ruleset_read_flows(&rs, fam ? AF_INET6 : AF_INET,
					   dr_conn_out, &x);
		lvs_foreach(d, tun_conn_out, &x);
	}
	pthread_rwlock_unlock(&d->lock);
	return x.err ? reply_err(r, x.err, "reply too large") : 0;
}

static int do_info(struct director *d, struct reply *r)
{
	struct nflvs_ctl_info info = {
		.version = 0x010201,	/* what IPVS reports: "1.2.1" */
		.conn_tab_size = 4096,
		.nservices = d->nsvc,
	};

	snprintf(info.name, sizeof(info.name), "nflvs %s", NFLVS_VERSION);
	return reply_put(r, &info, sizeof(info));
}

/* ---- changes ------------------------------------------------------------- */

static int cfg_find_service(const struct nflvs_config *cfg,
			    const struct nflvs_ctl_svc *k)
{
	size_t i;

	for (i = 0; i < cfg->nsvc; i++) {
		const struct cfg_service *s = &cfg->svc[i];

		if (k->fwmark || s->fwmark) {
			if (s->fwmark == k->fwmark && s->vip.family == k->family)
				return i;
		} else if (s->vip.family == k->family &&
			   s->protocol == k->protocol && s->port == k->port &&
			   !memcmp(s->vip.b, k->addr, addr_len(&s->vip))) {
			return i;
		}
	}
	return -1;
}

static int cfg_find_rs(const struct cfg_service *s,
		       const struct nflvs_ctl_dest *k)
{
	size_t i;

	for (i = 0; i < s->nrs; i++)
		if (s->rs[i].addr.family == k->family &&
		    s->rs[i].port == k->port &&
		    !memcmp(s->rs[i].addr.b, k->addr, addr_len(&s->rs[i].addr)))
			return i;
	return -1;
}

static void svc_params_from(struct cfg_service *s, const struct nflvs_ctl_svc *in)
{
	if (in->sched[0])
		snprintf(s->scheduler, sizeof(s->scheduler), "%s", in->sched);
	s->sched_flags = in->sched_flags;
	s->persistence = in->flags & NFLVS_CTL_SVC_F_PERSISTENT ? in->timeout : 0;
	s->persistence_netmask = in->netmask ? (int)in->netmask
			       : (in->family == AF_INET6 ? 128 : 32);
	s->one_packet = !!(in->flags & NFLVS_CTL_SVC_F_ONEPACKET);
	if (in->name[0])
		snprintf(s->name, sizeof(s->name), "%s", in->name);
}

static int add_service(struct nflvs_config *cfg, const struct nflvs_ctl_svc *in)
{
	struct cfg_service *n = realloc(cfg->svc, (cfg->nsvc + 1) * sizeof(*n));
	struct cfg_service *s;

	if (!n)
		return -ENOMEM;
	cfg->svc = n;
	s = &cfg->svc[cfg->nsvc];
	memset(s, 0, sizeof(*s));
	s->fwmark = in->fwmark;
	s->vip.family = in->family;
	if (!in->fwmark) {
		memcpy(s->vip.b, in->addr, sizeof(s->vip.b));
		s->port = in->port;
		s->protocol = in->protocol;
	}
	snprintf(s->scheduler, sizeof(s->scheduler), "wlc");
	s->fwd = FWD_NAT;
	s->quorum = 1;
	s->check.type = CHECK_NONE;
	s->file_index = CFG_NOT_IN_FILE;
	svc_params_from(s, in);
	s->rs = calloc(1, sizeof(*s->rs));
	if (!s->rs)
		return -ENOMEM;
	cfg->nsvc++;
	return 0;
}

static void dest_params_from(struct cfg_rs *rs, const struct nflvs_ctl_dest *in)
{
	rs->weight = in->weight;
	rs->fwd = in->fwd;
	rs->upper_threshold = in->u_threshold;
	rs->lower_threshold = in->l_threshold;
	rs->tunnel.type = in->tun_type;
	rs->tunnel.port = in->tun_port;
	rs->tunnel.csum = !!(in->tun_flags & NFLVS_CTL_TUN_F_CSUM);
}

static int add_dest(struct cfg_service *s, const struct nflvs_ctl_dest *in)
{
	struct cfg_rs *n = realloc(s->rs, (s->nrs + 2) * sizeof(*n)), tmp;

	if (!n)
		return -ENOMEM;
	s->rs = n;
	memset(&tmp, 0, sizeof(tmp));
	tmp.addr.family = in->family;
	memcpy(tmp.addr.b, in->addr, sizeof(tmp.addr.b));
	tmp.port = in->port;
	tmp.check = s->check;		/* the service's check, copied below */
	tmp.file_index = CFG_NOT_IN_FILE;
	dest_params_from(&tmp, in);
	/* ipvsadm: the first real server says how the service forwards */
	if (!s->nrs)
		s->fwd = tmp.fwd;
	if (config_rs_dup(&s->rs[s->nrs], &tmp) < 0)
		return -ENOMEM;
	s->nrs++;
	return 0;
}

static void del_at(void *base, size_t *n, size_t size, size_t i)
{
	char *b = base;

	memmove(b + i * size, b + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}

/* Apply an edited copy; on failure say why and free it. */
static int commit(struct director *d, struct nflvs_config *cfg,
		  struct reply *r)
{
	struct cfg_errors errs = { 0 };
	char err[512];
	size_t i;
	int ret;

	if (director_check_config(cfg, &errs) > 0) {
		r->len = 0;
		for (i = 0; i < errs.n; i++) {
			/* no file and line here: drop the "FILE:0: " */
			const char *m = strstr(errs.msg[i], ":0: ");

			m = m ? m + 4 : errs.msg[i];
			reply_put(r, m, strlen(m));
			reply_put(r, "\n", 1);
		}
		config_errors_free(&errs);
		config_free(cfg);
		return r->status = -EINVAL;
	}
	ret = director_apply(d, cfg, err, sizeof(err));
	if (ret) {
		config_free(cfg);
		return reply_err(r, ret, "%s", err);
	}
	return 0;
}

/*
 * The edits (ADD/EDIT/DEL_SERVICE, ADD/EDIT/DEL_DEST, FLUSH), each on a
 * copy of the configuration: 0, or the error (and its text in @r) with
 * the copy unchanged.  edit() makes one and commits it; BATCH makes many
 * on one copy.
 */
static int edit_service(struct nflvs_config *cfg, uint16_t type,
			const struct nflvs_ctl_svc *in, struct reply *r)
{
	const char *why = NULL;
	int i, ret;

	ret = type == NFLVS_CTL_DEL_SERVICE ? ctl_check_svc_id(in, &why)
					    : ctl_check_svc(in, &why);
	if (ret)
		return reply_err(r, ret, "%s", why ? why : "invalid service");
	i = cfg_find_service(cfg, in);
	if (type == NFLVS_CTL_ADD_SERVICE && i >= 0)
		return r->status = -EEXIST;
	if (type != NFLVS_CTL_ADD_SERVICE && i < 0)
		return r->status = -ESRCH;
	if (type == NFLVS_CTL_ADD_SERVICE)
		return r->status = add_service(cfg, in);
	if (type == NFLVS_CTL_EDIT_SERVICE) {
		svc_params_from(&cfg->svc[i], in);
	} else {
		config_service_free(&cfg->svc[i]);
		del_at(cfg->svc, &cfg->nsvc, sizeof(*cfg->svc), i);
	}
	return 0;
}

static int edit_dest(struct nflvs_config *cfg, uint16_t type, const void *req,
		     struct reply *r)
{
	const struct nflvs_ctl_svc *ks = req;
	const struct nflvs_ctl_dest *in = (const void *)(ks + 1);
	struct nflvs_ctl_dest k;
	const char *why = NULL;
	struct cfg_service *s;
	int i, j, ret;

	ret = ctl_check_svc_id(ks, &why);
	if (!ret)
		ret = ctl_check_dest(type, ks, in, &why);
	if (ret)
		return reply_err(r, ret, "%s", why ? why : "invalid destination");
	if (in->tun_flags & NFLVS_CTL_TUN_F_REMCSUM)
		return reply_err(r, -EOPNOTSUPP, "--tun-remcsum: remote checksum offload is not supported (--tun-csum or --tun-nocsum)");
	i = cfg_find_service(cfg, ks);
	if (i < 0)
		return r->status = -ESRCH;
	s = &cfg->svc[i];
	/* as ipvsadm: DR and TUN real servers keep the service's port */
	k = *in;
	if (k.fwd != NFLVS_CTL_FWD_NAT && !s->fwmark && s->port)
		k.port = s->port;
	in = &k;
	j = cfg_find_rs(s, in);
	if (type == NFLVS_CTL_ADD_DEST && j >= 0)
		return r->status = -EEXIST;
	if (type != NFLVS_CTL_ADD_DEST && j < 0)
		return r->status = -ENOENT;
	if (!s->fwmark && s->vip.family != in->family &&
	    in->fwd != NFLVS_CTL_FWD_TUN)
		return reply_err(r, -EINVAL, "the real server's address family is not the service's");
	if (type == NFLVS_CTL_ADD_DEST)
		return r->status = add_dest(s, in);
	if (type == NFLVS_CTL_EDIT_DEST) {
		dest_params_from(&s->rs[j], in);
	} else {
		config_rs_free(&s->rs[j]);
		del_at(s->rs, &s->nrs, sizeof(*s->rs), j);
	}
	return 0;
}

static int edit_cfg(struct nflvs_config *cfg, uint16_t type, const void *req,
		    struct reply *r)
{
	size_t i;

	switch (type) {
	case NFLVS_CTL_ADD_SERVICE:
	case NFLVS_CTL_EDIT_SERVICE:
	case NFLVS_CTL_DEL_SERVICE:
		return edit_service(cfg, type, req, r);
	case NFLVS_CTL_ADD_DEST:
	case NFLVS_CTL_EDIT_DEST:
	case NFLVS_CTL_DEL_DEST:
		return edit_dest(cfg, type, req, r);
	case NFLVS_CTL_FLUSH:
		for (i = 0; i < cfg->nsvc; i++)
			config_service_free(&cfg->svc[i]);
		cfg->nsvc = 0;
		return 0;
	}
	return r->status = -EOPNOTSUPP;
}

/* One edit request: a copy, the edit, one commit. */
static int edit(struct director *d, uint16_t type, const void *req,
		struct reply *r)
{
	struct nflvs_config cfg;

	if (config_dup(&cfg, &d->cfg) < 0)
		return reply_err(r, -ENOMEM, "out of memory");
	if (edit_cfg(&cfg, type, req, r)) {
		config_free(&cfg);
		return r->status;
	}
	return commit(d, &cfg, r);
}

/* Sub-request payloads may sit anywhere in the batch: edit a copy. */
static int edit_sub(struct nflvs_config *cfg, struct director *d,
		    const struct nflvs_ctl_hdr *sub, const void *p,
		    struct reply *r)
{
	uint64_t a[CTL_REQ_MAX / sizeof(uint64_t)];

	memcpy(a, p, sub->len);		/* ctl_batch_next() checked the len */
	return cfg ? edit_cfg(cfg, sub->type, a, r) : edit(d, sub->type, a, r);
}

/*
 * BATCH: the @n sub-requests on one copy (@cfg, taken), one commit.  When
 * the commit fails (the combined change is refused), they go again one
 * by one, each committed, so that the one that fails is known and those
 * before it stay applied, as ipvsadm -R would leave them.
 */
static void batch_apply(struct director *d, struct nflvs_config *cfg,
			const void *req, uint32_t len, uint32_t n,
			struct nflvs_ctl_batch_reply *br, struct reply *r)
{
	struct reply failed = { 0 };
	struct nflvs_ctl_hdr sub;
	const void *p;
	uint32_t off = 0;

	for (br->done = 0; br->done < n; br->done++) {
		ctl_batch_next(req, len, &off, &sub, &p);
		if (edit_sub(cfg, d, &sub, p, &failed))
			break;
	}
	if (!br->done && failed.status) {
		config_free(cfg);	/* the first one failed: nothing to do */
		*r = failed;
		return;
	}
	if (commit(d, cfg, r) == 0) {
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
		if (edit_sub(NULL, d, &sub, p, r))
			break;
	}
}

static void do_batch(struct director *d, const void *req, uint32_t len,
		     struct reply *r)
{
	struct nflvs_ctl_batch_reply br = { 0 };
	struct nflvs_config cfg;
	struct reply out = { 0 };
	struct nflvs_ctl_hdr sub;
	const void *p;
	uint32_t off = 0, n = 0;
	int ret;

	/* a batch that is not well formed does nothing */
	while ((ret = ctl_batch_next(req, len, &off, &sub, &p)) > 0)
		n++;
	if (ret < 0)
		reply_err(r, -EPROTO, "BATCH: sub-request %u is not well formed", n);
	else if (config_dup(&cfg, &d->cfg) < 0)
		reply_err(r, -ENOMEM, "out of memory");
	else
		batch_apply(d, &cfg, req, len, n, &br, r);
	/* every reply starts with what was applied */
	reply_put(&out, &br, sizeof(br));
	reply_put(&out, r->buf, r->len);
	out.status = r->status;
	free(r->buf);
	*r = out;
}

static int do_zero(struct director *d, const void *req, uint32_t len,
		   struct reply *r)
{
	const struct nflvs_ctl_svc *k = len ? req : NULL;
	unsigned int i, found = 0;

	stats_refresh(d, false);
	pthread_rwlock_rdlock(&d->lock);
	for (i = 0; i < d->nsvc; i++) {
		if (k && !svc_matches(d->svc[i], k))
			continue;
		found++;
		pthread_mutex_lock(&d->svc[i]->lock);
		stats_zero_service(d->svc[i]);
		pthread_mutex_unlock(&d->svc[i]->lock);
	}
	pthread_rwlock_unlock(&d->lock);
	return k && !found ? (r->status = -ESRCH) : 0;
}

static int do_timeout(struct director *d, uint16_t type, const void *req,
		      struct reply *r)
{
	const struct nflvs_ctl_timeout *in = req;
	struct nflvs_ctl_timeout out = { d->timeouts.tcp, d->timeouts.tcpfin,
					 d->timeouts.udp };
	struct rs_timeouts t = d->timeouts;
	struct nft_batch b;
	struct ruleset rs;
	const char *why = NULL;
	char err[256];
	int ret;

	if (type == NFLVS_CTL_GET_TIMEOUT)
		return reply_put(r, &out, sizeof(out));
	ret = ctl_check_timeout(in, &why);
	if (ret)
		return reply_err(r, ret, "%s", why ? why : "invalid timeout");
	/* 0 = unchanged, as ipvsadm --set */
	if (in->tcp)
		t.tcp = in->tcp;
	if (in->tcp_fin)
		t.tcpfin = in->tcp_fin;
	if (in->udp)
		t.udp = in->udp;
	if (d->ruleset_applied) {
		director_ruleset_base(d, &rs);
		rs.timeouts = t;
		if (nft_batch_init(&b) < 0)
			return reply_err(r, -ENOMEM, "out of memory");
		ret = ruleset_build_timeouts(&b, &rs);
		if (!ret)
			ret = ruleset_commit(&b, err, sizeof(err));
		nft_batch_free(&b);
		if (ret)
			return reply_err(r, ret, "%s", err);
	}
	d->timeouts = t;
	log_info("timeouts (tcp tcpfin udp): %u %u %u", t.tcp, t.tcpfin, t.udp);
	return 0;
}

static int do_reload(struct director *d, struct reply *r)
{
	struct cfg_errors errs;
	size_t i;

	if (director_reload(d, &errs) == 0)
		return 0;
	for (i = 0; i < errs.n; i++) {
		reply_put(r, errs.msg[i], strlen(errs.msg[i]));
		reply_put(r, "\n", 1);
	}
	config_errors_free(&errs);
	return r->status = -EINVAL;
}

static void dispatch(struct director *d, const struct nflvs_ctl_hdr *h,
		     const void *req, struct reply *r)
{
	if (ctl_batchable(h->type)) {	/* the edits */
		edit(d, h->type, req, r);
		return;
	}
	switch (h->type) {
	case NFLVS_CTL_INFO:
		do_info(d, r);
		break;
	case NFLVS_CTL_LIST:
		do_list(d, req, h->len, r);
		break;
	case NFLVS_CTL_CONNS:
		do_conns(d, r);
		break;
	case NFLVS_CTL_BATCH:
		do_batch(d, req, h->len, r);
		break;
	case NFLVS_CTL_ZERO:
		do_zero(d, req, h->len, r);
		break;
	case NFLVS_CTL_GET_TIMEOUT:
	case NFLVS_CTL_SET_TIMEOUT:
		do_timeout(d, h->type, req, r);
		break;
	case NFLVS_CTL_RELOAD:
		do_reload(d, r);
		break;
	default:
		r->status = -EOPNOTSUPP;
	}
}

/* ---- the socket ---------------------------------------------------------- */

static int control_mkdir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int control_open(struct director *d)
{
	const struct cfg_director *c = &d->cfg.director;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *ct = &d->control;
	mode_t mode = 0600;
	gid_t gid = 0;
	int fd, i;

	for (i = 0; i < CONTROL_CLIENTS; i++)
		ct->client[i] = -1;
	ct->lfd = -1;
	if (c->control_group[0]) {
		struct group *g = getgrnam(c->control_group);

		if (!g) {
			log_err("control: no group %s", c->control_group);
			return -ENOENT;
		}
		gid = g->gr_gid;
		mode = 0660;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->control);
	if (control_mkdir(c->control) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(c->control);	/* a stale socket of a crashed director */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chown(c->control, 0, gid) < 0 || chmod(c->control, mode) < 0 ||
	    listen(fd, 16) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	ct->lfd = fd;
	log_info("control socket %s (mode %04o%s%s)", c->control, mode,
		 gid ? ", group " : "", gid ? c->control_group : "");
	return 0;
}

void control_close(struct director *d)
{
	struct control *ct = &d->control;
	int i;

	if (ct->lfd < 0)
		return;
	close(ct->lfd);
	ct->lfd = -1;
	unlink(d->cfg.director.control);
	for (i = 0; i < CONTROL_CLIENTS; i++)
		if (ct->client[i] >= 0) {
			close(ct->client[i]);
			ct->client[i] = -1;
		}
}

int control_pollfds(struct director *d, struct pollfd *p, int max)
{
	struct control *ct = &d->control;
	int n = 0, i;

	if (ct->lfd < 0 || max < 1)
		return 0;
	p[n++] = (struct pollfd){ .fd = ct->lfd, .events = POLLIN };
	for (i = 0; i < CONTROL_CLIENTS && n < max; i++)
		if (ct->client[i] >= 0)
			p[n++] = (struct pollfd){ .fd = ct->client[i],
						  .events = POLLIN };
	return n;
}

static void control_accept(struct control *ct)
{
	struct timeval tv = { CTL_TIMEOUT_MS / 1000, 0 };
	int fd, i;

	fd = accept4(ct->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < CONTROL_CLIENTS; i++)
		if (ct->client[i] < 0)
			break;
	if (i == CONTROL_CLIENTS) {
		close(fd);	/* busy: the client sees EOF and can retry */
		return;
	}
	/* a client that stalls mid-message must not stall the director */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ct->client[i] = fd;
}

/* One request of client @i; false when the connection is done. */
static bool control_serve(struct director *d, int fd)
{
	struct nflvs_ctl_hdr h;
	struct reply r = { 0 };
	void *req;
	int n;

	n = ctl_recv_alloc(fd, &h, &req, CTL_REQ_MAX, NFLVS_CTL_BATCH_MAX);
	if (n == 0)
		return false;
	if (n < 0 && n != -EOPNOTSUPP) {
		log_warn("control: dropping a client: %s", strerror(-n));
		return false;
	}
	if (n == -EOPNOTSUPP)
		r.status = -EOPNOTSUPP;
	else if (ctl_check_request_len(h.type, h.len) < 0)
		reply_err(&r, -EPROTO, "%s: wrong payload length %u",
			  ctl_type_name(h.type), h.len);
	else
		dispatch(d, &h, req, &r);
	free(req);
	n = ctl_send(fd, h.type, h.seq, r.status, r.buf, r.len);
	free(r.buf);
	return n == 0;
}

void control_handle(struct director *d, const struct pollfd *p, int n)
{
	struct control *ct = &d->control;
	int i, j;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == ct->lfd) {
			control_accept(ct);
			continue;
		}
		for (j = 0; j < CONTROL_CLIENTS; j++)
			if (ct->client[j] == p[i].fd &&
			    !control_serve(d, p[i].fd)) {
				close(ct->client[j]);
				ct->client[j] = -1;
			}
	}
}
