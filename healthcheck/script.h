/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_SCRIPT_H
#define NFLVS_HC_SCRIPT_H

/*
 * What exec checks need beyond posix_spawn: running as another user
 * (director.script_user, keepalived's script_user), and keepalived's
 * enable_script_security for what runs as root.
 */

#include <stddef.h>
#include <sys/types.h>

#include "privs.h"

/*
 * May @path run as root?  0 if it and every directory above it (after
 * resolving symlinks) belong to root and nobody else may write to them
 * (a sticky directory such as /tmp may be world-writable: others cannot
 * replace root's entries there); 1 if not, with the reason in @why; or
 * -errno if @path cannot be resolved.
 */
int script_insecure(const char *path, char *why, size_t len);

/*
 * Start @argv as exec checks start (own process group, default signals,
 * nothing blocked, stdin and stdout on /dev/null, stderr on @errfd, no
 * other descriptor) as @u, which needs CAP_SETUID and CAP_SETGID unless
 * it is the caller.  0 with *@pid set, or an errno (also execve()'s).
 */
int script_spawn_as(const struct privs_user *u, char *const argv[],
		    char *const envp[], int errfd, pid_t *pid);

#endif
