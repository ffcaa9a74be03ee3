// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify_send() against a socket of our own in the place of systemd's:
 * what arrives, at an abstract name and at a path, and what happens when
 * nobody asked or nobody listens.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

static int sock = -1;
static char dir[64];

static void teardown(void)
{
	char path[128];

	if (sock >= 0)
		close(sock);
	sock = -1;
	if (dir[0]) {
		snprintf(path, sizeof(path), "%s/notify", dir);
		unlink(path);
		rmdir(dir);
		dir[0] = '\0';
	}
	unsetenv("NOTIFY_SOCKET");
}

TestSuite(notify, .fini = teardown);

/* Bind a datagram socket at @name ('@' = abstract), as systemd does. */
static void listen_at(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);

	cr_assert_lt(n, sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(sock, 0);
	cr_assert_eq(bind(sock, (struct sockaddr *)&sa,
			  offsetof(struct sockaddr_un, sun_path) + n), 0,
		     "bind %s: %s", name, strerror(errno));
	cr_assert_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
}

/* The datagram notify_send() left in the queue: it is there by now. */
static void expect_msg(const char *want)
{
	char buf[256];
	ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	cr_assert_gt(n, 0, "nothing received: %s", strerror(errno));
	buf[n] = '\0';
	cr_assert_str_eq(buf, want);
}

static void abstract_name(char *buf, size_t size)
{
	snprintf(buf, size, "@nflvs-notify-test-%d-%ld", (int)getpid(),
		 (long)time(NULL));
}

Test(notify, without_notify_socket_sends_nothing)
{
	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(notify_send("READY=1"), 0);
	cr_assert_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	cr_assert_eq(notify_send("READY=1"), 0);
}

Test(notify, abstract_socket_gets_each_state)
{
	char name[96];

	abstract_name(name, sizeof(name));
	listen_at(name);
	cr_assert_eq(notify_send("READY=1"), 1);
	expect_msg("READY=1");
	cr_assert_eq(notify_send("STOPPING=1"), 1);
	expect_msg("STOPPING=1");
}

Test(notify, path_socket)
{
	char path[128];

	strcpy(dir, "/tmp/nflvs-notify-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	listen_at(path);
	cr_assert_eq(notify_send("READY=1\nSTATUS=running"), 1);
	expect_msg("READY=1\nSTATUS=running");
}

Test(notify, reloading_carries_the_monotonic_time)
{
	unsigned long long usec, before, after;
	struct timespec ts;
	char name[96], buf[128];
	ssize_t n;

	abstract_name(name, sizeof(name));
	listen_at(name);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	before = ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
	cr_assert_eq(notify_reloading(), 1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	after = ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
	n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_eq(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1,
		     "got \"%s\"", buf);
	cr_assert(usec >= before && usec <= after,
		  "MONOTONIC_USEC=%llu outside [%llu, %llu]", usec, before, after);
}

Test(notify, nobody_listening_is_an_error)
{
	char name[96];

	abstract_name(name, sizeof(name));
	cr_assert_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	cr_assert_eq(notify_send("READY=1"), -ECONNREFUSED);
}

Test(notify, bad_addresses_are_refused)
{
	char longname[200];

	cr_assert_eq(setenv("NOTIFY_SOCKET", "relative/notify", 1), 0);
	cr_assert_eq(notify_send("READY=1"), -EAFNOSUPPORT);
	cr_assert_eq(setenv("NOTIFY_SOCKET", "vsock:2:1234", 1), 0);
	cr_assert_eq(notify_send("READY=1"), -EAFNOSUPPORT);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(setenv("NOTIFY_SOCKET", longname, 1), 0);
	cr_assert_eq(notify_send("READY=1"), -ENAMETOOLONG);
}
