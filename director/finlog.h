/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_FINLOG_H
#define NFLVS_FINLOG_H

/*
 * DR connections' ends, and the new DR connections the kernel scheduled
 * (ksched.h), heard without holding the packet: the lvs chain
 * logs a FIN or RST of a known DR flow to an NFLOG group (ruleset.c) and
 * lets it go on at once, routed by its flow; the director reads the log
 * and counts the connection as ending (flowpath_closed()).  Queueing the
 * FIN instead made every connection's close wait for a trip through user
 * space and a verdict.  The group is the first queue's number (NFLOG
 * groups are numbered apart from queues); where it cannot be bound (taken
 * by another program), the FINs are queued as before.
 */

#include <stddef.h>
#include <stdint.h>

/* A logged packet, with the packet mark it had (0 if none). */
typedef void (*finlog_fn)(void *ctx, const void *pkt, uint32_t len,
			  uint32_t mark);

struct finlog {
	int fd;				/* -1: not bound */
	uint16_t group;
	uint64_t lost;			/* overruns: FINs not heard */
};

/* Bind NFLOG group @group (header bytes only).  0 or -errno. */
int finlog_open(struct finlog *fl, uint16_t group);
void finlog_close(struct finlog *fl);
/* Everything waiting: @fn for each logged packet (its IP header on). */
void finlog_read(struct finlog *fl, finlog_fn fn, void *ctx);
/* The pure part: the packets in @len bytes of netlink messages. */
void finlog_parse(const void *buf, size_t len, finlog_fn fn, void *ctx);

#endif
