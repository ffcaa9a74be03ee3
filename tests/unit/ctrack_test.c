// SPDX-License-Identifier: GPL-2.0-or-later
/* Connection accounting from conntrack events: the pure table. */
#include <criterion/criterion.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <stdio.h>
#include <string.h>

#include "ctrack.h"
#include "fuzz_corpus.h"

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

/* An event of connection @id: its client port (and, past 65535, address)
 * follow from it; conntrack's id is @id too. */
static struct ct_event conn(uint32_t id, int rs, uint8_t proto, uint8_t state,
			    bool destroy, uint32_t timeout)
{
	struct ct_event e = {
		.id = id, .mark = (uint32_t)rs << 16 | 0x5, .l4proto = proto,
		.state = state, .destroy = destroy, .timeout = timeout,
		.sport = htons(id & 0xffff), .dport = htons(80),
	};

	addr_parse("192.0.2.1", &e.src);
	e.src.b[2] = (uint8_t)(id >> 16);
	addr_parse("10.0.1.100", &e.dst);
	return e;
}

static void ev(uint32_t id, int rs, uint8_t proto, uint8_t state, bool destroy,
	       uint32_t timeout, uint64_t now)
{
	struct ct_event e = conn(id, rs, proto, state, destroy, timeout);

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

/* With the per-packet event mask (NAT rules) a connection's messages are
 * new, assured, destroy and, after a FIN or RST, its state changes: a
 * message of another kind (mark, helper) carries no protoinfo and must
 * not move an ESTABLISHED connection to inactive. */
Test(ctrack, a_message_without_the_state_keeps_the_last)
{
	struct ct_event e = conn(2, 3, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED,
				 false, 900);

	ctrack_apply(&t, &e, 0);
	cr_expect_eq(active[3], 1);
	e.state = 0;
	e.nostate = true;
	ctrack_apply(&t, &e, 0);
	cr_expect_eq(active[3], 1, "still ESTABLISHED");
	cr_expect_eq(inactive[3], 0);
	e.state = TCP_CONNTRACK_CLOSE;
	e.nostate = false;
	ctrack_apply(&t, &e, 0);
	cr_expect_eq(active[3], 0);
	cr_expect_eq(inactive[3], 1, "an RST's CLOSE moves it");
	/* a first message without the state: counted inactive, as before */
	e = conn(4, 3, IPPROTO_TCP, 0, false, 120);
	e.nostate = true;
	ctrack_apply(&t, &e, 0);
	cr_expect_eq(inactive[3], 2);
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

Test(ctrack, connections_sharing_a_conntrack_id_count_apart)
{
	/* conntrack's id is a 32-bit hash: a million connections have some
	 * pairs with the same one; the tuple tells them apart */
	struct ct_event a = conn(1, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100);
	struct ct_event b = conn(2, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100);

	b.id = a.id;
	ctrack_apply(&t, &a, 0);
	ctrack_apply(&t, &b, 0);
	cr_expect_eq(active[1], 2);
	cr_expect_eq(t.stats.tracked, 2);
	b.destroy = true;
	ctrack_apply(&t, &b, 0);
	cr_expect_eq(active[1], 1, "the other one stays");
}

Test(ctrack, ipv6_connections_have_their_own_records)
{
	struct ct_event e = conn(1, 2, IPPROTO_UDP, 0, false, 30);
	struct ct_event f = e;

	addr_parse("2001:db8::1", &f.src);
	addr_parse("2001:db8::100", &f.dst);
	ctrack_apply(&t, &e, 0);
	ctrack_apply(&t, &f, 0);
	cr_expect_eq(inactive[2], 2);
	f.destroy = true;
	ctrack_apply(&t, &f, 0);
	cr_expect_eq(inactive[2], 1);
	cr_expect_eq(t.stats.tracked, 1);
}

struct seen {
	unsigned int n;
	struct ct_event ev;
	uint32_t mark;
	uint64_t expires;
};

static void each(void *ctx, const struct ct_event *ev, uint32_t mark,
		 uint64_t expires)
{
	struct seen *s = ctx;

	s->n++;
	s->ev = *ev;
	s->mark = mark;
	s->expires = expires;
}

Test(ctrack, listing_gives_back_the_connection)
{
	struct ct_event e = conn(77, 3, IPPROTO_TCP, TCP_CONNTRACK_FIN_WAIT, false, 120);
	struct seen s = { 0 };

	addr_parse("2001:db8::7", &e.src);
	addr_parse("2001:db8::100", &e.dst);
	ctrack_apply(&t, &e, 5 * S + 1);
	ctrack_foreach(&t, each, &s);
	cr_assert_eq(s.n, 1);
	cr_expect(addr_eq(&s.ev.src, &e.src));
	cr_expect(addr_eq(&s.ev.dst, &e.dst));
	cr_expect_eq(s.ev.sport, e.sport);
	cr_expect_eq(s.ev.dport, e.dport);
	cr_expect_eq(s.ev.l4proto, IPPROTO_TCP);
	cr_expect_eq(s.ev.state, TCP_CONNTRACK_FIN_WAIT);
	cr_expect_eq(s.ev.id, 77);
	cr_expect_eq(s.mark, 3u << 16);
	cr_expect_eq(s.expires, 126 * S, "to the second, never early");
}

Test(ctrack, a_resync_removes_what_it_did_not_see)
{
	uint32_t i;

	for (i = 1; i <= 1000; i++)
		ev(i, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	ctrack_resync_begin(&t);
	for (i = 1; i <= 1000; i += 4)
		ev(i, 1, IPPROTO_TCP, TCP_CONNTRACK_ESTABLISHED, false, 100, 0);
	ctrack_resync_end(&t);
	cr_expect_eq(active[1], 250);
	cr_expect_eq(t.stats.tracked, 250);
	for (i = 1; i <= 1000; i++)
		ev(i, 1, IPPROTO_TCP, 0, true, 0, 0);
	cr_expect_eq(active[1], 0);
	cr_expect_eq(t.stats.tracked, 0);
}

/* ---- messages (ctrack_parse), inputs of tests/fuzz/corpus/ct_fuzz ---- */

static size_t corpus(const char *name, void *buf, size_t cap)
{
	return fuzz_corpus("ct_fuzz", name, 2, buf, cap);
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

/* ct_fuzz found: an attribute of a size libnetfilter_conntrack does not
 * expect made its parser exit() (abi_breakage()), taking the director
 * with it; the message is read with libmnl now, and ignored. */
Test(ctrack, an_attribute_of_the_wrong_size_is_ignored_not_fatal)
{
	uint64_t buf[512];
	size_t n = corpus("regress-attr-size", buf, sizeof(buf));

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
