// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Datagram checks.  keepalived's UDP_CHECK and DNS_CHECK connect their UDP
 * socket and turn IP_RECVERR on: an ICMP error then reaches that socket
 * alone, with its type and code, and a destination unreachable is a
 * verdict.  A datagram may be lost, so a check sends its own again within
 * its timeout (keepalived relies on retries of the whole check).
 */
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dgram.h"

int dgram_connect(const struct target *t)
{
	int on = 1, v6 = t->sa.ss_family == AF_INET6, fd, err;

	fd = socket(t->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP,
		       v6 ? IPV6_RECVERR : IP_RECVERR, &on, sizeof(on)) < 0 ||
	    connect(fd, (const struct sockaddr *)&t->sa, t->salen) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

const char *dgram_unreach_name(int code, int v6)
{
	static const char *const v4[] = {
		[ICMP_NET_UNREACH] = "network unreachable",
		[ICMP_HOST_UNREACH] = "host unreachable",
		[ICMP_PROT_UNREACH] = "protocol unreachable",
		[ICMP_PORT_UNREACH] = "port unreachable",
		[ICMP_NET_ANO] = "network prohibited",
		[ICMP_HOST_ANO] = "host prohibited",
		[ICMP_PKT_FILTERED] = "administratively prohibited",
	};
	static const char *const n6[] = {
		[ICMP6_DST_UNREACH_NOROUTE] = "no route",
		[ICMP6_DST_UNREACH_ADMIN] = "administratively prohibited",
		[ICMP6_DST_UNREACH_ADDR] = "address unreachable",
		[ICMP6_DST_UNREACH_NOPORT] = "port unreachable",
	};
	const char *const *names = v6 ? n6 : v4;
	int n = v6 ? (int)(sizeof(n6) / sizeof(n6[0]))
		   : (int)(sizeof(v4) / sizeof(v4[0]));

	return code >= 0 && code < n && names[code] ? names[code]
						       : "destination unreachable";
}

/* One queued error: 1 if it is a destination unreachable. */
static int dgram_unreach(const struct msghdr *msg, char *why, size_t len)
{
	const struct sock_extended_err *ee;
	const struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, (struct cmsghdr *)cm)) {
		bool v4 = cm->cmsg_level == SOL_IP &&
			  cm->cmsg_type == IP_RECVERR;
		bool v6 = cm->cmsg_level == SOL_IPV6 &&
			  cm->cmsg_type == IPV6_RECVERR;

		if (!v4 && !v6)
			continue;
		ee = (const struct sock_extended_err *)CMSG_DATA(cm);
		if ((v4 && ee->ee_origin == SO_EE_ORIGIN_ICMP &&
		     ee->ee_type == ICMP_DEST_UNREACH) ||
		    (v6 && ee->ee_origin == SO_EE_ORIGIN_ICMP6 &&
		     ee->ee_type == ICMP6_DST_UNREACH)) {
			snprintf(why, len, "ICMP%s %s", v6 ? "v6" : "",
				 dgram_unreach_name(ee->ee_code, v6));
			return 1;
		}
	}
	return 0;
}

int dgram_icmp_error(int fd, char *why, size_t len)
{
	char ctl[512] __attribute__((aligned(__alignof__(struct cmsghdr))));
	struct sockaddr_storage from;
	uint8_t data[64];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg;
	int found = 0, n;

	for (n = 0; n < 64; n++) {	/* bounded: the queue is finite */
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return found ? found : -errno;
		}
		if (!found)
			found = dgram_unreach(&msg, why, len);
	}
	return found;
}

uint64_t dgram_resend_at(const struct target *t, int n)
{
	return t->started + checker_ns(t->check->timeout) * n / DGRAM_SENDS;
}

/* ---- the probe ------------------------------------------------------------ */

void dgram_close(struct dgram_probe *d)
{
	int fd = d->w.fd;

	evloop_timer_del(&d->t->c->loop, &d->resend);
	if (fd < 0)
		return;
	evloop_watch_del(&d->t->c->loop, &d->w);
	close(fd);
}

void dgram_up(struct dgram_probe *d)
{
	struct probe_result r;

	probe_ok(&r, -1);
	dgram_close(d);
	checker_done(d->t, &r);
}

void dgram_fail(struct dgram_probe *d, const char *fmt, ...)
{
	struct probe_result r;
	va_list ap;

	va_start(ap, fmt);
	probe_vfail(&r, fmt, ap);
	va_end(ap);
	dgram_close(d);
	checker_done(d->t, &r);
}

bool dgram_error(struct dgram_probe *d, int err)
{
	char why[64];

	if (dgram_icmp_error(d->w.fd, why, sizeof(why)) == 1) {
		dgram_fail(d, "%s", why);
		return true;
	}
	if (err && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
		dgram_fail(d, "%s", strerror(err));
		return true;
	}
	return false;
}

void dgram_expire(struct dgram_probe *d, bool silence_ok, const char *why)
{
	struct target *t = d->t;

	if (d->w.fd >= 0)
		d->recv(d);
	if (!t->running)
		return;
	if (silence_ok) {
		dgram_up(d);
	} else if (why) {
		dgram_fail(d, "%s", why);
	} else {
		dgram_close(d);
		checker_timed_out(t);
	}
}

static void dgram_event(struct watch *w, uint32_t events)
{
	struct dgram_probe *d = container_of(w, struct dgram_probe, w);

	if ((events & EPOLLERR) && dgram_error(d, 0))
		return;
	if (events & EPOLLIN)
		d->recv(d);
}

static void dgram_send(struct dgram_probe *d)
{
	int err = d->send(d);

	if (err && dgram_error(d, err))
		return;
	if (++d->sent < DGRAM_SENDS)
		evloop_timer_set(&d->t->c->loop, &d->resend,
				 dgram_resend_at(d->t, d->sent));
}

static void dgram_resend(struct timer *tm)
{
	dgram_send(container_of(tm, struct dgram_probe, resend));
}

void dgram_init(struct dgram_probe *d, struct target *t)
{
	d->t = t;
	d->w.fd = -1;
	d->w.fn = dgram_event;
	d->resend.fn = dgram_resend;
}

void dgram_start(struct dgram_probe *d)
{
	struct target *t = d->t;
	int fd, err;

	if (!t->probe_port) {
		dgram_fail(d, "no port to send to (set connect_port)");
		return;
	}
	fd = dgram_connect(t);
	if (fd < 0) {
		dgram_fail(d, "socket: %s", strerror(-fd));
		return;
	}
	err = evloop_watch_add(&t->c->loop, &d->w, fd, EPOLLIN);
	if (err) {
		close(fd);
		dgram_fail(d, "epoll: %s", strerror(-err));
		return;
	}
	d->sent = 0;
	dgram_send(d);
}
