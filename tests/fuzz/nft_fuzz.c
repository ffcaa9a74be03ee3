// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the nf_tables dumps the director reads back: the
 * per real server counters (GETOBJ), the DR flow maps (GETSETELEM, read
 * at a restart to keep connections) and the NAT mark maps.  The first
 * input byte chooses the reader (ruleset_parse_counters(), _flows() of
 * IPv4 or IPv6, _marks() of IPv4 or IPv6), the second the flow map, the
 * rest is what one recv() gave.  Checked: what comes out has the family
 * and map asked for, and a mark map's mark is the element's key.  A first
 * byte 0xfe reads single lookups' replies (ruleset_parse_lookups(), the
 * DR flows looked up when due; the second byte says how many were asked):
 * each answers at most once, as found, gone or unknown.  Seeds
 * are dumps the kernel sent (tests/fuzz/capture.py).
 * Build and run: make fuzz; tests/fuzz/run.sh nft_fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

struct want {
	uint8_t family;
	enum rs_flowmap map;
	unsigned long n;
};

static void counter(void *ctx, uint32_t index, bool in, uint64_t packets,
		    uint64_t bytes)
{
	(void)index;
	(void)in;
	(void)packets;
	(void)bytes;
	((struct want *)ctx)->n++;
}

static void flow(void *ctx, const struct rs_flow *f)
{
	struct want *w = ctx;

	CHECK(f->map == w->map);
	CHECK(f->saddr.family == w->family && f->daddr.family == w->family);
	w->n++;
}

static void mark(void *ctx, uint32_t m, const struct nflvs_addr *a)
{
	struct want *w = ctx;

	(void)m;
	CHECK(a->family == w->family);
	w->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct want w = { 0 };
	void *buf;
	size_t len;

	if (size < 2)
		return 0;
	len = size - 2;
	buf = malloc(len ? len : 1);	/* aligned, as a recv() buffer */
	CHECK(buf);
	memcpy(buf, data + 2, len);
	w.map = (enum rs_flowmap)(data[1] % RS_FLOWMAPS);
	if (data[0] == 0xfe) {
		struct rs_flow q[16] = { { .map = RS_FLOWS_TCP } };
		int8_t found[16];
		unsigned int n = data[1] % 16 + 1, i, replies;

		memset(found, -1, sizeof(found));
		replies = ruleset_parse_lookups(buf, len, 0, q, found, n);
		CHECK(replies <= len / 16);
		for (i = 0; i < 16; i++)
			CHECK(found[i] >= -1 && found[i] <= 1 &&
			      (i < n || found[i] == -1));
		free(buf);
		return 0;
	}
	switch (data[0] % 5) {
	case 0:
		ruleset_parse_counters(buf, len, counter, &w);
		break;
	case 1:
	case 2:
		w.family = data[0] % 5 == 1 ? AF_INET : AF_INET6;
		ruleset_parse_flows(buf, len, w.family, w.map, flow, &w);
		break;
	default:
		w.family = data[0] % 5 == 3 ? AF_INET : AF_INET6;
		ruleset_parse_marks(buf, len, w.family, mark, &w);
	}
	free(buf);
	return 0;
}
