#!/usr/bin/env python3
# The tuner's pass-2 GEMM candidates by kind, from the lines a run with
# BLOCKFUSE_CUDA_TUNE_LOG=1 writes to stderr ("tune BLOCK batch B: pass-2 gemm
# ..."): for each block and batch, the fastest candidate of each kind (cp.async
# per tile, K split, streaming, bulk copies) in µs, and which kind won.
# Usage: bench/tune_table.py LOG [BATCH]   (BATCH: only that batch)
import re
import sys

LINE = re.compile(r"^tune (\S+) batch (\d+): pass-2 gemm (\d+) rows, z (\d+), ksplit (\d+)"
                  r"( stream)?( bulk)?: (failed )?([\d.]+) us")
KINDS = ("per-tile", "ksplit", "stream", "bulk")


def kind_of(ks, stream, bulk):
    return "bulk" if bulk else "stream" if stream else "ksplit" if int(ks) > 1 else "per-tile"


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: tune_table.py LOG [BATCH]")
    only = int(argv[2]) if len(argv) > 2 else None
    best = {}  # (batch, block) -> kind -> (us, "bm x z")
    order = []
    for line in open(argv[1], errors="replace"):
        m = LINE.match(line)
        if not m or m.group(8):
            continue
        block, batch, bm, z, ks, stream, bulk, _, us = m.groups()
        batch = int(batch)
        if only is not None and batch != only:
            continue
        key = (batch, block)
        if key not in best:
            best[key] = {}
            order.append(key)
        kind, t = kind_of(ks, stream, bulk), float(us)
        if kind not in best[key] or t < best[key][kind][0]:
            best[key][kind] = (t, "%sx z%s" % (bm, z) + (" ks%s" % ks if int(ks) > 1 else ""))
    if not order:
        sys.exit("no tuner lines (run with BLOCKFUSE_CUDA_TUNE_LOG=1)")
    print("%-15s %5s " % ("block", "batch") + " ".join("%18s" % k for k in KINDS) + "  fastest")
    for key in sorted(order):
        row = best[key]
        cells = ["%8.1f %-9s" % row[k] if k in row else "%18s" % "-" for k in KINDS]
        win = min(row, key=lambda k: row[k][0])
        print("%-15s %5d " % (key[1], key[0]) + " ".join(cells) + "  " + win)


if __name__ == "__main__":
    main(sys.argv)
