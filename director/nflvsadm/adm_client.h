/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_ADM_CLIENT_H
#define NFLVS_ADM_CLIENT_H

/*
 * nflvsadm's side of the control socket, and the two things it asks of the
 * outside world: the director's answers and names (hosts, services) that
 * are looked up within a time budget.  Returns -errno, never prints.
 */

#include <stddef.h>
#include <stdint.h>

#include "nflvs/ctl.h"

struct adm_lookup;
struct adm_names;

struct adm_client {
	int fd;
	uint32_t seq;
	/*
	 * After a failed call: the errno of the socket (the director did not
	 * answer properly), or 0 when the director answered with an error.
	 */
	int io_err;
	char *text;			/* that answer's text, or NULL */
	char path[108];
};

/* A LIST reply: each service with its destinations, strings terminated. */
struct adm_svc {
	struct nflvs_ctl_svc svc;
	struct nflvs_ctl_dest *dests;
	size_t ndests;
};

struct adm_list {
	struct adm_svc *svc;
	size_t n;
};

struct adm_conns {
	struct nflvs_ctl_conn *conn;
	size_t n;
};

/* --socket if given, else $NFLVS_SOCKET if set and not empty, else the
 * default NFLVS_CTL_SOCKET. */
const char *adm_socket_path(const char *opt);

int adm_client_connect(struct adm_client *c, const char *path);
void adm_client_close(struct adm_client *c);

/*
 * One request, one reply.  Returns the director's status (0 or -errno,
 * with its text in c->text) and, on success, the payload in *@reply (to
 * free(); NULL when empty) and *@rlen; or -errno with c->io_err set when
 * the exchange itself failed (-EPROTO for a reply that does not match).
 */
int adm_client_call(struct adm_client *c, uint16_t type, const void *req,
		    uint32_t len, void **reply, uint32_t *rlen);

/*
 * A BATCH of sub-requests (@req, @len: headers and payloads, as
 * include/nflvs/ctl.h says).  Returns 0 when all were applied, or the
 * status of the one that failed, with *@done the number applied before it
 * and its text in c->text; -ENOSYS from a director without BATCH
 * (nothing applied); or -errno with c->io_err set.
 */
int adm_client_batch(struct adm_client *c, const void *req, uint32_t len,
		     uint32_t *done);

/* Typed calls; the same returns as adm_client_call(). */
int adm_client_info(struct adm_client *c, struct nflvs_ctl_info *info);
int adm_client_list(struct adm_client *c, const struct nflvs_ctl_svc *one,
		    struct adm_list *list);
int adm_client_conns(struct adm_client *c, struct adm_conns *conns);
int adm_client_timeout(struct adm_client *c, struct nflvs_ctl_timeout *t);

/*
 * Replies to structs, checking every length against the buffer (-EPROTO):
 * pure, for the tests too.  Strings are cut at their arrays' last byte.
 */
int adm_list_parse(const void *buf, size_t len, struct adm_list *list);
void adm_list_free(struct adm_list *list);
int adm_conns_parse(const void *buf, size_t len, struct adm_conns *conns);
void adm_conns_free(struct adm_conns *conns);

/*
 * Names within a budget: each host lookup runs on a thread and is waited
 * for at most ADM_LOOKUP_MS, all of them together at most @budget_ms;
 * past that, or after one lookup timed out, addresses stay numeric (as
 * ipvsadm prints them when a lookup fails).  Service names come from
 * getservbyname/getservbyport (files, no network).
 */
#define ADM_LOOKUP_MS	1000

struct adm_resolver;

struct adm_resolver *adm_resolver_new(unsigned int budget_ms);
void adm_resolver_free(struct adm_resolver *r);
void adm_resolver_lookup(struct adm_resolver *r, struct adm_lookup *lk);
void adm_resolver_names(struct adm_resolver *r, struct adm_names *names);

#endif
