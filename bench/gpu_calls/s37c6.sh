#!/usr/bin/env bash
# Session 37 call 6 (main): the head's warpgroup GEMM at 128 rows per CTA (W, the rule: ten
# splits of 128 columns, one CTA per SM) against 64 (S, BLOCKFUSE_CUDA_HEADBM=64: two CTAs per
# SM), same binary, two rounds alternating at 1, 8, 64, 256: kernels ms and the head's row of
# each per-block table.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
for r in "" 2; do for side in W$r S$r; do
  x=$(case $side in S*) echo 64 ;; esac)
  env ${x:+BLOCKFUSE_CUDA_HEADBM=$x} timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$?"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side head: $(grep -E '^head ' "$OUT/ab_$side.txt" | awk '{printf "%s ", $5}')"
done; done
date -u +%FT%TZ
