#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# NAT: new connections per second through nflvs, against the same topology
# with kernel-only nftables DNAT (numgen inc mod 3), measured side by side in
# one run, alternating rounds so that drift hits both alike.
#
#   tests/bench/nat_cps.sh [SECONDS_PER_RUN [ROUNDS [CONCURRENCY]]]
#
# The client closes with RST (no TIME_WAIT, no PAWS drops on reused ports)
# and conntrack is flushed before every run.
#
# Beside the director as shipped with an rr service (column nflvs, which
# nftables schedules itself), each variant of NAT_VARIANTS
# ("LABEL:ENV=VALUE,ENV=VALUE ..." words; default "wlc:scheduler=wlc",
# the same service with wlc, scheduled through the queue) runs the same
# director with those switches in its environment, in the same rounds:
# the way a change is measured before it becomes the default.  The load
# log gives each director's conntrack events per connection (ev/conn:
# messages it read, from `nflvsadm --status`) and its wakeups per
# connection (voluntary context switches of all its threads, the start
# included).  In a variant, queues=N and kernel_schedule=false are not
# switches but the config's director keys, scheduler=NAME replaces the
# service's rr, and bin=PATH runs another build of the director (an older
# commit: before and after in one run).
#
# Two passes: with every process (client, director, servers, and so the
# softirqs they raise) pinned to one CPU, the rates compare the CPU cost
# of a connection; unpinned, on all CPUs, they compare what this machine
# sustains, where the director's queue thread can move part of the
# forwarding work to a second core.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-cps

DUR=${1:-5}
ROUNDS=${2:-3}
CONC=${3:-64}
VIP=10.0.1.100
# as shipped, rr is scheduled by the kernel (director.kernel_schedule);
# wlc, which needs the counts, by the director through the queue
read -r -a VARIANTS <<<"${NAT_VARIANTS-wlc:scheduler=wlc}"

tests/lib/lab.sh nat "$P" 3
n cl sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
for i in 1 2 3; do
	ip netns exec "$P-rs$i" $TESTNET serve --name rs$i --tcp 8080 \
		--ready-file "$TMP/rs$i.ready" >"$TMP/rs$i.log" 2>&1 &
	PIDS+=($!)
done
for i in 1 2 3; do
	until [ -e "$TMP/rs$i.ready" ]; do sleep 0.05; done
done

cat >"$TMP/nflvs.conf" <<CONF
director = { shm = "/nflvs-$P"; control = "$TMP/director.sock"; log_level = "warning"; };
services = ( { vip = "$VIP"; port = 80; scheduler = "rr";
  real_servers = ( { address = "10.0.2.11"; port = 8080; },
                   { address = "10.0.2.12"; port = 8080; },
                   { address = "10.0.2.13"; port = 8080; } ); } );
CONF

# load LABEL: prints the rate; the whole result line goes to the log.
# With NAT_PERF=DIR, in the pinned pass, CPU 0 is profiled during the load
# (perf record -C 0, 2000 samples a second) into DIR/LABEL-N.data, N
# counting that label's runs, and the log gives the CPU time per connection of the lab's own processes
# (client, servers, director, and CPU 0's ksoftirqd: the softirqs of the
# packets run in their contexts), which foreign load on the host does not
# change the way it changes a rate: "cpu N us/conn".
load() {
	local perf=() data= out
	n dir conntrack -F >/dev/null 2>&1 || true
	if [ -n "${NAT_PERF-}" ] && [ "$PIN" = "taskset -c 0" ]; then
		local i=1
		while [ -e "$NAT_PERF/$1-$i.data" ]; do i=$((i + 1)); done
		data=$NAT_PERF/$1-$i.data
		perf=(perf record -q -F 2000 -C 0 -o "$data" --)
	fi
	out=$("${perf[@]}" $PIN ip netns exec "$P-cl" $TESTNET load $VIP 80 \
		--duration "$DUR" --concurrency "$CONC")
	if [ -n "$data" ]; then
		out+=" $(perf script -i "$data" -F comm 2>/dev/null | awk -v o="$out" '
			BEGIN { n = split(o, w, " "); for (i = 1; i < n; i++) if (w[i] == "conns") c = w[i + 1] }
			{ t++ } /^ *(nflvs-|ksoftirqd\/0$)/ { s++ }
			END { if (c > 0) printf "cpu %.1f us/conn (%d of %d samples)", s * 500 / c, s, t }')"
	fi
	echo "$out" >>"$TMP/load.log"
	echo "$out" | awk '{ for (i = 1; i < NF; i++) if ($i == "rate") print $(i + 1) }'
}

run_kernel() {
	n dir nft -f - <<NFT
table inet kdnat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP tcp dport 80 dnat ip to numgen inc mod 3 map { 0 : 10.0.2.11 . 8080, 1 : 10.0.2.12 . 8080, 2 : 10.0.2.13 . 8080 }
	}
}
NFT
	echo -n "kernel: " >>"$TMP/load.log"
	load kernel
	n dir nft delete table inet kdnat
}

run_nflvs() {	# run_nflvs LABEL [ENV=VALUE... | queues=N | bin=PATH]
	local label=$1 pid conns events wakeups conf=$TMP/nflvs.conf envs=() a
	local bin=build/nflvs-director
	shift
	for a in "$@"; do
		case $a in
		queues=*|kernel_schedule=*)
			conf=$TMP/nflvs-$a.conf
			sed "s/log_level/$a; log_level/" "$TMP/nflvs.conf" >"$conf" ;;
		scheduler=*)
			conf=$TMP/nflvs-$a.conf
			sed "s/scheduler = \"rr\"/scheduler = \"${a#*=}\"/" \
				"$TMP/nflvs.conf" >"$conf" ;;
		bin=*)	bin=${a#bin=} ;;
		*)	envs+=("$a") ;;
		esac
	done
	# the last run's connections are ours by their marks: gone before
	# this director counts its events
	n dir conntrack -F >/dev/null 2>&1 || true
	director_start "$conf" "$bin" "${envs[@]}"
	pid=$DPID
	echo -n "$label: " >>"$TMP/load.log"
	load "$label"
	events=$(NFLVS_SOCKET="$TMP/director.sock" build/nflvsadm --status 2>/dev/null |
		awk '$1 == "Conntrack" { print $3 }')
	conns=$(tail -n 1 "$TMP/load.log" | awk '{ for (i = 1; i < NF; i++) if ($i == "conns") print $(i + 1) }')
	# the director's wakeups: its threads' voluntary context switches
	wakeups=$(cat /proc/$pid/task/*/status 2>/dev/null |
		awk '$1 == "voluntary_ctxt_switches:" { s += $2 } END { print s + 0 }')
	if [ -n "$conns" ] && [ "$conns" -gt 0 ]; then
		[ -n "$events" ] && events=$(ratio "$events" "$conns") || events=?
		echo "$label: ev/conn $events wakeups/conn $(ratio "$wakeups" "$conns")" \
			>>"$TMP/load.log"
	fi
	kill -TERM $pid
	wait $pid || true
}

row() {	# row LABEL KERNEL RATE...
	local k=$2 x line
	line=$(printf '  %-6s %10s' "$1" "$k")
	shift 2
	for x in "$@"; do
		line+=$(printf ' %10s %6s' "$x" "$(ratio "$x" "$k")")
	done
	echo "$line"
}

pass() {	# pass LABEL CPULIST
	local ks=() rates=() med=() col=() r pid v i head
	local -A all
	PIN="taskset -c $2"
	for pid in "${PIDS[@]}"; do taskset -pc "$2" "$pid" >/dev/null; done
	: >"$TMP/load.log"
	echo "$1"
	head=$(printf '  %-6s %10s %10s %6s' round kernel nflvs ratio)
	for v in "${VARIANTS[@]}"; do
		head+=$(printf ' %10s %6s' "${v%%:*}" ratio)
	done
	echo "$head"
	for r in $(seq 1 "$ROUNDS"); do
		ks+=("$(run_kernel)")
		rates=("$(run_nflvs nflvs)")
		for v in "${VARIANTS[@]}"; do
			IFS=, read -r -a envs <<<"${v#*:}"
			rates+=("$(run_nflvs "${v%%:*}" "${envs[@]}")")
		done
		for i in "${!rates[@]}"; do all[$i,$r]=${rates[$i]}; done
		row "$r" "${ks[-1]}" "${rates[@]}"
	done
	for i in "${!rates[@]}"; do
		col=()
		for r in $(seq 1 "$ROUNDS"); do col+=("${all[$i,$r]}"); done
		med+=("$(med "${col[@]}")")
	done
	row median "$(med "${ks[@]}")" "${med[@]}"
	echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	sed 's/^/  load: /' "$TMP/load.log"
}

echo "NAT new connections per second (kernel = nftables numgen DNAT only),"
echo "${DUR}s per run, $ROUNDS rounds alternating, client concurrency $CONC"
pass "one CPU: every process pinned to CPU 0 (cost per connection)" 0
pass "all CPUs (what this machine sustains)" "0-$(($(nproc) - 1))"
