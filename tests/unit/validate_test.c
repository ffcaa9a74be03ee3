// SPDX-License-Identifier: GPL-2.0-or-later
/* validate_config(): what -t, start-up, reloads and nflvsadm's changes
 * check on top of the loader, alike. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "validate.h"

/* More real servers than the default mark_mask has marks for: start-up
 * said "no room" with no file or line, -t said OK. */
Test(validate, no_room_is_refused_with_its_line)
{
	char path[] = "/tmp/nflvs-validate-test-XXXXXX";
	struct cfg_errors errs = { 0 };
	struct nflvs_config cfg;
	FILE *f;
	int fd, i;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs("services = ( { vip = \"10.0.1.1\"; port = 80; real_servers = (\n", f);
	for (i = 0; i < 300; i++)
		fprintf(f, "{ address = \"10.2.%d.%d\"; port = 80; }%s\n",
			i / 256, i % 256, i < 299 ? "," : "");
	fputs("); } );\n", f);
	fclose(f);
	cr_assert_eq(config_load(path, &cfg, &errs), 0);
	unlink(path);
	cr_expect_eq(validate_config(&cfg, &errs), 1);
	cr_assert_eq(errs.n, 1);
	/* real server 256 on line 1 + 256 */
	cr_expect(!strncmp(errs.msg[0], path, strlen(path)) &&
		  !strcmp(errs.msg[0] + strlen(path), ":257: no room: "
			  "director.mark_mask 0x00ff0000 has marks for 255 real "
			  "and sorry servers, this is number 256"), "%s", errs.msg[0]);
	config_errors_free(&errs);
	config_free(&cfg);
}
