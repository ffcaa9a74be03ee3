// SPDX-License-Identifier: GPL-2.0-or-later
/* Mark values by key (director/mark.c). */
#include <criterion/criterion.h>

#include "mark.h"

static struct markspace M;

static void setup(void)
{
	cr_assert_eq(mark_init(&M, 0x00070000), 0);	/* indices 1..7 */
}

static void teardown(void)
{
	mark_fini(&M);
}

TestSuite(mark, .init = setup, .fini = teardown);

Test(mark, a_key_gets_its_home_index)
{
	uint32_t h = mark_home(&M, "10.0.2.11:80 of TCP 10.0.1.1:80");

	cr_assert(h >= 1 && h <= 7);
	cr_expect_eq(mark_alloc_key(&M, "10.0.2.11:80 of TCP 10.0.1.1:80", 0),
		     h << 16);
}

Test(mark, a_taken_home_probes_forward_and_wraps)
{
	const char *k = "10.0.2.11:80 of TCP 10.0.1.1:80";
	uint32_t h = mark_home(&M, k), i, want;

	cr_assert_eq(mark_take_index(&M, h), h << 16);
	want = h % 7 + 1;
	cr_expect_eq(mark_alloc_key(&M, k, 0), want << 16);
	/* fill everything else: the next one finds nothing */
	for (i = 1; i <= 7; i++)
		mark_take_index(&M, i);
	cr_expect_eq(mark_alloc_key(&M, k, 0), 0);
	mark_free(&M, 3 << 16);
	cr_expect_eq(mark_alloc_key(&M, k, 0), 3u << 16);
}

Test(mark, a_free_preferred_index_wins)
{
	cr_expect_eq(mark_alloc_key(&M, "x", 5), 5u << 16);
	/* taken: the key's own */
	cr_expect_neq(mark_alloc_key(&M, "x", 5), 5u << 16);
	cr_expect_eq(mark_take_index(&M, 8), 0, "beyond the mask");
	cr_expect_eq(mark_take_index(&M, 0), 0);
}
