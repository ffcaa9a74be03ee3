// SPDX-License-Identifier: GPL-2.0-or-later
/* The checker's event loop: the timer heap and watches. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "evloop.h"

#define N 2000

struct tt {
	struct timer t;
	int id;
};

static struct evloop loop;
static int fired[N], nfired;
static uint64_t last_when;

static void on_timer(struct timer *t)
{
	struct tt *x = container_of(t, struct tt, t);

	cr_assert_geq(t->when, last_when, "timers fire in order");
	last_when = t->when;
	fired[nfired++] = x->id;
}

Test(hc_evloop, timers_fire_in_order_and_deleted_ones_never)
{
	static struct tt tt[N];
	uint64_t base;
	int i, expect = 0;

	cr_assert_eq(evloop_init(&loop), 0);
	base = evloop_clock() - 1000000000ull;	/* all due already */
	srand(7);
	for (i = 0; i < N; i++) {
		tt[i].id = i;
		tt[i].t.fn = on_timer;
		evloop_timer_set(&loop, &tt[i].t, base + (uint64_t)(rand() % 100000));
	}
	/* re-arm some, cancel every third */
	for (i = 0; i < N; i += 7)
		evloop_timer_set(&loop, &tt[i].t, base + (uint64_t)(rand() % 100000));
	for (i = 0; i < N; i += 3)
		evloop_timer_del(&loop, &tt[i].t);
	for (i = 0; i < N; i++)
		expect += i % 3 != 0;
	cr_expect_eq(evloop_next(&loop) <= base + 100000, true);
	while (nfired < expect && evloop_run_once(&loop, 0) == 0)
		;
	cr_expect_eq(nfired, expect);
	for (i = 0; i < nfired; i++)
		cr_expect_neq(fired[i] % 3, 0, "timer %d was cancelled", fired[i]);
	cr_expect(!evloop_timer_armed(&tt[1].t));
	cr_expect_eq(evloop_next(&loop), UINT64_MAX);
	evloop_free(&loop);
}

static int events;

static void on_event(struct watch *w, uint32_t ev)
{
	char c;

	(void)ev;
	events++;
	cr_assert_eq(read(w->fd, &c, 1), 1);
}

Test(hc_evloop, a_watch_deleted_in_the_batch_is_skipped)
{
	struct watch a = { .fn = on_event }, b = { .fn = on_event };
	int p[2], q[2];

	cr_assert_eq(evloop_init(&loop), 0);
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(pipe(q), 0);
	cr_assert_eq(evloop_watch_add(&loop, &a, p[0], EPOLLIN), 0);
	cr_assert_eq(evloop_watch_add(&loop, &b, q[0], EPOLLIN), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert_eq(evloop_run_once(&loop, 1000), 0);
	cr_expect_eq(events, 1);
	evloop_watch_del(&loop, &b);
	cr_assert_eq(write(q[1], "y", 1), 1);
	cr_assert_eq(evloop_run_once(&loop, 50), 0);
	cr_expect_eq(events, 1, "no event after the watch was deleted");
	cr_expect(b.dead);
	evloop_free(&loop);
}
