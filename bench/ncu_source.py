#!/usr/bin/env python3
# Where one kernel's instructions go, from Nsight Compute's source page:
#   ncu -i REPORT --page source --csv --print-source sass > src.csv
#   bench/ncu_source.py src.csv [min_share_percent]
# (bench/gpu_profile.sh writes src.csv with NCU_SOURCE set). Prints the
# executed warp instructions and stall samples per SASS opcode, then the
# runs of consecutive instructions that execute equally often (basic blocks,
# near enough) holding at least min_share_percent (default 1) of the
# executed instructions: offset, length, executions per instruction, share,
# stall samples and the opcodes. The sixth session's PASS1 analysis
# (bench/RESULTS.md) was read this way.
import collections
import csv
import sys


def opcode(sass):
    words = sass.split()
    if not words:
        return "?"
    op = words[1] if words[0].startswith("@") and len(words) > 1 else words[0]
    return op.split(".")[0]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: ncu_source.py src.csv [min_share_percent]")
    min_share = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    rows = list(csv.reader(open(sys.argv[1], errors="replace")))
    heads = [i for i, r in enumerate(rows) if r and r[0] == "Address"]
    if not heads:
        sys.exit("no 'Address' header: not an ncu --page source --csv file")
    head = rows[heads[0]]
    col_exec = head.index("Instructions Executed")
    col_stall = head.index("Warp Stall Sampling (All Samples)")
    col_src = head.index("Source")
    kernel = next((r[1] for r in rows[: heads[0]] if r and r[0] == "Kernel Name"), "?")
    data = [r for r in rows[heads[0] + 1 :] if len(r) > col_exec and r[col_exec].isdigit()]
    if not data:
        sys.exit("no instruction rows")
    total = sum(int(r[col_exec]) for r in data)
    stalls = sum(int(r[col_stall] or 0) for r in data)
    print("%s: %.1f M warp instructions, %d stall samples" % (kernel, total / 1e6, stalls))

    ops, op_stalls = collections.Counter(), collections.Counter()
    for r in data:
        ops[opcode(r[col_src])] += int(r[col_exec])
        op_stalls[opcode(r[col_src])] += int(r[col_stall] or 0)
    print("\nopcode        M inst  share  stalls")
    for op, n in ops.most_common(25):
        print("%-10s %9.2f %5.1f%% %6.1f%%" % (op, n / 1e6, 100.0 * n / total,
                                            100.0 * op_stalls[op] / max(stalls, 1)))

    base = int(data[0][0], 16)
    runs, cur = [], None
    for r in data:
        n, s = int(r[col_exec]), int(r[col_stall] or 0)
        if cur and n == cur["n"]:
            cur["len"] += 1
            cur["stall"] += s
            cur["ops"].append(opcode(r[col_src]))
        else:
            cur = {"off": int(r[0], 16) - base, "n": n, "len": 1, "stall": s,
                   "ops": [opcode(r[col_src])]}
            runs.append(cur)
    print("\noffset   len  exec/inst  share  stalls  opcodes")
    for run in runs:
        share = 100.0 * run["n"] * run["len"] / total
        if share >= min_share:
            print("%6x %5d %10d %5.1f%% %6.1f%%  %s" % (
                run["off"], run["len"], run["n"], share,
                100.0 * run["stall"] / max(stalls, 1), " ".join(run["ops"])[:100]))


if __name__ == "__main__":
    main()
