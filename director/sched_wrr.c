// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Weighted round robin, as IPVS ip_vs_wrr.c: walk the list with a current
 * weight cw that starts at the maximum weight mw and drops by the gcd di of
 * all weights at the end of each pass; pick the next destination whose
 * weight is >= cw.  Every list or weight change recomputes di and mw and
 * restarts from the head, keeping cw where the kernel keeps it.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "scheduler.h"

struct wrr_data {
	int cl;			/* current position, -1 = list head */
	int cw;			/* current weight */
	int mw;			/* maximum weight - (di - 1) */
	int di;			/* gcd of the positive weights */
};

static int wrr_gcd_weight(const struct service *svc)
{
	unsigned int i;
	int g = 0, w;

	for (i = 0; i < svc->ndests; i++) {
		w = dest_weight(svc->dests[i]);
		if (w > 0)
			g = g > 0 ? sched_gcd(w, g) : w;
	}
	return g ? g : 1;
}

static int wrr_max_weight(const struct service *svc)
{
	unsigned int i;
	int m = 0;

	for (i = 0; i < svc->ndests; i++)
		if (dest_weight(svc->dests[i]) > m)
			m = dest_weight(svc->dests[i]);
	return m;
}

static void wrr_changed(struct service *svc)
{
	struct wrr_data *m = svc->sched_data;

	m->cl = -1;
	m->di = wrr_gcd_weight(svc);
	m->mw = wrr_max_weight(svc) - (m->di - 1);
	if (m->cw > m->mw || !m->cw)
		m->cw = m->mw;
	else if (m->di > 1)
		m->cw = (m->cw / m->di) * m->di + 1;
}

static int wrr_init(struct service *svc)
{
	struct wrr_data *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	svc->sched_data = m;
	m->cl = -1;
	m->di = wrr_gcd_weight(svc);
	m->mw = wrr_max_weight(svc) - (m->di - 1);
	m->cw = m->mw;
	return 0;
}

static void wrr_done(struct service *svc)
{
	free(svc->sched_data);
	svc->sched_data = NULL;
}

static void wrr_add_dest(struct service *svc, struct dest *d)
{
	(void)d;
	wrr_changed(svc);
}

static void wrr_del_dest(struct service *svc, struct dest *d, int pos)
{
	(void)d;
	(void)pos;
	wrr_changed(svc);
}

static void wrr_upd_dest(struct service *svc, struct dest *d)
{
	(void)d;
	wrr_changed(svc);
}

static bool wrr_fits(const struct dest *d, int cw)
{
	return dest_present(d) && !(d->flags & DEST_F_OVERLOAD) &&
	       d->weight >= cw;
}

static struct dest *wrr_schedule(struct service *svc,
				 const struct pkt_info *pi, uint64_t now)
{
	struct wrr_data *m = svc->sched_data;
	int n = svc->ndests, last = m->cl, stop = -2, i = m->cl;
	bool last_pass = false, restarted = false;

	(void)pi;
	(void)now;
	if (m->mw == 0)
		return NULL;
	for (;;) {
		for (i = i + 1; i < n; i++) {
			if (wrr_fits(svc->dests[i], m->cw)) {
				m->cl = i;
				return svc->dests[i];
			}
			if (i == stop)
				goto over;
		}
		i = -1;		/* back at the head */
		m->cw -= m->di;
		if (m->cw <= 0) {
			m->cw = m->mw;
			/* every dest was already checked for weight >= 1 */
			if (last_pass || last == -1)
				goto over;
			restarted = true;
		}
		last_pass = m->cw <= m->di;
		if (last_pass && restarted && last != -1)
			stop = last;
	}
over:
	m->cl = i;
	return NULL;
}

const struct sched_ops sched_wrr = {
	.name = "wrr",
	.init_service = wrr_init,
	.done_service = wrr_done,
	.add_dest = wrr_add_dest,
	.del_dest = wrr_del_dest,
	.upd_dest = wrr_upd_dest,
	.schedule = wrr_schedule,
};
