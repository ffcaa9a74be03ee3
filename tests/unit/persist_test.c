// SPDX-License-Identifier: GPL-2.0-or-later
/* Persistence templates: IPVS's lifetime rules with injected time. */
#include <criterion/criterion.h>
#include <string.h>

#include "persist.h"

#define S	1000000000ull

static struct persist_table t;
static struct dest d1, d2;
static struct nflvs_addr c1, c2;

static void setup(void)
{
	cr_assert_eq(persist_init(&t), 0);
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	d1.weight = d2.weight = 1;
	addr_parse("192.0.2.1", &c1);
	addr_parse("192.0.2.2", &c2);
}

static void teardown(void)
{
	persist_fini(&t);
}

TestSuite(persist, .init = setup, .fini = teardown);

Test(persist, bind_lookup_and_count)
{
	cr_expect_null(persist_lookup(&t, &c1, 10, 0));
	cr_assert_eq(persist_bind(&t, &c1, &d1, 10, 0), 0);
	cr_expect_eq(d1.persistconns, 1);
	cr_expect_eq(persist_lookup(&t, &c1, 10, 1 * S), &d1);
	cr_expect_null(persist_lookup(&t, &c2, 10, 1 * S));
	/* repointing moves the count */
	cr_assert_eq(persist_bind(&t, &c1, &d2, 10, 2 * S), 0);
	cr_expect_eq(d1.persistconns, 0);
	cr_expect_eq(d2.persistconns, 1);
	cr_expect_eq(t.count, 1);
}

Test(persist, expires_after_timeout_from_last_use)
{
	persist_bind(&t, &c1, &d1, 10, 0);
	cr_expect_eq(persist_gc(&t, 10, 9 * S), 0);
	cr_expect_eq(persist_lookup(&t, &c1, 10, 9 * S), &d1, "renews to 19 s");
	cr_expect_eq(persist_gc(&t, 10, 18 * S), 0);
	cr_expect_eq(persist_gc(&t, 10, 19 * S), 1);
	cr_expect_null(persist_lookup(&t, &c1, 10, 19 * S));
	cr_expect_eq(d1.persistconns, 0);
}

Test(persist, rearmed_while_the_client_has_connections)
{
	persist_bind(&t, &c1, &d1, 10, 0);
	persist_conn(&t, &c1, +1);
	cr_expect_eq(persist_gc(&t, 10, 10 * S), 0, "re-armed to 20 s");
	persist_conn(&t, &c1, -1);
	cr_expect_eq(persist_gc(&t, 10, 19 * S), 0);
	cr_expect_eq(persist_gc(&t, 10, 20 * S), 1);
}

Test(persist, quiesced_server_keeps_but_does_not_renew)
{
	persist_bind(&t, &c1, &d1, 10, 0);
	d1.weight = 0;
	cr_expect_eq(persist_lookup(&t, &c1, 10, 9 * S), &d1, "still used");
	cr_expect_eq(persist_gc(&t, 10, 10 * S), 1, "not renewed at 9 s");
}

Test(persist, down_or_removed_server_drops_the_template)
{
	persist_bind(&t, &c1, &d1, 10, 0);
	persist_bind(&t, &c2, &d2, 10, 0);
	d1.flags |= DEST_F_DOWN;
	cr_expect_null(persist_lookup(&t, &c1, 10, 1 * S));
	cr_expect_eq(d1.persistconns, 0);
	persist_forget_dest(&t, &d2);
	cr_expect_null(persist_lookup(&t, &c2, 10, 1 * S));
	cr_expect_eq(t.count, 0);
}

Test(persist, many_clients_grow_the_table)
{
	struct nflvs_addr c = { .family = AF_INET };
	uint32_t i;

	for (i = 0; i < 10000; i++) {
		c.b[0] = 10;
		memcpy(c.b + 1, &i, 3);
		cr_assert_eq(persist_bind(&t, &c, i % 2 ? &d1 : &d2, 10, 0), 0);
	}
	cr_expect_eq(t.count, 10000);
	cr_expect_eq(d1.persistconns + d2.persistconns, 10000);
	for (i = 0; i < 10000; i += 999) {
		memcpy(c.b + 1, &i, 3);
		cr_expect_eq(persist_lookup(&t, &c, 10, 0), i % 2 ? &d1 : &d2);
	}
	cr_expect_eq(persist_gc(&t, 10, 10 * S), 10000);
}

/* State sync: a template arrives with the time it had left on the master,
 * not a whole new timeout, and is listed with it. */
static void each_cb(void *ctx, const struct nflvs_addr *client,
		    struct dest *d, uint64_t expires)
{
	uint64_t *got = ctx;

	cr_expect(addr_eq(client, &c1));
	cr_expect_eq(d, &d2);
	*got = expires;
}

Test(persist, install_keeps_the_time_left)
{
	uint64_t got = 0;

	/* 300 s templates; this one had 3 s left on the master at t=10 s */
	cr_assert_eq(persist_install(&t, &c1, &d2, 13 * S), 0);
	cr_expect_eq(d2.persistconns, 1);
	persist_foreach(&t, each_cb, &got);
	cr_expect_eq(got, 13 * S);
	cr_expect_eq(persist_gc(&t, 300, 12 * S), 0);
	cr_expect_eq(persist_gc(&t, 300, 13 * S), 1);
	cr_expect_eq(d2.persistconns, 0);
	/* installed again over a bound one: repointed, counts follow */
	cr_assert_eq(persist_bind(&t, &c1, &d1, 300, 20 * S), 0);
	cr_assert_eq(persist_install(&t, &c1, &d2, 25 * S), 0);
	cr_expect_eq(d1.persistconns, 0);
	cr_expect_eq(d2.persistconns, 1);
	cr_expect_eq(persist_lookup(&t, &c1, 300, 21 * S), &d2);
}
