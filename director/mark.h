/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_MARK_H
#define NFLVS_MARK_H

/*
 * Packet/conntrack mark values under director.mark_mask, one per real
 * server of a service.  Value 0 means "not ours"; the lowest free value is
 * handed out so that the same config yields the same marks after a restart
 * (conntrack entries made before it keep pointing at the right server).
 */

#include <stdint.h>

struct markspace {
	uint32_t mask;
	unsigned int shift;
	uint32_t max;		/* largest index (mask >> shift, capped) */
	uint32_t hint;		/* no free index below it */
	uint8_t *used;		/* bitmap, bit i = index i taken */
};

#define MARK_MAX_INDEX	((1u << 20) - 1)

int mark_init(struct markspace *m, uint32_t mask);
void mark_fini(struct markspace *m);
/* A free mark value (index << shift), or 0 if all are taken. */
uint32_t mark_alloc(struct markspace *m);
void mark_free(struct markspace *m, uint32_t mark);
uint32_t mark_capacity(const struct markspace *m);

#endif
