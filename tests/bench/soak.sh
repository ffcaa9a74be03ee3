#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Soak: mixed NAT, DR and TUN traffic, TCP and UDP, for MINUTES while
#   - nflvsadm edits the configuration every 100 ms, in each of 4
#     lanes, one virtual service each (on a busy machine an nflvsadm
#     process takes 0.1-0.3 s to start and end, even for --version:
#     lanes keep the edits at 10/s or more without waiting on one
#     another),
#   - every 10 s, one `nflvsadm -R' applies 100 edits to another service,
#     each its own commit (a listing between two edits ends a batch): how
#     fast the director applies edits, with the start of one process
#     spread over 100,
#   - the director gets a SIGHUP (reload) every 2 s,
#   - one real server flaps every 3 s (its health check port is closed,
#     then opened: nflvs-healthcheck takes it out and puts it back).
# Then it prints the director's RSS and open fds (after warm-up, the first
# fifth of the run, against the end), the shared memory's generation,
# the errors, and ActiveConn/InActConn once the traffic has stopped, with
# PASS or FAIL per target:
#   rss        the director's RSS less its connection tables (conntrack's
#              entries and the DR/TUN flows, as `nflvsadm --status' gives
#              them: they follow the connections there are, not time)
#              grows at most 5 %: the median of the samples of the fifth
#              after warm-up against that of the last fifth.  The raw RSS
#              is printed too.  The checker's RSS: the same, whole
#   fds        the fewest open fds of the director and of the checker grow
#              at most 5 %, the same windows (control clients come and go)
#   errors     0: failed client exchanges, nflvsadm edits refused for
#              another reason than the reload having undone the last
#              one, error lines in the daemons' logs
#   edits      10/s or more applied (or undone by a reload) over the run,
#              and the bursts' median rate 10/s or more
#   counts     every ActiveConn and InActConn back to 0 (within 120 s)
#   resets     no long-lived connection broken, but those to the
#              flapping real server
#
#   tests/bench/soak.sh [MINUTES]     default 30; decimals allowed (0.5)
#
# Topology: tests/lib/lab.sh dr with 4 real servers; the VIP 10.0.3.100:
#
#   NAT  tcp 80 -> rs3:8080, rs4:8080 (rs4 flaps)   udp 53 -> rs3, rs4
#   DR   tcp 81 -> rs1                               udp 54 -> rs1
#   TUN  tcp 82 -> rs2 (ipip, nflvs-decap)           udp 55 -> rs2
#   NAT  tcp 90-94 -> rs3:8080, edited by nflvsadm (scheduler, weight, a
#        real server added and deleted), one lane each, and 94 by the
#        bursts; no traffic
#
# rs3 and rs4 route their answers back through the director (NAT).
# Long-lived connections: 6 per TCP service (nflvs-testnet stream); new
# connections: 1 in flight per TCP service (nflvs-testnet load); UDP: 2
# exchanges in flight per UDP service (nflvs-testnet count).  Exit 0 iff
# every target passed.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/bench.sh nflvs-soak
# the director may not get to remove its segment before the lab goes
trap 'bench_cleanup; rm -f "/dev/shm/nflvs-$P"' EXIT

MIN=${1:-30}
SECS=$(awk -v m="$MIN" 'BEGIN { s = int(m * 60 + 0.5); print s < 10 ? 10 : s }')
VIP=10.0.3.100
SAMPLE=10				# seconds between RSS/fd samples
[ "$SECS" -lt 300 ] && SAMPLE=2
WARM=$((SECS / 5))
ADM="build/nflvsadm --socket $TMP/director.sock"
LANES=(90 91 92 93)			# the edited services, one lane each

for b in build/nflvs-director build/nflvs-healthcheck build/nflvsadm \
	 "$TESTNET" build/tests/nflvs-decap; do
	[ -x "$b" ] || { echo "$b missing: make tests" >&2; exit 1; }
done

tests/lib/lab.sh dr "$P" 4
n cl sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
# Checksums as a wire carries them: over veth a packet keeps "checksum to
# be done" all the way, through the director's BPF encapsulation too; a
# kernel tunnel end honours that, nflvs-decap only sees the bytes (TCP to
# the TUN service would be dropped by rs2 as corrupt).
n cl ethtool -K eth0 tx off >/dev/null
for r in rs3 rs4; do
	n $r ip route replace default via 10.0.3.2
	n $r sysctl -qw net.ipv4.tcp_max_tw_buckets=1024
done

serve() {	# serve ROLE ARGS...
	local r=$1
	shift
	n "$r" $TESTNET serve --name "$r" --ready-file "$TMP/$r.ready" "$@" \
		>"$TMP/$r.log" 2>&1 &
	PIDS+=($!)
}
serve rs1 --tcp 81 --udp 54
serve rs2 --tcp 82 --udp 55
serve rs3 --tcp 8080 --tcp 9999 --udp 53
serve rs4 --tcp 8080 --tcp 9999 --udp 53
n rs2 build/tests/nflvs-decap --type ipip --ready-file "$TMP/decap.ready" \
	--stats-file "$TMP/decap.stats" >"$TMP/decap.log" 2>&1 &
PIDS+=($!)
for f in rs1 rs2 rs3 rs4 decap; do
	for _ in $(seq 100); do [ -e "$TMP/$f.ready" ] && break; sleep 0.05; done
	[ -e "$TMP/$f.ready" ] || { echo "$f did not start" >&2; cat "$TMP/$f.log" >&2; exit 1; }
done

NOCHECK='check = { type = "none"; };'
FLAPCHECK='check = { type = "tcp"; connect_port = 9999; interval = 0.2;
    timeout = 0.2; rise = 1; fall = 1; };'
cat >"$TMP/nflvs.conf" <<CONF
director = { shm = "/nflvs-$P"; control = "$TMP/director.sock";
  log_level = "warning"; };
services = (
  { vip = "$VIP"; port = 80; scheduler = "wlc";
    real_servers = ( { address = "10.0.3.13"; port = 8080; $NOCHECK },
                     { address = "10.0.3.14"; port = 8080; $FLAPCHECK } ); },
  { vip = "$VIP"; port = 53; protocol = "udp"; scheduler = "rr";
    real_servers = ( { address = "10.0.3.13"; port = 53; $NOCHECK },
                     { address = "10.0.3.14"; port = 53; $FLAPCHECK } ); },
  { vip = "$VIP"; port = 81; forward = "dr"; scheduler = "wlc";
    real_servers = ( { address = "10.0.3.11"; port = 81; $NOCHECK } ); },
  { vip = "$VIP"; port = 54; protocol = "udp"; forward = "dr"; scheduler = "rr";
    real_servers = ( { address = "10.0.3.11"; port = 54; $NOCHECK } ); },
  { vip = "$VIP"; port = 82; forward = "tun"; scheduler = "wlc";
    real_servers = ( { address = "10.0.3.12"; port = 82;
                       tunnel = { type = "ipip"; }; $NOCHECK } ); },
  { vip = "$VIP"; port = 55; protocol = "udp"; forward = "tun"; scheduler = "rr";
    real_servers = ( { address = "10.0.3.12"; port = 55;
                       tunnel = { type = "ipip"; }; $NOCHECK } ); },
  { vip = "$VIP"; port = 90; scheduler = "rr";
    real_servers = ( { address = "10.0.3.13"; port = 8080; $NOCHECK } ); },
  { vip = "$VIP"; port = 91; scheduler = "rr";
    real_servers = ( { address = "10.0.3.13"; port = 8080; $NOCHECK } ); },
  { vip = "$VIP"; port = 92; scheduler = "rr";
    real_servers = ( { address = "10.0.3.13"; port = 8080; $NOCHECK } ); },
  { vip = "$VIP"; port = 93; scheduler = "rr";
    real_servers = ( { address = "10.0.3.13"; port = 8080; $NOCHECK } ); },
  { vip = "$VIP"; port = 94; scheduler = "rr";
    real_servers = ( { address = "10.0.3.13"; port = 8080; $NOCHECK } ); }
);
CONF

# ip netns exec execs the daemon: $! is its pid
ip netns exec "$P-dir" build/nflvs-director -f "$TMP/nflvs.conf" >"$TMP/director.log" 2>&1 &
DPID=$!
PIDS+=($DPID)
until [ -S "$TMP/director.sock" ] && $ADM -Ln >/dev/null 2>&1; do
	kill -0 $DPID 2>/dev/null || { cat "$TMP/director.log" >&2; exit 1; }
	sleep 0.05
done
ip netns exec "$P-dir" build/nflvs-healthcheck -f "$TMP/nflvs.conf" >"$TMP/checker.log" 2>&1 &
CPID=$!
PIDS+=($CPID)
# tcp: established as IPVS; after a FIN or RST, and UDP: 10 s, so that the
# counts can fall back to 0 soon after the traffic
$ADM --set 900 10 10

SHM=/dev/shm/nflvs-$P
gen() { od -An -t u8 -j 40 -N 8 "$SHM" | tr -d ' '; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# "conntrack-entries DR/TUN-flows kB" of the director's connection tables
tables() {
	$ADM --status 2>/dev/null | awk '$1 == "Connections:" { print $2, $4, $8 }'
}

START=$(date +%s)
END=$((START + SECS))
GEN0=$(gen)
echo "soak: ${SECS}s of NAT, DR and TUN traffic; edits every 100 ms in ${#LANES[@]} lanes, SIGHUP every 2 s, rs4 flapping every 3 s"

# ---- the disturbances ------------------------------------------------------
# The loops below start no process but nflvsadm: $EPOCHREALTIME, not date;
# a read from a FIFO nobody writes to, not sleep.
usec() { NOW=${EPOCHREALTIME/./}; }	# NOW: the time in us
mkfifo "$TMP/tick"
exec {TICK}<>"$TMP/tick"
wait_until() {	# wait_until US
	local d t
	usec
	d=$(($1 - NOW))
	[ $d -gt 0 ] || return 0
	printf -v t '%d.%06d' $((d / 1000000)) $((d % 1000000))
	read -r -t "$t" -u $TICK || true
}
edits() {	# edits PORT: an nflvsadm edit of $VIP:PORT every 100 ms
	local port=$1 i=0 out rc ok=0 undone=0 bad=0 t0 dt max=0 next sch
	local end=$((END * 1000000)) lat=()
	usec
	next=$NOW
	while [ "$next" -lt "$end" ]; do
		sch=rr
		[ $((i % 8)) = 0 ] && sch=wlc
		case $((i % 4)) in
		0) set -- -E -t $VIP:$port -s $sch ;;
		1) set -- -a -t $VIP:$port -r 10.0.3.14:8080 -m -w 2 ;;
		2) set -- -e -t $VIP:$port -r 10.0.3.13:8080 -m -w $((i % 5 + 1)) ;;
		3) set -- -d -t $VIP:$port -r 10.0.3.14:8080 ;;
		esac
		rc=0
		usec
		t0=$NOW
		out=$($ADM "$@" 2>&1) || rc=$?
		usec
		dt=$(((NOW - t0) / 1000))
		[ $dt -gt $max ] && max=$dt
		lat+=("$dt")
		if [ $rc = 0 ] && [ -z "$out" ]; then
			ok=$((ok + 1))
		elif [[ $out =~ Destination\ already\ exists|No\ such\ destination ]]; then
			undone=$((undone + 1))	# a reload came between add and delete
		else
			bad=$((bad + 1))
			echo "edit $port/$i: $out" >>"$TMP/edits.err"
		fi
		i=$((i + 1))
		next=$((next + 100000))
		[ "$next" -lt "$NOW" ] && next=$NOW	# late: no catching up
		wait_until "$next"
	done
	echo "$ok $undone $bad $max $(med "${lat[@]}")" >"$TMP/edits$port.res"
}
bursts() {	# every 10 s, 100 edits of $VIP:94 by one nflvsadm -R
	local script= k n=0 bad=0 t0 rates=() sch
	for k in $(seq 0 99); do
		sch=rr
		[ $((k % 4)) = 0 ] && sch=wlc
		if [ $((k % 2)) = 0 ]; then
			script+="-E -t $VIP:94 -s $sch"$'\n'
		else
			script+="-e -t $VIP:94 -r 10.0.3.13:8080 -m -w $((k % 5 + 1))"$'\n'
		fi
		script+="-L -n -t $VIP:94"$'\n'
	done
	usec
	while [ "$NOW" -lt $((END * 1000000)) ]; do
		t0=$NOW
		if $ADM -R <<<"$script" >/dev/null 2>>"$TMP/bursts.err"; then
			usec
			n=$((n + 100))
			rates+=($((100000000 / (NOW - t0))))
		else
			bad=$((bad + 1))
		fi
		wait_until $((t0 + 10000000))
		usec
	done
	echo "$n $bad $(med "${rates[@]}")" >"$TMP/bursts.res"
}
starts() {	# the latency of an nflvsadm that asks the director nothing
	local lat=() t0
	usec
	while [ "$NOW" -lt $((END * 1000000)) ]; do
		t0=$NOW
		$ADM --version >/dev/null
		usec
		lat+=($(((NOW - t0) / 1000)))
		wait_until $((NOW + 1000000))
		usec
	done
	med "${lat[@]}" >"$TMP/starts.res"
}
hups() {
	local k=0
	while [ "$(date +%s)" -lt "$END" ]; do
		sleep 2
		kill -HUP "$DPID" && k=$((k + 1))
	done
	echo "$k" >"$TMP/hups.res"
}
flaps() {
	local k=0
	n rs4 nft add table inet soakflap
	n rs4 nft add chain inet soakflap in '{ type filter hook input priority 0; }'
	while [ "$(date +%s)" -lt "$END" ]; do
		sleep 3
		if [ $((k % 2)) = 0 ]; then
			n rs4 nft add rule inet soakflap in tcp dport 9999 reject with tcp reset
		else
			n rs4 nft flush chain inet soakflap in
		fi
		k=$((k + 1))
	done
	n rs4 nft delete table inet soakflap
	echo "$k" >"$TMP/flaps.res"
}
udp_loop() {	# udp_loop PORT
	local e=0 x=0 out
	while [ "$(date +%s)" -lt "$END" ]; do
		out=$(n cl $TESTNET count --udp $VIP "$1" -n 40 --concurrency 2 \
			--timeout-ms 3000 2>>"$TMP/udp$1.err" || true)
		out=$(echo "$out" | awk '$1 == "errors" { print $2 }')
		e=$((e + ${out:-40}))
		x=$((x + 40))
	done
	echo "$x $e" >"$TMP/udp$1.res"
}

T0=${#PIDS[@]}
for port in 80 81 82; do
	n cl $TESTNET stream $VIP $port --conns 6 --interval-ms 100 --seconds "$SECS" \
		--timeout-ms 5000 --stats-file "$TMP/stream$port.stats" \
		>"$TMP/stream$port.out" 2>"$TMP/stream$port.err" &
	PIDS+=($!)
	n cl $TESTNET load $VIP $port --duration "$SECS" --concurrency 1 \
		--timeout-ms 5000 >"$TMP/load$port.out" 2>"$TMP/load$port.err" &
	PIDS+=($!)
done
for port in 53 54 55; do udp_loop $port & PIDS+=($!); done
for port in "${LANES[@]}"; do edits "$port" & PIDS+=($!); done
starts & PIDS+=($!)
bursts & PIDS+=($!)
hups & PIDS+=($!)
flaps & PIDS+=($!)

# ---- samples ----------------------------------------------------------------
# RSS less the tables: a leak grows with time, the tables with the
# connections there are at the moment (which the load of the machine sets)
printf '  %6s %9s %9s %8s %6s %9s %5s %5s %10s\n' t rss_kB tables_kB entries flows chk_kB fds chkfd generation
SAMPLES=()				# "t rss-less-tables checker-rss"
while [ "$(date +%s)" -lt "$END" ]; do
	kill -0 $DPID 2>/dev/null || { echo "the director died" >&2; break; }
	t=$(($(date +%s) - START))
	r=$(rss $DPID) f=$(fds $DPID) cr=$(rss $CPID) cf=$(fds $CPID)
	read -r ce fl tk <<<"$(tables)"
	printf '  %6s %9s %9s %8s %6s %9s %5s %5s %10s\n' "$t" "$r" "${tk:-?}" "${ce:-?}" "${fl:-?}" "$cr" "$f" "$cf" "$(gen)"
	[ -n "${tk:-}" ] && SAMPLES+=("$t $((r - tk)) $cr $r $f $cf")
	sleep $SAMPLE
done
# The median (or with "min", the least) of column @1 over the samples of
# the fifth after warm-up (@2 = 0) or of the last fifth (@2 = 1).
window() {
	local a=$WARM b=$((2 * WARM))
	[ "$2" = 1 ] && a=$((SECS - WARM)) b=$((SECS + 1))
	printf '%s\n' "${SAMPLES[@]}" | awk -v a="$a" -v b="$b" -v c="$1" \
		'$1 >= a && $1 < b { print $c }' | sort -g |
		awk -v min="${3:-}" '{ v[NR] = $1 }
		     END { print NR ? v[min ? 1 : int((NR + 1) / 2)] : "" }'
}
RSS0=$(window 2 0) RSS1=$(window 2 1) CRSS0=$(window 3 0) CRSS1=$(window 3 1)
RAW0=$(window 4 0) RAW1=$(window 4 1)
FD0=$(window 5 0 min) FD1=$(window 5 1 min) CFD0=$(window 6 0 min) CFD1=$(window 6 1 min)
wait_jobs() { local p; for p in "$@"; do wait "$p" 2>/dev/null || true; done; }
wait_jobs "${PIDS[@]:$T0}"
DIED=0
kill -0 $DPID 2>/dev/null || DIED=1

# ---- after the traffic --------------------------------------------------------
GEN1=$(gen)
settled=-1
for i in $(seq 0 120); do
	counts=$($ADM -Ln 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" { a += $5; b += $6 } END { print a + 0, b + 0 }')
	if [ "$counts" = "0 0" ]; then settled=$i; break; fi
	sleep 1
done

EOK=0 EUNDONE=0 EBAD=0 EMAX=0 EMED=
for port in "${LANES[@]}"; do
	read -r ok undone bad max m <"$TMP/edits$port.res"
	EOK=$((EOK + ok)) EUNDONE=$((EUNDONE + undone)) EBAD=$((EBAD + bad))
	[ "$max" -gt "$EMAX" ] && EMAX=$max
	EMED="$EMED${EMED:+/}$m"
done
read -r BOK BBAD BRATE <"$TMP/bursts.res"
ERATE=$(awk -v n=$((EOK + EUNDONE + EBAD + BOK)) -v s="$SECS" 'BEGIN { printf "%.1f", n / s }')
EBAD=$((EBAD + BBAD))
CERR=0
for port in 80 81 82; do
	e=$(awk '{ for (i = 1; i < NF; i++) if ($i == "errors") print $(i + 1) }' "$TMP/load$port.out")
	c=$(awk '{ for (i = 1; i < NF; i++) if ($i == "conns") print $(i + 1) }' "$TMP/load$port.out")
	echo "  tcp $port: ${c:-?} new connections, ${e:-?} errors"
	CERR=$((CERR + ${e:-1}))
done
for port in 53 54 55; do
	read -r x e <"$TMP/udp$port.res"
	echo "  udp $port: $x exchanges, $e errors"
	CERR=$((CERR + e))
done
LOGERR=$(cat "$TMP/director.log" "$TMP/checker.log" | grep -c ': error:' || true)
RESETS=0 FLAPRESETS=0
for port in 80 81 82; do
	RESETS=$((RESETS + $(awk '$1 == "conn" && $7 != "ok" && $4 != "rs4"' "$TMP/stream$port.out" | wc -l)))
	FLAPRESETS=$((FLAPRESETS + $(awk '$1 == "conn" && $7 != "ok" && $4 == "rs4"' "$TMP/stream$port.out" | wc -l)))
	[ -s "$TMP/stream$port.out" ] || RESETS=$((RESETS + 1))
	echo "  stream $port: $(tail -1 "$TMP/stream$port.out")"
	awk '$1 == "conn" && $7 != "ok"' "$TMP/stream$port.out" | head -3 | sed 's/^/    /'
	[ -s "$TMP/stream$port.err" ] && head -3 "$TMP/stream$port.err" | sed 's/^/    /' || true
done
echo "  edits: $EOK applied, $EUNDONE undone by a reload first in ${#LANES[@]} lanes; each took $EMED ms (median per lane), the slowest ${EMAX} ms, an nflvsadm --version alone $(cat "$TMP/starts.res") ms"
echo "  bursts: $BOK edits applied, $BBAD bursts failed, ${BRATE:-?} edits/s (median); all edits: $ERATE/s, $EBAD refused"
[ -s "$TMP/bursts.err" ] && head -3 "$TMP/bursts.err" || true
echo "  SIGHUPs: $(cat "$TMP/hups.res"); flaps: $(cat "$TMP/flaps.res")"
echo "  shm generation: $GEN0 -> $GEN1"
[ -s "$TMP/edits.err" ] && head -3 "$TMP/edits.err" || true
[ "$LOGERR" = 0 ] || grep ': error:' "$TMP/director.log" "$TMP/checker.log" | head -5

FAIL=0
verdict() {	# verdict NAME OK TEXT
	if [ "$2" = 1 ]; then echo "  PASS $1: $3"; else echo "  FAIL $1: $3"; FAIL=1; fi
}
growth() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a ? (b - a) * 100 / a : 0 }'; }
within() { awk -v a="$1" -v b="$2" 'BEGIN { print (b <= a * 1.05) ? 1 : 0 }'; }
echo "results"
verdict running "$((1 - DIED))" "the director ran to the end"
verdict rss "$(within "${RSS0:-0}" "${RSS1:-1}")" \
	"director RSS less its connection tables ${RSS0:-?} -> ${RSS1:-?} kB ($(growth "${RSS0:-0}" "${RSS1:-0}") %; whole: ${RAW0:-?} -> ${RAW1:-?} kB, $(growth "${RAW0:-0}" "${RAW1:-0}") %)"
verdict rss_checker "$(within "${CRSS0:-0}" "${CRSS1:-1}")" \
	"checker RSS ${CRSS0:-?} -> ${CRSS1:-?} kB ($(growth "${CRSS0:-0}" "${CRSS1:-0}") %)"
verdict fds "$([ "$(within "${FD0:-0}" "${FD1:-1}")$(within "${CFD0:-0}" "${CFD1:-1}")" = 11 ] && echo 1 || echo 0)" \
	"director fds ${FD0:-?} -> ${FD1:-?}, checker ${CFD0:-?} -> ${CFD1:-?}"
verdict errors "$([ $((CERR + EBAD + LOGERR)) = 0 ] && echo 1 || echo 0)" \
	"client $CERR, edits refused $EBAD, log lines $LOGERR"
verdict edits "$(awk -v r="$ERATE" -v b="${BRATE:-0}" 'BEGIN { print (r >= 10 && b >= 10) ? 1 : 0 }')" \
	"$ERATE edits/s over the run, ${BRATE:-?}/s in a burst (at least 10)"
verdict counts "$([ "$settled" -ge 0 ] && echo 1 || echo 0)" \
	"ActiveConn/InActConn $counts ($([ "$settled" -ge 0 ] && echo "after ${settled}s" || echo "after 120s"))"
verdict resets "$([ "$RESETS" = 0 ] && echo 1 || echo 0)" \
	"$RESETS long-lived connections broken ($FLAPRESETS to the flapping server)"
exit $FAIL
