// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DR/TUN packet path (director/flowpath.c) with hand-built packets and
 * services, no kernel: what each packet's verdict is, which real server a
 * flow gets, how it is counted, and the table against the kernel's flow
 * maps (elements made here, not read).  TUN's send hook records its calls.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>

#include "flowpath.h"
#include "persist.h"

#define S	1000000000ull
#define MASK	0x00ff0000u
#define VIP4	"10.0.3.100"
#define VIP6	"2001:db8:3::100"
#define CLIENT4	"192.0.2.1"
#define CLIENT6	"2001:db8:c::1"

/* ---- packets --------------------------------------------------------------- */

struct pk {
	uint8_t b[96];
	uint32_t len;
	struct pkt_info pi;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* A TCP (with @flags) or UDP header, ports @sport -> @dport. */
static uint32_t l4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport,
		   uint8_t flags)
{
	uint32_t len = proto == IPPROTO_TCP ? 20 : 8;

	memset(p, 0, len);
	put16(p, sport);
	put16(p + 2, dport);
	if (proto == IPPROTO_TCP) {
		p[12] = 5 << 4;
		p[13] = flags;
	} else {
		put16(p + 4, len);
	}
	return len;
}

/* @src:@sport -> @dst:@dport, parsed into pk->pi as the director would. */
static void pk_make(struct pk *k, uint8_t proto, const char *src,
		    uint16_t sport, const char *dst, uint16_t dport,
		    uint8_t flags)
{
	bool v6 = strchr(src, ':') != NULL;
	int fam = v6 ? AF_INET6 : AF_INET;
	uint32_t hl = v6 ? 40 : 20, n;
	uint8_t *p = k->b;

	memset(k, 0, sizeof(*k));
	n = l4(p + hl, proto, sport, dport, flags);
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, n);
		p[6] = proto;
		p[7] = 64;
		cr_assert_eq(inet_pton(fam, src, p + 8), 1);
		cr_assert_eq(inet_pton(fam, dst, p + 24), 1);
	} else {
		p[0] = 0x45;
		put16(p + 2, hl + n);
		p[8] = 64;
		p[9] = proto;
		cr_assert_eq(inet_pton(fam, src, p + 12), 1);
		cr_assert_eq(inet_pton(fam, dst, p + 16), 1);
	}
	k->len = hl + n;
	cr_assert_eq(packet_parse(k->b, k->len, &k->pi), PKT_OK);
}

/* ---- the fixture ------------------------------------------------------------- */

struct sent {
	struct dest *dst;
	struct flow_key k;
	const void *pkt;
	uint32_t len;
};

static struct rs_timeouts to;
static struct dir_counters cnt;
static struct flowpath fp;
static struct sent sent[16];
static unsigned int nsent;

/* A service of @n real servers d[0..n-1], added in that order (so that rr
 * picks d[n-1] first, IPVS's list order), marks 1, 2, ... under MASK. */
struct svcfix {
	struct service svc;
	struct dest d[3];
};

static struct svcfix drs, tuns, udps;

static void fake_send(void *ctx, struct dest *dst, const struct flow_key *k,
		      const void *pkt, uint32_t len)
{
	cr_assert_eq(ctx, &fp, "the hook's context is the env's");
	cr_assert_lt(nsent, 16);
	sent[nsent++] = (struct sent){ dst, *k, pkt, len };
}

static void svc_make(struct svcfix *x, enum fwd_method fwd, uint8_t proto,
		     uint16_t port, unsigned int n, uint32_t first_mark)
{
	unsigned int i;

	memset(x, 0, sizeof(*x));
	cr_assert_eq(service_init(&x->svc, "rr"), 0);
	x->svc.fwd = fwd;
	x->svc.protocol = proto;
	x->svc.port = port;
	x->svc.family = AF_INET;
	addr_parse(VIP4, &x->svc.vip);
	for (i = 0; i < n; i++) {
		struct dest *d = &x->d[i];

		addr_parse("10.0.2.11", &d->addr);
		d->addr.b[3] += i;
		d->port = port;
		d->fwd = fwd;
		d->weight = d->conf_weight = 1;
		d->mark = (first_mark + i) << 16;
		cr_assert_eq(service_add_dest(&x->svc, d), 0);
	}
}

static void setup(void)
{
	struct flowpath_env env = { .mark_mask = MASK, .timeouts = &to,
				    .counters = &cnt, .send = fake_send,
				    .ctx = &fp };

	to = (struct rs_timeouts){ .tcp = 900, .tcpfin = 120, .udp = 300 };
	memset(&cnt, 0, sizeof(cnt));
	nsent = 0;
	cr_assert_eq(flowpath_init(&fp, &env), 0);
	svc_make(&drs, FWD_DR, IPPROTO_TCP, 80, 2, 1);
	svc_make(&tuns, FWD_TUN, IPPROTO_TCP, 81, 2, 3);
	svc_make(&udps, FWD_DR, IPPROTO_UDP, 53, 2, 5);
}

static void teardown(void)
{
	struct svcfix *all[] = { &drs, &tuns, &udps };
	unsigned int i;

	flowpath_fini(&fp);
	for (i = 0; i < 3; i++) {
		if (all[i]->svc.persist) {
			persist_fini(all[i]->svc.persist);
			free(all[i]->svc.persist);
		}
		service_destroy(&all[i]->svc);
	}
}

TestSuite(flowpath, .init = setup, .fini = teardown);

/* The verdict on packet @k of @x's service. */
static struct verdict decide_pk(struct svcfix *x, struct pk *k, uint32_t mark,
				uint64_t now)
{
	struct verdict v = { 0 };

	flowpath_decide(&fp, &x->svc, &k->pi, k->b, k->len, mark, now, &v);
	return v;
}

/* A packet of @x's service from @client:@sport with TCP @flags. */
static struct verdict pkt(struct svcfix *x, const char *client, uint16_t sport,
			  uint8_t flags, uint32_t mark, uint64_t now)
{
	struct pk k;

	pk_make(&k, x->svc.protocol, client, sport,
		strchr(client, ':') ? VIP6 : VIP4, x->svc.port, flags);
	return decide_pk(x, &k, mark, now);
}

static struct flow *find(struct svcfix *x, const char *client, uint16_t sport)
{
	struct pk k;
	struct flow_key key = { 0 };

	pk_make(&k, x->svc.protocol, client, sport,
		strchr(client, ':') ? VIP6 : VIP4, x->svc.port, TCP_SYN);
	key.family = k.pi.family;
	key.proto = k.pi.l4proto;
	key.sport = k.pi.sport;
	key.dport = k.pi.dport;
	key.saddr = k.pi.saddr;
	key.daddr = k.pi.daddr;
	return flows_find(&fp.flows, &key);
}

/* The flow of @client:@sport to @x's service: to @d, in state @st, with
 * @expires (DR: when its element is to be looked up). */
static struct flow *expect_flow(struct svcfix *x, const char *client,
				uint16_t sport, const struct dest *d,
				enum flow_state st, uint64_t expires)
{
	struct flow *f = find(x, client, sport);

	cr_assert_not_null(f, "no flow of %s:%u", client, sport);
	cr_expect_eq(f->dest, d, "%s:%u: another server", client, sport);
	cr_expect_eq(f->state, st, "%s:%u: state %u, want %u", client, sport,
		     f->state, st);
	cr_expect_eq(f->expires, expires, "%s:%u: expires %llu, want %llu",
		     client, sport, (unsigned long long)f->expires,
		     (unsigned long long)expires);
	return f;
}

static void expect_counts(const struct dest *d, uint32_t active,
			  uint32_t inactive)
{
	cr_expect_eq(d->activeconns, active, "%u.%u.%u.%u: active %u, want %u",
		     d->addr.b[0], d->addr.b[1], d->addr.b[2], d->addr.b[3],
		     d->activeconns, active);
	cr_expect_eq(d->inactconns, inactive,
		     "%u.%u.%u.%u: inactive %u, want %u", d->addr.b[0],
		     d->addr.b[1], d->addr.b[2], d->addr.b[3], d->inactconns,
		     inactive);
}

/* ---- DR ------------------------------------------------------------------------ */

Test(flowpath, dr_syn_learns_a_flow)
{
	/* bits inside the mask are the director's to set, the rest kept */
	struct verdict v = pkt(&drs, CLIENT4, 1000, TCP_SYN, 0x12ab0034, 7 * S);
	struct dest *d = &drs.d[1];	/* rr: the list's head first */
	struct flow *f;

	cr_expect_eq(v.verdict, NF_REPEAT, "back through the lvs chain, which learns");
	cr_expect_eq(v.set_mark, 1);
	cr_expect_eq(v.mark, 0x12000034u | d->mark, "mark %#x", v.mark);
	cr_expect_eq(flowpath_count(&fp), 1);
	/* a DR flow is looked up when its element could have run out: its
	 * timeout and a second after it was made */
	f = expect_flow(&drs, CLIENT4, 1000, d, FLOW_ESTABLISHED, 908 * S);
	cr_expect_eq(f->mark, v.mark);
	cr_expect_not(f->tun);
	expect_counts(d, 1, 0);
	expect_counts(&drs.d[0], 0, 0);
	cr_expect_eq(d->conns, 1);
	cr_expect_eq(drs.svc.conns, 1);
	cr_expect_eq(cnt.scheduled, 1);
	cr_expect_eq(nsent, 0, "DR sends nothing itself");
}

Test(flowpath, dr_known_flow_keeps_its_server)
{
	struct verdict v1 = pkt(&drs, CLIENT4, 1000, TCP_SYN, 0x40000000, S);
	struct verdict v2 = pkt(&drs, CLIENT4, 1000, TCP_ACK, 0, 2 * S);
	struct verdict v3 = pkt(&drs, CLIENT4, 1000, TCP_ACK | TCP_SYN, 0, 3 * S);

	cr_expect_eq(v2.verdict, NF_REPEAT, "back through the lvs chain, which learns");
	cr_expect_eq(v2.set_mark, 1);
	cr_expect_eq(v2.mark, v1.mark, "the flow's mark, %#x, not %#x",
		     v1.mark, v2.mark);
	cr_expect_eq(v3.mark, v1.mark);
	cr_expect_eq(drs.svc.conns, 1, "not scheduled again");
	cr_expect_eq(cnt.scheduled, 1);
	expect_counts(&drs.d[1], 1, 0);
	cr_expect_eq(find(&drs, CLIENT4, 1000)->expires, 902 * S,
		     "not moved: the packets it did not see renew its element");
	/* another client's SYN is scheduled: rr's next */
	v2 = pkt(&drs, CLIENT4, 1001, TCP_SYN, 0, 4 * S);
	cr_expect_eq(v2.mark, drs.d[0].mark);
	cr_expect_eq(drs.svc.conns, 2);
	expect_counts(&drs.d[0], 1, 0);
}

Test(flowpath, dr_fin_or_rst_closes_once)
{
	static const uint8_t close[] = { TCP_FIN | TCP_ACK, TCP_RST };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct dest *d = &drs.d[1 - i];
		uint16_t port = 2000 + i;
		struct verdict v;

		pkt(&drs, CLIENT4, port, TCP_SYN, 0, S);
		expect_counts(d, 1, 0);
		v = pkt(&drs, CLIENT4, port, close[i], 0, 2 * S);
		cr_expect_eq(v.verdict, NF_REPEAT, "back through the lvs chain, which learns");
		cr_expect_eq(v.mark, d->mark, "still routed to its server");
		cr_expect_eq(find(&drs, CLIENT4, port)->state, FLOW_CLOSING);
		cr_expect_eq(find(&drs, CLIENT4, port)->expires, 123 * S,
			     "its element in the closing map: tcpfin");
		expect_counts(d, 0, 1);
		/* the rest of the close: no second count */
		pkt(&drs, CLIENT4, port, TCP_FIN | TCP_ACK, 0, 3 * S);
		pkt(&drs, CLIENT4, port, TCP_RST, 0, 3 * S);
		pkt(&drs, CLIENT4, port, TCP_ACK, 0, 3 * S);
		expect_counts(d, 0, 1);
		cr_expect_eq(find(&drs, CLIENT4, port)->state, FLOW_CLOSING);
	}
	cr_expect_eq(drs.svc.conns, 2);
	cr_expect_eq(flowpath_count(&fp), 2);
}

/* IPVS's conn_reuse_mode: a SYN on the ports of a closing connection. */
Test(flowpath, dr_syn_on_a_closing_tuple_is_a_new_connection)
{
	struct verdict v;

	v = pkt(&drs, CLIENT4, 3000, TCP_SYN, 0, S);
	cr_expect_eq(v.mark, drs.d[1].mark);
	pkt(&drs, CLIENT4, 3000, TCP_FIN | TCP_ACK, 0, 2 * S);
	expect_counts(&drs.d[1], 0, 1);
	/* a SYN with ACK is not a new connection's */
	v = pkt(&drs, CLIENT4, 3000, TCP_SYN | TCP_ACK, 0, 3 * S);
	cr_expect_eq(v.mark, drs.d[1].mark);
	cr_expect_eq(drs.svc.conns, 1);
	cr_expect_eq(find(&drs, CLIENT4, 3000)->state, FLOW_CLOSING);
	/* a SYN alone is: scheduled anew, rr's next server */
	v = pkt(&drs, CLIENT4, 3000, TCP_SYN, 0, 4 * S);
	cr_expect_eq(v.verdict, NF_REPEAT, "back through the lvs chain, which learns");
	cr_expect_eq(v.mark, drs.d[0].mark);
	cr_expect_eq(drs.svc.conns, 2);
	expect_flow(&drs, CLIENT4, 3000, &drs.d[0], FLOW_ESTABLISHED, 905 * S);
	expect_counts(&drs.d[1], 0, 0);
	expect_counts(&drs.d[0], 1, 0);
	cr_expect_eq(flowpath_count(&fp), 1);
}

Test(flowpath, tcp_without_syn_is_dropped)
{
	struct verdict v = pkt(&drs, CLIENT4, 4000, TCP_ACK, 0, S);

	cr_expect_eq(v.verdict, NF_DROP);
	cr_expect_eq(v.set_mark, 0);
	cr_expect_eq(cnt.nosyn, 1);
	v = pkt(&drs, CLIENT4, 4000, TCP_SYN | TCP_RST, 0, S);
	cr_expect_eq(v.verdict, NF_DROP);
	cr_expect_eq(cnt.nosyn, 2);
	v = pkt(&tuns, CLIENT4, 4000, TCP_FIN, 0, S);
	cr_expect_eq(v.verdict, NF_DROP);
	cr_expect_eq(cnt.nosyn, 3);
	cr_expect_eq(nsent, 0);
	cr_expect_eq(flowpath_count(&fp), 0);
	cr_expect_eq(drs.svc.conns + tuns.svc.conns, 0, "nothing scheduled");
	cr_expect_eq(cnt.scheduled + cnt.noavail, 0);
}

Test(flowpath, no_destination_drops)
{
	struct verdict v;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		drs.d[i].weight = 0;
		service_upd_dest(&drs.svc, &drs.d[i]);
	}
	v = pkt(&drs, CLIENT4, 5000, TCP_SYN, 0, S);
	cr_expect_eq(v.verdict, NF_DROP);
	cr_expect_eq(v.set_mark, 0);
	cr_expect_eq(cnt.noavail, 1);
	cr_expect_eq(cnt.scheduled, 0);
	cr_expect_eq(cnt.nosyn, 0);
	cr_expect_eq(drs.svc.noavail, 1);
	cr_expect_eq(flowpath_count(&fp), 0);
	expect_counts(&drs.d[0], 0, 0);
	expect_counts(&drs.d[1], 0, 0);
}

Test(flowpath, udp_flows_are_inactive)
{
	struct verdict v1, v2;
	struct flow *f;

	/* over IPv6 too: the service's VIP does not matter to the path */
	v1 = pkt(&udps, CLIENT6, 5353, 0, 0, S);
	cr_expect_eq(v1.verdict, NF_REPEAT, "back through the lvs chain, which learns");
	cr_expect_eq(v1.mark, udps.d[1].mark);
	f = find(&udps, CLIENT6, 5353);
	cr_assert_not_null(f);
	cr_expect_eq(f->state, FLOW_UDP);
	cr_expect_eq(f->key.family, AF_INET6);
	cr_expect_eq(f->key.proto, IPPROTO_UDP);
	expect_counts(&udps.d[1], 0, 1);
	v2 = pkt(&udps, CLIENT6, 5353, 0, 0, 2 * S);
	cr_expect_eq(v2.mark, v1.mark, "the same flow");
	cr_expect_eq(udps.svc.conns, 1);
	v2 = pkt(&udps, CLIENT4, 5353, 0, 0, 3 * S);
	cr_expect_eq(v2.mark, udps.d[0].mark, "another flow: rr's next");
	expect_counts(&udps.d[0], 0, 1);
	expect_counts(&udps.d[1], 0, 1);
	cr_expect_eq(flowpath_count(&fp), 2);
}

Test(flowpath, one_packet_keeps_no_flow)
{
	struct verdict v1, v2;

	udps.svc.one_packet = true;
	v1 = pkt(&udps, CLIENT4, 5353, 0, 0x01000000, S);
	v2 = pkt(&udps, CLIENT4, 5353, 0, 0, S);
	cr_expect_eq(v1.verdict, NF_ACCEPT);
	cr_expect_eq(v1.set_mark, 1);
	cr_expect_eq(v1.mark, 0x01000000u | udps.d[1].mark);
	cr_expect_eq(v2.mark, udps.d[0].mark, "each datagram scheduled");
	cr_expect_eq(flowpath_count(&fp), 0);
	cr_expect_eq(udps.svc.conns, 2);
	cr_expect_eq(cnt.scheduled, 2);
	expect_counts(&udps.d[0], 0, 0);
	expect_counts(&udps.d[1], 0, 0);
}

/* ---- TUN --------------------------------------------------------------------------- */

static void expect_sent(unsigned int i, const struct dest *d,
			const struct pk *k)
{
	cr_assert_gt(nsent, i);
	cr_expect_eq(sent[i].dst, d);
	cr_expect_eq(sent[i].pkt, k->b, "the packet as given");
	cr_expect_eq(sent[i].len, k->len);
	cr_expect_eq(sent[i].k.sport, k->pi.sport);
	cr_expect_eq(sent[i].k.dport, k->pi.dport);
	cr_expect(addr_eq(&sent[i].k.saddr, &k->pi.saddr));
	cr_expect(addr_eq(&sent[i].k.daddr, &k->pi.daddr));
}

Test(flowpath, tun_sends_every_packet_and_follows_tcp_states)
{
	static const struct {
		uint8_t flags;
		enum flow_state st;
		uint32_t active, inactive;
		uint64_t timeout;	/* s */
	} step[] = {
		{ TCP_SYN, FLOW_SYN, 0, 1, 60 },
		{ TCP_ACK, FLOW_ESTABLISHED, 1, 0, 900 },
		{ TCP_ACK, FLOW_ESTABLISHED, 1, 0, 900 },
		{ TCP_FIN | TCP_ACK, FLOW_CLOSING, 0, 1, 120 },
		{ TCP_ACK, FLOW_CLOSING, 0, 1, 120 },
	};
	struct dest *d = &tuns.d[1];
	unsigned int i;

	for (i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		uint64_t now = (10 + i) * S;
		struct verdict v;
		struct flow *f;
		struct pk k;

		pk_make(&k, IPPROTO_TCP, CLIENT4, 6000, VIP4, 81, step[i].flags);
		v = decide_pk(&tuns, &k, 0x01000000, now);
		cr_expect_eq(v.verdict, NF_DROP, "step %u: the copy goes", i);
		cr_expect_eq(v.set_mark, 0);
		cr_expect_eq(nsent, i + 1, "step %u: sent %u", i, nsent);
		expect_sent(i, d, &k);
		f = expect_flow(&tuns, CLIENT4, 6000, d, step[i].st,
				now + step[i].timeout * S);
		cr_expect(f->tun);
		expect_counts(d, step[i].active, step[i].inactive);
	}
	expect_counts(&tuns.d[0], 0, 0);
	cr_expect_eq(tuns.svc.conns, 1);
	cr_expect_eq(cnt.scheduled, 1);
}

Test(flowpath, tun_flows_expire_by_the_clock)
{
	struct flow *f;

	pkt(&tuns, CLIENT4, 7000, TCP_SYN, 0, S);
	pkt(&tuns, CLIENT4, 7000, TCP_ACK, 0, 2 * S);
	/* the timeouts are read at each packet: a change applies */
	to.tcp = 30;
	pkt(&tuns, CLIENT4, 7000, TCP_ACK, 0, 3 * S);
	f = find(&tuns, CLIENT4, 7000);
	cr_assert_not_null(f);
	cr_expect_eq(f->expires, 33 * S);
	expect_counts(&tuns.d[1], 1, 0);
	cr_expect_eq(flowpath_expire(&fp, 33 * S - 1), 0);
	cr_expect_eq(flowpath_count(&fp), 1);
	cr_expect_eq(flowpath_expire(&fp, 33 * S), 1);
	cr_expect_eq(flowpath_count(&fp), 0);
	cr_expect_null(find(&tuns, CLIENT4, 7000));
	expect_counts(&tuns.d[1], 0, 0);
	/* the next packet of those ports is no flow's: not a SYN, dropped */
	pkt(&tuns, CLIENT4, 7000, TCP_ACK, 0, 34 * S);
	cr_expect_eq(cnt.nosyn, 1);
	cr_expect_eq(nsent, 3);
}

Test(flowpath, tun_closing_and_udp_timeouts)
{
	struct flow *f;

	to.tcpfin = 7;
	to.udp = 11;
	tuns.svc.protocol = IPPROTO_UDP;
	pkt(&tuns, CLIENT4, 7100, 0, 0, S);
	f = find(&tuns, CLIENT4, 7100);
	cr_assert_not_null(f);
	cr_expect_eq(f->state, FLOW_UDP);
	cr_expect_eq(f->expires, 12 * S);
	expect_counts(&tuns.d[1], 0, 1);
	tuns.svc.protocol = IPPROTO_TCP;
	pkt(&tuns, CLIENT4, 7200, TCP_SYN, 0, S);
	pkt(&tuns, CLIENT4, 7200, TCP_RST, 0, 2 * S);
	f = find(&tuns, CLIENT4, 7200);
	cr_assert_not_null(f);
	cr_expect_eq(f->state, FLOW_CLOSING);
	cr_expect_eq(f->expires, 9 * S);
	cr_expect_eq(flowpath_expire(&fp, 9 * S), 1, "the closing one only");
	cr_expect_eq(flowpath_expire(&fp, 12 * S), 1, "then the datagram's");
	expect_counts(&tuns.d[0], 0, 0);
	expect_counts(&tuns.d[1], 0, 0);
}

Test(flowpath, tun_syn_on_a_closing_tuple_is_a_new_connection)
{
	struct pk k;

	pkt(&tuns, CLIENT4, 7400, TCP_SYN, 0, S);
	pkt(&tuns, CLIENT4, 7400, TCP_ACK, 0, S);
	pkt(&tuns, CLIENT4, 7400, TCP_FIN | TCP_ACK, 0, 2 * S);
	expect_counts(&tuns.d[1], 0, 1);
	pk_make(&k, IPPROTO_TCP, CLIENT4, 7400, VIP4, 81, TCP_SYN);
	cr_expect_eq(decide_pk(&tuns, &k, 0, 3 * S).verdict, NF_DROP);
	cr_expect_eq(nsent, 4);
	expect_sent(3, &tuns.d[0], &k);
	expect_flow(&tuns, CLIENT4, 7400, &tuns.d[0], FLOW_SYN, 63 * S);
	expect_counts(&tuns.d[1], 0, 0);
	expect_counts(&tuns.d[0], 0, 1);
	cr_expect_eq(tuns.svc.conns, 2);
}

/* flowpath_expire() is TUN's: a DR flow is the kernel's to time out. */
Test(flowpath, expire_leaves_dr_flows)
{
	pkt(&drs, CLIENT4, 7300, TCP_SYN, 0, S);
	cr_expect_eq(flowpath_expire(&fp, 100000 * S), 0);
	cr_expect_eq(flowpath_count(&fp), 1);
}

/* ---- persistence ------------------------------------------------------------------- */

Test(flowpath, persistence_sends_a_client_back)
{
	struct verdict v;

	drs.svc.persistence = 60;
	drs.svc.netmask = 24;
	drs.svc.persist = calloc(1, sizeof(*drs.svc.persist));
	cr_assert_not_null(drs.svc.persist);
	cr_assert_eq(persist_init(drs.svc.persist), 0);
	v = pkt(&drs, "192.0.2.1", 1000, TCP_SYN, 0, S);
	cr_expect_eq(v.mark, drs.d[1].mark);
	/* another connection, and a neighbour under the netmask: the same */
	v = pkt(&drs, "192.0.2.1", 1001, TCP_SYN, 0, 2 * S);
	cr_expect_eq(v.mark, drs.d[1].mark);
	v = pkt(&drs, "192.0.2.77", 1000, TCP_SYN, 0, 3 * S);
	cr_expect_eq(v.mark, drs.d[1].mark);
	cr_expect_eq(drs.d[1].persistconns, 1, "one template");
	expect_counts(&drs.d[1], 3, 0);
	/* another network is scheduled: rr's next */
	v = pkt(&drs, "198.51.100.1", 1000, TCP_SYN, 0, 4 * S);
	cr_expect_eq(v.mark, drs.d[0].mark);
	cr_expect_eq(drs.d[0].persistconns, 1);
	cr_expect_eq(drs.svc.persist->count, 2);
	cr_expect_eq(drs.svc.conns, 4);
}

/* ---- dropping a real server's flows ---------------------------------------------- */

/* What @each saw: copies, the flows are freed after. */
struct seen {
	struct flow f[8];
	unsigned int n;
};

static void each_cb(void *ctx, const struct flow *f)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 8);
	s->f[s->n++] = *f;
}

/* A DR service may have TUN real servers: their flows are the director's. */
static void mixed_service(void)
{
	drs.d[2] = (struct dest){ .port = 80, .fwd = FWD_TUN, .weight = 1,
				  .conf_weight = 1, .mark = 9 << 16 };
	addr_parse("10.0.2.99", &drs.d[2].addr);
	cr_assert_eq(service_add_dest(&drs.svc, &drs.d[2]), 0);
}

Test(flowpath, drop_dest_counted_and_each_sees_its_dr_flows)
{
	struct seen s = { .n = 0 };
	unsigned int i;

	mixed_service();
	/* rr from the head: d2 (TUN), d1, d0, d2, d1, d0 */
	for (i = 0; i < 6; i++)
		pkt(&drs, CLIENT4, 8000 + i, TCP_SYN, 0, S);
	pkt(&drs, CLIENT4, 8002, TCP_FIN, 0, 2 * S);	/* d0: closing */
	expect_counts(&drs.d[0], 1, 1);
	expect_counts(&drs.d[2], 0, 2);
	cr_expect_eq(nsent, 2);
	cr_expect_eq(flowpath_drop_dest(&fp, &drs.d[0], true, each_cb, &s), 2);
	cr_expect_eq(s.n, 2);
	for (i = 0; i < s.n; i++) {
		cr_expect_eq(s.f[i].dest, &drs.d[0]);
		cr_expect_not(s.f[i].tun);
	}
	cr_expect_eq(s.f[0].key.sport + s.f[1].key.sport, 8002 + 8005);
	expect_counts(&drs.d[0], 0, 0);
	expect_counts(&drs.d[1], 2, 0);
	cr_expect_eq(flowpath_count(&fp), 4);
	/* a TUN server's flows go, but @each is for the kernel's (DR) */
	s.n = 0;
	cr_expect_eq(flowpath_drop_dest(&fp, &drs.d[2], true, each_cb, &s), 2);
	cr_expect_eq(s.n, 0);
	expect_counts(&drs.d[2], 0, 0);
	cr_expect_eq(flowpath_count(&fp), 2);
}

Test(flowpath, drop_dest_uncounted)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		pkt(&drs, CLIENT4, 8100 + i, TCP_SYN, 0, S);
	expect_counts(&drs.d[1], 2, 0);
	cr_expect_eq(flowpath_drop_dest(&fp, &drs.d[1], false, NULL, NULL), 2);
	expect_counts(&drs.d[1], 2, 0);	/* it is being freed */
	expect_counts(&drs.d[0], 2, 0);
	cr_expect_eq(flowpath_count(&fp), 2);
	cr_expect_null(find(&drs, CLIENT4, 8100));
	cr_expect_not_null(find(&drs, CLIENT4, 8101));
}

/* ---- FINs the kernel logged (finlog.h) ---------------------------------------------- */

/* The log: a FIN of drs's CLIENT4:@logged_port waits in it, unread. */
static uint16_t logged_port;
static unsigned int ndrains;

static void fake_drain(void *ctx)
{
	struct pk k;

	(void)ctx;
	ndrains++;
	if (!logged_port)
		return;
	pk_make(&k, IPPROTO_TCP, CLIENT4, logged_port, VIP4, 80,
		TCP_FIN | TCP_ACK);
	flowpath_closed(&fp, &k.pi, 50 * S);
	logged_port = 0;
}

Test(flowpath, a_logged_fin_closes_and_counts)
{
	struct pk k;

	pkt(&drs, CLIENT4, 9400, TCP_SYN, 0, S);
	expect_counts(&drs.d[1], 1, 0);
	pk_make(&k, IPPROTO_TCP, CLIENT4, 9400, VIP4, 80, TCP_FIN | TCP_ACK);
	flowpath_closed(&fp, &k.pi, 2 * S);
	expect_flow(&drs, CLIENT4, 9400, &drs.d[1], FLOW_CLOSING, 123 * S);
	expect_counts(&drs.d[1], 0, 1);
	flowpath_closed(&fp, &k.pi, 3 * S);
	expect_counts(&drs.d[1], 0, 1);
	/* no such flow: nothing */
	pk_make(&k, IPPROTO_TCP, CLIENT4, 9401, VIP4, 80, TCP_RST);
	flowpath_closed(&fp, &k.pi, 3 * S);
	cr_expect_eq(flowpath_count(&fp), 1);
}

/* A SYN on an established flow's tuple reaches the director only when the
 * kernel moved its element to the closing map: its FIN is read from the
 * log first, and the SYN is a new connection (conn_reuse_mode). */
Test(flowpath, a_syn_on_an_established_flow_reads_the_log_first)
{
	struct verdict v;

	fp.env.drain = fake_drain;
	ndrains = 0;
	v = pkt(&drs, CLIENT4, 9500, TCP_SYN, 0, S);
	cr_expect_eq(v.mark, drs.d[1].mark);
	cr_expect_eq(ndrains, 0, "a new flow: no log to read");
	logged_port = 9500;
	v = pkt(&drs, CLIENT4, 9500, TCP_SYN, 0, 60 * S);
	cr_expect_eq(ndrains, 1);
	cr_expect_eq(v.mark, drs.d[0].mark, "scheduled anew: rr's next");
	expect_flow(&drs, CLIENT4, 9500, &drs.d[0], FLOW_ESTABLISHED, 961 * S);
	expect_counts(&drs.d[1], 0, 0);
	expect_counts(&drs.d[0], 1, 0);
	/* nothing logged: the flow stays, a SYN with ACK never asks */
	v = pkt(&drs, CLIENT4, 9500, TCP_SYN, 0, 61 * S);
	cr_expect_eq(v.mark, drs.d[0].mark);
	pkt(&drs, CLIENT4, 9500, TCP_SYN | TCP_ACK, 0, 62 * S);
	cr_expect_eq(ndrains, 2);
	cr_expect_eq(drs.svc.conns, 2);
}

/* ---- the kernel's flow maps ----------------------------------------------------------- */

static struct rs_flow element(const char *client, uint16_t sport,
			      uint16_t dport, enum rs_flowmap map,
			      uint32_t mark)
{
	struct rs_flow rf = { .sport = sport, .dport = dport, .mark = mark,
			      .map = map, .timeout_ms = 5000 };

	addr_parse(client, &rf.saddr);
	addr_parse(strchr(client, ':') ? VIP6 : VIP4, &rf.daddr);
	return rf;
}

static void expect_unlocked(void)
{
	cr_assert_eq(pthread_mutex_trylock(&fp.lock), 0, "the lock is free");
	pthread_mutex_unlock(&fp.lock);
}

/* What flowpath_due() asks of the kernel, answered as @ans says for
 * each element (1 found, with @left_ms, 0 not, -1 no answer). */
static unsigned int check(uint64_t now, const int8_t *ans, uint64_t left_ms,
			  unsigned int *nq)
{
	struct rs_flow q[16];
	int8_t found[16];
	unsigned int n = flowpath_due(&fp, now, q, 16), i;

	for (i = 0; i < n; i++) {
		found[i] = ans ? ans[i] : 0;
		q[i].timeout_ms = left_ms;
	}
	expect_unlocked();
	*nq = n;
	return flowpath_checked(&fp, q, found, n, now);
}

Test(flowpath, due_flows_are_looked_up_and_end_when_the_kernel_has_none)
{
	unsigned int nq;

	pkt(&drs, CLIENT4, 9000, TCP_SYN, 0, 1 * S);	/* due at 902 s */
	pkt(&drs, CLIENT4, 9001, TCP_SYN, 0, 10 * S);	/* 911 s */
	pkt(&tuns, CLIENT4, 9003, TCP_SYN, 0, 1 * S);	/* TUN: ours */
	expect_counts(&drs.d[1], 1, 0);
	expect_counts(&drs.d[0], 1, 0);
	cr_expect_eq(check(901 * S, NULL, 0, &nq), 0);
	cr_expect_eq(nq, 0, "none due yet");
	/* one due: both TCP maps asked, neither has it: it ends, counted */
	cr_expect_eq(check(902 * S, NULL, 0, &nq), 1);
	cr_expect_eq(nq, 2);
	cr_expect_null(find(&drs, CLIENT4, 9000));
	expect_counts(&drs.d[1], 0, 0);
	cr_expect_not_null(find(&drs, CLIENT4, 9001));
	cr_expect_not_null(find(&tuns, CLIENT4, 9003), "never looked up");
	cr_expect_eq(check(1000 * S, NULL, 0, &nq), 1);
	cr_expect_eq(nq, 2, "the TUN flow is not the kernel's");
	cr_expect_eq(flowpath_count(&fp), 1);
}

Test(flowpath, a_found_flow_waits_for_its_element_and_may_be_closing)
{
	static const int8_t in_tcp[] = { 1, 0 }, in_closing[] = { 0, 1 },
			    unknown[] = { -1, 0 };
	unsigned int nq;
	struct flow *f;

	pkt(&drs, CLIENT4, 9100, TCP_SYN, 0, S);
	expect_counts(&drs.d[1], 1, 0);
	/* renewed by packets we did not see: 300 s left */
	cr_expect_eq(check(902 * S, in_tcp, 300000, &nq), 0);
	cr_expect_eq(nq, 2);
	f = expect_flow(&drs, CLIENT4, 9100, &drs.d[1], FLOW_ESTABLISHED,
			1203 * S);
	cr_expect_eq(check(1202 * S, in_tcp, 0, &nq), 0);
	cr_expect_eq(nq, 0, "not before its time");
	/* no answer: kept, asked again a second later */
	cr_expect_eq(check(1203 * S, unknown, 0, &nq), 0);
	expect_flow(&drs, CLIENT4, 9100, &drs.d[1], FLOW_ESTABLISHED, 1204 * S);
	expect_counts(&drs.d[1], 1, 0);
	/* in the closing map (a FIN we did not see): closing, counted so */
	cr_expect_eq(check(1204 * S, in_closing, 5000, &nq), 0);
	f = expect_flow(&drs, CLIENT4, 9100, &drs.d[1], FLOW_CLOSING, 1210 * S);
	expect_counts(&drs.d[1], 0, 1);
	(void)f;
	cr_expect_eq(check(1210 * S, NULL, 0, &nq), 1);
	expect_counts(&drs.d[1], 0, 0);
}

Test(flowpath, udp_flows_ask_one_map_and_a_changed_flow_keeps_its_time)
{
	struct rs_flow q[4];
	int8_t found[4] = { 0, 0, 0, 0 };
	unsigned int n;

	pkt(&udps, CLIENT4, 9200, 0, 0, S);		/* due 302 s */
	pkt(&drs, CLIENT4, 9201, TCP_SYN, 0, S);	/* due 902 s */
	n = flowpath_due(&fp, 1000 * S, q, 4);
	cr_assert_eq(n, 3);
	/* meanwhile the TCP flow closes: its FIN renews its time */
	pkt(&drs, CLIENT4, 9201, TCP_FIN, 0, 1000 * S);
	cr_expect_eq(flowpath_checked(&fp, q, found, n, 1000 * S), 1);
	cr_expect_null(find(&udps, CLIENT4, 9200));
	expect_flow(&drs, CLIENT4, 9201, &drs.d[1], FLOW_CLOSING, 1121 * S);
	/* room for less than a TCP flow's pair: it waits */
	cr_expect_eq(flowpath_due(&fp, 2000 * S, q, 1), 0);
	cr_expect_eq(flowpath_due(&fp, 2000 * S, q, 2), 2);
}

/* A restart adopts the kernel's elements with the time they have left. */
Test(flowpath, adopt_elements_of_dr_servers)
{
	struct rs_flow tcp = element(CLIENT4, 100, 80, RS_FLOWS_TCP,
				     0x01000000 | drs.d[0].mark);
	struct rs_flow udp = element(CLIENT6, 101, 53, RS_FLOWS_UDP,
				     udps.d[0].mark);
	struct rs_flow fin = element(CLIENT4, 102, 80, RS_FLOWS_CLOSING,
				     drs.d[0].mark);
	struct rs_flow none = element(CLIENT4, 103, 80, RS_FLOWS_TCP, 0);
	struct rs_flow tun = element(CLIENT4, 104, 81, RS_FLOWS_TCP,
				     tuns.d[0].mark);
	struct flow *f;
	unsigned int nq;

	flowpath_adopt_begin(&fp);
	flowpath_adopt_one(&fp, &tcp, &drs.d[0], 10 * S);
	flowpath_adopt_one(&fp, &udp, &udps.d[0], 10 * S);
	flowpath_adopt_one(&fp, &fin, &drs.d[0], 10 * S);
	flowpath_adopt_one(&fp, &none, NULL, 10 * S);
	flowpath_adopt_one(&fp, &tun, &tuns.d[0], 10 * S);
	flowpath_adopt_end(&fp);
	expect_unlocked();
	cr_expect_eq(flowpath_count(&fp), 3);
	/* 5 s left (element()), looked up a second after */
	f = expect_flow(&drs, CLIENT4, 100, &drs.d[0], FLOW_ESTABLISHED, 16 * S);
	cr_expect_eq(f->mark, tcp.mark, "the element's mark, as it was");
	cr_expect_not(f->tun);
	f = expect_flow(&udps, CLIENT6, 101, &udps.d[0], FLOW_UDP, 16 * S);
	cr_expect_eq(f->key.proto, IPPROTO_UDP);
	cr_expect_eq(f->key.family, AF_INET6);
	f = expect_flow(&drs, CLIENT4, 102, &drs.d[0], FLOW_CLOSING, 16 * S);
	cr_expect_eq(f->key.proto, IPPROTO_TCP);
	cr_expect_null(find(&drs, CLIENT4, 103));
	cr_expect_null(find(&tuns, CLIENT4, 104));
	expect_counts(&drs.d[0], 1, 1);
	expect_counts(&udps.d[0], 0, 1);
	expect_counts(&tuns.d[0], 0, 0);
	cr_expect_eq(drs.svc.conns, 0, "adopted, not scheduled");
	/* the adopted packet path: the next packet uses the flow */
	cr_expect_eq(pkt(&drs, CLIENT4, 100, TCP_ACK, 0, S).mark, tcp.mark);
	/* a closing element closes a known flow, counted once */
	tcp.map = RS_FLOWS_CLOSING;
	flowpath_adopt_begin(&fp);
	flowpath_adopt_one(&fp, &tcp, &drs.d[0], 10 * S);
	flowpath_adopt_one(&fp, &tcp, &drs.d[0], 10 * S);
	flowpath_adopt_end(&fp);
	expect_counts(&drs.d[0], 0, 2);
	/* gone from the kernel when looked up: they go, counted */
	cr_expect_eq(check(16 * S, NULL, 0, &nq), 3);
	cr_expect_eq(nq, 5);
	expect_counts(&drs.d[0], 0, 0);
	expect_counts(&udps.d[0], 0, 0);
}

/* nflvsadm --set: no flow is looked up later than the new timeouts say. */
Test(flowpath, retime_brings_looks_forward_only)
{
	pkt(&drs, CLIENT4, 9300, TCP_SYN, 0, S);	/* 902 s */
	pkt(&udps, CLIENT4, 9301, 0, 0, S);		/* 302 s */
	to.tcp = 30;
	to.udp = 600;
	flowpath_retime(&fp, 10 * S);
	expect_flow(&drs, CLIENT4, 9300, &drs.d[1], FLOW_ESTABLISHED, 41 * S);
	expect_flow(&udps, CLIENT4, 9301, &udps.d[1], FLOW_UDP, 302 * S);
}

Test(flowpath, element_from_state_and_timeouts)
{
	struct rs_flow rf;
	struct flow *f;

	pkt(&drs, CLIENT6, 9300, TCP_SYN, 0x01000000, S);
	f = find(&drs, CLIENT6, 9300);
	cr_assert_not_null(f);
	flowpath_element(&fp, f, &rf);
	cr_expect_eq(rf.map, RS_FLOWS_TCP);
	cr_expect_eq(rf.timeout_ms, 900000);
	cr_expect_eq(rf.mark, f->mark);
	cr_expect_eq(rf.sport, 9300);
	cr_expect_eq(rf.dport, 80);
	cr_expect(addr_eq(&rf.saddr, &f->key.saddr));
	cr_expect(addr_eq(&rf.daddr, &f->key.daddr));
	cr_expect_eq(rf.saddr.family, AF_INET6);
	to.tcp = 10;
	flowpath_element(&fp, f, &rf);
	cr_expect_eq(rf.timeout_ms, 10000, "the timeouts as they are now");
	pkt(&drs, CLIENT6, 9300, TCP_FIN, 0, S);
	flowpath_element(&fp, f, &rf);
	cr_expect_eq(rf.map, RS_FLOWS_CLOSING);
	cr_expect_eq(rf.timeout_ms, 120000);
	pkt(&udps, CLIENT4, 9301, 0, 0, S);
	flowpath_element(&fp, find(&udps, CLIENT4, 9301), &rf);
	cr_expect_eq(rf.map, RS_FLOWS_UDP);
	cr_expect_eq(rf.timeout_ms, 300000);
	cr_expect_eq(rf.dport, 53);
}

/* Every flow, once, under the lock. */
static void count_cb(void *ctx, const struct flow *f)
{
	(void)f;
	cr_expect_neq(pthread_mutex_trylock(&fp.lock), 0, "held");
	(*(unsigned int *)ctx)++;
}

Test(flowpath, foreach_sees_every_flow)
{
	unsigned int n = 0;

	pkt(&drs, CLIENT4, 9400, TCP_SYN, 0, S);
	pkt(&tuns, CLIENT4, 9401, TCP_SYN, 0, S);
	pkt(&udps, CLIENT4, 9402, 0, 0, S);
	flowpath_foreach(&fp, count_cb, &n);
	cr_expect_eq(n, 3);
	expect_unlocked();
}

/* ---- state sync ---------------------------------------------------------------- */

static struct flow_key key_of(struct svcfix *x, const char *client,
			      uint16_t sport)
{
	struct flow_key k = { .family = AF_INET, .proto = x->svc.protocol,
			      .sport = sport, .dport = x->svc.port };

	addr_parse(client, &k.saddr);
	addr_parse(VIP4, &k.daddr);
	return k;
}

/* A master's TUN flow arrives with the time it had left, counted as its
 * state says; a later word on it moves it, counts following. */
Test(flowpath, install_tun_keeps_the_time_left)
{
	struct flow_key k = key_of(&tuns, CLIENT4, 4000);
	struct flowpath_old old;
	struct flow *f;

	cr_assert_eq(flowpath_install(&fp, &k, &tuns.d[0], tuns.d[0].mark,
				      FLOW_ESTABLISHED, 10 * S + 7 * S, 10 * S,
				      &old), 0);
	cr_expect(!old.had);
	f = expect_flow(&tuns, CLIENT4, 4000, &tuns.d[0], FLOW_ESTABLISHED,
			17 * S);
	cr_expect(f && f->tun);
	cr_expect_eq(tuns.d[0].activeconns, 1);
	/* it expires when the master's would have, not a timeout later */
	cr_expect_eq(flowpath_expire(&fp, 16 * S), 0);
	cr_assert_eq(flowpath_install(&fp, &k, &tuns.d[1], tuns.d[1].mark,
				      FLOW_CLOSING, 20 * S, 12 * S, &old), 0);
	expect_flow(&tuns, CLIENT4, 4000, &tuns.d[1], FLOW_CLOSING, 20 * S);
	cr_expect_eq(tuns.d[0].activeconns, 0);
	cr_expect_eq(tuns.d[1].inactconns, 1);
	cr_expect_eq(flowpath_expire(&fp, 20 * S), 1);
	cr_expect_eq(tuns.d[1].inactconns, 0);
}

/* A DR flow: the element it had is reported, so that the kernel's goes. */
Test(flowpath, install_dr_reports_the_old_element)
{
	struct flow_key k = key_of(&drs, CLIENT4, 4001);
	struct flowpath_old old;

	cr_assert_eq(flowpath_install(&fp, &k, &drs.d[0], drs.d[0].mark,
				      FLOW_ESTABLISHED, 0, 5 * S, &old), 0);
	cr_expect(!old.had);
	/* its element (the caller's) is looked up a second after its time */
	expect_flow(&drs, CLIENT4, 4001, &drs.d[0], FLOW_ESTABLISHED, 6 * S);
	cr_expect_eq(drs.d[0].activeconns, 1);
	cr_assert_eq(flowpath_install(&fp, &k, &drs.d[0], drs.d[0].mark,
				      FLOW_CLOSING, 0, 6 * S, &old), 0);
	cr_expect(old.had);
	cr_expect_eq(old.map, RS_FLOWS_TCP);
	cr_expect_eq(old.mark, drs.d[0].mark);
	cr_expect_eq(drs.d[0].activeconns, 0);
	cr_expect_eq(drs.d[0].inactconns, 1);
}

/* The master hears of each flow made and each change of state. */
static unsigned int nevents;
static struct flow evlast;
static uint64_t evtimeout;

static void on_event(void *ctx, const struct service *svc,
		     const struct flow *f, uint64_t timeout_ms)
{
	(void)ctx;
	(void)svc;
	nevents++;
	evlast = *f;
	evtimeout = timeout_ms;
}

Test(flowpath, events_for_sync)
{
	fp.env.event = on_event;
	nevents = 0;
	pkt(&drs, CLIENT4, 5000, TCP_SYN, 0, 1 * S);
	cr_expect_eq(nevents, 1);
	cr_expect_eq(evlast.state, FLOW_ESTABLISHED);
	cr_expect_eq(evtimeout, 900000);
	pkt(&drs, CLIENT4, 5000, TCP_ACK | TCP_FIN, 0, 2 * S);
	cr_expect_eq(nevents, 2);
	cr_expect_eq(evlast.state, FLOW_CLOSING);
	cr_expect_eq(evtimeout, 120000);
	/* TUN: SYN, then established */
	pkt(&tuns, CLIENT4, 5001, TCP_SYN, 0, 3 * S);
	cr_expect_eq(nevents, 3);
	cr_expect_eq(evtimeout, 60000);
	pkt(&tuns, CLIENT4, 5001, TCP_ACK, 0, 4 * S);
	cr_expect_eq(nevents, 4);
	cr_expect_eq(evlast.state, FLOW_ESTABLISHED);
	pkt(&tuns, CLIENT4, 5001, TCP_ACK, 0, 5 * S);
	cr_expect_eq(nevents, 4, "no change, no event");
}
