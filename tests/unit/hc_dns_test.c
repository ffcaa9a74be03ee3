// SPDX-License-Identifier: GPL-2.0-or-later
/* dns checks: the query on the wire, and what an answer says. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "check_dns.h"

Test(hc_dns, query_for_a_name)
{
	static const uint8_t want[] = {
		0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'o', 'r', 'g', 0, 0x00, 0x1c, 0x00, 0x01,
	};
	uint8_t buf[DNS_QUERY_MAX];
	int n;

	n = dns_query_build(buf, sizeof(buf), 0xbeef, "www.example.org", 28);
	cr_assert_eq(n, (int)sizeof(want));
	cr_assert_eq(memcmp(buf, want, n), 0);
	/* the final dot changes nothing */
	cr_assert_eq(dns_query_build(buf, sizeof(buf), 0xbeef,
				     "www.example.org.", 28), n);
	cr_assert_eq(memcmp(buf, want, n), 0);
}

Test(hc_dns, query_for_the_root_is_keepalived_default)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
		0, 0x00, 0x06, 0x00, 0x01,
	};
	uint8_t buf[DNS_QUERY_MAX];

	cr_assert_eq(dns_query_build(buf, sizeof(buf), 0x1234, ".", 6), 17);
	cr_assert_eq(memcmp(buf, want, sizeof(want)), 0);
	cr_assert_eq(dns_query_build(buf, sizeof(buf), 0x1234, "", 6), 17);
}

Test(hc_dns, names_that_cannot_be_sent)
{
	uint8_t buf[DNS_QUERY_MAX];
	char name[80];

	memset(name, 'a', 64);
	strcpy(name + 64, ".org");
	cr_assert_eq(dns_query_build(buf, sizeof(buf), 1, name, 1), -EINVAL);
	cr_assert_eq(dns_query_build(buf, sizeof(buf), 1, "a..org", 1),
		     -EINVAL);
	cr_assert_eq(dns_query_build(buf, 20, 1, "www.example.org", 1),
		     -ENOSPC);
}

static int rcode_of(const char *hex_header)
{
	uint8_t b[12];
	unsigned int v;
	int i;

	for (i = 0; i < 12; i++) {
		cr_assert_eq(sscanf(hex_header + 2 * i, "%2x", &v), 1);
		b[i] = v;
	}
	return dns_reply_rcode(b, sizeof(b), 0xbeef);
}

Test(hc_dns, answers)
{
	uint8_t b[12] = { 0xbe, 0xef, 0x81, 0x80 };

	/* id, QR, RCODE: an answer with no records (NODATA) is NOERROR */
	cr_expect_eq(rcode_of("beef81800001000000000000"), 0);
	cr_expect_eq(rcode_of("beef85800001000100000000"), 0);
	cr_expect_eq(rcode_of("beef81830001000000000000"), 3);
	cr_expect_eq(rcode_of("beef81850001000000000000"), 5);
	cr_expect_eq(rcode_of("beef80020001000000000000"), 2);
	/* not ours: another id, a query, too short */
	cr_expect_eq(rcode_of("beee81800001000100000000"), DNS_NOT_OURS);
	cr_expect_eq(rcode_of("beef01000001000000000000"), DNS_NOT_OURS);
	cr_expect_eq(dns_reply_rcode(b, 11, 0xbeef), DNS_NOT_OURS);
	cr_expect_str_eq(dns_rcode_name(3), "NXDOMAIN");
	cr_expect_str_eq(dns_rcode_name(5), "REFUSED");
	cr_expect_str_eq(dns_rcode_name(15), "RCODE?");
}
