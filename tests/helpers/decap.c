// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-decap: the tunnel end of an IPVS-style TUN real server, in user
 * space, for test kernels without the ipip, ip6_tunnel, ip_gre, ip6_gre and
 * fou modules.  A test helper, not a product: on a kernel that has those
 * modules, use them (contrib/nflvs-realserver), as a real server would.
 * Run it inside the real server's network namespace:
 *	ip netns exec NS nflvs-decap --type ipip ...
 *
 * Conventions, as nflvs-testnet's: results on stdout, diagnostics on
 * stderr; exit 0 = success, 1 = failure, 2 = bad arguments (a message and a
 * `Usage:' line on stderr); ADDR is a numeric IPv4 or IPv6 address, IPv6
 * bare or in brackets; SIGTERM and SIGINT end every command cleanly (exit
 * 0); nothing waits without a deadline; no allocation per packet.
 *
 * nflvs-decap --type ipip|gre|gue [--port P] [--dev NAME] [--ready-file F]
 *             [--stats-file F]
 *	Creates the TUN device NAME (default decap0, IFF_TUN|IFF_NO_PI), sets
 *	it up and its net.ipv4.conf.NAME.rp_filter to 0, then receives the
 *	outer packets, over IPv4 and IPv6 alike:
 *	  ipip  raw sockets for IP protocols 4 (IPv4 inside) and 41 (IPv6
 *		inside), as IPVS's ipip (tunl0 / ip6tnl0 / sit0 decapsulate);
 *	  gre   raw sockets for IP protocol 47: GRE version 0 without routing,
 *		protocol 0x0800 or 0x86DD; a checksum (C bit) must be right; a
 *		key and a sequence number are skipped;
 *	  gue   UDP sockets on port P (required) of 0.0.0.0 and [::]: GUE
 *		version 0 (4 bytes: ver 0, C 0, hlen, proto 4 or 41, flags;
 *		the private flags word may carry remote checksum offload, which
 *		is applied as the kernel's fou does; start and offset must be
 *		even), or "version 1", the inner IPv4 or IPv6 packet directly.
 *		A zero UDP checksum is accepted over IPv6 too (UDP_NO_CHECK6_RX,
 *		as fou sets it: IPVS sends zero checksums unless told `csum');
 *		a wrong non-zero one is dropped by the kernel, unseen here.
 *	The inner packet (its header must be sane and its length fit) is
 *	written unchanged to the device, so the kernel receives it as if it
 *	had come from a tunnel device.  The stats file is written before the
 *	ready file is created, then rewritten (atomically) at most every 100 ms
 *	while counters change, and at exit:
 *		received N decapsulated N bad N errors N
 *	received = decapsulated + bad + errors; bad = malformed, wrong
 *	checksum, unsupported; errors = the device refused the write.  The
 *	first bad packets are explained on stderr.  At exit the same line goes
 *	to stdout.  Exit 1 if the device or a socket cannot be set up (a
 *	kernel without IPv6 only loses the IPv6 sockets, with a warning).
 *
 *	What the real server's namespace needs, besides the VIP on lo:
 *	  net.ipv4.conf.all.rp_filter = 0.  The kernel applies the larger of
 *	  the `all' and NAME values (NAME's own is set to 0 here), and since
 *	  NAME has no IPv4 address, loose mode (2) refuses IPv4 packets from
 *	  it just as strict mode (1) does (__fib_validate_source: no_addr).
 *	  Nothing else: no accept_local (the inner source is the client's),
 *	  no route via NAME (answers leave by the normal routes, from the
 *	  VIP).  IPv6 has no reverse-path check.  A warning says so at start
 *	  if `all' is not 0.
 *
 * nflvs-decap encap --type ipip|gre|gue --to ADDR [--from ADDR] [--port P]
 *             [--dev NAME] [--mtu N] [--csum] [--key K] [--seq] [--direct]
 *             [--remcsum] [--corrupt] [--ready-file F] [--stats-file F]
 *	The other end, to test the first one with no director: creates the TUN
 *	device NAME (default encap0, MTU N, default 1400) and sends every
 *	packet routed to it to ADDR, encapsulated as IPVS does (the outer
 *	family is ADDR's, the source --from or the one the route gives).
 *	--csum: a GRE checksum, or a UDP checksum for GUE (default 0, as
 *	IPVS's nocsum); --key K, --seq: GRE key and sequence number; --direct:
 *	GUE version 1; --remcsum: GUE remote checksum offload (TCP and UDP
 *	inner packets leave with the pseudo-header sum in their checksum
 *	field); --corrupt: a wrong GRE or UDP checksum (implies --csum).
 *	Stats file and exit line: read N sent N skipped N errors N
 *	(skipped: not an IPv4 or IPv6 packet; errors: the send failed).
 *
 * nflvs-decap send --to ADDR (--proto N | --port P) --hex HEX [--from ADDR]
 *	One datagram whose payload is HEX: on a raw socket of IP protocol N
 *	(the kernel adds the IP header), or to UDP port P.  "sent BYTES",
 *	exit 0.  For tests of what must be refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "tool.h"

#define PROG		"nflvs-decap"
#define PKT_MAX		65535
#define HEADROOM	64	/* encap: room for the headers before a packet */
#define BATCH		64	/* packets per socket per wakeup */
#define STATS_MS	100	/* stats file: at most this often */
#define IDLE_MS		1000	/* longest sleep */
#define BAD_LOGGED	10	/* bad packets explained on stderr */
#define MAX_SOCKS	4

#define GRE_CSUM	0x8000
#define GRE_ROUTING	0x4000
#define GRE_KEY		0x2000
#define GRE_SEQ		0x1000
#define GRE_VERSION	0x0007
#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd

#define GUE_FLAG_PRIV	 0x0001		/* host order of the 16-bit flags */
#define GUE_PFLAG_REMCSUM 0x80000000u	/* host order of the private word */

#ifndef UDP_NO_CHECK6_RX
#define UDP_NO_CHECK6_RX 102
#endif

enum tun_type { TUN_IPIP, TUN_GRE, TUN_GUE };

static const char *const type_names[] = { "ipip", "gre", "gue" };

static int usage(const char *cmd);

/* Sleep in ppoll() for at most @ms; -errno on a real error. */
static int wait_fds(struct pollfd *pfd, nfds_t n, int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	if (ppoll(pfd, n, &ts, &wait_mask) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

/* Files ----------------------------------------------------------------- */

/* A counter line, kept in a file and printed at exit. */
struct stats_file {
	const char *path;
	char last[160];		/* what the file holds */
	int64_t written_at;
	bool failed;		/* a write failed once: said so already */
};

static void stats_update(struct stats_file *sf, const char *line, bool now)
{
	int err;

	if (!sf->path || !strcmp(line, sf->last))
		return;
	if (!now && now_ms() < sf->written_at + STATS_MS)
		return;
	err = file_replace(sf->path, line);
	if (err < 0) {
		if (!sf->failed)
			fprintf(stderr, PROG ": %s: %s\n", sf->path, strerror(-err));
		sf->failed = true;
		return;
	}
	snprintf(sf->last, sizeof(sf->last), "%s", line);
	sf->written_at = now_ms();
}

/* How long the loop may sleep so that a pending update is not late. */
static int64_t stats_sleep(const struct stats_file *sf, const char *line)
{
	int64_t left;

	if (!sf->path || !strcmp(line, sf->last))
		return IDLE_MS;
	left = sf->written_at + STATS_MS - now_ms();
	return left < 0 ? 0 : left;
}

/*
 * What decap and encap share: the descriptors to wait on, what to do when
 * one is readable, the counter line, and the ready and stats files.
 */
struct runner {
	const char *who;		/* for messages */
	const char *ready;		/* --ready-file */
	struct stats_file sf;		/* --stats-file */
	struct pollfd pfd[MAX_SOCKS];
	nfds_t nfds;
	void *ctx;
	void (*drain)(void *ctx, nfds_t i);
	void (*line)(const void *ctx, char *buf, size_t len);
};

/*
 * Write the stats, create the ready file, then serve the descriptors until
 * a stop signal; the last counters go to the stats file and to stdout.
 */
static int runner_run(struct runner *r)
{
	char line[160];
	int err;
	nfds_t i;

	r->line(r->ctx, line, sizeof(line));
	stats_update(&r->sf, line, true);
	if (r->ready && (err = file_touch(r->ready)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", r->who, r->ready, strerror(-err));
		return 1;
	}
	for (err = 0; !stop_requested && !err; ) {
		err = wait_fds(r->pfd, r->nfds, stats_sleep(&r->sf, line));
		if (err < 0)
			fprintf(stderr, "%s: ppoll: %s\n", r->who, strerror(-err));
		for (i = 0; !err && i < r->nfds; i++)
			if (r->pfd[i].revents)
				r->drain(r->ctx, i);
		r->line(r->ctx, line, sizeof(line));
		stats_update(&r->sf, line, !!err);
	}
	stats_update(&r->sf, line, true);
	fputs(line, stdout);
	return err ? 1 : 0;
}

/* Arguments ------------------------------------------------------------- */

/* "10.0.0.1", "2001:db8::1" or "[2001:db8::1]". */
static int opt_addr(const char *cmd, const char *arg, struct nflvs_addr *a)
{
	if (parse_host(arg, a) == 0)
		return 0;
	fprintf(stderr, "%s: Unable to parse IP address: `%s'\n", cmd, arg);
	return -1;
}

static int opt_type(const char *cmd, const char *arg, enum tun_type *t)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (!strcmp(arg, type_names[i])) {
			*t = (enum tun_type)i;
			return 0;
		}
	}
	fprintf(stderr, "%s: unknown tunnel type `%s' (ipip, gre or gue)\n",
		cmd, arg);
	return -1;
}

static int opt_dev(const char *cmd, const char *arg)
{
	size_t n = strlen(arg), i;

	for (i = 0; i < n; i++)
		if (arg[i] <= ' ' || arg[i] == '/' || arg[i] == ':' ||
		    (unsigned char)arg[i] >= 0x7f)
			break;
	if (n && n < IFNAMSIZ && i == n && strcmp(arg, ".") && strcmp(arg, ".."))
		return 0;
	fprintf(stderr, "%s: invalid device name `%s'\n", cmd, arg);
	return -1;
}

/* Decapsulation: pure, on plain buffers ----------------------------------- */

/* GUE remote checksum offload: where the sum starts, where it goes. */
struct remcsum {
	bool present;
	uint16_t start, offset;
};

/* The inner packet within a received buffer. */
struct inner {
	size_t off, len;
};

/* An AF_INET raw socket delivers the outer IPv4 header: skip it. */
static const char *outer4_skip(const uint8_t *p, size_t len, int proto,
			       size_t *off)
{
	size_t ihl;

	if (len < 20 || p[0] >> 4 != 4)
		return "outer IPv4 header truncated";
	ihl = (size_t)(p[0] & 15) * 4;
	if (ihl < 20 || ihl > len)
		return "outer IPv4 header length";
	if (p[9] != proto)
		return "outer protocol";
	*off = ihl;
	return NULL;
}

/* The inner packet must be of the family @proto says and fit in @len. */
static const char *inner_check(const uint8_t *p, size_t len, int proto,
			       size_t *ilen)
{
	size_t n;

	if (proto == IPPROTO_IPIP) {
		if (len < 1 || p[0] >> 4 != 4)
			return "inner packet not IPv4";
		if (len < 20)
			return "inner IPv4 header truncated";
		n = get16(p + 2);
		if ((size_t)(p[0] & 15) * 4 < 20 || n < (size_t)(p[0] & 15) * 4 ||
		    n > len)
			return "inner IPv4 header or length";
	} else if (proto == IPPROTO_IPV6) {
		if (len < 1 || p[0] >> 4 != 6)
			return "inner packet not IPv6";
		if (len < 40)
			return "inner IPv6 header truncated";
		n = 40 + (size_t)get16(p + 4);
		if (n > len)
			return "inner IPv6 length";
	} else {
		return "inner protocol not 4 or 41";
	}
	*ilen = n;	/* anything after it is padding */
	return NULL;
}

static const char *gre_parse(const uint8_t *p, size_t len, size_t *hlen,
			     int *proto)
{
	uint16_t flags, ptype;

	if (len < 4)
		return "GRE header truncated";
	flags = get16(p);
	ptype = get16(p + 2);
	if (flags & GRE_VERSION)
		return "GRE version not 0";
	if (flags & GRE_ROUTING)
		return "GRE routing";
	*hlen = 4 + (flags & GRE_CSUM ? 4 : 0) + (flags & GRE_KEY ? 4 : 0) +
		(flags & GRE_SEQ ? 4 : 0);
	if (len < *hlen)
		return "GRE header truncated";
	/* RFC 2784: over the GRE header and the payload */
	if ((flags & GRE_CSUM) && csum_fold(csum_add(0, p, len)) != 0xffff)
		return "GRE checksum";
	if (ptype == ETH_IPV4)
		*proto = IPPROTO_IPIP;
	else if (ptype == ETH_IPV6)
		*proto = IPPROTO_IPV6;
	else
		return "GRE protocol not IPv4 or IPv6";
	return NULL;
}

/* The private flags: the kernel's fou knows remote checksum offload only. */
static const char *gue_private(const uint8_t *opt, size_t optlen,
			       struct remcsum *rc)
{
	uint32_t pflags;

	if (optlen < 4)
		return "GUE options shorter than their flags";
	pflags = get32(opt);
	if (pflags & ~GUE_PFLAG_REMCSUM)
		return "GUE private flags";
	if (!(pflags & GUE_PFLAG_REMCSUM))
		return NULL;
	if (optlen < 8)
		return "GUE options shorter than their flags";
	rc->present = true;
	rc->start = get16(opt + 4);
	rc->offset = get16(opt + 6);
	return NULL;
}

/* The UDP payload: a GUE header, or (version 1) the inner packet itself. */
static const char *gue_parse(const uint8_t *p, size_t len, size_t *hlen,
			     int *proto, struct remcsum *rc)
{
	size_t optlen;
	uint16_t flags;

	if (len < 1)
		return "GUE payload empty";
	if (p[0] >> 6 == 1) {
		*hlen = 0;
		*proto = p[0] >> 4 == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
		return p[0] >> 4 == 4 || p[0] >> 4 == 6 ? NULL :
		       "GUE version 1 but not IPv4 or IPv6";
	}
	if (p[0] >> 6 != 0)
		return "GUE version not 0 or 1";
	if (len < 4)
		return "GUE header truncated";
	if (p[0] & 0x20)
		return "GUE control message";
	optlen = (size_t)(p[0] & 0x1f) * 4;
	if (len < 4 + optlen)
		return "GUE header truncated";
	flags = get16(p + 2);
	if (flags & ~GUE_FLAG_PRIV)
		return "GUE flags";
	if (flags & GUE_FLAG_PRIV) {
		const char *why = gue_private(p + 4, optlen, rc);

		if (why)
			return why;
	}
	if (p[1] != IPPROTO_IPIP && p[1] != IPPROTO_IPV6)
		return "GUE protocol not 4 or 41";
	*proto = p[1];
	*hlen = 4 + optlen;
	return NULL;
}

/*
 * As the kernel's skb_remcsum_process(): the field at @offset holds the
 * pseudo-header sum; the sum from @start to the end, folded and inverted,
 * replaces it.
 */
static const char *remcsum_apply(uint8_t *p, size_t len,
				 const struct remcsum *rc)
{
	if (rc->start > rc->offset || (size_t)rc->offset + 2 > len ||
	    (rc->start & 1) || (rc->offset & 1))
		return "GUE remote checksum start or offset";
	put16(p + rc->offset, csum_buf(p + rc->start, len - rc->start));
	return NULL;
}

/*
 * @p as a socket of @family and @proto of a @type tunnel delivers it.  NULL
 * and @in filled, or why the packet is bad.  GUE remote checksum offload is
 * applied in place.
 */
static const char *decap_parse(enum tun_type type, int family, int proto,
			       uint8_t *p, size_t len, struct inner *in)
{
	struct remcsum rc = { .present = false };
	const char *why = NULL;
	size_t off = 0, hlen = 0;
	int iproto = proto;

	if (family == AF_INET && type != TUN_GUE)
		why = outer4_skip(p, len, proto, &off);
	if (!why && type == TUN_GRE)
		why = gre_parse(p + off, len - off, &hlen, &iproto);
	else if (!why && type == TUN_GUE)
		why = gue_parse(p, len, &hlen, &iproto, &rc);
	if (why)
		return why;
	off += hlen;
	why = inner_check(p + off, len - off, iproto, &in->len);
	if (!why && rc.present)
		why = remcsum_apply(p + off, in->len, &rc);
	in->off = off;
	return why;
}

/* Devices --------------------------------------------------------------- */

/* A TUN device @name, up, with @mtu (0: as created); the fd or -errno. */
static int tun_create(const char *name, int mtu)
{
	struct ifreq ifr;
	int fd, s, err = 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		err = -errno;
	ifr.ifr_mtu = mtu;
	if (!err && mtu && ioctl(s, SIOCSIFMTU, &ifr) < 0)
		err = -errno;
	if (!err && ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	if (s >= 0)
		close(s);
	if (err) {
		close(fd);	/* the device goes with its last fd */
		return err;
	}
	return fd;
}

static int sysctl_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * The inner source is routed elsewhere, so a strict reverse-path check
 * drops every IPv4 inner packet.  The device's own value we own; `all' is
 * the namespace's, so only a warning.
 */
static void rp_filter_relax(const char *dev)
{
	char path[128], val[16];
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", dev);
	err = sysctl_write(path, "0");
	if (err < 0)
		fprintf(stderr, PROG ": warning: %s: %s\n", path, strerror(-err));
	if (sysctl_read("/proc/sys/net/ipv4/conf/all/rp_filter", val,
			sizeof(val)) == 0 && atoi(val) != 0)
		fprintf(stderr, PROG ": warning: net.ipv4.conf.all.rp_filter is %d: "
			"%s has no IPv4 address, so the kernel will drop every "
			"IPv4 inner packet; set it to 0\n", atoi(val), dev);
}

/* decap ----------------------------------------------------------------- */

struct dsock {
	int fd;
	int family;
	int proto;	/* raw: the IP protocol; gue: IPPROTO_UDP */
};

struct decap_stats {
	unsigned long long received, decapsulated, bad, errors;
};

struct decap {
	enum tun_type type;
	uint16_t port;
	const char *dev;
	int tun_fd;
	struct dsock socks[MAX_SOCKS];
	size_t nsocks;
	struct decap_stats st;
	struct runner run;
	int last_write_err;	/* said once per errno */
	uint8_t buf[PKT_MAX + 1];
};

static void decap_line(const void *ctx, char *buf, size_t len)
{
	const struct decap *d = ctx;

	snprintf(buf, len, "received %llu decapsulated %llu bad %llu errors %llu\n",
		 d->st.received, d->st.decapsulated, d->st.bad, d->st.errors);
}

static int gue_socket(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	struct nflvs_addr any = { .family = (uint8_t)family };
	socklen_t len;
	int fd, one = 1, err = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6 &&
	    (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	     setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_RX, &one, sizeof(one)) < 0))
		err = -errno;
	addr_sockaddr(&any, port, &ss, &len);
	if (!err && bind(fd, (struct sockaddr *)&ss, len) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* One receiving socket; a kernel without IPv6 is not an error. */
static int decap_socket(struct decap *d, int family, int proto)
{
	struct dsock *s = &d->socks[d->nsocks];
	int fd, rcvbuf = 8 << 20;

	if (d->type == TUN_GUE)
		fd = gue_socket(family, d->port);
	else if ((fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			      proto)) < 0)
		fd = -errno;
	if (fd == -EAFNOSUPPORT && family == AF_INET6) {
		fprintf(stderr, PROG ": warning: no IPv6 in this kernel\n");
		return 0;
	}
	if (fd < 0) {
		fprintf(stderr, PROG ": %s socket, protocol %d: %s\n",
			family == AF_INET6 ? "IPv6" : "IPv4", proto, strerror(-fd));
		return -1;
	}
	/* a burst from a director must not overflow the default buffer:
	 * lost outer packets would be the test helper's, not the tunnel's */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	s->fd = fd;
	s->family = family;
	s->proto = d->type == TUN_GUE ? IPPROTO_UDP : proto;
	d->nsocks++;
	return 0;
}

static int decap_open(struct decap *d)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t i;
	int err;

	d->tun_fd = tun_create(d->dev, 0);
	if (d->tun_fd < 0) {
		fprintf(stderr, PROG ": TUN device %s: %s\n", d->dev,
			strerror(-d->tun_fd));
		return -1;
	}
	rp_filter_relax(d->dev);
	for (i = 0; i < 2; i++) {
		if (d->type == TUN_IPIP)
			err = decap_socket(d, families[i], IPPROTO_IPIP) ||
			      decap_socket(d, families[i], IPPROTO_IPV6);
		else if (d->type == TUN_GRE)
			err = decap_socket(d, families[i], IPPROTO_GRE);
		else
			err = decap_socket(d, families[i], IPPROTO_UDP);
		if (err)
			return -1;
	}
	return 0;
}

static void decap_close(struct decap *d)
{
	size_t i;

	for (i = 0; i < d->nsocks; i++)
		close(d->socks[i].fd);
	d->nsocks = 0;
	if (d->tun_fd >= 0)
		close(d->tun_fd);
	d->tun_fd = -1;
}

static void decap_bad(struct decap *d, const struct dsock *s, const char *why)
{
	d->st.bad++;
	if (d->st.bad <= BAD_LOGGED)
		fprintf(stderr, PROG ": bad packet (%s, protocol %d): %s%s\n",
			s->family == AF_INET6 ? "IPv6" : "IPv4", s->proto, why,
			d->st.bad == BAD_LOGGED ? "; no more of these logged" : "");
}

static void decap_packet(struct decap *d, const struct dsock *s, size_t len)
{
	struct inner in;
	const char *why;

	d->st.received++;
	why = decap_parse(d->type, s->family, s->proto, d->buf, len, &in);
	if (why) {
		decap_bad(d, s, why);
		return;
	}
	if (write(d->tun_fd, d->buf + in.off, in.len) == (ssize_t)in.len) {
		d->st.decapsulated++;
		return;
	}
	d->st.errors++;
	if (errno != d->last_write_err)
		fprintf(stderr, PROG ": %s: write: %s\n", d->dev, strerror(errno));
	d->last_write_err = errno;
}

/* Up to BATCH packets from one socket. */
static void decap_drain(struct decap *d, const struct dsock *s)
{
	ssize_t n;
	int i;

	for (i = 0; i < BATCH; i++) {
		n = recv(s->fd, d->buf, sizeof(d->buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fprintf(stderr, PROG ": recv: %s\n", strerror(errno));
			return;
		}
		if ((size_t)n > PKT_MAX) {
			d->st.received++;
			decap_bad(d, s, "longer than 65535 bytes");
			continue;
		}
		decap_packet(d, s, (size_t)n);
	}
}

static void decap_readable(void *ctx, nfds_t i)
{
	struct decap *d = ctx;

	decap_drain(d, &d->socks[i]);
}

static int decap_parse_args(struct decap *d, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "dev", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "stats-file", required_argument, NULL, 'S' },
		{ 0 }
	};
	unsigned long long port = 0;
	bool have_type = false;
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			err = opt_type(PROG, optarg, &d->type), have_type = true;
		else if (c == 'p')
			err = opt_uint(PROG, "--port", optarg, 1, 65535, &port);
		else if (c == 'd')
			err = opt_dev(PROG, optarg), d->dev = optarg;
		else if (c == 'R')
			d->run.ready = optarg;
		else if (c == 'S')
			d->run.sf.path = optarg;
		else
			err = -1;
		if (err)
			return -1;
	}
	if (optind < argc)
		fprintf(stderr, PROG ": unexpected argument `%s'\n", argv[optind]);
	else if (!have_type)
		fprintf(stderr, PROG ": --type is required\n");
	else if (d->type == TUN_GUE && !port)
		fprintf(stderr, PROG ": --type gue needs --port\n");
	else if (d->type != TUN_GUE && port)
		fprintf(stderr, PROG ": --port is for --type gue only\n");
	else
		err = 1;
	d->port = (uint16_t)port;
	return err == 1 ? 0 : -1;
}

static int decap_main(int argc, char *argv[])
{
	static struct decap d;	/* 64 KiB of buffer: not on the stack */
	size_t i;
	int ret;

	d.dev = "decap0";
	d.tun_fd = -1;
	if (decap_parse_args(&d, argc, argv) < 0)
		return usage("decap");
	/* a ready file left from an earlier run must not fool the caller */
	if (d.run.ready)
		unlink(d.run.ready);
	signals_setup();
	if (decap_open(&d) < 0) {
		decap_close(&d);
		return 1;
	}
	for (i = 0; i < d.nsocks; i++)
		d.run.pfd[i] = (struct pollfd){ .fd = d.socks[i].fd, .events = POLLIN };
	d.run.nfds = d.nsocks;
	d.run.who = PROG;
	d.run.ctx = &d;
	d.run.drain = decap_readable;
	d.run.line = decap_line;
	ret = runner_run(&d.run);
	decap_close(&d);
	return ret;
}

/* encap: pure builders ---------------------------------------------------- */

struct encap_opts {
	enum tun_type type;
	uint16_t port;
	bool csum, corrupt, key, seq, direct, remcsum;
	uint32_t keyval;
};

/* A checksum that is wrong, and not 0 (which means none for UDP). */
static uint16_t csum_spoil(uint16_t c)
{
	return (c ^ 0x5555) ? (uint16_t)(c ^ 0x5555) : (uint16_t)(c ^ 0xaaaa);
}

/*
 * Where an inner TCP or UDP header's checksum is, for remote checksum
 * offload: 0 and @rc filled, with the field left as a sender's
 * CHECKSUM_PARTIAL leaves it (the pseudo-header sum); -1 for anything else.
 */
static int remcsum_prepare(uint8_t *p, size_t len, struct remcsum *rc)
{
	size_t thoff, field;
	int family, proto;
	uint64_t sum;

	if (len >= 20 && p[0] >> 4 == 4 && !(get16(p + 6) & 0x3fff)) {
		family = AF_INET;
		thoff = (size_t)(p[0] & 15) * 4;
		proto = p[9];
	} else if (len >= 40 && p[0] >> 4 == 6) {
		family = AF_INET6;
		thoff = 40;
		proto = p[6];
	} else {
		return -1;
	}
	field = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 0;
	if (!field || thoff + field + 2 > len ||
	    (proto == IPPROTO_UDP && family == AF_INET && !get16(p + thoff + 6)))
		return -1;
	sum = csum_pseudo(family, p + (family == AF_INET ? 12 : 8),
			  p + (family == AF_INET ? 16 : 24), proto, len - thoff);
	put16(p + thoff + field, csum_fold(sum));
	rc->present = true;
	rc->start = (uint16_t)thoff;
	rc->offset = (uint16_t)(thoff + field);
	return 0;
}

/* The GRE header before @p (@len bytes of inner packet); its length. */
static size_t gre_build(uint8_t *p, size_t len, int iproto,
			const struct encap_opts *o, uint32_t seq)
{
	bool csum = o->csum || o->corrupt;
	size_t hlen = 4 + (csum ? 4 : 0) + (o->key ? 4 : 0) + (o->seq ? 4 : 0);
	uint8_t *h = p - hlen, *q = h + 4;
	uint16_t c;

	put16(h, (csum ? GRE_CSUM : 0) | (o->key ? GRE_KEY : 0) |
		 (o->seq ? GRE_SEQ : 0));
	put16(h + 2, iproto == IPPROTO_IPV6 ? ETH_IPV6 : ETH_IPV4);
	if (csum) {
		put32(q, 0);
		q += 4;
	}
	if (o->key) {
		put32(q, o->keyval);
		q += 4;
	}
	if (o->seq)
		put32(q, seq);
	if (csum) {
		c = csum_buf(h, hlen + len);
		put16(h + 4, o->corrupt ? csum_spoil(c) : c);
	}
	return hlen;
}

/* The GUE header before @p; its length (0 for version 1). */
static size_t gue_build(uint8_t *p, size_t len, int iproto,
			const struct encap_opts *o)
{
	struct remcsum rc = { .present = false };
	size_t optlen;
	uint8_t *h;

	if (o->direct)
		return 0;
	if (o->remcsum)
		remcsum_prepare(p, len, &rc);
	optlen = rc.present ? 8 : 0;
	h = p - 4 - optlen;
	h[0] = (uint8_t)(optlen / 4);		/* version 0, C 0, hlen */
	h[1] = (uint8_t)iproto;
	put16(h + 2, rc.present ? GUE_FLAG_PRIV : 0);
	if (rc.present) {
		put32(h + 4, GUE_PFLAG_REMCSUM);
		put16(h + 8, rc.start);
		put16(h + 10, rc.offset);
	}
	return 4 + optlen;
}

/* The UDP header before @p (@len bytes of payload). */
static void udp_build(uint8_t *p, size_t len, const struct nflvs_addr *src,
		      const struct nflvs_addr *dst, const struct encap_opts *o)
{
	uint8_t *u = p - 8;
	uint16_t c;

	put16(u, o->port);	/* IPVS hashes the flow; one port will do */
	put16(u + 2, o->port);
	put16(u + 4, (uint16_t)(len + 8));
	put16(u + 6, 0);
	if (!o->csum && !o->corrupt)
		return;
	c = csum_l4(src->family, src->b, dst->b, IPPROTO_UDP, u, len + 8);
	if (!c)
		c = 0xffff;
	put16(u + 6, o->corrupt ? csum_spoil(c) : c);
}

/* encap ----------------------------------------------------------------- */

struct encap_stats {
	unsigned long long read, sent, skipped, errors;
};

struct encap {
	struct encap_opts o;
	struct nflvs_addr to, from;
	bool have_from;
	int mtu;
	const char *dev;
	int tun_fd;
	int out_fd[2];		/* ipip: for inner IPv4, IPv6; else [0] */
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint32_t seq;
	int last_send_err;
	struct encap_stats st;
	struct runner run;
	uint8_t buf[HEADROOM + PKT_MAX + 1];
};

static void encap_line(const void *ctx, char *buf, size_t len)
{
	const struct encap *e = ctx;

	snprintf(buf, len, "read %llu sent %llu skipped %llu errors %llu\n",
		 e->st.read, e->st.sent, e->st.skipped, e->st.errors);
}

/* The source address the route to @to gives, via a connected UDP socket. */
static int route_source(const struct nflvs_addr *to, struct nflvs_addr *src)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err = 0;

	fd = socket(to->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	addr_sockaddr(to, 9, &ss, &len);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	memset(src, 0, sizeof(*src));
	src->family = to->family;
	if (to->family == AF_INET6)
		src->v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		src->v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	return 0;
}

/* A raw socket that only sends: bound to @src, it reads nothing. */
static int raw_sender(const struct nflvs_addr *src, int proto)
{
	static struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &drop };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err = 0;

	fd = socket(src->family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (fd < 0)
		return -errno;
	addr_sockaddr(src, 0, &ss, &len);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int encap_open(struct encap *e)
{
	int err;

	if (!e->have_from && (err = route_source(&e->to, &e->from)) < 0) {
		fprintf(stderr, PROG " encap: no route to the tunnel end: %s\n",
			strerror(-err));
		return -1;
	}
	if (e->o.type == TUN_IPIP) {
		e->out_fd[0] = raw_sender(&e->from, IPPROTO_IPIP);
		e->out_fd[1] = e->out_fd[0] < 0 ? -1 :
			       raw_sender(&e->from, IPPROTO_IPV6);
	} else {
		e->out_fd[0] = raw_sender(&e->from, e->o.type == TUN_GRE ?
					  IPPROTO_GRE : IPPROTO_UDP);
	}
	err = e->out_fd[0] < 0 ? e->out_fd[0] : e->out_fd[1] < -1 ? e->out_fd[1] : 0;
	if (err < 0) {
		fprintf(stderr, PROG " encap: raw socket: %s\n", strerror(-err));
		return -1;
	}
	addr_sockaddr(&e->to, 0, &e->dst, &e->dst_len);
	e->tun_fd = tun_create(e->dev, e->mtu);
	if (e->tun_fd < 0) {
		fprintf(stderr, PROG " encap: TUN device %s: %s\n", e->dev,
			strerror(-e->tun_fd));
		return -1;
	}
	return 0;
}

static void encap_close(struct encap *e)
{
	int i;

	for (i = 0; i < 2; i++)
		if (e->out_fd[i] >= 0)
			close(e->out_fd[i]);
	if (e->tun_fd >= 0)
		close(e->tun_fd);
	e->out_fd[0] = e->out_fd[1] = e->tun_fd = -1;
}

/* The inner packet at @p (HEADROOM bytes before it are free): send it. */
static void encap_packet(struct encap *e, uint8_t *p, size_t len)
{
	int iproto, fd;
	size_t h = 0;

	e->st.read++;
	if (len < 1 || (p[0] >> 4 != 4 && p[0] >> 4 != 6)) {
		e->st.skipped++;
		return;
	}
	iproto = p[0] >> 4 == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	fd = e->out_fd[0];
	if (e->o.type == TUN_IPIP && iproto == IPPROTO_IPV6)
		fd = e->out_fd[1];
	if (e->o.type == TUN_GRE)
		h = gre_build(p, len, iproto, &e->o, e->seq++);
	if (e->o.type == TUN_GUE) {
		h = gue_build(p, len, iproto, &e->o);
		udp_build(p - h, len + h, &e->from, &e->to, &e->o);
		h += 8;
	}
	if (sendto(fd, p - h, len + h, MSG_DONTWAIT,
		   (struct sockaddr *)&e->dst, e->dst_len) == (ssize_t)(len + h)) {
		e->st.sent++;
		return;
	}
	e->st.errors++;
	if (errno != e->last_send_err)
		fprintf(stderr, PROG " encap: send: %s\n", strerror(errno));
	e->last_send_err = errno;
}

static void encap_drain(void *ctx, nfds_t i)
{
	struct encap *e = ctx;
	uint8_t *p = e->buf + HEADROOM;
	ssize_t n;
	int k;

	(void)i;	/* the TUN device is the only one */
	for (k = 0; k < BATCH; k++) {
		n = read(e->tun_fd, p, PKT_MAX);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fprintf(stderr, PROG " encap: read: %s\n",
					strerror(errno));
			return;
		}
		encap_packet(e, p, (size_t)n);
	}
}

enum {
	OPT_TYPE = 1, OPT_TO, OPT_FROM, OPT_PORT, OPT_DEV, OPT_MTU, OPT_CSUM,
	OPT_KEY, OPT_SEQ, OPT_DIRECT, OPT_REMCSUM, OPT_CORRUPT, OPT_READY,
	OPT_STATS, OPT_PROTO, OPT_HEX,
};

static int encap_option(struct encap *e, int c, const char *arg)
{
	unsigned long long v;

	switch (c) {
	case OPT_TYPE:
		return opt_type("encap", arg, &e->o.type);
	case OPT_TO:
		return opt_addr("encap", arg, &e->to);
	case OPT_FROM:
		e->have_from = true;
		return opt_addr("encap", arg, &e->from);
	case OPT_PORT:
		if (opt_uint("encap", "--port", arg, 1, 65535, &v) < 0)
			return -1;
		e->o.port = (uint16_t)v;
		return 0;
	case OPT_DEV:
		e->dev = arg;
		return opt_dev("encap", arg);
	case OPT_MTU:
		if (opt_uint("encap", "--mtu", arg, 576, 65000, &v) < 0)
			return -1;
		e->mtu = (int)v;
		return 0;
	case OPT_KEY:
		if (opt_uint("encap", "--key", arg, 0, UINT32_MAX, &v) < 0)
			return -1;
		e->o.key = true;
		e->o.keyval = (uint32_t)v;
		return 0;
	case OPT_READY:
		e->run.ready = arg;
		return 0;
	case OPT_STATS:
		e->run.sf.path = arg;
		return 0;
	}
	return -1;
}

static int encap_check_args(struct encap *e, int argc, char *argv[],
			    bool have_type)
{
	const struct encap_opts *o = &e->o;
	const char *bad = NULL;

	if (optind < argc) {
		fprintf(stderr, "encap: unexpected argument `%s'\n", argv[optind]);
		return -1;
	}
	if (!have_type)
		bad = "--type is required";
	else if (!e->to.family)
		bad = "--to is required";
	else if (e->have_from && e->from.family != e->to.family)
		bad = "--from and --to must be of one family";
	else if ((o->type == TUN_GUE) != (o->port != 0))
		bad = "--port is required with --type gue, and only there";
	else if (o->type != TUN_GRE && (o->key || o->seq))
		bad = "--key and --seq are for --type gre";
	else if (o->type != TUN_GUE && (o->direct || o->remcsum))
		bad = "--direct and --remcsum are for --type gue";
	else if (o->type == TUN_IPIP && (o->csum || o->corrupt))
		bad = "--csum and --corrupt are for --type gre and gue";
	else if (o->direct && o->remcsum)
		bad = "--remcsum needs a GUE header: not with --direct";
	if (bad) {
		fprintf(stderr, "encap: %s\n", bad);
		return -1;
	}
	return 0;
}

static int encap_parse_args(struct encap *e, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "dev", required_argument, NULL, OPT_DEV },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "csum", no_argument, NULL, OPT_CSUM },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "seq", no_argument, NULL, OPT_SEQ },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ "remcsum", no_argument, NULL, OPT_REMCSUM },
		{ "corrupt", no_argument, NULL, OPT_CORRUPT },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "stats-file", required_argument, NULL, OPT_STATS },
		{ 0 }
	};
	bool have_type = false;
	int c;

	e->o.type = (enum tun_type)-1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_CSUM)
			e->o.csum = true;
		else if (c == OPT_SEQ)
			e->o.seq = true;
		else if (c == OPT_DIRECT)
			e->o.direct = true;
		else if (c == OPT_REMCSUM)
			e->o.remcsum = true;
		else if (c == OPT_CORRUPT)
			e->o.corrupt = true;
		else if (encap_option(e, c, optarg) < 0)
			return -1;
		have_type |= c == OPT_TYPE;
	}
	return encap_check_args(e, argc, argv, have_type);
}

static int encap_main(int argc, char *argv[])
{
	static struct encap e;	/* 64 KiB of buffer: not on the stack */
	int ret;

	e.dev = "encap0";
	e.mtu = 1400;
	e.tun_fd = e.out_fd[0] = e.out_fd[1] = -1;
	if (encap_parse_args(&e, argc, argv) < 0)
		return usage("encap");
	if (e.run.ready)
		unlink(e.run.ready);
	signals_setup();
	if (encap_open(&e) < 0) {
		encap_close(&e);
		return 1;
	}
	e.run.pfd[0] = (struct pollfd){ .fd = e.tun_fd, .events = POLLIN };
	e.run.nfds = 1;
	e.run.who = PROG " encap";
	e.run.ctx = &e;
	e.run.drain = encap_drain;
	e.run.line = encap_line;
	ret = runner_run(&e.run);
	encap_close(&e);
	return ret;
}

/* send ------------------------------------------------------------------- */

static int hex_decode(const char *s, uint8_t *out, size_t size, size_t *len)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			v = (*s | 0x20) - 'a' + 10;
		else
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == size)
			return -EMSGSIZE;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0 || !n)
		return -EINVAL;
	*len = n;
	return 0;
}

struct send_args {
	struct nflvs_addr to, from;
	unsigned long long proto, port;
	const char *hex;
};

static int send_parse_args(struct send_args *a, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, OPT_TO },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "proto", required_argument, NULL, OPT_PROTO },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "hex", required_argument, NULL, OPT_HEX },
		{ 0 }
	};
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_TO)
			err = opt_addr("send", optarg, &a->to);
		else if (c == OPT_FROM)
			err = opt_addr("send", optarg, &a->from);
		else if (c == OPT_PROTO)
			err = opt_uint("send", "--proto", optarg, 1, 254, &a->proto);
		else if (c == OPT_PORT)
			err = opt_uint("send", "--port", optarg, 1, 65535, &a->port);
		else if (c == OPT_HEX)
			a->hex = optarg;
		else
			err = -1;
		if (err)
			return -1;
	}
	if (optind < argc || !a->to.family || !a->hex || !a->proto == !a->port ||
	    (a->from.family && a->from.family != a->to.family)) {
		fprintf(stderr, "send: needs --to, --hex and one of --proto and "
			"--port (--from of --to's family)\n");
		return -1;
	}
	return 0;
}

static int send_main(int argc, char *argv[])
{
	static uint8_t payload[PKT_MAX];
	struct sockaddr_storage ss;
	struct send_args a;
	size_t len;
	socklen_t sl;
	int fd, err = 0;

	memset(&a, 0, sizeof(a));
	if (send_parse_args(&a, argc, argv) < 0)
		return usage("send");
	if (hex_decode(a.hex, payload, sizeof(payload), &len) < 0) {
		fprintf(stderr, "send: invalid --hex: `%s'\n", a.hex);
		return usage("send");
	}
	fd = socket(a.to.family, (a.port ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC,
		    a.port ? 0 : (int)a.proto);
	if (fd < 0)
		err = -errno;
	addr_sockaddr(&a.from, 0, &ss, &sl);
	if (!err && a.from.family && bind(fd, (struct sockaddr *)&ss, sl) < 0)
		err = -errno;
	addr_sockaddr(&a.to, (uint16_t)a.port, &ss, &sl);
	if (!err && sendto(fd, payload, len, 0, (struct sockaddr *)&ss, sl) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err) {
		fprintf(stderr, "send: %s\n", strerror(-err));
		return 1;
	}
	printf("sent %zu\n", len);
	return 0;
}

/* Main ------------------------------------------------------------------- */

static const struct tool_command commands[] = {
	{ "decap", decap_main, "--type ipip|gre|gue [--port P] [--dev NAME] [--ready-file F] [--stats-file F]" },
	{ "encap", encap_main, "encap --type ipip|gre|gue --to ADDR [--from ADDR] [--port P] [--dev NAME] [--mtu N] [--csum] [--key K] [--seq] [--direct] [--remcsum] [--corrupt] [--ready-file F] [--stats-file F]" },
	{ "send", send_main, "send --to ADDR (--proto N | --port P) --hex HEX [--from ADDR]" },
};

/* Decapsulation, the main job, takes no command word. */
static const struct tool tool = {
	.prog = PROG, .cmd = commands,
	.ncmd = sizeof(commands) / sizeof(commands[0]), .dflt = decap_main,
	.epilog = "The comment at the top of tests/helpers/decap.c documents them.",
};

static int usage(const char *cmd)
{
	return tool_usage(&tool, cmd);
}

int main(int argc, char *argv[])
{
	return tool_main(&tool, argc, argv);
}
