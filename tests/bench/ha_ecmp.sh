#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ECMP scale-out (docs/ha-ecmp.md): two active DR directors scheduling
# with mh behind a router running bird2 (BGP, BFD, ECMP), 40 long-lived
# connections streaming small messages through the VIP.  A director is
# lost LOSSES times for each way of losing it, the two in turn, and brought
# back after each loss; for each loss:
#   - the time from the loss until the router's route to the VIP no longer
#     goes through that director;
#   - the connections kept (of 40, and of those the lost director carried);
#   - the longest stall a connection saw (its longest wait for an answer).
# Ways: kill (kill -9 of its nflvs-director, bird and nflvs-bird-watch:
# the BGP session closes), cut (its link dropped at the router's bridge:
# BFD), director (kill -9 of nflvs-director alone: nflvs-bird-watch).
#
#   tests/bench/ha_ecmp.sh [LOSSES [WAYS]]     (default 10, "kill cut director")
#
# Figures, not verdicts: on a shared, busy machine bird, the watcher and
# the kernel wait for the CPU like everything else.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-ecmp

LOSSES=${1:-10}
WAYS=${2:-"kill cut director"}
[ $((LOSSES * 3)) -le 240 ] || { echo "at most 80 losses per way" >&2; exit 2; }
VIP=10.0.9.100
ADM=build/nflvsadm
CONNS=40

command -v bird >/dev/null || { echo "bird2 is not installed" >&2; exit 1; }
# the directors are killed: their segments stay
trap 'exec 2>/dev/null; bench_cleanup; rm -f /dev/shm/nflvs-$P-*' EXIT

tests/lib/lab.sh ecmp "$P" 3
for r in 1 2 3; do
	bg "rs$r" "$TESTNET" serve --name "rs$r" --tcp 80 --ready-file "$TMP/rs$r.ready" \
		>/dev/null 2>&1
	PIDS+=($!)
done

# bird on contrib/ha's FILE in ROLE, with the lab's addresses (SED)
bird_start() {	# ROLE FILE SED...
	local role=$1 file=$2
	shift 2
	sed -e 's/^log syslog all;/log stderr all;/' "$@" "contrib/ha/$file" >"$TMP/bird-$role.conf"
	rm -f "$TMP/bird-$role.sock"
	bg "$role" bird -f -c "$TMP/bird-$role.conf" -s "$TMP/bird-$role.sock" \
		-P "$TMP/bird-$role.pid" >>"$TMP/bird-$role.log" 2>&1
	PIDS+=($!)
	eval "BIRD_$role=$!"
	until birdc -s "$TMP/bird-$role.sock" show status 2>/dev/null | grep -q 'Daemon is up'; do
		sleep 0.05
	done
}

bird_start rt bird-router.conf -e 's/^define ME .*/define ME = 10.0.3.1;/' \
	-e 's/^define DIRECTOR1 .*/define DIRECTOR1 = 10.0.3.2;/' \
	-e 's/^define DIRECTOR2 .*/define DIRECTOR2 = 10.0.3.3;/' \
	-e 's|198.51.100.0/24|10.0.9.0/24|'

director_start() {	# D
	local d=$1
	cat >"$TMP/nflvs$d.conf" <<CONF
director = { table = "nflvs"; shm = "/nflvs-$P-$d"; control = "$TMP/ctl$d.sock"; log_level = "warning"; };
services = ( { vip = "$VIP"; port = 80; protocol = "tcp"; scheduler = "mh";
  scheduler_flags = ( "mh-port" ); forward = "dr";
  real_servers = ( { address = "10.0.3.11"; port = 80; }, { address = "10.0.3.12"; port = 80; },
                   { address = "10.0.3.13"; port = 80; } ); } );
CONF
	rm -f "$TMP/ctl$d.sock"
	bg "dir$d" build/nflvs-director -f "$TMP/nflvs$d.conf" >>"$TMP/director$d.log" 2>&1
	PIDS+=($!)
	eval "DIRECTOR_$d=$!"
	until $ADM --socket "$TMP/ctl$d.sock" -Ln >/dev/null 2>&1; do sleep 0.05; done
}

watch_start() {	# D
	local d=$1
	bg "dir$d" contrib/ha/nflvs-bird-watch -i 0.05 -s "$TMP/ctl$d.sock" \
		-b "$TMP/bird-dir$d.sock" -n $ADM vips >>"$TMP/watch$d.log" 2>&1
	PIDS+=($!)
	eval "WATCH_$d=$!"
}

node_start() {	# D
	local d=$1
	bird_start "dir$d" bird-director.conf -e "s/^define ME .*/define ME = 10.0.3.$((1 + d));/" \
		-e 's/^define PEER .*/define PEER = 10.0.3.1;/' -e "s|198.51.100.10/32|$VIP/32|"
	director_start "$d"
	watch_start "$d"
}

paths() { ip -n "$P-rt" route show $VIP | grep -o 'via [0-9.]*' | awk '{ printf "%s ", $2 }'; }
wait_paths() {	# WANT TIMEOUT_MS: 0 once the next hops are WANT
	local end=$(($(ms) + $2))
	until [ "$(paths)" = "$1" ]; do
		[ "$(ms)" -lt $end ] || return 1
	done
}
# a round's connections come from a client address of their own, so that
# the flows of earlier rounds (closed, or left in the kernel's flow maps by
# a killed director and taken over by the next) do not count
ROUND=0
flows() {	# D: the flows of this round that director D knows
	$ADM --socket "$TMP/ctl$1.sock" -Lnc 2>/dev/null |
		grep -c "ESTABLISHED 10.0.1.$((10 + ROUND)):" || true
}
stat() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TMP/stream.stats"; }
kill9() { kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

node_start 1
node_start 2
wait_paths "10.0.3.2 10.0.3.3 " 60000 || { echo "the router never got both paths: $(paths)" >&2; exit 1; }

lose() {	# WAY D
	case $1 in
	kill)	eval "kill9 \$WATCH_$2; kill9 \$DIRECTOR_$2; kill9 \$BIRD_dir$2" ;;
	cut)	printf '%s\n' 'table bridge cut {' \
			"chain pre { type filter hook prerouting priority 0; iifname d$2 drop; }" \
			"chain post { type filter hook postrouting priority 0; oifname d$2 drop; }" \
			'}' >"$TMP/cut.nft"
		n rt nft -f "$TMP/cut.nft" ;;
	director) eval "kill9 \$DIRECTOR_$2" ;;
	esac
}

restore() {	# WAY D
	case $1 in
	kill)	node_start "$2" ;;
	cut)	n rt nft delete table bridge cut ;;
	director) director_start "$2" ;;
	esac
	wait_paths "10.0.3.2 10.0.3.3 " 120000 || { echo "director $2 did not come back: $(paths)" >&2; exit 1; }
}

# One loss: appends "WITHDRAWN_MS KEPT CARRIED STALL_MS" to $TMP/results
one() {	# WAY D
	local way=$1 d=$2 other=$((3 - $2)) t0 t1 r0 end out carried spid
	ROUND=$((ROUND + 1))
	n cl ip addr add "10.0.1.$((10 + ROUND))/24" dev eth0
	rm -f "$TMP/stream.ready" "$TMP/stream.stats"
	bg cl "$TESTNET" stream $VIP 80 --conns $CONNS --interval-ms 20 --src "10.0.1.$((10 + ROUND))" \
		--stats-file "$TMP/stream.stats" --ready-file "$TMP/stream.ready" >"$TMP/stream.out" 2>&1
	spid=$!
	until [ -e "$TMP/stream.ready" ] && [ $(($(flows 1) + $(flows 2))) -ge $CONNS ]; do sleep 0.02; done
	carried=$(flows "$d")
	r0=$(stat rounds_min)
	t0=$(ms)
	lose "$way" "$d"
	wait_paths "10.0.3.$((1 + other)) " 10000 || true
	t1=$(ms)
	end=$(($(ms) + 20000))
	while [ "$(stat rounds_min)" -lt $((r0 + 25)) ] && [ "$(ms)" -lt $end ]; do sleep 0.02; done
	kill "$spid"
	wait "$spid" || true
	out=$(grep '^total' "$TMP/stream.out")
	echo "$((t1 - t0)) $(echo "$out" | awk '{ print $4 }') $carried $(echo "$out" | awk '{ print $6 }')" \
		>>"$TMP/results"
	restore "$way" "$d"
}

summary() {	# LABEL, from the lines "W KEPT CARRIED STALL" of $TMP/results
	awk -v label="$1" -v conns=$CONNS '
		{ w[NR] = $1; kept += $2; carried += $3; s[NR] = $4 }
		function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
		END {
			sort(w, NR); sort(s, NR)
			printf "  %-38s withdrawn min %4d  median %4d  max %4d ms | kept %d/%d (the lost director carried %d) | longest stall min %4d  median %4d  max %4d ms\n",
			       label, w[1], w[int((NR + 1) / 2)], w[NR], kept, NR * conns, carried,
			       s[1], s[int((NR + 1) / 2)], s[NR]
		}' "$TMP/results"
}

echo "ECMP: $CONNS connections through 2 DR directors (mh), $LOSSES losses per way, the directors in turn"
for way in $WAYS; do
	case $way in
	kill) label="kill -9 director+bird (BGP closes)" ;;
	cut) label="link cut at the router (BFD 3x100 ms)" ;;
	director) label="kill -9 director (nflvs-bird-watch)" ;;
	*) echo "unknown way: $way" >&2; exit 2 ;;
	esac
	rm -f "$TMP/results"
	for i in $(seq 1 "$LOSSES"); do
		one "$way" $((1 + i % 2))
	done
	summary "$label"
done
