// SPDX-License-Identifier: GPL-2.0-or-later
/* The canonical order of the hashing schedulers' tables (sched_hash.h). */
#include <stdlib.h>

#include "sched_hash.h"
#include "scheduler.h"

int sched_hash_cmp(const struct dest *a, const struct dest *b)
{
	int c;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	c = memcmp(a->addr.b, b->addr.b, addr_len(&a->addr));
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	/* a service holds one destination per address and port: never
	 * reached there, but the order stays total */
	return (a->weight > b->weight) - (a->weight < b->weight);
}

static int order_cmp(const void *a, const void *b)
{
	return sched_hash_cmp(*(struct dest *const *)a,
			      *(struct dest *const *)b);
}

struct dest **sched_hash_order(const struct service *svc, unsigned int *n)
{
	struct dest **v = malloc((svc->ndests ? svc->ndests : 1) * sizeof(*v));
	unsigned int i, k = 0;

	if (!v)
		return NULL;
	for (i = 0; i < svc->ndests; i++)
		if (dest_present(svc->dests[i]))
			v[k++] = svc->dests[i];
	qsort(v, k, sizeof(*v), order_cmp);
	*n = k;
	return v;
}

void sched_hash_forget(struct dest **tab, unsigned int size,
		       const struct dest *d)
{
	unsigned int i;

	for (i = 0; i < size; i++)
		if (tab[i] == d)
			tab[i] = NULL;
}
