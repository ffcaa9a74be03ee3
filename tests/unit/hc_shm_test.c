// SPDX-License-Identifier: GPL-2.0-or-later
/* Publishing health into the director's segment and reading it back. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hcstate.h"
#include "shm_map.h"

static char name[64];

static void setup(void)
{
	snprintf(name, sizeof(name), "/nflvs-unit-hc-%d", (int)getpid());
}

static void teardown(void)
{
	shm_unlink(name);
}

TestSuite(hc_shm, .init = setup, .fini = teardown);

Test(hc_shm, publish_then_read_back)
{
	struct shm_map dir, hc;
	hc_record_t h, back;
	char err[128];
	uint32_t id;
	int slot;

	cr_assert_eq(shm_create(&dir, name, 2, 4), 0);
	slot = shm_rs_alloc(&dir, &id);
	cr_assert_geq(slot, 0);
	cr_assert_eq(shm_attach(&hc, name, true, err, sizeof(err)), 0, "%s", err);

	hcstate_record_init(&h);
	h.state = NFLVS_RS_DOWN;
	h.weight = 3;
	h.last_check = 123456789;
	h.last_change = 12345;
	h.latency_us = 250;
	h.transitions = 4;
	h.checks_ok = 10;
	h.checks_failed = 2;
	snprintf(h.last_error, sizeof(h.last_error), "HTTP 503");
	hcstate_publish(&hc.rs[slot], &h);
	hcstate_notify(hc.hdr);

	cr_assert_eq(hcstate_read(&dir.rs[slot], &back), 0);
	cr_expect_eq(memcmp(&h, &back, sizeof(h)), 0);
	cr_expect_eq(back.state, NFLVS_RS_DOWN);
	cr_expect_str_eq(back.last_error, "HTTP 503");
	cr_expect_eq(dir.hdr->health_generation, 1);
	cr_expect_eq(dir.rs[slot].hseq % 2, 0, "the seqlock is even at rest");
	cr_expect_eq(dir.rs[slot].id, id, "the director's half is untouched");
	shm_close(&hc);
	shm_close(&dir);
}

struct race {
	struct nflvs_shm_rs *rs;
	volatile int stop;
};

static void *writer(void *arg)
{
	struct race *r = arg;
	hc_record_t h;
	uint64_t i;

	hcstate_record_init(&h);
	for (i = 1; !r->stop; i++) {
		/* every field derived from i: a torn copy would mix two */
		h.last_check = i;
		h.checks_ok = i;
		h.checks_failed = ~i;
		h.latency_us = (uint32_t)i;
		memset(h.last_error, 'a' + (int)(i % 26), sizeof(h.last_error) - 1);
		hcstate_publish(r->rs, &h);
	}
	return NULL;
}

Test(hc_shm, readers_never_see_a_torn_record)
{
	struct shm_map m;
	struct race r = { 0 };
	pthread_t th;
	hc_record_t h;
	uint32_t id;
	int slot, i, ok = 0;

	cr_assert_eq(shm_create(&m, name, 1, 1), 0);
	slot = shm_rs_alloc(&m, &id);
	r.rs = &m.rs[slot];
	pthread_create(&th, NULL, writer, &r);
	/* until enough reads raced the writer (which may start late) */
	for (i = 0; ok < 100000 && i < 100000000; i++) {
		if (hcstate_read(r.rs, &h) || !h.last_check)
			continue;	/* busy, or not written yet */
		ok++;
		cr_assert_eq(h.checks_ok, h.last_check);
		cr_assert_eq(h.checks_failed, ~h.last_check);
		cr_assert_eq(h.latency_us, (uint32_t)h.last_check);
		cr_assert(h.last_error[0] == 0 ||
			  h.last_error[0] == h.last_error[NFLVS_SHM_ERR_MAX - 2]);
	}
	r.stop = 1;
	pthread_join(th, NULL);
	cr_expect_eq(ok, 100000);
	shm_close(&m);
}
