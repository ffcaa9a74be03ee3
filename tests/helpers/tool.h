/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_TESTS_TOOL_H
#define NFLVS_TESTS_TOOL_H

/*
 * What the test helpers (nflvs-testnet, nflvs-decap, nflvs-rawpkt) share:
 * their command table, numbers on the command line, stopping on a signal
 * without a race, time, files that readers poll, host addresses, packet
 * fields and checksums.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

/*
 * SIGTERM and SIGINT stay blocked except while a helper sleeps with
 * wait_mask (ppoll(), epoll_pwait()), so a signal cannot slip in between a
 * check of stop_requested and going to sleep.  SIGPIPE is ignored.
 */
extern volatile sig_atomic_t stop_requested;
extern sigset_t wait_mask;
void signals_setup(void);

int64_t now_ms(void);		/* CLOCK_MONOTONIC */

/* An empty file at @path (a ready file); 0 or -errno. */
int file_touch(const char *path);

/* @path holds @line, written to a temporary file and renamed, so that a
 * reader never sees it half-written; 0 or -errno. */
int file_replace(const char *path, const char *line);

/* "10.0.0.1", "2001:db8::1" or "[2001:db8::1]"; 0 or -EINVAL. */
int parse_host(const char *s, struct nflvs_addr *a);

/* A decimal number from @min to @max; 0 or -EINVAL. */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *v);
/* The same for option @opt of command @cmd, saying on stderr what is
 * wrong; 0 or -1. */
int opt_uint(const char *cmd, const char *opt, const char *arg,
	     unsigned long long min, unsigned long long max,
	     unsigned long long *v);

/*
 * A helper's commands, a table as wireguard-tools' wg.c: the command word
 * runs @fn (argv[0] is the word).  @dflt, if not NULL, is the main job,
 * run with no command word when the first argument is an option (its
 * table entry only gives its synopsis).  @epilog: the last line of the
 * help, where to read more.
 */
#define EXIT_USAGE	2

struct tool_command {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *synopsis;
};

struct tool {
	const char *prog;
	const char *epilog;
	const struct tool_command *cmd;
	size_t ncmd;
	int (*dflt)(int argc, char *argv[]);
};

/* "Usage: PROG SYNOPSIS" of command @cmd on stderr; EXIT_USAGE. */
int tool_usage(const struct tool *t, const char *cmd);
/* Every command's synopsis on @f. */
void tool_usage_all(const struct tool *t, FILE *f);
/* Run the command argv[1] names, or help. */
int tool_main(const struct tool *t, int argc, char *argv[]);

/* Big-endian packet fields. */
uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);

/*
 * The Internet checksum (RFC 1071): csum_add() sums @len bytes as 16-bit
 * big-endian words into @sum, csum_fold() folds the carries (a correct
 * packet sums to 0xffff), csum_pseudo() is the sum of the pseudo-header
 * of a transport segment of @len bytes, csum_buf() the checksum (folded and
 * inverted) of @len bytes.
 */
uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len);
uint16_t csum_fold(uint64_t sum);
uint64_t csum_pseudo(int family, const uint8_t *src, const uint8_t *dst,
		     int proto, size_t len);
uint16_t csum_buf(const uint8_t *p, size_t len);
/* The checksum of transport segment @p of @len bytes from @src to @dst. */
uint16_t csum_l4(int family, const uint8_t *src, const uint8_t *dst, int proto,
		 const uint8_t *p, size_t len);

#endif
