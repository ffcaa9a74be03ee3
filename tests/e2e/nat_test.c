// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NAT mode end to end: a client, the director and three real servers in
 * network namespaces (see lab.h), traffic through the VIP.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lab.h"

static struct lab lab;

static void setup3(void)
{
	lab_init(&lab);
	cr_assert_eq(lab_nat_topology(&lab, 3), 0, "topology");
	cr_assert_eq(lab_serve_all(&lab, 3, "--tcp 80 --tcp 8080 --udp 53"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(nat, .init = setup3, .fini = teardown, .timeout = 120);

#define RS3_TCP(sched, port, w1, w2, w3) \
	"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; protocol = \"tcp\";\n" \
	"  scheduler = \"" sched "\";\n" \
	"  real_servers = (\n" \
	"    { address = \"10.0.2.11\"; port = " #port "; weight = " #w1 "; },\n" \
	"    { address = \"10.0.2.12\"; port = " #port "; weight = " #w2 "; },\n" \
	"    { address = \"10.0.2.13\"; port = " #port "; weight = " #w3 "; } ); } );\n"

static void expect_seq(const struct lab_tally *t, const char *const *want,
		       int nwant, int n)
{
	int i;

	cr_assert_eq(t->nseq, n, "expected %d answers, got %d", n, t->nseq);
	for (i = 0; i < n; i++)
		cr_expect_str_eq(t->seq[i], want[i % nwant],
				 "connection %d went to %s, expected %s", i,
				 t->seq[i], want[i % nwant]);
}

/* IPVS lists new destinations first: config rs1, rs2, rs3 -> rs3, rs2, rs1 */
Test(nat, rr_spreads_exactly)
{
	static const char *const want[] = { "rs3", "rs2", "rs1" };
	struct lab_tally t;

	lab_write_conf(&lab, RS3_TCP("rr", 80, 1, 1, 1));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 30 --seq"), 0,
		     "client errors: %d", t.errors);
	expect_seq(&t, want, 3, 30);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 10);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 10);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 10);
}

Test(nat, wrr_follows_ipvs_sequence)
{
	/*
	 * list rs3(1) rs2(2) rs1(3), added one by one as IPVS does: the
	 * first pass runs at cw 1 (see sched_test.c), then cw 3, 2, 1, ...
	 */
	static const char *const want[] = { "rs3", "rs2", "rs1", "rs1", "rs2", "rs1" };
	struct lab_tally t;

	lab_write_conf(&lab, RS3_TCP("wrr", 80, 3, 2, 1));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 60 --seq"), 0);
	expect_seq(&t, want, 6, 60);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 30);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 20);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 10);
}

Test(nat, wrr_weight_zero_is_quiesced)
{
	struct lab_tally t;

	lab_write_conf(&lab, RS3_TCP("wrr", 80, 1, 0, 1));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 20"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 10);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 10);
}

Test(nat, port_mapping)
{
	struct lab_tally t;

	/* real servers also listen on 80: an unmapped connection would count */
	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 8080; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 5"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 5);
	/* and the server saw them on 8080: conntrack shows the DNAT */
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s conntrack -L -p tcp --orig-dst " LAB_VIP4
			    " --reply-port-src 8080 2>/dev/null | grep -q 10.0.2.11",
			    lab_ns(&lab, "dir")), 0, "no DNAT to port 8080 in conntrack");
}

Test(nat, ipv6_vip)
{
	struct lab_tally t;

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP6 "\"; port = 80; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"fd00:2::11\"; port = 80; },\n"
		"                   { address = \"fd00:2::12\"; port = 8080; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP6 " 80 -n 10"), 0,
		     "errors %d\n%s", t.errors, lab_log(&lab, "director"));
	cr_expect_eq(lab_tally_of(&t, "rs1"), 5);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 5);
}

Test(nat, udp_service)
{
	struct lab_tally t;

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 53; protocol = \"udp\"; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 53; },\n"
		"                   { address = \"10.0.2.12\"; port = 53; },\n"
		"                   { address = \"10.0.2.13\"; port = 53; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " LAB_VIP4 " 53 -n 12"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 4);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 4);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 4);
}

static pid_t start_hold(void)
{
	char ready[256];
	pid_t pid;

	snprintf(ready, sizeof(ready), "%s/hold.ready", lab.dir);
	pid = lab_spawn(&lab, "cl", "hold",
			"exec build/tests/nflvs-testnet hold " LAB_VIP4
			" 80 --interval-ms 20 --ready-file %s", ready);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -e %s", ready), 0,
		     "hold did not connect: %s", lab_log(&lab, "hold"));
	return pid;
}

static void finish_hold(pid_t pid)
{
	cr_assert_eq(lab_wait_exit(&lab, pid, 0), -1,
		     "the long-lived connection broke: %s", lab_log(&lab, "hold"));
	cr_assert_eq(lab_stop(&lab, pid, SIGTERM, 5000), 0, "hold: %s",
		     lab_log(&lab, "hold"));
	cr_expect(strncmp(lab_log(&lab, "hold"), "ok ", 3) == 0, "hold: %s",
		  lab_log(&lab, "hold"));
}

Test(nat, long_lived_connection_survives_new_ones)
{
	struct lab_tally t;
	pid_t hold;

	lab_write_conf(&lab, RS3_TCP("rr", 80, 1, 1, 1));
	cr_assert_eq(lab_director_start(&lab), 0);
	hold = start_hold();
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 30"), 0);
	cr_expect_eq(t.n, 3);
	finish_hold(hold);
}

static int table_exists(const char *family)
{
	return lab_sh(&lab, "ip netns exec %s nft list table %s nflvs >/dev/null",
		      lab_ns(&lab, "dir"), family) == 0;
}

Test(nat, stop_removes_only_its_tables)
{
	lab_sh(&lab, "ip netns exec %s nft add table inet foreign", lab_ns(&lab, "dir"));
	lab_sh(&lab, "ip netns exec %s nft add chain inet foreign c '{ type filter hook input priority 0; }'",
	       lab_ns(&lab, "dir"));
	lab_write_conf(&lab, RS3_TCP("rr", 80, 1, 1, 1));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert(table_exists("inet"));
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0, "%s", lab_log(&lab, "director"));
	cr_expect(!table_exists("inet"), "table inet nflvs left behind");
	cr_expect(!table_exists("ip"), "table ip nflvs left behind");
	cr_expect(!table_exists("ip6"), "table ip6 nflvs left behind");
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s nft list chain inet foreign c",
			    lab_ns(&lab, "dir")), 0, "foreign table was touched");
}

/* A service of 5,000 real servers is one batch of some 25,000 messages:
 * the kernel acks each, and all of them must fit (they once did not). */
Test(nat, five_thousand_real_servers)
{
	char out[64];
	FILE *f = fopen(lab.conf, "w");
	int i;

	cr_assert_not_null(f);
	fprintf(f, "director = { table = \"nflvs\"; shm = \"%s\"; control = \"%s/director.sock\";\n"
		"  mark_mask = 0x3fff0000; };\n"
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; real_servers = (\n",
		lab.shm, lab.dir);
	for (i = 0; i < 5000; i++)
		fprintf(f, "%s{ address = \"10.0.2.11\"; port = %d; }", i ? ",\n" : "",
			10000 + i);
	fprintf(f, " ); } );\n");
	fclose(f);
	cr_assert_eq(lab_director_start(&lab), 0);
	lab_cap(&lab, out, sizeof(out), "ip netns exec %s nft list map inet nflvs nat4 | "
		"grep -o '10.0.2.11 \\. [0-9]*' | sort -u | wc -l", lab_ns(&lab, "dir"));
	cr_expect_eq(atoi(out), 5000, "%s", out);
}

Test(nat, restart_over_stale_table_and_established_flows_survive_kill9)
{
	struct lab_tally t;
	pid_t hold;

	lab_write_conf(&lab, RS3_TCP("rr", 80, 1, 1, 1));
	cr_assert_eq(lab_director_start(&lab), 0);
	hold = start_hold();

	cr_assert_eq(lab_director_stop(&lab, SIGKILL), 128 + SIGKILL);
	cr_assert(table_exists("inet"), "kill -9 should leave the table");
	/* while no director runs, no new connection is scheduled */
	lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 1 --timeout-ms 300");
	cr_expect_eq(t.errors, 1, "a connection got through without the director");

	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 9"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 3);
	cr_expect_eq(lab_sh(&lab, "test $(ip netns exec %s nft list tables | grep -c nflvs) -le 3",
			    lab_ns(&lab, "dir")), 0);
	finish_hold(hold);
}
