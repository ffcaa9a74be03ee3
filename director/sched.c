// SPDX-License-Identifier: GPL-2.0-or-later
/* The scheduler registry: one line per scheduler file. */
#include <string.h>

#include "scheduler.h"

extern const struct sched_ops sched_rr;
extern const struct sched_ops sched_wrr;
extern const struct sched_ops sched_sh;
extern const struct sched_ops sched_dh;
extern const struct sched_ops sched_lblc;
extern const struct sched_ops sched_lblcr;
extern const struct sched_ops sched_mh;

const struct sched_ops *const sched_all[] = {
	&sched_rr,
	&sched_wrr,
	&sched_sh,
	&sched_dh,
	&sched_lblc,
	&sched_lblcr,
	&sched_mh,
	NULL,
};

const struct sched_ops *sched_find(const char *name)
{
	const struct sched_ops *const *s;

	for (s = sched_all; *s; s++)
		if (!strcmp((*s)->name, name))
			return *s;
	return NULL;
}

int sched_gcd(int a, int b)
{
	while (b) {
		int t = a % b;

		a = b;
		b = t;
	}
	return a;
}
