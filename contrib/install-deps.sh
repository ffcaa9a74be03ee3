#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install the Debian packages nflvs needs to build and test, if missing.
#   contrib/install-deps.sh          build + test dependencies
#   contrib/install-deps.sh --bench  also what the benchmarks use
set -eu

pkgs="gcc make pkg-config libnftnl-dev libmnl-dev libnetfilter-queue-dev
libconfig-dev libcriterion-dev libcurl4-openssl-dev libnetfilter-conntrack-dev
nftables iproute2 conntrack procps openssl libssl-dev bird2"
[ "${1:-}" = "--bench" ] && pkgs="$pkgs iperf3"

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
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
