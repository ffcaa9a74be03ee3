// SPDX-License-Identifier: GPL-2.0-or-later
/* The rise/fall state machine and the health record it fills. */
#include <criterion/criterion.h>
#include <string.h>

#include "hcstate.h"

#define U NFLVS_RS_UP
#define D NFLVS_RS_DOWN
#define X NFLVS_RS_UNKNOWN

struct seq_case {
	const char *name;
	int rise, fall;
	const char *results;	/* '+' success, '-' failure */
	uint32_t states[16];	/* state after each result */
};

static const struct seq_case cases[] = {
	{ "rise 2 from unknown", 2, 2, "++", { X, U } },
	{ "fall 2 from unknown", 2, 2, "--", { X, D } },
	{ "a failure restarts the rise", 2, 2, "+-++", { X, X, X, U } },
	{ "a success restarts the fall", 2, 2, "++-+--", { X, U, U, U, U, D } },
	{ "rise 1 fall 1 flips at once", 1, 1, "+-+-", { U, D, U, D } },
	{ "rise 3 after down", 3, 1, "-+++", { D, D, D, U } },
	{ "fall 3 while up", 1, 3, "+---+", { U, U, U, D, U } },
	{ "flapping never settles", 2, 2, "+-+-+-", { X, X, X, X, X, X } },
	{ "long runs stay", 2, 2, "+++++----", { X, U, U, U, U, U, D, D, D } },
	{ "down, then up after rise", 2, 2, "--++", { X, D, D, U } },
};

Test(hc_state, sequences)
{
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct seq_case *c = &cases[i];
		struct hcstate s;

		hcstate_init(&s);
		for (j = 0; c->results[j]; j++) {
			uint32_t before = s.state;
			bool changed = hcstate_step(&s, c->results[j] == '+',
						    c->rise, c->fall);

			cr_expect_eq(s.state, c->states[j],
				     "%s: after result %zu ('%c') state %s, expected %s",
				     c->name, j, c->results[j],
				     hcstate_name(s.state),
				     hcstate_name(c->states[j]));
			cr_expect_eq(changed, before != s.state, "%s: %zu",
				     c->name, j);
		}
	}
}

Test(hc_state, record_counts_times_and_errors)
{
	struct probe_result ok, bad;
	struct hcstate s;
	hc_record_t h;
	unsigned int ch;

	hcstate_init(&s);
	hcstate_record_init(&h);
	cr_expect_eq(h.state, NFLVS_RS_UNKNOWN);
	cr_expect_eq(h.weight, -1);
	probe_ok(&ok, -1);
	probe_fail(&bad, "HTTP %d", 503);

	ch = hcstate_apply(&s, &h, &ok, 2, 2, 1000, 42);
	cr_expect_eq(ch, 0, "one success of two is no change");
	cr_expect_eq(h.last_check, 1000);
	cr_expect_eq(h.last_change, 0);
	cr_expect_eq(h.latency_us, 42);
	ch = hcstate_apply(&s, &h, &ok, 2, 2, 2000, 7);
	cr_expect_eq(ch, HC_CHANGED_STATE);
	cr_expect_eq(h.state, NFLVS_RS_UP);
	cr_expect_eq(h.last_change, 2000);
	cr_expect_eq(h.transitions, 1);

	ch = hcstate_apply(&s, &h, &bad, 2, 2, 3000, 9);
	cr_expect_eq(ch, 0);
	cr_expect_str_eq(h.last_error, "HTTP 503", "the failure says why");
	cr_expect_eq(h.state, NFLVS_RS_UP);
	ch = hcstate_apply(&s, &h, &bad, 2, 2, 4000, 9);
	cr_expect_eq(ch, HC_CHANGED_STATE);
	cr_expect_eq(h.state, NFLVS_RS_DOWN);
	cr_expect_eq(h.last_change, 4000);
	cr_expect_eq(h.transitions, 2);
	cr_expect_eq(h.checks_ok, 2);
	cr_expect_eq(h.checks_failed, 2);

	ch = hcstate_apply(&s, &h, &ok, 2, 2, 5000, 1);
	cr_expect_str_eq(h.last_error, "", "a success clears the error");
	cr_expect_eq(h.last_change, 4000);
}

Test(hc_state, weight_changes_only_on_success)
{
	struct probe_result r;
	struct hcstate s;
	hc_record_t h;

	hcstate_init(&s);
	hcstate_record_init(&h);
	probe_ok(&r, 5);
	cr_expect_eq(hcstate_apply(&s, &h, &r, 1, 1, 1, 1),
		     HC_CHANGED_STATE | HC_CHANGED_WEIGHT);
	cr_expect_eq(h.weight, 5);
	probe_ok(&r, 5);
	cr_expect_eq(hcstate_apply(&s, &h, &r, 1, 1, 2, 1), 0);
	probe_fail(&r, "exit 1");
	cr_expect_eq(hcstate_apply(&s, &h, &r, 1, 1, 3, 1), HC_CHANGED_STATE);
	cr_expect_eq(h.weight, 5, "a failure keeps the last weight");
	probe_ok(&r, -1);
	cr_expect_eq(hcstate_apply(&s, &h, &r, 1, 1, 4, 1),
		     HC_CHANGED_STATE | HC_CHANGED_WEIGHT);
	cr_expect_eq(h.weight, -1, "exit 0: back to the configured weight");
}

Test(hc_state, long_error_is_cut_and_terminated)
{
	struct probe_result r;
	struct hcstate s;
	hc_record_t h;
	char longer[300];

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	hcstate_init(&s);
	hcstate_record_init(&h);
	probe_fail(&r, "%s", longer);
	hcstate_apply(&s, &h, &r, 1, 1, 1, 1);
	cr_expect_eq(strlen(h.last_error), NFLVS_SHM_ERR_MAX - 1);
}
