// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the configuration file: config_load() (libconfig's
 * parser and our walk of what it read) and then validate_config(), as
 * `nflvs-director -t` and a reload run them.  The input is the file; it is
 * handed over as a memfd named by /proc/self/fd/N, so config_load() reads
 * it exactly as it reads a file on disk.  Checked on every run:
 *   - a result and the error list agree: 0 and no errors, or N > 0 errors;
 *   - every error names the file (FILE:LINE: or FILE: cannot read) unless
 *     an @include brought another one in, and is one printable line;
 *   - a valid file survives config_dup() and config_free().
 * Build and run: make fuzz; tests/fuzz/run.sh config_fuzz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert(): it must hold with -DNDEBUG too. */
#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

static void check_errors(const struct cfg_errors *e, const char *path,
			 bool included)
{
	size_t i, plen = strlen(path);

	for (i = 0; i < e->n; i++) {
		const char *m = e->msg[i];

		CHECK(m && *m);
		CHECK(!strchr(m, '\n'));
		if (!included)
			CHECK(!strncmp(m, path, plen) && m[plen] == ':');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct cfg_errors errs;
	struct nflvs_config cfg, copy;
	bool included = memmem(data, size, "@include", 8) != NULL;
	int n;

	if (fd < 0) {
		fd = memfd_create("nflvs.conf", MFD_CLOEXEC);
		CHECK(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	n = config_load(path, &cfg, &errs);
	CHECK(n >= 0 && (size_t)n == errs.n);
	check_errors(&errs, path, included);
	config_errors_free(&errs);
	if (n)
		return 0;
	memset(&errs, 0, sizeof(errs));
	n = validate_config(&cfg, &errs);
	CHECK(n >= 0 && (size_t)n == errs.n);
	check_errors(&errs, path, true);
	config_errors_free(&errs);
	CHECK(config_dup(&copy, &cfg) == 0);
	CHECK(copy.nsvc == cfg.nsvc);
	config_free(&copy);
	config_free(&cfg);
	return 0;
}
