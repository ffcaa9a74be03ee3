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
need() { command -v "$1" >/dev/null || { echo "$1 missing: contrib/install-deps.sh --bench" >&2; exit 1; }; }

bench_cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	tests/lib/lab.sh cleanup "$P"
	rm -rf "$TMP"
}
trap bench_cleanup EXIT
