/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_NOTIFY_H
#define NFLVS_NOTIFY_H

/*
 * The service manager's notification protocol (sd_notify(3)), without
 * libsystemd: one datagram of newline-separated KEY=VALUE assignments to
 * the AF_UNIX socket that $NOTIFY_SOCKET names, a path or, with a leading
 * '@', an abstract name.  Units of Type=notify wait for READY=1.
 */

/*
 * Send @state ("READY=1", "STOPPING=1", ...).  1 when sent, 0 when no
 * service manager asked for it ($NOTIFY_SOCKET unset or empty), -errno.
 */
int notify_send(const char *state);

/*
 * RELOADING=1 with MONOTONIC_USEC (which newer systemd wants with it);
 * READY=1 ends the reload.  Returns as notify_send().
 */
int notify_reloading(void);

#endif
