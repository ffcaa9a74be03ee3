/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SCHED_LBL_H
#define NFLVS_SCHED_LBL_H

/*
 * What lblc and lblcr share: the table of destination addresses
 * (sched_loctab.h) and their real servers in wlc order (sched_wlcq.h),
 * as svc->sched_data, and the hooks that only keep those up to date.
 */

#include "sched_loctab.h"
#include "sched_wlcq.h"

struct lbl {
	struct loc_table tab;
	struct wlcq q;
};

/*
 * @l, allocated by the scheduler with struct lbl first, becomes
 * svc->sched_data: 0, or -1 with @l freed.
 */
int lbl_attach(struct service *svc, struct lbl *l,
	       void (*free_entry)(struct loc_entry *));
void lbl_done(struct service *svc);
void lbl_add_dest(struct service *svc, struct dest *d);
void lbl_upd_dest(struct service *svc, struct dest *d);
void lbl_gc(struct service *svc, uint64_t now_ns);

#endif
