// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Maglev hashing, as IPVS ip_vs_mh.c (Eisenbud et al., NSDI 2016, 3.4).
 *
 * Each destination gets a preference order over the M = 4093 slots of the
 * lookup table: start at offset, step by skip (mod M), both from the
 * kernel's hsiphash of address + port under two fixed keys.  The table is
 * populated with the destinations taking turns in the canonical order of
 * sched_hash.h (IPVS: its list order), each taking `turns' slots in a row
 * (its weight over the gcd of the weights, shifted right so that the
 * largest is at most 6 bits), each slot the next free one of its order,
 * until every slot has an owner.  The client's address (plus its source
 * port with mh-port) hashed the same way picks the slot.
 *
 * The table is a function of the present destinations, their addresses,
 * ports and weights, and of nothing else: two directors with the same
 * real servers answer alike whatever order the servers came in and
 * whatever weights they had before.  The kernel shapes it with each
 * destination's last non-zero weight instead (last_weight), so that a
 * quiesced destination (weight 0) keeps its slots and its clients get no
 * server; here a quiesced destination leaves the table as if it had been
 * added with weight 0, its clients go to the others (Maglev moves few
 * clients of the others: a few percent), and it comes back to the same
 * slots.  An overloaded destination keeps its slots: its clients get no
 * server, or with mh-fallback are walked on around the table as the
 * kernel does.  Down and draining destinations are left out, as the
 * kernel's list does not hold them.
 *
 * The table is rebuilt in the add/del/upd callbacks and only when an input
 * (the present set or a weight) changed, never while scheduling.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sched_hash.h"
#include "scheduler.h"

#define MH_TAB_SIZE	4093	/* IP_VS_MH_TAB_SIZE, the default */
#define MH_TAB_BITS	6	/* CONFIG_IP_VS_MH_TAB_INDEX / 2 */

/* generate_hash_secret(): both words of each hsiphash key */
#define MH_KEY1		2654435761ull
#define MH_KEY2		2654446892ull

/* What the table was built from, to skip rebuilds that change nothing */
struct mh_rec {
	struct dest *d;
	int weight;
	bool present;
};

/* ip_vs_mh_dest_setup: one destination's preference order */
struct mh_setup {
	struct dest *d;
	unsigned int offset, skip, perm;
	int turns;
};

struct mh_data {
	struct dest *lookup[MH_TAB_SIZE];
	struct mh_rec *rec;		/* indexed by dest->sched_pos */
	unsigned int nrec, cap;
};

static inline uint64_t mh_rol64(uint64_t v, unsigned int s)
{
	return v << s | v >> (64 - s);
}

#define MH_SIPROUND							\
	do {								\
		v0 += v1; v1 = mh_rol64(v1, 13); v1 ^= v0;		\
		v0 = mh_rol64(v0, 32);					\
		v2 += v3; v3 = mh_rol64(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = mh_rol64(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = mh_rol64(v1, 17); v1 ^= v2;		\
		v2 = mh_rol64(v2, 32);					\
	} while (0)

/*
 * The kernel's hsiphash(&v, 4, key) on a 64-bit little-endian machine,
 * where it is SipHash-1-3 truncated to 32 bits.
 */
static uint32_t mh_hsiphash_u32(uint32_t v, uint64_t k0, uint64_t k1)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;
	uint64_t v3 = 0x7465646279746573ull ^ k1;
	uint64_t b = (4ull << 56) | v;

	v3 ^= b;
	MH_SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	MH_SIPROUND;
	MH_SIPROUND;
	MH_SIPROUND;
	return (uint32_t)((v0 ^ v1) ^ (v2 ^ v3));
}

/* ip_vs_mh_hashkey() */
static uint32_t mh_hashkey(const struct nflvs_addr *a, uint16_t port,
			   uint64_t key, unsigned int offset)
{
	return mh_hsiphash_u32(offset + port + sched_addr_fold(a), key, key);
}

static int mh_fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

/* NULL when @d has no record (there was no memory for one). */
static struct mh_rec *mh_rec_of(const struct mh_data *s, const struct dest *d)
{
	if (d->sched_pos < 0 || (unsigned int)d->sched_pos >= s->nrec ||
	    s->rec[d->sched_pos].d != d)
		return NULL;
	return &s->rec[d->sched_pos];
}

/*
 * ip_vs_mh_permutate(): offsets, skips and turns of the @n present
 * destinations @v, in that order.  Returns 0 when none has a positive
 * weight (the kernel's gcd < 1), else @n.
 */
static unsigned int mh_permutate(struct dest *const *v, unsigned int n,
				 struct mh_setup *ds)
{
	int g = 0, mw = 0, rshift, w;
	unsigned int i;

	for (i = 0; i < n; i++) {
		w = v[i]->weight;
		if (w > 0)
			g = g > 0 ? sched_gcd(w, g) : w;
		if (w > mw)
			mw = w;
	}
	if (g < 1)
		return 0;
	rshift = mh_fls(mw / g) - MH_TAB_BITS;
	if (rshift < 0)
		rshift = 0;
	for (i = 0; i < n; i++) {
		const struct dest *d = v[i];

		w = d->weight;
		ds[i].d = v[i];
		ds[i].offset = mh_hashkey(&d->addr, d->port, MH_KEY1, 0) %
			       MH_TAB_SIZE;
		ds[i].skip = mh_hashkey(&d->addr, d->port, MH_KEY2, 0) %
			     (MH_TAB_SIZE - 1) + 1;
		ds[i].perm = ds[i].offset;
		ds[i].turns = (w / g) >> rshift;
		if (!ds[i].turns)
			ds[i].turns = w > 0;
	}
	return n;
}

/*
 * ip_vs_mh_populate(): destinations take turns in the order given, each
 * claiming `turns' slots in a row, every slot the next free one of its
 * own order, until the table is full.
 */
static void mh_populate(struct mh_data *s, struct mh_setup *ds,
			unsigned int nd, uint64_t *used)
{
	unsigned int n = 0, j, c;
	int dt_count = 0;

	for (;;) {
		for (j = 0; j < nd;) {
			if (ds[j].turns < 1) {
				j++;
				continue;
			}
			c = ds[j].perm;
			while (used[c / 64] & (1ull << (c % 64))) {
				ds[j].perm += ds[j].skip;
				if (ds[j].perm >= MH_TAB_SIZE)
					ds[j].perm -= MH_TAB_SIZE;
				c = ds[j].perm;
			}
			used[c / 64] |= 1ull << (c % 64);
			s->lookup[c] = ds[j].d;
			if (++n == MH_TAB_SIZE)
				return;
			if (++dt_count >= ds[j].turns) {
				dt_count = 0;
				j++;
			}
		}
	}
}

/* ip_vs_mh_reassign(); on failure the old table stays. */
static int mh_reassign(struct service *svc)
{
	struct mh_data *s = svc->sched_data;
	struct mh_setup *ds = NULL;
	uint64_t *used = NULL;
	struct dest **v;
	unsigned int i, n, nd;
	int err = -ENOMEM;

	v = sched_hash_order(svc, &n);
	if (!v)
		return -ENOMEM;
	if (n > MH_TAB_SIZE) {
		err = -E2BIG;
		goto out;
	}
	ds = calloc(n ? n : 1, sizeof(*ds));
	used = calloc((MH_TAB_SIZE + 63) / 64, sizeof(*used));
	if (!ds || !used)
		goto out;
	nd = mh_permutate(v, n, ds);
	if (nd)
		mh_populate(s, ds, nd, used);
	else
		for (i = 0; i < MH_TAB_SIZE; i++)
			s->lookup[i] = NULL;
	err = 0;
out:
	free(v);
	free(ds);
	free(used);
	return err;
}

static void mh_rec_add(struct mh_data *s, struct dest *d)
{
	if (s->nrec == s->cap) {
		unsigned int cap = s->cap ? s->cap * 2 : 16;
		struct mh_rec *r = realloc(s->rec, cap * sizeof(*r));

		if (!r) {
			d->sched_pos = -1;	/* rebuilt on every update */
			return;
		}
		s->rec = r;
		s->cap = cap;
	}
	s->rec[s->nrec].d = d;
	s->rec[s->nrec].weight = d->weight;
	s->rec[s->nrec].present = dest_present(d);
	d->sched_pos = s->nrec++;
}

static int mh_init(struct service *svc)
{
	struct mh_data *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		return -1;
	svc->sched_data = s;
	for (i = 0; i < svc->ndests; i++)
		mh_rec_add(s, svc->dests[i]);
	if (mh_reassign(svc) == -ENOMEM) {
		free(s->rec);
		free(s);
		svc->sched_data = NULL;
		return -1;
	}
	return 0;
}

static void mh_done(struct service *svc)
{
	struct mh_data *s = svc->sched_data;

	free(s->rec);
	free(s);
	svc->sched_data = NULL;
}

static void mh_add_dest(struct service *svc, struct dest *d)
{
	mh_rec_add(svc->sched_data, d);
	mh_reassign(svc);
}

static void mh_del_dest(struct service *svc, struct dest *d, int pos)
{
	struct mh_data *s = svc->sched_data;
	struct mh_rec *r = mh_rec_of(s, d);

	(void)pos;
	if (r) {
		*r = s->rec[--s->nrec];
		r->d->sched_pos = r - s->rec;
	}
	/* @d is freed after this: a failed rebuild must not leave it */
	if (mh_reassign(svc) < 0)
		sched_hash_forget(s->lookup, MH_TAB_SIZE, d);
}

/* A change of weight or presence rebuilds; overload alone does not. */
static void mh_upd_dest(struct service *svc, struct dest *d)
{
	struct mh_rec *r = mh_rec_of(svc->sched_data, d);
	bool present = dest_present(d);

	if (r) {
		if (present == r->present &&
		    (!present || d->weight == r->weight))
			return;		/* same inputs, same table */
		r->present = present;
		r->weight = d->weight;
	}
	mh_reassign(svc);
}

/* ip_vs_mh_get_fallback(): walk on from the original slot. */
static struct dest *mh_fallback(const struct mh_data *s,
				const struct nflvs_addr *a, uint16_t port,
				unsigned int ihash)
{
	unsigned int off, roff, h;
	struct dest *d;

	for (off = 0; off < MH_TAB_SIZE; off++) {
		roff = (off + ihash) % MH_TAB_SIZE;
		h = mh_hashkey(a, port, MH_KEY1, roff) % MH_TAB_SIZE;
		d = s->lookup[h];
		if (!d)
			break;
		if (dest_available(d))
			return d;
	}
	return NULL;
}

static struct dest *mh_schedule(struct service *svc,
				const struct pkt_info *pi, uint64_t now)
{
	const struct mh_data *s = svc->sched_data;
	uint16_t port = 0;
	unsigned int ihash;
	struct dest *d;

	(void)now;
	if (svc->sched_flags & SCHED_F_MH_PORT)
		port = pi->sport;
	ihash = mh_hashkey(&pi->saddr, port, MH_KEY1, 0) % MH_TAB_SIZE;
	d = s->lookup[ihash];
	if (!d || dest_available(d))
		return d;
	if (!(svc->sched_flags & SCHED_F_MH_FALLBACK))
		return NULL;
	return mh_fallback(s, &pi->saddr, port, ihash);
}

const struct sched_ops sched_mh = {
	.init_service = mh_init,
	.done_service = mh_done,
	.add_dest = mh_add_dest,
	.del_dest = mh_del_dest,
	.upd_dest = mh_upd_dest,
	.schedule = mh_schedule,
};
