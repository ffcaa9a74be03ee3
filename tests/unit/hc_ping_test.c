// SPDX-License-Identifier: GPL-2.0-or-later
/* ping checks: echo requests, replies, and who may open which socket. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "check_ping.h"

Test(hc_ping, echo_request_with_its_checksum)
{
	static const uint8_t data[4] = { 'a', 'b', 'c', 'd' };
	struct ping_echo e = { .id = 0x1234, .seq = 7, .data = data, .len = 4 };
	uint8_t buf[64];
	uint32_t sum = 0;
	int n, i;

	n = ping_echo_build(buf, sizeof(buf), AF_INET, &e);
	cr_assert_eq(n, 12);
	cr_expect_eq(buf[0], 8, "echo request");
	cr_expect_eq(buf[4] << 8 | buf[5], 0x1234);
	cr_expect_eq(buf[6] << 8 | buf[7], 7);
	cr_expect_eq(memcmp(buf + 8, data, 4), 0);
	/* the one's complement sum of a packet with its checksum is 0xffff */
	for (i = 0; i < n; i += 2)
		sum += buf[i] << 8 | buf[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	cr_expect_eq(sum, 0xffff);

	n = ping_echo_build(buf, sizeof(buf), AF_INET6, &e);
	cr_assert_eq(n, 12);
	cr_expect_eq(buf[0], 128, "ICMPv6 echo request");
	cr_expect_eq(buf[2] | buf[3], 0, "the kernel sums ICMPv6");
	cr_expect_eq(ping_echo_build(buf, 11, AF_INET, &e), -ENOSPC);
}

Test(hc_ping, replies)
{
	uint8_t v4[28 + 4] = { 0x45 }, v6[12] = { 129, 0, 0, 0, 0x12, 0x34,
						  0, 9, 'x', 'y', 'z', 'w' };
	struct ping_echo e;

	/* a raw IPv4 socket reads the IP header first */
	v4[20] = 0;			/* echo reply */
	v4[24] = 0xab;
	v4[25] = 0xcd;
	v4[27] = 3;
	cr_assert_eq(ping_reply_parse(v4, sizeof(v4), AF_INET, true, &e), 0);
	cr_expect_eq(e.id, 0xabcd);
	cr_expect_eq(e.seq, 3);
	cr_expect_eq(e.len, 4);
	cr_expect_eq(ping_reply_parse(v4 + 20, 12, AF_INET, false, &e), 0);
	cr_expect_eq(e.seq, 3);
	v4[20] = 8;			/* a request is no reply */
	cr_expect_eq(ping_reply_parse(v4, sizeof(v4), AF_INET, true, &e),
		     -EINVAL);
	v4[0] = 0x65;			/* not IPv4 */
	cr_expect_eq(ping_reply_parse(v4, sizeof(v4), AF_INET, true, &e),
		     -EINVAL);

	cr_assert_eq(ping_reply_parse(v6, sizeof(v6), AF_INET6, false, &e), 0);
	cr_expect_eq(e.id, 0x1234);
	cr_expect_eq(e.seq, 9);
	cr_expect_eq(memcmp(e.data, "xyzw", 4), 0);
	cr_expect_eq(ping_reply_parse(v6, 7, AF_INET6, false, &e), -EINVAL);
	v6[0] = 0;		/* ICMPv4's echo reply type is no ICMPv6 one */
	cr_expect_eq(ping_reply_parse(v6, sizeof(v6), AF_INET6, false, &e),
		     -EINVAL);
}

Test(hc_ping, group_range)
{
	gid_t g[] = { 65534, 100 };

	cr_expect_not(ping_range_admits("1\t0\n", g, 2), "the default: nobody");
	cr_expect(ping_range_admits("0\t2147483647\n", g, 2));
	cr_expect(ping_range_admits("100 100", g, 2), "a supplementary group");
	cr_expect_not(ping_range_admits("101\t65533\n", g, 2));
	cr_expect_not(ping_range_admits("", g, 2));
}
