// SPDX-License-Identifier: GPL-2.0-or-later
/* The scheduler registry: one line per scheduler file. */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "scheduler.h"

extern const struct sched_ops sched_rr;
extern const struct sched_ops sched_wrr;
extern const struct sched_ops sched_lc;
extern const struct sched_ops sched_wlc;
extern const struct sched_ops sched_sed;
extern const struct sched_ops sched_nq;
extern const struct sched_ops sched_sh;
extern const struct sched_ops sched_dh;
extern const struct sched_ops sched_lblc;
extern const struct sched_ops sched_lblcr;
extern const struct sched_ops sched_mh;
extern const struct sched_ops sched_fo;
extern const struct sched_ops sched_ovf;
extern const struct sched_ops sched_twos;

const struct sched_ops *const sched_all[] = {
	&sched_rr,
	&sched_wrr,
	&sched_lc,
	&sched_wlc,
	&sched_sed,
	&sched_nq,
	&sched_sh,
	&sched_dh,
	&sched_lblc,
	&sched_lblcr,
	&sched_mh,
	&sched_fo,
	&sched_ovf,
	&sched_twos,
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

void sched_rand_seed(struct service *svc)
{
	struct timespec ts;
	uint64_t x = 0;

	if (svc->rand)
		return;
	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x) || !x) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
		x ^= (uintptr_t)svc;
	}
	svc->rand = x ? x : 1;
}
