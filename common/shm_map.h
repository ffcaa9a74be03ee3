/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SHM_MAP_H
#define NFLVS_SHM_MAP_H

/* Creating, attaching to and addressing the segment of include/nflvs/shm.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nflvs/shm.h>
#include <nflvs/seqlock.h>

/* The health half of a real server's record (the checker's). */
typedef __typeof__(((struct nflvs_shm_rs *)0)->health) shm_rs_health_t;

struct shm_map {
	char name[NFLVS_SHM_NAME_MAX];
	void *base;
	size_t size;
	struct nflvs_shm_header *hdr;
	struct nflvs_shm_service *svc;	/* hdr->max_services records */
	struct nflvs_shm_rs *rs;		/* hdr->max_rs records */
	/* the header's counts as validated: readers index with these, never
	 * with the live header, which another process can write */
	uint32_t max_services, max_rs;
	bool owner;
};

size_t shm_segment_size(unsigned int max_services, unsigned int max_rs);

/*
 * Director: create a fresh segment (an old one of the same name is unlinked
 * first; processes still mapping it see it flagged CLOSED).
 */
int shm_create(struct shm_map *m, const char *name, unsigned int max_services,
	       unsigned int max_rs);

/*
 * Reader (checker, tools): attach and validate magic, ABI version and
 * sizes.  On failure returns -errno and writes a reason into @err:
 * -ENOENT (no segment yet), -EPROTO (wrong magic or ABI), -EINVAL (sizes).
 */
int shm_attach(struct shm_map *m, const char *name, bool writable,
	       char *err, size_t errlen);

/*
 * What shm_attach() does with the @size bytes it mapped at @base: validate
 * them as a segment and fill @m (a reader's, not the owner's).  The pure
 * part, for tests and fuzzing.  0 or -errno with @err, as shm_attach().
 */
int shm_map_mem(struct shm_map *m, void *base, size_t size, char *err,
		size_t errlen);

/*
 * Director: give the segment to @gid (mode 0660), so that a checker running
 * as director.user can attach to it, also after the director restarts.
 */
int shm_set_group(const struct shm_map *m, gid_t gid);

/* Unmap; the owner also flags the header CLOSED and unlinks the name. */
void shm_close(struct shm_map *m);

/* Find a free slot and give it a fresh id (director only). -ENOSPC if full. */
int shm_service_alloc(struct shm_map *m, uint32_t *id);
int shm_rs_alloc(struct shm_map *m, uint32_t *id);
/* Free slot by index, under its seqlock. */
void shm_service_free(struct shm_map *m, int slot);
void shm_rs_free(struct shm_map *m, int slot);

void shm_bump_generation(struct shm_map *m);
uint64_t shm_generation(const struct shm_map *m);

#endif
