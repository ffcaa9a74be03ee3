// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NAT mode end to end: a client, the director and three real servers in
 * network namespaces (see lab.h), traffic through the VIP.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static struct lab lab;

static void setup3(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 80 --tcp 8080 --udp 53"), 0);
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

#define TWO_SVCS(first, second) "services = ( " first ",\n" second " );\n"
#define SVC_SCHED(port, sched) \
	"{ vip = \"" LAB_VIP4 "\"; port = " #port "; protocol = \"tcp\";\n" \
	"  scheduler = \"" sched "\"; real_servers = (\n" \
	"    { address = \"10.0.2.11\"; port = " #port "; },\n" \
	"    { address = \"10.0.2.12\"; port = " #port "; },\n" \
	"    { address = \"10.0.2.13\"; port = " #port "; } ); }"
#define SVC_PORT(port) SVC_SCHED(port, "rr")

Test(nat, restart_over_stale_table_and_established_flows_survive_kill9)
{
	struct lab_tally t;
	pid_t hold;

	lab_write_conf(&lab, TWO_SVCS(SVC_SCHED(80, "rr"), SVC_SCHED(8080, "wlc")));
	cr_assert_eq(lab_director_start(&lab), 0);
	hold = start_hold();

	cr_assert_eq(lab_director_stop(&lab, SIGKILL), 128 + SIGKILL);
	cr_assert(table_exists("inet"), "kill -9 should leave the table");
	/* while no director runs, a service it schedules takes no new
	 * connection; one the kernel schedules (rr) goes on, as IPVS does
	 * without keepalived */
	lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 8080 -n 1 --timeout-ms 300");
	cr_expect_eq(t.errors, 1, "a connection got through without the director");
	lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 1 --timeout-ms 3000");
	cr_expect_eq(t.errors, 0, "the kernel stopped scheduling with the director");

	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 9"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 3);
	cr_expect_eq(lab_sh(&lab, "test $(ip netns exec %s nft list tables | grep -c nflvs) -le 3",
			    lab_ns(&lab, "dir")), 0);
	finish_hold(hold);
}

/*
 * Issue 13: after a restart with the same services in another order,
 * established NAT connections were counted against the wrong real servers
 * (marks went out in config order).  A mark is now its real server's key
 * hashed (tests/unit/apply_test.c: the order of the file does not
 * matter), and a restart over the table of a killed director keeps that
 * table's marks: the held connection stays on a :80 real server in -Lnc
 * and in the counts.
 */

static void expect_hold_on_port80(const char *when)
{
	char out[4096];

	cr_assert_eq(lab_wait_sh(&lab, 5000, "build/nflvsadm --socket %s/director.sock -Lnc | "
				 "grep ESTABLISHED | grep -q ':80 *$'", lab.dir), 0,
		     "%s: the held connection is not on a :80 real server:\n%s", when,
		     (lab_cap(&lab, out, sizeof(out), "build/nflvsadm --socket %s/director.sock -Lnc",
			      lab.dir), out));
	cr_expect_eq(lab_sh(&lab, "build/nflvsadm --socket %s/director.sock -Lnc | "
			    "grep -q ':8080 *$'", lab.dir), 1,
		     "%s: a connection is shown going to :8080", when);
	/* ActiveConn: 1 on one real server of :80, 0 on those of :8080 */
	cr_expect_eq(lab_wait_sh(&lab, 5000, "build/nflvsadm --socket %s/director.sock -Ln | "
				 "awk '/^TCP/ { p = $2 } / -> / && $5 > 0 { print p }' | "
				 "grep -qx '" LAB_VIP4 ":80'", lab.dir), 0,
		     "%s: the connection is not counted on :80", when);
	cr_expect_eq(lab_sh(&lab, "build/nflvsadm --socket %s/director.sock -Ln | "
			    "awk '/^TCP/ { p = $2 } / -> / && $5 > 0 { print p }' | "
			    "grep -q ':8080'", lab.dir), 1,
		     "%s: a connection is counted on :8080", when);
}

Test(nat, restart_in_another_order_keeps_connections_on_their_servers)
{
	pid_t hold;

	lab_write_conf(&lab, TWO_SVCS(SVC_PORT(80), SVC_PORT(8080)));
	cr_assert_eq(lab_director_start(&lab), 0);
	hold = start_hold();
	expect_hold_on_port80("first run");
	/* the table stays: its marks are read back */
	cr_assert_eq(lab_director_stop(&lab, SIGKILL), 128 + SIGKILL);
	lab_write_conf(&lab, TWO_SVCS(SVC_PORT(8080), SVC_PORT(80)));
	cr_assert_eq(lab_director_start(&lab), 0);
	expect_hold_on_port80("after kill -9 and a start in another order");
	finish_hold(hold);
}

/* ---- connections the director never saw ---------------------------------- */

/*
 * A connection whose conntrack entry is gone (another director began it,
 * or it was deleted, as here with conntrack -F) sends packets that are
 * not SYNs.  With nf_conntrack_tcp_loose on (the default) conntrack makes
 * them new, and the director takes them only if the service is
 * consistent (mh here): they go to the real server that has the
 * connection.  With it off they are INVALID: no director sees them, and
 * the host's stack, which holds the VIP, must not reset them.
 */
#define NAT_SVC(sched, flags) \
	"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; protocol = \"tcp\";\n" \
	"  scheduler = \"" sched "\"; scheduler_flags = ( " flags " );\n" \
	"  real_servers = ( { address = \"10.0.2.11\"; port = 80; },\n" \
	"    { address = \"10.0.2.12\"; port = 80; },\n" \
	"    { address = \"10.0.2.13\"; port = 80; } ); } );\n"
#define NCONNS	12

static pid_t stream_start(void)
{
	pid_t pid = lab_stream(&lab, LAB_VIP4, 80, NCONNS);

	cr_assert_gt(pid, 0);
	cr_assert_geq(lab_wait_stat(&lab, "stream", "rounds_min", 5, 10000), 5);
	return pid;
}

static void sysctl_loose(int on)
{
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw net.netfilter.nf_conntrack_tcp_loose=%d",
			    lab_ns(&lab, "dir"), on), 0);
}

/* Packets the vip_input chain dropped (ip table, or inet if native). */
#define VIP_DROPS \
	"sh -c 'nft list chain ip nflvs vip_input 2>/dev/null || " \
	"nft list chain inet nflvs vip_input' | awk '/drop/ { for (i = 1; i < NF; i++) " \
	"if ($i == \"packets\") s += $(i + 1) } END { print s + 0 }'"

static long long vip_input_drops(void)
{
	char out[64];

	lab_cap(&lab, out, sizeof(out), "ip netns exec %s " VIP_DROPS, lab_ns(&lab, "dir"));
	return atoll(out);
}

/* Stop the client: nothing was reset or closed; the stall comes back. */
static long long stream_end(pid_t pid)
{
	const char *out;
	long long stall = -1;
	int ok = -1;

	cr_expect_eq(lab_stop(&lab, pid, SIGTERM, 5000), 0, "%s", lab_log(&lab, "stream"));
	out = lab_log(&lab, "stream");
	if (strstr(out, "total "))
		sscanf(strstr(out, "total "), "total %*d ok %d stall_max_ms %lld", &ok,
		       &stall);
	cr_expect_eq(ok, NCONNS, "%s", out);
	return stall;
}

/*
 * The director loses its state while the real servers keep theirs.  A
 * real server's answer that reaches a director with no entry leaves it
 * un-NATed (as from IPVS), and the client's stack resets the connection:
 * conntrack sync, not scheduling, covers that (docs/nflvs-director.8,
 * CONNECTIONS BEGUN ELSEWHERE).  So that only what the director decides
 * is tested, the director's namespace drops both directions around the
 * flush (nft, before conntrack), and the real servers' side comes back
 * once the client's retransmissions have been taken over.
 */
static void block(const char *what, bool on)
{
	if (on)
		cr_assert_eq(lab_sh(&lab, "ip netns exec %s sh -c \"nft add table inet t%s && "
				    "nft add chain inet t%s c '{ type filter hook prerouting priority -400; }' && "
				    "nft add rule inet t%s c ip %s 10.0.1.2 tcp %s 80 drop\"",
				    lab_ns(&lab, "dir"), what, what, what,
				    !strcmp(what, "cl") ? "saddr" : "daddr",
				    !strcmp(what, "cl") ? "dport" : "sport"), 0);
	else
		cr_assert_eq(lab_sh(&lab, "ip netns exec %s nft delete table inet t%s",
				    lab_ns(&lab, "dir"), what), 0);
}

static void conntrack_flush(void)
{
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s conntrack -F", lab_ns(&lab, "dir")), 0);
}

/* The client's connections the director scheduled: "test $(...) -eq N" */
#define CT_SCHEDULED \
	"conntrack -L -p tcp --orig-dst " LAB_VIP4 " 2>/dev/null | " \
	"grep -c 'ESTABLISHED.*mark=[1-9]'"

/* The stream of a consistent (mh) service, stalled both ways (block()). */
static pid_t stream_stalled(void)
{
	pid_t s;

	lab_write_conf(&lab, NAT_SVC("mh", "\"mh-port\""));
	cr_assert_eq(lab_director_start(&lab), 0);
	s = stream_start();
	block("cl", true);
	block("rs", true);
	cr_assert_geq(lab_wait_stat(&lab, "stream", "waiting_max_ms", 300, 10000), 300);
	return s;
}

/* Every connection of the stream taken over by the director: with the
 * real servers' side back, it goes on from round @r0, none reset. */
static void expect_taken_over(pid_t s, long long r0)
{
	/* deadlines for retransmissions that back off, on a busy machine */
	cr_expect_eq(lab_wait_sh(&lab, 60000, "test $(ip netns exec %s " CT_SCHEDULED ") -eq %d",
				 lab_ns(&lab, "dir"), NCONNS), 0, "not taken over: %s",
		     lab_log(&lab, "director"));
	block("rs", false);
	cr_expect_geq(lab_wait_stat(&lab, "stream", "rounds_min", r0 + 20, 60000), r0 + 20,
		      "%s", lab_log(&lab, "stream"));
	cr_expect_eq(lab_stat(&lab, "stream", "reset"), 0);
	stream_end(s);
}

Test(nat, consistent_service_takes_over_connections_it_never_saw)
{
	pid_t s = stream_stalled();
	long long r0 = lab_stat(&lab, "stream", "rounds_min"), d0;

	conntrack_flush();

	/* loose off: INVALID, dropped before the host's stack, never reset */
	sysctl_loose(0);
	d0 = vip_input_drops();
	block("cl", false);
	cr_expect_eq(lab_wait_sh(&lab, 30000, "test $(ip netns exec %s " VIP_DROPS ") -ge %lld",
				 lab_ns(&lab, "dir"), d0 + NCONNS), 0,
		     "vip_input dropped %lld", vip_input_drops() - d0);
	cr_expect_eq(lab_stat(&lab, "stream", "reset"), 0);

	/* loose on: the retransmissions are new connections, taken over */
	sysctl_loose(1);
	expect_taken_over(s, r0);
}

Test(nat, connection_it_never_saw_is_dropped_not_reset)
{
	long long d0;
	pid_t s;

	/* rr is not consistent: it would send them to a server that resets */
	lab_write_conf(&lab, NAT_SVC("rr", ""));
	cr_assert_eq(lab_director_start(&lab), 0);
	s = stream_start();
	conntrack_flush();
	cr_expect_geq(lab_wait_stat(&lab, "stream", "waiting_max_ms", 1500, 30000), 1500);
	cr_expect_eq(lab_stat(&lab, "stream", "reset"), 0);
	cr_expect_eq(lab_stat(&lab, "stream", "open"), NCONNS);
	/* loose off: they reach the host's stack now, which must not answer */
	sysctl_loose(0);
	d0 = vip_input_drops();
	cr_expect_gt(lab_wait_stat(&lab, "stream", "waiting_max_ms", 3500, 30000), 0);
	cr_expect_gt(vip_input_drops(), d0, "no retransmission reached vip_input");
	cr_expect_eq(lab_stat(&lab, "stream", "reset"), 0);
	cr_expect_geq(stream_end(s), 3500);
}

/* ---- a director's role in a pair (nflvsadm --role, docs/ha.md) ---------- */

#define ADM_DIR "build/nflvsadm --socket %s/director.sock "

/* A backup keeps its connections and schedules nothing new; told it is
 * master, it schedules again. */
Test(nat, backup_schedules_nothing_new)
{
	struct lab_tally t;
	long long r0;
	pid_t s;

	lab_write_conf(&lab, NAT_SVC("rr", ""));
	cr_assert_eq(lab_director_start(&lab), 0);
	s = stream_start();
	cr_assert_eq(lab_sh(&lab, ADM_DIR "--role backup", lab.dir), 0);
	cr_expect_eq(lab_sh(&lab, ADM_DIR "--status | grep -q '^Role: backup'", lab.dir), 0);
	lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 1 --timeout-ms 500");
	cr_expect_eq(t.errors, 1, "a backup scheduled a new connection");
	r0 = lab_stat(&lab, "stream", "rounds_min");
	cr_expect_geq(lab_wait_stat(&lab, "stream", "rounds_min", r0 + 10, 30000), r0 + 10,
		      "the backup's connections stall: %s", lab_log(&lab, "stream"));
	cr_assert_eq(lab_sh(&lab, ADM_DIR "--role master", lab.dir), 0);
	cr_expect_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3"), 0);
	cr_expect_eq(t.errors, 0);
	cr_expect_eq(lab_sh(&lab, ADM_DIR "--role primary", lab.dir), 2, "an unknown role");
	stream_end(s);
}

/*
 * Taking over (--role takeover), even a consistent service adopts no
 * packet of a connection it does not know: its state may still be on its
 * way.  The packets are dropped, never reset; once master, the director
 * takes them over (the test above without the role).
 */
Test(nat, takeover_drops_mid_stream_until_master)
{
	pid_t s = stream_stalled();
	long long r0;

	cr_assert_eq(lab_sh(&lab, ADM_DIR "--role takeover", lab.dir), 0);
	conntrack_flush();
	block("cl", false);
	/* retransmissions come (loose on: conntrack makes them new) and go */
	cr_expect_geq(lab_wait_stat(&lab, "stream", "waiting_max_ms", 1500, 30000), 1500);
	cr_expect_eq(lab_sh(&lab, "test $(ip netns exec %s " CT_SCHEDULED ") -eq 0",
			    lab_ns(&lab, "dir")), 0, "adopted while taking over");
	cr_expect_eq(lab_stat(&lab, "stream", "reset"), 0);
	r0 = lab_stat(&lab, "stream", "rounds_min");
	cr_assert_eq(lab_sh(&lab, ADM_DIR "--role master", lab.dir), 0);
	expect_taken_over(s, r0);
}

/* --check: 0 while the director applies its ruleset; not when the
 * table is gone, nor when no director answers. */
Test(nat, check_says_whether_the_director_applies)
{
	lab_write_conf(&lab, NAT_SVC("rr", ""));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect_eq(lab_sh(&lab, ADM_DIR "--check", lab.dir), 0);
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s nft delete table inet nflvs",
			    lab_ns(&lab, "dir")), 0);
	cr_expect_neq(lab_sh(&lab, ADM_DIR "--check", lab.dir), 0);
	cr_assert_eq(lab_director_stop(&lab, SIGKILL), 128 + SIGKILL);
	cr_expect_neq(lab_sh(&lab, ADM_DIR "--check", lab.dir), 0);
}

/*
 * rr and wrr services are scheduled by nftables itself (ksched.h): the
 * service's chain takes every SYN, the queue none, with the director's
 * counts and Conns as ever.  A weight change and the HA role reach the
 * chain; with director.kernel_schedule = false the queue takes them all.
 */
#define KS_TAKEN \
	"ip netns exec %s nft list table ip nflvs | sed -n '/chain ks/,/}/p' | " \
	"grep -o 'counter packets [0-9]*' | awk '{ s += $3 } END { print s + 0 }'"
#define QUEUED \
	"ip netns exec %s nft list chain ip nflvs queue_new | grep '@services4 counter' | " \
	"grep -o 'counter packets [0-9]*' | awk '{ s += $3 } END { print s + 0 }'"
#define KS_JUMPS "ip netns exec %s nft list map ip nflvs ksched4 | grep -c 'jump ks'"

Test(nat, kernel_schedules_rr_and_follows_weights_and_role)
{
	static const char *const want[] = { "rs3", "rs2", "rs1" };
	const char *dir = lab_ns(&lab, "dir");
	struct lab_tally t;

	lab_write_conf(&lab, RS3_TCP("rr", 80, 1, 1, 1));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, ADM_DIR "--status | grep -q "
				 "'^Kernel scheduling: on, 1 services'", lab.dir), 0,
		     "%s", lab_log(&lab, "director"));
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 30 --seq"), 0);
	expect_seq(&t, want, 3, 30);
	cr_expect_eq(lab_sh(&lab, "test $(" KS_TAKEN ") -eq 30", dir), 0,
		     "the kernel's chain did not take the 30 SYNs");
	cr_expect_eq(lab_sh(&lab, "test $(" QUEUED ") -eq 0", dir), 0,
		     "SYNs went through the queue");
	/* Conns from conntrack's events, as the director counts them */
	cr_expect_eq(lab_wait_sh(&lab, 5000, ADM_DIR "-Ln --stats | "
				 "grep -Eq '^TCP +" LAB_VIP4 ":80 +30 '", lab.dir), 0,
		     "Conns");
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, 10, 5000), 0);

	/* quiesced: new connections leave it alone */
	cr_assert_eq(lab_sh(&lab, ADM_DIR "-e -t " LAB_VIP4 ":80 -r 10.0.2.11:80 -m -w 0",
			    lab.dir), 0);
	cr_expect_eq(lab_wait_sh(&lab, 5000, "test $(" KS_JUMPS ") -eq 1", dir), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 20"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 10);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 10);

	/* a backup: the chain is out of reach before the reply */
	cr_assert_eq(lab_sh(&lab, ADM_DIR "--role backup", lab.dir), 0);
	cr_expect_eq(lab_sh(&lab, "test $(" KS_JUMPS ") -eq 0", dir), 0);
	cr_assert_eq(lab_sh(&lab, ADM_DIR "--role master", lab.dir), 0);
	cr_expect_eq(lab_sh(&lab, "test $(" KS_JUMPS ") -eq 1", dir), 0);

	/* switched off on reload: the queue schedules, as exactly */
	lab_write_conf(&lab, RS3_TCP("rr", 80, 1, 1, 1));
	cr_assert_eq(lab_sh(&lab, "sed -i 's/^director = {/director = { kernel_schedule = false;/' %s",
			    lab.conf), 0);
	kill(lab.director, SIGHUP);
	cr_assert_eq(lab_wait_sh(&lab, 5000, ADM_DIR "--status | grep -q "
				 "'^Kernel scheduling: off'", lab.dir), 0,
		     "%s", lab_log(&lab, "director"));
	cr_expect_eq(lab_sh(&lab, "test $(" KS_JUMPS ") -eq 0", dir), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_sh(&lab, "test $(" QUEUED ") -eq 6", dir), 0,
		     "the queue did not take the 6 SYNs");
}
