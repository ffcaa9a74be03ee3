/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_DIRECTOR_H
#define NFLVS_DIRECTOR_H

/*
 * nflvs-director, assembled: director.c builds the modules, wires each
 * to what it needs, and runs their periodic work.  It is the only file
 * that sees struct director; main.c drives it through these calls.
 */

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "metrics.h"
#include "sync.h"

/* Size of the shared-memory tables. */
#define DIRECTOR_MAX_SERVICES	CFG_MAX_SERVICES	/* -t checks them */
#define DIRECTOR_MAX_RS		CFG_MAX_RS

/* What director_pollfds() may fill: the HA peer, the DR FIN log, control,
 * metrics, the sync daemons (conntrack events are read on the tick). */
#define DIRECTOR_POLLFDS	(2 + (CONTROL_CLIENTS + 1) + (METRICS_CLIENTS + 1) + \
				 SYNC_POLLFDS)

/* Every 5 ms: health results are seen this fast. */
#define DIRECTOR_TICK_MS	5

struct director;

/* Build everything from @cfg (taken: left empty) and apply it; no kernel
 * state is touched yet.  NULL with the reason logged. */
struct director *director_new(struct nflvs_config *cfg);
/* Probe the kernel, start the queue workers, apply the ruleset, listen on
 * the control socket and the metrics endpoint. */
int director_start(struct director *d);
/* Stop; with @keep the ruleset, routes and shared memory stay for the
 * next start (-k), else they go. */
void director_stop(struct director *d, bool keep);
void director_free(struct director *d);

/* The main loop: the fds to poll (at most @max), their work, and the
 * timer of DIRECTOR_TICK_MS (@ticks of it since the last call). */
int director_pollfds(struct director *d, struct pollfd *p, int max);
void director_events(struct director *d, const struct pollfd *p, int n);
void director_timer(struct director *d, uint64_t ticks);

/*
 * Re-read the config file: validate all of it, then apply the difference.
 * On any error the running state stays as it was and @errs says why
 * (FILE:LINE: message).
 */
int director_reload(struct director *d, struct cfg_errors *errs);
const char *director_config_path(const struct director *d);

#endif
