// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * encap_packet() and encap_inplace() over inner packets built here.  The
 * outer packets are parsed back with code of this file (byte-by-byte
 * big-endian checksums, our own reassembly), never encap.c's helpers, and
 * every field is checked: versions, protocols, lengths, TTL, DSCP/ECN, DF,
 * ids, checksums, GRE and GUE headers, and the inner packet byte for byte.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encap.h"

#define CLIENT4	"192.0.2.1"
#define VIP4	"198.51.100.2"
#define DIR4	"10.0.0.1"
#define RS4	"10.0.0.2"
#define CLIENT6	"2001:db8::1"
#define VIP6	"2001:db8:ffff::2"
#define DIR6	"fd00::1"
#define RS6	"fd00::2"
#define GUE_PORT 6080
#define SEED	0x5eed1234u
#define HASH	0x9e3779b9u

#define INNER_MAX	65575		/* IPv6: 40 + 65535 */
#define OUT_MAX		(2 * 65536 + 8192)
#define CANARY		0xa5

static uint8_t inner[INNER_MAX + ENCAP_HEADROOM];
static uint8_t out[OUT_MAX];
static uint8_t out2[OUT_MAX];
static uint8_t stream[OUT_MAX];		/* a reassembled tunnel payload */

static const enum tun_type types[] = { TUN_IPIP, TUN_GRE, TUN_GUE };
static const char *const type_name[] = { "ipip", "gue", "gre" };

/* --- building inner packets ------------------------------------------ */

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int get16(const uint8_t *p)
{
	return (unsigned int)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* RFC 1071 the slow way: big-endian words, folded, not complemented. */
static uint16_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t pseudo(int family, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;

	return sum16(src, alen, 0) + sum16(dst, alen, 0) + proto +
	       (uint32_t)len;
}

static struct nflvs_addr mkaddr(const char *s)
{
	struct nflvs_addr a;

	cr_assert_eq(addr_parse(s, &a), 0, "%s", s);
	return a;
}

struct inner_spec {
	int family;
	uint8_t l4;		/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	size_t len;
	uint8_t ds;		/* TOS / traffic class */
	uint8_t ttl;
	int df;			/* IPv4 */
	unsigned int frag;	/* IPv4 fragment field (offset | MF) */
};

static struct inner_spec spec(int family, size_t len)
{
	struct inner_spec s = {
		.family = family, .l4 = IPPROTO_TCP, .len = len,
		.ds = 0xb8 | 0x01, .ttl = 57, .df = 1,
	};
	return s;
}

/* An inner packet of s->len bytes at @p; distinct bytes everywhere. */
static size_t mk_inner(uint8_t *p, const struct inner_spec *s)
{
	size_t hl = s->family == AF_INET ? 20 : 40, i;
	uint8_t *l4 = p + hl;

	cr_assert_geq(s->len, hl + 8);
	for (i = hl; i < s->len; i++)
		p[i] = (uint8_t)(i * 31 + 7);
	if (s->family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		p[1] = s->ds;
		put16(p + 2, (unsigned int)s->len);
		put16(p + 4, 0x1234);
		put16(p + 6, (s->df ? 0x4000 : 0) | s->frag);
		p[8] = s->ttl;
		p[9] = s->l4;
		inet_pton(AF_INET, CLIENT4, p + 12);
		inet_pton(AF_INET, VIP4, p + 16);
		put16(p + 10, (uint16_t)~sum16(p, 20, 0));
	} else {
		p[0] = (uint8_t)(0x60 | s->ds >> 4);
		p[1] = (uint8_t)(s->ds << 4 | 0x0a);	/* flow label a:bcde */
		p[2] = 0xbc;
		p[3] = 0xde;
		put16(p + 4, (unsigned int)(s->len - 40));
		p[6] = s->l4;
		p[7] = s->ttl;
		inet_pton(AF_INET6, CLIENT6, p + 8);
		inet_pton(AF_INET6, VIP6, p + 24);
	}
	switch (s->l4) {
	case IPPROTO_TCP:
		put16(l4, 40000);
		put16(l4 + 2, 80);
		if (s->len >= hl + 20)
			l4[12] = 0x50;
		break;
	case IPPROTO_UDP:
		put16(l4, 40000);
		put16(l4 + 2, 53);
		put16(l4 + 4, (unsigned int)(s->len - hl));
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4[0] = s->l4 == IPPROTO_ICMP ? 3 : 1;	/* an error */
		break;
	}
	return s->len;
}

/* --- the director's side ------------------------------------------- */

static void setup(struct encap *e, int family, enum tun_type type, bool csum,
		  uint32_t mtu)
{
	struct cfg_tunnel t = { .type = type, .port = GUE_PORT, .csum = csum };
	struct nflvs_addr src = mkaddr(family == AF_INET ? DIR4 : DIR6);
	struct nflvs_addr dst = mkaddr(family == AF_INET ? RS4 : RS6);

	cr_assert_eq(encap_init(e, &t, &src, &dst, mtu, SEED), 0);
}

static size_t overhead(int family, enum tun_type type, bool csum)
{
	size_t ip = family == AF_INET ? 20 : 40;

	if (type == TUN_GRE)
		return ip + (csum ? 8 : 4);
	if (type == TUN_GUE)
		return ip + 12;
	return ip;
}

/* The kernel's udp_flow_src_port() over 32768..60999. */
static unsigned int gue_sport(uint32_t hash)
{
	hash ^= hash << 16;
	return (unsigned int)(((uint64_t)hash * (60999 - 32768)) >> 32) + 32768;
}

static uint8_t ecn_encap(uint8_t ds)
{
	return (ds & 3) == 3 ? (uint8_t)((ds & ~3) | 2) : ds;
}

/* --- parsing outer packets back ------------------------------------ */

struct outer {
	int family;
	uint8_t ds, ttl, proto;		/* proto: past any fragment header */
	int df, mf;
	unsigned int id;		/* IPv4 id, IPv6 fragment id */
	size_t frag_off;		/* bytes */
	int fragment;			/* a fragment header, or MF/offset */
	uint32_t flow;
	const uint8_t *src, *dst;
	const uint8_t *pl;		/* payload: past IP (+ fragment) header */
	size_t plen;
};

static void parse_outer(const uint8_t *p, size_t len, struct outer *o)
{
	unsigned int frag;

	memset(o, 0, sizeof(*o));
	cr_assert_geq(len, 20);
	o->family = p[0] >> 4 == 4 ? AF_INET : AF_INET6;
	if (o->family == AF_INET) {
		cr_assert_eq(p[0], 0x45, "IPv4, no options");
		cr_assert_eq(get16(p + 2), len, "total length");
		cr_assert_eq(sum16(p, 20, 0), 0xffff, "IPv4 header checksum");
		frag = get16(p + 6);
		cr_assert_eq(frag & 0x8000, 0, "reserved flag");
		o->df = !!(frag & 0x4000);
		o->mf = !!(frag & 0x2000);
		o->frag_off = (frag & 0x1fff) * 8u;
		o->fragment = o->mf || o->frag_off;
		o->id = get16(p + 4);
		o->ds = p[1];
		o->ttl = p[8];
		o->proto = p[9];
		o->src = p + 12;
		o->dst = p + 16;
		o->pl = p + 20;
		o->plen = len - 20;
		return;
	}
	cr_assert_eq(p[0] >> 4, 6, "IP version");
	cr_assert_geq(len, 40);
	cr_assert_eq(get16(p + 4), len - 40, "payload length");
	o->ds = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4);
	o->flow = (uint32_t)(p[1] & 0x0f) << 16 | get16(p + 2);
	o->ttl = p[7];
	o->proto = p[6];
	o->src = p + 8;
	o->dst = p + 24;
	o->pl = p + 40;
	o->plen = len - 40;
	if (o->proto != IPPROTO_FRAGMENT)
		return;
	cr_assert_geq(o->plen, 8);
	o->fragment = 1;
	o->proto = o->pl[0];
	cr_assert_eq(o->pl[1], 0, "fragment header reserved");
	frag = get16(o->pl + 2);
	cr_assert_eq(frag & 6, 0, "fragment header reserved bits");
	o->frag_off = frag & 0xfff8;
	o->mf = frag & 1;
	o->id = get32(o->pl + 4);
	o->pl += 8;
	o->plen -= 8;
}

static void check_addrs(const struct outer *o, const struct encap *e)
{
	size_t alen = e->dst.family == AF_INET ? 4 : 16;

	cr_assert_eq(o->family, e->dst.family, "outer family");
	cr_assert(!memcmp(o->src, e->src.b, alen), "outer source");
	cr_assert(!memcmp(o->dst, e->dst.b, alen), "outer destination");
}

/*
 * The tunnel payload @t (@n bytes, reassembled if need be) of protocol
 * @proto must carry @in (@in_len bytes) as @e says.
 */
static void check_tunnel(const struct encap *e, uint8_t proto,
			 const uint8_t *t, size_t n, const uint8_t *in,
			 size_t in_len, uint32_t hash)
{
	int v4 = in[0] >> 4 == 4;
	size_t th = 0;
	uint32_t ps;

	switch (e->type) {
	case TUN_IPIP:
		cr_assert_eq(proto, v4 ? 4 : 41, "ipip protocol");
		break;
	case TUN_GRE:
		cr_assert_eq(proto, 47, "GRE protocol");
		th = e->csum ? 8 : 4;
		cr_assert_geq(n, th);
		cr_assert_eq(t[0], e->csum ? 0x80 : 0, "GRE flags");
		cr_assert_eq(t[1], 0, "GRE version");
		cr_assert_eq(get16(t + 2), v4 ? 0x0800 : 0x86dd, "GRE proto");
		if (e->csum) {
			cr_assert_eq(get16(t + 6), 0, "GRE reserved1");
			cr_assert_eq(sum16(t, n, 0), 0xffff, "GRE checksum");
		}
		break;
	case TUN_GUE:
		cr_assert_eq(proto, IPPROTO_UDP, "GUE over UDP");
		th = 12;
		cr_assert_geq(n, th);
		cr_assert_eq(get16(t), gue_sport(hash ? hash : e->hashrnd),
			     "GUE source port");
		cr_assert_eq(get16(t + 2), GUE_PORT, "GUE destination port");
		cr_assert_eq(get16(t + 4), n, "UDP length");
		if (!e->csum) {
			cr_assert_eq(get16(t + 6), 0, "no UDP checksum");
		} else {
			cr_assert_neq(get16(t + 6), 0, "UDP checksum present");
			ps = pseudo(e->dst.family, e->src.b, e->dst.b,
				    IPPROTO_UDP, n);
			cr_assert_eq(sum16(t, n, ps), 0xffff, "UDP checksum");
		}
		cr_assert_eq(t[8], 0, "GUE version 0, C 0, hlen 0");
		cr_assert_eq(t[9], v4 ? 4 : 41, "GUE proto/ctype");
		cr_assert_eq(get16(t + 10), 0, "GUE flags");
		break;
	default:
		cr_assert_fail("tunnel type %d", e->type);
	}
	cr_assert_eq(n, th + in_len, "tunnel payload length");
	cr_assert(!memcmp(t + th, in, in_len), "inner packet carried whole");
}

/* DS the outer header must carry, from the inner packet. */
static uint8_t inner_ds(const uint8_t *in)
{
	if (in[0] >> 4 == 4)
		return ecn_encap(in[1]);
	return ecn_encap((uint8_t)((in[0] & 0x0f) << 4 | in[1] >> 4));
}

static uint8_t inner_ttl(const uint8_t *in)
{
	return in[0] >> 4 == 4 ? in[8] : in[7];
}

/* A single outer packet (not fragmented) at r's only slot. */
static void check_one(const struct encap *e, const struct encap_result *r,
		      const uint8_t *buf, const uint8_t *in, size_t in_len,
		      uint32_t hash)
{
	struct outer o;

	cr_assert_eq(r->code, ENCAP_SENT, "%s", encap_code_str(r->code));
	cr_assert_eq(r->n, 1);
	cr_assert(addr_eq(&r->dst, &e->dst), "sent to the real server");
	cr_assert_eq(encap_pkt_len(r, 0), overhead(e->dst.family, e->type,
						   e->csum) + in_len);
	cr_assert_leq(encap_pkt_len(r, 0), e->mtu, "fits the MTU");
	parse_outer(buf + encap_pkt_off(r, 0), encap_pkt_len(r, 0), &o);
	check_addrs(&o, e);
	cr_assert_not(o.fragment, "not a fragment");
	cr_assert_eq(o.ds, inner_ds(in), "DSCP/ECN");
	cr_assert_eq(o.ttl, inner_ttl(in), "TTL");
	cr_assert_eq(o.flow, 0, "flow label");
	check_tunnel(e, o.proto, o.pl, o.plen, in, in_len, hash);
}

/*
 * Reassemble r's fragments into stream[] (in order, as we expect them),
 * checking each; returns the payload length.
 */
static size_t reassemble(const struct encap *e, const struct encap_result *r,
			 const uint8_t *buf, const uint8_t *in,
			 struct outer *first)
{
	size_t got = 0, len;
	struct outer o;
	uint32_t i;

	cr_assert_eq(r->code, ENCAP_SENT);
	cr_assert_geq(r->n, 2, "fragmented");
	cr_assert(addr_eq(&r->dst, &e->dst));
	for (i = 0; i < r->n; i++) {
		len = encap_pkt_len(r, i);
		cr_assert_leq(len, e->mtu, "fragment %u fits the MTU", i);
		if (i)
			cr_assert_eq(encap_pkt_off(r, i),
				     encap_pkt_off(r, i - 1) +
				     encap_pkt_len(r, i - 1), "back to back");
		parse_outer(buf + encap_pkt_off(r, i), len, &o);
		check_addrs(&o, e);
		cr_assert(o.fragment, "fragment %u marked", i);
		cr_assert_eq(o.df, 0, "fragments have DF clear");
		cr_assert_eq(o.frag_off, got, "fragment %u offset", i);
		cr_assert_eq(o.mf, i + 1 < r->n, "fragment %u MF", i);
		if (o.mf)
			cr_assert_eq(o.plen % 8, 0, "fragment %u size", i);
		cr_assert_eq(o.ds, inner_ds(in));
		cr_assert_eq(o.ttl, inner_ttl(in));
		if (!i) {
			*first = o;
		} else {
			cr_assert_eq(o.id, first->id, "one id");
			cr_assert_eq(o.proto, first->proto, "one protocol");
		}
		memcpy(stream + got, o.pl, o.plen);
		got += o.plen;
	}
	return got;
}

/* ICMP error checks: r holds one, about @in (@in_len bytes). */
static void check_icmp(const struct encap_result *r, const uint8_t *buf,
		       const uint8_t *in, size_t in_len, uint32_t want_mtu)
{
	const uint8_t *p = buf + encap_pkt_off(r, 0), *icmp;
	size_t len = encap_pkt_len(r, 0), quote;
	struct outer o;

	cr_assert_eq(r->code, ENCAP_TOOBIG, "%s", encap_code_str(r->code));
	cr_assert_eq(r->n, 1);
	cr_assert_eq(r->mtu, want_mtu, "announced MTU");
	parse_outer(p, len, &o);
	cr_assert_not(o.fragment);
	icmp = o.pl;
	cr_assert_geq(o.plen, 8);
	quote = o.plen - 8;
	if (in[0] >> 4 == 4) {
		cr_assert_eq(o.family, AF_INET);
		cr_assert(!memcmp(o.src, in + 16, 4), "from the VIP");
		cr_assert(!memcmp(o.dst, in + 12, 4), "to the client");
		cr_assert_eq(r->dst.family, AF_INET);
		cr_assert(!memcmp(r->dst.b, in + 12, 4), "sent to the client");
		cr_assert_eq(o.proto, IPPROTO_ICMP);
		cr_assert_eq(o.ttl, 64);
		cr_assert_eq(o.ds, 0xc0 | (in[1] & 0x1e), "TOS as icmp_send");
		cr_assert_eq(o.df, 0);
		cr_assert_eq(icmp[0], 3, "destination unreachable");
		cr_assert_eq(icmp[1], 4, "fragmentation needed");
		cr_assert_eq(get16(icmp + 4), 0, "unused");
		cr_assert_eq(get16(icmp + 6), want_mtu, "next-hop MTU");
		cr_assert_eq(sum16(icmp, o.plen, 0), 0xffff, "ICMP checksum");
		cr_assert_leq(len, 576, "RFC 1812: at most 576 bytes");
		cr_assert_eq(quote, in_len < 548 ? in_len : 548, "quote");
	} else {
		cr_assert_eq(o.family, AF_INET6);
		cr_assert(!memcmp(o.src, in + 24, 16), "from the VIP");
		cr_assert(!memcmp(o.dst, in + 8, 16), "to the client");
		cr_assert_eq(r->dst.family, AF_INET6);
		cr_assert(!memcmp(r->dst.b, in + 8, 16), "sent to the client");
		cr_assert_eq(o.proto, IPPROTO_ICMPV6);
		cr_assert_eq(o.ttl, 64);
		cr_assert_eq(icmp[0], 2, "packet too big");
		cr_assert_eq(icmp[1], 0);
		cr_assert_eq(get32(icmp + 4), want_mtu, "MTU");
		cr_assert_eq(sum16(icmp, o.plen,
				   pseudo(AF_INET6, o.src, o.dst,
					  IPPROTO_ICMPV6, o.plen)), 0xffff,
			     "ICMPv6 checksum");
		cr_assert_leq(len, 1280, "RFC 4443: at most 1280 bytes");
		cr_assert_eq(quote, in_len < 1232 ? in_len : 1232, "quote");
	}
	cr_assert(!memcmp(icmp + 8, in, quote), "quoted bytes");
}

/* --- tests ---------------------------------------------------------- */

Test(encap, overhead)
{
	cr_assert_eq(encap_overhead(TUN_IPIP, AF_INET, false), 20);
	cr_assert_eq(encap_overhead(TUN_IPIP, AF_INET6, true), 40);
	cr_assert_eq(encap_overhead(TUN_GRE, AF_INET, false), 24);
	cr_assert_eq(encap_overhead(TUN_GRE, AF_INET, true), 28);
	cr_assert_eq(encap_overhead(TUN_GRE, AF_INET6, false), 44);
	cr_assert_eq(encap_overhead(TUN_GRE, AF_INET6, true), 48);
	cr_assert_eq(encap_overhead(TUN_GUE, AF_INET, true), 32);
	cr_assert_eq(encap_overhead(TUN_GUE, AF_INET6, false), 52);
}

Test(encap, init)
{
	struct cfg_tunnel gue = { .type = TUN_GUE, .port = GUE_PORT };
	struct cfg_tunnel ipip = { .type = TUN_IPIP, .csum = true };
	struct cfg_tunnel bad = { .type = (enum tun_type)7 };
	struct nflvs_addr d4 = mkaddr(DIR4), r4 = mkaddr(RS4);
	struct nflvs_addr d6 = mkaddr(DIR6), r6 = mkaddr(RS6), none = { 0 };
	struct encap e;

	cr_assert_eq(encap_init(&e, &ipip, &d4, &r4, 1500, 1), 0);
	cr_assert_not(e.csum, "ipip has no checksum");
	cr_assert_eq(e.overhead, 20);
	cr_assert_eq(encap_init(&e, &ipip, &d4, &r6, 1500, 1), -EINVAL);
	cr_assert_eq(encap_init(&e, &ipip, &none, &none, 1500, 1), -EINVAL);
	cr_assert_eq(encap_init(&e, &bad, &d4, &r4, 1500, 1), -EINVAL);
	gue.port = 0;
	cr_assert_eq(encap_init(&e, &gue, &d4, &r4, 1500, 1), -EINVAL);
	gue.port = GUE_PORT;
	/* IPv4: the tunnel must leave 68 bytes; IPv6: a 1280 link */
	cr_assert_eq(encap_init(&e, &gue, &d4, &r4, 68 + 32, 1), 0);
	cr_assert_eq(encap_init(&e, &gue, &d4, &r4, 68 + 31, 1), -EINVAL);
	cr_assert_eq(encap_init(&e, &gue, &d6, &r6, 1280, 1), 0);
	cr_assert_eq(encap_init(&e, &gue, &d6, &r6, 1279, 1), -EINVAL);
	/* a failed init leaves nothing usable */
	cr_assert_eq(encap_packet(&e, inner, 60, 0, out, sizeof(out),
				  &(struct encap_result){ 0 }),
		     ENCAP_BAD_CONFIG);

	cr_assert_eq(encap_init(&e, &gue, &d6, &r6, 70000, 1), 0);
	cr_assert_eq(e.mtu, 65535, "clamped");
	cr_assert_eq(encap_set_mtu(&e, 1279), -EINVAL);
	cr_assert_eq(e.mtu, 65535, "unchanged");
	cr_assert_eq(encap_set_mtu(&e, 1400), 0);
	cr_assert_eq(e.mtu, 1400);
}

/* Every outer family x inner family x type x checksum x TCP/UDP x size. */
Test(encap, all_combinations)
{
	static const size_t sizes[] = { 48, 61, 200, 1001, 1400 };
	static const uint8_t l4s[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	int of, inf, csum;
	size_t t, z, l, len;
	int count = 0;

	for (of = 0; of < 2; of++)
	for (inf = 0; inf < 2; inf++)
	for (t = 0; t < 3; t++)
	for (csum = 0; csum < 2; csum++)
	for (l = 0; l < 2; l++)
	for (z = 0; z < 5; z++) {
		int ofam = of ? AF_INET6 : AF_INET;
		uint32_t hash = (uint32_t)(HASH * (z + 1));

		setup(&e, ofam, types[t], csum, 1500);
		s = spec(inf ? AF_INET6 : AF_INET, sizes[z]);
		s.l4 = l4s[l];
		len = mk_inner(inner, &s);
		memset(out, CANARY, sizeof(out));
		cr_assert_eq(encap_packet(&e, inner, len, hash, out,
					  sizeof(out), &r), ENCAP_SENT,
			     "outer %d inner %d %s csum %d",
			     ofam, s.family, type_name[types[t]], csum);
		cr_assert_eq(r.off, 0);
		check_one(&e, &r, out, inner, len, hash);
		cr_assert_eq(out[r.last_len], CANARY, "nothing past it");
		count++;
	}
	cr_assert_eq(count, 240);
}

Test(encap, dscp_and_ecn)
{
	static const uint8_t dscp[] = { 0x00, 0x28, 0xb8, 0xfc };
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	int of, inf, d, ecn;
	uint8_t want;

	for (of = 0; of < 2; of++)
	for (inf = 0; inf < 2; inf++)
	for (d = 0; d < 4; d++)
	for (ecn = 0; ecn < 4; ecn++) {
		setup(&e, of ? AF_INET6 : AF_INET, TUN_IPIP, false, 1500);
		s = spec(inf ? AF_INET6 : AF_INET, 100);
		s.ds = (uint8_t)(dscp[d] | ecn);
		mk_inner(inner, &s);
		cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out),
					  &r), ENCAP_SENT);
		/* written out, not through the helper: CE -> ECT(0) */
		want = (uint8_t)(dscp[d] | (ecn == 3 ? 2 : ecn));
		if (of)
			cr_assert_eq((out[0] & 0x0f) << 4 | out[1] >> 4, want,
				     "traffic class %02x", s.ds);
		else
			cr_assert_eq(out[1], want, "TOS %02x", s.ds);
	}
}

Test(encap, ttl_copied)
{
	static const uint8_t ttls[] = { 0, 1, 64, 255 };
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	int of, inf, i;

	for (of = 0; of < 2; of++)
	for (inf = 0; inf < 2; inf++)
	for (i = 0; i < 4; i++) {
		setup(&e, of ? AF_INET6 : AF_INET, TUN_GRE, false, 1500);
		s = spec(inf ? AF_INET6 : AF_INET, 100);
		s.ttl = ttls[i];
		mk_inner(inner, &s);
		cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out),
					  &r), ENCAP_SENT);
		cr_assert_eq(out[of ? 7 : 8], ttls[i]);
		cr_assert_eq(inner_ttl(inner), ttls[i], "inner untouched");
	}
}

/* DF and the IPv4 id: 0 with DF (atomic datagram), else the counter. */
Test(encap, df_and_id)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	struct outer o;

	setup(&e, AF_INET, TUN_GUE, true, 1500);
	s = spec(AF_INET, 300);
	mk_inner(inner, &s);
	encap_packet(&e, inner, 300, 1, out, sizeof(out), &r);
	parse_outer(out, r.last_len, &o);
	cr_assert(o.df);
	cr_assert_eq(o.id, 0);
	cr_assert_eq(e.id_next, (SEED >> 16 | SEED << 16), "no id used");

	s.df = 0;
	mk_inner(inner, &s);
	encap_packet(&e, inner, 300, 1, out, sizeof(out), &r);
	parse_outer(out, r.last_len, &o);
	cr_assert_not(o.df);
	cr_assert_eq(o.id, (SEED >> 16 | SEED << 16) & 0xffff, "seeded");
	encap_packet(&e, inner, 300, 1, out, sizeof(out), &r);
	parse_outer(out, r.last_len, &o);
	cr_assert_eq(o.id, ((SEED >> 16 | SEED << 16) + 1) & 0xffff, "next");

	/* IPv6 inside: DF set while the tunnel carries 1280 bytes */
	s = spec(AF_INET6, 300);
	mk_inner(inner, &s);
	encap_packet(&e, inner, 300, 1, out, sizeof(out), &r);
	parse_outer(out, r.last_len, &o);
	cr_assert(o.df);
	cr_assert_eq(o.id, 0);
	setup(&e, AF_INET, TUN_GUE, true, 1280 + 32 - 1);
	encap_packet(&e, inner, 300, 1, out, sizeof(out), &r);
	parse_outer(out, r.last_len, &o);
	cr_assert_not(o.df, "room below 1280: may be fragmented");
	cr_assert_eq(o.id, (SEED >> 16 | SEED << 16) & 0xffff);
	setup(&e, AF_INET, TUN_GUE, true, 1280 + 32);
	encap_packet(&e, inner, 300, 1, out, sizeof(out), &r);
	parse_outer(out, r.last_len, &o);
	cr_assert(o.df, "room of exactly 1280");
}

Test(encap, gue_source_port)
{
	static const uint32_t hashes[] = { 1, 0xffff, 0x10000, 0x7fffffff,
					   0xffffffff, HASH };
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	unsigned int sp;
	size_t i;

	setup(&e, AF_INET6, TUN_GUE, false, 1500);
	s = spec(AF_INET, 100);
	mk_inner(inner, &s);
	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		encap_packet(&e, inner, 100, hashes[i], out, sizeof(out), &r);
		sp = get16(out + 40);
		cr_assert_eq(sp, gue_sport(hashes[i]), "hash %08x",
			     hashes[i]);
		cr_assert(sp >= 32768 && sp < 60999);
	}
	/* worked by hand: h ^= h << 16, then h * (60999 - 32768) >> 32 */
	cr_assert_eq(gue_sport(0xffff), 60998, "0xffffffff: the top");
	cr_assert_eq(gue_sport(0xffffffff), 32768, "0x0000ffff: the bottom");
	cr_assert_eq(gue_sport(0x8000), 46883, "0x80008000: the middle");
	encap_packet(&e, inner, 100, 0, out, sizeof(out), &r);
	cr_assert_eq(get16(out + 40), gue_sport(e.hashrnd), "hash 0");

	/* another ip_local_port_range */
	e.sport_lo = 1000;
	e.sport_hi = 1010;
	for (i = 0; i < 64; i++) {
		encap_packet(&e, inner, 100, HASH * (uint32_t)i, out,
			     sizeof(out), &r);
		sp = get16(out + 40);
		cr_assert(sp >= 1000 && sp < 1010, "%u", sp);
	}
}

/* A UDP checksum that computes to 0 goes out as 0xffff (RFC 768). */
Test(encap, udp_checksum_zero)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	uint32_t sum, w;
	int of;

	for (of = 0; of < 2; of++) {
		setup(&e, of ? AF_INET6 : AF_INET, TUN_GUE, true, 1500);
		s = spec(AF_INET, 200);
		mk_inner(inner, &s);
		encap_packet(&e, inner, 200, HASH, out, sizeof(out), &r);
		size_t udp = of ? 40 : 20;
		/*
		 * Bytes 100-101 of the inner packet are a word of the UDP
		 * sum: change it so that the sum of everything else plus it
		 * is 0xffff, which makes the checksum 0.
		 */
		sum = (uint16_t)~get16(out + udp + 6);	/* all but check */
		w = get16(inner + 100);
		sum = (sum + (uint16_t)~w) % 0xffff;	/* without w */
		w = (uint16_t)(0xffff - sum);
		put16(inner + 100, w);
		cr_assert_eq(encap_packet(&e, inner, 200, HASH, out,
					  sizeof(out), &r), ENCAP_SENT);
		cr_assert_eq(get16(out + udp + 6), 0xffff, "-0 for 0");
		check_one(&e, &r, out, inner, 200, HASH);
	}
}

/* Exactly the MTU fits; one byte more is an ICMP error or fragments. */
Test(encap, mtu_boundary)
{
	static const uint32_t mtus[] = { 1500, 9000, 1400 };
	struct encap_result r;
	struct inner_spec s;
	struct outer first;
	struct encap e;
	int of, inf, csum, df, cases = 0;
	size_t t, m, room, got;

	for (m = 0; m < 3; m++)
	for (of = 0; of < 2; of++)
	for (inf = 0; inf < 2; inf++)
	for (t = 0; t < 3; t++)
	for (csum = 0; csum < 2; csum++)
	for (df = 0; df < 2; df++) {
		int ofam = of ? AF_INET6 : AF_INET;

		if (inf && !df)
			continue;	/* IPv6 has no DF to clear */
		setup(&e, ofam, types[t], csum, mtus[m]);
		room = mtus[m] - overhead(ofam, types[t], csum);
		s = spec(inf ? AF_INET6 : AF_INET, room);
		s.l4 = IPPROTO_UDP;
		s.df = df;
		mk_inner(inner, &s);
		cr_assert_eq(encap_packet(&e, inner, room, HASH, out,
					  sizeof(out), &r), ENCAP_SENT);
		check_one(&e, &r, out, inner, room, HASH);
		cr_assert_eq(r.last_len, mtus[m], "exactly the MTU");

		s.len = room + 1;
		mk_inner(inner, &s);
		memset(out, CANARY, sizeof(out));
		encap_packet(&e, inner, room + 1, HASH, out, sizeof(out), &r);
		if (s.family == AF_INET6 || df) {
			check_icmp(&r, out, inner, room + 1, (uint32_t)room);
		} else {
			cr_assert_eq(r.n, 2);
			got = reassemble(&e, &r, out, inner, &first);
			check_tunnel(&e, first.proto, stream, got, inner,
				     room + 1, HASH);
		}
		cases++;
	}
	cr_assert_eq(cases, 3 * 2 * 2 * 3 * 2 * 2 - 36);
}

Test(encap, icmp_quotes)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	int of;

	for (of = 0; of < 2; of++) {
		/* small MTU, short packet: quoted whole */
		setup(&e, of ? AF_INET6 : AF_INET, TUN_IPIP, false,
		      of ? 1280 : 400);
		s = spec(AF_INET, of ? 1300 : 381);
		mk_inner(inner, &s);
		encap_packet(&e, inner, s.len, 0, out, sizeof(out), &r);
		check_icmp(&r, out, inner, s.len, of ? 1240 : 380);

		/* long packets: cut at 576 / 1280 bytes of ICMP */
		s = spec(AF_INET, 9000);
		mk_inner(inner, &s);
		encap_packet(&e, inner, s.len, 0, out, sizeof(out), &r);
		check_icmp(&r, out, inner, s.len, of ? 1240 : 380);
		cr_assert_eq(r.last_len, 576);

		s = spec(AF_INET6, 9000);
		mk_inner(inner, &s);
		encap_packet(&e, inner, s.len, 0, out, sizeof(out), &r);
		check_icmp(&r, out, inner, s.len, 1280);
		cr_assert_eq(r.last_len, 1280);

		/* an ICMP error's own DSCP */
		s = spec(AF_INET, 9000);
		s.ds = 0xff;
		mk_inner(inner, &s);
		encap_packet(&e, inner, s.len, 0, out, sizeof(out), &r);
		check_icmp(&r, out, inner, s.len, of ? 1240 : 380);
	}
}

/* IPv6 inside, tunnel room under 1280: announce 1280, fragment below. */
Test(encap, ipv6_minimum_mtu)
{
	struct encap_result r;
	struct inner_spec s;
	struct outer first;
	struct encap e;
	size_t got, t;

	for (t = 0; t < 3; t++) {
		/* IPv4 outer, room 1000 */
		setup(&e, AF_INET, types[t], true,
		      1000 + overhead(AF_INET, types[t], true));
		s = spec(AF_INET6, 1280);
		mk_inner(inner, &s);
		cr_assert_eq(encap_packet(&e, inner, 1280, HASH, out,
					  sizeof(out), &r), ENCAP_SENT);
		got = reassemble(&e, &r, out, inner, &first);
		check_tunnel(&e, first.proto, stream, got, inner, 1280, HASH);
		s.len = 1281;
		mk_inner(inner, &s);
		encap_packet(&e, inner, 1281, HASH, out, sizeof(out), &r);
		check_icmp(&r, out, inner, 1281, 1280);

		/* IPv6 outer on a 1280 link: room 1240..1228 */
		setup(&e, AF_INET6, types[t], true, 1280);
		s.len = 1280;
		mk_inner(inner, &s);
		cr_assert_eq(encap_packet(&e, inner, 1280, HASH, out,
					  sizeof(out), &r), ENCAP_SENT);
		got = reassemble(&e, &r, out, inner, &first);
		cr_assert_eq(first.proto, types[t] == TUN_IPIP ? 41 :
			     types[t] == TUN_GRE ? 47 : 17);
		check_tunnel(&e, first.proto, stream, got, inner, 1280, HASH);
	}
}

/* IPv4 without DF, much larger than the MTU, over both outer families. */
Test(encap, fragments)
{
	static const size_t sizes[] = { 1481, 2999, 4000, 8193, 65535 - 32 };
	static const uint32_t mtus[] = { 1500, 576, 1280 };
	struct encap_result r;
	struct inner_spec s;
	struct outer first;
	struct encap e;
	int of, csum;
	size_t t, z, m, got, chunk;
	uint32_t id0;

	for (of = 0; of < 2; of++)
	for (t = 0; t < 3; t++)
	for (csum = 0; csum < 2; csum++)
	for (m = 0; m < 3; m++)
	for (z = 0; z < 5; z++) {
		int ofam = of ? AF_INET6 : AF_INET;

		if (of && mtus[m] < 1280)
			continue;
		setup(&e, ofam, types[t], csum, mtus[m]);
		s = spec(AF_INET, sizes[z]);
		s.df = 0;
		s.l4 = IPPROTO_UDP;
		mk_inner(inner, &s);
		id0 = e.id_next;
		memset(out, CANARY, sizeof(out));
		cr_assert_eq(encap_packet(&e, inner, s.len, HASH, out,
					  sizeof(out), &r), ENCAP_SENT,
			     "%zu bytes, %s over %d", s.len,
			     type_name[types[t]], ofam);
		got = reassemble(&e, &r, out, inner, &first);
		cr_assert_eq(first.id, of ? id0 : (id0 & 0xffff), "id");
		cr_assert_eq(e.id_next, id0 + 1, "one id per packet");
		chunk = (mtus[m] - (of ? 48 : 20)) & ~(size_t)7;
		cr_assert_eq(r.stride, (of ? 48 : 20) + chunk,
			     "fragments as large as they can be");
		cr_assert_eq(out[encap_pkt_off(&r, r.n - 1) + r.last_len],
			     CANARY);
		check_tunnel(&e, first.proto, stream, got, inner, s.len,
			     HASH);
		cr_assert_leq(encap_pkt_off(&r, r.n - 1) + r.last_len,
			      encap_space(&e, s.len), "encap_space()");
	}
}

/* Too big once encapsulated for one IPv4 datagram, even in fragments. */
Test(encap, too_big_to_tunnel)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;

	setup(&e, AF_INET, TUN_GUE, false, 1500);
	s = spec(AF_INET, 65535);
	s.df = 0;
	mk_inner(inner, &s);
	cr_assert_eq(encap_packet(&e, inner, 65535, 0, out, sizeof(out), &r),
		     ENCAP_DROP);
	cr_assert_eq(r.n, 0);
	s.len = 65535 - 32;
	mk_inner(inner, &s);
	cr_assert_eq(encap_packet(&e, inner, s.len, 0, out, sizeof(out), &r),
		     ENCAP_SENT);
	s.len = 65535 - 31;
	mk_inner(inner, &s);
	cr_assert_eq(encap_packet(&e, inner, s.len, 0, out, sizeof(out), &r),
		     ENCAP_DROP);
}

/* No ICMP error about an ICMP error, a later fragment, odd sources. */
Test(encap, no_icmp_about)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	int i;

	setup(&e, AF_INET, TUN_IPIP, false, 1500);
	s = spec(AF_INET, 2000);
	s.l4 = IPPROTO_ICMP;
	mk_inner(inner, &s);
	memset(out, CANARY, 64);
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_DROP, "ICMP error");
	cr_assert_eq(out[0], CANARY, "nothing written");
	inner[20] = 8;		/* an echo request: may be answered */
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_TOOBIG, "echo request");
	inner[20] = 200;	/* unknown: as an error, as the kernel does */
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_DROP);

	s = spec(AF_INET, 2000);
	s.frag = 0x2000 | 100;	/* MF, offset 800: not the first */
	mk_inner(inner, &s);
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_DROP, "later fragment");
	s.frag = 0x2000;	/* the first fragment is answered */
	mk_inner(inner, &s);
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_TOOBIG, "first fragment");

	s = spec(AF_INET, 2000);
	for (i = 0; i < 5; i++) {
		static const char *const bad4[] = { "0.0.0.0", "127.0.0.1",
			"224.0.0.1", "240.0.0.1", "255.255.255.255" };
		mk_inner(inner, &s);
		inet_pton(AF_INET, bad4[i], inner + 12);
		cr_assert_eq(encap_packet(&e, inner, 2000, 0, out,
					  sizeof(out), &r), ENCAP_DROP,
			     "from %s", bad4[i]);
	}

	setup(&e, AF_INET6, TUN_IPIP, false, 1500);
	s = spec(AF_INET6, 2000);
	s.l4 = IPPROTO_ICMPV6;
	mk_inner(inner, &s);
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_DROP, "ICMPv6 error");
	inner[40] = 128;	/* echo request */
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_TOOBIG);

	/* hop-by-hop, then a fragment header */
	s = spec(AF_INET6, 2000);
	mk_inner(inner, &s);
	inner[6] = IPPROTO_HOPOPTS;
	memset(inner + 40, 0, 16);
	inner[40] = IPPROTO_FRAGMENT;
	inner[41] = 0;		/* 8 bytes */
	inner[48] = IPPROTO_TCP;
	put16(inner + 50, 1448 | 1);	/* offset 1448, M */
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_DROP, "later IPv6 fragment");
	put16(inner + 50, 1);	/* the first */
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_TOOBIG, "first IPv6 fragment");
	inner[48] = IPPROTO_ICMPV6;
	inner[56] = 3;		/* time exceeded */
	cr_assert_eq(encap_packet(&e, inner, 2000, 0, out, sizeof(out), &r),
		     ENCAP_DROP, "ICMPv6 error behind extension headers");

	for (i = 0; i < 3; i++) {
		static const char *const bad6[] = { "::", "::1", "ff02::1" };
		s = spec(AF_INET6, 2000);
		mk_inner(inner, &s);
		inet_pton(AF_INET6, bad6[i], inner + 8);
		cr_assert_eq(encap_packet(&e, inner, 2000, 0, out,
					  sizeof(out), &r), ENCAP_DROP,
			     "from %s", bad6[i]);
	}
}

Test(encap, bad_packets)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	uint8_t *heap;
	size_t i;
	int f;

	setup(&e, AF_INET, TUN_GRE, true, 1500);
	memset(out, CANARY, 256);
	cr_assert_eq(encap_packet(&e, inner, 0, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET, "empty");

	/* every cut of an IPv4 and an IPv6 packet, in exact heap blocks */
	for (f = 0; f < 2; f++) {
		s = spec(f ? AF_INET6 : AF_INET, 100);
		mk_inner(inner, &s);
		for (i = 0; i < 100; i++) {
			heap = malloc(i + 1);
			memcpy(heap, inner, i);
			cr_assert_eq(encap_packet(&e, heap, i, 0, out, sizeof(out),
						  &r), ENCAP_BAD_PACKET,
				     "IPv%d cut %zu", f ? 6 : 4, i);
			cr_assert_eq(r.n, 0);
			free(heap);
		}
	}

	s = spec(AF_INET, 100);
	mk_inner(inner, &s);
	inner[0] = 0x55;	/* version 5 */
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET);
	inner[0] = 0x44;	/* IHL 4 */
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET);
	inner[0] = 0x4f;	/* IHL 15: 60 > total length 50 */
	put16(inner + 2, 50);
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET);
	inner[0] = 0x45;
	put16(inner + 2, 19);	/* shorter than its header */
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET);
	put16(inner + 2, 101);	/* longer than what we were given */
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET);

	s = spec(AF_INET6, 100);
	mk_inner(inner, &s);
	put16(inner + 4, 61);
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET, "IPv6 payload past the end");
	put16(inner + 4, 0);
	inner[6] = IPPROTO_HOPOPTS;
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET, "jumbogram");
	inner[0] = 0x00;
	cr_assert_eq(encap_packet(&e, inner, 100, 0, out, sizeof(out), &r),
		     ENCAP_BAD_PACKET, "version 0");
	cr_assert_eq(out[0], CANARY, "nothing written");
	cr_assert_str_eq(encap_code_str(ENCAP_BAD_PACKET), "bad packet");
}

/* Bytes past the IP length are the link's padding: not carried. */
Test(encap, trailing_bytes)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	int inf;

	for (inf = 0; inf < 2; inf++) {
		setup(&e, AF_INET, TUN_GUE, true, 1500);
		s = spec(inf ? AF_INET6 : AF_INET, 100);
		mk_inner(inner, &s);
		memset(inner + 100, 0xee, 20);
		cr_assert_eq(encap_packet(&e, inner, 120, 0, out, sizeof(out),
					  &r), ENCAP_SENT);
		check_one(&e, &r, out, inner, 100, 0);
	}
}

/* Every outcome, with @cap one byte short, then exactly enough. */
Test(encap, capacity)
{
	struct encap_result r;
	struct inner_spec s[3];
	struct encap e;
	size_t i, need, t;
	int of, rc;

	s[0] = spec(AF_INET, 1000);			/* sent whole */
	s[1] = spec(AF_INET, 3000);			/* ICMP */
	s[2] = spec(AF_INET, 3000);			/* fragments */
	s[2].df = 0;
	for (of = 0; of < 2; of++)
	for (t = 0; t < 3; t++)
	for (i = 0; i < 3; i++) {
		setup(&e, of ? AF_INET6 : AF_INET, types[t], true, 1500);
		mk_inner(inner, &s[i]);
		rc = encap_packet(&e, inner, s[i].len, 0, out, sizeof(out),
				  &r);
		cr_assert_geq(rc, 0);
		need = encap_pkt_off(&r, r.n - 1) + r.last_len;
		cr_assert_leq(need, encap_space(&e, s[i].len));
		memset(out, CANARY, need + 1);
		cr_assert_eq(encap_packet(&e, inner, s[i].len, 0, out,
					  need - 1, &r), ENCAP_NO_SPACE);
		cr_assert_eq(r.n, 0);
		cr_assert_eq(out[0], CANARY, "nothing written");
		cr_assert_eq(out[need - 1], CANARY);
		cr_assert_eq(encap_packet(&e, inner, s[i].len, 0, out, need,
					  &r), rc);
		cr_assert_eq(out[need], CANARY, "nothing past @cap");
	}
}

/* encap_inplace() gives encap_packet()'s bytes, in every case. */
Test(encap, inplace_same_bytes)
{
	struct encap_result r1, r2;
	struct inner_spec s[5];
	struct encap e;
	size_t i, t, need;
	int of, csum, rc;
	uint32_t id;

	s[0] = spec(AF_INET, 1000);
	s[1] = spec(AF_INET6, 777);
	s[2] = spec(AF_INET, 3001);		/* ICMP */
	s[3] = spec(AF_INET6, 3000);		/* ICMPv6 */
	s[4] = spec(AF_INET, 5001);		/* fragments */
	s[4].df = 0;
	for (of = 0; of < 2; of++)
	for (t = 0; t < 3; t++)
	for (csum = 0; csum < 2; csum++)
	for (i = 0; i < 5; i++) {
		setup(&e, of ? AF_INET6 : AF_INET, types[t], csum, 1500);
		mk_inner(inner, &s[i]);
		id = e.id_next;
		rc = encap_packet(&e, inner, s[i].len, HASH, out, sizeof(out),
				  &r1);
		cr_assert_geq(rc, 0);
		need = encap_pkt_off(&r1, r1.n - 1) + r1.last_len;

		e.id_next = id;
		memset(out2, CANARY, sizeof(out2));
		memcpy(out2 + ENCAP_HEADROOM, inner, s[i].len);
		cr_assert_eq(encap_inplace(&e, out2, ENCAP_HEADROOM, s[i].len,
					   sizeof(out2), HASH, &r2), rc);
		cr_assert_eq(r2.n, r1.n);
		cr_assert_eq(r2.stride, r1.stride);
		cr_assert_eq(r2.last_len, r1.last_len);
		cr_assert(addr_eq(&r2.dst, &r1.dst));
		cr_assert_leq(r2.off + need, ENCAP_HEADROOM +
			      encap_space(&e, s[i].len));
		cr_assert(!memcmp(out2 + r2.off, out, need),
			  "case %zu, %s over %d", i, type_name[types[t]],
			  of ? 6 : 4);
		if (rc == ENCAP_SENT && r1.n == 1)
			cr_assert_eq(r2.off, ENCAP_HEADROOM -
				     overhead(e.dst.family, e.type, csum),
				     "headers in front, no copy");
	}
}

Test(encap, inplace_space)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	size_t ov, len = 3000, need;

	setup(&e, AF_INET6, TUN_GUE, true, 1500);
	ov = overhead(AF_INET6, TUN_GUE, true);
	s = spec(AF_INET, 1000);
	mk_inner(out2 + ov, &s);
	cr_assert_eq(encap_inplace(&e, out2, ov - 1, 1001, OUT_MAX, 0, &r),
		     ENCAP_BAD_PACKET, "shifted: not a packet");
	mk_inner(out2 + ov - 1, &s);
	cr_assert_eq(encap_inplace(&e, out2, ov - 1, 1000, OUT_MAX, 0, &r),
		     ENCAP_NO_SPACE, "headroom one short");
	mk_inner(out2 + ov, &s);
	cr_assert_eq(encap_inplace(&e, out2, ov, 1000, 1000 + ov - 1, 0, &r),
		     ENCAP_NO_SPACE, "packet past @cap");
	cr_assert_eq(encap_inplace(&e, out2, ov, 1000, 1000 + ov, 0, &r),
		     ENCAP_SENT, "just enough");
	cr_assert_eq(r.off, 0);
	cr_assert_eq(encap_inplace(&e, out2, 10, 20, 5, 0, &r),
		     ENCAP_NO_SPACE);

	/* fragments need room past the packet for their headers */
	s = spec(AF_INET, len);
	s.df = 0;
	mk_inner(out2 + ENCAP_HEADROOM, &s);
	need = ENCAP_HEADROOM + len + 2 * 48;	/* three fragments */
	cr_assert_eq(encap_inplace(&e, out2, ENCAP_HEADROOM, len, need - 1,
				   0, &r), ENCAP_NO_SPACE);
	cr_assert_eq(encap_inplace(&e, out2, ENCAP_HEADROOM, len, need, 0,
				   &r), ENCAP_SENT);
	cr_assert_eq(r.n, 3);
	cr_assert_eq(encap_pkt_off(&r, 2) + r.last_len, need);
}

/* Many packets in a row through one buffer, as the director would. */
Test(encap, reuse)
{
	struct encap_result r;
	struct inner_spec s;
	struct encap e;
	int i;

	setup(&e, AF_INET, TUN_GRE, true, 1500);
	for (i = 0; i < 200; i++) {
		s = spec(i & 1 ? AF_INET6 : AF_INET, 60 + (size_t)i * 7);
		s.ds = (uint8_t)i;
		s.ttl = (uint8_t)(i + 1);
		mk_inner(inner, &s);
		cr_assert_eq(encap_packet(&e, inner, s.len, (uint32_t)i, out,
					  sizeof(out), &r), ENCAP_SENT);
		check_one(&e, &r, out, inner, s.len, (uint32_t)i);
	}
}
