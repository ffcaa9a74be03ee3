/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_SMTP_H
#define NFLVS_HC_CHECK_SMTP_H

#include <stddef.h>

#include "checker.h"

/*
 * smtp (keepalived's SMTP_CHECK): connect, greeting 220, HELO helo_name
 * answered 250, QUIT answered.
 */
extern const struct check_ops check_smtp_ops;

/* One reply, perhaps of several lines ("250-a\r\n250 b\r\n"). */
struct smtp_reply {
	int code;		/* of its last line */
	size_t line;		/* where its last line (or a bad one) starts */
	size_t end;		/* bytes read: the reply, or the whole
				   continuation lines before it */
};

/*
 * Parse the reply at the start of @buf.  Returns 1 when it is complete, 0
 * when more must be read (rep->end bytes of continuation lines may be
 * dropped), -EPROTO for a line that does not start with a 3-digit code
 * followed by a space, a '-', or the end of the line.
 */
int smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *rep);

#endif
