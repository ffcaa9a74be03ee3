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
#define NEW_CONN_MS	(5000 * LAB_SLOW)	/* deadline for a new connection */
#define STALL_MS	5000	/* longest stall accepted */

static struct lab lab;

struct node {
	char role[8];
	int id;
	char conf[256], ctl[256], shm[80];
	char kconf[256], ctconf[256], notify[256];
	pid_t director, keepalived, conntrackd;
};

static struct node dirs[3];	/* 1 and 2 */
static char cwd[512];

static void setup(void)
{
	int d;

	lab_init(&lab);
	cr_assert_eq(lab_sh(&lab, "command -v keepalived && command -v conntrackd"), 0,
		     "keepalived or conntrackd is not installed (contrib/install-deps.sh installs them)");
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(lab_hapair_topology(&lab, 3), 0, "topology");
	cr_assert_eq(lab_serve_all(&lab, 3, "--tcp 80"), 0);
	for (d = 1; d <= 2; d++) {
		struct node *n = &dirs[d];

		memset(n, 0, sizeof(*n));
		n->id = d;
		snprintf(n->role, sizeof(n->role), "dir%d", d);
		snprintf(n->shm, sizeof(n->shm), "%s-%d", lab.shm, d);
		snprintf(n->conf, sizeof(n->conf), "%s/nflvs%d.conf", lab.dir, d);
		snprintf(n->ctl, sizeof(n->ctl), "%s/ctl%d.sock", lab.dir, d);
		snprintf(n->kconf, sizeof(n->kconf), "%s/keepalived%d.conf", lab.dir, d);
		snprintf(n->ctconf, sizeof(n->ctconf), "%s/conntrackd%d.conf", lab.dir, d);
		snprintf(n->notify, sizeof(n->notify), "%s/notify%d.sh", lab.dir, d);
	}
}

static void teardown(void)
{
	lab_cleanup(&lab);
	shm_unlink(dirs[1].shm);
	shm_unlink(dirs[2].shm);
}

TestSuite(ha, .init = setup, .fini = teardown, .timeout = 420);

/* ---- the daemons ---------------------------------------------------------- */

/*
 * nflvs-director: NAT, rr, rs1..rs3 (dir2 lists them the other way
 * round), the peer on the other end of eth2; @mask its mark_mask.
 */
static void node_director(struct node *n, const char *mask)
{
	FILE *f = fopen(n->conf, "w");
	char name[16];

	cr_assert_not_null(f);
	fprintf(f, "director = { table = \"nflvs\"; shm = \"%s\"; control = \"%s\";\n"
		"  peer = \"10.0.5.%d:8849\"; mark_mask = %s; };\n"
		"services = ( { vip = \"" VIP "\"; port = 80; protocol = \"tcp\";\n"
		"  scheduler = \"rr\"; real_servers = ( %s ); } );\n",
		n->shm, n->ctl, 3 - n->id, mask,
		n->id == 1 ? "{ address = \"10.0.2.11\"; port = 80; },\n"
			     "    { address = \"10.0.2.12\"; port = 80; },\n"
			     "    { address = \"10.0.2.13\"; port = 80; }"
			   : "{ address = \"10.0.2.13\"; port = 80; },\n"
			     "    { address = \"10.0.2.12\"; port = 80; },\n"
			     "    { address = \"10.0.2.11\"; port = 80; }");
	fclose(f);
	snprintf(name, sizeof(name), "director%d", n->id);
	n->director = lab_director_spawn(&lab, n->role, name, n->conf);
	cr_assert_gt(n->director, 0);
}

/* conntrackd on contrib/ha/conntrackd.conf, with the lab's link. */
static void node_conntrackd(struct node *n)
{
	char name[16];

	cr_assert_eq(lab_sh(&lab, "sed -e 's/IPv4_address 192.168.100.1/IPv4_address 10.0.5.%d/' "
			    "-e 's/IPv4_Destination_Address .*/IPv4_Destination_Address 10.0.5.%d/' "
			    "-e 's|IPv4_address 192.168.100.0/24|IPv4_address 10.0.5.0/24|' "
			    "-e 's|^\\([[:space:]]*\\)Syslog on|\\1Syslog off\\n\\1LogFile %s/ct%d.log|' "
			    "-e 's|LockFile .*|LockFile %s/ct%d.lock|' "
			    "-e 's|Path .*|Path %s/ct%d.sock|' contrib/ha/conntrackd.conf > %s",
			    n->id, 3 - n->id, lab.dir, n->id, lab.dir, n->id, lab.dir,
			    n->id, n->ctconf), 0);
	snprintf(name, sizeof(name), "conntrackd%d", n->id);
	n->conntrackd = lab_spawn(&lab, n->role, name, "exec conntrackd -C %s", n->ctconf);
	cr_assert_gt(n->conntrackd, 0);
	cr_assert_eq(lab_wait_sh(&lab, 10000, "ip netns exec %s conntrackd -C %s -s >/dev/null 2>&1",
				 lab_ns(&lab, n->role), n->ctconf), 0,
		     "conntrackd%d: %s", n->id, lab_log(&lab, name));
}

/* keepalived on contrib/ha/keepalived.conf, its hook through a wrapper
 * that gives it the lab's nflvsadm and conntrackd. */
static void node_keepalived(struct node *n, bool unicast)
{
	char name[16], wrapper[2048];

	snprintf(wrapper, sizeof(wrapper),
		 "#!/bin/sh\n"
		 "NFLVSADM='%s/" ADM " --socket %s' CONNTRACKD_CONF=%s "
		 "NFLVS_HA_LOCK=%s/ha%d.lock \\\n"
		 "  exec %s/contrib/ha/nflvs-ha-notify \"$@\" >>%s/notify%d.log 2>&1\n",
		 cwd, n->ctl, n->ctconf, lab.dir, n->id, cwd, lab.dir, n->id);
	snprintf(name, sizeof(name), "notify%d.sh", n->id);
	lab_put(&lab, name, wrapper, 0755);
	cr_assert_eq(lab_sh(&lab, "sed -e 's|^\\$VIP=.*|$VIP=" VIP "/24|' "
			    "-e 's|^\\$GATEWAY=.*|$GATEWAY=" LAB_HA_GW4 "/24|' "
			    "-e 's|^\\$NFLVSADM=.*|$NFLVSADM=%s/" ADM " --socket %s|' "
			    "-e 's|^\\$NOTIFY=.*|$NOTIFY=%s|' "
			    "-e 's|192.0.2.1$|10.0.1.11|' -e 's|192.0.2.2$|10.0.1.12|' "
			    "-e 's|10.10.0.2$|10.0.2.2|' -e 's|10.10.0.3$|10.0.2.3|' "
			    "-e '/enable_script_security/d' "
			    "-e '/^vrrp_script/,/^}/s/^\\t\\(interval\\|timeout\\) 1$/\\t\\1 %d/' "
			    "%s contrib/ha/keepalived.conf > %s",
			    cwd, n->ctl, n->notify, LAB_SLOW,
			    unicast ? "-e 's|^\\t#\\(unicast_\\)|\\t\\1|' -e 's|^\\t#\\t\\$PEER|\\t\\t$PEER|' "
				      "-e 's|^\\t#}|\\t}|'" : "",
			    n->kconf), 0);
	snprintf(name, sizeof(name), "keepalived%d", n->id);
	n->keepalived = lab_spawn(&lab, n->role, name,
				  "exec keepalived -n -l -D -P -i %s -f %s -p %s/ka%d.pid "
				  "-r %s/ka%d-vrrp.pid", n->role, n->kconf, lab.dir, n->id,
				  lab.dir, n->id);
	cr_assert_gt(n->keepalived, 0);
}

static int has_vip(int d)
{
	return lab_sh(&lab, "ip -n %s -4 addr show dev eth0 | grep -q ' " VIP "/' && "
		      "ip -n %s -4 addr show dev eth1 | grep -q ' " LAB_HA_GW4 "/'",
		      lab_ns(&lab, dirs[d].role), lab_ns(&lab, dirs[d].role)) == 0;
}

/* Poll until director @d says it is @role; -1 after @ms. */
static int wait_role(int d, const char *role, int ms)
{
	return lab_wait_sh(&lab, ms, ADM " --socket %s --status 2>/dev/null | grep -q '^Role: %s'",
			   dirs[d].ctl, role);
}

static void node_up(int d, bool unicast)
{
	node_conntrackd(&dirs[d]);
	node_director(&dirs[d], "0x00ff0000");
	node_keepalived(&dirs[d], unicast);
}

/* dir1 master with both VIPs, dir2 backup. */
static void pair_up(bool unicast)
{
	long deadline;

	node_up(1, unicast);
	deadline = lab_now_ms() + 15000 * LAB_SLOW;
	while (!has_vip(1) && lab_now_ms() < deadline)
		usleep(20000);
	cr_assert(has_vip(1), "dir1 never master: %s", lab_log(&lab, "keepalived1"));
	/* a director never told is master: wait for the hook's word */
	cr_assert_eq(lab_wait_sh(&lab, 10000, "grep -q 'GROUP nflvs: MASTER' %s/notify1.log",
				 lab.dir), 0, "%s", lab_log(&lab, "notify1"));
	cr_assert_eq(wait_role(1, "master", 15000), 0);
	node_up(2, unicast);
	cr_assert_eq(wait_role(2, "backup", 15000), 0, "dir2 never backup: %s",
		     lab_log(&lab, "keepalived2"));
	cr_assert_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'same marks'",
				 dirs[1].ctl), 0, "dir1 and dir2 do not agree on their marks");
}

/* ---- the connections ------------------------------------------------------ */

/* The client's established connections director @d has, with their real
 * servers: "CLIENT DESTINATION" lines, sorted, in @out. */
static int conns_of(int d, char *out, size_t len)
{
	char n[16];

	lab_cap(&lab, out, len, ADM " --socket %s -Lnc | awk '/ESTABLISHED 10.0.1.2:/ "
		"{ print $4, $6 }' | sort", dirs[d].ctl);
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

/* Every connection has had @more answers since rounds_min was @from. */
static void expect_progress(long long from, int more, const char *when)
{
	cr_assert_geq(lab_wait_stat(&lab, "stream", "rounds_min", from + more, 30000),
		      from + more, "%s: a connection stalls: %s", when,
		      lab_log(&lab, "stream"));
	cr_expect_eq(lab_stat(&lab, "stream", "reset"), 0, "%s", when);
	cr_expect_eq(lab_stat(&lab, "stream", "open"), CONNS, "%s", when);
}

/* Stop the client: every connection ok, none reset; the longest stall. */
static long long stream_finish(pid_t pid, const char *what)
{
	const char *out;
	long long stall = -1;
	int ok = -1;

	cr_expect_eq(lab_stop(&lab, pid, SIGTERM, 5000), 0, "%s", lab_log(&lab, "stream"));
	out = lab_log(&lab, "stream");
	if (strstr(out, "total "))
		sscanf(strstr(out, "total "), "total %*d ok %d stall_max_ms %lld", &ok, &stall);
	cr_expect_eq(ok, CONNS, "%s: %s", what, out);
	cr_log_info("HA %s: %d/%d connections kept, longest stall %lld ms", what, ok,
		    CONNS, stall);
	/* the bound is 1 s; the margin is for a loaded machine */
	cr_expect_leq(stall, STALL_MS, "%s: a connection stalled %lld ms", what, stall);
	return stall;
}

/* A new connection through the VIP succeeds: ms after @t0, or -1. */
static long new_connection_after(long t0, int ms)
{
	struct lab_tally t;

	do {
		if (lab_count(&lab, "cl", &t, "--tcp " VIP " 80 -n 1 --timeout-ms 150") == 0 &&
		    t.errors == 0)
			return lab_now_ms() - t0;
	} while (lab_now_ms() - t0 < ms);
	return -1;
}

/* ---- losing the master ---------------------------------------------------- */

enum loss { KILL, LINK_CUT, GRACEFUL, ZOMBIE };

static void lose(int d, enum loss how)
{
	struct node *n = &dirs[d];

	switch (how) {
	case KILL:
		/* keepalived and its VRRP process at once (its process
		 * group): the child alone would be respawned, and the parent
		 * alone makes the child stop cleanly (priority 0) */
		kill(-n->keepalived, SIGKILL);
		lab_stop(&lab, n->keepalived, SIGKILL, 2000);
		lab_stop(&lab, n->director, SIGKILL, 2000);
		break;
	case LINK_CUT:
		/* the switch drops every frame from or to dir@d */
		cr_assert_eq(lab_sh(&lab, "printf '%%s\\n' 'table bridge cut {' "
				    "'chain pre { type filter hook prerouting priority 0; iifname { f%d, b%d } drop; }' "
				    "'chain post { type filter hook postrouting priority 0; oifname { f%d, b%d } drop; }' "
				    "'}' > %s/cut.nft && ip netns exec %s nft -f %s/cut.nft",
				    d, d, d, d, lab.dir, lab_ns(&lab, "sw"), lab.dir), 0);
		break;
	case GRACEFUL:
		cr_expect_eq(lab_stop(&lab, n->keepalived, SIGTERM, 5000), 0, "%s",
			     lab_log(&lab, "keepalived1"));
		cr_expect_eq(lab_stop(&lab, n->director, SIGTERM, 5000), 0);
		break;
	case ZOMBIE:
		lab_stop(&lab, n->director, SIGKILL, 2000);
		break;
	}
}

/* dir@from master with the connections; lose it @how; dir@to takes
 * over.  The client's figures are logged. */
static void failover(int from, int to, enum loss how, const char *what)
{
	long long r0;
	long t0, tvip = -1, tnew;

	r0 = lab_stat(&lab, "stream", "rounds_min");
	t0 = lab_now_ms();
	lose(from, how);
	do {
		if (has_vip(to)) {
			tvip = lab_now_ms() - t0;
			break;
		}
		usleep(2000);
	} while (lab_now_ms() - t0 < 10000 * LAB_SLOW);
	cr_assert_geq(tvip, 0, "%s: dir%d never took the VIPs: %s", what, to,
		      lab_log(&lab, to == 1 ? "keepalived1" : "keepalived2"));
	/* the bound is 1 s (the zombie's check runs every second);
	 * the figure is logged, and the deadline leaves room for a loaded
	 * machine (tests/bench/ha.sh measures) */
	tnew = new_connection_after(t0, NEW_CONN_MS);
	cr_log_info("HA %s: VIPs on dir%d after %ld ms, a new connection after %ld ms",
		    what, to, tvip, tnew);
	cr_expect(tnew >= 0 && tnew <= NEW_CONN_MS,
		  "%s: no new connection within %d ms of the loss", what, NEW_CONN_MS);
	cr_expect_eq(wait_role(to, "master", 5000), 0, "%s: dir%d is not master", what, to);
	expect_progress(r0, 25, what);
}

static void pair_loss(enum loss how, const char *what, bool unicast)
{
	pid_t s;

	pair_up(unicast);
	s = stream_start();
	expect_replicated(1, 2);
	failover(1, 2, how, what);
	stream_finish(s, what);
}

/* kill -9 of the master's keepalived and director: its VIPs stay on its
 * links, but the backup's gratuitous ARPs take the traffic. */
Test(ha, nat_master_killed)
{
	pair_loss(KILL, "kill -9", false);
}

/* The master's links cut at the switch (unicast VRRP). */
Test(ha, nat_master_link_cut)
{
	pair_loss(LINK_CUT, "link cut", true);
}

Test(ha, nat_master_stops)
{
	pair_loss(GRACEFUL, "graceful stop", false);
}

/* The master's director dies, its keepalived lives: nflvsadm --check
 * fails, the group goes to FAULT, the VIPs move. */
Test(ha, zombie_director)
{
	pair_loss(ZOMBIE, "zombie", false);
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
	failover(1, 2, KILL, "kill -9");
	lab_stop(&lab, dirs[1].conntrackd, SIGKILL, 2000);
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
	cr_assert_eq(wait_role(1, "backup", 15000), 0, "dir1 back, not backup: %s",
		     lab_log(&lab, "keepalived1"));
	cr_expect(has_vip(2), "dir1 took the VIPs back (nopreempt)");
	expect_replicated(2, 1);
	failover(2, 1, KILL, "failback");
	stream_finish(s, "failback");
}

/*
 * Peers whose mark tables differ say so: dir2's marks use other bits, so
 * every connection conntrackd brings it would name no real server there.
 */
Test(ha, different_mark_tables_are_reported)
{
	char out[4096];

	node_conntrackd(&dirs[1]);
	node_director(&dirs[1], "0x00ff0000");
	node_conntrackd(&dirs[2]);
	node_director(&dirs[2], "0x0000ff00");
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'DIFFERENT MARKS'",
				 dirs[1].ctl), 0, "dir1 did not notice");
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'DIFFERENT MARKS'",
				 dirs[2].ctl), 0, "dir2 did not notice");
	cr_expect(strstr(lab_log(&lab, "director1"), "peer 10.0.5.2:8849 has another mark table"),
		  "%s", lab_log(&lab, "director1"));
	lab_cap(&lab, out, sizeof(out), ADM " --socket %s --status", dirs[2].ctl);
	cr_expect(strstr(out, "10.0.2.11:80 of TCP " VIP ":80"), "%s", out);
	/* the same table again (nflvsadm edits): the verdict follows */
	lab_stop(&lab, dirs[2].director, SIGTERM, 5000);
	node_director(&dirs[2], "0x00ff0000");
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s --status | grep -q 'same marks'",
				 dirs[1].ctl), 0, "%s", lab_log(&lab, "director1"));
}
