// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The director's side of health checking (director/health.c): the rule
 * from a checker's record to a real server's scheduling state, then that
 * rule carried out against a real segment whose health half the test
 * writes the way nflvs-healthcheck does.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health.h"
#include "log.h"
#include "packet.h"
#include "publish.h"
#include "svctab.h"

/* ---- the rule --------------------------------------------------------------- */

static char *up_argv[] = { "/bin/true", "up", NULL };
static char *down_argv[] = { "/bin/true", "down", NULL };

enum { NONE, UP, DOWN };

#define QUIESCE	ON_FAILURE_QUIESCE
#define REMOVE	ON_FAILURE_REMOVE
#define OVL	DEST_F_OVERLOAD

static const struct judge_case {
	const char *name;
	/* the real server as it is */
	enum on_failure on_failure;
	bool expire_connections;
	uint32_t hstate, flags;
	int weight, conf_weight;
	/* the checker's record */
	uint32_t state;
	int32_t hweight;
	/* what it means */
	int want_weight;
	uint32_t want_flags;
	bool changed, transition, expire;
	int notify;
} cases[] = {
	{ "up with the checker's weight", REMOVE, false,
	  NFLVS_RS_UP, 0, 1, 1, NFLVS_RS_UP, 5,
	  5, 0, true, false, false, NONE },
	{ "up with -1: the configured weight", REMOVE, false,
	  NFLVS_RS_UP, 0, 5, 3, NFLVS_RS_UP, -1,
	  3, 0, true, false, false, NONE },
	{ "up with the checker's weight 0", REMOVE, false,
	  NFLVS_RS_UP, 0, 3, 3, NFLVS_RS_UP, 0,
	  0, 0, true, false, false, NONE },
	{ "up, nothing new", REMOVE, true,
	  NFLVS_RS_UP, 0, 3, 3, NFLVS_RS_UP, -1,
	  3, 0, false, false, false, NONE },
	{ "never checked: as up", REMOVE, true,
	  NFLVS_RS_UNKNOWN, 0, 4, 4, NFLVS_RS_UNKNOWN, -1,
	  4, 0, false, false, false, NONE },
	{ "down, remove: DOWN, weight kept", REMOVE, false,
	  NFLVS_RS_UP, 0, 2, 2, NFLVS_RS_DOWN, -1,
	  2, DEST_F_DOWN, true, true, false, DOWN },
	{ "down, quiesce: weight 0, not DOWN", QUIESCE, false,
	  NFLVS_RS_UP, 0, 2, 2, NFLVS_RS_DOWN, -1,
	  0, 0, true, true, false, DOWN },
	{ "down, quiesce, a checker's weight: still 0", QUIESCE, false,
	  NFLVS_RS_UP, 0, 2, 2, NFLVS_RS_DOWN, 7,
	  0, 0, true, true, false, DOWN },
	{ "down with expire_connections", REMOVE, true,
	  NFLVS_RS_UP, 0, 2, 2, NFLVS_RS_DOWN, -1,
	  2, DEST_F_DOWN, true, true, true, DOWN },
	{ "down, quiesce, expire_connections", QUIESCE, true,
	  NFLVS_RS_UP, 0, 2, 2, NFLVS_RS_DOWN, -1,
	  0, 0, true, true, true, DOWN },
	{ "down at the first check", REMOVE, true,
	  NFLVS_RS_UNKNOWN, 0, 2, 2, NFLVS_RS_DOWN, -1,
	  2, DEST_F_DOWN, true, true, true, DOWN },
	{ "still down: no transition, no expiry", REMOVE, true,
	  NFLVS_RS_DOWN, DEST_F_DOWN, 2, 2, NFLVS_RS_DOWN, -1,
	  2, DEST_F_DOWN, false, false, false, NONE },
	{ "down -> up: notify_up", REMOVE, true,
	  NFLVS_RS_DOWN, DEST_F_DOWN, 2, 2, NFLVS_RS_UP, -1,
	  2, 0, true, true, false, UP },
	{ "quiesced down -> up: the weight back", QUIESCE, false,
	  NFLVS_RS_DOWN, 0, 0, 2, NFLVS_RS_UP, -1,
	  2, 0, true, true, false, UP },
	{ "unknown -> up: no news", REMOVE, true,
	  NFLVS_RS_UNKNOWN, 0, 2, 2, NFLVS_RS_UP, -1,
	  2, 0, false, true, false, NONE },
	{ "down -> unknown (checker restarted): scheduled again", REMOVE, false,
	  NFLVS_RS_DOWN, DEST_F_DOWN, 2, 2, NFLVS_RS_UNKNOWN, -1,
	  2, 0, true, true, false, UP },
	{ "other flags are kept", REMOVE, false,
	  NFLVS_RS_DOWN, DEST_F_DOWN | OVL, 2, 2, NFLVS_RS_UP, -1,
	  2, OVL, true, true, false, UP },
	{ "other flags are kept going down", REMOVE, false,
	  NFLVS_RS_UP, OVL, 2, 2, NFLVS_RS_DOWN, -1,
	  2, DEST_F_DOWN | OVL, true, true, false, DOWN },
};

Test(health_judge, table)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct judge_case *t = &cases[i];
		struct dest d = { .hstate = t->hstate, .flags = t->flags,
				  .weight = t->weight,
				  .conf_weight = t->conf_weight };
		shm_rs_health_t h = { .state = t->state, .weight = t->hweight };
		struct health_change c;

		d.cfg.check.on_failure = t->on_failure;
		d.cfg.check.expire_connections = t->expire_connections;
		d.cfg.notify_up = up_argv;
		d.cfg.notify_down = down_argv;
		memset(&c, 0xa5, sizeof(c));	/* every field is written */
		health_judge(&d, &h, &c);
		cr_expect_eq(c.weight, t->want_weight, "%s: weight %d", t->name,
			     c.weight);
		cr_expect_eq(c.flags, t->want_flags, "%s: flags %#x", t->name,
			     c.flags);
		cr_expect_eq(c.changed, t->changed, "%s: changed", t->name);
		cr_expect_eq(c.transition, t->transition, "%s: transition",
			     t->name);
		cr_expect_eq(c.expire, t->expire, "%s: expire", t->name);
		cr_expect_eq(c.notify, t->notify == UP ? up_argv :
				       t->notify == DOWN ? down_argv : NULL,
			     "%s: notify", t->name);
	}
}

/* ---- carried out, against a segment --------------------------------------------- */

static char shm_name[64];
static struct shm_map m;
static struct svcset set;
static struct service *svc;
static struct dest *d[3], sorry;
static struct health h;
static struct dest *expired[8];
static unsigned int nexpired;

static void expire_hook(void *ctx, struct dest *dst)
{
	cr_assert_eq(ctx, &set, "the hook's context");
	cr_assert_lt(nexpired, 8);
	expired[nexpired++] = dst;
}

static void setup(void)
{
	struct service **v = calloc(1, sizeof(*v));
	struct svctab tab;
	unsigned int i;

	log_set_level(LOG_ERR);		/* transitions are asserted, not read */
	snprintf(shm_name, sizeof(shm_name), "/nflvs-unit-health-%d",
		 (int)getpid());
	cr_assert_eq(shm_create(&m, shm_name, 4, 16), 0);
	cr_assert_eq(svcset_init(&set, 0x00ff0000), 0);
	svc = calloc(1, sizeof(*svc));
	cr_assert(svc && v);
	cr_assert_eq(service_init(svc, "rr"), 0);
	svc->protocol = IPPROTO_TCP;
	svc->port = 80;
	addr_parse("10.0.3.100", &svc->vip);
	svc->family = AF_INET;
	cr_assert_eq(publish_service_slot(&m, svc), 0);
	for (i = 0; i < 3; i++) {
		d[i] = calloc(1, sizeof(*d[i]));
		cr_assert_not_null(d[i]);
		addr_parse("10.0.2.11", &d[i]->addr);
		d[i]->addr.b[3] += i;
		d[i]->port = 80;
		d[i]->weight = d[i]->conf_weight = 1;
		d[i]->hweight = -1;
		cr_assert_eq(svcset_mark_take(&set, d[i], NULL), 0);
		cr_assert_eq(publish_dest_slot(&m, d[i]), 0);
		cr_assert_eq(service_add_dest(svc, d[i]), 0);
	}
	memset(&sorry, 0, sizeof(sorry));
	addr_parse("10.0.9.9", &sorry.addr);
	sorry.weight = sorry.conf_weight = 1;
	sorry.shm_slot = -1;
	sorry.svc = svc;
	v[0] = svc;
	cr_assert_eq(svctab_build(&tab, v, 1), 0);
	svcset_replace(&set, v, 1, &tab);
	h = (struct health){ .shm = &m, .set = &set, .expire = expire_hook,
			     .ctx = &set };
	nexpired = 0;
}

static void teardown(void)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		svcset_mark_release(&set, d[i]);
		free(d[i]);
	}
	service_destroy(svc);
	free(svc);
	svcset_fini(&set);
	shm_close(&m);
	shm_unlink(shm_name);
}

TestSuite(health, .init = setup, .fini = teardown);

/* The checker's result for @dst, published as nflvs-healthcheck does:
 * the health half under its seqlock, then a new health generation
 * (unless @quiet). */
static void checker_says(struct dest *dst, uint32_t state, int32_t weight,
			 bool quiet)
{
	struct nflvs_shm_rs *r = &m.rs[dst->shm_slot];
	shm_rs_health_t rec;

	cr_assert_eq(nflvs_seq_read(&r->hseq, &rec, &r->health, sizeof(rec)), 0);
	rec.state = state;
	rec.weight = weight;
	rec.transitions++;
	snprintf(rec.last_error, sizeof(rec.last_error), "%s",
		 state == NFLVS_RS_DOWN ? "connection refused" : "");
	nflvs_seq_write(&r->hseq, &r->health, &rec, sizeof(rec));
	if (!quiet)
		__atomic_add_fetch(&m.hdr->health_generation, 1,
				   __ATOMIC_RELEASE);
}

/* As the director does: apply, then publish what moved. */
static void apply(struct dest *dst, uint32_t state, int32_t weight)
{
	checker_says(dst, state, weight, true);
	if (health_apply_dest(&h, svc, dst))
		publish_service_dests(&m, svc);
}

/* How many of @n picks went to @dst. */
static unsigned int picks(struct dest *dst, unsigned int n)
{
	struct pkt_info pi = { .family = AF_INET, .l4proto = IPPROTO_TCP };
	unsigned int i, hits = 0;

	for (i = 0; i < n; i++)
		hits += service_pick(svc, &pi, 0) == dst;
	return hits;
}

static __typeof__(((struct nflvs_shm_rs *)0)->dir) dir_of(struct dest *dst)
{
	struct nflvs_shm_rs *r = &m.rs[dst->shm_slot];
	__typeof__(r->dir) dir;

	cr_assert_eq(nflvs_seq_read(&r->seq, &dir, &r->dir, sizeof(dir)), 0);
	return dir;
}

Test(health, weight_and_flags_applied_and_published)
{
	/* applied, not published: the caller publishes once the kernel's
	 * chains follow too */
	checker_says(d[0], NFLVS_RS_UP, 7, true);
	cr_expect(health_apply_dest(&h, svc, d[0]), "it moved");
	cr_expect_eq(d[0]->weight, 7);
	cr_expect_neq(dir_of(d[0]).eff_weight, 7, "not yet published");
	cr_expect_not(health_apply_dest(&h, svc, d[0]), "nothing moved");
	publish_service_dests(&m, svc);
	cr_expect_eq(d[0]->weight, 7);
	cr_expect_eq(d[0]->flags, 0);
	cr_expect_eq(d[0]->hstate, NFLVS_RS_UP);
	cr_expect_eq(d[0]->hweight, 7);
	cr_expect_eq(dir_of(d[0]).eff_weight, 7, "published");
	cr_expect_eq(dir_of(d[0]).weight, 1, "the configured one");
	apply(d[0], NFLVS_RS_DOWN, -1);
	cr_expect_eq(d[0]->flags, DEST_F_DOWN);
	cr_expect_eq(d[0]->weight, 1, "-1: the configured weight");
	cr_expect_eq(d[0]->hstate, NFLVS_RS_DOWN);
	cr_expect_eq(dir_of(d[0]).flags, NFLVS_RS_F_DOWN);
	cr_expect_eq(dir_of(d[0]).eff_weight, 0);
	apply(d[0], NFLVS_RS_UP, -1);
	cr_expect_eq(d[0]->flags, 0);
	cr_expect_eq(dir_of(d[0]).flags, 0);
	cr_expect_eq(dir_of(d[0]).eff_weight, 1);
	/* the others untouched */
	cr_expect_eq(d[1]->hstate, NFLVS_RS_UNKNOWN);
	cr_expect_eq(d[1]->weight, 1);
}

Test(health, the_scheduler_stops_picking_a_down_server)
{
	cr_expect_eq(picks(d[1], 9), 3, "rr: every third");
	apply(d[1], NFLVS_RS_DOWN, -1);
	cr_expect_eq(picks(d[1], 9), 0);
	cr_expect_eq(picks(d[0], 10), 5, "the other two share");
	apply(d[1], NFLVS_RS_UP, -1);
	cr_expect_eq(picks(d[1], 9), 3, "back in the rotation");
}

/* wrr keeps its weights: it must be told of the checker's. */
Test(health, the_scheduler_learns_the_checkers_weight)
{
	cr_assert_eq(service_set_scheduler(svc, "wrr"), 0);
	cr_expect_eq(picks(d[0], 30), 10);
	apply(d[0], NFLVS_RS_UP, 4);
	cr_expect_eq(picks(d[0], 60), 40, "4 of every 6");
	apply(d[0], NFLVS_RS_UP, 1);
	cr_expect_eq(picks(d[0], 60), 20);
}

Test(health, quiesce_keeps_it_in_the_list_with_weight_zero)
{
	d[2]->cfg.check.on_failure = ON_FAILURE_QUIESCE;
	apply(d[2], NFLVS_RS_DOWN, -1);
	cr_expect_eq(d[2]->weight, 0);
	cr_expect_eq(d[2]->flags, 0);
	cr_expect_eq(picks(d[2], 9), 0);
	cr_expect_eq(dir_of(d[2]).flags, 0);
	cr_expect_eq(dir_of(d[2]).eff_weight, 0);
	apply(d[2], NFLVS_RS_UP, -1);
	cr_expect_eq(d[2]->weight, 1);
	cr_expect_eq(picks(d[2], 9), 3);
}

Test(health, quorum_and_the_sorry_server)
{
	svc->quorum = 2;
	svc->sorry = &sorry;
	apply(d[0], NFLVS_RS_DOWN, -1);
	cr_expect_not(svc->below_quorum, "live weight 2");
	cr_expect_eq(picks(&sorry, 4), 0);
	apply(d[1], NFLVS_RS_DOWN, -1);
	cr_expect(svc->below_quorum, "live weight 1");
	cr_expect_eq(picks(&sorry, 4), 4, "every new connection");
	cr_expect_eq(sorry.conns, 4);
	/* a checker's weight counts */
	apply(d[2], NFLVS_RS_UP, 3);
	cr_expect_not(svc->below_quorum, "live weight 3");
	cr_expect_eq(picks(d[2], 4), 4);
	apply(d[2], NFLVS_RS_UP, 1);
	cr_expect(svc->below_quorum);
	apply(d[1], NFLVS_RS_UP, -1);
	cr_expect_not(svc->below_quorum, "back at quorum");
	cr_expect_eq(picks(&sorry, 4), 0);
	cr_expect_eq(sorry.conns, 4);
}

Test(health, below_quorum_without_a_sorry_server_still_schedules)
{
	svc->quorum = 3;
	apply(d[0], NFLVS_RS_DOWN, -1);
	cr_expect(svc->below_quorum);
	cr_expect_eq(picks(d[1], 8), 4, "rr over the two live ones");
	cr_expect_eq(svc->noavail, 0);
}

Test(health, expire_hook_on_the_down_transition_only)
{
	d[0]->cfg.check.expire_connections = true;
	apply(d[0], NFLVS_RS_UP, -1);
	cr_expect_eq(nexpired, 0);
	apply(d[0], NFLVS_RS_DOWN, -1);
	cr_expect_eq(nexpired, 1);
	cr_expect_eq(expired[0], d[0]);
	apply(d[0], NFLVS_RS_DOWN, -1);
	health_apply_dest(&h, svc, d[0]);
	cr_expect_eq(nexpired, 1, "still down: not again");
	apply(d[0], NFLVS_RS_UP, -1);
	cr_expect_eq(nexpired, 1);
	apply(d[0], NFLVS_RS_DOWN, -1);
	cr_expect_eq(nexpired, 2);
	/* without expire_connections: never */
	apply(d[1], NFLVS_RS_DOWN, -1);
	cr_expect_eq(nexpired, 2);
}

Test(health, poll_only_when_the_generation_moves)
{
	uint64_t gen;

	checker_says(d[0], NFLVS_RS_DOWN, -1, true);
	health_poll(&h);
	cr_expect_eq(d[0]->flags, 0, "no new generation: not read");
	cr_expect_eq(d[0]->hstate, NFLVS_RS_UNKNOWN);
	checker_says(d[2], NFLVS_RS_UP, 4, false);
	health_poll(&h);
	cr_expect_eq(d[0]->flags, DEST_F_DOWN, "every record is read");
	cr_expect_eq(d[2]->weight, 4);
	gen = h.gen;
	cr_expect_eq(gen, m.hdr->health_generation);
	/* a change without a new generation waits for the next one */
	checker_says(d[0], NFLVS_RS_UP, -1, true);
	health_poll(&h);
	cr_expect_eq(d[0]->flags, DEST_F_DOWN);
	cr_expect_eq(h.gen, gen);
	__atomic_add_fetch(&m.hdr->health_generation, 1, __ATOMIC_RELEASE);
	health_poll(&h);
	cr_expect_eq(d[0]->flags, 0);
	cr_expect_eq(h.gen, gen + 1);
}

Test(health, a_dest_without_a_record_is_left_alone)
{
	checker_says(d[0], NFLVS_RS_UP, 3, true);
	checker_says(d[1], NFLVS_RS_DOWN, 5, false);
	publish_dest_gone(&m, d[1]);
	health_apply_dest(&h, svc, d[1]);
	health_poll(&h);
	cr_expect_eq(d[1]->flags, 0, "its old slot is not read");
	cr_expect_eq(d[1]->weight, 1);
	cr_expect_eq(d[1]->hstate, NFLVS_RS_UNKNOWN);
	cr_expect_eq(d[0]->weight, 3, "the others are applied");
}

/* notify_down runs its argv (no shell); what it does is not waited on
 * by the director, but here its child is ours to reap. */
Test(health, notify_down_is_spawned)
{
	int status;
	pid_t pid;

	d[0]->cfg.notify_down = down_argv;
	d[0]->cfg.notify_up = up_argv;
	apply(d[0], NFLVS_RS_DOWN, -1);
	pid = waitpid(-1, &status, 0);
	cr_expect_gt(pid, 0, "a child was spawned");
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	apply(d[0], NFLVS_RS_DOWN, -1);
	cr_expect_eq(waitpid(-1, &status, WNOHANG), -1, "no second one");
}
