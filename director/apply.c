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

#include "apply.h"
#include "conns.h"
#include "health.h"
#include "log.h"
#include "persist.h"
#include "publish.h"
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

static struct dest *dest_new(struct apply *a, const struct cfg_rs *c,
			     bool shm)
{
	struct dest *dst = calloc(1, sizeof(*dst));

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
	dst->shm_slot = -1;
	/* its mark comes once every new one is known (plan_marks()) */
	if (shm && publish_dest_slot(a->shm, dst) < 0) {
		free(dst);
		return NULL;
	}
	return dst;
}

static void dest_free(struct apply *a, struct dest *dst)
{
	if (a->hooks.dest_gone)
		a->hooks.dest_gone(a->hooks.ctx, dst);
	if (dst->svc && dst->svc->persist)
		persist_forget_dest(dst->svc->persist, dst);
	svcset_mark_release(a->set, dst);
	/* -k: the records stay for the next start (and the checker) */
	if (!a->keep)
		publish_dest_gone(a->shm, dst);
	free(dst);
}

static struct dest *sorry_new(struct apply *a, const struct cfg_service *c)
{
	struct cfg_rs rc = { .addr = c->sorry_addr, .port = c->sorry_port,
			     .weight = 1, .fwd = c->fwd,
			     .file_index = CFG_NOT_IN_FILE };
	struct dest *dst = dest_new(a, &rc, false);

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
static struct service *svc_new(struct apply *a, const struct cfg_service *c)
{
	struct service *svc = calloc(1, sizeof(*svc));

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
	if (publish_service_slot(a->shm, svc) < 0 || service_persist(svc) < 0) {
		publish_service_gone(a->shm, svc);
		service_destroy(svc);
		free(svc);
		return NULL;
	}
	return svc;
}

/* Free a service and everything it still holds. */
static void svc_free(struct apply *a, struct service *svc)
{
	unsigned int i;

	if (svc->persist) {
		persist_fini(svc->persist);
		free(svc->persist);
	}
	svc->persist = NULL;
	for (i = 0; i < svc->ndests; i++)
		dest_free(a, svc->dests[i]);
	for (i = 0; i < svc->ndraining; i++)
		dest_free(a, svc->draining[i]);
	if (svc->sorry)
		dest_free(a, svc->sorry);
	if (!a->keep)
		publish_service_gone(a->shm, svc);
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

static struct service *find_service(const struct svcset *set,
				    const struct cfg_service *c)
{
	unsigned int i;

	for (i = 0; i < set->nsvc; i++)
		if (service_is(set->svc[i], c))
			return set->svc[i];
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

static void plan_free(struct apply *a, struct plan *p, bool built)
{
	unsigned int i, j;

	for (i = 0; i < p->ns; i++) {
		struct svc_plan *sp = &p->s[i];

		if (built) {
			for (j = 0; j < sp->nadd; j++)
				dest_free(a, sp->add[j]);
			if (sp->new_sorry)
				dest_free(a, sp->new_sorry);
			if (sp->is_new && sp->svc)
				svc_free(a, sp->svc);
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

/* DR and TUN real servers: can they be reached as their method needs? */
static int check_dest(struct apply *a, const struct dest *dst,
		      const struct cfg_rs *rc, char *err, size_t errlen)
{
	if (rc->fwd == FWD_NAT || !a->hooks.check_dest)
		return 0;
	return a->hooks.check_dest(a->hooks.ctx, dst, rc, err, errlen);
}

static int plan_service(struct apply *a, struct svc_plan *sp)
{
	const struct cfg_service *c = sp->c;
	struct rs_index x = { 0 };
	bool *kept = NULL;
	unsigned int i;
	size_t j;
	long k;
	int ret;

	sp->svc = find_service(a->set, c);
	sp->is_new = !sp->svc;
	if (sp->is_new && !(sp->svc = svc_new(a, c)))
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
		sp->add[sp->nadd] = dest_new(a, &c->rs[j], true);
		if (!sp->add[sp->nadd]) {
			ret = -ENOSPC;
			break;
		}
		sp->add_rs[sp->nadd++] = j;
	}
	free(kept);
	free(x.slot);
	if (ret)
		return ret;
	if (!sorry_same(sp->svc->sorry, c)) {
		sp->drop_sorry = sp->svc->sorry != NULL;
		if (c->has_sorry && !(sp->new_sorry = sorry_new(a, c)))
			return -ENOSPC;
	}
	return 0;
}

/* A real server to be given its mark, and its key (mark.h). */
struct mark_want {
	struct dest *dst;
	char key[SERVICE_MARK_KEYLEN];
};

static int want_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mark_want *)a)->key,
		      ((const struct mark_want *)b)->key);
}

/*
 * Marks for every real server the plan adds, in the order of their keys:
 * the same set of new real servers gets the same marks whatever order the
 * file or the edits gave them in.
 */
static int plan_marks(struct apply *a, struct plan *p)
{
	struct mark_want *w;
	unsigned int i, j, n = 0;
	int ret = 0;

	for (i = 0; i < p->ns; i++)
		n += p->s[i].nadd + (p->s[i].new_sorry != NULL);
	if (!n)
		return 0;
	if (!(w = calloc(n, sizeof(*w))))
		return -ENOMEM;
	for (i = 0, n = 0; i < p->ns; i++) {
		const struct svc_plan *sp = &p->s[i];

		for (j = 0; j < sp->nadd; j++, n++) {
			w[n].dst = sp->add[j];
			service_mark_key(sp->svc, &sp->add[j]->addr,
					 sp->add[j]->port, false, w[n].key,
					 sizeof(w[n].key));
		}
		if (sp->new_sorry) {
			w[n].dst = sp->new_sorry;
			service_mark_key(sp->svc, &sp->new_sorry->addr,
					 sp->new_sorry->port, true, w[n].key,
					 sizeof(w[n].key));
			n++;
		}
	}
	qsort(w, n, sizeof(*w), want_cmp);
	for (i = 0; i < n && !ret; i++)
		ret = svcset_mark_take(a->set, w[i].dst, w[i].key);
	free(w);
	return ret;
}

/* DR and TUN real servers the plan adds: reachable as they need? */
static int plan_check(struct apply *a, struct plan *p, char *err,
		      size_t errlen)
{
	unsigned int i, j;
	int ret = 0;

	for (i = 0; i < p->ns && !ret; i++) {
		struct svc_plan *sp = &p->s[i];

		for (j = 0; j < sp->nadd && !ret; j++)
			ret = check_dest(a, sp->add[j],
					 &sp->c->rs[sp->add_rs[j]], err, errlen);
		if (!ret && sp->new_sorry)
			ret = check_dest(a, sp->new_sorry, &sp->new_sorry->cfg,
					 err, errlen);
	}
	return ret;
}

static int plan_build(struct apply *a, const struct nflvs_config *cfg,
		      struct plan *p, char *errmsg, size_t errlen)
{
	const struct svcset *set = a->set;
	unsigned int i, j;
	int err = -ENOMEM;

	memset(p, 0, sizeof(*p));
	p->s = calloc(cfg->nsvc + 1, sizeof(*p->s));
	p->del = calloc(set->nsvc + 1, sizeof(*p->del));
	if (!p->s || !p->del)
		goto fail;
	for (i = 0; i < cfg->nsvc; i++) {
		p->s[p->ns].c = &cfg->svc[i];
		err = plan_service(a, &p->s[p->ns++]);
		if (err)
			goto fail;
	}
	err = plan_marks(a, p);
	if (!err)
		err = plan_check(a, p, errmsg, errlen);
	if (err)
		goto fail;
	for (i = 0; i < set->nsvc; i++) {
		bool kept = false;

		for (j = 0; j < p->ns && !kept; j++)
			kept = p->s[j].svc == set->svc[i];
		if (!kept)
			p->del[p->ndel++] = set->svc[i];
	}
	return 0;
fail:
	plan_free(a, p, true);
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

/* The NAT (and counter) elements of @dst in @svc, with one_packet @op. */
static struct rs_nat rs_nat_of(const struct service *svc,
			       const struct dest *dst, bool op)
{
	struct rs_nat n = { .mark = dst->mark, .port = dst->port,
			    .addr = dst->addr, .one_packet = op,
			    .vport = svc->port, .vip = svc->vip };

	service_mark_key(svc, &dst->addr, dst->port, dst == svc->sorry,
			 n.comment, sizeof(n.comment));
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

/* The chains that the services of each family need (ruleset.h), as they
 * run (@p NULL) or will run after @p. */
static void plan_chains(const struct apply *a, const struct plan *p,
			unsigned int has[2])
{
	unsigned int i, n = p ? p->ns : a->set->nsvc;

	has[0] = has[1] = 0;
	for (i = 0; i < n; i++) {
		const struct service *svc = p ? p->s[i].svc : a->set->svc[i];
		struct rs_service s = p ? rs_svc_of(svc, p->s[i].c->one_packet,
						    p->s[i].c->fwd)
					: rs_svc_of(svc, svc->one_packet, svc->fwd);

		has[s.vip.family == AF_INET6] |= ruleset_service_chains(&s);
	}
}

void apply_chains(const struct apply *a, unsigned int has[2])
{
	plan_chains(a, NULL, has);
}

/* Deletes first, then adds: an element that moves is never doubled. */
static int plan_batch(const struct apply *a, const struct plan *p,
		      struct nft_batch *b)
{
	const struct ruleset rs = *a->rs;
	unsigned int i, had[2], has[2];
	int err = 0;

	plan_chains(a, NULL, had);
	plan_chains(a, p, has);
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
	if (!err)
		err = ruleset_build_chains(b, &rs, had, has);
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

static int plan_kernel(struct apply *a, const struct plan *p, char *err,
		       size_t errlen)
{
	struct nft_batch b;
	int ret;

	if (!a->in_kernel)
		return 0;	/* the first ruleset is built whole */
	if (nft_batch_init(&b) < 0)
		return -ENOMEM;
	ret = plan_batch(a, p, &b);
	if (ret)
		snprintf(err, errlen, "building the nftables batch: %s",
			 strerror(-ret));
	else if (nft_batch_count(&b) > 0)
		ret = a->hooks.commit(a->hooks.ctx, &b, err, errlen);
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
 * apply_reap() finds them gone.  Its record leaves shared memory.
 */
static void dest_retire(struct apply *a, struct service *svc,
			struct dest *dst)
{
	if (svc->persist)
		persist_forget_dest(svc->persist, dst);
	dst->flags |= DEST_F_DRAINING;
	memset(&dst->cfg, 0, sizeof(dst->cfg));	/* points into the old config */
	publish_dest_gone(a->shm, dst);
	if (push(&svc->draining, &svc->ndraining, dst) < 0)
		dest_free(a, dst);	/* no memory to wait: count it gone */
}

/* The sorry server leaves; it drains like any real server. */
static void sorry_retire(struct apply *a, struct service *svc)
{
	svc->sorry->flags |= DEST_F_DRAINING;
	if (push(&svc->draining, &svc->ndraining, svc->sorry) < 0)
		dest_free(a, svc->sorry);
	svc->sorry = NULL;
}

static void commit_service(struct apply *a, struct svc_plan *sp)
{
	struct service *svc = sp->svc;
	const struct cfg_service *c = sp->c;
	unsigned int i;

	pthread_mutex_lock(&svc->lock);
	if (!sp->is_new) {
		service_params(svc, c);
		if (svc->sched != sched_find(c->scheduler))
			service_set_scheduler(svc, c->scheduler);
		service_persist(svc);
	}
	for (i = 0; i < sp->ndel; i++) {
		service_del_dest(svc, sp->del[i]);
		dest_retire(a, svc, sp->del[i]);
	}
	if (sp->drop_sorry)
		sorry_retire(a, svc);
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
	for (i = 0; a->hooks.dest_health && i < svc->ndests; i++)
		a->hooks.dest_health(a->hooks.ctx, svc, svc->dests[i]);
	pthread_mutex_lock(&svc->lock);
	health_quorum(svc);
	pthread_mutex_unlock(&svc->lock);
}

static void commit_removed_service(struct apply *a, struct service *svc)
{
	pthread_mutex_lock(&svc->lock);
	while (svc->ndests > 0) {
		struct dest *dst = svc->dests[0];

		service_del_dest(svc, dst);
		dest_retire(a, svc, dst);
	}
	if (svc->sorry)
		sorry_retire(a, svc);
	pthread_mutex_unlock(&svc->lock);
	publish_service_gone(a->shm, svc);
	if (svcset_bury(a->set, svc) < 0)
		svc_free(a, svc);
}

static void log_service(const struct service *svc, const char *what)
{
	char s[SERVICE_STRLEN];

	log_info("service %s%s%s: %s, scheduler %s, %u real server%s",
		 service_str(svc, s, sizeof(s)), svc->name[0] ? " " : "",
		 svc->name, what, sched_ops_name(svc->sched), svc->ndests,
		 svc->ndests == 1 ? "" : "s");
}

static int plan_commit(struct apply *a, struct plan *p,
		       struct nflvs_config *cfg)
{
	struct svcset *set = a->set;
	struct service **nv = calloc(p->ns + 1, sizeof(*nv));
	struct svctab tab = { 0 };
	unsigned int i;

	for (i = 0; nv && i < p->ns; i++)
		nv[i] = p->s[i].svc;
	if (!nv || svctab_build(&tab, nv, p->ns) < 0) {
		free(nv);
		return -ENOMEM;
	}
	pthread_rwlock_wrlock(&set->lock);
	for (i = 0; i < p->ndel; i++) {
		log_service(p->del[i], "removed");
		commit_removed_service(a, p->del[i]);
	}
	for (i = 0; i < p->ns; i++) {
		commit_service(a, &p->s[i]);
		if (p->s[i].is_new)
			log_service(nv[i], "added");
		p->s[i].is_new = false;	/* the service is linked now */
	}
	svcset_replace(set, nv, p->ns, &tab);
	/* the old config goes; everything now points into the new one */
	config_free(a->running);
	*a->running = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	pthread_rwlock_unlock(&set->lock);
	return 0;
}

/* ---- the public part ------------------------------------------------------ */

int apply_config(struct apply *a, struct nflvs_config *cfg, char *err,
		 size_t errlen)
{
	struct plan p;
	int ret;

	snprintf(err, errlen, "no room: shared memory or marks (mark_mask allows %u real servers)",
		 svcset_capacity(a->set));
	ret = plan_build(a, cfg, &p, err, errlen);
	if (ret)
		return ret;
	ret = plan_kernel(a, &p, err, errlen);
	if (!ret)
		ret = plan_commit(a, &p, cfg);
	if (ret) {
		plan_free(a, &p, true);
		return ret;
	}
	publish_all(a->shm, a->set);
	plan_free(a, &p, false);
	return 0;
}

static void reap_service(struct apply *a, struct service *svc)
{
	unsigned int i = 0;

	pthread_mutex_lock(&svc->lock);
	while (i < svc->ndraining) {
		struct dest *dst = svc->draining[i];

		if (!conns_drained(dst)) {
			i++;
			continue;
		}
		svc->draining[i] = svc->draining[--svc->ndraining];
		stats_dest_gone(svc, dst);
		dest_free(a, dst);
	}
	pthread_mutex_unlock(&svc->lock);
}

void apply_reap(struct apply *a)
{
	struct svcset *set = a->set;
	unsigned int i;

	pthread_rwlock_wrlock(&set->lock);
	for (i = 0; i < set->nsvc; i++)
		reap_service(a, set->svc[i]);
	i = 0;
	while (i < set->ndead) {
		struct service *svc = set->dead[i];

		reap_service(a, svc);
		if (svc->ndraining) {
			i++;
			continue;
		}
		set->dead[i] = set->dead[--set->ndead];
		svc_free(a, svc);
	}
	pthread_rwlock_unlock(&set->lock);
}

void apply_release(struct apply *a)
{
	struct svcset *set = a->set;
	unsigned int i;

	for (i = 0; i < set->nsvc; i++)
		svc_free(a, set->svc[i]);
	for (i = 0; i < set->ndead; i++)
		svc_free(a, set->dead[i]);
	set->nsvc = set->ndead = 0;
}

int apply_ruleset(const struct apply *a, const struct rs_flow *flows,
		  unsigned int nflows, struct nft_batch *b, unsigned int *nrs)
{
	const struct svcset *set = a->set;
	struct rs_service *sv = calloc(set->nsvc + 1, sizeof(*sv));
	struct rs_nat *nat;
	struct ruleset rs = *a->rs;
	unsigned int i, j, n = 0;
	int ret;

	for (i = 0; i < set->nsvc; i++)
		n += set->svc[i]->ndests + 1;
	nat = calloc(n + 1, sizeof(*nat));
	if (!sv || !nat) {
		free(sv);
		free(nat);
		return -ENOMEM;
	}
	rs.svc = sv;
	rs.nat = nat;
	rs.flows = flows;
	rs.nflows = nflows;
	for (i = 0; i < set->nsvc; i++) {
		const struct service *s = set->svc[i];

		sv[rs.nsvc++] = rs_svc_of(s, s->one_packet, s->fwd);
		for (j = 0; j <= s->ndests; j++) {
			const struct dest *t = j < s->ndests ? s->dests[j] : s->sorry;

			if (t)
				nat[rs.nnat++] = rs_nat_of(s, t, s->one_packet);
		}
	}
	ret = ruleset_build(b, &rs);
	*nrs = rs.nnat;
	free(sv);
	free(nat);
	return ret;
}
