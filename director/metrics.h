/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_METRICS_H
#define NFLVS_METRICS_H

/*
 * A Prometheus endpoint (director.metrics = "ADDRESS:PORT", off when
 * empty): GET /metrics returns the text exposition format with the same
 * figures nflvsadm --stats shows, plus health state, effective weight and
 * check latency of every real server.
 */

#include <poll.h>
#include <stddef.h>

#define METRICS_CLIENTS	8

struct metrics {
	int lfd;
	int client[METRICS_CLIENTS];
};

struct director;

int metrics_open(struct director *d);
void metrics_close(struct director *d);
int metrics_pollfds(struct director *d, struct pollfd *p, int max);
void metrics_handle(struct director *d, const struct pollfd *p, int n);

/* The page itself (tests call this): a malloc'd string. */
char *metrics_render(struct director *d, size_t *len);

#endif
