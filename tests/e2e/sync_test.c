// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * State sync (docs/ha.md, "State sync"): a DR pair and a TUN pair of
 * directors, rr with persistence, so that a director that has not seen a
 * connection begin can only carry it if the sync gave it the flow: rr is
 * no hash every director agrees on, and a persistent service takes no
 * connection begun elsewhere.  The master syncs its flows and templates
 * to the backup; the VIP moves by hand (ip addr, and the router's route
 * to it) while the master's director is killed; 40 streaming
 * connections go on, and a new connection of the persistent client
 * reaches the same real server.
 *
 *   cl --- rt (route to the VIP via the master) --- LAN: dir1 (master),
 *          dir2 (backup), rs1..rs3 (VIP on lo)
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

#define VIP	LAB_ECMP_VIP4
#define CONNS	40
#define ADM	"build/nflvsadm"

static struct lab lab;

static struct lab_dirnode dirs[3];	/* 1 (master) and 2 (backup) */

static void lab_up(void)
{
	int d;

	lab_init(&lab);
	cr_assert_eq(lab_ecmp_topology(&lab, 3), 0, "topology");
	cr_assert_eq(lab_serve_all(&lab, 3, "--tcp 80"), 0);
	for (d = 1; d <= 2; d++)
		lab_dirnode_init(&lab, d, &dirs[d]);
}

static void setup(void)
{
	lab_up();
	/* the VIP is the master's: the backup does not hold it, the router
	 * sends it to the master */
	lab_setup_assert_eq(&lab, lab_sh(&lab, "ip -n %s addr del " VIP "/32 dev lo && "
			    "ip -n %s route add " VIP "/32 via 10.0.3.2",
			    lab_ns(&lab, "dir2"), lab_ns(&lab, "rt")), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
	shm_unlink(dirs[2].shm);
}

TestSuite(sync, .init = setup, .fini = teardown, .timeout = 300);

/* ---- the directors ---------------------------------------------------------- */

/*
 * Director @d on @fwd ("dr", "tun"), rr with persistence; its sync
 * @group ("" for IPVS's multicast default, else group = or peer = ...;
 * NULL: no sync group, keepalived's hook starts the daemons), with
 * @extra keys.
 */
static void director_conf(int d, const char *fwd, const char *peer,
			  const char *extra)
{
	struct lab_dirnode *n = &dirs[d];
	bool tun = !strcmp(fwd, "tun");
	FILE *f = fopen(n->conf, "w");
	int i;

	cr_assert_not_null(f);
	fprintf(f, "director = { table = \"nflvs\"; shm = \"%s\"; control = \"%s\"; };\n",
		n->shm, n->ctl);
	if (peer)
		fprintf(f, "sync = { state = \"%s\"; interface = \"eth0\"; syncid = 7; %s %s };\n",
			d == 1 ? "master" : "backup", peer, extra);
	fprintf(f, "services = ( { vip = \"" VIP "\"; port = 80; protocol = \"tcp\";\n"
		"  scheduler = \"rr\"; persistence = 300; forward = \"%s\";\n"
		"  real_servers = (", fwd);
	for (i = 1; i <= 3; i++)
		fprintf(f, "%s\n    { address = \"10.0.3.%d\"; port = 80;%s }",
			i > 1 ? "," : "", 10 + i,
			tun ? " tunnel = { type = \"ipip\"; };" : "");
	fprintf(f, " ); } );\n");
	fclose(f);
}

static void director_up(int d)
{
	char name[16];

	snprintf(name, sizeof(name), "director%d", d);
	dirs[d].director = lab_director_spawn(&lab, dirs[d].role, name,
					      dirs[d].conf);
	cr_assert_gt(dirs[d].director, 0);
}

/* A count of lines of `nflvsadm -Lnc` on @d matching @re. */
static int lnc_count(int d, const char *re)
{
	char out[64];

	if (lab_cap(&lab, out, sizeof(out), ADM " --socket %s -Lnc | grep -c '%s'",
		    dirs[d].ctl, re) < 0)
		return -1;
	return atoi(out);
}

/* Poll until @d lists @want lines matching @re; the count last seen. */
static int wait_lnc(int d, const char *re, int want, int ms)
{
	long deadline = lab_now_ms() + ms;
	int n;

	do {
		n = lnc_count(d, re);
		if (n == want)
			break;
		usleep(100000);	/* each listing reads the kernel's maps */
	} while (lab_now_ms() < deadline);
	return n;
}

/*
 * The stream through the master, the real server its persistent client
 * has in @before, and the backup knowing every flow and the client's
 * template; the stream's pid.
 */
static pid_t synced_stream(char *before, size_t len, const char *what)
{
	pid_t s = lab_stream(&lab, VIP, 80, CONNS);
	int n;

	cr_assert_gt(s, 0);
	lab_one_server(&lab, VIP, 3, before, len);
	cr_assert(before[0], "no single real server before the failover");
	lab_stream_progress(&lab, 0, 10, CONNS, "before");
	n = wait_lnc(2, "ESTABLISHED 10.0.1.2:", CONNS, 30000);
	cr_assert_eq(n, CONNS, "%s: the backup has %d of the flows", what, n);
	cr_expect_eq(wait_lnc(2, "NONE *10.0.1.2:0 ", 1, 30000), 1,
		     "%s: no template on the backup", what);
	return s;
}

/* After the failover: a new connection of the client reaches the real
 * server it had, and the stream @s ends with every connection. */
static void same_server_finish(pid_t s, const char *before, const char *what)
{
	char after[32];

	lab_one_server(&lab, VIP, 6, after, sizeof(after));
	cr_expect_str_eq(after, before, "%s: the client moved from %s to %s",
			 what, before, after);
	lab_stream_finish(&lab, s, CONNS, what);
}

/* ---- failover ---------------------------------------------------------------- */

/* The master's director dies; the VIP moves to the backup by hand. */
static void failover(void)
{
	lab_stop(&lab, dirs[1].director, SIGKILL, 2000);
	cr_assert_eq(lab_sh(&lab, "ip -n %s addr del " VIP "/32 dev lo && "
			    "ip -n %s addr add " VIP "/32 dev lo && "
			    "ip -n %s route replace " VIP "/32 via 10.0.3.3",
			    lab_ns(&lab, "dir1"), lab_ns(&lab, "dir2"),
			    lab_ns(&lab, "rt")), 0);
}

/* Flows established on the master, synced, carried on by the backup. */
static void pair_failover(const char *what)
{
	char before[32];
	long long r0;
	pid_t s;

	director_up(1);
	director_up(2);
	s = synced_stream(before, sizeof(before), what);
	r0 = lab_stat(&lab, "stream", "rounds_min");
	failover();
	lab_stream_progress(&lab, r0, 25, CONNS, what);
	same_server_finish(s, before, what);
}

Test(sync, dr_pair_multicast)
{
	char out[512];

	director_conf(1, "dr", "", "");
	director_conf(2, "dr", "", "");
	pair_failover("DR");
	/* ipvsadm's format, with the values in use */
	cr_assert_eq(lab_cap(&lab, out, sizeof(out), ADM " --socket %s -L --daemon",
			     dirs[2].ctl), 0);
	cr_expect_str_eq(out, "backup sync daemon (mcast=eth0, syncid=7, maxlen=1472, "
			 "group=224.0.0.81, port=8848, ttl=1)\n");
}

/* TUN's real servers: the lab's decapsulator in each */
static void decaps(void)
{
	char name[16], role[8];
	int i;

	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "decap%d", i);
		snprintf(role, sizeof(role), "rs%d", i);
		cr_assert_gt(lab_decap(&lab, role, name, "--type ipip"), 0);
	}
}

Test(sync, tun_pair_unicast)
{
	decaps();
	director_conf(1, "tun", "peer = \"10.0.3.3\";", "");
	director_conf(2, "tun", "peer = \"10.0.3.2\";", "");
	pair_failover("TUN");
}

/*
 * The backup restarts (its flows gone with it): it asks, the master sends
 * everything at once.  The master's periodic refresh is an hour here, so
 * only the bulk resync can bring the flows back before the failover.
 */
Test(sync, backup_restart_bulk_resync)
{
	long long r0;
	pid_t s;
	int n;

	director_conf(1, "dr", "", "refresh = 3600;");
	director_conf(2, "dr", "", "");
	director_up(1);
	director_up(2);
	s = lab_stream(&lab, VIP, 80, CONNS);
	cr_assert_gt(s, 0);
	lab_stream_progress(&lab, 0, 5, CONNS, "before");
	cr_assert_eq(wait_lnc(2, "ESTABLISHED 10.0.1.2:", CONNS, 30000), CONNS);
	/* a clean stop: its table goes, so that nothing comes back but by
	 * the sync (a busy kernel may take seconds to release an nft
	 * socket: no time limit asserted, only that it exits by itself) */
	cr_assert_geq(lab_stop(&lab, dirs[2].director, SIGTERM, 120000), 0,
		      "%s", lab_log(&lab, "director2"));
	cr_assert_neq(lab_sh(&lab, "ip netns exec %s nft list table ip nflvs",
			     lab_ns(&lab, "dir2")), 0, "the backup's table stayed");
	director_up(2);
	n = wait_lnc(2, "ESTABLISHED 10.0.1.2:", CONNS, 30000);
	cr_assert_eq(n, CONNS, "after its restart the backup has %d flows:\n%s", n,
		     lab_log(&lab, "director2"));
	r0 = lab_stat(&lab, "stream", "rounds_min");
	failover();
	lab_stream_progress(&lab, r0, 25, CONNS, "after the resync");
	lab_stream_finish(&lab, s, CONNS, "bulk resync");
}

/* ---- the pair driven by keepalived ---------------------------------------- */

/*
 * The same pairs as a user deploys them from contrib/ha/: keepalived
 * (VRRPv3 at 0.1 s adverts, no `back' instance) holds the VIP on the
 * master's eth0, which the router reaches on its LAN (ARP, keepalived's
 * gratuitous ARPs at takeover); the hook contrib/ha/nflvs-ha-notify sets
 * each director's role and switches its sync daemon (NFLVS_SYNC_DAEMON).
 */
static struct lab_ha ha = {
	.vip = VIP, .vip_len = 32,
	.addr = { NULL, "10.0.3.2", "10.0.3.3" },
	.sw = "rt", .ports = { NULL, "d1", "d2" }, .conns = CONNS,
};

static void setup_keepalived(void)
{
	lab_up();
	lab_setup_assert_eq(&lab, lab_sh(&lab, "command -v keepalived"), 0,
		     "keepalived is not installed (contrib/install-deps.sh installs it)");
	lab_setup_assert_eq(&lab, lab_sh(&lab, "ip -n %s addr del " VIP "/32 dev lo && "
			    "ip -n %s addr del " VIP "/32 dev lo && "
			    "ip -n %s route add " VIP "/32 dev br0",
			    lab_ns(&lab, "dir1"), lab_ns(&lab, "dir2"),
			    lab_ns(&lab, "rt")), 0);
	lab_ha_init(&lab, &ha);
}

TestSuite(hasync, .init = setup_keepalived, .fini = teardown, .timeout = 420);

/* Director @d and its keepalived, its sync daemon's options @sync. */
static void node_up(int d, const char *sync)
{
	snprintf(ha.node[d].env, sizeof(ha.node[d].env),
		 "CONNTRACKD_CONF= NFLVS_SYNC_DAEMON='--mcast-interface eth0 --syncid 7%s'",
		 sync);
	director_up(d);
	ha.node[d].director = dirs[d].director;
	lab_ha_keepalived(&lab, &ha, d, false);
}

/* dir1 master, dir2 backup, both running the sync daemon of their role;
 * 40 connections through dir1, all known to dir2; the master killed
 * (keepalived and director); every connection goes on, and the
 * persistent client gets the real server it had. */
static void keepalived_failover(const char *fwd, bool unicast, const char *what)
{
	char before[32], sync[2][48];
	pid_t s;
	int d;

	for (d = 1; d <= 2; d++) {
		director_conf(d, fwd, NULL, "");
		snprintf(sync[d - 1], sizeof(sync[0]), unicast ? " --mcast-group 10.0.3.%d" : "",
			 4 - d);
	}
	node_up(1, sync[0]);
	lab_ha_expect_master(&lab, &ha, 1);
	node_up(2, sync[1]);
	cr_assert_eq(lab_ha_wait_role(&lab, &ha, 2, "backup", 15000), 0, "dir2 never backup: %s",
		     lab_log(&lab, "keepalived2"));
	cr_assert_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s -L --daemon | grep -q '^master'",
				 dirs[1].ctl), 0, "dir1 runs no master sync daemon: %s",
		     lab_log(&lab, "notify1"));
	cr_assert_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s -L --daemon | grep -q '^backup'",
				 dirs[2].ctl), 0, "dir2 runs no backup sync daemon: %s",
		     lab_log(&lab, "notify2"));
	s = synced_stream(before, sizeof(before), what);
	lab_ha_failover(&lab, &ha, 1, 2, LAB_HA_KILL, what);
	/* the new master syncs what it has to a backup from now on */
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s -L --daemon | grep -q '^master'",
				 dirs[2].ctl), 0, "%s", lab_log(&lab, "notify2"));
	same_server_finish(s, before, what);
}

Test(hasync, dr_pair_keepalived)
{
	keepalived_failover("dr", false, "DR, keepalived");
}

Test(hasync, tun_pair_keepalived)
{
	decaps();
	keepalived_failover("tun", true, "TUN, keepalived");
}
