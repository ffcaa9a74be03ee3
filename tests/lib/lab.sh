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
#   lab.sh dr PREFIX NRS     client, router, director and NRS real servers,
#                            the last three on one LAN (a bridge in rt):
#
#     PREFIX-cl   eth0 10.0.1.2/24 fd00:1::2/64, default via the router
#     PREFIX-rt   eth0 10.0.1.1/24 fd00:1::1/64, forwarding on
#                 br0  10.0.3.1/24 fd00:3::1/64 (ports d0, pN)
#     PREFIX-dir  eth0 10.0.3.2/24 fd00:3::2/64 + VIPs 10.0.3.100,
#                 fd00:3::100, default via the router, forwarding on
#     PREFIX-rsN  eth0 10.0.3.(10+N)/24 fd00:3::(10+N)/64, default via the
#                 router; the VIPs on lo, ARP for them off
#                 (contrib/nflvs-realserver dr up; its state in
#                 /tmp/PREFIX-realserver); rp_filter 0 (for a TUN
#                 decapsulator)
#
#   lab.sh ecmp PREFIX NRS   client, router, two directors and NRS real
#                            servers, as dr but for the directors: the
#                            router reaches the VIP 10.0.9.100 through
#                            them (its routes come from BGP, the test's
#                            bird), hashing flows by ports (ECMP):
#
#     PREFIX-rt   as in dr, fib_multipath_hash_policy 1, rp_filter 0;
#                 br0 ports d1, d2, pN
#     PREFIX-dirD eth0 10.0.3.(1+D)/24 (D = 1, 2), the VIP 10.0.9.100 on
#                 lo, default via the router, forwarding on
#     PREFIX-rsN  as in dr, with the VIP 10.0.9.100 on lo
#
#   lab.sh hapair PREFIX NRS a NAT director pair (docs/ha.md): a switch
#                            (sw, two bridges), the client and the
#                            directors on its front bridge, the directors
#                            and the real servers on its back bridge, and
#                            a link of their own between the directors;
#                            the VIPs are keepalived's (the test's):
#
#     PREFIX-cl   eth0 10.0.1.2/24 (VIP 10.0.1.100 on its link)
#     PREFIX-sw   br0 (ports c0, f1, f2), br1 (ports b1, b2, pN), no address
#     PREFIX-dirD eth0 10.0.1.(10+D)/24, eth1 10.0.2.(1+D)/24 (D = 1, 2),
#                 eth2 10.0.5.D/24 (to the other director), forwarding on,
#                 conntrack's TCP window tracking liberal
#     PREFIX-rsN  eth0 10.0.2.(10+N)/24, default via 10.0.2.1 (the
#                 gateway VIP)
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

# client GW: the client, its eth0 linked to GW's eth0 (10.0.1.1,
# fd00:1::1), and GW forwarding
client() {
	ns_add cl
	ns_add "$1"
	n "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$P-cl" link add eth0 type veth peer name eth0 netns "$P-$1"
	n cl ip addr add 10.0.1.2/24 dev eth0
	n cl ip addr add fd00:1::2/64 dev eth0 nodad
	n cl ip link set eth0 up
	n cl ip route add default via 10.0.1.1
	n cl ip -6 route add default via fd00:1::1
	n "$1" ip addr add 10.0.1.1/24 dev eth0
	n "$1" ip addr add fd00:1::1/64 dev eth0 nodad
}

nat() {
	local nrs=$1 i
	client dir
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

# router: the client, the router, and the bridge br0 of the LAN behind it
router() {
	client rt
	n rt ip link set eth0 up
	n rt ip link add br0 type bridge
	n rt ip link set br0 up
	n rt ip addr add 10.0.3.1/24 dev br0
	n rt ip addr add fd00:3::1/64 dev br0 nodad
}

# director NAME ADDR4 ADDR6 PORT: a director on the LAN (PORT of br0 in
# rt), forwarding out of the interface it received on: no redirects (IPVS
# sends none either)
director() {
	ns_add "$1"
	n "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.default.send_redirects=0
	ip -n "$P-$1" link add eth0 type veth peer name "$4" netns "$P-rt"
	n rt ip link set "$4" master br0
	n rt ip link set "$4" up
	n "$1" ip addr add "$2/24" dev eth0
	n "$1" ip addr add "$3/64" dev eth0 nodad
	n "$1" ip link set eth0 up
	n "$1" ip route add default via 10.0.3.1
	n "$1" ip -6 route add default via fd00:3::1
}

# realservers NRS VIP...: rs1..rsNRS on the LAN, the VIPs on lo
realservers() {
	local nrs=$1 i
	shift
	for i in $(seq 1 "$nrs"); do
		ns_add "rs$i"
		n "rs$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
		ip -n "$P-rs$i" link add eth0 type veth peer name "p$i" netns "$P-rt"
		n rt ip link set "p$i" master br0
		n rt ip link set "p$i" up
		n "rs$i" env NFLVS_REALSERVER_STATE="/tmp/$P-realserver" \
			"$(dirname "$0")/../../contrib/nflvs-realserver" dr up \
			"$@" >/dev/null
		n "rs$i" ip addr add "10.0.3.$((10 + i))/24" dev eth0
		n "rs$i" ip addr add "fd00:3::$((10 + i))/64" dev eth0 nodad
		n "rs$i" ip link set eth0 up
		n "rs$i" ip route add default via 10.0.3.1
		n "rs$i" ip -6 route add default via fd00:3::1
	done
}

dr() {
	local nrs=$1
	router
	director dir 10.0.3.2 fd00:3::2 d0
	n dir ip addr add 10.0.3.100/32 dev eth0
	n dir ip addr add fd00:3::100/128 dev eth0 nodad
	realservers "$nrs" 10.0.3.100 fd00:3::100
	# a real server answers from the VIP on lo with eth0's link-local
	# address as the source of its Neighbor Solicitations: without one
	# (up to a second after the link comes up) its first answers wait
	for i in $(seq 1 50); do
		local ok=1 r
		for r in dir $(seq -f 'rs%g' 1 "$nrs"); do
			n "$r" ip -6 addr show dev eth0 scope link | grep -q fe80 || ok=0
		done
		[ $ok = 1 ] && break
		sleep 0.1
	done
}

ecmp() {
	local nrs=$1 d
	router
	n rt sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	for d in 1 2; do
		director "dir$d" "10.0.3.$((1 + d))" "fd00:3::$((1 + d))" "d$d"
		n "dir$d" ip addr add 10.0.9.100/32 dev lo
	done
	realservers "$nrs" 10.0.9.100
}

# port NS IF BRIDGE PORT: NS's IF, its peer PORT in sw on BRIDGE
port() {
	ip -n "$P-$1" link add "$2" type veth peer name "$4" netns "$P-sw"
	n sw ip link set "$4" master "$3"
	n sw ip link set "$4" up
	n "$1" ip link set "$2" up
}

hapair() {
	local nrs=$1 d i
	ns_add sw
	n sw ip link add br0 type bridge
	n sw ip link add br1 type bridge
	n sw ip link set br0 up
	n sw ip link set br1 up
	ns_add cl
	port cl eth0 br0 c0
	n cl ip addr add 10.0.1.2/24 dev eth0
	for d in 1 2; do
		ns_add "dir$d"
		n "dir$d" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv4.conf.all.send_redirects=0 \
			net.ipv4.conf.default.send_redirects=0 \
			net.netfilter.nf_conntrack_tcp_be_liberal=1
		port "dir$d" eth0 br0 "f$d"
		port "dir$d" eth1 br1 "b$d"
		n "dir$d" ip addr add "10.0.1.$((10 + d))/24" dev eth0
		n "dir$d" ip addr add "10.0.2.$((1 + d))/24" dev eth1
	done
	ip -n "$P-dir1" link add eth2 type veth peer name eth2 netns "$P-dir2"
	for d in 1 2; do
		n "dir$d" ip addr add "10.0.5.$d/24" dev eth2
		n "dir$d" ip link set eth2 up
	done
	for i in $(seq 1 "$nrs"); do
		ns_add "rs$i"
		port "rs$i" eth0 br1 "p$i"
		n "rs$i" ip addr add "10.0.2.$((10 + i))/24" dev eth0
		n "rs$i" ip route add default via 10.0.2.1
	done
}

cleanup() {
	local ns pid
	rm -rf "/tmp/$P-realserver"
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}

case "${1:-}" in
nat)		P=$2; nat "${3:-3}" ;;
dr)		P=$2; dr "${3:-3}" ;;
ecmp)		P=$2; ecmp "${3:-3}" ;;
hapair)		P=$2; hapair "${3:-3}" ;;
cleanup)	P=$2; cleanup ;;
*)		echo "usage: lab.sh nat|dr|ecmp|hapair PREFIX NRS | cleanup PREFIX" >&2; exit 2 ;;
esac
