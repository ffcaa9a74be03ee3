#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every benchmark, one after the other (make bench).  Figures, not verdicts.
# The profiles (profile_*.sh) are run by hand.
set -eu
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "benchmarks need root (network namespaces)" >&2; exit 1; }
# The soak runs SOAK_MINUTES (default 5; its own default, and the length
# its targets are set for, is 30).  It prints PASS/FAIL, but a FAIL here
# does not stop the benchmarks after it.
for b in tests/bench/*.sh; do
	case $b in tests/bench/run.sh | tests/bench/profile_*.sh) continue ;; esac
	echo "== $b"
	if [ "$b" = tests/bench/soak.sh ]; then
		"$b" "${SOAK_MINUTES:-5}" || echo "soak: some targets failed"
	else
		"$b"
	fi
	echo
done
