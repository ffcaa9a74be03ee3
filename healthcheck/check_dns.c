// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dns checks, keepalived's DNS_CHECK: a query with a random id from a
 * connected UDP socket.  A response with that id and RCODE NOERROR is up,
 * whether or not it has answer records (keepalived looks at the RCODE
 * only); another RCODE is down.  Datagrams that are too short, carry
 * another id or are not responses are ignored, as keepalived does.  The
 * query goes out again at a third and two thirds of the timeout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_dns.h"
#include "dgram.h"

struct dns_probe {
	struct dgram_probe d;
	uint16_t id;
	size_t len;
	uint8_t query[DNS_QUERY_MAX];
};

/* ---- messages (pure) --------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The name as labels; "." and "" are the root. */
static int dns_name_encode(uint8_t *p, size_t len, const char *name)
{
	size_t o = 0, n;
	const char *dot;

	if (!strcmp(name, "."))
		name = "";
	while (*name) {
		dot = strchr(name, '.');
		n = dot ? (size_t)(dot - name) : strlen(name);
		if (n == 0 || n > 63)
			return -EINVAL;
		if (o + 1 + n >= len)
			return -ENOSPC;
		p[o++] = n;
		memcpy(p + o, name, n);
		o += n;
		name += n + (dot ? 1 : 0);
	}
	if (o >= len)
		return -ENOSPC;
	p[o++] = 0;
	return o > 255 ? -EINVAL : (int)o;
}

int dns_query_build(uint8_t *buf, size_t len, uint16_t id, const char *name,
		    uint16_t type)
{
	int n;

	if (len < DNS_HEADER_LEN + 1 + 4)
		return -ENOSPC;
	memset(buf, 0, DNS_HEADER_LEN);
	put16(buf, id);
	buf[2] = 0x01;			/* RD: recursion desired */
	put16(buf + 4, 1);		/* QDCOUNT */
	n = dns_name_encode(buf + DNS_HEADER_LEN, len - DNS_HEADER_LEN - 4,
			    name);
	if (n < 0)
		return n;
	put16(buf + DNS_HEADER_LEN + n, type);
	put16(buf + DNS_HEADER_LEN + n + 2, 1);	/* class IN */
	return DNS_HEADER_LEN + n + 4;
}

int dns_reply_rcode(const uint8_t *buf, size_t len, uint16_t id)
{
	if (len < DNS_HEADER_LEN || (buf[0] << 8 | buf[1]) != id ||
	    !(buf[2] & 0x80))
		return DNS_NOT_OURS;
	return buf[3] & 0x0f;
}

const char *dns_rcode_name(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE",
	};

	return rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0]))
	       ? names[rcode] : "RCODE?";
}

/* ---- the check ---------------------------------------------------------- */

static int dns_send(struct dgram_probe *d)
{
	struct dns_probe *p = container_of(d, struct dns_probe, d);

	return send(d->w.fd, p->query, p->len, 0) < 0 ? errno : 0;
}

static void dns_recv(struct dgram_probe *d)
{
	struct dns_probe *p = container_of(d, struct dns_probe, d);
	const struct cfg_check *ck = d->t->check;
	uint8_t buf[1500];
	ssize_t n;
	int rc;

	for (;;) {
		n = recv(d->w.fd, buf, sizeof(buf), 0);
		if (n < 0) {
			dgram_error(d, errno);
			return;
		}
		rc = dns_reply_rcode(buf, n, p->id);
		if (rc == 0)
			dgram_up(d);
		else if (rc != DNS_NOT_OURS)
			dgram_fail(d, "%s %s: %s", dns_type_name(ck->query_type),
				   ck->query_name, dns_rcode_name(rc));
		if (rc != DNS_NOT_OURS)
			return;
	}
}

static void dns_start(struct target *t)
{
	struct dns_probe *p = t->probe;
	int n;

	if (getrandom(&p->id, sizeof(p->id), GRND_NONBLOCK) != sizeof(p->id))
		p->id = (uint16_t)(evloop_clock() >> 10);
	n = dns_query_build(p->query, sizeof(p->query), p->id,
			    t->check->query_name, t->check->query_type);
	if (n < 0) {
		dgram_fail(&p->d, "query: %s", strerror(-n));
		return;
	}
	p->len = n;
	dgram_start(&p->d);
}

static int dns_init(struct target *t)
{
	struct dns_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	dgram_init(&p->d, t);
	p->d.send = dns_send;
	p->d.recv = dns_recv;
	t->probe = p;
	return 0;
}

static void dns_expire(struct target *t)
{
	struct dns_probe *p = t->probe;

	dgram_expire(&p->d, false, NULL);
}

static void dns_abort(struct target *t)
{
	struct dns_probe *p = t->probe;

	dgram_close(&p->d);
}

static void dns_fini(struct target *t)
{
	dns_abort(t);
	evloop_defer_free(&t->c->loop, t->probe);
}

const struct check_ops check_dns_ops = {
	.name = "dns",
	.port = 53,
	.init = dns_init,
	.start = dns_start,
	.abort = dns_abort,
	.expire = dns_expire,
	.fini = dns_fini,
};
