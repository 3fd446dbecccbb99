#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test VM's initramfs: static busybox, bpftool, the test binaries
# and the shared libraries they need (copied from the host, found with ldd).
#
#   mkinitramfs.sh OUT.cpio.gz INIT FILE[:DEST]...
set -euo pipefail

OUT=$(realpath -m "$1")
INIT=$2
shift 2
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT

mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
cp /bin/busybox "$ROOT/bin/busybox"
for app in $("$ROOT/bin/busybox" --list-full); do
	[ -e "$ROOT/$app" ] || ln -s /bin/busybox "$ROOT/$app"
done
install -m 755 "$INIT" "$ROOT/init"
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"

copy_libs() {
	{ ldd "$1" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
		[ -e "$ROOT$lib" ] && continue
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done
}

for spec in "$@"; do
	src=${spec%%:*}
	dst=${spec#*:}
	[ "$dst" = "$spec" ] && dst=/bin/$(basename "$src")
	mkdir -p "$ROOT$(dirname "$dst")"
	cp -a "$src" "$ROOT$dst"
	if [ -f "$src" ] && [ -x "$src" ] && [ "$(head -c4 "$src" | tr -d '\177')" = ELF ]; then
		copy_libs "$src"
	fi
done
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT ($(du -h "$OUT" | cut -f1))"
