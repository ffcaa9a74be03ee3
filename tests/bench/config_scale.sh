#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# How `nflvs-director -t' scales with the size of the file: real servers
# in one service (all different: every one is compared for duplicates)
# and errors (two a real server), at N and 4N.  A linear check takes about
# 4 times as long at 4N; a quadratic one 16 times.  Figures, not verdicts.
#   tests/bench/config_scale.sh [N]     (default 5000; needs make)
# Needs neither root nor a network.
set -eu
cd "$(dirname "$0")/../.."
n=${1:-5000}
dir=$(mktemp -d /tmp/nflvs-bench-config-XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
director=build/nflvs-director
[ -x "$director" ] || { echo "$director: not built (make)" >&2; exit 1; }

# gen COUNT PORT: one service of COUNT real servers at PORT (99999: bad)
gen() {
	awk -v n="$1" -v port="$2" 'BEGIN {
		print "director = { mark_mask = 0x7fff0000; };"
		print "services = ( { vip = \"10.0.1.1\"; port = 80; real_servers = ("
		for (i = 0; i < n; i++)
			printf "{ address = \"10.%d.%d.%d\"; port = %d; weight = %d; }%s\n",
				2 + int(i / 65536), int(i / 256) % 256, i % 256, port,
				port == 99999 ? -1 : 1, i < n - 1 ? "," : ""
		print "); } );"
	}'
}

# secs FILE: the seconds -t takes
secs() {
	s=$(date +%s.%N)
	"$director" -t -f "$1" >/dev/null 2>&1 || true
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.3f", $2 - $1 }'
}

printf '%-28s %10s %10s %8s\n' "nflvs-director -t" "N=$n" "N=$((4 * n))" ratio
for kind in "real servers:80" "errors:99999"; do
	what=${kind%%:*}
	port=${kind##*:}
	gen "$n" "$port" > "$dir/small.conf"
	gen "$((4 * n))" "$port" > "$dir/large.conf"
	a=$(secs "$dir/small.conf")
	b=$(secs "$dir/large.conf")
	printf '%-28s %9ss %9ss %7sx\n' "$what" "$a" "$b" \
		"$(echo "$a $b" | awk '{ printf "%.1f", ($1 > 0 ? $2 / $1 : 0) }')"
done
