// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sd_notify(3) in a few lines: a new datagram socket per message, as
 * libsystemd does, so that nothing stays open across fork and exec, and
 * nothing is kept between the few messages a daemon sends in its life.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

/* $NOTIFY_SOCKET as an address; the length of it, or -errno. */
static int notify_addr(const char *name, struct sockaddr_un *sa)
{
	size_t n = strlen(name);

	/* "vsock:CID:PORT" (systemd 254 and later, for VMs) is not ours */
	if (name[0] != '/' && name[0] != '@')
		return -EAFNOSUPPORT;
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	/* an abstract name is its bytes after the NUL, no terminator */
	if (name[0] == '@')
		sa->sun_path[0] = '\0';
	return (int)(offsetof(struct sockaddr_un, sun_path) + n);
}

int notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	int fd, len, ret = 1;

	if (!name || !*name)
		return 0;
	len = notify_addr(name, &sa);
	if (len < 0)
		return len;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, (socklen_t)len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
		 (unsigned long long)ts.tv_nsec / 1000);
	return notify_send(msg);
}
