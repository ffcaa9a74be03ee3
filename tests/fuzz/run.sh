#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run libFuzzer targets built by `make fuzz` (build-fuzz/fuzz/NAME), each
# for FUZZ_SECONDS (default 30), FUZZ_JOBS at a time (default: one per
# CPU):
#   tests/fuzz/run.sh [NAME...]        all of them without a NAME
# Each starts from its committed seeds (tests/fuzz/corpus/NAME, never
# written) and from what earlier runs found (build-fuzz/corpus/NAME, where
# new inputs go).  A crash, a sanitizer report, a leak or a timeout leaves
# its input in build-fuzz/crashes/NAME-* and makes the script fail after
# the other targets ran; to replay one: build-fuzz/fuzz/NAME FILE.
set -u
cd "$(dirname "$0")/../.."

secs=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
out=build-fuzz
[ $# -gt 0 ] || set -- $(cd "$out/fuzz" 2>/dev/null && ls)
[ $# -gt 0 ] || { echo "no fuzz targets: run make fuzz" >&2; exit 1; }

# leaks inside third-party libraries we cannot free (commented there)
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# One target; its exit status in $out/NAME.rc.
fuzz_one() {
	name=$1
	bin="$out/fuzz/$name"
	seeds="tests/fuzz/corpus/$name"
	work="$out/corpus/$name"
	log="$out/$name.log"
	if [ ! -x "$bin" ]; then
		echo "$bin: not built (make fuzz)" > "$log"
		echo 1 > "$out/$name.rc"
		return
	fi
	mkdir -p "$work" "$out/crashes"
	opts="-max_total_time=$secs -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix=$out/crashes/$name-"
	[ -f "tests/fuzz/$name.dict" ] && opts="$opts -dict=tests/fuzz/$name.dict"
	[ -d "$seeds" ] || seeds=""
	# shellcheck disable=SC2086
	"$bin" $opts "$work" $seeds >"$log" 2>&1
	echo $? > "$out/$name.rc"
}

mkdir -p "$out"
running=0
for name in "$@"; do
	echo "== $name, ${secs}s"
	rm -f "$out/$name.rc"
	fuzz_one "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

failed=""
for name in "$@"; do
	if [ "$(cat "$out/$name.rc" 2>/dev/null)" = 0 ]; then
		printf '%-12s ' "$name"
		grep -E '^stat::number_of_executed_units' "$out/$name.log" |
			awk '{ printf "%s runs, ", $2 }'
		grep -E '^stat::new_units_added' "$out/$name.log" |
			awk '{ printf "%s new inputs\n", $2 }'
	else
		failed="$failed $name"
		echo "--- $name FAILED ($out/$name.log):"
		grep -v '^INFO:\|^#[0-9]\|NEW_FUNC' "$out/$name.log" | head -40
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed" >&2
	exit 1
fi
echo "fuzz: every target ran ${secs}s clean"
