// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-decap, the user-space tunnel end of the TUN-mode tests, against
 * the kernel, with no director:
 *
 *   cl  eth0 10.0.3.1/24 fd00:3::1/64; nflvs-decap encap on encap0, with
 *       routes to the VIPs through it
 *    |
 *   rs  eth0 10.0.3.2/24 fd00:3::2/64; VIPs 10.0.1.100, fd00:1::100 on lo;
 *       nflvs-decap on decap0; nflvs-testnet serve --tcp 80 --udp 53
 *
 * The client's packets reach the real server only through the tunnel; the
 * answers come back from the VIP over rs's own route, as in LVS-TUN.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"

#define CL4	LAB_PAIR_CL4
#define CL6	LAB_PAIR_CL6
#define RS4	LAB_PAIR_RS4
#define RS6	LAB_PAIR_RS6
#define DECAP	"build/tests/nflvs-decap"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	/*
	 * rp_filter 0: the real server needs it (see decap.c), the client
	 * too, as its answers come from a VIP it routes into encap0.
	 */
	lab_setup_assert_eq(&lab, lab_pair_topology(&lab), 0, "topology");
	lab_setup_assert_eq(&lab, lab_sh(&lab, "ip -n %s addr add " LAB_VIP4 "/32 dev lo && "
			    "ip -n %s addr add " LAB_VIP6 "/128 dev lo",
			    lab_ns(&lab, "rs"), lab_ns(&lab, "rs")), 0);
	lab_setup_assert_eq(&lab, lab_serve(&lab, "rs", "--tcp 80 --udp 53"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(decap, .init = setup, .fini = teardown, .timeout = 60);

/* nflvs-decap DECAP_ARGS in rs, encap ENCAP_ARGS in cl (*@encap), VIPs
 * routed in. */
static pid_t tunnel(const char *decap_args, const char *encap_args,
		    pid_t *encap)
{
	const char *cl = lab_ns(&lab, "cl");
	pid_t pid, e;

	pid = lab_decap(&lab, "rs", "decap", "%s", decap_args);
	cr_assert_gt(pid, 0, "decap: %s", lab_log(&lab, "decap"));
	e = lab_decap(&lab, "cl", "encap", "encap %s", encap_args);
	cr_assert_gt(e, 0, "encap: %s", lab_log(&lab, "encap"));
	if (encap)
		*encap = e;
	cr_assert_eq(lab_sh(&lab,
		"ip -n %s route add " LAB_VIP4 "/32 dev encap0 src " CL4 " && "
		"ip -n %s -6 route add " LAB_VIP6 "/128 dev encap0 src " CL6,
		cl, cl), 0);
	return pid;
}

/* Three TCP connections and three UDP exchanges with @vip. */
static void exchanges(const char *vip)
{
	struct lab_tally t;

	cr_expect_eq(lab_count(&lab, "cl", &t, "--tcp %s 80 -n 3", vip), 0,
		     "TCP to %s: %d errors", vip, t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs"), 3, "TCP to %s", vip);
	cr_expect_eq(lab_count(&lab, "cl", &t, "--udp %s 53 -n 3", vip), 0,
		     "UDP to %s: %d errors", vip, t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs"), 3, "UDP to %s", vip);
}

/* A failed exchange with @vip: the tunnel must not carry it. */
static void no_exchange(const char *proto, const char *vip, int port)
{
	struct lab_tally t;

	cr_expect_neq(lab_count(&lab, "cl", &t, "--%s %s %d -n 1 --timeout-ms 500",
				proto, vip, port), 0, "%s to %s went through",
		      proto, vip);
	cr_expect_eq(t.errors, 1);
}

/*
 * Every packet that came through the tunnel was decapsulated, and none
 * came that was not sent; the helpers exit 0 on SIGTERM with their
 * counters.  The sender stops first, so that its count is final; then
 * the receiver has until a deadline to count as many.  A packet may be
 * lost on the way on a busy host (TCP sent it again, and both were
 * counted as sent): what arrived is compared with what was sent, not
 * assumed to be all of it.
 */
static void expect_clean(pid_t decap, pid_t encap)
{
	long long sent, got, received;

	cr_expect_eq(lab_stop(&lab, encap, SIGTERM, 10000), 0, "%s",
		     lab_log(&lab, "encap"));
	sent = lab_stat(&lab, "encap", "sent");
	cr_expect_gt(sent, 0, "%s", lab_log(&lab, "encap"));
	cr_expect_eq(lab_stat(&lab, "encap", "errors"), 0, "%s", lab_log(&lab, "encap"));
	lab_wait_stat(&lab, "decap", "received", sent, 10000);
	cr_expect_eq(lab_stop(&lab, decap, SIGTERM, 10000), 0);
	got = lab_stat(&lab, "decap", "decapsulated");
	received = lab_stat(&lab, "decap", "received");
	cr_expect_gt(received, 0, "%s", lab_log(&lab, "decap"));
	cr_expect_leq(received, sent, "%s", lab_log(&lab, "decap"));
	cr_expect_eq(got, received, "%s", lab_log(&lab, "decap"));
	cr_expect_eq(lab_stat(&lab, "decap", "bad"), 0, "%s", lab_log(&lab, "decap"));
	cr_expect_eq(lab_stat(&lab, "decap", "errors"), 0);
	cr_expect(strstr(lab_log(&lab, "decap"), "received "), "%s",
		  lab_log(&lab, "decap"));
}

/* TCP and UDP to both VIPs through a tunnel, every packet decapsulated. */
static void round_trip(const char *decap_args, const char *encap_args)
{
	pid_t e, d = tunnel(decap_args, encap_args, &e);

	exchanges(LAB_VIP4);
	exchanges(LAB_VIP6);
	expect_clean(d, e);
}

Test(decap, ipip_over_ipv4_carries_ipv4_and_ipv6)
{
	round_trip("--type ipip", "--type ipip --to " RS4);
}

Test(decap, ipip_over_ipv6_carries_ipv4_and_ipv6)
{
	round_trip("--type ipip", "--type ipip --to " RS6);
}

Test(decap, gre_over_ipv4)
{
	round_trip("--type gre", "--type gre --to " RS4);
}

Test(decap, gre_over_ipv6_with_checksum_key_and_sequence)
{
	round_trip("--type gre", "--type gre --to " RS6 " --csum --key 7 --seq");
}

Test(decap, gre_bad_checksum_is_dropped_and_counted)
{
	pid_t d = tunnel("--type gre", "--type gre --to " RS4 " --corrupt", NULL);

	no_exchange("udp", LAB_VIP4, 53);
	no_exchange("udp", LAB_VIP6, 53);
	cr_expect_geq(lab_wait_stat(&lab, "decap", "bad", 2, 2000), 2);
	cr_expect_eq(lab_stat(&lab, "decap", "decapsulated"), 0);
	cr_expect(strstr(lab_log(&lab, "decap"), "GRE checksum"), "%s",
		  lab_log(&lab, "decap"));
	cr_expect_eq(lab_stop(&lab, d, SIGTERM, 2000), 0);
}

Test(decap, gue_over_ipv4_without_checksum)
{
	round_trip("--type gue --port 6080", "--type gue --port 6080 --to " RS4);
}

/* IPVS's default (nocsum) sends a zero UDP checksum over IPv6 too. */
Test(decap, gue_over_ipv6_without_checksum)
{
	round_trip("--type gue --port 6080", "--type gue --port 6080 --to " RS6);
}

Test(decap, gue_over_ipv6_with_checksum)
{
	round_trip("--type gue --port 6080",
			 "--type gue --port 6080 --csum --to " RS6);
}

Test(decap, gue_direct_ip_encapsulation)
{
	round_trip("--type gue --port 6080",
			 "--type gue --port 6080 --direct --csum --to " RS4);
}

/*
 * The inner TCP and UDP checksums arrive as the pseudo-header sums only;
 * the kernel checks what comes from a TUN device, so nothing would get
 * through unless they are completed as fou does.
 */
Test(decap, gue_remote_checksum_offload)
{
	round_trip("--type gue --port 6080",
			 "--type gue --port 6080 --remcsum --to " RS4);
}

/* A wrong UDP checksum: the kernel drops it before the socket sees it. */
Test(decap, gue_bad_udp_checksum_is_dropped_by_the_kernel)
{
	char out[64];
	pid_t d = tunnel("--type gue --port 6080",
			 "--type gue --port 6080 --corrupt --to " RS4, NULL);

	no_exchange("udp", LAB_VIP4, 53);
	cr_expect_geq(lab_wait_stat(&lab, "encap", "sent", 1, 2000), 1);
	cr_expect_eq(lab_stat(&lab, "decap", "received"), 0);
	cr_expect_eq(lab_cap(&lab, out, sizeof(out),
			     "ip netns exec %s awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) "
			     "if ($i == \"InCsumErrors\") c = i; h = 1 } else print $c }' "
			     "/proc/net/snmp", lab_ns(&lab, "rs")), 0);
	cr_expect_gt(atoi(out), 0, "InCsumErrors %s", out);
	cr_expect_eq(lab_stop(&lab, d, SIGTERM, 2000), 0);
}

/* A UDP datagram "hi" from the client to the VIP: good inner packets. */
#define INNER4	"450000200000000040116269" "0a000301" "0a000164" \
		"d4310035000ca097" "68690a0a"
#define INNER6	"60000000000c1140" "fd000003000000000000000000000001" \
		"fd000001000000000000000000000100" "d4310035000cbdf5" "68690a0a"

static const struct bad_case {
	const char *dev, *send, *hex;
} bad_cases[] = {
	{ "dipip", "--to " RS4 " --proto 4", "60000000" },	/* not IPv4 */
	{ "dipip", "--to " RS4 " --proto 4", "45000014" },	/* truncated */
	{ "dipip", "--to " RS4 " --proto 4", "450000ff" "0000000040110000"
					       "0a0003010a000164" },	/* length */
	{ "dipip", "--to " RS4 " --proto 41", INNER4 },		/* not IPv6 */
	{ "dipip", "--to " RS6 " --proto 41", INNER4 },
	{ "dgre", "--to " RS4 " --proto 47", "00010800" INNER4 },	/* version 1 */
	{ "dgre", "--to " RS4 " --proto 47", "40000800" INNER4 },	/* routing */
	{ "dgre", "--to " RS4 " --proto 47", "00006558" INNER4 },	/* TEB */
	{ "dgre", "--to " RS4 " --proto 47", "80000800" },		/* truncated */
	{ "dgre", "--to " RS4 " --proto 47", "8000080000000000" INNER4 },/* csum */
	{ "dgre", "--to " RS6 " --proto 47", "000086dd" INNER4 },	/* not IPv6 */
	{ "dgue", "--to " RS4 " --port 6080", "20040000" INNER4 },	/* control */
	{ "dgue", "--to " RS4 " --port 6080", "80040000" INNER4 },	/* version 2 */
	{ "dgue", "--to " RS4 " --port 6080", "00110000" INNER4 },	/* UDP inside */
	{ "dgue", "--to " RS4 " --port 6080", "00040002" INNER4 },	/* flags */
	{ "dgue", "--to " RS4 " --port 6080", "00040001" INNER4 },	/* no options */
	{ "dgue", "--to " RS4 " --port 6080", "0104000140000000" INNER4 },/* pflags */
	{ "dgue", "--to " RS6 " --port 6080", "02040001800000000000ffff" INNER4 },
	{ "dgue", "--to " RS6 " --port 6080", "5000" },		/* version 1, 5 */
};

static const struct good_case {
	const char *send, *hex;
} good_cases[] = {
	{ "--to " RS4 " --proto 4", INNER4 },
	{ "--to " RS6 " --proto 41", INNER6 },
	{ "--to " RS4 " --proto 47", "30000800" "00000007" "00000001" INNER4 },
	{ "--to " RS6 " --port 6080", "00290000" INNER6 },
};

static long long cases_of(const char *dev)
{
	size_t i;
	long long n = 0;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		n += !strcmp(bad_cases[i].dev, dev);
	return n;
}

/* Malformed packets are counted and explained; good ones still pass. */
Test(decap, malformed_packets_are_counted_as_bad)
{
	static const char *const devs[] = { "dipip", "dgre", "dgue" };
	static const char *const args[] = { "--type ipip", "--type gre",
					    "--type gue --port 6080" };
	const char *cl = lab_ns(&lab, "cl");
	size_t i;

	for (i = 0; i < 3; i++)
		cr_assert_gt(lab_decap(&lab, "rs", devs[i], "%s --dev %s",
				       args[i], devs[i]), 0);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		cr_assert_eq(lab_sh(&lab, "ip netns exec %s " DECAP " send %s --hex %s",
				    cl, bad_cases[i].send, bad_cases[i].hex), 0,
			     "send %s", bad_cases[i].hex);
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++)
		cr_assert_eq(lab_sh(&lab, "ip netns exec %s " DECAP " send %s --hex %s",
				    cl, good_cases[i].send, good_cases[i].hex), 0);
	for (i = 0; i < 3; i++) {
		long long bad = cases_of(devs[i]), good = i == 0 ? 2 : 1;

		/* the stats file lags by up to 100 ms: wait for both */
		lab_wait_stat(&lab, devs[i], "decapsulated", good, 2000);
		lab_wait_stat(&lab, devs[i], "bad", bad, 2000);
		cr_expect_eq(lab_stat(&lab, devs[i], "decapsulated"), good,
			     "%s: %s", devs[i], lab_log(&lab, devs[i]));
		cr_expect_eq(lab_stat(&lab, devs[i], "bad"), bad, "%s: %s",
			     devs[i], lab_log(&lab, devs[i]));
		cr_expect_eq(lab_stat(&lab, devs[i], "errors"), 0);
	}
	cr_expect(strstr(lab_log(&lab, "dgre"), "GRE version not 0"));
	cr_expect(strstr(lab_log(&lab, "dgue"), "GUE control message"));
	cr_expect(strstr(lab_log(&lab, "dipip"), "inner packet not IPv6"));
}

/*
 * decap0 has no IPv4 address, and then any reverse-path check (strict or
 * loose) refuses IPv4 packets from it: `all' must be 0.  IPv6 has none.
 */
Test(decap, rp_filter_must_be_0)
{
	const char *rs = lab_ns(&lab, "rs");
	struct lab_tally t;

	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=1",
			    rs), 0);
	tunnel("--type ipip", "--type ipip --to " RS4, NULL);
	cr_expect(strstr(lab_log(&lab, "decap"), "rp_filter is 1"), "%s",
		  lab_log(&lab, "decap"));
	no_exchange("tcp", LAB_VIP4, 80);
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=2",
			    rs), 0);
	no_exchange("tcp", LAB_VIP4, 80);
	cr_expect_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP6 " 80 -n 1"), 0);
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=0",
			    rs), 0);
	cr_expect_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 1"), 0);
	cr_expect_eq(lab_stat(&lab, "decap", "bad"), 0);
}

Test(decap, setup_errors_and_bad_arguments)
{
	static const char *const bad_args[] = {
		"", "--type", "--type vxlan", "--type gue", "--type ipip --port 5",
		"--type gre --dev a/b", "--type gre --dev 0123456789abcdef",
		"--type gre extra", "--bogus", "frobnicate",
		"encap --type ipip", "encap --type ipip --to 10.0.3.300",
		"encap --type ipip --to " RS4 " --csum",
		"encap --type gre --to " RS4 " --direct",
		"encap --type gue --to " RS4,
		"encap --type gue --port 1 --to " RS4 " --from " CL6,
		"encap --type gue --port 1 --to " RS4 " --direct --remcsum",
		"send --to " RS4 " --proto 4", "send --to " RS4 " --hex 45",
		"send --to " RS4 " --proto 4 --port 5 --hex 45",
		"send --to " RS4 " --proto 4 --hex 4",
	};
	const char *rs = lab_ns(&lab, "rs");
	char out[512];
	size_t i;

	for (i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++)
		cr_expect_eq(lab_sh(&lab, "ip netns exec %s " DECAP " %s 2>%s/err; "
				    "st=$?; grep -q '^Usage:' %s/err && exit $st",
				    rs, bad_args[i], lab.dir, lab.dir), 2,
			     "`%s' should be a usage error", bad_args[i]);
	/* the device name is taken: exit 1, saying why */
	cr_assert_gt(lab_decap(&lab, "rs", "first", "--type gre"), 0);
	cr_expect_eq(lab_cap(&lab, out, sizeof(out), "{ ip netns exec %s " DECAP
			     " --type ipip 2>&1; }", rs), 1);
	cr_expect(strstr(out, "TUN device decap0: Device or resource busy"), "%s", out);
}
