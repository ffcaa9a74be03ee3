/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_FLOWS_H
#define NFLVS_FLOWS_H

/*
 * The director's own connection table for DR and TUN services, which
 * conntrack does not see (a director sees only the client's direction).
 *
 * DR: the kernel's flow maps route every packet of a known flow; the
 * director sees a flow's first packet, its FIN or RST, and learns of its
 * expiry by looking its element up when it could have timed out
 * (flowpath.c, dr.c).  TUN: the director sees
 * every packet, so it follows TCP states as IPVS does for TUN and expires
 * flows by its own clock.
 *
 * Counting as IPVS: a TCP flow is active while established (DR: from its
 * first packet until its FIN or RST), everything else inactive.  Changes
 * are reported through the account callback, so that the caller updates
 * its destinations' counts.  Pure: time is passed in; the caller locks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ctrack.h"

struct dest;

struct flow_key {
	uint8_t family;
	uint8_t proto;
	uint16_t sport, dport;		/* host order */
	struct nflvs_addr saddr, daddr;
};

enum flow_state {
	FLOW_SYN,		/* TUN: SYN seen, not yet established */
	FLOW_ESTABLISHED,
	FLOW_CLOSING,		/* FIN or RST seen */
	FLOW_UDP,
};

/*
 * A flow, 80 bytes: records live in chunks of the table's (no allocation
 * per flow, stable addresses), chained by index from a bucket array of
 * 32-bit indices.
 */
struct flow {
	struct flow_key key;
	struct dest *dest;
	uint32_t mark;			/* packet mark for DR routing */
	uint32_t next;			/* the table's: the next in its bucket
					   or free list, index + 1 (0: none) */
	uint8_t state;			/* enum flow_state */
	bool tun;
	uint64_t expires;		/* TUN: when it times out; DR: when
					   its element may have timed out, to
					   be looked up (CLOCK_MONOTONIC ns) */
};

typedef void (*flows_account_fn)(void *ctx, struct dest *d, enum ct_class old,
				 enum ct_class cls, const struct flow_key *k);

struct flow_table {
	uint32_t *bucket;		/* index + 1 of its first flow, 0: none */
	uint32_t nbucket;
	struct flow **chunk;		/* FLOWS_CHUNK records each */
	uint32_t nchunk;
	uint32_t used;			/* records ever handed out */
	uint32_t free;			/* index + 1 of a free record, 0: none */
	uint32_t count;
	uint32_t ntun;			/* of them, flows with tun set */
	flows_account_fn account;
	void *ctx;
};

int flows_init(struct flow_table *t, flows_account_fn fn, void *ctx);
void flows_fini(struct flow_table *t);
/* The bytes the table takes: its buckets and the chunks of records, which
 * stay at the most flows there have been at once (freed records are used
 * again, never given back). */
size_t flows_bytes(const struct flow_table *t);

enum ct_class flow_class(const struct flow *f);

struct flow *flows_find(struct flow_table *t, const struct flow_key *k);
/* A new flow to @d (counted). NULL if out of memory. */
struct flow *flows_add(struct flow_table *t, const struct flow_key *k,
		       struct dest *d, uint32_t mark, enum flow_state st,
		       bool tun);
/* The state of @f changes (counts follow). */
void flows_set_state(struct flow_table *t, struct flow *f, enum flow_state st);
void flows_del(struct flow_table *t, struct flow *f);

/* TUN: flows whose time ran out by @now go. */
unsigned int flows_expire(struct flow_table *t, uint64_t now_ns);
/* Every flow to @d goes; uncounted when its real server is being freed. */
unsigned int flows_drop_dest(struct flow_table *t, const struct dest *d,
			     bool count);

typedef void (*flows_each_fn)(void *ctx, const struct flow *f);
void flows_foreach(const struct flow_table *t, flows_each_fn fn, void *ctx);

/* The flows among records @from to @from + @n - 1, in memory order (no
 * bucket chains followed); the record to go on from, 0 at the end.  A
 * walk in slices may see a flow twice or miss one added meanwhile. */
uint32_t flows_walk(const struct flow_table *t, uint32_t from, uint32_t n,
		    flows_each_fn fn, void *ctx);

/*
 * TUN: IPVS's TCP state machine, from the client's packets only (the
 * replies do not pass the director): SYN -> SYN, ACK -> ESTABLISHED,
 * FIN or RST -> CLOSING.  Returns the new state.
 */
enum flow_state flow_tcp_next(enum flow_state st, uint8_t tcp_flags);

#endif
