#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `sudo make check' as a new user runs it: in a fresh Debian 12 root
# (debootstrap --variant=minbase, plus git, make and sudo, nothing else),
# on a fresh clone of this repository's HEAD (committed work only).  The
# root is a chroot with /proc, /sys, /dev and a fresh /run and /tmp, in a
# mount namespace of its own that goes when the run ends; make check
# installs the rest with apt from the machine's Debian mirror.  It shows
# what the suite takes from the host that a minimal system lacks.
#
# Root only; needs debootstrap (contrib/install-deps.sh --pkg).  Slow (the
# dependencies, the build, the whole suite): not part of make check.  The
# root is kept as build/pkg/bookworm-minbase-dev.tar (tests/pkg/root.sh);
# the output of the run in build/minbase-check.log.
#   tests/minbase.sh [MAKE-ARGUMENTS]     (default: check)
set -u
cd "$(dirname "$0")/.." || exit 1

say() { printf 'minbase: %s\n' "$*"; }
if [ "$(id -u)" -ne 0 ]; then
	say "skipped (root only)"
	exit 0
fi
command -v debootstrap >/dev/null ||
	{ say "debootstrap missing: contrib/install-deps.sh --pkg"; exit 1; }

run=${NFLVS_TEST_RUN:-m$$}
work=/tmp/nflvs-test-$run-minbase
root=$work/root
cache=build/pkg/bookworm-minbase-dev.tar
log=build/minbase-check.log
pid=

finish() {
	trap - EXIT INT TERM
	# the chroot's processes are all in the run's process group
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null
		sleep 1
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	rm -rf "$work"
	exit "$1"
}
trap 'finish 1' INT TERM
trap 'finish $?' EXIT

. tests/pkg/root.sh
mkdir -p "$work"
pkg_root "$root" "$cache" git,make,sudo "$work/debootstrap.log" ||
	{ say "no Debian 12 root"; exit 1; }
git clone -q --no-hardlinks "$PWD" "$root/root/nflvs" ||
	{ say "cannot clone $PWD"; exit 1; }
say "clone of $(git rev-parse --short HEAD) in a fresh root; make ${*:-check}"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null	# for apt

# setsid: one process group to end on every exit path
setsid unshare -m --propagation private sh -c '
	r=$1
	shift
	mount -t proc proc "$r/proc" &&
	mount --rbind /sys "$r/sys" &&
	mount --rbind /dev "$r/dev" &&
	mount -t tmpfs -o mode=0755 tmpfs "$r/run" &&
	mount -t tmpfs -o mode=1777 tmpfs "$r/tmp" &&
	mkdir -p "$r/run/lock" || exit 1
	exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 TERM=dumb sh -c "cd /root/nflvs && sudo make \${*:-check}" sh "$@"
' sh "$root" "$@" >"$log" 2>&1 &
pid=$!
wait "$pid"
status=$?
pid=
tail -n 40 "$log"
if [ "$status" -eq 0 ]; then
	say "make ${*:-check} passed (output in $log)"
else
	say "make ${*:-check} FAILED: exit $status (output in $log)"
fi
exit "$status"
