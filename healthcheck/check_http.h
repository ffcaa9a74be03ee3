/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_HTTP_H
#define NFLVS_HC_CHECK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "checker.h"

/*
 * http and https: one GET per check on a new connection, through one
 * libcurl multi handle driven by the checker's event loop.  The timeout
 * bounds the whole exchange, a slow body included.
 */
extern const struct check_ops check_http_ops;

int check_http_multi_init(struct checker *c);
void check_http_multi_free(struct checker *c);

/* Looks for a substring in a body that arrives in pieces. */
struct http_match {
	char *needle;			/* a copy */
	size_t nlen;
	char *buf;		/* the end of what came so far */
	size_t nbuf;
	bool found;
};

int check_http_match_init(struct http_match *m, const char *needle);
void check_http_match_reset(struct http_match *m);
void check_http_match_feed(struct http_match *m, const char *data, size_t n);
void check_http_match_free(struct http_match *m);

/* Judge a complete answer: status in the ranges, then the body. */
void check_http_eval(const struct cfg_check *c, long status, bool body_ok,
		     struct probe_result *r);

/* Then the body's MD5 against the check's digest (if any, and if @r is
 * still a success). */
void check_http_digest_eval(const struct cfg_check *c,
			    const unsigned char md5[16], struct probe_result *r);

/* Say why a transfer failed: "connect: Connection refused", "TLS: ...". */
void check_http_error(CURLcode code, long os_errno, const char *errbuf,
		      unsigned int timeout_ms, struct probe_result *r);

#endif
