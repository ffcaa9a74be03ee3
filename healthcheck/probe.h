/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_PROBE_H
#define NFLVS_HC_PROBE_H

/* What one check of one real server found (relayd's hce_notify_done()). */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <nflvs/shm.h>

struct probe_result {
	bool ok;
	int weight;			/* -1: the configured weight */
	char error[NFLVS_SHM_ERR_MAX];	/* "" when ok */
};

static inline void probe_ok(struct probe_result *r, int weight)
{
	r->ok = true;
	r->weight = weight;
	r->error[0] = '\0';
}

static inline __attribute__((format(printf, 2, 0)))
void probe_vfail(struct probe_result *r, const char *fmt, va_list ap)
{
	r->ok = false;
	r->weight = -1;
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
}

static inline __attribute__((format(printf, 2, 3)))
void probe_fail(struct probe_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_vfail(r, fmt, ap);
	va_end(ap);
}

#endif
