// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The director's records in shared memory (director/publish.c), read
 * back from a real segment the way the checker and the tools read them:
 * under each half's seqlock.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "publish.h"
#include "svctab.h"

typedef __typeof__(((struct nflvs_shm_service *)0)->dir) svc_dir_t;
typedef __typeof__(((struct nflvs_shm_rs *)0)->dir) rs_dir_t;

static char shm_name[64];
static struct shm_map m;
static struct service s1, s2;
static struct dest d1, d2, d3;

static void svc_init(struct service *svc, const char *sched)
{
	memset(svc, 0, sizeof(*svc));
	svc->shm_slot = -1;
	cr_assert_eq(service_init(svc, sched), 0);
}

static void dest_init(struct dest *d, struct service *svc, const char *addr,
		      uint16_t port)
{
	memset(d, 0, sizeof(*d));
	d->shm_slot = -1;
	cr_assert_eq(addr_parse(addr, &d->addr), 0);
	d->port = port;
	d->weight = d->conf_weight = 1;
	cr_assert_eq(service_add_dest(svc, d), 0);
}

static void setup(void)
{
	snprintf(shm_name, sizeof(shm_name), "/nflvs-unit-publish-%d",
		 (int)getpid());
	cr_assert_eq(shm_create(&m, shm_name, 2, 3), 0);
	svc_init(&s1, "wlc");
	svc_init(&s2, "rr");
	dest_init(&d1, &s1, "2001:db8:2::11", 53);
	dest_init(&d2, &s1, "2001:db8:2::12", 5353);
	dest_init(&d3, &s2, "10.0.2.13", 0);
}

static void teardown(void)
{
	service_destroy(&s1);
	service_destroy(&s2);
	shm_close(&m);
	shm_unlink(shm_name);
}

TestSuite(publish, .init = setup, .fini = teardown);

static void slots(void)
{
	cr_assert_eq(publish_service_slot(&m, &s1), 0);
	cr_assert_eq(publish_service_slot(&m, &s2), 0);
	cr_assert_eq(publish_dest_slot(&m, &d1), 0);
	cr_assert_eq(publish_dest_slot(&m, &d2), 0);
	cr_assert_eq(publish_dest_slot(&m, &d3), 0);
}

static svc_dir_t svc_dir(const struct service *svc)
{
	struct nflvs_shm_service *r = &m.svc[svc->shm_slot];
	svc_dir_t dir;

	cr_assert_eq(nflvs_seq_read(&r->seq, &dir, &r->dir, sizeof(dir)), 0);
	return dir;
}

static rs_dir_t rs_dir(const struct dest *d)
{
	struct nflvs_shm_rs *r = &m.rs[d->shm_slot];
	rs_dir_t dir;

	cr_assert_eq(nflvs_seq_read(&r->seq, &dir, &r->dir, sizeof(dir)), 0);
	return dir;
}

Test(publish, slots_and_distinct_ids)
{
	uint32_t ids[5];
	unsigned int i, j;

	slots();
	cr_expect_eq(s1.shm_slot, 0);
	cr_expect_eq(s2.shm_slot, 1);
	cr_expect_eq(d1.shm_slot, 0);
	cr_expect_eq(d2.shm_slot, 1);
	cr_expect_eq(d3.shm_slot, 2);
	cr_expect_eq(m.svc[0].id, s1.id);
	cr_expect_eq(m.svc[1].id, s2.id);
	cr_expect_eq(m.rs[2].id, d3.id);
	ids[0] = s1.id;
	ids[1] = s2.id;
	ids[2] = d1.id;
	ids[3] = d2.id;
	ids[4] = d3.id;
	for (i = 0; i < 5; i++) {
		cr_expect_neq(ids[i], 0);
		for (j = 0; j < i; j++)
			cr_expect_neq(ids[i], ids[j], "ids %u and %u", i, j);
	}
}

Test(publish, a_full_segment_gives_no_slot)
{
	struct service s3;
	struct dest d4;

	slots();
	svc_init(&s3, "rr");
	dest_init(&d4, &s3, "10.0.2.14", 0);
	cr_expect_eq(publish_service_slot(&m, &s3), -ENOSPC);
	cr_expect_eq(s3.shm_slot, -1);
	cr_expect_eq(publish_dest_slot(&m, &d4), -ENOSPC);
	cr_expect_eq(d4.shm_slot, -1);
	/* and without a slot, nothing is written anywhere */
	s3.port = 99;
	d4.port = 99;
	publish_service(&m, &s3);
	publish_dest(&m, &d4);
	cr_expect_neq(svc_dir(&s1).port, 99);
	cr_expect_neq(rs_dir(&d1).port, 99);
	service_destroy(&s3);
}

Test(publish, service_record)
{
	svc_dir_t dir;

	slots();
	s1.family = AF_INET6;
	s1.protocol = IPPROTO_UDP;
	s1.port = 53;
	addr_parse("2001:db8:3::100", &s1.vip);
	snprintf(s1.name, sizeof(s1.name), "dns");
	s1.sched_flags = 3;
	s1.persistence = 300;
	s1.netmask = 64;
	s1.quorum = 2;
	s1.cfg_index = 7;
	s1.conns = 42;
	s1.one_packet = true;
	s1.below_quorum = true;
	s1.sorry = &d3;
	publish_service(&m, &s1);
	dir = svc_dir(&s1);
	cr_expect_eq(dir.family, AF_INET6);
	cr_expect_eq(dir.protocol, IPPROTO_UDP);
	cr_expect_eq(dir.port, 53);
	cr_expect_eq(dir.fwmark, 0);
	cr_expect_arr_eq(dir.addr, s1.vip.b, 16);
	cr_expect_str_eq(dir.name, "dns");
	cr_expect_str_eq(dir.scheduler, "wlc");
	cr_expect_eq(dir.sched_flags, 3);
	cr_expect_eq(dir.persistence, 300);
	cr_expect_eq(dir.netmask, 64);
	cr_expect_eq(dir.quorum, 2);
	cr_expect_eq(dir.config_index, 7);
	cr_expect_eq(dir.conns, 42);
	cr_expect_eq(dir.flags, NFLVS_SVC_F_PERSISTENT | NFLVS_SVC_F_ONEPACKET |
				NFLVS_SVC_F_DOWN | NFLVS_SVC_F_SORRY,
		     "flags %#x", dir.flags);

	/* a firewall-mark service, below quorum with no sorry server */
	s2.fwmark = 5;
	s2.family = AF_INET;
	s2.below_quorum = true;
	publish_service(&m, &s2);
	dir = svc_dir(&s2);
	cr_expect_eq(dir.fwmark, 5);
	cr_expect_eq(dir.protocol, 0);
	cr_expect_eq(dir.flags, NFLVS_SVC_F_FWMARK | NFLVS_SVC_F_DOWN,
		     "flags %#x", dir.flags);
	cr_expect_str_eq(dir.scheduler, "rr");
	cr_expect_str_eq(dir.name, "");
	/* at quorum again: the flags follow */
	s1.below_quorum = false;
	s1.persistence = 0;
	s1.one_packet = false;
	publish_service(&m, &s1);
	cr_expect_eq(svc_dir(&s1).flags, 0);
}

Test(publish, dest_record)
{
	rs_dir_t dir;

	slots();
	d1.fwd = FWD_DR;
	d1.conf_weight = 4;
	d1.weight = 7;			/* the checker's */
	d1.mark = 3 << 16;
	d1.u_threshold = 100;
	d1.l_threshold = 50;
	d1.cfg_index = 2;
	d1.activeconns = 11;
	d1.inactconns = 12;
	d1.persistconns = 13;
	d1.conns = 1234567890123ull;
	d1.flags = DEST_F_OVERLOAD;
	publish_dest(&m, &d1);
	dir = rs_dir(&d1);
	cr_expect_eq(dir.service_id, s1.id);
	cr_expect_eq(dir.family, AF_INET6);
	cr_expect_eq(dir.fwd, NFLVS_FWD_DR);
	cr_expect_eq(dir.port, 53);
	cr_expect_arr_eq(dir.addr, d1.addr.b, 16);
	cr_expect_eq(dir.weight, 4, "the configured weight");
	cr_expect_eq(dir.eff_weight, 7, "what the scheduler uses");
	cr_expect_eq(dir.mark, 3u << 16);
	cr_expect_eq(dir.flags, NFLVS_RS_F_OVERLOAD);
	cr_expect_eq(dir.u_threshold, 100);
	cr_expect_eq(dir.l_threshold, 50);
	cr_expect_eq(dir.config_index, 2);
	cr_expect_eq(dir.activeconns, 11);
	cr_expect_eq(dir.inactconns, 12);
	cr_expect_eq(dir.persistconns, 13);
	cr_expect_eq(dir.conns, 1234567890123ull);

	/* down: its weight stays, the scheduler's is 0 */
	d1.flags = DEST_F_DOWN;
	publish_dest(&m, &d1);
	dir = rs_dir(&d1);
	cr_expect_eq(dir.flags, NFLVS_RS_F_DOWN);
	cr_expect_eq(dir.weight, 4);
	cr_expect_eq(dir.eff_weight, 0);

	/* an IPv4 one of the other service */
	d3.fwd = FWD_TUN;
	publish_dest(&m, &d3);
	dir = rs_dir(&d3);
	cr_expect_eq(dir.service_id, s2.id);
	cr_expect_eq(dir.family, AF_INET);
	cr_expect_eq(dir.fwd, NFLVS_FWD_TUN);
	cr_expect_arr_eq(dir.addr, d3.addr.b, 4);
	cr_expect_eq(dir.flags, 0);
	cr_expect_eq(dir.eff_weight, 1);
}

Test(publish, all_records_and_a_new_generation)
{
	struct service **v = calloc(2, sizeof(*v));
	struct svcset set;
	struct svctab tab;
	uint64_t gen;

	slots();
	cr_assert_eq(svcset_init(&set, 0x00ff0000), 0);
	cr_assert_not_null(v);
	v[0] = &s1;
	v[1] = &s2;
	cr_assert_eq(svctab_build(&tab, v, 2), 0);
	svcset_replace(&set, v, 2, &tab);
	s1.port = 1001;
	s2.port = 1002;
	d1.activeconns = 21;
	d2.activeconns = 22;
	d3.activeconns = 23;
	gen = shm_generation(&m);
	publish_all(&m, &set);
	cr_expect_eq(shm_generation(&m), gen + 1);
	cr_expect_eq(svc_dir(&s1).port, 1001);
	cr_expect_eq(svc_dir(&s2).port, 1002);
	cr_expect_eq(rs_dir(&d1).activeconns, 21);
	cr_expect_eq(rs_dir(&d2).activeconns, 22);
	cr_expect_eq(rs_dir(&d3).activeconns, 23);
	cr_expect_eq(rs_dir(&d3).service_id, s2.id);
	/* a single record's write is no change of the configuration */
	publish_dest(&m, &d1);
	publish_service(&m, &s1);
	cr_expect_eq(shm_generation(&m), gen + 1);
	svcset_fini(&set);
}

Test(publish, gone_frees_the_slot)
{
	uint32_t old;

	slots();
	old = d2.id;
	publish_dest_gone(&m, &d2);
	cr_expect_eq(m.rs[1].id, 0);
	cr_expect_eq(d2.shm_slot, -1);
	cr_expect_eq(m.rs[0].id, d1.id, "the others stay");
	cr_expect_eq(m.rs[2].id, d3.id);
	/* no slot: nothing happens, twice */
	publish_dest_gone(&m, &d2);
	publish_dest_gone(&m, &d2);
	cr_expect_eq(m.rs[0].id, d1.id);
	cr_expect_eq(m.rs[2].id, d3.id);
	/* the slot is free again; the id is never reused */
	cr_assert_eq(publish_dest_slot(&m, &d2), 0);
	cr_expect_eq(d2.shm_slot, 1);
	cr_expect_neq(d2.id, old);
	cr_expect_neq(d2.id, 0);

	publish_service_gone(&m, &s1);
	cr_expect_eq(m.svc[0].id, 0);
	cr_expect_eq(s1.shm_slot, -1);
	cr_expect_eq(m.svc[1].id, s2.id);
	publish_service_gone(&m, &s1);
	cr_expect_eq(m.svc[1].id, s2.id);
}

Test(publish, health_is_read_back)
{
	struct nflvs_shm_rs *r;
	shm_rs_health_t h, w;

	slots();
	cr_assert_eq(publish_health(&m, &d2, &h), 0);
	cr_expect_eq(h.state, NFLVS_RS_UNKNOWN, "a new record: never checked");
	cr_expect_eq(h.weight, -1);
	r = &m.rs[d2.shm_slot];
	memset(&w, 0, sizeof(w));
	w.state = NFLVS_RS_DOWN;
	w.weight = 3;
	w.latency_us = 1500;
	w.transitions = 2;
	w.checks_failed = 9;
	snprintf(w.last_error, sizeof(w.last_error), "connection refused");
	nflvs_seq_write(&r->hseq, &r->health, &w, sizeof(w));
	cr_assert_eq(publish_health(&m, &d2, &h), 0);
	cr_expect_eq(memcmp(&h, &w, sizeof(h)), 0, "the record as written");
	cr_assert_eq(publish_health(&m, &d1, &h), 0);
	cr_expect_eq(h.state, NFLVS_RS_UNKNOWN, "another record's own");
	/* no slot; a writer that died mid-write */
	publish_dest_gone(&m, &d1);
	cr_expect_lt(publish_health(&m, &d1, &h), 0);
	r->hseq |= 1;
	cr_expect_lt(publish_health(&m, &d2, &h), 0);
}
