/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_MARK_H
#define NFLVS_MARK_H

/*
 * Packet/conntrack mark values under director.mark_mask, one per real
 * server of a service.  Value 0 means "not ours".
 *
 * conntrackd copies conntrack marks from one director to the other, and a
 * restarted director finds the conntrack entries of its previous run, so
 * a mark must name the same real server of the same service on every
 * director whatever history of reloads and nflvsadm edits each went
 * through.  A real server's mark is therefore a function of its key (its
 * address and port and its service, as the rsN counters' comments spell
 * it): the index the key hashes to (FNV-1a), or, when that one is taken,
 * the next free one after it (linear probing, wrapping).  A change that
 * adds several real servers gives them their marks in the order of their
 * keys, so two directors with the same real servers agree however each
 * one's file lists them; marks only differ between directors when two
 * keys collide and were added in a different order, which the directors
 * detect by comparing digests of their tables (peer.h).
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
/* A free mark value (index << shift), the lowest one, or 0 if all are
 * taken. */
uint32_t mark_alloc(struct markspace *m);
/* The index @key hashes to (1..max). */
uint32_t mark_home(const struct markspace *m, const char *key);
/* The mark for @key: index @prefer when it is free (a restart keeps the
 * marks the kernel has), else @key's home index or the first free one
 * after it; 0 if all are taken. */
uint32_t mark_alloc_key(struct markspace *m, const char *key, uint32_t prefer);
/* Take the mark of index @index, if free: its value, or 0. */
uint32_t mark_take_index(struct markspace *m, uint32_t index);
void mark_free(struct markspace *m, uint32_t mark);
uint32_t mark_capacity(const struct markspace *m);

#endif
