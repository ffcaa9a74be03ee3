// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Source hashing, as IPVS ip_vs_sh.c.  A 256-bucket table is filled in list
 * order, each destination taking as many consecutive buckets as its weight
 * (a quiesced one, weight 0, still takes one), round and round until the
 * table is full.  The client's address (plus its source port with sh-port)
 * times 2654435761 picks the bucket.  A bucket whose destination is
 * unavailable gives no server, or with sh-fallback sends the client on
 * around the table exactly as the kernel walks it.
 *
 * Destinations that are down or draining are left out of the table, as the
 * kernel's list does not hold them.  The table is rebuilt on every list,
 * weight or flag change, never while scheduling.
 */
#include <stdlib.h>

#include "sched_hash.h"
#include "scheduler.h"

#define SH_TAB_BITS	8
#define SH_TAB_SIZE	(1 << SH_TAB_BITS)
#define SH_TAB_MASK	(SH_TAB_SIZE - 1)

struct sh_data {
	struct dest *bucket[SH_TAB_SIZE];
};

/* ip_vs_sh_hashkey(); only the low 8 bits of the product matter. */
static unsigned int sh_hashkey(const struct nflvs_addr *a, uint16_t port,
			       unsigned int offset)
{
	uint32_t key = port + sched_addr_fold(a);

	return (offset + key * SCHED_HASH_GOLDEN) & SH_TAB_MASK;
}

/* Index of the first present destination at or after @from, or -1. */
static int sh_next_present(const struct service *svc, unsigned int from)
{
	unsigned int i;

	for (i = from; i < svc->ndests; i++)
		if (dest_present(svc->dests[i]))
			return i;
	return -1;
}

/* ip_vs_sh_reassign() */
static void sh_reassign(struct service *svc)
{
	struct sh_data *s = svc->sched_data;
	int p = sh_next_present(svc, 0), count = 0;
	unsigned int i;

	for (i = 0; i < SH_TAB_SIZE; i++) {
		struct dest *d;

		if (p < 0) {
			s->bucket[i] = NULL;
			continue;
		}
		d = svc->dests[p];
		s->bucket[i] = d;
		if (++count >= d->weight) {
			count = 0;
			p = sh_next_present(svc, p + 1);
			if (p < 0)
				p = sh_next_present(svc, 0);
		}
	}
}

static int sh_init(struct service *svc)
{
	struct sh_data *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	svc->sched_data = s;
	sh_reassign(svc);
	return 0;
}

static void sh_done(struct service *svc)
{
	free(svc->sched_data);
	svc->sched_data = NULL;
}

static void sh_add_dest(struct service *svc, struct dest *d)
{
	(void)d;
	sh_reassign(svc);
}

static void sh_del_dest(struct service *svc, struct dest *d, int pos)
{
	(void)d;
	(void)pos;
	sh_reassign(svc);
}

static void sh_upd_dest(struct service *svc, struct dest *d)
{
	(void)d;
	sh_reassign(svc);
}

/*
 * ip_vs_sh_get_fallback(): the walk starts from the original hash (so it
 * is deterministic) and adds each offset to the key's hash again, which is
 * why it visits buckets from 2 * ihash on, not from ihash.
 */
static struct dest *sh_fallback(const struct sh_data *s,
				const struct nflvs_addr *a, uint16_t port,
				unsigned int ihash)
{
	unsigned int off, h;
	struct dest *d;

	for (off = 0; off < SH_TAB_SIZE; off++) {
		h = sh_hashkey(a, port, (off + ihash) % SH_TAB_SIZE);
		d = s->bucket[h];
		if (!d)
			break;
		if (dest_available(d))
			return d;
	}
	return NULL;
}

static struct dest *sh_schedule(struct service *svc,
				const struct pkt_info *pi, uint64_t now)
{
	const struct sh_data *s = svc->sched_data;
	uint16_t port = 0;
	unsigned int ihash;
	struct dest *d;

	(void)now;
	if (svc->sched_flags & SCHED_F_SH_PORT)
		port = pi->sport;
	ihash = sh_hashkey(&pi->saddr, port, 0);
	d = s->bucket[ihash];
	if (!d || dest_available(d))
		return d;
	if (!(svc->sched_flags & SCHED_F_SH_FALLBACK))
		return NULL;
	return sh_fallback(s, &pi->saddr, port, ihash);
}

const struct sched_ops sched_sh = {
	.init_service = sh_init,
	.done_service = sh_done,
	.add_dest = sh_add_dest,
	.del_dest = sh_del_dest,
	.upd_dest = sh_upd_dest,
	.schedule = sh_schedule,
};
