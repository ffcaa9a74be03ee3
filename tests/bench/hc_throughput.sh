#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# How many checks a second one nflvs-healthcheck process sustains, for
# each kind of check.
#
# One real-server namespace carries enough addresses that addresses x
# PORTS = TARGETS real servers, and runs the servers: nflvs-testnet serve
# (HTTP on PORTS ports, every address) for http and tcp, OpenSMTPD
# (port 25) for smtp, NSD (port 53 of every address) for dns and udp (a
# DNS query as the payload, its answer required), its own ICMP for ping;
# file checks read one file.  smtp, dns and udp checks reach their
# server's port through connect_port.  The director (mark_mask 0xffff0000
# so that it holds them all) runs in the director's namespace for the
# whole run; for each kind a checker starts there with the same services
# and that kind of check on every real server, every INTERVAL seconds.
# Checks completed are the deltas of checks_ok + checks_failed summed over
# the shared memory across a WINDOW; the checker's CPU time comes from
# /proc/PID/stat.  Figures, no verdict.
#
#   HC_BENCH_TARGETS=5000 HC_BENCH_INTERVAL=1.0 HC_BENCH_WINDOW=10 \
#	HC_BENCH_KINDS="http tcp smtp dns udp ping file" \
#	tests/bench/hc_throughput.sh
set -eu
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "hc_throughput: needs root (network namespaces)" >&2; exit 1; }

TARGETS=${HC_BENCH_TARGETS:-5000}
INTERVAL=${HC_BENCH_INTERVAL:-1.0}
WINDOW=${HC_BENCH_WINDOW:-10}
KINDS=${HC_BENCH_KINDS:-http tcp smtp dns udp ping file}
PORTS=64
P="hcb$$"
D="/tmp/nflvs-bench-$P"
SHM="/nflvs-$P"
NADDR=$(( (TARGETS + PORTS - 1) / PORTS ))
[ "$NADDR" -le 150 ] || { echo "hc_throughput: at most $((150 * PORTS)) targets" >&2; exit 2; }

pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	tests/lib/lab.sh cleanup "$P"
	rm -rf "$D" "/dev/shm$SHM"
}
trap cleanup EXIT INT TERM
[ -n "${HC_BENCH_KEEP:-}" ] && trap - EXIT
mkdir -p "$D"

# The reader: sums of the health halves, as the director would read them.
cat > "$D/hcstat.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nflvs/shm.h>
#include <nflvs/seqlock.h>
int main(int argc, char **argv)
{
	unsigned long long ok = 0, failed = 0, n[3] = { 0 };
	struct nflvs_shm_header *h;
	struct nflvs_shm_rs *rs;
	struct stat st;
	__typeof__(rs->health) x;
	int fd = argc > 1 ? shm_open(argv[1], O_RDONLY, 0) : -1;
	unsigned int i;

	if (fd < 0 || fstat(fd, &st) < 0)
		return 1;
	h = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED || h->magic != NFLVS_SHM_MAGIC)
		return 1;
	rs = (void *)((char *)(h + 1) + h->max_services * h->service_size);
	for (i = 0; i < h->max_rs; i++) {
		if (!rs[i].id || nflvs_seq_read(&rs[i].hseq, &x, &rs[i].health,
						sizeof(x)))
			continue;
		ok += x.checks_ok;
		failed += x.checks_failed;
		n[x.state < 3 ? x.state : 0]++;
	}
	printf("%llu %llu %llu %llu %llu\n", ok, failed, n[1], n[2], n[0]);
	return 0;
}
C
cc -O2 -Iinclude -o "$D/hcstat" "$D/hcstat.c"

tests/lib/lab.sh nat "$P" 1
# (not a function in the background: $! would be a subshell's pid)
n() { local ns="$P-$1"; shift; ip netns exec "$ns" "$@"; }
addrs=$(seq -f '10.0.2.%g' 100 $((100 + NADDR - 1)))
for a in $addrs; do echo "addr add $a/24 dev eth0"; done | ip -n "$P-rs1" -batch -
n rs1 sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_tw_buckets=4096
n dir sysctl -qw net.ipv4.ip_local_port_range="10000 65000" \
	net.ipv4.tcp_max_tw_buckets=4096

# ---- the servers ----------------------------------------------------------

args=""
for p in $(seq 9000 $((9000 + PORTS - 1))); do args="$args --tcp $p"; done
# shellcheck disable=SC2086
ip netns exec "$P-rs1" build/tests/nflvs-testnet serve --name rs1 --ready-file "$D/ready" $args \
	>"$D/serve.log" 2>&1 &
pids="$pids $!"

has() { case " $KINDS " in *" $1 "*) return 0;; esac; return 1; }

if has smtp && [ -x /usr/sbin/smtpd ]; then
	printf '%s\n' "listen on 0.0.0.0 port 25" 'action "local" mbox' \
		'match from any for local action "local"' > "$D/smtpd.conf"
	echo "nameserver 127.0.0.1" > "$D/resolv.conf"
	# its control socket is at a fixed path: a /run of its own
	ip netns exec "$P-rs1" sh -c "mount -t tmpfs tmpfs /run && mount --bind $D/resolv.conf /etc/resolv.conf &&
		exec smtpd -d -f $D/smtpd.conf" >"$D/smtpd.log" 2>&1 &
	pids="$pids $!"
fi
if has dns || has udp; then
	# every address by name: a wildcard socket would answer from another
	{
		echo "server:"
		for a in $addrs; do echo "  ip-address: $a"; done
		echo "  port: 53"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  zonesdir: \"$D\""
		echo "  pidfile: \"$D/nsd.pid\""
		echo "  database: \"\""
		echo "  zonelistfile: \"$D/zone.list\""
		echo "  xfrdfile: \"$D/xfrd.state\""
		echo "  xfrdir: \"$D\""
		echo "  server-count: 1"
		echo "  verbosity: 0"
		echo "  rrl-ratelimit: 0	# one client asks for all"
		echo "remote-control:"
		echo "  control-enable: no"
		echo "zone:"
		echo "  name: \".\""
		echo "  zonefile: \"$D/root.zone\""
	} > "$D/nsd.conf"
	printf '%s\n' '$ORIGIN .' '$TTL 60' '@ IN SOA ns.lab. hostmaster.lab. 1 60 60 600 60' \
		'@ IN NS ns.lab.' 'ns.lab. IN A 10.0.2.100' > "$D/root.zone"
	ip netns exec "$P-rs1" nsd -d -c "$D/nsd.conf" >"$D/nsd.log" 2>&1 &
	pids="$pids $!"
fi
echo 0 > "$D/file"

# ---- the director, once ---------------------------------------------------

# The check of kind $1.
check_of() {
	local c="interval = $INTERVAL; timeout = 0.9; rise = 1; fall = 1;"
	case $1 in
	http) echo "type = \"http\"; path = \"/\"; $c" ;;
	smtp) echo "type = \"smtp\"; connect_port = 25; $c" ;;
	dns) echo "type = \"dns\"; connect_port = 53; $c" ;;
	udp) echo "type = \"udp\"; connect_port = 53; require_reply = \"1234 8x\";" \
		"payload = \"1234 0100 0001 0000 0000 0000 00 0006 0001\"; $c" ;;
	file) echo "type = \"file\"; file = \"$D/file\"; $c" ;;
	*) echo "type = \"$1\"; $c" ;;
	esac
}

conf() {
	echo "director = { table = \"nflvs\"; shm = \"$SHM\"; control = \"$D/d.sock\";"
	echo "  mark_mask = 0xffff0000; };"
	echo "services = ( { vip = \"10.0.1.100\"; port = 80; scheduler = \"rr\";"
	echo "  check = { $(check_of "$1") };"
	echo "  real_servers = ("
	k=0
	for a in $addrs; do
		for p in $(seq 9000 $((9000 + PORTS - 1))); do
			[ $k -lt "$TARGETS" ] || break 2
			[ $k -gt 0 ] && echo ","
			printf '    { address = "%s"; port = %d; }' "$a" "$p"
			k=$((k + 1))
		done
	done
	echo " ); } );"
}

for _ in $(seq 100); do [ -e "$D/ready" ] && break; sleep 0.1; done
conf http > "$D/nflvs.conf"
ip netns exec "$P-dir" build/nflvs-director -f "$D/nflvs.conf" >"$D/director.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 300); do grep -q ': started' "$D/director.log" && break; sleep 0.1; done
grep -q ': started' "$D/director.log" || { cat "$D/director.log"; exit 1; }

stat_line() { "$D/hcstat" "$SHM"; }
now() { date +%s.%N; }
hz=$(getconf CLK_TCK)

# ---- one checker per kind ----------------------------------------------------

results=""
for kind in $KINDS; do
	if [ "$kind" = smtp ] && [ ! -x /usr/sbin/smtpd ]; then
		echo "smtp: skipped, OpenSMTPD is not installed"
		continue
	fi
	conf "$kind" > "$D/$kind.conf"
	read -r ok failed _ _ _ < <(stat_line)
	start=$((ok + failed))
	ip netns exec "$P-dir" build/nflvs-healthcheck -f "$D/$kind.conf" >"$D/checker-$kind.log" 2>&1 &
	hc=$!
	pids="$hc $pids"
	# warm up: every target checked once since this checker started
	for _ in $(seq 300); do
		read -r ok failed _ _ _ < <(stat_line) || true
		[ $((ok + failed - start)) -ge "$TARGETS" ] && break
		sleep 0.1
	done
	sleep 2

	read -r ok0 failed0 _ _ _ < <(stat_line)
	t0=$(now); c0=$(awk '{ print $14 + $15 }' "/proc/$hc/stat")
	sleep "$WINDOW"
	read -r ok1 failed1 up down unknown < <(stat_line)
	t1=$(now); c1=$(awk '{ print $14 + $15 }' "/proc/$hc/stat")
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$hc/status")
	kill "$hc"
	wait "$hc" 2>/dev/null || true
	pids=${pids#"$hc "}

	line=$(awk -v k="$kind" -v t="$TARGETS" -v iv="$INTERVAL" \
	    -v ok="$((ok1 - ok0))" -v bad="$((failed1 - failed0))" \
	    -v t0="$t0" -v t1="$t1" -v cpu="$((c1 - c0))" -v hz="$hz" \
	    -v up="$up" -v down="$down" -v rss="$rss" 'BEGIN {
		n = ok + bad; cs = cpu / hz; s = t1 - t0
		printf "%-5s %7d %9.0f %9.0f %8d %7d %6.1f %8.1f %7d %7d %8d\n",
		    k, t, t / iv, n / s, ok, bad, 100 * cs / s,
		    n ? 1e6 * cs / n : 0, up, down, rss
	}')
	echo "$line"
	results="$results$line"$'\n'
done

echo
echo "targets $TARGETS, interval $INTERVAL s, window $WINDOW s, one checker per kind"
printf "%-5s %7s %9s %9s %8s %7s %6s %8s %7s %7s %8s\n" kind targets demand/s \
	checks/s ok failed CPU% us/check up down RSS/KiB
printf '%s' "$results"
