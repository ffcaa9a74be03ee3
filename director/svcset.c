// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "svcset.h"

int svcset_init(struct svcset *s, uint32_t mark_mask)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = mark_init(&s->marks, mark_mask);
	if (ret)
		return ret;
	s->bymark = calloc(mark_capacity(&s->marks) + 1, sizeof(*s->bymark));
	if (!s->bymark) {
		mark_fini(&s->marks);
		return -ENOMEM;
	}
	pthread_rwlock_init(&s->lock, NULL);
	return 0;
}

void svcset_fini(struct svcset *s)
{
	svctab_free(&s->tab);
	free(s->svc);
	free(s->dead);
	free(s->bymark);
	svcset_prev_done(s);
	mark_fini(&s->marks);
	pthread_rwlock_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

struct dest *svcset_by_index(const struct svcset *s, uint32_t index)
{
	return index && index <= mark_capacity(&s->marks) ? s->bymark[index]
							  : NULL;
}

struct dest *svcset_by_mark(const struct svcset *s, uint32_t mark)
{
	return svcset_by_index(s, svcset_mark_index(s, mark));
}

uint32_t svcset_capacity(const struct svcset *s)
{
	return mark_capacity(&s->marks);
}

static int prev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svcset_prev *)a)->key,
		      ((const struct svcset_prev *)b)->key);
}

int svcset_prev_add(struct svcset *s, uint32_t index, const char *key)
{
	struct svcset_prev *v;

	if (!index || index > mark_capacity(&s->marks))
		return 0;
	v = realloc(s->prev, (s->nprev + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->prev = v;
	v[s->nprev].index = index;
	if (!(v[s->nprev].key = strdup(key)))
		return -ENOMEM;
	s->nprev++;
	qsort(s->prev, s->nprev, sizeof(*v), prev_cmp);
	return 0;
}

void svcset_prev_done(struct svcset *s)
{
	unsigned int i;

	for (i = 0; i < s->nprev; i++)
		free(s->prev[i].key);
	free(s->prev);
	s->prev = NULL;
	s->nprev = 0;
}

static uint32_t prev_index(const struct svcset *s, const char *key)
{
	struct svcset_prev k = { .key = (char *)key }, *p;

	if (!s->nprev)
		return 0;
	p = bsearch(&k, s->prev, s->nprev, sizeof(k), prev_cmp);
	return p ? p->index : 0;
}

int svcset_mark_take(struct svcset *s, struct dest *dst, const char *key)
{
	dst->mark = key ? mark_alloc_key(&s->marks, key, prev_index(s, key))
			: mark_alloc(&s->marks);
	if (!dst->mark)
		return -ENOSPC;
	s->bymark[svcset_mark_index(s, dst->mark)] = dst;
	return 0;
}

void svcset_mark_release(struct svcset *s, struct dest *dst)
{
	uint32_t i = svcset_mark_index(s, dst->mark);

	if (!dst->mark)
		return;
	if (s->bymark[i] == dst)
		s->bymark[i] = NULL;
	mark_free(&s->marks, dst->mark);
	dst->mark = 0;
}

struct service *svcset_lookup(const struct svcset *s, uint32_t mark,
			      uint8_t family, uint8_t proto,
			      const struct nflvs_addr *addr, uint16_t port)
{
	/* a firewall mark is what the packet carries outside our bits */
	return svctab_lookup(&s->tab, mark & ~s->marks.mask, family, proto,
			     addr, port);
}

void svcset_replace(struct svcset *s, struct service **v, unsigned int n,
		    struct svctab *tab)
{
	free(s->svc);
	s->svc = v;
	s->nsvc = n;
	svctab_free(&s->tab);
	s->tab = *tab;
	memset(tab, 0, sizeof(*tab));
}

int svcset_bury(struct svcset *s, struct service *svc)
{
	struct service **nv = realloc(s->dead, (s->ndead + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	s->dead = nv;
	s->dead[s->ndead++] = svc;
	return 0;
}
