// SPDX-License-Identifier: GPL-2.0-or-later
/* SIGHUP: re-read the config, apply only the difference. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"

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

TestSuite(reload, .init = setup, .fini = teardown, .timeout = 120);

static void conf(const char *rs)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\";\n"
		 "  real_servers = ( %s ); } );\n", rs);
	lab_write_conf(&lab, buf);
}

#define RS(n)	"{ address = \"10.0.2.1" #n "\"; port = 80; }"

static pid_t stream(void)
{
	pid_t pid = lab_spawn(&lab, "cl", "stream",
			      "exec build/tests/nflvs-testnet stream " LAB_VIP4
			      " 80 --seconds 60");

	cr_assert_gt(pid, 0);
	return pid;
}

static int reload_and_wait(const char *what)
{
	size_t seen = strlen(lab_log(&lab, "director"));

	kill(lab.director, SIGHUP);
	return lab_wait_sh(&lab, 5000, "tail -c +%zu %s/director.log | grep -q '%s'",
			   seen + 1, lab.dir, what);
}

Test(reload, applies_the_difference_and_keeps_a_transfer)
{
	struct lab_tally t;
	pid_t s;

	conf(RS(1) ", " RS(2));
	cr_assert_eq(lab_director_start(&lab), 0);
	s = stream();			/* rr: the first goes to rs2 */
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -s %s/stream.log || "
				 "ip netns exec %s conntrack -L 2>/dev/null | grep -q ESTABLISHED",
				 lab.dir, lab_ns(&lab, "dir")), 0);
	/* rs1 goes, rs3 comes, rs2 (carrying the transfer) stays */
	conf(RS(2) ", " RS(3));
	cr_assert_eq(reload_and_wait("reloaded"), 0, "%s", lab_log(&lab, "director"));
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 6"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 3);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 3);
	cr_assert_eq(lab_wait_exit(&lab, s, 200), -1, "the transfer broke: %s",
		     lab_log(&lab, "stream"));
	cr_assert_eq(lab_stop(&lab, s, SIGTERM, 5000), 0, "%s", lab_log(&lab, "stream"));
	cr_expect(strncmp(lab_log(&lab, "stream"), "ok ", 3) == 0, "%s",
		  lab_log(&lab, "stream"));
	cr_expect(strstr(lab_log(&lab, "stream"), "rs2"), "%s", lab_log(&lab, "stream"));
}

Test(reload, a_bad_file_is_refused_and_nothing_changes)
{
	struct lab_tally t;

	conf(RS(1) ", " RS(2));
	cr_assert_eq(lab_director_start(&lab), 0);
	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.300\"; port = 80; } ); } );\n");
	cr_assert_eq(reload_and_wait("reload failed"), 0, "%s", lab_log(&lab, "director"));
	cr_expect(strstr(lab_log(&lab, "director"), "nflvs.conf:7: address: invalid IP address \"10.0.2.300\""),
		  "%s", lab_log(&lab, "director"));
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
}

Test(reload, services_come_and_go)
{
	struct lab_tally t;

	conf(RS(1));
	cr_assert_eq(lab_director_start(&lab), 0);
	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 8080; scheduler = \"wrr\";\n"
		"  real_servers = ( { address = \"10.0.2.13\"; port = 80; } ); } );\n");
	cr_assert_eq(reload_and_wait("reloaded"), 0, "%s", lab_log(&lab, "director"));
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 8080 -n 2"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs3"), 2);
	lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 1 --timeout-ms 300");
	cr_expect_eq(t.errors, 1, "the old service is gone");
	cr_expect_eq(lab_sh(&lab, "ip netns exec %s nft list set ip nflvs services4 | grep -q '10.0.1.100 . tcp . 8080'",
			    lab_ns(&lab, "dir")), 0);
}

/*
 * A reload never ends the director nor stops its main loop: a file that
 * fails to read (EIO: libconfig's scanner called exit()) or a FIFO (it
 * waited for a writer) is refused like a bad file, and the director runs
 * on with what it had.
 */
Test(reload, an_unreadable_file_is_refused_and_the_director_runs_on)
{
	struct lab_tally t;

	conf(RS(1) ", " RS(2));
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_sh(&lab, "mv %s %s.good && ln -s /proc/self/mem %s",
			    lab.conf, lab.conf, lab.conf), 0);
	cr_assert_eq(reload_and_wait("reload failed"), 0, "%s", lab_log(&lab, "director"));
	cr_expect(strstr(lab_log(&lab, "director"), "nflvs.conf: cannot read: Input/output error"),
		  "%s", lab_log(&lab, "director"));
	cr_assert_eq(lab_wait_exit(&lab, lab.director, 0), -1, "the director ended");
	cr_assert_eq(lab_sh(&lab, "rm %s && mkfifo %s", lab.conf, lab.conf), 0);
	cr_assert_eq(reload_and_wait("reload failed"), 0, "%s", lab_log(&lab, "director"));
	cr_expect(strstr(lab_log(&lab, "director"), "nflvs.conf: cannot read: not a regular file"),
		  "%s", lab_log(&lab, "director"));
	cr_assert_eq(lab_wait_exit(&lab, lab.director, 0), -1, "the director ended");
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
	cr_expect_eq(lab_sh(&lab, "rm %s && mv %s.good %s", lab.conf, lab.conf,
			    lab.conf), 0);
}
