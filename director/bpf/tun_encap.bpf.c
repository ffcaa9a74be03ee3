// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TUN in the kernel: a tc egress program that encapsulates the packets of
 * TUN flows, found by their mark (the kernel's flow maps set it, as for
 * DR), with the outer headers of the real server the mark names.  The
 * headers are those director/encap.c builds for a packet that fits (see
 * encap.h for every field's rule): ipip, gre (no checksum) or gue (UDP
 * checksum 0), IPv4 or IPv6 outside and inside, TTL and DSCP from the
 * inner header, ECN as RFC 6040 (CE goes out as ECT(0)), DF copied from
 * IPv4 (IPv6 inside: set when the tunnel's room is 1280 or more), IPv4 id
 * 0 with DF else from the real server's counter, GUE source port from the
 * flow's hash exactly as encap.c does.
 *
 * bpf_skb_adjust_room() with the encap flags makes room and tells the
 * stack what the packet is, so that a GSO packet stays one (each segment
 * gets the outer headers when it is cut, in software or by the device).
 *
 * Too big: the director's policy route toward the real server carries the
 * tunnel's room as its MTU, so the kernel answers a packet that would not
 * fit (ICMP fragmentation needed / packet too big, or, IPv4 without DF,
 * fragments the inner packet) before it gets here; one that still does
 * not fit (the path MTU just changed) is dropped.  Packets with no mark of
 * ours, or one no real server of this map has, pass untouched.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tunbpf.h"

#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define GRE_HLEN	4
#define UDP_HLEN	8
#define GUE_HLEN	4
#define OUTER_MAX	(IPV6_HLEN + UDP_HLEN + GUE_HLEN)
#define IPV4_DF		0x40		/* in the flags byte */
#define IPV6_MIN_MTU	1280
#define SPORT_LO	32768
#define SPORT_HI	60999

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tunbpf_cfg);
} tun_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TUNBPF_DESTS_MAX);
	__type(key, __u32);
	__type(value, struct tunbpf_dest);
} tun_dests SEC(".maps");

/* What the inner header tells (encap.c's struct inner), and its ports. */
struct inner {
	__u8 v6;
	__u8 proto;		/* 4 or 41 */
	__u8 ds;
	__u8 ttl;
	__u8 df;
	__u8 l4proto;
	__u16 sport, dport;	/* host order */
	__u32 len;		/* from the IP header */
	__u8 saddr[16], daddr[16];
};

static __always_inline void put16(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static __always_inline int has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP;
}

static __always_inline int load_ports(struct __sk_buff *skb, __u32 off,
				      struct inner *in)
{
	__u8 p[4];

	if (!has_ports(in->l4proto))
		return 0;
	if (bpf_skb_load_bytes(skb, off, p, sizeof(p)))
		return 0;
	in->sport = (__u16)(p[0] << 8 | p[1]);
	in->dport = (__u16)(p[2] << 8 | p[3]);
	return 0;
}

/* encap.c's inner_parse(); -1 for what it calls a bad packet */
static __always_inline int parse(struct __sk_buff *skb, struct inner *in)
{
	__u32 avail = skb->len - ETH_HLEN, ihl;
	__u8 h[IPV6_HLEN];

	if (skb->len < ETH_HLEN + IPV4_HLEN)
		return -1;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, h, IPV4_HLEN) ||
		    h[0] >> 4 != 4)
			return -1;
		ihl = (h[0] & 0x0f) * 4u;
		in->len = (__u32)(h[2] << 8 | h[3]);
		if (ihl < IPV4_HLEN || in->len < ihl || in->len > avail)
			return -1;
		in->v6 = 0;
		in->proto = IPPROTO_IPIP;
		in->ds = h[1];
		in->ttl = h[8];
		in->df = !!(h[6] & IPV4_DF);
		in->l4proto = h[9];
		__builtin_memcpy(in->saddr, h + 12, 4);
		__builtin_memcpy(in->daddr, h + 16, 4);
		/* later fragments carry no ports */
		if (!((h[6] & 0x1f) | h[7]))
			load_ports(skb, ETH_HLEN + ihl, in);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, h, IPV6_HLEN) ||
		    h[0] >> 4 != 6)
			return -1;
		in->len = IPV6_HLEN + (__u32)(h[4] << 8 | h[5]);
		/* a jumbogram is not ours */
		if (in->len > avail ||
		    (in->len == IPV6_HLEN && h[6] == IPPROTO_HOPOPTS))
			return -1;
		in->v6 = 1;
		in->proto = IPPROTO_IPV6;
		in->ds = (__u8)((h[0] & 0x0f) << 4 | h[1] >> 4);
		in->ttl = h[7];
		in->df = 1;
		in->l4proto = h[6];
		__builtin_memcpy(in->saddr, h + 8, 16);
		__builtin_memcpy(in->daddr, h + 24, 16);
		load_ports(skb, ETH_HLEN + IPV6_HLEN, in);
	} else {
		return -1;
	}
	/* RFC 6040 full functionality, INET_ECN_encapsulate() */
	if ((in->ds & 3) == 3)
		in->ds = (__u8)((in->ds & ~3) | 2);
	return 0;
}

/* GRE or UDP + GUE at @t; the outer IP protocol */
static __always_inline __u8 put_tunnel(__u8 *t, struct tunbpf_dest *d,
				       const struct inner *in, __u32 len)
{
	__u32 lo = d->sport_lo, hi = d->sport_hi, hash, sport;

	if (d->type == TUNBPF_GRE) {
		put16(t + 2, in->v6 ? ETH_P_IPV6 : ETH_P_IP);
		return IPPROTO_GRE;
	}
	if (d->type != TUNBPF_GUE)
		return in->proto;
	/* the kernel's udp_flow_src_port(), max excluded as there */
	if (lo >= hi) {
		lo = SPORT_LO;
		hi = SPORT_HI;
	}
	hash = tunbpf_flow_hash(in->l4proto, in->sport, in->dport, in->saddr,
				in->daddr, in->v6 ? 16 : 4);
	if (!hash)
		hash = d->hashrnd;
	hash ^= hash << 16;
	sport = (__u32)(((__u64)hash * (hi - lo)) >> 32) + lo;
	put16(t, sport);
	put16(t + 2, d->port);
	put16(t + 4, UDP_HLEN + GUE_HLEN + len);
	t[9] = in->proto;	/* GUE version 0, no flags */
	return IPPROTO_UDP;
}

static __always_inline __u16 csum20(const __u8 *h)
{
	__u32 sum = 0;
	__u16 w;
	int i;

	/* native-order words, stored the same way (RFC 1071), as encap.c */
#pragma unroll
	for (i = 0; i < IPV4_HLEN; i += 2) {
		__builtin_memcpy(&w, h + i, 2);
		sum += w;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("tc")
int tun_encap(struct __sk_buff *skb)
{
	__u8 h[OUTER_MAX] = { 0 };
	struct tunbpf_dest *d;
	struct tunbpf_cfg *cfg;
	struct inner in = { 0 };
	__u32 zero = 0, key, len, hlen, room, id = 0;
	__u64 flags;
	__u16 c;
	__u8 proto;

	cfg = bpf_map_lookup_elem(&tun_cfg, &zero);
	if (!cfg)
		return TC_ACT_OK;
	key = skb->mark & cfg->mark_mask;
	if (!key)
		return TC_ACT_OK;
	d = bpf_map_lookup_elem(&tun_dests, &key);
	if (!d)
		return TC_ACT_OK;
	if (parse(skb, &in) < 0)
		return TC_ACT_SHOT;
	/* bytes past the IP header's length go, as the kernel trims them */
	len = skb->len - ETH_HLEN;
	if (len > in.len && !skb->gso_size) {
		if (bpf_skb_change_tail(skb, ETH_HLEN + in.len, 0))
			return TC_ACT_SHOT;
		len = in.len;
	}
	room = d->mtu - d->overhead;
	if (!skb->gso_size && len > room)
		return TC_ACT_SHOT;	/* the route's MTU should have said so */

	flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	if (d->family == 6) {
		hlen = IPV6_HLEN;
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
		proto = put_tunnel(h + IPV6_HLEN, d, &in, len);
	} else {
		hlen = IPV4_HLEN;
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
		proto = put_tunnel(h + IPV4_HLEN, d, &in, len);
	}
	if (d->type == TUNBPF_GRE) {
		hlen += GRE_HLEN;
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_GRE;
	} else if (d->type == TUNBPF_GUE) {
		hlen += UDP_HLEN + GUE_HLEN;
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
			 BPF_F_ADJ_ROOM_ENCAP_L2(GUE_HLEN);
	}

	if (d->family == 6) {
		h[0] = (__u8)(0x60 | in.ds >> 4);
		h[1] = (__u8)(in.ds << 4);
		put16(h + 4, hlen - IPV6_HLEN + len);
		h[6] = proto;
		h[7] = in.ttl;
		__builtin_memcpy(h + 8, d->src, 16);
		__builtin_memcpy(h + 24, d->dst, 16);
	} else {
		h[0] = 0x45;
		h[1] = in.ds;
		put16(h + 2, hlen + len);
		if (in.v6 ? room >= IPV6_MIN_MTU : in.df)
			h[6] = IPV4_DF;	/* atomic: id 0 (RFC 6864) */
		else
			id = __sync_fetch_and_add(&d->id_next, 1);
		put16(h + 4, id);
		h[8] = in.ttl;
		h[9] = proto;
		__builtin_memcpy(h + 12, d->src, 4);
		__builtin_memcpy(h + 16, d->dst, 4);
		c = csum20(h);
		__builtin_memcpy(h + 10, &c, 2);
	}

	if (bpf_skb_adjust_room(skb, (__s32)hlen, BPF_ADJ_ROOM_MAC, flags))
		return TC_ACT_SHOT;
	c = bpf_htons(d->family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	if (hlen > OUTER_MAX ||
	    bpf_skb_store_bytes(skb, ETH_HLEN - 2, &c, 2, 0) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, h, hlen, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
