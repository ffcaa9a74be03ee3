// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Locality-based least-connection with replication, as IPVS
 * ip_vs_lblcr.c: a set of servers per destination address.
 *
 *   pick the weighted least-connection available member of the set;
 *   if the set has more than one member and has not changed for the
 *     expiration (24 h), drop its weighted most-connection member;
 *   if there was no pick, or it is overloaded in lblc's sense
 *     (activeconns > weight while some server has activeconns * 2 <
 *     weight), take the weighted least-connection server of the whole
 *     list instead and add it to the set.
 *
 * A set only grows while it is in use, by one server each time its best
 * member is overloaded, and sheds at most one member per expiration: an
 * address that takes a busy share of the traffic ends up holding a good
 * part of the list (the benchmark's one address: 124 of 1,000 servers
 * with realistic weights, all 1,000 when skewed), which the kernel then
 * scans on every decision.  Here a set of up to LBLCR_SMALL members is
 * scanned in place, over the keys that the queue keeps by slot
 * (sched_wlcq.h); a larger one keeps its available members in a heap of
 * its own, which the queue's log of lowered keys brings up to date when
 * the set is used (sched_wlcq.h explains why keys that went up can wait).
 * A busy set's decision thus costs a hash lookup and a few sifts, and a
 * connection count change costs O(1) however many sets hold the server.
 * A big set used too seldom for its backlog to be worth replaying is
 * scanned over the dense keys instead (big_min()), so no decision costs
 * much more than the kernel's.  Set maxima are always scanned: a drop
 * happens at most once per set per expiration.
 *
 * The whole-list pick and the overload test come from the queue, and the
 * table and its expiry are the kernel's (sched_loctab.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sched_lbl.h"

#define LBLCR_SMALL	8	/* members scanned in place */
#define LBLCR_REPLAY_COST 24	/* a replayed key, in members scanned */
#define LBLCR_HOT	8	/* quick uses in a row before a rebuild */

/*
 * A set of more than LBLCR_SMALL members.  It names them by slot in a
 * bitmap; a member's rank, the number of members with a lower slot, is its
 * index in pos[] and seq[] and its id in the heap.  That takes a bit per
 * server and O(members) besides, where an index by slot would take a word
 * per server in every big set.  Ranks shift when a member comes or goes,
 * which costs O(members), as the kernel's duplicate check does on every
 * insertion.  A big set stays big.
 */
struct lblcr_big {
	struct sched_heap h;	/* available members; id rank, val slot */
	uint64_t synced;	/* queue log position the heap caught up to */
	uint64_t used;		/* queue log position when last used */
	unsigned int hot;	/* uses in a row with little in between */
	uint64_t *bits;		/* members, by slot */
	uint32_t *below;	/* members in the words before each word */
	unsigned int words;
	int *pos;		/* by rank: index in h, -1 while unavailable */
	uint64_t *seq;		/* by rank: larger = added later */
	unsigned int cap;	/* of pos[], seq[] and h */
};

struct lblcr_entry {
	struct loc_entry le;		/* first */
	uint64_t lastmod;		/* now_ns of the last set change */
	unsigned int n;			/* members */
	struct lblcr_big *big;		/* NULL: the members are in small[] */
	uint32_t small[LBLCR_SMALL];	/* slots, the last added last */
};

struct lblcr_data {
	struct lbl lbl;			/* first */
	uint64_t seq;			/* set insertions so far */
};

static void big_free(struct lblcr_big *b)
{
	if (!b)
		return;
	free(b->bits);
	free(b->below);
	free(b->pos);
	free(b->seq);
	free(b->h.e);
	free(b);
}

static bool big_has(const struct lblcr_big *b, uint32_t s)
{
	return s / 64 < b->words && (b->bits[s / 64] >> (s % 64) & 1);
}

/* Inline: without -mpopcnt, __builtin_popcountll() is a libgcc call. */
static unsigned int big_popcount(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

static unsigned int big_rank(const struct lblcr_big *b, uint32_t s)
{
	return b->below[s / 64] +
	       big_popcount(b->bits[s / 64] & ((1ull << (s % 64)) - 1));
}

/* The first member with slot >= @s, or -1. */
static int big_next(const struct lblcr_big *b, uint32_t s)
{
	unsigned int w = s / 64;
	uint64_t x;

	if (w >= b->words)
		return -1;
	x = b->bits[w] & (~0ull << (s % 64));
	while (!x) {
		if (++w >= b->words)
			return -1;
		x = b->bits[w];
	}
	return w * 64 + __builtin_ctzll(x);
}

/* Room for @want members, the highest at slot @s, @have now; -1 if not. */
static int big_reserve(struct lblcr_big *b, unsigned int have,
		       unsigned int want, uint32_t s)
{
	unsigned int words = s / 64 + 1, cap = b->cap ? b->cap : 16;
	uint64_t *bits, *seq;
	uint32_t *below;
	int *pos;

	if (words > b->words) {
		bits = realloc(b->bits, words * sizeof(*bits));
		if (!bits)
			return -1;
		b->bits = bits;
		below = realloc(b->below, words * sizeof(*below));
		if (!below)
			return -1;
		b->below = below;
		for (; b->words < words; b->words++) {
			bits[b->words] = 0;
			below[b->words] = have;
		}
	}
	if (want <= b->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	pos = realloc(b->pos, cap * sizeof(*pos));
	if (!pos)
		return -1;
	b->pos = b->h.pos = pos;
	seq = realloc(b->seq, cap * sizeof(*seq));
	if (!seq)
		return -1;
	b->seq = seq;
	if (sched_heap_reserve(&b->h, cap))
		return -1;
	b->cap = cap;
	return 0;
}

/* The member of slot @s and rank @r to its key in the heap. */
static void big_sync_member(const struct wlcq *q, struct lblcr_big *b,
			    uint32_t s, unsigned int r)
{
	struct sched_heap_ent x = {
		.num = q->rec[s].num,
		.den = q->rec[s].den,
		.id = r,
		.val = s,
	};

	/* the tie-break is needed only for an entry going in */
	if (x.den && b->pos[r] < 0)
		x.seq = b->seq[r];
	sched_heap_set(&b->h, &x);
}

/* Add slot @s, not a member yet, with room reserved. */
static void big_insert(const struct wlcq *q, struct lblcr_entry *en,
		       uint32_t s, uint64_t seq)
{
	struct lblcr_big *b = en->big;
	unsigned int r = big_rank(b, s), i, w;

	memmove(b->pos + r + 1, b->pos + r, (en->n - r) * sizeof(*b->pos));
	memmove(b->seq + r + 1, b->seq + r, (en->n - r) * sizeof(*b->seq));
	for (i = 0; i < b->h.n; i++)
		b->h.e[i].id += b->h.e[i].id >= r;
	b->pos[r] = -1;
	b->seq[r] = seq;
	b->bits[s / 64] |= 1ull << (s % 64);
	for (w = s / 64 + 1; w < b->words; w++)
		b->below[w]++;
	en->n++;
	big_sync_member(q, b, s, r);
}

static void big_remove(struct lblcr_entry *en, uint32_t s)
{
	struct lblcr_big *b = en->big;
	unsigned int r = big_rank(b, s), i, w;

	if (b->pos[r] >= 0)
		sched_heap_remove(&b->h, b->pos[r]);
	en->n--;
	memmove(b->pos + r, b->pos + r + 1, (en->n - r) * sizeof(*b->pos));
	memmove(b->seq + r, b->seq + r + 1, (en->n - r) * sizeof(*b->seq));
	for (i = 0; i < b->h.n; i++)
		b->h.e[i].id -= b->h.e[i].id > r;
	b->bits[s / 64] &= ~(1ull << (s % 64));
	for (w = s / 64 + 1; w < b->words; w++)
		b->below[w]--;
}

/* Catch the heap up with the keys lowered since it last did. */
static void big_replay(const struct wlcq *q, struct lblcr_big *b)
{
	uint32_t s;

	while (b->synced != q->logseq) {
		s = wlcq_logged(q, ++b->synced);
		if (big_has(b, s))
			big_sync_member(q, b, s, big_rank(b, s));
	}
}

static void big_rebuild(const struct wlcq *q, struct lblcr_entry *en)
{
	struct lblcr_big *b = en->big;
	unsigned int r;
	int s;

	b->h.n = 0;
	for (r = 0; r < en->n; r++)
		b->pos[r] = -1;
	for (s = big_next(b, 0), r = 0; s >= 0; s = big_next(b, s + 1), r++)
		big_sync_member(q, b, s, r);
	b->synced = q->logseq;
}

/* The kernel's scan, over the queue's keys, for a set that is seldom used. */
static struct dest *big_scan(const struct wlcq *q,
			     const struct lblcr_entry *en)
{
	const struct lblcr_big *b = en->big;
	const struct wlcq_rec *r, *least = NULL;
	uint64_t lseq = 0, l, m;
	unsigned int i = 0, w;
	uint64_t x;

	for (w = 0; w < b->words; w++)
		for (x = b->bits[w]; x; x &= x - 1, i++) {
			r = &q->rec[w * 64 + __builtin_ctzll(x)];
			if (!r->den)
				continue;
			if (least) {
				l = (uint64_t)r->num * least->den;
				m = (uint64_t)least->num * r->den;
				if (l > m || (l == m && b->seq[i] < lseq))
					continue;
			}
			least = r;
			lseq = b->seq[i];
		}
	return least ? least->d : NULL;
}

/*
 * A big set's least loaded member.  Replaying a lowered key, a sift far
 * from the last one, costs about as much as scanning LBLCR_REPLAY_COST
 * members (0.45 against 10 ns here), so the heap is worth it only for a
 * set in constant use.  One whose backlog would cost more than a scan is
 * scanned instead, its heap left behind, and the heap is rebuilt once the
 * set has been used LBLCR_HOT times in a row with little in between: a
 * rebuild costs about ten scans.  So a decision never costs much more
 * than the kernel's scan, however many big sets share the servers whose
 * keys change, and a busy set costs a few sifts.
 */
static struct dest *big_min(const struct wlcq *q, struct lblcr_entry *en)
{
	struct lblcr_big *b = en->big;
	uint64_t lag = q->logseq - b->synced, idle = q->logseq - b->used;
	int top;

	b->used = q->logseq;
	if (idle * LBLCR_REPLAY_COST > en->n)
		b->hot = 0;
	else if (b->hot < LBLCR_HOT)
		b->hot++;
	if (lag <= WLCQ_LOG_SIZE && lag * LBLCR_REPLAY_COST <= en->n)
		big_replay(q, b);
	else if (b->hot == LBLCR_HOT)
		big_rebuild(q, en);
	else
		return big_scan(q, en);
	top = wlcq_top(q, &b->h);
	return top < 0 ? NULL : q->rec[top].d;
}

/* Move the full small[] to a big set, with room for slot @s too. */
static int lblcr_to_big(struct lblcr_data *l, struct lblcr_entry *en,
			uint32_t s)
{
	struct lblcr_big *b = calloc(1, sizeof(*b));
	unsigned int i, n = en->n;
	uint32_t top = s;

	for (i = 0; i < n; i++)
		if (en->small[i] > top)
			top = en->small[i];
	if (!b || big_reserve(b, 0, n + 1, top)) {
		big_free(b);
		return -1;
	}
	b->synced = b->used = l->lbl.q.logseq;
	en->big = b;
	en->n = 0;
	/* fresh numbers in the same order: only the order is compared */
	for (i = 0; i < n; i++)
		big_insert(&l->lbl.q, en, en->small[i], ++l->seq);
	return 0;
}

static void lblcr_free_entry(struct loc_entry *e)
{
	struct lblcr_entry *en = (struct lblcr_entry *)e;

	big_free(en->big);
	free(en);
}

/* ip_vs_dest_set_insert(..., check = true) */
static void lblcr_set_insert(struct lblcr_data *l, struct lblcr_entry *en,
			     struct dest *d, uint64_t now)
{
	int s = wlcq_slot(&l->lbl.q, d);
	unsigned int i;

	/* no slot, no memory: as the kernel when kmalloc() fails */
	if (s < 0)
		return;
	if (en->big) {
		if (big_has(en->big, s) ||
		    big_reserve(en->big, en->n, en->n + 1, s))
			return;
		big_insert(&l->lbl.q, en, s, ++l->seq);
	} else {
		for (i = 0; i < en->n; i++)
			if (en->small[i] == (uint32_t)s)
				return;
		if (en->n < LBLCR_SMALL)
			en->small[en->n++] = s;
		else if (lblcr_to_big(l, en, s) == 0)
			big_insert(&l->lbl.q, en, s, ++l->seq);
		else
			return;
	}
	en->lastmod = now;
}

static void lblcr_set_remove(struct lblcr_entry *en, uint32_t s)
{
	unsigned int i;

	if (en->big) {
		if (big_has(en->big, s))
			big_remove(en, s);
		return;
	}
	for (i = 0; i < en->n; i++)
		if (en->small[i] == s) {
			en->n--;
			memmove(en->small + i, en->small + i + 1,
				(en->n - i) * sizeof(*en->small));
			return;
		}
}

/*
 * ip_vs_dest_set_min(): the available member with the least overhead /
 * weight, on a tie the one added last, which the kernel's walk from the
 * head of the set keeps.
 */
static struct dest *lblcr_set_min(struct lblcr_data *l,
				  struct lblcr_entry *en)
{
	const struct wlcq_rec *r, *least = NULL;
	unsigned int i;
	if (en->big)
		return big_min(&l->lbl.q, en);
	for (i = en->n; i-- > 0;) {
		r = &l->lbl.q.rec[en->small[i]];
		if (!r->den)
			continue;
		if (!least || (uint64_t)r->num * least->den <
			      (uint64_t)least->num * r->den)
			least = r;
	}
	return least ? least->d : NULL;
}

/*
 * ip_vs_dest_set_max(), as a slot or -1: the kernel asks only for weight >
 * 0 here, so a member that is down or overloaded can be the one dropped.
 * On a tie the member added last, as for the minimum.
 */
static int lblcr_set_max(const struct lblcr_data *l,
			 const struct lblcr_entry *en)
{
	const struct lblcr_big *b = en->big;
	const struct dest *most = NULL, *d;
	uint64_t mseq = 0;
	unsigned int i, r;
	int s, m = -1;

	if (!b) {
		for (i = en->n; i-- > 0;) {
			d = l->lbl.q.rec[en->small[i]].d;
			if (d->weight <= 0)
				continue;
			if (!most || wlcq_lighter(most, d)) {
				most = d;
				m = en->small[i];
			}
		}
		return m;
	}
	for (s = big_next(b, 0), r = 0; s >= 0; s = big_next(b, s + 1), r++) {
		d = l->lbl.q.rec[s].d;
		if (d->weight <= 0)
			continue;
		if (!most || wlcq_lighter(most, d) ||
		    (!wlcq_lighter(d, most) && b->seq[r] > mseq)) {
			most = d;
			mseq = b->seq[r];
			m = s;
		}
	}
	return m;
}

static int lblcr_init(struct service *svc)
{
	struct lblcr_data *l = calloc(1, sizeof(*l));

	return l ? lbl_attach(svc, &l->lbl, lblcr_free_entry) : -1;
}

static void lblcr_forget(struct loc_entry *e, void *slot)
{
	lblcr_set_remove((struct lblcr_entry *)e, *(uint32_t *)slot);
}

/*
 * @d is freed after this, so it leaves every set now, and its slot may be
 * reused.  The kernel keeps a deleted server in the sets (never picked,
 * maybe dropped as the maximum) until they are rebuilt; leaving early does
 * not count as a set change.
 */
static void lblcr_del_dest(struct service *svc, struct dest *d, int pos)
{
	struct lblcr_data *l = svc->sched_data;
	int s = wlcq_slot(&l->lbl.q, d);
	uint32_t slot = s;

	(void)pos;
	if (s >= 0)
		loctab_walk(&l->lbl.tab, lblcr_forget, &slot);
	wlcq_del(&l->lbl.q, d);
}

static struct dest *lblcr_new(struct lblcr_data *l,
			      const struct nflvs_addr *daddr, struct dest *d,
			      uint64_t now)
{
	struct lblcr_entry *en = calloc(1, sizeof(*en));

	/* without memory for an entry, the pick still stands */
	if (!en)
		return d;
	en->le.addr = *daddr;
	en->le.lastuse = now;
	lblcr_set_insert(l, en, d, now);
	loctab_add(&l->lbl.tab, &en->le);
	return d;
}

static struct dest *lblcr_schedule(struct service *svc,
				   const struct pkt_info *pi, uint64_t now)
{
	struct lblcr_data *l = svc->sched_data;
	struct lblcr_entry *en;
	struct dest *d;
	int m;

	en = (struct lblcr_entry *)loctab_get(&l->lbl.tab, &pi->daddr);
	if (!en) {
		d = wlcq_min(&l->lbl.q, svc);
		return d ? lblcr_new(l, &pi->daddr, d, now) : NULL;
	}
	en->le.lastuse = now;
	d = lblcr_set_min(l, en);
	if (en->n > 1 && now > en->lastmod + l->lbl.tab.expiration) {
		m = lblcr_set_max(l, en);
		if (m >= 0) {
			lblcr_set_remove(en, m);
			en->lastmod = now;
		}
	}
	if (d && !wlcq_overloaded(&l->lbl.q, svc, d))
		return d;
	d = wlcq_min(&l->lbl.q, svc);
	if (d)
		lblcr_set_insert(l, en, d, now);
	return d;
}

const struct sched_ops sched_lblcr = {
	.init_service = lblcr_init,
	.done_service = lbl_done,
	.add_dest = lbl_add_dest,
	.del_dest = lblcr_del_dest,
	.upd_dest = lbl_upd_dest,
	.conn_changed = lbl_upd_dest,
	.gc = lbl_gc,
	.schedule = lblcr_schedule,
};
