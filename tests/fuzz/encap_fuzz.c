// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for encap_packet() and encap_inplace().  The first
 * bytes choose the tunnel (type, families, checksum, MTU, flow hash, output
 * size), the rest is the inner packet, optionally with its length fields
 * made consistent so that the fuzzer reaches the building paths quickly.
 * The inner packet and both output buffers are heap blocks of exactly
 * their size, so ASan sees any access past them.  Checked on every run:
 *   - the code is one of encap_code_str()'s, and in r->code;
 *   - nothing is written unless there is something to send;
 *   - what is sent parses back: IP headers and their checksums, lengths,
 *     the MTU, fragments that reassemble in order with one id, GRE and UDP
 *     checksums, the inner packet carried whole; an ICMP error with a valid
 *     checksum, quoting the start of the inner packet, to its source;
 *   - encap_inplace() gives the same bytes;
 *   - BAD_PACKET exactly when the inner lengths contradict the buffer.
 * Build: see tests/fuzz/README.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert(): it must hold with -DNDEBUG too. */
#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

#define CFG_LEN		10
#define CANARY		0xa5

static uint8_t stream[2 * 65536];	/* reassembled tunnel payload */

static unsigned int be16(const uint8_t *p)
{
	return (unsigned int)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/* Folded ones' complement sum, big-endian words, the slow way. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += be16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t pseudo(size_t alen, const uint8_t *src, const uint8_t *dst,
		       uint8_t proto, size_t len)
{
	return sum16(src, alen, 0) + sum16(dst, alen, 0) + proto +
	       (uint32_t)len;
}

/* The inner packet's length by its header, 0 if it contradicts @len. */
static size_t inner_len(const uint8_t *p, size_t len)
{
	size_t tot;

	if (len >= 20 && p[0] >> 4 == 4) {
		tot = be16(p + 2);
		if ((p[0] & 15) >= 5 && tot >= (p[0] & 15) * 4u && tot <= len)
			return tot;
	} else if (len >= 40 && p[0] >> 4 == 6) {
		tot = 40 + be16(p + 4);
		if (tot <= len && !(tot == 40 && p[6] == 0))
			return tot;
	}
	return 0;
}

struct pkt {
	int v6;
	const uint8_t *src, *dst, *pl;
	size_t plen, frag_off;
	uint8_t proto, ds, ttl;
	int mf, df, frag;
	uint32_t id;
};

/* One outer IPv4 or IPv6 packet, exactly @len bytes. */
static void parse(const uint8_t *p, size_t len, struct pkt *k)
{
	unsigned int f;

	memset(k, 0, sizeof(*k));
	CHECK(len >= 20);
	if (p[0] >> 4 == 4) {
		CHECK(p[0] == 0x45 && be16(p + 2) == len);
		CHECK(sum16(p, 20, 0) == 0xffff);
		f = be16(p + 6);
		CHECK(!(f & 0x8000));
		k->df = !!(f & 0x4000);
		k->mf = !!(f & 0x2000);
		k->frag_off = (f & 0x1fff) * 8u;
		k->frag = k->mf || k->frag_off;
		k->id = be16(p + 4);
		k->ds = p[1];
		k->ttl = p[8];
		k->proto = p[9];
		k->src = p + 12;
		k->dst = p + 16;
		k->pl = p + 20;
		k->plen = len - 20;
		return;
	}
	CHECK(p[0] >> 4 == 6 && len >= 40 && be16(p + 4) == len - 40);
	CHECK((p[1] & 15) == 0 && !p[2] && !p[3]);	/* flow label 0 */
	k->v6 = 1;
	k->ds = (uint8_t)((p[0] & 15) << 4 | p[1] >> 4);
	k->ttl = p[7];
	k->proto = p[6];
	k->src = p + 8;
	k->dst = p + 24;
	k->pl = p + 40;
	k->plen = len - 40;
	if (k->proto != IPPROTO_FRAGMENT)
		return;
	CHECK(k->plen >= 8 && !k->pl[1] && !(be16(k->pl + 2) & 6));
	k->frag = 1;
	k->proto = k->pl[0];
	k->frag_off = be16(k->pl + 2) & 0xfff8;
	k->mf = be16(k->pl + 2) & 1;
	k->id = be32(k->pl + 4);
	k->pl += 8;
	k->plen -= 8;
}

static void check_tunnel(const struct encap *e, uint8_t proto,
			 const uint8_t *t, size_t n, const uint8_t *in,
			 size_t in_len)
{
	size_t alen = e->dst.family == AF_INET ? 4 : 16, th = 0;
	int v4 = in[0] >> 4 == 4;

	switch (e->type) {
	case TUN_IPIP:
		CHECK(proto == (v4 ? 4 : 41));
		break;
	case TUN_GRE:
		th = e->csum ? 8 : 4;
		CHECK(proto == 47 && n >= th);
		CHECK(t[0] == (e->csum ? 0x80 : 0) && !t[1]);
		CHECK(be16(t + 2) == (v4 ? 0x0800u : 0x86ddu));
		if (e->csum)
			CHECK(sum16(t, n, 0) == 0xffff && !be16(t + 6));
		break;
	case TUN_GUE:
		th = 12;
		CHECK(proto == IPPROTO_UDP && n >= th);
		CHECK(be16(t + 2) == e->port && be16(t + 4) == n);
		CHECK(be16(t) >= e->sport_lo && be16(t) < e->sport_hi);
		if (e->csum)
			CHECK(be16(t + 6) && sum16(t, n, pseudo(alen, e->src.b,
						e->dst.b, IPPROTO_UDP, n)) ==
			      0xffff);
		else
			CHECK(!be16(t + 6));
		CHECK(!t[8] && t[9] == (v4 ? 4 : 41) && !be16(t + 10));
		break;
	default:
		CHECK(0);
	}
	CHECK(n == th + in_len && !memcmp(t + th, in, in_len));
}

static void check_sent(const struct encap *e, const struct encap_result *r,
		       const uint8_t *out, size_t cap, const uint8_t *in,
		       size_t in_len)
{
	size_t alen = e->dst.family == AF_INET ? 4 : 16, got = 0, off, len;
	uint8_t proto = 0, ds;
	struct pkt k;
	uint32_t i, id = 0;

	CHECK(r->n >= 1 && addr_eq(&r->dst, &e->dst));
	/* the inner DSCP and ECN, but CE goes out as ECT(0) */
	ds = in[0] >> 4 == 4 ? in[1] : (uint8_t)((in[0] & 15) << 4 | in[1] >> 4);
	if ((ds & 3) == 3)
		ds = (uint8_t)(ds - 1);
	for (i = 0; i < r->n; i++) {
		off = encap_pkt_off(r, i);
		len = encap_pkt_len(r, i);
		CHECK(off + len <= cap && len <= e->mtu);
		parse(out + off, len, &k);
		CHECK(k.v6 == (e->dst.family == AF_INET6));
		CHECK(!memcmp(k.src, e->src.b, alen));
		CHECK(!memcmp(k.dst, e->dst.b, alen));
		CHECK(k.ds == ds && k.ttl == in[in[0] >> 4 == 4 ? 8 : 7]);
		CHECK(k.frag == (r->n > 1));
		/* DF: copied, or set for IPv6 if 1280 fit; id 0 with DF */
		if (!k.v6 && r->n == 1)
			CHECK(k.df == (in[0] >> 4 == 4 ? !!(in[6] & 0x40) :
				       e->mtu - e->overhead >= 1280));
		CHECK(!k.df || !k.id);
		if (r->n > 1) {
			CHECK(!k.df && k.frag_off == got);
			CHECK(k.mf == (i + 1 < r->n));
			CHECK(!k.mf || k.plen % 8 == 0);
			if (!i) {
				id = k.id;
				proto = k.proto;
			}
			CHECK(k.id == id && k.proto == proto);
		} else {
			proto = k.proto;
		}
		CHECK(got + k.plen <= sizeof(stream));
		memcpy(stream + got, k.pl, k.plen);
		got += k.plen;
	}
	check_tunnel(e, proto, stream, got, in, in_len);
}

static void check_icmp(const struct encap_result *r, const uint8_t *out,
		       size_t cap, const uint8_t *in, size_t in_len)
{
	size_t off = encap_pkt_off(r, 0), len = encap_pkt_len(r, 0), q;
	int v4 = in[0] >> 4 == 4;
	struct pkt k;

	CHECK(r->n == 1 && off + len <= cap);
	parse(out + off, len, &k);
	CHECK(k.v6 == !v4 && !k.frag && k.plen >= 8 && k.ttl == 64);
	q = k.plen - 8;
	CHECK(q == (in_len < (v4 ? 548u : 1232u) ? in_len : (v4 ? 548 : 1232)));
	CHECK(!memcmp(k.pl + 8, in, q));
	if (v4) {
		CHECK(k.proto == IPPROTO_ICMP && k.pl[0] == 3 && k.pl[1] == 4);
		CHECK(be16(k.pl + 6) == r->mtu && r->mtu >= 68);
		CHECK(sum16(k.pl, k.plen, 0) == 0xffff);
		CHECK(!memcmp(k.src, in + 16, 4) && !memcmp(k.dst, in + 12, 4));
		CHECK(!memcmp(r->dst.b, in + 12, 4));
	} else {
		CHECK(k.proto == IPPROTO_ICMPV6 && k.pl[0] == 2 && !k.pl[1]);
		CHECK(be32(k.pl + 4) == r->mtu && r->mtu >= 1280);
		CHECK(sum16(k.pl, k.plen, pseudo(16, k.src, k.dst,
						 IPPROTO_ICMPV6, k.plen)) ==
		      0xffff);
		CHECK(!memcmp(k.src, in + 24, 16) && !memcmp(k.dst, in + 8, 16));
		CHECK(!memcmp(r->dst.b, in + 8, 16));
	}
	CHECK(in_len > r->mtu);
}

/* Make the inner length fields agree with the buffer. */
static void fix_lengths(uint8_t *p, size_t len)
{
	if (len >= 20 && p[0] >> 4 == 4 && len <= 65535) {
		if ((p[0] & 15) < 5)
			p[0] = 0x45;
		if ((p[0] & 15) * 4u > len)
			p[0] = 0x45;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
	} else if (len >= 40 && p[0] >> 4 == 6 && len - 40 <= 65535) {
		p[4] = (uint8_t)((len - 40) >> 8);
		p[5] = (uint8_t)(len - 40);
	}
}

static void setup(struct encap *e, const uint8_t *cfg)
{
	static const char *const src[2] = { "10.0.0.1", "fd00::1" };
	static const char *const dst[2] = { "10.0.0.2", "fd00::2" };
	struct cfg_tunnel t = {
		.type = (enum tun_type)(cfg[0] % 3),
		.csum = cfg[0] & 4,
		.port = (uint16_t)(be16(cfg + 8) | 1),
	};
	struct nflvs_addr s, d;
	int v6 = !!(cfg[0] & 8);
	uint32_t mtu = be16(cfg + 1);

	CHECK(!addr_parse(src[v6], &s) && !addr_parse(dst[v6], &d));
	if (encap_init(e, &t, &s, &d, mtu, be32(cfg + 3)))
		CHECK(!encap_init(e, &t, &s, &d, v6 ? 1280 : 100, be32(cfg + 3)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct encap_result r, r2;
	uint8_t *in, *out, *ip;
	size_t len, cap, space, tot, need = 0;
	uint32_t hash, id;
	struct encap e;
	int rc, rc2;

	if (size < CFG_LEN)
		return 0;
	setup(&e, data);
	hash = be32(data + 3) * 2654435761u;
	len = size - CFG_LEN;
	in = malloc(len ? len : 1);
	CHECK(in);
	memcpy(in, data + CFG_LEN, len);
	if (data[0] & 16)
		fix_lengths(in, len);
	tot = inner_len(in, len);

	/* @cap: enough, or cut by a fuzzed amount */
	space = encap_space(&e, len);
	cap = data[7] & 0x80 ? space : space - (space * data[7] >> 7);
	out = malloc(cap ? cap : 1);
	CHECK(out);
	memset(out, CANARY, cap);
	id = e.id_next;
	rc = encap_packet(&e, in, len, hash, out, cap, &r);
	CHECK(encap_code_str(rc)[0] != '?' && r.code == rc);
	CHECK((rc == ENCAP_BAD_PACKET) == !tot);
	if (rc == ENCAP_SENT)
		check_sent(&e, &r, out, cap, in, tot);
	else if (rc == ENCAP_TOOBIG)
		check_icmp(&r, out, cap, in, tot);
	if (rc == ENCAP_SENT || rc == ENCAP_TOOBIG) {
		need = encap_pkt_off(&r, r.n - 1) + r.last_len;
		CHECK(need <= space);
	} else {
		CHECK(!r.n);
		for (size_t i = 0; i < cap; i++)
			CHECK(out[i] == CANARY);
	}
	CHECK(rc != ENCAP_BAD_CONFIG);

	/* in place, with just enough room: the same bytes */
	ip = malloc(ENCAP_HEADROOM + space);
	CHECK(ip);
	memcpy(ip + ENCAP_HEADROOM, in, len);
	e.id_next = id;
	rc2 = encap_inplace(&e, ip, ENCAP_HEADROOM, len, ENCAP_HEADROOM + space,
			    hash, &r2);
	if (rc != ENCAP_NO_SPACE) {
		CHECK(rc2 == rc && r2.n == r.n);
		if (r.n)
			CHECK(r2.stride == r.stride &&
			      r2.last_len == r.last_len &&
			      !memcmp(ip + r2.off, out, need));
	} else {
		CHECK(rc2 == ENCAP_SENT || rc2 == ENCAP_TOOBIG);
	}
	free(ip);
	free(out);
	free(in);
	return 0;
}
