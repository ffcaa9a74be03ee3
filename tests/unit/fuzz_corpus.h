/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_TEST_FUZZ_CORPUS_H
#define NFLVS_TEST_FUZZ_CORPUS_H

/*
 * An input of tests/fuzz/corpus/TARGET/ (a seed the kernel sent, or what
 * a fuzz target once crashed on) for a unit test: the bytes after its
 * first @skip (the target's own choices), copied to @buf, which the
 * caller keeps aligned as a recv() buffer.  Returns their number.
 */

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline size_t fuzz_corpus(const char *target, const char *name,
				 size_t skip, void *buf, size_t cap)
{
	char path[160];
	uint8_t raw[8192];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "tests/fuzz/corpus/%s/%s", target, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	cr_assert(n >= skip && n - skip <= cap, "%s: %zu bytes", path, n);
	memcpy(buf, raw + skip, n - skip);
	return n - skip;
}

#endif
