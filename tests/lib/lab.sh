#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The namespace lab shared by the e2e tests, the demo and the benchmarks.
#
#   lab.sh nat PREFIX NRS    client, director and NRS real servers:
#
#     PREFIX-cl   eth0 10.0.1.2/24 fd00:1::2/64, default via the director
#     PREFIX-dir  eth0 10.0.1.1/24 fd00:1::1/64 + VIPs 10.0.1.100, fd00:1::100
#                 br0  10.0.2.1/24 fd00:2::1/64, forwarding on
#     PREFIX-rsN  eth0 10.0.2.(10+N)/24 fd00:2::(10+N)/64, default via br0
#
#   lab.sh cleanup PREFIX    kill every process in PREFIX-* namespaces and
#                            delete them
set -eu

n() { local ns="$P-$1"; shift; ip netns exec "$ns" "$@"; }

ns_add() {
	ip netns add "$P-$1"
	n "$1" ip link set lo up
	n "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

nat() {
	local nrs=$1 i
	ns_add cl
	ns_add dir
	n dir sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$P-cl" link add eth0 type veth peer name eth0 netns "$P-dir"
	n cl ip addr add 10.0.1.2/24 dev eth0
	n cl ip addr add fd00:1::2/64 dev eth0 nodad
	n cl ip link set eth0 up
	n cl ip route add default via 10.0.1.1
	n cl ip -6 route add default via fd00:1::1
	n dir ip addr add 10.0.1.1/24 dev eth0
	n dir ip addr add fd00:1::1/64 dev eth0 nodad
	n dir ip addr add 10.0.1.100/32 dev eth0
	n dir ip addr add fd00:1::100/128 dev eth0 nodad
	n dir ip link set eth0 up
	n dir ip link add br0 type bridge
	n dir ip link set br0 up
	n dir ip addr add 10.0.2.1/24 dev br0
	n dir ip addr add fd00:2::1/64 dev br0 nodad
	for i in $(seq 1 "$nrs"); do
		ns_add "rs$i"
		ip -n "$P-rs$i" link add eth0 type veth peer name "p$i" netns "$P-dir"
		n dir ip link set "p$i" master br0
		n dir ip link set "p$i" up
		n "rs$i" ip addr add "10.0.2.$((10 + i))/24" dev eth0
		n "rs$i" ip addr add "fd00:2::$((10 + i))/64" dev eth0 nodad
		n "rs$i" ip link set eth0 up
		n "rs$i" ip route add default via 10.0.2.1
		n "rs$i" ip -6 route add default via fd00:2::1
	done
}

cleanup() {
	local ns pid
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}

case "${1:-}" in
nat)		P=$2; nat "${3:-3}" ;;
cleanup)	P=$2; cleanup ;;
*)		echo "usage: lab.sh nat PREFIX NRS | cleanup PREFIX" >&2; exit 2 ;;
esac
