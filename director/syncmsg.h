/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SYNCMSG_H
#define NFLVS_SYNCMSG_H

/*
 * The state sync's wire format (sync.h), version 1: what conntrack does
 * not carry from one director to the other, as IPVS's sync daemon sends
 * it: DR flows, TUN flows and persistence templates, each with the time
 * it has left.  One UDP datagram is a header and a whole number of
 * fixed-size entries, every field in network order:
 *
 *   header (16 bytes)
 *     0  magic    u32  "NFSY"
 *     4  version  u8   1
 *     5  type     u8   1 = entries, 2 = resync request (no entries)
 *     6  syncid   u8   the daemons' sync id (ipvsadm --syncid)
 *     7  flags    u8   0
 *     8  size     u16  bytes of the datagram, header included
 *    10  count    u16  entries that follow
 *    12  sender   u32  the sending daemon's instance (random at start)
 *
 *   entry (68 bytes)
 *     0  kind     u8   1 = DR flow, 2 = TUN flow, 3 = template
 *     1  family   u8   4 or 6
 *     2  protocol u8   6 (tcp), 17 (udp), 132 (sctp)
 *     3  state    u8   flows: 0 SYN, 1 ESTABLISHED, 2 CLOSING, 3 UDP;
 *                      templates: 0
 *     4  fwmark   u32  the service's firewall mark, 0 for an address one
 *     8  timeout  u32  milliseconds it has left
 *    12  cport, vport, dport  u16 each (a template's vport is its
 *                      service's port, 0 for a port-less one)
 *    18  reserved u16  0
 *    20  caddr, vaddr, daddr  16 bytes each (IPv4 in the first 4, the
 *                      rest 0); a template's caddr is the client's
 *                      address under the service's persistence netmask
 *
 * The real server is named by address and port, never by mark: each
 * director gives its own marks.  A receiver checks everything and drops
 * the whole datagram on the first fault (syncmsg_decode()).  Version 2
 * may add entry kinds and header flags; a version-1 receiver drops them.
 *
 * Pure: buffers in, buffers out.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define SYNCMSG_MAGIC		0x4e465359u	/* "NFSY" */
#define SYNCMSG_VERSION		1
#define SYNCMSG_HDR_LEN		16
#define SYNCMSG_ENTRY_LEN	68
#define SYNCMSG_MAX_TIMEOUT_MS	(86400u * 31 * 1000)	/* ipvsadm's limit */

enum syncmsg_type {
	SYNCMSG_ENTRIES = 1,
	SYNCMSG_RESYNC = 2,		/* a backup (re)started: send all */
};

enum syncmsg_kind {
	SYNCMSG_DR = 1,
	SYNCMSG_TUN = 2,
	SYNCMSG_TPL = 3,
};

enum syncmsg_state {
	SYNCMSG_SYN,
	SYNCMSG_ESTABLISHED,
	SYNCMSG_CLOSING,
	SYNCMSG_UDP,
};

struct syncmsg_entry {
	uint8_t kind;			/* enum syncmsg_kind */
	uint8_t protocol;
	uint8_t state;			/* enum syncmsg_state */
	uint32_t fwmark;
	uint32_t timeout_ms;		/* left */
	struct nflvs_addr caddr, vaddr, daddr;
	uint16_t cport, vport, dport;	/* host order */
};

struct syncmsg_hdr {
	uint8_t type;			/* enum syncmsg_type */
	uint8_t syncid;
	uint16_t count;
	uint32_t sender;
};

/* Why a datagram was dropped. */
enum syncmsg_err {
	SYNCMSG_OK,
	SYNCMSG_E_SHORT,		/* shorter than its header */
	SYNCMSG_E_MAGIC,
	SYNCMSG_E_VERSION,
	SYNCMSG_E_LENGTH,		/* size or count do not match */
	SYNCMSG_E_TYPE,
	SYNCMSG_E_SYNCID,		/* another pair's */
	SYNCMSG_E_ENTRY,		/* a field out of range */
	SYNCMSG_ERRS,
};

const char *syncmsg_strerror(enum syncmsg_err e);

/* Entries that fit in a datagram of @maxlen bytes (0 if none does). */
unsigned int syncmsg_capacity(size_t maxlen);
/* The header of a datagram of @count entries into @buf; its length. */
size_t syncmsg_put_hdr(uint8_t *buf, const struct syncmsg_hdr *h);
/* Entry @e into @buf (SYNCMSG_ENTRY_LEN bytes). */
void syncmsg_put_entry(uint8_t *buf, const struct syncmsg_entry *e);

/*
 * Check datagram @buf (@len bytes) of sync id @syncid: its header into
 * @h and its entries, if @e is not NULL, into @e (room for @max; a
 * datagram with more is refused as SYNCMSG_E_LENGTH).  SYNCMSG_OK or the
 * first fault found.
 */
enum syncmsg_err syncmsg_decode(const uint8_t *buf, size_t len,
				uint8_t syncid, struct syncmsg_hdr *h,
				struct syncmsg_entry *e, unsigned int max);

/*
 * A datagram being filled: entries are added until it is full (-ENOSPC:
 * send it, syncmsg_batch_reset(), add again).  @buf holds @maxlen bytes.
 */
struct syncmsg_batch {
	uint8_t *buf;
	unsigned int cap;		/* entries that fit */
	struct syncmsg_hdr hdr;		/* count: entries in it now */
};

void syncmsg_batch_init(struct syncmsg_batch *b, uint8_t *buf, size_t maxlen,
			uint8_t syncid, uint32_t sender);
int syncmsg_batch_add(struct syncmsg_batch *b, const struct syncmsg_entry *e);
/* The datagram's header written: its length (0 with no entry). */
size_t syncmsg_batch_finish(struct syncmsg_batch *b);
void syncmsg_batch_reset(struct syncmsg_batch *b);

#endif
