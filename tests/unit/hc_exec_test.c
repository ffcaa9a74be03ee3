// SPDX-License-Identifier: GPL-2.0-or-later
/* exec checks: exit codes to state and weight (keepalived's misc_dynamic). */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>

#include "check_exec.h"
#include "hcstate.h"

Test(hc_exec, exit_codes)
{
	static const struct { int code; bool ok; int weight; } t[] = {
		{ 0, true, -1 }, { 1, false, -1 }, { 2, true, 0 },
		{ 3, true, 1 }, { 12, true, 10 }, { 255, true, 253 },
	};
	struct probe_result r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		check_exec_eval(W_EXITCODE(t[i].code, 0), &r);
		cr_expect_eq(r.ok, t[i].ok, "exit %d", t[i].code);
		if (t[i].ok)
			cr_expect_eq(r.weight, t[i].weight, "exit %d", t[i].code);
	}
	check_exec_eval(W_EXITCODE(1, 0), &r);
	cr_expect_str_eq(r.error, "exit 1");
}

Test(hc_exec, killed_by_a_signal_is_down)
{
	struct probe_result r;

	check_exec_eval(W_EXITCODE(0, SIGKILL), &r);
	cr_expect(!r.ok);
	cr_expect_str_eq(r.error, "killed by signal 9 (Killed)");
}

/* Exit codes through the state machine: the published state and weight. */
Test(hc_exec, codes_drive_state_and_weight)
{
	static const struct { int code; uint32_t state; int weight; } t[] = {
		{ 7, NFLVS_RS_UP, 5 },		/* rise 1 */
		{ 1, NFLVS_RS_UP, 5 },		/* fall 2: one failure */
		{ 1, NFLVS_RS_DOWN, 5 },
		{ 2, NFLVS_RS_UP, 0 },		/* up, weight 0: quiesced */
		{ 0, NFLVS_RS_UP, -1 },
	};
	struct probe_result r;
	struct hcstate s;
	hc_record_t h;
	size_t i;

	hcstate_init(&s);
	hcstate_record_init(&h);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		check_exec_eval(W_EXITCODE(t[i].code, 0), &r);
		hcstate_apply(&s, &h, &r, 1, 2, i + 1, 1);
		cr_expect_eq(h.state, t[i].state, "step %zu", i);
		cr_expect_eq(h.weight, t[i].weight, "step %zu", i);
	}
}
