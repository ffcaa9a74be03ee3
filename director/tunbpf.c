// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>

#include "bpf/tunbpf.h"
#include "log.h"
#include "tunbpf.h"

/* The program's object, embedded by the Makefile (tun_encap.blob.S). */
extern const char nflvs_tun_encap_obj[], nflvs_tun_encap_obj_end[];

/* Our filter on each device: tc's handle and priority. */
#define TC_HANDLE	0x6e66		/* "nf" */
#define TC_PRIO		0x6e66
#define MAX_DEVS	64

struct tunbpf {
	struct bpf_object *obj;
	int prog_fd;
	int cfg_fd;
	int dests_fd;
	int dev[MAX_DEVS];		/* where it is attached */
	unsigned int ndev;
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG || log_level() < LOG_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

struct tunbpf *tunbpf_open(uint32_t mark_mask, char *why, size_t whylen)
{
	struct tunbpf_cfg cfg = { .mark_mask = mark_mask };
	const char *no = getenv("NFLVS_NO_BPF");
	struct bpf_program *prog;
	struct tunbpf *tb;
	uint32_t zero = 0;
	int ret;

	if (no && *no && strcmp(no, "0")) {
		snprintf(why, whylen, "NFLVS_NO_BPF is set");
		return NULL;
	}
	tb = calloc(1, sizeof(*tb));
	if (!tb) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return NULL;
	}
	libbpf_set_print(libbpf_log);
	tb->obj = bpf_object__open_mem(nflvs_tun_encap_obj,
				       (size_t)(nflvs_tun_encap_obj_end -
						nflvs_tun_encap_obj), NULL);
	if (!tb->obj) {
		snprintf(why, whylen, "opening the program: %s", strerror(errno));
		free(tb);
		return NULL;
	}
	ret = bpf_object__load(tb->obj);
	if (ret) {
		snprintf(why, whylen, "loading the program: %s", strerror(-ret));
		goto fail;
	}
	prog = bpf_object__find_program_by_name(tb->obj, "tun_encap");
	tb->prog_fd = prog ? bpf_program__fd(prog) : -1;
	tb->cfg_fd = bpf_object__find_map_fd_by_name(tb->obj, "tun_cfg");
	tb->dests_fd = bpf_object__find_map_fd_by_name(tb->obj, "tun_dests");
	if (tb->prog_fd < 0 || tb->cfg_fd < 0 || tb->dests_fd < 0) {
		snprintf(why, whylen, "the program's object lacks its parts");
		goto fail;
	}
	if (bpf_map_update_elem(tb->cfg_fd, &zero, &cfg, BPF_ANY)) {
		snprintf(why, whylen, "setting its mark mask: %s", strerror(errno));
		goto fail;
	}
	return tb;
fail:
	bpf_object__close(tb->obj);
	free(tb);
	return NULL;
}

static void hook_of(struct bpf_tc_hook *h, int ifindex)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = BPF_TC_EGRESS;
}

int tunbpf_attach(struct tunbpf *tb, int ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o = { .sz = sizeof(o) };
	unsigned int i;
	int ret;

	for (i = 0; i < tb->ndev; i++)
		if (tb->dev[i] == ifindex)
			return 0;
	if (tb->ndev == MAX_DEVS)
		return -ENOSPC;
	hook_of(&h, ifindex);
	ret = bpf_tc_hook_create(&h);
	if (ret && ret != -EEXIST)
		return ret;
	o.handle = TC_HANDLE;
	o.priority = TC_PRIO;
	o.prog_fd = tb->prog_fd;
	o.flags = BPF_TC_F_REPLACE;
	ret = bpf_tc_attach(&h, &o);
	if (ret)
		return ret;
	tb->dev[tb->ndev++] = ifindex;
	return 0;
}

void tunbpf_close(struct tunbpf *tb, bool detach)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o = { .sz = sizeof(o) };
	unsigned int i;

	if (!tb)
		return;
	for (i = 0; detach && i < tb->ndev; i++) {
		hook_of(&h, tb->dev[i]);
		o.handle = TC_HANDLE;
		o.priority = TC_PRIO;
		bpf_tc_detach(&h, &o);
	}
	bpf_object__close(tb->obj);
	free(tb);
}

bool tunbpf_suits(const struct cfg_tunnel *t, uint8_t vip_family,
		  uint8_t rs_family)
{
	/* checksums cover every segment of a GSO packet, which the stack's
	 * tunnel offloads do not do for a program's headers; another family
	 * outside would need a route of one family via the other */
	return (t->type == TUN_IPIP || t->type == TUN_GRE ||
		t->type == TUN_GUE) && !t->csum && vip_family == rs_family;
}

int tunbpf_dest_set(struct tunbpf *tb, uint32_t mark, const struct encap *e)
{
	struct tunbpf_dest d = {
		.type = e->type == TUN_GRE ? TUNBPF_GRE :
			e->type == TUN_GUE ? TUNBPF_GUE : TUNBPF_IPIP,
		.family = e->dst.family == AF_INET6 ? 6 : 4,
		.port = e->port,
		.sport_lo = e->sport_lo,
		.sport_hi = e->sport_hi,
		.overhead = e->overhead,
		.mtu = __atomic_load_n(&e->mtu, __ATOMIC_RELAXED),
		.hashrnd = e->hashrnd,
		.id_next = __atomic_load_n(&e->id_next, __ATOMIC_RELAXED),
	};

	if (e->csum || !e->overhead)
		return -EINVAL;
	memcpy(d.src, e->src.b, addr_len(&e->src));
	memcpy(d.dst, e->dst.b, addr_len(&e->dst));
	return bpf_map_update_elem(tb->dests_fd, &mark, &d, BPF_ANY) ? -errno : 0;
}

void tunbpf_dest_del(struct tunbpf *tb, uint32_t mark)
{
	if (tb)
		bpf_map_delete_elem(tb->dests_fd, &mark);
}

int tunbpf_prog_fd(const struct tunbpf *tb)
{
	return tb->prog_fd;
}
