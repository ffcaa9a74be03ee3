// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The service manager's protocol end to end, with this test in systemd's
 * place: a datagram socket of ours named by $NOTIFY_SOCKET (a path: an
 * abstract name would not cross into the director's network namespace),
 * the daemons started on it as a Type=notify unit starts them.  READY=1
 * must come once the work is done (ruleset and control socket; checks
 * scheduled), RELOADING=1 and READY=1 around every SIGHUP, STOPPING=1 at
 * the stop.  tests/pkg/deb.sh runs the same under a real systemd.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 1), 0, "topology");
	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80;\n"
		"  scheduler = \"rr\"; check = { type = \"tcp\"; };\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 80; } ); } );\n");
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(notify, .init = setup, .fini = teardown, .timeout = 60);

/* A socket at @name in the lab's directory, named by $NOTIFY_SOCKET for
 * the processes spawned from now on. */
static int notify_listen(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(lab.dir) + 1 + strlen(name), sizeof(sa.sun_path));
	strcpy(sa.sun_path, lab.dir);
	strcat(sa.sun_path, "/");
	strcat(sa.sun_path, name);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "bind %s: %s", sa.sun_path, strerror(errno));
	/* as systemd's: the checker writes to it after it drops root */
	cr_assert_eq(chmod(sa.sun_path, 0777), 0);
	cr_assert_eq(setenv("NOTIFY_SOCKET", sa.sun_path, 1), 0);
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The next datagram, waited for up to @ms; "" if none came. */
static const char *next_msg(int fd, int ms)
{
	static char buf[256];
	long deadline = now_ms() + ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	buf[0] = '\0';
	while (now_ms() < deadline) {
		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n >= 0) {
			buf[n] = '\0';
			break;
		}
	}
	return buf;
}

static void expect_msg(int fd, const char *want, const char *logname)
{
	const char *got = next_msg(fd, 10000);

	cr_assert(strncmp(got, want, strlen(want)) == 0,
		  "expected \"%s\", got \"%s\"; log:\n%s", want, got,
		  lab_log(&lab, logname));
}

static void expect_reload(int fd, pid_t pid, const char *logname)
{
	kill(pid, SIGHUP);
	expect_msg(fd, "RELOADING=1\nMONOTONIC_USEC=", logname);
	expect_msg(fd, "READY=1", logname);
}

Test(notify, director_ready_reloading_stopping)
{
	int fd = notify_listen("director.notify");
	FILE *f;

	cr_assert_eq(lab_director_start(&lab), 0);
	expect_msg(fd, "READY=1", "director");
	/* sent after these were in place: they are there now */
	cr_assert_eq(lab_sh(&lab, "ip netns exec %s nft list tables | grep -q nflvs",
			    lab_ns(&lab, "dir")), 0, "no ruleset at READY=1");
	cr_assert_eq(lab_sh(&lab, "build/nflvsadm --socket %s/director.sock -Ln | grep -q '10.0.2.11:80'",
			    lab.dir), 0, "control socket not answering at READY=1");

	expect_reload(fd, lab.director, "director");
	/* a reload that fails is a reload all the same: ready again after */
	f = fopen(lab.conf, "a");
	cr_assert_not_null(f);
	fputs("services = ();\n", f);	/* a second "services": an error */
	fclose(f);
	expect_reload(fd, lab.director, "director");
	/* READY=1 goes out before the errors are logged: wait for them */
	cr_assert_eq(lab_wait_sh(&lab, 5000, "grep -q 'reload failed' %s/director.log",
				 lab.dir), 0, "%s", lab_log(&lab, "director"));

	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	expect_msg(fd, "STOPPING=1", "director");
	close(fd);
}

Test(notify, checker_ready_once_its_checks_are_scheduled)
{
	int fd = notify_listen("checker.notify"), dfd;
	pid_t c = lab_checker_start(&lab, NULL);

	cr_assert_gt(c, 0);
	/* no director, no segment, nothing to check: not ready, and a
	 * reload meanwhile does not make it so */
	cr_assert_eq(lab_wait_sh(&lab, 10000, "grep -q 'waiting for the director' %s/checker.log",
				 lab.dir), 0, "%s", lab_log(&lab, "checker"));
	kill(c, SIGHUP);
	cr_assert_eq(lab_wait_sh(&lab, 10000, "grep -q 'configuration reloaded' %s/checker.log",
				 lab.dir), 0, "%s", lab_log(&lab, "checker"));
	cr_assert_str_eq(next_msg(fd, 0), "", "ready without a director");

	dfd = notify_listen("director.notify");
	cr_assert_eq(lab_director_start(&lab), 0);
	expect_msg(fd, "READY=1", "checker");
	cr_assert_not_null(strstr(lab_log(&lab, "checker"), "attached to shared memory"),
			   "%s", lab_log(&lab, "checker"));

	expect_reload(fd, c, "checker");
	cr_assert_eq(lab_stop(&lab, c, SIGTERM, 5000), 0);
	expect_msg(fd, "STOPPING=1", "checker");
	close(fd);
	close(dfd);
}
