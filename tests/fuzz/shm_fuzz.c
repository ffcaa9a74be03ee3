// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the shared memory segment as its readers see it:
 * the input is the segment's bytes, corrupt or half written (a record
 * whose seqlock stays odd, ids without their service, any field).
 * shm_map_mem() validates it as shm_attach() does; then the checker's
 * targets_scan() joins it with a configuration (conf/nat.conf and
 * conf/dr.conf, if found) and reads each real server's health half with
 * hcstate_read(), as the checker and the director do.  The first byte is
 * a mode: bit 0 makes the header valid (magic, ABI, record sizes, counts
 * that fit), so that the fuzzer reaches the records; bit 1 then has
 * another process rewrite the header's counts after attaching, which a
 * reader must not follow.  Checked: every target is a slot in the
 * segment, sorted by id, with a terminated service name.
 * Build and run: make fuzz; tests/fuzz/run.sh shm_fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hcstate.h"
#include "shm_map.h"
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

static struct nflvs_config cfg[2];

static void once(void)
{
	static const char *const file[2] = { "conf/nat.conf", "conf/dr.conf" };
	struct cfg_errors errs;
	int i;

	for (i = 0; i < 2; i++) {
		if (config_load(file[i], &cfg[i], &errs))
			memset(&cfg[i], 0, sizeof(cfg[i]));
		config_errors_free(&errs);
	}
}

static void fix_header(struct nflvs_shm_header *h, size_t size,
		       const uint8_t *data)
{
	size_t room = size - sizeof(*h);

	h->magic = NFLVS_SHM_MAGIC;
	h->abi_version = NFLVS_SHM_ABI;
	h->header_size = sizeof(*h);
	h->service_size = sizeof(struct nflvs_shm_service);
	h->rs_size = sizeof(struct nflvs_shm_rs);
	h->max_services = data[1] % (room / sizeof(struct nflvs_shm_service) + 1);
	room -= h->max_services * sizeof(struct nflvs_shm_service);
	h->max_rs = data[2] % (room / sizeof(struct nflvs_shm_rs) + 1);
}

static void scan(const struct shm_map *m, const struct nflvs_config *c)
{
	struct target_desc *d = NULL;
	char label[256];
	hc_record_t h;
	int i, n;

	n = targets_scan(m, c, &d);
	CHECK(n >= 0 && (uint32_t)n <= m->max_rs);
	for (i = 0; i < n; i++) {
		CHECK(d[i].slot < m->max_rs);
		CHECK(!i || d[i - 1].id <= d[i].id);
		CHECK(memchr(d[i].svc_name, '\0', sizeof(d[i].svc_name)));
		targets_label(&d[i].key, d[i].svc_name, label, sizeof(label));
		targets_conf_weight(&m->rs[d[i].slot], d[i].id);
		hcstate_read(&m->rs[d[i].slot], &h);
	}
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nflvs_shm_header *h;
	struct shm_map m;
	char err[128];
	uint8_t *seg;
	size_t len;

	if (size < 4)
		return 0;
	if (!cfg[0].path && !cfg[1].path)
		once();
	len = size - 4;
	/* the segment: page-aligned in life, at least 8-aligned here */
	seg = aligned_alloc(64, (len + 63) & ~(size_t)63);
	CHECK(seg);
	memcpy(seg, data + 4, len);
	h = (struct nflvs_shm_header *)seg;
	if ((data[0] & 1) && len >= sizeof(*h))
		fix_header(h, len, data);
	memset(&m, 0, sizeof(m));
	if (shm_map_mem(&m, seg, len, err, sizeof(err)) == 0) {
		CHECK(shm_segment_size(m.max_services, m.max_rs) <= len);
		scan(&m, &cfg[data[3] & 1]);
		if (data[0] & 2) {
			/* a writer changes the counts under our feet */
			h->max_services = ~0u - data[1];
			h->max_rs = ~0u - data[2];
			scan(&m, &cfg[0]);
		}
	} else {
		CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
	}
	free(seg);
	return 0;
}
