#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DR and TUN: single-stream throughput (iperf3, the client sending, so
# that the data goes through the director) next to the same stream
# routed straight to the real server (client -> router -> real server, no
# director), and new DR flows per second next to new connections straight
# to the real server; side by side in one run, rounds alternating.
#
# A third path isolates what nflvs itself costs: "hop" is the client's
# stream to the real server's own address with the router sending it
# through the director's namespace, forwarded by the kernel with no nflvs
# (the path DR takes, without the balancer).  DR/hop is nflvs's share;
# hop/direct is the extra forwarding hop's, which on these two shared
# cores is not free.
#
#   tests/bench/dr_tun.sh [SECONDS_PER_RUN [ROUNDS]]
#
# TUN is measured kernel to kernel: the director encapsulates with its tc
# BPF program, the real server decapsulates with nflvs-tundecap's (set up
# by `nflvs-realserver tun up': this kernel has no tunnel devices).  TUNu
# is the same stream with the director's BPF off (NFLVS_NO_BPF=1): every
# packet encapsulated in user space, as where the program cannot load.
# New DR flows are also measured with FINs queued to the director
# (NFLVS_NO_FINLOG=1) instead of logged, the way before NFLOG.
#
# DR_VARIANTS ("LABEL:bin=PATH" words) adds, in every round, a DR stream
# and new DR flows through another build of the director (an older
# commit: before and after in one run, as nat_cps.sh's NAT_VARIANTS); its
# ratios to hop are printed per round after the table.  DR_ONLY=1 skips
# the TUN runs and the queued-FIN one (a quicker DR comparison; their
# columns show 0).
#
# Two passes, as tests/bench/nat_cps.sh: every process of the lab (iperf3,
# the director, the real server's servers, and so the softirqs they
# raise) pinned to CPU 0, where the ratios compare the CPU each path costs
# and a foreign process on the other core does not take one side's round;
# then on all CPUs.
#
# Topology: tests/lib/lab.sh dr (client, router; director and real server
# on the router's LAN).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-drtun

DUR=${1:-5}
ROUNDS=${2:-3}
read -r -a VARIANTS <<<"${DR_VARIANTS-}"
VIP=10.0.3.100
RS=10.0.3.11

need iperf3
tests/lib/lab.sh dr "$P" 1
n cl sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
n rs1 sysctl -qw net.ipv4.tcp_max_tw_buckets=1024
n rs1 iperf3 -s -D -I "$TMP/iperf.pid" --logfile "$TMP/iperf-s.log"
n rs1 $TESTNET serve --name rs1 --tcp 80 --ready-file "$TMP/rs1.ready" \
	>"$TMP/rs1.log" 2>&1 &
PIDS+=($!)
n rs1 env NFLVS_REALSERVER_STATE="/tmp/$P-realserver" \
	NFLVS_TUNDECAP=build/nflvs-tundecap \
	contrib/nflvs-realserver tun up --type ipip --bpf "$VIP" 2>/dev/null
until [ -e "$TMP/rs1.ready" ] && [ -s "$TMP/iperf.pid" ]; do
	sleep 0.05
done
PIDS+=("$(cat "$TMP/iperf.pid")")

conf() {	# conf FORWARD [TUNNEL]
	cat >"$TMP/nflvs.conf" <<CONF
director = { shm = "/nflvs-$P"; control = "$TMP/director.sock"; log_level = "warning"; };
services = (
  { vip = "$VIP"; port = 5201; scheduler = "rr"; forward = "$1";
    real_servers = ( { address = "$RS"; port = 5201; $2 } ); },
  { vip = "$VIP"; port = 80; scheduler = "rr"; forward = "$1";
    real_servers = ( { address = "$RS"; port = 80; $2 } ); } );
CONF
}

PIN=
BIN=build/nflvs-director
director_up() { director_start "$TMP/nflvs.conf" "$BIN" "$@"; }	# [ENV=VALUE...]
director_down() {
	kill -TERM "$DPID"
	wait "$DPID" || true
}

# Gbit/s of one stream from the client to ADDR
stream() {
	$PIN ip netns exec "$P-cl" iperf3 -c "$1" -t "$DUR" -J >"$TMP/iperf.json" 2>&1 || { cat "$TMP/iperf.json" >&2; exit 1; }
	awk -F'[:,]' '/"sum_received"/ { s = 1 } s && /"bits_per_second"/ { printf "%.2f", $2 / 1e9; exit }' \
		"$TMP/iperf.json"
}

# the router sends the real server's address through the director
hop_on() {
	n dir sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
	n rt ip route add "$RS/32" via 10.0.3.2
}
hop_off() { n rt ip route del "$RS/32" via 10.0.3.2; }

# new connections per second to ADDR
cps() {
	$PIN ip netns exec "$P-cl" $TESTNET load "$1" 80 --duration "$DUR" --concurrency 64 |
		awk '{ for (i = 1; i < NF; i++) if ($i == "rate") print $(i + 1) }'
}

row() {	# row LABEL direct hop DR TUN TUNu direct/s hop/s DR/s
	printf "$F" "$1" "$2" "$3" "$4" "$(ratio "$4" "$2")" "$(ratio "$4" "$3")" \
		"$5" "$(ratio "$5" "$2")" "$6" "$(ratio "$6" "$2")" \
		"$7" "$8" "$9" "$(ratio "$9" "$7")" "$(ratio "$9" "$8")"
}

F='  %-6s %7s %7s %7s %7s %7s %7s %7s %7s %7s | %8s %8s %8s %7s %7s\n'
pass() {	# pass LABEL CPULIST
	local pid r d h hcps dr drc drq t tu c v vb
	local ds=() hs=() drs=() ts=() tus=() dc=() hc=() dcs=() rdh=() rdhc=() rdqc=()
	local -A vdh=() vdhc=()
	PIN="taskset -c $2"
	for pid in "${PIDS[@]}"; do taskset -apc "$2" "$pid" >/dev/null; done
	echo "$1"
	printf "$F" round direct hop DR DR/dir DR/hop TUN TUN/dir TUNu TUNu/dir \
		direct/s hop/s DR/s DR/dir DR/hop
	for r in $(seq 1 "$ROUNDS"); do
		d=$(stream $RS)
		hop_on
		h=$(stream $RS)
		hcps=$(cps $RS)
		hop_off
		conf dr ""
		director_up
		dr=$(stream $VIP)
		drc=$(cps $VIP)
		director_down
		for v in "${VARIANTS[@]}"; do
			BIN=${v#*:bin=}
			director_up
			vb=$(stream $VIP)
			vdh[${v%%:*}]+=" $(ratio "$vb" "$h")"
			vb=$(cps $VIP)
			vdhc[${v%%:*}]+=" $(ratio "$vb" "$hcps")"
			director_down
			BIN=build/nflvs-director
		done
		if [ "${DR_ONLY-}" = 1 ]; then
			drq=0 t=0 tu=0
		else
			director_up NFLVS_NO_FINLOG=1
			drq=$(cps $VIP)
			director_down
			conf tun 'tunnel = { type = "ipip"; };'
			director_up
			for _ in $(seq 100); do
				n dir tc filter show dev eth0 egress | grep -q tun_encap && break
				sleep 0.05
			done
			n dir tc filter show dev eth0 egress | grep -q tun_encap ||
				{ echo "the director's BPF program is not on eth0:" >&2; cat "$TMP/director.log" >&2; exit 1; }
			t=$(stream $VIP)
			director_down
			director_up NFLVS_NO_BPF=1
			tu=$(stream $VIP)
			director_down
		fi
		c=$(cps $RS)
		ds+=("$d") hs+=("$h") drs+=("$dr") ts+=("$t") tus+=("$tu")
		dc+=("$c") hc+=("$hcps") dcs+=("$drc")
		rdh+=("$(ratio "$dr" "$h")") rdhc+=("$(ratio "$drc" "$hcps")")
		rdqc+=("$(ratio "$drq" "$hcps")")
		row "$r" "$d" "$h" "$dr" "$t" "$tu" "$c" "$hcps" "$drc"
	done
	row median "$(med "${ds[@]}")" "$(med "${hs[@]}")" "$(med "${drs[@]}")" \
		"$(med "${ts[@]}")" "$(med "${tus[@]}")" "$(med "${dc[@]}")" "$(med "${hc[@]}")" \
		"$(med "${dcs[@]}")"
	echo "  (throughput in Gbit/s, single TCP stream; new connections per second, 64 in flight;"
	echo "   hop: the same path as DR, forwarded by the director's kernel without nflvs;"
	echo "   TUN: encapsulated by the director's tc BPF program, decapsulated by the real"
	echo "   server's; TUNu: encapsulated in user space, NFLVS_NO_BPF=1)"
	[ "${DR_ONLY-}" = 1 ] ||
		echo "TUN single stream / direct: $(ratio "$(med "${ts[@]}")" "$(med "${ds[@]}")") (median of $ROUNDS rounds)"
	echo "DR single stream / hop, per round: $(mmm "${rdh[@]}")"
	echo "new DR flows/s / hop, per round: $(mmm "${rdhc[@]}")"
	[ "${DR_ONLY-}" = 1 ] ||
		echo "  the same with FINs queued (NFLVS_NO_FINLOG=1, as before): $(mmm "${rdqc[@]}")"
	for v in "${VARIANTS[@]}"; do
		v=${v%%:*}
		# shellcheck disable=SC2086
		echo "$v: DR single stream / hop, per round: $(mmm ${vdh[$v]})"
		# shellcheck disable=SC2086
		echo "$v: new DR flows/s / hop, per round: $(mmm ${vdhc[$v]})"
	done
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "DR and TUN against routing straight to the real server, ${DUR}s per run, $ROUNDS rounds"
pass "one CPU: every process pinned to CPU 0 (cost per byte and per connection)" 0
pass "all CPUs (what this machine sustains)" "0-$(($(nproc) - 1))"
