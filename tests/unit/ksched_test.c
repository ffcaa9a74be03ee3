// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel scheduling (director/ksched.h): which services the kernel may
 * schedule, and the cycle it is given, which must be the very sequence
 * the director's own scheduler would give, repeated.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "ksched.h"
#include "scheduler.h"

#define NDESTS	8

struct fixture {
	struct service svc;
	struct dest d[NDESTS];
};

/* A NAT TCP service of @n real servers of weights @w (0: weight 0). */
static void make(struct fixture *f, const char *sched, const int *w,
		 unsigned int n)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(service_init(&f->svc, sched), 0);
	f->svc.fwd = FWD_NAT;
	f->svc.protocol = IPPROTO_TCP;
	f->svc.port = 80;
	for (i = 0; i < n; i++) {
		f->d[i].weight = f->d[i].conf_weight = w[i];
		f->d[i].mark = (i + 1) << 16;
		f->d[i].fwd = FWD_NAT;
		cr_assert_eq(service_add_dest(&f->svc, &f->d[i]), 0);
	}
}

/* The scheduler's own picks from where it stands, @n of them. */
static void picks(struct service *svc, uint32_t *out, unsigned int n)
{
	struct pkt_info pi = { 0 };
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct dest *d = svc->sched->schedule(svc, &pi, 0);

		cr_assert_not_null(d);
		out[i] = d->mark;
	}
}

/*
 * The cycle, repeated three times, is what the scheduler itself picks
 * from where it stands (after @skip picks of its own, and with the
 * servers of @down down).
 */
static void cycle_is_the_schedulers(const char *sched, const int *w,
				    unsigned int n, uint32_t down,
				    unsigned int skip)
{
	struct fixture f;
	uint32_t cyc[KSCHED_MAX], got[3 * KSCHED_MAX];
	unsigned int len, i;

	make(&f, sched, w, n);
	for (i = 0; i < n; i++) {
		if (!(down & (1u << i)))
			continue;
		f.d[i].flags |= DEST_F_DOWN;
		service_upd_dest(&f.svc, &f.d[i]);
	}
	picks(&f.svc, got, skip);
	len = ksched_cycle(&f.svc, false, cyc);
	cr_assert_gt(len, 0, "%s: no cycle", sched);
	picks(&f.svc, got, 3 * len);
	for (i = 0; i < 3 * len; i++)
		cr_assert_eq(got[i], cyc[i % len],
			     "%s skip %u pick %u: scheduler 0x%x, cycle 0x%x",
			     sched, skip, i, got[i], cyc[i % len]);
	service_destroy(&f.svc);
}

static void every_start(const char *sched, const int *w, unsigned int n,
			uint32_t down)
{
	unsigned int skip;

	for (skip = 0; skip < 20; skip++)
		cycle_is_the_schedulers(sched, w, n, down, skip);
}

Test(ksched, rr_cycle_is_every_available_server_in_list_order)
{
	static const int w[] = { 1, 0, 5, 1, 2 };
	struct fixture f;
	uint32_t cyc[KSCHED_MAX];

	every_start("rr", w, 5, 0);
	every_start("rr", w, 5, 1u << 3);
	make(&f, "rr", w, 5);
	/* IPVS's list: the last added first; weight 0 takes nothing */
	/* (nothing picked yet: from the head) */
	cr_assert_eq(ksched_cycle(&f.svc, false, cyc), 4);
	cr_expect_eq(cyc[0], f.d[4].mark);
	cr_expect_eq(cyc[3], f.d[0].mark);
	service_destroy(&f.svc);
}

Test(ksched, wrr_cycle_is_the_kernels_sequence)
{
	static const int a[] = { 4, 3, 2 }, b[] = { 6, 4, 2, 0, 8 },
			 c[] = { 1, 1, 1, 1, 1, 1, 1, 1 }, d[] = { 100, 50, 25 };

	every_start("wrr", a, 3, 0);
	every_start("wrr", b, 5, 0);
	every_start("wrr", b, 5, 1u << 4);
	every_start("wrr", c, 8, 0x81);
	every_start("wrr", d, 3, 0);
}

Test(ksched, a_cycle_too_long_stays_with_the_director)
{
	static const int w[] = { 1000, 1 };
	struct fixture f;
	uint32_t cyc[KSCHED_MAX];

	make(&f, "wrr", w, 2);
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0);
	service_destroy(&f.svc);
}

Test(ksched, only_what_needs_no_counts_and_no_history)
{
	static const int w[] = { 1, 2 };
	static const char *const counted[] = { "lc", "wlc", "sed", "nq", "sh",
					       "dh", "mh", "lblc", "lblcr",
					       "fo", "ovf", "twos" };
	struct fixture f;
	uint32_t cyc[KSCHED_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
		make(&f, counted[i], w, 2);
		cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "%s", counted[i]);
		service_destroy(&f.svc);
	}

	make(&f, "rr", w, 2);
	cr_assert_eq(ksched_cycle(&f.svc, false, cyc), 2);
	f.svc.protocol = IPPROTO_UDP;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 2, "UDP");
	f.svc.protocol = IPPROTO_SCTP;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "SCTP");
	f.svc.protocol = IPPROTO_TCP;
	f.svc.persistence = 300;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "persistent");
	f.svc.persistence = 0;
	f.svc.one_packet = true;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "one-packet");
	f.svc.one_packet = false;
	f.svc.fwmark = 7;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "firewall mark");
	f.svc.fwmark = 0;
	f.svc.port = 0;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "any port");
	f.svc.port = 80;
	f.svc.fwd = FWD_DR;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "DR, no log bound");
	cr_expect_eq(ksched_cycle(&f.svc, true, cyc), 2, "DR");
	f.d[0].fwd = FWD_TUN;
	cr_expect_eq(ksched_cycle(&f.svc, true, cyc), 0,
		     "TUN sent from user space");
	f.d[0].tun_kernel = true;
	cr_expect_eq(ksched_cycle(&f.svc, true, cyc), 2,
		     "TUN encapsulated by the kernel");
	f.d[0].fwd = FWD_NAT;
	f.svc.fwd = FWD_NAT;
	f.d[1].u_threshold = 100;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "a threshold");
	f.d[1].u_threshold = 0;
	f.d[0].flags |= DEST_F_DOWN;
	f.d[1].flags |= DEST_F_DOWN;
	service_upd_dest(&f.svc, &f.d[0]);
	service_upd_dest(&f.svc, &f.d[1]);
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 0, "none available");
	service_destroy(&f.svc);
}

Test(ksched, below_quorum_everything_goes_to_the_sorry_server)
{
	static const int w[] = { 1, 2 };
	struct fixture f;
	struct dest sorry = { .mark = 0x00090000, .weight = 1 };
	uint32_t cyc[KSCHED_MAX];

	make(&f, "rr", w, 2);
	f.svc.sorry = &sorry;
	f.svc.below_quorum = true;
	cr_assert_eq(ksched_cycle(&f.svc, false, cyc), 1);
	cr_expect_eq(cyc[0], sorry.mark);
	f.svc.below_quorum = false;
	cr_expect_eq(ksched_cycle(&f.svc, false, cyc), 2);
	service_destroy(&f.svc);
}
