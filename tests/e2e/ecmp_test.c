// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Scale-out behind ECMP (docs/ha-ecmp.md), with the real daemons: a
 * router running bird2 learns the VIP over BGP (with BFD) from two active
 * DR directors, each running bird2 and nflvs-bird-watch as contrib/ha/
 * configures them, and spreads 40 long-lived connections over both by
 * ports.  The directors schedule with mh; one got its real servers from
 * its file in one order, the other partly from nflvsadm edits in another,
 * so that they agree only because the table depends on the set alone.
 * When a director is lost, its route goes (BFD, the BGP session, or the
 * watcher), the router sends its flows to the other director, which has
 * never seen them and takes them over: every connection goes on.
 *
 *   cl --- rt (bird: ECMP route to the VIP) --- LAN: dir1, dir2 (bird,
 *          nflvs-director, nflvs-bird-watch), rs1..rs3 (VIP on lo)
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

struct node {
	struct lab_dirnode dir;
	char bconf[256], bsock[256];
	pid_t bird, watch;
};

static struct node dirs[3];	/* 1 and 2 */
static char rt_sock[256], rt_conf[256];

static void setup(void)
{
	int d;

	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_sh(&lab, "command -v bird && command -v birdc"), 0,
		     "bird2 is not installed (contrib/install-deps.sh installs it)");
	lab_setup_assert_eq(&lab, lab_ecmp_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 80"), 0);
	for (d = 1; d <= 2; d++) {
		struct node *n = &dirs[d];

		memset(n, 0, sizeof(*n));
		lab_dirnode_init(&lab, d, &n->dir);
		snprintf(n->bconf, sizeof(n->bconf), "%s/bird%d.conf", lab.dir, d);
		snprintf(n->bsock, sizeof(n->bsock), "%s/bird%d.sock", lab.dir, d);
	}
	snprintf(rt_sock, sizeof(rt_sock), "%s/bird-rt.sock", lab.dir);
	snprintf(rt_conf, sizeof(rt_conf), "%s/bird-rt.conf", lab.dir);
}

static void teardown(void)
{
	lab_cleanup(&lab);
	shm_unlink(dirs[2].dir.shm);
}

TestSuite(ecmp, .init = setup, .fini = teardown, .timeout = 180);

/* ---- the daemons ---------------------------------------------------------- */

/* bird in @role on contrib/ha's @file, with the lab's addresses. */
static pid_t bird_start(const char *role, const char *file, const char *sed,
			const char *conf, const char *sock)
{
	char name[32];
	pid_t pid;

	cr_assert_eq(lab_sh(&lab, "sed -e 's/^log syslog all;/log stderr all;/' %s "
			    "contrib/ha/%s > %s", sed, file, conf), 0);
	snprintf(name, sizeof(name), "bird-%s", role);
	pid = lab_spawn(&lab, role, name, "exec bird -f -c %s -s %s -P %s.pid",
			conf, sock, conf);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 10000, "birdc -s %s show status | grep -q 'Daemon is up'",
				 sock), 0, "%s: %s", name, lab_log(&lab, name));
	return pid;
}

static void router_start(void)
{
	bird_start("rt", "bird-router.conf",
		   "-e 's/^define ME .*/define ME = 10.0.3.1;/' "
		   "-e 's/^define DIRECTOR1 .*/define DIRECTOR1 = 10.0.3.2;/' "
		   "-e 's/^define DIRECTOR2 .*/define DIRECTOR2 = 10.0.3.3;/' "
		   "-e 's|198.51.100.0/24|10.0.9.0/24|'",
		   rt_conf, rt_sock);
}

static void node_bird(struct node *n)
{
	char sed[256];

	snprintf(sed, sizeof(sed),
		 "-e 's/^define ME .*/define ME = %s;/' "
		 "-e 's/^define PEER .*/define PEER = 10.0.3.1;/' "
		 "-e 's|198.51.100.10/32|" VIP "/32|'", n->dir.addr);
	n->bird = bird_start(n->dir.role, "bird-director.conf", sed, n->bconf,
			     n->bsock);
}

/*
 * The service on each director: DR to rs1..rs3, the same set and weights,
 * reached through different histories, so that the directors agree only
 * because a hashing scheduler's table depends on the set alone.
 *
 *   mh (mh-port): rs2 quiesced (weight 0).  dir1 has rs1..rs3 in its file
 *   and quiesces rs2 with nflvsadm; dir2 has rs3 and rs2 (weight 0) in its
 *   file, and rs1 comes from nflvsadm.  (IPVS keeps a quiesced server's
 *   slots, its clients getting no server, only where it had a weight.)
 *   sh (sh-port): dir1 has rs1..rs3 in its file, dir2 rs3, then rs1 and
 *   rs2 from nflvsadm.  (IPVS fills sh's table in list order.)
 */
static void node_director(int d, const char *sched)
{
	bool mh = !strcmp(sched, "mh");
	struct node *n = &dirs[d];
	char name[16];
	FILE *f = fopen(n->dir.conf, "w");

	cr_assert_not_null(f);
	fprintf(f, "director = { table = \"nflvs\"; shm = \"%s\"; control = \"%s\"; };\n"
		"services = ( { vip = \"" VIP "\"; port = 80; protocol = \"tcp\";\n"
		"  scheduler = \"%s\"; scheduler_flags = ( \"%s-port\" ); forward = \"dr\";\n"
		"  real_servers = ( %s%s ); } );\n", n->dir.shm, n->dir.ctl, sched, sched,
		d == 1 ? "{ address = \"10.0.3.11\"; port = 80; },\n"
			 "    { address = \"10.0.3.12\"; port = 80; },\n"
			 "    { address = \"10.0.3.13\"; port = 80; }"
		       : "{ address = \"10.0.3.13\"; port = 80; }",
		d == 2 && mh ? ",\n    { address = \"10.0.3.12\"; port = 80; weight = 0; }" : "");
	fclose(f);
	snprintf(name, sizeof(name), "director%d", d);
	n->dir.director = lab_director_spawn(&lab, n->dir.role, name, n->dir.conf);
	cr_assert_gt(n->dir.director, 0);
	if (d == 1 && mh)
		cr_assert_eq(lab_sh(&lab, ADM " --socket %s -e -t " VIP ":80 -r 10.0.3.12:80 -g -w 0",
				    n->dir.ctl), 0);
	if (d == 2)
		cr_assert_eq(lab_sh(&lab, ADM " --socket %s -a -t " VIP ":80 -r 10.0.3.11:80 -g",
				    n->dir.ctl), 0);
	if (d == 2 && !mh)
		cr_assert_eq(lab_sh(&lab, ADM " --socket %s -a -t " VIP ":80 -r 10.0.3.12:80 -g -w 1",
				    n->dir.ctl), 0);
}

static void node_watch(struct node *n)
{
	char name[16];

	snprintf(name, sizeof(name), "watch-%s", n->dir.role);
	n->watch = lab_spawn(&lab, n->dir.role, name,
			     "exec contrib/ha/nflvs-bird-watch -i 0.05 -t %d -s %s -b %s "
			     "-n " ADM " vips", LAB_SLOW, n->dir.ctl, n->bsock);
	cr_assert_gt(n->watch, 0);
}

/* The router's next hops to the VIP ("10.0.3.2 10.0.3.3"), in @out. */
static int paths(char *out, size_t len)
{
	char buf[1024], *p, *q;
	int n = 0;

	out[0] = '\0';
	lab_cap(&lab, buf, sizeof(buf), "ip -n %s route show " VIP,
		lab_ns(&lab, "rt"));
	for (p = buf; (p = strstr(p, "via ")); p = q) {
		p += 4;
		q = p + strcspn(p, " \n");
		snprintf(out + strlen(out), len - strlen(out), "%s%.*s",
			 n ? " " : "", (int)(q - p), p);
		n++;
	}
	return n;
}

/* Poll until the router's next hops are @want; -1 after @ms. */
static int wait_paths(const char *want, int ms)
{
	long deadline = lab_now_ms() + ms * LAB_SLOW;
	char got[64];

	do {
		paths(got, sizeof(got));
		if (!strcmp(got, want))
			return 0;
		usleep(2000);
	} while (lab_now_ms() < deadline);
	cr_log_error("next hops to " VIP ": \"%s\", want \"%s\"", got, want);
	return -1;
}

/* Everything up, both directors announcing, scheduling with @sched. */
static void lab_up(const char *sched)
{
	int d;

	router_start();
	for (d = 1; d <= 2; d++) {
		node_bird(&dirs[d]);
		node_director(d, sched);
		node_watch(&dirs[d]);
	}
	cr_assert_eq(wait_paths("10.0.3.2 10.0.3.3", 30000), 0, "%s\n%s",
		     lab_log(&lab, "watch-dir1"), lab_log(&lab, "watch-dir2"));
}

/* ---- the connections ------------------------------------------------------ */

static pid_t stream_start(void)
{
	pid_t pid = lab_stream(&lab, VIP, 80, CONNS);

	cr_assert_gt(pid, 0);
	return pid;
}

/* The client's established flows a director knows (nflvsadm -Lnc). */
static int flows_on(int d)
{
	char out[64];

	if (lab_cap(&lab, out, sizeof(out), ADM " --socket %s -Lnc | "
		    "grep -c 'ESTABLISHED 10.0.1.2:'", dirs[d].dir.ctl) < 0)
		return -1;
	return atoi(out);
}

/* Both directors carry some of the connections, all of them together. */
static void expect_spread(int *on1)
{
	long deadline = lab_now_ms() + 10000 * LAB_SLOW;
	int a, b;

	do {
		a = flows_on(1);
		b = flows_on(2);
		if (a + b == CONNS)
			break;
		usleep(20000);
	} while (lab_now_ms() < deadline);
	cr_assert_eq(a + b, CONNS, "flows: dir1 %d, dir2 %d", a, b);
	cr_assert(a > 0 && b > 0, "the router did not spread them: %d and %d", a, b);
	*on1 = a;
}

/* The router's BFD session with dir2 detects a loss within 0.5 s. */
static void expect_bfd_timeout(void)
{
	char out[2048], *p;
	double timeout = 0;

	lab_cap(&lab, out, sizeof(out), "birdc -s %s show bfd sessions", rt_sock);
	p = strstr(out, "10.0.3.3 ");
	cr_assert_not_null(p, "%s", out);
	cr_assert_eq(sscanf(p, "%*s %*s Up %*s %*s %lf", &timeout), 1, "%s", out);
	cr_expect(timeout > 0 && timeout <= 0.5, "BFD timeout %.3f s", timeout);
}

/* ---- losing a director ---------------------------------------------------- */

enum loss { KILL_ALL, LINK_CUT, KILL_DIRECTOR };

static void lose_dir1(enum loss how)
{
	struct node *n = &dirs[1];

	switch (how) {
	case KILL_ALL:
		lab_stop(&lab, n->watch, SIGKILL, 2000);
		lab_stop(&lab, n->dir.director, SIGKILL, 2000);
		lab_stop(&lab, n->bird, SIGKILL, 2000);
		break;
	case LINK_CUT:
		/* the router's bridge drops every frame from or to dir1 */
		cr_assert_eq(lab_sh(&lab, "printf '%%s\\n' 'table bridge cut {' "
				    "'chain pre { type filter hook prerouting priority 0; iifname d1 drop; }' "
				    "'chain post { type filter hook postrouting priority 0; oifname d1 drop; }' "
				    "'}' > %s/cut.nft && ip netns exec %s nft -f %s/cut.nft",
				    lab.dir, lab_ns(&lab, "rt"), lab.dir), 0);
		break;
	case KILL_DIRECTOR:
		lab_stop(&lab, n->dir.director, SIGKILL, 2000);
		break;
	}
}

static void ecmp_loss(enum loss how, const char *what, const char *sched)
{
	long long r0;
	long t0, t1;
	pid_t s;
	int on1;

	lab_up(sched);
	s = stream_start();
	expect_spread(&on1);
	lab_stream_progress(&lab, 0, 10, CONNS, "before");
	r0 = lab_stat(&lab, "stream", "rounds_min");
	t0 = lab_now_ms();
	lose_dir1(how);
	cr_assert_eq(wait_paths("10.0.3.3", 10000), 0, "%s: the route stays",
		     what);
	t1 = lab_now_ms();
	cr_log_info("ECMP %s: route withdrawn after %ld ms; dir1 carried %d of %d",
		    what, t1 - t0, on1, CONNS);
	lab_stream_progress(&lab, r0, 25, CONNS, what);
	cr_expect_eq(lab_wait_sh(&lab, 10000, ADM " --socket %s -Lnc | "
				 "grep -c 'ESTABLISHED 10.0.1.2:' | grep -qx %d",
				 dirs[2].dir.ctl, CONNS), 0,
		     "dir2 did not take all the flows over (it has %d)", flows_on(2));
	lab_stream_finish(&lab, s, CONNS, "ECMP");
}

/* kill -9 of dir1's director, bird and watcher: BGP's session closes (mh). */
Test(ecmp, director_and_bird_killed)
{
	ecmp_loss(KILL_ALL, "kill -9", "mh");
	expect_bfd_timeout();
}

/* dir1's link cut at the router: only BFD can tell (sh). */
Test(ecmp, link_cut)
{
	char out[1024];

	ecmp_loss(LINK_CUT, "link cut", "sh");
	lab_cap(&lab, out, sizeof(out), "birdc -s %s show protocols director1", rt_sock);
	cr_expect(strstr(out, "BFD session down"), "not withdrawn by BFD: %s", out);
	expect_bfd_timeout();
}

/*
 * The watcher: dir1's services lose all their real servers (its checker
 * says so), then get them back; its bird restarts; then its director dies
 * while its bird lives.  The route follows each time, and the connections
 * go on.
 */
Test(ecmp, watcher_withdraws_and_restores)
{
	static const char *const rs[] = { "10.0.3.11", "10.0.3.12", "10.0.3.13" };
	long long r0;
	pid_t s;
	int on1, i;

	lab_up("mh");
	s = stream_start();
	expect_spread(&on1);
	lab_stream_progress(&lab, 0, 10, CONNS, "before");

	for (i = 0; i < 3; i++)
		cr_assert_eq(lab_set_health(&lab, rs[i], 80, NFLVS_RS_DOWN, -1, "test"), 0);
	cr_assert_eq(wait_paths("10.0.3.3", 10000), 0, "no live real server: %s",
		     lab_log(&lab, "watch-dir1"));
	r0 = lab_stat(&lab, "stream", "rounds_min");
	lab_stream_progress(&lab, r0, 25, CONNS, "dir1 without real servers");

	for (i = 0; i < 3; i++)
		cr_assert_eq(lab_set_health(&lab, rs[i], 80, NFLVS_RS_UP, -1, NULL), 0);
	cr_assert_eq(wait_paths("10.0.3.2 10.0.3.3", 30000), 0, "back up: %s",
		     lab_log(&lab, "watch-dir1"));
	r0 = lab_stat(&lab, "stream", "rounds_min");
	lab_stream_progress(&lab, r0, 25, CONNS, "dir1 back");

	/* a bird restarted behind the watcher's back starts with the VIPs
	 * disabled; the watcher tells it again within 5 s */
	cr_assert_eq(lab_stop(&lab, dirs[1].bird, SIGTERM, 5000), 0);
	cr_assert_eq(wait_paths("10.0.3.3", 10000), 0, "bird stopped");
	node_bird(&dirs[1]);
	cr_assert_eq(wait_paths("10.0.3.2 10.0.3.3", 30000), 0, "bird back: %s",
		     lab_log(&lab, "watch-dir1"));
	r0 = lab_stat(&lab, "stream", "rounds_min");
	lab_stream_progress(&lab, r0, 25, CONNS, "dir1's bird back");

	lose_dir1(KILL_DIRECTOR);
	cr_assert_eq(wait_paths("10.0.3.3", 10000), 0, "director dead: %s",
		     lab_log(&lab, "watch-dir1"));
	r0 = lab_stat(&lab, "stream", "rounds_min");
	lab_stream_progress(&lab, r0, 25, CONNS, "dir1's director dead");
	lab_stream_finish(&lab, s, CONNS, "ECMP");
	cr_expect(strstr(lab_log(&lab, "watch-dir1"), "below its quorum"), "%s",
		  lab_log(&lab, "watch-dir1"));
	cr_expect(strstr(lab_log(&lab, "watch-dir1"), "does not answer"), "%s",
		  lab_log(&lab, "watch-dir1"));
}
