// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flows.h"
#include "packet.h"

#define FLOWS_CHUNK	4096u	/* records per chunk */

int flows_init(struct flow_table *t, flows_account_fn fn, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->nbucket = 1 << 12;
	t->bucket = calloc(t->nbucket, sizeof(*t->bucket));
	t->account = fn;
	t->ctx = ctx;
	return t->bucket ? 0 : -ENOMEM;
}

void flows_fini(struct flow_table *t)
{
	uint32_t i;

	for (i = 0; i < t->nchunk; i++)
		free(t->chunk[i]);
	free(t->chunk);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

size_t flows_bytes(const struct flow_table *t)
{
	return (size_t)t->nbucket * sizeof(*t->bucket) +
	       (size_t)t->nchunk * (FLOWS_CHUNK * sizeof(struct flow) +
				    sizeof(*t->chunk));
}

/* The record of link @ref (index + 1, not 0). */
static struct flow *at(const struct flow_table *t, uint32_t ref)
{
	uint32_t i = ref - 1;

	return &t->chunk[i / FLOWS_CHUNK][i % FLOWS_CHUNK];
}

/* A free record, and its link; 0 if out of memory. */
static uint32_t flow_alloc(struct flow_table *t)
{
	uint32_t ref = t->free;

	if (ref) {
		t->free = at(t, ref)->next;
		return ref;
	}
	if (t->used == t->nchunk * FLOWS_CHUNK) {
		struct flow **c = realloc(t->chunk, (t->nchunk + 1) * sizeof(*c));

		if (!c)
			return 0;
		t->chunk = c;
		c[t->nchunk] = malloc(FLOWS_CHUNK * sizeof(**c));
		if (!c[t->nchunk])
			return 0;
		/* faulted in now, not record by record in the packet path;
		 * the process holds what flows_bytes() says */
		memset(c[t->nchunk], 0, FLOWS_CHUNK * sizeof(**c));
		t->nchunk++;
	}
	return ++t->used;
}

static uint32_t key_hash(const struct flow_key *k)
{
	uint32_t h = 2166136261u ^ k->proto ^ ((uint32_t)k->sport << 16 | k->dport);
	size_t i, n = addr_len(&k->saddr);

	for (i = 0; i < n; i++)
		h = (h ^ k->saddr.b[i] ^ (k->daddr.b[i] << 8)) * 16777619u;
	return h ^ (h >> 16);
}

static bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       addr_eq(&a->saddr, &b->saddr) && addr_eq(&a->daddr, &b->daddr);
}

/* The link to @k's flow, or the 0 at the end of its bucket's chain. */
static uint32_t *slot(struct flow_table *t, const struct flow_key *k)
{
	uint32_t *p = &t->bucket[key_hash(k) & (t->nbucket - 1)];

	while (*p && !key_eq(&at(t, *p)->key, k))
		p = &at(t, *p)->next;
	return p;
}

enum ct_class flow_class(const struct flow *f)
{
	return f->state == FLOW_ESTABLISHED ? CT_ACTIVE : CT_INACTIVE;
}

static void grow(struct flow_table *t)
{
	uint32_t n = t->nbucket * 2, i, h, ref, next;
	uint32_t *b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (i = 0; i < t->nbucket; i++)
		for (ref = t->bucket[i]; ref; ref = next) {
			struct flow *f = at(t, ref);

			next = f->next;
			h = key_hash(&f->key) & (n - 1);
			f->next = b[h];
			b[h] = ref;
		}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = n;
}

struct flow *flows_find(struct flow_table *t, const struct flow_key *k)
{
	uint32_t ref = *slot(t, k);

	return ref ? at(t, ref) : NULL;
}

struct flow *flows_add(struct flow_table *t, const struct flow_key *k,
		       struct dest *d, uint32_t mark, enum flow_state st,
		       bool tun)
{
	uint32_t *p = slot(t, k), ref;
	struct flow *f;

	if (*p) {	/* a stale one with the same tuple: replaced */
		flows_del(t, at(t, *p));
		p = slot(t, k);
	}
	ref = flow_alloc(t);
	if (!ref)
		return NULL;
	f = at(t, ref);
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->dest = d;
	f->mark = mark;
	f->state = st;
	f->tun = tun;
	*p = ref;	/* the end of its chain: f->next is 0 */
	t->count++;
	t->ntun += tun;
	t->account(t->ctx, d, CT_NONE, flow_class(f), k);
	if (t->count > 2 * t->nbucket)
		grow(t);
	return f;
}

void flows_set_state(struct flow_table *t, struct flow *f, enum flow_state st)
{
	enum ct_class old = flow_class(f);

	f->state = st;
	if (old != flow_class(f))
		t->account(t->ctx, f->dest, old, flow_class(f), &f->key);
}

/* The flow link @p names leaves its chain for the free list. */
static void unlink_free(struct flow_table *t, uint32_t *p, bool count)
{
	uint32_t ref = *p;
	struct flow *f = at(t, ref);

	*p = f->next;
	t->count--;
	t->ntun -= f->tun;
	if (count)
		t->account(t->ctx, f->dest, flow_class(f), CT_NONE, &f->key);
	f->dest = NULL;
	f->next = t->free;
	t->free = ref;
}

void flows_del(struct flow_table *t, struct flow *f)
{
	uint32_t *p = slot(t, &f->key);

	if (*p && at(t, *p) == f)
		unlink_free(t, p, true);
}

/* Remove what @gone says, walking every bucket. */
static unsigned int flows_remove_if(struct flow_table *t,
				    bool (*gone)(const struct flow *, const void *),
				    const void *arg, bool count)
{
	unsigned int n = 0;
	uint32_t *p, i;

	for (i = 0; i < t->nbucket; i++) {
		p = &t->bucket[i];
		while (*p) {
			if (gone(at(t, *p), arg)) {
				unlink_free(t, p, count);
				n++;
			} else {
				p = &at(t, *p)->next;
			}
		}
	}
	return n;
}

static bool expired_tun(const struct flow *f, const void *arg)
{
	return f->tun && f->expires <= *(const uint64_t *)arg;
}

unsigned int flows_expire(struct flow_table *t, uint64_t now)
{
	if (!t->ntun)
		return 0;	/* no walk over a million DR flows */
	return flows_remove_if(t, expired_tun, &now, true);
}

static bool to_dest(const struct flow *f, const void *arg)
{
	return f->dest == arg;
}

unsigned int flows_drop_dest(struct flow_table *t, const struct dest *d,
			     bool count)
{
	return flows_remove_if(t, to_dest, d, count);
}

void flows_foreach(const struct flow_table *t, flows_each_fn fn, void *ctx)
{
	uint32_t i, ref;

	for (i = 0; i < t->nbucket; i++)
		for (ref = t->bucket[i]; ref; ref = at(t, ref)->next)
			fn(ctx, at(t, ref));
}

uint32_t flows_walk(const struct flow_table *t, uint32_t from, uint32_t n,
		    flows_each_fn fn, void *ctx)
{
	uint32_t i, end = from + n < t->used ? from + n : t->used;

	for (i = from; i < end; i++) {
		const struct flow *f = &t->chunk[i / FLOWS_CHUNK][i % FLOWS_CHUNK];

		if (f->dest)	/* a free record has none */
			fn(ctx, f);
	}
	return end < t->used ? end : 0;
}

enum flow_state flow_tcp_next(enum flow_state st, uint8_t flags)
{
	if (flags & (TCP_RST | TCP_FIN))
		return FLOW_CLOSING;
	if (st == FLOW_CLOSING)
		return (flags & TCP_SYN) && !(flags & TCP_ACK) ? FLOW_SYN : st;
	if (flags & TCP_SYN)
		return FLOW_SYN;
	if ((flags & TCP_ACK) && st == FLOW_SYN)
		return FLOW_ESTABLISHED;
	return st;
}
