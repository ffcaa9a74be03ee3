#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every benchmark, one after the other (make bench).  Figures, not verdicts.
set -eu
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "benchmarks need root (network namespaces)" >&2; exit 1; }
for b in tests/bench/*.sh; do
	[ "$b" = tests/bench/run.sh ] && continue
	echo "== $b"
	"$b"
	echo
done
