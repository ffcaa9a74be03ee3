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

status=0
echo "== unit tests"
build/tests/unit --jobs="$jobs" --short-filename || status=1
echo "== end-to-end tests (network namespaces)"
build/tests/e2e --jobs="$jobs" --short-filename || status=1
echo "== Debian package on Debian 12 under systemd (tests/pkg/deb.sh)"
if [ "$(id -u)" -ne 0 ]; then
	tests/pkg/deb.sh	# says it skips
elif DEB_BUILD_OPTIONS=nocheck contrib/build-deb.sh >/dev/null; then
	tests/pkg/deb.sh || status=1
else
	status=1
fi
exit $status
