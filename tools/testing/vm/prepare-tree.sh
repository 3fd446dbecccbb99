#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lay the kernel tree we build: Debian's pristine linux-source-6.12, our quilt
# series from patches/, and our new files at their kernel-tree paths.
#
#   prepare-tree.sh REPO BUILD [unpatched|quilt]
#
# BUILD/base   the pristine tree, unpacked once
# BUILD/linux  the tree we build; only files whose content changed are
#              rewritten, so mtimes stay put and kernel builds stay incremental
# With "unpatched", BUILD/linux-base is laid instead with no series or files
# (the benchmark's reference kernel). With "quilt", BUILD/quilt gets the base
# version of every file the series touches and the series pushed, for
# editing the patches with quilt.
set -euo pipefail
export LC_ALL=C

REPO=$(realpath "$1")
BUILD=$(realpath -m "$2")
MODE=${3:-patched}
TARBALL=/usr/src/linux-source-6.12.tar.xz
BASE=$BUILD/base
TREE=$BUILD/linux
[ "$MODE" = unpatched ] && TREE=$BUILD/linux-base
STAGE=$BUILD/stage-$MODE
[ "$MODE" = quilt ] && STAGE=$BUILD/quilt
MANAGED=$TREE/.mc-managed

die() { echo "prepare-tree: $*" >&2; exit 1; }

[ -f "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.12)"

# 1. The pristine base, re-unpacked only when Debian's tarball changes.
stamp=$(stat -c '%s-%Y' "$TARBALL")
if [ "$(cat "$BASE/.mc-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "prepare-tree: unpacking $TARBALL"
	rm -rf "$BASE" "$BUILD/base.tmp"
	mkdir -p "$BUILD/base.tmp"
	tar -C "$BUILD/base.tmp" -xf "$TARBALL"
	mv "$BUILD/base.tmp/linux-source-6.12" "$BASE"
	rmdir "$BUILD/base.tmp"
	echo "$stamp" > "$BASE/.mc-stamp"
	# a new base: every tree and every kernel built from the old one goes
	# (the archive's mtimes could be older than the old objects)
	rm -rf "$BUILD/linux" "$BUILD/linux-base" "$BUILD"/kernel-*
fi
if [ ! -d "$TREE" ]; then
	rm -rf "$TREE.tmp"
	cp -a "$BASE" "$TREE.tmp"
	rm -f "$TREE.tmp/.mc-stamp"
	mv "$TREE.tmp" "$TREE"
fi
ver=$(make -s -C "$BASE" kernelversion 2>/dev/null)
deb=$(dpkg-query -W -f '${Version}' linux-source-6.12 2>/dev/null || echo unknown)
echo "prepare-tree: base Linux $ver from linux-source-6.12 $deb"
# The base the series was tested on (MC_BASE_DEB, set in the Makefile).
untested=
if [ -n "${MC_BASE_DEB:-}" ] && [ "$deb" != "$MC_BASE_DEB" ]; then
	untested="the series was tested on linux-source-6.12 $MC_BASE_DEB, not $deb"
	echo "prepare-tree: $untested"
fi

# 2. Stage the files the series and the overlay touch, from the base.
rm -rf "$STAGE"
mkdir -p "$STAGE"
series=$REPO/patches/series
patched=()
if [ "$MODE" != unpatched ] && [ -f "$series" ]; then
	while read -r p _; do
		case "$p" in ''|'#'*) continue;; esac
		[ -f "$REPO/patches/$p" ] || die "patches/series names $p, which does not exist"
		while read -r f; do
			patched+=("$f")
		done < <(sed -n 's|^+++ [^/]*/\([^[:space:]]*\).*|\1|p' "$REPO/patches/$p")
	done < "$series"
fi
overlay=()
if [ "$MODE" = patched ]; then
	files=$(cd "$REPO" && git ls-files -co --exclude-standard -- \
		kernel include tools Documentation ":!tools/testing/vm") ||
		die "git ls-files failed in $REPO"
	while read -r f; do
		[ -n "$f" ] && overlay+=("$f")
	done < <(echo "$files" | sort -u)
fi
for f in "${patched[@]}"; do
	[ -f "$BASE/$f" ] || continue
	mkdir -p "$STAGE/$(dirname "$f")"
	cp -p "$BASE/$f" "$STAGE/$f"
done

# 3. Apply the series with quilt, naming the patch and file that failed.
if [ ${#patched[@]} -gt 0 ]; then
	ln -s "$REPO/patches" "$STAGE/patches"
	if ! out=$(cd "$STAGE" && QUILT_PATCHES=patches quilt push -a -q --fuzz=0 2>&1); then
		echo "$out" >&2
		bad=$(cd "$STAGE" && QUILT_PATCHES=patches quilt next 2>/dev/null || true)
		[ -z "$untested" ] ||
			echo "prepare-tree: $untested: apt-get install linux-source-6.12=$MC_BASE_DEB if the archive still has it, or rebase the series (README, \"The base\")" >&2
		die "patch ${bad#patches/} does not apply to Linux $ver (see the hunks above for the file)"
	fi
	[ -z "$untested" ] ||
		echo "prepare-tree: the series applies to linux-source-6.12 $deb with --fuzz=0; make test tells whether it works there"
	if [ "$MODE" = quilt ]; then
		echo "prepare-tree: $STAGE has the series pushed; edit with quilt there"
		exit 0
	fi
	rm -rf "$STAGE/patches" "$STAGE/.pc"
fi

# 4. Lay our new files over it.
for f in "${overlay[@]}"; do
	[ -f "$REPO/$f" ] || continue
	mkdir -p "$STAGE/$(dirname "$f")"
	cp -p "$REPO/$f" "$STAGE/$f"
done

# 5. Sync the stage into the tree, touching only changed files; files we
#    managed last time and no longer do go back to the base.
(cd "$STAGE" && find . -type f -printf '%P\n' | sort) > "$STAGE.list"
changed=0
while read -r f; do
	if ! cmp -s "$STAGE/$f" "$TREE/$f"; then
		mkdir -p "$TREE/$(dirname "$f")"
		cp "$STAGE/$f" "$TREE/$f"
		changed=$((changed + 1))
	fi
done < "$STAGE.list"
if [ -f "$MANAGED" ]; then
	while read -r f; do
		if [ -f "$BASE/$f" ]; then
			cmp -s "$BASE/$f" "$TREE/$f" || { cp "$BASE/$f" "$TREE/$f"; changed=$((changed + 1)); }
		else
			rm -f "$TREE/$f"; changed=$((changed + 1))
		fi
	done < <(comm -23 "$MANAGED" "$STAGE.list")
fi
mv "$STAGE.list" "$MANAGED"
rm -rf "$STAGE"
echo "prepare-tree: ${#patched[@]} patched and ${#overlay[@]} new files, $changed rewritten"
