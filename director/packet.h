/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_PACKET_H
#define NFLVS_PACKET_H

/*
 * Packet parsing: a pure function over a buffer, no kernel, no allocation.
 * The buffer starts at the IPv4 or IPv6 header (what NFQUEUE hands us) and
 * may be shorter than the packet: NFQUEUE copies only the first bytes.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

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
	uint32_t tot_len;	/* length from the IP header */
	struct nflvs_addr saddr, daddr;
};

/* Parse @buf (@len bytes captured).  Fills @pi only when PKT_OK. */
enum pkt_result packet_parse(const void *buf, size_t len, struct pkt_info *pi);
const char *packet_result_str(enum pkt_result r);

#endif
