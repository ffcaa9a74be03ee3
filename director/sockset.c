// SPDX-License-Identifier: GPL-2.0-or-later
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sockset.h"

void sockset_init(struct sockset *s, int max, int timeout_ms)
{
	int i;

	s->lfd = -1;
	s->max = max < SOCKSET_MAX ? max : SOCKSET_MAX;
	s->timeout_ms = timeout_ms;
	for (i = 0; i < SOCKSET_MAX; i++)
		s->client[i] = -1;
}

void sockset_listen(struct sockset *s, int fd)
{
	s->lfd = fd;
}

void sockset_close(struct sockset *s)
{
	int i;

	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	for (i = 0; i < SOCKSET_MAX; i++)
		sockset_drop(s, i);
}

int sockset_pollfds(const struct sockset *s, struct pollfd *p, int max)
{
	int n = 0, i;

	if (s->lfd < 0 || max < 1)
		return 0;
	p[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	for (i = 0; i < s->max && n < max; i++)
		if (s->client[i] >= 0)
			p[n++] = (struct pollfd){ .fd = s->client[i],
						  .events = POLLIN };
	return n;
}

void sockset_accept(struct sockset *s)
{
	struct timeval tv = { s->timeout_ms / 1000,
			      (s->timeout_ms % 1000) * 1000 };
	int fd, i;

	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	i = sockset_slot(s, -1);
	if (i < 0) {
		close(fd);	/* busy: the client sees EOF and can retry */
		return;
	}
	/* a client that stalls mid-message must not stall the director */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	s->client[i] = fd;
}

int sockset_slot(const struct sockset *s, int fd)
{
	int i;

	for (i = 0; i < s->max; i++)
		if (s->client[i] == fd)
			return i;
	return -1;
}

void sockset_drop(struct sockset *s, int slot)
{
	if (slot < 0 || slot >= SOCKSET_MAX || s->client[slot] < 0)
		return;
	close(s->client[slot]);
	s->client[slot] = -1;
}
