// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "sched_lbl.h"

int lbl_attach(struct service *svc, struct lbl *l,
	       void (*free_entry)(struct loc_entry *))
{
	if (loctab_init(&l->tab, free_entry) < 0) {
		free(l);
		return -1;
	}
	if (wlcq_init(&l->q, svc) < 0) {
		wlcq_free(&l->q);
		loctab_destroy(&l->tab);
		free(l);
		return -1;
	}
	svc->sched_data = l;
	return 0;
}

void lbl_done(struct service *svc)
{
	struct lbl *l = svc->sched_data;

	loctab_destroy(&l->tab);
	wlcq_free(&l->q);
	free(l);
	svc->sched_data = NULL;
}

void lbl_add_dest(struct service *svc, struct dest *d)
{
	struct lbl *l = svc->sched_data;

	wlcq_add(&l->q, d);
}

void lbl_upd_dest(struct service *svc, struct dest *d)
{
	struct lbl *l = svc->sched_data;

	wlcq_update(&l->q, d);
}

void lbl_gc(struct service *svc, uint64_t now)
{
	struct lbl *l = svc->sched_data;

	loctab_gc(&l->tab, now);
}
