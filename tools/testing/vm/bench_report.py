#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of map_change_bench: a table, CSV and plots from the consoles of
the patched and unpatched boots (bench.sh). Figures are guest instructions
per operation (QEMU -icount shift=0)."""
import csv
import os
import subprocess
import sys
import time

out = sys.argv[1]
rows, readers = [], []
for kernel in ("patched", "unpatched", "pcpu64"):
    path = os.path.join(out, kernel + ".log")
    if not os.path.exists(path):
        continue
    for line in open(path, errors="replace"):
        line = line.strip()
        if line.startswith("BENCH,"):
            f = line.split(",")
            rows.append(dict(kernel=f[1], map=f[2], ks=int(f[3]), vs=int(f[4]),
                             op=f[5], origin=f[6], cfg=f[7], instr=int(f[8]),
                             captured=int(f[9]), expected=int(f[10]),
                             note=f[11], extra=f[12] if len(f) > 12 else ""))
        elif line.startswith("READER,"):
            f = line.split(",")
            readers.append(dict(kernel=f[1], reader=f[2], n=int(f[3]),
                                records=int(f[4]), ns=int(f[5])))

with open(os.path.join(out, "results.csv"), "w", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()) if rows else ["none"])
    w.writeheader()
    w.writerows(rows)

def get(kernel, m, ks, vs, op, origin, cfg, extra=""):
    for r in rows:
        if (r["kernel"], r["map"], r["ks"], r["vs"], r["op"], r["origin"], r["cfg"], r["extra"]) == \
           (kernel, m, ks, vs, op, origin, cfg, extra):
            return r
    return None

def ratio(x, y):
    return "%.2f" % (x / y) if x is not None and y else "-"

lines = []
p = lines.append
unit = os.environ.get("BENCH_UNIT", "instructions")
p("map_change_bench, %s" % time.strftime("%Y-%m-%d"))
if unit == "ns":
    p("Nanoseconds per operation (QEMU with KVM, real time).")
else:
    p("Guest instructions per operation (QEMU TCG, -icount shift=0: 1 ns = 1 instruction),")
p("median of 5 interleaved rounds of 500 operations; release kernel (-O2), 2 vCPUs.")
p("icount counts each byte of a 'rep movsb' copy as an instruction, which real CPUs")
p("do not pay, and models no caches or contention: compare ratios, not absolutes.")
p("(a) recording off  (b) our ring on  (c) fentry + BPF ringbuf  (d) kprobe + perf buffer")
p("(f) fentry program on our hook  (e) = (a) on the unpatched kernel")
p("")
hdr = "%-16s %-7s %-6s %-7s %8s %8s %8s %8s %8s %8s  %5s %5s %5s %9s %6s  %s" % (
    "map", "k/v", "op", "origin", "a", "b", "c", "d", "f", "e", "b/a", "c/a", "d/a",
    "(b-a)/(c-a)", "a/e", "checks")
p(hdr)
p("-" * len(hdr))
keys = []
for r in rows:
    k = (r["map"], r["ks"], r["vs"], r["op"], r["origin"])
    if r["kernel"] == "patched" and not r["extra"] and k not in keys:
        keys.append(k)
goals = {"off_vs_unpatched": [], "b_over_a_small": [], "share_of_peer": []}
for k in keys:
    cells = {c: get("patched", *k, c) for c in "abcdf"}
    e = get("unpatched", *k, "a")
    v = {c: (cells[c]["instr"] if cells[c] else None) for c in "abcdf"}
    ve = e["instr"] if e else None
    notes = sorted({"%s: %s %d/%d" % (c, cells[c]["note"], cells[c]["captured"], cells[c]["expected"])
                    for c in "bcdf" if cells[c] and cells[c]["note"] != "ok"})
    share = "-"
    peer_ok = cells["c"] is not None and cells["c"]["note"] == "ok"
    if peer_ok and None not in (v["a"], v["b"]) and v["c"] != v["a"]:
        share = "%.2f" % ((v["b"] - v["a"]) / (v["c"] - v["a"]))
        if k[4] == "prog":
            goals["share_of_peer"].append((v["b"] - v["a"]) / (v["c"] - v["a"]))
    if ve and v["a"]:
        goals["off_vs_unpatched"].append(v["a"] / ve)
    if k[1] == 4 and v["a"] and v["b"]:
        goals["b_over_a_small"].append(v["b"] / v["a"])
    p("%-16s %-7s %-6s %-7s %8s %8s %8s %8s %8s %8s  %5s %5s %5s %9s %6s  %s" % (
        k[0], "%d/%d" % (k[1], k[2]), k[3], k[4],
        *[v[c] if v[c] is not None else "-" for c in "abcdf"], ve or "-",
        ratio(v["b"], v["a"]), ratio(v["c"], v["a"]), ratio(v["d"], v["a"]), share,
        ratio(v["a"], ve), ", ".join(notes) or "captured = operations"))
p("")
p("Scale: hash 4/8, updates from a BPF program, recording on (b)")
for r in rows:
    if r["extra"] and r["kernel"] == "patched":
        p("  %-12s %8d instructions/update  (captured %d of %d)" % (
            r["extra"], r["instr"], r["captured"], r["expected"]))
pcpu = [r for r in rows if r["kernel"] == "pcpu64" and r["cfg"] == "a"]
if pcpu:
    p("")
    p("Per-CPU removals at %s possible CPUs (one more boot, -smp 64):" %
      pcpu[0]["extra"].split("=")[1])
    p("a delete records every possible CPU's value, copied with IRQs off under")
    p("the bucket lock; eviction copies the same way. Insert+delete pairs:")
    p("  %-16s %-7s %-7s %8s %8s %8s  %s" % ("map", "k/v", "origin", "a", "b", "b-a", "checks"))
    for r in pcpu:
        b = get("pcpu64", r["map"], r["ks"], r["vs"], r["op"], r["origin"], "b", r["extra"])
        p("  %-16s %-7s %-7s %8d %8s %8s  %s" % (
            r["map"], "%d/%d" % (r["ks"], r["vs"]), r["origin"], r["instr"],
            b["instr"] if b else "-", b["instr"] - r["instr"] if b else "-",
            "captured = operations" if b and b["note"] == "ok" else
            (b["note"] if b else "no b")))
p("")
p("Reader: read(2) of a whole iterator, hash 4/8; a poll reads the records a")
p("follower has not seen (the last ones) of a full ring")
for r in readers:
    if r["records"]:
        p("  %-15s %6d records  %7.0f instructions/record  %9.0f records per 10^9 instructions" % (
            r["reader"], r["records"], r["ns"] / r["records"], r["records"] * 1e9 / r["ns"]))
p("")
p("Goals")
def rng(xs):
    return "%.3f..%.3f" % (min(xs), max(xs)) if xs else "not measured"
p("  recording off vs unpatched (a/e), goal <= 1.01:        %s" % rng(goals["off_vs_unpatched"]))
p("  recording on vs off, 4-byte keys (b/a), goal <= 1.3:   %s" % rng(goals["b_over_a_small"]))
p("  our overhead / fentry+ringbuf's, programs, goal <= 1/3: %s" % rng(goals["share_of_peer"]))
text = "\n".join(lines) + "\n"
open(os.path.join(out, "table.txt"), "w").write(text)
sys.stdout.write(text)

# plots: overhead per update against value size and against ring size
def plot(name, title, xlabel, points, logx=False):
    if len(points) < 2:
        return  # BENCH=quick: one size, no ring sizes
    data = os.path.join(out, name + ".dat")
    with open(data, "w") as fh:
        for x, y in points:
            fh.write("%s %s\n" % (x, y))
    script = ("set terminal png size 800,500; set output '%s';"
              "set title '%s'; set xlabel '%s'; set ylabel 'extra instructions per update';"
              "set yrange [0:*]; %s set grid; plot '%s' using 1:2 with linespoints title '(b) - (a)'" % (
                  os.path.join(out, name + ".png"), title, xlabel,
                  "set logscale x 2;" if logx else "", data))
    try:
        subprocess.run(["gnuplot", "-e", script], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print("bench: no plot %s: %s" % (name, err))

pts = []
for ks, vs in ((4, 8), (16, 64), (64, 256)):
    a = get("patched", "hash", ks, vs, "update", "prog", "a")
    b = get("patched", "hash", ks, vs, "update", "prog", "b")
    if a and b:
        pts.append((vs, b["instr"] - a["instr"]))
plot("overhead_vs_value_size", "hash, update from a BPF program", "value size (bytes)", pts)
pts = []
a = get("patched", "hash", 4, 8, "update", "prog", "a")
for r in rows:
    if r["extra"].startswith("ring=") and a:
        pts.append((int(r["extra"][5:]), r["instr"] - a["instr"]))
plot("overhead_vs_ring_size", "hash 4/8, update from a BPF program", "ring size (records)",
     pts, logx=True)
