// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared-memory segment: one header, then fixed arrays of service and
 * real-server records.  Records are never moved; a slot is taken by giving
 * it an id and freed by zeroing its id, both under the record's seqlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm_map.h"

size_t shm_segment_size(unsigned int max_services, unsigned int max_rs)
{
	return sizeof(struct nflvs_shm_header) +
	       (size_t)max_services * sizeof(struct nflvs_shm_service) +
	       (size_t)max_rs * sizeof(struct nflvs_shm_rs);
}

static void shm_layout(struct shm_map *m)
{
	m->hdr = m->base;
	m->max_services = m->hdr->max_services;
	m->max_rs = m->hdr->max_rs;
	m->svc = (struct nflvs_shm_service *)(m->hdr + 1);
	m->rs = (struct nflvs_shm_rs *)(m->svc + m->max_services);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int shm_create(struct shm_map *m, const char *name, unsigned int max_services,
	       unsigned int max_rs)
{
	struct nflvs_shm_header *h;
	size_t size = shm_segment_size(max_services, max_rs);
	int fd, err;

	memset(m, 0, sizeof(*m));
	if (strlen(name) >= sizeof(m->name))
		return -ENAMETOOLONG;
	/* Whoever still maps an old segment keeps it; we start clean. */
	shm_unlink(name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0660) < 0 || ftruncate(fd, size) < 0) {
		err = -errno;
		close(fd);
		shm_unlink(name);
		return err;
	}
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = -errno;
	close(fd);
	if (m->base == MAP_FAILED) {
		shm_unlink(name);
		return err;
	}
	m->size = size;
	m->owner = true;
	snprintf(m->name, sizeof(m->name), "%s", name);
	h = m->base;
	h->abi_version = NFLVS_SHM_ABI;
	h->header_size = sizeof(*h);
	h->service_size = sizeof(struct nflvs_shm_service);
	h->rs_size = sizeof(struct nflvs_shm_rs);
	h->max_services = max_services;
	h->max_rs = max_rs;
	h->director_pid = getpid();
	h->director_start = realtime_ns();
	h->next_id = 1;
	/* magic last: a reader that sees it sees a complete header */
	__atomic_store_n(&h->magic, NFLVS_SHM_MAGIC, __ATOMIC_RELEASE);
	shm_layout(m);
	return 0;
}

static int shm_validate(const struct nflvs_shm_header *h, size_t size,
			char *err, size_t errlen)
{
	if (size < sizeof(*h) ||
	    __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != NFLVS_SHM_MAGIC) {
		snprintf(err, errlen, "not an nflvs segment (bad magic)");
		return -EPROTO;
	}
	if (h->abi_version != NFLVS_SHM_ABI) {
		snprintf(err, errlen, "ABI version %u, this program speaks %u",
			 h->abi_version, NFLVS_SHM_ABI);
		return -EPROTO;
	}
	if (h->header_size != sizeof(*h) ||
	    h->service_size != sizeof(struct nflvs_shm_service) ||
	    h->rs_size != sizeof(struct nflvs_shm_rs) ||
	    shm_segment_size(h->max_services, h->max_rs) > size) {
		snprintf(err, errlen, "record sizes do not match ABI %u",
			 NFLVS_SHM_ABI);
		return -EINVAL;
	}
	return 0;
}

int shm_attach(struct shm_map *m, const char *name, bool writable,
	       char *err, size_t errlen)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	struct stat st;
	int fd, ret;

	memset(m, 0, sizeof(*m));
	if (strlen(name) >= sizeof(m->name)) {
		snprintf(err, errlen, "name too long");
		return -ENAMETOOLONG;
	}
	fd = shm_open(name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(*m->hdr)) {
		close(fd);
		snprintf(err, errlen, "segment too small");
		return -EINVAL;
	}
	m->base = mmap(NULL, st.st_size, prot, MAP_SHARED, fd, 0);
	ret = -errno;
	close(fd);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		snprintf(err, errlen, "mmap: %s", strerror(-ret));
		return ret;
	}
	ret = shm_map_mem(m, m->base, st.st_size, err, errlen);
	if (ret < 0) {
		munmap(m->base, st.st_size);
		m->base = NULL;
		return ret;
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	return 0;
}

int shm_map_mem(struct shm_map *m, void *base, size_t size, char *err,
		size_t errlen)
{
	int ret = shm_validate(base, size, err, errlen);

	if (ret < 0)
		return ret;
	m->base = base;
	m->size = size;
	shm_layout(m);
	return 0;
}

void shm_close(struct shm_map *m)
{
	if (!m->base)
		return;
	if (m->owner) {
		__atomic_or_fetch(&m->hdr->flags, NFLVS_SHM_F_CLOSED,
				  __ATOMIC_RELEASE);
		shm_unlink(m->name);
	}
	munmap(m->base, m->size);
	m->base = NULL;
}

int shm_service_alloc(struct shm_map *m, uint32_t *id)
{
	uint32_t i;

	for (i = 0; i < m->max_services; i++) {
		struct nflvs_shm_service *s = &m->svc[i];

		if (s->id)
			continue;
		nflvs_seq_write_begin(&s->seq);
		memset(&s->dir, 0, sizeof(s->dir));
		__atomic_store_n(&s->id, m->hdr->next_id++, __ATOMIC_RELAXED);
		nflvs_seq_write_end(&s->seq);
		*id = s->id;
		return i;
	}
	return -ENOSPC;
}

int shm_rs_alloc(struct shm_map *m, uint32_t *id)
{
	uint32_t i;

	for (i = 0; i < m->max_rs; i++) {
		struct nflvs_shm_rs *r = &m->rs[i];

		if (r->id)
			continue;
		nflvs_seq_write_begin(&r->seq);
		memset(&r->dir, 0, sizeof(r->dir));
		__atomic_store_n(&r->id, m->hdr->next_id++, __ATOMIC_RELAXED);
		nflvs_seq_write_end(&r->seq);
		/* the health half starts unknown; the checker owns it after */
		nflvs_seq_write_begin(&r->hseq);
		memset(&r->health, 0, sizeof(r->health));
		r->health.weight = -1;
		nflvs_seq_write_end(&r->hseq);
		*id = r->id;
		return i;
	}
	return -ENOSPC;
}

void shm_service_free(struct shm_map *m, int slot)
{
	struct nflvs_shm_service *s = &m->svc[slot];

	nflvs_seq_write_begin(&s->seq);
	__atomic_store_n(&s->id, 0, __ATOMIC_RELAXED);
	nflvs_seq_write_end(&s->seq);
}

void shm_rs_free(struct shm_map *m, int slot)
{
	struct nflvs_shm_rs *r = &m->rs[slot];

	nflvs_seq_write_begin(&r->seq);
	__atomic_store_n(&r->id, 0, __ATOMIC_RELAXED);
	nflvs_seq_write_end(&r->seq);
}

void shm_bump_generation(struct shm_map *m)
{
	__atomic_add_fetch(&m->hdr->generation, 1, __ATOMIC_RELEASE);
}

uint64_t shm_generation(const struct shm_map *m)
{
	return __atomic_load_n(&m->hdr->generation, __ATOMIC_ACQUIRE);
}

int shm_set_group(const struct shm_map *m, gid_t gid)
{
	int fd = shm_open(m->name, O_RDWR | O_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	if (fchown(fd, (uid_t)-1, gid) < 0 || fchmod(fd, 0660) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
