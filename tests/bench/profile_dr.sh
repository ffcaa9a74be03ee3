#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Where a DR stream's CPU goes, against the same path without nflvs
# ("hop", as tests/bench/dr_tun.sh): one iperf3 stream from the client to
# the real server, every lab process pinned to CPU 0, `perf record -C 0'
# over SECONDS of it, for each path in turn:
#
#   hop     the router sends the real server's address through the
#           director's namespace, forwarded by its kernel, no nflvs
#   DR      through nflvs as shipped
#
# It prints each run's Gbit/s, the share of CPU 0's samples that iperf3's
# processes took (their softirqs: the whole forwarding path), and of
# those samples the share in nftables
# (nft_*, the set backends, the hook entry), in the rest of netfilter,
# in routing and in the paravirtual interrupt enabling (and the shares
# without the latter, which grows with the host's load), and the top
# symbols; and the CPU time in nftables per packet the director's eth0
# received (samples / FREQ / packets), the figure least moved by what
# else the host runs.  The perf data stays in $TMP only while the script runs.
#
#   tests/bench/profile_dr.sh [SECONDS]
#
# DR_VARIANTS ("LABEL:bin=PATH" words) profiles, after DR, the same stream
# through each other build of the director (an older commit: before and
# after in one run, as tests/bench/dr_tun.sh).
#
# Not part of `make bench' (tests/bench/run.sh skips profile_*.sh).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-prof

DUR=${1:-5}
FREQ=4000	# perf's samples per second of CPU: a sample stands for 250 us
VIP=10.0.3.100
RS=10.0.3.11
PIN="taskset -c 0"

command -v perf >/dev/null || { echo "perf missing (linux-perf)" >&2; exit 1; }
need iperf3
tests/lib/lab.sh dr "$P" 1
$PIN ip netns exec "$P-rs1" iperf3 -s -D -I "$TMP/iperf.pid" --logfile "$TMP/iperf-s.log"
until [ -s "$TMP/iperf.pid" ]; do sleep 0.05; done
PIDS+=("$(cat "$TMP/iperf.pid")")

cat >"$TMP/nflvs.conf" <<CONF
director = { shm = "/nflvs-$P"; control = "$TMP/director.sock"; log_level = "warning"; };
services = ( { vip = "$VIP"; port = 5201; scheduler = "rr"; forward = "dr";
    real_servers = ( { address = "$RS"; port = 5201; } ); } );
CONF

read -r -a VARIANTS <<<"${DR_VARIANTS-}"
director_up() { director_start "$TMP/nflvs.conf" "${1:-build/nflvs-director}"; }
director_down() { kill -TERM "$DPID"; wait "$DPID" || true; }

# profile NAME ADDR: a stream to ADDR, perf over DUR seconds of it
profile() {
	local c gbit pk0 pk1
	$PIN ip netns exec "$P-cl" iperf3 -c "$2" -t $((DUR + 2)) -J >"$TMP/$1.json" 2>&1 &
	c=$!
	sleep 1
	pk0=$(n dir cat /sys/class/net/eth0/statistics/rx_packets)
	perf record -q -F $FREQ -C 0 -o "$TMP/$1.data" -- sleep "$DUR" >/dev/null 2>&1
	pk1=$(n dir cat /sys/class/net/eth0/statistics/rx_packets)
	wait $c || { cat "$TMP/$1.json" >&2; exit 1; }
	gbit=$(awk -F'[:,]' '/"sum_received"/ { s = 1 } s && /"bits_per_second"/ { printf "%.2f", $2 / 1e9; exit }' \
		"$TMP/$1.json")
	# iperf3's processes and ksoftirqd carry the stream's softirq work (the sender's
	# transmit runs the whole forwarding path): their samples only, not
	# a foreign process's that ran on CPU 0 meanwhile
	perf report -q -n -i "$TMP/$1.data" --comm iperf3,ksoftirqd/0 --percentage relative --sort sym --stdio 2>/dev/null |
		sed 's/^ *//' | grep '%' >"$TMP/$1.syms"
	echo "$1: $gbit Gbit/s, iperf3 and ksoftirqd/0 (the stream and its softirqs) $(perf report -q \
		-i "$TMP/$1.data" --sort comm --stdio 2>/dev/null | awk '$2 == "iperf3" || $2 == "ksoftirqd/0" { s += $1 } END { printf "%.2f %%", s }') of CPU 0"
	awk -v pk=$((pk1 - pk0)) -v freq=$FREQ '{ p = $1; sub("%", "", p); s = $NF }
	     s ~ /^(nft_|nf_tables|__nft|nf_hook_slow|nft_do_chain|jhash|nft_rhash|nft_hash|nft_lookup|nft_dynset|nft_meta|nft_payload)/ { t += p; ns += $2; next }
	     s ~ /^(nf_|__nf_|ipt_|ip6t_|nfqnl)/ { o += p; next }
	     s ~ /^(fib_|ip_route|__fib|fib4|fib6|ip6_route|ip_rcv_finish|rt_)/ { r += p; next }
	     s ~ /pvm_irq_enable/ { v += p }
	     END { printf "  of those: nftables %.2f %%  other netfilter %.2f %%  routing %.2f %%  pvm_irq_enable %.2f %% (of their samples)\n", t, o, r, v
		   printf "  without pvm_irq_enable (the hypervisor'"'"'s share, which follows the host'"'"'s load): nftables %.2f %%  routing %.2f %%\n", 100 * t / (100 - v), 100 * r / (100 - v)
		   printf "  nftables per forwarded packet: %.0f ns (%d samples at %d Hz over %d packets)\n", ns * 1e9 / freq / pk, ns, freq, pk }' \
		"$TMP/$1.syms"
	echo "  nftables symbols:"
	grep -E ' (nft_|nf_tables|__nft|nf_hook_slow|jhash)' "$TMP/$1.syms" | head -12 | sed 's/^/    /'
	echo "  top:"
	head -12 "$TMP/$1.syms" | sed 's/^/    /'
}

echo "DR against hop, one stream, every process on CPU 0, perf -C 0 over ${DUR}s"
n dir sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
n rt ip route add "$RS/32" via 10.0.3.2
profile hop "$RS"
n rt ip route del "$RS/32" via 10.0.3.2
director_up
profile DR "$VIP"
director_down
for v in "${VARIANTS[@]}"; do
	director_up "${v#*:bin=}"
	profile "${v%%:*}" "$VIP"
	director_down
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
