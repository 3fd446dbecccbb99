#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the VM: a hash map changed by bpftool and by a BPF
# program; its history printed by cat of a pinned bpf_map_change iterator.
set -e
run() { echo "# $*"; "$@"; }
OBJ=/root/map_history_print.bpf.o
run bpftool map create /sys/fs/bpf/counters type hash key 4 value 8 entries 16 name counters
run bpftool iter pin $OBJ /sys/fs/bpf/counters_history map pinned /sys/fs/bpf/counters
run bpftool map update pinned /sys/fs/bpf/counters key 1 0 0 0 value 10 0 0 0 0 0 0 0
run bpftool map update pinned /sys/fs/bpf/counters key 2 0 0 0 value 20 0 0 0 0 0 0 0
run bpftool map update pinned /sys/fs/bpf/counters key 1 0 0 0 value 11 0 0 0 0 0 0 0 exist
run bpftool map delete pinned /sys/fs/bpf/counters key 2 0 0 0
run bpftool prog loadall $OBJ /sys/fs/bpf/demo map name counters pinned /sys/fs/bpf/counters
head -c 64 /dev/zero > /tmp/pkt
run bpftool prog run pinned /sys/fs/bpf/demo/bump data_in /tmp/pkt repeat 3
run cat /sys/fs/bpf/counters_history
