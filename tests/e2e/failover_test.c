// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The director's reaction to health results, with the test playing the
 * checker through the shared memory (lab_set_health): removal, quiesce,
 * expire_connections, dynamic weights, sorry server, notify scripts.
 * The checker itself is tested in health_test.c.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "shm_map.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 80"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(failover, .init = setup, .fini = teardown, .timeout = 120);

/* rs1 and rs2 real servers, with @rs_extra in each, @svc_extra in the service */
static void conf2(const char *sched, const char *svc_extra, const char *rs_extra)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "services = ( { name = \"web\"; vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"%s\";\n%s\n"
		 "  real_servers = ( { address = \"10.0.2.11\"; port = 80; %s },\n"
		 "                   { address = \"10.0.2.12\"; port = 80; %s } ); } );\n",
		 sched, svc_extra, rs_extra, rs_extra);
	lab_write_conf(&lab, buf);
}

/* Connections until none goes to @rs (the director applied the change). */
static int wait_avoided(const char *rs, int ms)
{
	struct lab_tally t;
	int i;

	for (i = 0; i < ms / 50; i++) {
		lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4");
		if (t.errors == 0 && lab_tally_of(&t, rs) == 0)
			return 0;
		usleep(50000);
	}
	return -1;
}

Test(failover, down_server_is_removed_and_comes_back)
{
	struct lab_tally t;

	conf2("rr", "", "");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_DOWN, -1, "HTTP 503"), 0);
	cr_assert_eq(wait_avoided("rs2", 3000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 6);
	cr_expect(strstr(lab_log(&lab, "director"), "10.0.2.12:80 of service web (TCP 10.0.1.100:80): down: HTTP 503"),
		  "the transition is logged once with its reason");
	cr_assert_eq(lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_UP, -1, NULL), 0);
	cr_assert_eq(wait_avoided("rs1", 3000) == 0 ? -1 : 0, 0, "never went back to rs2 only");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 3);
}

static pid_t hold(const char *name)
{
	char ready[256];
	pid_t pid;

	snprintf(ready, sizeof(ready), "%s/%s.ready", lab.dir, name);
	pid = lab_spawn(&lab, "cl", name,
			"exec build/tests/nflvs-testnet hold " LAB_VIP4
			" 80 --interval-ms 50 --ready-file %s", ready);
	cr_assert_gt(pid, 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -e %s", ready), 0);
	return pid;
}

/* Which real server a hold ended up on: from its output once stopped. */
static bool hold_on(pid_t pid, const char *name, const char *rs)
{
	lab_stop(&lab, pid, SIGTERM, 3000);
	return strstr(lab_log(&lab, name), rs) != NULL;
}

Test(failover, quiesce_keeps_open_connections)
{
	struct lab_tally t;
	pid_t h;

	conf2("rr", "", "check = { type = \"tcp\"; on_failure = \"quiesce\"; };");
	cr_assert_eq(lab_director_start(&lab), 0);
	h = hold("hold");		/* rr: the first goes to rs2 */
	cr_assert_eq(lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_DOWN, -1, "timeout"), 0);
	cr_assert_eq(wait_avoided("rs2", 3000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 4);
	cr_expect_eq(lab_wait_exit(&lab, h, 500), -1, "the open connection broke: %s",
		     lab_log(&lab, "hold"));
	cr_expect(hold_on(h, "hold", "ok "), "hold: %s", lab_log(&lab, "hold"));
	cr_expect(strstr(lab_log(&lab, "hold"), "rs2"), "it was on rs2: %s", lab_log(&lab, "hold"));
}

Test(failover, expire_connections_resets_them)
{
	pid_t h;

	conf2("rr", "", "check = { type = \"tcp\"; expire_connections = true; };");
	cr_assert_eq(lab_director_start(&lab), 0);
	h = hold("hold");
	cr_assert_eq(lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_DOWN, -1, "refused"), 0);
	/* its conntrack entry is gone: the next ping, not a SYN, is dropped
	 * (rr is not consistent), and the client gives up, never reset */
	cr_expect_eq(lab_wait_exit(&lab, h, 15000), 1, "hold survived: %s", lab_log(&lab, "hold"));
	cr_expect(strstr(lab_log(&lab, "hold"), "fail") && strstr(lab_log(&lab, "hold"), "timeout"),
		  "%s", lab_log(&lab, "hold"));
}

/* The real server (10.0.2.11 or .12) that counts an active connection. */
static const char *held_by(int ms)
{
	static const char *const rs[] = { "10.0.2.11", "10.0.2.12" };
	struct timespec ts;
	struct nflvs_shm_rs r;
	int i, k;

	for (k = 0; k < ms / 20; k++) {
		for (i = 0; i < 2; i++)
			if (lab_rs_record(&lab, rs[i], 80, &r) == 0 &&
			    r.dir.activeconns == 1)
				return rs[i];
		ts = (struct timespec){ 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * mh is consistent: the next ping, though not a SYN, is scheduled again,
 * to the server mh picks without the dead one, which resets it at once.
 */
Test(failover, expire_connections_with_mh_resets_them)
{
	const char *gone;
	pid_t h;

	conf2("mh", "", "check = { type = \"tcp\"; expire_connections = true; };");
	cr_assert_eq(lab_director_start(&lab), 0);
	h = hold("hold");
	gone = held_by(3000);
	cr_assert_not_null(gone, "no real server counts the connection");
	cr_assert_eq(lab_set_health(&lab, gone, 80, NFLVS_RS_DOWN, -1, "refused"), 0);
	cr_expect_eq(lab_wait_exit(&lab, h, 15000), 1, "hold survived: %s", lab_log(&lab, "hold"));
	cr_expect(strstr(lab_log(&lab, "hold"), "fail") && strstr(lab_log(&lab, "hold"), "reset"),
		  "%s", lab_log(&lab, "hold"));
}

Test(failover, without_expire_connections_the_connection_lives)
{
	pid_t h;

	conf2("rr", "", "");
	cr_assert_eq(lab_director_start(&lab), 0);
	h = hold("hold");
	cr_assert_eq(lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_DOWN, -1, "refused"), 0);
	cr_assert_eq(wait_avoided("rs2", 3000), 0);
	cr_expect_eq(lab_wait_exit(&lab, h, 300), -1, "hold died: %s", lab_log(&lab, "hold"));
}

Test(failover, dynamic_weight_changes_the_spread)
{
	struct lab_tally t;
	int i;

	conf2("wrr", "", "");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_set_health(&lab, "10.0.2.11", 80, NFLVS_RS_UP, 3, NULL), 0);
	/* poll until a full wrr cycle shows 3:1 */
	for (i = 0; i < 60; i++) {
		lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 8");
		if (lab_tally_of(&t, "rs1") == 6 && lab_tally_of(&t, "rs2") == 2)
			break;
		usleep(50000);
	}
	cr_expect_eq(lab_tally_of(&t, "rs1"), 6);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
}

Test(failover, sorry_server_when_all_are_down)
{
	struct lab_tally t;

	conf2("rr", "  sorry_server = \"10.0.2.13:80\";", "");
	cr_assert_eq(lab_director_start(&lab), 0);
	lab_set_health(&lab, "10.0.2.11", 80, NFLVS_RS_DOWN, -1, "x");
	lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_DOWN, -1, "x");
	cr_assert_eq(wait_avoided("rs1", 3000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 4, "the sorry server takes them");
	lab_set_health(&lab, "10.0.2.11", 80, NFLVS_RS_UP, -1, NULL);
	cr_assert_eq(wait_avoided("rs3", 3000), 0, "released when one is back");
}

Test(failover, quorum_counts_live_weight)
{
	struct lab_tally t;

	/* weights 1 + 1, quorum 2: one down is already below */
	conf2("rr", "  quorum = 2; sorry_server = \"10.0.2.13:80\";", "");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 2"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 0);
	lab_set_health(&lab, "10.0.2.11", 80, NFLVS_RS_DOWN, -1, "x");
	cr_assert_eq(wait_avoided("rs2", 3000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 2"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 2);
	/* logged once, naming the service as the other service lines do */
	cr_expect(strstr(lab_log(&lab, "director"), "service TCP 10.0.1.100:80 web: live "
			 "weight 1 below quorum 2: sorry server in use\n"), "%s",
		  lab_log(&lab, "director"));
}

Test(failover, notify_scripts_run_on_transitions)
{
	char rs[512];

	lab_sh(&lab, "printf '#!/bin/sh\\necho \"$1 $NFLVS_RS_ADDR:$NFLVS_RS_PORT $NFLVS_VIP:$NFLVS_VPORT\" >> %s/notified\\n' > %s/notify.sh && chmod +x %s/notify.sh",
	       lab.dir, lab.dir, lab.dir);
	snprintf(rs, sizeof(rs), "notify_down = [ \"%s/notify.sh\", \"down\" ]; notify_up = [ \"%s/notify.sh\", \"up\" ];",
		 lab.dir, lab.dir);
	conf2("rr", "", rs);
	cr_assert_eq(lab_director_start(&lab), 0);
	lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_DOWN, -1, "x");
	cr_expect_eq(lab_wait_sh(&lab, 3000, "grep -qx 'down 10.0.2.12:80 10.0.1.100:80' %s/notified", lab.dir), 0);
	lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_UP, -1, NULL);
	cr_expect_eq(lab_wait_sh(&lab, 3000, "grep -qx 'up 10.0.2.12:80 10.0.1.100:80' %s/notified", lab.dir), 0);
	cr_expect_eq(lab_sh(&lab, "test $(wc -l < %s/notified) -eq 2", lab.dir), 0, "once each");
}

static long long realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool rs_flag(const char *addr, uint32_t flag)
{
	struct nflvs_shm_rs r;

	return lab_rs_record(&lab, addr, 80, &r) == 0 && (r.dir.flags & flag);
}

/*
 * With the real checker, under steady load: kill a real server's HTTP
 * process.  Requests fail only until the director has removed it (which
 * the test sees in the shared memory); after that none fails and none
 * goes to it.  Restarted, it rejoins after `rise` checks.
 */
Test(failover, under_load_with_the_checker)
{
	long long t_kill, t_obs, ms;
	int after_ok = 0, after_fail = 0, before_fail = 0, to_rs2 = 0, n = 0;
	char name[32], line[128];
	struct lab_tally t;
	FILE *f;
	pid_t load;

	lab_write_conf(&lab,
		"services = ( { name = \"web\"; vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\";\n"
		"  check = { type = \"http\"; path = \"/\"; interval = 0.2; timeout = 0.15; rise = 2; fall = 2; };\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 80; },\n"
		"                   { address = \"10.0.2.12\"; port = 80; },\n"
		"                   { address = \"10.0.2.13\"; port = 80; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_gt(lab_checker_start(&lab, NULL), 0);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.12", 80, NFLVS_RS_UP, 5000, NULL), 0);
	/* more than it can do: stopped once enough ran after the removal,
	 * however fast failures come on this machine */
	load = lab_spawn(&lab, "cl", "load", "exec build/tests/nflvs-testnet count --tcp --http "
			 LAB_VIP4 " 80 -n 1000000 --log --timeout-ms 1000");
	cr_assert_gt(load, 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test $(wc -l < %s/load.log) -gt 200", lab.dir), 0);
	t_kill = realtime_ms();
	lab_stop(&lab, lab_pid(&lab, "rs2"), SIGKILL, 2000);
	for (ms = 0; ms < 5000 && !rs_flag("10.0.2.12", NFLVS_RS_F_DOWN); ms += 5)
		usleep(5000);
	t_obs = realtime_ms();
	cr_assert(rs_flag("10.0.2.12", NFLVS_RS_F_DOWN), "never removed");
	/* the log is written in blocks: 400 lines after the removal */
	cr_expect_eq(lab_wait_sh(&lab, 20000, "test $(awk -v t=%lld '$1 >= t' %s/load.log | wc -l) -ge 400",
				 t_obs, lab.dir), 0, "the load went on");
	cr_assert_geq(lab_stop(&lab, load, SIGTERM, 5000), 0, "load did not stop");
	f = fopen(strcat(strcpy(line, lab.dir), "/load.log"), "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		long long at;

		if (sscanf(line, "%lld %31s", &at, name) != 2)
			continue;	/* the tally at the end */
		n++;
		if (at >= t_obs && strcmp(name, "-"))
			after_ok++;
		else if (at >= t_obs && ++after_fail <= 3)
			cr_log_info("failed %lld ms after the removal was seen", at - t_obs);
		else if (!strcmp(name, "-"))
			before_fail++;
		/* after the removal; before it, an answer rs2 wrote just
		 * before the kill may still be read after t_kill */
		if (at >= t_obs && !strcmp(name, "rs2"))
			to_rs2++;
	}
	fclose(f);
	cr_log_info("failover: %d requests, %d failed before removal (%lld ms after the kill), "
		    "%d after", n, before_fail, t_obs - t_kill, after_fail);
	cr_expect_eq(after_fail, 0, "requests failed after the removal");
	cr_expect_gt(after_ok, 100, "the load went on");
	cr_expect_eq(to_rs2, 0, "a request after the removal was answered by rs2?");
	/* back: rejoins after rise successful checks */
	cr_assert_eq(lab_serve(&lab, "rs2", "--tcp 80"), 0);
	for (ms = 0; ms < 5000 && rs_flag("10.0.2.12", NFLVS_RS_F_DOWN); ms += 20)
		usleep(20000);
	cr_assert(!rs_flag("10.0.2.12", NFLVS_RS_F_DOWN), "never came back");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
}
