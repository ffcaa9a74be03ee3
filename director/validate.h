/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_VALIDATE_H
#define NFLVS_VALIDATE_H

/*
 * What the director can run, on top of config_load()'s checks of the file
 * itself: schedulers this build has, firewall marks clear of the
 * director's mark bits, one-packet services whose replies can be told
 * apart, services that forward with one kind of method, and room for it
 * all (config_check_room()).  Used by -t, at start, at reload and for
 * nflvsadm's changes: -t refuses what start-up would.
 */

#include "config.h"

/* Append an error per problem to @errs: the number appended. */
int validate_config(const struct nflvs_config *cfg, struct cfg_errors *errs);

#endif
