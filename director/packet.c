// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IPv4/IPv6 + TCP/UDP/SCTP header parsing for the first packet of a flow.
 * The rules (what must be captured, MALFORMED versus TRUNCATED) are in
 * packet.h.  Multi-byte fields are read byte by byte (addresses with
 * memcpy): the netlink payload has no alignment guarantee.  The buffer is
 * not padded either, so every read is preceded by a bounds check.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "packet.h"

#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define TCP_NEED	14	/* ports, data offset, flags */
#define UDP_NEED	8
#define SCTP_NEED	12

#define IPV4_MF		0x2000
#define IPV4_OFFMASK	0x1fff
#define IPV6_FRAG_OFFMASK 0xfff8
#define IPV6_FRAG_MF	0x0001

/* Unknown packet end (IPv6 jumbogram): only the capture bounds the parse. */
#define PKT_END_UNKNOWN	SIZE_MAX

struct pkt_buf {
	const uint8_t *p;
	size_t cap;		/* bytes captured */
	size_t end;		/* packet length per the IP header */
};

/* What the network layer found; copied to pkt_info only on success. */
struct pkt_l3 {
	const uint8_t *saddr, *daddr;
	uint8_t family, proto, ttl, tos, is_fragment;
	size_t l4_off;
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * May @n bytes at @off be read?  Past the packet's own end the headers
 * contradict the IP length (MALFORMED); inside the packet but past the
 * capture we simply were not given them (TRUNCATED).  Written so that
 * neither check can overflow.
 */
static enum pkt_result pkt_need(const struct pkt_buf *b, size_t off, size_t n)
{
	if (off > b->end || n > b->end - off)
		return PKT_MALFORMED;
	if (off > b->cap || n > b->cap - off)
		return PKT_TRUNCATED;
	return PKT_OK;
}

static int l4_supported(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP;
}

static enum pkt_result ipv4_parse(struct pkt_buf *b, struct pkt_l3 *l3)
{
	const uint8_t *p = b->p;
	size_t ihl, tot_len;
	uint16_t frag;

	if (b->cap < IPV4_HLEN)
		return PKT_TRUNCATED;
	ihl = (p[0] & 0x0f) * 4u;
	tot_len = get_be16(p + 2);
	if (ihl < IPV4_HLEN || tot_len < ihl)
		return PKT_MALFORMED;
	/* Later fragments carry no ports to schedule on. */
	frag = get_be16(p + 6);
	if (frag & IPV4_OFFMASK)
		return PKT_UNSUPPORTED;
	if (!l4_supported(p[9]))
		return PKT_UNSUPPORTED;

	/* Options cut off by the capture show up in the transport check. */
	b->end = tot_len;
	l3->family = AF_INET;
	l3->proto = p[9];
	l3->ttl = p[8];
	l3->tos = p[1];
	l3->is_fragment = !!(frag & IPV4_MF);
	l3->saddr = p + 12;
	l3->daddr = p + 16;
	l3->l4_off = ihl;
	return PKT_OK;
}

/*
 * Length of the IPv6 extension header @nh at @off into @hlen.  A fragment
 * header also decides is_fragment.
 */
static enum pkt_result ipv6_exthdr_len(const struct pkt_buf *b, uint8_t nh,
				       size_t off, struct pkt_l3 *l3,
				       size_t *hlen)
{
	const uint8_t *h = b->p + off;
	enum pkt_result r;
	uint16_t frag;

	switch (nh) {
	case IPPROTO_HOPOPTS:
		/* Valid only right after the fixed header, as in the kernel. */
		if (off != IPV6_HLEN)
			return PKT_MALFORMED;
		__attribute__((__fallthrough__));
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
		r = pkt_need(b, off, 2);
		if (r)
			return r;
		*hlen = (h[1] + 1u) * 8;
		return PKT_OK;
	case IPPROTO_AH:
		r = pkt_need(b, off, 2);
		if (r)
			return r;
		*hlen = (h[1] + 2u) * 4;
		return PKT_OK;
	case IPPROTO_FRAGMENT:
		r = pkt_need(b, off, 4);
		if (r)
			return r;
		frag = get_be16(h + 2);
		if (frag & IPV6_FRAG_OFFMASK)
			return PKT_UNSUPPORTED;
		if (frag & IPV6_FRAG_MF)
			l3->is_fragment = 1;
		*hlen = 8;
		return PKT_OK;
	default:
		/* ESP hides the ports; no-next-header has none. */
		return PKT_UNSUPPORTED;
	}
}

/*
 * Walk the extension header chain to the transport header.  Bounded, so a
 * chain of tiny headers cannot make us loop; the bound also keeps l4_off
 * well inside 16 bits (40 + 8 * 2048).
 */
static enum pkt_result ipv6_walk(const struct pkt_buf *b, struct pkt_l3 *l3)
{
	uint8_t nh = b->p[6];
	size_t off = IPV6_HLEN, hlen;
	enum pkt_result r;
	int i;

	for (i = 0; !l4_supported(nh); i++) {
		if (i == PKT_MAX_EXTHDRS)
			return PKT_MALFORMED;
		r = ipv6_exthdr_len(b, nh, off, l3, &hlen);
		if (r)
			return r;
		/* The whole header, so the next one starts in the packet. */
		r = pkt_need(b, off, hlen);
		if (r)
			return r;
		nh = b->p[off];
		off += hlen;
	}
	l3->proto = nh;
	l3->l4_off = off;
	return PKT_OK;
}

static enum pkt_result ipv6_parse(struct pkt_buf *b, struct pkt_l3 *l3)
{
	const uint8_t *p = b->p;
	size_t plen;

	if (b->cap < IPV6_HLEN)
		return PKT_TRUNCATED;
	plen = get_be16(p + 4);
	/*
	 * Payload length 0 means a jumbogram only behind hop-by-hop; without
	 * one it is a bare 40-byte header, which is what the kernel does too.
	 */
	if (plen || p[6] != IPPROTO_HOPOPTS)
		b->end = IPV6_HLEN + plen;
	else
		b->end = PKT_END_UNKNOWN;

	l3->family = AF_INET6;
	l3->ttl = p[7];
	l3->tos = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4);
	l3->is_fragment = 0;
	l3->saddr = p + 8;
	l3->daddr = p + 24;
	return ipv6_walk(b, l3);
}

static enum pkt_result l4_parse(const struct pkt_buf *b,
				const struct pkt_l3 *l3, uint8_t *tcp_flags)
{
	const uint8_t *h = b->p + l3->l4_off;
	enum pkt_result r;
	size_t doff;

	switch (l3->proto) {
	case IPPROTO_TCP:
		r = pkt_need(b, l3->l4_off, TCP_NEED);
		if (r)
			return r;
		doff = (h[12] >> 4) * 4u;
		if (doff < 20)
			return PKT_MALFORMED;
		/* Options need not be captured, but must be in the packet. */
		if (doff > b->end - l3->l4_off)
			return PKT_MALFORMED;
		*tcp_flags = h[13];
		return PKT_OK;
	case IPPROTO_UDP:
		return pkt_need(b, l3->l4_off, UDP_NEED);
	default:
		return pkt_need(b, l3->l4_off, SCTP_NEED);
	}
}

enum pkt_result packet_parse(const void *buf, size_t len, struct pkt_info *pi)
{
	struct pkt_buf b = { .p = buf, .cap = len, .end = len };
	struct pkt_l3 l3;
	uint8_t tcp_flags = 0;
	enum pkt_result r;
	size_t alen;

	if (len < 1)
		return PKT_TRUNCATED;
	switch (b.p[0] >> 4) {
	case 4:
		r = ipv4_parse(&b, &l3);
		break;
	case 6:
		r = ipv6_parse(&b, &l3);
		break;
	default:
		return PKT_MALFORMED;
	}
	if (r)
		return r;
	r = l4_parse(&b, &l3, &tcp_flags);
	if (r)
		return r;

	/* Zeroed whole, padding too, so callers may hash or memcmp it. */
	memset(pi, 0, sizeof(*pi));
	pi->family = l3.family;
	pi->l4proto = l3.proto;
	pi->tcp_flags = tcp_flags;
	pi->ttl = l3.ttl;
	pi->tos = l3.tos;
	pi->is_fragment = l3.is_fragment;
	pi->l4_off = (uint16_t)l3.l4_off;
	pi->sport = get_be16(b.p + l3.l4_off);
	pi->dport = get_be16(b.p + l3.l4_off + 2);
	pi->tot_len = b.end == PKT_END_UNKNOWN ? 0 : (uint32_t)b.end;
	pi->saddr.family = l3.family;
	pi->daddr.family = l3.family;
	alen = l3.family == AF_INET ? 4 : 16;
	memcpy(pi->saddr.b, l3.saddr, alen);
	memcpy(pi->daddr.b, l3.daddr, alen);
	return PKT_OK;
}

#define ICMP_HLEN	8
#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMPV6_INFO	128	/* types from here on are not errors */

/* Where the ICMP error of @b starts, or 0 if @b carries none. */
static size_t icmp_error_off(const uint8_t *p, size_t len)
{
	size_t off;

	if (p[0] >> 4 == 4) {
		if (len < IPV4_HLEN || p[9] != IPPROTO_ICMP ||
		    (get_be16(p + 6) & (IPV4_MF | IPV4_OFFMASK)))
			return 0;
		off = (p[0] & 0x0f) * 4u;
		if (off < IPV4_HLEN || len < off + ICMP_HLEN ||
		    (p[off] != ICMP_DEST_UNREACH && p[off] != ICMP_TIME_EXCEEDED))
			return 0;
		return off;
	}
	if (p[0] >> 4 != 6 || len < IPV6_HLEN + ICMP_HLEN ||
	    p[6] != IPPROTO_ICMPV6 || p[IPV6_HLEN] >= ICMPV6_INFO)
		return 0;
	return IPV6_HLEN;
}

enum pkt_result packet_parse_icmp_error(const void *buf, size_t len,
					struct pkt_info *pi)
{
	const uint8_t *p = buf, *q;
	size_t off, qlen, l4, alen;

	if (len < 1 || !(off = icmp_error_off(p, len)))
		return PKT_UNSUPPORTED;
	q = p + off + ICMP_HLEN;
	qlen = len - off - ICMP_HLEN;
	if (qlen >= IPV4_HLEN && q[0] == 0x45 && p[0] >> 4 == 4) {
		l4 = IPV4_HLEN;
		alen = 4;
		if (get_be16(q + 6) & IPV4_OFFMASK)
			return PKT_UNSUPPORTED;	/* no ports in it */
	} else if (qlen >= IPV6_HLEN && q[0] >> 4 == 6 && p[0] >> 4 == 6) {
		l4 = IPV6_HLEN;
		alen = 16;
	} else {
		return PKT_UNSUPPORTED;
	}
	if (!l4_supported(q[alen == 4 ? 9 : 6]))
		return PKT_UNSUPPORTED;
	if (qlen < l4 + 4)
		return PKT_TRUNCATED;

	memset(pi, 0, sizeof(*pi));
	pi->family = alen == 4 ? AF_INET : AF_INET6;
	pi->l4proto = q[alen == 4 ? 9 : 6];
	pi->ttl = alen == 4 ? p[8] : p[7];
	pi->l4_off = (uint16_t)(off + ICMP_HLEN + l4);
	pi->tot_len = (uint32_t)len;
	/* the quoted answer backwards: the flow as its client sends it */
	pi->sport = get_be16(q + l4 + 2);
	pi->dport = get_be16(q + l4);
	pi->saddr.family = pi->daddr.family = pi->family;
	memcpy(pi->saddr.b, q + (alen == 4 ? 16 : 24), alen);
	memcpy(pi->daddr.b, q + (alen == 4 ? 12 : 8), alen);
	return PKT_OK;
}

const char *packet_result_str(enum pkt_result r)
{
	switch (r) {
	case PKT_OK:
		return "ok";
	case PKT_TRUNCATED:
		return "truncated";
	case PKT_MALFORMED:
		return "malformed";
	case PKT_UNSUPPORTED:
		return "unsupported";
	}
	return "?";
}
