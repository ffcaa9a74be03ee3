// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the control protocol as the director serves it:
 * the input is what one client sends on the socket, a stream of requests
 * (include/nflvs/ctl.h, BATCH included).  It is read back by
 * ctl_recv_alloc() from a memfd, exactly as control.c reads a client, and
 * each request goes through ctl_check_request_len() and admin_serve().
 * The director behind admin_serve() is the real one minus the kernel:
 * apply_config() edits a real svcset and a real shared memory segment, its
 * nftables batch goes to a hook that checks it is well formed and says
 * yes; reload and --set are hooks (the files and the kernel are not
 * fuzzed here).  Checked on every reply: a status that is 0 or -errno, a
 * payload within NFLVS_CTL_MAX_LEN, and error text within
 * NFLVS_CTL_TEXT_MAX (plus BATCH's struct).
 *
 * The first input byte is a mode: bit 0 makes every header (and every
 * BATCH sub-header) well formed (magic, version, a length that fits what
 * follows), so that the fuzzer reaches the requests, not just the framing.
 * Build and run: make fuzz; tests/fuzz/run.sh ctl_fuzz.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "admin.h"
#include "apply.h"
#include "control.h"
#include "ctlmsg.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

static struct shm_map shm;
static struct ctrack ct;
static struct flowpath fp;
static struct rs_timeouts timeouts = { 900, 120, 300, { 0 } };
static struct ruleset rs;
static int memfd = -1;
static char table[64];

/* The batch the director would send: every message well formed. */
static int hook_commit(void *ctx, struct nft_batch *b, char *err, size_t len)
{
	const struct nlmsghdr *nlh;

	(void)ctx;
	(void)err;
	(void)len;
	for (nlh = nft_batch_first(b); nlh; nlh = nft_batch_following(b, nlh))
		CHECK(nlh->nlmsg_len >= sizeof(*nlh));
	return 0;
}

static int fake_reload(void *ctx, struct cfg_errors *errs)
{
	(void)ctx;
	memset(errs, 0, sizeof(*errs));
	config_error_push(errs, "nflvs.conf:3: scheduler: unknown");
	return -EINVAL;
}

static int fake_timeouts(void *ctx, const struct rs_timeouts *t, char *err,
			 size_t len)
{
	(void)ctx;
	(void)err;
	(void)len;
	timeouts = *t;
	rs.timeouts = *t;
	return 0;
}

static void send_nothing(void *ctx, struct dest *dst, const struct flow_key *k,
			 const void *pkt, uint32_t len)
{
	(void)ctx;
	(void)dst;
	(void)k;
	(void)pkt;
	(void)len;
}

static int apply_hook(void *ctx, struct nflvs_config *cfg, char *err,
		      size_t len)
{
	return apply_config(ctx, cfg, err, len);
}

static void once(void)
{
	static struct dir_counters counters;
	struct flowpath_env env = { .mark_mask = 0x00ff0000,
				    .timeouts = &timeouts,
				    .counters = &counters,
				    .send = send_nothing };
	char name[64];

	log_set_level(LOG_ERR - 1);	/* quiet */
	snprintf(name, sizeof(name), "/nflvs-fuzz-ctl-%d", (int)getpid());
	CHECK(shm_create(&shm, name, 64, 256) == 0);
	shm_unlink(name);		/* gone with the process */
	CHECK(ctrack_init(&ct, 0x00ff0000, NULL, NULL) == 0);
	CHECK(flowpath_init(&fp, &env) == 0);
	/* a table that is nowhere: DR flows read from it are none */
	snprintf(table, sizeof(table), "nflvs-fuzz-%d", (int)getpid());
	rs.table = table;
	rs.mark_mask = 0x00ff0000;
	rs.queues = 1;
	rs.timeouts = timeouts;
	memfd = memfd_create("ctl", MFD_CLOEXEC);
	CHECK(memfd >= 0);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void wr(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
}

/* Make the headers from @off on well formed, @depth 1 inside a BATCH. */
static void fix_headers(uint8_t *b, size_t len, int depth)
{
	const uint32_t magic = NFLVS_CTL_MAGIC;
	const uint16_t version = NFLVS_CTL_VERSION;
	size_t off = 0, hl = sizeof(struct nflvs_ctl_hdr);
	uint32_t plen;
	uint16_t type;

	while (len - off >= hl) {
		uint8_t *h = b + off;

		wr(h + offsetof(struct nflvs_ctl_hdr, magic), &magic, 4);
		wr(h + offsetof(struct nflvs_ctl_hdr, version), &version, 2);
		memcpy(&type, h + offsetof(struct nflvs_ctl_hdr, type), 2);
		type = (uint16_t)(type % (NFLVS_CTL_TYPE_MAX + 1));
		wr(h + offsetof(struct nflvs_ctl_hdr, type), &type, 2);
		plen = rd32(h + offsetof(struct nflvs_ctl_hdr, len));
		if (plen > len - off - hl)
			plen = (uint32_t)(len - off - hl);
		wr(h + offsetof(struct nflvs_ctl_hdr, len), &plen, 4);
		if (type == NFLVS_CTL_BATCH && !depth)
			fix_headers(h + hl, plen, 1);
		off += hl + plen;
	}
}

static void check_reply(const struct nflvs_ctl_hdr *h,
			const struct ctl_reply *r)
{
	size_t text = NFLVS_CTL_TEXT_MAX;

	CHECK(r->status <= 0 && r->status > -4096);
	CHECK(r->len <= NFLVS_CTL_MAX_LEN && r->len <= r->cap);
	CHECK(!r->len || r->buf);
	if (h->type == NFLVS_CTL_BATCH)
		text += sizeof(struct nflvs_ctl_batch_reply);
	/* RELOAD's lines are the reply itself, not one explanation */
	if (r->status < 0 && h->type != NFLVS_CTL_RELOAD)
		CHECK(r->len <= text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nflvs_config running = { 0 };
	struct svcset set;
	struct apply ap;
	struct admin ad;
	struct nflvs_ctl_hdr h;
	uint8_t *in;
	void *req;
	int n;

	if (!size)
		return 0;
	if (memfd < 0)
		once();
	in = malloc(size);
	CHECK(in);
	memcpy(in, data + 1, size - 1);
	if (data[0] & 1)
		fix_headers(in, size - 1, 0);
	CHECK(ftruncate(memfd, 0) == 0);
	CHECK(pwrite(memfd, in, size - 1, 0) == (ssize_t)(size - 1));
	CHECK(lseek(memfd, 0, SEEK_SET) == 0);
	free(in);

	running.path = strdup("nflvs.conf");
	CHECK(running.path && svcset_init(&set, 0x00ff0000) == 0);
	ap = (struct apply){ .set = &set, .shm = &shm, .running = &running,
			     .rs = &rs, .hooks = { .commit = hook_commit } };
	ad = (struct admin){ .set = &set, .shm = &shm, .ct = &ct, .fp = &fp,
			     .rs = &rs, .running = &running,
			     .apply = apply_hook, .reload = fake_reload,
			     .set_timeouts = fake_timeouts, .ctx = &ap };

	/* control.c's loop for one client, replies checked, not sent */
	for (;;) {
		struct ctl_reply r = { 0 };

		n = ctl_recv_alloc(memfd, &h, &req, CONTROL_REQ_MAX,
				   NFLVS_CTL_BATCH_MAX);
		if (n == 0 || (n < 0 && n != -EOPNOTSUPP))
			break;
		if (n == -EOPNOTSUPP)
			r.status = -EOPNOTSUPP;
		else if (ctl_check_request_len(h.type, h.len) < 0)
			ctl_reply_err(&r, -EPROTO, "%s: wrong payload length %u",
				      ctl_type_name(h.type), h.len);
		else
			admin_serve(&ad, &h, req, &r);
		free(req);
		check_reply(&h, &r);
		free(r.buf);
	}
	CHECK(!req);

	apply_release(&ap);
	svcset_fini(&set);
	config_free(&running);
	timeouts = (struct rs_timeouts){ 900, 120, 300, { 0 } };
	rs.timeouts = timeouts;
	return 0;
}
