/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_TUNBPF_H
#define NFLVS_TUNBPF_H

/*
 * TUN encapsulated in the kernel: the tc egress program of
 * bpf/tun_encap.bpf.c, built with clang and embedded in the director,
 * loaded with libbpf.  It encapsulates each packet whose mark names a
 * real server of its map (bpf/tunbpf.h), with the headers encap.c builds.
 *
 * The director keeps the decision for a flow's first packet: the packet
 * goes back to the kernel with the real server's mark, the kernel's flow
 * maps learn the flow as for DR (ruleset.c), the mark's policy route
 * (dr.c) sends it toward the real server with the tunnel's room as MTU,
 * and this program puts the outer headers on as it leaves.  Where the
 * program cannot be loaded, or a real server's tunnel is one it does not
 * build (checksums, another family than the service's), tun.c's user
 * space path carries that real server's packets.
 *
 * The filter stays on its devices when the director stops with -k or is
 * killed, so that established flows keep going; the next director
 * replaces it (and its map) with its own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "encap.h"

struct tunbpf;

/*
 * Load the program.  NULL, with @why saying why, when it cannot be:
 * NFLVS_NO_BPF is set in the environment, no permission, an old kernel.
 */
struct tunbpf *tunbpf_open(uint32_t mark_mask, char *why, size_t whylen);
/* Unload; @detach: take the filters off the devices too. */
void tunbpf_close(struct tunbpf *tb, bool detach);

/* The filter on @ifindex's egress (clsact made if missing, a previous
 * director's filter replaced): 0 or -errno. */
int tunbpf_attach(struct tunbpf *tb, int ifindex);

/* Does the program build @t's tunnel, for a service of @vip_family to a
 * real server of @rs_family? */
bool tunbpf_suits(const struct cfg_tunnel *t, uint8_t vip_family,
		  uint8_t rs_family);

/* Packets marked @mark (under the mask) go out with @e's headers. */
int tunbpf_dest_set(struct tunbpf *tb, uint32_t mark, const struct encap *e);
void tunbpf_dest_del(struct tunbpf *tb, uint32_t mark);

/* The program, for BPF_PROG_TEST_RUN (tests). */
int tunbpf_prog_fd(const struct tunbpf *tb);

#endif
