// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flows.h"
#include "packet.h"

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
	struct flow *f, *next;
	uint32_t i;

	for (i = 0; t->bucket && i < t->nbucket; i++)
		for (f = t->bucket[i]; f; f = next) {
			next = f->next;
			free(f);
		}
	free(t->bucket);
	memset(t, 0, sizeof(*t));
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

static struct flow **slot(struct flow_table *t, const struct flow_key *k)
{
	struct flow **p = &t->bucket[key_hash(k) & (t->nbucket - 1)];

	while (*p && !key_eq(&(*p)->key, k))
		p = &(*p)->next;
	return p;
}

enum ct_class flow_class(const struct flow *f)
{
	return f->state == FLOW_ESTABLISHED ? CT_ACTIVE : CT_INACTIVE;
}

static void grow(struct flow_table *t)
{
	uint32_t n = t->nbucket * 2, i, h;
	struct flow **b = calloc(n, sizeof(*b)), *f, *next;

	if (!b)
		return;
	for (i = 0; i < t->nbucket; i++)
		for (f = t->bucket[i]; f; f = next) {
			next = f->next;
			h = key_hash(&f->key) & (n - 1);
			f->next = b[h];
			b[h] = f;
		}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = n;
}

struct flow *flows_find(struct flow_table *t, const struct flow_key *k)
{
	return *slot(t, k);
}

struct flow *flows_add(struct flow_table *t, const struct flow_key *k,
		       struct dest *d, uint32_t mark, enum flow_state st,
		       bool tun)
{
	struct flow **p = slot(t, k), *f = *p;

	if (f) {	/* a stale one with the same tuple: replaced */
		flows_del(t, f);
		p = slot(t, k);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = *k;
	f->dest = d;
	f->mark = mark;
	f->state = st;
	f->tun = tun;
	f->seen = t->gen;
	*p = f;
	t->count++;
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

static void unlink_free(struct flow_table *t, struct flow **p, bool count)
{
	struct flow *f = *p;

	*p = f->next;
	t->count--;
	if (count)
		t->account(t->ctx, f->dest, flow_class(f), CT_NONE, &f->key);
	free(f);
}

void flows_del(struct flow_table *t, struct flow *f)
{
	struct flow **p = slot(t, &f->key);

	if (*p == f)
		unlink_free(t, p, true);
}

void flows_sweep_begin(struct flow_table *t)
{
	t->gen++;
}

void flows_seen(struct flow_table *t, struct flow *f)
{
	f->seen = t->gen;
}

/* Remove what @gone says, walking every bucket. */
static unsigned int flows_remove_if(struct flow_table *t,
				    bool (*gone)(const struct flow *, const void *),
				    const void *arg, bool count)
{
	unsigned int n = 0;
	struct flow **p;
	uint32_t i;

	for (i = 0; i < t->nbucket; i++) {
		p = &t->bucket[i];
		while (*p) {
			if (gone(*p, arg)) {
				unlink_free(t, p, count);
				n++;
			} else {
				p = &(*p)->next;
			}
		}
	}
	return n;
}

struct sweep {
	uint32_t gen;
	uint64_t older_than;
};

static bool unseen_dr(const struct flow *f, const void *arg)
{
	const struct sweep *s = arg;

	return !f->tun && f->seen != s->gen && f->expires < s->older_than;
}

unsigned int flows_sweep_older(struct flow_table *t, uint64_t older_than)
{
	struct sweep s = { t->gen, older_than };

	return flows_remove_if(t, unseen_dr, &s, true);
}

static bool expired_tun(const struct flow *f, const void *arg)
{
	return f->tun && f->expires <= *(const uint64_t *)arg;
}

unsigned int flows_expire(struct flow_table *t, uint64_t now)
{
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
	const struct flow *f;
	uint32_t i;

	for (i = 0; i < t->nbucket; i++)
		for (f = t->bucket[i]; f; f = f->next)
			fn(ctx, f);
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
