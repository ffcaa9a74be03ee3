#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Cost of a scheduling decision for every scheduler at 10, 100 and 1,000
# real servers, next to the kernel's O(n) wlc loop.  Builds nothing: it
# runs build/tests/sched-bench (make tests), which pins itself to the last
# CPU; arguments go to it (-n DECISIONS, -r ROUNDS, -c CPU, -s SCHEDULER).
# Needs neither root nor a network.
set -eu
cd "$(dirname "$0")/../.."
bench=build/tests/sched-bench
[ -x "$bench" ] || { echo "$bench: not built (make tests)" >&2; exit 1; }
exec "$bench" "$@"
