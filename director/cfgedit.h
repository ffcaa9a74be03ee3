/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CFGEDIT_H
#define NFLVS_CFGEDIT_H

/*
 * nflvsadm's changes as edits of a configuration: ADD/EDIT/DEL_SERVICE,
 * ADD/EDIT/DEL_DEST and FLUSH (include/nflvs/ctl.h) made to a copy of the
 * running one, which is then applied as the config file's changes are.
 * Each request is validated as untrusted input.  Pure: no kernel, no
 * director.
 */

#include <stdint.h>

#include "config.h"

/*
 * Make the edit @type (payload @req, its length already checked) to
 * @cfg: 0, or -errno with @cfg unchanged and *@why a sentence saying
 * what is wrong, or NULL where the error says it all (-EEXIST: it exists
 * already, -ESRCH: no such service, -ENOENT: no such real server).
 */
int cfgedit_apply(struct nflvs_config *cfg, uint16_t type, const void *req,
		  const char **why);

#endif
