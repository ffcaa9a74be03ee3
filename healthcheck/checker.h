/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_CHECKER_H
#define NFLVS_HC_CHECKER_H

/*
 * nflvs-healthcheck's one context: the config, the director's segment, the
 * targets (one per checked real server) and the event loop that runs all
 * their checks at once.  A check type is a struct check_ops; its start()
 * ends, now or later, with checker_done(), the only way a result reaches
 * the shared memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "config.h"
#include "evloop.h"
#include "hcstate.h"
#include "privs.h"
#include "probe.h"
#include "shm_map.h"
#include "targets.h"

/* How often the segment is looked at (attach, generation, restarts). */
#define CHECKER_SHM_TICK_MS	100

struct target;
struct ping_socks;

struct check_ops {
	const char *name;
	/* The port probed when neither connect_port nor the real server
	 * gives one (0: none). */
	uint16_t port;
	/* Set up t->probe for t->check; 0 or -errno. */
	int (*init)(struct target *t);
	/* Start one check; it ends with checker_done(), perhaps at once. */
	void (*start)(struct target *t);
	/* Stop the running check without a result (timeout, forgotten). */
	void (*abort)(struct target *t);
	/*
	 * Optional: the timeout passed; stop and end with checker_done().
	 * Without it the check is stopped with abort() and fails.  The
	 * datagram checks read what their socket holds first: a reply that
	 * came in time counts even when a busy loop had not read it yet
	 * (and udp: a silent server is up).
	 */
	void (*expire)(struct target *t);
	/* Release t->probe (evloop_defer_free if events may point at it). */
	void (*fini)(struct target *t);
};

struct target {
	struct checker *c;
	uint32_t id;			/* real-server record id */
	uint32_t slot;
	uint32_t svc_index, rs_index;	/* the records' config_index */
	struct target_key key;
	char svc_name[NFLVS_SHM_NAME_MAX];
	char label[192];		/* "real server A:P of service ..." */
	const struct cfg_check *check;	/* into c->cfg */
	const struct check_ops *ops;

	/* the address probed: the real server, at connect_port if set */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint16_t probe_port;

	struct timer tick;		/* start of the next check */
	struct timer deadline;		/* timeout of the running one */
	uint64_t due;			/* monotonic ns of that start */
	uint64_t started;
	bool running;
	void *probe;			/* the check type's own state */

	struct hcstate sm;
	hc_record_t rec;		/* the health half as published */
};

/* Exec checks' user (director.script_user). */
struct script_as {
	struct privs_user u;
	bool other;			/* not the checker's own ids */
	char err[128];			/* why none, or "" */
};

struct checker {
	struct nflvs_config cfg;
	struct evloop loop;

	CURLM *multi;			/* every http(s) check */
	struct timer curl_timer;
	void *reapers;			/* exec checks killed, not reaped */
	char **env;			/* environment for exec checks */
	struct ping_socks *ping;	/* the ping checks' sockets, or NULL */

	struct timer shm_timer;
	struct shm_map shm;
	bool attached;
	uint64_t generation;
	unsigned int ticks;
	unsigned int bad_ticks;		/* unusable segment seen */
	bool waiting_logged;
	bool dropped;			/* now running as director.user */
	bool root_kept;			/* the default user does not exist */
	struct script_as script;	/* whom exec checks run as */

	struct target **t;		/* sorted by id */
	size_t nt;

	uint64_t rng;
	bool stop;
	int exit_code;
};

/* Take @cfg (it is left empty) and set up; attaching is the tick's job. */
int checker_init(struct checker *c, struct nflvs_config *cfg);
void checker_free(struct checker *c);

/*
 * Look at the segment: attach, rescan on a new generation, follow a
 * director that restarted.  Runs every CHECKER_SHM_TICK_MS.  A segment that
 * cannot be used (wrong ABI) sets c->stop and c->exit_code = 1.
 */
void checker_shm_tick(struct checker *c);

/* Switch to a new, valid config (taken; @cfg is left empty). */
void checker_reload(struct checker *c, struct nflvs_config *cfg);

/* Seconds of the config in ns and ms (rounded; no libm needed). */
static inline uint64_t checker_ns(double seconds)
{
	return (uint64_t)(seconds * 1e9 + 0.5);
}

static inline unsigned int checker_ms(double seconds)
{
	return (unsigned int)(seconds * 1e3 + 0.5);
}

/* Run until c->stop. */
int checker_run(struct checker *c);

/* A check of @t ended: state machine, shared memory, log, next check. */
void checker_done(struct target *t, const struct probe_result *r);
/* It ended at its timeout: "timeout after N ms" (the probe is stopped). */
void checker_timed_out(struct target *t);

/*
 * The configured weight of @t's real server as its record says now (an
 * nflvsadm -e changes it), or -1 when there is no record to read.
 */
int checker_conf_weight(const struct target *t);

/* The target of record @id, or NULL. */
struct target *checker_target(const struct checker *c, uint32_t id);

/* Whether two checks probe the same way (reload keeps the running one). */
bool checker_check_same(const struct cfg_check *a, const struct cfg_check *b);

#endif
