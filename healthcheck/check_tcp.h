/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECK_TCP_H
#define NFLVS_HC_CHECK_TCP_H

#include "checker.h"

/* tcp: a non-blocking connect; up when it completes in time. */
extern const struct check_ops check_tcp_ops;

/*
 * For the checks that talk over TCP (smtp): start a non-blocking connect
 * to t->sa and watch @w (its fn set) for EPOLLOUT, which fires when the
 * connect has a result.  0, or -errno with nothing left open.
 */
int check_tcp_connect(struct target *t, struct watch *w);
/* The connect's result when @w fired: 0 or an errno. */
int check_tcp_result(const struct watch *w);
/* Stop watching and close with a reset (no TIME_WAIT); safe when closed. */
void check_tcp_close(struct evloop *l, struct watch *w);

#endif
