#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sudo make demo: a lab of network namespaces (a client, the director, three
# real servers running HTTP), nflvs-director and nflvs-healthcheck on
# conf/demo.conf, traffic through the VIP, the distribution, nflvsadm's
# listing, a real server that dies and comes back, and everything removed
# again.
set -eu
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }

P="nflvsdemo$$"
TESTNET=build/tests/nflvs-testnet
VIP=10.0.1.100
LOG=$(mktemp -d /tmp/nflvs-demo.XXXXXX)
PIDS=()

n() { local ns="$P-$1"; shift; ip netns exec "$ns" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	tests/lib/lab.sh cleanup "$P"
	rm -rf "$LOG"
}
trap cleanup EXIT

wait_for() {	# wait_for SECONDS CMD...: poll until CMD succeeds
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

step "network namespaces: client, director, rs1..rs3 (tests/lib/lab.sh)"
tests/lib/lab.sh nat "$P" 3
declare -A RS
serve() {	# serve N: start real server N's HTTP server
	rm -f "$LOG/rs$1.ready"
	# started directly (not through n), so that $! is the server itself
	ip netns exec "$P-rs$1" $TESTNET serve --name rs$1 --tcp 8080 \
		--ready-file "$LOG/rs$1.ready" >"$LOG/rs$1.log" 2>&1 &
	RS[$1]=$!
	PIDS+=($!)
	wait_for 5 test -e "$LOG/rs$1.ready"
}
for i in 1 2 3; do serve $i; done
echo "client 10.0.1.2 -> VIP $VIP:80 on the director -> rs1..rs3 10.0.2.11-13:8080"

step "nflvs-director -f conf/demo.conf"
build/nflvs-director -t -f conf/demo.conf
ip netns exec "$P-dir" build/nflvs-director -f conf/demo.conf >"$LOG/director.log" 2>&1 &
DIRECTOR=$!
PIDS+=($DIRECTOR)
wait_for 10 grep -q ": started" "$LOG/director.log" ||
	{ cat "$LOG/director.log"; exit 1; }
sed 's/^/  /' "$LOG/director.log"

step "nflvs-healthcheck -f conf/demo.conf (HTTP checks every 0.5 s)"
ip netns exec "$P-dir" build/nflvs-healthcheck -f conf/demo.conf >"$LOG/checker.log" 2>&1 &
PIDS+=($!)
ADM="build/nflvsadm --socket /run/nflvs/demo.sock"
# up: three real servers in the listing, none of them down
wait_for 10 sh -c "$ADM -Ln | grep -c ' Masq ' | grep -qx 3 && ! $ADM -Ln | grep -q ' down'" ||
	{ cat "$LOG/checker.log"; exit 1; }
sed 's/^/  /' "$LOG/checker.log"

step "nft list ruleset (in the director's namespace)"
n dir nft list ruleset 2>/dev/null | sed 's/^/  /'

step "one HTTP request through the VIP"
if command -v curl >/dev/null; then
	n cl curl -sS --max-time 5 -i http://$VIP/ | sed 's/^/  /'
fi

step "60 new connections through the VIP (wrr, weights 3:2:1)"
n cl $TESTNET count --tcp $VIP 80 -n 60 | sed 's/^/  /'

step "the same, seen from the director: conntrack entries DNATed to each real server"
for i in 1 2 3; do
	c=$(n dir conntrack -L -p tcp --orig-dst $VIP 2>/dev/null | grep -c "src=10.0.2.1$i " || true)
	echo "  rs$i (10.0.2.1$i:8080): $c"
done

step "nflvsadm -Ln --stats (ipvsadm's syntax and output)"
sleep 1		# the packet counters are read once a second
$ADM -Ln | sed 's/^/  /'
echo
$ADM -Ln --stats | sed 's/^/  /'

step "rs2 dies: the checker takes it out of service"
t0=$(date +%s%N)
kill "${RS[2]}"; wait "${RS[2]}" 2>/dev/null || true
wait_for 10 sh -c "$ADM -Ln | grep -q '10.0.2.12:8080 .* down'"
echo "  out of service after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
$ADM -Ln | sed 's/^/  /'
n cl $TESTNET count --tcp $VIP 80 -n 40 | sed 's/^/  /'

step "rs2 comes back"
serve 2
wait_for 10 sh -c "! $ADM -Ln | grep -q ' down'"
$ADM -Ln | sed 's/^/  /'
n cl $TESTNET count --tcp $VIP 80 -n 60 | sed 's/^/  /'

step "stop the director: its tables go, established flows are not touched"
kill -TERM $DIRECTOR; wait $DIRECTOR || true
tail -n 2 "$LOG/director.log" | sed 's/^/  /'
left=$(n dir nft list tables | grep -c nflvs || true)
echo "  nflvs tables left in the director's namespace: $left"

step "done: removing the namespaces"
