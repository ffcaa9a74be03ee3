// SPDX-License-Identifier: GPL-2.0-or-later
/* The state sync's wire format: round trips, batching, hostile input. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "syncmsg.h"

static struct syncmsg_entry entry(uint8_t kind, const char *c, uint16_t cport)
{
	struct syncmsg_entry e = {
		.kind = kind, .protocol = IPPROTO_TCP,
		.state = kind == SYNCMSG_TPL ? 0 : SYNCMSG_ESTABLISHED,
		.timeout_ms = 899500, .cport = cport, .vport = 80,
		.dport = 80,
	};

	cr_assert_eq(addr_parse(c, &e.caddr), 0);
	addr_parse(strchr(c, ':') ? "2001:db8::100" : "10.0.1.100", &e.vaddr);
	addr_parse(strchr(c, ':') ? "2001:db8:2::11" : "10.0.2.11", &e.daddr);
	return e;
}

static void expect_same(const struct syncmsg_entry *a,
			const struct syncmsg_entry *b)
{
	cr_expect_eq(a->kind, b->kind);
	cr_expect_eq(a->protocol, b->protocol);
	cr_expect_eq(a->state, b->state);
	cr_expect_eq(a->fwmark, b->fwmark);
	cr_expect_eq(a->timeout_ms, b->timeout_ms);
	cr_expect_eq(a->cport, b->cport);
	cr_expect_eq(a->vport, b->vport);
	cr_expect_eq(a->dport, b->dport);
	cr_expect(addr_eq(&a->caddr, &b->caddr));
	cr_expect(addr_eq(&a->vaddr, &b->vaddr));
	cr_expect(addr_eq(&a->daddr, &b->daddr));
}

/* One datagram of @n entries of @e into @buf; its length. */
static size_t one(uint8_t *buf, size_t maxlen, const struct syncmsg_entry *e,
		  unsigned int n, uint8_t syncid)
{
	struct syncmsg_batch b;
	unsigned int i;

	syncmsg_batch_init(&b, buf, maxlen, syncid, 0x1234);
	for (i = 0; i < n; i++)
		cr_assert_eq(syncmsg_batch_add(&b, &e[i]), 0);
	return syncmsg_batch_finish(&b);
}

Test(syncmsg, round_trip_every_kind_v4_v6)
{
	struct syncmsg_entry in[4] = {
		entry(SYNCMSG_DR, "192.0.2.7", 40001),
		entry(SYNCMSG_TUN, "2001:db8:1::7", 40002),
		entry(SYNCMSG_TPL, "192.0.2.0", 0),
		entry(SYNCMSG_DR, "192.0.2.8", 53),
	}, out[4];
	struct syncmsg_hdr h;
	uint8_t buf[1500];
	size_t len;

	in[1].state = SYNCMSG_SYN;
	in[1].timeout_ms = 59000;
	in[2].fwmark = 7;
	in[2].timeout_ms = 299999;
	in[3].protocol = IPPROTO_UDP;
	in[3].state = SYNCMSG_UDP;
	len = one(buf, sizeof(buf), in, 4, 7);
	cr_assert_eq(len, SYNCMSG_HDR_LEN + 4 * SYNCMSG_ENTRY_LEN);
	cr_assert_eq(syncmsg_decode(buf, len, 7, &h, out, 4), SYNCMSG_OK);
	cr_expect_eq(h.type, SYNCMSG_ENTRIES);
	cr_expect_eq(h.count, 4);
	cr_expect_eq(h.sender, 0x1234);
	for (int i = 0; i < 4; i++)
		expect_same(&in[i], &out[i]);
}

Test(syncmsg, network_order_on_the_wire)
{
	struct syncmsg_entry e = entry(SYNCMSG_DR, "192.0.2.7", 0x1234);
	uint8_t buf[SYNCMSG_HDR_LEN + SYNCMSG_ENTRY_LEN];

	e.timeout_ms = 0x01020304;
	one(buf, sizeof(buf), &e, 1, 1);
	cr_expect_eq(memcmp(buf, "NFSY", 4), 0);
	cr_expect_eq(buf[4], SYNCMSG_VERSION);
	cr_expect_eq(buf[8], 0);
	cr_expect_eq(buf[9], sizeof(buf));
	cr_expect_eq(memcmp(buf + SYNCMSG_HDR_LEN + 8, "\1\2\3\4", 4), 0);
	cr_expect_eq(buf[SYNCMSG_HDR_LEN + 12], 0x12);
	cr_expect_eq(buf[SYNCMSG_HDR_LEN + 1], 4);
}

Test(syncmsg, batches_fill_up_to_maxlen)
{
	struct syncmsg_entry e = entry(SYNCMSG_DR, "192.0.2.7", 1000);
	struct syncmsg_entry out[64];
	struct syncmsg_batch b;
	struct syncmsg_hdr h;
	uint8_t buf[1472];
	unsigned int n = 0, sent = 0, dgrams = 0, i;
	size_t len;

	/* a 1500-byte MTU less IPv4 and UDP headers: 21 entries */
	cr_assert_eq(syncmsg_capacity(1472), 21);
	cr_expect_eq(syncmsg_capacity(SYNCMSG_HDR_LEN + SYNCMSG_ENTRY_LEN - 1), 0);
	cr_expect_eq(syncmsg_capacity(65535), (65535 - 16) / 68);
	syncmsg_batch_init(&b, buf, sizeof(buf), 3, 1);
	cr_expect_eq(syncmsg_batch_finish(&b), 0);
	for (i = 0; i < 50; i++) {
		e.cport = 1000 + i;
		if (syncmsg_batch_add(&b, &e) == 0)
			continue;
		len = syncmsg_batch_finish(&b);
		cr_assert_leq(len, sizeof(buf));
		cr_assert_eq(syncmsg_decode(buf, len, 3, &h, out, 64), SYNCMSG_OK);
		cr_expect_eq(h.count, 21);
		cr_expect_eq(out[0].cport, 1000 + sent);
		sent += h.count;
		dgrams++;
		syncmsg_batch_reset(&b);
		cr_assert_eq(syncmsg_batch_add(&b, &e), 0);
	}
	len = syncmsg_batch_finish(&b);
	cr_assert_eq(syncmsg_decode(buf, len, 3, &h, out, 64), SYNCMSG_OK);
	n = sent + h.count;
	cr_expect_eq(dgrams, 2);
	cr_expect_eq(n, 50);
	cr_expect_eq(out[h.count - 1].cport, 1049);
}

Test(syncmsg, resync_request)
{
	struct syncmsg_hdr h = { .type = SYNCMSG_RESYNC, .syncid = 9,
				 .sender = 5 }, got;
	uint8_t buf[SYNCMSG_HDR_LEN];

	syncmsg_put_hdr(buf, &h);
	cr_assert_eq(syncmsg_decode(buf, sizeof(buf), 9, &got, NULL, 0),
		     SYNCMSG_OK);
	cr_expect_eq(got.type, SYNCMSG_RESYNC);
	cr_expect_eq(got.sender, 5);
	cr_expect_eq(syncmsg_decode(buf, sizeof(buf), 8, &got, NULL, 0),
		     SYNCMSG_E_SYNCID);
}

/* A good datagram of two entries, to be spoiled by each test below. */
static size_t good(uint8_t *buf)
{
	struct syncmsg_entry e[2] = { entry(SYNCMSG_DR, "192.0.2.7", 1),
				      entry(SYNCMSG_TPL, "192.0.2.0", 0) };

	return one(buf, 1472, e, 2, 1);
}

static enum syncmsg_err decode(const uint8_t *buf, size_t len)
{
	struct syncmsg_entry out[4];
	struct syncmsg_hdr h;

	return syncmsg_decode(buf, len, 1, &h, out, 4);
}

Test(syncmsg, rejects_truncated)
{
	uint8_t buf[1472];
	size_t len = good(buf), l;

	cr_assert_eq(decode(buf, len), SYNCMSG_OK);
	for (l = 0; l < SYNCMSG_HDR_LEN; l++)
		cr_expect_eq(decode(buf, l), SYNCMSG_E_SHORT, "len %zu", l);
	for (l = SYNCMSG_HDR_LEN; l < len; l++)
		cr_expect_eq(decode(buf, l), SYNCMSG_E_LENGTH, "len %zu", l);
	/* a trailing byte is not an entry either */
	cr_expect_eq(decode(buf, len + 1), SYNCMSG_E_LENGTH);
}

Test(syncmsg, rejects_hostile_headers)
{
	uint8_t buf[1472], b2[1472];
	size_t len = good(buf);

	memcpy(b2, buf, len);
	b2[0] ^= 1;
	cr_expect_eq(decode(b2, len), SYNCMSG_E_MAGIC);
	memcpy(b2, buf, len);
	b2[4] = 2;
	cr_expect_eq(decode(b2, len), SYNCMSG_E_VERSION);
	memcpy(b2, buf, len);
	b2[7] = 1;		/* a flag this version does not know */
	cr_expect_eq(decode(b2, len), SYNCMSG_E_VERSION);
	memcpy(b2, buf, len);
	b2[5] = 3;
	cr_expect_eq(decode(b2, len), SYNCMSG_E_TYPE);
	memcpy(b2, buf, len);
	b2[5] = SYNCMSG_RESYNC;	/* a request carries no entry */
	cr_expect_eq(decode(b2, len), SYNCMSG_E_LENGTH);
	memcpy(b2, buf, len);
	b2[11] = 0xff;		/* count larger than the datagram */
	cr_expect_eq(decode(b2, len), SYNCMSG_E_LENGTH);
	memcpy(b2, buf, len);
	b2[11] = 1;		/* count smaller */
	cr_expect_eq(decode(b2, len), SYNCMSG_E_LENGTH);
	memcpy(b2, buf, len);
	b2[9] ^= 4;		/* size field wrong */
	cr_expect_eq(decode(b2, len), SYNCMSG_E_LENGTH);
	memcpy(b2, buf, len);
	b2[6] = 2;
	cr_expect_eq(decode(b2, len), SYNCMSG_E_SYNCID);
}

Test(syncmsg, more_entries_than_room_refused)
{
	struct syncmsg_entry out[1];
	struct syncmsg_hdr h;
	uint8_t buf[1472];
	size_t len = good(buf);

	cr_expect_eq(syncmsg_decode(buf, len, 1, &h, out, 1), SYNCMSG_E_LENGTH);
}

/* Each entry field out of range spoils the whole datagram. */
Test(syncmsg, rejects_hostile_entries)
{
	static const struct { unsigned int off; uint8_t val; } bad[] = {
		{ 0, 0 }, { 0, 4 },		/* kind */
		{ 1, 5 }, { 1, 0 },		/* family */
		{ 2, 1 }, { 2, 0 },		/* protocol */
		{ 3, 4 }, { 3, SYNCMSG_UDP },	/* state; UDP state for TCP */
		{ 8, 0xff },			/* timeout over 31 days */
		{ 12, 0 }, { 13, 0 },		/* client port 0 */
		{ 19, 1 },			/* reserved */
		{ 24, 1 },			/* IPv4 address, junk after */
		{ 68 + 3, 1 },			/* a template has no state */
	};
	uint8_t buf[1472], b2[1472];
	size_t len = good(buf);
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b2, buf, len);
		b2[SYNCMSG_HDR_LEN + bad[i].off] = bad[i].val;
		if (bad[i].off == 12)
			b2[SYNCMSG_HDR_LEN + 13] = 0;
		cr_expect_eq(decode(b2, len), SYNCMSG_E_ENTRY, "byte %u = %u",
			     bad[i].off, bad[i].val);
	}
}

/* Random bytes never crash the decoder, and what it accepts is sane. */
Test(syncmsg, random_datagrams)
{
	struct syncmsg_entry out[32];
	struct syncmsg_hdr h;
	uint8_t buf[1472];
	unsigned int seed = 1, i, k;
	size_t len;

	for (i = 0; i < 20000; i++) {
		len = good(buf);
		/* flip a few bytes of a good one, or cut it */
		for (k = 0; k < 3; k++)
			buf[rand_r(&seed) % len] = rand_r(&seed);
		if (rand_r(&seed) % 4 == 0)
			len = rand_r(&seed) % (len + 1);
		if (syncmsg_decode(buf, len, 1, &h, out, 32) != SYNCMSG_OK)
			continue;
		cr_assert_eq(len, SYNCMSG_HDR_LEN + h.count * SYNCMSG_ENTRY_LEN);
		for (k = 0; k < h.count; k++) {
			cr_assert(out[k].kind >= SYNCMSG_DR && out[k].kind <= SYNCMSG_TPL);
			cr_assert_leq(out[k].timeout_ms, SYNCMSG_MAX_TIMEOUT_MS);
			cr_assert(out[k].caddr.family == AF_INET ||
				  out[k].caddr.family == AF_INET6);
		}
	}
}
