// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding the targets: real-server records joined with their service and
 * their check in the config; the checker rescanning when the director's
 * generation changes and following a director that restarted.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "hc_fixture.h"
#include "targets.h"

#define WEB \
	"services = (\n" \
	" { name = \"web\"; vip = \"10.0.1.100\"; port = 80;\n" \
	"   check = { type = \"http\"; path = \"/health\"; interval = 5.0; };\n" \
	"   real_servers = (\n" \
	"     { address = \"10.0.2.11\"; port = 8080; },\n" \
	"     { address = \"10.0.2.12\"; port = 8080;\n" \
	"       check = { type = \"tcp\"; connect_port = 22; }; },\n" \
	"     { address = \"10.0.2.13\"; port = 8080; check = { type = \"none\"; }; } ); },\n" \
	" { vip = \"fd00:1::100\"; port = 53; protocol = \"udp\";\n" \
	"   real_servers = ( { address = \"fd00:2::11\"; port = 53; } ); }\n" \
	");\n"

static struct hc_fix f;

static void teardown(void)
{
	fix_fini(&f);
}

TestSuite(hc_targets, .fini = teardown, .timeout = 30);

static const struct target_desc *desc_of(const struct target_desc *d, int n,
					 const char *addr, uint16_t port)
{
	struct nflvs_addr a;
	int i;

	addr_parse(addr, &a);
	for (i = 0; i < n; i++)
		if (addr_eq(&d[i].key.addr, &a) && d[i].key.port == port)
			return &d[i];
	return NULL;
}

Test(hc_targets, scan_joins_records_and_config)
{
	const struct target_desc *t;
	struct target_desc *d;
	char label[200];
	int n, i;

	fix_init(&f, WEB);
	fix_director(&f);
	n = targets_scan(&f.m, &f.cfg, &d);
	cr_assert_eq(n, 4, "every real server in use, checked or not");
	for (i = 1; i < n; i++)
		cr_expect_lt(d[i - 1].id, d[i].id, "sorted by id");

	t = desc_of(d, n, "10.0.2.11", 8080);
	cr_assert_not_null(t);
	cr_expect_eq(t->check, &f.cfg.svc[0].rs[0].check);
	cr_expect_eq(t->check->type, CHECK_HTTP);
	cr_expect_str_eq(t->svc_name, "web");
	targets_label(&t->key, t->svc_name, label, sizeof(label));
	cr_expect_str_eq(label,
			 "real server 10.0.2.11:8080 of service web (TCP 10.0.1.100:80)");

	t = desc_of(d, n, "10.0.2.12", 8080);
	cr_assert_not_null(t);
	cr_expect_eq(t->check->type, CHECK_TCP);
	cr_expect_eq(t->check->connect_port, 22);

	t = desc_of(d, n, "10.0.2.13", 8080);
	cr_expect_null(t->check, "type none is not probed");
	t = desc_of(d, n, "fd00:2::11", 53);
	cr_expect_null(t->check, "a service without a check");
	targets_label(&t->key, t->svc_name, label, sizeof(label));
	cr_expect_str_eq(label,
			 "real server [fd00:2::11]:53 of service UDP [fd00:1::100]:53");
	free(d);
}

/* shm_fuzz: a reader indexed the records with the live header's counts,
 * which any process that can write the segment may change after the
 * attach validated them: it read past the mapping. */
Test(hc_targets, a_rewritten_header_does_not_move_the_reader)
{
	struct target_desc *d;
	struct shm_map r;
	char err[128];
	int n;

	fix_init(&f, WEB);
	fix_director(&f);
	cr_assert_eq(shm_map_mem(&r, f.m.base, f.m.size, err, sizeof(err)), 0,
		     "%s", err);
	f.m.hdr->max_services = ~0u;
	f.m.hdr->max_rs = ~0u;
	n = targets_scan(&r, &f.cfg, &d);
	f.m.hdr->max_services = r.max_services;
	f.m.hdr->max_rs = r.max_rs;
	cr_expect_eq(n, 4, "the records the attach validated");
	free(d);
}

Test(hc_targets, runtime_real_server_gets_the_services_check)
{
	struct target_desc *d;
	struct nflvs_addr a;
	uint32_t id;
	int n;

	fix_init(&f, WEB);
	fix_director(&f);
	addr_parse("10.0.2.99", &a);
	fix_rs(&f, f.m.svc[0].id, &a, 9090, UINT32_MAX, &id);
	n = targets_scan(&f.m, &f.cfg, &d);
	cr_assert_eq(n, 5);
	cr_expect_eq(desc_of(d, n, "10.0.2.99", 9090)->check, &f.cfg.svc[0].check);
	free(d);
}

Test(hc_targets, runtime_service_is_found_by_key)
{
	const struct cfg_check *c;
	struct target_key k = { 0 };

	fix_init(&f, WEB);
	k.svc_family = AF_INET;
	k.svc_protocol = IPPROTO_TCP;
	k.svc_port = 80;
	addr_parse("10.0.1.100", &k.vip);
	addr_parse("10.0.2.11", &k.addr);
	k.port = 8080;
	c = targets_find_check(&f.cfg, &k, UINT32_MAX, UINT32_MAX);
	cr_expect_eq(c, &f.cfg.svc[0].check);
	/* a stale index (the file was edited) is not trusted */
	c = targets_find_check(&f.cfg, &k, 1, 1);
	cr_expect_eq(c, &f.cfg.svc[0].rs[0].check);
	k.svc_port = 81;
	cr_expect_null(targets_find_check(&f.cfg, &k, UINT32_MAX, UINT32_MAX),
		       "a service not in the file has no check");
}

static struct target *target_at(struct checker *c, const char *addr,
				uint16_t port)
{
	struct nflvs_addr a;
	size_t i;

	addr_parse(addr, &a);
	for (i = 0; i < c->nt; i++)
		if (addr_eq(&c->t[i]->key.addr, &a) && c->t[i]->key.port == port)
			return c->t[i];
	return NULL;
}

Test(hc_targets, checker_rescans_on_a_new_generation)
{
	struct nflvs_config cfg;
	struct checker c;
	struct nflvs_addr a;
	uint32_t id;
	int slot;

	fix_init(&f, WEB);
	fix_director(&f);
	fix_config(&f, &cfg);
	cr_assert_eq(checker_init(&c, &cfg), 0);
	checker_shm_tick(&c);
	cr_assert(c.attached);
	cr_expect_eq(c.nt, 2, "the http and the tcp check");
	cr_expect_eq(f.m.hdr->checker_pid, (uint32_t)getpid());

	addr_parse("10.0.2.99", &a);
	slot = fix_rs(&f, f.m.svc[0].id, &a, 9090, UINT32_MAX, &id);
	checker_shm_tick(&c);
	cr_expect_eq(c.nt, 2, "no rescan while the generation stays");
	shm_bump_generation(&f.m);
	checker_shm_tick(&c);
	cr_expect_eq(c.nt, 3, "the new generation was scanned");
	cr_assert_not_null(checker_target(&c, id));
	cr_expect_eq(checker_target(&c, id)->check, &c.cfg.svc[0].check,
		     "a real server added at runtime gets its service's check");

	shm_rs_free(&f.m, slot);
	shm_bump_generation(&f.m);
	checker_shm_tick(&c);
	cr_expect_eq(c.nt, 2, "a removed real server is forgotten");
	cr_expect_null(checker_target(&c, id));
	checker_free(&c);
	cr_expect_eq(f.m.hdr->checker_pid, 0, "a clean exit clears checker_pid");
}

Test(hc_targets, checker_follows_a_restarted_director)
{
	struct nflvs_config cfg;
	struct checker c;
	struct target *t;
	hc_record_t h;
	int slot, i;

	fix_init(&f, WEB);
	fix_director(&f);
	fix_config(&f, &cfg);
	cr_assert_eq(checker_init(&c, &cfg), 0);
	checker_shm_tick(&c);
	t = target_at(&c, "10.0.2.11", 8080);
	cr_assert_not_null(t);
	/* as if checks had brought it down */
	t->sm.state = t->rec.state = NFLVS_RS_DOWN;
	t->rec.checks_failed = 2;
	snprintf(t->rec.last_error, sizeof(t->rec.last_error), "HTTP 503");

	/* the director stops (flags the segment) and starts again */
	shm_close(&f.m);
	cr_assert_eq(shm_create(&f.m, f.shm, 16, 64), 0);
	checker_shm_tick(&c);
	cr_expect(c.attached);
	cr_expect_eq(c.nt, 0, "nothing to check in an empty segment");
	fix_director(&f);
	checker_shm_tick(&c);
	cr_expect_eq(c.nt, 2);
	cr_expect_eq(f.m.hdr->checker_pid, (uint32_t)getpid());
	/* a third one replaces the segment without flagging the old one */
	f.m.owner = false;
	shm_close(&f.m);
	cr_assert_eq(shm_create(&f.m, f.shm, 16, 64), 0, "a third director");
	fix_director(&f);
	t = target_at(&c, "10.0.2.11", 8080);
	cr_assert_not_null(t);
	t->sm.state = t->rec.state = NFLVS_RS_DOWN;
	for (i = 0; i < 10; i++)	/* the director's start time tells */
		checker_shm_tick(&c);
	slot = fix_find_rs(&f, "10.0.2.11", 8080);
	cr_assert_geq(slot, 0);
	t = target_at(&c, "10.0.2.11", 8080);
	cr_assert_not_null(t);
	cr_expect_eq(t->id, f.m.rs[slot].id, "matched by address, new id");
	cr_assert_eq(hcstate_read(&f.m.rs[slot], &h), 0);
	cr_expect_eq(h.state, NFLVS_RS_DOWN,
		     "the result carried over is published at once");
	checker_free(&c);
}

Test(hc_targets, refuses_a_segment_of_another_abi)
{
	struct nflvs_config cfg;
	struct checker c;
	int i;

	fix_init(&f, WEB);
	f.m.hdr->abi_version = 99;
	fix_config(&f, &cfg);
	cr_assert_eq(checker_init(&c, &cfg), 0);
	for (i = 0; i < 20 && !c.stop; i++)
		checker_shm_tick(&c);
	cr_expect(c.stop, "gave up on the segment");
	cr_expect_eq(c.exit_code, 1);
	cr_expect(!c.attached);
	checker_free(&c);
}
