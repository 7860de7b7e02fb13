#!/usr/bin/env bash
# Session 9 call 11: the source page (SASS, per-instruction counters) of s9c1's report
# (--set full of the first ten tile-kernel and pixel-GEMM launches at batch 256, 5fe8bd9),
# for reading stack1's PASS1 here.
export PATH="/usr/local/cuda/bin:$PATH"
xz -dkf .gpu/prof/full.ncu-rep.xz
ncu -i .gpu/prof/full.ncu-rep --page source --csv --print-source sass >"$OUT/src_all.csv" 2>"$OUT/src.err"
ls -la "$OUT"; head -3 "$OUT/src.err"; grep -c "^\"Address\"" "$OUT/src_all.csv"
xz -9 -T0 "$OUT/src_all.csv"; ls -la "$OUT"
