// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "syncmsg.h"

static const char *const errs[SYNCMSG_ERRS] = {
	[SYNCMSG_OK] = "ok",
	[SYNCMSG_E_SHORT] = "shorter than a header",
	[SYNCMSG_E_MAGIC] = "not a sync message",
	[SYNCMSG_E_VERSION] = "unknown version",
	[SYNCMSG_E_LENGTH] = "length does not match its entries",
	[SYNCMSG_E_TYPE] = "unknown type",
	[SYNCMSG_E_SYNCID] = "another sync id",
	[SYNCMSG_E_ENTRY] = "an entry out of range",
};

const char *syncmsg_strerror(enum syncmsg_err e)
{
	return (unsigned int)e < SYNCMSG_ERRS ? errs[e] : "?";
}

unsigned int syncmsg_capacity(size_t maxlen)
{
	size_t n;

	if (maxlen < SYNCMSG_HDR_LEN + SYNCMSG_ENTRY_LEN)
		return 0;
	n = (maxlen - SYNCMSG_HDR_LEN) / SYNCMSG_ENTRY_LEN;
	/* size is a u16 */
	return n > (0xffff - SYNCMSG_HDR_LEN) / SYNCMSG_ENTRY_LEN ?
	       (0xffff - SYNCMSG_HDR_LEN) / SYNCMSG_ENTRY_LEN : n;
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ntohs(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

size_t syncmsg_put_hdr(uint8_t *buf, const struct syncmsg_hdr *h)
{
	size_t size = SYNCMSG_HDR_LEN + (size_t)h->count * SYNCMSG_ENTRY_LEN;

	put32(buf, SYNCMSG_MAGIC);
	buf[4] = SYNCMSG_VERSION;
	buf[5] = h->type;
	buf[6] = h->syncid;
	buf[7] = 0;
	put16(buf + 8, size);
	put16(buf + 10, h->count);
	put32(buf + 12, h->sender);
	return SYNCMSG_HDR_LEN;
}

static void put_addr(uint8_t *p, const struct nflvs_addr *a)
{
	memset(p, 0, 16);
	memcpy(p, a->b, a->family == AF_INET6 ? 16 : 4);
}

void syncmsg_put_entry(uint8_t *buf, const struct syncmsg_entry *e)
{
	buf[0] = e->kind;
	buf[1] = e->caddr.family == AF_INET6 ? 6 : 4;
	buf[2] = e->protocol;
	buf[3] = e->state;
	put32(buf + 4, e->fwmark);
	put32(buf + 8, e->timeout_ms);
	put16(buf + 12, e->cport);
	put16(buf + 14, e->vport);
	put16(buf + 16, e->dport);
	put16(buf + 18, 0);
	put_addr(buf + 20, &e->caddr);
	put_addr(buf + 36, &e->vaddr);
	put_addr(buf + 52, &e->daddr);
}

/* An address of @family: an IPv4 one's last 12 bytes must be 0. */
static int get_addr(const uint8_t *p, uint8_t family, struct nflvs_addr *a)
{
	static const uint8_t zero[12];

	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET6) {
		memcpy(a->b, p, 16);
		return 0;
	}
	memcpy(a->b, p, 4);
	return memcmp(p + 4, zero, 12) ? -1 : 0;
}

static int get_entry(const uint8_t *p, struct syncmsg_entry *e)
{
	uint8_t family = p[1] == 6 ? AF_INET6 : p[1] == 4 ? AF_INET : 0;
	bool tpl = p[0] == SYNCMSG_TPL;

	memset(e, 0, sizeof(*e));
	e->kind = p[0];
	e->protocol = p[2];
	e->state = p[3];
	e->fwmark = get32(p + 4);
	e->timeout_ms = get32(p + 8);
	e->cport = get16(p + 12);
	e->vport = get16(p + 14);
	e->dport = get16(p + 16);
	if (e->kind < SYNCMSG_DR || e->kind > SYNCMSG_TPL || !family ||
	    get16(p + 18) != 0)
		return -1;
	if (e->protocol != IPPROTO_TCP && e->protocol != IPPROTO_UDP &&
	    e->protocol != IPPROTO_SCTP)
		return -1;
	if (tpl ? e->state != 0 : e->state > SYNCMSG_UDP)
		return -1;
	/* TCP flows follow TCP's states, the others are datagram flows */
	if (!tpl && (e->protocol == IPPROTO_TCP) == (e->state == SYNCMSG_UDP))
		return -1;
	if (e->timeout_ms > SYNCMSG_MAX_TIMEOUT_MS)
		return -1;
	/* a flow has both ports (a real server of a firewall-mark service
	 * may have none) */
	if (!tpl && (!e->cport || !e->vport))
		return -1;
	if (get_addr(p + 20, family, &e->caddr) ||
	    get_addr(p + 36, family, &e->vaddr) ||
	    get_addr(p + 52, family, &e->daddr))
		return -1;
	return 0;
}

enum syncmsg_err syncmsg_decode(const uint8_t *buf, size_t len,
				uint8_t syncid, struct syncmsg_hdr *h,
				struct syncmsg_entry *e, unsigned int max)
{
	unsigned int i;

	if (len < SYNCMSG_HDR_LEN)
		return SYNCMSG_E_SHORT;
	if (get32(buf) != SYNCMSG_MAGIC)
		return SYNCMSG_E_MAGIC;
	if (buf[4] != SYNCMSG_VERSION || buf[7] != 0)
		return SYNCMSG_E_VERSION;
	h->type = buf[5];
	h->syncid = buf[6];
	h->count = get16(buf + 10);
	h->sender = get32(buf + 12);
	if (get16(buf + 8) != len ||
	    len != SYNCMSG_HDR_LEN + (size_t)h->count * SYNCMSG_ENTRY_LEN)
		return SYNCMSG_E_LENGTH;
	if (h->type != SYNCMSG_ENTRIES && h->type != SYNCMSG_RESYNC)
		return SYNCMSG_E_TYPE;
	if (h->type == SYNCMSG_RESYNC && h->count)
		return SYNCMSG_E_LENGTH;
	if (h->syncid != syncid)
		return SYNCMSG_E_SYNCID;
	if (e && h->count > max)
		return SYNCMSG_E_LENGTH;
	for (i = 0; e && i < h->count; i++)
		if (get_entry(buf + SYNCMSG_HDR_LEN + i * SYNCMSG_ENTRY_LEN,
			      &e[i]) < 0)
			return SYNCMSG_E_ENTRY;
	return SYNCMSG_OK;
}

void syncmsg_batch_init(struct syncmsg_batch *b, uint8_t *buf, size_t maxlen,
			uint8_t syncid, uint32_t sender)
{
	*b = (struct syncmsg_batch){
		.buf = buf, .cap = syncmsg_capacity(maxlen),
		.hdr = { .type = SYNCMSG_ENTRIES, .syncid = syncid,
			 .sender = sender },
	};
}

int syncmsg_batch_add(struct syncmsg_batch *b, const struct syncmsg_entry *e)
{
	if (b->hdr.count >= b->cap)
		return -ENOSPC;
	syncmsg_put_entry(b->buf + SYNCMSG_HDR_LEN +
			  (size_t)b->hdr.count * SYNCMSG_ENTRY_LEN, e);
	b->hdr.count++;
	return 0;
}

size_t syncmsg_batch_finish(struct syncmsg_batch *b)
{
	if (!b->hdr.count)
		return 0;
	syncmsg_put_hdr(b->buf, &b->hdr);
	return SYNCMSG_HDR_LEN + (size_t)b->hdr.count * SYNCMSG_ENTRY_LEN;
}

void syncmsg_batch_reset(struct syncmsg_batch *b)
{
	b->hdr.count = 0;
}
