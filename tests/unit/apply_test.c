// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Changing the running configuration (director/apply.c) with no kernel:
 * the nftables batch goes to a hook that records it (and may refuse it),
 * the shared memory is a segment of the test's own.  What changes, what
 * drains, and what a refused change leaves.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/netfilter/nf_tables.h>
#include <nflvs/seqlock.h>

#include "apply.h"
#include "log.h"
#include "scheduler.h"

struct fx {
	char shmname[64];
	char conf[128];
	struct shm_map shm;
	struct svcset set;
	struct nflvs_config running;
	struct ruleset rs;
	struct apply a;
	/* what the hooks saw */
	int commits, news, dels, health, gone;
	int commit_ret;			/* what the kernel says */
	char refuse[64];		/* check_dest refuses this address */
};

static struct fx F;

static int hook_commit(void *ctx, struct nft_batch *b, char *err, size_t len)
{
	struct fx *f = ctx;
	struct nlmsghdr *nlh;

	f->commits++;
	f->news = f->dels = 0;
	for (nlh = nft_batch_first(b); nlh; nlh = nft_batch_following(b, nlh)) {
		f->news += (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM;
		f->dels += (nlh->nlmsg_type & 0xff) == NFT_MSG_DELSETELEM;
	}
	if (f->commit_ret)
		snprintf(err, len, "the kernel said no");
	return f->commit_ret;
}

static int hook_check(void *ctx, const struct dest *dst,
		      const struct cfg_rs *rc, char *err, size_t len)
{
	struct fx *f = ctx;
	char a[ADDR_STRLEN];

	(void)dst;
	if (strcmp(addr_str(&rc->addr, a, sizeof(a)), f->refuse))
		return 0;
	snprintf(err, len, "real server %s: unreachable", a);
	return -EHOSTUNREACH;
}

static void hook_health(void *ctx, struct service *svc, struct dest *dst)
{
	(void)svc;
	(void)dst;
	((struct fx *)ctx)->health++;
}

static void hook_gone(void *ctx, struct dest *dst)
{
	(void)dst;
	((struct fx *)ctx)->gone++;
}

static void fx_setup(uint32_t mark_mask)
{
	static int n;

	memset(&F, 0, sizeof(F));
	log_set_level(LOG_ERR);
	snprintf(F.shmname, sizeof(F.shmname), "/nflvs-unit-apply-%d",
		 (int)getpid());
	snprintf(F.conf, sizeof(F.conf), "/tmp/nflvs-unit-apply-%d-%d.conf",
		 (int)getpid(), n++);
	cr_assert_eq(shm_create(&F.shm, F.shmname, 16, 64), 0);
	cr_assert_eq(svcset_init(&F.set, mark_mask), 0);
	F.rs = (struct ruleset){ .table = "unit", .mark_mask = mark_mask,
				 .queues = 1 };
	F.a = (struct apply){
		.set = &F.set, .shm = &F.shm, .running = &F.running,
		.rs = &F.rs,
		.hooks = { .check_dest = hook_check, .commit = hook_commit,
			   .dest_health = hook_health, .dest_gone = hook_gone,
			   .ctx = &F },
	};
}

static void setup(void)
{
	fx_setup(0x00ff0000);
}

static void teardown(void)
{
	apply_release(&F.a);
	svcset_fini(&F.set);
	shm_close(&F.shm);
	shm_unlink(F.shmname);
	config_free(&F.running);
	unlink(F.conf);
}

/* A configuration from the text of its services. */
static void load(const char *services, struct nflvs_config *cfg)
{
	struct cfg_errors errs;
	FILE *fp = fopen(F.conf, "w");
	int ret;

	cr_assert_not_null(fp);
	fprintf(fp, "%s\n", services);
	fclose(fp);
	ret = config_load(F.conf, cfg, &errs);
	cr_assert_eq(ret, 0, "config: %s", ret ? errs.msg[0] : "");
}

/* Apply @services; returns what apply_config() did, @err its reason. */
static int apply_text(const char *services, char *err, size_t len)
{
	struct nflvs_config cfg;
	int ret;

	load(services, &cfg);
	ret = apply_config(&F.a, &cfg, err, len);
	if (ret)
		config_free(&cfg);	/* refused: still ours */
	else
		cr_assert_eq(cfg.nsvc, 0, "taken");
	return ret;
}

static void apply_ok(const char *services)
{
	char err[256];
	int ret = apply_text(services, err, sizeof(err));

	cr_assert_eq(ret, 0, "%s", err);
}

static struct dest *find_dest(const struct service *svc, const char *addr)
{
	char a[ADDR_STRLEN];
	unsigned int i;

	for (i = 0; i < svc->ndests; i++)
		if (!strcmp(addr_str(&svc->dests[i]->addr, a, sizeof(a)), addr))
			return svc->dests[i];
	return NULL;
}

/* The record in slot @slot as the checker would read it. */
static uint32_t rs_record_id(int slot)
{
	return __atomic_load_n(&F.shm.rs[slot].id, __ATOMIC_RELAXED);
}

static unsigned int marks_taken(void)
{
	unsigned int i, n = 0;

	for (i = 1; i <= svcset_capacity(&F.set); i++)
		n += svcset_by_index(&F.set, i) != NULL;
	return n;
}

static unsigned int rs_records(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < F.shm.hdr->max_rs; i++)
		n += rs_record_id(i) != 0;
	return n;
}

#define WEB(rs)								\
	"services = ( { name = \"web\"; vip = \"10.0.1.100\"; port = 80;"	\
	" protocol = \"tcp\"; scheduler = \"wlc\"; real_servers = ( " rs	\
	" ); } );"
#define RS(a, w)	"{ address = \"" a "\"; port = 8080; weight = " #w "; }"

TestSuite(apply, .init = setup, .fini = teardown);

Test(apply, first_configuration_builds_services_marks_and_records)
{
	struct nflvs_shm_rs r;
	struct service *svc;
	uint64_t gen = shm_generation(&F.shm);
	unsigned int i;

	apply_ok("services = ( { vip = \"10.0.1.100\"; port = 80; real_servers = ( "
		 RS("10.0.2.11", 1) ", " RS("10.0.2.12", 2) " ); },"
		 " { vip = \"10.0.1.100\"; port = 53; protocol = \"udp\";"
		 " scheduler = \"rr\"; real_servers = ( " RS("10.0.2.13", 1) " ); } );");
	cr_assert_eq(F.commits, 0, "no ruleset in the kernel yet: no batch");
	cr_assert_eq(F.set.nsvc, 2);
	cr_expect_eq(F.set.svc[0]->port, 80);
	cr_expect_eq(F.set.svc[1]->sched, sched_find("rr"));
	cr_expect_eq(svcset_lookup(&F.set, 0, AF_INET, IPPROTO_UDP,
				   &F.set.svc[1]->vip, 53), F.set.svc[1]);
	svc = F.set.svc[0];
	cr_assert_eq(svc->ndests, 2);
	/* IPVS order: the one added last first */
	cr_expect_eq(svc->dests[0], find_dest(svc, "10.0.2.12"));
	for (i = 0; i < svc->ndests; i++) {
		struct dest *d = svc->dests[i];

		cr_expect_neq(d->mark, 0);
		cr_expect_eq(d->mark & ~0x00ff0000u, 0);
		cr_expect_eq(svcset_by_mark(&F.set, d->mark | 0x7), d);
		cr_assert_geq(d->shm_slot, 0);
		cr_assert_eq(nflvs_seq_read(&F.shm.rs[d->shm_slot].seq, &r.dir,
					    &F.shm.rs[d->shm_slot].dir,
					    sizeof(r.dir)), 0);
		cr_expect_eq(r.dir.mark, d->mark);
		cr_expect_eq(r.dir.weight, d->conf_weight);
		cr_expect_eq(r.dir.service_id, svc->id);
	}
	cr_expect_neq(svc->dests[0]->mark, svc->dests[1]->mark);
	cr_expect_gt(shm_generation(&F.shm), gen, "the checker is told");
	cr_expect_eq(F.health, 3, "each real server's health derived");
	cr_expect_str_eq(F.running.path, F.conf);
	cr_expect_eq(F.running.nsvc, 2);
}

Test(apply, a_new_real_server_goes_to_the_kernel_in_one_batch)
{
	struct dest *a, *b;
	uint32_t ma;

	apply_ok(WEB(RS("10.0.2.11", 1)));
	F.a.in_kernel = true;
	a = find_dest(F.set.svc[0], "10.0.2.11");
	ma = a->mark;
	F.health = 0;
	apply_ok(WEB(RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1)));
	cr_assert_eq(F.commits, 1);
	cr_expect_gt(F.news, 0, "the new server's elements");
	cr_expect_eq(F.dels, 0, "nothing that runs is touched");
	b = find_dest(F.set.svc[0], "10.0.2.12");
	cr_assert_not_null(b);
	cr_expect_eq(find_dest(F.set.svc[0], "10.0.2.11"), a, "the same object");
	cr_expect_eq(a->mark, ma, "its connections keep their mark");
	cr_expect_eq(F.set.svc[0]->dests[0], b, "new at the head");
	cr_expect_eq(F.health, 2);
}

Test(apply, nothing_changed_is_no_batch)
{
	apply_ok(WEB(RS("10.0.2.11", 1)));
	F.a.in_kernel = true;
	apply_ok(WEB(RS("10.0.2.11", 1)));
	cr_expect_eq(F.commits, 0);
}

Test(apply, a_removed_real_server_drains_then_goes)
{
	struct service *svc;
	struct dest *gone;
	uint32_t mark;
	int slot;

	apply_ok(WEB(RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1)));
	F.a.in_kernel = true;
	svc = F.set.svc[0];
	gone = find_dest(svc, "10.0.2.12");
	gone->activeconns = 1;
	mark = gone->mark;
	slot = gone->shm_slot;
	apply_ok(WEB(RS("10.0.2.11", 1)));
	cr_expect_gt(F.dels, 0, "its elements leave the kernel");
	cr_expect_eq(F.news, 0);
	cr_assert_eq(svc->ndests, 1);
	cr_assert_eq(svc->ndraining, 1);
	cr_expect_eq(svc->draining[0], gone);
	cr_expect(gone->flags & DEST_F_DRAINING);
	cr_expect(!dest_available(gone));
	cr_expect_eq(gone->shm_slot, -1);
	cr_expect_eq(rs_record_id(slot), 0, "its record left the segment");
	cr_expect_eq(svcset_by_mark(&F.set, mark), gone,
		     "its mark stays taken for its connections");
	apply_reap(&F.a);
	cr_expect_eq(svc->ndraining, 1, "a connection still runs");
	cr_expect_eq(F.gone, 0);
	gone->activeconns = 0;
	apply_reap(&F.a);
	cr_expect_eq(svc->ndraining, 0);
	cr_expect_null(svcset_by_mark(&F.set, mark));
	cr_expect_eq(F.gone, 1, "its routes and flows go with it");
}

Test(apply, a_refused_batch_changes_nothing)
{
	struct nflvs_config cfg;
	struct service *svc;
	struct dest *a, *b;
	unsigned int marks, records;
	char err[256];
	int ret;

	apply_ok(WEB(RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1)));
	F.a.in_kernel = true;
	svc = F.set.svc[0];
	a = find_dest(svc, "10.0.2.11");
	b = find_dest(svc, "10.0.2.12");
	marks = marks_taken();
	records = rs_records();
	F.commit_ret = -EPERM;
	load(WEB(RS("10.0.2.11", 5) ", " RS("10.0.2.13", 1)) , &cfg);
	ret = apply_config(&F.a, &cfg, err, sizeof(err));
	cr_assert_eq(ret, -EPERM);
	cr_expect_str_eq(err, "the kernel said no");
	cr_expect_eq(F.commits, 1);
	/* the caller still has its configuration, and what runs runs on */
	cr_expect_eq(cfg.nsvc, 1);
	cr_expect_eq(F.set.nsvc, 1);
	cr_expect_eq(F.set.svc[0], svc);
	cr_expect_eq(svc->ndests, 2);
	cr_expect_eq(svc->ndraining, 0);
	cr_expect_eq(find_dest(svc, "10.0.2.11"), a);
	cr_expect_eq(find_dest(svc, "10.0.2.12"), b);
	cr_expect_eq(a->conf_weight, 1, "the weight of the refused change");
	cr_expect_eq(marks_taken(), marks, "the planned server's mark is free");
	cr_expect_eq(rs_records(), records, "and its record");
	cr_expect_eq(F.running.svc[0].rs[0].weight, 1);
	/* the same change, accepted */
	F.commit_ret = 0;
	ret = apply_config(&F.a, &cfg, err, sizeof(err));
	cr_assert_eq(ret, 0, "%s", err);
	cr_expect_eq(a->conf_weight, 5);
	cr_expect_not_null(find_dest(svc, "10.0.2.13"));
	cr_expect_eq(svc->ndraining, 1, "10.0.2.12 drains");
	cr_expect_eq(F.running.svc[0].rs[0].weight, 5);
}

Test(apply, an_unreachable_real_server_refuses_the_whole_change)
{
	char err[256];
	unsigned int marks;

	apply_ok(WEB(RS("10.0.2.11", 1)));
	marks = marks_taken();
	snprintf(F.refuse, sizeof(F.refuse), "10.0.3.12");
	cr_assert_eq(apply_text("services = ( { vip = \"10.0.3.100\"; port = 8080;"
				" forward = \"dr\"; real_servers = ( "
				RS("10.0.3.11", 1) ", " RS("10.0.3.12", 1)
				" ); } );", err, sizeof(err)), -EHOSTUNREACH);
	cr_expect_str_eq(err, "real server 10.0.3.12: unreachable");
	cr_expect_eq(F.set.nsvc, 1);
	cr_expect_eq(F.set.svc[0]->port, 80);
	cr_expect_not_null(find_dest(F.set.svc[0], "10.0.2.11"));
	cr_expect_eq(marks_taken(), marks);
}

Test(apply, no_room_for_marks_is_said_and_changes_nothing)
{
	char err[256];

	teardown();
	fx_setup(0x3);			/* room for 3 real servers */
	apply_ok(WEB(RS("10.0.2.11", 1)));
	cr_assert_eq(apply_text(WEB(RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1)
				", " RS("10.0.2.13", 1) ", " RS("10.0.2.14", 1)),
				err, sizeof(err)), -ENOSPC);
	cr_expect_str_eq(err, "no room: shared memory or marks (mark_mask allows 3 real servers)");
	cr_expect_eq(F.set.svc[0]->ndests, 1);
	cr_expect_eq(marks_taken(), 1);
}

Test(apply, a_removed_service_waits_for_its_connections)
{
	struct service *old;
	int slot;

	apply_ok("services = ( { vip = \"10.0.1.100\"; port = 80; real_servers = ( "
		 RS("10.0.2.11", 1) " ); }, { vip = \"10.0.1.100\"; port = 443;"
		 " real_servers = ( " RS("10.0.2.11", 1) " ); } );");
	F.a.in_kernel = true;
	old = F.set.svc[0];
	slot = old->shm_slot;
	old->dests[0]->inactconns = 2;
	apply_ok("services = ( { vip = \"10.0.1.100\"; port = 443;"
		 " real_servers = ( " RS("10.0.2.11", 1) " ); } );");
	cr_assert_eq(F.set.nsvc, 1);
	cr_expect_eq(F.set.svc[0]->port, 443);
	cr_expect_null(svcset_lookup(&F.set, 0, AF_INET, IPPROTO_TCP,
				     &old->vip, 80), "no new connection finds it");
	cr_assert_eq(F.set.ndead, 1);
	cr_expect_eq(F.set.dead[0], old);
	cr_expect_eq(old->ndests, 0);
	cr_expect_eq(old->ndraining, 1);
	cr_expect_eq(F.shm.svc[slot].id, 0, "its record left the segment");
	apply_reap(&F.a);
	cr_expect_eq(F.set.ndead, 1);
	old->draining[0]->inactconns = 0;
	apply_reap(&F.a);
	cr_expect_eq(F.set.ndead, 0);
}

Test(apply, weight_scheduler_and_thresholds_change_in_place)
{
	struct service *svc;
	struct dest *a;

	apply_ok(WEB(RS("10.0.2.11", 1)));
	F.a.in_kernel = true;
	svc = F.set.svc[0];
	a = svc->dests[0];
	apply_ok("services = ( { name = \"web\"; vip = \"10.0.1.100\"; port = 80;"
		 " scheduler = \"rr\"; persistence = 30; real_servers = ( {"
		 " address = \"10.0.2.11\"; port = 8080; weight = 7; upper_threshold = 9; } ); } );");
	cr_expect_eq(F.commits, 0, "no element changes");
	cr_expect_eq(F.set.svc[0], svc);
	cr_expect_eq(svc->dests[0], a);
	cr_expect_eq(svc->sched, sched_find("rr"));
	cr_expect_eq(a->conf_weight, 7);
	cr_expect_eq(a->u_threshold, 9);
	cr_expect_eq(svc->persistence, 30);
	cr_expect_not_null(svc->persist, "a persistence table now");
}

Test(apply, one_packet_toggled_moves_the_service_elements)
{
	const char *op = "services = ( { vip = \"10.0.1.100\"; port = 53;"
			 " protocol = \"udp\"; one_packet = true; real_servers = ( "
			 RS("10.0.2.11", 1) " ); } );";

	apply_ok("services = ( { vip = \"10.0.1.100\"; port = 53;"
		 " protocol = \"udp\"; real_servers = ( " RS("10.0.2.11", 1)
		 " ); } );");
	F.a.in_kernel = true;
	apply_ok(op);
	cr_assert_eq(F.commits, 1);
	cr_expect_gt(F.dels, 0, "out of the sets of connections");
	cr_expect_gt(F.news, 0, "into the one-packet sets");
	cr_expect(F.set.svc[0]->one_packet);
}

Test(apply, a_sorry_server_comes_and_goes)
{
	struct service *svc;

	apply_ok("services = ( { vip = \"10.0.1.100\"; port = 80;"
		 " sorry_server = \"10.0.2.99:80\"; real_servers = ( "
		 RS("10.0.2.11", 1) " ); } );");
	F.a.in_kernel = true;
	svc = F.set.svc[0];
	cr_assert_not_null(svc->sorry);
	cr_expect_eq(svc->sorry->shm_slot, -1, "not a real server of the listing");
	cr_expect_neq(svc->sorry->mark, 0, "but it has a mark for NAT");
	apply_ok(WEB(RS("10.0.2.11", 1)));
	cr_expect_null(svc->sorry);
	cr_expect_gt(F.dels, 0);
	cr_expect_eq(svc->ndraining, 1, "it drains like a real server");
	apply_reap(&F.a);
	cr_expect_eq(svc->ndraining, 0);
}

Test(apply, the_whole_ruleset_names_every_real_server)
{
	struct nft_batch b;
	unsigned int nrs = 0;

	apply_ok("services = ( { vip = \"10.0.1.100\"; port = 80;"
		 " sorry_server = \"10.0.2.99:80\"; real_servers = ( "
		 RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1) " ); },"
		 " { vip = \"fd00:1::100\"; port = 80; real_servers = ( "
		 RS("fd00:2::11", 1) " ); } );");
	cr_assert_eq(nft_batch_init(&b), 0);
	cr_assert_eq(apply_ruleset(&F.a, NULL, 0, &b, &nrs), 0);
	cr_expect_eq(nrs, 4, "three real servers and the sorry server");
	cr_expect_gt(nft_batch_count(&b), 0);
	nft_batch_free(&b);
}

Test(apply, release_frees_everything_unless_kept)
{
	unsigned int records;

	apply_ok(WEB(RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1)));
	records = rs_records();
	cr_assert_eq(records, 2);
	F.a.keep = true;		/* -k: the next start takes them over */
	apply_release(&F.a);
	cr_expect_eq(F.set.nsvc, 0);
	cr_expect_eq(marks_taken(), 0);
	cr_expect_eq(rs_records(), records, "the records stay");
	cr_expect_eq(F.gone, 2);
}

/* ---- marks name the same real server everywhere (mark.h) ------------- */

#define WEB5_UP	WEB(RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1) ", "	\
		    RS("10.0.2.13", 1) ", " RS("10.0.2.14", 1) ", "	\
		    RS("10.0.2.15", 1))
#define WEB5_DOWN WEB(RS("10.0.2.15", 1) ", " RS("10.0.2.13", 1) ", "	\
		    RS("10.0.2.11", 1) ", " RS("10.0.2.14", 1) ", "	\
		    RS("10.0.2.12", 1))

static const char *const web5[] = { "10.0.2.11", "10.0.2.12", "10.0.2.13",
				    "10.0.2.14", "10.0.2.15" };

static void marks_of(uint32_t *m)
{
	unsigned int i;

	for (i = 0; i < 5; i++) {
		struct dest *d = find_dest(F.set.svc[0], web5[i]);

		cr_assert_not_null(d);
		m[i] = d->mark;
	}
}

/* 7 marks for 5 real servers: keys collide, and the order they are
 * resolved in must not be the file's. */
Test(apply, marks_do_not_depend_on_the_order_of_the_file)
{
	uint32_t up[5], down[5];
	unsigned int i;

	teardown();
	fx_setup(0x7);
	apply_ok(WEB5_UP);
	marks_of(up);
	teardown();
	fx_setup(0x7);
	apply_ok(WEB5_DOWN);
	marks_of(down);
	for (i = 0; i < 5; i++)
		cr_expect_eq(up[i], down[i], "%s: %#x / %#x", web5[i], up[i],
			     down[i]);
}

Test(apply, a_mark_is_the_hash_of_its_real_server_and_service)
{
	char key[SERVICE_MARK_KEYLEN];
	struct dest *d;

	apply_ok(WEB(RS("10.0.2.11", 1)));
	d = F.set.svc[0]->dests[0];
	service_mark_key(F.set.svc[0], &d->addr, d->port, false, key,
			 sizeof(key));
	cr_expect_str_eq(key, "10.0.2.11:8080 of TCP 10.0.1.100:80");
	cr_expect_eq(d->mark, mark_home(&F.set.marks, key) << 16);
}

Test(apply, marks_of_running_real_servers_never_change)
{
	uint32_t before[5], after[5];
	unsigned int i;

	teardown();
	fx_setup(0x7);
	/* one at a time, as nflvsadm -a would, in another order */
	apply_ok(WEB(RS("10.0.2.14", 1)));
	apply_ok(WEB(RS("10.0.2.14", 1) ", " RS("10.0.2.12", 1)));
	apply_ok(WEB(RS("10.0.2.14", 1) ", " RS("10.0.2.12", 1) ", "
		     RS("10.0.2.15", 1)));
	apply_ok(WEB(RS("10.0.2.14", 1) ", " RS("10.0.2.12", 1) ", "
		     RS("10.0.2.15", 1) ", " RS("10.0.2.11", 1) ", "
		     RS("10.0.2.13", 1)));
	marks_of(before);
	apply_ok(WEB5_DOWN);
	marks_of(after);
	for (i = 0; i < 5; i++)
		cr_expect_eq(before[i], after[i], "%s", web5[i]);
}

Test(apply, a_restart_keeps_the_marks_of_the_kernels_table)
{
	char key[SERVICE_MARK_KEYLEN];
	struct dest *d;
	uint32_t home;

	cr_assert_eq(svcset_prev_add(&F.set, 200,
				     "10.0.2.12:8080 of TCP 10.0.1.100:80"), 0);
	/* another service's key: not this real server's */
	cr_assert_eq(svcset_prev_add(&F.set, 201,
				     "10.0.2.11:8080 of TCP 10.0.1.100:81"), 0);
	apply_ok(WEB(RS("10.0.2.11", 1) ", " RS("10.0.2.12", 1)));
	svcset_prev_done(&F.set);
	cr_expect_eq(find_dest(F.set.svc[0], "10.0.2.12")->mark, 200u << 16);
	d = find_dest(F.set.svc[0], "10.0.2.11");
	service_mark_key(F.set.svc[0], &d->addr, d->port, false, key,
			 sizeof(key));
	home = mark_home(&F.set.marks, key);
	cr_expect_eq(d->mark, (home == 200 ? 201 : home) << 16);
}
