// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp checks, keepalived's UDP_CHECK.  The payload goes out from a
 * connected socket that hears ICMP errors.  Without require_reply a
 * destination unreachable is down and anything else is up: a reply, or
 * silence until the timeout (the expire hook).  With require_reply the
 * first reply decides, and silence is down.  The payload goes out again
 * at a third and two thirds of the timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_udp.h"
#include "dgram.h"

/* keepalived sends 32 bytes of "keepalived check - " without a payload */
static const char udp_default_payload[32] = "nflvs-healthcheck udp check ...";

bool udp_reply_match(const struct cfg_check *c, const uint8_t *buf,
		     size_t len, char *why, size_t wlen)
{
	const struct cfg_bytes *want = &c->reply;
	size_t i, n = len < want->len ? len : want->len;

	if (len < (size_t)c->min_reply_length ||
	    len > (size_t)c->max_reply_length) {
		snprintf(why, wlen, "reply of %zu bytes (expected %d to %d)",
			 len, c->min_reply_length, c->max_reply_length);
		return false;
	}
	for (i = 0; want->data && i < n; i++) {
		uint8_t care = want->mask ? ~want->mask[i] : 0xff;

		if ((buf[i] ^ want->data[i]) & care) {
			snprintf(why, wlen, "reply byte %zu is %02x, expected "
				 "%02x", i, buf[i], want->data[i]);
			return false;
		}
	}
	return true;
}

static int udp_send(struct dgram_probe *d)
{
	const struct cfg_bytes *pl = &d->t->check->payload;
	const void *data = pl->data ? (const void *)pl->data
				    : udp_default_payload;
	size_t len = pl->data ? pl->len : sizeof(udp_default_payload);

	return send(d->w.fd, data, len, 0) < 0 ? errno : 0;
}

static void udp_recv(struct dgram_probe *d)
{
	static uint8_t buf[65536];	/* above any datagram; one at a time */
	char why[96];
	ssize_t n;

	n = recv(d->w.fd, buf, sizeof(buf), 0);
	if (n < 0)
		dgram_error(d, errno);
	else if (!d->t->check->require_reply ||
		 udp_reply_match(d->t->check, buf, n, why, sizeof(why)))
		dgram_up(d);
	else
		dgram_fail(d, "%s", why);
}

static void udp_start(struct target *t)
{
	dgram_start(t->probe);
}

/* Silence: up unless a reply was required (keepalived's read timeout). */
static void udp_expire(struct target *t)
{
	char why[48];

	snprintf(why, sizeof(why), "no reply within %u ms",
		 checker_ms(t->check->timeout));
	dgram_expire(t->probe, !t->check->require_reply, why);
}

static int udp_init(struct target *t)
{
	struct dgram_probe *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	dgram_init(d, t);
	d->send = udp_send;
	d->recv = udp_recv;
	t->probe = d;
	return 0;
}

static void udp_abort(struct target *t)
{
	dgram_close(t->probe);
}

static void udp_fini(struct target *t)
{
	dgram_close(t->probe);
	evloop_defer_free(&t->c->loop, t->probe);
}

const struct check_ops check_udp_ops = {
	.name = "udp",
	.init = udp_init,
	.start = udp_start,
	.abort = udp_abort,
	.expire = udp_expire,
	.fini = udp_fini,
};
