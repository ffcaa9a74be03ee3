/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_PRIVS_H
#define NFLVS_PRIVS_H

/*
 * Least privilege for both daemons: which capabilities a process keeps
 * after start-up, the switch to an unprivileged user, no_new_privs.
 * capget/capset directly (no libcap): three 64-bit masks are all we use.
 * Helpers return 0 or -errno and never print.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PRIV_CAP(n)	(1ull << (n))

/* The process's capability sets. */
struct privs_caps {
	uint64_t eff, prm, inh;
};

int privs_get(struct privs_caps *c);

/*
 * Keep only @keep (intersected with what the process has) as permitted
 * and effective capabilities; clear the inheritable and ambient sets, so
 * that nothing reaches a program it executes except by being root.  With
 * @bound, also drop everything else from the bounding set (needs
 * CAP_SETPCAP, else left as it is).  @kept (may be NULL) gets what stays.
 */
int privs_limit(uint64_t keep, bool bound, uint64_t *kept);

/* prctl(PR_SET_NO_NEW_PRIVS): execve() never grants privileges again. */
int privs_no_new(void);

/*
 * Become @uid/@gid with @ngroups supplementary @groups (what initgroups()
 * would set), keeping @keep of the capabilities (privs_limit(), bounding
 * set untouched).  All-or-nothing for the ids: an error leaves the
 * process as root.
 */
int privs_become(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		 uint64_t keep, uint64_t *kept);

/* A user as the switch needs it: ids and initgroups()'s groups. */
#define PRIVS_GROUPS_MAX	64
struct privs_user {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[PRIVS_GROUPS_MAX];
};

/* Look @name up: 0, -ENOENT if there is no such user, or -errno. */
int privs_user_get(const char *name, struct privs_user *u);

/* "cap_net_admin,cap_net_raw", or "none", for the log. */
void privs_str(uint64_t caps, char *buf, size_t len);

/*
 * What the kernel says of @pid ("self" when 0) in /proc/PID/status:
 * CapEff, and the real and effective uid.  0 or -errno.
 */
int privs_of_pid(pid_t pid, uint64_t *cap_eff, uid_t *ruid, uid_t *euid);

#endif
