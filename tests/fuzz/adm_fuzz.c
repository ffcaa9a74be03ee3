// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for nflvsadm's inputs: its command line, the lines of
 * -R, and what the director answers to a listing.  The first input byte
 * chooses:
 *   0: the rest is argv, words separated by NUL bytes, for adm_parse();
 *   1: the rest is -R's standard input: each line split by
 *      adm_split_line() and parsed with ADM_PARSE_RESTORE, as
 *      run_restore() does;
 *   2, 3: the rest is a LIST or CONNS reply, for adm_list_parse() or
 *      adm_conns_parse(), then printed (to /dev/null) in every format the
 *      next byte selects, text, --sort, --json.
 * Names are resolved by a fixed table, never by the system.  Checked:
 * a parsed command has a known type; a refused one says why.
 * Build and run: make fuzz; tests/fuzz/run.sh adm_fuzz.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm_client.h"
#include "adm_format.h"
#include "adm_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

#define ARGS_MAX	64

static FILE *devnull;

static int fake_host(void *ctx, const char *name, struct in_addr *a)
{
	(void)ctx;
	if (!strcmp(name, "www.example.com"))
		return inet_pton(AF_INET, "192.0.2.10", a) == 1 ? 0 : -EINVAL;
	if (!strcmp(name, "localhost"))
		return inet_pton(AF_INET, "127.0.0.1", a) == 1 ? 0 : -EINVAL;
	return -ENOENT;
}

static int fake_service(void *ctx, const char *name, int proto)
{
	(void)ctx;
	if (!strcmp(name, "http") && proto == IPPROTO_TCP)
		return 80;
	if (!strcmp(name, "domain") && proto == IPPROTO_UDP)
		return 53;
	return -1;
}

static int name_host(void *ctx, int family, const uint8_t *addr, char *buf,
		     size_t len)
{
	(void)ctx;
	if (family != AF_INET || addr[0] != 10)
		return -1;
	snprintf(buf, len, "host-%u.example.com", addr[3]);
	return 0;
}

static int name_service(void *ctx, uint16_t port, int protocol, char *buf,
			size_t len)
{
	(void)ctx;
	(void)protocol;
	if (port != 80)
		return -1;
	snprintf(buf, len, "http");
	return 0;
}

static const struct adm_lookup lookup = {
	.host = fake_host, .service = fake_service,
};

static const struct adm_names names = {
	.host = name_host, .service = name_service,
};

static void parse(int argc, char **argv, unsigned int flags)
{
	struct adm_cmd cmd;
	struct adm_error err;

	memset(&err, 0, sizeof(err));
	if (adm_parse(argc, argv, &lookup, flags, &cmd, &err) == 0) {
		CHECK(cmd.type > ADM_CMD_NONE && cmd.type < ADM_CMD_MAX);
		CHECK(adm_cmd_name(cmd.type) != NULL);
		return;
	}
	/* (it may quote an argument, newlines and all, as ipvsadm does) */
	CHECK(memchr(err.msg, '\0', sizeof(err.msg)) && (err.tryhelp || err.msg[0]));
}

/* argv: words separated by NUL bytes, the program name first. */
static void args(const char *p, size_t n)
{
	char *copy = malloc(n + 1), *argv[ARGS_MAX + 2];
	int argc = 0;
	size_t i = 0;

	CHECK(copy);
	memcpy(copy, p, n);
	copy[n] = '\0';
	argv[argc++] = (char *)"nflvsadm";
	while (i <= n && argc <= ARGS_MAX) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;
	parse(argc, argv, 0);
	free(copy);
}

/* -R: line by line, as run_restore(). */
static void restore(const char *p, size_t n)
{
	char *text = malloc(n + 1), *line, *next;
	char **argv;
	int argc;

	CHECK(text);
	memcpy(text, p, n);
	text[n] = '\0';
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		argc = adm_split_line(line, "nflvsadm", &argv);
		if (argc < 0)
			break;
		if (argc > 1)
			parse(argc, argv, ADM_PARSE_RESTORE);
		adm_argv_free(argv);
	}
	free(text);
}

static void reply(int conns, unsigned int fmt, const void *p, size_t n)
{
	struct nflvs_ctl_info info = { .version = 0x010201,
				       .conn_tab_size = 4096 };
	struct adm_list list;
	struct adm_conns c;

	if (conns) {
		if (adm_conns_parse(p, n, &c))
			return;
		adm_format_conns(devnull, &c, fmt & ~ADM_FMT_JSON, &names);
		adm_json_conns(devnull, &c);
		adm_conns_free(&c);
		return;
	}
	if (adm_list_parse(p, n, &list))
		return;
	adm_format_list(devnull, &info, &list, fmt & ~ADM_FMT_JSON, &names);
	adm_json_list(devnull, &info, &list);
	adm_list_sort(&list);
	adm_format_list(devnull, NULL, &list, fmt & ~ADM_FMT_JSON, NULL);
	adm_list_free(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		CHECK(devnull);
	}
	if (size < 2)
		return 0;
	switch (data[0] & 3) {
	case 0:
		args((const char *)data + 1, size - 1);
		break;
	case 1:
		restore((const char *)data + 1, size - 1);
		break;
	default:
		reply(data[0] & 1, data[1] | ((unsigned int)data[0] << 4 & 0x700),
		      data + 2, size - 2);
	}
	return 0;
}
