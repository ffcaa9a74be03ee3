// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * epoll plus a timer heap.  Thousands of checks each own two timers (next
 * start, deadline), so arming and cancelling are O(log n) and firing takes
 * the heap's top; the loop sleeps in epoll_wait until the earliest timer
 * (rounded up to the next millisecond, so a timer never fires early).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

#define EVENTS_MAX	256

uint64_t evloop_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t evloop_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int evloop_init(struct evloop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->now = evloop_clock();
	return 0;
}

static void evloop_bury(struct evloop *l)
{
	size_t i;

	for (i = 0; i < l->ngrave; i++)
		free(l->grave[i]);
	l->ngrave = 0;
}

void evloop_free(struct evloop *l)
{
	evloop_bury(l);
	free(l->grave);
	free(l->heap);
	if (l->epfd >= 0)
		close(l->epfd);
	memset(l, 0, sizeof(*l));
	l->epfd = -1;
}

int evloop_watch_add(struct evloop *l, struct watch *w, int fd,
		     uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->events = events;
	w->dead = false;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->fd = -1;
		return -errno;
	}
	return 0;
}

int evloop_watch_mod(struct evloop *l, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void evloop_watch_del(struct evloop *l, struct watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1;
	w->dead = true;
}

void evloop_defer_free(struct evloop *l, void *p)
{
	void **n;

	if (l->ngrave == l->capgrave) {
		size_t cap = l->capgrave ? l->capgrave * 2 : 64;

		n = realloc(l->grave, cap * sizeof(*n));
		if (!n) {
			/* better a leak than a use after free */
			return;
		}
		l->grave = n;
		l->capgrave = cap;
	}
	l->grave[l->ngrave++] = p;
}

/* ---- the timer heap ---------------------------------------------------- */

static void heap_put(struct evloop *l, size_t i, struct timer *t)
{
	l->heap[i] = t;
	t->pos = i + 1;
}

static void heap_up(struct evloop *l, size_t i)
{
	struct timer *t = l->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (l->heap[p]->when <= t->when)
			break;
		heap_put(l, i, l->heap[p]);
		i = p;
	}
	heap_put(l, i, t);
}

static void heap_down(struct evloop *l, size_t i)
{
	struct timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n)
			break;
		if (c + 1 < l->n && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (t->when <= l->heap[c]->when)
			break;
		heap_put(l, i, l->heap[c]);
		i = c;
	}
	heap_put(l, i, t);
}

void evloop_timer_del(struct evloop *l, struct timer *t)
{
	struct timer *moved;
	size_t i;

	if (!t->pos)
		return;
	i = t->pos - 1;
	t->pos = 0;
	if (i == --l->n)
		return;
	moved = l->heap[l->n];
	heap_put(l, i, moved);
	heap_up(l, i);
	if (moved->pos == i + 1)
		heap_down(l, i);
}

void evloop_timer_set(struct evloop *l, struct timer *t, uint64_t when)
{
	if (t->pos) {
		t->when = when;
		heap_up(l, t->pos - 1);
		heap_down(l, t->pos - 1);
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct timer **n = realloc(l->heap, cap * sizeof(*n));

		if (!n)
			abort();	/* a lost timer is a stuck check */
		l->heap = n;
		l->cap = cap;
	}
	t->when = when;
	heap_put(l, l->n++, t);
	heap_up(l, l->n - 1);
}

uint64_t evloop_next(const struct evloop *l)
{
	return l->n ? l->heap[0]->when : UINT64_MAX;
}

static int evloop_wait_ms(const struct evloop *l, int max_ms)
{
	uint64_t next = evloop_next(l), now = evloop_clock();
	uint64_t ms;

	if (next == UINT64_MAX)
		return max_ms;
	if (next <= now)
		return 0;
	ms = (next - now + 999999) / 1000000;
	if (max_ms >= 0 && ms > (uint64_t)max_ms)
		return max_ms;
	return ms > 86400000 ? 86400000 : (int)ms;
}

static void evloop_fire(struct evloop *l)
{
	/* bounded, so a timer that re-arms itself at "now" cannot spin */
	size_t budget = l->n + 64;

	l->now = evloop_clock();
	while (l->n && l->heap[0]->when <= l->now && budget--) {
		struct timer *t = l->heap[0];

		evloop_timer_del(l, t);
		t->fn(t);
	}
}

int evloop_run_once(struct evloop *l, int max_ms)
{
	struct epoll_event ev[EVENTS_MAX];
	int i, n;

	n = epoll_wait(l->epfd, ev, EVENTS_MAX, evloop_wait_ms(l, max_ms));
	if (n < 0 && errno != EINTR)
		return -errno;
	l->now = evloop_clock();
	for (i = 0; i < n; i++) {
		struct watch *w = ev[i].data.ptr;

		if (!w->dead)
			w->fn(w, ev[i].events);
	}
	evloop_fire(l);
	evloop_bury(l);
	return 0;
}
