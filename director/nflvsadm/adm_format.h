/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_ADM_FORMAT_H
#define NFLVS_ADM_FORMAT_H

/*
 * nflvsadm's output: ipvsadm 1.31's listings byte for byte (the same printf
 * formats), -S lines, the markers nflvs adds after a real server's columns,
 * --json, usage, and ipvsadm's error messages.  Pure: everything is written
 * to the FILE * given (open_memstream() in the tests) and names come from
 * the caller's struct adm_names.
 */

#include <stdint.h>
#include <stdio.h>

#include "adm_parse.h"
#include "nflvs/ctl.h"

#define ADM_VERSION	"0.1"

struct adm_svc;
struct adm_list;
struct adm_conns;

/*
 * Names for addresses and ports when -n is not given (ipvsadm's
 * gethostbyaddr() and getservbyport()).  Each returns 0 with the name in
 * @buf, or -1 to print the number.  A NULL struct or function: numbers.
 */
struct adm_names {
	void *ctx;
	int (*host)(void *ctx, int family, const uint8_t *addr, char *buf,
		    size_t len);
	int (*service)(void *ctx, uint16_t port, int protocol, char *buf,
		       size_t len);
};

/* "IP Virtual Server version 1.2.1 (size=4096)" */
void adm_format_version_line(FILE *f, const struct nflvs_ctl_info *info);

/* The column titles of a listing in format @fmt (none for -S). */
void adm_format_title(FILE *f, unsigned int fmt);

/* One service and its real servers, as print_service_entry(). */
void adm_format_service(FILE *f, const struct adm_svc *s, unsigned int fmt,
			const struct adm_names *names);

/*
 * A whole listing: the version line when @info is not NULL (-L; not for
 * -L -t SERVICE, nor -S), the titles, then every service.
 */
void adm_format_list(FILE *f, const struct nflvs_ctl_info *info,
		     const struct adm_list *list, unsigned int fmt,
		     const struct adm_names *names);

/* -Lc */
void adm_format_conns(FILE *f, const struct adm_conns *conns,
		      unsigned int fmt, const struct adm_names *names);

/* -L --timeout: "Timeout (tcp tcpfin udp): 900 120 300" */
void adm_format_timeout(FILE *f, const struct nflvs_ctl_timeout *t);
/* -L --daemon: ipvsadm 1.31's lines for the @n daemons of @d. */
void adm_format_daemons(FILE *f, const struct nflvs_ctl_daemon *d,
			size_t n);

/* A counter 9 wide, in K/M/G/T from 10^8 on unless ADM_FMT_EXACT. */
void adm_format_number(FILE *f, uint64_t v, unsigned int fmt);

/*
 * What nflvs adds after a real server's columns, "" for a healthy one:
 * "draining", "down" or "down: LAST ERROR", "weight N" when the health
 * checker set another weight; joined by ", ".
 */
const char *adm_format_marker(const struct nflvs_ctl_dest *d, char *buf,
			      size_t len);

/* --sort: services by (fwmark, family, protocol, address, port), real
 * servers by (address, port), as ipvsadm sorts. */
void adm_list_sort(struct adm_list *list);

/* --json: the listing, -Lc, --timeout and --daemon as JSON objects */
void adm_json_list(FILE *f, const struct nflvs_ctl_info *info,
		   const struct adm_list *list);
void adm_json_conns(FILE *f, const struct adm_conns *conns);
void adm_json_timeout(FILE *f, const struct nflvs_ctl_timeout *t);
void adm_json_daemons(FILE *f, const struct nflvs_ctl_daemon *d, size_t n);

/* -h and -v */
void adm_format_usage(FILE *f, const char *prog);
void adm_format_version(FILE *f);

/* ipvsadm's message for @err (> 0) returned to command @cmd, else
 * strerror(). */
const char *adm_strerror(enum adm_cmd_type cmd, int err);

#endif
