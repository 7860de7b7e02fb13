#!/usr/bin/env bash
# Session 36 call 10 (branch diag-nose, a diagnostic build: main's kernels, and with
# BLOCKFUSE_DIAG_NOSE set no SE kernel is launched after PASS1, so pass 2 reads stale gates):
# what the SE launches cost inside the graphs. gpu_bench at 64 and 256, two rounds alternating W
# (as built) and D (BLOCKFUSE_DIAG_NOSE=1): graph and kernels ms, every block's µs at 256. Timing
# only: D's outputs are wrong by construction.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
for r in "" 2; do for side in W$r D$r; do
  x=$(case $side in D*) echo 1 ;; esac)
  env ${x:+BLOCKFUSE_DIAG_NOSE=1} timeout 100 .gpu/bin/gpu_bench $M --batches 64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$?"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side 256: $(awk '$0 ~ "per-block roofline, batch 256 " {p=1; next} p && /^total/ {exit} p && !/^block/ {printf "%s ", $5}' "$OUT/ab_$side.txt")"
done; done
date -u +%FT%TZ
