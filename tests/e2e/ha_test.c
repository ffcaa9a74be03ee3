// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An active/backup NAT director pair (docs/ha.md), with the real daemons:
 * keepalived (VRRPv3, 0.1 s adverts) and conntrackd (FTFW, straight into
 * the kernel) on each director, configured from contrib/ha/ with the
 * lab's addresses, and the notify hook contrib/ha/nflvs-ha-notify telling
 * nflvs-director its role.  40 long-lived connections stream through the
 * VIP; the master is lost in several ways and every test asserts what the
 * client saw: every connection goes on, none is reset.
 *
 *   cl --- sw (front bridge) --- dir1, dir2 --- sw (back bridge) --- rs1..3
 *                                  \__ eth2 __/ (conntrackd)
 *
 * The two directors list their real servers in different orders: their
 * marks agree because a mark is its real server's key hashed (mark.h),
 * which the directors check with each other (director.peer).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"

#define VIP	LAB_HA_VIP4
#define CONNS	40
#define ADM	"build/nflvsadm"
#define STALL_MS	5000	/* longest stall accepted */

static struct lab lab;

/* the pair, and each node's files of its own */
static struct lab_ha ha = {
	.vip = VIP, .vip_len = 24, .gw = LAB_HA_GW4,
	.addr = { NULL, "10.0.1.11", "10.0.1.12" },
	.back = { NULL, "10.0.2.2", "10.0.2.3" },
	.sw = "sw", .ports = { NULL, "f1, b1", "f2, b2" }, .conns = CONNS,
};
static struct node {
	char conf[256], shm[80], ctconf[256];
} files[3];
#define N(d)	(&ha.node[d])

static void setup(void)
{
	int d;

	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_sh(&lab, "command -v keepalived && command -v conntrackd"), 0,
		     "keepalived or conntrackd is not installed (contrib/install-deps.sh installs them)");
	lab_setup_assert_eq(&lab, lab_hapair_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 80"), 0);
	lab_ha_init(&lab, &ha);
	for (d = 1; d <= 2; d++) {
		struct node *n = &files[d];

		snprintf(n->shm, sizeof(n->shm), "%s-%d", lab.shm, d);
		snprintf(n->conf, sizeof(n->conf), "%s/nflvs%d.conf", lab.dir, d);
		snprintf(n->ctconf, sizeof(n->ctconf), "%s/conntrackd%d.conf", lab.dir, d);
		snprintf(N(d)->env, sizeof(N(d)->env), "CONNTRACKD_CONF=%s", n->ctconf);
	}
}

static void teardown(void)
{
	lab_cleanup(&lab);
	shm_unlink(files[1].shm);
	shm_unlink(files[2].shm);
}

TestSuite(ha, .init = setup, .fini = teardown, .timeout = 420);

/* ---- the daemons ---------------------------------------------------------- */

/*
 * nflvs-director: NAT, rr, rs1..rs3 (dir2 lists them the other way
 * round), the peer on the other end of eth2; @mask its mark_mask.
 */
static void node_director(int d, const char *mask)
{
	FILE *f = fopen(files[d].conf, "w");
	char name[16];

	cr_assert_not_null(f);
	fprintf(f, "director = { table = \"nflvs\"; shm = \"%s\"; control = \"%s\";\n"
		"  peer = \"10.0.5.%d:8849\"; mark_mask = %s; };\n"
		"services = ( { vip = \"" VIP "\"; port = 80; protocol = \"tcp\";\n"
		"  scheduler = \"rr\"; real_servers = ( %s ); } );\n",
		files[d].shm, N(d)->ctl, 3 - d, mask,
		d == 1 ? "{ address = \"10.0.2.11\"; port = 80; },\n"
			 "    { address = \"10.0.2.12\"; port = 80; },\n"
			 "    { address = \"10.0.2.13\"; port = 80; }"
		       : "{ address = \"10.0.2.13\"; port = 80; },\n"
			 "    { address = \"10.0.2.12\"; port = 80; },\n"
			 "    { address = \"10.0.2.11\"; port = 80; }");
	fclose(f);
	snprintf(name, sizeof(name), "director%d", d);
	N(d)->director = lab_director_spawn(&lab, N(d)->role, name, files[d].conf);
	cr_assert_gt(N(d)->director, 0);
}

/* conntrackd on contrib/ha/conntrackd.conf, with the lab's link. */
static void node_conntrackd(int d)
{
	const char *conf = files[d].ctconf;
	char name[16];

	cr_assert_eq(lab_sh(&lab, "sed -e 's/IPv4_address 192.168.100.1/IPv4_address 10.0.5.%d/' "
			    "-e 's/IPv4_Destination_Address .*/IPv4_Destination_Address 10.0.5.%d/' "
			    "-e 's|IPv4_address 192.168.100.0/24|IPv4_address 10.0.5.0/24|' "
			    "-e 's|^\\([[:space:]]*\\)Syslog on|\\1Syslog off\\n\\1LogFile %s/ct%d.log|' "
			    "-e 's|LockFile .*|LockFile %s/ct%d.lock|' "
			    "-e 's|Path .*|Path %s/ct%d.sock|' contrib/ha/conntrackd.conf > %s",
			    d, 3 - d, lab.dir, d, lab.dir, d, lab.dir, d, conf), 0);
	snprintf(name, sizeof(name), "conntrackd%d", d);
	N(d)->conntrackd = lab_spawn(&lab, N(d)->role, name, "exec conntrackd -C %s", conf);
	cr_assert_gt(N(d)->conntrackd, 0);
	cr_assert_eq(lab_wait_sh(&lab, 10000, "ip netns exec %s conntrackd -C %s -s >/dev/null 2>&1",
				 lab_ns(&lab, N(d)->role), conf), 0,
		     "conntrackd%d: %s", d, lab_log(&lab, name));
}

static void node_up(int d, bool unicast)
{
	node_conntrackd(d);
	node_director(d, "0x00ff0000");
	lab_ha_keepalived(&lab, &ha, d, unicast);
}

/* dir1 master with both VIPs, dir2 backup. */
static void pair_up(bool unicast)
{
	node_up(1, unicast);
	lab_ha_expect_master(&lab, &ha, 1);
	node_up(2, unicast);
	cr_assert_eq(lab_ha_wait_role(&lab, &ha, 2, "backup", 15000), 0, "dir2 never backup: %s",
		     lab_log(&lab, "keepalived2"));
	cr_assert_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'same marks'",
				 N(1)->ctl), 0, "dir1 and dir2 do not agree on their marks");
}

/* ---- the connections ------------------------------------------------------ */

/* The client's established connections director @d has, with their real
 * servers: "CLIENT DESTINATION" lines, sorted, in @out. */
static int conns_of(int d, char *out, size_t len)
{
	char n[16];

	lab_cap(&lab, out, len, ADM " --socket %s -Lnc | awk '/ESTABLISHED 10.0.1.2:/ "
		"{ print $4, $6 }' | sort", N(d)->ctl);
	lab_cap(&lab, n, sizeof(n), "printf '%%s' '%s' | grep -c .", out);
	return atoi(n);
}

/*
 * The backup has every connection, through conntrackd, counted against
 * the same real servers as on the master: the mark conntrackd carried
 * names the same real server on both.
 */
static void expect_replicated(int from, int to)
{
	static char a[8192], b[8192];
	long deadline = lab_now_ms() + 20000 * LAB_SLOW;
	int na, nb;

	do {
		na = conns_of(from, a, sizeof(a));
		nb = conns_of(to, b, sizeof(b));
		if (na == CONNS && nb == CONNS && !strcmp(a, b))
			return;
		usleep(50000);
	} while (lab_now_ms() < deadline);
	cr_assert_fail("dir%d has %d connections, dir%d %d:\n%s\n---\n%s", from, na,
		       to, nb, a, b);
}

static pid_t stream_start(void)
{
	pid_t pid = lab_stream(&lab, VIP, 80, CONNS);

	cr_assert_gt(pid, 0);
	cr_assert_geq(lab_wait_stat(&lab, "stream", "rounds_min", 5, 10000), 5);
	return pid;
}

/* Stop the client: every connection ok, none reset; the longest stall. */
static void stream_finish(pid_t pid, const char *what)
{
	long long stall = lab_stream_finish(&lab, pid, CONNS, what);

	/* the bound is 1 s; the margin is for a loaded machine */
	cr_expect_leq(stall, STALL_MS, "%s: a connection stalled %lld ms", what, stall);
}

/* ---- losing the master ---------------------------------------------------- */

static void pair_loss(enum lab_ha_loss how, const char *what, bool unicast)
{
	pid_t s;

	pair_up(unicast);
	s = stream_start();
	expect_replicated(1, 2);
	lab_ha_failover(&lab, &ha, 1, 2, how, what);
	stream_finish(s, what);
}

/* kill -9 of the master's keepalived and director: its VIPs stay on its
 * links, but the backup's gratuitous ARPs take the traffic. */
Test(ha, nat_master_killed)
{
	pair_loss(LAB_HA_KILL, "kill -9", false);
}

/* The master's links cut at the switch (unicast VRRP). */
Test(ha, nat_master_link_cut)
{
	pair_loss(LAB_HA_LINK_CUT, "link cut", true);
}

Test(ha, nat_master_stops)
{
	pair_loss(LAB_HA_GRACEFUL, "graceful stop", false);
}

/* The master's director dies, its keepalived lives: nflvsadm --check
 * fails, the group goes to FAULT, the VIPs move. */
Test(ha, zombie_director)
{
	pair_loss(LAB_HA_ZOMBIE, "zombie", false);
	cr_expect(strstr(lab_log(&lab, "notify1"), "FAULT"), "%s", lab_log(&lab, "notify1"));
}

/*
 * Failback: the old master comes back with its state lost (as after a
 * reboot: conntrack flushed, every daemon restarted), as backup
 * (nopreempt), gets the state from conntrackd (StartupResync), and takes
 * every connection when the new master is lost in turn.
 */
Test(ha, failback_after_state_lost)
{
	pid_t s;

	pair_up(false);
	s = stream_start();
	expect_replicated(1, 2);
	lab_ha_failover(&lab, &ha, 1, 2, LAB_HA_KILL, "kill -9");
	lab_stop(&lab, N(1)->conntrackd, SIGKILL, 2000);
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s sh -c 'ip addr flush dev eth0 && "
			    "ip addr add 10.0.1.11/24 dev eth0 && ip addr flush dev eth1 && "
			    "ip addr add 10.0.2.2/24 dev eth1 && nft flush ruleset && conntrack -F'",
			    lab_ns(&lab, "dir1")), 0);
	/* as after a reboot: no lock, socket or pid file of the daemons
	 * killed (a killed keepalived's VRRP child may linger as a zombie,
	 * and keepalived refuses to start while its pid file names it) */
	cr_assert_eq(lab_sh(&lab, "rm -f %s/ct1.lock %s/ct1.sock %s/ka1.pid %s/ka1-vrrp.pid",
			    lab.dir, lab.dir, lab.dir, lab.dir), 0);
	node_up(1, false);
	cr_assert_eq(lab_ha_wait_role(&lab, &ha, 1, "backup", 15000), 0, "dir1 back, not backup: %s",
		     lab_log(&lab, "keepalived1"));
	cr_expect(lab_ha_has_vip(&lab, &ha, 2), "dir1 took the VIPs back (nopreempt)");
	expect_replicated(2, 1);
	lab_ha_failover(&lab, &ha, 2, 1, LAB_HA_KILL, "failback");
	stream_finish(s, "failback");
}

/*
 * Peers whose mark tables differ say so: dir2's marks use other bits, so
 * every connection conntrackd brings it would name no real server there.
 */
Test(ha, different_mark_tables_are_reported)
{
	char out[4096];

	node_conntrackd(1);
	node_director(1, "0x00ff0000");
	node_conntrackd(2);
	node_director(2, "0x0000ff00");
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'DIFFERENT MARKS'",
				 N(1)->ctl), 0, "dir1 did not notice");
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'DIFFERENT MARKS'",
				 N(2)->ctl), 0, "dir2 did not notice");
	cr_expect(strstr(lab_log(&lab, "director1"), "peer 10.0.5.2:8849 has another mark table"),
		  "%s", lab_log(&lab, "director1"));
	lab_cap(&lab, out, sizeof(out), ADM " --socket %s --status", N(2)->ctl);
	cr_expect(strstr(out, "10.0.2.11:80 of TCP " VIP ":80"), "%s", out);
	/* the same table again (nflvsadm edits): the verdict follows */
	lab_stop(&lab, N(2)->director, SIGTERM, 5000);
	node_director(2, "0x00ff0000");
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'same marks'",
				 N(1)->ctl), 0, "%s", lab_log(&lab, "director1"));
}
