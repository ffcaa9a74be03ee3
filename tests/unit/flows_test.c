// SPDX-License-Identifier: GPL-2.0-or-later
/* The DR/TUN flow table (director/flows.c): lookups, counts, expiry. */
#include <criterion/criterion.h>
#include <string.h>

#include "flows.h"

#define NS	1000000000ull
#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_RST	0x04
#define TCP_ACK	0x10

/* Stand-ins for two real servers: the callback counts per class. */
struct dest {
	int active, inactive, calls;
};

static void account(void *ctx, struct dest *d, enum ct_class old,
		    enum ct_class cls, const struct flow_key *k)
{
	(void)ctx;
	(void)k;
	d->calls++;
	d->active += (cls == CT_ACTIVE) - (old == CT_ACTIVE);
	d->inactive += (cls == CT_INACTIVE) - (old == CT_INACTIVE);
}

static struct flow_key key(uint16_t sport)
{
	struct flow_key k = { .family = AF_INET, .proto = IPPROTO_TCP,
			      .sport = sport, .dport = 80 };

	addr_parse("10.0.1.2", &k.saddr);
	addr_parse("10.0.3.100", &k.daddr);
	return k;
}

Test(flows, tcp_states_as_ipvs_sees_the_client)
{
	cr_expect_eq(flow_tcp_next(FLOW_SYN, TCP_SYN), FLOW_SYN);
	cr_expect_eq(flow_tcp_next(FLOW_SYN, TCP_ACK), FLOW_ESTABLISHED);
	cr_expect_eq(flow_tcp_next(FLOW_ESTABLISHED, TCP_ACK), FLOW_ESTABLISHED);
	cr_expect_eq(flow_tcp_next(FLOW_ESTABLISHED, TCP_ACK | TCP_FIN), FLOW_CLOSING);
	cr_expect_eq(flow_tcp_next(FLOW_SYN, TCP_RST), FLOW_CLOSING);
	cr_expect_eq(flow_tcp_next(FLOW_CLOSING, TCP_ACK), FLOW_CLOSING);
	/* a new SYN on the same tuple starts over */
	cr_expect_eq(flow_tcp_next(FLOW_CLOSING, TCP_SYN), FLOW_SYN);
	cr_expect_eq(flow_tcp_next(FLOW_CLOSING, TCP_SYN | TCP_ACK), FLOW_CLOSING);
}

Test(flows, add_find_count_delete)
{
	struct flow_table t;
	struct dest a = { 0 }, b = { 0 };
	struct flow_key k1 = key(1000), k2 = key(1001);
	struct flow *f;

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	f = flows_add(&t, &k1, &a, 0x10000, FLOW_ESTABLISHED, false);
	cr_assert_not_null(f);
	flows_add(&t, &k2, &b, 0x20000, FLOW_SYN, true);
	cr_expect_eq(flows_find(&t, &k1), f);
	cr_expect_eq(flows_find(&t, &k2)->dest, &b);
	cr_expect_eq(a.active, 1);
	cr_expect_eq(b.inactive, 1);
	flows_set_state(&t, f, FLOW_CLOSING);
	cr_expect_eq(a.active, 0);
	cr_expect_eq(a.inactive, 1);
	/* the same state again: no call */
	flows_set_state(&t, f, FLOW_CLOSING);
	cr_expect_eq(a.calls, 2);
	flows_del(&t, f);
	cr_expect_null(flows_find(&t, &k1));
	cr_expect_eq(a.inactive, 0);
	cr_expect_eq(t.count, 1);
	flows_fini(&t);
}

Test(flows, a_stale_tuple_is_replaced)
{
	struct flow_table t;
	struct dest a = { 0 }, b = { 0 };
	struct flow_key k = key(2000);

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	flows_add(&t, &k, &a, 1, FLOW_ESTABLISHED, false);
	flows_add(&t, &k, &b, 2, FLOW_ESTABLISHED, false);
	cr_expect_eq(t.count, 1);
	cr_expect_eq(a.active, 0);
	cr_expect_eq(b.active, 1);
	flows_fini(&t);
}

Test(flows, grows_and_keeps_everything)
{
	struct flow_table t;
	struct dest a = { 0 };
	struct flow_key k;
	uint32_t i, n = 50000, found = 0;

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	for (i = 0; i < n; i++) {
		k = key(i & 0xffff);
		k.saddr.b[3] = (uint8_t)(i >> 16);
		k.saddr.b[2] = (uint8_t)(i >> 8);
		cr_assert_not_null(flows_add(&t, &k, &a, 1, FLOW_UDP, false));
	}
	cr_expect_gt(t.nbucket, 1u << 12);
	for (i = 0; i < n; i++) {
		k = key(i & 0xffff);
		k.saddr.b[3] = (uint8_t)(i >> 16);
		k.saddr.b[2] = (uint8_t)(i >> 8);
		found += flows_find(&t, &k) != NULL;
	}
	cr_expect_eq(found, n);
	cr_expect_eq(a.inactive, (int)n);
	flows_fini(&t);
}

/* DR flows are the kernel's to time out: our clock ends only TUN ones,
 * with or without DR flows around (ntun). */
Test(flows, expire_ends_tun_flows_only)
{
	struct flow_table t;
	struct dest a = { 0 };
	struct flow_key k1 = key(1), k2 = key(2), k3 = key(3);
	struct flow *tun;

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	flows_add(&t, &k1, &a, 1, FLOW_ESTABLISHED, false)->expires = 1;
	cr_expect_eq(flows_expire(&t, 10 * NS), 0);
	tun = flows_add(&t, &k2, &a, 1, FLOW_ESTABLISHED, true);
	tun->expires = 5 * NS;
	flows_add(&t, &k3, &a, 1, FLOW_UDP, true)->expires = 50 * NS;
	cr_expect_eq(t.ntun, 2);
	cr_expect_eq(flows_expire(&t, 10 * NS), 1);
	cr_expect_eq(t.ntun, 1);
	cr_expect_not_null(flows_find(&t, &k1));
	cr_expect_null(flows_find(&t, &k2));
	flows_del(&t, flows_find(&t, &k3));
	cr_expect_eq(t.ntun, 0);
	cr_expect_eq(flows_expire(&t, 100 * NS), 0);
	cr_expect_not_null(flows_find(&t, &k1));
	cr_expect_eq(a.active, 1);
	flows_fini(&t);
}

/* TUN: by our clock; and a freed real server's flows go uncounted. */
Test(flows, tun_expiry_and_dropping_a_dest)
{
	struct flow_table t;
	struct dest a = { 0 }, b = { 0 };
	struct flow_key k1 = key(1), k2 = key(2), k3 = key(3);

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	flows_add(&t, &k1, &a, 1, FLOW_SYN, true)->expires = 5;
	flows_add(&t, &k2, &a, 1, FLOW_ESTABLISHED, true)->expires = 50;
	flows_add(&t, &k3, &b, 2, FLOW_UDP, true)->expires = 50;
	cr_expect_eq(flows_expire(&t, 10), 1);
	cr_expect_eq(a.inactive, 0);
	cr_expect_eq(a.active, 1);
	cr_expect_eq(flows_drop_dest(&t, &b, false), 1);
	cr_expect_eq(b.inactive, 1, "dropped uncounted");
	cr_expect_eq(flows_drop_dest(&t, &a, true), 1);
	cr_expect_eq(a.active, 0);
	cr_expect_eq(t.count, 0);
	flows_fini(&t);
}

/* Records come from the table's chunks: a flow's address stays while
 * others come and go, and a removed flow's record is used again. */
Test(flows, records_are_reused_and_stay_put)
{
	struct flow_table t;
	struct dest a = { 0 };
	struct flow_key k, first = key(60000);
	struct flow *f;
	uint32_t i, n = 20000, used;

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	f = flows_add(&t, &first, &a, 7, FLOW_ESTABLISHED, false);
	for (i = 0; i < n; i++)
		flows_add(&t, &(struct flow_key){ 0 }, &a, 1, FLOW_UDP, false);
	cr_expect_eq(t.count, 2, "the same tuple replaces its flow");
	for (i = 0; i < n; i++) {
		k = key(i & 0xffff);
		k.saddr.b[2] = (uint8_t)(i >> 16);
		flows_add(&t, &k, &a, 1, FLOW_UDP, false);
	}
	cr_expect_eq(flows_find(&t, &first), f, "moved by the table's growth");
	cr_expect_eq(f->mark, 7);
	used = t.used;
	for (i = 0; i < n; i += 2) {
		k = key(i & 0xffff);
		k.saddr.b[2] = (uint8_t)(i >> 16);
		flows_del(&t, flows_find(&t, &k));
	}
	cr_expect_eq(t.count, n / 2 + 2);
	for (i = 0; i < n; i += 2) {
		k = key(i & 0xffff);
		k.saddr.b[2] = (uint8_t)(i >> 16);
		k.proto = IPPROTO_UDP;
		cr_assert_not_null(flows_add(&t, &k, &a, 1, FLOW_UDP, false));
	}
	cr_expect_eq(t.used, used, "freed records taken again");
	cr_expect_eq(a.active, 1);
	cr_expect_eq(a.inactive, (int)n + 1);
	flows_fini(&t);
}

static void count_cb(void *ctx, const struct flow *f)
{
	(void)f;
	(*(unsigned int *)ctx)++;
}

/* A walk in memory order, in slices, skips freed records. */
Test(flows, walk_in_slices_sees_the_live_flows)
{
	struct flow_table t;
	struct dest a = { 0 };
	struct flow_key k;
	unsigned int i, n = 0;
	uint32_t at = 0;

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	for (i = 0; i < 10000; i++) {
		k = key(i & 0xffff);
		k.saddr.b[2] = (uint8_t)(i >> 8);
		cr_assert_not_null(flows_add(&t, &k, &a, 1, FLOW_UDP, false));
	}
	for (i = 0; i < 10000; i += 10) {
		k = key(i & 0xffff);
		k.saddr.b[2] = (uint8_t)(i >> 8);
		flows_del(&t, flows_find(&t, &k));
	}
	do {
		at = flows_walk(&t, at, 777, count_cb, &n);
	} while (at);
	cr_expect_eq(n, 9000);
	n = 0;
	cr_expect_eq(flows_walk(&t, 0, 100000, count_cb, &n), 0);
	cr_expect_eq(n, 9000);
	flows_fini(&t);
}

/* Flows come and go for ever, 3000 at once: the table's memory is what its
 * busiest moment needed, and churn does not add to it. */
Test(flows, churn_keeps_memory_at_the_most_flows_at_once)
{
	struct flow_table t;
	struct dest a = { 0 };
	struct flow_key k;
	const uint32_t live = 3000, rounds = 100000;
	size_t filled;
	uint32_t i;

	cr_assert_eq(flows_init(&t, account, NULL), 0);
	for (i = 0; i < live + rounds; i++) {
		if (i == live)
			filled = flows_bytes(&t);
		if (i >= live) {
			k = key((i - live) & 0xffff);
			k.saddr.b[2] = (uint8_t)((i - live) >> 16);
			flows_del(&t, flows_find(&t, &k));
		}
		k = key(i & 0xffff);
		k.saddr.b[2] = (uint8_t)(i >> 16);
		cr_assert_not_null(flows_add(&t, &k, &a, 1, FLOW_ESTABLISHED, false));
	}
	cr_expect_eq(t.count, live);
	cr_expect_eq(flows_bytes(&t), filled, "%zu -> %zu bytes", filled,
		     flows_bytes(&t));
	cr_expect_geq(filled, live * sizeof(struct flow));
	flows_fini(&t);
}
