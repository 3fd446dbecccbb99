#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel with the test initramfs in QEMU, run a command, return its
# exit status. Fails on any oops, BUG, WARNING, KASAN, lockdep or kmemleak
# report in the guest's log, on a timeout, or on a VM that never finished.
#
#   run-vm.sh [options] KERNEL INITRAMFS [COMMAND...]
#     -i          interactive shell on this terminal (make vm)
#     -c          count instructions: TCG with -icount shift=0 (benchmarks)
#     -m MB       guest memory (default 2048)
#     -s SMP      QEMU -smp argument (default 2)
#     -t SECONDS  time limit (default 900)
#     -l FILE     keep the console log there (default build/vm.log)
set -uo pipefail

HERE=$(dirname "$(realpath "$0")")
INTERACTIVE=0 ICOUNT=0 MEM=2048 SMP=2 TIMEOUT=900 LOG=
while getopts "icm:s:t:l:" o; do
	case $o in
	i) INTERACTIVE=1 ;;
	c) ICOUNT=1 ;;
	m) MEM=$OPTARG ;;
	s) SMP=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	l) LOG=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
KERNEL=$1 INITRD=$2
shift 2
LOG=${LOG:-$(dirname "$(realpath "$INITRD")")/vm.log}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The command goes into a second cpio appended to the initramfs.
mkcmd() {
	rm -rf "$WORK/cmd"
	mkdir -p "$WORK/cmd"
	if [ $# -gt 0 ]; then
		printf '#!/bin/sh\n%s\n' "$*" > "$WORK/cmd/cmd"
		chmod +x "$WORK/cmd/cmd"
	fi
	(cd "$WORK/cmd" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/cmd.gz"
	cat "$INITRD" "$WORK/cmd.gz" > "$WORK/initrd"
}

qemu() {
	local accel=$1 timeout=$2 log=$3
	local args=(-kernel "$KERNEL" -initrd "$WORK/initrd" -m "$MEM" -smp "$SMP"
		-no-reboot -display none -monitor none -nic none
		-append "console=ttyS0 panic=-1 oops=panic nokaslr loglevel=5 $EXTRA_APPEND")
	case $accel in
	kvm) args+=(-accel kvm -cpu host,-arch-capabilities) ;;
	icount) args+=(-accel tcg -cpu max -icount shift=0,sleep=off) ;;
	*) args+=(-accel tcg,thread=multi -cpu max) ;;
	esac
	if [ "$INTERACTIVE" = 1 ]; then
		qemu-system-x86_64 "${args[@]}" -serial mon:stdio | tee "$log"
	else
		timeout -s KILL "$timeout" qemu-system-x86_64 "${args[@]}" \
			-chardev stdio,id=con,signal=off -serial chardev:con </dev/null |
			tr -d '\r' | tee "$log"
	fi
}

# KVM only if a short probe boot works (nested KVM hangs on some hosts);
# the answer is kept next to the log for later runs.
pick_accel() {
	local cache
	cache=$(dirname "$LOG")/kvm-probe
	[ "$ICOUNT" = 1 ] && { echo icount; return; }
	if [ ! -f "$cache" ]; then
		if [ -w /dev/kvm ] && (INTERACTIVE=0 qemu kvm 20 "$WORK/probe.log" >/dev/null 2>&1;
				grep -q '@@MC-EXIT=0@@' "$WORK/probe.log"); then
			echo kvm > "$cache"
		else
			echo tcg > "$cache"
		fi
	fi
	cat "$cache"
}

EXTRA_APPEND=${EXTRA_APPEND:-}
mkcmd true
ACCEL=$(pick_accel)
[ "$INTERACTIVE" = 1 ] && mkcmd || mkcmd "$@"
echo "run-vm: $(basename "$KERNEL") accel=$ACCEL, log in $LOG" >&2
qemu "$ACCEL" "$TIMEOUT" "$LOG"
[ "$INTERACTIVE" = 1 ] && exit 0

status=$(sed -n 's/.*@@MC-EXIT=\([0-9]*\)@@.*/\1/p' "$LOG" | tail -n1)
splat='(BUG:|WARNING:|Oops|KASAN|UBSAN|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|lockdep|unreferenced object|Kernel panic|Call Trace:|general protection fault|RCU detected stall|rcu_.*stall)'
if grep -Eq "$splat" "$LOG"; then
	echo "run-vm: kernel splat in $LOG:" >&2
	grep -En -B2 -A20 "$splat" "$LOG" | head -80 >&2
	exit 98
fi
if [ -z "$status" ]; then
	echo "run-vm: the VM did not finish (timeout ${TIMEOUT}s or panic); log in $LOG" >&2
	exit 97
fi
exit "$status"
