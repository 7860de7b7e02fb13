#!/usr/bin/env python3
# The tuner's candidates by kind, from the lines a run with
# BLOCKFUSE_CUDA_TUNE_LOG=1 writes to stderr: for each block and batch, the
# fastest pass-2 GEMM candidate of each kind (cp.async per tile, K split,
# streaming, bulk copies, warpgroup MMAs, narrow; "tune BLOCK batch B: pass-2 gemm ..."
# lines) in µs and which kind won; with --dw, the PASS1 depthwise shapes the
# tuner timed on its winning tiles ("tune BLOCK batch B: pass1 tile ... dwrows
# N: T us"): one pixel, two rows, 2 x 2 blocks, 8 channels, strips of one and of two rows.
# Usage: bench/tune_table.py [--dw] LOG [BATCH]   (BATCH: only that batch)
import re
import sys

LINE = re.compile(r"^tune (\S+) batch (\d+): pass-2 gemm (\d+) rows, z (\d+), ksplit (\d+)"
                  r"( stream)?( bulk)?( wg)?( narrow)?: (failed )?([\d.]+) us")
KINDS = ("per-tile", "ksplit", "stream", "bulk", "wg", "narrow")
DW_LINE = re.compile(r"^tune (\S+) batch (\d+): pass1 tile (\d+x\d+) cc (\d+)( wide)? dwrows (\d): "
                     r"([\d.]+) us")
DW_KINDS = ("one pixel", "two rows", "2x2 blocks", "8 channels", "strips x1", "strips x2")


def kind_of(ks, stream, bulk, wg, narrow):
    return ("narrow" if narrow else "wg" if wg else "bulk" if bulk else "stream" if stream
            else "ksplit" if int(ks) > 1 else "per-tile")


def collect(path, only, pattern, parse):
    """Per (batch, block), the fastest time of each kind: parse(match) gives
    (block, batch, kind, us, label) or None to skip the line."""
    best, order = {}, []
    for line in open(path, errors="replace"):
        m = pattern.match(line)
        got = parse(m) if m else None
        if not got:
            continue
        block, batch, kind, t, label = got
        if only is not None and batch != only:
            continue
        key = (batch, block)
        if key not in best:
            best[key] = {}
            order.append(key)
        if kind not in best[key] or t < best[key][kind][0]:
            best[key][kind] = (t, label)
    return best, order


def print_table(best, order, kinds, width, what):
    """A row per block and batch: each kind's fastest time and label, and the winner."""
    if not order:
        sys.exit("no %s tuner lines (run with BLOCKFUSE_CUDA_TUNE_LOG=1)" % what)
    cell = "%%8.1f %%-%ds" % (width - 9)
    print("%-15s %5s " % ("block", "batch") + " ".join("%*s" % (width, k) for k in kinds) +
          "  fastest")
    for key in sorted(order):
        row = best[key]
        cells = [cell % row[k] if k in row else "%*s" % (width, "-") for k in kinds]
        win = min(row, key=lambda k: row[k][0])
        print("%-15s %5d " % (key[1], key[0]) + " ".join(cells) + "  " + win)


def gemm_line(m):
    block, batch, bm, z, ks, stream, bulk, wg, narrow, failed, us = m.groups()
    if failed:
        return None
    label = "%sx z%s" % (bm, z) + (" ks%s" % ks if int(ks) > 1 else "")
    return block, int(batch), kind_of(ks, stream, bulk, wg, narrow), float(us), label


def dw_line(m):
    block, batch, tile, cc, wide, rows, us = m.groups()
    return block, int(batch), DW_KINDS[int(rows)], float(us), "%s/%s%s" % (tile, cc,
                                                                             "w" if wide else "")


def main(argv):
    dw = len(argv) > 1 and argv[1] == "--dw"
    if dw:
        argv = argv[:1] + argv[2:]
    if len(argv) < 2:
        sys.exit("usage: tune_table.py [--dw] LOG [BATCH]")
    only = int(argv[2]) if len(argv) > 2 else None
    if dw:
        best, order = collect(argv[1], only, DW_LINE, dw_line)
        print_table(best, order, DW_KINDS, 20, "PASS1")
    else:
        best, order = collect(argv[1], only, LINE, gemm_line)
        print_table(best, order, KINDS, 18, "pass-2")


if __name__ == "__main__":
    main(sys.argv)
