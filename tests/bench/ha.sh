#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# High availability (docs/ha.md, docs/ha-ecmp.md): the issue's figures
# and targets, over FAILOVERS failovers per way, 40 long-lived connections
# streaming small messages through the VIP (from a client address of each
# round's own).  Ways:
#
#   kill      NAT pair (keepalived VRRPv3 at 0.1 s adverts, conntrackd):
#             kill -9 of the master's keepalived (both processes) and
#             nflvs-director
#   cut       NAT pair: the master's links dropped at the switch
#   stop      NAT pair: keepalived stopped (SIGTERM), then the director
#   zombie    NAT pair: kill -9 of nflvs-director alone (its keepalived's
#             nflvsadm --check fails)
#   failback  NAT pair: the master killed, brought back with its state
#             wiped (conntrack, rules, addresses: a reboot), and once it
#             has every connection again the new master is killed
#   dr, tun   DR or TUN pair, rr with persistence, keepalived (the hook
#             switches the sync daemons): kill -9 as above; only the sync
#             lets the backup carry the connections
#   ecmp-kill, ecmp-cut, ecmp-director
#             two active DR directors (mh) behind a router running bird2
#             (BGP, BFD, ECMP): kill -9 of nflvs-director, bird and
#             nflvs-bird-watch; the director's link cut at the router
#             (BFD); kill -9 of nflvs-director alone (nflvs-bird-watch)
#
# After each failover the lost director comes back (as backup).  For each
# way: the takeover (loss -> the VIPs on the other director; ECMP: the
# router's route no longer through the lost one), the first new
# connection after the loss, the connections kept, the resets the client
# saw, the longest stall a connection saw; and each target of the issue
# judged: takeover (route withdrawn) <= 500 ms median, the zombie's VIP
# move <= 1500 ms every time, 100 % kept, no reset.  Then medians: for
# the pairs, where the time goes (ms after the loss at which the VIPs
# were seen, the new master's notify hook began and each of its steps
# ended, from the hook's log, and the first new connection succeeded);
# for ECMP, the connections the lost director carried.
#
#   tests/bench/ha.sh [FAILOVERS [WAYS]]      (default 10, all ways)
#
# HA_BENCH_LOGS=DIR keeps the daemons' logs there.  On a shared, busy
# machine keepalived, bird, the hook and the kernel wait for the CPU like
# everything else: the load average is printed with the figures.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-ha

FAILOVERS=${1:-10}
WAYS=${2:-"kill cut stop zombie failback dr tun ecmp-kill ecmp-cut ecmp-director"}
[ "$FAILOVERS" -le 25 ] || { echo "at most 25 failovers per way" >&2; exit 2; }
ADM=$PWD/build/nflvsadm
CONNS=40

# bash's word on each daemon this script kills with kill -9 is noise
exec 2> >(grep --line-buffered -v '^tests/bench/ha.sh: line [0-9]*: *[0-9]* Killed' >&2)
for c in keepalived conntrackd bird; do
	command -v $c >/dev/null || { echo "$c is not installed (contrib/install-deps.sh)" >&2; exit 1; }
done
trap 'exec 2>/dev/null; set +e; for p in "${PIDS[@]}"; do kill -9 "$p"; done
	[ -z "${HA_BENCH_LOGS:-}" ] || cp -r "$TMP" "$HA_BENCH_LOGS"; bench_cleanup
	rm -f /dev/shm/nflvs-$P-*' EXIT

# ---- common ----------------------------------------------------------------

# the time since boot in ms, as the notify hook logs it
up_ms() { local up _; read -r up _ </proc/uptime; echo "${up%.*}${up#*.}0"; }
wait_until() {	# TIMEOUT_MS CMD...
	local end=$(($(ms) + $1))
	shift
	until "$@"; do
		[ "$(ms)" -lt $end ] || return 1
		sleep 0.02
	done
}
kill9() { kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
adm() { local d=$1; shift; $ADM --socket "$TMP/ctl$d.sock" "$@"; }
stat() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TMP/stream.stats"; }

# A fresh lab of KIND, real servers serving port 80, no process left.
lab() {	# KIND
	local p r
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	# not a bare wait: it would wait for the stderr filter too
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
	tests/lib/lab.sh cleanup "$P"
	rm -f /dev/shm/nflvs-$P-* "$TMP"/*.log "$TMP"/*.pid "$TMP"/*.sock "$TMP"/*.lock
	tests/lib/lab.sh "$1" "$P" 3
	for r in 1 2 3; do
		bg "rs$r" "$TESTNET" serve --name "rs$r" --tcp 80 --ready-file "$TMP/rs$r.ready" \
			>/dev/null 2>&1
		PIDS+=($!)
	done
	ROUND=0
}

# This round's stream from a client address of its own (CLIENT_NET.X).
stream_start() {
	ROUND=$((ROUND + 1))
	CLIENT=$CLIENT_NET.$((CLIENT_BASE + ROUND))
	n cl ip addr add "$CLIENT/24" dev eth0
	rm -f "$TMP/stream.ready" "$TMP/stream.stats"
	bg cl "$TESTNET" stream "$VIP" 80 --conns $CONNS --interval-ms 20 --src "$CLIENT" \
		--stats-file "$TMP/stream.stats" --ready-file "$TMP/stream.ready" >"$TMP/stream.out" 2>&1
	SPID=$!
	wait_until 30000 test -e "$TMP/stream.ready" ||
		{ echo "round $ROUND: the connections never all answered" >&2; exit 1; }
}
# Every connection has had 25 more answers (or 20 s passed); the stream
# stops.  KEPT="KEPT RESETS STALL_MS" (not a $(...): the stream is this
# shell's child, to be waited for before its total is read)
stream_finish() {	# ROUNDS_MIN_BEFORE
	local end=$(($(ms) + 20000)) out
	while [ "$(stat rounds_min)" -lt $(($1 + 25)) ] 2>/dev/null && [ "$(ms)" -lt $end ]; do
		sleep 0.02
	done
	kill "$SPID"
	wait "$SPID" || true
	out=$(grep '^total' "$TMP/stream.out") || true
	KEPT="$(echo "$out" | awk '{ print $4 + 0 }') $(stat reset) $(echo "$out" | awk '{ print $6 + 0 }')"
}
# ms from T0 (ms) until a new connection through the VIP succeeds (-1)
new_conn_after() {	# T0
	until n cl "$TESTNET" count --tcp "$VIP" 80 -n 1 --timeout-ms 150 >/dev/null 2>&1; do
		[ $(($(ms) - $1)) -lt 10000 ] || { echo -1; return; }
	done
	echo $(($(ms) - $1))
}
# this round's client's established connections that director D knows
flows() { adm "$1" -Lnc 2>/dev/null | grep -c "ESTABLISHED $CLIENT:" || true; }
has_all() { [ "$(flows "$1")" -ge $CONNS ]; }

# The figures of a way, from $TMP/results: lines "TAKEOVER NEWCONN KEPT
# RESETS STALL [HOOK STEP=MS...]"; the takeover judged by its median
# (TARGET ms) or, with MAX, every one.
summary() {	# LABEL WHAT TARGET [max]
	awk -v label="$1" -v what="$2" -v target="$3" -v bymax="${4:-}" -v conns=$CONNS '
		function sort(a, n,   i, j, x) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x } }
		function med(a, n) { sort(a, n); return a[int((n + 1) / 2)] }
		function pf(ok) { return ok ? "PASS" : "FAIL" }
		{ t[NR] = $1; c[NR] = $2; kept += $3; resets += $4; s[NR] = $5
		  for (i = 6; i <= NF; i++) { split($i, kv, "="); if (!(kv[1] in seen)) { seen[kv[1]] = 1; order[++ns] = kv[1] }
		  nb[kv[1]]++; b[kv[1], nb[kv[1]]] = kv[2] } }
		END {
			sort(t, NR); sort(c, NR); sort(s, NR)
			tm = t[int((NR + 1) / 2)]
			printf "  %-30s %s min %5d  median %5d  max %5d ms | new conn median %5d  max %5d ms | kept %d/%d | resets %d | longest stall median %5d  max %5d ms\n",
			       label, what, t[1], tm, t[NR], c[int((NR + 1) / 2)], c[NR], kept, NR * conns,
			       resets, s[int((NR + 1) / 2)], s[NR]
			okt = bymax ? t[NR] <= target : tm <= target
			printf "  %-30s targets: %s %s %d ms %s | kept 100%% %s | no reset %s\n", "",
			       what, bymax ? "max <=" : "median <=", target, pf(okt),
			       pf(kept == NR * conns), pf(resets == 0)
			if (ns) {
				line = ""
				for (i = 1; i <= ns; i++) {
					k = order[i]; delete a; for (j = 1; j <= nb[k]; j++) a[j] = b[k, j]
					line = line sprintf(" | %s %d", k, med(a, nb[k]))
				}
				printf "  %-30s medians%s\n", "", line
			}
		}' "$TMP/results"
}

# ---- a pair with keepalived (NAT, DR, TUN) -----------------------------------

keepalived_start() {	# D
	local d=$1
	cat >"$TMP/notify$d.sh" <<EOF
#!/bin/sh
NFLVSADM='$ADM --socket $TMP/ctl$d.sock' NFLVS_HA_LOCK=$TMP/ha$d.lock NFLVS_HA_DEFAULTS=/dev/null $(hook_env "$d") \\
	exec $PWD/contrib/ha/nflvs-ha-notify "\$@" >>$TMP/notify$d.log 2>&1
EOF
	chmod 755 "$TMP/notify$d.sh"
	sed -e "s|^\\\$VIP=.*|\$VIP=$VIP/$VIPLEN|" "${KA_SED[@]}" \
		-e "s|^\\\$NFLVSADM=.*|\$NFLVSADM=$ADM --socket $TMP/ctl$d.sock|" \
		-e "s|^\\\$NOTIFY=.*|\$NOTIFY=$TMP/notify$d.sh|" -e '/enable_script_security/d' \
		contrib/ha/keepalived.conf >"$TMP/ka$d.conf"
	# a process group of its own (setsid): kill -9 takes both processes
	bg "dir$d" setsid keepalived -n -l -P -i "dir$d" -f "$TMP/ka$d.conf" -p "$TMP/ka$d.pid" \
		-r "$TMP/ka$d-vrrp.pid" >>"$TMP/keepalived$d.log" 2>&1
	PIDS+=($!)
	eval "KEEPALIVED_$d=$!"
}

director_start() {	# D
	local d=$1
	{
		echo "director = { table = \"nflvs\"; shm = \"/nflvs-$P-$d\"; control = \"$TMP/ctl$d.sock\";"
		echo "  log_level = \"warning\"; $(director_extra "$d") };"
		services
	} >"$TMP/nflvs$d.conf"
	rm -f "$TMP/ctl$d.sock"
	bg "dir$d" build/nflvs-director -f "$TMP/nflvs$d.conf" >>"$TMP/director$d.log" 2>&1
	PIDS+=($!)
	eval "DIRECTOR_$d=$!"
	until adm "$d" -Ln >/dev/null 2>&1; do sleep 0.05; done
}

conntrackd_start() {	# D (NAT)
	local d=$1
	sed -e "s/IPv4_address 192.168.100.1/IPv4_address 10.0.5.$d/" \
		-e "s/IPv4_Destination_Address .*/IPv4_Destination_Address 10.0.5.$((3 - d))/" \
		-e 's|IPv4_address 192.168.100.0/24|IPv4_address 10.0.5.0/24|' \
		-e 's/Syslog on/Syslog off/' -e "s|LockFile .*|LockFile $TMP/ct$d.lock|" \
		-e "s|Path .*|Path $TMP/ct$d.sock|" contrib/ha/conntrackd.conf >"$TMP/ct$d.conf"
	rm -f "$TMP/ct$d.lock" "$TMP/ct$d.sock"
	bg "dir$d" conntrackd -C "$TMP/ct$d.conf" >>"$TMP/ct$d.log" 2>&1
	PIDS+=($!)
	eval "CONNTRACKD_$d=$!"
	until n "dir$d" conntrackd -C "$TMP/ct$d.conf" -s >/dev/null 2>&1; do sleep 0.05; done
}

node_start() {	# D
	[ "$MODE" != nat ] || conntrackd_start "$1"
	director_start "$1"
	keepalived_start "$1"
}

has_vips() {	# D: one process, so that polling it on a busy host is quick
	local a v
	a=$(ip -n "$P-dir$1" -4 -o addr show)
	for v in "${VIPS[@]}"; do [[ $a == *" $v "* ]] || return 1; done
}
role() { adm "$1" --status 2>/dev/null | awk '/^Role:/ { print $2 }'; }
is_master() { has_vips "$1" && [ "$(role "$1")" = master ]; }
is_backup() { [ "$(role "$1")" = backup ] && ! has_vips "$1"; }
settled() { { is_master 1 && is_backup 2; } || { is_master 2 && is_backup 1; }; }

pair_up() {
	node_start 1
	wait_until 30000 is_master 1 || { echo "dir1 never master" >&2; exit 1; }
	node_start 2
	wait_until 30000 is_backup 2 || { echo "dir2 never backup" >&2; exit 1; }
}

# Signals only: the processes are reaped by restore, once the VIPs moved,
# so that a slow exit is not counted as takeover.
lose() {	# WAY D
	case $1 in
	# keepalived and its VRRP process at once (its process group): the
	# child alone would be respawned, and the parent alone makes the
	# child stop cleanly (priority 0)
	kill|failback|dr|tun)
		eval "kill -9 -- -\$KEEPALIVED_$2 \$DIRECTOR_$2" ;;
	cut)	printf '%s\n' 'table bridge cut {' \
			"chain pre { type filter hook prerouting priority 0; iifname { f$2, b$2 } drop; }" \
			"chain post { type filter hook postrouting priority 0; oifname { f$2, b$2 } drop; }" \
			'}' >"$TMP/cut.nft"
		n sw nft -f "$TMP/cut.nft" ;;
	# keepalived first, the director once the VIPs have gone (restore),
	# as a shutdown stops them
	stop)	eval "kill \$KEEPALIVED_$2" ;;
	zombie)	eval "kill -9 \$DIRECTOR_$2" ;;
	esac
}

# Back as backup: a killed keepalived left its VIPs, which go first.
restore() {	# WAY D
	local v
	case $1 in
	cut)	n sw nft delete table bridge cut ;;
	zombie)	eval "wait \$DIRECTOR_$2" 2>/dev/null || true
		director_start "$2" ;;
	*)	eval "wait \$KEEPALIVED_$2" 2>/dev/null || true
		[ "$1" != stop ] || eval "kill \$DIRECTOR_$2"
		eval "wait \$DIRECTOR_$2" 2>/dev/null || true
		for v in "${VIPS[@]}"; do n "dir$2" ip addr del "$v" dev "${VIP_DEV[$v]}" 2>/dev/null || true; done
		# a killed keepalived's VRRP child may linger as a zombie, and
		# keepalived refuses to start while its pid file names it
		rm -f "$TMP/ka$2.pid" "$TMP/ka$2-vrrp.pid"
		director_start "$2"
		keepalived_start "$2" ;;
	esac
	# after a cut, the higher priority takes the VIPs back
	wait_until 60000 settled || { echo "director $2 did not come back" >&2; exit 1; }
	wait_until 30000 serving || echo "director $2 back, but no new connection succeeds" >&2
}
serving() { n cl "$TESTNET" count --tcp "$VIP" 80 -n 1 --timeout-ms 500 >/dev/null 2>&1; }

# The lost director D comes back with its state wiped, as after a reboot.
reboot() {	# D
	local d=$1
	eval "kill9 \$CONNTRACKD_$d"
	n "dir$d" sh -c "ip addr flush dev eth0 && ip addr add 10.0.1.$((10 + d))/24 dev eth0 &&
		ip addr flush dev eth1 && ip addr add 10.0.2.$((1 + d))/24 dev eth1 &&
		nft flush ruleset && conntrack -F" 2>/dev/null
	rm -f "$TMP/ka$d.pid" "$TMP/ka$d-vrrp.pid"
	node_start "$d"
	wait_until 60000 settled || { echo "director $d did not come back" >&2; exit 1; }
}

# The new master's hook, from the log's line LINE on: "hook=MS step=MS..."
# in ms after the loss at uptime T0U.
hook_steps() {	# D LINE T0U
	tail -n +"$2" "$TMP/notify$1.log" | awk -v t0="$3" '
		/step lock, / && on { exit }
		/step lock, MASTER/ { on = 1; match($0, /began at uptime [0-9]+/)
			printf " hook=%d", substr($0, RSTART + 16, RLENGTH - 16) - t0 }
		on && /step / && !/step lock/ { match($0, /uptime [0-9]+/); u = substr($0, RSTART + 7, RLENGTH - 7)
			s = $0; sub(/.*step /, "", s); sub(/ \+.*/, "", s); gsub(/ /, "_", s); gsub(/-/, "", s)
			printf " %s=%d", s, u - t0 }'
}

# One failover of the master: appends a line to $TMP/results.
one() {	# WAY
	local way=$1 d other t0 t0u t1 tnew r0 line
	if has_vips 1; then d=1; else d=2; fi
	other=$((3 - d))
	stream_start
	wait_until 20000 has_all "$other" || echo "round $ROUND: the backup lacks connections" >&2
	if [ "$way" = failback ]; then
		# the first loss, then the old master back, wiped; it gets every
		# connection again (conntrackd's StartupResync)
		lose kill "$d"
		wait_until 20000 is_master "$other" || { echo "round $ROUND: no takeover" >&2; exit 1; }
		eval "wait \$KEEPALIVED_$d \$DIRECTOR_$d" 2>/dev/null || true
		reboot "$d"
		wait_until 30000 has_all "$d" || echo "round $ROUND: the returned director lacks connections" >&2
		t=$d; d=$other; other=$t
	fi
	line=$(($(wc -l <"$TMP/notify$other.log") + 1))
	r0=$(stat rounds_min)
	# a cut counts from when it is in place (its nft command done)
	[ "$way" != cut ] || lose cut "$d"
	t0u=$(up_ms)
	t0=$(ms)
	[ "$way" = cut ] || lose "$way" "$d"
	until has_vips "$other" || [ $(($(ms) - t0)) -ge 10000 ]; do :; done
	t1=$(($(ms) - t0))
	tnew=$(new_conn_after "$t0")
	wait_until 10000 is_master "$other" || true
	stream_finish "$r0"
	echo "$t1 $tnew $KEPT vips=$t1$(hook_steps "$other" "$line" "$t0u") new_conn=$tnew" >>"$TMP/results"
	restore "$way" "$d"
}

# ---- the modes -------------------------------------------------------------

declare -A VIP_DEV
nat_mode() {
	MODE=nat VIP=10.0.1.100 VIPLEN=24 CLIENT_NET=10.0.1 CLIENT_BASE=100
	VIPS=("$VIP/24" 10.0.2.1/24)
	VIP_DEV=(["$VIP/24"]=eth0 [10.0.2.1/24]=eth1)
	KA_SED=(-e 's|^\$GATEWAY=.*|$GATEWAY=10.0.2.1/24|')
	hook_env() { echo "CONNTRACKD_CONF=$TMP/ct$1.conf"; }
	director_extra() { echo "peer = \"10.0.5.$((3 - $1)):8849\";"; }
	services() {
		cat <<CONF
services = ( { vip = "$VIP"; port = 80; protocol = "tcp"; scheduler = "rr";
  real_servers = ( { address = "10.0.2.11"; port = 80; }, { address = "10.0.2.12"; port = 80; },
                   { address = "10.0.2.13"; port = 80; } ); } );
CONF
	}
	lab hapair
	pair_up
}

# DR or TUN: the ECMP lab's router and directors, the VIP (keepalived's,
# on the master's eth0) on the router's LAN
sync_mode() {	# dr|tun
	local r tun=""
	MODE=$1 VIP=10.0.9.100 VIPLEN=32 CLIENT_NET=10.0.1 CLIENT_BASE=10
	VIPS=("$VIP/32")
	VIP_DEV=(["$VIP/32"]=eth0)
	KA_SED=(-e '/# NAT only$/d' -e '/^# NAT only:/,/^}/d')
	if [ "$1" = tun ]; then
		tun='tunnel = { type = "ipip"; };'
		hook_env() { echo "CONNTRACKD_CONF= NFLVS_SYNC_DAEMON='--mcast-interface eth0 --syncid 7 --mcast-group 10.0.3.$((4 - $1))'"; }
	else
		hook_env() { echo "CONNTRACKD_CONF= NFLVS_SYNC_DAEMON='--mcast-interface eth0 --syncid 7'"; }
	fi
	TUN=$tun
	director_extra() { :; }
	services() {
		cat <<CONF
services = ( { vip = "$VIP"; port = 80; protocol = "tcp"; scheduler = "rr";
  persistence = 300; forward = "$MODE";
  real_servers = ( { address = "10.0.3.11"; port = 80; $TUN }, { address = "10.0.3.12"; port = 80; $TUN },
                   { address = "10.0.3.13"; port = 80; $TUN } ); } );
CONF
	}
	lab ecmp
	n dir1 ip addr del $VIP/32 dev lo
	n dir2 ip addr del $VIP/32 dev lo
	n rt ip route add $VIP/32 dev br0
	if [ "$1" = tun ]; then
		# the client's checksums as a wire carries them: the test
		# decapsulator sees the bytes, not veth's "checksum to be done"
		n cl ethtool -K eth0 tx off >/dev/null
		for r in 1 2 3; do
			bg "rs$r" build/tests/nflvs-decap --type ipip --ready-file "$TMP/decap$r.ready" \
				>/dev/null 2>&1
			PIDS+=($!)
		done
		until [ -e "$TMP/decap1.ready" ] && [ -e "$TMP/decap2.ready" ] && [ -e "$TMP/decap3.ready" ]; do
			sleep 0.05
		done
	fi
	pair_up
}

# ---- ECMP -------------------------------------------------------------------

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

ecmp_node() {	# D
	local d=$1
	bird_start "dir$d" bird-director.conf -e "s/^define ME .*/define ME = 10.0.3.$((1 + d));/" \
		-e 's/^define PEER .*/define PEER = 10.0.3.1;/' -e "s|198.51.100.10/32|$VIP/32|"
	director_start "$d"
	bg "dir$d" contrib/ha/nflvs-bird-watch -i 0.05 -s "$TMP/ctl$d.sock" \
		-b "$TMP/bird-dir$d.sock" -n "$ADM" vips >>"$TMP/watch$d.log" 2>&1
	PIDS+=($!)
	eval "WATCH_$d=$!"
}

paths() { ip -n "$P-rt" route show $VIP | grep -o 'via [0-9.]*' | awk '{ printf "%s ", $2 }'; }
both_paths() { [ "$(paths)" = "10.0.3.2 10.0.3.3 " ]; }

ecmp_mode() {
	MODE=ecmp VIP=10.0.9.100 CLIENT_NET=10.0.1 CLIENT_BASE=10
	director_extra() { :; }
	services() {
		cat <<CONF
services = ( { vip = "$VIP"; port = 80; protocol = "tcp"; scheduler = "mh";
  scheduler_flags = ( "mh-port" ); forward = "dr";
  real_servers = ( { address = "10.0.3.11"; port = 80; }, { address = "10.0.3.12"; port = 80; },
                   { address = "10.0.3.13"; port = 80; } ); } );
CONF
	}
	lab ecmp
	bird_start rt bird-router.conf -e 's/^define ME .*/define ME = 10.0.3.1;/' \
		-e 's/^define DIRECTOR1 .*/define DIRECTOR1 = 10.0.3.2;/' \
		-e 's/^define DIRECTOR2 .*/define DIRECTOR2 = 10.0.3.3;/' \
		-e 's|198.51.100.0/24|10.0.9.0/24|'
	ecmp_node 1
	ecmp_node 2
	wait_until 60000 both_paths || { echo "the router never got both paths: $(paths)" >&2; exit 1; }
}

ecmp_lose() {	# WAY D
	case $1 in
	ecmp-kill) eval "kill -9 \$WATCH_$2 \$DIRECTOR_$2 \$BIRD_dir$2" ;;
	ecmp-cut) printf '%s\n' 'table bridge cut {' \
			"chain pre { type filter hook prerouting priority 0; iifname d$2 drop; }" \
			"chain post { type filter hook postrouting priority 0; oifname d$2 drop; }" \
			'}' >"$TMP/cut.nft"
		n rt nft -f "$TMP/cut.nft" ;;
	ecmp-director) eval "kill -9 \$DIRECTOR_$2" ;;
	esac
}

ecmp_restore() {	# WAY D
	case $1 in
	ecmp-kill) eval "wait \$WATCH_$2 \$DIRECTOR_$2 \$BIRD_dir$2" 2>/dev/null || true
		ecmp_node "$2" ;;
	ecmp-cut) n rt nft delete table bridge cut ;;
	ecmp-director) eval "wait \$DIRECTOR_$2" 2>/dev/null || true
		director_start "$2" ;;
	esac
	wait_until 120000 both_paths || { echo "director $2 did not come back: $(paths)" >&2; exit 1; }
}

# One loss of director D: appends a line to $TMP/results, with the
# connections the lost director carried.
ecmp_one() {	# WAY D
	local way=$1 d=$2 other=$((3 - $2)) t0 t1 tnew r0 carried
	stream_start
	all_known() { [ $(($(flows 1) + $(flows 2))) -ge $CONNS ]; }
	wait_until 30000 all_known || echo "round $ROUND: the directors lack connections" >&2
	carried=$(flows "$d")
	r0=$(stat rounds_min)
	[ "$way" != ecmp-cut ] || ecmp_lose ecmp-cut "$d"
	t0=$(ms)
	[ "$way" = ecmp-cut ] || ecmp_lose "$way" "$d"
	until [ "$(paths)" = "10.0.3.$((1 + other)) " ] || [ $(($(ms) - t0)) -ge 10000 ]; do :; done
	t1=$(($(ms) - t0))
	tnew=$(new_conn_after "$t0")
	stream_finish "$r0"
	echo "$t1 $tnew $KEPT carried=$carried" >>"$TMP/results"
	ecmp_restore "$way" "$d"
}

# ---- the run ------------------------------------------------------------------

label() {
	case $1 in
	kill) echo "NAT kill -9 keepalived+director" ;;
	cut) echo "NAT links cut at the switch" ;;
	stop) echo "NAT graceful stop" ;;
	zombie) echo "NAT zombie (director killed)" ;;
	failback) echo "NAT failback (state wiped)" ;;
	dr) echo "DR pair, sync, kill -9" ;;
	tun) echo "TUN pair, sync, kill -9" ;;
	ecmp-kill) echo "ECMP kill -9 director+bird" ;;
	ecmp-cut) echo "ECMP link cut (BFD 3x100 ms)" ;;
	ecmp-director) echo "ECMP director killed (watch)" ;;
	*) echo "unknown way: $1" >&2; exit 2 ;;
	esac
}
for way in $WAYS; do label "$way" >/dev/null; done

echo "HA: $CONNS connections, $FAILOVERS failovers per way; VRRPv3 at 0.1 s adverts; load average $(cut -d' ' -f1-3 /proc/loadavg)"
CUR=""
for way in $WAYS; do
	case $way in
	kill|cut|stop|zombie|failback) want=nat ;;
	*) want=${way%%-*} ;;
	esac
	if [ "$want" != "$CUR" ]; then
		case $want in
		nat) nat_mode ;;
		dr|tun) sync_mode "$want" ;;
		ecmp) ecmp_mode ;;
		esac
		CUR=$want
	fi
	rm -f "$TMP/results"
	for i in $(seq 1 "$FAILOVERS"); do
		if [ "$want" = ecmp ]; then ecmp_one "$way" $((1 + i % 2)); else one "$way"; fi
	done
	case $way in
	zombie) summary "$(label $way)" "VIP moved" 1500 max ;;
	ecmp-*) summary "$(label $way)" "withdrawn" 500 ;;
	*) summary "$(label $way)" "takeover " 500 ;;
	esac
done
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
