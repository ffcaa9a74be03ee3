/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_FILE_H
#define NFLVS_HC_CHECK_FILE_H

#include <stdint.h>

#include "checker.h"

/*
 * file (keepalived's FILE_CHECK on a track_file): a number read from a
 * file, times file_weight, moves the real server's weight or puts it down.
 */
extern const struct check_ops check_file_ops;

/* The weight a file check may give at most: the config's weight range. */
#define FILE_WEIGHT_MAX	65535

/*
 * The number in @text as keepalived reads it (strtol, base 0: "12",
 * "-3", "0x1f", "017"; no number at all is 0).  0, or -ERANGE for a number
 * below -2147483648 or above 2147483648, which keepalived ignores.
 */
int file_value_parse(const char *text, int64_t *v);

/*
 * keepalived's verdict on value @v for check @c, the real server's
 * configured weight being @conf: down (its fault state), or up with the
 * weight (-1 = the configured one).
 */
void file_verdict(int64_t v, const struct cfg_check *c, int conf,
		  struct probe_result *r);

#endif
