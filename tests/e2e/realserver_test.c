// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * contrib/nflvs-realserver in a real server's namespace (lab.h's pair:
 * cl 10.0.3.1 --- rs 10.0.3.2).  A client that routes the VIPs via rs's
 * address plays the director of direct routing: frames to rs's MAC with
 * the VIP as destination, answered straight from the VIP.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

#define RS	"contrib/nflvs-realserver"
#define VIP4	LAB_VIP4
#define VIP6	LAB_VIP6

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_pair_topology(&lab), 0, "topology");
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(realserver, .init = setup, .fini = teardown, .timeout = 60);

/*
 * Run the script in rs; its exit status, stdout in out, stderr in err.  Its
 * state goes to the lab directory, not to the host's /run: the state of a
 * namespace made by `ip netns add NS' is ROOT/netns/NS/state.
 */
static char out[8192], err[8192];

#define STATE_FMT	"%s/run/netns/%s/state"

static int realserver(const char *args)
{
	int st;

	st = lab_cap(&lab, out, sizeof(out), "{ ip netns exec %s env "
		     "NFLVS_REALSERVER_STATE=%s/run " RS " %s 2>%s/rs-err.log; }",
		     lab_ns(&lab, "rs"), lab.dir, args, lab.dir);
	snprintf(err, sizeof(err), "%s", lab_log(&lab, "rs-err"));
	return st;
}

/* Everything the script may touch in rs, as text. */
static void snapshot(char *buf, size_t len)
{
	lab_cap(&lab, buf, len, "ip netns exec %s sh -c '"
		"for f in /proc/sys/net/ipv4/conf/*/arp_ignore "
		"/proc/sys/net/ipv4/conf/*/arp_announce "
		"/proc/sys/net/ipv4/conf/*/rp_filter; do echo $f $(cat $f); done; "
		"ip -o addr show; ip -o link show; ip fou show 2>&1; "
		"ls %s/run/netns/%s 2>&1'",
		lab_ns(&lab, "rs"), lab.dir, lab_ns(&lab, "rs"));
}

static int sysctl(const char *path)
{
	char buf[32];

	if (lab_cap(&lab, buf, sizeof(buf), "ip netns exec %s cat /proc/sys/%s",
		    lab_ns(&lab, "rs"), path))
		return -1;
	return atoi(buf);
}

static bool on_lo(const char *prefix)
{
	return lab_sh(&lab, "ip -n %s -o addr show dev lo to %s | grep -q .",
		      lab_ns(&lab, "rs"), prefix) == 0;
}

static bool state_exists(void)
{
	return lab_sh(&lab, "test -e " STATE_FMT, lab.dir, lab_ns(&lab, "rs")) == 0;
}

Test(realserver, dr_up_sets_and_down_restores_exactly)
{
	static char before[16384], after[16384];
	const char *rs = lab_ns(&lab, "rs");

	/* not all defaults: each must come back as it was */
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw "
			    "net.ipv4.conf.all.arp_announce=1 "
			    "net.ipv4.conf.eth0.arp_ignore=2 "
			    "net.ipv4.conf.lo.arp_announce=2", rs), 0);
	snapshot(before, sizeof(before));
	cr_assert_eq(realserver("dr up " VIP4 " " VIP6), 0, "%s", err);
	cr_expect(on_lo(VIP4 "/32"));
	cr_expect(on_lo(VIP6 "/128"));
	cr_expect_eq(sysctl("net/ipv4/conf/all/arp_ignore"), 1);
	cr_expect_eq(sysctl("net/ipv4/conf/all/arp_announce"), 2);
	cr_expect_eq(sysctl("net/ipv4/conf/eth0/arp_ignore"), 2, "stricter: kept");
	cr_expect_eq(sysctl("net/ipv4/conf/eth0/arp_announce"), 2);
	cr_expect_eq(sysctl("net/ipv4/conf/lo/arp_ignore"), 1);
	cr_expect_eq(sysctl("net/ipv4/conf/lo/arp_announce"), 2);
	cr_expect(state_exists());

	cr_assert_eq(realserver("status"), 0, "%s", err);
	cr_expect(strstr(out, "dr " VIP4 "\n"), "%s", out);
	cr_expect(strstr(out, "dr " VIP6 "\n"), "%s", out);
	cr_expect(strstr(out, "sysctl net/ipv4/conf/all/arp_announce 2 (was 1)\n"), "%s", out);

	cr_assert_eq(realserver("dr down"), 0, "%s", err);
	snapshot(after, sizeof(after));
	cr_expect_str_eq(after, before);
	cr_expect(!state_exists());
	cr_expect_eq(realserver("status"), 0);
	cr_expect(strstr(out, "nothing is set up"), "%s", out);
}

Test(realserver, dr_up_is_idempotent_and_down_is_safe)
{
	static char before[16384], after[16384], state[1024], state2[1024];
	const char *rs = lab_ns(&lab, "rs");

	/* an address that was there before is not the script's to remove */
	cr_assert_eq(lab_sh(&lab, "ip -n %s addr add 10.0.1.101/32 dev lo", rs), 0);
	snapshot(before, sizeof(before));
	cr_expect_eq(realserver("dr down"), 0, "%s", err);
	cr_expect(strstr(err, "nothing is set up"), "%s", err);
	cr_expect_eq(realserver("tun down"), 0, "%s", err);

	cr_assert_eq(realserver("dr up " VIP4 " 10.0.1.101"), 0, "%s", err);
	cr_expect(strstr(err, "10.0.1.101 is on lo already"), "%s", err);
	lab_cap(&lab, state, sizeof(state), "cat " STATE_FMT, lab.dir, rs);
	cr_assert_eq(realserver("dr up " VIP4 " " VIP6), 0, "%s", err);
	cr_assert_eq(realserver("dr up " VIP4), 0, "%s", err);
	lab_cap(&lab, state2, sizeof(state2), "cat " STATE_FMT, lab.dir, rs);
	cr_expect(strstr(state2, state) == state2, "%s\n---\n%s", state, state2);
	cr_expect(strstr(state2, "addr dr 6 " VIP6 "\n"), "%s", state2);

	/* one VIP goes; the other and the sysctls stay */
	cr_assert_eq(realserver("dr down " VIP4), 0, "%s", err);
	cr_expect(!on_lo(VIP4 "/32"));
	cr_expect(on_lo(VIP6 "/128"));
	cr_expect_eq(sysctl("net/ipv4/conf/all/arp_ignore"), 1);
	cr_expect_eq(realserver("dr down 192.0.2.7"), 0, "%s", err);
	cr_expect(strstr(err, "192.0.2.7 was not set up"), "%s", err);
	/* the same address written another way */
	cr_assert_eq(realserver("dr down FD00:1:0:0::0100"), 0, "%s", err);
	cr_expect(!on_lo(VIP6 "/128"));

	snapshot(after, sizeof(after));
	cr_expect_str_eq(after, before);
	cr_expect(on_lo("10.0.1.101/32"));
	cr_expect(!state_exists());
}

/* An error halfway through takes back what that run did. */
Test(realserver, a_failed_up_changes_nothing)
{
	static char before[16384], after[16384];

	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw net.ipv6.conf.lo.disable_ipv6=1",
			    lab_ns(&lab, "rs")), 0);
	snapshot(before, sizeof(before));
	cr_expect_eq(realserver("dr up " VIP4 " " VIP6), 1);
	cr_expect(strstr(err, "cannot add " VIP6 " to lo"), "%s", err);
	cr_expect(strstr(err, "undoing the changes of this run"), "%s", err);
	snapshot(after, sizeof(after));
	cr_expect_str_eq(after, before);
	cr_expect(!state_exists());
}

/* Count exchanges from cl with @vip; 0 if all @n got their answer. */
static int exchange(const char *proto, const char *vip, int port, int n)
{
	struct lab_tally t;

	return lab_count(&lab, "cl", &t, "--%s %s %d -n %d --timeout-ms 700",
			 proto, vip, port, n);
}

static void route(const char *how)
{
	cr_assert_eq(lab_sh(&lab, "ip -n %s neigh flush dev eth0; "
			    "ip -n %s route replace " VIP4 "/32 %s && "
			    "ip -n %s -6 route replace " VIP6 "/128 %s",
			    lab_ns(&lab, "cl"), lab_ns(&lab, "cl"),
			    strcmp(how, "via") ? "dev eth0" : "via " LAB_PAIR_RS4,
			    lab_ns(&lab, "cl"),
			    strcmp(how, "via") ? "dev eth0" : "via " LAB_PAIR_RS6), 0);
}

/*
 * Direct routing: the VIPs are reached through rs's address and answered
 * from themselves, while rs never answers ARP or ND for them.
 */
Test(realserver, dr_receives_for_the_vip_and_keeps_quiet_about_it)
{
	const char *rs = lab_ns(&lab, "rs");

	cr_assert_eq(lab_serve(&lab, "rs", "--tcp 80 --udp 53"), 0);
	/*
	 * The naive setup (the VIPs on lo, nothing else) answers ARP for
	 * the IPv4 one: a client asking on the link gets through.  ND is
	 * never answered for an address of lo.
	 */
	cr_assert_eq(lab_sh(&lab, "ip -n %s addr add " VIP4 "/32 dev lo && "
			    "ip -n %s addr add " VIP6 "/128 dev lo nodad", rs, rs), 0);
	route("dev");
	cr_expect_eq(exchange("udp", VIP4, 53, 1), 0, "naive: ARP answered");
	cr_expect_neq(exchange("udp", VIP6, 53, 1), 0, "ND answered for lo");
	cr_assert_eq(lab_sh(&lab, "ip -n %s addr del " VIP4 "/32 dev lo && "
			    "ip -n %s addr del " VIP6 "/128 dev lo", rs, rs), 0);

	cr_assert_eq(realserver("dr up " VIP4 " " VIP6), 0, "%s", err);
	route("dev");
	cr_expect_neq(exchange("udp", VIP4, 53, 1), 0, "ARP answered for the VIP");
	cr_expect_neq(exchange("udp", VIP6, 53, 1), 0, "ND answered for the VIP");
	route("via");
	cr_expect_eq(exchange("tcp", VIP4, 80, 3), 0);
	cr_expect_eq(exchange("udp", VIP4, 53, 3), 0);
	cr_expect_eq(exchange("tcp", VIP6, 80, 3), 0);
	cr_expect_eq(exchange("udp", VIP6, 53, 3), 0);
	cr_assert_eq(realserver("dr down"), 0, "%s", err);
	cr_expect_neq(exchange("udp", VIP4, 53, 1), 0, "the VIP is still there");
}

/* Whether the modules of tunnel @type are there, or could be loaded. */
static const struct tun_case {
	const char *type, *args, *modules[3];
} tun_cases[] = {
	{ "ipip", "--type ipip " VIP4 " " VIP6, { "ipip", "ip6_tunnel" } },
	{ "gre", "--type gre " VIP4 " " VIP6, { "ip_gre", "ip6_gre" } },
	{ "gue", "--type gue --port 6080 " VIP4, { "fou", "ipip" } },
};

static bool module_available(const char *m)
{
	return lab_sh(&lab, "test -d /sys/module/%s || "
		      "{ command -v modprobe && modprobe -n -q %s; }", m, m) == 0;
}

/*
 * Here the kernel has none of the tunnel modules: `tun up' must say which
 * one is missing and change nothing.  (Where they can be loaded, this test
 * does not load them into the host's kernel.)
 */
Test(realserver, tun_up_without_the_modules_changes_nothing)
{
	static char before[16384], after[16384];
	size_t i, j, tested = 0;

	snapshot(before, sizeof(before));
	for (i = 0; i < sizeof(tun_cases) / sizeof(tun_cases[0]); i++) {
		const struct tun_case *c = &tun_cases[i];
		char args[256];
		bool missing = false;

		for (j = 0; j < 3 && c->modules[j]; j++)
			missing |= !module_available(c->modules[j]);
		if (!missing)
			continue;
		tested++;
		snprintf(args, sizeof(args), "tun up %s", c->args);
		cr_expect_eq(realserver(args), 1, "%s: %s", c->type, err);
		cr_expect(strstr(err, "missing kernel module(s):"), "%s", err);
		cr_expect(strstr(err, "nothing was changed"), "%s", err);
		for (j = 0; j < 3 && c->modules[j]; j++)
			if (!module_available(c->modules[j]))
				cr_expect(strstr(err, c->modules[j]),
					  "%s not named: %s", c->modules[j], err);
		snapshot(after, sizeof(after));
		cr_expect_str_eq(after, before, "%s left something", c->type);
	}
	if (!tested)
		lab_skip(&lab, "the tunnel modules are available here");
}

/* Where ipip is loaded (or built in) already, the real thing. */
Test(realserver, tun_up_with_ipip_and_down)
{
	static char before[16384], after[16384];

	if (lab_sh(&lab, "test -d /sys/module/ipip"))
		lab_skip(&lab, "ipip is not loaded in this kernel");
	snapshot(before, sizeof(before));
	cr_assert_eq(realserver("tun up --type ipip " VIP4), 0, "%s", err);
	cr_expect_eq(lab_sh(&lab, "ip -n %s -o link show dev tunl0 | grep -q '[<,]UP[,>]'",
			    lab_ns(&lab, "rs")), 0);
	cr_expect_eq(sysctl("net/ipv4/conf/all/rp_filter"), 0);
	cr_expect_eq(sysctl("net/ipv4/conf/tunl0/rp_filter"), 0);
	cr_expect_eq(sysctl("net/ipv4/conf/all/arp_ignore"), 1);
	cr_expect(on_lo(VIP4 "/32"));
	cr_assert_eq(realserver("tun down"), 0, "%s", err);
	snapshot(after, sizeof(after));
	cr_expect_str_eq(after, before);
}

/*
 * No tunnel devices here: with nflvs-tundecap, `tun up' puts the BPF
 * decapsulator on the device of the default route.  cl plays the
 * director with the user-space encapsulator (nflvs-decap encap), over
 * IPv4 outside, each VIP family inside; `tun down' takes it all back.
 */
Test(realserver, tun_up_with_the_bpf_decapsulator_and_down)
{
	static const struct {
		const char *type, *up, *encap;
	} c[] = {
		{ "ipip", "--type ipip", "--type ipip" },
		{ "gre", "--type gre", "--type gre --csum --key 7" },
		{ "gue", "--type gue --port 6080", "--type gue --port 6080" },
	};
	static char before[16384], after[16384];
	char cl[64], rs[64], args[256];
	pid_t enc;
	size_t i;

	/* lab_ns() answers in one buffer: copies */
	snprintf(cl, sizeof(cl), "%s", lab_ns(&lab, "cl"));
	snprintf(rs, sizeof(rs), "%s", lab_ns(&lab, "rs"));
	setenv("NFLVS_TUNDECAP", "build/nflvs-tundecap", 1);
	cr_assert_eq(lab_serve(&lab, "rs", "--tcp 80 --udp 53"), 0);
	snapshot(before, sizeof(before));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		/* the pair has no default route: the device is named */
		snprintf(args, sizeof(args), "tun up %s --dev eth0 %s %s", c[i].up,
			 VIP4, VIP6);
		cr_assert_eq(realserver(args), 0, "%s: %s", c[i].type, err);
		cr_expect_eq(lab_sh(&lab, "ip netns exec %s tc filter show dev eth0 ingress "
				    "| grep -q tun_decap", rs), 0, "%s: no filter: %s",
			     c[i].type, err);
		cr_expect(on_lo(VIP4 "/32") && on_lo(VIP6 "/128"));
		cr_assert_eq(realserver("status"), 0);
		cr_expect(strstr(out, "BPF decapsulator on eth0"), "%s", out);
		enc = lab_decap(&lab, "cl", "encap", "encap %s --to " LAB_PAIR_RS4,
				c[i].encap);
		cr_assert_gt(enc, 0, "encap: %s", lab_log(&lab, "encap"));
		cr_assert_eq(lab_sh(&lab, "ip -n %s route replace " VIP4 "/32 dev encap0 && "
				    "ip -n %s -6 route replace " VIP6 "/128 dev encap0",
				    cl, cl), 0);
		cr_expect_eq(exchange("tcp", VIP4, 80, 3), 0, "%s over IPv4", c[i].type);
		cr_expect_eq(exchange("udp", VIP4, 53, 3), 0, "%s over IPv4", c[i].type);
		cr_expect_eq(exchange("tcp", VIP6, 80, 3), 0, "%s, IPv6 inside", c[i].type);
		cr_expect_eq(lab_stop(&lab, enc, SIGTERM, 5000), 0);
		cr_assert_eq(realserver("tun down"), 0, "%s", err);
		cr_expect_eq(lab_sh(&lab, "ip netns exec %s tc filter show dev eth0 ingress "
				    "| grep -q tun_decap", rs), 1, "%s: filter left", c[i].type);
	}
	snapshot(after, sizeof(after));
	cr_expect_str_eq(after, before);
}

Test(realserver, dry_run_prints_and_changes_nothing)
{
	static char before[16384], after[16384];

	snapshot(before, sizeof(before));
	cr_assert_eq(realserver("--dry-run dr up " VIP4 " " VIP6), 0, "%s", err);
	cr_expect(strstr(out, "sysctl -w net/ipv4/conf/all/arp_ignore=1\n"), "%s", out);
	cr_expect(strstr(out, "sysctl -w net/ipv4/conf/eth0/arp_announce=2\n"), "%s", out);
	cr_expect(strstr(out, "ip -4 addr add " VIP4 "/32 dev lo\n"), "%s", out);
	cr_expect(strstr(out, "ip -6 addr add " VIP6 "/128 dev lo nodad\n"), "%s", out);
	/* ARP is quiet before the first VIP appears */
	cr_expect(strstr(out, "arp_ignore") < strstr(out, "addr add"), "%s", out);

	cr_assert_eq(realserver("tun up --dry-run --type gue --port 6080 " VIP4 " " VIP6),
		     0, "%s", err);
	cr_expect(strstr(out, "ip fou add port 6080 gue\n"), "%s", out);
	cr_expect(strstr(out, "ip fou add port 6080 gue -6\n"), "%s", out);
	cr_expect(strstr(out, "ip link set tunl0 up\n"), "%s", out);
	cr_expect(strstr(out, "ip link set ip6tnl0 up\n"), "%s", out);
	cr_expect(strstr(out, "sysctl -w net/ipv4/conf/tunl0/rp_filter=0\n"), "%s", out);
	cr_expect(!strstr(out, "ip6tnl0/rp_filter"), "IPv6 inside only: %s", out);

	cr_assert_eq(realserver("--dry-run tun up --type gre --local " LAB_PAIR_RS6
				" " VIP4), 0, "%s", err);
	cr_expect(strstr(out, "ip link set ip6gre0 up\n"), "%s", out);
	cr_expect(strstr(out, "sysctl -w net/ipv4/conf/ip6gre0/rp_filter=0\n"), "%s", out);

	snapshot(after, sizeof(after));
	cr_expect_str_eq(after, before);
}

Test(realserver, bad_arguments_and_refused_setups)
{
	static const char *const usage_errors[] = {
		"", "dr", "dr up", "dr sideways " VIP4, "dr up 10.0.1.300",
		"dr up 010.0.1.1", "dr down fd00::1::2", "tun up " VIP4,
		"tun up --type vxlan " VIP4, "tun up --type gue " VIP4,
		"tun up --type ipip --port 6080 " VIP4,
		"tun up --type gue --port 65536 " VIP4, "tun up --type",
		"tun up --type ipip --frob " VIP4, "tun up --type ipip",
		"tun up --type ipip --local 10.0.3 " VIP4, "status now", "frob",
	};
	static char before[16384], after[16384];
	size_t i;

	snapshot(before, sizeof(before));
	for (i = 0; i < sizeof(usage_errors) / sizeof(usage_errors[0]); i++) {
		cr_expect_eq(realserver(usage_errors[i]), 2, "`%s': %s",
			     usage_errors[i], err);
		cr_expect(strstr(err, "Usage: nflvs-realserver"), "`%s': %s",
			  usage_errors[i], err);
	}
	/* well formed, but not possible here */
	cr_expect_eq(realserver("tun up --type ipip --local 192.0.2.1 " VIP4), 1);
	cr_expect(strstr(err, "192.0.2.1 is not an address of this host"), "%s", err);
	cr_expect_eq(realserver("tun up --type ipip --local " LAB_PAIR_RS6 " " VIP4), 1);
	cr_expect(strstr(err, "ip6tnl0 carries IPv6 only"), "%s", err);
	snapshot(after, sizeof(after));
	cr_expect_str_eq(after, before);
	cr_expect_eq(realserver("--help"), 0);
	cr_expect(strstr(out, "Usage: nflvs-realserver"), "%s", out);
}
