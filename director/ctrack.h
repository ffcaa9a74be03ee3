/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CTRACK_H
#define NFLVS_CTRACK_H

/*
 * Connection accounting from conntrack (ctnetlink), as IPVS counts:
 * ActiveConn = TCP (and SCTP) ESTABLISHED, InActConn = every other state
 * and all UDP.
 *
 * Each conntrack entry carrying a mark under the director's mask is kept in
 * a table by its original tuple (conntrack ids are 32-bit hashes: among a
 * million connections some share one) with the class it was last counted
 * in: 32 bytes an IPv4 connection, 56 an IPv6 one, in compact tables of
 * such records (otab.h), no allocation per connection.  Events
 * are applied as idempotent upserts and removals, and each changes the
 * counts only by the difference between the old and the new class, so a
 * resynchronisation from a dump (after an event-buffer overrun) rebuilds
 * the same numbers instead of drifting.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "otab.h"

enum ct_class {
	CT_NONE = 0,		/* not counted (gone) */
	CT_ACTIVE,
	CT_INACTIVE,
};

struct ct_event {
	uint32_t id;		/* conntrack id */
	uint32_t mark;		/* conntrack mark (whole) */
	uint8_t l4proto;
	uint8_t state;		/* TCP/SCTP state, conntrack's numbering */
	bool destroy;
	bool created;		/* the event of a new entry (IPCTNL_MSG_CT_NEW
				   with NLM_F_CREATE) */
	bool nostate;		/* TCP/SCTP without its state (an event of
				   another kind: mark, ...): keep the last */
	uint32_t timeout;	/* seconds left, as the event said */
	struct nflvs_addr src;	/* original direction: client */
	struct nflvs_addr dst;	/* original direction: virtual address */
	uint16_t sport, dport;	/* network order */
};

/* @old -> @cls for the connection of @ev (mark already masked). */
typedef void (*ctrack_account_fn)(void *ctx, uint32_t mark,
				  enum ct_class old, enum ct_class cls,
				  const struct ct_event *ev);

struct ctrack_stats {
	uint64_t events;
	uint64_t overruns;
	uint64_t resyncs;
	uint64_t tracked;	/* entries in the table now */
};

struct ctrack {
	uint32_t mark_mask;
	ctrack_account_fn account;
	void *ctx;
	struct otab tab[2];	/* IPv4, IPv6 connections */
	uint32_t gen;		/* resync generation */
	struct mnl_socket *nl;
	char *buf;
	struct ctrack_stats stats;
};

enum ct_class ctrack_classify(uint8_t l4proto, uint8_t state);

/*
 * The pure part: apply one event seen at @now_ns (CLOCK_MONOTONIC) to the
 * table (tests drive this).
 */
int ctrack_init(struct ctrack *t, uint32_t mark_mask, ctrack_account_fn fn,
		void *ctx);
void ctrack_apply(struct ctrack *t, const struct ct_event *ev, uint64_t now_ns);
void ctrack_fini(struct ctrack *t);
/* A resync's pure part: begin, apply every entry a dump gives, end (the
 * connections the dump did not give are counted gone). */
void ctrack_resync_begin(struct ctrack *t);
void ctrack_resync_end(struct ctrack *t);
/*
 * Entries whose timeout has run out by @now_ns, up to @max: conntrack
 * removes expired entries lazily (its garbage collector may come by a
 * minute later), so these are the ones to ask the kernel about.
 */
unsigned int ctrack_overdue(struct ctrack *t, uint64_t now_ns,
			    struct ct_event *out, unsigned int max);

/* Every tracked connection, with when conntrack may expire it (ns, to the
 * second).  Its event has no timeout (@expires says it). */
typedef void (*ctrack_each_fn)(void *ctx, const struct ct_event *ev,
			       uint32_t mark, uint64_t expires);
void ctrack_foreach(const struct ctrack *t, ctrack_each_fn fn, void *ctx);
/* The bytes its tables take (they grow and shrink with the count). */
size_t ctrack_table_bytes(const struct ctrack *t);
/* "ESTABLISHED", "FIN_WAIT", ... as ipvsadm -Lc prints; "UDP" for UDP */
const char *ctrack_state_name(uint8_t l4proto, uint8_t state);

/*
 * Apply the conntrack messages in @buf (@len bytes of netlink messages, as
 * the event socket or a dump hands them over) at @now_ns: what
 * ctrack_read() and ctrack_resync() do with what they receive.  A message
 * that is not a whole conntrack entry with its addresses is ignored.
 * Returns mnl_cb_run()'s result.
 */
int ctrack_parse(struct ctrack *t, const void *buf, size_t len,
		 uint64_t now_ns);

/* The kernel part: subscribe to events, filtered in the kernel by mark. */
int ctrack_open(struct ctrack *t);
/* Read what is pending (the main thread, every tick); resyncs by itself
 * after an overrun. */
int ctrack_read(struct ctrack *t);
/* Dump every conntrack entry of ours and rebuild the table from it. */
int ctrack_resync(struct ctrack *t);
/*
 * Look up the overdue entries in the kernel: a lookup removes an expired
 * entry at once (and we count it gone), a live one reports its new timeout.
 * Call about once a second.
 */
int ctrack_expire(struct ctrack *t);

/* Delete every conntrack entry whose mark & mask == mark (expire). */
int ctrack_flush_mark(uint32_t mark, uint32_t mask);

#endif
