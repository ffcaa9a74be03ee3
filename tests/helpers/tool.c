// SPDX-License-Identifier: GPL-2.0-or-later
/* What the test helpers share; see tool.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

volatile sig_atomic_t stop_requested;
sigset_t wait_mask;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void signals_setup(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int file_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int file_replace(const char *path, const char *line)
{
	char tmp[4096];
	size_t len = strlen(line);
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid())
	    >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int parse_host(const char *s, struct nflvs_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];
	size_t n = strlen(s);

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return addr_parse(s, a);
	if (n - 2 >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s + 1, n - 2);
	buf[n - 2] = '\0';
	if (addr_parse(buf, a) < 0 || a->family != AF_INET6)
		return -EINVAL;
	return 0;
}
