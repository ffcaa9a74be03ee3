// SPDX-License-Identifier: GPL-2.0-or-later
/* smtp checks: reading replies of one line or several. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "check_smtp.h"

static int parse(const char *s, struct smtp_reply *rep)
{
	return smtp_reply_parse(s, strlen(s), rep);
}

Test(hc_smtp, one_line)
{
	struct smtp_reply rep;

	cr_assert_eq(parse("220 mx.example.org ESMTP\r\n", &rep), 1);
	cr_expect_eq(rep.code, 220);
	cr_expect_eq(rep.line, 0);
	cr_expect_eq(rep.end, 26);
	cr_assert_eq(parse("250\r\n", &rep), 1, "a code alone");
	cr_expect_eq(rep.code, 250);
	cr_assert_eq(parse("221\n", &rep), 1, "a bare newline");
	cr_expect_eq(rep.code, 221);
}

Test(hc_smtp, several_lines_read_to_the_last)
{
	const char *s = "220-mx.example.org ESMTP\r\n"
			"220-no UCE\r\n"
			"220 ready\r\n";
	struct smtp_reply rep;

	cr_assert_eq(parse(s, &rep), 1);
	cr_expect_eq(rep.code, 220);
	cr_expect_eq(rep.line, strlen(s) - strlen("220 ready\r\n"));
	cr_expect_eq(rep.end, strlen(s));
}

Test(hc_smtp, incomplete_replies_wait)
{
	struct smtp_reply rep;

	cr_expect_eq(parse("", &rep), 0);
	cr_expect_eq(parse("220 mx.exam", &rep), 0);
	cr_expect_eq(rep.end, 0, "nothing to drop");
	cr_expect_eq(parse("250-mx\r\n250-PIPELINING\r\n250 8BI", &rep), 0);
	cr_expect_eq(rep.end, strlen("250-mx\r\n250-PIPELINING\r\n"),
		     "the continuation lines may be dropped");
}

Test(hc_smtp, bad_lines)
{
	struct smtp_reply rep;

	cr_expect_eq(parse("HTTP/1.1 400 Bad Request\r\n", &rep), -EPROTO);
	cr_expect_eq(rep.line, 0);
	cr_expect_eq(parse("22 short\r\n", &rep), -EPROTO);
	cr_expect_eq(parse("2200 four digits\r\n", &rep), -EPROTO);
	cr_expect_eq(parse("\r\n", &rep), -EPROTO);
	cr_expect_eq(parse("250-ok\r\nnope\r\n", &rep), -EPROTO);
	cr_expect_eq(rep.line, 8, "the bad line, not the first");
}
