// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

int addr_parse(const char *s, struct nflvs_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* "1.2.3.4:80", "[2001:db8::1]:80"; the port is required. */
int addr_port_parse(const char *s, struct nflvs_addr *a, uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 1];
	bool bracketed = *s == '[';
	const char *colon;
	unsigned long v;
	char *end;
	size_t n;

	if (bracketed) {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		n = colon - s - 1;
		s++;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		n = colon - s;
	}
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (addr_parse(host, a) < 0 || (bracketed && a->family != AF_INET6))
		return -EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

const char *addr_str(const struct nflvs_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->b, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *addr_port_str(const struct nflvs_addr *a, uint16_t port,
			  char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN];

	addr_str(a, h, sizeof(h));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", h, port);
	else
		snprintf(buf, len, "%s:%u", h, port);
	return buf;
}

bool addr_eq(const struct nflvs_addr *a, const struct nflvs_addr *b)
{
	return a->family == b->family && !memcmp(a->b, b->b, addr_len(a));
}

size_t addr_len(const struct nflvs_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

/* Keep the first @prefix bits (persistence netmask). */
void addr_mask(struct nflvs_addr *a, unsigned int prefix)
{
	size_t bits = addr_len(a) * 8, i;

	if (prefix >= bits)
		return;
	for (i = 0; i < addr_len(a); i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		a->b[i] &= (uint8_t)(0xff00 >> prefix);
		prefix = 0;
	}
}

int proto_parse(const char *s)
{
	if (!strcasecmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcasecmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcasecmp(s, "sctp"))
		return IPPROTO_SCTP;
	return -EINVAL;
}

const char *proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	default:
		return "?";
	}
}

void addr_sockaddr(const struct nflvs_addr *a, uint16_t port,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = a->v6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr = a->v4;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
	}
}
