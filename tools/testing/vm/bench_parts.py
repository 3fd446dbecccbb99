#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a record's instructions go (make bench): from the per-instruction
counts that the insn_profile QEMU plugin wrote at each of map_change_bench's
marks ("parts" mode), subtract recording off (a) from recording on (b),
instruction by instruction, and charge each instruction to the part of the
record whose code it is: the innermost function of our list in its inline
chain (addr2line -i on vmlinux, which has DWARF).

    bench_parts.py OUTDIR VMLINUX    (reads OUTDIR/parts.log, OUTDIR/prof.N)
"""
import collections
import os
import re
import subprocess
import sys

out, vmlinux = sys.argv[1], sys.argv[2]

# Parts of a record, by the functions their code is in (innermost first).
PARTS = [
    ("timestamp", r"^(ktime_get_mono_fast_ns|__ktime_get_fast_ns|read_tsc|"
                  r"rdtsc.*|native_read_tsc|tk_clock_read|timekeeping_.*|"
                  r"fast_tk_get_delta_ns|timekeeping_cycles_to_ns)$"),
    ("claim", r"^map_trace_(claim|drop|slot)$"),
    ("header", r"^map_trace_(fill_hdr|origin)$"),
    ("key+value copy", r"^(map_trace_copy.*|map_trace_zero_fields|copy_map_value.*|"
                       r"bpf_obj_memcpy|memcpy|__memcpy|memcpy_orig|put_unaligned|"
                       r"get_unaligned)$"),
    ("time store, publish", r"^map_trace_commit$"),
    ("hook call", r"^(__?bpf_map_trace_hook_.*|bpf_map_trace_hooked|"
                  r"bpf_map_trace_(update|delete)_elem)$"),
    ("entry, ring checks", r"^(__bpf_map_trace_.*|map_trace_(begin|ring|"
                           r"context_ok|nr_percpu)|bpf_map_trace_.*)$"),
]
PARTS = [(name, re.compile(rx)) for name, rx in PARTS]
MAP_CODE = "map code, traced copy"
MAP_RX = re.compile(r"^(__?htab_|htab_|__?array_|array_|bpf_map_|lookup_elem_raw|"
                    r"prealloc_lru_pop|pcpu_|alloc_htab_elem|free_htab_elem|"
                    r"check_flags|bpf_lru_)")
OTHER_KERNEL = "other (interrupts...)"
JIT = "BPF programs (JIT)"


def read_counts(path):
    counts = {}
    for line in open(path):
        addr, n = line.split()
        counts[int(addr, 16)] = int(n)
    return counts


CHAINS = {}


def inline_chains(addrs):
    """addr -> [function, ...] innermost first, from addr2line -i; each
    address resolved once over all the phases."""
    todo = [a for a in addrs if a not in CHAINS]
    if todo:
        CHAINS.update(addr2line(todo))
    return CHAINS


def addr2line(addrs):
    inp = "".join("%x\n" % a for a in addrs)
    res = subprocess.run(["addr2line", "-a", "-f", "-i", "-e", vmlinux],
                         input=inp, capture_output=True, text=True, check=True)
    chains, cur = {}, None
    lines = res.stdout.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("0x"):
            cur = int(line, 16)
            chains[cur] = []
            i += 1
            continue
        chains[cur].append(line.strip())
        i += 2  # function, then file:line
    return chains


def part_of(chain):
    if not chain or chain[0] == "??":
        return JIT
    for fn in chain:
        fn = fn.split(".")[0]  # GCC clones: foo.constprop.0, foo.isra.0
        for name, rx in PARTS:
            if rx.match(fn):
                return name
    if any(MAP_RX.match(fn) for fn in chain):
        return MAP_CODE
    return OTHER_KERNEL


phases, marks = {}, None
for line in open(os.path.join(out, "parts.log"), errors="replace"):
    line = line.strip()
    if line.startswith("PARTS,"):
        _, label, phase, ops, idx = line.split(",")
        phases[(label, phase)] = (int(ops), int(idx))
    elif line.startswith("PARTS_MARKS,"):
        marks = int(line.split(",")[1])
dumps = len([f for f in os.listdir(out) if re.match(r"prof\.\d+$", f)])
if marks is None or dumps != marks:
    sys.exit("bench_parts: %s marks in parts.log, %d counts files: not one file per mark"
             % (marks, dumps))

lines = []
p = lines.append
p("Where a record's instructions go: (b) - (a) per operation, instruction by")
p("instruction (QEMU plugin insn_profile counting each kernel instruction's runs,")
p("addr2line -i on vmlinux naming the code's part); patched release kernel")
labels = []
for (label, phase) in phases:
    if label != "reader" and label not in labels:
        labels.append(label)
for label in labels:
    if (label, "a") not in phases or (label, "b") not in phases:
        continue
    (na, ia), (nb, ib) = phases[(label, "a")], phases[(label, "b")]
    ca = read_counts(os.path.join(out, "prof.%d" % ia))
    cb = read_counts(os.path.join(out, "prof.%d" % ib))
    addrs = set(ca) | set(cb)
    chains = inline_chains(sorted(addrs))
    per = collections.Counter()
    for a in addrs:
        per[part_of(chains.get(a))] += cb.get(a, 0) / nb - ca.get(a, 0) / na
    total_a = sum(ca.values()) / na
    total_b = sum(cb.values()) / nb
    recs = 2 if "insdel" in label else 1
    p("")
    p("  %s: a %.0f, b %.0f kernel+JIT instructions per operation, %d record%s each"
      % (label, total_a, total_b, recs, "s" if recs > 1 else ""))
    p("    %-24s %8s %8s" % ("part", "per op", "share"))
    diff = total_b - total_a
    for name in [n for n, _ in PARTS] + [MAP_CODE, OTHER_KERNEL, JIT]:
        v = per.get(name, 0)
        if abs(v) < 0.5 and name in (MAP_CODE, OTHER_KERNEL, JIT):
            continue
        p("    %-24s %8.1f %7.0f%%" % (name, v, 100 * v / diff if diff else 0))
    p("    %-24s %8.1f" % ("(b) - (a)", diff))

# The readers: per record, by function (the outermost of each inline chain).
rd = [(ph, v) for (label, ph), v in phases.items() if label == "reader"]
if rd:
    p("")
    p("  Readers, one read(2) of a whole iterator: instructions per record, by function")
    for ph, (n, idx) in rd:
        c = read_counts(os.path.join(out, "prof.%d" % idx))
        chains = inline_chains(sorted(c))
        per = collections.Counter()
        for a, k in c.items():
            ch = chains.get(a)
            fn = JIT if not ch or ch[0] == "??" else ch[-1].split(".")[0]
            per[fn] += k / max(n, 1)
        total = sum(per.values())
        top = per.most_common(8)
        p("    %s: %.0f per record (%d records)" % (ph, total, n))
        for fn, v in top:
            p("      %-40s %7.1f" % (fn, v))
        p("      %-40s %7.1f" % ("(other)", total - sum(v for _, v in top)))
text = "\n".join(lines) + "\n"
open(os.path.join(out, "parts.txt"), "w").write(text)
sys.stdout.write(text)
