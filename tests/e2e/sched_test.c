// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 3 end to end: connection accounting from conntrack, schedulers
 * that follow it, persistence, firewall-mark and any-port services.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "shm_map.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 80 --tcp 8080 --udp 53"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(sched, .init = setup, .fini = teardown, .timeout = 120);

static pid_t hold(int n)
{
	char ready[256];
	pid_t pid;

	snprintf(ready, sizeof(ready), "%s/hold%d.ready", lab.dir, n);
	pid = lab_spawn(&lab, "cl", "hold",
			"exec build/tests/nflvs-testnet hold " LAB_VIP4
			" 80 --interval-ms 200 --ready-file %s", ready);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -e %s", ready), 0,
		     "hold did not connect: %s", lab_log(&lab, "hold"));
	return pid;
}

/* Entries in the director's conntrack DNATed to @rs, ESTABLISHED or not. */
static int ct_count(const char *rs, bool established)
{
	char out[64];

	lab_cap(&lab, out, sizeof(out),
		"ip netns exec %s conntrack -L -p tcp --reply-src %s 2>/dev/null | "
		"grep %s -c ESTABLISHED", lab_ns(&lab, "dir"), rs,
		established ? "" : "-v");
	return atoi(out);
}

#define SVC(sched, extra) \
	"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"" sched "\";\n" extra \
	"  real_servers = ( { address = \"10.0.2.11\"; port = 80; },\n" \
	"                   { address = \"10.0.2.12\"; port = 80; },\n" \
	"                   { address = \"10.0.2.13\"; port = 80; } ); } );\n"

Test(sched, counts_match_conntrack)
{
	static const char *const rs[] = { "10.0.2.11", "10.0.2.12", "10.0.2.13" };
	struct lab_tally t;
	int i;

	lab_write_conf(&lab, SVC("rr", ""));
	cr_assert_eq(lab_director_start(&lab), 0);
	for (i = 0; i < 3; i++)
		hold(i);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(lab_wait_counts(&lab, rs[i], 80, 1, 2, 3000), 0,
			     "%s: want 1 active, 2 inactive", rs[i]);
		cr_expect_eq(ct_count(rs[i], true), 1);
		cr_expect_eq(ct_count(rs[i], false), 2);
	}
	/* ended connections leave the counts when conntrack drops them */
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s conntrack -D -p tcp --state CLOSE",
			    lab_ns(&lab, "dir")), 0);
	for (i = 0; i < 3; i++)
		cr_expect_eq(lab_wait_counts(&lab, rs[i], 80, 1, 0, 3000), 0, "%s", rs[i]);
}

/*
 * A connection closed with a FIN (lab_count's clients close with RST):
 * active while ESTABLISHED, inactive from the FIN on, gone when conntrack
 * drops it, each count as conntrack's own.  With the event mask chosen per
 * packet (only a FIN or RST turns the state changes on), this is the
 * message that must not be missed.
 */
Test(sched, a_fin_makes_the_connection_inactive)
{
	char ready[256], go[256];

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 80; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	snprintf(ready, sizeof(ready), "%s/fin.ready", lab.dir);
	snprintf(go, sizeof(go), "%s/fin.go", lab.dir);
	cr_assert_gt(lab_spawn(&lab, "cl", "fin",
			       "exec bash -c 'exec 3<>/dev/tcp/" LAB_VIP4 "/80 && "
			       "touch %s && until [ -e %s ]; do sleep 0.05; done; "
			       "exec 3>&-; exec sleep 60'", ready, go), 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -e %s", ready), 0,
		     "no connection: %s", lab_log(&lab, "fin"));
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 1, 0, 3000), 0,
		     "ESTABLISHED: active");
	cr_expect_eq(ct_count("10.0.2.11", true), 1);
	lab_put(&lab, "fin.go", "", 0644);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, 1, 3000), 0,
		     "after the FIN: inactive");
	cr_expect_eq(lab_wait_sh(&lab, 3000, "test \"$(ip netns exec %s conntrack -L "
				 "-p tcp --reply-src 10.0.2.11 2>/dev/null | grep -c "
				 "ESTABLISHED)\" = 0", lab_ns(&lab, "dir")), 0);
	cr_expect_eq(ct_count("10.0.2.11", false), 1);
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s conntrack -D -p tcp --reply-src 10.0.2.11",
			    lab_ns(&lab, "dir")), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, 0, 3000), 0, "ended");
}

/*
 * Ended connections also leave the counts when they expire, which conntrack
 * notices lazily (whoever lists or looks them up removes them; its garbage
 * collector comes by much later): nobody lists them here, the director
 * must look by itself.  The CLOSE timeout is conntrack's sysctl at start.
 */
Test(sched, expired_connections_leave_the_counts)
{
	struct lab_tally t;

	lab_sh(&lab, "ip netns exec %s sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=3",
	       lab_ns(&lab, "dir"));
	lab_write_conf(&lab, SVC("rr", ""));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3"), 0);
	cr_assert_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, 1, 2000), 0, "counted");
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, 0, 8000), 0, "expired");
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.12", 80, 0, 0, 1000), 0);
}

Test(sched, counts_survive_a_director_restart)
{
	struct lab_tally t;

	lab_write_conf(&lab, SVC("rr", ""));
	cr_assert_eq(lab_director_start(&lab), 0);
	hold(0);
	hold(1);
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	cr_assert_eq(lab_director_start(&lab), 0);
	/* rebuilt from a conntrack dump: rs3 and rs2 each hold one */
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.13", 80, 1, -1, 3000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.12", 80, 1, -1, 3000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, -1, 3000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3"), 0);
}

/* All of @t went to one real server: which one, or NULL. */
static const char *single_server(const struct lab_tally *t)
{
	return t->n == 1 && t->errors == 0 ? t->name[0] : NULL;
}

Test(sched, fwmark_service_balances_across_ports)
{
	struct lab_tally t;

	/* the user's own rule marks the traffic, before nflvs looks at it */
	cr_assert_eq(lab_sh(&lab, "printf '%%s\\n' 'table inet user { chain marking {'"
		" '  type filter hook prerouting priority mangle - 5;'"
		" '  ip daddr " LAB_VIP4 " tcp dport { 80, 8080 } meta mark set 5' '}' '}'"
		" | ip netns exec %s nft -f -", lab_ns(&lab, "dir")), 0);
	lab_write_conf(&lab,
		"services = ( { fwmark = 5; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; }, { address = \"10.0.2.12\"; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 8080 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
	/* the real servers were reached on the port the client used */
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s conntrack -L -p tcp --orig-port-dst 8080 "
			    "--reply-port-src 8080 2>/dev/null | grep -q 10.0.2.1",
			    lab_ns(&lab, "dir")), 0);
	/* unmarked traffic to the same VIP is not balanced */
	lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 81 -n 1 --timeout-ms 300");
	cr_expect_eq(t.errors, 1);
}

Test(sched, fwmark_overlapping_the_mark_mask_is_refused)
{
	lab_write_conf(&lab,
		"services = ( { fwmark = 0x10000; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; } ); } );\n");
	cr_expect_eq(lab_sh(&lab, "build/nflvs-director -t -f %s 2>&1 | "
			    "grep -q 'fwmark: 0x10000 uses bits of director.mark_mask'", lab.conf), 0);
}

static int wait_persist(const char *rs, int want, int ms)
{
	int i;

	for (i = 0; i < ms / 50; i++) {
		if (lab_rs_persist(&lab, rs) == want)
			return 0;
		usleep(50000);
	}
	return -1;
}

Test(sched, persistence_keeps_a_client_then_releases_it)
{
	struct lab_tally t;
	char kept[32];

	/* ended connections leave conntrack (and the template) soon */
	lab_sh(&lab, "ip netns exec %s sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=1",
	       lab_ns(&lab, "dir"));
	lab_write_conf(&lab, SVC("rr", "  persistence = 2;\n"));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 9"), 0);
	cr_assert_not_null(single_server(&t), "rr without persistence would spread 9 connections");
	snprintf(kept, sizeof(kept), "%s", t.name[0]);
	cr_expect_eq(wait_persist(kept, 1, 2000), 0, "one template for %s", kept);
	/* the template outlives its connections by the timeout, then goes */
	cr_assert_eq(wait_persist(kept, 0, 20000), 0, "the template never expired");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 1"), 0);
	cr_expect_str_neq(t.name[0], kept, "rr moves the client on once released");
}

Test(sched, persistence_netmask_groups_clients)
{
	struct lab_tally t;
	char first[32];

	lab_sh(&lab, "ip -n %s addr add 10.0.1.3/24 dev eth0", lab_ns(&lab, "cl"));
	lab_write_conf(&lab, SVC("rr", "  persistence = 60; persistence_netmask = 24;\n"));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3 --src 10.0.1.2"), 0);
	cr_assert_not_null(single_server(&t));
	snprintf(first, sizeof(first), "%s", t.name[0]);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3 --src 10.0.1.3"), 0);
	cr_assert_not_null(single_server(&t));
	cr_expect_str_eq(t.name[0], first, "10.0.1.3 is in 10.0.1.2's /24");
}

Test(sched, any_port_service_with_persistence)
{
	struct lab_tally t;
	char first[32];

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 0; persistence = 60; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 0; },\n"
		"                   { address = \"10.0.2.12\"; port = 0; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3"), 0);
	cr_assert_not_null(single_server(&t));
	snprintf(first, sizeof(first), "%s", t.name[0]);
	/* another port, the same template: the same server, on that port */
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 8080 -n 3"), 0);
	cr_assert_not_null(single_server(&t));
	cr_expect_str_eq(t.name[0], first);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " LAB_VIP4 " 53 -n 1 --timeout-ms 300"), 1,
		     "UDP is another service");
}

#define UDP_SVC(extra) \
	"services = ( { vip = \"" LAB_VIP4 "\"; port = 53; protocol = \"udp\"; scheduler = \"rr\";\n" extra \
	"  real_servers = ( { address = \"10.0.2.11\"; port = 53; },\n" \
	"                   { address = \"10.0.2.12\"; port = 53; },\n" \
	"                   { address = \"10.0.2.13\"; port = 53; } ); } );\n"

Test(sched, udp_flow_sticks_without_one_packet)
{
	struct lab_tally t;

	lab_write_conf(&lab, UDP_SVC(""));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " LAB_VIP4 " 53 -n 6 --sport 40000"), 0);
	cr_expect_not_null(single_server(&t), "one flow, one conntrack entry, one server");
}

Test(sched, one_packet_schedules_every_datagram)
{
	struct lab_tally t;
	char out[256];

	lab_write_conf(&lab, UDP_SVC("  one_packet = true;\n"));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " LAB_VIP4 " 53 -n 6 --sport 40000"), 0,
		     "errors %d", t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 2);
	/* and no conntrack state was made for them */
	lab_cap(&lab, out, sizeof(out), "ip netns exec %s conntrack -L -p udp 2>/dev/null | wc -l",
		lab_ns(&lab, "dir"));
	cr_expect_eq(atoi(out), 0, "one-packet datagrams left conntrack entries");
}

/* 0 when the director's table of either queue family has @chain */
static int has_chain(const char *chain)
{
	return lab_sh(&lab, "ip netns exec %s sh -c 'nft list chain ip nflvs %s || "
		      "nft list chain inet nflvs %s' >/dev/null 2>&1",
		      lab_ns(&lab, "dir"), chain, chain);
}

/*
 * The one-packet rewrite chains are hooks every packet passes: they come
 * with the first one-packet service and go with the last, at run time,
 * and the one-packet service works in between.
 */
Test(sched, one_packet_chains_follow_the_services)
{
	const char *adm = "build/nflvsadm --socket %s/director.sock ";
	char cmd[256];
	struct lab_tally t;

	lab_write_conf(&lab, UDP_SVC(""));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect_neq(has_chain("onepacket"), 0, "no one-packet service, no chain");
	cr_expect_neq(has_chain("onepacket_out"), 0);
	cr_expect_neq(has_chain("raw_lvs"), 0, "NAT only: no untracked service");
	cr_expect_neq(has_chain("lvs"), 0);
	snprintf(cmd, sizeof(cmd), "%s-A -u " LAB_VIP4 ":54 -s rr -o && %s-a -u " LAB_VIP4
		 ":54 -r 10.0.2.11:53 -m && %s-a -u " LAB_VIP4 ":54 -r 10.0.2.12:53 -m",
		 adm, adm, adm);
	cr_assert_eq(lab_sh(&lab, cmd, lab.dir, lab.dir, lab.dir), 0);
	cr_expect_eq(has_chain("onepacket"), 0, "the first one-packet service made it");
	cr_expect_eq(has_chain("onepacket_out"), 0);
	cr_expect_eq(has_chain("raw_lvs"), 0, "its datagrams are untracked there");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " LAB_VIP4 " 54 -n 4 --sport 40000"), 0,
		     "errors %d", t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
	snprintf(cmd, sizeof(cmd), "%s-D -u " LAB_VIP4 ":54", adm);
	cr_assert_eq(lab_sh(&lab, cmd, lab.dir), 0);
	cr_expect_neq(has_chain("onepacket"), 0, "the last one-packet service took it");
	cr_expect_neq(has_chain("onepacket_out"), 0);
	cr_expect_neq(has_chain("raw_lvs"), 0);
	/* the other service did not notice */
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " LAB_VIP4 " 53 -n 2 --sport 40001"), 0);
	cr_expect_not_null(single_server(&t));
}

/*
 * wlc steers new connections away from the server holding long-lived
 * ones: rs1 gets four held connections while rs2 is quiesced; with both at
 * weight 1 again, new connections all go to rs2 until its overhead
 * (inactive ones count 1, active 256) catches up.
 */
Test(sched, wlc_avoids_the_busy_server)
{
	struct lab_tally t;
	int i;

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"wlc\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 80; },\n"
		"                   { address = \"10.0.2.12\"; port = 80; weight = 0; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	for (i = 0; i < 4; i++)
		hold(i);
	cr_assert_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 4, -1, 3000), 0);
	cr_assert_eq(lab_sh(&lab, "build/nflvsadm --socket %s/director.sock -e -t " LAB_VIP4
			    ":80 -r 10.0.2.12:80 -m -w 1", lab.dir), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 20"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 20, "rs1 holds 4 active: overhead 1024");
	/* rr, for contrast, would have split them */
}

/* sh: one client, one server; another client address may differ */
Test(sched, sh_keeps_a_client_on_one_server)
{
	struct lab_tally t;
	char first[32];
	int i, moved = 0;

	for (i = 3; i < 11; i++)
		lab_sh(&lab, "ip -n %s addr add 10.0.1.%d/24 dev eth0", lab_ns(&lab, "cl"), i);
	lab_write_conf(&lab, SVC("sh", ""));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 12 --src 10.0.1.2"), 0);
	cr_assert_not_null(single_server(&t), "sh moved one client between servers");
	snprintf(first, sizeof(first), "%s", t.name[0]);
	/* other clients hash elsewhere, each staying put too */
	for (i = 3; i < 11; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.0.1.%d", i);
		cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3 --src %s", src), 0);
		cr_assert_not_null(single_server(&t), "%s moved", src);
		moved += strcmp(t.name[0], first) != 0;
	}
	cr_expect_gt(moved, 0, "nine clients all hashed to %s", first);
}
