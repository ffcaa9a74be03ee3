// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DR/TUN packet path's decision for a packet of no flow, and the
 * predicate behind it (service_consistent, service_may_start): a TCP
 * packet that is not a SYN starts a flow only when every director would
 * pick the same real server for it, so that a connection begun on another
 * director (ECMP, a failover) goes on; otherwise it is dropped, as IPVS
 * drops it.  No kernel: the verdict and the flow table are looked at.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "flowpath.h"
#include "scheduler.h"

#define MASK	0x0000ff00u

struct fx {
	struct service svc;
	struct dest d[3];
	struct dir_counters cnt;
	struct rs_timeouts t;
	struct flowpath fp;
	int sent;			/* TUN: encapsulated sends */
	struct dest *sent_to;
};

static void send_hook(void *ctx, struct dest *dst, const struct flow_key *k,
		      const void *pkt, uint32_t len)
{
	struct fx *f = ctx;

	(void)k;
	(void)pkt;
	(void)len;
	f->sent++;
	f->sent_to = dst;
}

/* Three real servers 10.0.3.11..13 added in @order, forwarding @fwd. */
static void fx_init(struct fx *f, const char *sched, enum fwd_method fwd,
		    const int order[3])
{
	struct flowpath_env env = { .mark_mask = MASK };
	int k;

	memset(f, 0, sizeof(*f));
	f->t.tcp = 900;
	f->t.tcpfin = 120;
	f->t.udp = 300;
	env.timeouts = &f->t;
	env.counters = &f->cnt;
	env.send = send_hook;
	env.ctx = f;
	f->svc.fwd = fwd;
	f->svc.protocol = IPPROTO_TCP;
	f->svc.port = 80;
	cr_assert_eq(addr_parse("10.0.3.100", &f->svc.vip), 0);
	cr_assert_eq(service_init(&f->svc, sched), 0);
	for (k = 0; k < 3; k++) {
		struct dest *d = &f->d[order[k]];
		char a[32];

		snprintf(a, sizeof(a), "10.0.3.%d", 11 + order[k]);
		cr_assert_eq(addr_parse(a, &d->addr), 0);
		d->port = 80;
		d->fwd = fwd;
		d->weight = d->conf_weight = 1;
		d->mark = (order[k] + 1) << 8;
		cr_assert_eq(service_add_dest(&f->svc, d), 0);
	}
	cr_assert_eq(flowpath_init(&f->fp, &env), 0);
}

static void fx_fini(struct fx *f)
{
	flowpath_fini(&f->fp);
	service_destroy(&f->svc);
}

static const int in_order[3] = { 0, 1, 2 }, reversed[3] = { 2, 1, 0 };

static struct pkt_info tcp(uint32_t client, uint16_t sport, uint8_t flags)
{
	struct pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.family = AF_INET;
	pi.l4proto = IPPROTO_TCP;
	pi.saddr.family = pi.daddr.family = AF_INET;
	pi.saddr.v4.s_addr = htonl(client);
	addr_parse("10.0.3.100", &pi.daddr);
	pi.sport = sport;
	pi.dport = 80;
	pi.tcp_flags = flags;
	return pi;
}

static struct verdict decide(struct fx *f, const struct pkt_info *pi)
{
	static const char pkt[40];
	struct verdict v = { .verdict = NF_ACCEPT };

	flowpath_decide(&f->fp, &f->svc, pi, pkt, sizeof(pkt), 0x7, 1000, &v);
	return v;
}

static struct flow *find(struct fx *f, const struct pkt_info *pi)
{
	struct flow_key k = {
		.family = pi->family, .proto = pi->l4proto,
		.sport = pi->sport, .dport = pi->dport,
		.saddr = pi->saddr, .daddr = pi->daddr,
	};

	return flows_find(&f->fp.flows, &k);
}

/* The real server (by index) a verdict's mark routes to, -1 if none. */
static int routed_to(const struct verdict *v)
{
	/* DR: NF_REPEAT, the lvs chain again, which learns the flow */
	if ((v->verdict != NF_ACCEPT && v->verdict != NF_REPEAT) || !v->set_mark)
		return -1;
	cr_expect_eq(v->mark & ~MASK, 0x7u, "the packet's own bits stay");
	return (int)((v->mark & MASK) >> 8) - 1;
}

Test(takeover, consistent_schedulers)
{
	static const struct { const char *name; bool consistent; } s[] = {
		{ "rr", false }, { "wrr", false }, { "lc", false },
		{ "wlc", false }, { "sed", false }, { "nq", false },
		{ "sh", true }, { "dh", true }, { "lblc", false },
		{ "lblcr", false }, { "mh", true }, { "fo", false },
		{ "ovf", false }, { "twos", false },
	};
	unsigned int i;
	struct fx f;

	cr_assert_eq(sizeof(s) / sizeof(s[0]), SCHEDULERS);
	for (i = 0; i < SCHEDULERS; i++) {
		fx_init(&f, s[i].name, FWD_DR, in_order);
		cr_expect_eq(service_consistent(&f.svc), s[i].consistent, "%s",
			     s[i].name);
		fx_fini(&f);
	}
	fx_init(&f, "mh", FWD_DR, in_order);
	f.svc.sched_flags = SCHED_F_MH_PORT | SCHED_F_MH_FALLBACK;
	cr_expect(service_consistent(&f.svc), "flags change nothing");
	/* persistence: templates live in this director */
	f.svc.persistence = 300;
	cr_expect_not(service_consistent(&f.svc));
	f.svc.persistence = 0;
	/* thresholds: overload follows this director's counts */
	f.d[1].u_threshold = 10;
	cr_expect_not(service_consistent(&f.svc));
	f.d[1].u_threshold = 0;
	f.d[2].l_threshold = 5;
	cr_expect_not(service_consistent(&f.svc));
	f.d[2].l_threshold = 0;
	/* the sorry server takes new connections, not ones begun elsewhere */
	f.svc.below_quorum = true;
	cr_expect(service_consistent(&f.svc), "below quorum, no sorry server");
	f.svc.sorry = &f.d[0];
	cr_expect_not(service_consistent(&f.svc));
	f.svc.sorry = NULL;
	f.svc.below_quorum = false;
	cr_expect(service_consistent(&f.svc));
	fx_fini(&f);
}

Test(takeover, may_start)
{
	struct pkt_info pi = tcp(0xc6336401, 1000, TCP_ACK);
	struct fx f;

	fx_init(&f, "rr", FWD_DR, in_order);
	cr_expect(service_may_start(&f.svc, &(struct pkt_info){ .l4proto = IPPROTO_UDP }, true));
	pi.tcp_flags = TCP_SYN;
	cr_expect(service_may_start(&f.svc, &pi, true));
	pi.tcp_flags = TCP_SYN | TCP_RST;
	cr_expect_not(service_may_start(&f.svc, &pi, true));
	pi.tcp_flags = TCP_ACK;
	cr_expect_not(service_may_start(&f.svc, &pi, true), "rr: not a SYN");
	cr_assert_eq(service_set_scheduler(&f.svc, "sh"), 0);
	cr_expect(service_may_start(&f.svc, &pi, true), "sh: any packet but RST");
	pi.tcp_flags = TCP_ACK | TCP_FIN;
	cr_expect(service_may_start(&f.svc, &pi, true));
	pi.tcp_flags = TCP_ACK | TCP_RST;
	cr_expect_not(service_may_start(&f.svc, &pi, true));
	/* taking over from a peer: only a SYN, whatever the scheduler */
	pi.tcp_flags = TCP_ACK;
	cr_expect_not(service_may_start(&f.svc, &pi, false), "sh, taking over");
	pi.tcp_flags = TCP_SYN;
	cr_expect(service_may_start(&f.svc, &pi, false));
	cr_expect(service_may_start(&f.svc, &(struct pkt_info){ .l4proto = IPPROTO_UDP }, false));
	fx_fini(&f);
}

/* rr: a packet of a connection begun elsewhere is dropped, as before. */
Test(takeover, mid_stream_dropped_when_not_consistent)
{
	struct pkt_info pi = tcp(0xc6336401, 1000, TCP_ACK);
	struct verdict v, w;
	struct fx f;

	fx_init(&f, "rr", FWD_DR, in_order);
	v = decide(&f, &pi);
	cr_expect_eq(v.verdict, NF_DROP);
	cr_expect_eq(f.cnt.nosyn, 1);
	cr_expect_eq(f.cnt.scheduled, 0);
	cr_expect_eq(f.cnt.adopted, 0);
	cr_expect_null(find(&f, &pi));
	/* a SYN still starts one, and the ACK follows it */
	pi.tcp_flags = TCP_SYN;
	v = decide(&f, &pi);
	cr_expect_geq(routed_to(&v), 0);
	pi.tcp_flags = TCP_ACK;
	w = decide(&f, &pi);
	cr_expect_eq(routed_to(&w), routed_to(&v));
	cr_expect_eq(f.cnt.nosyn, 1);
	fx_fini(&f);
}

/*
 * mh: the connections a director "a" (servers added in one order) began
 * with their SYNs are taken, mid-stream, by a director "b" that never saw
 * them (servers added in the other order): same real server each time,
 * each adopted as an established flow.
 */
Test(takeover, mid_stream_adopted_when_consistent)
{
	const char *const scheds[] = { "mh", "sh", "dh" };
	unsigned int s;
	int c, seen[3] = { 0 };

	for (s = 0; s < 3; s++) {
		struct fx a, b;

		fx_init(&a, scheds[s], FWD_DR, in_order);
		fx_init(&b, scheds[s], FWD_DR, reversed);
		a.svc.sched_flags = b.svc.sched_flags =
			SCHED_F_MH_PORT | SCHED_F_SH_PORT;
		for (c = 0; c < 60; c++) {
			struct pkt_info pi = tcp(0xc6336400 + c * 7, 2000 + c,
						 TCP_SYN);
			struct verdict va = decide(&a, &pi), vb;
			struct flow *fl;

			pi.tcp_flags = TCP_ACK | 0x08;	/* PSH */
			vb = decide(&b, &pi);
			cr_assert_geq(routed_to(&va), 0);
			cr_expect_eq(routed_to(&vb), routed_to(&va),
				     "%s client %d", scheds[s], c);
			fl = find(&b, &pi);
			cr_assert_not_null(fl);
			cr_expect_eq(fl->state, FLOW_ESTABLISHED);
			cr_expect_eq(fl->dest, &b.d[routed_to(&va)]);
			seen[routed_to(&va)]++;
		}
		cr_expect_eq(b.cnt.adopted, 60);
		cr_expect_eq(b.cnt.scheduled, 60);
		cr_expect_eq(b.cnt.nosyn, 0);
		cr_expect_eq(a.cnt.adopted, 0, "SYNs are not adoptions");
		fx_fini(&a);
		fx_fini(&b);
	}
	/* dh hashes the VIP: one server; mh and sh spread */
	cr_expect(seen[0] && seen[1] && seen[2], "%d %d %d", seen[0], seen[1],
		  seen[2]);
}

/* An adopted FIN starts a closing flow; a RST never starts one. */
Test(takeover, adopted_fin_closes_rst_is_dropped)
{
	struct pkt_info pi = tcp(0xc6336401, 1000, TCP_ACK | TCP_FIN);
	struct verdict v;
	struct flow *fl;
	struct fx f;

	fx_init(&f, "mh", FWD_DR, in_order);
	v = decide(&f, &pi);
	cr_expect_geq(routed_to(&v), 0);
	fl = find(&f, &pi);
	cr_assert_not_null(fl);
	cr_expect_eq(fl->state, FLOW_CLOSING);
	pi.sport = 1001;
	pi.tcp_flags = TCP_RST;
	v = decide(&f, &pi);
	cr_expect_eq(v.verdict, NF_DROP);
	cr_expect_null(find(&f, &pi));
	cr_expect_eq(f.cnt.nosyn, 1);
	fx_fini(&f);
}

/* Persistence or thresholds: not consistent, dropped. */
Test(takeover, mid_stream_dropped_with_persistence_or_thresholds)
{
	struct pkt_info pi = tcp(0xc6336401, 1000, TCP_ACK);
	struct verdict v;
	struct fx f;

	fx_init(&f, "mh", FWD_DR, in_order);
	f.svc.persistence = 60;
	cr_expect_eq(decide(&f, &pi).verdict, NF_DROP);
	f.svc.persistence = 0;
	f.d[0].u_threshold = 100;
	cr_expect_eq(decide(&f, &pi).verdict, NF_DROP);
	cr_expect_eq(f.cnt.nosyn, 2);
	f.d[0].u_threshold = 0;
	v = decide(&f, &pi);
	cr_expect_geq(routed_to(&v), 0);
	cr_expect_eq(f.cnt.adopted, 1);
	fx_fini(&f);
}

/* TUN: the adopted packet goes out encapsulated, its flow established. */
Test(takeover, tun_adopts_established)
{
	struct pkt_info pi = tcp(0xc6336401, 1000, TCP_ACK);
	struct verdict v;
	struct flow *fl;
	struct fx f;

	fx_init(&f, "mh", FWD_TUN, in_order);
	v = decide(&f, &pi);
	cr_expect_eq(v.verdict, NF_DROP, "the original: its copy is sent");
	cr_expect_eq(f.sent, 1);
	fl = find(&f, &pi);
	cr_assert_not_null(fl);
	cr_expect_eq(fl->state, FLOW_ESTABLISHED);
	cr_expect_eq(fl->dest, f.sent_to);
	decide(&f, &pi);
	cr_expect_eq(f.sent, 2);
	cr_expect_eq(f.cnt.adopted, 1, "the second packet has its flow");
	fx_fini(&f);
}
