/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CONTROL_H
#define NFLVS_CONTROL_H

/*
 * The control socket nflvsadm talks to (include/nflvs/ctl.h): clients,
 * framing, replies.  The main thread serves it, one request at a time
 * per client and never waiting on one (sockset.h); what a request does
 * is the serve callback's business (admin.c).
 */

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <nflvs/ctl.h>

#include "sockset.h"

#define CONTROL_CLIENTS	16
#define CONTROL_REQ_MAX	4096	/* the largest request is two structs */

/* A reply being built: payload and status. */
struct ctl_reply {
	char *buf;
	size_t len, cap;
	int status;
};

/* Append @n bytes: 0, or -ENOMEM (past NFLVS_CTL_MAX_LEN too). */
int ctl_reply_put(struct ctl_reply *r, const void *p, size_t n);
/* The reply becomes the error @err with a sentence saying why: @err. */
int ctl_reply_err(struct ctl_reply *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One well-formed request (@h, @req of h->len bytes): fill @r. */
typedef void control_serve_fn(void *ctx, const struct nflvs_ctl_hdr *h,
			      const void *req, struct ctl_reply *r);

struct control {
	struct sockset socks;
	char path[108];
	control_serve_fn *serve;
	void *ctx;
};

/* Listen at @path (mode 0600, or 0660 for @group if not ""). */
int control_open(struct control *ct, const char *path, const char *group,
		 control_serve_fn *serve, void *ctx);
void control_close(struct control *ct);
/* The fds to poll, at most @max; and their work. */
int control_pollfds(struct control *ct, struct pollfd *p, int max);
void control_handle(struct control *ct, const struct pollfd *p, int n,
		    uint64_t now);
/* Close the clients past their request's deadline at @now. */
void control_expire(struct control *ct, uint64_t now);

#endif
