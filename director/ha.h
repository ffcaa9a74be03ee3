/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HA_H
#define NFLVS_HA_H

/*
 * The director's side of an active/backup pair (docs/ha.md): the role
 * keepalived's hooks give it (nflvsadm --role), and the comparison of its
 * mark table with its peer's.
 *
 * Role: master schedules; backup and fault schedule nothing and keep
 * their state (conntrack entries conntrackd brings, counts); takeover
 * schedules new connections but adopts no packet of a connection it does
 * not know (the flow path's no_adopt), since its state may still be on
 * its way.  The packet workers read the role with a relaxed load.
 *
 * Marks: conntrackd replicates the conntrack mark, which names a real
 * server (mark.h).  With director.peer set, the director sends a digest of
 * its mark table (each mark and the key of its real server) to its peer
 * every second, compares the peer's with its own, logs every change of
 * the verdict and shows it in nflvsadm --status.  A table that differs
 * means that connections synchronised from the peer would be counted, and
 * expired, against other real servers here.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "svcset.h"

#define HA_MASTER	0	/* NFLVS_CTL_ROLE_* */
#define HA_BACKUP	1
#define HA_TAKEOVER	2
#define HA_FAULT	3

enum ha_peer_state {
	HA_PEER_NONE,		/* no director.peer */
	HA_PEER_SILENT,		/* nothing heard for HA_PEER_TIMEOUT */
	HA_PEER_SAME,
	HA_PEER_DIFFERENT,
};

#define HA_PEER_INTERVAL	(1000000000ull)		/* ns */
#define HA_PEER_TIMEOUT		(3500000000ull)

/* What a director tells its peer (network byte order on the wire). */
struct ha_digest {
	uint64_t digest;
	uint32_t nmarks;
	uint32_t mask;
};

struct ha {
	int role;			/* atomic: HA_* */
	uint64_t role_since;		/* monotonic ns */
	int *no_adopt;			/* the flow path's (flowpath.h) */
	const struct svcset *set;
	int fd;				/* UDP, -1: no peer */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	char peer_str[64];
	struct ha_digest ours, theirs;
	uint64_t heard, next_send;	/* monotonic ns */
	enum ha_peer_state state;
	uint64_t mismatches;		/* changes to HA_PEER_DIFFERENT */
};

/* @peer: "addr:port" or "" (the port is also the one listened on). */
int ha_init(struct ha *h, const struct svcset *set, int *no_adopt,
	    const char *peer);
void ha_fini(struct ha *h);
/* keepalived's word: 0, or -EINVAL for an unknown role. */
int ha_set_role(struct ha *h, uint32_t role, uint64_t now);
static inline int ha_role(const struct ha *h)
{
	return __atomic_load_n(&h->role, __ATOMIC_RELAXED);
}
/* IPVS's backup_only: a backup (or faulty) director schedules nothing
 * new, in the queue or in the kernel (ksched.h). */
static inline bool ha_schedules(int role)
{
	return role != HA_BACKUP && role != HA_FAULT;
}
/* The digest of @set's marks (pure; main thread). */
struct ha_digest ha_digest_of(const struct svcset *set);
/* Compare @theirs with @ours: the new state, logged when it changes. */
enum ha_peer_state ha_compare(struct ha *h, const struct ha_digest *theirs,
			      uint64_t now);
/* The peer socket (-1 without one), what to do when it is readable, and
 * the periodic part (send, silence); main thread. */
static inline int ha_fd(const struct ha *h)
{
	return h->fd;
}
void ha_input(struct ha *h, uint64_t now);
void ha_tick(struct ha *h, uint64_t now);
/* nflvsadm --status: role, marks, peer, then the mark table. */
char *ha_status(struct ha *h, uint64_t now, size_t *len);

#endif
