// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tunnel encapsulation; encap.h says what goes out and why.
 *
 * Every case is built in place: the inner packet sits in the output buffer
 * and the headers are written in front of it.  encap_packet() first copies
 * the inner packet (or, for an ICMP error, only the part quoted) to where
 * encap_inplace() would find it, so both give the same bytes.  The decision
 * (send, ICMP error, fragments, drop) is made first, from the inner headers
 * alone, and checked against the buffer before anything is written.
 *
 * Multi-byte fields are written byte by byte: the buffers have no alignment
 * guarantee.  Checksums add native-order words and are stored the same way,
 * which the ones' complement sum allows (RFC 1071, byte order
 * independence); a header field known in host order is added as htons().
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "encap.h"

#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define FRAG6_HLEN	8
#define GRE_HLEN	4
#define GRE_CSUM_HLEN	8
#define UDP_HLEN	8
#define GUE_HLEN	4
#define ICMP_HLEN	8

#define IPV4_MIN_MTU	68
#define IPV6_MIN_MTU	1280
#define IP_MAX_LEN	65535
#define ICMP4_MAX	576	/* RFC 1812 4.3.2.3: the whole ICMP datagram */
#define ICMP_TTL	64	/* the kernel's default TTL and hop limit */
#define ICMP_TOS_PREC	0xc0	/* IPTOS_PREC_INTERNETCONTROL */
#define ICMP_TOS_MASK	0x1e	/* IPTOS_TOS_MASK */

#define IPV4_DF		0x4000
#define IPV4_MF		0x2000
#define IPV4_OFFMASK	0x1fff
#define IPV6_FRAG_OFFMASK 0xfff8
#define IPV6_MAX_EXTHDRS 8

#define ECN_MASK	0x03
#define ECN_ECT0	0x02
#define ECN_CE		0x03

#define GRE_FLAG_CSUM	0x80	/* in the first byte */
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd

#define ICMP4_UNREACH	3
#define ICMP4_FRAG_NEEDED 4
#define ICMP6_PKT_TOOBIG 2

/* What the inner header tells; read before anything is overwritten. */
struct inner {
	uint8_t family;
	uint8_t proto;		/* 4 or 41: ipip's protocol, GUE's, GRE's */
	uint8_t ds;		/* outer TOS / traffic class */
	uint8_t ttl;
	uint8_t df;		/* IPv4: DF set */
	size_t len;		/* from the IP header */
};

/* The shape of the output, all sizes known before a byte is written. */
struct plan {
	int code;		/* SENT, TOOBIG or DROP */
	uint8_t df;		/* one packet: outer IPv4 DF */
	size_t hdr;		/* IP header (and fragment header) per packet */
	size_t lead;		/* bytes in front of the inner packet */
	size_t body;		/* inner bytes in the output */
	size_t tail;		/* bytes needed past them (fragment headers) */
	size_t chunk;		/* fragments: payload of each but the last */
	uint32_t n;
	uint32_t mtu;		/* TOOBIG: the MTU announced */
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

/*
 * Ones' complement sum of @p, 64 bits at a time with the end-around carry
 * (two accumulators, so the adds overlap).  @p's start must be an even
 * offset of the checksummed data; an odd last byte is padded with zero.
 * Returns less than 2^34, so results may be added up and passed on.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	uint64_t s1 = 0, x, y;
	uint16_t w = 0;

	for (; n >= 16; p += 16, n -= 16) {
		memcpy(&x, p, 8);
		memcpy(&y, p + 8, 8);
		sum += x;
		sum += sum < x;
		s1 += y;
		s1 += s1 < y;
	}
	sum += s1;
	sum += sum < s1;
	/* below 2^33 now, so the few words left and a caller's adds fit */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	for (; n >= 2; p += 2, n -= 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	if (n) {
		w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	return sum;
}

static uint16_t csum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)(s + (s >> 16));
}

static void csum_store(uint8_t *p, uint64_t sum)
{
	uint16_t c = (uint16_t)~csum_fold(sum);

	memcpy(p, &c, 2);
}

/* A host-order 16-bit value as csum_add() would have read it. */
static uint64_t csum_word(uint16_t v)
{
	return htons(v);
}

/* RFC 6040 full functionality, the kernel's INET_ECN_encapsulate(). */
static uint8_t ecn_encapsulate(uint8_t ds)
{
	if ((ds & ECN_MASK) == ECN_CE)
		return (uint8_t)((ds & ~ECN_MASK) | ECN_ECT0);
	return ds;
}

static size_t ip_hlen(int family)
{
	return family == AF_INET ? IPV4_HLEN : IPV6_HLEN;
}

static size_t tunnel_hlen(enum tun_type type, bool csum)
{
	switch (type) {
	case TUN_GRE:
		return csum ? GRE_CSUM_HLEN : GRE_HLEN;
	case TUN_GUE:
		return UDP_HLEN + GUE_HLEN;
	default:
		return 0;
	}
}

size_t encap_overhead(enum tun_type type, int family, bool csum)
{
	return ip_hlen(family) + tunnel_hlen(type, csum);
}

static uint32_t min_mtu(const struct encap *e)
{
	if (e->dst.family == AF_INET6)
		return IPV6_MIN_MTU;
	return IPV4_MIN_MTU + e->overhead;
}

int encap_set_mtu(struct encap *e, uint32_t mtu)
{
	if (mtu < min_mtu(e))
		return -EINVAL;
	if (mtu > IP_MAX_LEN)
		mtu = IP_MAX_LEN;
	__atomic_store_n(&e->mtu, mtu, __ATOMIC_RELAXED);
	return 0;
}

int encap_init(struct encap *e, const struct cfg_tunnel *t,
	       const struct nflvs_addr *src, const struct nflvs_addr *dst,
	       uint32_t mtu, uint32_t random)
{
	if (src->family != dst->family ||
	    (dst->family != AF_INET && dst->family != AF_INET6))
		return -EINVAL;
	if (t->type != TUN_IPIP && t->type != TUN_GRE && t->type != TUN_GUE)
		return -EINVAL;
	if (t->type == TUN_GUE && !t->port)
		return -EINVAL;

	memset(e, 0, sizeof(*e));
	e->type = t->type;
	e->csum = t->type != TUN_IPIP && t->csum;
	e->port = t->type == TUN_GUE ? t->port : 0;
	e->sport_lo = ENCAP_SPORT_LO;
	e->sport_hi = ENCAP_SPORT_HI;
	e->src = *src;
	e->dst = *dst;
	e->hashrnd = random | 1;	/* the kernel's is never 0 either */
	e->id_next = random >> 16 | random << 16;
	e->th_len = (uint16_t)tunnel_hlen(e->type, e->csum);
	e->overhead = (uint16_t)(ip_hlen(dst->family) + e->th_len);
	e->addr_sum = csum_fold(csum_add(0, src->b, addr_len(src)) +
				csum_add(0, dst->b, addr_len(dst)));
	if (encap_set_mtu(e, mtu) < 0) {
		e->overhead = 0;	/* unusable: encap_packet() refuses it */
		return -EINVAL;
	}
	return 0;
}

/* Set up by encap_init(), and not changed since but as allowed. */
static bool encap_ready(const struct encap *e)
{
	return e->overhead != 0 && e->src.family == e->dst.family &&
	       (e->dst.family == AF_INET || e->dst.family == AF_INET6) &&
	       e->th_len == tunnel_hlen(e->type, e->csum) &&
	       e->overhead == ip_hlen(e->dst.family) + e->th_len;
}

/* Validate the inner header and take what the outer one copies. */
static int inner_parse(const uint8_t *p, size_t len, struct inner *in)
{
	size_t ihl, tot;

	if (len < 1)
		return ENCAP_BAD_PACKET;
	switch (p[0] >> 4) {
	case 4:
		if (len < IPV4_HLEN)
			return ENCAP_BAD_PACKET;
		ihl = (p[0] & 0x0f) * 4u;
		tot = get_be16(p + 2);
		if (ihl < IPV4_HLEN || tot < ihl || tot > len)
			return ENCAP_BAD_PACKET;
		in->family = AF_INET;
		in->proto = IPPROTO_IPIP;
		in->ds = p[1];
		in->ttl = p[8];
		in->df = !!(get_be16(p + 6) & IPV4_DF);
		break;
	case 6:
		if (len < IPV6_HLEN)
			return ENCAP_BAD_PACKET;
		tot = IPV6_HLEN + get_be16(p + 4);
		/* Length 0 behind hop-by-hop is a jumbogram: not ours. */
		if (tot > len || (tot == IPV6_HLEN && p[6] == IPPROTO_HOPOPTS))
			return ENCAP_BAD_PACKET;
		in->family = AF_INET6;
		in->proto = IPPROTO_IPV6;
		in->ds = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4);
		in->ttl = p[7];
		in->df = 1;
		break;
	default:
		return ENCAP_BAD_PACKET;
	}
	in->len = tot;
	in->ds = ecn_encapsulate(in->ds);
	return ENCAP_SENT;
}

/* May an ICMP error come from / go to this IPv4 address? */
static bool ipv4_answerable(const uint8_t *a)
{
	/* not 0/8, loopback, multicast, reserved or broadcast */
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

static bool ipv4_icmp_allowed(const uint8_t *p, size_t len)
{
	size_t ihl = (p[0] & 0x0f) * 4u;
	uint8_t type;

	if (get_be16(p + 6) & IPV4_OFFMASK)
		return false;
	if (!ipv4_answerable(p + 12) || !ipv4_answerable(p + 16))
		return false;
	if (p[9] != IPPROTO_ICMP)
		return true;
	if (ihl >= len)
		return false;
	/* Queries and replies may be answered, errors (and unknowns) not. */
	type = p[ihl];
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

static bool ipv6_answerable(const uint8_t *a)
{
	static const uint8_t any[16], loop[16] = { [15] = 1 };

	return a[0] != 0xff && memcmp(a, any, 16) && memcmp(a, loop, 16);
}

/*
 * Walk the extension headers for what icmpv6_send() and IPVS check: no
 * error about a fragment but the first, or about an ICMPv6 error.  A chain
 * we cannot follow does not forbid the error, as in the kernel's
 * is_ineligible().
 */
static bool ipv6_icmp_allowed(const uint8_t *p, size_t len)
{
	uint8_t nh = p[6];
	size_t off = IPV6_HLEN;
	int i;

	if (!ipv6_answerable(p + 8) || !ipv6_answerable(p + 24))
		return false;
	for (i = 0; i < IPV6_MAX_EXTHDRS; i++) {
		if (nh == IPPROTO_ICMPV6)
			return off < len && p[off] >= 128;
		if (off + 8 > len)
			return true;
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			nh = p[off];
			off += (p[off + 1] + 1u) * 8;
			break;
		case IPPROTO_AH:
			nh = p[off];
			off += (p[off + 1] + 2u) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (get_be16(p + off + 2) & IPV6_FRAG_OFFMASK)
				return false;
			nh = p[off];
			off += FRAG6_HLEN;
			break;
		default:
			return true;
		}
	}
	return true;
}

static int plan_icmp(const uint8_t *p, const struct inner *in, uint32_t mtu,
		     struct plan *pl)
{
	size_t max;

	if (in->family == AF_INET) {
		if (!ipv4_icmp_allowed(p, in->len))
			return pl->code = ENCAP_DROP;
		pl->hdr = IPV4_HLEN;
		max = ICMP4_MAX;
	} else {
		if (!ipv6_icmp_allowed(p, in->len))
			return pl->code = ENCAP_DROP;
		pl->hdr = IPV6_HLEN;
		max = IPV6_MIN_MTU;
	}
	pl->lead = pl->hdr + ICMP_HLEN;
	pl->body = in->len < max - pl->lead ? in->len : max - pl->lead;
	pl->n = 1;
	pl->mtu = mtu;
	return pl->code = ENCAP_TOOBIG;
}

static int plan_frags(const struct encap *e, const struct inner *in,
		      uint32_t mtu, struct plan *pl)
{
	size_t stream = e->th_len + in->len;

	if (e->dst.family == AF_INET) {
		pl->hdr = IPV4_HLEN;
		if (IPV4_HLEN + stream > IP_MAX_LEN)
			return pl->code = ENCAP_DROP;
	} else {
		pl->hdr = IPV6_HLEN + FRAG6_HLEN;
		if (stream > IP_MAX_LEN)
			return pl->code = ENCAP_DROP;
	}
	/* encap_set_mtu()'s minimum keeps this at 64 bytes or more */
	pl->chunk = (mtu - pl->hdr) & ~(size_t)7;
	pl->n = (uint32_t)((stream + pl->chunk - 1) / pl->chunk);
	pl->lead = pl->hdr + e->th_len;
	pl->body = in->len;
	pl->tail = (pl->n - 1) * pl->hdr;
	return pl->code = ENCAP_SENT;
}

/* IPVS's MTU check, with sit's and ip6_tunnel's answer for IPv6 inside. */
static int encap_plan(const struct encap *e, const uint8_t *p,
		      const struct inner *in, struct plan *pl)
{
	uint32_t mtu = __atomic_load_n(&e->mtu, __ATOMIC_RELAXED), room;

	memset(pl, 0, sizeof(*pl));
	if (mtu < min_mtu(e) || mtu > IP_MAX_LEN)
		return ENCAP_BAD_CONFIG;
	room = mtu - e->overhead;
	if (in->len <= room) {
		pl->hdr = ip_hlen(e->dst.family);
		pl->lead = e->overhead;
		pl->body = in->len;
		pl->n = 1;
		pl->df = in->family == AF_INET ? in->df : room >= IPV6_MIN_MTU;
		return pl->code = ENCAP_SENT;
	}
	if (in->family == AF_INET) {
		if (in->df)
			return plan_icmp(p, in, room, pl);
	} else {
		if (room < IPV6_MIN_MTU)
			room = IPV6_MIN_MTU;
		if (in->len > room)
			return plan_icmp(p, in, room, pl);
	}
	return plan_frags(e, in, mtu, pl);
}

static uint32_t next_id(struct encap *e)
{
	return __atomic_fetch_add(&e->id_next, 1, __ATOMIC_RELAXED);
}

/* The outer IPv4 header at @h, @len bytes in all. */
static void put_ipv4(uint8_t *h, const struct nflvs_addr *src,
		     const struct nflvs_addr *dst, uint64_t addr_sum,
		     uint8_t tos, uint8_t ttl, uint8_t proto, size_t len,
		     uint16_t id, uint16_t frag)
{
	h[0] = 0x45;
	h[1] = tos;
	put_be16(h + 2, (uint32_t)len);
	put_be16(h + 4, id);
	put_be16(h + 6, frag);
	h[8] = ttl;
	h[9] = proto;
	h[10] = h[11] = 0;
	memcpy(h + 12, src->b, 4);
	memcpy(h + 16, dst->b, 4);
	csum_store(h + 10, csum_add(addr_sum, h, 12));
}

/* The outer IPv6 header at @h, for a payload of @plen bytes. */
static void put_ipv6(uint8_t *h, const struct nflvs_addr *src,
		     const struct nflvs_addr *dst, uint8_t tclass, uint8_t hop,
		     uint8_t nh, size_t plen)
{
	h[0] = (uint8_t)(0x60 | tclass >> 4);
	h[1] = (uint8_t)(tclass << 4);
	h[2] = h[3] = 0;
	put_be16(h + 4, (uint32_t)plen);
	h[6] = nh;
	h[7] = hop;
	memcpy(h + 8, src->b, 16);
	memcpy(h + 24, dst->b, 16);
}

/* UDP/IPv4 and UDP/IPv6 pseudo-header, addresses aside. */
static uint64_t pseudo_sum(const struct encap *e, uint8_t proto, size_t len)
{
	return e->addr_sum + csum_word(proto) + csum_word((uint16_t)len);
}

/*
 * GRE or UDP + GUE header at @h, in front of the @len-byte inner packet.
 * Returns the outer IP protocol.  With a checksum, the one pass over the
 * inner packet is here.
 */
static uint8_t put_tunnel(const struct encap *e, uint8_t *h,
			  const struct inner *in, uint32_t flow_hash)
{
	uint32_t hash, sport, lo = e->sport_lo, hi = e->sport_hi;
	size_t len = in->len;
	uint64_t sum;

	switch (e->type) {
	case TUN_GRE:
		h[0] = e->csum ? GRE_FLAG_CSUM : 0;
		h[1] = 0;
		put_be16(h + 2, in->family == AF_INET ? ETHERTYPE_IPV4 :
							ETHERTYPE_IPV6);
		if (e->csum) {
			memset(h + 4, 0, 4);
			/* RFC 2784: header and payload, no pseudo-header */
			sum = csum_add(csum_add(0, h, GRE_CSUM_HLEN),
				       h + GRE_CSUM_HLEN, len);
			csum_store(h + 4, sum);
		}
		return IPPROTO_GRE;
	case TUN_GUE:
		/* the kernel's udp_flow_src_port(), max excluded as there */
		if (lo >= hi) {
			lo = ENCAP_SPORT_LO;
			hi = ENCAP_SPORT_HI;
		}
		hash = flow_hash ? flow_hash : e->hashrnd;
		hash ^= hash << 16;
		sport = (uint32_t)(((uint64_t)hash * (hi - lo)) >> 32) + lo;
		put_be16(h, sport);
		put_be16(h + 2, e->port);
		put_be16(h + 4, (uint32_t)(UDP_HLEN + GUE_HLEN + len));
		h[6] = h[7] = 0;
		h[8] = 0;			/* version 0, C 0, hlen 0 */
		h[9] = in->proto;
		h[10] = h[11] = 0;		/* flags */
		if (e->csum) {
			sum = pseudo_sum(e, IPPROTO_UDP,
					 UDP_HLEN + GUE_HLEN + len);
			sum = csum_add(csum_add(sum, h, UDP_HLEN + GUE_HLEN),
				       h + UDP_HLEN + GUE_HLEN, len);
			csum_store(h + 6, sum);
			if (!h[6] && !h[7])	/* 0 means none: send -0 */
				h[6] = h[7] = 0xff;
		}
		return IPPROTO_UDP;
	default:
		return in->proto;
	}
}

static void build_one(struct encap *e, const struct inner *in,
		      const struct plan *pl, uint8_t *buf, size_t pos,
		      uint32_t flow_hash)
{
	size_t th = e->th_len, len = th + in->len;
	uint8_t *h = buf + pos - e->overhead;
	uint8_t proto;

	proto = put_tunnel(e, h + pl->hdr, in, flow_hash);
	if (e->dst.family == AF_INET)
		put_ipv4(h, &e->src, &e->dst, e->addr_sum, in->ds, in->ttl,
			 proto, IPV4_HLEN + len, pl->df ? 0 : next_id(e),
			 pl->df ? IPV4_DF : 0);
	else
		put_ipv6(h, &e->src, &e->dst, in->ds, in->ttl, proto, len);
}

/*
 * The tunnel payload (tunnel header + inner packet) in @pl->n fragments.
 * It lies whole at @stream; fragment i's part moves i headers further on,
 * last first so nothing is overwritten before it has moved, and then the
 * headers go in the gaps.
 */
static void build_frags(struct encap *e, const struct inner *in,
			const struct plan *pl, uint8_t *stream,
			uint32_t flow_hash)
{
	size_t total = e->th_len + in->len, off, n;
	uint32_t i, id = next_id(e);
	uint8_t *f, proto;
	uint16_t frag;

	proto = put_tunnel(e, stream, in, flow_hash);
	for (i = pl->n - 1; i > 0; i--)
		memmove(stream + i * (pl->chunk + pl->hdr),
			stream + i * pl->chunk,
			i + 1 < pl->n ? pl->chunk : total - i * pl->chunk);
	for (i = 0; i < pl->n; i++) {
		off = i * pl->chunk;
		n = i + 1 < pl->n ? pl->chunk : total - off;
		f = stream - pl->hdr + i * (pl->chunk + pl->hdr);
		if (e->dst.family == AF_INET) {
			frag = (uint16_t)(off / 8 | (i + 1 < pl->n ? IPV4_MF : 0));
			put_ipv4(f, &e->src, &e->dst, e->addr_sum, in->ds,
				 in->ttl, proto, IPV4_HLEN + n, (uint16_t)id,
				 frag);
			continue;
		}
		put_ipv6(f, &e->src, &e->dst, in->ds, in->ttl,
			 IPPROTO_FRAGMENT, FRAG6_HLEN + n);
		f += IPV6_HLEN;
		f[0] = proto;
		f[1] = 0;
		put_be16(f + 2, (uint32_t)(off | (i + 1 < pl->n ? 1 : 0)));
		put_be32(f + 4, id);
	}
}

/* The ICMP error in front of the quoted @pl->body bytes at @q. */
static void build_icmp(struct encap *e, const struct inner *in,
		       const struct plan *pl, uint8_t *q)
{
	uint8_t *icmp = q - ICMP_HLEN, *h = icmp - pl->hdr;
	size_t len = ICMP_HLEN + pl->body;
	struct nflvs_addr src, dst;
	uint64_t sum;

	memset(icmp, 0, ICMP_HLEN);
	if (in->family == AF_INET) {
		src.family = dst.family = AF_INET;
		memcpy(src.b, q + 16, 4);
		memcpy(dst.b, q + 12, 4);
		icmp[0] = ICMP4_UNREACH;
		icmp[1] = ICMP4_FRAG_NEEDED;
		put_be16(icmp + 6, pl->mtu);
		csum_store(icmp + 2, csum_add(csum_add(0, icmp, ICMP_HLEN),
					      q, pl->body));
		/* as icmp_send(): no DF, precedence "internetwork control" */
		sum = csum_fold(csum_add(csum_add(0, src.b, 4), dst.b, 4));
		put_ipv4(h, &src, &dst, sum,
			 (uint8_t)((q[1] & ICMP_TOS_MASK) | ICMP_TOS_PREC),
			 ICMP_TTL, IPPROTO_ICMP, IPV4_HLEN + len,
			 (uint16_t)next_id(e), 0);
		return;
	}
	src.family = dst.family = AF_INET6;
	memcpy(src.b, q + 24, 16);
	memcpy(dst.b, q + 8, 16);
	icmp[0] = ICMP6_PKT_TOOBIG;
	put_be32(icmp + 4, pl->mtu);
	sum = csum_add(csum_add(0, src.b, 16), dst.b, 16) +
	      csum_word(IPPROTO_ICMPV6) + csum_word((uint16_t)len);
	sum = csum_add(csum_add(sum, icmp, ICMP_HLEN), q, pl->body);
	csum_store(icmp + 2, sum);
	put_ipv6(h, &src, &dst, 0, ICMP_TTL, IPPROTO_ICMPV6, len);
}

static void result_clear(struct encap_result *r, int code)
{
	memset(r, 0, sizeof(*r));
	r->code = code;
}

/* Build what @pl says, the inner packet (or quote) being at @buf + @pos. */
static int encap_build(struct encap *e, const struct inner *in,
		       const struct plan *pl, uint8_t *buf, size_t pos,
		       uint32_t flow_hash, struct encap_result *r)
{
	r->off = (uint32_t)(pos - pl->lead);
	r->n = pl->n;
	if (pl->code == ENCAP_TOOBIG) {
		build_icmp(e, in, pl, buf + pos);
		r->stride = r->last_len = (uint32_t)(pl->lead + pl->body);
		r->mtu = pl->mtu;
		/* the client: the quoted packet's source */
		r->dst.family = in->family;
		memcpy(r->dst.b, buf + pos + (in->family == AF_INET ? 12 : 8),
		       addr_len(&r->dst));
		return r->code = ENCAP_TOOBIG;
	}
	r->dst = e->dst;
	if (pl->n == 1) {
		build_one(e, in, pl, buf, pos, flow_hash);
		r->stride = r->last_len = (uint32_t)(pl->lead + pl->body);
	} else {
		build_frags(e, in, pl, buf + pos - e->th_len, flow_hash);
		r->stride = (uint32_t)(pl->hdr + pl->chunk);
		r->last_len = (uint32_t)(pl->hdr + e->th_len + in->len -
					 (pl->n - 1) * pl->chunk);
	}
	return r->code = ENCAP_SENT;
}

/* Parse and plan; ENCAP_SENT or TOOBIG if there is something to build. */
static int encap_prepare(const struct encap *e, const uint8_t *p,
			 size_t len, struct inner *in, struct plan *pl)
{
	int rc;

	if (!encap_ready(e))
		return ENCAP_BAD_CONFIG;
	rc = inner_parse(p, len, in);
	if (rc != ENCAP_SENT)
		return rc;
	return encap_plan(e, p, in, pl);
}

int encap_packet(struct encap *e, const void *inner, size_t len,
		 uint32_t flow_hash, void *out, size_t cap,
		 struct encap_result *r)
{
	struct inner in;
	struct plan pl;
	int rc;

	rc = encap_prepare(e, inner, len, &in, &pl);
	result_clear(r, rc);
	if (rc != ENCAP_SENT && rc != ENCAP_TOOBIG)
		return rc;
	if (pl.lead + pl.body + pl.tail > cap)
		return r->code = ENCAP_NO_SPACE;
	memcpy((uint8_t *)out + pl.lead, inner, pl.body);
	return encap_build(e, &in, &pl, out, pl.lead, flow_hash, r);
}

int encap_inplace(struct encap *e, void *buf, size_t off, size_t len,
		  size_t cap, uint32_t flow_hash, struct encap_result *r)
{
	struct inner in;
	struct plan pl;
	int rc;

	if (off > cap || len > cap - off) {
		result_clear(r, ENCAP_NO_SPACE);
		return ENCAP_NO_SPACE;
	}
	rc = encap_prepare(e, (uint8_t *)buf + off, len, &in, &pl);
	result_clear(r, rc);
	if (rc != ENCAP_SENT && rc != ENCAP_TOOBIG)
		return rc;
	if (off < pl.lead || pl.body + pl.tail > cap - off)
		return r->code = ENCAP_NO_SPACE;
	return encap_build(e, &in, &pl, buf, off, flow_hash, r);
}

size_t encap_space(const struct encap *e, size_t len)
{
	uint32_t mtu = __atomic_load_n(&e->mtu, __ATOMIC_RELAXED);
	size_t hdr, chunk, n, frags, one;

	one = e->overhead + len;
	if (!encap_ready(e) || mtu < min_mtu(e))
		return one;
	hdr = e->dst.family == AF_INET ? IPV4_HLEN : IPV6_HLEN + FRAG6_HLEN;
	chunk = (mtu - hdr) & ~(size_t)7;
	n = (e->th_len + len + chunk - 1) / chunk;
	frags = n * hdr + e->th_len + len;
	if (frags < IPV6_MIN_MTU)
		frags = IPV6_MIN_MTU;	/* an ICMPv6 error: 1280 at most */
	return one > frags ? one : frags;
}

const char *encap_code_str(int code)
{
	switch (code) {
	case ENCAP_SENT:
		return "sent";
	case ENCAP_TOOBIG:
		return "too big";
	case ENCAP_DROP:
		return "dropped";
	case ENCAP_BAD_PACKET:
		return "bad packet";
	case ENCAP_NO_SPACE:
		return "no space";
	case ENCAP_BAD_CONFIG:
		return "bad config";
	}
	return "?";
}
