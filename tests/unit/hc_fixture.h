/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_FIXTURE_H
#define NFLVS_HC_FIXTURE_H

/*
 * The health checker's unit tests play the director: a segment created
 * with shm_create() under a name of their own, filled the way
 * director/director.c fills it, and a config file written from a string.
 */

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nflvs/seqlock.h>

#include "checker.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "shm_map.h"

struct hc_fix {
	char shm[64];
	char conf[128];
	struct shm_map m;
	struct nflvs_config cfg;	/* the director's copy */
};

static inline void fix_init(struct hc_fix *f, const char *services)
{
	static int n;
	struct cfg_errors errs;
	FILE *fp;
	int ret;

	memset(f, 0, sizeof(*f));
	log_set_level(LOG_ERR);		/* transitions are asserted, not read */
	snprintf(f->shm, sizeof(f->shm), "/nflvs-unit-hc-%d", (int)getpid());
	snprintf(f->conf, sizeof(f->conf), "/tmp/nflvs-unit-hc-%d-%d.conf",
		 (int)getpid(), n++);
	fp = fopen(f->conf, "w");
	cr_assert_not_null(fp);
	/* user "": the checker runs in the test process, which stays itself */
	fprintf(fp, "director = { shm = \"%s\"; user = \"\"; };\n%s\n",
		f->shm, services);
	fclose(fp);
	ret = config_load(f->conf, &f->cfg, &errs);
	cr_assert_eq(ret, 0, "config: %s", ret ? errs.msg[0] : "");
	config_errors_free(&errs);
	cr_assert_eq(shm_create(&f->m, f->shm, 16, 64), 0);
}

/* Another copy of the config, for the checker to own. */
static inline void fix_config(struct hc_fix *f, struct nflvs_config *cfg)
{
	cr_assert_eq(config_load(f->conf, cfg, NULL), 0);
}

static inline void fix_fini(struct hc_fix *f)
{
	shm_close(&f->m);
	shm_unlink(f->shm);
	unlink(f->conf);
	config_free(&f->cfg);
}

static inline uint32_t fix_service(struct hc_fix *f,
				   const struct cfg_service *s, uint32_t index)
{
	struct nflvs_shm_service *r;
	__typeof__(r->dir) dir;
	uint32_t id;
	int slot = shm_service_alloc(&f->m, &id);

	cr_assert_geq(slot, 0);
	r = &f->m.svc[slot];
	memset(&dir, 0, sizeof(dir));
	dir.family = s->vip.family;
	dir.protocol = s->protocol;
	dir.port = s->port;
	dir.fwmark = s->fwmark;
	memcpy(dir.addr, s->vip.b, sizeof(dir.addr));
	snprintf(dir.name, sizeof(dir.name), "%s", s->name);
	dir.config_index = index;
	nflvs_seq_write(&r->seq, &r->dir, &dir, sizeof(dir));
	return id;
}

/* Returns the slot; *id the record's id. */
static inline int fix_rs(struct hc_fix *f, uint32_t svc_id,
			 const struct nflvs_addr *a, uint16_t port,
			 uint32_t index, uint32_t *id)
{
	struct nflvs_shm_rs *r;
	__typeof__(r->dir) dir;
	int slot = shm_rs_alloc(&f->m, id);

	cr_assert_geq(slot, 0);
	r = &f->m.rs[slot];
	memset(&dir, 0, sizeof(dir));
	dir.service_id = svc_id;
	dir.family = a->family;
	dir.port = port;
	memcpy(dir.addr, a->b, sizeof(dir.addr));
	dir.weight = 1;
	dir.config_index = index;
	nflvs_seq_write(&r->seq, &r->dir, &dir, sizeof(dir));
	return slot;
}

/* Every service and real server of the config, as the director does. */
static inline void fix_director(struct hc_fix *f)
{
	uint32_t sid, id;
	size_t i, j;

	for (i = 0; i < f->cfg.nsvc; i++) {
		sid = fix_service(f, &f->cfg.svc[i], i);
		for (j = 0; j < f->cfg.svc[i].nrs; j++)
			fix_rs(f, sid, &f->cfg.svc[i].rs[j].addr,
			       f->cfg.svc[i].rs[j].port, j, &id);
	}
	shm_bump_generation(&f->m);
}

static inline int fix_find_rs(struct hc_fix *f, const char *addr,
			      uint16_t port)
{
	struct nflvs_addr a;
	uint32_t i;

	cr_assert_eq(addr_parse(addr, &a), 0);
	for (i = 0; i < f->m.hdr->max_rs; i++)
		if (f->m.rs[i].id && f->m.rs[i].dir.port == port &&
		    !memcmp(f->m.rs[i].dir.addr, a.b, addr_len(&a)))
			return i;
	return -1;
}

/* Run the checker's loop until @cond or @ms pass; returns cond. */
#define fix_run_until(c, ms, cond) ({ \
		uint64_t end_ = evloop_clock() + (uint64_t)(ms) * 1000000; \
		while (!(cond) && evloop_clock() < end_) \
			evloop_run_once(&(c)->loop, 20); \
		(cond); \
	})

#endif
