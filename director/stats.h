/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_STATS_H
#define NFLVS_STATS_H

/*
 * Statistics as ipvsadm --stats / --rate show them: connections scheduled
 * (counted by the director), packets and bytes in and out (the kernel's
 * named counters rsN_in / rsN_out, no per-packet userspace work), and
 * rates estimated as IPVS's estimator does: a sample every 2 s, averaged
 * with a weight of 1/4.
 */

#include <stdint.h>

#include <nflvs/ctl.h>

#include "service.h"
#include "svcset.h"

#define STATS_PERIOD_S	2

/* Read the counters of @table's ruleset into the services of @set; every
 * STATS_PERIOD_S (@sample) also update the rates. */
void stats_refresh(struct svcset *set, const char *table, bool sample);

/* What ipvsadm shows: since the last -Z, with rates. */
void stats_dest(const struct dest *dst, struct nflvs_ctl_stats *out);
void stats_service(const struct service *svc, struct nflvs_ctl_stats *out);
/* -Z: set the current values aside. */
void stats_zero_service(struct service *svc);
/* A real server is freed: keep its totals in its service's. */
void stats_dest_gone(struct service *svc, const struct dest *dst);

/* The estimator, pure: fold a sample taken @secs after the last. */
void rates_update(struct rates *r, const struct stats *now, unsigned int secs);

#endif
