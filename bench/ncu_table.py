#!/usr/bin/env python3
# One line per kernel launch from `ncu` text output (bench/gpu_profile.sh):
# name, grid, threads, duration, SM and DRAM throughput, achieved occupancy,
# registers; then the total. Usage: bench/ncu_table.py ncu_B256.txt
import re, sys
rows = []
cur = None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^  (\S.*?) \((\d+), (\d+), (\d+)\)x\((\d+), (\d+), (\d+)\), Context", line)
    if m:
        name = m.group(1)
        name = re.sub(r"\(.*", "", name)
        name = re.sub(r"void |bf::", "", name)
        cur = {"name": name[:48], "grid": "%sx%sx%s" % m.group(2, 3, 4), "thr": m.group(5)}
        rows.append(cur)
        continue
    if cur is None:
        continue
    for key, pat in (("dur", r"^\s+Duration\s+(\S+)\s+([\d.,]+)"), ("dram", r"^\s+DRAM Throughput\s+%\s+([\d.,]+)"),
                     ("sm", r"^\s+Compute \(SM\) Throughput\s+%\s+([\d.,]+)"), ("occ", r"^\s+Achieved Occupancy\s+%\s+([\d.,]+)"),
                     ("regs", r"^\s+Registers Per Thread\s+\S+\s+([\d.,]+)")):
        m = re.match(pat, line)
        if m:
            if key == "dur":
                v = float(m.group(2).replace(",", ""))
                unit = m.group(1)
                v = v / 1000 if unit.startswith("n") else v * 1000 if unit.startswith("m") else v
                cur[key] = "%.1f" % v
            else:
                cur[key] = m.group(1)
tot = 0.0
for r in rows:
    tot += float(r.get("dur", 0))
    print("%-48s %-12s %4s %8s us  sm %5s%%  dram %5s%%  occ %5s%%  regs %s" % (
        r["name"], r["grid"], r["thr"], r.get("dur", "?"), r.get("sm", "?"), r.get("dram", "?"), r.get("occ", "?"), r.get("regs", "?")))
print("total %.1f us over %d launches" % (tot, len(rows)))
