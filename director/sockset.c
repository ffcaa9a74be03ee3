// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockset.h"

#define READ_CHUNK	16384

void sockset_init(struct sockset *s, int max, unsigned int timeout_ms,
		  size_t in_max, sockset_frame_fn *frame,
		  sockset_serve_fn *serve, void *ctx)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	s->max = max < SOCKSET_MAX ? max : SOCKSET_MAX;
	s->timeout_ns = (uint64_t)timeout_ms * 1000000;
	s->in_max = in_max;
	s->frame = frame;
	s->serve = serve;
	s->ctx = ctx;
	for (i = 0; i < SOCKSET_MAX; i++)
		s->client[i].fd = -1;
}

void sockset_listen(struct sockset *s, int fd)
{
	s->lfd = fd;
}

static void client_drop(struct sockclient *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void sockset_close(struct sockset *s)
{
	int i;

	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	for (i = 0; i < SOCKSET_MAX; i++)
		client_drop(&s->client[i]);
}

int sockset_pollfds(const struct sockset *s, struct pollfd *p, int max)
{
	const struct sockclient *c;
	int n = 0, i;

	if (s->lfd < 0 || max < 1)
		return 0;
	p[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	for (i = 0; i < s->max && n < max; i++) {
		c = &s->client[i];
		if (c->fd >= 0)
			p[n++] = (struct pollfd){ .fd = c->fd,
				.events = c->out ? POLLOUT : POLLIN };
	}
	return n;
}

/* A free slot, else the one of the client idle the longest, else -1. */
static int slot_for_new(struct sockset *s)
{
	int i, idle = -1;

	for (i = 0; i < s->max; i++) {
		struct sockclient *c = &s->client[i];

		if (c->fd < 0)
			return i;
		if (!c->deadline && (idle < 0 ||
				     c->idle_since < s->client[idle].idle_since))
			idle = i;
	}
	if (idle >= 0)
		client_drop(&s->client[idle]);
	return idle;
}

static void accept_all(struct sockset *s, uint64_t now)
{
	int fd, i;

	while ((fd = accept4(s->lfd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		i = slot_for_new(s);
		if (i < 0) {
			close(fd);	/* busy: the client sees EOF and can retry */
			continue;
		}
		s->client[i].fd = fd;
		s->client[i].idle_since = now;
	}
}

/* Write what the client can take: false when it is to be closed. */
static bool client_write(struct sockclient *c, uint64_t now)
{
	ssize_t w;

	while (c->outoff < c->outlen) {
		w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		c->outoff += w;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	if (c->last)
		return false;
	/* the next request, if some of it came, has its own deadline */
	c->deadline = 0;
	c->idle_since = now;
	return true;
}

/* Answer the requests that are all there, one at a time: false when the
 * client is to be closed. */
static bool client_serve(struct sockset *s, struct sockclient *c,
			 uint64_t now)
{
	ssize_t k;

	while (!c->out && c->inlen) {
		if (!c->deadline)
			c->deadline = now + s->timeout_ns;
		k = s->frame(s->ctx, c->in, c->inlen);
		if (k < 0 || (size_t)k > c->inlen)
			return false;
		if (k == 0)
			return c->inlen < s->in_max;
		c->last = !s->serve(s->ctx, c->in, k, &c->out, &c->outlen);
		memmove(c->in, c->in + k, c->inlen - k);
		c->inlen -= k;
		if (!c->out && c->last)
			return false;
		if (!c->out)
			continue;
		if (!client_write(c, now))
			return false;
	}
	return true;
}

/* Read what is there: false when the client is to be closed. */
static bool client_read(struct sockset *s, struct sockclient *c,
			uint64_t now)
{
	bool eof = false;
	ssize_t r;
	char *nb;
	size_t cap;

	for (;;) {
		if (c->inlen == c->incap) {
			if (c->incap >= s->in_max)
				break;	/* client_serve() decides */
			cap = c->incap + READ_CHUNK;
			cap = cap < s->in_max ? cap : s->in_max;
			if (!(nb = realloc(c->in, cap)))
				return false;
			c->in = nb;
			c->incap = cap;
		}
		r = recv(c->fd, c->in + c->inlen, c->incap - c->inlen,
			 MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0)
			return false;
		if (r == 0) {	/* it may have sent a request, then shut down */
			eof = true;
			break;
		}
		c->inlen += r;
	}
	if (!client_serve(s, c, now))
		return false;
	if (eof && !c->out)
		return false;
	c->last |= eof;
	return true;
}

void sockset_handle(struct sockset *s, const struct pollfd *p, int n,
		    uint64_t now)
{
	struct sockclient *c;
	bool keep;
	int i, j;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == s->lfd) {
			accept_all(s, now);
			continue;
		}
		for (j = 0, c = NULL; j < s->max && !c; j++)
			if (s->client[j].fd == p[i].fd)
				c = &s->client[j];
		if (!c)
			continue;	/* closed meanwhile */
		if (c->out)
			keep = client_write(c, now) && client_serve(s, c, now);
		else
			keep = client_read(s, c, now);
		if (!keep)
			client_drop(c);
	}
}

void sockset_expire(struct sockset *s, uint64_t now)
{
	int i;

	for (i = 0; i < s->max; i++) {
		struct sockclient *c = &s->client[i];

		if (c->fd >= 0 && c->deadline && now > c->deadline) {
			client_drop(c);
			s->expired++;
		}
	}
}
