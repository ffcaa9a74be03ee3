#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the unit tests, then the end-to-end tests (root only: without root
# criterion reports them skipped), then the Debian package's test (root
# only too; the package is built without its unit tests, just run).  Every e2e namespace, process and shm
# segment of this run carries the run id; whatever a crashed test left
# behind is swept at the end.
set -u
cd "$(dirname "$0")/.."

run="n$(printf '%05d' $(( $$ % 100000 )))"
export NFLVS_TEST_RUN="$run"
jobs=$(nproc 2>/dev/null || echo 2)

sweep() {
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$run" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -f /dev/shm/nflvs-"$run"* 2>/dev/null
	rm -rf /tmp/nflvs-test-"$run"* 2>/dev/null
}
trap sweep EXIT INT TERM

# NFLVS_BUILD (make check SANITIZE=1: build-san): the build to test.  The
# suites run programs as build/...: they run in a view of the tree
# ($NFLVS_BUILD/top, symbolic links) whose build/ is that one.  Every
# ASan, UBSan and LSan report of any process (daemons and helpers too)
# goes to $NFLVS_BUILD/san/; one there fails the run.
build=${NFLVS_BUILD:-build}
san=""
if [ "$build" != build ]; then
	top="$build/top"
	san="$PWD/$build/san"
	rm -rf "$top" "$san"
	mkdir -p "$top" "$san"
	for f in * .[!.]*; do
		case $f in build|"$build"|'.[!.]*') continue ;; esac
		ln -s "../../$f" "$top/$f"
	done
	ln -s .. "$top/build"
	export ASAN_OPTIONS="log_path=$san/asan:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="log_path=$san/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	# leaks inside third-party libraries only, each explained there
	# (print_suppressions=0: a process whose only leaks are suppressed
	# writes no report, not a file with the suppressions' statistics)
	export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	cd "$top"
fi

# One criterion suite: build/tests/NAME [FILTER] (NFLVS_E2E_FILTER: the
# e2e tests to run, criterion's --filter; all by default).  In a sanitizer build the runner
# leaves its results in NAME.json too: LeakSanitizer at the runner's exit
# sets its status for a leak of criterion's own (set aside below), so a
# failing status with no test failed nor errored there is that leak.
suite() {
	if [ -z "$san" ]; then
		"build/tests/$1" --jobs="$jobs" --short-filename ${2:+--filter "$2"}
		return
	fi
	json="${san%/san}/$1.json"
	rm -f "$json"
	"build/tests/$1" --jobs="$jobs" --short-filename --json="$json" \
		${2:+--filter "$2"} && return 0
	[ -s "$json" ] &&
		grep -q '"passed"' "$json" &&
		! grep -Eq '"(failed|errored)": [1-9]' "$json"
}

status=0
echo "== unit tests ($build)"
suite unit || status=1
echo "== end-to-end tests (network namespaces, $build)"
suite e2e "${NFLVS_E2E_FILTER:-}" || status=1
if [ -n "$san" ]; then
	echo "== sanitizer reports ($san)"
	# criterion's runner (its bundled BoxFort) now and then loses the
	# 48-byte timeout request of a test that ended just as its watchdog
	# looked at it.  Its static function has no name to suppress, and the
	# library's module name would hide leaks of test code as well: a
	# report whose every leak is allocated from criterion alone is set
	# aside; any frame of ours keeps it a failure.
	for f in "$san"/asan.*; do
		[ -f "$f" ] || continue
		if awk 'function end() { if (inleak && ours) bad = 1; inleak = 0 }
			/^(Direct|Indirect) leak/ { end(); n++; inleak = 1; ours = 0; next }
			/^SUMMARY/ { end() }
			inleak && /^ *#[1-9][0-9]* / && !/libcriterion\.so/ { ours = 1 }
			/ERROR: AddressSanitizer|runtime error/ { bad = 1 }
			END { end(); exit !(n && !bad) }' "$f"; then
			echo "criterion's own leak, not ours: $f"
			mv "$f" "$f.criterion"
		fi
	done
	if [ -n "$(ls "$san" | grep -v '\.criterion$')" ]; then
		for f in "$san"/*; do
			case $f in *.criterion) continue ;; esac
			echo "--- $f"; head -60 "$f"
		done
		status=1
	else
		echo "none"
	fi
	# the package is built without sanitizers: its test is make check's
	exit $status
fi
echo "== Debian package on Debian 12 under systemd (tests/pkg/deb.sh)"
if [ "$(id -u)" -ne 0 ]; then
	tests/pkg/deb.sh	# says it skips
elif DEB_BUILD_OPTIONS=nocheck contrib/build-deb.sh >/dev/null; then
	tests/pkg/deb.sh || status=1
else
	status=1
fi
exit $status
