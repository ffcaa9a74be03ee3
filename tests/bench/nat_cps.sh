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
# nflvs-tick is the same director reading its conntrack events every 5 ms
# tick instead of being woken for each (NFLVS_CT_TICK=1).
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

# prints the rate; the whole result line goes to the log
load() {
	n dir conntrack -F >/dev/null 2>&1 || true
	$PIN ip netns exec "$P-cl" $TESTNET load $VIP 80 --duration "$DUR" --concurrency "$CONC" |
		tee -a "$TMP/load.log" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "rate") print $(i + 1) }'
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
	load
	n dir nft delete table inet kdnat
}

run_nflvs() {	# run_nflvs [ENV=VALUE...]
	$PIN ip netns exec "$P-dir" env "$@" build/nflvs-director -f "$TMP/nflvs.conf" \
		>"$TMP/director.log" 2>&1 &
	local pid=$!
	until n dir nft list table ip nflvs >/dev/null 2>&1 ||
	      n dir nft list chain inet nflvs queue_new >/dev/null 2>&1; do
		kill -0 $pid 2>/dev/null || { cat "$TMP/director.log" >&2; exit 1; }
		sleep 0.05
	done
	sleep 0.2	# the workers are bound before the rules exist
	load
	kill -TERM $pid
	wait $pid || true
}

pass() {	# pass LABEL CPULIST
	local ks=() fs=() ts=() k f t r pid
	PIN="taskset -c $2"
	for pid in "${PIDS[@]}"; do taskset -pc "$2" "$pid" >/dev/null; done
	: >"$TMP/load.log"
	echo "$1"
	printf '  %-6s %12s %12s %8s %12s %8s\n' round kernel nflvs ratio nflvs-tick ratio
	for r in $(seq 1 "$ROUNDS"); do
		k=$(run_kernel)
		f=$(run_nflvs)
		t=$(run_nflvs NFLVS_CT_TICK=1)
		ks+=("$k") fs+=("$f") ts+=("$t")
		printf '  %-6s %12s %12s %8s %12s %8s\n' "$r" "$k" "$f" "$(ratio "$f" "$k")" \
			"$t" "$(ratio "$t" "$k")"
	done
	k=$(med "${ks[@]}")
	f=$(med "${fs[@]}")
	t=$(med "${ts[@]}")
	printf '  %-6s %12s %12s %8s %12s %8s\n' median "$k" "$f" "$(ratio "$f" "$k")" \
		"$t" "$(ratio "$t" "$k")"
	echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	sed 's/^/  load: /' "$TMP/load.log"
}

echo "NAT new connections per second (kernel = nftables numgen DNAT only),"
echo "${DUR}s per run, $ROUNDS rounds alternating, client concurrency $CONC"
pass "one CPU: every process pinned to CPU 0 (cost per connection)" 0
pass "all CPUs (what this machine sustains)" "0-$(($(nproc) - 1))"
