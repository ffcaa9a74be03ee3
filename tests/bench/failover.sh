#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Failover latency: kill a real server's HTTP process, measure how long
# until the director stops scheduling to it (nflvsadm shows its effective
# weight 0), over repeated kills, with the default check timing (interval
# 1 s, fall 2) and a fast one (interval 0.2 s, fall 2).
#
#   tests/bench/failover.sh [KILLS]
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-fo

KILLS=${1:-5}

adm() { build/nflvsadm --socket "$TMP/director.sock" "$@"; }
eff_weight() {	# of 10.0.2.12:80, from the listing's JSON
	adm -Ln --json | awk '/"address": "10.0.2.12"/ { f = 1 }
		f && /"effective_weight"/ { gsub(/[^0-9-]/, ""); print; exit }'
}

tests/lib/lab.sh nat "$P" 2
serve() {
	ip netns exec "$P-rs$1" $TESTNET serve --name "rs$1" --tcp 80 \
		--ready-file "$TMP/rs$1.ready" >/dev/null 2>&1 &
	disown $!	# its kill -9 is the point: no "Killed" notice
	echo $!
}
serve 1 >/dev/null

run() {	# run LABEL INTERVAL
	local i t0 t1 rs2 lat=()
	cat >"$TMP/nflvs.conf" <<CONF
director = { shm = "/nflvs-$P"; control = "$TMP/director.sock"; log_level = "warning"; };
services = ( { vip = "10.0.1.100"; port = 80; scheduler = "rr";
  check = { type = "http"; interval = $2; timeout = $(awk -v i="$2" 'BEGIN { print i / 2 }'); rise = 2; fall = 2; };
  real_servers = ( { address = "10.0.2.11"; port = 80; }, { address = "10.0.2.12"; port = 80; } ); } );
CONF
	ip netns exec "$P-dir" build/nflvs-director -f "$TMP/nflvs.conf" >"$TMP/d.log" 2>&1 &
	local dpid=$!
	until [ -S "$TMP/director.sock" ]; do sleep 0.05; done
	ip netns exec "$P-dir" build/nflvs-healthcheck -f "$TMP/nflvs.conf" >"$TMP/c.log" 2>&1 &
	local cpid=$!
	for i in $(seq 1 "$KILLS"); do
		rm -f "$TMP/rs2.ready"
		rs2=$(serve 2)
		until [ -e "$TMP/rs2.ready" ] && [ "$(eff_weight)" = 1 ]; do
			sleep 0.05
		done
		# a random phase against the check interval
		sleep "0.$((RANDOM % 10))"
		t0=$(ms)
		kill -9 "$rs2"
		until [ "$(eff_weight)" = 0 ]; do :; done
		t1=$(ms)
		lat+=($((t1 - t0)))
	done
	kill "$cpid" "$dpid"
	wait "$cpid" "$dpid" 2>/dev/null || true
	printf '%s\n' "${lat[@]}" | sort -n | awk -v label="$1" '
		{ v[NR] = $1; s += $1 }
		END { printf "  %-34s min %5d  median %5d  max %5d  mean %6.0f ms  (%d kills)\n",
		      label, v[1], v[int((NR + 1) / 2)], v[NR], s / NR, NR }'
}

echo "failover: kill -9 of a real server's HTTP process -> the director stops scheduling to it"
run "interval 1 s, fall 2 (the defaults)" 1
run "interval 0.2 s, fall 2" 0.2
