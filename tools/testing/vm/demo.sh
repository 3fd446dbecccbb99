#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the VM: a hash map with BTF, changed by bpftool and by
# a BPF program; its history through cat of a pinned bpf_map_change
# iterator and through bpftool map history.
set -e
run() { echo; echo "# $*"; "$@"; }
OBJ=/root/map_history_print.bpf.o
M=/sys/fs/bpf/demo_maps/counters
run bpftool prog loadall $OBJ /sys/fs/bpf/demo pinmaps /sys/fs/bpf/demo_maps
run bpftool map history pinned $M pin /sys/fs/bpf/counters_history
run bpftool iter pin $OBJ /sys/fs/bpf/counters_print map pinned $M
run bpftool map update pinned $M key 1 0 0 0 value 10 0 0 0 0 0 0 0
run bpftool map update pinned $M key 2 0 0 0 value 20 0 0 0 0 0 0 0
run bpftool map update pinned $M key 1 0 0 0 value 11 0 0 0 0 0 0 0 exist
run bpftool map delete pinned $M key 2 0 0 0
head -c 64 /dev/zero > /tmp/pkt
run bpftool prog run pinned /sys/fs/bpf/demo/bump data_in /tmp/pkt repeat 2
run cat /sys/fs/bpf/counters_print
run bpftool map history pinned $M
run bpftool map history pinned $M key 1 0 0 0 op update
echo; echo "# bpftool -p map history pinned $M since 4 | head -24"
bpftool -p map history pinned $M since 4 | head -24
echo
run bpftool link show
# a map that nothing records has no history, and bpftool says so
run bpftool map create /sys/fs/bpf/idle type hash key 4 value 8 entries 4 name idle
run bpftool map history pinned /sys/fs/bpf/idle || echo "(exit status $?)"

# A live upgrade: writers keep changing map A while its entries move to
# map B of a new layout: a bulk copy and a replay of A's history, or a bulk
# copy and tracing programs on the hooks translating each change.
echo
echo "# test_progs -t map_upgrade   (prog_tests/map_upgrade.c)"
cd /root/selftests && ./test_progs -t map_upgrade 2>/dev/null | grep -E '^#|Summary'
cat /tmp/figures/map_upgrade_*
