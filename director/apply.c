// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Changing the running configuration: the config file at start and on
 * reload, nflvsadm's commands in between.  Every change is a whole new
 * desired configuration, compared with what runs:
 *
 *   plan     match services (by vip . protocol . port, or fwmark) and real
 *            servers (by address . port); build what is new, with its
 *            marks and shared-memory slots, without touching what runs
 *   kernel   the difference as one nft batch of element deletes and adds;
 *            if the kernel refuses it, the plan is dropped and nothing
 *            changed
 *   commit   under the write lock: services and real servers added,
 *            changed or removed; removed real servers drain (their
 *            connections go on, their marks stay taken until the last one
 *            ends), as IPVS keeps deleted destinations in its trash
 *
 * Established connections of real servers that stay are never touched:
 * their elements stay, their conntrack entries keep their marks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "director.h"
#include "health.h"
#include "log.h"
#include "lvs.h"
#include "persist.h"
#include "ruleset.h"
#include "scheduler.h"
#include "stats.h"

struct dest_mod {
	struct dest *dst;
	const struct cfg_rs *c;
};

/* What happens to one service of the new configuration. */
struct svc_plan {
	const struct cfg_service *c;
	struct service *svc;		/* running, or built for it */
	bool is_new;
	bool kind_changed;		/* one_packet toggled: elements move */
	struct dest **add;		/* new real servers, config order */
	size_t *add_rs;			/* their index in c->rs */
	unsigned int nadd;
	struct dest **del;		/* running real servers that go */
	unsigned int ndel;
	struct dest_mod *mod;		/* running real servers that stay */
	unsigned int nmod;
	struct dest *new_sorry;
	bool drop_sorry;
};

struct plan {
	struct svc_plan *s;
	unsigned int ns;
	struct service **del;		/* running services that go */
	unsigned int ndel;
};

/* ---- building ----------------------------------------------------------- */

static struct dest *dest_new(struct director *d, const struct cfg_rs *c,
			     bool shm)
{
	struct dest *dst = calloc(1, sizeof(*dst));
	int slot = -1;

	if (!dst)
		return NULL;
	dst->addr = c->addr;
	dst->port = c->port;
	dst->fwd = c->fwd;
	dst->weight = dst->conf_weight = c->weight;
	dst->u_threshold = c->upper_threshold;
	dst->l_threshold = c->lower_threshold;
	dst->hweight = -1;
	dst->cfg_index = c->file_index;
	dst->mark = mark_alloc(&d->marks);
	if (shm)
		slot = shm_rs_alloc(&d->shm, &dst->id);
	if (!dst->mark || (shm && slot < 0)) {
		if (dst->mark)
			mark_free(&d->marks, dst->mark);
		free(dst);
		return NULL;
	}
	dst->shm_slot = slot;
	d->bymark[dst->mark >> d->marks.shift] = dst;
	return dst;
}

static void dest_free(struct director *d, struct dest *dst)
{
	lvs_dest_down(d, dst);
	if (dst->svc && dst->svc->persist)
		persist_forget_dest(dst->svc->persist, dst);
	d->bymark[dst->mark >> d->marks.shift] = NULL;
	mark_free(&d->marks, dst->mark);
	/* -k: the records stay for the next start (and the checker) */
	if (dst->shm_slot >= 0 && !d->keep)
		shm_rs_free(&d->shm, dst->shm_slot);
	free(dst);
}

static struct dest *sorry_new(struct director *d, const struct cfg_service *c)
{
	struct cfg_rs rc = { .addr = c->sorry_addr, .port = c->sorry_port,
			     .weight = 1, .fwd = c->fwd,
			     .file_index = CFG_NOT_IN_FILE };
	struct dest *dst = dest_new(d, &rc, false);

	if (dst)
		dst->cfg = rc;
	return dst;
}

static void service_params(struct service *svc, const struct cfg_service *c)
{
	snprintf(svc->name, sizeof(svc->name), "%s", c->name);
	svc->sched_flags = c->sched_flags;
	svc->fwd = c->fwd;
	svc->persistence = c->persistence;
	svc->netmask = c->persistence_netmask;
	svc->one_packet = c->one_packet;
	svc->quorum = c->quorum;
	svc->cfg_index = c->file_index;
}

static int service_persist(struct service *svc)
{
	if (svc->persistence && !svc->persist) {
		svc->persist = calloc(1, sizeof(*svc->persist));
		if (!svc->persist || persist_init(svc->persist) < 0) {
			free(svc->persist);
			svc->persist = NULL;
			return -ENOMEM;
		}
	} else if (!svc->persistence && svc->persist) {
		persist_fini(svc->persist);
		free(svc->persist);
		svc->persist = NULL;
	}
	return 0;
}

/* A service object for @c, not linked anywhere yet. */
static struct service *service_new(struct director *d,
				   const struct cfg_service *c)
{
	struct service *svc = calloc(1, sizeof(*svc));
	int slot;

	if (!svc)
		return NULL;
	svc->fwmark = c->fwmark;
	svc->family = c->vip.family;
	svc->protocol = c->protocol;
	svc->port = c->port;
	svc->vip = c->vip;
	svc->shm_slot = -1;
	service_params(svc, c);
	if (service_init(svc, c->scheduler) < 0) {
		free(svc);
		return NULL;
	}
	slot = shm_service_alloc(&d->shm, &svc->id);
	if (slot < 0 || service_persist(svc) < 0) {
		if (slot >= 0)
			shm_service_free(&d->shm, slot);
		service_destroy(svc);
		free(svc);
		return NULL;
	}
	svc->shm_slot = slot;
	return svc;
}

/* Free a service and everything it still holds. */
static void service_free(struct director *d, struct service *svc)
{
	unsigned int i;

	if (svc->persist) {
		persist_fini(svc->persist);
		free(svc->persist);
	}
	svc->persist = NULL;
	for (i = 0; i < svc->ndests; i++)
		dest_free(d, svc->dests[i]);
	for (i = 0; i < svc->ndraining; i++)
		dest_free(d, svc->draining[i]);
	if (svc->sorry)
		dest_free(d, svc->sorry);
	if (svc->shm_slot >= 0 && !d->keep)
		shm_service_free(&d->shm, svc->shm_slot);
	free(svc->draining);
	service_destroy(svc);
	free(svc);
}

/* ---- planning ----------------------------------------------------------- */

static bool service_is(const struct service *svc, const struct cfg_service *c)
{
	if (svc->fwmark || c->fwmark)
		return svc->fwmark == c->fwmark && svc->family == c->vip.family;
	return svc->protocol == c->protocol && svc->port == c->port &&
	       addr_eq(&svc->vip, &c->vip);
}

static struct service *find_service(struct director *d,
				    const struct cfg_service *c)
{
	unsigned int i;

	for (i = 0; i < d->nsvc; i++)
		if (service_is(d->svc[i], c))
			return d->svc[i];
	return NULL;
}

/*
 * A service's configured real servers by address and port (open
 * addressing, at most half full), so that matching the running ones
 * against them is linear: a change to one of 5,000 real servers used to
 * cost 25 million comparisons.
 */
struct rs_index {
	const struct cfg_service *c;
	size_t *slot;		/* index + 1 in c->rs; 0 = empty */
	size_t mask;
};

static size_t rs_hash(const struct nflvs_addr *a, uint16_t port)
{
	uint32_t h = 2166136261u ^ a->family ^ ((uint32_t)port << 8);
	size_t i, n = addr_len(a);

	for (i = 0; i < n; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h ^ (h >> 16);
}

static size_t rs_index_probe(const struct rs_index *x, const struct nflvs_addr *a,
			     uint16_t port)
{
	size_t i = rs_hash(a, port) & x->mask;

	while (x->slot[i]) {
		const struct cfg_rs *rc = &x->c->rs[x->slot[i] - 1];

		if (rc->port == port && addr_eq(&rc->addr, a))
			break;
		i = (i + 1) & x->mask;
	}
	return i;
}

static int rs_index_init(struct rs_index *x, const struct cfg_service *c)
{
	size_t n = 8, j;

	while (n < 2 * c->nrs)
		n <<= 1;
	x->c = c;
	x->mask = n - 1;
	x->slot = calloc(n, sizeof(*x->slot));
	if (!x->slot)
		return -ENOMEM;
	for (j = 0; j < c->nrs; j++)
		x->slot[rs_index_probe(x, &c->rs[j].addr, c->rs[j].port)] = j + 1;
	return 0;
}

/* The index in c->rs of @dst's configuration, or -1. */
static long rs_index_find(const struct rs_index *x, const struct dest *dst)
{
	size_t k = x->slot[rs_index_probe(x, &dst->addr, dst->port)];

	return k ? (long)k - 1 : -1;
}

static bool sorry_same(const struct dest *s, const struct cfg_service *c)
{
	if (!s || !c->has_sorry)
		return !s && !c->has_sorry;
	return s->port == c->sorry_port && addr_eq(&s->addr, &c->sorry_addr);
}

static void plan_free(struct director *d, struct plan *p, bool built)
{
	unsigned int i, j;

	for (i = 0; i < p->ns; i++) {
		struct svc_plan *sp = &p->s[i];

		if (built) {
			for (j = 0; j < sp->nadd; j++)
				dest_free(d, sp->add[j]);
			if (sp->new_sorry)
				dest_free(d, sp->new_sorry);
			if (sp->is_new && sp->svc)
				service_free(d, sp->svc);
		}
		free(sp->add);
		free(sp->add_rs);
		free(sp->del);
		free(sp->mod);
	}
	free(p->s);
	free(p->del);
	memset(p, 0, sizeof(*p));
}

static int plan_service(struct director *d, struct svc_plan *sp, char *err,
			size_t errlen)
{
	const struct cfg_service *c = sp->c;
	struct rs_index x = { 0 };
	bool *kept = NULL;
	unsigned int i;
	size_t j;
	long k;
	int ret;

	sp->svc = find_service(d, c);
	sp->is_new = !sp->svc;
	if (sp->is_new && !(sp->svc = service_new(d, c)))
		return -ENOSPC;
	sp->add = calloc(c->nrs + 1, sizeof(*sp->add));
	sp->add_rs = calloc(c->nrs + 1, sizeof(*sp->add_rs));
	sp->mod = calloc(c->nrs + 1, sizeof(*sp->mod));
	sp->del = calloc(sp->svc->ndests + 1, sizeof(*sp->del));
	kept = calloc(c->nrs + 1, sizeof(*kept));
	if (!sp->add || !sp->add_rs || !sp->mod || !sp->del || !kept ||
	    rs_index_init(&x, c) < 0) {
		free(kept);
		return -ENOMEM;
	}
	/* a one-packet or forwarding change: other sets, other elements */
	sp->kind_changed = !sp->is_new && (sp->svc->one_packet != c->one_packet ||
					   sp->svc->fwd != c->fwd);
	for (i = 0; i < sp->svc->ndests; i++) {
		struct dest *dst = sp->svc->dests[i];

		k = rs_index_find(&x, dst);
		if (k >= 0 && c->rs[k].fwd == dst->fwd) {
			sp->mod[sp->nmod++] = (struct dest_mod){ dst, &c->rs[k] };
			kept[k] = true;
		} else {
			sp->del[sp->ndel++] = dst;
		}
	}
	ret = 0;
	for (j = 0; j < c->nrs && !ret; j++) {
		if (kept[j])
			continue;
		sp->add[sp->nadd] = dest_new(d, &c->rs[j], true);
		if (!sp->add[sp->nadd]) {
			ret = -ENOSPC;
			break;
		}
		sp->add_rs[sp->nadd++] = j;
		ret = lvs_check_dest(d, sp->add[sp->nadd - 1], &c->rs[j], err,
				     errlen);
	}
	free(kept);
	free(x.slot);
	if (ret)
		return ret;
	if (!sorry_same(sp->svc->sorry, c)) {
		sp->drop_sorry = sp->svc->sorry != NULL;
		if (c->has_sorry && !(sp->new_sorry = sorry_new(d, c)))
			return -ENOSPC;
		if (sp->new_sorry) {
			ret = lvs_check_dest(d, sp->new_sorry, &sp->new_sorry->cfg,
					     err, errlen);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int plan_build(struct director *d, const struct nflvs_config *cfg,
		      struct plan *p, char *errmsg, size_t errlen)
{
	unsigned int i, j;
	int err = -ENOMEM;

	memset(p, 0, sizeof(*p));
	p->s = calloc(cfg->nsvc + 1, sizeof(*p->s));
	p->del = calloc(d->nsvc + 1, sizeof(*p->del));
	if (!p->s || !p->del)
		goto fail;
	for (i = 0; i < cfg->nsvc; i++) {
		p->s[p->ns].c = &cfg->svc[i];
		err = plan_service(d, &p->s[p->ns++], errmsg, errlen);
		if (err)
			goto fail;
	}
	for (i = 0; i < d->nsvc; i++) {
		bool kept = false;

		for (j = 0; j < p->ns && !kept; j++)
			kept = p->s[j].svc == d->svc[i];
		if (!kept)
			p->del[p->ndel++] = d->svc[i];
	}
	return 0;
fail:
	plan_free(d, p, true);
	return err;
}

/* ---- the kernel --------------------------------------------------------- */

static struct rs_service rs_svc_of(const struct service *svc, bool one_packet,
				   enum fwd_method fwd)
{
	return (struct rs_service){ .protocol = svc->protocol,
		.port = svc->port, .fwmark = svc->fwmark,
		.one_packet = one_packet, .fwd = fwd, .vip = svc->vip };
}

static struct rs_nat rs_nat_of(const struct service *svc,
			       const struct dest *dst, bool one_packet)
{
	struct rs_nat n;

	director_rs_nat(svc, dst, one_packet, &n);
	return n;
}

/* Every element of @svc as it runs (with one_packet @op). */
static int batch_service(struct nft_batch *b, const struct ruleset *rs,
			 const struct service *svc, bool op, bool del)
{
	struct rs_service s = rs_svc_of(svc, op, svc->fwd);
	struct rs_nat n;
	unsigned int i;
	int err = ruleset_build_service(b, rs, &s, del);

	for (i = 0; !err && i < svc->ndests; i++) {
		n = rs_nat_of(svc, svc->dests[i], op);
		err = ruleset_build_nat(b, rs, &n, del);
	}
	if (!err && svc->sorry) {
		n = rs_nat_of(svc, svc->sorry, op);
		err = ruleset_build_nat(b, rs, &n, del);
	}
	return err;
}

static int batch_dests(struct nft_batch *b, const struct ruleset *rs,
		       const struct service *svc, struct dest *const *v,
		       unsigned int n, bool op, bool del)
{
	struct rs_nat nat;
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		nat = rs_nat_of(svc, v[i], op);
		err = ruleset_build_nat(b, rs, &nat, del);
	}
	return err;
}

/* Deletes first, then adds: an element that moves is never doubled. */
static int plan_batch(const struct director *d, const struct plan *p,
		      struct nft_batch *b)
{
	struct ruleset rs;
	unsigned int i;
	int err = 0;

	director_ruleset_base(d, &rs);
	for (i = 0; !err && i < p->ndel; i++)
		err = batch_service(b, &rs, p->del[i], p->del[i]->one_packet, true);
	for (i = 0; !err && i < p->ns; i++) {
		const struct svc_plan *sp = &p->s[i];
		bool op = sp->svc->one_packet;

		if (sp->is_new)
			continue;
		if (sp->kind_changed) {
			err = batch_service(b, &rs, sp->svc, op, true);
			continue;
		}
		err = batch_dests(b, &rs, sp->svc, sp->del, sp->ndel, op, true);
		if (!err && sp->drop_sorry)
			err = batch_dests(b, &rs, sp->svc, &sp->svc->sorry, 1, op, true);
	}
	for (i = 0; !err && i < p->ns; i++) {
		const struct svc_plan *sp = &p->s[i];
		bool op = sp->c->one_packet;
		struct rs_service s = rs_svc_of(sp->svc, op, sp->c->fwd);
		unsigned int j;

		if (sp->is_new || sp->kind_changed) {
			err = ruleset_build_service(b, &rs, &s, false);
			for (j = 0; !err && j < sp->nmod; j++)
				err = batch_dests(b, &rs, sp->svc, &sp->mod[j].dst, 1,
						  op, false);
			if (!err && sp->svc->sorry && !sp->drop_sorry)
				err = batch_dests(b, &rs, sp->svc, &sp->svc->sorry, 1,
						  op, false);
		}
		if (!err)
			err = batch_dests(b, &rs, sp->svc, sp->add, sp->nadd, op, false);
		if (!err && sp->new_sorry)
			err = batch_dests(b, &rs, sp->svc, &sp->new_sorry, 1, op, false);
	}
	return err;
}

static int plan_kernel(struct director *d, const struct plan *p, char *err,
		       size_t errlen)
{
	struct nft_batch b;
	int ret;

	if (!d->ruleset_applied)
		return 0;	/* director_start builds the whole ruleset */
	if (nft_batch_init(&b) < 0)
		return -ENOMEM;
	ret = plan_batch(d, p, &b);
	if (ret)
		snprintf(err, errlen, "building the nftables batch: %s",
			 strerror(-ret));
	else if (nft_batch_count(&b) > 0)
		ret = ruleset_commit(&b, err, errlen);
	nft_batch_free(&b);
	return ret;
}

/* ---- commit ------------------------------------------------------------- */

static int push(struct dest ***v, unsigned int *n, struct dest *dst)
{
	struct dest **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = dst;
	*v = nv;
	return 0;
}

/*
 * @dst leaves scheduling; it stays for its connections, counted, until
 * director_reap() finds them gone.  Its record leaves shared memory.
 */
static void dest_retire(struct director *d, struct service *svc,
			struct dest *dst)
{
	if (svc->persist)
		persist_forget_dest(svc->persist, dst);
	dst->flags |= DEST_F_DRAINING;
	memset(&dst->cfg, 0, sizeof(dst->cfg));	/* points into the old config */
	if (dst->shm_slot >= 0)
		shm_rs_free(&d->shm, dst->shm_slot);
	dst->shm_slot = -1;
	if (push(&svc->draining, &svc->ndraining, dst) < 0)
		dest_free(d, dst);	/* no memory to wait: count it gone */
}

static void commit_service(struct director *d, struct svc_plan *sp)
{
	struct service *svc = sp->svc;
	const struct cfg_service *c = sp->c;
	unsigned int i;

	pthread_mutex_lock(&svc->lock);
	if (!sp->is_new) {
		service_params(svc, c);
		if (strcmp(sched_ops_name(svc->sched), c->scheduler))
			service_set_scheduler(svc, c->scheduler);
		service_persist(svc);
	}
	for (i = 0; i < sp->ndel; i++) {
		service_del_dest(svc, sp->del[i]);
		dest_retire(d, svc, sp->del[i]);
	}
	if (sp->drop_sorry) {
		svc->sorry->flags |= DEST_F_DRAINING;
		if (push(&svc->draining, &svc->ndraining, svc->sorry) < 0)
			dest_free(d, svc->sorry);
		svc->sorry = NULL;
	}
	if (sp->new_sorry) {
		svc->sorry = sp->new_sorry;
		svc->sorry->svc = svc;
		sp->new_sorry = NULL;
	}
	for (i = 0; i < sp->nmod; i++) {
		struct dest *dst = sp->mod[i].dst;

		dst->cfg = *sp->mod[i].c;
		dst->cfg_index = sp->mod[i].c->file_index;
		dst->conf_weight = dst->cfg.weight;
		dst->u_threshold = dst->cfg.upper_threshold;
		dst->l_threshold = dst->cfg.lower_threshold;
	}
	/* config order in, IPVS order out: each new one goes to the head */
	for (i = 0; i < sp->nadd; i++) {
		sp->add[i]->cfg = c->rs[sp->add_rs[i]];
		service_add_dest(svc, sp->add[i]);
	}
	sp->nadd = 0;	/* they belong to the service now */
	pthread_mutex_unlock(&svc->lock);
	/* weights: configured, or what the checker says */
	for (i = 0; i < svc->ndests; i++)
		health_apply_dest(d, svc, svc->dests[i]);
	pthread_mutex_lock(&svc->lock);
	health_quorum(svc);
	pthread_mutex_unlock(&svc->lock);
}

static void commit_removed_service(struct director *d, struct service *svc)
{
	struct service **nv;

	pthread_mutex_lock(&svc->lock);
	while (svc->ndests > 0) {
		struct dest *dst = svc->dests[0];

		service_del_dest(svc, dst);
		dest_retire(d, svc, dst);
	}
	if (svc->sorry) {
		svc->sorry->flags |= DEST_F_DRAINING;
		if (push(&svc->draining, &svc->ndraining, svc->sorry) < 0)
			dest_free(d, svc->sorry);
		svc->sorry = NULL;
	}
	pthread_mutex_unlock(&svc->lock);
	if (svc->shm_slot >= 0)
		shm_service_free(&d->shm, svc->shm_slot);
	svc->shm_slot = -1;
	nv = realloc(d->dead, (d->ndead + 1) * sizeof(*nv));
	if (!nv) {
		service_free(d, svc);
		return;
	}
	d->dead = nv;
	d->dead[d->ndead++] = svc;
}

static void log_service(const struct service *svc, const char *what)
{
	char s[SERVICE_STRLEN];

	log_info("service %s%s%s: %s, scheduler %s, %u real server%s",
		 service_str(svc, s, sizeof(s)), svc->name[0] ? " " : "",
		 svc->name, what, sched_ops_name(svc->sched), svc->ndests,
		 svc->ndests == 1 ? "" : "s");
}

static int plan_commit(struct director *d, struct plan *p,
		       struct nflvs_config *cfg)
{
	struct service **nv = calloc(p->ns + 1, sizeof(*nv));
	struct svctab tab = { 0 };
	unsigned int i;

	for (i = 0; nv && i < p->ns; i++)
		nv[i] = p->s[i].svc;
	if (!nv || svctab_build(&tab, nv, p->ns) < 0) {
		free(nv);
		return -ENOMEM;
	}
	pthread_rwlock_wrlock(&d->lock);
	for (i = 0; i < p->ndel; i++) {
		log_service(p->del[i], "removed");
		commit_removed_service(d, p->del[i]);
	}
	for (i = 0; i < p->ns; i++) {
		commit_service(d, &p->s[i]);
		if (p->s[i].is_new)
			log_service(nv[i], "added");
		p->s[i].is_new = false;	/* the service is linked now */
	}
	free(d->svc);
	d->svc = nv;
	d->nsvc = p->ns;
	svctab_free(&d->tab);
	d->tab = tab;
	/* the old config goes; everything now points into the new one */
	config_free(&d->cfg);
	d->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	pthread_rwlock_unlock(&d->lock);
	return 0;
}

/* ---- the public part ------------------------------------------------------ */

int director_apply(struct director *d, struct nflvs_config *cfg,
		   char *err, size_t errlen)
{
	struct plan p;
	unsigned int i, j;
	int ret;

	snprintf(err, errlen, "no room: shared memory or marks (mark_mask allows %u real servers)",
		 mark_capacity(&d->marks));
	ret = plan_build(d, cfg, &p, err, errlen);
	if (ret)
		return ret;
	ret = plan_kernel(d, &p, err, errlen);
	if (!ret)
		ret = plan_commit(d, &p, cfg);
	if (ret) {
		plan_free(d, &p, true);
		return ret;
	}
	for (i = 0; i < d->nsvc; i++) {
		director_shm_service(d, d->svc[i]);
		for (j = 0; j < d->svc[i]->ndests; j++)
			director_shm_dest(d, d->svc[i]->dests[j]);
	}
	shm_bump_generation(&d->shm);
	plan_free(d, &p, false);
	if (d->ruleset_applied)
		lvs_applied(d);
	return 0;
}

static bool drained(const struct dest *dst)
{
	return !dst->activeconns && !dst->inactconns && !dst->pending[0] &&
	       !dst->pending[1];
}

static void reap_service(struct director *d, struct service *svc)
{
	unsigned int i = 0;

	pthread_mutex_lock(&svc->lock);
	while (i < svc->ndraining) {
		struct dest *dst = svc->draining[i];

		if (!drained(dst)) {
			i++;
			continue;
		}
		svc->draining[i] = svc->draining[--svc->ndraining];
		stats_dest_gone(svc, dst);
		dest_free(d, dst);
	}
	pthread_mutex_unlock(&svc->lock);
}

void director_reap(struct director *d)
{
	unsigned int i = 0;

	pthread_rwlock_wrlock(&d->lock);
	for (i = 0; i < d->nsvc; i++)
		reap_service(d, d->svc[i]);
	i = 0;
	while (i < d->ndead) {
		struct service *svc = d->dead[i];

		reap_service(d, svc);
		if (svc->ndraining) {
			i++;
			continue;
		}
		d->dead[i] = d->dead[--d->ndead];
		service_free(d, svc);
	}
	pthread_rwlock_unlock(&d->lock);
}

void director_free_services(struct director *d)
{
	unsigned int i;

	for (i = 0; i < d->nsvc; i++)
		service_free(d, d->svc[i]);
	for (i = 0; i < d->ndead; i++)
		service_free(d, d->dead[i]);
	free(d->svc);
	free(d->dead);
	d->svc = d->dead = NULL;
	d->nsvc = d->ndead = 0;
}

/* What a running director cannot change: a restart is needed. */
static const char *director_fixed(const struct cfg_director *a,
				  const struct cfg_director *b)
{
	if (strcmp(a->table, b->table))
		return "table";
	if (a->queue != b->queue || a->queues != b->queues)
		return "queue/queues";
	if (a->mark_mask != b->mark_mask)
		return "mark_mask";
	if (strcmp(a->shm, b->shm))
		return "shm";
	if (strcmp(a->control, b->control))
		return "control";
	/* the DR routes in place are named by these */
	if (a->route_table != b->route_table || a->route_pref != b->route_pref)
		return "route_table/route_pref";
	return NULL;
}

int director_reload(struct director *d, struct cfg_errors *errs)
{
	struct nflvs_config cfg;
	const char *fixed;
	char err[512];
	int ret;

	memset(errs, 0, sizeof(*errs));
	if (config_load(d->cfg.path, &cfg, errs) > 0)
		return -EINVAL;
	if (director_check_config(&cfg, errs) > 0) {
		config_free(&cfg);
		return -EINVAL;
	}
	fixed = director_fixed(&d->cfg.director, &cfg.director);
	if (fixed) {
		snprintf(err, sizeof(err), "%s: director.%s changed; restart the director to apply it",
			 cfg.path, fixed);
		config_free(&cfg);
		goto fail;
	}
	ret = director_apply(d, &cfg, err, sizeof(err));
	if (ret) {
		config_free(&cfg);
		goto fail;
	}
	log_info("reloaded %s: %u services", d->cfg.path, d->nsvc);
	return 0;
fail:
	errs->msg = calloc(1, sizeof(char *));
	if (errs->msg && (errs->msg[0] = strdup(err)))
		errs->n = 1;
	return -EINVAL;
}
