#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# State sync (docs/ha.md, "State sync"): a DR pair and a TUN pair of
# directors, rr with persistence (no scheduler every director agrees on:
# only the sync lets the backup carry a connection), 40 long-lived
# connections streaming small messages through the VIP.  FAILOVERS times
# per method, the directors in turn: the master's director is killed
# (kill -9), the VIP moves to the backup (ip addr, and the router's route),
# the backup's sync daemon becomes the master (nflvsadm --stop-daemon
# backup, --start-daemon master), and the old master comes back as the
# backup (its daemon asks for everything: bulk resync).  For each:
#   - the connections kept (of 40);
#   - the longest stall a connection saw (its longest wait for an answer);
#   - how long the backup took to know all 40 (sync lag after the last
#     connection got its first answer).
#
#   tests/bench/ha_sync.sh [FAILOVERS [METHODS]]   (default 10, "dr tun")
#
# Figures, not verdicts: on a shared, busy machine everything waits for
# the CPU.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-sync

FAILOVERS=${1:-10}
METHODS=${2:-"dr tun"}
[ "$FAILOVERS" -le 80 ] || { echo "at most 80 failovers per method" >&2; exit 2; }
VIP=10.0.9.100
ADM=build/nflvsadm
CONNS=40

trap 'exec 2>/dev/null; bench_cleanup; rm -f /dev/shm/nflvs-$P-*' EXIT

tests/lib/lab.sh ecmp "$P" 3
for r in 1 2 3; do
	bg "rs$r" "$TESTNET" serve --name "rs$r" --tcp 80 --ready-file "$TMP/rs$r.ready" \
		>/dev/null 2>&1
	PIDS+=($!)
	bg "rs$r" build/tests/nflvs-decap --type ipip --ready-file "$TMP/decap$r.ready" \
		--stats-file "$TMP/decap$r.stats" >/dev/null 2>&1
	PIDS+=($!)
done
until [ -e "$TMP/decap1.ready" ] && [ -e "$TMP/decap2.ready" ] && [ -e "$TMP/decap3.ready" ]; do
	sleep 0.05
done
# the VIP is the master's: dir2 starts as the backup
n dir2 ip addr del $VIP/32 dev lo
n rt ip route add $VIP/32 via 10.0.3.2

adm() { local d=$1; shift; $ADM --socket "$TMP/ctl$d.sock" "$@"; }

director_start() {	# D METHOD
	local d=$1 tun=""
	[ "$2" = tun ] && tun='tunnel = { type = "ipip"; };'
	cat >"$TMP/nflvs$d.conf" <<CONF
director = { table = "nflvs"; shm = "/nflvs-$P-$d"; control = "$TMP/ctl$d.sock"; log_level = "warning"; };
services = ( { vip = "$VIP"; port = 80; protocol = "tcp"; scheduler = "rr";
  persistence = 300; forward = "$2";
  real_servers = ( { address = "10.0.3.11"; port = 80; $tun }, { address = "10.0.3.12"; port = 80; $tun },
                   { address = "10.0.3.13"; port = 80; $tun } ); } );
CONF
	rm -f "$TMP/ctl$d.sock"
	bg "dir$d" build/nflvs-director -f "$TMP/nflvs$d.conf" >>"$TMP/director$d.log" 2>&1
	PIDS+=($!)
	eval "DIRECTOR_$d=$!"
	until adm "$d" -Ln >/dev/null 2>&1; do sleep 0.05; done
}

daemon() {	# D ROLE
	adm "$1" --start-daemon "$2" --mcast-interface eth0 --syncid 7
}

ROUND=0
flows() {	# D: this round's client's flows that director D knows
	adm "$1" -Lnc 2>/dev/null | grep -c "ESTABLISHED 10.0.1.$((10 + ROUND)):" || true
}
stat() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TMP/stream.stats"; }
kill9() { kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# One failover from master M to backup B: "KEPT STALL_MS LAG_MS" to results
one() {	# M B METHOD
	local m=$1 b=$2 t0 lag r0 end out spid
	ROUND=$((ROUND + 1))
	n cl ip addr add "10.0.1.$((10 + ROUND))/24" dev eth0
	rm -f "$TMP/stream.ready" "$TMP/stream.stats"
	bg cl "$TESTNET" stream $VIP 80 --conns $CONNS --interval-ms 20 --src "10.0.1.$((10 + ROUND))" \
		--stats-file "$TMP/stream.stats" --ready-file "$TMP/stream.ready" >"$TMP/stream.out" 2>&1
	spid=$!
	until [ -e "$TMP/stream.ready" ]; do sleep 0.01; done
	t0=$(ms)
	end=$((t0 + 20000))
	until [ "$(flows "$b")" -ge $CONNS ] || [ "$(ms)" -ge $end ]; do sleep 0.01; done
	lag=$(($(ms) - t0))
	r0=$(stat rounds_min)
	eval "kill9 \$DIRECTOR_$m"
	n "dir$m" ip addr del $VIP/32 dev lo
	n "dir$b" ip addr add $VIP/32 dev lo
	n rt ip route replace $VIP/32 via "10.0.3.$((1 + b))"
	adm "$b" --stop-daemon backup
	daemon "$b" master
	end=$(($(ms) + 20000))
	while [ "$(stat rounds_min)" -lt $((r0 + 25)) ] && [ "$(ms)" -lt $end ]; do sleep 0.02; done
	kill "$spid"
	wait "$spid" || true
	out=$(grep '^total' "$TMP/stream.out")
	echo "$(echo "$out" | awk '{ print $4 }') $(echo "$out" | awk '{ print $6 }') $lag" >>"$TMP/results"
	# the old master returns, its state lost, as the backup
	director_start "$m" "$3"
	daemon "$m" backup
}

summary() {	# LABEL
	awk -v label="$1" -v conns=$CONNS '
		{ kept += $1; s[NR] = $2; l[NR] = $3 }
		function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
		END {
			sort(s, NR); sort(l, NR)
			printf "  %-4s kept %d/%d | longest stall min %4d  median %4d  max %4d ms | backup knew all 40 after min %4d  median %4d  max %4d ms\n",
			       label, kept, NR * conns, s[1], s[int((NR + 1) / 2)], s[NR],
			       l[1], l[int((NR + 1) / 2)], l[NR]
		}' "$TMP/results"
}

echo "State sync: $CONNS connections, rr with persistence, $FAILOVERS failovers per method, the directors in turn"
for method in $METHODS; do
	case $method in dr|tun) ;; *) echo "unknown method: $method" >&2; exit 2 ;; esac
	for d in 1 2; do
		eval "pid=\${DIRECTOR_$d:-}"
		[ -z "$pid" ] || kill9 "$pid"
		director_start "$d" "$method"
	done
	M=1; B=2
	[ "$(n dir1 ip -o addr show dev lo | grep -c "$VIP/")" -eq 1 ] || { M=2; B=1; }
	daemon $M master
	daemon $B backup
	rm -f "$TMP/results"
	for i in $(seq 1 "$FAILOVERS"); do
		one $M $B "$method"
		t=$M; M=$B; B=$t
	done
	summary "$(echo "$method" | tr a-z A-Z)"
done
