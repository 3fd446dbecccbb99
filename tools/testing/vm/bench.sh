#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   bench.sh KERNEL_PATCHED KERNEL_UNPATCHED INITRAMFS OUTDIR [quick]
# make bench: map_change_bench on the release kernel with and without the
# series, each in one boot of QEMU TCG with -icount shift=0 (guest ns =
# instructions), then the report (text, CSV, plots) in OUTDIR.
set -euo pipefail
HERE=$(dirname "$(realpath "$0")")
KPATCHED=$1 KBASE=$2 INITRD=$3 OUT=$4 MODE=${5:-}
mkdir -p "$OUT"
for k in patched unpatched; do
	kern=$KPATCHED
	[ $k = unpatched ] && kern=$KBASE
	echo "bench: $k kernel under -icount shift=0 (console: $OUT/$k.log)"
	"$HERE/run-vm.sh" -c -t 5000 -l "$OUT/$k.log" "$kern" "$INITRD" \
		"map_change_bench $k $MODE" > /dev/null
	if ! grep -q "^BENCH," "$OUT/$k.log"; then
		echo "bench: no figures from the $k kernel (see $OUT/$k.log)" >&2
		exit 1
	fi
done
if [ "$MODE" = quick ]; then
	python3 "$HERE/bench_report.py" "$OUT"
	exit 0
fi
# Per-CPU removals copy every possible CPU's value: once more at 64. Linux
# counts QEMU's hotpluggable CPUs as possible only under a hypervisor it
# knows, not TCG: boot 64 vCPUs (idle but for the benchmark's thread).
echo "bench: patched kernel, 64 CPUs (console: $OUT/pcpu64.log)"
if ! "$HERE/run-vm.sh" -c -s 64 -t 3000 -l "$OUT/pcpu64.log" \
		"$KPATCHED" "$INITRD" "map_change_bench pcpu64 pcpu" > /dev/null ||
	! grep -q "^BENCH," "$OUT/pcpu64.log"; then
	echo "bench: no figures from the 64-CPU boot (see $OUT/pcpu64.log)" >&2
fi
python3 "$HERE/bench_report.py" "$OUT"

# Where a record's instructions go: one more boot of the patched kernel,
# with a QEMU plugin counting each kernel instruction's runs, written out
# at each mark of map_change_bench's "parts" mode (a syscall nothing else
# makes); bench_parts.py charges (b) - (a) to the parts of a record.
KDIR=$(realpath "$(dirname "$KPATCHED")/../../..")
gcc -O2 -Wall -shared -fPIC -o "$OUT/insn_profile.so" "$HERE/insn_profile.c"
mark=$(awk '$3 == "__x64_sys_sched_rr_get_interval" { print $1 }' "$KDIR/System.map")
rm -f "$OUT"/prof.*
echo "bench: patched kernel, counting instructions by address (console: $OUT/parts.log)"
if QEMU_EXTRA="-plugin $OUT/insn_profile.so,out=$OUT/prof,trigger=$mark" \
	"$HERE/run-vm.sh" -c -t 1500 -l "$OUT/parts.log" "$KPATCHED" "$INITRD" \
		"map_change_bench patched parts" > /dev/null &&
	python3 "$HERE/bench_parts.py" "$OUT" "$KDIR/vmlinux" > /dev/null; then
	{ echo; cat "$OUT/parts.txt"; } | tee -a "$OUT/table.txt"
else
	echo "bench: no breakdown of a record (see $OUT/parts.log)" >&2
fi
rm -f "$OUT"/prof.*

# Two writers on one map, recording off and on: a sanity check, not a
# figure (map_trace.rst, "Scaling with CPUs"). Real time, so no -icount:
# multi-threaded TCG, one host thread per vCPU, on host cores that other
# work may share.
echo "bench: patched kernel, two writer threads in real time (console: $OUT/mt.log)"
if "$HERE/run-vm.sh" -t 900 -l "$OUT/mt.log" "$KPATCHED" "$INITRD" \
		"map_change_bench patched mt" > /dev/null && grep -q '^MT,on,' "$OUT/mt.log"; then
	awk -F, '/^MT,MISMATCH/ { bad = bad "\n  " $3 }
		/^MT,(off|clock|on),/ { r[$2, $3] = $4 }
		END {
			print "\nTwo writers, hash 4/8 updates from a program, one thread per vCPU:"
			print "a sanity check, not a figure (real time under multi-threaded TCG,"
			print "2 vCPUs; a guest atomic is a host atomic, diluted by TCG). \"clock\":"
			print "recording off, the program reading the clock once an update, as a"
			print "record does (bpf_ktime_get_ns())."
			printf "  %-22s %12s %12s %6s\n", "updates/s", "1 thread", "2 threads", "2/1"
			split("off clock on", k, " ")
			for (i = 1; i <= 3; i++)
				printf "  %-22s %12.0f %12.0f %6.2f\n", k[i],
					r[k[i], 1], r[k[i], 2], r[k[i], 2] / r[k[i], 1]
			printf "  %-22s %12.2f %12.2f\n", "on/off", r["on", 1] / r["off", 1],
				r["on", 2] / r["off", 2]
			printf "  %-22s %12.2f %12.2f\n", "on/clock", r["on", 1] / r["clock", 1],
				r["on", 2] / r["clock", 2]
			if (bad != "")
				print "  records != updates:" bad
		}' "$OUT/mt.log" | tee -a "$OUT/table.txt"
else
	echo "bench: no two-writer check (see $OUT/mt.log)" >&2
fi

# Where KVM works (run-vm.sh probes it once), the same in real time: ns.
if [ "$(cat "$(dirname "$INITRD")/kvm-probe" 2>/dev/null)" = kvm ]; then
	mkdir -p "$OUT/kvm"
	for k in patched unpatched; do
		kern=$KPATCHED
		[ $k = unpatched ] && kern=$KBASE
		echo "bench: $k kernel under KVM (console: $OUT/kvm/$k.log)"
		"$HERE/run-vm.sh" -t 5000 -l "$OUT/kvm/$k.log" "$kern" "$INITRD" \
			"map_change_bench $k" > /dev/null
	done
	BENCH_UNIT=ns python3 "$HERE/bench_report.py" "$OUT/kvm"
else
	echo "bench: no KVM here; figures are guest instructions only"
fi
