# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sourced by the benchmarks under tests/bench/ (bash), from the top of the
# source tree:
#
#   . tests/lib/bench.sh NAME   P (namespace prefix, unique per run), TMP (a
#                               fresh directory), PIDS (killed at exit),
#                               TESTNET; the lab and TMP go at exit
#   n ROLE CMD...               CMD in namespace P-ROLE
#   bg ROLE CMD...              the same in the background ($! is CMD)
#   ms                          the time in ms
#   med N...                    the median
#   ratio A B                   A / B, three decimals
#   mmm RATIO...                "min A median B max C" of the ratios
#   need CMD                    exit unless CMD is installed
#   director_start CONF [BIN [ENV=VALUE...]]
#                               nflvs-director (or BIN) -f CONF in P-dir,
#                               under $PIN if set, log in $TMP/director.log;
#                               returns with DPID its PID once its ruleset
#                               is in the kernel and its workers are bound

P="$1$$"
TESTNET=build/tests/nflvs-testnet
TMP=$(mktemp -d "/tmp/$1.XXXXXX")
PIDS=()

n() { local ns="$P-$1"; shift; ip netns exec "$ns" "$@"; }
bg() { local ns="$P-$1"; shift; ip netns exec "$ns" "$@" & }
ms() { date +%s%3N; }
med() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
mmm() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { printf "min %s median %s max %s", a[1], a[int((NR + 1) / 2)], a[NR] }'; }
DPID=
director_start() {
	local conf=$1 bin=${2:-build/nflvs-director}
	shift
	[ $# -gt 0 ] && shift
	${PIN:-} ip netns exec "$P-dir" env "$@" "$bin" -f "$conf" \
		>"$TMP/director.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	# the whole ruleset is one transaction: its queue_new chain is there
	# (in the ip table, or the inet one with the native queue) once all is
	until n dir nft list chain ip nflvs queue_new >/dev/null 2>&1 ||
	      n dir nft list chain inet nflvs queue_new >/dev/null 2>&1; do
		kill -0 "$DPID" 2>/dev/null || { cat "$TMP/director.log" >&2; exit 1; }
		sleep 0.05
	done
	sleep 0.2	# the workers are bound before the rules exist
}
need() { command -v "$1" >/dev/null || { echo "$1 missing: contrib/install-deps.sh --bench" >&2; exit 1; }; }

bench_cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	tests/lib/lab.sh cleanup "$P"
	rm -rf "$TMP"
}
trap bench_cleanup EXIT
