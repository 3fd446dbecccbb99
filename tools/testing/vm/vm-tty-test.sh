#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   vm-tty-test.sh [KERNEL INITRAMFS]
# make test-vm: run-vm.sh as `make vm` uses it. With no VM (a fake QEMU):
# its messages for a missing QEMU, kernel or initramfs, a timeout, a panic,
# and the KVM probe's cache keyed by the host. With KERNEL and INITRAMFS,
# three boots: on a terminal Ctrl-C stops the guest's command, not the VM,
# and Ctrl-D powers it off; piped input arrives whole; a command given with
# -i (make vm CMD=...) runs and returns its exit status.
set -uo pipefail
HERE=$(dirname "$(realpath "$0")")
RUNVM=$HERE/run-vm.sh
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PASS=0 FAIL=0

check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok   $name"
		PASS=$((PASS + 1))
	else
		echo "FAIL $name"
		FAIL=$((FAIL + 1))
		return 1
	fi
}

# run-vm.sh with its stdout and stderr in $WORK/out and $WORK/err, status in $rc
run() {
	"$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
	rc=$?
}
err_has() { grep -Eq "$1" "$WORK/err"; }
one_line() { [ "$(grep -c '^run-vm: ' "$WORK/err")" = 1 ] && grep -Eq "^run-vm: .*$1" "$WORK/err"; }
show_err() { sed 's/^/     | /' "$WORK/err"; }

# --- no VM: a fake QEMU ------------------------------------------------------
mkdir -p "$WORK/fake" "$WORK/noqemu" "$WORK/vm"
cat > "$WORK/fake/qemu-system-x86_64" <<'EOF'
#!/bin/sh
case " $* " in *" --version "*)
	echo "QEMU emulator version ${FAKE_QEMU_VERSION:-9.9.9}"; exit 0 ;; esac
case " $* " in *" kvm "*) exit 1 ;; esac
case ${FAKE_QEMU:-ok} in
hang) exec sleep 600 ;;
panic) echo "[    1.000000] Kernel panic - not syncing: Attempted to kill init!" ;;
fail) echo "qemu-system-x86_64: -fake: invalid option" >&2; exit 1 ;;
*) echo "@@MC-EXIT=0@@" ;;
esac
EOF
chmod +x "$WORK/fake/qemu-system-x86_64"
echo kernel > "$WORK/vm/bzImage"
echo initrd > "$WORK/vm/initrd"
FK=$WORK/vm/bzImage FI=$WORK/vm/initrd FL=$WORK/vm/vm.log
FPATH=$WORK/fake:$PATH

# what run-vm.sh uses, but not QEMU
for t in basename cat chmod cpio dirname find grep gzip head mkdir mktemp \
	realpath rm sed stty tail tee timeout tr uname; do
	ln -s "$(command -v $t)" "$WORK/noqemu/$t"
done
run env PATH="$WORK/noqemu" "$RUNVM" -l "$FL" "$FK" "$FI" true
check "no QEMU: one line naming it and what to install" \
	eval '[ $rc = 2 ] && one_line "qemu-system-x86_64.*not found.*(make deps|apt)"' || show_err
run env PATH="$FPATH" "$RUNVM" -l "$FL" "$WORK/vm/none" "$FI" true
check "no kernel: one line naming it, run make first" \
	eval '[ $rc = 2 ] && one_line "no kernel.*vm/none.*run .*make"' || show_err
run env PATH="$FPATH" "$RUNVM" -l "$FL" "$FK" "$WORK/vm/none" true
check "no initramfs: one line naming it, run make first" \
	eval '[ $rc = 2 ] && one_line "no initramfs.*vm/none.*run .*make"' || show_err
run env PATH="$FPATH" "$RUNVM" -l "$FL" "$FK"
check "too few arguments: usage" eval '[ $rc = 2 ] && err_has "^usage: "' || show_err

run env PATH="$FPATH" FAKE_QEMU=hang "$RUNVM" -t 2 -l "$FL" "$FK" "$FI" true
check "timeout: says so, with the limit and -t" \
	eval '[ $rc = 97 ] && err_has "^run-vm: timeout: .* 2s.*-t" && ! err_has "panic"' || show_err
run env PATH="$FPATH" FAKE_QEMU=panic "$RUNVM" -l "$FL" "$FK" "$FI" true
check "panic: says so, with the panic line" \
	eval '[ $rc = 98 ] && err_has "^run-vm: kernel panic: .*Attempted to kill init" && ! err_has timeout' || show_err
run env PATH="$FPATH" FAKE_QEMU=fail "$RUNVM" -l "$FL" "$FK" "$FI" true
check "QEMU failing: says so, with its status" \
	eval '[ $rc = 96 ] && err_has "^run-vm: QEMU exited with status 1 " && ! err_has "timeout|panic"' || show_err
run env PATH="$FPATH" "$RUNVM" -l "$FL" "$FK" "$FI" true
check "a run that reports its status: 0" eval '[ $rc = 0 ]' || show_err

# the KVM probe's answer holds for one host only
rm -f "$WORK/vm"/kvm-probe*
echo kvm > "$WORK/vm/kvm-probe"
run env PATH="$FPATH" "$RUNVM" -l "$FL" "$FK" "$FI" true
check "KVM probe: a cache of no known host is probed again" \
	eval 'err_has "KVM probe" && [ "$(cat "$WORK/vm/kvm-probe")" = tcg ]' || show_err
run env PATH="$FPATH" "$RUNVM" -l "$FL" "$FK" "$FI" true
check "KVM probe: the same host uses the cache" eval '! err_has "KVM probe"' || show_err
run env PATH="$FPATH" FAKE_QEMU_VERSION=1.0 "$RUNVM" -l "$FL" "$FK" "$FI" true
check "KVM probe: another QEMU probes again" eval 'err_has "KVM probe"' || show_err

# --- the VM ------------------------------------------------------------------
if [ $# -lt 2 ]; then
	echo "vm-tty-test: $PASS passed, $FAIL failed (no KERNEL INITRAMFS: no VM)"
	[ $FAIL = 0 ]
	exit
fi
KERNEL=$1 INITRD=$2
LOGDIR=$(dirname "$(realpath "$INITRD")")

# Drive a command on a pseudo-terminal: drive_tty.py LOG SCRIPT ARGV...; SCRIPT is
# "interactive" (Ctrl-C, then Ctrl-D) or "status N" (runs alone, exits N).
cat > "$WORK/drive_tty.py" <<'EOF'
import os, pty, re, select, signal, sys, time
log, script, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
	os.execvp(argv[0], argv)
buf = b""
def expect(pat, secs):
	global buf
	end = time.time() + secs
	while not re.search(pat, buf, re.S):
		left = end - time.time()
		if left <= 0 or not select.select([fd], [], [], left)[0]:
			return False
		try:
			data = os.read(fd, 4096)
		except OSError:
			data = b""
		if not data:
			return False
		buf += data
	return True
def result(name, ok):
	print(("ok   " if ok else "FAIL ") + name, flush=True)
def wait(secs):
	end = time.time() + secs
	expect(rb"\Z.", secs)	# read until EOF or the deadline
	while time.time() < end:
		p, st = os.waitpid(pid, os.WNOHANG)
		if p:
			return os.waitstatus_to_exitcode(st)
		time.sleep(0.2)
	os.killpg(pid, signal.SIGKILL)
	os.waitpid(pid, 0)
	return None
if script == "interactive":
	up = expect(rb"mc-init:[^\n]*\n.*# ", 150)
	result("terminal: a shell prompt", up)
	if up:
		os.write(fd, b"echo sleep-start; sleep 600\n")
		expect(rb"\nsleep-start", 30)
		time.sleep(1)
		try:
			os.write(fd, b"\x03")
			time.sleep(1)
			os.write(fd, b"echo after-ctrl-c\n")
		except OSError:
			pass
		result("terminal: Ctrl-C stops sleep 600, the shell goes on",
		       expect(rb"\nafter-ctrl-c\r*\n[^\n]*# ", 30))
		try:
			os.write(fd, b"\x04")
		except OSError:
			pass
	rc = wait(60)
	result("terminal: Ctrl-D powers the VM off (exit %s)" % rc,
	       rc == 0 and b"@@MC-EXIT=" in buf)
else:
	want = int(script.split()[1])
	rc = wait(150)
	result("terminal: a command runs alone and returns its status (%s, want %d)"
	       % (rc, want), rc == want and re.search(rb"\ncmd-ok", buf) is not None)
open(log, "wb").write(buf)
EOF

vmcheck() {
	local out
	out=$(python3 "$WORK/drive_tty.py" "$@") && [ -n "$out" ] || out+=$'\nFAIL the terminal driver failed'
	echo "$out"
	PASS=$((PASS + $(grep -c '^ok ' <<< "$out")))
	FAIL=$((FAIL + $(grep -c '^FAIL' <<< "$out")))
}

T0=$(date +%s)
vmcheck "$LOGDIR/vm-tty-ctrlc.pty" interactive "$RUNVM" -i -l "$LOGDIR/vm-tty-ctrlc.log" "$KERNEL" "$INITRD"
vmcheck "$LOGDIR/vm-tty-cmd.pty" "status 3" "$RUNVM" -i -t 120 -l "$LOGDIR/vm-tty-cmd.log" \
	"$KERNEL" "$INITRD" 'echo cmd-ok; exit 3'

printf 'echo piped-ok\necho "second line"\n' |
	timeout -s KILL 150 "$RUNVM" -i -t 120 -l "$LOGDIR/vm-tty-pipe.log" "$KERNEL" "$INITRD" \
	> "$WORK/out" 2> "$WORK/err"
rc=$?
check "piped input reaches the guest whole (exit $rc)" \
	eval '[ $rc = 0 ] && grep -qx "piped-ok" "$WORK/out" && grep -qx "second line" "$WORK/out"' ||
	{ show_err; tail -n 5 "$WORK/out" | sed 's/^/     > /'; }

echo "vm-tty-test: $PASS passed, $FAIL failed ($(($(date +%s) - T0))s in the VM)"
[ $FAIL = 0 ]
