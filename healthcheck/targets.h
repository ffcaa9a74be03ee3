/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_TARGETS_H
#define NFLVS_HC_TARGETS_H

/*
 * Which real servers to check, and how: every real-server record in use in
 * the director's segment, joined with its service record and with the check
 * the config file gives it.  Reads the segment only, under the seqlocks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "shm_map.h"

/* What identifies a real server across director restarts (ids do not). */
struct target_key {
	uint8_t svc_family;		/* 0 for fwmark services */
	uint8_t svc_protocol;
	uint16_t svc_port;
	uint32_t fwmark;
	struct nflvs_addr vip;
	struct nflvs_addr addr;		/* the real server */
	uint16_t port;
};

struct target_desc {
	uint32_t id;			/* real-server record id */
	uint32_t slot;			/* its index in the segment */
	uint32_t svc_id;
	struct target_key key;
	uint32_t svc_index;		/* the records' config_index */
	uint32_t rs_index;
	char svc_name[NFLVS_SHM_NAME_MAX];
	/* The check from the config, NULL = none (not probed). */
	const struct cfg_check *check;
};

/*
 * Scan the segment.  Fills a malloc'ed array sorted by id (free() it) and
 * returns the number of real servers, or -errno.  A record that stays torn
 * (a writer died) or whose service is missing is skipped.
 */
int targets_scan(const struct shm_map *m, const struct nflvs_config *cfg,
		 struct target_desc **out);

/*
 * The check of a real server: cfg->svc[svc_index].rs[rs_index].check when
 * both indexes are valid and the entries match the records; a real server
 * added at runtime (rs_index ~0) gets its service's check; a service added
 * at runtime (svc_index ~0) is looked up by (family, protocol, vip, port)
 * or fwmark.  NULL when there is no check or its type is none.
 */
const struct cfg_check *targets_find_check(const struct nflvs_config *cfg,
					   const struct target_key *k,
					   uint32_t svc_index,
					   uint32_t rs_index);

/* The configured weight in the live record @r if its id is still @id, else
 * -1. */
int targets_conf_weight(const struct nflvs_shm_rs *r, uint32_t id);

bool targets_key_eq(const struct target_key *a, const struct target_key *b);
/* A total order of keys (field by field, never padding), for sorting. */
int targets_key_cmp(const struct target_key *a, const struct target_key *b);

/*
 * "real server 10.0.2.11:8080 of service web (TCP 10.0.1.100:80)", as the
 * log says it.
 */
void targets_label(const struct target_key *k, const char *svc_name,
		   char *buf, size_t len);

#endif
