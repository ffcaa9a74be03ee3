// SPDX-License-Identifier: GPL-2.0-or-later
/* The compact open-addressing table (director/otab.c): growth, deletion,
 * collisions, removal while walking. */
#include <criterion/criterion.h>
#include <string.h>

#include "otab.h"

struct rec {
	uint32_t key[2];	/* the key: 8 bytes */
	uint32_t val;
};

static struct otab t;

static void setup(void)
{
	cr_assert_eq(otab_init(&t, sizeof(struct rec), 8, 16), 0);
}

static void teardown(void)
{
	otab_fini(&t);
}

TestSuite(otab, .init = setup, .fini = teardown);

static struct rec *put(uint32_t k, uint32_t val)
{
	uint32_t key[2] = { k, ~k };
	bool fresh;
	struct rec *r = otab_get(&t, key, &fresh);

	cr_assert(r);
	r->val = val;
	return r;
}

static struct rec *get(uint32_t k)
{
	uint32_t key[2] = { k, ~k };

	return otab_find(&t, key);
}

/* every key in [0, n) is there with value k * 3 when @present(k) */
static void check(uint32_t n, bool (*present)(uint32_t))
{
	uint32_t k;

	for (k = 0; k < n; k++) {
		struct rec *r = get(k);

		if (present(k)) {
			cr_assert(r, "key %u missing", k);
			cr_assert_eq(r->val, k * 3);
		} else {
			cr_assert_null(r, "key %u still there", k);
		}
	}
}

static bool all(uint32_t k) { (void)k; return true; }
static bool odd(uint32_t k) { return k & 1; }
static bool none(uint32_t k) { (void)k; return false; }

Test(otab, new_records_are_zeroed_and_found_again)
{
	uint32_t key[2] = { 7, ~7u };
	bool fresh;
	struct rec *r = otab_get(&t, key, &fresh);

	cr_assert(fresh);
	cr_expect_eq(r->val, 0);
	cr_expect_eq(r->key[0], 7);
	r->val = 5;
	cr_expect_eq(otab_get(&t, key, &fresh), r);
	cr_expect_not(fresh);
	cr_expect_eq(t.count, 1);
}

Test(otab, grows_past_three_quarters_and_shrinks_when_emptied)
{
	uint32_t k;

	for (k = 0; k < 100000; k++)
		put(k, k * 3);
	cr_expect_eq(t.count, 100000);
	cr_expect_geq(t.cap * 3, t.count * 4, "at most 3/4 full");
	cr_expect_leq(t.cap, 262144u, "doubling, no more");
	check(100000, all);
	for (k = 0; k < 100000; k += 2)
		otab_del(&t, get(k));
	check(100000, odd);
	for (k = 1; k < 100000; k += 2)
		otab_del(&t, get(k));
	check(100000, none);
	cr_expect_eq(t.count, 0);
	cr_expect_eq(t.cap, 16u, "back to its first size");
}

/* every key in one slot: the worst run of collisions */
static uint64_t same_hash(const struct otab *tab, const void *key)
{
	(void)tab;
	(void)key;
	return 0x0123456789abcdefull;
}

/* few distinct homes: runs that cross the end of the array */
static uint64_t low_hash(const struct otab *tab, const void *key)
{
	uint32_t k;

	memcpy(&k, key, 4);
	return (uint64_t)(tab->cap - 2 + k % 3) << 0 | (uint64_t)k << 40;
}

Test(otab, collisions_keep_every_record_findable)
{
	uint32_t k;

	t.hash = same_hash;
	for (k = 0; k < 200; k++)
		put(k, k * 3);
	check(200, all);
	/* deleting from the middle of the run shifts the rest back */
	for (k = 0; k < 200; k += 2)
		otab_del(&t, get(k));
	check(200, odd);
	for (k = 0; k < 200; k += 2)
		put(k, k * 3);
	check(200, all);
}

Test(otab, runs_that_wrap_around_survive_deletion)
{
	uint32_t k;

	/* no growth: the homes stay near the end, the runs wrap to slot 0 */
	t.hash = low_hash;
	for (k = 0; k < 10; k++)
		put(k, k * 3);
	cr_assert_eq(t.cap, 16u);
	check(10, all);
	for (k = 0; k < 10; k += 2)
		otab_del(&t, get(k));
	check(10, odd);
}

static bool drop_even(void *rec, void *ctx)
{
	struct rec *r = rec;
	unsigned int *seen = ctx;

	seen[r->key[0]]++;
	return !(r->key[0] & 1);
}

Test(otab, remove_if_sees_every_record_and_removes_what_it_says)
{
	static unsigned int seen[5000];
	uint32_t k;

	for (k = 0; k < 5000; k++)
		put(k, k * 3);
	cr_expect_eq(otab_remove_if(&t, drop_even, seen), 2500);
	for (k = 0; k < 5000; k++)
		cr_expect_geq(seen[k], 1, "key %u not seen", k);
	check(5000, odd);
	cr_expect_eq(t.count, 2500);
}

Test(otab, remove_if_with_collisions_and_wrapping)
{
	static unsigned int seen[40];
	uint32_t k;

	t.hash = low_hash;
	for (k = 0; k < 11; k++)
		put(k, k * 3);
	cr_assert_eq(t.cap, 16u);
	cr_expect_eq(otab_remove_if(&t, drop_even, seen), 6);
	check(11, odd);
}

/*
 * Connections come and go for ever while about as many are there at once
 * (a soak): the table's memory stays what that many need, however long it
 * runs, and goes back to the first size when they are all gone.
 */
Test(otab, churn_keeps_memory_bounded_and_gives_it_back)
{
	const uint32_t live = 1000, rounds = 200000;
	size_t first = otab_bytes(&t), most = 0;
	uint32_t k;

	cr_expect_eq(first, 16 * (sizeof(struct rec) + 1));
	for (k = 0; k < live; k++)
		put(k, k * 3);
	for (k = live; k < live + rounds; k++) {
		otab_del(&t, get(k - live));
		put(k, k * 3);
		if (otab_bytes(&t) > most)
			most = otab_bytes(&t);
	}
	cr_expect_eq(t.count, live);
	/* 1000 records fill at most 3/4 of 2048 slots */
	cr_expect_leq(most, 2048 * (sizeof(struct rec) + 1), "%zu bytes", most);
	for (k = rounds; k < live + rounds; k++)
		otab_del(&t, get(k));
	cr_expect_eq(t.count, 0);
	cr_expect_eq(otab_bytes(&t), first);
}
