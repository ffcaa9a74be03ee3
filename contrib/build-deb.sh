#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the Debian packages from this tree, as it is (uncommitted changes
# included), in a copy under build/deb/, so that dpkg-buildpackage neither
# cleans this tree's build/ nor writes outside it; then check them with
# lintian, which fails the build on an error.  `make deb' runs it, and
# `make check' with DEB_BUILD_OPTIONS=nocheck (it has run the unit tests).
# Output: build/deb/nflvs_VERSION_ARCH.deb (and the -dbgsym package, the
# .buildinfo and .changes files, build.log, lintian.txt).
set -eu
cd "$(dirname "$0")/.."

version=$(sed -n 's/^VERSION *:= *//p' Makefile)
out=build/deb
src=$out/nflvs-$version

changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$changelog" != "$version" ]; then
	echo "debian/changelog is at $changelog, the Makefile at $version:" \
	     "add a changelog entry (dch -v $version)" >&2
	exit 1
fi

# Each library the Makefile links must come from a package that
# debian/control's Build-Depends names, or a clean build (sbuild, a new
# machine) fails where this one, with the library at hand, passes.
builddeps=$(sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/p' debian/control |
	sed '$d')
for mod in $(make -s --no-print-directory print-pkgs); do
	pc=$(pkg-config --path "$mod") || { echo "pkg-config: no $mod" >&2; exit 1; }
	dev=$(dpkg -S "$pc" | sed 's/[:,].*//')
	if ! printf '%s\n' "$builddeps" | grep -qw -- "$dev"; then
		echo "debian/control: Build-Depends lacks $dev (for $mod, which the Makefile links)" >&2
		exit 1
	fi
done

rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# what git tracks or would track, as it is in the work tree
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

echo "  DEB     $out (log: $out/build.log)"
DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)"
export DEB_BUILD_OPTIONS
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "dpkg-buildpackage failed: see $out/build.log" >&2
	exit 1
fi
rm -rf "$src"

echo "  LINTIAN $out/*.changes"
# lintian warns against root unless told; running it as another user would
# fail where that user cannot read the tree (a clone under /root)
asroot=
[ "$(id -u)" -eq 0 ] && asroot=--allow-root
status=0
lintian $asroot --fail-on error --display-info "$out"/nflvs_"$version"_*.changes \
	>"$out/lintian.txt" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	cat "$out/lintian.txt" >&2
	echo "lintian found errors (exit $status)" >&2
	exit 1
fi
cat "$out/lintian.txt"
ls "$out"/*.deb
