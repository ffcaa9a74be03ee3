// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "persist.h"

#define NS	1000000000ull

struct persist_tpl {
	struct persist_tpl *next;
	struct nflvs_addr client;
	struct dest *dest;
	uint64_t expires;	/* CLOCK_MONOTONIC ns */
	uint32_t nconns;	/* connections of this client, now */
};

int persist_init(struct persist_table *t)
{
	memset(t, 0, sizeof(*t));
	t->nbucket = 1024;
	t->bucket = calloc(t->nbucket, sizeof(*t->bucket));
	return t->bucket ? 0 : -ENOMEM;
}

static void tpl_free(struct persist_table *t, struct persist_tpl **p)
{
	struct persist_tpl *e = *p;

	*p = e->next;
	if (e->dest && e->dest->persistconns)
		e->dest->persistconns--;
	free(e);
	t->count--;
}

void persist_fini(struct persist_table *t)
{
	uint32_t i;

	for (i = 0; t->bucket && i < t->nbucket; i++)
		while (t->bucket[i])
			tpl_free(t, &t->bucket[i]);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

static uint32_t tpl_hash(const struct persist_table *t,
			 const struct nflvs_addr *a)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < addr_len(a); i++)
		h = (h ^ a->b[i]) * 16777619u;
	return (h ^ (h >> 16)) & (t->nbucket - 1);
}

static struct persist_tpl **tpl_slot(struct persist_table *t,
				     const struct nflvs_addr *a)
{
	struct persist_tpl **p = &t->bucket[tpl_hash(t, a)];

	while (*p && !addr_eq(&(*p)->client, a))
		p = &(*p)->next;
	return p;
}

static void tpl_grow(struct persist_table *t)
{
	struct persist_table n = { .nbucket = t->nbucket * 2 };
	struct persist_tpl *e, *next;
	uint32_t i, h;

	n.bucket = calloc(n.nbucket, sizeof(*n.bucket));
	if (!n.bucket)
		return;
	for (i = 0; i < t->nbucket; i++)
		for (e = t->bucket[i]; e; e = next) {
			next = e->next;
			h = tpl_hash(&n, &e->client);
			e->next = n.bucket[h];
			n.bucket[h] = e;
		}
	free(t->bucket);
	t->bucket = n.bucket;
	t->nbucket = n.nbucket;
}

struct dest *persist_lookup(struct persist_table *t,
			    const struct nflvs_addr *client,
			    uint32_t timeout_s, uint64_t now)
{
	struct persist_tpl **p = tpl_slot(t, client), *e = *p;

	if (!e)
		return NULL;
	if (!e->dest || !dest_present(e->dest)) {
		tpl_free(t, p);
		return NULL;
	}
	/* a quiesced server keeps its clients, but does not renew them */
	if (e->dest->weight > 0)
		e->expires = now + timeout_s * NS;
	return e->dest;
}

/* The template of @client, pointing at @d, made if need be; its expiry
 * is the caller's to set. */
static struct persist_tpl *tpl_point(struct persist_table *t,
				     const struct nflvs_addr *client,
				     struct dest *d)
{
	struct persist_tpl **p = tpl_slot(t, client), *e = *p;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->client = *client;
		*p = e;
		t->count++;
	} else if (e->dest && e->dest->persistconns) {
		e->dest->persistconns--;
	}
	e->dest = d;
	d->persistconns++;
	if (t->count > 2 * t->nbucket)
		tpl_grow(t);
	return e;
}

int persist_bind(struct persist_table *t, const struct nflvs_addr *client,
		 struct dest *d, uint32_t timeout_s, uint64_t now)
{
	struct persist_tpl *e = tpl_point(t, client, d);

	if (!e)
		return -ENOMEM;
	e->expires = now + timeout_s * NS;
	return 0;
}

int persist_install(struct persist_table *t, const struct nflvs_addr *client,
		    struct dest *d, uint64_t expires)
{
	struct persist_tpl *e = tpl_point(t, client, d);

	if (!e)
		return -ENOMEM;
	e->expires = expires;
	return 0;
}

void persist_foreach(const struct persist_table *t, persist_each_fn fn,
		     void *ctx)
{
	const struct persist_tpl *e;
	uint32_t i;

	for (i = 0; i < t->nbucket; i++)
		for (e = t->bucket[i]; e; e = e->next)
			if (e->dest && dest_present(e->dest))
				fn(ctx, &e->client, e->dest, e->expires);
}

void persist_conn(struct persist_table *t, const struct nflvs_addr *client,
		  int delta)
{
	struct persist_tpl *e = *tpl_slot(t, client);

	if (!e)
		return;
	if (delta > 0)
		e->nconns++;
	else if (e->nconns)
		e->nconns--;
}

unsigned int persist_gc(struct persist_table *t, uint32_t timeout_s,
			uint64_t now)
{
	struct persist_tpl **p, *e;
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < t->nbucket; i++) {
		p = &t->bucket[i];
		while ((e = *p)) {
			if (e->expires > now) {
				p = &e->next;
			} else if (e->nconns && e->dest && dest_present(e->dest)) {
				/* it still controls connections: re-arm */
				e->expires = now + timeout_s * NS;
				p = &e->next;
			} else {
				tpl_free(t, p);
				n++;
			}
		}
	}
	return n;
}

void persist_forget_dest(struct persist_table *t, const struct dest *d)
{
	struct persist_tpl **p, *e;
	uint32_t i;

	for (i = 0; i < t->nbucket; i++) {
		p = &t->bucket[i];
		while ((e = *p)) {
			if (e->dest == d)
				tpl_free(t, p);
			else
				p = &e->next;
		}
	}
}
