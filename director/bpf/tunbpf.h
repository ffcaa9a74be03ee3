/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_TUNBPF_ABI_H
#define NFLVS_TUNBPF_ABI_H

/*
 * What the director (director/tunbpf.c) and its tc egress encapsulator
 * (tun_encap.bpf.c) share, and nflvs-tundecap with the real server's
 * decapsulator (tun_decap.bpf.c): the maps' keys and values, and the flow hash
 * GUE's source port comes from.  Included by both sides, so only fixed
 * size types and no libc.
 *
 *   tun_cfg    array, one entry: the director's mark mask
 *   tun_dests  hash: mark & mask -> struct tunbpf_dest, one per TUN real
 *              server the kernel path serves (the director fills it)
 */

#include <linux/types.h>

#define TUNBPF_DESTS_MAX	65536

enum tunbpf_type {
	TUNBPF_IPIP = 1,
	TUNBPF_GRE = 2,
	TUNBPF_GUE = 3,
};

struct tunbpf_cfg {
	__u32 mark_mask;
};

/* One real server's outer headers, as struct encap holds them (encap.h). */
struct tunbpf_dest {
	__u8 type;		/* enum tunbpf_type */
	__u8 family;		/* outer: 4 or 6 */
	__u16 port;		/* GUE destination port, host order */
	__u16 sport_lo;		/* GUE source ports [lo, hi) */
	__u16 sport_hi;
	__u16 overhead;		/* outer header bytes */
	__u16 pad;
	__u32 mtu;		/* path MTU toward the real server */
	__u32 hashrnd;		/* GUE source port when the hash is 0 */
	__u32 id_next;		/* next IPv4 id (atomic) */
	__u8 src[16];		/* our address toward it (IPv4: 4 bytes) */
	__u8 dst[16];		/* the real server */
};

/* The real server's decapsulator (tun_decap.bpf.c): what it takes off. */
struct tunbpf_decap {
	__u8 type;		/* enum tunbpf_type */
	__u8 pad;
	__u16 port;		/* GUE: the UDP port, host order */
};

/*
 * The flow's hash, for GUE's source port: client address, VIP (@alen
 * bytes each), protocol and ports in host order.  The user-space path
 * (tun.c) and the BPF one both use this, so a flow keeps its source port
 * whichever path sends it.
 */
static inline __u32 tunbpf_flow_hash(__u8 proto, __u16 sport, __u16 dport,
				     const __u8 *saddr, const __u8 *daddr,
				     unsigned int alen)
{
	__u32 h = 0x9e3779b9u ^ proto ^ ((__u32)sport << 16 | dport);
	unsigned int i;

	for (i = 0; i < alen && i < 16; i++)
		h = (h ^ saddr[i] ^ ((__u32)daddr[i] << 8)) * 0x01000193u;
	return h ^ (h >> 15);
}

#endif
