// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-tundecap: the real server's tunnel end where the kernel has no
 * tunnel devices (no ipip, ip6_tunnel, ip_gre, fou modules): the tc
 * ingress program of director/bpf/tun_decap.bpf.c, embedded, on a device.
 * nflvs-realserver's `tun up' runs it; see nflvs-realserver(8).
 *
 *   nflvs-tundecap attach DEV --type ipip|gre|gue [--port PORT]
 *	the program on DEV's ingress (a clsact qdisc made if missing; ours
 *	replaced if there), taking off that tunnel (gue: to UDP PORT)
 *   nflvs-tundecap detach DEV
 *	the program off DEV (no error if it was not there)
 *
 * The filter keeps the program and its map once this exits.  Exit 0 on
 * success, 1 on failure (a message on stderr), 2 on bad arguments.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tunbpf.h"

extern const char nflvs_tun_decap_obj[], nflvs_tun_decap_obj_end[];

/* tc's handle and priority of our filter */
#define TC_HANDLE	0x6e66
#define TC_PRIO		0x6e66

/* To standard output and 0 when asked (-h), else to standard error
 * and 2. */
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: nflvs-tundecap attach DEV --type ipip|gre|gue [--port PORT]\n"
		"       nflvs-tundecap detach DEV\n");
	exit(status);
}

/* libbpf's own messages: the errors are ours to say (see below) */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void hook_of(struct bpf_tc_hook *h, int ifindex)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = BPF_TC_INGRESS;
}

static int attach(int ifindex, const struct tunbpf_decap *cfg)
{
	struct bpf_tc_opts o = { .sz = sizeof(o) };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_tc_hook h;
	uint32_t zero = 0;
	int ret, fd;

	obj = bpf_object__open_mem(nflvs_tun_decap_obj,
				   (size_t)(nflvs_tun_decap_obj_end -
					    nflvs_tun_decap_obj), NULL);
	if (!obj) {
		fprintf(stderr, "nflvs-tundecap: opening the program: %s\n",
			strerror(errno));
		return 1;
	}
	ret = bpf_object__load(obj);
	if (ret) {
		fprintf(stderr, "nflvs-tundecap: loading the program: %s%s\n",
			strerror(-ret), ret == -EPERM ? " (root needed)" : "");
		goto out;
	}
	prog = bpf_object__find_program_by_name(obj, "tun_decap");
	fd = bpf_object__find_map_fd_by_name(obj, "tun_decap_cfg");
	if (!prog || fd < 0 || bpf_map_update_elem(fd, &zero, cfg, BPF_ANY)) {
		fprintf(stderr, "nflvs-tundecap: setting the program up: %s\n",
			strerror(errno));
		ret = -EINVAL;
		goto out;
	}
	hook_of(&h, ifindex);
	ret = bpf_tc_hook_create(&h);
	if (ret && ret != -EEXIST) {
		fprintf(stderr, "nflvs-tundecap: clsact qdisc: %s\n", strerror(-ret));
		goto out;
	}
	o.handle = TC_HANDLE;
	o.priority = TC_PRIO;
	o.prog_fd = bpf_program__fd(prog);
	o.flags = BPF_TC_F_REPLACE;
	ret = bpf_tc_attach(&h, &o);
	if (ret)
		fprintf(stderr, "nflvs-tundecap: attaching: %s\n", strerror(-ret));
out:
	bpf_object__close(obj);
	return ret ? 1 : 0;
}

static int detach(int ifindex)
{
	struct bpf_tc_opts o = { .sz = sizeof(o), .handle = TC_HANDLE,
				 .priority = TC_PRIO };
	struct bpf_tc_hook h;
	int ret;

	hook_of(&h, ifindex);
	ret = bpf_tc_detach(&h, &o);
	if (ret && ret != -ENOENT && ret != -EINVAL) {
		fprintf(stderr, "nflvs-tundecap: detaching: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tunbpf_decap cfg = { 0 };
	unsigned long port = 0;
	unsigned int ifindex;
	char *end;
	int i;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		usage(0);
	if (argc < 3)
		usage(2);
	libbpf_set_print(quiet);
	ifindex = if_nametoindex(argv[2]);
	if (!strcmp(argv[1], "detach") && argc == 3) {
		if (!ifindex) {
			fprintf(stderr, "nflvs-tundecap: no device %s\n", argv[2]);
			return 1;
		}
		return detach((int)ifindex);
	}
	if (strcmp(argv[1], "attach"))
		usage(2);
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--type") && i + 1 < argc) {
			i++;
			cfg.type = !strcmp(argv[i], "ipip") ? TUNBPF_IPIP :
				   !strcmp(argv[i], "gre") ? TUNBPF_GRE :
				   !strcmp(argv[i], "gue") ? TUNBPF_GUE : 0;
			if (!cfg.type) {
				fprintf(stderr, "nflvs-tundecap: unknown tunnel type `%s' (ipip, gre or gue)\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			errno = 0;
			port = strtoul(argv[++i], &end, 10);
			if (errno || *end || !port || port > 65535) {
				fprintf(stderr, "nflvs-tundecap: bad port `%s'\n",
					argv[i]);
				return 2;
			}
		} else {
			usage(2);
		}
	}
	if (!cfg.type)
		usage(2);
	if ((cfg.type == TUNBPF_GUE) != (port != 0)) {
		fprintf(stderr, "nflvs-tundecap: --port goes with --type gue, and only with it\n");
		return 2;
	}
	cfg.port = (uint16_t)port;
	if (!ifindex) {
		fprintf(stderr, "nflvs-tundecap: no device %s\n", argv[2]);
		return 1;
	}
	return attach((int)ifindex, &cfg);
}
