/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SYNC_H
#define NFLVS_SYNC_H

/*
 * State sync, as IPVS's sync daemon: what conntrack does not carry (DR
 * flows, TUN flows, persistence templates) goes from the master director
 * to the backup over UDP, multicast or unicast, in the versioned
 * datagrams of syncmsg.h.  The master sends an entry when it is made
 * (sync_event(), from the packet path), everything it has again every
 * refresh period (the walk hook), and everything at once when a backup
 * asks (a backup asks when it starts, until it hears from a master).  The
 * backup hands what it receives to the install hook, which puts it in
 * its own flow maps and tables.  A master and a backup may run in one
 * director at once, as in IPVS.
 *
 * The module owns its sockets and its queue; the rest of the director
 * comes in through the hooks.  sync_event() may be called from any
 * thread; everything else from the main thread.
 */

#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "syncmsg.h"

#define SYNC_DEF_GROUP		"224.0.0.81"	/* IPVS's */
#define SYNC_DEF_PORT		8848
#define SYNC_DEF_TTL		1
#define SYNC_DEF_IFNAME		"eth0"		/* ipvsadm's */
#define SYNC_DEF_SYNCID		255		/* ipvsadm's */
#define SYNC_DEF_REFRESH_MS	5000
#define SYNC_POLLFDS		2

enum sync_role { SYNC_MASTER, SYNC_BACKUP, SYNC_ROLES };

/* One daemon's settings (ipvsadm --start-daemon's options). */
struct sync_conf {
	char ifname[IF_NAMESIZE];	/* --mcast-interface */
	uint8_t syncid;
	uint16_t maxlen;		/* 0: the interface's MTU less headers */
	struct nflvs_addr group;	/* multicast group, or the peer's
					   unicast address; unset: IPVS's */
	uint16_t port;			/* 0: 8848 */
	uint8_t ttl;			/* 0: 1 */
	uint32_t refresh_ms;		/* master: 0: SYNC_DEF_REFRESH_MS */
};

typedef void (*sync_emit_fn)(void *ectx, const struct syncmsg_entry *e);

struct sync_env {
	/* master: every entry this director has now, each to @emit */
	void (*walk)(void *ctx, sync_emit_fn emit, void *ectx, uint64_t now_ns);
	/* backup: entries received (@n of them, checked); then, once the
	 * datagrams waiting are read, flush (what install gathered goes to
	 * the kernel in one transaction) */
	void (*install)(void *ctx, const struct syncmsg_entry *e, unsigned int n,
			uint64_t now_ns);
	void (*flush)(void *ctx);
	void *ctx;
};

struct sync_stats {
	uint64_t sent_msgs, sent_entries, send_errors;
	uint64_t recv_msgs, recv_entries;
	uint64_t dropped[SYNCMSG_ERRS];		/* bad datagrams, by fault */
	uint64_t foreign;			/* unicast: not from the peer */
	uint64_t queue_full;			/* events the refresh will carry */
	uint64_t bulk_sent, resync_asked;
};

struct sync_daemon {
	bool on;
	struct sync_conf conf;		/* with the defaults filled in */
	int fd;
	bool mcast;
	uint8_t *buf;			/* conf.maxlen bytes */
	struct syncmsg_batch batch;
	uint64_t next;			/* master: next refresh; backup: next
					   request */
	bool heard;			/* backup: a master answered */
	bool bulk;			/* master: a backup asked */
	uint64_t last_bulk;
};

struct sync {
	struct sync_env env;
	struct sync_daemon d[SYNC_ROLES];
	uint32_t instance;		/* this director's, in every header */
	pthread_mutex_t lock;		/* the queue */
	struct syncmsg_entry *queue;
	unsigned int nqueue, cap;
	bool master_on;			/* read by the packet path */
	struct sync_stats stats;
};

int sync_init(struct sync *s, const struct sync_env *env);
void sync_fini(struct sync *s);

/*
 * Start daemon @role with @conf: 0, -EEXIST (one runs), or -errno with
 * @err saying why (no such interface, socket errors).
 */
int sync_start(struct sync *s, enum sync_role role,
	       const struct sync_conf *conf, char *err, size_t errlen);
/* 0, or -ESRCH when none runs. */
int sync_stop(struct sync *s, enum sync_role role);
/* The running daemon's settings, defaults filled in; NULL if none. */
const struct sync_conf *sync_running(const struct sync *s,
				     enum sync_role role);

/* Any thread: an entry was made or renewed (the master sends it soon). */
void sync_event(struct sync *s, const struct syncmsg_entry *e);
static inline bool sync_master_on(const struct sync *s)
{
	return __atomic_load_n(&s->master_on, __ATOMIC_RELAXED);
}

/* The main loop: its sockets, their datagrams, its timer (every tick). */
int sync_pollfds(struct sync *s, struct pollfd *p, int max);
void sync_handle(struct sync *s, const struct pollfd *p, int n,
		 uint64_t now_ns);
void sync_tick(struct sync *s, uint64_t now_ns);

#endif
