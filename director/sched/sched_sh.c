// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Source hashing, as IPVS ip_vs_sh.c.  A 256-bucket table is filled in the
 * canonical order of sched_hash.h (IPVS: its list order), each destination
 * taking as many consecutive buckets as its weight (a quiesced one, weight
 * 0, still takes one), round and round until the table is full.  The client's address (plus its source port with sh-port)
 * times 2654435761 picks the bucket.  A bucket whose destination is
 * unavailable gives no server, or with sh-fallback sends the client on
 * around the table exactly as the kernel walks it.
 *
 * Destinations that are down or draining are left out of the table, as the
 * kernel's list does not hold them.  The table is rebuilt on every list,
 * weight or flag change, never while scheduling; should that fail (no
 * memory for the sort), the old table stays, less a deleted destination.
 */
#include <errno.h>
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

/* ip_vs_sh_reassign(), in the canonical order */
static int sh_reassign(struct service *svc)
{
	struct sh_data *s = svc->sched_data;
	unsigned int i, n, p = 0;
	struct dest **v = sched_hash_order(svc, &n);
	int count = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < SH_TAB_SIZE; i++) {
		if (!n) {
			s->bucket[i] = NULL;
			continue;
		}
		s->bucket[i] = v[p];
		if (++count >= v[p]->weight) {
			count = 0;
			p = (p + 1) % n;
		}
	}
	free(v);
	return 0;
}

static int sh_init(struct service *svc)
{
	struct sh_data *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	svc->sched_data = s;
	if (sh_reassign(svc) < 0) {
		free(s);
		svc->sched_data = NULL;
		return -1;
	}
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
	struct sh_data *s = svc->sched_data;

	(void)pos;
	/* @d is freed after this: a failed rebuild must not leave it */
	if (sh_reassign(svc) < 0)
		sched_hash_forget(s->bucket, SH_TAB_SIZE, d);
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
