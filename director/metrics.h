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
#include <stdint.h>

#include "counters.h"
#include "shm_map.h"
#include "sockset.h"
#include "svcset.h"

#define METRICS_CLIENTS		8
#define METRICS_TIMEOUT_MS	2000	/* a request and its answer */
#define METRICS_REQ_MAX		8192	/* bytes of a request's head */

struct metrics {
	struct sockset socks;
	struct svcset *set;
	struct shm_map *shm;			/* health of the real servers */
	const struct dir_counters *counters;
};

/* Listen on "ADDRESS:PORT" (nothing when @listen_on is ""). */
int metrics_open(struct metrics *m, const char *listen_on, struct svcset *set,
		 struct shm_map *shm, const struct dir_counters *cnt);
void metrics_close(struct metrics *m);
int metrics_pollfds(struct metrics *m, struct pollfd *p, int max);
void metrics_handle(struct metrics *m, const struct pollfd *p, int n,
		    uint64_t now);
/* Close the clients past their request's deadline at @now. */
void metrics_expire(struct metrics *m, uint64_t now);

/* The page itself (tests call this): a malloc'd string. */
char *metrics_render(const struct metrics *m, size_t *len);

#endif
