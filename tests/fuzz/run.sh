#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run libFuzzer targets built by `make fuzz` (build-fuzz/fuzz/NAME), each
# for FUZZ_SECONDS (default 30), one after the other:
#   tests/fuzz/run.sh [NAME...]        all of them without a NAME
# Each starts from its committed seeds (tests/fuzz/corpus/NAME, never
# written) and from what earlier runs found (build-fuzz/corpus/NAME, where
# new inputs go).  A crash, a sanitizer report, a leak or a timeout leaves
# its input in build-fuzz/crashes/NAME-* and makes the script fail after
# the other targets ran; to replay one: build-fuzz/fuzz/NAME FILE.
set -u
cd "$(dirname "$0")/../.."

secs=${FUZZ_SECONDS:-30}
out=build-fuzz
[ $# -gt 0 ] || set -- $(cd "$out/fuzz" 2>/dev/null && ls)
[ $# -gt 0 ] || { echo "no fuzz targets: run make fuzz" >&2; exit 1; }

# leaks inside third-party libraries we cannot free (commented there)
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

failed=""
for name in "$@"; do
	bin="$out/fuzz/$name"
	seeds="tests/fuzz/corpus/$name"
	work="$out/corpus/$name"
	[ -x "$bin" ] || { echo "$bin: not built (make fuzz)" >&2; failed="$failed $name"; continue; }
	mkdir -p "$work" "$out/crashes"
	opts="-max_total_time=$secs -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix=$out/crashes/$name-"
	[ -f "tests/fuzz/$name.dict" ] && opts="$opts -dict=tests/fuzz/$name.dict"
	[ -d "$seeds" ] || seeds=""
	echo "== $name, ${secs}s"
	log="$out/$name.log"
	# shellcheck disable=SC2086
	if "$bin" $opts "$work" $seeds >"$log" 2>&1; then
		grep -E '^stat::(number_of_executed_units|new_units_added)|^#[0-9]+.*DONE' "$log" | tail -3
	else
		failed="$failed $name"
		tail -40 "$log"
		echo
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (logs in $out/NAME.log)" >&2
	exit 1
fi
echo "fuzz: every target ran ${secs}s clean"
