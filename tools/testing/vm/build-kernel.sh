#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure (tinyconfig + fragments) and build a kernel out of tree with ccache.
#
#   [KARCH=i386] build-kernel.sh TREE OUT FRAGMENT...
#
# The config is regenerated only when a fragment changes, so a rebuild after
# editing one kernel file recompiles only what depends on it.
set -euo pipefail

TREE=$(realpath "$1")
OUT=$(realpath -m "$2")
shift 2
FRAGS=()
for f in "$@"; do FRAGS+=("$(realpath "$f")"); done
JOBS=${JOBS:-$(($(nproc) + 1))}
MK=(make -C "$TREE" O="$OUT" ARCH="${KARCH:-x86_64}" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS")

mkdir -p "$OUT"
hash=$( (echo "${KARCH:-x86_64}"; cat "${FRAGS[@]}") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$OUT/.mc-config-hash" 2>/dev/null)" != "$hash" ] || [ ! -f "$OUT/.config" ]; then
	echo "build-kernel: configuring $OUT"
	"${MK[@]}" -s tinyconfig
	(cd "$OUT" && "$TREE/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "${FRAGS[@]}" >/dev/null)
	"${MK[@]}" -s olddefconfig
	# A fragment line that did not survive olddefconfig is a broken config.
	missing=0
	for f in "${FRAGS[@]}"; do
		while read -r line; do
			case "$line" in
			CONFIG_*=*) grep -qxF "$line" "$OUT/.config" || { echo "build-kernel: $line not set"; missing=1; } ;;
			"# CONFIG_"*" is not set")
				sym=${line#\# }; sym=${sym%% *}
				grep -q "^$sym=" "$OUT/.config" && { echo "build-kernel: $sym still set"; missing=1; } ;;
			esac
		done < "$f"
	done
	[ $missing = 0 ] || { echo "build-kernel: config fragments did not apply" >&2; exit 1; }
	echo "$hash" > "$OUT/.mc-config-hash"
fi
"${MK[@]}" bzImage
echo "build-kernel: $OUT/arch/x86/boot/bzImage"
