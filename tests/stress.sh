#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The suite on a busy machine: run it N times (default 3) with one CPU
# hog beside it (stress-ng --cpu 1, installed here with apt if missing:
# only this script needs it).  The hog is killed by its PID on every exit
# path.  Tests must wait for conditions, never for time, and never assume
# that a datagram arrives: this is where that shows.
#   sudo tests/stress.sh [N] [COMMAND...]
# COMMAND (default tests/run-tests.sh, the whole suite; build it first with
# make tests) runs instead of the suite, e.g.
#   sudo tests/stress.sh 3 build/tests/e2e --filter 'decap/*'
# Exit 0 iff every run passed.
set -u
cd "$(dirname "$0")/.." || exit 1

n=${1:-3}
[ $# -gt 0 ] && shift
case $n in
''|*[!0-9]*) echo "usage: $0 [N] [COMMAND...]" >&2; exit 2 ;;
esac
[ $# -eq 0 ] && set -- tests/run-tests.sh

if ! command -v stress-ng >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "stress-ng missing: run as root to install it" >&2
		exit 1
	fi
	apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends stress-ng >/dev/null ||
		{ echo "cannot install stress-ng" >&2; exit 1; }
fi

hog=
stop_hog() {
	[ -n "$hog" ] || return 0
	kill -TERM "$hog" 2>/dev/null
	# stress-ng's workers end with it; then reap it
	i=0
	while kill -0 "$hog" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$hog" 2>/dev/null
	wait "$hog" 2>/dev/null
	hog=
}
trap 'stop_hog; exit 1' INT TERM
trap 'stop_hog' EXIT

stress-ng --cpu 1 --quiet &
hog=$!
echo "stress: stress-ng --cpu 1 (pid $hog) beside $n run(s) of: $*"

failed=0
i=1
while [ "$i" -le "$n" ]; do
	echo "== stress run $i of $n"
	if "$@"; then
		echo "== stress run $i: passed"
	else
		echo "== stress run $i: FAILED"
		failed=$((failed + 1))
	fi
	i=$((i + 1))
done
stop_hog
echo "stress: $((n - failed)) of $n runs passed"
[ "$failed" -eq 0 ]
