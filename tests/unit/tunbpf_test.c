// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's TUN encapsulator (director/bpf/tun_encap.bpf.c) against
 * encap.c: the same inner packet, with the mark of a real server, goes
 * through the loaded program by BPF_PROG_TEST_RUN, and what comes out
 * behind the Ethernet header must be, byte for byte, what encap_packet()
 * builds for that real server: every tunnel type, both families outside
 * and inside, DSCP/ECN, TTL, DF and ids, GUE source ports.  Skipped
 * where the program cannot be loaded (not root, no BPF).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/tunbpf.h"
#include "encap.h"
#include "tunbpf.h"

#define MASK		0x00ff0000u
#define MARK		0x00050000u
#define OTHER_BITS	0x00000007u	/* someone else's mark bits */
#define SEED		0x5eed1234u
#define GUE_PORT	6080
#define MTU		1500
#define PKT_MAX		1600

static struct tunbpf *tb;

static void open_prog(void)
{
	char why[256];

	if (geteuid() != 0)
		cr_skip_test("BPF_PROG_TEST_RUN needs root");
	tb = tunbpf_open(MASK, why, sizeof(why));
	if (!tb)
		cr_skip_test("the program does not load here: %s", why);
}

static void close_prog(void)
{
	tunbpf_close(tb, false);
	tb = NULL;
}

static struct nflvs_addr mkaddr(const char *s)
{
	struct nflvs_addr a;

	cr_assert_eq(addr_parse(s, &a), 0, "%s", s);
	return a;
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct spec {
	int family;
	uint8_t l4;
	size_t len;
	uint8_t ds, ttl;
	bool df;
	uint16_t sport;
};

/* Ethernet + an inner packet of s->len bytes; the frame's length. */
static size_t mk_frame(uint8_t *f, const struct spec *s)
{
	uint8_t *p = f + ETH_HLEN, *l4;
	size_t hl = s->family == AF_INET ? 20 : 40, i;

	memset(f, 0, ETH_HLEN);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(f + 12, s->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	for (i = hl; i < s->len; i++)
		p[i] = (uint8_t)(i * 31 + 7);
	l4 = p + hl;
	if (s->family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		p[1] = s->ds;
		put16(p + 2, (unsigned int)s->len);
		put16(p + 4, 0x1234);
		put16(p + 6, s->df ? 0x4000 : 0);
		p[8] = s->ttl;
		p[9] = s->l4;
		inet_pton(AF_INET, "192.0.2.1", p + 12);
		inet_pton(AF_INET, "198.51.100.2", p + 16);
	} else {
		p[0] = (uint8_t)(0x60 | s->ds >> 4);
		p[1] = (uint8_t)(s->ds << 4 | 0x0a);
		p[2] = 0xbc;
		p[3] = 0xde;
		put16(p + 4, (unsigned int)(s->len - 40));
		p[6] = s->l4;
		p[7] = s->ttl;
		inet_pton(AF_INET6, "2001:db8::1", p + 8);
		inet_pton(AF_INET6, "2001:db8:ffff::2", p + 24);
	}
	put16(l4, s->sport);
	put16(l4 + 2, s->l4 == IPPROTO_UDP ? 53 : 80);
	return ETH_HLEN + s->len;
}

/* encap.c's side: the flow hash tun.c would pass for this packet. */
static uint32_t hash_of(const uint8_t *p, const struct spec *s)
{
	bool v4 = s->family == AF_INET;

	return tunbpf_flow_hash(s->l4, s->sport, s->l4 == IPPROTO_UDP ? 53 : 80,
				p + (v4 ? 12 : 8), p + (v4 ? 16 : 24),
				v4 ? 4 : 16);
}

static void mk_encap(struct encap *e, enum tun_type type, int family,
		     uint32_t mtu)
{
	struct cfg_tunnel t = { .type = type, .port = GUE_PORT };
	struct nflvs_addr src = mkaddr(family == AF_INET ? "10.0.0.1" : "fd00::1");
	struct nflvs_addr dst = mkaddr(family == AF_INET ? "10.0.0.2" : "fd00::2");

	cr_assert_eq(encap_init(e, &t, &src, &dst, mtu, SEED), 0);
}

/* Run the program on @frame; the output's length, *@ret its verdict. */
static size_t run(const uint8_t *frame, size_t len, uint32_t mark,
		  uint8_t *out, size_t cap, uint32_t *ret)
{
	struct __sk_buff ctx = { .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = frame, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = (uint32_t)cap,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	cr_assert_eq(bpf_prog_test_run_opts(tunbpf_prog_fd(tb), &o), 0,
		     "test run: %s", strerror(errno));
	*ret = o.retval;
	return o.data_size_out;
}

/*
 * The @flen-byte @frame (its inner packet s->len bytes) through the
 * program, marked for @e's real server, and through encap_packet() with
 * @e: the same bytes behind the Ethernet header, whose type follows the
 * outer family.  @e's id counter advances as the program's does.
 */
static void compare(struct encap *e, const uint8_t *frame, size_t flen,
		    const struct spec *s)
{
	static uint8_t out[PKT_MAX + 64], want[PKT_MAX + 64];
	struct encap_result r;
	uint32_t verdict;
	size_t olen;
	int outer = e->dst.family;

	cr_assert_eq(encap_packet(e, frame + ETH_HLEN, s->len,
				  hash_of(frame + ETH_HLEN, s), want,
				  sizeof(want), &r), ENCAP_SENT);
	cr_assert_eq(r.n, 1);
	olen = run(frame, flen, MARK | OTHER_BITS, out, sizeof(out), &verdict);
	cr_assert_eq(verdict, 0 /* TC_ACT_OK */);
	cr_assert_eq(olen - ETH_HLEN, r.last_len,
		     "type %d outer %d inner %d len %zu: %zu bytes, encap.c %u",
		     e->type, outer, s->family, s->len, olen - ETH_HLEN, r.last_len);
	cr_assert_arr_eq(out + ETH_HLEN, want + r.off, r.last_len,
			 "type %d outer %d inner %d len %zu ds %#x df %d: bytes differ",
			 e->type, outer, s->family, s->len, s->ds, s->df);
	cr_assert_eq(out[12] << 8 | out[13],
		     outer == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	cr_assert_arr_eq(out, frame, 12);
}

/* One case, a real server of its own. */
static void same_bytes(enum tun_type type, int outer, const struct spec *s,
		       uint32_t mtu)
{
	static uint8_t frame[PKT_MAX];
	size_t flen = mk_frame(frame, s);
	struct encap e;

	mk_encap(&e, type, outer, mtu);
	cr_assert_eq(tunbpf_dest_set(tb, MARK, &e), 0);
	compare(&e, frame, flen, s);
}

TestSuite(tunbpf, .init = open_prog, .fini = close_prog);

Test(tunbpf, every_type_family_and_length)
{
	static const enum tun_type types[] = { TUN_IPIP, TUN_GRE, TUN_GUE };
	static const int fams[] = { AF_INET, AF_INET6 };
	static const size_t lens[] = { 60, 61, 576, 1280, 1400 };
	static const uint8_t l4s[] = { IPPROTO_TCP, IPPROTO_UDP };
	unsigned int t, o, i, l, p;

	for (t = 0; t < 3; t++)
		for (o = 0; o < 2; o++)
			for (i = 0; i < 2; i++)
				for (l = 0; l < 5; l++)
					for (p = 0; p < 2; p++) {
						struct spec s = {
							.family = fams[i], .l4 = l4s[p],
							.len = lens[l], .ds = 0xb8,
							.ttl = 64, .df = true,
							.sport = (uint16_t)(40000 + l),
						};
						same_bytes(types[t], fams[o], &s, MTU);
					}
}

Test(tunbpf, dscp_ecn_ttl)
{
	static const uint8_t ds[] = { 0x00, 0x01, 0x02, 0x03, 0xb8, 0xbb, 0xfd };
	static const uint8_t ttl[] = { 1, 2, 63, 255 };
	unsigned int i, j, f;

	for (f = 0; f < 2; f++)
		for (i = 0; i < sizeof(ds); i++)
			for (j = 0; j < sizeof(ttl); j++) {
				struct spec s = {
					.family = f ? AF_INET6 : AF_INET,
					.l4 = IPPROTO_TCP, .len = 100,
					.ds = ds[i], .ttl = ttl[j], .df = true,
					.sport = 1234,
				};
				same_bytes(TUN_GUE, s.family, &s, MTU);
				same_bytes(TUN_IPIP, AF_INET, &s, MTU);
			}
}

/* DF clear: the outer IPv4 header takes the ids of the real server's
 * counter, one after another, as encap.c's. */
Test(tunbpf, df_clear_takes_ids_in_turn)
{
	static uint8_t frame[PKT_MAX];
	struct spec s = { .family = AF_INET, .l4 = IPPROTO_UDP, .len = 200,
			  .ttl = 9, .df = false, .sport = 999 };
	size_t flen = mk_frame(frame, &s);
	struct encap e;
	int k;

	mk_encap(&e, TUN_GRE, AF_INET, MTU);
	cr_assert_eq(tunbpf_dest_set(tb, MARK, &e), 0);
	for (k = 0; k < 3; k++)
		compare(&e, frame, flen, &s);
	/* IPv6 inside over a tunnel whose room is under 1280: DF clear */
	s.family = AF_INET6;
	s.len = 100;
	same_bytes(TUN_IPIP, AF_INET, &s, 1200);
}

/* Bytes past the IP header's length (Ethernet padding) are not sent. */
Test(tunbpf, trailing_bytes_trimmed)
{
	static uint8_t frame[PKT_MAX];
	struct spec s = { .family = AF_INET, .l4 = IPPROTO_TCP, .len = 40,
			  .ttl = 64, .df = true, .sport = 5 };
	size_t flen = mk_frame(frame, &s);
	struct encap e;

	mk_encap(&e, TUN_IPIP, AF_INET, MTU);
	cr_assert_eq(tunbpf_dest_set(tb, MARK, &e), 0);
	memset(frame + flen, 0, 20);
	compare(&e, frame, flen + 20, &s);
}

/* Not ours: no mark, another mark, a real server taken out. */
Test(tunbpf, other_packets_pass_untouched)
{
	static uint8_t frame[PKT_MAX], out[PKT_MAX + 64];
	struct spec s = { .family = AF_INET, .l4 = IPPROTO_TCP, .len = 100,
			  .ttl = 64, .df = true, .sport = 5 };
	size_t flen = mk_frame(frame, &s);
	uint32_t marks[] = { 0, OTHER_BITS, 0x00060000u, MARK };
	struct encap e;
	uint32_t verdict;
	unsigned int i;

	mk_encap(&e, TUN_IPIP, AF_INET, MTU);
	cr_assert_eq(tunbpf_dest_set(tb, MARK, &e), 0);
	tunbpf_dest_del(tb, MARK);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(run(frame, flen, marks[i], out, sizeof(out),
				 &verdict), flen);
		cr_assert_eq(verdict, 0);
		cr_assert_arr_eq(out, frame, flen);
	}
}

/* A packet that does not fit the tunnel never leaves encapsulated: the
 * route's MTU should have stopped it; a broken inner header neither. */
Test(tunbpf, too_big_or_broken_is_dropped)
{
	static uint8_t frame[PKT_MAX], out[PKT_MAX + 64];
	struct spec s = { .family = AF_INET, .l4 = IPPROTO_TCP, .len = 1500,
			  .ttl = 64, .df = true, .sport = 5 };
	size_t flen = mk_frame(frame, &s);
	struct encap e;
	uint32_t verdict;

	mk_encap(&e, TUN_GUE, AF_INET, MTU);
	cr_assert_eq(tunbpf_dest_set(tb, MARK, &e), 0);
	run(frame, flen, MARK, out, sizeof(out), &verdict);
	cr_assert_eq(verdict, 2 /* TC_ACT_SHOT */);
	s.len = 100;
	flen = mk_frame(frame, &s);
	put16(frame + ETH_HLEN + 2, 200);	/* longer than the packet */
	run(frame, flen, MARK, out, sizeof(out), &verdict);
	cr_assert_eq(verdict, 2);
}

Test(tunbpf, suits)
{
	struct cfg_tunnel t = { .type = TUN_GUE, .port = 1 };

	cr_assert(tunbpf_suits(&t, AF_INET, AF_INET));
	cr_assert(!tunbpf_suits(&t, AF_INET, AF_INET6));
	t.csum = true;
	cr_assert(!tunbpf_suits(&t, AF_INET6, AF_INET6));
}
