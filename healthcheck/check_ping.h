/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_PING_H
#define NFLVS_HC_CHECK_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "checker.h"

/*
 * ping (keepalived's PING_CHECK): ICMP or ICMPv6 echo; up on the echo
 * reply from the real server.  Every ping check shares one socket per
 * address family.
 */
extern const struct check_ops check_ping_ops;

/*
 * Before the checker switches to @user (primary group @gid): unless
 * net.ipv4.ping_group_range admits one of the user's groups, open the raw
 * sockets now, while they can be had.
 */
void check_ping_prepare(struct checker *c, const char *user, gid_t gid);
/* Close the sockets (at exit). */
void check_ping_free(struct checker *c);

/* Whether ping_group_range text @range ("1\t0\n") admits a group of @g. */
bool ping_range_admits(const char *range, const gid_t *g, int n);

/* An echo request or reply as the wire has it. */
struct ping_echo {
	uint16_t id, seq;
	const uint8_t *data;
	size_t len;
};

/*
 * An echo request for @family (AF_INET: with its checksum; ICMPv6's is the
 * kernel's) into @buf.  Returns its length, or -ENOSPC.
 */
int ping_echo_build(uint8_t *buf, size_t len, int family,
		    const struct ping_echo *e);
/*
 * The echo reply in @buf (with its IPv4 header when @ip_header, as a raw
 * IPv4 socket reads it).  0, or -EINVAL for anything else.
 */
int ping_reply_parse(const uint8_t *buf, size_t len, int family,
		     bool ip_header, struct ping_echo *e);

#endif
