/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_READFILE_H
#define NFLVS_READFILE_H

#include <stddef.h>

/*
 * A whole regular file into memory, or a reason: what reads a file an
 * admin names (the config, its @includes) must neither block on a FIFO or
 * a device nor end the process on a read error, and must give up in time.
 */

#define READFILE_MAX		(64u << 20)	/* bytes: beyond is not a config */
#define READFILE_TIMEOUT_MS	5000		/* all of the reading */

/*
 * Read @path (opened without blocking, following symlinks) into a
 * NUL-terminated *@buf of *@len bytes, to be freed.  -EISDIR, -EINVAL (not
 * a regular file: a FIFO, a device, a socket), -EFBIG (past @max bytes),
 * -ETIMEDOUT (past @timeout_ms in all), or the -errno of open or read
 * (-EIO of /proc/self/mem).
 */
int readfile(const char *path, size_t max, unsigned int timeout_ms,
	     char **buf, size_t *len);

#endif
