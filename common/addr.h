/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_ADDR_H
#define NFLVS_ADDR_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address; family is AF_INET or AF_INET6 (0 = unset). */
struct nflvs_addr {
	uint8_t family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	};
};

/* "[ipv6]:port" is the longest form. */
#define ADDR_STRLEN	(INET6_ADDRSTRLEN + 8)

int addr_parse(const char *s, struct nflvs_addr *a);
int addr_port_parse(const char *s, struct nflvs_addr *a, uint16_t *port);
const char *addr_str(const struct nflvs_addr *a, char *buf, size_t len);
const char *addr_port_str(const struct nflvs_addr *a, uint16_t port,
			  char *buf, size_t len);
bool addr_eq(const struct nflvs_addr *a, const struct nflvs_addr *b);
size_t addr_len(const struct nflvs_addr *a);
void addr_mask(struct nflvs_addr *a, unsigned int prefix);
/* @a and @port (host order) as a socket address. */
struct sockaddr_storage;
void addr_sockaddr(const struct nflvs_addr *a, uint16_t port,
		   struct sockaddr_storage *ss, socklen_t *len);
int proto_parse(const char *s);
const char *proto_name(int proto);

#endif
