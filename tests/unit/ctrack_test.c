// SPDX-License-Identifier: GPL-2.0-or-later
/* Connection accounting from conntrack events: the pure table. */
#include <criterion/criterion.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <stdio.h>
#include <string.h>

#include "ctrack.h"

#define MASK	0x00ff0000
#define S	1000000000ull

/* active/inactive per mark index, as the director would keep them */
static int active[8], inactive[8], calls;

static void account(void *ctx, uint32_t mark, enum ct_class old,
		    enum ct_class cls, const struct ct_event *ev)
{
	int i = mark >> 16;

	(void)ctx;
	(void)ev;
	calls++;
	if (old == CT_ACTIVE)
		active[i]--;
	if (old == CT_INACTIVE)
		inactive[i]--;
	if (cls == CT_ACTIVE)
		active[i]++;
	if (cls == CT_INACTIVE)
		inactive[i]++;
}

static struct ctrack t;

static void setup(void)
{
	memset(active, 0, sizeof(active));
	memset(inactive, 0, sizeof(inactive));
	calls = 0;
	cr_assert_eq(ctrack_init(&t, MASK, account, NULL), 0);
}

static void teardown(void)
{
	ctrack_fini(&t);
}

TestSuite(ctrack, .init = setup, .fini = teardown);

static void ev(uint32_t id, int rs, uint8_t proto, uint8_t state, bool destroy,
	       uint32_t timeout, uint64_t now)
{
	struct ct_event e = {
		.id = id, .mark = (uint32_t)rs << 16 | 0x5, .l4proto = proto,
		.state = state, .destroy = destroy, .timeout = timeout,
	};

	addr_parse("192.0.2.1", &e.src);
	addr_parse("10.0.1.100", &e.dst);
	ctrack_apply(&t, &e, now);
}

Test(ctrack, classes_follow_ipvs)
{
	cr_expect_eq(ctrack_classify(IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED), CT_ACTIVE);
	cr_expect_eq(ctrack_classify(IPPROTO_TCP, TCP_CONNTRACK_SYN_RECV), CT_INACTIVE);
	cr_expect_eq(ctrack_classify(IPPROTO_TCP, TCP_CONNTRACK_FIN_WAIT), CT_INACTIVE);
	cr_expect_eq(ctrack_classify(IPPROTO_UDP, 0), CT_INACTIVE);
}

Test(ctrack, tcp_lifecycle)
{
	ev(1, 2, IPPROTO_TCP, TCP_CONNTRACK_SYN_SENT, false, 120, 0);
	cr_expect_eq(inactive[2], 1);
	ev(1, 2, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 432000, 0);
	cr_expect_eq(active[2], 1);
	cr_expect_eq(inactive[2], 0);
	ev(1, 2, IPPROTO_TCP, TCP_CONNTRACK_FIN_WAIT, false, 120, 0);
	cr_expect_eq(active[2], 0);
	cr_expect_eq(inactive[2], 1);
	ev(1, 2, IPPROTO_TCP, 0, true, 0, 0);
	cr_expect_eq(inactive[2], 0);
	cr_expect_eq(t.stats.tracked, 0);
}

Test(ctrack, events_are_idempotent)
{
	ev(7, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	ev(7, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	cr_expect_eq(active[1], 1, "a repeated NEW/UPDATE does not count twice");
	ev(7, 1, IPPROTO_TCP, 0, true, 0, 0);
	ev(7, 1, IPPROTO_TCP, 0, true, 0, 0);
	cr_expect_eq(active[1], 0, "a repeated DESTROY does not count twice");
	ev(9, 1, IPPROTO_TCP, 0, true, 0, 0);
	cr_expect_eq(active[1] + inactive[1], 0, "unknown DESTROY is ignored");
}

Test(ctrack, udp_is_inactive_and_unmarked_is_ignored)
{
	ev(3, 4, IPPROTO_UDP, 0, false, 30, 0);
	cr_expect_eq(inactive[4], 1);
	ev(4, 0, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	cr_expect_eq(calls, 1, "mark 0 under the mask is not ours");
}

Test(ctrack, mark_change_moves_the_count)
{
	ev(5, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	ev(5, 3, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	cr_expect_eq(active[1], 0);
	cr_expect_eq(active[3], 1);
}

Test(ctrack, overdue_entries_are_reported_once_a_second)
{
	struct ct_event out[4];

	ev(1, 1, IPPROTO_TCP, TCP_CONNTRACK_CLOSE, false, 10, 0);
	ev(2, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 432000, 0);
	cr_expect_eq(ctrack_overdue(&t, 9 * S, out, 4), 0);
	cr_assert_eq(ctrack_overdue(&t, 10 * S, out, 4), 1);
	cr_expect_eq(out[0].id, 1);
	cr_expect_eq(ctrack_overdue(&t, 10 * S + 1, out, 4), 0, "asked again in a second");
	cr_expect_eq(ctrack_overdue(&t, 11 * S, out, 4), 1);
}

Test(ctrack, many_connections_grow_the_table)
{
	uint32_t i;

	for (i = 1; i <= 200000; i++)
		ev(i, 1 + i % 3, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	cr_expect_eq(active[1] + active[2] + active[3], 200000);
	for (i = 1; i <= 200000; i += 2)
		ev(i, 1 + i % 3, IPPROTO_TCP, 0, true, 0, 0);
	cr_expect_eq(active[1] + active[2] + active[3], 100000);
	cr_expect_eq(t.stats.tracked, 100000);
}

/* ---- messages (ctrack_parse), inputs of tests/fuzz/corpus/ct_fuzz ---- */

/* A seed or a crash of ct_fuzz: its netlink messages (after the two bytes
 * that choose the mask), in an aligned buffer as recv() fills one. */
static size_t corpus(const char *name, void *buf, size_t cap)
{
	char path[128];
	uint8_t raw[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "tests/fuzz/corpus/ct_fuzz/%s", name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	cr_assert(n > 2 && n - 2 <= cap);
	memcpy(buf, raw + 2, n - 2);
	return n - 2;
}

static void count_each(void *ctx, const struct ct_event *e, uint32_t mark,
		       uint64_t expires)
{
	char a[ADDR_STRLEN];

	(void)mark;
	(void)expires;
	cr_expect_str_eq(addr_str(&e->dst, a, sizeof(a)), "10.0.1.100");
	(*(int *)ctx)++;
}

Test(ctrack, a_kernel_event_becomes_an_entry)
{
	uint64_t buf[512];
	size_t n = corpus("event0", buf, sizeof(buf));
	int seen = 0;

	ctrack_parse(&t, buf, n, 10 * S);
	cr_assert_eq(t.stats.tracked, 1);
	ctrack_foreach(&t, count_each, &seen);
	cr_expect_eq(seen, 1);
	cr_expect_eq(active[1], 1, "ESTABLISHED with mark 0x10000");
}

/* ct_fuzz found: an entry whose message lacks its source address was
 * followed to NULL (memcpy in ct_to_event). */
Test(ctrack, a_message_without_addresses_is_ignored)
{
	uint64_t buf[512];
	size_t n = corpus("regress-no-address", buf, sizeof(buf));

	ctrack_parse(&t, buf, n, 10 * S);
	cr_expect_eq(t.stats.tracked, 0);
	cr_expect_eq(calls, 0);
}

/* ct_fuzz found: libmnl follows an nlmsg_len above INT_MAX out of the
 * buffer; nl_cb_run() stops at it. */
Test(ctrack, a_length_beyond_the_buffer_stops_the_walk)
{
	uint64_t buf[512];
	size_t n = corpus("regress-nlmsg-len", buf, sizeof(buf));

	ctrack_parse(&t, buf, n, 10 * S);
	cr_expect_eq(t.stats.tracked, 0);
}
