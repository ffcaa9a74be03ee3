// SPDX-License-Identifier: GPL-2.0-or-later
/* The scheduler registry: each scheduler file under its name's value. */
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

const struct sched_ops *const sched_all[SCHEDULERS] = {
	[SCHEDULER_RR] = &sched_rr,
	[SCHEDULER_WRR] = &sched_wrr,
	[SCHEDULER_LC] = &sched_lc,
	[SCHEDULER_WLC] = &sched_wlc,
	[SCHEDULER_SED] = &sched_sed,
	[SCHEDULER_NQ] = &sched_nq,
	[SCHEDULER_SH] = &sched_sh,
	[SCHEDULER_DH] = &sched_dh,
	[SCHEDULER_LBLC] = &sched_lblc,
	[SCHEDULER_LBLCR] = &sched_lblcr,
	[SCHEDULER_MH] = &sched_mh,
	[SCHEDULER_FO] = &sched_fo,
	[SCHEDULER_OVF] = &sched_ovf,
	[SCHEDULER_TWOS] = &sched_twos,
};

const struct sched_ops *sched_find(const char *name)
{
	int k = sched_parse(name);

	return k < 0 ? NULL : sched_all[k];
}

const char *sched_ops_name(const struct sched_ops *ops)
{
	int k;

	for (k = 0; k < SCHEDULERS; k++)
		if (sched_all[k] == ops)
			return sched_names[k];
	return "?";
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
