// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-import-keepalived end to end: a keepalived.conf is converted,
 * checked by the real director (-t), run in the NAT lab, and the traffic
 * goes where keepalived's IPVS would have sent it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab.h"
#include "shm_map.h"

#define IMPORT "build/nflvs-import-keepalived"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 8080"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(import, .init = setup, .fini = teardown, .timeout = 120);

/* Convert @ka, check the result with the director's -t, and start the
 * director on it (the lab's director section in front). */
static void import_start(const char *ka)
{
	char path[256], cmd[600], *out;
	size_t len = 0, n;
	FILE *f, *p;

	snprintf(path, sizeof(path), "%s/keepalived.conf", lab.dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(ka, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), IMPORT " %s 2>%s/import.err", path, lab.dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	out = calloc(1, 65536);
	cr_assert_not_null(out);
	while ((n = fread(out + len, 1, 65535 - len, p)) > 0)
		len += n;
	cr_assert_eq(pclose(p), 0, "%s failed", cmd);
	lab_write_conf(&lab, out);
	free(out);
	cr_assert_eq(lab_sh(&lab, "build/nflvs-director -t -f %s", lab.conf), 0,
		     "the director refuses the converted file");
	cr_assert_eq(lab_director_start(&lab), 0);
}

Test(import, wrr_three_to_one)
{
	struct lab_tally t;

	import_start(
		"virtual_server " LAB_VIP4 " 80 {\n"
		"  lb_algo wrr\n"
		"  lb_kind NAT\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 8080 {\n"
		"    weight 3\n"
		"  }\n"
		"  real_server 10.0.2.12 8080 {\n"
		"    weight 1\n"
		"  }\n"
		"}\n");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 40"), 0,
		     "client errors: %d", t.errors);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 30);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 10);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 0);
}

Test(import, group_of_ports)
{
	struct lab_tally t;

	import_start(
		"virtual_server_group web {\n"
		"  " LAB_VIP4 " 80\n"
		"  " LAB_VIP4 " 81\n"
		"}\n"
		"virtual_server group web {\n"
		"  lb_algo rr\n"
		"  lb_kind NAT\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.13 8080 {\n"
		"  }\n"
		"}\n");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 4);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 81 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 4);
}

Test(import, persistence_keeps_the_client)
{
	struct lab_tally t;
	int i, most = 0;

	import_start(
		"virtual_server " LAB_VIP4 " 80 {\n"
		"  lb_algo rr\n"
		"  lb_kind NAT\n"
		"  protocol TCP\n"
		"  persistence_timeout 300\n"
		"  persistence_granularity 255.255.255.0\n"
		"  real_server 10.0.2.11 8080 {\n  }\n"
		"  real_server 10.0.2.12 8080 {\n  }\n"
		"  real_server 10.0.2.13 8080 {\n  }\n"
		"}\n");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 12"), 0);
	for (i = 0; i < t.n; i++)
		if (t.count[i] > most)
			most = t.count[i];
	cr_expect_eq(most, 12, "persistence: all 12 to one server");
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

Test(import, sorry_server_while_the_real_servers_are_down)
{
	struct lab_tally t;
	long deadline;

	/* nothing listens on 9090: TCP_CHECK takes both real servers down,
	 * the live weight falls below quorum, the sorry server answers */
	import_start(
		"virtual_server " LAB_VIP4 " 80 {\n"
		"  lb_algo rr\n"
		"  lb_kind NAT\n"
		"  protocol TCP\n"
		"  delay_loop 0.2\n"
		"  connect_timeout 0.2\n"
		"  sorry_server 10.0.2.13 8080\n"
		"  real_server 10.0.2.11 9090 {\n"
		"    TCP_CHECK {\n    }\n"
		"  }\n"
		"  real_server 10.0.2.12 9090 {\n"
		"    TCP_CHECK {\n    }\n"
		"  }\n"
		"}\n");
	cr_assert_gt(lab_checker_start(&lab, NULL), 0);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.11", 9090, NFLVS_RS_DOWN,
				     10000, NULL), 0);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.12", 9090, NFLVS_RS_DOWN,
				     10000, NULL), 0);
	deadline = now_ms() + 10000;
	do {
		cr_assert_eq(lab_count(&lab, "cl", &t,
				       "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	} while (lab_tally_of(&t, "rs3") != 4 && now_ms() < deadline);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 4, "the sorry server answers");
}

Test(import, keepalived_checkers_decide_where_traffic_goes)
{
	char ka[2048], file[256];
	struct lab_tally t;
	long deadline;

	/* PING_CHECK finds rs1 up; FILE_CHECK (weight 0: as keepalived, a
	 * number other than 0 is a fault) keeps rs2 down while its file says
	 * 1; SMTP_CHECK finds no mail server on rs3 */
	snprintf(file, sizeof(file), "%s/rs2.state", lab.dir);
	cr_assert_eq(lab_sh(&lab, "echo 1 > %s", file), 0);
	snprintf(ka, sizeof(ka),
		 "track_file rs2 {\n"
		 "  file %s\n"
		 "  weight 0\n"
		 "}\n"
		 "virtual_server " LAB_VIP4 " 80 {\n"
		 "  lb_algo rr\n"
		 "  lb_kind NAT\n"
		 "  protocol TCP\n"
		 "  delay_loop 0.2\n"
		 "  real_server 10.0.2.11 8080 {\n"
		 "    PING_CHECK {\n      connect_timeout 0.5\n    }\n"
		 "  }\n"
		 "  real_server 10.0.2.12 8080 {\n"
		 "    FILE_CHECK {\n      track_file rs2\n    }\n"
		 "  }\n"
		 "  real_server 10.0.2.13 8080 {\n"
		 "    SMTP_CHECK {\n      connect_port 25\n"
		 "      connect_timeout 0.5\n    }\n"
		 "  }\n"
		 "}\n", file);
	import_start(ka);
	cr_assert_gt(lab_checker_start(&lab, NULL), 0);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.11", 8080, NFLVS_RS_UP,
				     10000, NULL), 0);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.12", 8080, NFLVS_RS_DOWN,
				     10000, NULL), 0);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.13", 8080, NFLVS_RS_DOWN,
				     10000, NULL), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 6, "only the live one");
	/* the file says 0, no fault: rs2 takes its share */
	cr_assert_eq(lab_sh(&lab, "echo 0 > %s", file), 0);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.12", 8080, NFLVS_RS_UP,
				     10000, NULL), 0);
	deadline = now_ms() + 10000;
	do {
		cr_assert_eq(lab_count(&lab, "cl", &t,
				       "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	} while (lab_tally_of(&t, "rs2") != 3 && now_ms() < deadline);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 0);
}
