// SPDX-License-Identifier: GPL-2.0-or-later
/* Judging HTTP answers: status ranges, the expected body, curl's errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "check_http.h"

static struct cfg_check check_with(const char *ranges[], int n,
				   const char *expect)
{
	struct cfg_check c;
	int i;

	memset(&c, 0, sizeof(c));
	c.type = CHECK_HTTP;
	for (i = 0; i < n; i++) {
		unsigned int lo, hi;

		if (sscanf(ranges[i], "%u-%u", &lo, &hi) != 2)
			hi = lo;
		c.status[i].lo = lo;
		c.status[i].hi = hi;
	}
	c.nstatus = n;
	c.expect = (char *)expect;
	return c;
}

Test(hc_http, default_status_range_is_2xx)
{
	struct cfg_check c = check_with(NULL, 0, NULL);
	struct probe_result r;

	check_http_eval(&c, 200, true, &r);
	cr_expect(r.ok);
	cr_expect_eq(r.weight, -1);
	check_http_eval(&c, 299, true, &r);
	cr_expect(r.ok);
	check_http_eval(&c, 301, true, &r);
	cr_expect(!r.ok);
	cr_expect_str_eq(r.error, "HTTP 301");
	check_http_eval(&c, 503, true, &r);
	cr_expect_str_eq(r.error, "HTTP 503");
}

Test(hc_http, status_ranges)
{
	static const struct { long status; bool ok; } t[] = {
		{ 199, false }, { 200, true }, { 204, true }, { 205, false },
		{ 301, true }, { 302, false }, { 399, false }, { 404, true },
		{ 500, false },
	};
	const char *ranges[] = { "200-204", "301", "404-404" };
	struct cfg_check c = check_with(ranges, 3, NULL);
	struct probe_result r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		check_http_eval(&c, t[i].status, false, &r);
		cr_expect_eq(r.ok, t[i].ok, "status %ld", t[i].status);
	}
}

Test(hc_http, expect_is_judged_after_status)
{
	const char *ranges[] = { "200-299" };
	struct cfg_check c = check_with(ranges, 1, "ok");
	struct probe_result r;

	check_http_eval(&c, 200, true, &r);
	cr_expect(r.ok);
	check_http_eval(&c, 200, false, &r);
	cr_expect(!r.ok);
	cr_expect_str_eq(r.error, "body does not contain \"ok\"");
	check_http_eval(&c, 500, false, &r);
	cr_expect_str_eq(r.error, "HTTP 500", "the status is the first reason");
}

static bool match_in_pieces(const char *needle, const char *body, size_t step)
{
	struct http_match m;
	size_t i, n = strlen(body);
	bool found;

	cr_assert_eq(check_http_match_init(&m, needle), 0);
	for (i = 0; i < n; i += step)
		check_http_match_feed(&m, body + i, n - i < step ? n - i : step);
	found = m.found;
	check_http_match_free(&m);
	return found;
}

Test(hc_http, expect_found_across_pieces)
{
	size_t step;

	for (step = 1; step <= 12; step++) {
		cr_expect(match_in_pieces("status: ok", "xxstatus: okyy", step),
			  "step %zu", step);
		cr_expect(match_in_pieces("ok", "ok", step), "step %zu", step);
		cr_expect(match_in_pieces("o", "abco", step), "step %zu", step);
		cr_expect(!match_in_pieces("status: ok", "status: o k status:ok", step),
			  "step %zu", step);
		cr_expect(!match_in_pieces("abcabd", "abcabcab", step),
			  "step %zu", step);
		cr_expect(match_in_pieces("abcabd", "abcabcabd", step),
			  "step %zu", step);
	}
}

Test(hc_http, expect_reset_between_checks)
{
	struct http_match m;

	cr_assert_eq(check_http_match_init(&m, "ok"), 0);
	check_http_match_feed(&m, "o", 1);
	check_http_match_reset(&m);
	check_http_match_feed(&m, "k", 1);
	cr_expect(!m.found, "no match across two answers");
	check_http_match_free(&m);
}

Test(hc_http, curl_errors_say_why)
{
	struct probe_result r;

	check_http_error(CURLE_COULDNT_CONNECT, ECONNREFUSED, "", 500, &r);
	cr_expect_str_eq(r.error, "connect: Connection refused");
	check_http_error(CURLE_OPERATION_TIMEDOUT, 0,
			 "Operation timed out after 500 milliseconds", 500, &r);
	cr_expect_str_eq(r.error, "timeout after 500 ms");
	check_http_error(CURLE_PEER_FAILED_VERIFICATION, 0,
			 "SSL certificate problem: self-signed certificate",
			 500, &r);
	cr_expect_str_eq(r.error,
			 "TLS: certificate verify failed: self-signed certificate");
	check_http_error(CURLE_SSL_CONNECT_ERROR, 0,
			 "OpenSSL/3.0: error:0A00010B:SSL routines::wrong version number",
			 500, &r);
	cr_expect(!strncmp(r.error, "TLS: OpenSSL", 12), "%s", r.error);
	check_http_error(CURLE_GOT_NOTHING, 0, "", 500, &r);
	cr_expect_str_eq(r.error, "empty reply from server");
	check_http_error(CURLE_RECV_ERROR, ECONNRESET, "", 500, &r);
	cr_expect_str_eq(r.error, "recv: Connection reset by peer");
	cr_expect(!r.ok);
}
