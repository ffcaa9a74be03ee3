// SPDX-License-Identifier: GPL-2.0-or-later
/* What the test helpers share; see tool.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -EINVAL;
	return 0;
}

int opt_uint(const char *cmd, const char *opt, const char *arg,
	     unsigned long long min, unsigned long long max,
	     unsigned long long *v)
{
	if (parse_uint(arg, min, max, v) == 0)
		return 0;
	fprintf(stderr, "%s: invalid %s (%llu..%llu): `%s'\n", cmd, opt, min,
		max, arg);
	return -1;
}

/* Commands ---------------------------------------------------------------- */

int tool_usage(const struct tool *t, const char *cmd)
{
	size_t i;

	for (i = 0; i < t->ncmd; i++)
		if (!strcmp(t->cmd[i].name, cmd))
			fprintf(stderr, "Usage: %s %s\n", t->prog,
				t->cmd[i].synopsis);
	return EXIT_USAGE;
}

void tool_usage_all(const struct tool *t, FILE *f)
{
	size_t i;

	/* with a main job, its synopsis is the first line */
	if (t->dflt)
		fprintf(f, "Usage:\n");
	else
		fprintf(f, "Usage: %s COMMAND [ARGS]\n", t->prog);
	for (i = 0; i < t->ncmd; i++)
		fprintf(f, "  %s %s\n", t->prog, t->cmd[i].synopsis);
	fprintf(f, "%s\n", t->epilog);
}

int tool_main(const struct tool *t, int argc, char *argv[])
{
	size_t i;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "help"))) {
		tool_usage_all(t, stdout);
		return 0;
	}
	for (i = 0; argc >= 2 && i < t->ncmd; i++)
		if (t->cmd[i].fn != t->dflt && !strcmp(argv[1], t->cmd[i].name))
			return t->cmd[i].fn(argc - 1, argv + 1);
	if (argc >= 2 && argv[1][0] == '-' && t->dflt)
		return t->dflt(argc, argv);
	if (argc >= 2)
		fprintf(stderr, "%s: unknown command `%s'\n", t->prog, argv[1]);
	tool_usage_all(t, stderr);
	return EXIT_USAGE;
}

/* Packets ----------------------------------------------------------------- */

uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	return sum;
}

uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t csum_pseudo(int family, const uint8_t *src, const uint8_t *dst,
		     int proto, size_t len)
{
	size_t alen = family == AF_INET6 ? 16 : 4;
	uint64_t sum = 0;

	sum = csum_add(sum, src, alen);
	sum = csum_add(sum, dst, alen);
	return sum + (uint64_t)proto + (len & 0xffff) + (len >> 16);
}

uint16_t csum_buf(const uint8_t *p, size_t len)
{
	return (uint16_t)~csum_fold(csum_add(0, p, len));
}

uint16_t csum_l4(int family, const uint8_t *src, const uint8_t *dst, int proto,
		 const uint8_t *p, size_t len)
{
	return (uint16_t)~csum_fold(csum_add(csum_pseudo(family, src, dst,
							 proto, len), p, len));
}
