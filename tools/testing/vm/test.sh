#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   test.sh KERNEL INITRAMFS [test_progs args...]
# Run the selftests in the VM and end with "N passed, N failed". A kernel
# splat, a VM that did not finish or a test_progs error counts as a failure.
set -uo pipefail
HERE=$(dirname "$(realpath "$0")")
KERNEL=$1 INITRD=$2
shift 2
LOG=$(dirname "$(realpath "$INITRD")")/test.log
"$HERE/run-vm.sh" -t 1800 -l "$LOG" "$KERNEL" "$INITRD" /bin/mc-selftests "$@"
rc=$?
sum=$(grep -E '^Summary: [0-9]+/[0-9]+ PASSED, [0-9]+ SKIPPED, [0-9]+ FAILED' "$LOG" | tail -n1)
passed=$(echo "$sum" | sed -E 's/^Summary: ([0-9]+)\/.*/\1/')
failed=$(echo "$sum" | sed -E 's/.* ([0-9]+) FAILED.*/\1/')
if [ -z "$sum" ]; then
	echo "test: test_progs printed no summary"
	passed=0 failed=1
else
	# upstream's standalone tests (mc-selftests): a line each
	passed=$((passed + $(grep -c '^standalone: [a-z_]* ok' "$LOG")))
	failed=$((failed + $(grep -c '^standalone: [a-z_]* FAILED' "$LOG")))
fi
if [ $rc -ne 0 ] && [ "$failed" = 0 ]; then
	echo "test: the run failed (exit $rc) with no failed test: counted as one failure"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
