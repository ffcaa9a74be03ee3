#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# How many HTTP checks a second one nflvs-healthcheck process sustains.
#
# One real-server namespace serves HTTP on PORTS ports (one nflvs-testnet
# serve, sockets bound to every address) and carries enough addresses that
# addresses x ports = TARGETS real servers; the director (mark_mask
# 0xffff0000 so that it holds them all) and the checker run in the
# director's namespace.  Every real server gets an http check every
# INTERVAL seconds.  Checks completed are the deltas of checks_ok +
# checks_failed summed over the shared memory across a WINDOW; the
# checker's CPU time comes from /proc/PID/stat.  Figures, no verdict.
#
#   HC_BENCH_TARGETS=5000 HC_BENCH_INTERVAL=1.0 HC_BENCH_WINDOW=10 \
#	tests/bench/hc_throughput.sh
set -eu
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "hc_throughput: needs root (network namespaces)" >&2; exit 1; }

TARGETS=${HC_BENCH_TARGETS:-5000}
INTERVAL=${HC_BENCH_INTERVAL:-1.0}
WINDOW=${HC_BENCH_WINDOW:-10}
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
n() { local ns="$P-$1"; shift; ip netns exec "$ns" "$@"; }
{
	for i in $(seq 0 $((NADDR - 1))); do
		echo "addr add 10.0.2.$((100 + i))/24 dev eth0"
	done
} | ip -n "$P-rs1" -batch -
n rs1 sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_tw_buckets=4096
n dir sysctl -qw net.ipv4.ip_local_port_range="10000 65000" \
	net.ipv4.tcp_max_tw_buckets=4096

args=""
for p in $(seq 9000 $((9000 + PORTS - 1))); do args="$args --tcp $p"; done
# shellcheck disable=SC2086
ip netns exec "$P-rs1" build/tests/nflvs-testnet serve --name rs1 --ready-file "$D/ready" $args \
	>"$D/serve.log" 2>&1 &
pids="$pids $!"

{
	echo "director = { table = \"nflvs\"; shm = \"$SHM\"; control = \"$D/d.sock\";"
	echo "  mark_mask = 0xffff0000; };"
	echo "services = ( { vip = \"10.0.1.100\"; port = 80; scheduler = \"rr\";"
	echo "  check = { type = \"http\"; path = \"/\"; interval = $INTERVAL;"
	echo "            timeout = 0.9; rise = 1; fall = 1; };"
	echo "  real_servers = ("
	k=0
	for i in $(seq 0 $((NADDR - 1))); do
		for p in $(seq 9000 $((9000 + PORTS - 1))); do
			[ $k -lt "$TARGETS" ] || break 2
			[ $k -gt 0 ] && echo ","
			printf '    { address = "10.0.2.%d"; port = %d; }' $((100 + i)) "$p"
			k=$((k + 1))
		done
	done
	echo " ); } );"
} > "$D/nflvs.conf"

for _ in $(seq 100); do [ -e "$D/ready" ] && break; sleep 0.1; done
ip netns exec "$P-dir" build/nflvs-director -f "$D/nflvs.conf" >"$D/director.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 300); do grep -q ': started' "$D/director.log" && break; sleep 0.1; done
grep -q ': started' "$D/director.log" || { cat "$D/director.log"; exit 1; }
ip netns exec "$P-dir" build/nflvs-healthcheck -v -f "$D/nflvs.conf" \
	>"$D/checker.log" 2>&1 &
hc=$!
pids="$hc $pids"

stat_line() { "$D/hcstat" "$SHM"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$hc/stat"; }
now() { date +%s.%N; }

# warm up: every target checked at least once
for _ in $(seq 300); do
	read -r ok failed up down unknown < <(stat_line) || true
	[ "${unknown:-1}" -eq 0 ] && break
	sleep 0.1
done
sleep 2

read -r ok0 failed0 _ _ _ < <(stat_line)
t0=$(now); c0=$(cpu_ticks)
sleep "$WINDOW"
read -r ok1 failed1 up down unknown < <(stat_line)
t1=$(now); c1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$hc/status")

awk -v t="$TARGETS" -v iv="$INTERVAL" -v ok="$((ok1 - ok0))" \
    -v bad="$((failed1 - failed0))" -v t0="$t0" -v t1="$t1" \
    -v cpu="$(( c1 - c0 ))" -v hz="$hz" -v up="$up" -v down="$down" \
    -v unk="$unknown" -v rss="$rss" 'BEGIN {
	n = ok + bad; cs = cpu / hz; s = t1 - t0
	printf "targets %d, interval %.2f s: demand %.0f checks/s\n", t, iv, t / iv
	printf "window %.2f s: %d checks, %.0f checks/s (%d ok, %d failed)\n", s, n, n / s, ok, bad
	printf "checker CPU %.2f s = %.1f%% of one core, %.1f us per check, RSS %d KiB\n", cs, 100 * cs / s, n ? 1e6 * cs / n : 0, rss
	printf "state now: %d up, %d down, %d unknown\n", up, down, unk
}'
