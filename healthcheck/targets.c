// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Target discovery.  The director links each record to its place in the
 * config file (config_index); those links are trusted only when the entry
 * they point at still describes the same service or real server, so that a
 * checker that re-read an edited file never applies one server's check to
 * another.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nflvs/seqlock.h>

#include "targets.h"

/* The records' "id" and "dir" fields are contiguous: copied as one. */
#define RS_SNAP_LEN	(offsetof(struct nflvs_shm_rs, hseq) - \
			 offsetof(struct nflvs_shm_rs, id))
#define SVC_SNAP_LEN	(sizeof(struct nflvs_shm_service) - \
			 offsetof(struct nflvs_shm_service, id))

bool targets_key_eq(const struct target_key *a, const struct target_key *b)
{
	return a->svc_family == b->svc_family &&
	       a->svc_protocol == b->svc_protocol &&
	       a->svc_port == b->svc_port && a->fwmark == b->fwmark &&
	       addr_eq(&a->vip, &b->vip) && addr_eq(&a->addr, &b->addr) &&
	       a->port == b->port;
}

#define CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)

static int addr_cmp(const struct nflvs_addr *a, const struct nflvs_addr *b)
{
	CMP(a->family, b->family);
	return memcmp(a->b, b->b, addr_len(a));
}

int targets_key_cmp(const struct target_key *a, const struct target_key *b)
{
	int d;

	CMP(a->svc_family, b->svc_family);
	CMP(a->svc_protocol, b->svc_protocol);
	CMP(a->svc_port, b->svc_port);
	CMP(a->fwmark, b->fwmark);
	d = addr_cmp(&a->vip, &b->vip);
	if (d)
		return d;
	d = addr_cmp(&a->addr, &b->addr);
	if (d)
		return d;
	CMP(a->port, b->port);
	return 0;
}

static bool svc_matches(const struct cfg_service *s,
			const struct target_key *k)
{
	if (k->fwmark || s->fwmark)
		return s->fwmark == k->fwmark &&
		       s->vip.family == k->svc_family;
	return s->protocol == k->svc_protocol && s->port == k->svc_port &&
	       addr_eq(&s->vip, &k->vip);
}

static bool rs_matches(const struct cfg_rs *r, const struct target_key *k)
{
	return r->port == k->port && addr_eq(&r->addr, &k->addr);
}

static const struct cfg_check *usable(const struct cfg_check *c)
{
	return c && c->type != CHECK_NONE ? c : NULL;
}

const struct cfg_check *targets_find_check(const struct nflvs_config *cfg,
					   const struct target_key *k,
					   uint32_t svc_index,
					   uint32_t rs_index)
{
	const struct cfg_service *s = NULL;
	size_t i;

	if (svc_index < cfg->nsvc && svc_matches(&cfg->svc[svc_index], k))
		s = &cfg->svc[svc_index];
	for (i = 0; !s && i < cfg->nsvc; i++)
		if (svc_matches(&cfg->svc[i], k))
			s = &cfg->svc[i];
	if (!s)
		return NULL;
	if (rs_index == UINT32_MAX)
		return usable(&s->check);
	if (rs_index < s->nrs && rs_matches(&s->rs[rs_index], k))
		return usable(&s->rs[rs_index].check);
	/* the file changed since the director read it: find it by address */
	for (i = 0; i < s->nrs; i++)
		if (rs_matches(&s->rs[i], k))
			return usable(&s->rs[i].check);
	return usable(&s->check);
}

static int svc_cmp(const void *a, const void *b)
{
	const struct nflvs_shm_service *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int desc_cmp(const void *a, const void *b)
{
	const struct target_desc *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Snapshots of the services in use, sorted by id. */
static int services_read(const struct shm_map *m,
			 struct nflvs_shm_service **out)
{
	struct nflvs_shm_service *v;
	uint32_t i, n = 0;

	v = calloc(m->max_services + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < m->max_services; i++) {
		const struct nflvs_shm_service *s = &m->svc[i];

		if (!__atomic_load_n(&s->id, __ATOMIC_RELAXED))
			continue;
		if (nflvs_seq_read(&s->seq, &v[n].id, &s->id, SVC_SNAP_LEN))
			continue;
		if (v[n].id)
			n++;
	}
	qsort(v, n, sizeof(*v), svc_cmp);
	*out = v;
	return n;
}

static void key_fill(struct target_key *k, const struct nflvs_shm_service *s,
		     const struct nflvs_shm_rs *r)
{
	memset(k, 0, sizeof(*k));
	k->svc_family = s->dir.family;
	k->svc_protocol = s->dir.protocol;
	k->svc_port = s->dir.port;
	k->fwmark = s->dir.fwmark;
	if (!k->fwmark) {
		k->vip.family = s->dir.family;
		memcpy(k->vip.b, s->dir.addr, sizeof(k->vip.b));
		if (k->vip.family == AF_INET)
			memset(k->vip.b + 4, 0, 12);
	}
	k->addr.family = r->dir.family;
	memcpy(k->addr.b, r->dir.addr, sizeof(k->addr.b));
	if (k->addr.family == AF_INET)
		memset(k->addr.b + 4, 0, 12);
	k->port = r->dir.port;
}

int targets_scan(const struct shm_map *m, const struct nflvs_config *cfg,
		 struct target_desc **out)
{
	struct nflvs_shm_service *svc, key;
	struct target_desc *d;
	struct nflvs_shm_rs snap;
	uint32_t i;
	int nsvc, n = 0;

	nsvc = services_read(m, &svc);
	if (nsvc < 0)
		return nsvc;
	d = calloc(m->max_rs + 1, sizeof(*d));
	if (!d) {
		free(svc);
		return -ENOMEM;
	}
	for (i = 0; i < m->max_rs; i++) {
		const struct nflvs_shm_rs *r = &m->rs[i];
		const struct nflvs_shm_service *s;

		if (!__atomic_load_n(&r->id, __ATOMIC_RELAXED))
			continue;
		if (nflvs_seq_read(&r->seq, &snap.id, &r->id, RS_SNAP_LEN) ||
		    !snap.id)
			continue;
		key.id = snap.dir.service_id;
		s = bsearch(&key, svc, nsvc, sizeof(*svc), svc_cmp);
		if (!s)
			continue;	/* being set up: the next scan sees it */
		d[n].id = snap.id;
		d[n].slot = i;
		d[n].svc_id = s->id;
		key_fill(&d[n].key, s, &snap);
		snprintf(d[n].svc_name, sizeof(d[n].svc_name), "%.*s",
			 (int)sizeof(s->dir.name) - 1, s->dir.name);
		d[n].svc_index = s->dir.config_index;
		d[n].rs_index = snap.dir.config_index;
		d[n].check = targets_find_check(cfg, &d[n].key,
						d[n].svc_index, d[n].rs_index);
		n++;
	}
	free(svc);
	qsort(d, n, sizeof(*d), desc_cmp);
	*out = d;
	return n;
}

int targets_conf_weight(const struct nflvs_shm_rs *r, uint32_t id)
{
	struct nflvs_shm_rs snap;

	if (nflvs_seq_read(&r->seq, &snap.id, &r->id, RS_SNAP_LEN) ||
	    snap.id != id)
		return -1;
	return snap.dir.weight;
}

void targets_label(const struct target_key *k, const char *svc_name,
		   char *buf, size_t len)
{
	char rs[ADDR_STRLEN], vip[ADDR_STRLEN], what[ADDR_STRLEN + 24];

	addr_port_str(&k->addr, k->port, rs, sizeof(rs));
	if (k->fwmark)
		snprintf(what, sizeof(what), "FWM %u", k->fwmark);
	else
		snprintf(what, sizeof(what), "%s %s",
			 proto_name(k->svc_protocol),
			 addr_port_str(&k->vip, k->svc_port, vip, sizeof(vip)));
	if (*svc_name)
		snprintf(buf, len, "real server %s of service %s (%s)", rs,
			 svc_name, what);
	else
		snprintf(buf, len, "real server %s of service %s", rs, what);
}
