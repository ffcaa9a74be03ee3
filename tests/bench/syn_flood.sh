#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SYN flood: SYNs from random source addresses (hping3 --flood
# --rand-source) to a NAT service, and how many of them the real servers
# receive per second, through nflvs (the service as shipped: wlc, two real
# servers) against the same namespaces with kernel-only nftables DNAT
# (numgen inc mod 2); side by side in one run, rounds alternating.
# nflvs-q2 is the same director with two queues (director.queues = 2, a
# worker thread each), which on two CPUs share the work that follows each
# verdict.
#
#   tests/bench/syn_flood.sh [SECONDS_PER_RUN [ROUNDS]]
#
# Besides the rates it prints, for every nflvs round: that the director is
# alive after the flood (its PID, and `nflvsadm -Ln' answering), its VmRSS
# before and after, the director namespace's conntrack count against
# nf_conntrack_max, and the queue's drops (/proc/net/netfilter/
# nfnetlink_queue: kernel drops on a full queue, and user drops).
#
# Nothing leaves the lab: the random sources are answered only inside it.
# The director routes every address it does not know back to the client
# namespace (a default route), and the client namespace drops every
# packet not addressed to itself before routing (a counter shows how many:
# the SYN-ACKs and RSTs of the real servers).  The lab's namespaces have
# no link to the host's: the script checks, before and after, that every
# interface in them is a bridge or a veth whose peer is in another of the
# lab's namespaces.
#
# Two passes, as tests/bench/nat_cps.sh: every process (hping3, the
# director, the real servers) pinned to CPU 0, then on all CPUs.
#
# SYN_PERF=DIR: a `perf record -a' of each measured run, as
# DIR/kernel.data, DIR/nflvs.data and DIR/nflvs-q2.data (the last
# round's of each; perf keeps the one before as .old).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-syn

DUR=${1:-5}
ROUNDS=${2:-3}
VIP=10.0.1.100
NRS=2

need hping3
tests/lib/lab.sh nat "$P" "$NRS"

# every interface of the lab is a bridge or a veth whose peer is in
# another of the lab's namespaces: no path to the host's
isolated() {
	local ns links peers
	for ns in $(ip netns list | awk '{ print $1 }' | grep "^$P-"); do
		links=$(ip -n "$ns" -o link show 2>/dev/null | grep -vc ' lo:\| br0:' || true)
		peers=$(ip -n "$ns" -o link show type veth 2>/dev/null | grep -c "link-netns $P-" || true)
		[ "$links" = "$peers" ] || { echo "$ns: an interface not linked inside the lab" >&2; return 1; }
	done
}
isolated

# replies to the random sources: back to the client, dropped there
n dir ip route add default via 10.0.1.2
n cl nft -f - <<NFT
table inet blackhole {
	counter dropped { }
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		fib daddr type != local counter name dropped drop
	}
}
NFT

# the SYNs that reach the real servers
for i in $(seq 1 "$NRS"); do
	n "rs$i" nft -f - <<NFT
table inet synflood {
	counter syns { }
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport 8080 tcp flags & (syn | ack) == syn counter name syns
	}
}
NFT
	ip netns exec "$P-rs$i" $TESTNET serve --name "rs$i" --tcp 8080 \
		--ready-file "$TMP/rs$i.ready" >"$TMP/rs$i.log" 2>&1 &
	PIDS+=($!)
done
for i in $(seq 1 "$NRS"); do
	until [ -e "$TMP/rs$i.ready" ]; do sleep 0.05; done
done

conf() {	# conf FILE QUEUES
	cat >"$1" <<CONF
director = { shm = "/nflvs-$P"; control = "$TMP/director.sock"; log_level = "warning";
  queues = $2; };
services = ( { vip = "$VIP"; port = 80; scheduler = "wlc";
  real_servers = ( { address = "10.0.2.11"; port = 8080; },
                   { address = "10.0.2.12"; port = 8080; } ); } );
CONF
}
conf "$TMP/nflvs.conf" 1
conf "$TMP/nflvs-q2.conf" 2

syns() {	# the SYNs the real servers have received
	local i s=0 c
	for i in $(seq 1 "$NRS"); do
		c=$(n "rs$i" nft list counter inet synflood syns |
			awk '$1 == "packets" { print $2 }')
		s=$((s + c))
	done
	echo "$s"
}

# sent: the packets the client has sent (hping3's SYNs: nothing else
# sends from it)
sent() { n cl cat /sys/class/net/eth0/statistics/tx_packets; }

# flood: prints the SYNs per second the real servers received and the
# SYNs per second hping3 sent, measured over DUR seconds from half a
# second after the flood began; the flood goes on until flood_stop (in
# the same shell: call it without $(...))
FLOOD=
flood() {
	local a b x y t0 t1
	$PIN ip netns exec "$P-cl" hping3 --flood --rand-source -S -p 80 -q "$VIP" \
		>/dev/null 2>&1 &
	FLOOD=$!
	PIDS+=("$FLOOD")
	sleep 0.5
	a=$(syns) x=$(sent) t0=$(ms)
	if [ -n "${SYN_PERF:-}" ]; then	# perf record meanwhile
		perf record -q -a -o "$SYN_PERF/$1.data" -- sleep "$DUR" >/dev/null 2>&1
	else
		sleep "$DUR"
	fi
	b=$(syns) y=$(sent) t1=$(ms)
	awk -v n=$((b - a)) -v s=$((y - x)) -v t=$((t1 - t0)) \
		'BEGIN { printf "%.0f %.0f\n", n * 1000 / t, s * 1000 / t }'
}
flood_stop() {
	kill -INT "$FLOOD" 2>/dev/null || true
	wait "$FLOOD" 2>/dev/null || true
}

run_kernel() {
	n dir conntrack -F >/dev/null 2>&1 || true
	n dir nft -f - <<NFT
table inet kdnat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.0.2.11 . 8080, 1 : 10.0.2.12 . 8080 }
	}
}
NFT
	flood kernel
	flood_stop
	n dir nft delete table inet kdnat >/dev/null
}

rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

# run_nflvs CONF LABEL: prints the rate; what the director looked like
# goes to $TMP/state (one line a round)
run_nflvs() {
	local pid rate r0 r1 q cnt alive
	n dir conntrack -F >/dev/null 2>&1 || true
	director_start "$1"
	pid=$DPID
	r0=$(rss $pid)
	flood "$2" >"$TMP/rate"
	rate=$(cat "$TMP/rate")
	# queue: number portid waiting copy_mode copy_range queue_dropped
	# user_dropped id_sequence 1
	q=$(n dir cat /proc/net/netfilter/nfnetlink_queue |
		awk '{ w += $3; k += $6; u += $7 } END { printf "waiting %d, dropped %d, user dropped %d", w, k, u }')
	cnt=$(n dir cat /proc/sys/net/netfilter/nf_conntrack_count)
	flood_stop
	if kill -0 $pid 2>/dev/null &&
	   ip netns exec "$P-dir" build/nflvsadm --socket "$TMP/director.sock" -Ln >"$TMP/ln" 2>&1 &&
	   grep -q "$VIP:80" "$TMP/ln"; then
		alive="alive (pid $pid, nflvsadm -Ln answers)"
	else
		alive="NOT ALIVE or not answering (pid $pid)"
		cat "$TMP/ln" "$TMP/director.log" >&2
	fi
	r1=$(rss $pid 2>/dev/null || echo 0)
	echo "round $R, $2: director $alive; VmRSS $r0 -> $r1 kB; conntrack $cnt of" \
		"$(cat /proc/sys/net/netfilter/nf_conntrack_max); queue $q;" \
		"event overruns (counts rebuilt from a dump): $(grep -c 'conntrack events were lost' "$TMP/director.log")" \
		>>"$TMP/state"
	kill -TERM $pid
	wait $pid || true
	echo "$rate"
}

pass() {	# pass LABEL CPULIST
	local ks=() fs=() qs=() rs=() rq=() k f q r pid ko fo qo
	PIN="taskset -c $2"
	for pid in "${PIDS[@]}"; do taskset -apc "$2" "$pid" >/dev/null 2>&1 || true; done
	: >"$TMP/state"
	echo "$1"
	printf '  %-6s %9s %9s %9s %9s %7s %9s %9s %7s\n' round kernel "(sent)" nflvs "(sent)" ratio \
		nflvs-q2 "(sent)" ratio
	for r in $(seq 1 "$ROUNDS"); do
		R=$r
		read -r k ko < <(run_kernel)
		read -r f fo < <(run_nflvs "$TMP/nflvs.conf" nflvs)
		read -r q qo < <(run_nflvs "$TMP/nflvs-q2.conf" nflvs-q2)
		[ -n "$k" ] && [ -n "$f" ] && [ -n "$q" ] || { echo "a run failed" >&2; exit 1; }
		ks+=("$k") fs+=("$f") qs+=("$q") rs+=("$(ratio "$f" "$k")") rq+=("$(ratio "$q" "$k")")
		printf '  %-6s %9s %9s %9s %9s %7s %9s %9s %7s\n' "$r" "$k" "($ko)" "$f" "($fo)" \
			"$(ratio "$f" "$k")" "$q" "($qo)" "$(ratio "$q" "$k")"
	done
	printf '  %-6s %9s %9s %9s %9s %7s %9s %9s %7s\n' median "$(med "${ks[@]}")" "" \
		"$(med "${fs[@]}")" "" "$(ratio "$(med "${fs[@]}")" "$(med "${ks[@]}")")" \
		"$(med "${qs[@]}")" "" "$(ratio "$(med "${qs[@]}")" "$(med "${ks[@]}")")"
	echo "  nflvs / kernel per round: $(mmm "${rs[@]}")"
	echo "  nflvs-q2 / kernel per round: $(mmm "${rq[@]}")"
	echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	sed 's/^/  /' "$TMP/state"
}

echo "SYN flood (hping3 --flood --rand-source) to a NAT service, wlc, $NRS real servers:"
echo "SYNs per second received by the real servers (kernel = nftables numgen DNAT only;"
echo "sent: the SYNs per second hping3 sent meanwhile),"
echo "${DUR}s per run, $ROUNDS rounds alternating"
pass "one CPU: every process pinned to CPU 0" 0
pass "all CPUs" "0-$(($(nproc) - 1))"
echo "replies dropped in the client namespace (never routed further):" \
	"$(n cl nft list counter inet blackhole dropped | awk '$1 == "packets" { print $2 }') packets"
isolated
echo "every lab interface is linked only inside the lab (nothing reached the host)"
