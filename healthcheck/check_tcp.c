// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp checks: connect without blocking and close at once.  The close is a
 * reset (SO_LINGER 0), so that thousands of checks a second leave no
 * TIME_WAIT sockets on the director.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcp.h"

struct tcp_probe {
	struct target *t;
	struct watch w;
};

static void sock_reset_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

void check_tcp_close(struct evloop *l, struct watch *w)
{
	int fd = w->fd;

	if (fd < 0)
		return;
	evloop_watch_del(l, w);
	sock_reset_close(fd);
}

int check_tcp_connect(struct target *t, struct watch *w)
{
	int fd, err;

	fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	/* loopback may connect, or be refused, at once */
	if (connect(fd, (struct sockaddr *)&t->sa, t->salen) < 0 &&
	    errno != EINPROGRESS) {
		err = -errno;
		sock_reset_close(fd);
		return err;
	}
	/* connected at once: EPOLLOUT fires at once, with SO_ERROR 0 */
	err = evloop_watch_add(&t->c->loop, w, fd, EPOLLOUT);
	if (err)
		sock_reset_close(fd);
	return err;
}

int check_tcp_result(const struct watch *w)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	return err;
}

static void tcp_finish(struct tcp_probe *p, int err)
{
	struct probe_result r;

	check_tcp_close(&p->t->c->loop, &p->w);
	if (err)
		probe_fail(&r, "connect: %s", strerror(err));
	else
		probe_ok(&r, -1);
	checker_done(p->t, &r);
}

static void tcp_event(struct watch *w, uint32_t events)
{
	(void)events;
	tcp_finish(container_of(w, struct tcp_probe, w), check_tcp_result(w));
}

static int tcp_init(struct target *t)
{
	struct tcp_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->t = t;
	p->w.fd = -1;
	p->w.fn = tcp_event;
	t->probe = p;
	return 0;
}

static void tcp_start(struct target *t)
{
	struct tcp_probe *p = t->probe;
	struct probe_result r;
	int err;

	if (!t->probe_port) {
		probe_fail(&r, "no port to connect to (set connect_port)");
		checker_done(t, &r);
		return;
	}
	err = check_tcp_connect(t, &p->w);
	if (err)
		tcp_finish(p, -err);
}

static void tcp_abort(struct target *t)
{
	struct tcp_probe *p = t->probe;

	check_tcp_close(&t->c->loop, &p->w);
}

static void tcp_fini(struct target *t)
{
	struct tcp_probe *p = t->probe;

	check_tcp_close(&t->c->loop, &p->w);
	evloop_defer_free(&t->c->loop, p);
}

const struct check_ops check_tcp_ops = {
	.name = "tcp",
	.init = tcp_init,
	.start = tcp_start,
	.abort = tcp_abort,
	.fini = tcp_fini,
};
