/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_ENCAP_H
#define NFLVS_ENCAP_H

/*
 * TUN forwarding: the outer packets for one inner packet, as IPVS's
 * ip_vs_tunnel_xmit() and ip_vs_tunnel_xmit_v6() build them.  Pure: no
 * socket, no allocation, no clock; the caller sends what @r describes on a
 * raw socket with the header included (IPPROTO_RAW; IPV6_HDRINCL for IPv6),
 * to r->dst.
 *
 * The inner packet is what NFQUEUE hands over: a whole IPv4 or IPv6 packet
 * from its IP header on (the queue's copy range must cover the packet).
 * Bytes past the length its header gives are ignored, as the kernel trims
 * them; fewer bytes than that length are ENCAP_BAD_PACKET.
 *
 * Outer packet:
 *   family    that of the real server (e->dst); the inner one may differ
 *   protocol  ipip: 4 (IPv4 inside) or 41 (IPv6 inside); gre: 47, GRE
 *             version 0, protocol 0x0800/0x86DD, checksum if e->csum;
 *             gue: UDP to e->port, GUE version 0 (4 bytes, proto 4/41)
 *   TTL       the inner TTL / hop limit, not decremented (IPVS decrements
 *             the inner one first, as a router; we leave the inner packet
 *             as it came, byte for byte)
 *   TOS       the inner DSCP; ECN copied, CE sent as ECT(0) (RFC 6040
 *             full functionality, the kernel's INET_ECN_encapsulate())
 *   DF        IPv4 inner: copied; IPv6 inner: set, unless the tunnel MTU
 *             is below 1280 (then clear, so the outer may be fragmented:
 *             sit does both; IPVS always sends DF clear there)
 *   IPv4 id   0 with DF set (an atomic datagram, RFC 6864, as the kernel's
 *             ip_select_ident() does), else from e->id_next
 *   flow label 0, as IPVS
 *   GUE sport from @flow_hash in [sport_lo, sport_hi) exactly as the kernel's
 *             udp_flow_src_port() (e->hashrnd stands in for a zero hash)
 *   UDP csum  only with e->csum, over IPv6 too: IPVS's default (nocsum)
 *             sends zero checksums with either outer family, and the
 *             kernel's fou receiver accepts them (UDP_NO_CHECK6_RX, RFC
 *             6935); a computed 0 goes out as 0xffff
 *
 * Path MTU.  room = e->mtu - encap_overhead(): the largest inner packet
 * that fits.  A larger one
 *   IPv4 with DF  is not sent: r holds an ICMP "fragmentation needed"
 *                 (3/4, next-hop MTU = room) for the client;
 *   IPv4 no DF    goes as outer fragments (see below);
 *   IPv6          is not sent: r holds an ICMPv6 "packet too big" with
 *                 MTU = max(room, 1280); an inner packet of 1280 bytes or
 *                 less over a tunnel whose room is below 1280 goes as
 *                 outer fragments, as sit and ip6_tunnel do (IPVS drops
 *                 everything when an IPv6 tunnel's room is below 1280).
 * The ICMP error goes from the inner destination (the VIP) to the inner
 * source (the client), quoting the start of the inner packet: up to 576
 * bytes of ICMP datagram for IPv4 (RFC 1812 4.3.2.3), 1280 for IPv6 (RFC
 * 4443 2.4 c).  No error is made about an ICMP error, a fragment other than
 * the first, or a packet from an address that cannot be answered
 * (unspecified, loopback, multicast, broadcast): ENCAP_DROP, as the
 * kernel's icmp_send() / icmpv6_send() and IPVS decide.
 *
 * Fragments.  A raw socket with the header included does not fragment, so
 * we do: IPv4 outer, fragments with DF clear; IPv6 outer, a fragment
 * header in each.  One id (e->id_next) for all the fragments of a packet.
 * The GRE or UDP checksum covers the whole unfragmented payload.
 *
 * Threads: encap_packet() only reads @e, but for the id counter, which it
 * advances atomically; one struct encap may serve every queue thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

/*
 * Headroom encap_inplace() needs before the inner packet for every case:
 * IPv6 + fragment header + UDP + GUE is 60 bytes.
 */
#define ENCAP_HEADROOM		64

/* Ports of the kernel's default net.ipv4.ip_local_port_range. */
#define ENCAP_SPORT_LO		32768
#define ENCAP_SPORT_HI		60999

/* What to do with @r (and the return value of encap_packet()). */
enum encap_code {
	ENCAP_SENT = 0,		/* send the r->n packets to the real server */
	ENCAP_TOOBIG = 1,	/* send the one ICMP error to the client */
	ENCAP_DROP = 2,		/* too big, and no ICMP error may be sent */
	ENCAP_BAD_PACKET = -1,	/* not a whole IPv4/IPv6 packet */
	ENCAP_NO_SPACE = -2,	/* @cap, or the headroom, too small */
	ENCAP_BAD_CONFIG = -3,	/* @e not set up by encap_init() */
};

/* Per real server; set up with encap_init(), then only read. */
struct encap {
	enum tun_type type;
	bool csum;		/* GRE checksum / GUE UDP checksum */
	uint16_t port;		/* GUE: destination port, host order */
	uint16_t sport_lo;	/* GUE: source ports, as ip_local_port_range */
	uint16_t sport_hi;
	uint32_t mtu;		/* path MTU toward the real server */
	struct nflvs_addr src;	/* our address toward the real server */
	struct nflvs_addr dst;	/* the real server */
	uint32_t hashrnd;	/* GUE source port when @flow_hash is 0 */
	uint32_t id_next;	/* next IPv4 id / IPv6 fragment id (atomic) */
	/* derived by encap_init() */
	uint16_t overhead;	/* encap_overhead() */
	uint16_t th_len;	/* GRE or UDP + GUE header, 0 for ipip */
	uint32_t addr_sum;	/* ones' complement sum of src and dst */
};

/*
 * Packet i (0 <= i < n) is at off + i * stride in the buffer, stride bytes
 * long but the last, last_len long: fragments are back to back, and all
 * but the last have the same length.
 */
struct encap_result {
	int code;		/* enum encap_code */
	uint32_t n;		/* packets to send: 0 unless SENT or TOOBIG */
	uint32_t off;
	uint32_t stride;
	uint32_t last_len;
	uint32_t mtu;		/* TOOBIG: the MTU announced to the client */
	struct nflvs_addr dst;	/* the real server, or the client (TOOBIG) */
};

/*
 * Set @e up for one real server.  @src and @dst of one family; @mtu as
 * encap_set_mtu(); @random seeds the id counter and hashrnd.  GUE source
 * ports default to ENCAP_SPORT_LO..HI; set e->sport_lo/hi afterwards to
 * follow another ip_local_port_range.  0, or -EINVAL.
 */
int encap_init(struct encap *e, const struct cfg_tunnel *t,
	       const struct nflvs_addr *src, const struct nflvs_addr *dst,
	       uint32_t mtu, uint32_t random);
/*
 * New path MTU (a route change).  Above 65535 counts as 65535.  -EINVAL,
 * and @e unchanged, if below the minimum: IPv4 outer, 68 + overhead (IPVS
 * refuses a tunnel MTU below 68); IPv6 outer, 1280.  Safe while other
 * threads encapsulate.
 */
int encap_set_mtu(struct encap *e, uint32_t mtu);

/* Outer header bytes: ipip 20/40, gre 24/44 (+4 csum), gue 32/52. */
size_t encap_overhead(enum tun_type type, int family, bool csum);

/*
 * The most bytes encap_packet() can write to @out for an inner packet of
 * @len bytes (fragments included); encap_inplace() never needs @cap above
 * @off + encap_space().
 */
size_t encap_space(const struct encap *e, size_t len);

/*
 * Build the outer packet(s) for @inner (@len bytes) into @out (@cap bytes),
 * the first at offset 0.  @inner and @out must not overlap.  Returns the
 * code, also in r->code.  Nothing is written to @out unless the code is
 * SENT or TOOBIG.  Copies the inner packet once (only the quoted part for
 * TOOBIG); see encap_inplace() to avoid even that.
 */
int encap_packet(struct encap *e, const void *inner, size_t len,
		 uint32_t flow_hash, void *out, size_t cap,
		 struct encap_result *r);

/*
 * The same, in place: the inner packet is at @buf + @off, @buf holds @cap
 * bytes, and the headers are written in front of it, so the common case is
 * a few header stores and, with a checksum, one pass over the packet.  The
 * results are byte for byte those of encap_packet(), at r->off.  Needs
 * @off >= ENCAP_HEADROOM (or just the headers' length for the case at
 * hand); fragments are spread by moving the data toward the end of @buf.
 */
int encap_inplace(struct encap *e, void *buf, size_t off, size_t len,
		  size_t cap, uint32_t flow_hash, struct encap_result *r);

const char *encap_code_str(int code);

static inline size_t encap_pkt_off(const struct encap_result *r,
				   uint32_t i)
{
	return r->off + (size_t)i * r->stride;
}

static inline size_t encap_pkt_len(const struct encap_result *r, uint32_t i)
{
	return i + 1 == r->n ? r->last_len : r->stride;
}

#endif
