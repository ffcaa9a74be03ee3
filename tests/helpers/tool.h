/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_TESTS_TOOL_H
#define NFLVS_TESTS_TOOL_H

/*
 * What the test helpers (nflvs-testnet, nflvs-decap) share: stopping on a
 * signal without a race, time, files that readers poll, host addresses.
 */
#include <signal.h>
#include <stdint.h>

#include "addr.h"

/*
 * SIGTERM and SIGINT stay blocked except while a helper sleeps with
 * wait_mask (ppoll(), epoll_pwait()), so a signal cannot slip in between a
 * check of stop_requested and going to sleep.  SIGPIPE is ignored.
 */
extern volatile sig_atomic_t stop_requested;
extern sigset_t wait_mask;
void signals_setup(void);

int64_t now_ms(void);		/* CLOCK_MONOTONIC */

/* An empty file at @path (a ready file); 0 or -errno. */
int file_touch(const char *path);

/* @path holds @line, written to a temporary file and renamed, so that a
 * reader never sees it half-written; 0 or -errno. */
int file_replace(const char *path, const char *line);

/* "10.0.0.1", "2001:db8::1" or "[2001:db8::1]"; 0 or -EINVAL. */
int parse_host(const char *s, struct nflvs_addr *a);

#endif
