/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_UDP_H
#define NFLVS_HC_CHECK_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "checker.h"

/*
 * udp (keepalived's UDP_CHECK): send payload; down on an ICMP destination
 * unreachable; with require_reply, up only on a reply that matches.
 */
extern const struct check_ops check_udp_ops;

/*
 * Whether the reply @buf of @len bytes (its whole length, even if fewer
 * were read) is what @c requires: min_reply_length..max_reply_length and,
 * for the bytes both have, the require_reply bytes under their mask.  If
 * not, says why in @why.
 */
bool udp_reply_match(const struct cfg_check *c, const uint8_t *buf,
		     size_t len, char *why, size_t wlen);

#endif
