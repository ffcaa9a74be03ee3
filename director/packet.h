/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_PACKET_H
#define NFLVS_PACKET_H

/*
 * Packet parsing: a pure function over a buffer, no kernel, no allocation.
 * The buffer starts at the IPv4 or IPv6 header (what NFQUEUE hands us) and
 * may be shorter than the packet: NFQUEUE copies only the first bytes.
 *
 * What must be captured for PKT_OK, counted from l4_off:
 *   TCP   14 bytes: ports, data offset and the flags byte.  TCP options
 *         are never read, so a capture may end inside them.
 *   UDP   8 bytes, the whole header.
 *   SCTP  12 bytes, the common header (ports, verification tag, checksum).
 * plus the IPv4 header with its options, or the IPv6 header and every
 * extension header before the transport header.
 *
 * Two kinds of "too short" are told apart.  A header that would end past
 * the length the IP header gives (IPv4 total length, IPv6 40 + payload
 * length) is PKT_MALFORMED: the packet contradicts itself, and a larger
 * copy range would not help.  A header that ends inside the packet but past
 * the @len bytes captured is PKT_TRUNCATED.  So a TCP header must also fit
 * whole (data offset * 4) in the packet: that rejects RFC 1858 tiny first
 * fragments that split the TCP header.
 *
 * Fragments: a first fragment is parsed (is_fragment = 1); a later one has
 * no transport header and is PKT_UNSUPPORTED.  An IPv6 atomic fragment
 * (offset 0, M clear, RFC 6946) is a whole packet: is_fragment = 0.
 *
 * IPv6 extension headers walked: hop-by-hop (first only, RFC 8200 4.1),
 * routing, destination options, fragment, AH; at most PKT_MAX_EXTHDRS of
 * them (PKT_MALFORMED beyond).  ESP, no-next-header and any other protocol
 * are PKT_UNSUPPORTED.  Checksums are not verified: the kernel did the IPv4
 * header, and transport checksums are the endpoints' business.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define PKT_MAX_EXTHDRS	8

/* bits of pkt_info.tcp_flags (the TCP header's flags byte) */
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_ACK		0x10

enum pkt_result {
	PKT_OK = 0,
	PKT_TRUNCATED = -1,	/* buffer ends before the headers we need */
	PKT_MALFORMED = -2,	/* impossible header values */
	PKT_UNSUPPORTED = -3,	/* not TCP/UDP/SCTP, or a non-first fragment */
};

struct pkt_info {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t l4proto;	/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	uint8_t tcp_flags;	/* TCP only: the flags byte (FIN=0x01 ...) */
	uint8_t ttl;		/* TTL / hop limit */
	uint8_t tos;		/* TOS / traffic class */
	uint8_t is_fragment;	/* first fragment of a fragmented packet */
	uint16_t l4_off;	/* offset of the transport header */
	uint16_t sport, dport;	/* host byte order */
	/*
	 * Length from the IP header.  0 for an IPv6 jumbogram (payload
	 * length 0 behind a hop-by-hop header, RFC 2675): the length is then
	 * not in the fixed header, and only @len bounds the parse.
	 */
	uint32_t tot_len;
	struct nflvs_addr saddr, daddr;
};

/*
 * Parse @buf (@len bytes captured).  Fills @pi only when PKT_OK, and then
 * whole: padding and unused address bytes are zero, so @pi (or an address
 * in it) may be hashed or compared with memcmp.
 */
enum pkt_result packet_parse(const void *buf, size_t len, struct pkt_info *pi);

/*
 * An ICMP or ICMPv6 error (IPv4: destination unreachable, time exceeded;
 * IPv6: every error type, < 128) sent toward a virtual service by its
 * client's side, in @buf: the packet it quotes is an answer, VIP . port ->
 * client . port.  @pi gets the flow that answer belongs to, as its client
 * sends it (saddr the client, daddr the VIP, the ports likewise; no TCP
 * flags), so that it is looked up as a packet of the flow would be.  The
 * quote needs its IP header (IPv4 without options; IPv6 with no
 * extension header) and the 4 bytes of ports; the rest of the quoted
 * packet is never there.  PKT_UNSUPPORTED for anything else.
 */
enum pkt_result packet_parse_icmp_error(const void *buf, size_t len,
					struct pkt_info *pi);
const char *packet_result_str(enum pkt_result r);

#endif
