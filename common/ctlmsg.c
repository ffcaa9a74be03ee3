// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control protocol framing and request checks, for both ends of the socket.
 * Nothing here trusts the peer: lengths are checked before anything is read
 * into a buffer, and strings must end inside their arrays.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "ctlmsg.h"

#define IOV_PIECES	64		/* of one ctl_sendv() */

static const char *const type_names[NFLVS_CTL_TYPE_MAX] = {
	[NFLVS_CTL_INFO] = "INFO",
	[NFLVS_CTL_LIST] = "LIST",
	[NFLVS_CTL_CONNS] = "CONNS",
	[NFLVS_CTL_ADD_SERVICE] = "ADD_SERVICE",
	[NFLVS_CTL_EDIT_SERVICE] = "EDIT_SERVICE",
	[NFLVS_CTL_DEL_SERVICE] = "DEL_SERVICE",
	[NFLVS_CTL_ADD_DEST] = "ADD_DEST",
	[NFLVS_CTL_EDIT_DEST] = "EDIT_DEST",
	[NFLVS_CTL_DEL_DEST] = "DEL_DEST",
	[NFLVS_CTL_FLUSH] = "FLUSH",
	[NFLVS_CTL_ZERO] = "ZERO",
	[NFLVS_CTL_GET_TIMEOUT] = "GET_TIMEOUT",
	[NFLVS_CTL_SET_TIMEOUT] = "SET_TIMEOUT",
	[NFLVS_CTL_RELOAD] = "RELOAD",
	[NFLVS_CTL_BATCH] = "BATCH",
	[NFLVS_CTL_START_DAEMON] = "START_DAEMON",
	[NFLVS_CTL_STOP_DAEMON] = "STOP_DAEMON",
	[NFLVS_CTL_GET_DAEMON] = "GET_DAEMON",
	[NFLVS_CTL_SET_ROLE] = "SET_ROLE",
	[NFLVS_CTL_STATUS] = "STATUS",
	[NFLVS_CTL_CHECK] = "CHECK",
};

static bool type_valid(uint16_t type)
{
	return type >= NFLVS_CTL_INFO && type < NFLVS_CTL_TYPE_MAX;
}

const char *ctl_type_name(uint16_t type)
{
	return type_valid(type) ? type_names[type] : "?";
}

/* Until @deadline (CLOCK_MONOTONIC ns, 0: none), wait for @events on
 * @fd: 0, or -ETIMEDOUT. */
static int wait_io(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int r;

	if (!deadline)
		return 0;
	do {
		now = clock_mono_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

/* Sending ------------------------------------------------------------- */

void ctl_hdr_init(struct nflvs_ctl_hdr *hdr, uint16_t type, uint32_t seq,
		  int32_t status, uint32_t len)
{
	*hdr = (struct nflvs_ctl_hdr){
		.magic = NFLVS_CTL_MAGIC, .version = NFLVS_CTL_VERSION,
		.type = type, .seq = seq, .status = status, .len = len,
	};
}

int ctl_sendv(int fd, uint16_t type, uint32_t seq, int32_t status,
	      const struct iovec *iov, int iovcnt)
{
	return ctl_sendv_until(fd, type, seq, status, iov, iovcnt, 0);
}

int ctl_sendv_until(int fd, uint16_t type, uint32_t seq, int32_t status,
		    const struct iovec *iov, int iovcnt, uint64_t deadline)
{
	struct iovec v[IOV_PIECES + 1];
	struct nflvs_ctl_hdr hdr;
	struct msghdr msg = { .msg_iov = v };
	size_t total = 0;
	int i, n = 0;

	if (!type_valid(type) || iovcnt < 0 || iovcnt > IOV_PIECES)
		return -EINVAL;
	v[n++] = (struct iovec){ &hdr, sizeof(hdr) };
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > NFLVS_CTL_MAX_LEN - total)
			return -EMSGSIZE;
		total += iov[i].iov_len;
		if (iov[i].iov_len)
			v[n++] = iov[i];
	}
	ctl_hdr_init(&hdr, type, seq, status, (uint32_t)total);
	msg.msg_iovlen = n;
	while (msg.msg_iovlen) {
		ssize_t w;
		int err = wait_io(fd, POLLOUT, deadline);

		if (err < 0)
			return err;
		w = sendmsg(fd, &msg, MSG_NOSIGNAL | (deadline ? MSG_DONTWAIT : 0));
		if (w < 0 && (errno == EINTR || (deadline && errno == EAGAIN)))
			continue;
		if (w < 0)
			return -errno;
		/* Skip what was written, whole pieces first. */
		while (msg.msg_iovlen && (size_t)w >= msg.msg_iov->iov_len) {
			w -= msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			char *base = msg.msg_iov->iov_base;

			msg.msg_iov->iov_base = base + w;
			msg.msg_iov->iov_len -= w;
		}
	}
	return 0;
}

int ctl_send(int fd, uint16_t type, uint32_t seq, int32_t status,
	     const void *payload, uint32_t len)
{
	return ctl_send_until(fd, type, seq, status, payload, len, 0);
}

int ctl_send_until(int fd, uint16_t type, uint32_t seq, int32_t status,
		   const void *payload, uint32_t len, uint64_t deadline)
{
	struct iovec iov = { (void *)payload, len };

	return ctl_sendv_until(fd, type, seq, status, &iov, len ? 1 : 0,
			       deadline);
}

/* Receiving ----------------------------------------------------------- */

/* Read up to @len bytes by @deadline; fewer only at EOF.  Returns the
 * count or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len, uint64_t deadline)
{
	size_t got = 0;
	int err;

	while (got < len) {
		ssize_t r;

		if ((err = wait_io(fd, POLLIN, deadline)) < 0)
			return err;
		r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && deadline && errno == EAGAIN)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

int ctl_check_hdr(const struct nflvs_ctl_hdr *hdr)
{
	if (hdr->magic != NFLVS_CTL_MAGIC)
		return -EPROTO;
	if (hdr->version != NFLVS_CTL_VERSION)
		return -EPROTONOSUPPORT;
	if (hdr->len > NFLVS_CTL_MAX_LEN)
		return -EMSGSIZE;
	if (!type_valid(hdr->type))
		return -EOPNOTSUPP;
	return 0;
}

int ctl_recv_hdr(int fd, struct nflvs_ctl_hdr *hdr)
{
	return ctl_recv_hdr_until(fd, hdr, 0);
}

int ctl_recv_hdr_until(int fd, struct nflvs_ctl_hdr *hdr, uint64_t deadline)
{
	ssize_t n = read_full(fd, hdr, sizeof(*hdr), deadline);
	int err;

	if (n <= 0)
		return n;
	if ((size_t)n < sizeof(*hdr))
		return -ECONNRESET;
	err = ctl_check_hdr(hdr);
	return err && err != -EOPNOTSUPP ? err : 1;
}

int ctl_recv_payload(int fd, void *buf, uint32_t len)
{
	return ctl_recv_payload_until(fd, buf, len, 0);
}

int ctl_recv_payload_until(int fd, void *buf, uint32_t len, uint64_t deadline)
{
	ssize_t n = read_full(fd, buf, len, deadline);

	if (n < 0)
		return n;
	return (size_t)n < len ? -ECONNRESET : 0;
}

/* Read and drop @len bytes, to stay in step after an unknown type. */
static int discard(int fd, uint32_t len)
{
	char junk[4096];
	int err;

	while (len) {
		uint32_t n = len < sizeof(junk) ? len : sizeof(junk);

		err = ctl_recv_payload(fd, junk, n);
		if (err)
			return err;
		len -= n;
	}
	return 0;
}

/* The header of one message, checked: 1 when its payload (at most
 * @maxlen bytes, @batch_maxlen for a BATCH) is next, else as ctl_recv(). */
static int recv_head(int fd, struct nflvs_ctl_hdr *hdr, uint32_t maxlen,
		     uint32_t batch_maxlen)
{
	int r = ctl_recv_hdr(fd, hdr);

	if (r <= 0)
		return r;
	if (!type_valid(hdr->type)) {
		r = discard(fd, hdr->len);
		return r ? r : -EOPNOTSUPP;
	}
	if (hdr->len > (hdr->type == NFLVS_CTL_BATCH ? batch_maxlen : maxlen))
		return -EMSGSIZE;
	return 1;
}

int ctl_recv(int fd, struct nflvs_ctl_hdr *hdr, void *buf, uint32_t maxlen)
{
	int r = recv_head(fd, hdr, maxlen, maxlen);

	if (r <= 0 || !hdr->len)
		return r;
	r = ctl_recv_payload(fd, buf, hdr->len);
	return r ? r : 1;
}

int ctl_recv_alloc(int fd, struct nflvs_ctl_hdr *hdr, void **buf,
		   uint32_t maxlen, uint32_t batch_maxlen)
{
	int r = recv_head(fd, hdr, maxlen, batch_maxlen);

	*buf = NULL;
	if (r <= 0)
		return r;
	/* 8-aligned, and never empty, so that *buf is freed alike */
	*buf = malloc(hdr->len ? hdr->len : 1);
	if (!*buf)
		return -ENOMEM;
	r = hdr->len ? ctl_recv_payload(fd, *buf, hdr->len) : 0;
	if (r) {
		free(*buf);
		*buf = NULL;
		return r;
	}
	return 1;
}

/* Request checks ------------------------------------------------------ */

int ctl_check_request_len(uint16_t type, uint32_t len)
{
	const uint32_t svc = sizeof(struct nflvs_ctl_svc);

	switch (type) {
	case NFLVS_CTL_INFO:
	case NFLVS_CTL_CONNS:
	case NFLVS_CTL_FLUSH:
	case NFLVS_CTL_GET_TIMEOUT:
	case NFLVS_CTL_RELOAD:
	case NFLVS_CTL_GET_DAEMON:
		return len == 0 ? 0 : -EINVAL;
	case NFLVS_CTL_START_DAEMON:
	case NFLVS_CTL_STOP_DAEMON:
		return len == sizeof(struct nflvs_ctl_daemon) ? 0 : -EINVAL;
	case NFLVS_CTL_STATUS:
	case NFLVS_CTL_CHECK:
		return len == 0 ? 0 : -EINVAL;
	case NFLVS_CTL_SET_ROLE:
		return len == sizeof(struct nflvs_ctl_role) ? 0 : -EINVAL;
	case NFLVS_CTL_LIST:
	case NFLVS_CTL_ZERO:
		return len == 0 || len == svc ? 0 : -EINVAL;
	case NFLVS_CTL_ADD_SERVICE:
	case NFLVS_CTL_EDIT_SERVICE:
	case NFLVS_CTL_DEL_SERVICE:
		return len == svc ? 0 : -EINVAL;
	case NFLVS_CTL_ADD_DEST:
	case NFLVS_CTL_EDIT_DEST:
	case NFLVS_CTL_DEL_DEST:
		return len == svc + sizeof(struct nflvs_ctl_dest) ? 0 : -EINVAL;
	case NFLVS_CTL_SET_TIMEOUT:
		return len == sizeof(struct nflvs_ctl_timeout) ? 0 : -EINVAL;
	case NFLVS_CTL_BATCH:
		return len >= sizeof(struct nflvs_ctl_hdr) &&
		       len <= NFLVS_CTL_BATCH_MAX ? 0 : -EINVAL;
	default:
		return -EOPNOTSUPP;
	}
}

int ctl_check_daemon(const struct nflvs_ctl_daemon *d, bool start,
		     const char **why)
{
	static const uint8_t zero[16];
	size_t n = strnlen(d->mcast_ifn, sizeof(d->mcast_ifn));

	if (d->state != NFLVS_CTL_DAEMON_MASTER &&
	    d->state != NFLVS_CTL_DAEMON_BACKUP) {
		*why = "state must be master or backup";
		return -EINVAL;
	}
	if (!start)
		return 0;
	if (n == sizeof(d->mcast_ifn) || !n) {
		*why = "invalid interface name";
		return -EINVAL;
	}
	if (d->syncid > 255) {
		*why = "syncid out of range (0-255)";
		return -EINVAL;
	}
	if (d->sync_maxlen > 65535 - 20 - 8) {
		*why = "sync-maxlen out of range";
		return -EINVAL;
	}
	if (d->mcast_family != 0 && d->mcast_family != AF_INET &&
	    d->mcast_family != AF_INET6) {
		*why = "unknown address family of the group";
		return -EINVAL;
	}
	if (!d->mcast_family && memcmp(d->mcast_group, zero, sizeof(zero))) {
		*why = "a group with no address family";
		return -EINVAL;
	}
	return 0;
}

bool ctl_batchable(uint16_t type)
{
	switch (type) {
	case NFLVS_CTL_ADD_SERVICE:
	case NFLVS_CTL_EDIT_SERVICE:
	case NFLVS_CTL_DEL_SERVICE:
	case NFLVS_CTL_ADD_DEST:
	case NFLVS_CTL_EDIT_DEST:
	case NFLVS_CTL_DEL_DEST:
	case NFLVS_CTL_FLUSH:
		return true;
	default:
		return false;
	}
}

int ctl_batch_next(const void *buf, uint32_t len, uint32_t *off,
		   struct nflvs_ctl_hdr *sub, const void **payload)
{
	const uint8_t *b = buf;

	if (*off == len)
		return 0;
	if (*off > len || len - *off < sizeof(*sub))
		return -EPROTO;
	memcpy(sub, b + *off, sizeof(*sub));	/* @buf need not be aligned */
	if (sub->magic != NFLVS_CTL_MAGIC || sub->version != NFLVS_CTL_VERSION ||
	    !ctl_batchable(sub->type) ||
	    ctl_check_request_len(sub->type, sub->len) < 0 ||
	    len - *off - sizeof(*sub) < sub->len)
		return -EPROTO;
	*payload = b + *off + sizeof(*sub);
	*off += sizeof(*sub) + sub->len;
	return 1;
}

#define FAIL(msg)	do { *why = (msg); return -EINVAL; } while (0)

/* NUL inside the array, and nothing unprintable before it. */
static bool str_ok(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	if (!end)
		return false;
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

/* An address of @family whose unused bytes are zero (it is a key). */
static int addr_check(uint8_t family, const uint8_t *addr, const char **why)
{
	if (family == AF_INET6)
		return 0;
	if (family != AF_INET)
		FAIL("address family is neither IPv4 nor IPv6");
	if (!zero(addr + 4, 12))
		FAIL("IPv4 address with bytes set past the fourth");
	return 0;
}

int ctl_check_svc_id(const struct nflvs_ctl_svc *s, const char **why)
{
	if (s->fwmark) {
		if (s->family != AF_INET && s->family != AF_INET6)
			FAIL("address family is neither IPv4 nor IPv6");
		if (s->protocol || s->port || !zero(s->addr, sizeof(s->addr)))
			FAIL("a fwmark service has no protocol, address or "
			     "port");
		return 0;
	}
	if (addr_check(s->family, s->addr, why))
		return -EINVAL;
	if (s->protocol != IPPROTO_TCP && s->protocol != IPPROTO_UDP &&
	    s->protocol != IPPROTO_SCTP)
		FAIL("protocol is not TCP, UDP or SCTP");
	return 0;
}

static int sched_check(const struct nflvs_ctl_svc *s, const char **why)
{
	const uint32_t sh = SCHED_F_SH_PORT | SCHED_F_SH_FALLBACK;
	const uint32_t mh = SCHED_F_MH_PORT | SCHED_F_MH_FALLBACK;
	bool keep;

	if (!str_ok(s->sched, sizeof(s->sched)))
		FAIL("scheduler name is not a terminated string");
	keep = !s->sched[0];
	if (!keep && !sched_name_valid(s->sched)) {
		*why = "unknown scheduler";
		return -ENOENT;
	}
	if (s->sched_flags & ~(sh | mh))
		FAIL("unknown scheduler flags");
	if ((s->sched_flags & sh) && (s->sched_flags & mh))
		FAIL("sh-* and mh-* scheduler flags together");
	if ((s->sched_flags & sh) && !keep && strcmp(s->sched, "sh"))
		FAIL("sh-port and sh-fallback need the sh scheduler");
	if ((s->sched_flags & mh) && !keep && strcmp(s->sched, "mh"))
		FAIL("mh-port and mh-fallback need the mh scheduler");
	return 0;
}

int ctl_check_svc(const struct nflvs_ctl_svc *s, const char **why)
{
	const uint32_t known = NFLVS_CTL_SVC_F_PERSISTENT |
			       NFLVS_CTL_SVC_F_ONEPACKET;
	uint32_t bits = s->family == AF_INET6 ? 128 : 32;
	int err;

	err = ctl_check_svc_id(s, why);
	if (!err)
		err = sched_check(s, why);
	if (err)
		return err;
	if (s->flags & ~known)
		FAIL("unknown service flags");
	if (!s->fwmark && !s->port && !(s->flags & NFLVS_CTL_SVC_F_PERSISTENT))
		FAIL("port 0 (any port) needs a persistent service");
	if ((s->flags & NFLVS_CTL_SVC_F_ONEPACKET) && !s->fwmark &&
	    s->protocol != IPPROTO_UDP)
		FAIL("one-packet scheduling is only for UDP services");
	if ((s->flags & NFLVS_CTL_SVC_F_PERSISTENT) &&
	    (s->timeout < 1 || s->timeout > NFLVS_CTL_MAX_TIMEOUT))
		FAIL("persistence timeout out of range (1..2678400)");
	if (s->netmask < 1 || s->netmask > bits)
		FAIL(bits == 32 ? "persistence netmask out of range (1..32)" :
		     "persistence netmask out of range (1..128)");
	if (!str_ok(s->name, sizeof(s->name)))
		FAIL("service name is not a terminated printable string");
	return 0;
}

static int tun_check(const struct nflvs_ctl_dest *d, const char **why)
{
	const uint8_t csum = NFLVS_CTL_TUN_F_CSUM;
	const uint8_t rem = NFLVS_CTL_TUN_F_REMCSUM;

	if (d->fwd != NFLVS_CTL_FWD_TUN) {
		if (d->tun_type || d->tun_flags || d->tun_port)
			FAIL("tunnel options conflict with forward method");
		return 0;
	}
	switch (d->tun_type) {
	case NFLVS_CTL_TUN_IPIP:
		if (d->tun_port || d->tun_flags)
			FAIL("an ipip tunnel has no port or checksum options");
		return 0;
	case NFLVS_CTL_TUN_GUE:
		if (!d->tun_port)
			FAIL("a gue tunnel needs a port");
		if (d->tun_flags & ~(csum | rem) ||
		    (d->tun_flags & csum && d->tun_flags & rem))
			FAIL("a gue tunnel takes one of csum and remcsum");
		return 0;
	case NFLVS_CTL_TUN_GRE:
		if (d->tun_port)
			FAIL("a gre tunnel has no port");
		if (d->tun_flags & ~csum)
			FAIL("a gre tunnel takes only the csum flag");
		return 0;
	default:
		FAIL("tunnel type is not ipip, gue or gre");
	}
}

int ctl_check_dest(uint16_t type, const struct nflvs_ctl_svc *svc,
		   const struct nflvs_ctl_dest *d, const char **why)
{
	if (addr_check(d->family, d->addr, why))
		return -EINVAL;
	if (type == NFLVS_CTL_DEL_DEST)
		return 0;
	if (type != NFLVS_CTL_ADD_DEST && type != NFLVS_CTL_EDIT_DEST)
		FAIL("not a real-server request");
	if (d->fwd > NFLVS_CTL_FWD_TUN)
		FAIL("forwarding method is not NAT, DR or TUN");
	if (d->weight < 0 || d->weight > 65535)
		FAIL("weight out of range (0..65535)");
	if (d->u_threshold > INT_MAX || d->l_threshold > INT_MAX)
		FAIL("connection threshold out of range");
	if (tun_check(d, why))
		return -EINVAL;
	if (!svc)
		return 0;
	if (d->family != svc->family && d->fwd != NFLVS_CTL_FWD_TUN)
		FAIL("different address family is allowed only for tunneling "
		     "servers");
	if (!svc->fwmark && d->fwd != NFLVS_CTL_FWD_NAT &&
	    d->port != svc->port)
		FAIL("a DR or TUN real server has the service's port");
	return 0;
}

int ctl_check_timeout(const struct nflvs_ctl_timeout *t, const char **why)
{
	const uint32_t max = NFLVS_CTL_MAX_TIMEOUT;

	if (t->tcp > max || t->tcp_fin > max || t->udp > max)
		FAIL("timeout out of range (0..2678400)");
	return 0;
}
