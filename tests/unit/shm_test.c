// SPDX-License-Identifier: GPL-2.0-or-later
/* The shared-memory segment and its seqlock. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm_map.h"

static char name[64];

static void setup(void)
{
	snprintf(name, sizeof(name), "/nflvs-unit-%d", (int)getpid());
}

static void teardown(void)
{
	shm_unlink(name);
}

TestSuite(shm, .init = setup, .fini = teardown);

Test(shm, create_attach_validate)
{
	struct shm_map w, r;
	char err[128];
	uint32_t id1, id2, id3;
	int s1, s2;

	cr_assert_eq(shm_create(&w, name, 4, 8), 0);
	cr_assert_eq(shm_attach(&r, name, false, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.hdr->max_services, 4);
	cr_expect_eq(r.hdr->max_rs, 8);
	cr_expect_eq(r.hdr->director_pid, (uint32_t)getpid());

	s1 = shm_rs_alloc(&w, &id1);
	s2 = shm_rs_alloc(&w, &id2);
	cr_expect(s1 >= 0 && s2 >= 0 && s1 != s2);
	cr_expect_neq(id1, id2);
	cr_expect_eq(r.rs[s2].id, id2, "reader sees the writer's slot");
	cr_expect_eq(r.rs[s2].health.weight, -1, "health starts unset");
	shm_rs_free(&w, s1);
	cr_expect_eq(shm_rs_alloc(&w, &id3), s1, "free slot reused");
	cr_expect(id3 != id1 && id3 != id2, "ids are never reused");

	cr_expect_eq(shm_generation(&r), 0);
	shm_bump_generation(&w);
	cr_expect_eq(shm_generation(&r), 1);
	shm_close(&r);
	shm_close(&w);
}

Test(shm, full_table)
{
	struct shm_map w;
	uint32_t id;
	int i;

	cr_assert_eq(shm_create(&w, name, 2, 3), 0);
	for (i = 0; i < 3; i++)
		cr_expect_geq(shm_rs_alloc(&w, &id), 0);
	cr_expect_eq(shm_rs_alloc(&w, &id), -ENOSPC);
	cr_expect_geq(shm_service_alloc(&w, &id), 0);
	cr_expect_geq(shm_service_alloc(&w, &id), 0);
	cr_expect_eq(shm_service_alloc(&w, &id), -ENOSPC);
	shm_close(&w);
}

Test(shm, refuses_wrong_abi_and_magic)
{
	struct shm_map w, r;
	char err[128];

	cr_assert_eq(shm_create(&w, name, 1, 1), 0);
	w.hdr->abi_version = NFLVS_SHM_ABI + 1;
	cr_expect_eq(shm_attach(&r, name, false, err, sizeof(err)), -EPROTO);
	cr_expect(strstr(err, "ABI version") != NULL, "%s", err);
	w.hdr->abi_version = NFLVS_SHM_ABI;
	w.hdr->rs_size++;
	cr_expect_eq(shm_attach(&r, name, false, err, sizeof(err)), -EINVAL);
	w.hdr->rs_size--;
	w.hdr->magic = 0;
	cr_expect_eq(shm_attach(&r, name, false, err, sizeof(err)), -EPROTO);
	cr_expect(strstr(err, "magic") != NULL, "%s", err);
	shm_close(&w);
	cr_expect_eq(shm_attach(&r, name, false, err, sizeof(err)), -ENOENT,
		     "the owner unlinks on close");
}

Test(shm, close_flags_header_for_readers)
{
	struct shm_map w, r;
	char err[128];

	cr_assert_eq(shm_create(&w, name, 1, 1), 0);
	cr_assert_eq(shm_attach(&r, name, false, err, sizeof(err)), 0);
	shm_close(&w);
	cr_expect(r.hdr->flags & NFLVS_SHM_F_CLOSED);
	shm_close(&r);
}

/* ---- seqlock ------------------------------------------------------------ */

#define WORDS	32

struct rec {
	uint32_t seq;
	uint32_t w[WORDS];
};

static struct rec rec;
static volatile int done;

static void *writer(void *arg)
{
	uint32_t v[WORDS];
	long i, n = (long)arg;
	int j;

	for (i = 1; i <= n; i++) {
		for (j = 0; j < WORDS; j++)
			v[j] = (uint32_t)i;
		nflvs_seq_write(&rec.seq, rec.w, v, sizeof(v));
	}
	done = 1;
	return NULL;
}

Test(seqlock, reader_never_sees_a_torn_record)
{
	uint32_t copy[WORDS];
	long reads = 0, torn = 0, retries = 0;
	pthread_t t;
	int j;

	memset(&rec, 0, sizeof(rec));
	done = 0;
	pthread_create(&t, NULL, writer, (void *)2000000L);
	while (!done || reads < 1000) {
		if (nflvs_seq_read(&rec.seq, copy, rec.w, sizeof(copy)) < 0) {
			retries++;
			continue;
		}
		reads++;
		for (j = 1; j < WORDS; j++)
			if (copy[j] != copy[0]) {
				torn++;
				break;
			}
	}
	pthread_join(t, NULL);
	/* the writer is done: this read sees its last write */
	cr_assert_eq(nflvs_seq_read(&rec.seq, copy, rec.w, sizeof(copy)), 0);
	cr_expect_eq(torn, 0, "%ld torn reads out of %ld", torn, reads);
	cr_expect_gt(reads, 0);
	cr_expect_eq(copy[0], 2000000u, "last read sees the last write");
}

Test(seqlock, dead_writer_does_not_wedge_anyone)
{
	uint32_t v[WORDS] = { 7 }, copy[WORDS];

	memset(&rec, 0, sizeof(rec));
	nflvs_seq_write_begin(&rec.seq);	/* writer dies here */
	cr_expect_eq(nflvs_seq_read(&rec.seq, copy, rec.w, sizeof(copy)), -EAGAIN);
	nflvs_seq_write(&rec.seq, rec.w, v, sizeof(v));	/* a new writer */
	cr_expect_eq(rec.seq % 2, 0);
	cr_expect_eq(nflvs_seq_read(&rec.seq, copy, rec.w, sizeof(copy)), 0);
	cr_expect_eq(copy[0], 7);
}
