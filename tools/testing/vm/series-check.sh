#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the exported series as its receiver would (make series-check):
# apply build/series/*.patch one by one with git am on the pristine base,
# run checkpatch.pl --strict on each, and build the release kernel after
# each one that changes a file the kernel build reads (not tools/,
# Documentation/ or MAINTAINERS), so that every step of the series builds
# without a warning. Stops at the first problem, naming the patch. Last,
# checks that the files the series ends with are make test's.
#
#   series-check.sh BUILD
set -uo pipefail
HERE=$(dirname "$(realpath "$0")")
BUILD=$(realpath "$1")
GIT=$BUILD/series-git
KOUT=$BUILD/kernel-series
LOGS=$BUILD/logs/series-check
T0=$(date +%s)

fail() { echo "series-check: $*" >&2; exit 1; }
say() { printf '[%4ss] %s\n' $(($(date +%s) - T0)) "$*"; }

# checkpatch.pl runs scripts/spdxcheck.py, which needs Debian's python3-ply
# and python3-git: Debian's python3 first, not another one found earlier
export PATH=/usr/bin:$PATH
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
cd "$GIT" || fail "$GIT missing: run make series"
if ! git checkout -q -f -B check base || ! git clean -q -f -d -x; then
	fail "cannot reset $GIT to the base"
fi
git config user.name "series-check"
git config user.email "series-check@localhost"

# checkpatch.pl --strict, as the bpf maintainers' CI runs it. Ignored:
# FILE_PATH_CHANGES, its question whether MAINTAINERS needs an update for
# each new file (the last patch adds the entry for all of them), and
# UNKNOWN_COMMIT_ID: the base is a tarball without upstream history, so
# the ids in Fixes: tags cannot be looked up here (they were checked
# against the list archives). And as for tools/ code in `make checkpatch`
# (see the Makefile): VOLATILE, for a BPF program's `const volatile`
# globals and a signal handler's `volatile sig_atomic_t`, and `__kptr`
# known as a type annotation.
CP_IGNORE=FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID,VOLATILE

patches=("$BUILD"/series/0*.patch)
[ -e "${patches[0]}" ] || fail "no patches in $BUILD/series: run make series"
n=0
for p in "${patches[@]}"; do
	name=$(basename "$p")
	[ "$name" = 0000-cover-letter.patch ] && continue
	n=$((n + 1))
	subj=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$p" | head -n1)
	if ! git am -q "$p" > "$LOGS/$name.am.log" 2>&1; then
		cat "$LOGS/$name.am.log" >&2
		git am --abort > /dev/null 2>&1
		fail "$name ($subj) does not apply with git am"
	fi
	if ! ./scripts/checkpatch.pl --strict -q --ignore "$CP_IGNORE" \
		--typedefsfile <(echo __kptr) "$p" > "$LOGS/$name.checkpatch.log" 2>&1; then
		cat "$LOGS/$name.checkpatch.log" >&2
		fail "$name ($subj): checkpatch.pl --strict"
	fi
	if ! git diff --name-only HEAD~1 HEAD |
		grep -qvE '^(tools/|Documentation/|MAINTAINERS$)'; then
		say "$name: applies, checkpatch clean; no kernel file: no build"
		continue
	fi
	start=$(date +%s)
	if ! "$HERE/build-kernel.sh" "$GIT" "$KOUT" "$HERE/config.release" \
		"$HERE/config.bench" > "$LOGS/$name.build.log" 2>&1; then
		grep -E 'error|Error' "$LOGS/$name.build.log" | head -n 30 >&2
		fail "$name ($subj): the kernel does not build (log: $LOGS/$name.build.log)"
	fi
	# make rebuilt only what the patch touched: any warning is the patch's
	if grep -E ': warning: ' "$LOGS/$name.build.log" >&2; then
		fail "$name ($subj): the kernel builds with warnings (log: $LOGS/$name.build.log)"
	fi
	say "$name: applies, checkpatch clean, kernel built in $(($(date +%s) - start))s"
done
# The receiver's tree is the one make test builds and tests: every file
# the series adds or changes is the same in build/linux.
nfiles=0
for f in $(git diff --name-only base HEAD); do
	cmp -s "$f" "$BUILD/linux/$f" ||
		fail "the series' $f is not make test's (build/linux/$f)"
	nfiles=$((nfiles + 1))
done
say "series-check: $n patches apply with git am, are checkpatch --strict clean and build one by one"
say "series-check: the $nfiles files they add or change are those make test builds and tests"
