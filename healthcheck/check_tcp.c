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

static void tcp_close(struct tcp_probe *p)
{
	int fd = p->w.fd;

	if (fd < 0)
		return;
	evloop_watch_del(&p->t->c->loop, &p->w);
	sock_reset_close(fd);
}

static void tcp_finish(struct tcp_probe *p, int err)
{
	struct probe_result r;

	tcp_close(p);
	if (err)
		probe_fail(&r, "connect: %s", strerror(err));
	else
		probe_ok(&r, -1);
	checker_done(p->t, &r);
}

static void tcp_event(struct watch *w, uint32_t events)
{
	struct tcp_probe *p = container_of(w, struct tcp_probe, w);
	socklen_t len = sizeof(int);
	int err = 0;

	(void)events;
	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	tcp_finish(p, err);
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
	int fd, err, rc;

	if (!t->probe_port) {
		probe_fail(&r, "no port to connect to (set connect_port)");
		checker_done(t, &r);
		return;
	}
	fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		probe_fail(&r, "socket: %s", strerror(errno));
		checker_done(t, &r);
		return;
	}
	rc = connect(fd, (struct sockaddr *)&t->sa, t->salen);
	if (rc < 0 && errno == EINPROGRESS) {
		err = evloop_watch_add(&t->c->loop, &p->w, fd, EPOLLOUT);
		if (!err)
			return;
		err = -err;
	} else {
		err = rc < 0 ? errno : 0;	/* loopback may connect at once */
	}
	sock_reset_close(fd);
	tcp_finish(p, err);
}

static void tcp_abort(struct target *t)
{
	tcp_close(t->probe);
}

static void tcp_fini(struct target *t)
{
	struct tcp_probe *p = t->probe;

	tcp_close(p);
	evloop_defer_free(&t->c->loop, p);
}

const struct check_ops check_tcp_ops = {
	.name = "tcp",
	.init = tcp_init,
	.start = tcp_start,
	.abort = tcp_abort,
	.fini = tcp_fini,
};
