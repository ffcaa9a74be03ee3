/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_EVLOOP_H
#define NFLVS_HC_EVLOOP_H

/*
 * The checker's one event loop: epoll for file descriptors, a binary heap
 * of timers on CLOCK_MONOTONIC (epoll_wait sleeps until the earliest).
 * Callbacks find their owner with container_of().  A watch removed while
 * events are being dispatched is flagged dead and skipped; memory that an
 * event of the same batch may still point at is freed after the batch
 * (evloop_defer_free).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct watch {
	int fd;			/* -1 = not added */
	uint32_t events;	/* EPOLL* */
	bool dead;
	void (*fn)(struct watch *w, uint32_t events);
};

struct timer {
	uint64_t when;		/* CLOCK_MONOTONIC ns */
	size_t pos;		/* heap index + 1; 0 = not armed */
	void (*fn)(struct timer *t);
};

struct evloop {
	int epfd;
	uint64_t now;		/* monotonic ns, refreshed per dispatch */
	struct timer **heap;
	size_t n, cap;
	void **grave;		/* freed after the current batch */
	size_t ngrave, capgrave;
};

uint64_t evloop_clock(void);
/* CLOCK_REALTIME ns, as published in the shared memory */
uint64_t evloop_realtime(void);

int evloop_init(struct evloop *l);
void evloop_free(struct evloop *l);

/* Returns 0 or -errno. */
int evloop_watch_add(struct evloop *l, struct watch *w, int fd,
		     uint32_t events);
int evloop_watch_mod(struct evloop *l, struct watch *w, uint32_t events);
/* Stop watching (does not close the fd).  Safe on a watch never added. */
void evloop_watch_del(struct evloop *l, struct watch *w);
/* free(@p) once the events of the current batch are dispatched. */
void evloop_defer_free(struct evloop *l, void *p);

void evloop_timer_set(struct evloop *l, struct timer *t, uint64_t when);
void evloop_timer_del(struct evloop *l, struct timer *t);
static inline bool evloop_timer_armed(const struct timer *t)
{
	return t->pos != 0;
}
/* When the earliest timer is due, or UINT64_MAX. */
uint64_t evloop_next(const struct evloop *l);

/*
 * Wait for events (at most @max_ms, -1 = until the next timer) and
 * dispatch them, then every timer that is due.  Returns 0 or -errno.
 */
int evloop_run_once(struct evloop *l, int max_ms);

#endif
