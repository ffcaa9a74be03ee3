// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-import-keepalived: keepalived.conf's virtual servers as an
 * nflvs.conf on standard output; errors and warnings on standard error.
 */
#include <stdio.h>
#include <string.h>

#include "convert.h"

static void usage(FILE *f)
{
	fputs("usage: nflvs-import-keepalived FILE\n"
	      "Convert keepalived.conf's virtual servers to nflvs.conf (on "
	      "standard output).\n", f);
}

int main(int argc, char **argv)
{
	struct diag d = { 0 };
	size_t i, nerr;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		usage(stderr);
		return 2;
	}
	nerr = convert_file(argv[1], stdout, &d);
	if (fflush(stdout))
		nerr++;
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msg[i]);
	if (nerr)
		fprintf(stderr, "%zu error%s: nothing converted\n", nerr,
			nerr == 1 ? "" : "s");
	diag_free(&d);
	return nerr ? 1 : 0;
}
