#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   step.sh NAME LOG COMMAND...
# Run one build phase: a short line with the elapsed time, the full output in
# LOG, and its tail on failure.
NAME=$1 LOG=$2
shift 2
T0=${MC_T0:-$(date +%s)}
mkdir -p "$(dirname "$LOG")"
printf '[%4ss] %-8s ...\n' $(($(date +%s) - T0)) "$NAME"
start=$(date +%s)
"$@" > "$LOG" 2>&1
rc=$?
if [ $rc = 0 ]; then
	printf '[%4ss] %-8s done in %ss (log: %s)\n' $(($(date +%s) - T0)) "$NAME" $(($(date +%s) - start)) "$LOG"
	exit 0
fi
echo "---- $NAME failed (exit $rc); last lines of $LOG:" >&2
tail -n 40 "$LOG" >&2
exit $rc
