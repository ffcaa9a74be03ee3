/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_PUBLISH_H
#define NFLVS_PUBLISH_H

/*
 * The director's records in the shared memory (include/nflvs/shm.h): one
 * per service and per real server, the "dir" half written under its
 * seqlock by the main thread only; the checker's "health" half read back.
 * The checker, nflvsadm-style tools and the tests read what is here.
 */

#include "service.h"
#include "shm_map.h"
#include "svcset.h"

/* A slot and a stable id for a new service or real server: 0 or -ENOSPC. */
int publish_service_slot(struct shm_map *m, struct service *svc);
int publish_dest_slot(struct shm_map *m, struct dest *dst);
/* Its record leaves the segment (no-op without a slot). */
void publish_service_gone(struct shm_map *m, struct service *svc);
void publish_dest_gone(struct shm_map *m, struct dest *dst);

/* Write the record as the object is now. */
void publish_service(struct shm_map *m, const struct service *svc);
void publish_dest(struct shm_map *m, const struct dest *dst);
/* A service and its real servers (under its lock). */
void publish_service_dests(struct shm_map *m, const struct service *svc);
/* Every running service and real server, then a new generation, so that
 * the checker rescans: after a change of the configuration. */
void publish_all(struct shm_map *m, const struct svcset *set);

/* The checker's word on @dst: 0, or -1 (no record, or it kept changing). */
int publish_health(const struct shm_map *m, const struct dest *dst,
		   shm_rs_health_t *h);

#endif
