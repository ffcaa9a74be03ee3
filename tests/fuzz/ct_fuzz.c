// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for conntrack's messages as the director reads them:
 * the input is what one recv() on the event socket (or one part of a
 * dump) gives, netlink messages for ctrack_parse(), which is what
 * ctrack_read() and ctrack_resync() do with them.  The first two bytes
 * choose the mark mask (a contiguous run of bits, as director.mark_mask).
 * Checked: the accounting callback's moves add up to the entries in the
 * table, every entry has a mark under the mask and an address family, and
 * ctrack_overdue() and ctrack_foreach() see them all.  Seeds are
 * messages the kernel sent, captured in a namespace (tests/fuzz/README).
 * Build and run: make fuzz; tests/fuzz/run.sh ct_fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctrack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

#define S		1000000000ull

struct tally {
	long n[3];			/* by enum ct_class */
	uint32_t mask;
};

static void account(void *ctx, uint32_t mark, enum ct_class old,
		    enum ct_class cls, const struct ct_event *ev)
{
	struct tally *t = ctx;

	(void)ev;
	CHECK(mark && !(mark & ~t->mask));
	CHECK(old != cls);
	CHECK((unsigned int)old < 3 && (unsigned int)cls < 3);
	t->n[old]--;
	t->n[cls]++;
}

static void each(void *ctx, const struct ct_event *ev, uint32_t mark,
		 uint64_t expires)
{
	size_t *n = ctx;

	(void)expires;
	CHECK(mark);
	CHECK(ev->src.family == AF_INET || ev->src.family == AF_INET6);
	CHECK(ev->dst.family == ev->src.family);
	CHECK(ctrack_state_name(ev->l4proto, ev->state) != NULL);
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally tally = { { 0 }, 0 };
	struct ct_event out[64];
	struct ctrack t;
	unsigned int shift, width;
	void *msgs;
	uint32_t mask;
	size_t seen = 0;
	unsigned int over;

	if (size < 2)
		return 0;
	shift = 8 + data[0] % 24;
	width = 1 + data[1] % (32 - shift);
	mask = (uint32_t)(((1ull << width) - 1) << shift);
	tally.mask = mask;
	CHECK(ctrack_init(&t, mask, account, &tally) == 0);
	/* aligned, as a recv() buffer */
	msgs = malloc(size - 2 ? size - 2 : 1);
	CHECK(msgs);
	memcpy(msgs, data + 2, size - 2);

	ctrack_parse(&t, msgs, size - 2, 10 * S);
	/* a second time: the same ids again, updated */
	ctrack_parse(&t, msgs, size - 2, 20 * S);
	free(msgs);

	CHECK(tally.n[1] >= 0 && tally.n[2] >= 0);
	CHECK((uint64_t)(tally.n[1] + tally.n[2]) == t.stats.tracked);
	ctrack_foreach(&t, each, &seen);
	CHECK(seen == t.stats.tracked);
	over = ctrack_overdue(&t, ~0ull, out, 64);
	CHECK(over <= 64 && over <= seen);
	ctrack_fini(&t);
	return 0;
}
