/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_DNS_H
#define NFLVS_HC_CHECK_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "checker.h"

/*
 * dns (keepalived's DNS_CHECK): one query over UDP; up on a response with
 * its id and RCODE NOERROR.
 */
extern const struct check_ops check_dns_ops;

#define DNS_HEADER_LEN	12
#define DNS_QUERY_MAX	(DNS_HEADER_LEN + 255 + 4)

/*
 * A query for @name (as config_dns_name_ok() accepts it) and RR type
 * @type, class IN, recursion desired.  Returns its length, or -EINVAL for
 * a name that cannot be encoded, -ENOSPC if @len is too small.
 */
int dns_query_build(uint8_t *buf, size_t len, uint16_t id, const char *name,
		    uint16_t type);

/* What a datagram is to a check waiting for the answer to query @id. */
#define DNS_NOT_OURS	(-1)		/* too short, other id, a query */
int dns_reply_rcode(const uint8_t *buf, size_t len, uint16_t id);

/* "NXDOMAIN": the name of an RCODE. */
const char *dns_rcode_name(int rcode);

#endif
