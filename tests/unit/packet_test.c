// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet_parse() over hand-built packets.  Every buffer handed to the
 * parser in the truncation tests is a heap block of exactly the captured
 * length, so ASan or valgrind sees any read past it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

#define SRC4	"192.0.2.1"
#define DST4	"198.51.100.2"
#define SRC6	"2001:db8::1"
#define DST6	"2001:db8:ffff::2"
#define SPORT	0x1234	/* distinct bytes, so a byte swap shows */
#define DPORT	443

#define TCP_SYN	0x02
#define TCP_ACK	0x10

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put_addr(uint8_t *p, int family, const char *s)
{
	cr_assert_eq(inet_pton(family, s, p), 1);
}

/* Transport headers: each returns its length. */

static size_t tcp_hdr(uint8_t *p, uint8_t flags, unsigned int doff)
{
	size_t i, len = doff * 4;

	memset(p, 0, len);
	put16(p, SPORT);
	put16(p + 2, DPORT);
	p[12] = doff << 4;
	p[13] = flags;
	for (i = 20; i < len; i++)
		p[i] = 1;	/* NOP options */
	return len;
}

static size_t udp_hdr(uint8_t *p, size_t payload)
{
	memset(p, 0, 8 + payload);
	put16(p, SPORT);
	put16(p + 2, DPORT);
	put16(p + 4, 8 + payload);
	return 8 + payload;
}

static size_t sctp_hdr(uint8_t *p)
{
	memset(p, 0, 12);
	put16(p, SPORT);
	put16(p + 2, DPORT);
	p[4] = 0xde;	/* verification tag */
	return 12;
}

static size_t l4_hdr(uint8_t *p, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return tcp_hdr(p, TCP_SYN, 5);
	case IPPROTO_UDP:
		return udp_hdr(p, 4);
	case IPPROTO_SCTP:
		return sctp_hdr(p);
	default:
		memset(p, 0, 8);	/* ICMP-ish filler */
		return 8;
	}
}

/* IPv4 header of @ihl words with NOP options; tot_len = ihl*4 + @l4len. */
static size_t ip4_hdr(uint8_t *p, uint8_t proto, unsigned int ihl,
		      size_t l4len)
{
	size_t hlen = ihl * 4;

	memset(p, 0, hlen);
	p[0] = 0x40 | ihl;
	p[1] = 0x10;		/* TOS */
	put16(p + 2, hlen + l4len);
	put16(p + 4, 0xbeef);	/* id */
	p[8] = 64;		/* TTL */
	p[9] = proto;
	put_addr(p + 12, AF_INET, SRC4);
	put_addr(p + 16, AF_INET, DST4);
	memset(p + 20, 1, hlen > 20 ? hlen - 20 : 0);
	return hlen;
}

static size_t build_v4(uint8_t *p, uint8_t proto)
{
	size_t l4 = l4_hdr(p + 20, proto);

	return ip4_hdr(p, proto, 5, l4) + l4;
}

/* IPv6 header; traffic class 0xb8 straddles the nibbles, hop limit 63. */
static size_t ip6_hdr(uint8_t *p, uint8_t nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x6b;
	p[1] = 0x8a;		/* low nibble: flow label */
	put16(p + 4, plen);
	p[6] = nh;
	p[7] = 63;
	put_addr(p + 8, AF_INET6, SRC6);
	put_addr(p + 24, AF_INET6, DST6);
	return 40;
}

#define FRAG_FIRST	0x0001	/* offset 0, M set */
#define FRAG_ATOMIC	0x0000
#define FRAG_LATER	0x0008	/* offset 1 (8 bytes), M clear */

/* One extension header of type @type, followed by @nh. */
static size_t ext_hdr(uint8_t *p, uint8_t type, uint8_t nh, uint16_t frag)
{
	size_t len;

	switch (type) {
	case IPPROTO_HOPOPTS:
		len = 8;
		break;
	case IPPROTO_DSTOPTS:
		len = 16;	/* hdr ext len 1: the (n + 1) * 8 rule */
		break;
	case IPPROTO_ROUTING:
		len = 24;
		break;
	case IPPROTO_AH:
		len = 24;	/* payload len 4: the (n + 2) * 4 rule */
		break;
	default:
		len = 8;	/* fragment */
		break;
	}
	memset(p, 0, len);
	p[0] = nh;
	if (type == IPPROTO_AH)
		p[1] = len / 4 - 2;
	else if (type == IPPROTO_FRAGMENT)
		put16(p + 2, frag);
	else
		p[1] = len / 8 - 1;
	if (type == IPPROTO_HOPOPTS || type == IPPROTO_DSTOPTS) {
		p[2] = 1;		/* PadN covering the rest */
		p[3] = len - 4;
	}
	return len;
}

/*
 * IPv6 packet with the @n extension headers @chain (a fragment header
 * gets @frag), then transport @proto.
 */
static size_t build_v6_frag(uint8_t *p, const uint8_t *chain, size_t n,
			    uint8_t proto, uint16_t frag)
{
	size_t off = 40, i;
	uint8_t nh;

	for (i = 0; i < n; i++) {
		nh = i + 1 < n ? chain[i + 1] : proto;
		off += ext_hdr(p + off, chain[i], nh, frag);
	}
	off += l4_hdr(p + off, proto);
	ip6_hdr(p, n ? chain[0] : proto, off - 40);
	return off;
}

static size_t build_v6(uint8_t *p, const uint8_t *chain, size_t n,
		       uint8_t proto)
{
	return build_v6_frag(p, chain, n, proto, FRAG_FIRST);
}

static enum pkt_result parse(const uint8_t *p, size_t len, struct pkt_info *pi)
{
	memset(pi, 0xa5, sizeof(*pi));
	return packet_parse(p, len, pi);
}

static void assert_ok(const uint8_t *p, size_t len, struct pkt_info *pi)
{
	enum pkt_result r = parse(p, len, pi);

	cr_assert_eq(r, PKT_OK, "got %s", packet_result_str(r));
}

static void assert_result(const uint8_t *p, size_t len, enum pkt_result want)
{
	struct pkt_info pi, untouched;
	enum pkt_result r = parse(p, len, &pi);

	cr_assert_eq(r, want, "got %s, want %s", packet_result_str(r),
		     packet_result_str(want));
	memset(&untouched, 0xa5, sizeof(untouched));
	cr_assert_arr_eq(&pi, &untouched, sizeof(pi),
			 "pkt_info written on failure");
}

static void assert_addrs(const struct pkt_info *pi, int family,
			 const char *src, const char *dst)
{
	struct nflvs_addr a;

	cr_assert_eq(pi->saddr.family, family);
	cr_assert_eq(pi->daddr.family, family);
	cr_assert_eq(addr_parse(src, &a), 0);
	cr_assert(addr_eq(&pi->saddr, &a), "saddr");
	cr_assert_arr_eq(pi->saddr.b, a.b, 16, "saddr bytes (zero tail)");
	cr_assert_eq(addr_parse(dst, &a), 0);
	cr_assert(addr_eq(&pi->daddr, &a), "daddr");
	cr_assert_arr_eq(pi->daddr.b, a.b, 16, "daddr bytes (zero tail)");
}

static void assert_v4(const struct pkt_info *pi, uint8_t proto, size_t tot)
{
	cr_assert_eq(pi->family, AF_INET);
	cr_assert_eq(pi->l4proto, proto);
	cr_assert_eq(pi->ttl, 64);
	cr_assert_eq(pi->tos, 0x10);
	cr_assert_eq(pi->l4_off, 20);
	cr_assert_eq(pi->sport, SPORT);
	cr_assert_eq(pi->dport, DPORT);
	cr_assert_eq(pi->tot_len, tot);
	cr_assert_eq(pi->is_fragment, 0);
	assert_addrs(pi, AF_INET, SRC4, DST4);
}

static void assert_v6(const struct pkt_info *pi, uint8_t proto, size_t l4_off,
		      size_t tot)
{
	cr_assert_eq(pi->family, AF_INET6);
	cr_assert_eq(pi->l4proto, proto);
	cr_assert_eq(pi->ttl, 63);
	cr_assert_eq(pi->tos, 0xb8);
	cr_assert_eq(pi->l4_off, l4_off);
	cr_assert_eq(pi->sport, SPORT);
	cr_assert_eq(pi->dport, DPORT);
	cr_assert_eq(pi->tot_len, tot);
	assert_addrs(pi, AF_INET6, SRC6, DST6);
}

/* Good packets -------------------------------------------------------- */

Test(packet, ipv4_tcp_syn)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len;

	/* SYN with an MSS-sized option area: doff 6. */
	len = tcp_hdr(p + 20, TCP_SYN, 6);
	len += ip4_hdr(p, IPPROTO_TCP, 5, len);
	assert_ok(p, len, &pi);
	assert_v4(&pi, IPPROTO_TCP, 44);
	cr_assert_eq(pi.tcp_flags, TCP_SYN);
}

Test(packet, ipv4_tcp_flags_byte)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len;

	len = tcp_hdr(p + 20, TCP_SYN | TCP_ACK, 5);
	len += ip4_hdr(p, IPPROTO_TCP, 5, len);
	p[20 + 12] |= 0x01;	/* AE (ex-NS) is in byte 12: not in flags */
	assert_ok(p, len, &pi);
	cr_assert_eq(pi.tcp_flags, TCP_SYN | TCP_ACK);
}

Test(packet, ipv4_udp)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v4(p, IPPROTO_UDP);

	assert_ok(p, len, &pi);
	assert_v4(&pi, IPPROTO_UDP, 32);
	cr_assert_eq(pi.tcp_flags, 0);
}

Test(packet, ipv4_sctp)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v4(p, IPPROTO_SCTP);

	assert_ok(p, len, &pi);
	assert_v4(&pi, IPPROTO_SCTP, 32);
}

Test(packet, ipv4_options_skipped)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len;

	len = tcp_hdr(p + 24, TCP_SYN, 5);
	len += ip4_hdr(p, IPPROTO_TCP, 6, len);
	assert_ok(p, len, &pi);
	cr_assert_eq(pi.l4_off, 24);
	cr_assert_eq(pi.sport, SPORT);
	cr_assert_eq(pi.tot_len, 44);
}

Test(packet, ipv4_first_fragment)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v4(p, IPPROTO_UDP);

	put16(p + 6, 0x2000);	/* MF, offset 0 */
	assert_ok(p, len, &pi);
	cr_assert_eq(pi.is_fragment, 1);
	cr_assert_eq(pi.dport, DPORT);

	put16(p + 6, 0x4000);	/* DF only: not a fragment */
	assert_ok(p, len, &pi);
	cr_assert_eq(pi.is_fragment, 0);
}

Test(packet, ipv4_capture_longer_than_packet)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v4(p, IPPROTO_UDP);

	/* Trailing bytes past tot_len (link padding) are not the packet's. */
	memset(p + len, 0xee, 16);
	assert_ok(p, len + 16, &pi);
	cr_assert_eq(pi.tot_len, len);
}

Test(packet, ipv4_byte_order)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v4(p, IPPROTO_TCP);

	put16(p + 20, 0xff01);
	put16(p + 22, 0x0102);
	assert_ok(p, len, &pi);
	cr_assert_eq(pi.sport, 0xff01);
	cr_assert_eq(pi.dport, 0x0102);
	cr_assert_eq(pi.saddr.b[0], 192);
	cr_assert_eq(pi.saddr.b[3], 1);
	cr_assert_eq(pi.saddr.v4.s_addr, htonl(0xc0000201));
	cr_assert_eq(pi.daddr.v4.s_addr, htonl(0xc6336402));
}

Test(packet, ipv6_tcp)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v6(p, NULL, 0, IPPROTO_TCP);

	assert_ok(p, len, &pi);
	assert_v6(&pi, IPPROTO_TCP, 40, 60);
	cr_assert_eq(pi.tcp_flags, TCP_SYN);
	cr_assert_eq(pi.is_fragment, 0);
	cr_assert_eq(pi.saddr.b[0], 0x20);
	cr_assert_eq(pi.saddr.b[15], 0x01);
	cr_assert_eq(pi.daddr.b[4], 0xff);
}

Test(packet, ipv6_udp)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v6(p, NULL, 0, IPPROTO_UDP);

	assert_ok(p, len, &pi);
	assert_v6(&pi, IPPROTO_UDP, 40, 52);
}

Test(packet, ipv6_sctp)
{
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v6(p, NULL, 0, IPPROTO_SCTP);

	assert_ok(p, len, &pi);
	assert_v6(&pi, IPPROTO_SCTP, 40, 52);
}

Test(packet, ipv6_each_exthdr)
{
	static const uint8_t types[] = {
		IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
		IPPROTO_FRAGMENT, IPPROTO_AH,
	};
	static const size_t hlen[] = { 8, 16, 24, 8, 24 };
	uint8_t p[256];
	struct pkt_info pi;
	size_t i, len;

	for (i = 0; i < sizeof(types); i++) {
		len = build_v6(p, &types[i], 1, IPPROTO_TCP);
		assert_ok(p, len, &pi);
		assert_v6(&pi, IPPROTO_TCP, 40 + hlen[i], len);
		cr_assert_eq(pi.is_fragment, types[i] == IPPROTO_FRAGMENT,
			     "type %u", types[i]);
	}
}

Test(packet, ipv6_exthdr_chain)
{
	/* RFC 8200 4.1 order, with AH where IPsec puts it. */
	static const uint8_t chain[] = {
		IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
		IPPROTO_FRAGMENT, IPPROTO_AH, IPPROTO_DSTOPTS,
	};
	uint8_t p[256];
	struct pkt_info pi;
	size_t len = build_v6(p, chain, sizeof(chain), IPPROTO_UDP);

	assert_ok(p, len, &pi);
	assert_v6(&pi, IPPROTO_UDP, 40 + 8 + 16 + 24 + 8 + 24 + 16, len);
	cr_assert_eq(pi.is_fragment, 1);
}

Test(packet, ipv6_atomic_fragment)
{
	static const uint8_t chain[] = { IPPROTO_FRAGMENT };
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v6_frag(p, chain, 1, IPPROTO_UDP, FRAG_ATOMIC);

	assert_ok(p, len, &pi);
	cr_assert_eq(pi.is_fragment, 0);
}

Test(packet, ipv6_max_exthdrs)
{
	uint8_t chain[PKT_MAX_EXTHDRS], p[512];
	struct pkt_info pi;
	size_t len;

	memset(chain, IPPROTO_DSTOPTS, sizeof(chain));
	len = build_v6(p, chain, sizeof(chain), IPPROTO_TCP);
	assert_ok(p, len, &pi);
	cr_assert_eq(pi.l4_off, 40 + 16 * PKT_MAX_EXTHDRS);
}

Test(packet, ipv6_jumbogram)
{
	static const uint8_t chain[] = { IPPROTO_HOPOPTS };
	uint8_t p[128];
	struct pkt_info pi;
	size_t len = build_v6(p, chain, 1, IPPROTO_TCP);

	/* Payload length 0 behind hop-by-hop: the length is elsewhere. */
	put16(p + 4, 0);
	assert_ok(p, len, &pi);
	cr_assert_eq(pi.tot_len, 0);
	cr_assert_eq(pi.dport, DPORT);
}

/* Unsupported --------------------------------------------------------- */

Test(packet, ipv4_not_tcp_udp_sctp)
{
	static const uint8_t protos[] = {
		IPPROTO_ICMP, IPPROTO_ESP, IPPROTO_AH, IPPROTO_GRE,
		IPPROTO_IPIP, IPPROTO_IPV6,
	};
	uint8_t p[128];
	size_t i, len;

	for (i = 0; i < sizeof(protos); i++) {
		len = build_v4(p, protos[i]);
		assert_result(p, len, PKT_UNSUPPORTED);
	}
}

Test(packet, ipv6_not_tcp_udp_sctp)
{
	static const uint8_t protos[] = {
		IPPROTO_ICMPV6, IPPROTO_ESP, IPPROTO_NONE, IPPROTO_IPIP,
		IPPROTO_GRE, 255,
	};
	static const uint8_t chain[] = { IPPROTO_AH };
	uint8_t p[128];
	size_t i, len;

	for (i = 0; i < sizeof(protos); i++) {
		len = build_v6(p, NULL, 0, protos[i]);
		assert_result(p, len, PKT_UNSUPPORTED);
	}
	/* ESP behind AH: the ports are encrypted. */
	len = build_v6(p, chain, 1, IPPROTO_ESP);
	assert_result(p, len, PKT_UNSUPPORTED);
}

Test(packet, ipv4_later_fragment)
{
	uint8_t p[128];
	size_t len = build_v4(p, IPPROTO_TCP);

	put16(p + 6, 0x2001);	/* MF, offset 8 */
	assert_result(p, len, PKT_UNSUPPORTED);
	put16(p + 6, 0x0001);	/* last fragment */
	assert_result(p, len, PKT_UNSUPPORTED);
	put16(p + 6, 0x5fff);	/* DF, MF, highest offset */
	assert_result(p, len, PKT_UNSUPPORTED);
	put16(p + 6, 0x1000);	/* only the top offset bit */
	assert_result(p, len, PKT_UNSUPPORTED);
	/* The offset is decided before the capture length matters. */
	assert_result(p, 20, PKT_UNSUPPORTED);
}

Test(packet, ipv6_later_fragment)
{
	static const uint8_t chain[] = {
		IPPROTO_HOPOPTS, IPPROTO_FRAGMENT,
	};
	uint8_t p[128];
	size_t len;

	len = build_v6_frag(p, chain, 2, IPPROTO_TCP, FRAG_LATER);
	assert_result(p, len, PKT_UNSUPPORTED);
	len = build_v6_frag(p, chain, 2, IPPROTO_TCP, FRAG_LATER | 1);
	assert_result(p, len, PKT_UNSUPPORTED);
	len = build_v6_frag(p, chain, 2, IPPROTO_TCP, 0xfff9);
	assert_result(p, len, PKT_UNSUPPORTED);
}

/* Malformed ----------------------------------------------------------- */

Test(packet, bad_version)
{
	static const uint8_t versions[] = { 0, 1, 5, 7, 15 };
	uint8_t p[128];
	size_t i, len = build_v4(p, IPPROTO_TCP);

	for (i = 0; i < sizeof(versions); i++) {
		p[0] = versions[i] << 4 | 5;
		assert_result(p, len, PKT_MALFORMED);
		assert_result(p, 1, PKT_MALFORMED);
	}
	/* An IPv6 header labelled 4 is read as IPv4: its IHL is 0. */
	len = build_v6(p, NULL, 0, IPPROTO_TCP);
	p[0] = 0x40;
	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, ipv4_ihl_too_small)
{
	uint8_t p[128];
	size_t ihl, len = build_v4(p, IPPROTO_TCP);

	for (ihl = 0; ihl < 5; ihl++) {
		p[0] = 0x40 | ihl;
		assert_result(p, len, PKT_MALFORMED);
	}
}

Test(packet, ipv4_tot_len_below_header)
{
	uint8_t p[128];
	size_t len = build_v4(p, IPPROTO_TCP);

	put16(p + 2, 19);
	assert_result(p, len, PKT_MALFORMED);
	put16(p + 2, 0);
	assert_result(p, len, PKT_MALFORMED);

	/* IHL 6: 24 header bytes, tot_len 20. */
	len = tcp_hdr(p + 24, TCP_SYN, 5);
	len += ip4_hdr(p, IPPROTO_TCP, 6, len);
	put16(p + 2, 20);
	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, ipv4_tot_len_below_transport)
{
	uint8_t p[128];
	size_t len = build_v4(p, IPPROTO_UDP);

	/* Captured whole, but the IP length ends inside the UDP header. */
	put16(p + 2, 27);
	assert_result(p, len, PKT_MALFORMED);
	put16(p + 2, 20);
	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, ipv4_tiny_first_fragment)
{
	uint8_t p[128];
	size_t len = build_v4(p, IPPROTO_TCP);

	/* RFC 1858: 16 bytes of TCP in the first fragment, flags present. */
	put16(p + 2, 36);
	put16(p + 6, 0x2000);
	assert_result(p, len, PKT_MALFORMED);
	assert_result(p, 36, PKT_MALFORMED);
}

Test(packet, tcp_doff_too_small)
{
	uint8_t p[128];
	size_t doff, len = build_v4(p, IPPROTO_TCP);

	for (doff = 0; doff < 5; doff++) {
		p[20 + 12] = doff << 4;
		assert_result(p, len, PKT_MALFORMED);
	}
	len = build_v6(p, NULL, 0, IPPROTO_TCP);
	p[40 + 12] = 4 << 4;
	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, tcp_doff_past_packet)
{
	uint8_t p[128];
	size_t len = build_v4(p, IPPROTO_TCP);

	/* 60 bytes of TCP header claimed, 20 in the packet. */
	p[20 + 12] = 15 << 4;
	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, ipv6_too_many_exthdrs)
{
	uint8_t chain[PKT_MAX_EXTHDRS + 1], p[512];
	size_t len;

	memset(chain, IPPROTO_DSTOPTS, sizeof(chain));
	len = build_v6(p, chain, sizeof(chain), IPPROTO_TCP);
	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, ipv6_hopopts_not_first)
{
	static const uint8_t chain[] = { IPPROTO_DSTOPTS, IPPROTO_HOPOPTS };
	uint8_t p[128];
	size_t len = build_v6(p, chain, 2, IPPROTO_TCP);

	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, ipv6_exthdr_past_payload)
{
	static const uint8_t chain[] = { IPPROTO_ROUTING };
	uint8_t p[128];
	size_t len = build_v6(p, chain, 1, IPPROTO_UDP);

	/* Payload length ends inside the routing header. */
	put16(p + 4, 16);
	assert_result(p, len, PKT_MALFORMED);
	/* ... and inside the UDP header. */
	put16(p + 4, 24 + 4);
	assert_result(p, len, PKT_MALFORMED);
}

Test(packet, ipv6_zero_payload_without_hopopts)
{
	uint8_t p[128];
	size_t len = build_v6(p, NULL, 0, IPPROTO_TCP);

	/* Not a jumbogram: a bare header, as the kernel trims it. */
	put16(p + 4, 0);
	assert_result(p, len, PKT_MALFORMED);
}

/* Truncation ---------------------------------------------------------- */

struct good_pkt {
	const char *name;
	size_t len;
	size_t need;	/* captured bytes PKT_OK needs: l4_off + minimum */
	uint8_t buf[256];
};

/* What packet.h says PKT_OK needs captured past l4_off. */
static size_t l4_need(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 14 : proto == IPPROTO_UDP ? 8 : 12;
}

/* What l4_hdr() builds. */
static size_t l4_len(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 20 : 12;
}

static void good_v4(struct good_pkt *g, const char *name, uint8_t proto)
{
	g->name = name;
	g->len = build_v4(g->buf, proto);
	g->need = 20 + l4_need(proto);
}

static void good_v6(struct good_pkt *g, const char *name, const uint8_t *chain,
		    size_t n, uint8_t proto)
{
	g->name = name;
	g->len = build_v6(g->buf, chain, n, proto);
	g->need = g->len - l4_len(proto) + l4_need(proto);
}

/*
 * Cut @g at every length: below g->need it must be TRUNCATED with @pi
 * untouched, from there on PKT_OK with exactly the full parse's result.
 * Each cut is its own heap block so an over-read cannot hide in slack.
 */
static void check_cuts(const struct good_pkt *g)
{
	struct pkt_info full, pi, untouched;
	enum pkt_result r;
	uint8_t *cut;
	size_t len;

	r = packet_parse(g->buf, g->len, &full);
	cr_assert_eq(r, PKT_OK, "%s: %s", g->name, packet_result_str(r));
	memset(&untouched, 0xa5, sizeof(untouched));
	for (len = 0; len < g->len; len++) {
		cut = malloc(len);
		cr_assert(cut || !len);
		memcpy(cut, g->buf, len);
		r = parse(cut, len, &pi);
		free(cut);
		if (len < g->need) {
			cr_assert_eq(r, PKT_TRUNCATED, "%s cut at %zu: %s",
				     g->name, len, packet_result_str(r));
			cr_assert_arr_eq(&pi, &untouched, sizeof(pi),
					 "%s cut at %zu: pkt_info written",
					 g->name, len);
		} else {
			cr_assert_eq(r, PKT_OK, "%s cut at %zu: %s", g->name,
				     len, packet_result_str(r));
			cr_assert_arr_eq(&pi, &full, sizeof(pi),
					 "%s cut at %zu: differs", g->name,
					 len);
		}
	}
}

Test(packet, truncation_every_length)
{
	static const uint8_t chain[] = {
		IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
		IPPROTO_FRAGMENT, IPPROTO_AH, IPPROTO_DSTOPTS,
	};
	static struct good_pkt g[8];
	size_t i;

	good_v4(&g[0], "v4 tcp", IPPROTO_TCP);
	good_v4(&g[1], "v4 udp", IPPROTO_UDP);
	good_v4(&g[2], "v4 sctp", IPPROTO_SCTP);
	good_v6(&g[3], "v6 tcp", NULL, 0, IPPROTO_TCP);
	good_v6(&g[4], "v6 udp", NULL, 0, IPPROTO_UDP);
	good_v6(&g[5], "v6 sctp", NULL, 0, IPPROTO_SCTP);
	good_v6(&g[6], "v6 chain tcp", chain, sizeof(chain), IPPROTO_TCP);
	good_v6(&g[7], "v6 chain udp", chain, sizeof(chain), IPPROTO_UDP);
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		check_cuts(&g[i]);
}

Test(packet, truncation_tcp_options_and_ipv4_options)
{
	static struct good_pkt g;
	size_t len;

	/* IHL 15 (40 option bytes) and doff 15: both option areas cut. */
	len = tcp_hdr(g.buf + 60, TCP_SYN, 15);
	g.len = ip4_hdr(g.buf, IPPROTO_TCP, 15, len) + len;
	g.need = 60 + 14;
	g.name = "v4 options";
	check_cuts(&g);
}

Test(packet, result_str)
{
	cr_assert_str_eq(packet_result_str(PKT_OK), "ok");
	cr_assert_str_eq(packet_result_str(PKT_TRUNCATED), "truncated");
	cr_assert_str_eq(packet_result_str(PKT_MALFORMED), "malformed");
	cr_assert_str_eq(packet_result_str(PKT_UNSUPPORTED), "unsupported");
	cr_assert_str_eq(packet_result_str((enum pkt_result)42), "?");
}

/* ICMP errors from a client's side ----------------------------------- */

/*
 * An error from DST to SRC quoting @quoted (SRC -> DST, 8 bytes of its
 * transport header): what a client at DST sends about an answer from the
 * VIP at SRC.  IPv4 or IPv6 by @v6; ICMP @type.
 */
static size_t build_icmp_err(uint8_t *p, bool v6, uint8_t type, uint8_t proto)
{
	uint8_t q[128];
	size_t ql, hl;

	ql = v6 ? ip6_hdr(q, proto, 1000) : ip4_hdr(q, proto, 5, 1000);
	l4_hdr(q + ql, proto);
	ql += 8;		/* only the first 8 bytes are quoted */
	if (v6) {
		hl = ip6_hdr(p, IPPROTO_ICMPV6, 8 + ql);
		put_addr(p + 8, AF_INET6, DST6);
		put_addr(p + 24, AF_INET6, SRC6);
	} else {
		hl = ip4_hdr(p, IPPROTO_ICMP, 5, 8 + ql);
		put_addr(p + 12, AF_INET, DST4);
		put_addr(p + 16, AF_INET, SRC4);
	}
	memset(p + hl, 0, 8);
	p[hl] = type;
	memcpy(p + hl + 8, q, ql);
	return hl + 8 + ql;
}

static void assert_icmp_flow(const uint8_t *p, size_t len, bool v6, uint8_t proto)
{
	struct pkt_info pi;

	cr_assert_eq(packet_parse_icmp_error(p, len, &pi), PKT_OK);
	cr_assert_eq(pi.family, v6 ? AF_INET6 : AF_INET);
	cr_assert_eq(pi.l4proto, proto);
	/* the flow as its client (DST) sends it: ports and addresses swapped */
	cr_assert_eq(pi.sport, DPORT);
	cr_assert_eq(pi.dport, SPORT);
	assert_addrs(&pi, v6 ? AF_INET6 : AF_INET, v6 ? DST6 : DST4, v6 ? SRC6 : SRC4);
}

Test(packet, icmp_error_names_the_flow)
{
	uint8_t p[256];
	size_t n;

	n = build_icmp_err(p, false, 3, IPPROTO_TCP);
	assert_icmp_flow(p, n, false, IPPROTO_TCP);
	n = build_icmp_err(p, false, 11, IPPROTO_UDP);
	assert_icmp_flow(p, n, false, IPPROTO_UDP);
	n = build_icmp_err(p, true, 2, IPPROTO_UDP);	/* packet too big */
	assert_icmp_flow(p, n, true, IPPROTO_UDP);
	n = build_icmp_err(p, true, 1, IPPROTO_SCTP);
	assert_icmp_flow(p, n, true, IPPROTO_SCTP);
}

Test(packet, icmp_error_refuses_the_rest)
{
	struct pkt_info pi;
	uint8_t p[256];
	size_t n;

	/* not errors: echo request (8), ICMPv6 echo request (128) */
	n = build_icmp_err(p, false, 8, IPPROTO_TCP);
	cr_expect_eq(packet_parse_icmp_error(p, n, &pi), PKT_UNSUPPORTED);
	n = build_icmp_err(p, true, 128, IPPROTO_TCP);
	cr_expect_eq(packet_parse_icmp_error(p, n, &pi), PKT_UNSUPPORTED);
	/* the ports (4 bytes at 20 + 8 + 20) are all it needs; shorter
	 * captures fail cleanly */
	build_icmp_err(p, false, 3, IPPROTO_UDP);
	cr_expect_eq(packet_parse_icmp_error(p, 52, &pi), PKT_OK);
	cr_expect_eq(packet_parse_icmp_error(p, 51, &pi), PKT_TRUNCATED);
	for (n = 0; n < 52; n++)
		cr_expect_neq(packet_parse_icmp_error(p, n, &pi), PKT_OK, "%zu", n);
	/* a quoted later fragment has no ports; an ICMP later fragment none */
	n = build_icmp_err(p, false, 3, IPPROTO_UDP);
	put16(p + 28 + 6, 0x0010);
	cr_expect_eq(packet_parse_icmp_error(p, n, &pi), PKT_UNSUPPORTED);
	n = build_icmp_err(p, false, 3, IPPROTO_UDP);
	put16(p + 6, 0x0010);
	cr_expect_eq(packet_parse_icmp_error(p, n, &pi), PKT_UNSUPPORTED);
	/* a quote of another family, or of ICMP */
	n = build_icmp_err(p, false, 3, IPPROTO_UDP);
	p[28] = 0x60;
	cr_expect_eq(packet_parse_icmp_error(p, n, &pi), PKT_UNSUPPORTED);
	n = build_icmp_err(p, false, 3, IPPROTO_ICMP);
	cr_expect_eq(packet_parse_icmp_error(p, n, &pi), PKT_UNSUPPORTED);
	/* a plain packet is no ICMP error */
	n = build_v4(p, IPPROTO_TCP);
	cr_expect_eq(packet_parse_icmp_error(p, n, &pi), PKT_UNSUPPORTED);
}
