#!/usr/bin/env python3
# The tuner's candidates by kind, from the lines a run with
# BLOCKFUSE_CUDA_TUNE_LOG=1 writes to stderr: for each block and batch, the
# fastest pass-2 GEMM candidate of each kind (cp.async per tile, K split,
# streaming, bulk copies; "tune BLOCK batch B: pass-2 gemm ..." lines) in µs
# and which kind won; with --dw, the PASS1 depthwise shapes the tuner timed on
# its winning tiles ("tune BLOCK batch B: pass1 tile ... dwrows N: T us"):
# one pixel, two rows, 2 x 2 blocks, 8 channels.
# Usage: bench/tune_table.py [--dw] LOG [BATCH]   (BATCH: only that batch)
import re
import sys

LINE = re.compile(r"^tune (\S+) batch (\d+): pass-2 gemm (\d+) rows, z (\d+), ksplit (\d+)"
                  r"( stream)?( bulk)?: (failed )?([\d.]+) us")
KINDS = ("per-tile", "ksplit", "stream", "bulk")
DW_LINE = re.compile(r"^tune (\S+) batch (\d+): pass1 tile (\d+x\d+) cc (\d+)( wide)? dwrows (\d): "
                     r"([\d.]+) us")
DW_KINDS = ("one pixel", "two rows", "2x2 blocks", "8 channels")


def kind_of(ks, stream, bulk):
    return "bulk" if bulk else "stream" if stream else "ksplit" if int(ks) > 1 else "per-tile"


def dw_table(path, only):
    """The fastest time of each depthwise shape per block and batch, with its tile."""
    best, order = {}, []
    for line in open(path, errors="replace"):
        m = DW_LINE.match(line)
        if not m:
            continue
        block, batch, tile, cc, wide, rows, us = m.groups()
        batch = int(batch)
        if only is not None and batch != only:
            continue
        key = (batch, block)
        if key not in best:
            best[key] = {}
            order.append(key)
        kind, t = DW_KINDS[int(rows)], float(us)
        if kind not in best[key] or t < best[key][kind][0]:
            best[key][kind] = (t, "%s/%s%s" % (tile, cc, "w" if wide else ""))
    if not order:
        sys.exit("no PASS1 tuner lines (run with BLOCKFUSE_CUDA_TUNE_LOG=1)")
    print("%-15s %5s " % ("block", "batch") + " ".join("%20s" % k for k in DW_KINDS) + "  fastest")
    for key in sorted(order):
        row = best[key]
        cells = ["%8.1f %-11s" % row[k] if k in row else "%20s" % "-" for k in DW_KINDS]
        win = min(row, key=lambda k: row[k][0])
        print("%-15s %5d " % (key[1], key[0]) + " ".join(cells) + "  " + win)


def main(argv):
    dw = len(argv) > 1 and argv[1] == "--dw"
    if dw:
        argv = argv[:1] + argv[2:]
    if len(argv) < 2:
        sys.exit("usage: tune_table.py [--dw] LOG [BATCH]")
    only = int(argv[2]) if len(argv) > 2 else None
    if dw:
        return dw_table(argv[1], only)
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
