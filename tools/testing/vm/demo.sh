#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the VM: a hash map, changed with bpftool, printed by a
# pinned bpf_map_elem iterator through cat.
set -e
run() { echo "# $*"; "$@"; }
run bpftool map create /sys/fs/bpf/demo type hash key 4 value 8 entries 16 name demo
run bpftool map update pinned /sys/fs/bpf/demo key 1 0 0 0 value 10 0 0 0 0 0 0 0
run bpftool map update pinned /sys/fs/bpf/demo key 2 0 0 0 value 20 0 0 0 0 0 0 0
run bpftool map delete pinned /sys/fs/bpf/demo key 1 0 0 0
run bpftool iter pin /root/iter_hash_smoke.bpf.o /sys/fs/bpf/demo_iter map pinned /sys/fs/bpf/demo
run cat /sys/fs/bpf/demo_iter
