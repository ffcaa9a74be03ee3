/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_RULESET_H
#define NFLVS_RULESET_H

/*
 * The director's nftables rules, built as one libnftnl batch.
 *
 *   table inet T   maps nat4/nat6 (mark -> address . port), chains
 *                  mark_new and conn_new (verdict mark -> conntrack
 *                  mark, event mask, timeout policy) and nat_pre
 *                  (DNAT by conntrack mark); with the native queue
 *                  expression also the services sets and queue_new.
 *   table ip T,    only where the kernel lacks the native queue
 *   table ip6 T    expression: services4/services6 and queue_new using
 *                  the xtables NFQUEUE target through nft compat (an ip/ip6
 *                  table keeps `nft list ruleset` clean for such rules).
 *
 * Every table named T in those three families belongs to the director:
 * ruleset_build() replaces all of them in the same atomic batch.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "nft.h"

/*
 * A virtual service as the queue rules match it: by firewall mark (fwmark
 * != 0; vip.family gives the family), by vip . protocol . port, or, with
 * port 0, by vip . protocol.
 */
struct rs_service {
	uint8_t protocol;
	uint16_t port;
	uint32_t fwmark;
	bool one_packet;		/* UDP: every datagram scheduled */
	uint8_t fwd;			/* enum fwd_method: NAT, DR or TUN */
	struct nflvs_addr vip;
};

/*
 * A DR flow in the kernel's flow maps: client . port . vip . port ->
 * mark, with a timeout each packet renews (TCP, UDP), or the shorter one
 * of a TCP flow that is closing.
 */
enum rs_flowmap {
	RS_FLOWS_TCP,
	RS_FLOWS_UDP,
	RS_FLOWS_CLOSING,
	RS_FLOWMAPS,
};

struct rs_flow {
	struct nflvs_addr saddr, daddr;
	uint16_t sport, dport;		/* host order */
	uint32_t mark;			/* the packet mark to set */
	enum rs_flowmap map;
	uint64_t timeout_ms;		/* adds: its timeout; dumps: time left */
};

/*
 * A NAT destination: conntrack mark -> address . port (port 0: keep it).
 * Of a one-packet service: rewritten statelessly, its replies mapped back
 * to vip . vport.
 */
struct rs_nat {
	uint32_t mark;
	char comment[128];		/* for its counters, may be "": its
					 * mark key (service_mark_key()) */
	uint16_t port;
	struct nflvs_addr addr;
	bool one_packet;
	uint16_t vport;
	struct nflvs_addr vip;
};

/*
 * Connection timeouts, as ipvsadm --set: seconds (tcp = ESTABLISHED, tcpfin
 * = FIN_WAIT, udp = both UDP states).  A conntrack timeout policy sets
 * every state, so the others come from tcp_base (conntrack's own, in
 * libnftnl's NFTNL_CTTIMEOUT_TCP_* order).
 */
#define RS_TCP_STATES	11
struct rs_timeouts {
	uint32_t tcp, tcpfin, udp;
	uint32_t tcp_base[RS_TCP_STATES];
};

struct ruleset {
	const char *table;
	uint32_t mark_mask;
	uint16_t queue;
	uint16_t queues;
	bool native_queue;		/* nft queue expression, else compat */
	bool fin_log;			/* DR FINs to NFLOG group @queue
					   (finlog.h), else queued */
	bool tun_kernel;		/* TUN services learn flows as DR ones
					   (tunbpf.h), else every packet is
					   queued */
	struct rs_timeouts timeouts;
	const struct rs_service *svc;
	unsigned int nsvc;
	const struct rs_nat *nat;
	unsigned int nnat;
	const struct rs_flow *flows;	/* DR flows to put back (a restart) */
	unsigned int nflows;
};

/* Replace every table of ours with the one @rs describes. */
int ruleset_build(struct nft_batch *b, const struct ruleset *rs);
/* Remove every table of ours (no error if there is none). */
int ruleset_build_delete(struct nft_batch *b, const char *table);
/* Add or delete (@del) service and NAT elements of a running ruleset. */
int ruleset_build_service(struct nft_batch *b, const struct ruleset *rs,
			  const struct rs_service *s, bool del);
int ruleset_build_nat(struct nft_batch *b, const struct ruleset *rs,
		      const struct rs_nat *n, bool del);
/*
 * Chains that every packet of their hooks would pass exist only while a
 * service of their table needs them (ruleset_service_chains()):
 *   RS_CHAINS_LVS        raw_lvs, lvs: untracked services (DR, TUN,
 *                        one-packet) and the DR flows
 *   RS_CHAINS_ONEPACKET  onepacket, onepacket_out: one-packet NAT services
 * so that a NAT connection's packets pass neither.  A change of services
 * that makes the first one of a family (@had[f] without, @has[f] with;
 * f = 0 IPv4, 1 IPv6) adds them, before its elements; one that removes
 * the last deletes them.  ruleset_build() makes them as its services say.
 */
#define RS_CHAINS_LVS		1u
#define RS_CHAINS_ONEPACKET	2u
unsigned int ruleset_service_chains(const struct rs_service *s);
int ruleset_build_chains(struct nft_batch *b, const struct ruleset *rs,
			 const unsigned int had[2], const unsigned int has[2]);
/* Replace the conntrack timeout policies of new connections; @has: the
 * chains of the running services (lvs carries the DR flows' timeouts). */
int ruleset_build_timeouts(struct nft_batch *b, const struct ruleset *rs,
			   const unsigned int has[2]);

/*
 * A NAT service the kernel schedules itself (ksched.h): chain ks<@id>,
 * reached from queue_new through the verdict map ksched4/ksched6 by
 * vip . protocol . port, gives each new connection (TCP: its SYN; any
 * other packet goes on to the queue) the conntrack mark
 * @marks[numgen inc mod @n].  @had: the chain and its element exist and
 * are replaced; @n == 0: they go.
 */
struct rs_ksched {
	uint32_t id;
	struct rs_service svc;
	const uint32_t *marks;
	unsigned int n;
	bool had;
};
int ruleset_build_ksched(struct nft_batch *b, const struct ruleset *rs,
			 const struct rs_ksched *k);
/* Empty both verdict maps: the queue schedules every new connection
 * (the chains stay, unreferenced). */
int ruleset_build_ksched_flush(struct nft_batch *b, const struct ruleset *rs);

/* Add or delete a DR flow element. */
int ruleset_build_flow(struct nft_batch *b, const struct ruleset *rs,
		       const struct rs_flow *f, bool del);
/* Every DR flow element of the table of @family now (for a restart). */
typedef void (*ruleset_flow_fn)(void *ctx, const struct rs_flow *f);
int ruleset_read_flows(const struct ruleset *rs, uint8_t family,
		       ruleset_flow_fn fn, void *ctx);
/*
 * Look each flow of @q[0..@n) up in its map (@q[i].map) in the kernel:
 * @found[i] is 1 when the kernel has it (@q[i].timeout_ms then holds the
 * time its element has left, @q[i].mark its mark), 0 when it has not, -1
 * when it could not tell.  A lookup each, many to a send: a dump of a
 * hash set restarts its walk for every message, so reading a million
 * flows that way is quadratic.  Main thread only.  0 or -errno.
 */
int ruleset_lookup_flows(const struct ruleset *rs, struct rs_flow *q,
			 int8_t *found, unsigned int n);
/* Its two pure halves: the requests for @q (as many as fit @cap; the
 * bytes written), sequence numbers @seq onward; and the replies in a
 * recv() buffer, how many of those @n requests they answer. */
size_t ruleset_build_lookups(void *buf, size_t cap, const struct ruleset *rs,
			     const struct rs_flow *q, unsigned int n,
			     uint32_t seq);
unsigned int ruleset_parse_lookups(const void *buf, size_t len, uint32_t seq,
				   struct rs_flow *q, int8_t *found,
				   unsigned int n);
/* Which real server each mark of the table stands for (a restart). */
typedef void (*ruleset_mark_fn)(void *ctx, uint32_t mark,
				const struct nflvs_addr *addr);
int ruleset_read_marks(const char *table, ruleset_mark_fn fn, void *ctx);

/*
 * Per real server packet and byte counters (named counters rsN_in and
 * rsN_out, N = mark >> shift): read them all, calling @fn for each.
 */
typedef void (*ruleset_counter_fn)(void *ctx, uint32_t index, bool in,
				   uint64_t packets, uint64_t bytes);
int ruleset_read_counters(const char *table, ruleset_counter_fn fn, void *ctx);
/* 1 when our table inet @table is in the kernel, 0 when not, -errno. */
int ruleset_table_exists(const char *table);
/* The mark key (service_mark_key()) each mark index of the table stands
 * for, from its counters' comments: a restart keeps the marks. */
typedef void (*ruleset_key_fn)(void *ctx, uint32_t index, const char *key);
int ruleset_read_mark_keys(const char *table, ruleset_key_fn fn, void *ctx);

/*
 * The pure part of the three readers above: what they do with the dump
 * replies they receive (@len bytes of netlink messages in @buf, aligned as
 * a recv() buffer): counters (GETOBJ), the elements of flow map @map of
 * @family, of a NAT mark map of @family (GETSETELEM).  Elements that do
 * not have the map's key and data lengths are skipped.  Returns
 * mnl_cb_run()'s result.
 */
int ruleset_parse_counters(const void *buf, size_t len,
			   ruleset_counter_fn fn, void *ctx);
int ruleset_parse_flows(const void *buf, size_t len, uint8_t family,
			enum rs_flowmap map, ruleset_flow_fn fn, void *ctx);
int ruleset_parse_marks(const void *buf, size_t len, uint8_t family,
			ruleset_mark_fn fn, void *ctx);

/*
 * Build the probe batch for the native queue expression.  It would create
 * a queue rule in table T, and it ends with a message that always fails,
 * so nothing is ever committed.  *queue_seq is the rule's sequence number.
 */
int ruleset_build_probe(struct nft_batch *b, const char *table,
			uint32_t *queue_seq);
/* 1 if the kernel has the native queue expression, 0 if not, or -errno. */
int ruleset_probe_native_queue(const char *table);

/* Commit and translate errors: returns 0 or -errno. */
int ruleset_commit(struct nft_batch *b, char *err, size_t errlen);

#endif
