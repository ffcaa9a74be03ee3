// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keepalived's other checkers end to end, against real servers from
 * Debian in the real servers' namespaces: OpenSMTPD for smtp, NSD for dns
 * and as the UDP service of udp, the namespaces' own ICMP for ping, and a
 * file the test writes for file.  Each test brings its servers down and up
 * again and waits, polling the shared memory, for the checker to follow.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "shm_map.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 2), 0, "topology");
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(checkers, .init = setup, .fini = teardown, .timeout = 120);

#define FAST "interval = 0.2; timeout = 0.5; rise = 2; fall = 2;"

static void start_both(const char *services)
{
	lab_start_checked(&lab, services);
}

/* Wait until real server @addr:@port is in @state, or fail the test. */
static void expect(const char *addr, int port, uint32_t state,
		   lab_health_t *h)
{
	lab_expect_health(&lab, addr, port, state, 8000, h);
}

static void put(const char *name, const char *text)
{
	lab_put(&lab, name, text, 0644);
}

/* ---- smtp: OpenSMTPD ----------------------------------------------------- */

/*
 * smtpd -d in @role: its control socket is at a fixed path under /run, so
 * each instance gets a /run of its own (ip netns exec already gave it a
 * mount namespace), and a resolv.conf that asks nobody for the reverse
 * name of the checker's address.
 */
static pid_t smtpd_start(const char *role)
{
	pid_t pid;

	if (access("/usr/sbin/smtpd", X_OK))
		lab_skip(&lab, "OpenSMTPD is not installed: this host has "
			 "another MTA (see contrib/install-deps.sh)");
	put("smtpd.conf",
	    "listen on 0.0.0.0 port 25\n"
	    "listen on :: port 25\n"
	    "action \"local\" mbox\n"
	    "match from any for local action \"local\"\n");
	put("resolv.conf", "nameserver 127.0.0.1\n");
	pid = lab_spawn(&lab, role, "smtpd",
			"mount -t tmpfs tmpfs /run && "
			"mount --bind %s/resolv.conf /etc/resolv.conf && "
			"exec smtpd -d -f %s/smtpd.conf", lab.dir, lab.dir);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 10000,
				 "ip netns exec %s ss -ltn | grep -q ':25 '",
				 lab_ns(&lab, role)), 0,
		     "smtpd did not listen:\n%s", lab_log(&lab, "smtpd"));
	return pid;
}

Test(checkers, smtp_against_opensmtpd)
{
	lab_health_t h;
	pid_t pid = smtpd_start("rs1");

	start_both("services = ( { vip = \"" LAB_VIP4 "\"; port = 25;\n"
		   "  check = { type = \"smtp\"; " FAST " };\n"
		   "  real_servers = (\n"
		   "    { address = \"10.0.2.11\"; port = 25; },\n"
		   "    { address = \"10.0.2.12\"; port = 25; } ); },\n"
		   "  { vip = \"" LAB_VIP6 "\"; port = 25;\n"
		   "  check = { type = \"smtp\"; connect_port = 25; helo_name = \"lb.nflvs.test\"; " FAST " };\n"
		   "  real_servers = ( { address = \"fd00:2::11\"; port = 2525; } ); } );\n");
	expect("10.0.2.11", 25, NFLVS_RS_UP, &h);
	cr_expect_str_eq(h.last_error, "");
	expect("fd00:2::11", 2525, NFLVS_RS_UP, NULL);
	/* the whole conversation took place: smtpd saw a QUIT */
	cr_expect_eq(lab_wait_sh(&lab, 3000, "grep -q 'reason=quit' %s/smtpd.log",
				 lab.dir), 0, "%s", lab_log(&lab, "smtpd"));
	expect("10.0.2.12", 25, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "connect: Connection refused");

	cr_assert_geq(lab_stop(&lab, pid, SIGTERM, 5000), 0);
	expect("10.0.2.11", 25, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "connect: Connection refused");
	expect("fd00:2::11", 2525, NFLVS_RS_DOWN, NULL);
	smtpd_start("rs1");
	expect("10.0.2.11", 25, NFLVS_RS_UP, &h);
	cr_expect_eq(h.transitions, 3, "up, down, up");
	expect("fd00:2::11", 2525, NFLVS_RS_UP, NULL);
}

Test(checkers, smtp_reply_codes_count)
{
	lab_health_t h;

	smtpd_start("rs1");
	/* OpenSMTPD refuses a HELO name that is no domain name */
	start_both("services = ( { vip = \"" LAB_VIP4 "\"; port = 25;\n"
		   "  check = { type = \"smtp\"; helo_name = \"-x-\"; " FAST " };\n"
		   "  real_servers = ( { address = \"10.0.2.11\"; port = 25; } ); } );\n");
	expect("10.0.2.11", 25, NFLVS_RS_DOWN, &h);
	cr_expect(!strncmp(h.last_error, "HELO: 501 ", 10), "%s", h.last_error);
}

/* ---- dns and udp: NSD ------------------------------------------------- */

/* nsd -d in @role, authoritative for the root zone: the default query
 * (SOA of ".") has an answer. */
static pid_t nsd_start(const char *role)
{
	char conf[2048];
	pid_t pid;

	put("root.zone",
	    "$ORIGIN .\n$TTL 60\n"
	    "@ IN SOA ns.lab. hostmaster.lab. 1 60 60 600 60\n"
	    "@ IN NS ns.lab.\n"
	    "ns.lab. IN A 10.0.2.12\n"
	    "www.lab. IN A 10.0.2.80\n"
	    "www.lab. IN AAAA fd00:2::80\n");
	snprintf(conf, sizeof(conf),
		 "server:\n  ip-address: 0.0.0.0\n  ip-address: ::0\n"
		 "  port: 53\n  username: \"\"\n  chroot: \"\"\n"
		 "  zonesdir: \"%s\"\n  pidfile: \"%s/nsd.pid\"\n"
		 "  database: \"\"\n  zonelistfile: \"%s/zone.list\"\n"
		 "  xfrdfile: \"%s/xfrd.state\"\n  xfrdir: \"%s\"\n"
		 "  server-count: 1\n  verbosity: 1\n  rrl-ratelimit: 0\n"
		 "remote-control:\n  control-enable: no\n"
		 "zone:\n  name: \".\"\n  zonefile: \"%s/root.zone\"\n",
		 lab.dir, lab.dir, lab.dir, lab.dir, lab.dir, lab.dir);
	put("nsd.conf", conf);
	pid = lab_spawn(&lab, role, "nsd", "exec nsd -d -c %s/nsd.conf",
			lab.dir);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 10000, "grep -q 'nsd started' %s/nsd.log",
				 lab.dir), 0, "nsd did not start:\n%s",
		     lab_log(&lab, "nsd"));
	return pid;
}

/* Stop NSD (@pid): rs2's port 53 answers ICMP port unreachable to both
 * families; start it again. */
static void nsd_down_up(pid_t pid)
{
	lab_health_t h;

	cr_assert_geq(lab_stop(&lab, pid, SIGTERM, 5000), 0);
	expect("10.0.2.12", 53, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "ICMP port unreachable");
	expect("fd00:2::12", 53, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "ICMPv6 port unreachable");
	nsd_start("rs2");
	expect("10.0.2.12", 53, NFLVS_RS_UP, &h);
	cr_expect_eq(h.transitions, 3, "up, down, up");
	expect("fd00:2::12", 53, NFLVS_RS_UP, NULL);
}

Test(checkers, dns_against_nsd)
{
	lab_health_t h;
	pid_t pid = nsd_start("rs2");

	start_both("services = ( { vip = \"" LAB_VIP4 "\"; port = 53; protocol = \"udp\";\n"
		   "  check = { type = \"dns\"; " FAST " };\n"
		   "  real_servers = (\n"
		   "    { address = \"10.0.2.12\"; port = 53; },\n"
		   "    { address = \"10.0.2.12\"; port = 5353;\n"
		   "      check = { connect_port = 53; query_type = \"A\"; query_name = \"nosuch.lab.\"; }; },\n"
		   "    { address = \"10.0.2.11\"; port = 53; } ); },\n"
		   "  { vip = \"" LAB_VIP6 "\"; port = 53; protocol = \"udp\";\n"
		   "  check = { type = \"dns\"; query_type = \"aaaa\"; query_name = \"www.lab\"; " FAST " };\n"
		   "  real_servers = ( { address = \"fd00:2::12\"; port = 53; } ); } );\n");
	expect("10.0.2.12", 53, NFLVS_RS_UP, NULL);
	expect("fd00:2::12", 53, NFLVS_RS_UP, NULL);
	expect("10.0.2.12", 5353, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "A nosuch.lab.: NXDOMAIN");
	/* nothing listens on rs1: port unreachable, not a timeout */
	expect("10.0.2.11", 53, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "ICMP port unreachable");

	nsd_down_up(pid);
}

/* A DNS query for the SOA of "." with id 0x1234, as udp's payload: NSD is
 * the UDP service, its answer the reply required. */
#define SOA_QUERY "1234 0100 0001 0000 0000 0000 00 0006 0001"

Test(checkers, udp_against_nsd)
{
	lab_health_t h;
	pid_t pid = nsd_start("rs2");

	start_both("services = ( { vip = \"" LAB_VIP4 "\"; port = 53; protocol = \"udp\";\n"
		   "  check = { type = \"udp\"; payload = \"" SOA_QUERY "\"; " FAST " };\n"
		   "  real_servers = (\n"
		   "    { address = \"10.0.2.12\"; port = 53; },\n"
		   "    { address = \"10.0.2.12\"; port = 5353; check = { connect_port = 53;\n"
		   "      require_reply = \"4321\"; }; } ); },\n"
		   "  { vip = \"" LAB_VIP6 "\"; port = 53; protocol = \"udp\";\n"
		   "  check = { type = \"udp\"; payload = \"" SOA_QUERY "\"; " FAST "\n"
		   "    require_reply = \"1234 8x x0 0001\"; min_reply_length = 12; };\n"
		   "  real_servers = ( { address = \"fd00:2::12\"; port = 53; } ); } );\n");
	expect("10.0.2.12", 53, NFLVS_RS_UP, NULL);
	expect("fd00:2::12", 53, NFLVS_RS_UP, &h);
	cr_expect_str_eq(h.last_error, "");
	expect("10.0.2.12", 5353, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "reply byte 0 is 12, expected 43");

	nsd_down_up(pid);
}

/* ---- ping ------------------------------------------------------------------ */

static void echo_ignore(const char *role, int on)
{
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw "
			    "net.ipv4.icmp_echo_ignore_all=%d "
			    "net.ipv6.icmp.echo_ignore_all=%d",
			    lab_ns(&lab, role), on, on), 0);
}

#define PING_SVC \
	"services = ( { vip = \"" LAB_VIP4 "\"; port = 80;\n" \
	"  check = { type = \"ping\"; " FAST " };\n" \
	"  real_servers = (\n" \
	"    { address = \"10.0.2.11\"; port = 80; },\n" \
	"    { address = \"10.0.2.12\"; port = 80; } ); },\n" \
	"  { vip = \"" LAB_VIP6 "\"; port = 80;\n" \
	"  check = { type = \"ping\"; " FAST " };\n" \
	"  real_servers = ( { address = \"fd00:2::11\"; port = 80; } ); } );\n"

/* rs1 stops answering echo requests and starts again; rs2 never stops. */
static void ping_down_up(void)
{
	lab_health_t h;

	expect("10.0.2.11", 80, NFLVS_RS_UP, NULL);
	expect("fd00:2::11", 80, NFLVS_RS_UP, NULL);
	expect("10.0.2.12", 80, NFLVS_RS_UP, NULL);
	echo_ignore("rs1", 1);
	expect("10.0.2.11", 80, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(h.last_error, "timeout after 500 ms");
	expect("fd00:2::11", 80, NFLVS_RS_DOWN, NULL);
	echo_ignore("rs1", 0);
	expect("10.0.2.11", 80, NFLVS_RS_UP, &h);
	cr_expect_eq(h.transitions, 3, "up, down, up");
	expect("fd00:2::11", 80, NFLVS_RS_UP, NULL);
	cr_assert_eq(lab_health(&lab, "10.0.2.12", 80, &h), 0);
	cr_expect_eq(h.transitions, 1, "rs2 never went down");
}

Test(checkers, ping_over_raw_sockets)
{
	/* the default ping_group_range admits nobody, root included */
	start_both(PING_SVC);
	ping_down_up();
	cr_expect(strstr(lab_log(&lab, "checker"), "ICMP over a raw socket") &&
		  strstr(lab_log(&lab, "checker"), "ICMPv6 over a raw socket"),
		  "%s", lab_log(&lab, "checker"));
}

Test(checkers, ping_over_unprivileged_icmp_sockets)
{
	/* per namespace: the checker's, the director's */
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sysctl -qw "
			    "net.ipv4.ping_group_range='0 2147483647'",
			    lab_ns(&lab, "dir")), 0);
	start_both(PING_SVC);
	ping_down_up();
	cr_expect(strstr(lab_log(&lab, "checker"),
			 "ICMP over a datagram (unprivileged ICMP) socket"),
		  "%s", lab_log(&lab, "checker"));
	cr_expect(strstr(lab_log(&lab, "checker"),
			 "ICMPv6 over a datagram (unprivileged ICMP) socket"),
		  "%s", lab_log(&lab, "checker"));
}

Test(checkers, ping_after_switching_to_director_user)
{
	lab_write_conf(&lab, PING_SVC);
	cr_assert_eq(lab_sh(&lab, "sed -i 's/^  table = \"nflvs\";/&\\n  user = \"nobody\";/' %s",
			    lab.conf), 0);
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_gt(lab_checker_start(&lab, NULL), 0);
	ping_down_up();
	cr_expect(strstr(lab_log(&lab, "checker"), "running as user nobody"),
		  "%s", lab_log(&lab, "checker"));
	cr_expect(strstr(lab_log(&lab, "checker"), "ICMP over a raw socket"),
		  "opened while root: %s", lab_log(&lab, "checker"));
}

/* ---- file ------------------------------------------------------------------ */

static int eff_weight(const char *addr, int port)
{
	struct nflvs_shm_rs r;

	return lab_rs_record(&lab, addr, port, &r) ? -2 : r.dir.eff_weight;
}

static int wait_eff_weight(const char *addr, int port, int weight)
{
	int i;

	/* the director applies what the checker published */
	for (i = 0; i < 400 && eff_weight(addr, port) != weight; i++)
		usleep(20000);
	return eff_weight(addr, port) == weight ? 0 : -1;
}

Test(checkers, file_sets_weight_and_state)
{
	char conf[1024];
	lab_health_t h;

	put("w", "0\n");
	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"" LAB_VIP4 "\"; port = 80;\n"
		 "  check = { type = \"file\"; file = \"%s/w\"; interval = 0.1; };\n"
		 "  real_servers = (\n"
		 "    { address = \"10.0.2.11\"; port = 80; weight = 3;\n"
		 "      check = { file_weight = 5; }; },\n"
		 "    { address = \"10.0.2.12\"; port = 80; check = { file_weight = 0; }; } ); } );\n",
		 lab.dir);
	start_both(conf);
	expect("10.0.2.11", 80, NFLVS_RS_UP, &h);
	cr_expect_eq(h.weight, -1, "0 x 5: the configured weight");
	expect("10.0.2.12", 80, NFLVS_RS_UP, NULL);

	put("w", "2\n");
	cr_expect_eq(wait_eff_weight("10.0.2.11", 80, 13), 0,
		     "3 + 2 x 5, the director has %d", eff_weight("10.0.2.11", 80));
	expect("10.0.2.12", 80, NFLVS_RS_DOWN, &h);
	cr_expect_str_eq(strrchr(h.last_error, '/'), "/w holds 2");

	put("w", "-1\n");
	cr_expect_eq(wait_eff_weight("10.0.2.11", 80, 0), 0,
		     "3 - 5 is 0 at least, the director has %d",
		     eff_weight("10.0.2.11", 80));
	cr_assert_eq(lab_health(&lab, "10.0.2.11", 80, &h), 0);
	cr_expect_eq(h.state, NFLVS_RS_UP, "weight 0 is quiesced, not down");

	put("w", "0\n");
	expect("10.0.2.12", 80, NFLVS_RS_UP, NULL);
	cr_expect_eq(wait_eff_weight("10.0.2.11", 80, 3), 0);
	put("w", "-2147483648\n");
	expect("10.0.2.11", 80, NFLVS_RS_DOWN, &h);
	cr_expect(strstr(h.last_error, "is at or below -2147483648"), "%s",
		  h.last_error);
}
