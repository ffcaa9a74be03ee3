// SPDX-License-Identifier: GPL-2.0-or-later
/* The annotated examples under conf/ stay valid, for the loader and for
 * the director's own checks (what `nflvs-director -t` runs). */
#include <criterion/criterion.h>
#include <glob.h>

#include "config.h"
#include "validate.h"

Test(conf_examples, every_example_is_valid)
{
	glob_t g;
	size_t i, j;

	cr_assert_eq(glob("conf/*.conf", 0, NULL, &g), 0, "run from the source tree");
	cr_expect_geq(g.gl_pathc, 4, "nat, dr, tun and demo examples");
	for (i = 0; i < g.gl_pathc; i++) {
		struct nflvs_config cfg;
		struct cfg_errors errs = { 0 };
		int n = config_load(g.gl_pathv[i], &cfg, &errs);
		bool loaded = n == 0;	/* else the loader freed it */

		if (loaded)
			n = validate_config(&cfg, &errs);
		for (j = 0; j < errs.n; j++)
			cr_log_error("%s", errs.msg[j]);
		cr_expect_eq(n, 0, "%s is not valid", g.gl_pathv[i]);
		if (loaded)
			config_free(&cfg);
		config_errors_free(&errs);
	}
	globfree(&g);
}
