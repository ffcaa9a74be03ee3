// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for packet_parse() and packet_parse_icmp_error().
 * libFuzzer hands us a heap block of exactly @size bytes, so ASan catches any read past the capture; the
 * checks below catch a PKT_OK that promises more than the buffer holds.
 * Build: see tests/fuzz/README.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert(): it must hold with -DNDEBUG too. */
#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

static size_t l4_need(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 14;
	case IPPROTO_UDP:
		return 8;
	case IPPROTO_SCTP:
		return 12;
	}
	__builtin_trap();
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* What PKT_OK promises about @pi, checked against the raw bytes. */
static void check_ok(const uint8_t *data, size_t size,
		     const struct pkt_info *pi)
{
	size_t alen = pi->family == AF_INET ? 4 : 16;
	size_t need = pi->l4_off + l4_need(pi->l4proto);
	const uint8_t *l4 = data + pi->l4_off;

	CHECK(need <= size);
	CHECK(pi->tot_len == 0 || need <= pi->tot_len);
	CHECK(pi->saddr.family == pi->family && pi->daddr.family == pi->family);
	CHECK(pi->sport == be16(l4) && pi->dport == be16(l4 + 2));
	CHECK(pi->tcp_flags == (pi->l4proto == IPPROTO_TCP ? l4[13] : 0));
	CHECK(pi->is_fragment <= 1);
	if (data[0] >> 4 == 4) {
		CHECK(pi->family == AF_INET);
		CHECK(pi->l4_off == (data[0] & 0x0f) * 4u);
		CHECK(pi->tot_len == be16(data + 2));
		CHECK(!memcmp(pi->saddr.b, data + 12, 4));
		CHECK(!memcmp(pi->daddr.b, data + 16, 4));
		CHECK(pi->ttl == data[8] && pi->tos == data[1]);
	} else {
		CHECK(data[0] >> 4 == 6);
		CHECK(pi->family == AF_INET6);
		CHECK(pi->l4_off >= 40);
		CHECK(pi->tot_len == 0 || pi->tot_len == 40u + be16(data + 4));
		CHECK(!memcmp(pi->saddr.b, data + 8, 16));
		CHECK(!memcmp(pi->daddr.b, data + 24, 16));
		CHECK(pi->ttl == data[7]);
	}
	for (; alen < 16; alen++)
		CHECK(!pi->saddr.b[alen] && !pi->daddr.b[alen]);
}

/*
 * The result must depend only on the bytes PKT_OK needs: a capture of
 * exactly that many gives the same answer, one byte less is TRUNCATED.
 * Fresh exact-size copies, so ASan sees an over-read of the shorter cut.
 */
static void check_cuts(const uint8_t *data, const struct pkt_info *full)
{
	size_t need = full->l4_off + l4_need(full->l4proto);
	struct pkt_info pi;
	uint8_t *cut;

	cut = malloc(need);
	CHECK(cut);
	memcpy(cut, data, need);
	CHECK(packet_parse(cut, need, &pi) == PKT_OK);
	CHECK(!memcmp(&pi, full, sizeof(pi)));
	CHECK(packet_parse(cut, need - 1, &pi) == PKT_TRUNCATED);
	free(cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi, untouched;
	enum pkt_result r;

	memset(&untouched, 0xa5, sizeof(untouched));
	/* an ICMP error's quote: within the buffer, or nothing written */
	memset(&pi, 0xa5, sizeof(pi));
	r = packet_parse_icmp_error(data, size, &pi);
	CHECK(r == PKT_OK ? pi.l4_off + 4u <= size
			  : !memcmp(&pi, &untouched, sizeof(pi)));
	memset(&pi, 0xa5, sizeof(pi));
	r = packet_parse(data, size, &pi);
	CHECK(packet_result_str(r)[0] != '?');
	if (r != PKT_OK) {
		CHECK(!memcmp(&pi, &untouched, sizeof(pi)));
		return 0;
	}
	check_ok(data, size, &pi);
	check_cuts(data, &pi);
	return 0;
}
