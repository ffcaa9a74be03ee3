// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Direct routing and tunneling end to end (lab.h's DR topology): the
 * client behind a router; the router, the director and three real servers
 * on one LAN.  Requests go client -> router -> director -> real server;
 * answers go real server -> router -> client, past the director.
 *
 * DR: the director hands each packet unchanged to the real server's MAC.
 * TUN: it encapsulates each packet (ipip, gre, gue); the real servers
 * decapsulate in user space (build/tests/nflvs-decap: this kernel has no
 * tunnel devices) and answer from the VIP on lo.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_dr_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 80 --udp 53"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

/* TUN with the director's BPF encapsulator forced off: user space */
static void setup_nobpf(void)
{
	setenv("NFLVS_NO_BPF", "1", 1);
	setup();
}

static void teardown_nobpf(void)
{
	teardown();
	unsetenv("NFLVS_NO_BPF");
}

TestSuite(dr, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(tun, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(tunu, .init = setup_nobpf, .fini = teardown_nobpf, .timeout = 120);

#define V4	LAB_DR_VIP4
#define V6	LAB_DR_VIP6

/* A DR service of the three real servers; @fam 4 or 6. */
#define RS3(fam, proto, port, sched) \
	"{ vip = \"" V##fam "\"; port = " #port "; protocol = \"" proto "\";\n" \
	"  scheduler = \"" sched "\"; forward = \"dr\";\n" \
	"  real_servers = ( { address = \"" RS##fam(1) "\"; port = " #port "; },\n" \
	"    { address = \"" RS##fam(2) "\"; port = " #port "; },\n" \
	"    { address = \"" RS##fam(3) "\"; port = " #port "; } ); }"
#define RS4(n)	"10.0.3.1" #n
#define RS6(n)	"fd00:3::1" #n

static int adm(char *out, size_t len, const char *args)
{
	return lab_cap(&lab, out, len, "build/nflvsadm --socket %s/director.sock %s 2>&1",
		       lab.dir, args);
}

/* The packets counter of the lvs chain's rule with @comment in table @fam. */
static long long lvs_counter(const char *fam, const char *comment)
{
	char out[64];

	lab_cap(&lab, out, sizeof(out),
		"ip netns exec %s nft list chain %s nflvs lvs 2>/dev/null | "
		"grep '%s' | sed -n 's/.*counter packets \\([0-9]*\\).*/\\1/p'",
		lab_ns(&lab, "dir"), fam, comment);
	return out[0] ? atoll(out) : -1;
}

#define NEW_RULE	"a new DR connection: scheduled"

/* New DR connections scheduled, by the director (the queue rule) or by
 * the kernel (the ks chains of rr and wrr services, ksched.h), in @fam */
static long long lvs_new(const char *fam)
{
	char out[64];

	lab_cap(&lab, out, sizeof(out),
		"ip netns exec %s nft list table %s nflvs 2>/dev/null | "
		"sed -n '/chain ks/,/}/p' | grep -o 'counter packets [0-9]*' | "
		"awk '{ s += $3 } END { print s + 0 }'", lab_ns(&lab, "dir"), fam);
	return lvs_counter(fam, NEW_RULE) + atoll(out);
}
#define FIN_RULE	"FIN or RST"

static pid_t hold(const char *vip, const char *name)
{
	char ready[256];
	pid_t pid;

	snprintf(ready, sizeof(ready), "%s/%s.ready", lab.dir, name);
	pid = lab_spawn(&lab, "cl", name,
			"exec build/tests/nflvs-testnet hold %s 80 --interval-ms 50 "
			"--timeout-ms 3000 --ready-file %s",
			vip, ready);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -e %s", ready), 0,
		     "hold did not connect: %s", lab_log(&lab, name));
	return pid;
}

static void finish_hold(pid_t pid, const char *name)
{
	cr_assert_eq(lab_wait_exit(&lab, pid, 0), -1,
		     "the long-lived connection broke: %s", lab_log(&lab, name));
	cr_assert_eq(lab_stop(&lab, pid, SIGTERM, 5000), 0, "%s: %s", name,
		     lab_log(&lab, name));
	cr_expect(strncmp(lab_log(&lab, name), "ok ", 3) == 0, "%s: %s", name,
		  lab_log(&lab, name));
}

static void expect_rr(const struct lab_tally *t, int n)
{
	/* IPVS lists new destinations first: rs3, rs2, rs1 */
	static const char *const want[] = { "rs3", "rs2", "rs1" };
	int i;

	cr_assert_eq(t->nseq, n, "%d answers of %d", t->nseq, n);
	for (i = 0; i < n; i++)
		cr_expect_str_eq(t->seq[i], want[i % 3], "connection %d", i);
}

/* @n connections (--seq) from the client to @vip @port, spread as rr */
static void count_rr(const char *proto, const char *vip, int port, int n)
{
	struct lab_tally t;

	cr_assert_eq(lab_count(&lab, "cl", &t, "--%s %s %d -n %d --seq", proto,
			       vip, port, n), 0, "errors %d", t.errors);
	expect_rr(&t, n);
}

Test(dr, rr_spreads_exactly_ipv4_and_ipv6)
{
	char out[4096];

	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") ",\n"
		       RS3(6, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	count_rr("tcp", V4, 80, 30);
	count_rr("tcp", V6, 80, 30);
	/* each connection was scheduled once, with its SYN: by the
	 * kernel (rr), the director learning of it from the log */
	cr_expect_eq(lvs_new("ip"), 30);
	cr_expect_eq(lvs_new("ip6"), 30);
	cr_expect_eq(lvs_counter("ip", NEW_RULE), 0, "queued with kernel scheduling");
	cr_assert_eq(adm(out, sizeof(out), "-Ln"), 0, "%s", out);
	cr_expect(strstr(out, "  -> 10.0.3.11:80                 Route   1      0          10"),
		  "%s", out);
	cr_expect(strstr(out, "  -> [fd00:3::13]:80              Route   1      0          10"),
		  "%s", out);
	/* the flows the kernel made are the director's: listed, counted */
	cr_expect_eq(lab_sh(&lab, "test $(build/nflvsadm --socket %s/director.sock -Lnc | "
			    "grep -c ' 10.0.3.1[123]:80') -eq 30", lab.dir), 0,
		     "-Lnc does not list the 30 flows");
	cr_expect_eq(lab_sh(&lab, "build/nflvsadm --socket %s/director.sock -Ln --stats | "
			    "grep -Eq '^TCP +" V4 ":80 +30 '", lab.dir), 0, "Conns");
}

/* 0 when the director's table @fam (ip, ip6) has @chain */
static int has_chain(const char *fam, const char *chain)
{
	return lab_sh(&lab, "ip netns exec %s nft list chain %s nflvs %s >/dev/null 2>&1",
		      lab_ns(&lab, "dir"), fam, chain);
}

/*
 * raw_lvs and lvs are hooks every packet passes, a NAT connection's too:
 * they come with the first DR service of their family and go with the
 * last, at run time, and DR works in between.
 */
Test(dr, chains_come_and_go_with_the_services)
{
	char out[4096];
	struct lab_tally t;

	lab_write_conf(&lab, "services = ( );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect_neq(has_chain("ip", "raw_lvs"), 0, "no DR service, no chain");
	cr_expect_neq(has_chain("ip", "lvs"), 0);
	cr_assert_eq(adm(out, sizeof(out), "-A -t " V4 ":80 -s wlc"), 0, "%s", out);
	cr_assert_eq(adm(out, sizeof(out), "-a -t " V4 ":80 -r " RS4(1) ":80 -g"), 0, "%s", out);
	cr_expect_eq(has_chain("ip", "raw_lvs"), 0, "the first DR service made it");
	cr_expect_eq(has_chain("ip", "lvs"), 0);
	cr_expect_neq(has_chain("ip6", "lvs"), 0, "an IPv4 service: not in ip6");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 3"), 0, "errors %d", t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 3);
	cr_expect_eq(lvs_counter("ip", NEW_RULE), 3);
	cr_assert_eq(adm(out, sizeof(out), "-D -t " V4 ":80"), 0, "%s", out);
	cr_expect_neq(has_chain("ip", "raw_lvs"), 0, "the last DR service took it");
	cr_expect_neq(has_chain("ip", "lvs"), 0);
}

/* A wlc service stays with the director: every SYN through the queue. */
Test(dr, wlc_is_scheduled_by_the_director)
{
	struct lab_tally t;

	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "wlc") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 12"), 0);
	cr_expect_eq(lvs_counter("ip", NEW_RULE), 12);
	cr_expect_eq(lvs_new("ip"), 12, "the kernel scheduled some");
}

Test(dr, udp_and_wlc)
{
	struct lab_tally t;

	lab_write_conf(&lab, "services = ( " RS3(4, "udp", 53, "wlc") ",\n"
		       RS3(6, "udp", 53, "wlc") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	/* each datagram from its own port: a new flow, the least loaded */
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " V4 " 53 -n 12"), 0,
		     "errors %d", t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 4);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 4);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 4);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp " V6 " 53 -n 12"), 0,
		     "errors %d", t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 4);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 4);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.12", 53, 0, 4, 2000), 0);
}

/*
 * The answers never pass the director: a counter in its namespace of
 * packets from the VIPs stays at 0 through connections and a long
 * transfer, while the router's sees them; and the long transfer reached
 * the director with its SYN and its FIN only.
 */
Test(dr, answers_bypass_the_director)
{
	long long new4, fin4, new6, fin6;
	struct lab_tally t;
	char out[256];

	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") ",\n"
		       RS3(6, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	for (int i = 0; i < 2; i++) {
		const char *ns = lab_ns(&lab, i ? "rt" : "dir");

		cr_assert_eq(lab_sh(&lab,
			"ip netns exec %s nft add table inet probe && "
			"ip netns exec %s nft add chain inet probe pre "
			"'{ type filter hook prerouting priority -500; }' && "
			"ip netns exec %s nft add rule inet probe pre ip saddr " V4 " counter && "
			"ip netns exec %s nft add rule inet probe pre ip6 saddr " V6 " counter",
			ns, ns, ns, ns), 0);
	}
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 9"), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V6 " 80 -n 9"), 0);
	new4 = lvs_new("ip");
	fin4 = lvs_counter("ip", FIN_RULE);
	new6 = lvs_new("ip6");
	fin6 = lvs_counter("ip6", FIN_RULE);
	lab_cap(&lab, out, sizeof(out), "ip netns exec %s build/tests/nflvs-testnet "
		"stream " V4 " 80 --seconds 1", lab_ns(&lab, "cl"));
	cr_expect(strncmp(out, "ok ", 3) == 0, "stream: %s", out);
	cr_expect_gt(atoll(out + 3), 1000000, "stream: %s", out);
	lab_cap(&lab, out, sizeof(out), "ip netns exec %s build/tests/nflvs-testnet "
		"stream " V6 " 80 --seconds 1", lab_ns(&lab, "cl"));
	cr_expect(strncmp(out, "ok ", 3) == 0, "stream: %s", out);
	cr_expect_eq(lvs_new("ip"), new4 + 1, "scheduled more than the SYN");
	cr_expect_eq(lvs_new("ip6"), new6 + 1, "scheduled more than the SYN");
	/* its end was seen: the FIN, and what else came while the director
	 * moved the flow to the closing map (the client's kernel answers
	 * each data segment still on its way with an RST, a window's worth) */
	cr_expect_gt(lvs_counter("ip", FIN_RULE), fin4);
	cr_expect_gt(lvs_counter("ip6", FIN_RULE), fin6);
	lab_cap(&lab, out, sizeof(out), "ip netns exec %s nft list chain inet probe pre | "
		"grep -c 'counter packets 0 '", lab_ns(&lab, "dir"));
	cr_expect_eq(atoi(out), 2, "the director saw answers");
	lab_cap(&lab, out, sizeof(out), "ip netns exec %s nft list chain inet probe pre | "
		"grep -c 'counter packets 0 '", lab_ns(&lab, "rt"));
	cr_expect_eq(atoi(out), 0, "the router saw no answers");
}

/* Counts as IPVS: active while established, inactive after the FIN, gone
 * when the kernel's element times out (here after 2 s, ipvsadm --set). */
Test(dr, counts_follow_flows_and_flows_expire)
{
	struct lab_tally t;
	char out[1024];
	pid_t h;

	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(adm(out, sizeof(out), "--set 2 2 2"), 0, "%s", out);
	h = hold(V4, "hold");		/* rs3 */
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 1, 0, 2000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 2"), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.12", 80, 0, 1, 2000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.11", 80, 0, 1, 2000), 0);
	cr_assert_eq(adm(out, sizeof(out), "-Lnc"), 0);
	cr_expect(strstr(out, "ESTABLISHED") && strstr(out, "FIN_WAIT"), "%s", out);
	/* the ended ones time out in the kernel; the held one is renewed */
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.12", 80, 0, 0, 6000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.11", 80, 0, 0, 2000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 1, 0, 100), 0);
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s nft list map ip nflvs dr_closing4 | "
			    "grep -q 10.0.1.2", lab_ns(&lab, "dir")), 1,
		     "closing flows left in the kernel");
	finish_hold(h, "hold");
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 0, 0, 6000), 0);
}

/*
 * A new connection from the ports of one that ended (the client resets
 * each, so it may reuse them at once) is a new connection, as in IPVS
 * (conn_reuse_mode): scheduled anew, and counted.
 */
static void reused_ports(const char *vip, const char *svc, const char *last,
			 const char *other)
{
	struct lab_tally t;
	char out[2048];

	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp %s 80 -n 6 --seq --sport 40000",
			       vip), 0, "errors %d", t.errors);
	expect_rr(&t, 6);
	/* six connections; each ended one left the counts when the next
	 * took its ports (IPVS expires it), so the last one is all there is */
	cr_expect_eq(lab_wait_sh(&lab, 2000, "build/nflvsadm --socket %s/director.sock "
				 "-Ln --stats | awk '$1 == \"TCP\" && $2 == \"%s\" && "
				 "$3 == 6 { f = 1 } END { exit !f }'", lab.dir, svc), 0,
		     "%s: not 6 connections: %s", svc,
		     (adm(out, sizeof(out), "-Ln --stats"), out));
	cr_expect_eq(lab_wait_counts(&lab, last, 80, 0, 1, 2000), 0);
	cr_expect_eq(lab_wait_counts(&lab, other, 80, 0, 0, 2000), 0);
}

Test(dr, reused_ports_are_a_new_connection)
{
	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") ",\n"
		       RS3(6, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	reused_ports(V4, V4 ":80", "10.0.3.11", "10.0.3.12");
	reused_ports(V6, "[" V6 "]:80", "fd00:3::11", "fd00:3::13");
}

/*
 * The flow maps are in the kernel (DR, and TUN when the kernel
 * encapsulates): a director killed and started again takes over the flows
 * of two connections held to the configured rr services (IPv4, IPv6),
 * whose first pick is the last real server listed, .13, as IPVS's.
 */
static void restart_keeps_flows(bool tun)
{
	pid_t h4, h6;

	cr_assert_eq(lab_director_start(&lab), 0);
	h4 = hold(V4, "hold4");
	h6 = hold(V6, "hold6");
	cr_assert_eq(lab_director_stop(&lab, SIGKILL), 128 + SIGKILL);
	if (tun)
		lab_sh(&lab, "sleep 0.3");	/* no director: the kernel carries them */
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect(strstr(lab_log(&lab, "director"), "2 flows of the previous director kept"),
		  "%s", lab_log(&lab, "director"));
	/* counted again, as active, on their real servers */
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 1, 0, 3000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "fd00:3::13", 80, 1, 0, 3000), 0);
	lab_sh(&lab, "sleep 0.5");
	finish_hold(h4, "hold4");
	finish_hold(h6, "hold6");
}

Test(dr, restart_keeps_established_flows)
{
	char out[1024];

	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") ",\n"
		       RS3(6, "tcp", 80, "rr") " );\n");
	restart_keeps_flows(false);
	/* and the routing of the first one was kept, not doubled */
	cr_assert_eq(lab_cap(&lab, out, sizeof(out), "ip -n %s rule | grep -c 'proto 241'",
			     lab_ns(&lab, "dir")), 0);
	cr_expect_eq(atoi(out), 4, "%s", out);
}

/*
 * -k (keepalived's --dont-release-ipvs): a stop that leaves the ruleset,
 * the routes and the flows for the next start, as for an upgrade; the
 * established flows go on through the stop and the start.
 */
Test(dr, stop_with_k_keeps_established_flows)
{
	pid_t h;

	snprintf(lab.director_args, sizeof(lab.director_args), "-k");
	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	h = hold(V4, "hold");
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	cr_expect(strstr(lab_log(&lab, "director"), "keeping the ruleset"), "%s",
		  lab_log(&lab, "director"));
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s nft list table ip nflvs >/dev/null && "
			    "ip -n %s rule | grep -q 'proto 241'", lab_ns(&lab, "dir"),
			    lab_ns(&lab, "dir")), 0, "the kernel state went with -k");
	lab_sh(&lab, "sleep 0.5");	/* no director: the flow is the kernel's */
	lab.director_args[0] = '\0';
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect(strstr(lab_log(&lab, "director"), "1 flows of the previous director kept"),
		  "%s", lab_log(&lab, "director"));
	lab_sh(&lab, "sleep 0.3");
	finish_hold(h, "hold");
	/* without -k, a stop takes it all away */
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s nft list table ip nflvs >/dev/null 2>&1",
			    lab_ns(&lab, "dir")), 1, "table left behind");
}

/* Stopping puts the routing back as it was. */
Test(dr, stop_restores_routing)
{
	char before4[1024], before6[1024], after[1024];
	struct lab_tally t;

	lab_cap(&lab, before4, sizeof(before4), "ip -n %s rule", lab_ns(&lab, "dir"));
	lab_cap(&lab, before6, sizeof(before6), "ip -n %s -6 rule", lab_ns(&lab, "dir"));
	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") ",\n"
		       RS3(6, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_cap(&lab, after, sizeof(after), "ip -n %s rule", lab_ns(&lab, "dir")), 0);
	/* a real server's mark (and table 2000 + its index) is its key's hash */
	cr_expect(strstr(after, "10:\tfrom all fwmark 0x") &&
		  strstr(after, "0000/0xff0000 lookup 2"), "%s", after);
	cr_expect(strstr(after, "11:\tfrom all lookup local proto 241"), "%s", after);
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	lab_cap(&lab, after, sizeof(after), "ip -n %s rule", lab_ns(&lab, "dir"));
	cr_expect_str_eq(after, before4);
	lab_cap(&lab, after, sizeof(after), "ip -n %s -6 rule", lab_ns(&lab, "dir"));
	cr_expect_str_eq(after, before6);
	cr_expect_eq(lab_sh(&lab, "ip -n %s route show table all | grep -Eq 'table 2[0-9]{3}'",
			    lab_ns(&lab, "dir")), 1, "a real server's table left behind");
	/* and the VIP is the director's own again */
	lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 1 --timeout-ms 500");
	cr_expect_eq(t.errors, 1);
}

/* The VIP need not be the director's: the router routes it there. */
Test(dr, vip_not_local)
{

	cr_assert_eq(lab_sh(&lab, "ip -n %s addr del " V4 "/32 dev eth0 && "
			    "ip -n %s route add " V4 "/32 via 10.0.3.2",
			    lab_ns(&lab, "dir"), lab_ns(&lab, "rt")), 0);
	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	count_rr("tcp", V4, 80, 9);
}

/* Routing tables that are somebody else's are never taken over. */
Test(dr, foreign_routing_table_is_refused)
{
	char table[32], want[64];
	pid_t pid;

	/* a real server's table follows its mark, the hash of its key: a
	 * first run tells which table the first real server gets */
	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_cap(&lab, table, sizeof(table),
			     "ip -n %s rule show | sed -n 's/.*fwmark.* lookup \\([0-9]*\\).*/\\1/p' | head -n 1",
			     lab_ns(&lab, "dir")), 0);
	table[strcspn(table, "\n")] = '\0';
	cr_assert(table[0] >= '0' && table[0] <= '9', "no DR rule: \"%s\"", table);
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	cr_assert_eq(lab_sh(&lab, "ip -n %s route add default via 10.0.3.1 table %s",
			    lab_ns(&lab, "dir"), table), 0);
	/* not lab_director_start(): its failure is an error in the log */
	pid = lab_spawn(&lab, "dir", "director2", "exec build/nflvs-director -f %s",
			lab.conf);
	cr_assert_gt(pid, 0);
	cr_expect_eq(lab_wait_exit(&lab, pid, 10000), 1, "%s", lab_log(&lab, "director2"));
	snprintf(want, sizeof(want), "routing table %s is in use", table);
	cr_expect(strstr(lab_log(&lab, "director2"), want), "want \"%s\" in:\n%s",
		  want, lab_log(&lab, "director2"));
	cr_expect_eq(lab_sh(&lab, "ip -n %s route show table %s | grep -q 'via 10.0.3.1'",
			    lab_ns(&lab, "dir"), table), 0, "the foreign route was touched");
}

/*
 * Every scheduler works over DR and TUN, both families: switched at run
 * time (nflvsadm -E), each gets new connections through to live real
 * servers, and every one is counted on the server that answered it.
 */
static const char *const all_scheds[] = {
	"rr", "wrr", "lc", "wlc", "sed", "nq", "sh", "dh", "lblc", "lblcr",
	"mh", "fo", "ovf", "twos",
};

static void every_scheduler(const char *fwd)
{
	static const char *const vip[] = { V4, V6 }, *const svc[] = { V4 ":80",
								   "[" V6 "]:80" };
	struct lab_tally t;
	char out[4096], want[64];
	size_t i;
	int f, j, total;

	for (i = 0; i < sizeof(all_scheds) / sizeof(all_scheds[0]); i++)
		for (f = 0; f < 2; f++) {
			snprintf(out, sizeof(out), "-E -t %s -s %s", svc[f], all_scheds[i]);
			cr_assert_eq(adm(out, sizeof(out), out), 0, "%s: %s", all_scheds[i], out);
			cr_assert_eq(adm(out, sizeof(out), "-Z"), 0, "%s", out);
			cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp %s 80 -n 6", vip[f]), 0,
				     "%s %s: errors %d", fwd, all_scheds[i], t.errors);
			for (j = total = 0; j < t.n; j++)
				total += t.count[j];
			cr_expect_eq(total, 6, "%s %s", fwd, all_scheds[i]);
			/* the service's line: 6 connections since -Z (a client
			 * port reused from an earlier round is a new connection:
			 * reused_ports_are_a_new_connection) */
			cr_expect_eq(lab_wait_sh(&lab, 5000, "build/nflvsadm --socket "
						 "%s/director.sock -Ln --stats | awk '$1 == \"TCP\" "
						 "&& $2 == \"%s\" && $3 == 6 { f = 1 } "
						 "END { exit !f }'",
						 lab.dir, svc[f]), 0,
				     "%s %s %s: not 6 connections: %s", fwd,
				     all_scheds[i], svc[f],
				     (adm(out, sizeof(out), "-Ln --stats --exact"), out));
			cr_assert_eq(adm(out, sizeof(out), "-Ln"), 0, "%s", out);
			snprintf(want, sizeof(want), "TCP  %s %s", svc[f], all_scheds[i]);
			cr_expect(strstr(out, want), "%s: %s", want, out);
		}
}

Test(dr, every_scheduler)
{
	lab_write_conf(&lab, "services = ( " RS3(4, "tcp", 80, "rr") ",\n"
		       RS3(6, "tcp", 80, "rr") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	every_scheduler("dr");
}

/* ---- TUN ------------------------------------------------------------------ */

#define GUE_PORT "6080"

/* rs1 ipip, rs2 gre with checksums, rs3 gue: one decapsulator each. */
static void decap_all(void)
{
	cr_assert_gt(lab_decap(&lab, "rs1", "decap1", "--type ipip"), 0);
	cr_assert_gt(lab_decap(&lab, "rs2", "decap2", "--type gre"), 0);
	cr_assert_gt(lab_decap(&lab, "rs3", "decap3", "--type gue --port " GUE_PORT), 0);
}

#define TUN3(...)	TUN3_(__VA_ARGS__)	/* TRS4, TRS6 expand first */
#define TUN3_(vip, proto, port, sched, a1, a2, a3) \
	"{ vip = \"" vip "\"; port = " #port "; protocol = \"" proto "\";\n" \
	"  scheduler = \"" sched "\"; forward = \"tun\";\n" \
	"  real_servers = (\n" \
	"    { address = \"" a1 "\"; port = " #port "; tunnel = { type = \"ipip\"; }; },\n" \
	"    { address = \"" a2 "\"; port = " #port "; tunnel = { type = \"gre\"; csum = true; }; },\n" \
	"    { address = \"" a3 "\"; port = " #port "; tunnel = { type = \"gue\"; port = " GUE_PORT "; }; } ); }"
#define TRS4	"10.0.3.11", "10.0.3.12", "10.0.3.13"
#define TRS6	"fd00:3::11", "fd00:3::12", "fd00:3::13"

static void expect_clean_decap(void)
{
	static const char *const name[] = { "decap1", "decap2", "decap3" };
	int i;

	for (i = 0; i < 3; i++) {
		cr_expect_gt(lab_wait_stat(&lab, name[i], "decapsulated", 1, 2000), 0,
			     "%s", name[i]);
		cr_expect_eq(lab_stat(&lab, name[i], "bad"), 0, "%s: %s", name[i],
			     lab_log(&lab, name[i]));
	}
}

static void every_type(const char *services, const char *vip)
{
	char out[4096];

	decap_all();
	lab_write_conf(&lab, services);
	cr_assert_eq(lab_director_start(&lab), 0);
	count_rr("tcp", vip, 80, 30);
	count_rr("udp", vip, 53, 30);
	expect_clean_decap();
	cr_assert_eq(adm(out, sizeof(out), "-Ln --stats"), 0, "%s", out);
	cr_assert_eq(adm(out, sizeof(out), "-Ln"), 0, "%s", out);
	cr_expect(strstr(out, "Tunnel  1      0          10"), "%s", out);
}

Test(tun, every_type_ipv4)
{
	every_type("services = ( " TUN3(V4, "tcp", 80, "rr", TRS4) ",\n"
		   TUN3(V4, "udp", 53, "rr", TRS4) " );\n", V4);
}

Test(tun, every_type_ipv6)
{
	every_type("services = ( " TUN3(V6, "tcp", 80, "rr", TRS6) ",\n"
		   TUN3(V6, "udp", 53, "rr", TRS6) " );\n", V6);
}

/* IPv4 in IPv6 and IPv6 in IPv4 (IPVS's ipip6 and sit cases). */
Test(tun, across_families)
{

	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", TRS6) ",\n"
		       TUN3(V6, "tcp", 80, "rr", TRS4) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	count_rr("tcp", V4, 80, 9);
	count_rr("tcp", V6, 80, 9);
	expect_clean_decap();
}

/*
 * A full-size packet does not fit in the tunnel: the client learns the
 * smaller MTU from the director's ICMP error, and a 10 MB upload goes
 * through, over each type (the largest overhead last) and both families.
 */
static void upload_path_mtu(void)
{
	static const char *const vip[] = { V4, V6 };
	char out[256];
	int i, j;

	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", TRS4) ",\n"
		       TUN3(V6, "tcp", 80, "rr", TRS6) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++) {
			lab_cap(&lab, out, sizeof(out), "ip netns exec %s "
				"build/tests/nflvs-testnet upload %s 80 --bytes 10000000",
				lab_ns(&lab, "cl"), vip[i]);
			cr_expect(strncmp(out, "ok rs", 5) == 0 && strstr(out, " 10000000"),
				  "upload to %s: %s", vip[i], out);
		}
	/* the client's route to the VIP carries the tunnel's MTU */
	lab_cap(&lab, out, sizeof(out), "ip -n %s route get " V4, lab_ns(&lab, "cl"));
	cr_expect(strstr(out, "mtu 14"), "%s", out);
	lab_cap(&lab, out, sizeof(out), "ip -n %s -6 route get " V6, lab_ns(&lab, "cl"));
	cr_expect(strstr(out, "mtu 14"), "%s", out);
	expect_clean_decap();
}

Test(tun, upload_10mb_path_mtu)
{
	upload_path_mtu();
}

/* Counts from the client's side of TCP, as IPVS's for TUN; the director's
 * own clock times the flows out (2 s, ipvsadm --set). */
Test(tun, counts_and_expiry)
{
	struct lab_tally t;
	char out[2048];
	pid_t h;

	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", TRS4) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(adm(out, sizeof(out), "--set 2 2 2"), 0, "%s", out);
	h = hold(V4, "hold");
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 1, 0, 2000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 2"), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.12", 80, 0, 1, 2000), 0);
	cr_assert_eq(adm(out, sizeof(out), "-Lnc"), 0);
	cr_expect(strstr(out, "ESTABLISHED") && strstr(out, "10.0.3.13:80"), "%s", out);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.12", 80, 0, 0, 6000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.11", 80, 0, 0, 2000), 0);
	/* the held one is renewed by its packets */
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 1, 0, 100), 0);
	finish_hold(h, "hold");
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 0, 0, 6000), 0);
}

Test(tun, every_scheduler)
{
	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", TRS4) ",\n"
		       TUN3(V6, "tcp", 80, "rr", TRS6) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	every_scheduler("tun");
	expect_clean_decap();
}

Test(tun, reused_ports_are_a_new_connection)
{
	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", TRS4) ",\n"
		       TUN3(V6, "tcp", 80, "rr", TRS6) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	reused_ports(V4, V4 ":80", "10.0.3.11", "10.0.3.12");
	reused_ports(V6, "[" V6 "]:80", "fd00:3::11", "fd00:3::13");
	expect_clean_decap();
}

/* ---- TUN in the kernel, and forced off -------------------------------------- */

/* rs1 ipip, rs3 gue: tunnels the director's BPF program builds */
#define TUN2K(vip, a1, a3) \
	"{ vip = \"" vip "\"; port = 80; protocol = \"tcp\";\n" \
	"  scheduler = \"rr\"; forward = \"tun\";\n" \
	"  real_servers = (\n" \
	"    { address = \"" a1 "\"; port = 80; tunnel = { type = \"ipip\"; }; },\n" \
	"    { address = \"" a3 "\"; port = 80; tunnel = { type = \"gue\"; port = " GUE_PORT "; }; } ); }"

static void decap_kernel_pair(void)
{
	cr_assert_gt(lab_decap(&lab, "rs1", "decap1", "--type ipip"), 0);
	cr_assert_gt(lab_decap(&lab, "rs3", "decap3", "--type gue --port " GUE_PORT), 0);
}

/* How many elements the kernel's map @map of table ip|ip6 nflvs holds. */
static int map_elements(const char *fam, const char *map)
{
	char out[64];

	if (lab_cap(&lab, out, sizeof(out), "ip netns exec %s nft -j list map %s nflvs %s "
		    "| grep -o '\"elem\"' | wc -l", lab_ns(&lab, "dir"), fam, map))
		return -1;
	return atoi(out);
}

/*
 * The director's tc program encapsulates: it says so, its filter is on the
 * device toward the real servers, the flows are the kernel's (learnt in
 * the flow maps as DR's), and the real servers get their tunnels.
 */
Test(tun, kernel_encapsulation)
{
	struct lab_tally t;
	int i;

	decap_kernel_pair();
	lab_write_conf(&lab, "services = ( " TUN2K(V4, "10.0.3.11", "10.0.3.13") ",\n"
		       TUN2K(V6, "fd00:3::11", "fd00:3::13") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect(strstr(lab_log(&lab, "director"), "TUN: encapsulating in the kernel"),
		  "%s", lab_log(&lab, "director"));
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s tc filter show dev eth0 egress | grep -q tun_encap",
			    lab_ns(&lab, "dir")), 0, "no filter on the director's eth0");
	for (i = 0; i < 2; i++) {
		cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp %s 80 -n 20 --seq",
				       i ? V6 : V4), 0, "errors %d", t.errors);
		cr_expect_eq(lab_tally_of(&t, "rs1"), 10);
		cr_expect_eq(lab_tally_of(&t, "rs3"), 10);
	}
	cr_expect_gt(map_elements("ip", "dr_closing4") + map_elements("ip", "dr_tcp4"), 0);
	cr_expect_gt(map_elements("ip6", "dr_closing6") + map_elements("ip6", "dr_tcp6"), 0);
	cr_expect_gt(lab_wait_stat(&lab, "decap1", "decapsulated", 40, 2000), 0);
	cr_expect_gt(lab_wait_stat(&lab, "decap3", "decapsulated", 40, 2000), 0);
	cr_expect_eq(lab_stat(&lab, "decap1", "bad"), 0, "%s", lab_log(&lab, "decap1"));
	cr_expect_eq(lab_stat(&lab, "decap3", "bad"), 0, "%s", lab_log(&lab, "decap3"));
}

/* Kernel TUN flows are in the flow maps: a new director takes them over. */
Test(tun, restart_keeps_established_flows)
{
	decap_kernel_pair();
	lab_write_conf(&lab, "services = ( " TUN2K(V4, "10.0.3.11", "10.0.3.13") ",\n"
		       TUN2K(V6, "fd00:3::11", "fd00:3::13") " );\n");
	restart_keeps_flows(true);
}

/* NFLVS_NO_BPF: the director says so and every packet goes through it. */
Test(tunu, says_so_and_sends_from_user_space)
{
	struct lab_tally t;

	decap_kernel_pair();
	lab_write_conf(&lab, "services = ( " TUN2K(V4, "10.0.3.11", "10.0.3.13") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect(strstr(lab_log(&lab, "director"),
			 "TUN: no kernel encapsulation (NFLVS_NO_BPF is set)"),
		  "%s", lab_log(&lab, "director"));
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 10 --seq"), 0,
		     "errors %d", t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 5);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 5);
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s tc filter show dev eth0 egress | grep -q tun_encap",
			    lab_ns(&lab, "dir")), 1, "a filter on the director's eth0");
	cr_expect_eq(map_elements("ip", "dr_tcp4") + map_elements("ip", "dr_closing4"), 0);
}

Test(tunu, every_type_ipv4)
{
	every_type("services = ( " TUN3(V4, "tcp", 80, "rr", TRS4) ",\n"
		   TUN3(V4, "udp", 53, "rr", TRS4) " );\n", V4);
}

Test(tunu, upload_10mb_path_mtu)
{
	upload_path_mtu();
}

Test(tunu, restart_keeps_nothing_but_goes_on)
{
	struct lab_tally t;

	decap_kernel_pair();
	lab_write_conf(&lab, "services = ( " TUN2K(V4, "10.0.3.11", "10.0.3.13") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_director_stop(&lab, SIGKILL), 128 + SIGKILL);
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 4 --seq"), 0,
		     "errors %d", t.errors);
}

/* ---- configs that are refused (no namespaces needed) ---------------------- */

TestSuite(tunconf, .timeout = 30);

static void refused(const char *services, const char *want)
{
	char path[] = "/tmp/nflvs-tunconf-XXXXXX", cmd[512], out[4096] = "";
	size_t n = 0;
	FILE *f;
	int fd = mkstemp(path), st;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fprintf(f, "director = { shm = \"/nflvs-tunconf\"; };\nservices = ( %s );\n",
		services);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "build/nflvs-director -t -f %s 2>&1", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (n + 1 < sizeof(out) && fgets(out + n, sizeof(out) - n, f))
		n = strlen(out);
	st = pclose(f);
	unlink(path);
	cr_expect_eq(WEXITSTATUS(st), 1, "accepted: %s", services);
	cr_expect(strstr(out, want), "want \"%s\" in:\n%s", want, out);
}

Test(tunconf, wrong_or_missing_tunnels_are_refused)
{
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"tun\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80;\n"
		"    tunnel = { type = \"gue\"; }; } ); }",
		":4: port: missing (required for gue tunnels)");
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"tun\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80;\n"
		"    tunnel = { type = \"vxlan\"; }; } ); }",
		":4: type: unknown tunnel type \"vxlan\"");
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"dr\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80;\n"
		"    tunnel = { type = \"ipip\"; }; } ); }",
		":4: tunnel: only valid with forward tun (forward is dr)");
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"tun\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 8080; } ); }",
		":3: port: tun forwarding cannot map ports (service port 80, real server 8080)");
	refused("{ vip = \"10.0.3.100\"; port = 80;\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80; forward = \"tun\"; } ); }",
		":3: forward: \"tun\" real server in a \"nat\" service");
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"tun\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80; forward = \"dr\"; } ); }",
		":3: forward: \"dr\" real server in a \"tun\" service");
	refused("{ fwmark = 7; forward = \"dr\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; } ); }",
		":2: forward: \"dr\" is for vip services; firewall-mark services forward with nat");
	refused("{ vip = \"10.0.3.100\"; port = 80; protocol = \"sctp\"; forward = \"dr\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80; } ); }",
		":2: forward: \"dr\" supports tcp and udp services, not sctp");
}
