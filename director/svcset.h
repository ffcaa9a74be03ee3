/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SVCSET_H
#define NFLVS_SVCSET_H

/*
 * The running virtual services: the list in config order, the table that
 * packets are matched against, the services removed from the config whose
 * real servers still drain, and every destination by its mark.
 *
 * Locks, in the order they are taken:
 *
 *   svcset.lock    packet workers and readers hold it for reading; a
 *                  change of the configuration and the reaper for
 *                  writing.  A destination is freed only under it held
 *                  for writing, so a reader may use any destination it
 *                  finds, also after dropping the locks below.
 *   flowpath.lock  the DR/TUN flows (flowpath.h)
 *   service.lock   one service's scheduling state and counts
 *
 * The main thread is the only writer of the list and of the mark index,
 * so it may read them without the lock.
 */

#include <pthread.h>
#include <stdint.h>

#include "mark.h"
#include "service.h"
#include "svctab.h"

struct svcset {
	pthread_rwlock_t lock;
	struct service **svc;		/* config order */
	unsigned int nsvc;
	struct svctab tab;
	struct service **dead;		/* removed, real servers draining */
	unsigned int ndead;
	struct markspace marks;
	struct dest **bymark;		/* mark index -> destination */
	bool tun_kernel;		/* TUN flows in the kernel's flow maps
					   where the tunnel suits (tunbpf.h) */
	struct svcset_prev *prev;	/* a previous run's marks, by key */
	unsigned int nprev;
};

/* A mark the kernel's table had before a restart, and whose it was. */
struct svcset_prev {
	uint32_t index;
	char *key;
};

int svcset_init(struct svcset *s, uint32_t mark_mask);
/* Frees the set's own memory; its services are the caller's to free. */
void svcset_fini(struct svcset *s);

/* The mark under the mask of @mark, as an index (0: none). */
static inline uint32_t svcset_mark_index(const struct svcset *s, uint32_t mark)
{
	return (mark & s->marks.mask) >> s->marks.shift;
}

/* The destination whose mark @mark carries (bits outside the mask are
 * ignored), or NULL. */
struct dest *svcset_by_mark(const struct svcset *s, uint32_t mark);
struct dest *svcset_by_index(const struct svcset *s, uint32_t index);
/* Destinations the mask leaves room for. */
uint32_t svcset_capacity(const struct svcset *s);

/* Give @dst a free mark and index it: 0, or -ENOSPC.  With @key (its
 * mark key, service_mark_key()), the mark a previous run gave that key
 * when it is free, else the key's own (mark.h); without, the lowest. */
int svcset_mark_take(struct svcset *s, struct dest *dst, const char *key);
/* Remember that a previous run had given @key index @index (a restart):
 * 0 or -ENOMEM.  svcset_prev_done() forgets them all. */
int svcset_prev_add(struct svcset *s, uint32_t index, const char *key);
void svcset_prev_done(struct svcset *s);
void svcset_mark_release(struct svcset *s, struct dest *dst);

/* The service of a new connection (svctab_lookup); under the lock. */
struct service *svcset_lookup(const struct svcset *s, uint32_t mark,
			      uint8_t family, uint8_t proto,
			      const struct nflvs_addr *addr, uint16_t port);

/*
 * Under the write lock: @v (@n services, config order, with @tab built
 * for them) becomes the list; the old list and table are freed.
 */
void svcset_replace(struct svcset *s, struct service **v, unsigned int n,
		    struct svctab *tab);
/* @svc left the config but still has connections: keep it. -ENOMEM. */
int svcset_bury(struct svcset *s, struct service *svc);

#endif
