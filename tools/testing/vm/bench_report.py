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
goals = {"off_vs_unpatched": [], "share_hash": []}
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
        if k[0] in ("hash", "hash_noprealloc", "lru_hash"):
            goals["share_hash"].append((v["b"] - v["a"]) / (v["c"] - v["a"]))
    if ve and v["a"]:
        goals["off_vs_unpatched"].append(v["a"] / ve)
    p("%-16s %-7s %-6s %-7s %8s %8s %8s %8s %8s %8s  %5s %5s %5s %9s %6s  %s" % (
        k[0], "%d/%d" % (k[1], k[2]), k[3], k[4],
        *[v[c] if v[c] is not None else "-" for c in "abcdf"], ve or "-",
        ratio(v["b"], v["a"]), ratio(v["c"], v["a"]), ratio(v["d"], v["a"]), share,
        ratio(v["a"], ve), ", ".join(notes) or "captured = operations"))
p("")
# The scale rows: hash 4/8 updates from a program. Extra "ring=N" for our
# ring of N records (b); "ring=N buf=BYTES holds=R" for the peers (c, d),
# buffers sized for N of their records (the perf buffer's per CPU), capped:
# R < N. "maps=N": our ring with N - 1 other maps recording.
def fields(extra):
    return dict(t.split("=", 1) for t in extra.split() if "=" in t)

def size(n):
    for shift, name in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return "%d %s" % (n >> shift, name)
    return "%d B" % n

a_scale = get("patched", "hash", 4, 8, "update", "prog", "a")
scale = {}
for r in rows:
    if r["kernel"] == "patched" and r["extra"] and (r["map"], r["ks"], r["vs"], r["op"],
                                                    r["origin"]) == ("hash", 4, 8, "update", "prog"):
        fl = fields(r["extra"])
        if "ring" in fl:
            scale[(r["cfg"], int(fl["ring"]))] = r
rings = sorted({n for _, n in scale})
per = "ns" if unit == "ns" else "instructions"
p("Scale: hash 4/8, updates from a BPF program, %s/update, over (a) = %s" % (
    per, a_scale["instr"] if a_scale else "-"))
if rings:
    p("Rings of N records: ours (b); the peers' buffers sized for N of their")
    p("records (328 bytes: 64- and 256-byte key and value buffers), powers of 2:")
    p("(c) a BPF ringbuf, (d) a perf buffer per CPU; each peer's capped at 128 MiB")
    p("of the VM's 2 GiB in all (what our ring of 1M records takes), so holding")
    p("fewer where \"capped\". Same rounds and operations as the table; the plots")
    p("leave out figures whose check failed.")
    shdr = "  %-8s %6s %6s %6s %6s %6s %6s %11s  %-27s %-27s %s" % (
        "N", "b", "b-a", "c", "c-a", "d", "d-a", "(b-a)/(c-a)",
        "(c) ringbuf: holds", "(d) perf buffer/CPU: holds", "checks")
    p(shdr)
    for n in rings:
        cell = {c: scale.get((c, n)) for c in "bcd"}
        v = {c: cell[c]["instr"] if cell[c] else None for c in "bcd"}
        va = a_scale["instr"] if a_scale else None
        diff = {c: v[c] - va if v[c] is not None and va is not None else None for c in "bcd"}
        def buf(c):
            fl = fields(cell[c]["extra"]) if cell[c] else {}
            if "buf" not in fl:
                return "-" if not cell[c] else "?"
            held = int(fl.get("holds", 0))
            return "%s: %d%s" % (size(int(fl["buf"])), held, ", capped" if held < n else "")
        share = ("%.2f" % (diff["b"] / diff["c"]) if diff["b"] is not None and diff["c"]
                 and cell["c"]["note"] == "ok" else "-")
        notes = ["%s: %s %d/%d" % (c, cell[c]["note"], cell[c]["captured"], cell[c]["expected"])
                 for c in "bcd" if cell[c] and cell[c]["note"] != "ok"]
        p("  %-8d %6s %6s %6s %6s %6s %6s %11s  %-27s %-27s %s" % (
            n, *["-" if x is None else x for c in "bcd" for x in (v[c], diff[c])],
            share, buf("c"), buf("d"), ", ".join(notes) or "captured = operations"))
for r in rows:
    if r["kernel"] == "patched" and r["extra"].startswith("maps="):
        p("  %-12s %8d %s/update  (captured %d of %d)" % (
            r["extra"], r["instr"], per, r["captured"], r["expected"]))
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
def goal(text, xs, limit):
    verdict = "not measured" if not xs else ("met" if max(xs) <= limit else "NOT met")
    p("  %-58s %-12s %s" % (text, rng(xs), verdict))
def cell(m, ks, vs, op, origin, cfg):
    r = get("patched", m, ks, vs, op, origin, cfg)
    return r["instr"] if r else None
def b_over_a(m):
    a, b = cell(m, 4, 8, "update", "prog", "a"), cell(m, 4, 8, "update", "prog", "b")
    return [b / a] if a and b else []
rd = {r["reader"]: r["ns"] / r["records"] for r in readers if r["records"]}
reader = [rd["bpf_map_change"] / rd["bpf_map_elem"]] if len(rd) >= 2 else []
goal("recording off vs unpatched (a/e), every row, <= 1.01", goals["off_vs_unpatched"], 1.01)
goal("hash 4/8 update from a program, on vs off (b/a), <= 1.3", b_over_a("hash"), 1.3)
goal("(b-a)/(c-a), every hash, noprealloc, LRU row, <= 0.25", goals["share_hash"], 0.25)
goal("array 4/8 update from a program (b/a), <= 2.0", b_over_a("array"), 2.0)
goal("reader per record / bpf_map_elem per element, <= 1.0", reader, 1.0)
text = "\n".join(lines) + "\n"
open(os.path.join(out, "table.txt"), "w").write(text)
sys.stdout.write(text)

# Plots: what (b), (c) and (d) add to (a), against value size and ring size.
# A panel is (title, what one operation is, series); a series is (cfg,
# title, [(x, y)]); the .dat file holds them all, one gnuplot index each.
if unit == "ns":
    ylabel, ynote = "extra ns per %s", "ns (KVM, real time)"
else:
    ylabel, ynote = "extra guest instructions per %s", "guest instructions (QEMU -icount shift=0)"
SERIES = (("b", "(b) our ring"), ("c", "(c) fentry + BPF ringbuf"),
          ("d", "(d) kprobe + perf buffer"))
COLOR = {"b": "#7b2cbf", "c": "#2a9d8f", "d": "#e76f51"}

def plot(name, title, xlabel, panels, xtics="", logx=False):
    if not any(len(pts) >= 2 for _, _, series in panels for _, _, pts in series):
        return  # BENCH=quick: no ring sizes
    panels = [pn for pn in panels if any(pts for _, _, pts in pn[2])]
    data = os.path.join(out, name + ".dat")
    cmds, blocks = [], []
    for ptitle, what, series in panels:
        plots = []
        for c, stitle, pts in series:
            if not pts:
                continue  # gnuplot's index counts blocks with data only
            blocks.append("# %s: %s\n" % (ptitle, stitle) +
                          "".join("%s %s\n" % (x, y) for x, y in pts))
            plots.append("'%s' index %d using 1:2 with linespoints lw 2 pt 7 lc rgb '%s' "
                         "title '%s'" % (data, len(blocks) - 1, COLOR[c], stitle))
        cmds.append("set title '%s'; set ylabel '%s'; plot %s;" % (
            ptitle, ylabel % what, ", ".join(plots)))
    with open(data, "w") as fh:
        fh.write("# %s\n# x: %s; y: %s\n" % (title, xlabel, ynote))
        fh.write("\n\n".join(blocks))
    script = ("set terminal png size %d,580 font ',10'; set output '%s';"
              "set multiplot layout 1,%d title \"%s\\n%s, medians of 5 rounds of 500\";"
              "set xlabel '%s'; set yrange [0:*]; set offsets 0,0,graph 0.05,0; set grid;"
              "set key below; %s %s %s unset multiplot" % (
                  520 * len(panels) if len(panels) > 1 else 900,
                  os.path.join(out, name + ".png"), len(panels), title, ynote, xlabel,
                  "set logscale x 2;" if logx else "", xtics, "".join(cmds)))
    try:
        subprocess.run(["gnuplot", "-e", script], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print("bench: no plot %s: %s" % (name, err))

def ok_diff(r, a):
    return r["instr"] - a["instr"] if r and a and r["note"] == "ok" else None

SIZES = ((4, 8), (16, 64), (64, 256))
panels = []
for op, ptitle, what in (("update", "updates", "update"),
                         ("insdel", "insert+delete pairs", "pair")):
    series = []
    for c, stitle in SERIES:
        pts = []
        for ks, vs in SIZES:
            a = get("patched", "hash", ks, vs, op, "prog", "a")
            y = ok_diff(get("patched", "hash", ks, vs, op, "prog", c), a)
            if y is not None:
                pts.append((vs, y))
        series.append((c, stitle, pts))
    panels.append((ptitle, what, series))
plot("overhead_vs_value_size",
     "Cost of recording over recording off (a), hash map, from a BPF program",
     "key/value size (bytes)", panels,
     "set xtics (%s); set xrange [5:400];" % ", ".join('"%d/%d" %d' % (k, v, v) for k, v in SIZES),
     logx=True)

series = []
for c, stitle in SERIES:
    pts = []
    for n in rings:
        r = scale.get((c, n))
        y = ok_diff(r, a_scale)
        if y is not None:
            held = int(fields(r["extra"]).get("holds", n))
            pts.append((min(n, held), y))
    series.append((c, stitle + (" (per CPU)" if c == "d" else ""), sorted(pts)))
plot("overhead_vs_ring_size",
     "Cost of recording over recording off (a), hash 4/8 updates from a BPF program",
     "records the ring or buffer holds (peer buffers capped at 128 MiB: fewer at 1M)",
     [("against ring and buffer size", "update", series)],
     "set xtics (\"1K\" 1024, \"4K\" 4096, \"16K\" 16384, \"64K\" 65536, "
     "\"256K\" 262144, \"1M\" 1048576); set xrange [512:2097152];", logx=True)
