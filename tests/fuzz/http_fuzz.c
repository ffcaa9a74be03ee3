// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the http(s) check's handling of an answer: the
 * body arriving in pieces of any size through check_http_match_feed()
 * (the expect string may span pieces) and the body's MD5, then
 * check_http_eval() and check_http_digest_eval() on the status.  libcurl
 * parses the HTTP itself; this is what nflvs does with what it hands over.
 * Input: byte 0 the length of the expect string (0: none), then the
 * string, the status (2 bytes), the configured status ranges (1 byte:
 * how many, then 4 bytes each), a digest selector, then the body, cut
 * into pieces by the lengths of a piece table at its end.
 * Checked against the answer computed the slow way: found exactly when
 * memmem() finds the expect string in the whole body; the verdict is
 * ok exactly when the status is in a range, the body matches and the
 * digest (when there is one) is the body's.
 * Build and run: make fuzz; tests/fuzz/run.sh http_fuzz.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_http.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

static size_t take(const uint8_t **p, size_t *left, size_t n)
{
	if (n > *left)
		n = *left;
	*p += n;
	*left -= n;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *body;
	size_t left = size, elen, blen, off, piece, i;
	struct cfg_check c = { .type = CHECK_HTTP };
	struct http_match m;
	struct probe_result r;
	unsigned char md5[16];
	unsigned int mdlen = 0;
	char expect[256], digest[33];
	bool in_range = false, want;
	long status;
	uint8_t cuts;

	if (size < 8)
		return 0;
	elen = *p;
	take(&p, &left, 1);
	elen = take(&p, &left, elen);
	memcpy(expect, p - elen, elen);
	expect[elen] = '\0';
	/* a NUL inside: the config cannot hold it, strings end there */
	elen = strlen(expect);
	c.expect = elen ? expect : NULL;
	if (left < 4)
		return 0;
	status = (long)(p[0] << 8 | p[1]) - 1000;	/* some below 0 */
	c.nstatus = p[2] % (CFG_STATUS_MAX + 1);
	cuts = p[3];
	take(&p, &left, 4);
	for (i = 0; i < (size_t)c.nstatus; i++) {
		if (left < 4) {
			c.nstatus = (int)i;
			break;
		}
		c.status[i].lo = (uint16_t)(p[0] << 8 | p[1]);
		c.status[i].hi = (uint16_t)(p[2] << 8 | p[3]);
		take(&p, &left, 4);
	}
	body = p;
	blen = left;

	CHECK(check_http_match_init(&m, c.expect) == 0);
	/* the body in pieces: lengths from the low bits of its own bytes */
	for (off = 0; off < blen; off += piece) {
		piece = 1 + ((body[off] ^ cuts) & 31) * (cuts >> 5 | 1);
		if (piece > blen - off)
			piece = blen - off;
		check_http_match_feed(&m, (const char *)body + off, piece);
	}
	want = !c.expect || (blen >= elen && memmem(body, blen, expect, elen));
	CHECK(m.found == (c.expect && want));

	/* the digest: the body's own, or another one */
	CHECK(EVP_Digest(body, blen, md5, &mdlen, EVP_md5(), NULL) == 1);
	for (i = 0; i < 16; i++)
		snprintf(digest + 2 * i, 3, "%02x", md5[i]);
	if (cuts & 1)
		digest[0] = digest[0] == '0' ? '1' : '0';
	c.digest = cuts & 2 ? digest : NULL;

	if (!c.nstatus)
		in_range = status >= 200 && status <= 299;
	for (i = 0; i < (size_t)c.nstatus; i++)
		in_range |= status >= c.status[i].lo && status <= c.status[i].hi;
	check_http_eval(&c, status, m.found, &r);
	check_http_digest_eval(&c, md5, &r);
	CHECK(r.ok == (in_range && want && (!c.digest || !(cuts & 1))));
	CHECK(memchr(r.error, '\0', sizeof(r.error)));
	CHECK(r.ok == !r.error[0]);

	/* reset and feed it whole: the same answer */
	check_http_match_reset(&m);
	check_http_match_feed(&m, (const char *)body, blen);
	CHECK(m.found == (c.expect && want));
	check_http_match_free(&m);
	return 0;
}
