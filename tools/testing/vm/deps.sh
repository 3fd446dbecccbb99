#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages named on the command line that are missing.
# NAME=VERSION asks for that version when NAME is missing, or the newest
# if the archive no longer has it; an installed NAME of another version
# stays (prepare-tree.sh says what that means for the series).
set -euo pipefail
missing=()
pinned=()
for p in "$@"; do
	name=${p%%=*}
	dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' && continue
	missing+=("$name")
	[ "$name" != "$p" ] && pinned+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#} packages present"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
for p in "${pinned[@]}"; do
	name=${p%%=*} ver=${p#*=}
	if apt-cache madison "$name" | awk -F'|' '{gsub(/ /, "", $2); print $2}' |
			grep -qxF "$ver"; then
		for i in "${!missing[@]}"; do
			[ "${missing[$i]}" = "$name" ] && missing[i]=$p
		done
	else
		echo "deps: $name $ver, the version tested, is no longer in the archive: installing the newest"
	fi
done
apt-get install -y -q --no-install-recommends "${missing[@]}"
