// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The real server's end of TUN where the kernel has no tunnel devices: a
 * tc ingress program that takes the outer headers off what a director
 * sends (ipip, gre, gue; IPv4 or IPv6 outside and inside) and lets the
 * inner packet go on up the stack, as if a tunnel device had received it.
 * nflvs-tundecap loads it and says, in its map, which tunnel to take.
 *
 *   ipip  IP protocol 4 (IPv4 inside) or 41 (IPv6 inside)
 *   gre   IP protocol 47, version 0, no routing; a checksum, key or
 *         sequence number is skipped (the checksum is not verified: the
 *         inner packet's own checksums still are); protocol 0x0800/0x86dd
 *   gue   UDP to the port of the map: GUE version 0 (4 bytes and its
 *         optional fields, protocol 4 or 41, no control messages) or
 *         version 1 (the inner packet directly)
 *
 * The outer destination is not checked (what reached this device's
 * ingress was for this host); the inner one must be a local address (the
 * VIP on lo) or the stack drops the packet.  Outer
 * IPv4 options, IPv6 extension headers and fragments are left alone (the
 * stack, without tunnel devices, drops them).  A GSO packet keeps its
 * segment size: bpf_skb_adjust_room() shrinks it as one.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tunbpf.h"

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4	/* UAPI headers older than 6.3 */
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4	(1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6	(1ULL << 8)
#endif

#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define UDP_HLEN	8

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tunbpf_decap);
} tun_decap_cfg SEC(".maps");

/* The inner family from an IP version nibble, 0 if none. */
static __always_inline __u8 family_of_version(__u8 b)
{
	return b >> 4 == 4 ? 4 : b >> 4 == 6 ? 6 : 0;
}

/*
 * The tunnel header at @off (after the outer IP header) for protocol
 * @proto: its length into *@len, the inner family (4 or 6), or 0 if the
 * packet is not one to take off.
 */
static __always_inline __u8 tunnel(struct __sk_buff *skb,
				   const struct tunbpf_decap *c, __u8 proto,
				   __u32 off, __u32 *len)
{
	__u8 h[UDP_HLEN + 4], first;
	__u32 n;

	switch (proto) {
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		if (c->type != TUNBPF_IPIP)
			return 0;
		*len = 0;
		return proto == IPPROTO_IPIP ? 4 : 6;
	case IPPROTO_GRE:
		if (c->type != TUNBPF_GRE ||
		    bpf_skb_load_bytes(skb, off, h, 4))
			return 0;
		/* version 0, no routing, no recursion or strict source
		 * route bits: C K S are all we know */
		if ((h[0] & ~(0x80 | 0x20 | 0x10)) || (h[1] & 0x07))
			return 0;
		n = 4;
		n += h[0] & 0x80 ? 4 : 0;	/* checksum + reserved */
		n += h[0] & 0x20 ? 4 : 0;	/* key */
		n += h[0] & 0x10 ? 4 : 0;	/* sequence number */
		*len = n;
		if (h[2] == 0x08 && h[3] == 0x00)
			return 4;
		if (h[2] == 0x86 && h[3] == 0xdd)
			return 6;
		return 0;
	case IPPROTO_UDP:
		if (c->type != TUNBPF_GUE ||
		    bpf_skb_load_bytes(skb, off, h, UDP_HLEN + 4) ||
		    (__u16)(h[2] << 8 | h[3]) != c->port)
			return 0;
		first = h[UDP_HLEN];
		if (first >> 6 == 1) {		/* version 1: IP directly */
			*len = UDP_HLEN;
			return family_of_version(first);
		}
		if (first >> 6 != 0 || (first & 0x20))
			return 0;		/* unknown version, control */
		*len = UDP_HLEN + 4 + (first & 0x1f) * 4u;
		return h[UDP_HLEN + 1] == IPPROTO_IPIP ? 4 :
		       h[UDP_HLEN + 1] == IPPROTO_IPV6 ? 6 : 0;
	}
	return 0;
}

SEC("tc")
int tun_decap(struct __sk_buff *skb)
{
	struct tunbpf_decap *c;
	__u32 zero = 0, hl, tl = 0;
	__u8 h[IPV6_HLEN], inner, ver;
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	__u16 type;

	c = bpf_map_lookup_elem(&tun_decap_cfg, &zero);
	if (!c)
		return TC_ACT_OK;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, h, IPV4_HLEN) ||
		    h[0] != 0x45 || (h[6] & 0x3f) || h[7])
			return TC_ACT_OK;	/* options, fragments */
		hl = IPV4_HLEN;
		inner = tunnel(skb, c, h[9], ETH_HLEN + IPV4_HLEN, &tl);
		ver = 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, h, IPV6_HLEN) ||
		    h[0] >> 4 != 6)
			return TC_ACT_OK;
		hl = IPV6_HLEN;
		inner = tunnel(skb, c, h[6], ETH_HLEN + IPV6_HLEN, &tl);
		ver = 6;
	} else {
		return TC_ACT_OK;
	}
	if (!inner)
		return TC_ACT_OK;
	if (inner != ver)
		flags |= inner == 4 ? BPF_F_ADJ_ROOM_DECAP_L3_IPV4 :
				      BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
	if (bpf_skb_adjust_room(skb, -(__s32)(hl + tl), BPF_ADJ_ROOM_MAC, flags))
		return TC_ACT_SHOT;
	type = bpf_htons(inner == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (bpf_skb_store_bytes(skb, ETH_HLEN - 2, &type, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
