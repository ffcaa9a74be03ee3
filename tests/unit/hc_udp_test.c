// SPDX-License-Identifier: GPL-2.0-or-later
/* udp checks: when a reply is the one required (keepalived's rules). */
#include <criterion/criterion.h>
#include <string.h>

#include "check_udp.h"

static struct cfg_check check(const char *hex, int min, int max)
{
	static uint8_t data[64], mask[64];
	struct cfg_check c;
	int n = 0;

	memset(&c, 0, sizeof(c));
	c.type = CHECK_UDP;
	c.require_reply = true;
	c.min_reply_length = min;
	c.max_reply_length = max;
	if (hex) {
		n = config_hex_parse(hex, data, mask, sizeof(data));
		cr_assert_gt(n, 0);
		c.reply = (struct cfg_bytes){ data, mask, n };
	}
	return c;
}

static bool match(const struct cfg_check *c, const char *reply, size_t len,
		  char *why)
{
	return udp_reply_match(c, (const uint8_t *)reply, len, why, 96);
}

Test(hc_udp, any_reply_within_the_lengths)
{
	struct cfg_check c = check(NULL, 0, 255);
	char why[96], big[300];

	cr_expect(match(&c, "", 0, why), "an empty datagram is a reply");
	cr_expect(match(&c, "pong", 4, why));
	memset(big, 'x', sizeof(big));
	cr_expect_not(match(&c, big, 256, why));
	cr_expect_str_eq(why, "reply of 256 bytes (expected 0 to 255)");
	c = check(NULL, 5, 10);
	cr_expect_not(match(&c, "pong", 4, why));
	cr_expect_str_eq(why, "reply of 4 bytes (expected 5 to 10)");
}

Test(hc_udp, bytes_under_their_mask)
{
	struct cfg_check c = check("70 6f 6x", 0, 255);
	char why[96];

	cr_expect(match(&c, "pong", 4, why), "x matches any 4 bits");
	cr_expect(match(&c, "poo", 3, why));
	cr_expect_not(match(&c, "pun", 3, why));
	cr_expect_str_eq(why, "reply byte 1 is 75, expected 6f");
	cr_expect_not(match(&c, "poz", 3, why), "z is 0x7a: high nibble 7");
	/* keepalived compares the bytes both have */
	cr_expect(match(&c, "p", 1, why));
}
