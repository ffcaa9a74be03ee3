/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_TUN_H
#define NFLVS_TUN_H

/*
 * TUN forwarding (IPVS's -i): every packet of a TUN flow goes out
 * encapsulated (ipip, gre or gue, built by encap.c) on a raw socket of
 * the sending thread, and the original is dropped.  Kernels without
 * tunnel devices cannot do this for us.  A TUN real server's outer
 * headers (dst->encap) come from the route toward it: its source address
 * and path MTU.
 */

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "flows.h"
#include "route.h"
#include "service.h"
#include "svcset.h"

/* Can @rc be reached through a tunnel, by the route @ri?  0, or -errno
 * with @err saying why. */
int tun_check(const struct cfg_rs *rc, const struct route_info *ri,
	      char *err, size_t errlen);
/* Set up @dst's outer headers (if not yet): 0 or -errno. */
int tun_dest_up(struct dest *dst);
void tun_dest_down(struct dest *dst);
/* The path MTU toward the TUN real servers may have changed. */
void tun_refresh(struct svcset *set);

/*
 * Encapsulate the packet @pkt of flow @k and send it to @dst (workers;
 * each thread has its sockets and buffer, freed when it exits).
 */
void tun_send(struct dest *dst, const struct flow_key *k, const void *pkt,
	      uint32_t len, struct dir_counters *cnt);
/* Free the calling thread's sockets and buffer now: the main thread, which
 * does not exit as the workers do (LSan saw its buffer at stop). */
void tun_thread_done(void);

#endif
