// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A restart keeps the DR connections the director before it routed
 * (director/dr.c): each flow element's old mark is rewritten to the real
 * server of the new configuration with the same address (dr_remap), and
 * the flows enter the new flow table (dr_adopt).  No kernel: the old
 * marks' addresses and the elements are made here.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dr.h"
#include "svctab.h"

#define S	1000000000ull
#define MASK	0x00ff0000u
#define OUT	0x12000034u	/* bits outside the mask: not ours */
#define VIP4	"10.0.3.100"
#define VIP6	"2001:db8:3::100"

static struct svcset set;
static struct service *svcs[8];
static unsigned int nsvc;
static struct rs_timeouts to = { .tcp = 900, .tcpfin = 120, .udp = 300 };
static struct dir_counters cnt;
static struct flowpath fp;
static struct ruleset rs;
static struct dr dr;

/* The previous director's marks: index -> address (the rsN counters'
 * comments name them in the kernel). */
#define NOLD	8
static struct nflvs_addr old[NOLD];

static struct service *svc_add(enum fwd_method fwd, uint8_t proto,
			       const char *vip, uint16_t port)
{
	struct service *svc = calloc(1, sizeof(*svc));

	cr_assert_not_null(svc);
	cr_assert_eq(service_init(svc, "rr"), 0);
	svc->fwd = fwd;
	svc->protocol = proto;
	svc->port = port;
	cr_assert_eq(addr_parse(vip, &svc->vip), 0);
	svc->family = svc->vip.family;
	svc->shm_slot = -1;
	svcs[nsvc++] = svc;
	return svc;
}

/* A real server of @svc with the next free mark. */
static struct dest *rs_add(struct service *svc, const char *addr,
			   enum fwd_method fwd)
{
	struct dest *d = calloc(1, sizeof(*d));

	cr_assert_not_null(d);
	cr_assert_eq(addr_parse(addr, &d->addr), 0);
	d->port = svc->port;
	d->fwd = fwd;
	d->weight = d->conf_weight = 1;
	d->shm_slot = -1;
	cr_assert_eq(svcset_mark_take(&set, d, NULL), 0);
	cr_assert_eq(service_add_dest(svc, d), 0);
	return d;
}

/* The new configuration, its real servers in a different order than
 * the old marks give, so that every kept flow's mark changes. */
static struct dest *a11, *a12, *a13, *c14, *b14, *d11, *e11;

static void setup(void)
{
	struct flowpath_env env = { .mark_mask = MASK, .timeouts = &to,
				    .counters = &cnt };
	struct service **v;
	struct svctab tab;
	struct service *a, *b, *c, *d, *e;

	cr_assert_eq(svcset_init(&set, MASK), 0);
	nsvc = 0;
	a = svc_add(FWD_DR, IPPROTO_TCP, VIP4, 80);
	b = svc_add(FWD_NAT, IPPROTO_TCP, VIP4, 8080);
	c = svc_add(FWD_DR, IPPROTO_TCP, VIP4, 443);
	d = svc_add(FWD_DR, IPPROTO_UDP, VIP4, 53);
	e = svc_add(FWD_DR, IPPROTO_TCP, VIP6, 80);
	a12 = rs_add(a, "10.0.2.12", FWD_DR);	/* index 1 */
	a11 = rs_add(a, "10.0.2.11", FWD_DR);	/* index 2 */
	a13 = rs_add(a, "10.0.2.13", FWD_TUN);	/* index 3 */
	b14 = rs_add(b, "10.0.2.14", FWD_NAT);	/* index 4 */
	c14 = rs_add(c, "10.0.2.14", FWD_DR);	/* index 5 */
	d11 = rs_add(d, "10.0.2.11", FWD_DR);	/* index 6 */
	e11 = rs_add(e, "2001:db8:2::11", FWD_DR);	/* index 7 */
	v = calloc(nsvc, sizeof(*v));
	cr_assert_not_null(v);
	memcpy(v, svcs, nsvc * sizeof(*v));
	cr_assert_eq(svctab_build(&tab, v, nsvc), 0);
	svcset_replace(&set, v, nsvc, &tab);

	memset(old, 0, sizeof(old));
	addr_parse("10.0.2.11", &old[1]);
	addr_parse("10.0.2.12", &old[2]);
	addr_parse("10.0.2.13", &old[3]);
	addr_parse("10.0.2.14", &old[4]);
	addr_parse("2001:db8:2::11", &old[5]);
	addr_parse("10.0.2.99", &old[6]);	/* no real server now */
	/* old[7]: no mark of that index in the old table */

	memset(&cnt, 0, sizeof(cnt));
	cr_assert_eq(flowpath_init(&fp, &env), 0);
	rs = (struct ruleset){ .table = "nflvs_unit", .mark_mask = MASK,
			       .timeouts = to };
	dr_init(&dr, &rs, &set, &fp, 100, 1000);
}

static void teardown(void)
{
	unsigned int i, j;

	flowpath_fini(&fp);
	for (i = 0; i < nsvc; i++) {
		for (j = 0; j < svcs[i]->ndests; j++) {
			svcset_mark_release(&set, svcs[i]->dests[j]);
			free(svcs[i]->dests[j]);
		}
		service_destroy(svcs[i]);
		free(svcs[i]);
	}
	svcset_fini(&set);
}

TestSuite(dr_restore, .init = setup, .fini = teardown);

static uint32_t mark_of(uint32_t index)
{
	return OUT | index << 16;
}

static struct rs_flow element(const char *client, uint16_t sport,
			      const char *vip, uint16_t dport,
			      enum rs_flowmap map, uint32_t mark)
{
	struct rs_flow f = { .sport = sport, .dport = dport, .mark = mark,
			     .map = map, .timeout_ms = 60000 };

	cr_assert_eq(addr_parse(client, &f.saddr), 0);
	cr_assert_eq(addr_parse(vip, &f.daddr), 0);
	return f;
}

/* The flow that element @e became, if any. */
static struct flow *flow_of(const struct rs_flow *e)
{
	struct flow_key k = {
		.family = e->saddr.family,
		.proto = e->map == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP,
		.sport = e->sport, .dport = e->dport,
		.saddr = e->saddr, .daddr = e->daddr,
	};

	return flows_find(&fp.flows, &k);
}

/* The marks came out as the setup says. */
Test(dr_restore, fixture_marks)
{
	cr_assert_eq(a12->mark, 1u << 16);
	cr_assert_eq(a11->mark, 2u << 16);
	cr_assert_eq(c14->mark, 5u << 16);
	cr_assert_eq(d11->mark, 6u << 16);
	cr_assert_eq(e11->mark, 7u << 16);
}

Test(dr_restore, remap_to_the_new_mark_of_the_same_address)
{
	struct rs_flow f = element("192.0.2.1", 1000, VIP4, 80, RS_FLOWS_TCP,
				   mark_of(1));

	cr_assert(dr_remap(&set, old, NOLD, &f));
	cr_expect_eq(f.mark, OUT | a11->mark, "mark %#x", f.mark);
	f = element("192.0.2.1", 1001, VIP4, 80, RS_FLOWS_CLOSING, mark_of(2));
	cr_assert(dr_remap(&set, old, NOLD, &f));
	cr_expect_eq(f.mark, OUT | a12->mark, "mark %#x", f.mark);
	/* the port and the protocol choose the service, so the server */
	f = element("192.0.2.1", 1002, VIP4, 443, RS_FLOWS_TCP, mark_of(4));
	cr_assert(dr_remap(&set, old, NOLD, &f));
	cr_expect_eq(f.mark, OUT | c14->mark, "mark %#x", f.mark);
	f = element("192.0.2.1", 1003, VIP4, 53, RS_FLOWS_UDP, mark_of(1));
	cr_assert(dr_remap(&set, old, NOLD, &f));
	cr_expect_eq(f.mark, OUT | d11->mark, "UDP :53 is d's, not a's");
	f = element("2001:db8:c::1", 1004, VIP6, 80, RS_FLOWS_TCP, mark_of(5));
	cr_assert(dr_remap(&set, old, NOLD, &f));
	cr_expect_eq(f.mark, OUT | e11->mark, "mark %#x", f.mark);
}

Test(dr_restore, remap_refuses_what_no_dr_server_takes)
{
	static const struct {
		const char *why, *vip;
		uint16_t port;
		enum rs_flowmap map;
		uint32_t index;
	} no[] = {
		{ "its server is TUN now", VIP4, 80, RS_FLOWS_TCP, 3 },
		{ "a NAT service", VIP4, 8080, RS_FLOWS_TCP, 4 },
		{ "its address serves another port", VIP4, 80, RS_FLOWS_TCP, 4 },
		{ "no such server now", VIP4, 80, RS_FLOWS_TCP, 6 },
		{ "no old mark of that index", VIP4, 80, RS_FLOWS_TCP, 7 },
		{ "index 0: not ours", VIP4, 80, RS_FLOWS_TCP, 0 },
		{ "an index past the old table", VIP4, 80, RS_FLOWS_TCP, NOLD },
		{ "another VIP", "10.0.3.101", 80, RS_FLOWS_TCP, 1 },
		{ "another port", VIP4, 81, RS_FLOWS_TCP, 1 },
		{ "UDP to a TCP service", VIP4, 80, RS_FLOWS_UDP, 1 },
		{ "TCP to a UDP service", VIP4, 53, RS_FLOWS_TCP, 1 },
		{ "an IPv4 address in the IPv6 service", VIP6, 80,
		  RS_FLOWS_TCP, 1 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct rs_flow f = element(strchr(no[i].vip, ':') ?
					   "2001:db8:c::1" : "192.0.2.1", 2000,
					   no[i].vip,
					   no[i].port, no[i].map,
					   mark_of(no[i].index));

		cr_expect_not(dr_remap(&set, old, NOLD, &f), "%s", no[i].why);
		cr_expect_eq(f.mark, mark_of(no[i].index), "%s: untouched",
			     no[i].why);
	}
	/* the table is as long as the caller says, not as the array */
	{
		struct rs_flow f = element("2001:db8:c::1", 2000, VIP6, 80,
					   RS_FLOWS_TCP, mark_of(5));

		cr_expect_not(dr_remap(&set, old, 5, &f), "index 5 of 5");
		cr_expect(dr_remap(&set, old, 6, &f), "index 5 of 6");
	}
}

/* What dr_restore() does with what it reads, then dr_adopt(). */
Test(dr_restore, remapped_flows_are_adopted)
{
	struct rs_flow in[] = {
		element("192.0.2.1", 1000, VIP4, 80, RS_FLOWS_TCP, mark_of(1)),
		element("192.0.2.1", 1001, VIP4, 80, RS_FLOWS_CLOSING,
			mark_of(1)),
		element("192.0.2.2", 1000, VIP4, 80, RS_FLOWS_TCP, mark_of(2)),
		element("192.0.2.3", 1000, VIP4, 53, RS_FLOWS_UDP, mark_of(1)),
		element("2001:db8:c::1", 1000, VIP6, 80, RS_FLOWS_TCP,
			mark_of(5)),
		element("192.0.2.4", 1000, VIP4, 80, RS_FLOWS_TCP, mark_of(3)),
	};
	const struct {
		struct dest *dst;
		enum flow_state st;
	} want[] = {
		{ a11, FLOW_ESTABLISHED }, { a11, FLOW_CLOSING },
		{ a12, FLOW_ESTABLISHED }, { d11, FLOW_UDP },
		{ e11, FLOW_ESTABLISHED },
	};
	struct rs_flow v[6];
	unsigned int i, n = 0;
	struct flow *f;

	for (i = 0; i < 6; i++) {
		v[n] = in[i];
		n += dr_remap(&set, old, NOLD, &v[n]);
	}
	cr_assert_eq(n, 5, "the TUN server's flow is left behind");
	dr_adopt(&dr, v, n, 0);
	cr_expect_eq(flowpath_count(&fp), 5);
	cr_expect_eq(a11->activeconns, 1);
	cr_expect_eq(a11->inactconns, 1);
	cr_expect_eq(a12->activeconns, 1);
	cr_expect_eq(a12->inactconns, 0);
	cr_expect_eq(d11->activeconns, 0);
	cr_expect_eq(d11->inactconns, 1);
	cr_expect_eq(e11->activeconns, 1);
	cr_expect_eq(a13->activeconns + a13->inactconns, 0);
	cr_expect_eq(a11->svc->conns, 0, "adopted, not scheduled");

	for (i = 0; i < n; i++) {
		f = flow_of(&v[i]);
		cr_assert_not_null(f, "flow %u", i);
		cr_expect_eq(f->dest, want[i].dst, "flow %u: another server", i);
		cr_expect_eq(f->mark, OUT | want[i].dst->mark, "flow %u: mark %#x",
			     i, f->mark);
		cr_expect_eq(f->state, want[i].st, "flow %u: state %u", i,
			     f->state);
		cr_expect_not(f->tun);
	}
	cr_expect_null(flow_of(&in[5]));
}

/* dr_adopt() takes the destination a mark names, DR ones only, and
 * removes nothing already in the table. */
Test(dr_restore, adopt_only_dr_servers_and_keep_the_table)
{
	struct rs_flow first[] = {
		element("192.0.2.1", 1000, VIP4, 80, RS_FLOWS_TCP,
			OUT | a11->mark),
	};
	struct rs_flow second[] = {
		element("192.0.2.2", 1000, VIP4, 80, RS_FLOWS_TCP,
			OUT | a12->mark),
		element("192.0.2.3", 1000, VIP4, 80, RS_FLOWS_TCP, a13->mark),
		element("192.0.2.4", 1000, VIP4, 8080, RS_FLOWS_TCP, b14->mark),
		element("192.0.2.5", 1000, VIP4, 80, RS_FLOWS_TCP, 9u << 16),
		element("192.0.2.6", 1000, VIP4, 80, RS_FLOWS_TCP, OUT),
	};

	dr_adopt(&dr, first, 1, 0);
	cr_expect_eq(flowpath_count(&fp), 1);
	dr_adopt(&dr, second, 5, 0);
	cr_expect_eq(flowpath_count(&fp), 2, "the first is kept, %u flows",
		     flowpath_count(&fp));
	cr_expect_eq(a11->activeconns, 1);
	cr_expect_eq(a12->activeconns, 1);
	cr_expect_eq(a13->activeconns + a13->inactconns, 0, "TUN");
	cr_expect_eq(b14->activeconns + b14->inactconns, 0, "NAT");
	cr_expect_eq(pthread_mutex_trylock(&fp.lock), 0, "the lock is free");
	pthread_mutex_unlock(&fp.lock);
}
