// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ping checks, keepalived's PING_CHECK.  keepalived opens an ICMP datagram
 * socket per check and widens net.ipv4.ping_group_range to root's group
 * for it; here every check shares one socket per address family and the
 * sysctl is left alone: a datagram socket where the range admits the
 * checker's group, a raw one (root or CAP_NET_RAW) otherwise, opened
 * before the checker gives root up.  Replies are matched to their check by
 * sequence number (one table of 65536), then by the real server's address
 * and the check's token in the data, and on a raw socket by our identifier
 * too; the kernel picks a datagram socket's identifier and delivers only
 * its replies to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_ping.h"
#include "dgram.h"
#include "log.h"

#define PING_SEQS	65536
#define PING_DATA	56		/* ping(8)'s default */
#define PING_MAGIC	"nflvs-hc"	/* then the token, then the target id */
#define PING_RANGE	"/proc/sys/net/ipv4/ping_group_range"
#ifndef ICMP_FILTER
#define ICMP_FILTER	1	/* linux/icmp.h's, which clashes with glibc's */
#endif

struct ping_sock {
	struct ping_socks *ps;
	int family;
	bool raw;
	uint16_t id;			/* raw: ours */
	struct watch w;
};

struct ping_probe;

struct ping_socks {
	struct checker *c;
	struct ping_sock s[2];		/* IPv4, IPv6 */
	struct ping_probe **inflight;	/* by sequence number */
	uint16_t next_seq;
};

struct ping_probe {
	struct target *t;
	struct timer resend;
	int sent;
	uint16_t seq[DGRAM_SENDS];
	uint32_t token;
};

/* ---- messages (pure) ----------------------------------------------------- */

static uint16_t inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

int ping_echo_build(uint8_t *buf, size_t len, int family,
		    const struct ping_echo *e)
{
	uint16_t sum;

	if (len < 8 + e->len)
		return -ENOSPC;
	buf[0] = family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = e->id >> 8;
	buf[5] = e->id & 0xff;
	buf[6] = e->seq >> 8;
	buf[7] = e->seq & 0xff;
	memcpy(buf + 8, e->data, e->len);
	if (family == AF_INET) {
		sum = inet_csum(buf, 8 + e->len);
		buf[2] = sum >> 8;
		buf[3] = sum & 0xff;
	}
	return 8 + e->len;
}

int ping_reply_parse(const uint8_t *buf, size_t len, int family,
		     bool ip_header, struct ping_echo *e)
{
	size_t hl = 0;

	if (ip_header) {
		if (len < 20 || buf[0] >> 4 != 4)
			return -EINVAL;
		hl = (buf[0] & 0x0f) * 4;
		if (hl < 20 || len < hl)
			return -EINVAL;
	}
	buf += hl;
	len -= hl;
	if (len < 8 || buf[1] != 0 ||
	    buf[0] != (family == AF_INET6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
		return -EINVAL;
	e->id = buf[4] << 8 | buf[5];
	e->seq = buf[6] << 8 | buf[7];
	e->data = buf + 8;
	e->len = len - 8;
	return 0;
}

bool ping_range_admits(const char *range, const gid_t *g, int n)
{
	unsigned long lo, hi;
	int i;

	if (sscanf(range, "%lu %lu", &lo, &hi) != 2)
		return false;
	for (i = 0; i < n; i++)
		if (g[i] >= lo && g[i] <= hi)
			return true;
	return false;
}

/* ---- the shared sockets ------------------------------------------------- */

static void ping_data(uint8_t *d, const struct ping_probe *p)
{
	memset(d, 0, PING_DATA);
	memcpy(d, PING_MAGIC, 8);
	memcpy(d + 8, &p->token, 4);
	memcpy(d + 12, &p->t->id, 4);
}

static void ping_release(struct ping_socks *ps, struct ping_probe *p)
{
	int i;

	for (i = 0; i < p->sent && i < DGRAM_SENDS; i++)
		if (ps->inflight[p->seq[i]] == p)
			ps->inflight[p->seq[i]] = NULL;
	p->sent = 0;
}

static void ping_up(struct ping_probe *p)
{
	struct probe_result r;

	evloop_timer_del(&p->t->c->loop, &p->resend);
	ping_release(p->t->c->ping, p);
	probe_ok(&r, -1);
	checker_done(p->t, &r);
}

static bool ping_from(const struct target *t, const struct sockaddr_storage *f)
{
	const struct sockaddr_in *a = (const void *)f, *b = (const void *)&t->sa;
	const struct sockaddr_in6 *a6 = (const void *)f,
				  *b6 = (const void *)&t->sa;

	if (f->ss_family != t->sa.ss_family)
		return false;
	if (f->ss_family == AF_INET)
		return a->sin_addr.s_addr == b->sin_addr.s_addr;
	return !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

static void ping_reply(struct ping_sock *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_storage *from)
{
	struct ping_echo e;
	struct ping_probe *p;

	if (ping_reply_parse(buf, len, s->family,
			     s->raw && s->family == AF_INET, &e) ||
	    (s->raw && e.id != s->id))
		return;
	p = s->ps->inflight[e.seq];
	if (!p || !ping_from(p->t, from) || e.len < 16 ||
	    memcmp(e.data, PING_MAGIC, 8) || memcmp(e.data + 8, &p->token, 4))
		return;
	ping_up(p);
}

/* Read up to @max replies. */
static void ping_read(struct ping_sock *s, int max)
{
	struct sockaddr_storage from;
	struct watch *w = &s->w;
	socklen_t flen;
	uint8_t buf[1500];
	ssize_t n;
	int i;

	for (i = 0; i < max; i++) {
		flen = sizeof(from);
		n = recvfrom(w->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n >= 0)	/* an error (an ICMP one) is consumed */
			ping_reply(s, buf, n, &from);
	}
}

static void ping_event(struct watch *w, uint32_t events)
{
	(void)events;
	/* bounded, so that replies cannot starve the other checks */
	ping_read(container_of(w, struct ping_sock, w), 256);
}

/* Only echo replies, on a raw socket that would see all ICMP. */
static int ping_filter(int fd, int family)
{
	uint32_t f4 = ~(1u << ICMP_ECHOREPLY);	/* struct icmp_filter */
	struct icmp6_filter f6;

	if (family == AF_INET)
		return setsockopt(fd, SOL_RAW, ICMP_FILTER, &f4, sizeof(f4));
	ICMP6_FILTER_SETBLOCKALL(&f6);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f6);
	return setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f6, sizeof(f6));
}

static int ping_socket(int family, bool raw)
{
	int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int fd, size = 1 << 20, err;

	fd = socket(family, (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (raw && ping_filter(fd, family) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	/* a burst of thousands of replies must not be dropped (beyond
	 * net.core.rmem_max where we may) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}

/* Open @s if it is not: a datagram socket unless @raw_only, else raw. */
static int ping_sock_open(struct ping_sock *s, bool raw_only)
{
	const char *fam = s->family == AF_INET6 ? "ICMPv6" : "ICMP";
	int fd = -EACCES, err;

	if (s->w.fd >= 0)
		return 0;
	if (!raw_only)
		fd = ping_socket(s->family, false);
	s->raw = fd == -EACCES || fd == -EPERM;
	if (s->raw)
		fd = ping_socket(s->family, true);
	if (fd < 0)
		return fd;
	if (getrandom(&s->id, sizeof(s->id), GRND_NONBLOCK) != sizeof(s->id))
		s->id = (uint16_t)getpid();
	err = evloop_watch_add(&s->ps->c->loop, &s->w, fd, EPOLLIN);
	if (err) {
		close(fd);
		return err;
	}
	log_info("ping checks: %s over a %s socket", fam,
		 s->raw ? "raw" : "datagram (unprivileged ICMP)");
	return 0;
}

static struct ping_socks *ping_socks_get(struct checker *c)
{
	struct ping_socks *ps = c->ping;
	int i;

	if (ps)
		return ps;
	ps = calloc(1, sizeof(*ps));
	if (ps)
		ps->inflight = calloc(PING_SEQS, sizeof(*ps->inflight));
	if (!ps || !ps->inflight) {
		free(ps);
		return NULL;
	}
	ps->c = c;
	for (i = 0; i < 2; i++) {
		ps->s[i].ps = ps;
		ps->s[i].family = i ? AF_INET6 : AF_INET;
		ps->s[i].w.fd = -1;
		ps->s[i].w.fn = ping_event;
	}
	c->ping = ps;
	return ps;
}

void check_ping_free(struct checker *c)
{
	struct ping_socks *ps = c->ping;
	int i, fd;

	if (!ps)
		return;
	for (i = 0; i < 2; i++) {
		if (ps->s[i].w.fd < 0)
			continue;
		fd = ps->s[i].w.fd;
		evloop_watch_del(&c->loop, &ps->s[i].w);
		close(fd);
	}
	free(ps->inflight);
	free(ps);
	c->ping = NULL;
}

static bool ping_group_admitted(const char *user, gid_t gid)
{
	gid_t groups[256];
	int n = 256, fd;
	char range[64];
	ssize_t len;

	fd = open(PING_RANGE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, range, sizeof(range) - 1);
	close(fd);
	if (len <= 0)
		return false;
	range[len] = '\0';
	if (getgrouplist(user, gid, groups, &n) < 0) {
		groups[0] = gid;
		n = 1;
	}
	return ping_range_admits(range, groups, n);
}

void check_ping_prepare(struct checker *c, const char *user, gid_t gid)
{
	struct ping_socks *ps;
	int i, err;

	if (ping_group_admitted(user, gid) || !(ps = ping_socks_get(c)))
		return;
	for (i = 0; i < 2; i++) {
		err = ping_sock_open(&ps->s[i], true);
		if (err)
			log_warn("ping checks: no raw %s socket: %s",
				 i ? "ICMPv6" : "ICMP", strerror(-err));
	}
}

/* ---- the check ------------------------------------------------------------ */

static int ping_seq_take(struct ping_socks *ps, struct ping_probe *p,
			 uint16_t *seq)
{
	int i;

	for (i = 0; i < PING_SEQS; i++) {
		uint16_t s = ps->next_seq++;

		if (!ps->inflight[s]) {
			ps->inflight[s] = p;
			*seq = s;
			return 0;
		}
	}
	return -EBUSY;
}

static void ping_fail(struct ping_probe *p, const char *what, int err)
{
	struct probe_result r;

	evloop_timer_del(&p->t->c->loop, &p->resend);
	ping_release(p->t->c->ping, p);
	probe_fail(&r, "%s: %s", what, strerror(err));
	checker_done(p->t, &r);
}

static void ping_send(struct ping_probe *p)
{
	struct ping_socks *ps = p->t->c->ping;
	struct ping_sock *s = &ps->s[p->t->sa.ss_family == AF_INET6];
	struct sockaddr_storage to = p->t->sa;
	uint8_t data[PING_DATA], pkt[8 + PING_DATA];
	struct ping_echo e = { .id = s->id, .data = data, .len = PING_DATA };
	int n;

	if (ping_seq_take(ps, p, &e.seq)) {
		ping_fail(p, "sequence numbers", EBUSY);
		return;
	}
	p->seq[p->sent++] = e.seq;
	ping_data(data, p);
	n = ping_echo_build(pkt, sizeof(pkt), s->family, &e);
	((struct sockaddr_in *)&to)->sin_port = 0;	/* raw IPv6 wants 0 */
	if (sendto(s->w.fd, pkt, n, 0, (struct sockaddr *)&to,
		   p->t->salen) < 0 && errno != EAGAIN && errno != ENOBUFS) {
		ping_fail(p, "send", errno);
		return;
	}
	if (p->sent < DGRAM_SENDS)
		evloop_timer_set(&p->t->c->loop, &p->resend,
				 dgram_resend_at(p->t, p->sent));
}

static void ping_resend(struct timer *tm)
{
	ping_send(container_of(tm, struct ping_probe, resend));
}

static void ping_start(struct target *t)
{
	struct ping_probe *p = t->probe;
	struct ping_socks *ps = ping_socks_get(t->c);
	struct probe_result r;
	int err = ps ? ping_sock_open(&ps->s[t->sa.ss_family == AF_INET6],
				      false) : -ENOMEM;

	if (err) {
		probe_fail(&r, "no ICMP socket: %s (a raw one needs root or "
			   "CAP_NET_RAW, a datagram one a group in "
			   "net.ipv4.ping_group_range)", strerror(-err));
		checker_done(t, &r);
		return;
	}
	if (getrandom(&p->token, sizeof(p->token), GRND_NONBLOCK) !=
	    sizeof(p->token))
		p->token = (uint32_t)evloop_clock();
	p->sent = 0;
	ping_send(p);
}

static int ping_init(struct target *t)
{
	struct ping_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->t = t;
	p->resend.fn = ping_resend;
	t->probe = p;
	return 0;
}

static void ping_abort(struct target *t)
{
	struct ping_probe *p = t->probe;

	evloop_timer_del(&t->c->loop, &p->resend);
	if (t->c->ping)
		ping_release(t->c->ping, p);
}

/* A reply that came in time counts, even if a busy loop had not read it. */
static void ping_expire(struct target *t)
{
	struct ping_socks *ps = t->c->ping;

	if (ps && ps->s[t->sa.ss_family == AF_INET6].w.fd >= 0)
		ping_read(&ps->s[t->sa.ss_family == AF_INET6], PING_SEQS);
	if (!t->running)
		return;
	ping_abort(t);
	checker_timed_out(t);
}

static void ping_fini(struct target *t)
{
	ping_abort(t);
	evloop_defer_free(&t->c->loop, t->probe);
}

const struct check_ops check_ping_ops = {
	.name = "ping",
	.init = ping_init,
	.start = ping_start,
	.abort = ping_abort,
	.expire = ping_expire,
	.fini = ping_fini,
};
