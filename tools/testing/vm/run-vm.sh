#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel with the test initramfs in QEMU, run a command, return its
# exit status. Fails on any oops, BUG, WARNING, KASAN, lockdep or kmemleak
# report in the guest's log, on a timeout, or on a VM that never finished.
#
#   run-vm.sh [options] KERNEL INITRAMFS [COMMAND...]
#     -i          make vm: a shell on this terminal (Ctrl-C goes to the guest,
#                 Ctrl-A x quits QEMU); with a COMMAND, or a stdin that is
#                 not a terminal (read whole as the script), runs that instead
#     -c          count instructions: TCG with -icount shift=0 (benchmarks)
#     -m MB       guest memory (default 2048)
#     -s SMP      QEMU -smp argument (default 2)
#     -t SECONDS  time limit (default 900; none for the shell)
#     -l FILE     keep the console log there (default build/vm.log)
#   EXTRA_APPEND: more kernel command line; QEMU_EXTRA: more QEMU arguments
#
# Exit status: the command's, else 2 nothing to boot (usage, no QEMU, no
# kernel or initramfs), 96 QEMU failed, 97 timeout, 98 panic or splat.
set -uo pipefail

usage() {
	echo "usage: run-vm.sh [-ic] [-m MB] [-s SMP] [-t SECONDS] [-l LOG] KERNEL INITRAMFS [COMMAND...]" >&2
	exit 2
}
die() {
	echo "run-vm: $*" >&2
	exit 2
}

INTERACTIVE=0 ICOUNT=0 MEM=2048 SMP=2 TIMEOUT=900 LOG=
while getopts "icm:s:t:l:" o; do
	case $o in
	i) INTERACTIVE=1 ;;
	c) ICOUNT=1 ;;
	m) MEM=$OPTARG ;;
	s) SMP=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	l) LOG=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
KERNEL=$1 INITRD=$2
shift 2
command -v qemu-system-x86_64 > /dev/null ||
	die "qemu-system-x86_64 not found: install it (make deps, or apt-get install qemu-system-x86)"
[ -f "$KERNEL" ] || die "no kernel at $KERNEL: run make first (make kernel builds it)"
[ -f "$INITRD" ] || die "no initramfs at $INITRD: run make first (make initramfs builds it)"

# -i with a command (make vm CMD=...) runs it; a stdin that is no terminal
# is the script, read whole: what a console gets before the shell is lost.
if [ "$INTERACTIVE" = 1 ] && [ $# -eq 0 ] && [ ! -t 0 ]; then
	set -- "$(cat)"
fi
[ $# -gt 0 ] && INTERACTIVE=0
LOG=${LOG:-$(dirname "$(realpath "$INITRD")")/vm.log}
mkdir -p "$(dirname "$LOG")"
WORK=$(mktemp -d)
STTY=
[ "$INTERACTIVE" = 1 ] && [ -t 0 ] && STTY=$(stty -g)
# QEMU restores the terminal, unless it is killed
trap 'rm -rf "$WORK"; [ -z "$STTY" ] || stty "$STTY"' EXIT

# The command goes into a second cpio appended to the initramfs; the shell
# gets this terminal's size in its /etc/profile.
mkcmd() {
	local size
	rm -rf "$WORK/cmd"
	mkdir -p "$WORK/cmd"
	if [ $# -gt 0 ]; then
		printf '#!/bin/sh\n%s\n' "$*" > "$WORK/cmd/cmd"
		chmod +x "$WORK/cmd/cmd"
	elif size=$(stty size 2> /dev/null) && [ "$size" != "0 0" ]; then
		mkdir -p "$WORK/cmd/etc"
		echo "stty rows ${size% *} cols ${size#* }" > "$WORK/cmd/etc/profile"
	fi
	(cd "$WORK/cmd" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/cmd.gz"
	cat "$INITRD" "$WORK/cmd.gz" > "$WORK/initrd"
}

# QEMU's exit status, or timeout's (137 when it killed QEMU)
qemu() {
	local accel=$1 timeout=$2 log=$3
	local args=(-kernel "$KERNEL" -initrd "$WORK/initrd" -m "$MEM" -smp "$SMP"
		-no-reboot -display none -nic none
		-append "console=ttyS0 panic=-1 oops=panic nokaslr loglevel=5 $EXTRA_APPEND")
	case $accel in
	kvm) args+=(-accel kvm -cpu host,-arch-capabilities) ;;
	icount) args+=(-accel tcg -cpu max -icount shift=0,sleep=off) ;;
	*) args+=(-accel tcg,thread=multi -cpu max) ;;
	esac
	# shellcheck disable=SC2206 # QEMU_EXTRA: words, as on a command line
	args+=($QEMU_EXTRA)
	if [ "$INTERACTIVE" = 1 ]; then
		# a raw terminal without signals: Ctrl-C is a byte for the guest's
		# console; Ctrl-A is QEMU's escape (x quits, c the monitor, h help)
		qemu-system-x86_64 "${args[@]}" \
			-chardev stdio,id=con,signal=off,mux=on -serial chardev:con \
			-mon chardev=con,mode=readline | tee "$log"
	else
		# --foreground: Ctrl-C on this terminal stops QEMU too; sed -u:
		# each line as it comes
		timeout --foreground -s KILL "$timeout" qemu-system-x86_64 "${args[@]}" \
			-monitor none -chardev stdio,id=con,signal=off -serial chardev:con \
			< /dev/null | sed -u 's/\r//g' | tee "$log"
	fi
	return "${PIPESTATUS[0]}"
}

# KVM only if a short probe boot works (nested KVM hangs on some hosts).
# The answer is kept next to the log, for one host: kvm-probe.host holds its
# kernel, CPU, QEMU and /dev/kvm access, and a change probes again.
pick_accel() {
	local dir key answer=tcg
	[ "$ICOUNT" = 1 ] && { echo icount; return; }
	dir=$(dirname "$LOG")
	key="$(uname -r); $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //');"
	key+=" $(qemu-system-x86_64 --version | head -n1);"
	key+=" /dev/kvm $([ -w /dev/kvm ] && echo writable || echo no)"
	if [ -f "$dir/kvm-probe" ] && [ "$(cat "$dir/kvm-probe.host" 2> /dev/null)" = "$key" ]; then
		cat "$dir/kvm-probe"
		return
	fi
	if [ -w /dev/kvm ] && (INTERACTIVE=0 qemu kvm 20 "$WORK/probe.log" > /dev/null 2>&1
			grep -q '@@MC-EXIT=0@@' "$WORK/probe.log"); then
		answer=kvm
	fi
	echo "$answer" > "$dir/kvm-probe"
	echo "$key" > "$dir/kvm-probe.host"
	echo "run-vm: KVM probe on this host: $answer (kept in $dir/kvm-probe)" >&2
	echo "$answer"
}

EXTRA_APPEND=${EXTRA_APPEND:-}
QEMU_EXTRA=${QEMU_EXTRA:-}
mkcmd true
ACCEL=$(pick_accel)
mkcmd "$@"
echo "run-vm: $(basename "$KERNEL") accel=$ACCEL, log in $LOG" >&2
[ "$INTERACTIVE" = 1 ] &&
	echo "run-vm: exit or Ctrl-D powers the VM off, Ctrl-A x kills QEMU" >&2
INTR=0
trap 'INTR=1' INT
qemu "$ACCEL" "$TIMEOUT" "$LOG"
qrc=$?
if [ $INTR = 1 ]; then
	echo "run-vm: interrupted (Ctrl-C); log in $LOG" >&2
	trap - INT
	kill -INT $$
fi
# timeout --foreground: 124, or 137 if it got the KILL itself
is_timeout() { [ $qrc = 124 ] || [ $qrc = 137 ]; }

panic=$(tr -d '\r' < "$LOG" | sed -n 's/.*Kernel panic - not syncing: //p' | head -n1)
if [ -n "$panic" ]; then
	echo "run-vm: kernel panic: $panic (the trace is in $LOG)" >&2
	[ "$INTERACTIVE" = 1 ] || grep -n -B2 -A20 'Kernel panic' "$LOG" | head -40 >&2
	exit 98
fi
if [ "$INTERACTIVE" = 1 ]; then
	[ $qrc = 0 ] && exit 0
	echo "run-vm: QEMU exited with status $qrc (see its message above); log in $LOG" >&2
	exit 96
fi

status=$(sed -n 's/.*@@MC-EXIT=\([0-9]*\)@@.*/\1/p' "$LOG" | tail -n1)
splat='(BUG:|WARNING:|Oops|KASAN|UBSAN|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|lockdep|unreferenced object|Call Trace:|general protection fault|RCU detected stall|rcu_.*stall)'
if grep -Eq "$splat" "$LOG"; then
	echo "run-vm: kernel splat in $LOG$(is_timeout && echo ", then a timeout after ${TIMEOUT}s"):" >&2
	grep -En -B2 -A20 "$splat" "$LOG" | head -80 >&2
	exit 98
fi
if [ -z "$status" ] && is_timeout; then
	echo "run-vm: timeout: no exit status after ${TIMEOUT}s (a hang? or slow: raise -t); log in $LOG" >&2
	exit 97
fi
if [ -z "$status" ]; then
	echo "run-vm: QEMU exited with status $qrc before the guest reported one (see its message above); log in $LOG" >&2
	exit 96
fi
exit "$status"
