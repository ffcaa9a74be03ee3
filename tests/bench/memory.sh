#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Director memory per DR flow and per NAT connection: the director's
# resident size (VmRSS) before and after it learns COUNT DR flows, then
# COUNT established NAT connections, and what each cost in bytes; and
# whether its counts (nflvsadm -Ln ActiveConn/InActConn) say COUNT; the
# bytes are per connection counted.
#
#   tests/bench/memory.sh [COUNT]        (default 1000000)
#
# The connections are synthetic, made in bulk by build/tests/nflvs-memfill:
# DR ones as elements of the kernel's DR flow map, which a director
# started after them takes over (the first is killed with -9, as in a
# crash: a restart is the only time a director reads the maps whole; the
# figure compares the new director with the first at its start); NAT ones
# as established conntrack entries carrying the real server's mark (the
# director hears of them as of any connection: events, or its dump after
# an overrun).  Topology: tests/lib/lab.sh dr, one NAT and one DR service.
#
# conntrack's limit is the host's (writable only in the initial
# namespace): raised for the run, put back at exit.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-mem

N=${1:-1000000}
VIP=10.0.3.100
MEMFILL=build/tests/nflvs-memfill
CTMAX=/proc/sys/net/netfilter/nf_conntrack_max
CTBUCKETS=/proc/sys/net/netfilter/nf_conntrack_buckets
DEADLINE=900		# s to learn each million
ADM() { build/nflvsadm --socket "$TMP/director.sock" "$@"; }

[ -x "$MEMFILL" ] || { echo "$MEMFILL missing: make tests" >&2; exit 1; }
modprobe nf_conntrack 2>/dev/null || true
OLD_MAX=$(cat $CTMAX)
OLD_BUCKETS=$(cat $CTBUCKETS)
mem_cleanup() {
	bench_cleanup
	# a director killed with -9 (lab cleanup) leaves its segment
	rm -f "/dev/shm/nflvs-$P"
	# after the namespaces (and their entries) are gone
	echo "$OLD_BUCKETS" >$CTBUCKETS 2>/dev/null || true
	echo "$OLD_MAX" >$CTMAX 2>/dev/null || true
}
trap mem_cleanup EXIT
trap 'exit 130' INT TERM
[ "$OLD_MAX" -ge $((N + 100000)) ] || echo $((N + 100000)) >$CTMAX
[ "$OLD_BUCKETS" -ge $((N / 4)) ] || echo $((N / 4)) >$CTBUCKETS 2>/dev/null || true

tests/lib/lab.sh dr "$P" 2
cat >"$TMP/nflvs.conf" <<CONF
director = { shm = "/nflvs-$P"; control = "$TMP/director.sock"; log_level = "warning"; };
services = (
  { vip = "$VIP"; port = 80; scheduler = "rr"; forward = "nat";
    real_servers = ( { address = "10.0.3.11"; port = 8080; } ); },
  { vip = "$VIP"; port = 81; scheduler = "rr"; forward = "dr";
    real_servers = ( { address = "10.0.3.12"; port = 81; } ); } );
CONF
# start_director: in the background, until it answers (a restart reads
# the flow maps first)
start_director() {
	local t0=$SECONDS

	ip netns exec "$P-dir" build/nflvs-director -f "$TMP/nflvs.conf" \
		>>"$TMP/director.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	until ADM -Ln >/dev/null 2>&1; do
		kill -0 "$DPID" 2>/dev/null || { cat "$TMP/director.log" >&2; exit 1; }
		[ $((SECONDS - t0)) -lt $DEADLINE ] || { echo "the director did not start" >&2; exit 1; }
		sleep 0.05
	done
	STARTED=$((SECONDS - t0))
}
start_director

# the family of the DR flow maps (ip, or inet with the native queue
# expression), and each real server's mark
FAM=ip
n dir nft list table ip nflvs >/dev/null 2>&1 || FAM=inet
mark_of() {	# mark_of ADDR PORT: from the NAT map, which names every one
	n dir nft list map inet nflvs nat4 2>/dev/null |
		grep -o "0x[0-9a-f]* : $1 \. $2" | awk '{ print $1 }'
}
NATMARK=$(mark_of 10.0.3.11 8080)
DRMARK=$(mark_of 10.0.3.12 81)
[ -n "$NATMARK" ] && [ -n "$DRMARK" ] || { echo "no marks in the ruleset" >&2; exit 1; }

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status"; }
# counts RS: "ActiveConn InActConn" of real server RS (addr:port)
counts() { ADM -Ln 2>/dev/null | awk -v rs="$1" '$1 == "->" && $2 == rs { print $5, $6 }'; }
# learn RS: poll until RS counts N active, or its counts stay the same for
# SETTLE seconds (a miscount), or the deadline; LEARNED: the seconds taken.
# A director too busy to answer (nflvsadm times out) is no answer.
SETTLE=180	# a read of a million DR flows may take a minute on a busy host
learn() {
	local t0=$SECONDS tc=$SECONDS c last=
	while c=$(counts "$1"); [ "$c" != "$N 0" ]; do
		kill -0 "$DPID" 2>/dev/null || { echo "the director died" >&2; cat "$TMP/director.log" >&2; exit 1; }
		[ -n "$c" ] && [ "$c" = "$last" ] || { last=$c; tc=$SECONDS; }
		[ $((SECONDS - tc)) -lt $SETTLE ] && [ $((SECONDS - t0)) -lt $DEADLINE ] || break
		sleep 0.5
	done
	LEARNED=$((SECONDS - t0))
	COUNTS=${c:-$last}
}
# bytes_each KB0 KB1 COUNTS: the growth per connection counted
bytes_each() {
	awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { split(c, n, " "); t = n[1] + n[2]
		if (t > 0) printf "%.1f", (b - a) * 1024 / t; else printf "-" }'
}
F='  %-28s %10s kB %12s  %s\n'
RSS=$(rss)
# phase LABEL UNIT RS RESTART CMD...: CMD makes N connections to real
# server RS (then, RESTART=1, the director is killed with -9 and another
# started); the row of what the director's resident size grew by
phase() {
	local label=$1 unit=$2 rs=$3 restart=$4 t0=$SECONDS r0=$RSS made v
	local how="counted"
	shift 4
	"$@" >>"$TMP/fill.log"
	made=$((SECONDS - t0))
	if [ "$restart" = 1 ]; then
		kill -9 "$DPID"
		wait "$DPID" 2>/dev/null || true
		start_director
		how="a restart (${STARTED}s to start) counted them"
	fi
	learn "$rs"
	RSS=$(rss)
	[ "$COUNTS" = "$N 0" ] && v=match || v="MISMATCH (want $N 0)"
	printf "$F" "+ $N $label" "$RSS" "$(bytes_each "$r0" "$RSS" "$COUNTS") B/$unit" \
		"ActiveConn InActConn: $COUNTS, $v (made in ${made}s, $how ${LEARNED}s later)"
}

echo "Director memory (VmRSS) with $N DR flows and $N NAT connections"
printf "$F" "at start" "$RSS" "" ""
phase "DR flows" flow 10.0.3.12:81 1 \
	n dir "$MEMFILL" flows "$N" "$DRMARK" 10.201.0.1 "$VIP:81" nflvs \
	$([ $FAM = inet ] && echo inet)
phase "NAT connections" conn 10.0.3.11:8080 0 \
	n dir "$MEMFILL" conntrack "$N" "$NATMARK" 10.200.0.1 "$VIP:80" 10.0.3.11:8080
printf "$F" "peak (VmHWM)" "$(hwm)" "" ""
echo "  (target: <= 100 bytes per NAT connection and per DR flow)"
