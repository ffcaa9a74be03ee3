#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian package on a fresh Debian 12, under a real systemd: a
# debootstrapped root (minbase, plus systemd to boot it) booted by
# systemd-nspawn in a network namespace of its own, the package installed
# with apt from the machine's Debian mirror, both units started, reloaded,
# restarted and stopped by systemctl, then the package purged while they
# run, and nothing of it left: files, units, processes, /run/nflvs, shared
# memory, nft tables.  The host's network is only used to download.
#
# Needs root, debootstrap and systemd-container (contrib/install-deps.sh
# --pkg) and build/deb/nflvs_VERSION_ARCH.deb (make deb).  The debootstrapped
# root is kept as build/pkg/bookworm-minbase.tar: delete it to start anew.
#   tests/pkg/deb.sh            (make check-pkg builds the package first)
set -u
cd "$(dirname "$0")/../.." || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "pkg: skipped (root only)"
	echo "pkg: 0 passed, 0 failed, 1 skipped"
	exit 0
fi

version=$(sed -n 's/^VERSION *:= *//p' Makefile)
deb=build/deb/nflvs_${version}_$(dpkg --print-architecture).deb
cache=build/pkg/bookworm-minbase.tar
run=${NFLVS_TEST_RUN:-p$$}
work=/tmp/nflvs-test-$run-pkg
root=$work/root
machine=nflvs-$run
nspawn_pid=
leader=
passed=0
failed=0

say() { printf 'pkg: %s\n' "$*"; }
die() { say "$*"; failed=$((failed + 1)); finish 1; }

ok() {
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		say "ok: $2"
	else
		failed=$((failed + 1))
		say "FAILED: $2"
	fi
}

# Run a command inside the booted container (all its namespaces, and its
# root: where nspawn cannot pivot_root, e.g. when it runs in a chroot, the
# container's mount namespace has the host's root as its own, and
# entering the namespace alone lands there), with a clean environment:
# nothing of this test's leaks in.
c() {
	nsenter -t "$leader" -a -r -w -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
# Only in the container's network namespace, with the host's tools (nft).
cnet() { nsenter -t "$leader" -n -- "$@"; }

# Poll until the command succeeds or @1 seconds pass.
wait_for() {
	secs=$1
	shift
	end=$(($(date +%s) + secs))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

journal() { c journalctl --no-pager -o cat -u "$1" 2>/dev/null; }
show() { c systemctl show -P "$2" "$1" 2>/dev/null; }

finish() {
	trap - EXIT INT TERM
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		[ -n "$leader" ] && c systemctl poweroff >/dev/null 2>&1
		# killing the container's PID 1 ends all of its processes
		wait_for 30 sh -c "! kill -0 $nspawn_pid" || {
			[ -n "$leader" ] && kill -9 "$leader" 2>/dev/null
			wait_for 10 sh -c "! kill -0 $nspawn_pid" ||
				kill -9 "$nspawn_pid" 2>/dev/null
		}
	fi
	[ -n "$nspawn_pid" ] && wait "$nspawn_pid" 2>/dev/null
	rm -rf "$work" "/run/systemd/nspawn/propagate/$machine"
	# what nspawn made on a host without systemd, if nobody else uses it
	rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/locks \
		/run/systemd/nspawn /run/systemd 2>/dev/null
	say "$passed passed, $failed failed"
	[ "${1:-0}" -eq 0 ] && [ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap 'finish 1' INT TERM
trap 'finish $?' EXIT

. tests/pkg/root.sh

[ -f "$deb" ] || die "$deb missing: run make deb"
for tool in debootstrap systemd-nspawn nsenter nft; do
	command -v "$tool" >/dev/null || die "$tool missing: contrib/install-deps.sh --pkg"
done
mkdir -p "$work" build/pkg

# ---- a fresh root ---------------------------------------------------------
# systemd and dbus: to be booted; the rest is minbase
pkg_root "$root" "$cache" systemd,systemd-sysv,dbus "$work/debootstrap.log" ||
	die "no Debian 12 root (see above)"
cp "$deb" "$root/root/" || die "cannot copy $deb"
debname=/root/$(basename "$deb")

# Dependencies come from the mirror while the root still shares the host's
# network; the booted container has none, and installs from apt's cache.
say "apt-get: downloading what the package needs"
systemd-nspawn -q --register=no --keep-unit -D "$root" -M "$machine" \
	sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq --download-only $debname" \
	>"$work/download.log" 2>&1 ||
	{ tail -n 20 "$work/download.log"; die "downloading the dependencies failed"; }

# ---- boot -------------------------------------------------------------------
# --register=no --keep-unit: the host has no systemd (machined, a bus) to
# register with or to ask for a scope.
systemd-nspawn -q --register=no --keep-unit --boot --private-network \
	--console=passive -D "$root" -M "$machine" >"$work/boot.log" 2>&1 &
nspawn_pid=$!
# The container's PID 1, once nspawn's intermediate child has made way
# for it.
find_leader() {
	leader=$(ps --ppid "$nspawn_pid" -o pid=,comm= 2>/dev/null |
		awk '$2 == "systemd" { print $1; exit }')
	[ -n "$leader" ]
}
wait_for 60 find_leader || { cat "$work/boot.log"; die "the container did not start"; }
booted() {
	st=$(c systemctl is-system-running 2>/dev/null)
	[ "$st" = running ] || [ "$st" = degraded ]
}
if ! wait_for 180 booted; then
	cat "$work/boot.log"
	say "state: $(c systemctl is-system-running 2>&1); jobs:"
	c systemctl list-jobs --no-pager 2>&1 | head -n 20
	c systemctl --failed --no-pager 2>&1 | head -n 20
	die "systemd did not boot in the container"
fi
ok 0 "systemd $(c systemctl --version | sed -n '1s/systemd //p') booted the root as PID 1"

# ---- install ------------------------------------------------------------
c apt-get install -y -q "$debname" >"$work/install.log" 2>&1
ok $? "apt-get install ./$(basename "$deb")"
[ "$(c dpkg-query -W -f='${Status}' nflvs 2>/dev/null)" = "install ok installed" ] ||
	{ cat "$work/install.log"; die "nflvs is not installed"; }
[ "$(show nflvs-director UnitFileState)" = disabled ] &&
	[ "$(show nflvs-healthcheck UnitFileState)" = disabled ] &&
	[ "$(show nflvs-director ActiveState)" = inactive ]
ok $? "installed disabled and not started"

# Every program the package brings finds its libraries (the package's
# Depends come from dpkg-shlibdeps) and answers -h.
out=$(c sh -c 'for p in /usr/sbin/nflvs*; do
	ldd "$p" 2>/dev/null | grep "not found" | sed "s|^|$p: |"
	"$p" -h >/dev/null 2>&1 || echo "$p -h: exit $?"
done')
[ -z "$out" ]
ok $? "every /usr/sbin/nflvs* program links and runs${out:+: $out}"

out=$(c systemd-analyze verify --man=no nflvs-director.service \
	nflvs-healthcheck.service 2>&1) && [ -z "$out" ]
ok $? "systemd-analyze verify: the units are clean${out:+: $out}"

c nflvs-director -t -f /etc/nflvs/nflvs.conf | grep -q "configuration OK"
ok $? "nflvs-director -t -f /etc/nflvs/nflvs.conf"

# ---- the units ----------------------------------------------------------
# The notify protocol gates the start: with no director (no segment, no
# checks) the checker is not ready, and a Type=notify start of it times out.
c systemd-run -q --unit=nflvs-notready -p Type=notify -p TimeoutStartSec=2 \
	/usr/sbin/nflvs-healthcheck -f /etc/nflvs/nflvs.conf >/dev/null 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$(show nflvs-notready Result)" = timeout ]
ok $? "no director: the checker is not ready, its start times out"
c systemctl reset-failed nflvs-notready >/dev/null 2>&1

# Type=notify: systemctl start returns once READY=1 came (or fails at the
# start timeout without it).
c systemctl start nflvs-director
ok $? "systemctl start nflvs-director"
[ "$(show nflvs-director Type)" = notify ] &&
	[ "$(show nflvs-director SubState)" = running ]
ok $? "nflvs-director: Type=notify, running ($(show nflvs-director SubState))"
cnet nft list tables | grep -q ' nflvs$' &&
	c test -S /run/nflvs/director.sock &&
	c test -e /dev/shm/nflvs &&
	c nflvsadm -Ln | grep -q '192.0.2.10:80'
ok $? "ruleset in the kernel, control socket answering, shared memory there"
dpid=$(show nflvs-director MainPID)

c systemctl start nflvs-healthcheck
ok $? "systemctl start nflvs-healthcheck"
[ "$(show nflvs-healthcheck SubState)" = running ] &&
	journal nflvs-healthcheck | grep -q "attached to shared memory /nflvs"
ok $? "nflvs-healthcheck: ready once attached to the director's segment"
hpid=$(show nflvs-healthcheck MainPID)

c systemctl reload nflvs-director &&
	wait_for 30 sh -c "nsenter -t $leader -a -r -w journalctl -o cat -u nflvs-director | grep -q 'reloaded /etc/nflvs/nflvs.conf'" &&
	[ "$(show nflvs-director MainPID)" = "$dpid" ] &&
	[ "$(show nflvs-director ActiveState)" = active ]
ok $? "systemctl reload nflvs-director: same process, active again"

c cp /etc/nflvs/nflvs.conf /root/nflvs.conf.good
c sh -c 'echo "services = (" >> /etc/nflvs/nflvs.conf'
! c systemctl reload nflvs-director 2>/dev/null &&
	[ "$(show nflvs-director MainPID)" = "$dpid" ] &&
	[ "$(show nflvs-director ActiveState)" = active ]
ok $? "a bad file: systemctl reload fails, the director runs on"
c cp /root/nflvs.conf.good /etc/nflvs/nflvs.conf

c systemctl reload nflvs-healthcheck &&
	[ "$(show nflvs-healthcheck MainPID)" = "$hpid" ] &&
	[ "$(show nflvs-healthcheck ActiveState)" = active ]
ok $? "systemctl reload nflvs-healthcheck"

# The checker outlives a director restart and attaches to the new one.
c systemctl restart nflvs-director &&
	[ "$(show nflvs-director MainPID)" != "$dpid" ] &&
	[ "$(show nflvs-healthcheck MainPID)" = "$hpid" ] &&
	wait_for 30 sh -c "nsenter -t $leader -a -r -w journalctl -o cat -u nflvs-healthcheck | grep -q 're-attached to shared memory'"
ok $? "systemctl restart nflvs-director: the checker stays and re-attaches"

c systemctl stop nflvs-healthcheck nflvs-director
[ "$(show nflvs-director ActiveState)" = inactive ] &&
	[ "$(show nflvs-healthcheck ActiveState)" = inactive ] &&
	[ "$(show nflvs-director Result)" = success ] &&
	[ "$(show nflvs-healthcheck Result)" = success ]
ok $? "systemctl stop: both inactive, both exited cleanly"
! cnet nft list tables | grep -q ' nflvs$' &&
	! c test -e /run/nflvs && ! c test -e /dev/shm/nflvs
ok $? "after the stop: no nft table, no /run/nflvs, no shared memory"

# Wants=: starting the checker starts the director first.
c systemctl start nflvs-healthcheck &&
	[ "$(show nflvs-director SubState)" = running ] &&
	[ "$(show nflvs-healthcheck SubState)" = running ]
ok $? "systemctl start nflvs-healthcheck starts the director too"

# ---- purge, running -------------------------------------------------------
c apt-get purge -y -q nflvs >"$work/purge.log" 2>&1
ok $? "apt-get purge nflvs (the units running)"
left=$(c sh -c 'ls -d /etc/nflvs /run/nflvs /dev/shm/nflvs* /usr/sbin/nflvs* \
	/lib/systemd/system/nflvs* /etc/systemd/system/*/nflvs* \
	/var/lib/systemd/deb-systemd-helper-enabled/*nflvs* \
	/var/lib/dpkg/info/nflvs.* 2>/dev/null
	grep -l "^nflvs" /proc/[0-9]*/comm 2>/dev/null')
[ -z "$left" ]
ok $? "after the purge: no files, units, state or processes${left:+: $left}"
! cnet nft list tables | grep -q nflvs
ok $? "after the purge: no nft tables"

if [ "$failed" -ne 0 ]; then
	for u in nflvs-director nflvs-healthcheck; do
		say "journal of $u:"
		journal "$u" | tail -n 30
	done
fi
