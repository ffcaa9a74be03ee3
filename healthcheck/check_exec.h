/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_EXEC_H
#define NFLVS_HC_CHECK_EXEC_H

#include "checker.h"

/*
 * exec: run argv (no shell) in its own process group with NFLVS_RS_ADDR,
 * NFLVS_RS_PORT, NFLVS_VIP, NFLVS_VPORT (and NFLVS_SERVICE, NFLVS_FWMARK)
 * in its environment; the group is killed at the timeout.
 */
extern const struct check_ops check_exec_ops;

/*
 * What a wait status means (keepalived's misc_dynamic): exit 0 up with
 * the configured weight, 1 down, 2..255 up with weight = code - 2; killed
 * by a signal: down.
 */
void check_exec_eval(int wstatus, struct probe_result *r);

/* Kill and reap the process groups of checks cut short (at exit). */
void check_exec_reap_all(struct checker *c);

#endif
