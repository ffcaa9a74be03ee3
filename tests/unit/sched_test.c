// SPDX-License-Identifier: GPL-2.0-or-later
/* rr and wrr against IPVS's sequences, built with no kernel. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

struct fixture {
	struct service svc;
	struct dest d[16];
	int n;
};

/* Destinations added in argument order, so the list is reversed (IPVS). */
static void fx_init(struct fixture *f, const char *sched, int n, const int *w)
{
	int i;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(service_init(&f->svc, sched), 0);
	f->n = n;
	for (i = 0; i < n; i++) {
		f->d[i].weight = f->d[i].conf_weight = w[i];
		f->d[i].port = i + 1;	/* identifies it */
		cr_assert_eq(service_add_dest(&f->svc, &f->d[i]), 0);
	}
}

static void fx_fini(struct fixture *f)
{
	service_destroy(&f->svc);
}

/* Schedule @n times; write the picked ports ("1".."n", "-" for none). */
static void run(struct fixture *f, int n, char *out)
{
	struct pkt_info pi = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		struct dest *d = f->svc.sched->schedule(&f->svc, &pi, 0);

		out[i] = d ? '0' + d->port : '-';
	}
	out[n] = '\0';
}

static void expect_seq(struct fixture *f, const char *want)
{
	char got[256];

	run(f, strlen(want), got);
	cr_expect_str_eq(got, want);
}

Test(sched, registry)
{
	cr_expect_not_null(sched_find("rr"));
	cr_expect_not_null(sched_find("wrr"));
	cr_expect_null(sched_find("nope"));
	cr_expect_eq(sched_gcd(12, 18), 6);
	cr_expect_eq(sched_gcd(7, 0), 7);
}

Test(sched, rr_list_order_is_ipvs_order)
{
	static const int w[] = { 1, 1, 1 };
	struct fixture f;

	fx_init(&f, "rr", 3, w);
	cr_expect_eq(f.svc.dests[0]->port, 3, "newest first");
	expect_seq(&f, "321321321");
	fx_fini(&f);
}

Test(sched, rr_skips_unavailable)
{
	static const int w[] = { 1, 0, 5, 1 };
	struct fixture f;

	fx_init(&f, "rr", 4, w);
	/* rr ignores weights other than 0 */
	expect_seq(&f, "431431");
	f.d[2].flags |= DEST_F_OVERLOAD;
	expect_seq(&f, "4141");
	f.d[0].flags |= DEST_F_DOWN;
	expect_seq(&f, "444");
	f.d[3].weight = 0;
	expect_seq(&f, "--");
	f.d[3].weight = 1;
	f.d[2].flags = 0;
	/* last used was 4 (index 0): next is index 1.. */
	expect_seq(&f, "3434");
	fx_fini(&f);
}

Test(sched, rr_position_follows_list_changes)
{
	static const int w[] = { 1, 1, 1 };
	struct fixture f;

	fx_init(&f, "rr", 3, w);		/* list 3 2 1 */
	expect_seq(&f, "32");			/* last = 2 */
	f.d[3].weight = 1;
	f.d[3].port = 4;
	service_add_dest(&f.svc, &f.d[3]);	/* list 4 3 2 1 */
	expect_seq(&f, "1432");
	service_del_dest(&f.svc, &f.d[1]);	/* last (2) goes: back to 3 */
	expect_seq(&f, "143");
	service_del_dest(&f.svc, &f.d[3]);	/* list 3 1; last 3 */
	expect_seq(&f, "131");
	fx_fini(&f);
}

/*
 * Destinations arrive one at a time, as they do in IPVS.  Each arrival
 * recomputes mw and di but keeps cw unless it is 0 or above the new mw
 * (ip_vs_wrr_dest_changed), so after adding weights 3, 2, 1 the first pass
 * runs at cw = 1, set when the lone first server made mw = 1.
 */
Test(sched, wrr_ipvs_sequence)
{
	static const int w[] = { 3, 2, 1 };	/* list: 3(1) 2(2) 1(3) */
	struct fixture f;

	fx_init(&f, "wrr", 3, w);
	/* cw 1: 3 2 1; cw 3: 1; cw 2: 2 1; cw 1: ... */
	expect_seq(&f, "321121" "321121");
	fx_fini(&f);
}

Test(sched, wrr_gcd_step)
{
	static const int w[] = { 4, 2, 6 };	/* gcd 2: like 2 1 3 */
	struct fixture f;

	fx_init(&f, "wrr", 3, w);		/* list: 3(6) 2(2) 1(4) */
	/* mw = 6 - 1 = 5; cw 1: 3 2 1; cw 5: 3; cw 3: 3 1 */
	expect_seq(&f, "321331" "321331");
	fx_fini(&f);
}

Test(sched, wrr_counts_follow_weights)
{
	static const int w[] = { 5, 1, 3, 7, 2 };
	struct fixture f;
	char got[181];
	int c[6] = { 0 }, i;

	fx_init(&f, "wrr", 5, w);
	run(&f, 180, got);		/* 10 cycles of 18 */
	for (i = 0; i < 180; i++)
		c[got[i] - '0']++;
	for (i = 0; i < 5; i++)
		cr_expect_eq(c[i + 1], w[i] * 10, "dest %d: %d", i + 1, c[i + 1]);
	fx_fini(&f);
}

Test(sched, wrr_zero_and_overload)
{
	static const int w[] = { 2, 0, 1 };
	struct fixture f;

	fx_init(&f, "wrr", 3, w);		/* list 3(1) 2(0) 1(2) */
	/* cw 1: 3 1; cw 2: 1 */
	expect_seq(&f, "311311");
	f.d[0].flags |= DEST_F_OVERLOAD;
	expect_seq(&f, "333");
	f.d[2].flags |= DEST_F_OVERLOAD;
	expect_seq(&f, "--");
	f.d[0].flags = f.d[2].flags = 0;
	f.d[0].weight = f.d[2].weight = 0;
	service_upd_dest(&f.svc, &f.d[0]);
	expect_seq(&f, "--");
	fx_fini(&f);
}

Test(sched, wrr_weight_change_recomputes)
{
	static const int w[] = { 1, 1 };
	struct fixture f;

	fx_init(&f, "wrr", 2, w);		/* list 2 1 */
	expect_seq(&f, "2121");
	f.d[0].weight = 3;			/* now 2(1) 1(3) */
	service_upd_dest(&f.svc, &f.d[0]);
	/* cw was 1 <= mw 3: kept; pass from the head with cw 1 */
	expect_seq(&f, "21" "1" "1" "21" "1" "1");
	fx_fini(&f);
}

Test(sched, wrr_down_dest_leaves_the_cycle)
{
	static const int w[] = { 2, 2, 4 };
	struct fixture f;

	fx_init(&f, "wrr", 3, w);		/* list 3(4) 2(2) 1(2), gcd 2 */
	/* cw 1: 3 2 1; cw 3: 3 */
	expect_seq(&f, "3213" "3213");
	f.d[2].flags |= DEST_F_DOWN;
	service_upd_dest(&f.svc, &f.d[2]);
	expect_seq(&f, "2121");
	fx_fini(&f);
}

Test(sched, wrr_overload_flip_keeps_the_position)
{
	static const int w[] = { 1, 1, 1 };	/* list 3 2 1 */
	struct fixture f;

	fx_init(&f, "wrr", 3, w);
	expect_seq(&f, "3");
	/* a threshold trips on dest 1, as service_conns_changed reports it */
	f.d[0].flags |= DEST_F_OVERLOAD;
	service_upd_dest(&f.svc, &f.d[0]);
	/* IPVS does not restart wrr on overload: on from 3, skipping 1 */
	expect_seq(&f, "232");
	/* an edit of the weight does restart from the head (else: 1) */
	f.d[0].flags = 0;
	f.d[0].weight = 2;
	service_upd_dest(&f.svc, &f.d[0]);
	expect_seq(&f, "3");
	fx_fini(&f);	/* LSan (make check SANITIZE=1) */
}
