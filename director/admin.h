/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_ADMIN_H
#define NFLVS_ADMIN_H

/*
 * nflvsadm's requests (include/nflvs/ctl.h), answered: listings from the
 * running services, connections from conntrack and the DR/TUN flows,
 * counters zeroed, and changes made as the config file's are: a copy of
 * the running configuration is edited (cfgedit.h), checked (validate.h)
 * and handed to the apply hook, which changes the kernel and the services
 * in one step, or nothing.  What the director does for it comes as hooks.
 */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "control.h"
#include "ctrack.h"
#include "flowpath.h"
#include "ruleset.h"
#include "shm_map.h"
#include "svcset.h"

struct admin {
	struct svcset *set;
	struct shm_map *shm;
	struct ctrack *ct;			/* NAT connections */
	struct flowpath *fp;			/* TUN connections */
	const struct ruleset *rs;		/* DR flow maps, timeouts */
	const struct nflvs_config *running;
	/* apply.h's apply_config(): 0, or -errno with @err */
	int (*apply)(void *ctx, struct nflvs_config *cfg, char *err,
		     size_t errlen);
	/* re-read the config file: 0, or -errno with @errs */
	int (*reload)(void *ctx, struct cfg_errors *errs);
	/* ipvsadm --set: the timeouts in the kernel and in rs: 0, or -errno
	 * with @err */
	int (*set_timeouts)(void *ctx, const struct rs_timeouts *t, char *err,
			    size_t errlen);
	/* the state sync daemons: start (@start) or stop one, 0 or -errno
	 * with @err; the ones running (master first), how many */
	int (*daemon)(void *ctx, const struct nflvs_ctl_daemon *d, bool start,
		      char *err, size_t errlen);
	unsigned int (*daemons)(void *ctx, struct nflvs_ctl_daemon out[2]);
	/* nflvsadm --role (ha.h): 0, or -EINVAL */
	int (*set_role)(void *ctx, uint32_t role);
	/* nflvsadm --status: malloc()ed text, or NULL */
	char *(*status)(void *ctx, size_t *len);
	/* nflvsadm --check: 0 when running and applying, else -errno with
	 * @err */
	int (*check)(void *ctx, char *err, size_t errlen);
	void *ctx;
};

/* control_serve_fn for the control socket (@ctx: the struct admin). */
void admin_serve(void *ctx, const struct nflvs_ctl_hdr *h, const void *req,
		 struct ctl_reply *r);

#endif
