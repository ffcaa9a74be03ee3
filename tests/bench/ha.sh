#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# An active/backup NAT director pair (docs/ha.md): keepalived (VRRPv3,
# 0.1 s adverts) and conntrackd on each director as contrib/ha/ configures
# them, 40 long-lived connections streaming small messages through the
# VIP.  The master is lost FAILOVERS times for each way of losing it and
# brought back (as backup) after each; for each failover:
#   - the time from the loss until the other director holds both VIPs;
#   - the connections kept (of 40) and the resets the client saw;
#   - the longest stall a connection saw (its longest wait for an answer).
# Ways: kill (kill -9 of the master's keepalived and nflvs-director), cut
# (its links dropped at the switch), stop (keepalived and the director
# stopped with SIGTERM), zombie (kill -9 of nflvs-director alone: its
# keepalived's nflvsadm --check fails).
#
#   tests/bench/ha.sh [FAILOVERS [WAYS]]   (default 10, "kill cut stop zombie")
#
# ECMP's figures come from tests/bench/ha_ecmp.sh.  Figures, not verdicts:
# on a shared, busy machine keepalived, the hook and the kernel wait for
# the CPU like everything else.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-ha

FAILOVERS=${1:-10}
WAYS=${2:-"kill cut stop zombie"}
[ "$FAILOVERS" -le 80 ] || { echo "at most 80 failovers per way" >&2; exit 2; }
VIP=10.0.1.100
GW=10.0.2.1
ADM=$PWD/build/nflvsadm
CONNS=40

ms() { date +%s%3N; }
bg() { local ns="$P-$1"; shift; ip netns exec "$ns" "$@" & }
command -v keepalived >/dev/null && command -v conntrackd >/dev/null ||
	{ echo "keepalived and conntrackd are not installed" >&2; exit 1; }
# HA_BENCH_LOGS=DIR keeps the daemons' logs there
trap 'exec 2>/dev/null; [ -z "${HA_BENCH_LOGS:-}" ] || cp -r "$TMP" "$HA_BENCH_LOGS"; bench_cleanup; rm -f /dev/shm/nflvs-$P-*' EXIT

tests/lib/lab.sh hapair "$P" 3
for r in 1 2 3; do
	bg "rs$r" "$TESTNET" serve --name "rs$r" --tcp 80 --ready-file "$TMP/rs$r.ready" \
		>/dev/null 2>&1
	PIDS+=($!)
done

conntrackd_start() {	# D
	local d=$1
	sed -e "s/IPv4_address 192.168.100.1/IPv4_address 10.0.5.$d/" \
		-e "s/IPv4_Destination_Address .*/IPv4_Destination_Address 10.0.5.$((3 - d))/" \
		-e 's|IPv4_address 192.168.100.0/24|IPv4_address 10.0.5.0/24|' \
		-e 's/Syslog on/Syslog off/' -e "s|LockFile .*|LockFile $TMP/ct$d.lock|" \
		-e "s|Path .*|Path $TMP/ct$d.sock|" contrib/ha/conntrackd.conf >"$TMP/ct$d.conf"
	bg "dir$d" conntrackd -C "$TMP/ct$d.conf" >>"$TMP/ct$d.log" 2>&1
	PIDS+=($!)
	until n "dir$d" conntrackd -C "$TMP/ct$d.conf" -s >/dev/null 2>&1; do sleep 0.05; done
}

director_start() {	# D
	local d=$1
	cat >"$TMP/nflvs$d.conf" <<CONF
director = { table = "nflvs"; shm = "/nflvs-$P-$d"; control = "$TMP/ctl$d.sock";
  log_level = "warning"; peer = "10.0.5.$((3 - d)):8849"; };
services = ( { vip = "$VIP"; port = 80; protocol = "tcp"; scheduler = "rr";
  real_servers = ( { address = "10.0.2.11"; port = 80; }, { address = "10.0.2.12"; port = 80; },
                   { address = "10.0.2.13"; port = 80; } ); } );
CONF
	rm -f "$TMP/ctl$d.sock"
	bg "dir$d" build/nflvs-director -f "$TMP/nflvs$d.conf" >>"$TMP/director$d.log" 2>&1
	PIDS+=($!)
	eval "DIRECTOR_$d=$!"
	until $ADM --socket "$TMP/ctl$d.sock" --check >/dev/null 2>&1; do sleep 0.05; done
}

keepalived_start() {	# D
	local d=$1
	cat >"$TMP/notify$d.sh" <<EOF
#!/bin/sh
NFLVSADM='$ADM --socket $TMP/ctl$d.sock' CONNTRACKD_CONF=$TMP/ct$d.conf NFLVS_HA_LOCK=$TMP/ha$d.lock \\
	exec $PWD/contrib/ha/nflvs-ha-notify "\$@" >>$TMP/notify$d.log 2>&1
EOF
	chmod 755 "$TMP/notify$d.sh"
	sed -e "s|^\\\$VIP=.*|\$VIP=$VIP/24|" -e "s|^\\\$GATEWAY=.*|\$GATEWAY=$GW/24|" \
		-e "s|^\\\$NFLVSADM=.*|\$NFLVSADM=$ADM --socket $TMP/ctl$d.sock|" \
		-e "s|^\\\$NOTIFY=.*|\$NOTIFY=$TMP/notify$d.sh|" -e '/enable_script_security/d' \
		contrib/ha/keepalived.conf >"$TMP/ka$d.conf"
	# a process group of its own (setsid): kill -9 takes both processes
	bg "dir$d" setsid keepalived -n -l -P -i "dir$d" -f "$TMP/ka$d.conf" -p "$TMP/ka$d.pid" \
		-r "$TMP/ka$d-vrrp.pid" >>"$TMP/keepalived$d.log" 2>&1
	PIDS+=($!)
	eval "KEEPALIVED_$d=$!"
}

has_vips() {	# D: one process, so that polling it on a busy host is quick
	local a
	a=$(ip -n "$P-dir$1" -4 -o addr show)
	[[ $a == *" $VIP/24 "* && $a == *" $GW/24 "* ]]
}
role() { $ADM --socket "$TMP/ctl$1.sock" --status 2>/dev/null | awk '/^Role:/ { print $2 }'; }
wait_until() {	# TIMEOUT_MS CMD...
	local end=$(($(ms) + $1))
	shift
	until "$@"; do
		[ "$(ms)" -lt $end ] || return 1
		sleep 0.02
	done
}
is_master() { has_vips "$1" && [ "$(role "$1")" = master ]; }
is_backup() { [ "$(role "$1")" = backup ] && ! has_vips "$1"; }
kill9() { kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
term() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

for d in 1 2; do
	conntrackd_start $d
	director_start $d
	keepalived_start $d
	[ $d = 2 ] || wait_until 30000 is_master 1 || { echo "dir1 never master" >&2; exit 1; }
done
wait_until 30000 is_backup 2 || { echo "dir2 never backup" >&2; exit 1; }

lose() {	# WAY D
	case $1 in
	# keepalived and its VRRP process at once (its process group): the
	# child alone would be respawned, and the parent alone makes the
	# child stop cleanly (priority 0)
	kill)	eval "kill -9 -- -\$KEEPALIVED_$2; kill9 \$KEEPALIVED_$2; kill9 \$DIRECTOR_$2" ;;
	cut)	printf '%s\n' 'table bridge cut {' \
			"chain pre { type filter hook prerouting priority 0; iifname { f$2, b$2 } drop; }" \
			"chain post { type filter hook postrouting priority 0; oifname { f$2, b$2 } drop; }" \
			'}' >"$TMP/cut.nft"
		n sw nft -f "$TMP/cut.nft" ;;
	stop)	eval "term \$KEEPALIVED_$2; term \$DIRECTOR_$2" ;;
	zombie)	eval "kill9 \$DIRECTOR_$2" ;;
	esac
}

# Back as backup: a killed keepalived left its VIPs, which go first.
restore() {	# WAY D
	case $1 in
	cut)	n sw nft delete table bridge cut ;;
	zombie)	director_start "$2" ;;
	*)	n "dir$2" ip addr del "$VIP/24" dev eth0 2>/dev/null || true
		n "dir$2" ip addr del "$GW/24" dev eth1 2>/dev/null || true
		director_start "$2"
		keepalived_start "$2" ;;
	esac
	# after a cut, the higher priority takes the VIPs back
	wait_until 60000 settled || { echo "director $2 did not come back" >&2; exit 1; }
}
settled() { { is_master 1 && is_backup 2; } || { is_master 2 && is_backup 1; }; }
# director D has the connections of this round
has_all() {	# D
	[ "$($ADM --socket "$TMP/ctl$1.sock" -Lnc | grep -c "ESTABLISHED 10.0.1.$((100 + ROUND)):")" -ge $CONNS ]
}

stat() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TMP/stream.stats"; }
ROUND=0
# One failover: appends "TAKEOVER_MS KEPT RESETS STALL_MS" to $TMP/results
one() {	# WAY
	local way=$1 d other t0 t1 r0 end out spid
	if has_vips 1; then d=1; else d=2; fi
	other=$((3 - d))
	ROUND=$((ROUND + 1))
	n cl ip addr add "10.0.1.$((100 + ROUND))/24" dev eth0
	rm -f "$TMP/stream.ready" "$TMP/stream.stats"
	bg cl "$TESTNET" stream $VIP 80 --conns $CONNS --interval-ms 20 \
		--src "10.0.1.$((100 + ROUND))" --stats-file "$TMP/stream.stats" \
		--ready-file "$TMP/stream.ready" >"$TMP/stream.out" 2>&1
	spid=$!
	wait_until 30000 test -e "$TMP/stream.ready" ||
		{ echo "round $ROUND: the connections never all answered" >&2; exit 1; }
	# the backup has every connection (conntrackd)
	wait_until 20000 has_all "$other" || echo "round $ROUND: the backup lacks connections" >&2
	r0=$(stat rounds_min)
	t0=$(ms)
	lose "$way" "$d"
	end=$((t0 + 10000))
	until has_vips "$other" || [ "$(ms)" -ge $end ]; do :; done
	t1=$(ms)
	end=$(($(ms) + 20000))
	while [ "$(stat rounds_min)" -lt $((r0 + 25)) ] && [ "$(ms)" -lt $end ]; do sleep 0.02; done
	kill "$spid"
	wait "$spid" || true
	out=$(grep '^total' "$TMP/stream.out")
	echo "$((t1 - t0)) $(echo "$out" | awk '{ print $4 }') $(stat reset) $(echo "$out" | awk '{ print $6 }')" \
		>>"$TMP/results"
	restore "$way" "$d"
}

summary() {	# LABEL, from the lines "T KEPT RESETS STALL" of $TMP/results
	awk -v label="$1" -v conns=$CONNS '
		{ t[NR] = $1; kept += $2; resets += $3; s[NR] = $4 }
		function sort(a, n,   i, j, x) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x } }
		END {
			sort(t, NR); sort(s, NR)
			printf "  %-34s takeover min %4d  median %4d  max %4d ms | kept %d/%d, resets %d | longest stall min %4d  median %4d  max %4d ms\n",
			       label, t[1], t[int((NR + 1) / 2)], t[NR], kept, NR * conns, resets,
			       s[1], s[int((NR + 1) / 2)], s[NR]
		}' "$TMP/results"
}

echo "NAT pair: $CONNS connections, keepalived VRRPv3 at 0.1 s adverts, conntrackd FTFW, $FAILOVERS failovers per way"
for way in $WAYS; do
	case $way in
	kill) label="kill -9 keepalived+director" ;;
	cut) label="links cut at the switch" ;;
	stop) label="graceful stop" ;;
	zombie) label="kill -9 director (--check)" ;;
	*) echo "unknown way: $way" >&2; exit 2 ;;
	esac
	rm -f "$TMP/results"
	for _ in $(seq 1 "$FAILOVERS"); do
		one "$way"
	done
	summary "$label"
done
