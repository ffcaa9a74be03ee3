// SPDX-License-Identifier: GPL-2.0-or-later
/* file checks: keepalived's track_file numbers and what they do. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "check_file.h"

Test(hc_file, numbers_as_strtol_reads_them)
{
	static const struct { const char *text; int64_t v; } t[] = {
		{ "5\n", 5 }, { "  -3", -3 }, { "+7", 7 }, { "0x10", 16 },
		{ "010", 8 }, { "12abc", 12 }, { "abc", 0 }, { "", 0 },
		{ "2147483648", 2147483648LL }, { "-2147483648", -2147483648LL },
	};
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 99;
		cr_expect_eq(file_value_parse(t[i].text, &v), 0, "\"%s\"",
			     t[i].text);
		cr_expect_eq(v, t[i].v, "\"%s\": %lld", t[i].text, (long long)v);
	}
	cr_expect_eq(file_value_parse("2147483649", &v), -ERANGE);
	cr_expect_eq(file_value_parse("-2147483649", &v), -ERANGE);
	cr_expect_eq(file_value_parse("99999999999999999999", &v), -ERANGE);
}

static struct cfg_check check(int weight, bool reverse)
{
	struct cfg_check c;

	memset(&c, 0, sizeof(c));
	c.type = CHECK_FILE;
	c.file = (char *)"/run/w";
	c.file_weight = weight;
	c.reverse = reverse;
	return c;
}

Test(hc_file, weight_zero_is_up_or_down)
{
	struct cfg_check c = check(0, false);
	struct probe_result r;

	file_verdict(0, &c, 10, &r);
	cr_expect(r.ok);
	cr_expect_eq(r.weight, -1, "the configured weight");
	file_verdict(3, &c, 10, &r);
	cr_expect_not(r.ok);
	cr_expect_str_eq(r.error, "/run/w holds 3");
	c = check(0, true);
	file_verdict(0, &c, 10, &r);
	cr_expect_not(r.ok);
	cr_expect_str_eq(r.error, "/run/w holds 0 (reverse)");
	file_verdict(-1, &c, 10, &r);
	cr_expect(r.ok);
}

Test(hc_file, value_times_weight_moves_the_weight)
{
	struct cfg_check c = check(2, false);
	struct probe_result r;

	file_verdict(0, &c, 10, &r);
	cr_expect(r.ok);
	cr_expect_eq(r.weight, -1, "no change: the configured weight");
	file_verdict(3, &c, 10, &r);
	cr_expect_eq(r.weight, 16);
	file_verdict(-3, &c, 10, &r);
	cr_expect_eq(r.weight, 4);
	file_verdict(-50, &c, 10, &r);
	cr_expect(r.ok, "a negative weight is 0, still up");
	cr_expect_eq(r.weight, 0);
	file_verdict(1000000, &c, 10, &r);
	cr_expect_eq(r.weight, FILE_WEIGHT_MAX);
	c = check(2, true);
	file_verdict(3, &c, 10, &r);
	cr_expect_eq(r.weight, 4, "reverse: 10 - 3 x 2");
}

Test(hc_file, fault_at_or_below_int32_min)
{
	struct cfg_check c = check(1, false);
	struct probe_result r;

	file_verdict(-2147483647LL, &c, 10, &r);
	cr_expect(r.ok);
	cr_expect_eq(r.weight, 0);
	file_verdict(-2147483648LL, &c, 10, &r);
	cr_expect_not(r.ok);
	cr_expect_str_eq(r.error, "/run/w holds -2147483648: -2147483648 x 1 "
			 "is at or below -2147483648");
	c = check(-1, false);
	file_verdict(2147483648LL, &c, 10, &r);
	cr_expect_not(r.ok, "keepalived reads up to 2^31 for this");
	c = check(1000, true);
	file_verdict(3000000, &c, 10, &r);
	cr_expect_not(r.ok);
	cr_expect_str_eq(r.error, "/run/w holds 3000000: 3000000 x 1000 x -1 "
			 "is at or below -2147483648");
	file_verdict(-3000000, &c, 10, &r);
	cr_expect(r.ok, "the product is clamped high, not a fault");
	cr_expect_eq(r.weight, FILE_WEIGHT_MAX);
}
