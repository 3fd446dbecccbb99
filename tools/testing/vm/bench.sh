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
