/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_TCP_H
#define NFLVS_HC_CHECK_TCP_H

#include "checker.h"

/* tcp: a non-blocking connect; up when it completes in time. */
extern const struct check_ops check_tcp_ops;

#endif
