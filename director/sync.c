// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "clock.h"
#include "log.h"
#include "sync.h"

#define QUEUE_MAX	65536		/* events between two ticks */
#define ASK_EVERY	NS_PER_SEC	/* backup: resync requests */
#define BULK_MIN_GAP	(NS_PER_SEC / 2)
#define IP_UDP_HDRS4	(20 + 8)
#define IP_UDP_HDRS6	(40 + 8)
#define NS_PER_MSEC	1000000ull
#define DGRAM_MAX	65535

int sync_init(struct sync *s, const struct sync_env *env)
{
	memset(s, 0, sizeof(*s));
	s->env = *env;
	s->d[SYNC_MASTER].fd = s->d[SYNC_BACKUP].fd = -1;
	if (getrandom(&s->instance, sizeof(s->instance), 0) !=
	    sizeof(s->instance))
		s->instance = (uint32_t)clock_mono_ns() ^ (uint32_t)getpid();
	pthread_mutex_init(&s->lock, NULL);
	return 0;
}

void sync_fini(struct sync *s)
{
	sync_stop(s, SYNC_MASTER);
	sync_stop(s, SYNC_BACKUP);
	free(s->queue);
	s->queue = NULL;
	pthread_mutex_destroy(&s->lock);
}

/* ---- sockets ------------------------------------------------------------- */

static int if_mtu(int fd, const char *ifname, unsigned int *mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	*mtu = ifr.ifr_mtu;
	return 0;
}

static bool addr_is_mcast(const struct nflvs_addr *a)
{
	return a->family == AF_INET6 ? IN6_IS_ADDR_MULTICAST(&a->v6)
				     : IN_MULTICAST(ntohl(a->v4.s_addr));
}

static int mcast_join(int fd, const struct sync_conf *c, unsigned int ifindex)
{
	if (c->group.family == AF_INET6) {
		struct ipv6_mreq m = { .ipv6mr_multiaddr = c->group.v6,
				       .ipv6mr_interface = ifindex };
		int hops = c->ttl, loop = 0;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m,
			       sizeof(m)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
			       sizeof(ifindex)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
			       sizeof(hops)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop,
			       sizeof(loop)) < 0)
			return -errno;
		return 0;
	} else {
		struct ip_mreqn m = { .imr_multiaddr = c->group.v4,
				      .imr_ifindex = ifindex };
		unsigned char ttl = c->ttl, loop = 0;

		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m,
			       sizeof(m)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m,
			       sizeof(m)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
			       sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
			       sizeof(loop)) < 0)
			return -errno;
		return 0;
	}
}

/* A socket on the sync port of @c's family, on its interface. */
static int sync_socket(struct sync_daemon *d, char *err, size_t errlen)
{
	struct sync_conf *c = &d->conf;
	unsigned int ifindex = if_nametoindex(c->ifname), mtu = 0;
	struct nflvs_addr any = { .family = c->group.family };
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, ret;

	if (!ifindex) {
		snprintf(err, errlen, "interface %s: %s", c->ifname,
			 strerror(errno));
		return -ENODEV;
	}
	fd = socket(c->group.family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	addr_sockaddr(&any, c->port, &ss, &sl);
	/* a master and a backup of one director share the port */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->ifname,
		       strlen(c->ifname)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (d->mcast && (errno = -mcast_join(fd, c, ifindex)) != 0) ||
	    if_mtu(fd, c->ifname, &mtu) < 0) {
		ret = -errno;
		snprintf(err, errlen, "sync socket on %s port %u: %s",
			 c->ifname, c->port, strerror(-ret));
		close(fd);
		return ret;
	}
	mtu -= c->group.family == AF_INET6 ? IP_UDP_HDRS6 : IP_UDP_HDRS4;
	if (!c->maxlen || c->maxlen > mtu)
		c->maxlen = mtu;
	if (!syncmsg_capacity(c->maxlen)) {
		snprintf(err, errlen, "sync-maxlen %u holds no entry (at least %u)",
			 c->maxlen, SYNCMSG_HDR_LEN + SYNCMSG_ENTRY_LEN);
		close(fd);
		return -EINVAL;
	}
	d->fd = fd;
	return 0;
}

static void conf_defaults(struct sync_conf *c)
{
	if (!c->ifname[0])
		snprintf(c->ifname, sizeof(c->ifname), "%s", SYNC_DEF_IFNAME);
	if (!c->group.family)
		addr_parse(SYNC_DEF_GROUP, &c->group);
	if (!c->port)
		c->port = SYNC_DEF_PORT;
	if (!c->ttl)
		c->ttl = SYNC_DEF_TTL;
	if (!c->refresh_ms)
		c->refresh_ms = SYNC_DEF_REFRESH_MS;
}

int sync_start(struct sync *s, enum sync_role role,
	       const struct sync_conf *conf, char *err, size_t errlen)
{
	struct sync_daemon *d = &s->d[role];
	int ret;

	if (d->on) {
		snprintf(err, errlen, "a %s sync daemon runs already",
			 role == SYNC_MASTER ? "master" : "backup");
		return -EEXIST;
	}
	*d = (struct sync_daemon){ .conf = *conf, .fd = -1 };
	conf_defaults(&d->conf);
	d->mcast = addr_is_mcast(&d->conf.group);
	ret = sync_socket(d, err, errlen);
	if (ret)
		return ret;
	d->buf = malloc(d->conf.maxlen);
	if (!d->buf) {
		close(d->fd);
		d->fd = -1;
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	syncmsg_batch_init(&d->batch, d->buf, d->conf.maxlen, d->conf.syncid,
			   s->instance);
	d->on = true;
	if (role == SYNC_MASTER) {
		/* what there is already goes at the first tick */
		d->bulk = true;
		__atomic_store_n(&s->master_on, true, __ATOMIC_RELAXED);
	}
	log_info("sync: %s daemon started (interface %s, syncid %u, %s %s port %u, maxlen %u)",
		 role == SYNC_MASTER ? "master" : "backup", d->conf.ifname,
		 d->conf.syncid, d->mcast ? "group" : "peer",
		 addr_str(&d->conf.group, (char[ADDR_STRLEN]){ 0 }, ADDR_STRLEN),
		 d->conf.port, d->conf.maxlen);
	return 0;
}

int sync_stop(struct sync *s, enum sync_role role)
{
	struct sync_daemon *d = &s->d[role];

	if (!d->on)
		return -ESRCH;
	if (role == SYNC_MASTER) {
		__atomic_store_n(&s->master_on, false, __ATOMIC_RELAXED);
		pthread_mutex_lock(&s->lock);
		s->nqueue = 0;
		pthread_mutex_unlock(&s->lock);
	}
	close(d->fd);
	free(d->buf);
	*d = (struct sync_daemon){ .fd = -1 };
	log_info("sync: %s daemon stopped",
		 role == SYNC_MASTER ? "master" : "backup");
	return 0;
}

const struct sync_conf *sync_running(const struct sync *s,
				     enum sync_role role)
{
	return s->d[role].on ? &s->d[role].conf : NULL;
}

/* ---- sending ------------------------------------------------------------- */

static void send_dgram(struct sync *s, struct sync_daemon *d, const void *buf,
		       size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	addr_sockaddr(&d->conf.group, d->conf.port, &ss, &sl);
	if (sendto(d->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0) {
		if (!s->stats.send_errors++)
			log_warn("sync: sending to %s port %u: %s",
				 addr_str(&d->conf.group, (char[ADDR_STRLEN]){ 0 },
					  ADDR_STRLEN),
				 d->conf.port, strerror(errno));
		return;
	}
	s->stats.sent_msgs++;
}

static void flush(struct sync *s, struct sync_daemon *d)
{
	size_t len = syncmsg_batch_finish(&d->batch);

	if (!len)
		return;
	send_dgram(s, d, d->buf, len);
	s->stats.sent_entries += d->batch.hdr.count;
	syncmsg_batch_reset(&d->batch);
}

static void add(struct sync *s, struct sync_daemon *d,
		const struct syncmsg_entry *e)
{
	if (syncmsg_batch_add(&d->batch, e) == 0)
		return;
	flush(s, d);
	syncmsg_batch_add(&d->batch, e);
}

struct emit_ctx {
	struct sync *s;
	struct sync_daemon *d;
};

static void emit_cb(void *ectx, const struct syncmsg_entry *e)
{
	struct emit_ctx *x = ectx;

	add(x->s, x->d, e);
}

void sync_event(struct sync *s, const struct syncmsg_entry *e)
{
	if (!sync_master_on(s))
		return;
	pthread_mutex_lock(&s->lock);
	if (s->nqueue == s->cap && s->cap < QUEUE_MAX) {
		unsigned int cap = s->cap ? 2 * s->cap : 256;
		struct syncmsg_entry *q = realloc(s->queue, cap * sizeof(*q));

		if (q) {
			s->queue = q;
			s->cap = cap;
		}
	}
	if (s->nqueue < s->cap)
		s->queue[s->nqueue++] = *e;
	else
		s->stats.queue_full++;	/* the next refresh carries it */
	pthread_mutex_unlock(&s->lock);
}

/* The master: the queue now, everything when it is time. */
static void master_tick(struct sync *s, struct sync_daemon *d, uint64_t now)
{
	struct emit_ctx x = { s, d };
	struct syncmsg_entry *q;
	unsigned int i, n;

	/* taken whole, so that the packet path never waits for a send */
	pthread_mutex_lock(&s->lock);
	q = s->queue;
	n = s->nqueue;
	if (n) {
		s->queue = NULL;
		s->nqueue = s->cap = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (n) {
		for (i = 0; i < n; i++)
			add(s, d, &q[i]);
		free(q);
	}
	if ((d->bulk && now >= d->last_bulk + BULK_MIN_GAP) || now >= d->next) {
		if (d->bulk)
			s->stats.bulk_sent++;
		s->env.walk(s->env.ctx, emit_cb, &x, now);
		d->bulk = false;
		d->last_bulk = now;
		d->next = now + d->conf.refresh_ms * NS_PER_MSEC;
	}
	flush(s, d);
}

/* The backup: asks for everything until a master answers. */
static void backup_tick(struct sync *s, struct sync_daemon *d, uint64_t now)
{
	struct syncmsg_hdr h = { .type = SYNCMSG_RESYNC,
				 .syncid = d->conf.syncid,
				 .sender = s->instance };
	uint8_t buf[SYNCMSG_HDR_LEN];

	if (d->heard || now < d->next)
		return;
	syncmsg_put_hdr(buf, &h);
	send_dgram(s, d, buf, sizeof(buf));
	s->stats.resync_asked++;
	d->next = now + ASK_EVERY;
}

void sync_tick(struct sync *s, uint64_t now)
{
	if (s->d[SYNC_MASTER].on)
		master_tick(s, &s->d[SYNC_MASTER], now);
	if (s->d[SYNC_BACKUP].on)
		backup_tick(s, &s->d[SYNC_BACKUP], now);
}

/* ---- receiving ----------------------------------------------------------- */

/* Unicast: only the peer may speak. */
static bool from_peer(const struct sync_daemon *d,
		      const struct sockaddr_storage *ss)
{
	if (d->mcast)
		return true;
	if (ss->ss_family == AF_INET && d->conf.group.family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       d->conf.group.v4.s_addr;
	if (ss->ss_family == AF_INET6 && d->conf.group.family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
			       &d->conf.group.v6, 16);
	return false;
}

static void receive(struct sync *s, enum sync_role role, uint64_t now)
{
	struct sync_daemon *d = &s->d[role];
	/* main thread only */
	static struct syncmsg_entry e[(DGRAM_MAX - SYNCMSG_HDR_LEN) /
				      SYNCMSG_ENTRY_LEN];
	static uint8_t buf[DGRAM_MAX + 1];
	struct sockaddr_storage ss;
	struct syncmsg_hdr h;
	enum syncmsg_err r;
	socklen_t sl;
	bool installed = false;
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {	/* then the others get a turn */
		sl = sizeof(ss);
		n = recvfrom(d->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&ss, &sl);
		if (n < 0)
			break;
		if (!from_peer(d, &ss)) {
			s->stats.foreign++;
			continue;
		}
		r = syncmsg_decode(buf, n, d->conf.syncid, &h, e,
				   sizeof(e) / sizeof(e[0]));
		if (r == SYNCMSG_OK && h.sender == s->instance)
			continue;	/* our own, looped back */
		if (r != SYNCMSG_OK) {
			if (!s->stats.dropped[r]++)
				log_warn("sync: a datagram dropped: %s",
					 syncmsg_strerror(r));
			continue;
		}
		s->stats.recv_msgs++;
		if (h.type == SYNCMSG_RESYNC && role == SYNC_MASTER) {
			d->bulk = true;
		} else if (h.type == SYNCMSG_ENTRIES && role == SYNC_BACKUP) {
			d->heard = true;
			s->stats.recv_entries += h.count;
			s->env.install(s->env.ctx, e, h.count, now);
			installed = true;
		}
	}
	if (installed && s->env.flush)
		s->env.flush(s->env.ctx);
}

int sync_pollfds(struct sync *s, struct pollfd *p, int max)
{
	int n = 0, r;

	for (r = 0; r < SYNC_ROLES && n < max; r++)
		if (s->d[r].on)
			p[n++] = (struct pollfd){ .fd = s->d[r].fd,
						  .events = POLLIN };
	return n;
}

void sync_handle(struct sync *s, const struct pollfd *p, int n, uint64_t now)
{
	int i, r;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		for (r = 0; r < SYNC_ROLES; r++)
			if (s->d[r].on && s->d[r].fd == p[i].fd)
				receive(s, r, now);
	}
}
