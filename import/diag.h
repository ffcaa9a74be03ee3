/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_IMPORT_DIAG_H
#define NFLVS_IMPORT_DIAG_H

/*
 * What the converter has to say about the input: errors (the conversion
 * fails) and warnings (something of keepalived's that nflvs cannot express,
 * converted without it), each "FILE:LINE: message".  Collected, never
 * printed here; the same message twice (a group's services share their
 * real servers' lines) is kept once.
 */

#include <stdbool.h>
#include <stddef.h>

struct diag {
	char **msg;
	size_t n;
	size_t nerr;
	size_t nwarn;
};

void diag_error(struct diag *d, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_warn(struct diag *d, const char *file, int line,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_free(struct diag *d);

#endif
