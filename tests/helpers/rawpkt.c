// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-rawpkt: hostile and odd packets for the end-to-end tests, crafted
 * by hand and sent on raw sockets (fragments, IP options, truncated
 * headers, bad checksums, ICMP errors), and a UDP client that reports the
 * ICMP errors its socket is told of.  Run it inside a network namespace:
 *	ip netns exec NS nflvs-rawpkt COMMAND ...
 *
 * Conventions, as nflvs-testnet's: results on stdout, one line; exit 0 =
 * success, 1 = failure (stdout says which), 2 = bad arguments; ADDR is a
 * numeric IPv4 or IPv6 address; every wait has a deadline.  The source
 * address is the one the kernel's route to ADDR gives.
 *
 * frag ADDR PORT --size N [--frags K] [--timeout-ms T]
 *	A UDP datagram of N payload bytes ("hello" and padding) from a bound
 *	UDP socket's port, sent as K (default 2) IP fragments in order (an
 *	IPv6 fragment header for IPv6), again every 200 ms until the socket
 *	gets an answer: "answer NAME", exit 0; none within T ms (default
 *	3000): "fail timeout", exit 1.
 *
 * send ADDR PORT --kind KIND --sport P [--count C] [--ports N]
 *	C (default 1) copies of one packet from port P (and from each of the
 *	N - 1 ports after P: N packets of N flows):
 *	  syn         a TCP SYN
 *	  syn-ipopt   a TCP SYN with IP options (IPv4: record route; IPv6: a
 *	              destination options header)
 *	  syn-badsum  a TCP SYN with a wrong checksum
 *	  ack         a TCP ACK (no SYN), as in the middle of a connection
 *	  tcp-trunc   a TCP header cut after 10 bytes (the IP length agrees)
 *	  tcp-doff    a TCP SYN whose data offset says 4 words (< 5)
 *	  udp         a UDP datagram "hello\n"
 *	  udp-badsum  the same with a wrong checksum
 *	  udp-trunc   a UDP header cut after 4 bytes
 *	"sent C*N", exit 0.
 *
 * icmp ADDR --type T --code C [--mtu M] --inner PROTO SRC SPORT DST DPORT
 *	An ICMP (ICMPv6 for an IPv6 ADDR) error to ADDR quoting the start of
 *	a PROTO (tcp|udp) packet SRC:SPORT -> DST:DPORT (its IP header and 8
 *	bytes: what a router or host quotes), with next-hop MTU M for
 *	"fragmentation needed" (IPv4 3/4) and "packet too big" (IPv6 2/0).
 *	"sent", exit 0.
 *
 * udp-err ADDR PORT [--sport P] [--size N] [--timeout-ms T]
 *         [--ready-file F] [--answer-only]
 *	A connected UDP socket with IP_RECVERR and path MTU discovery on
 *	(DF): sends "hello\n" every 200 ms until the answer (a line on
 *	stdout: "answer NAME"), creates the ready file, then sends one
 *	datagram of N payload bytes if --size is given, and waits for an
 *	ICMP error on the socket: "icmp TYPE CODE INFO FROM" (INFO is the
 *	MTU of a "too big" error), exit 0.  None within T ms (default 5000)
 *	of the start: "fail timeout", exit 1.  --answer-only: exit 0 after
 *	the answer (the flow is set up; its errors are another host's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "tool.h"

#define PROG		"nflvs-rawpkt"
#define PKT_MAX		65536
#define RESEND_MS	200

struct opts {
	struct nflvs_addr dst, isrc, idst;
	uint16_t port, sport, isport, idport;
	long size, frags, count, ports, type, code, mtu, timeout_ms;
	int iproto;
	bool answer_only;
	const char *kind, *ready;
};

static int usage(void)
{
	fprintf(stderr,
		"Usage: " PROG " frag ADDR PORT --size N [--frags K] [--timeout-ms T]\n"
		"       " PROG " send ADDR PORT --kind KIND --sport P [--count C] [--ports N]\n"
		"       " PROG " icmp ADDR --type T --code C [--mtu M] --inner PROTO SRC SPORT DST DPORT\n"
		"       " PROG " udp-err ADDR PORT [--sport P] [--size N] [--timeout-ms T]\n"
		"                [--ready-file F] [--answer-only]\n");
	return EXIT_USAGE;
}

/* ---- checksums and headers ---------------------------------------------- */

/* The transport checksum of @l4 (@len bytes) between @s and @d. */
static uint16_t l4_csum(const struct nflvs_addr *s, const struct nflvs_addr *d,
			int proto, const uint8_t *l4, size_t len)
{
	return csum_l4(s->family, s->b, d->b, proto, l4, len);
}

/* An IP header at @p for @l4len bytes of @proto after @optlen bytes of
 * options (IPv4) or an extension header (IPv6, its next header @proto);
 * returns its length. */
static size_t ip_header(uint8_t *p, const struct nflvs_addr *s,
			const struct nflvs_addr *d, int proto, size_t optlen,
			size_t l4len, uint16_t id)
{
	if (s->family == AF_INET) {
		size_t hl = 20 + optlen;

		memset(p, 0, 20);
		p[0] = (uint8_t)(0x40 | hl / 4);
		put16(p + 2, (uint32_t)(hl + l4len));
		put16(p + 4, id);
		p[8] = 64;
		p[9] = (uint8_t)proto;
		memcpy(p + 12, s->b, 4);
		memcpy(p + 16, d->b, 4);
		put16(p + 10, csum_buf(p, 20));
		return 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint32_t)(optlen + l4len));
	p[6] = (uint8_t)proto;
	p[7] = 64;
	memcpy(p + 8, s->b, 16);
	memcpy(p + 24, d->b, 16);
	return 40;
}

/* ---- sockets ---------------------------------------------------------------- */

static int raw_socket(int family)
{
	int on = 1, fd = socket(family, SOCK_RAW, IPPROTO_RAW);

	if (fd < 0)
		return -1;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof(on));
	return fd;
}

static int raw_send(int fd, const struct nflvs_addr *dst, const void *pkt,
		    size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	addr_sockaddr(dst, 0, &ss, &sl);
	if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sl) < 0) {
		fprintf(stderr, PROG ": sendto: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* A UDP socket connected to @dst:@port from @sport (0: any); @src gets the
 * local address and @sport the port. */
static int udp_connected(const struct nflvs_addr *dst, uint16_t port,
			 uint16_t *sport, struct nflvs_addr *src)
{
	struct sockaddr_storage ss, me;
	socklen_t sl = sizeof(me);
	struct nflvs_addr any = { .family = dst->family };
	int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	addr_sockaddr(&any, *sport, &ss, &sl);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	addr_sockaddr(dst, port, &ss, &sl);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sizeof(me);
	if (getsockname(fd, (struct sockaddr *)&me, &sl) < 0)
		goto fail;
	src->family = dst->family;
	if (dst->family == AF_INET) {
		memcpy(src->b, &((struct sockaddr_in *)&me)->sin_addr, 4);
		*sport = ntohs(((struct sockaddr_in *)&me)->sin_port);
	} else {
		memcpy(src->b, &((struct sockaddr_in6 *)&me)->sin6_addr, 16);
		*sport = ntohs(((struct sockaddr_in6 *)&me)->sin6_port);
	}
	return fd;
fail:
	fprintf(stderr, PROG ": udp socket: %s\n", strerror(errno));
	close(fd);
	return -1;
}

/* Wait until @fd is readable (or has an error queued, POLLERR); 1, 0 at
 * @deadline, -1 when stopped. */
static int wait_fd(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - now_ms();
	struct timespec ts;

	if (left <= 0)
		return 0;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000;
	if (ppoll(&p, 1, &ts, &wait_mask) < 0)
		return errno == EINTR && !stop_requested ? 0 : -1;
	return stop_requested ? -1 : p.revents != 0;
}

/* An answer line on @fd into @name; 1, 0 if none was there. */
static int read_answer(int fd, char *name, size_t size)
{
	ssize_t n = recv(fd, name, size - 1, MSG_DONTWAIT);

	if (n <= 0)
		return 0;
	name[n] = 0;
	name[strcspn(name, "\r\n")] = 0;
	return 1;
}

/* ---- frag ------------------------------------------------------------------- */

/* Fragment @l4 (@len bytes, UDP header first) into @k pieces and send. */
static int frag_send(int raw, const struct nflvs_addr *s,
		     const struct nflvs_addr *d, const uint8_t *l4, size_t len,
		     long k, uint32_t id)
{
	size_t piece = ((len + (size_t)k - 1) / (size_t)k + 7) & ~(size_t)7;
	uint8_t pkt[2048];
	size_t off;

	for (off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		bool more = off + n < len;
		size_t hl;

		if (s->family == AF_INET) {
			hl = ip_header(pkt, s, d, IPPROTO_UDP, 0, n, (uint16_t)id);
			put16(pkt + 6, (uint32_t)(off / 8) | (more ? 0x2000 : 0));
			put16(pkt + 10, 0);
			put16(pkt + 10, csum_buf(pkt, 20));
		} else {
			hl = ip_header(pkt, s, d, IPPROTO_FRAGMENT, 8, n, 0);
			memset(pkt + hl, 0, 8);
			pkt[hl] = IPPROTO_UDP;
			put16(pkt + hl + 2, (uint32_t)off | (more ? 1 : 0));
			pkt[hl + 4] = (uint8_t)(id >> 24);
			pkt[hl + 5] = (uint8_t)(id >> 16);
			pkt[hl + 6] = (uint8_t)(id >> 8);
			pkt[hl + 7] = (uint8_t)id;
			hl += 8;
		}
		memcpy(pkt + hl, l4 + off, n);
		if (raw_send(raw, d, pkt, hl + n) < 0)
			return -1;
	}
	return 0;
}

static int frag_main(const struct opts *o)
{
	static uint8_t l4[PKT_MAX];
	int64_t deadline = now_ms() + o->timeout_ms;
	size_t len = 8 + (size_t)o->size;
	struct nflvs_addr src;
	uint16_t sport = 0;
	uint32_t id = (uint32_t)getpid() << 8;
	char name[256];
	int fd, raw, r = 0;

	if (o->size < 8 || len > sizeof(l4) - 64 || o->frags < 2 ||
	    (size_t)o->frags > len / 8 || len / (size_t)o->frags > 1400) {
		fprintf(stderr, PROG ": frag: bad --size or --frags\n");
		return usage();
	}
	fd = udp_connected(&o->dst, o->port, &sport, &src);
	raw = raw_socket(o->dst.family);
	if (fd < 0 || raw < 0) {
		printf("fail socket\n");
		return 1;
	}
	memset(l4 + 8, 'x', (size_t)o->size);
	memcpy(l4 + 8, "hello\n", 6);
	put16(l4, sport);
	put16(l4 + 2, o->port);
	put16(l4 + 4, (uint32_t)len);
	put16(l4 + 6, 0);
	put16(l4 + 6, l4_csum(&src, &o->dst, IPPROTO_UDP, l4, len));
	while (r == 0) {
		if (frag_send(raw, &src, &o->dst, l4, len, o->frags, ++id) < 0)
			break;
		r = wait_fd(fd, now_ms() + RESEND_MS > deadline ? deadline
							       : now_ms() + RESEND_MS);
		if (r > 0 && read_answer(fd, name, sizeof(name))) {
			printf("answer %s\n", name);
			return 0;
		}
		r = now_ms() >= deadline ? -1 : 0;
	}
	printf("fail timeout\n");
	return 1;
}

/* ---- send ------------------------------------------------------------------- */

/* The transport header (and data) of @kind into @l4: its length, the
 * protocol in @proto; -1 for an unknown kind. */
static int kind_build(const char *kind, uint16_t sport, uint16_t dport,
		      uint8_t *l4, int *proto, bool *badsum, size_t *cut)
{
	bool tcp = strncmp(kind, "syn", 3) == 0 || strncmp(kind, "tcp", 3) == 0 ||
		   strcmp(kind, "ack") == 0;

	*badsum = strstr(kind, "badsum") != NULL;
	*cut = 0;
	put16(l4, sport);
	put16(l4 + 2, dport);
	if (tcp) {
		*proto = IPPROTO_TCP;
		memset(l4 + 4, 0, 16);
		put16(l4 + 4, (uint32_t)getpid());	/* sequence number */
		l4[12] = strcmp(kind, "tcp-doff") == 0 ? 4 << 4 : 5 << 4;
		l4[13] = strcmp(kind, "ack") == 0 ? 0x10 : 0x02;
		if (strcmp(kind, "ack") == 0)
			put16(l4 + 8, 1);	/* an acknowledgment number */
		put16(l4 + 14, 64240);
		if (strcmp(kind, "tcp-trunc") == 0)
			*cut = 10;
		if (strcmp(kind, "syn") && strcmp(kind, "syn-ipopt") &&
		    strcmp(kind, "syn-badsum") && strcmp(kind, "ack") &&
		    strcmp(kind, "tcp-trunc") && strcmp(kind, "tcp-doff"))
			return -1;
		return 20;
	}
	*proto = IPPROTO_UDP;
	memcpy(l4 + 8, "hello\n", 6);
	put16(l4 + 4, 14);
	if (strcmp(kind, "udp-trunc") == 0)
		*cut = 4;
	if (strcmp(kind, "udp") && strcmp(kind, "udp-badsum") &&
	    strcmp(kind, "udp-trunc"))
		return -1;
	return 14;
}

/* One packet of @o->kind from @sport into @pkt; its length. */
static size_t send_build(const struct opts *o, const struct nflvs_addr *src,
			 uint16_t sport, uint8_t *pkt)
{
	uint8_t l4[64], opt[8];
	size_t optlen = 0, hl, len, cut;
	int proto, l4len, csum_at;
	bool badsum;

	l4len = kind_build(o->kind, sport, o->port, l4, &proto, &badsum, &cut);
	csum_at = proto == IPPROTO_TCP ? 16 : 6;
	put16(l4 + csum_at, 0);
	put16(l4 + csum_at, l4_csum(src, &o->dst, proto, l4, (size_t)l4len));
	if (badsum)
		l4[csum_at] ^= 0x5a;
	len = cut ? cut : (size_t)l4len;
	if (strcmp(o->kind, "syn-ipopt") == 0) {
		/* IPv4 record route with one slot; IPv6 dstopts with PadN */
		static const uint8_t rr[8] = { 7, 7, 4, 0, 0, 0, 0, 0 };
		static const uint8_t dst6[8] = { IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0 };

		memcpy(opt, o->dst.family == AF_INET ? rr : dst6, 8);
		optlen = 8;
	}
	if (o->dst.family == AF_INET) {
		hl = ip_header(pkt, src, &o->dst, proto, optlen, len, (uint16_t)getpid());
		if (optlen) {
			pkt[0] = (uint8_t)(0x40 | (20 + optlen) / 4);
			memcpy(pkt + 20, opt, optlen);
			put16(pkt + 10, 0);
			put16(pkt + 10, csum_buf(pkt, 20 + optlen));
		}
	} else {
		hl = ip_header(pkt, src, &o->dst, optlen ? IPPROTO_DSTOPTS : proto,
			       optlen, len, 0);
		memcpy(pkt + hl, opt, optlen);
	}
	memcpy(pkt + hl + optlen, l4, len);
	return hl + optlen + len;
}

static int send_main(const struct opts *o)
{
	uint8_t pkt[256], l4[64];
	struct nflvs_addr src;
	uint16_t sport = 0;
	size_t len, cut;
	int fd, raw, proto;
	bool badsum;
	long i, k;

	if (kind_build(o->kind, o->sport, o->port, l4, &proto, &badsum, &cut) < 0 ||
	    !o->sport || o->sport + o->ports - 1 > 65535) {
		fprintf(stderr, PROG ": send: bad --kind, --sport or --ports\n");
		return usage();
	}
	fd = udp_connected(&o->dst, o->port, &sport, &src);
	raw = raw_socket(o->dst.family);
	if (fd < 0 || raw < 0) {
		printf("fail socket\n");
		return 1;
	}
	close(fd);
	for (k = 0; k < o->ports; k++) {
		len = send_build(o, &src, (uint16_t)(o->sport + k), pkt);
		for (i = 0; i < o->count; i++)
			if (raw_send(raw, &o->dst, pkt, len) < 0) {
				printf("fail send\n");
				return 1;
			}
	}
	printf("sent %ld\n", o->count * o->ports);
	return 0;
}

/* ---- icmp ------------------------------------------------------------------- */

static int icmp_main(const struct opts *o)
{
	bool v4 = o->dst.family == AF_INET;
	uint8_t msg[128], *in = msg + 8;
	size_t hl;
	int fd;

	if (o->isrc.family != o->dst.family || o->idst.family != o->dst.family ||
	    o->type < 0 || o->code < 0) {
		fprintf(stderr, PROG ": icmp: --type, --code and --inner of ADDR's family\n");
		return usage();
	}
	memset(msg, 0, sizeof(msg));
	msg[0] = (uint8_t)o->type;
	msg[1] = (uint8_t)o->code;
	if (v4)
		put16(msg + 6, (uint32_t)o->mtu);
	else
		put16(msg + 6, (uint32_t)o->mtu), put16(msg + 4, (uint32_t)o->mtu >> 16);
	/* the quoted packet was a full-size one: that is what "too big" says */
	hl = ip_header(in, &o->isrc, &o->idst, o->iproto, 0,
		       v4 ? 1480 - 20 : 1500 - 40 - 40, (uint16_t)getpid());
	if (v4)
		in[6] = 0x40;	/* DF */
	put16(in + hl, o->isport);
	put16(in + hl + 2, o->idport);
	if (o->iproto == IPPROTO_UDP)
		put16(in + hl + 4, v4 ? 1460 : 1420);
	else
		put16(in + hl + 4, (uint32_t)getpid());
	fd = socket(o->dst.family, SOCK_RAW, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0) {
		printf("fail socket\n");
		return 1;
	}
	/* ICMPv6's checksum is the kernel's (IPV6_CHECKSUM on by default) */
	if (v4)
		put16(msg + 2, csum_buf(msg, 8 + hl + 8));
	if (raw_send(fd, &o->dst, msg, 8 + hl + 8) < 0) {
		printf("fail send\n");
		return 1;
	}
	printf("sent\n");
	return 0;
}

/* ---- udp-err ------------------------------------------------------------------ */

/* The first error queued on @fd, printed; 1, 0 if none. */
static int report_error(int fd)
{
	char cbuf[512], data[64], from[ADDR_STRLEN];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;

	if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		struct sock_extended_err *ee = (void *)CMSG_DATA(c);
		struct sockaddr *off = SO_EE_OFFENDER(ee);
		struct nflvs_addr a = { .family = (uint8_t)off->sa_family };

		if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
			continue;
		if (a.family == AF_INET)
			memcpy(a.b, &((struct sockaddr_in *)off)->sin_addr, 4);
		else if (a.family == AF_INET6)
			memcpy(a.b, &((struct sockaddr_in6 *)off)->sin6_addr, 16);
		printf("%s %u %u %u %s\n",
		       ee->ee_origin == SO_EE_ORIGIN_LOCAL ? "local" : "icmp",
		       ee->ee_type, ee->ee_code, ee->ee_info,
		       a.family ? addr_str(&a, from, sizeof(from)) : "-");
		return 1;
	}
	return 0;
}

static int udp_err_setup(int fd, int family)
{
	int on = 1, pmtu = family == AF_INET ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO;

	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) |
		       setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)) |
	       setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof(pmtu));
}

static int udp_err_main(const struct opts *o)
{
	static char big[PKT_MAX];
	int64_t deadline = now_ms() + o->timeout_ms, next = 0;
	struct nflvs_addr src;
	uint16_t sport = o->sport;
	bool answered = false;
	char name[256];
	int fd, r;

	fd = udp_connected(&o->dst, o->port, &sport, &src);
	if (fd < 0 || udp_err_setup(fd, o->dst.family) < 0) {
		printf("fail socket\n");
		return 1;
	}
	for (;;) {
		if (report_error(fd))
			return 0;
		if (!answered && now_ms() >= next) {
			send(fd, "hello\n", 6, 0);
			next = now_ms() + RESEND_MS;
		}
		r = wait_fd(fd, answered || next > deadline ? deadline : next);
		if (r < 0 || (r == 0 && now_ms() >= deadline))
			break;
		if (!answered && read_answer(fd, name, sizeof(name))) {
			answered = true;
			printf("answer %s\n", name);
			fflush(stdout);
			if (o->ready)
				file_touch(o->ready);
			if (o->answer_only)
				return 0;
			memset(big, 'x', sizeof(big));
			if (o->size > 0)
				send(fd, big, (size_t)o->size, 0);
		} else if (answered) {
			/* answers to anything else, and EMSGSIZE, are consumed */
			char junk[64];

			recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		}
	}
	printf("fail timeout\n");
	return 1;
}

/* ---- arguments ------------------------------------------------------------------ */

static int num(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *end || end == s || *out < min || *out > max) {
		fprintf(stderr, PROG ": bad number `%s'\n", s);
		return -1;
	}
	return 0;
}

static int port(const char *s, uint16_t *p)
{
	long v;

	if (num(s, 0, 65535, &v) < 0)
		return -1;
	*p = (uint16_t)v;
	return 0;
}

static int parse_inner(struct opts *o, int argc, char *argv[])
{
	if (optind + 4 > argc)
		return -1;
	o->iproto = proto_parse(optarg);
	if ((o->iproto != IPPROTO_TCP && o->iproto != IPPROTO_UDP) ||
	    parse_host(argv[optind], &o->isrc) || port(argv[optind + 1], &o->isport) ||
	    parse_host(argv[optind + 2], &o->idst) || port(argv[optind + 3], &o->idport))
		return -1;
	optind += 4;
	return 0;
}

static int parse_opts(struct opts *o, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "size", 1, 0, 's' }, { "frags", 1, 0, 'f' },
		{ "timeout-ms", 1, 0, 'T' }, { "kind", 1, 0, 'k' },
		{ "sport", 1, 0, 'p' }, { "count", 1, 0, 'c' },
		{ "ports", 1, 0, 'P' },
		{ "type", 1, 0, 't' }, { "code", 1, 0, 'C' },
		{ "mtu", 1, 0, 'm' }, { "inner", 1, 0, 'i' },
		{ "ready-file", 1, 0, 'r' }, { "answer-only", 0, 0, 'a' },
		{ 0, 0, 0, 0 } };
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 's': bad |= num(optarg, 0, PKT_MAX - 64, &o->size); break;
		case 'f': bad |= num(optarg, 2, 64, &o->frags); break;
		case 'T': bad |= num(optarg, 1, 600000, &o->timeout_ms); break;
		case 'k': o->kind = optarg; break;
		case 'p': bad |= port(optarg, &o->sport); break;
		case 'c': bad |= num(optarg, 1, 1000000, &o->count); break;
		case 'P': bad |= num(optarg, 1, 65535, &o->ports); break;
		case 't': bad |= num(optarg, 0, 255, &o->type); break;
		case 'C': bad |= num(optarg, 0, 255, &o->code); break;
		case 'm': bad |= num(optarg, 0, 65535, &o->mtu); break;
		case 'i': bad |= parse_inner(o, argc, argv); break;
		case 'r': o->ready = optarg; break;
		case 'a': o->answer_only = true; break;
		default: return -1;
		}
	}
	return bad ? -1 : 0;
}

int main(int argc, char *argv[])
{
	struct opts o = { .frags = 2, .count = 1, .ports = 1, .type = -1, .code = -1,
			  .timeout_ms = 0, .kind = "" };
	const char *cmd;
	bool icmp;

	if (argc < 3)
		return usage();
	cmd = argv[1];
	icmp = strcmp(cmd, "icmp") == 0;
	if (parse_host(argv[2], &o.dst) || (!icmp && (argc < 4 || port(argv[3], &o.port))))
		return usage();
	optind = icmp ? 3 : 4;
	if (parse_opts(&o, argc, argv) < 0 || optind != argc)
		return usage();
	signals_setup();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "frag") == 0) {
		o.timeout_ms = o.timeout_ms ? o.timeout_ms : 3000;
		return frag_main(&o);
	}
	if (strcmp(cmd, "send") == 0)
		return send_main(&o);
	if (icmp)
		return icmp_main(&o);
	if (strcmp(cmd, "udp-err") == 0) {
		o.timeout_ms = o.timeout_ms ? o.timeout_ms : 5000;
		return udp_err_main(&o);
	}
	return usage();
}
