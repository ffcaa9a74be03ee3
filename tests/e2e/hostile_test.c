// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hostile and odd traffic end to end: fragments, IP options, truncated
 * headers, bad checksums, ICMP errors, TCP packets of no connection and
 * SYNs to ports with no service, crafted by build/tests/nflvs-rawpkt.
 * What reaches a real server is counted there by an nft table of its own
 * (at prerouting, before anything else, and without conntrack, so that
 * fragments are counted as they come).  After each barrage the director
 * must still answer nflvsadm and schedule a new connection.
 *
 * What is expected is what IPVS does: ip_vs_in() drops a packet whose
 * transport header is cut short; NAT checks transport checksums
 * (ip_vs_*_csum_check(), here conntrack's), DR and TUN do not; IP options
 * pass; ICMP errors go to the host the quoted packet belongs to
 * (ip_vs_in_icmp(), ip_vs_out_icmp()).
 *
 * A missing packet proves little (datagrams may be lost), so an absence is
 * asserted only after a marker sent behind the packets that must not pass
 * has arrived, on the same path.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

#define RAWPKT	"build/tests/nflvs-rawpkt"
#define MARKER	61999	/* the marker's source port, counted apart */

static struct lab lab;

/* The real servers' counters (c_*), see the file comment. */
static const char cap_table[] =
	"table inet hcap {\n"
	"  counter c_mark {}\n  counter c_syn {}\n  counter c_ack {}\n"
	"  counter c_udp {}\n  counter c_frag {}\n  counter c_icmp {}\n"
	"  chain pre { type filter hook prerouting priority -500; policy accept;\n"
	"    ip frag-off & 0x3fff != 0 counter name c_frag\n"
	"    exthdr frag exists counter name c_frag\n"
	"    icmp type { destination-unreachable, time-exceeded } counter name c_icmp\n"
	"    icmpv6 type { destination-unreachable, packet-too-big, time-exceeded }"
	" counter name c_icmp\n"
	"    tcp sport 61999 counter name c_mark accept\n"
	"    tcp flags & (syn|ack) == syn counter name c_syn\n"
	"    tcp flags & (syn|ack|rst) == ack counter name c_ack\n"
	"    udp dport != 53 counter name c_udp\n"
	"  }\n}\n";

static void cap_setup(int nrs)
{
	char role[8];
	int i;

	lab_put(&lab, "hcap.nft", cap_table, 0644);
	for (i = 1; i <= nrs; i++) {
		snprintf(role, sizeof(role), "rs%d", i);
		cr_assert_eq(lab_sh(&lab, "ip netns exec %s nft -f %s/hcap.nft",
				    lab_ns(&lab, role), lab.dir), 0, "hcap in %s", role);
	}
}

/* Counter c_@name in @role. */
static long long cap(const char *role, const char *name)
{
	char out[64];

	lab_cap(&lab, out, sizeof(out),
		"ip netns exec %s nft list counter inet hcap c_%s | "
		"sed -n 's/.*packets \\([0-9]*\\).*/\\1/p'", lab_ns(&lab, role), name);
	return out[0] ? atoll(out) : -1;
}

/* Poll until c_@name in @role is at least @min; its value. */
static long long cap_wait(const char *role, const char *name, long long min,
			  int ms)
{
	lab_wait_sh(&lab, ms,
		    "test \"$(ip netns exec %s nft list counter inet hcap c_%s | "
		    "sed -n 's/.*packets \\([0-9]*\\).*/\\1/p')\" -ge %lld",
		    lab_ns(&lab, role), name, min);
	return cap(role, name);
}

/* nflvs-rawpkt ARGS in @role: its exit status, stdout in @out. */
static int raw(const char *role, char *out, size_t len, const char *args)
{
	return lab_cap(&lab, out, len, "ip netns exec %s " RAWPKT " %s",
		       lab_ns(&lab, role), args);
}

static void raw_send(const char *vip, int port, const char *kind, int sport,
		     int count)
{
	char args[256], out[64];

	snprintf(args, sizeof(args), "send %s %d --kind %s --sport %d --count %d",
		 vip, port, kind, sport, count);
	cr_assert_eq(raw("cl", out, sizeof(out), args), 0, "%s: %s", args, out);
}

/*
 * Send the marker SYN to @vip:@port until @rs counts it: everything sent
 * before on that path has been dealt with.
 */
static void marker(const char *vip, int port, const char *rs)
{
	long long before = cap(rs, "mark");
	int i;

	for (i = 0; i < 50; i++) {
		raw_send(vip, port, "syn", MARKER, 1);
		if (cap_wait(rs, "mark", before + 1, 200) > before)
			return;
	}
	cr_assert_fail("the marker never reached %s", rs);
}

static int adm(char *out, size_t len, const char *args)
{
	return lab_cap(&lab, out, len, "build/nflvsadm --socket %s/director.sock %s 2>&1",
		       lab.dir, args);
}

/* The director still runs, answers nflvsadm and schedules @vip:@port
 * (@proto "tcp" or "udp"). */
static void expect_director_serves(const char *proto, const char *vip, int port)
{
	struct lab_tally t;
	char out[4096];

	cr_assert_eq(lab_wait_exit(&lab, lab.director, 0), -1,
		     "the director exited: %s", lab_log(&lab, "director"));
	cr_assert_eq(adm(out, sizeof(out), "-Ln"), 0, "%s", out);
	cr_expect(strstr(out, "IP Virtual Server"), "%s", out);
	cr_expect_eq(lab_count(&lab, "cl", &t, "--%s %s %d -n 3", proto, vip, port), 0,
		     "no new connection after the barrage: errors %d", t.errors);
}

/* "udp-err" in the client as @name; its pid once it had an answer. */
static pid_t udp_err(const char *name, const char *vip, int port, int sport,
		     const char *more)
{
	char ready[256];
	pid_t pid;

	snprintf(ready, sizeof(ready), "%s/%s.ready", lab.dir, name);
	pid = lab_spawn(&lab, "cl", name,
			"exec " RAWPKT " udp-err %s %d --sport %d --timeout-ms 8000 "
			"--ready-file %s %s", vip, port, sport, ready, more);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -e %s", ready), 0,
		     "%s: no answer: %s", name, lab_log(&lab, name));
	return pid;
}

/* The real server that answered udp_err @name ("rs1"), as a role. */
static const char *answered_by(const char *name)
{
	static char rs[8];
	const char *a = strstr(lab_log(&lab, name), "answer rs");

	cr_assert_not_null(a, "%s: %s", name, lab_log(&lab, name));
	snprintf(rs, sizeof(rs), "rs%c", a[strlen("answer rs")]);
	return rs;
}

/*
 * Send the ICMP error of @args from @role until @done (a shell condition)
 * holds: a datagram may be lost.  0, or -1 after 5 s.
 */
static int icmp_until(const char *role, const char *args, const char *done)
{
	char out[256];
	int i;

	for (i = 0; i < 10; i++) {
		cr_assert_eq(raw(role, out, sizeof(out), args), 0, "%s", out);
		if (lab_wait_sh(&lab, 500, "%s", done) == 0)
			return 0;
	}
	return -1;
}

/* udp_err @name ended with an ICMP error "icmp @type @code ..." */
static void expect_icmp(const char *name, pid_t pid, const char *want)
{
	cr_expect_eq(lab_wait_exit(&lab, pid, 10000), 0, "%s: %s", name,
		     lab_log(&lab, name));
	cr_expect(strstr(lab_log(&lab, name), want), "%s: wanted `%s', got: %s",
		  name, want, lab_log(&lab, name));
}

/* ---- NAT --------------------------------------------------------------------- */

static void nat_setup(void)
{
	lab_init(&lab);
	cr_assert_eq(lab_nat_topology(&lab, 2), 0, "topology");
	cr_assert_eq(lab_serve_all(&lab, 2, "--tcp 80 --udp 53"), 0);
	cap_setup(2);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(hostile, .init = nat_setup, .fini = teardown, .timeout = 120);

#define NAT2(vip, proto, port, sched, rport, a1, a2) \
	"{ vip = \"" vip "\"; port = " #port "; protocol = \"" proto "\";\n" \
	"  scheduler = \"" sched "\";\n" \
	"  real_servers = ( { address = \"" a1 "\"; port = " #rport "; },\n" \
	"                   { address = \"" a2 "\"; port = " #rport "; } ); }"
#define NAT1(vip, proto, port, sched, a1) \
	"{ vip = \"" vip "\"; port = " #port "; protocol = \"" proto "\";\n" \
	"  scheduler = \"" sched "\";\n" \
	"  real_servers = ( { address = \"" a1 "\"; port = " #port "; } ); }"

/* A UDP datagram in 3 fragments; the director reassembles it (conntrack),
 * the real server gets it in fragments again and answers the whole. */
Test(hostile, fragments_reach_the_real_server)
{
	static const char *const vip[] = { LAB_VIP4, LAB_VIP6 };
	char out[256], args[128];
	int f;

	lab_write_conf(&lab, "services = ( "
		       NAT2(LAB_VIP4, "udp", 53, "rr", 53, "10.0.2.11", "10.0.2.12") ",\n"
		       NAT2(LAB_VIP6, "udp", 53, "rr", 53, "fd00:2::11", "fd00:2::12") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	for (f = 0; f < 2; f++) {
		long long before = cap("rs1", "frag") + cap("rs2", "frag");

		snprintf(args, sizeof(args), "frag %s 53 --size 3000 --frags 3", vip[f]);
		cr_expect_eq(raw("cl", out, sizeof(out), args), 0, "%s: %s", vip[f], out);
		cr_expect(strncmp(out, "answer rs", 9) == 0, "%s: %s", vip[f], out);
		cr_expect_geq(cap("rs1", "frag") + cap("rs2", "frag"), before + 2,
			      "%s: the real servers saw no fragments", vip[f]);
	}
	expect_director_serves("udp", LAB_VIP4, 53);
	expect_director_serves("udp", LAB_VIP6, 53);
}

/*
 * Bad checksums, cut headers and a data offset under 5 never reach the
 * real server of a NAT service; IP options do.
 */
static void odd_packets(const char *vip)
{
	long long syn = cap("rs1", "syn"), udp = cap("rs1", "udp");

	raw_send(vip, 80, "syn-badsum", 61001, 3);
	raw_send(vip, 80, "tcp-trunc", 61002, 3);
	raw_send(vip, 80, "tcp-doff", 61003, 3);
	raw_send(vip, 54, "udp-badsum", 61004, 3);
	raw_send(vip, 54, "udp-trunc", 61005, 3);
	marker(vip, 80, "rs1");
	/* the UDP service's marker: a good datagram behind the bad ones */
	raw_send(vip, 54, "udp", 61006, 1);
	cr_expect_geq(cap_wait("rs1", "udp", udp + 1, 3000), udp + 1, "%s: no good datagram", vip);
	cr_expect_eq(cap("rs1", "syn"), syn, "%s: a bad SYN reached the real server", vip);
	cr_expect_eq(cap("rs1", "udp"), udp + 1, "%s: a bad datagram reached the real server", vip);

	/* options pass, as IPVS forwards them */
	raw_send(vip, 80, "syn-ipopt", 61007, 1);
	cr_expect_geq(cap_wait("rs1", "syn", syn + 1, 3000), syn + 1,
		      "%s: the SYN with IP options did not reach the real server", vip);
}

Test(hostile, odd_packets_nat)
{
	lab_write_conf(&lab, "services = ( "
		       NAT1(LAB_VIP4, "tcp", 80, "rr", "10.0.2.11") ",\n"
		       NAT1(LAB_VIP4, "udp", 54, "rr", "10.0.2.11") ",\n"
		       NAT1(LAB_VIP6, "tcp", 80, "rr", "fd00:2::11") ",\n"
		       NAT1(LAB_VIP6, "udp", 54, "rr", "fd00:2::11") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	odd_packets(LAB_VIP4);
	odd_packets(LAB_VIP6);
	expect_director_serves("tcp", LAB_VIP4, 80);
	expect_director_serves("tcp", LAB_VIP6, 80);
}

/*
 * ICMP errors of NAT flows: a real server's port unreachable and its
 * "fragmentation needed" reach the client (un-NATed: the quote names the
 * VIP), and the client's error reaches the real server of the flow.
 */
static void icmp_nat(int fam)
{
	const char *vip = fam == 4 ? LAB_VIP4 : LAB_VIP6;
	const char *cl = fam == 4 ? "10.0.1.2" : "fd00:1::2";
	const char *unreach = fam == 4 ? "icmp 3 3 " : "icmp 1 4 ";
	const char *toobig = fam == 4 ? "icmp 3 4 1300 " : "icmp 2 0 1300 ";
	char args[256], cond[256], rsaddr[64];
	const char *rs, *other;
	long long icmp;
	pid_t pid;

	/* rs1 and rs2 have nothing on 55: their stacks answer */
	char unreach_log[16], toobig_log[16], fromcl_log[16];

	snprintf(unreach_log, sizeof(unreach_log), "unreach%d", fam);
	snprintf(toobig_log, sizeof(toobig_log), "toobig%d", fam);
	snprintf(fromcl_log, sizeof(fromcl_log), "fromcl%d", fam);
	pid = lab_spawn(&lab, "cl", unreach_log, "exec " RAWPKT " udp-err %s 55 "
			"--timeout-ms 5000", vip);
	expect_icmp(unreach_log, pid, unreach);

	/* the real server's "too big" about the client's datagram */
	pid = udp_err(toobig_log, vip, 53, 40001, "");
	rs = answered_by(toobig_log);
	snprintf(rsaddr, sizeof(rsaddr), fam == 4 ? "10.0.2.1%c" : "fd00:2::1%c", rs[2]);
	snprintf(args, sizeof(args), "icmp %s --type %d --code %d --mtu 1300 "
		 "--inner udp %s 40001 %s 53", cl, fam == 4 ? 3 : 2, fam == 4 ? 4 : 0,
		 cl, rsaddr);
	/* udp_err has ended: gone, or a zombie not reaped yet (kill -0
	 * would still find it) */
	snprintf(cond, sizeof(cond), "! grep -qs '^State:[[:space:]]*[^ZX[:space:]]' "
		 "/proc/%d/status", (int)pid);
	icmp_until(rs, args, cond);
	expect_icmp(toobig_log, pid, toobig);

	/* the client's "too big" about the real server's answer */
	pid = udp_err(fromcl_log, vip, 53, 40002, "--answer-only");
	lab_wait_exit(&lab, pid, 5000);
	rs = answered_by(fromcl_log);
	other = strcmp(rs, "rs1") ? "rs1" : "rs2";
	icmp = cap(other, "icmp");
	snprintf(args, sizeof(args), "icmp %s --type %d --code %d --mtu 1300 "
		 "--inner udp %s 53 %s 40002", vip, fam == 4 ? 3 : 2, fam == 4 ? 4 : 0,
		 vip, cl);
	snprintf(cond, sizeof(cond), "ip -n %s %sroute get %s | grep -q 'mtu 1300'",
		 lab_ns(&lab, rs), fam == 4 ? "" : "-6 ", cl);
	cr_expect_eq(icmp_until("cl", args, cond), 0,
		     "%s did not learn the client's MTU", rs);
	cr_expect_eq(cap(other, "icmp"), icmp, "the error went to %s too", other);
}

Test(hostile, icmp_errors_nat)
{
	lab_write_conf(&lab, "services = ( "
		       NAT2(LAB_VIP4, "udp", 53, "rr", 53, "10.0.2.11", "10.0.2.12") ",\n"
		       NAT2(LAB_VIP4, "udp", 55, "rr", 55, "10.0.2.11", "10.0.2.12") ",\n"
		       NAT2(LAB_VIP6, "udp", 53, "rr", 53, "fd00:2::11", "fd00:2::12") ",\n"
		       NAT2(LAB_VIP6, "udp", 55, "rr", 55, "fd00:2::11", "fd00:2::12") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	icmp_nat(4);
	icmp_nat(6);
}

/*
 * A TCP packet of no connection that is not a SYN: dropped for rr (no
 * director could schedule it consistently), scheduled for sh (every
 * director would pick the same server).  A SYN to a port of the VIP with
 * no service: the director's own stack answers (a RST), nothing is left
 * behind.
 */
Test(hostile, no_flow_and_no_service)
{
	long long ack = cap("rs1", "ack");
	char out[4096];

	lab_write_conf(&lab, "services = ( "
		       NAT1(LAB_VIP4, "tcp", 80, "rr", "10.0.2.11") ",\n"
		       "{ vip = \"" LAB_VIP4 "\"; port = 81; scheduler = \"sh\";\n"
		       "  real_servers = ( { address = \"10.0.2.11\"; port = 80; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	raw_send(LAB_VIP4, 80, "ack", 62001, 3);
	marker(LAB_VIP4, 80, "rs1");
	cr_expect_eq(cap("rs1", "ack"), ack, "rr scheduled a packet of no connection");
	raw_send(LAB_VIP4, 81, "ack", 62002, 1);
	cr_expect_geq(cap_wait("rs1", "ack", ack + 1, 3000), ack + 1,
		      "sh did not schedule a packet of a connection begun elsewhere");

	cr_assert_eq(lab_sh(&lab, "ip netns exec %s " RAWPKT " send " LAB_VIP4
			    " 82 --kind syn --sport 62100 --ports 300 >/dev/null",
			    lab_ns(&lab, "cl")), 0);
	expect_director_serves("tcp", LAB_VIP4, 80);
	/* no conntrack entry of port 82 carries a mark of ours */
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s conntrack -L -p tcp --orig-port-dst 82 2>/dev/null | "
			    "grep -q 'mark=[1-9]'", lab_ns(&lab, "dir")), 1,
		     "a SYN to no service was marked");
	/* the counts go back to 0 once the connections above end */
	cr_assert_eq(adm(out, sizeof(out), "--set 0 2 0"), 0, "%s", out);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, 0, 20000), 0);
	cr_assert_eq(adm(out, sizeof(out), "-Ln"), 0, "%s", out);
	cr_expect(!strstr(out, ":82"), "%s", out);
}

/* ---- DR and TUN ------------------------------------------------------------------- */

static void dr_setup(void)
{
	lab_init(&lab);
	cr_assert_eq(lab_dr_topology(&lab, 2), 0, "topology");
	cr_assert_eq(lab_serve_all(&lab, 2, "--tcp 80 --udp 53"), 0);
	cap_setup(2);
}

TestSuite(hostile_lvs, .init = dr_setup, .fini = teardown, .timeout = 120);

#define DR2(vip, proto, port, a1, a2) \
	"{ vip = \"" vip "\"; port = " #port "; protocol = \"" proto "\";\n" \
	"  scheduler = \"rr\"; forward = \"dr\";\n" \
	"  real_servers = ( { address = \"" a1 "\"; port = " #port "; },\n" \
	"                   { address = \"" a2 "\"; port = " #port "; } ); }"

/*
 * DR: a real server's port unreachable goes to the client past the
 * director; the client's "too big" about a real server's answer is
 * forwarded to that real server (and no other), which learns the MTU.
 */
static void icmp_dr(int fam)
{
	const char *vip = fam == 4 ? LAB_DR_VIP4 : LAB_DR_VIP6;
	const char *cl = fam == 4 ? "10.0.1.2" : "fd00:1::2";
	char args[256], cond[256];
	const char *rs, *other;
	long long icmp;
	pid_t pid;

	char unreach_log[16], fromcl_log[16];

	snprintf(unreach_log, sizeof(unreach_log), "unreach%d", fam);
	snprintf(fromcl_log, sizeof(fromcl_log), "fromcl%d", fam);
	pid = lab_spawn(&lab, "cl", unreach_log, "exec " RAWPKT " udp-err %s 55 "
			"--timeout-ms 5000", vip);
	expect_icmp(unreach_log, pid, fam == 4 ? "icmp 3 3 " : "icmp 1 4 ");

	pid = udp_err(fromcl_log, vip, 53, 40003, "--answer-only");
	lab_wait_exit(&lab, pid, 5000);
	rs = answered_by(fromcl_log);
	other = strcmp(rs, "rs1") ? "rs1" : "rs2";
	icmp = cap(other, "icmp");
	snprintf(args, sizeof(args), "icmp %s --type %d --code %d --mtu 1300 "
		 "--inner udp %s 53 %s 40003", vip, fam == 4 ? 3 : 2, fam == 4 ? 4 : 0,
		 vip, cl);
	snprintf(cond, sizeof(cond), "ip -n %s %sroute get %s from %s | grep -q 'mtu 1300'",
		 lab_ns(&lab, rs), fam == 4 ? "" : "-6 ", cl, vip);
	cr_expect_eq(icmp_until("cl", args, cond), 0,
		     "%s did not learn the client's MTU", rs);
	cr_expect_eq(cap(other, "icmp"), icmp, "the error went to %s too", other);
}

Test(hostile_lvs, icmp_errors_dr)
{
	lab_write_conf(&lab, "services = ( "
		       DR2(LAB_DR_VIP4, "udp", 53, "10.0.3.11", "10.0.3.12") ",\n"
		       DR2(LAB_DR_VIP4, "udp", 55, "10.0.3.11", "10.0.3.12") ",\n"
		       DR2(LAB_DR_VIP6, "udp", 53, "fd00:3::11", "fd00:3::12") ",\n"
		       DR2(LAB_DR_VIP6, "udp", 55, "fd00:3::11", "fd00:3::12") " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	icmp_dr(4);
	icmp_dr(6);
}

/*
 * DR passes a bad checksum on (IPVS checks them for NAT only) and drops
 * a cut header; a packet of no connection is dropped for rr.
 */
Test(hostile_lvs, odd_packets_dr)
{
	static const char *const vip[] = { LAB_DR_VIP4, LAB_DR_VIP6 };
	int f;

	lab_write_conf(&lab, "services = ( "
		       "{ vip = \"" LAB_DR_VIP4 "\"; port = 80; forward = \"dr\"; scheduler = \"rr\";\n"
		       "  real_servers = ( { address = \"10.0.3.11\"; port = 80; } ); },\n"
		       "{ vip = \"" LAB_DR_VIP6 "\"; port = 80; forward = \"dr\"; scheduler = \"rr\";\n"
		       "  real_servers = ( { address = \"fd00:3::11\"; port = 80; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	for (f = 0; f < 2; f++) {
		long long syn = cap("rs1", "syn"), ack = cap("rs1", "ack");

		raw_send(vip[f], 80, "tcp-trunc", 61002, 3);
		raw_send(vip[f], 80, "tcp-doff", 61003, 3);
		raw_send(vip[f], 80, "ack", 61004, 3);
		marker(vip[f], 80, "rs1");
		cr_expect_eq(cap("rs1", "syn"), syn, "%s: a cut SYN reached the real server", vip[f]);
		cr_expect_eq(cap("rs1", "ack"), ack, "%s: rr scheduled a packet of no connection",
			     vip[f]);
		raw_send(vip[f], 80, "syn-badsum", 61005, 1);
		cr_expect_geq(cap_wait("rs1", "syn", syn + 1, 3000), syn + 1,
			      "%s: DR did not pass a bad checksum on", vip[f]);
		raw_send(vip[f], 80, "syn-ipopt", 61006, 1);
		cr_expect_geq(cap_wait("rs1", "syn", syn + 2, 3000), syn + 2,
			      "%s: DR did not pass IP options on", vip[f]);
		expect_director_serves("tcp", vip[f], 80);
	}
}

/* The director says at start whether TUN is encapsulated in the kernel. */
static bool tun_in_kernel(void)
{
	return strstr(lab_log(&lab, "director"), "TUN: encapsulating in the kernel");
}

/*
 * TUN: a datagram that does not fit in the tunnel gets the client a "too
 * big" from the VIP with the room the tunnel leaves (the director's PMTU);
 * a real server's port unreachable goes to the client past the director;
 * the client's "too big" about a real server's answer goes to that real
 * server through its tunnel, as IPVS sends it.
 */
Test(hostile_lvs, icmp_errors_tun)
{
	char cond[256];
	pid_t pid;

	cr_assert_gt(lab_decap(&lab, "rs1", "decap1", "--type ipip"), 0);
	lab_write_conf(&lab, "services = ( "
		       "{ vip = \"" LAB_DR_VIP4 "\"; port = 53; protocol = \"udp\"; forward = \"tun\";\n"
		       "  real_servers = ( { address = \"10.0.3.11\"; port = 53; } ); },\n"
		       "{ vip = \"" LAB_DR_VIP4 "\"; port = 55; protocol = \"udp\"; forward = \"tun\";\n"
		       "  real_servers = ( { address = \"10.0.3.11\"; port = 55; } ); },\n"
		       "{ vip = \"" LAB_DR_VIP6 "\"; port = 53; protocol = \"udp\"; forward = \"tun\";\n"
		       "  real_servers = ( { address = \"fd00:3::11\"; port = 53; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	pid = udp_err("big4", LAB_DR_VIP4, 53, 40004, "--size 1472");
	/* from the VIP when the director encapsulates in user space, from
	 * its address on the way when the kernel does (tc BPF: the route's
	 * MTU, as a router says it) */
	expect_icmp("big4", pid, tun_in_kernel() ? "icmp 3 4 1480 10.0.3.2" :
		    "icmp 3 4 1480 " LAB_DR_VIP4);
	pid = udp_err("big6", LAB_DR_VIP6, 53, 40005, "--size 1452");
	expect_icmp("big6", pid, "icmp 2 0 1460 " LAB_DR_VIP6);
	pid = lab_spawn(&lab, "cl", "unreach", "exec " RAWPKT " udp-err " LAB_DR_VIP4
			" 55 --timeout-ms 5000");
	expect_icmp("unreach", pid, "icmp 3 3 ");

	/* the client's "too big" about rs1's answer goes through the tunnel */
	pid = udp_err("fromcl", LAB_DR_VIP4, 53, 40006, "--answer-only");
	cr_expect_eq(lab_wait_exit(&lab, pid, 5000), 0);
	snprintf(cond, sizeof(cond), "ip -n %s route get 10.0.1.2 from " LAB_DR_VIP4
		 " | grep -q 'mtu 1300'", lab_ns(&lab, "rs1"));
	cr_expect_eq(icmp_until("cl", "icmp " LAB_DR_VIP4 " --type 3 --code 4 --mtu 1300 "
				"--inner udp " LAB_DR_VIP4 " 53 10.0.1.2 40006", cond),
		     0, "rs1 did not learn the client's MTU: %s", lab_log(&lab, "decap1"));
}

/* VmRSS of @pid in kB, -1 if unknown. */
static long rss_kb(pid_t pid)
{
	char out[64];

	lab_cap(&lab, out, sizeof(out), "awk '/^VmRSS/ { print $2 }' /proc/%d/status",
		(int)pid);
	return out[0] ? atol(out) : -1;
}

/* 300 TCP packets of @kind to @vip:@port, from 300 source ports. */
static void barrage(const char *vip, int port, const char *kind, int first)
{
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s " RAWPKT " send %s %d --kind %s "
			    "--sport %d --ports 300 >/dev/null", lab_ns(&lab, "cl"), vip,
			    port, kind, first), 0);
}

/*
 * DR: ACKs of no connection (rr) and SYNs to a port with no service leave
 * no flow in the kernel's maps or the director's table, and the director
 * does not grow: a second barrage, after a first one warmed it up, adds
 * less than 256 kB to its RSS (an allocation per packet would be 300 of
 * them at least, and a flow 100-odd bytes each).
 */
Test(hostile_lvs, no_flow_and_no_service_dr)
{
	char out[4096];
	long before;

	lab_write_conf(&lab, "services = ( "
		       "{ vip = \"" LAB_DR_VIP4 "\"; port = 80; forward = \"dr\"; scheduler = \"rr\";\n"
		       "  real_servers = ( { address = \"10.0.3.11\"; port = 80; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	barrage(LAB_DR_VIP4, 80, "ack", 20000);
	barrage(LAB_DR_VIP4, 83, "syn", 21000);
	before = rss_kb(lab.director);
	barrage(LAB_DR_VIP4, 80, "ack", 22000);
	barrage(LAB_DR_VIP4, 83, "syn", 23000);
	cr_expect_lt(rss_kb(lab.director), before + 256, "RSS %ld -> %ld kB", before,
		     rss_kb(lab.director));
	expect_director_serves("tcp", LAB_DR_VIP4, 80);
	/* only the 3 connections just made have flows */
	cr_assert_eq(adm(out, sizeof(out), "-Lnc"), 0, "%s", out);
	cr_expect(!strstr(out, ":2") && !strstr(out, ":83"), "%s", out);
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s nft list map ip nflvs dr_tcp4 | "
			    "grep -q ' : '", lab_ns(&lab, "dir")), 0, "no flow at all?");
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s nft list ruleset | "
			    "grep -Eq '10.0.1.2 \\. (2[0-3][0-9]{3}) '", lab_ns(&lab, "dir")), 1,
		     "a flow of the barrage is in the kernel");
}
