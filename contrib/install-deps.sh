#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install the Debian packages nflvs needs to build and test, if missing.
#   contrib/install-deps.sh          build + test dependencies
#   contrib/install-deps.sh --bench  also what the benchmarks use
#   contrib/install-deps.sh --deb    also what `make deb' uses (debhelper,
#                                    lintian)
#   contrib/install-deps.sh --pkg    also what tests/pkg/deb.sh uses
#                                    (debootstrap, systemd-nspawn)
#   contrib/install-deps.sh --fuzz   also what `make fuzz' uses (clang and
#                                    its libFuzzer/sanitizer runtimes)
# Options add up.
set -eu

pkgs="gcc make pkg-config libnftnl-dev libmnl-dev libnetfilter-queue-dev
libconfig-dev libcriterion-dev libcurl4-openssl-dev libnetfilter-conntrack-dev
nftables iproute2 conntrack procps openssl libssl-dev nsd bird2 netbase
clang llvm libbpf-dev ethtool keepalived conntrackd"
for opt in "$@"; do
	case $opt in
	--bench) pkgs="$pkgs iperf3 hping3" ;;
	--deb) pkgs="$pkgs dpkg-dev debhelper lintian build-essential" ;;
	--pkg) pkgs="$pkgs debootstrap systemd-container" ;;
	--fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
	*) echo "usage: $0 [--bench] [--deb] [--pkg] [--fuzz]" >&2; exit 2 ;;
	esac
done

# The smtp check's tests talk to OpenSMTPD.  Debian's MTAs conflict with
# each other: a host that has one keeps it, and those tests are skipped.
mta=$(dpkg-query -W -f='${Status} ${Package} ${Provides}\n' 2>/dev/null |
	awk '/ok installed/ && /mail-transport-agent/ { print $4 }')
if [ -z "$mta" ]; then
	pkgs="$pkgs opensmtpd"
elif [ "$mta" != opensmtpd ]; then
	echo "note: $mta is this host's MTA; the smtp tests need opensmtpd" \
		"and are skipped" >&2
fi

# The checker's default user (director.user), which the Debian package's
# postinst creates too: the end-to-end tests run the checker as it.
if ! getent passwd nflvs >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		useradd --system --user-group --home-dir /nonexistent \
			--no-create-home --shell /usr/sbin/nologin nflvs
	else
		echo "note: no user nflvs; as root this creates it" >&2
	fi
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing" >&2
	echo "run as root (sudo make check) to install them" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# An MTA or a DNS server installed for the tests must not start on this
# host: the tests start their own in namespaces.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq >/dev/null
# never at the cost of a package the host has (another MTA)
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends --no-remove $missing >/dev/null
