# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# A fresh Debian 12 root for the tests that need one (tests/pkg/deb.sh,
# tests/minbase.sh): `debootstrap --variant=minbase bookworm' from the
# mirror this machine's apt uses, plus the packages asked for, kept as a
# tar under build/pkg/ so that the next run only unpacks it (delete the
# tar to start anew).  Sourced; needs root and debootstrap.
#   pkg_root ROOT CACHE.tar PACKAGE,PACKAGE LOG

# The Debian mirror this machine's apt uses for bookworm (one-line or
# deb822 sources).
mirror() {
	{
		cat /etc/apt/sources.list 2>/dev/null
		for f in /etc/apt/sources.list.d/*.list; do
			[ -e "$f" ] && cat "$f"
		done
	} | awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++;
		if ($2 ~ /^\[/) i++; if ($(i + 1) == "bookworm") { print $i; exit } }'
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] && awk '
			function flush() {
				if (t ~ /(^| )deb( |$)/ && s ~ /(^| )bookworm( |$)/ &&
				    e != "no" && u != "") {
					split(u, w, " ")
					print w[1]
					done = 1
				}
				t = s = u = e = ""
			}
			/^[ \t]*$/ { flush(); if (done) exit; next }
			/^Types:/ { t = $0; sub(/^Types:[ \t]*/, "", t) }
			/^Suites:/ { s = $0; sub(/^Suites:[ \t]*/, "", s) }
			/^URIs:/ { u = $0; sub(/^URIs:[ \t]*/, "", u) }
			/^Enabled:/ { e = $2 }
			END { if (!done) flush() }' "$f"
	done
}

pkg_root() {
	_root=$1 _cache=$2 _include=$3 _log=$4
	mkdir -p "$_root" "$(dirname "$_cache")" || return 1
	if [ -f "$_cache" ]; then
		tar -C "$_root" -xf "$_cache" && return 0
		echo "cannot unpack $_cache" >&2
		return 1
	fi
	_url=$(mirror | head -n 1)
	if [ -z "$_url" ]; then
		echo "no bookworm mirror in /etc/apt/sources.list*" >&2
		return 1
	fi
	printf 'pkg: debootstrap --variant=minbase --include=%s bookworm from %s (cached in %s)\n' \
		"$_include" "$_url" "$_cache"
	if ! debootstrap --variant=minbase --include="$_include" bookworm \
		"$_root" "$_url" >"$_log" 2>&1; then
		tail -n 20 "$_log" >&2
		echo "debootstrap failed" >&2
		return 1
	fi
	tar -C "$_root" -cf "$_cache.tmp" . && mv "$_cache.tmp" "$_cache" || {
		echo "cannot write $_cache" >&2
		return 1
	}
}
