#!/usr/bin/env bash
# Session 38 call 1 (branch se-mma): the SE MLP after PASS1 on tensor cores (se_mma.cu: 16
# images per CTA, a cluster over the channel slices). env_ab.sh with BLOCKFUSE_CUDA_SEMMA (W = 1:
# wherever it fits, at every batch; N = 0: the batched fp32 kernel or the per-image one, as
# main; the same binary): test_se_mma first, every kernel test, the network against the CPU
# backend, two rounds of W / N at 1, 8, 64, 256, memcheck and racecheck of test_se_mma, then
# Nsight Compute's durations of the SE launches at 256 and 64 on both sides.
exec > >(tee "$OUT/summary.txt") 2>&1
AB_ENV=BLOCKFUSE_CUDA_SEMMA AB_TEST=test_se_mma AB_TAG=semma AB_TIMEOUT=120 . bench/gpu_calls/env_ab.sh
for b in 256 64; do for x in 1 0; do
  BLOCKFUSE_CUDA_SEMMA=$x timeout 120 ncu --profile-from-start off --cache-control none --clock-control none \
    -k "regex:se_" --section SpeedOfLight .gpu/bin/gpu_bench "$M" --batches $b --ncu-batch $b >"$OUT/ncu_se_${b}_$x.txt" 2>&1
  echo "ncu se batch $b SEMMA=$x rc=$?"
  python3 bench/ncu_table.py "$OUT/ncu_se_${b}_$x.txt" | cut -c1-150 | head -24
done; done
date -u +%FT%TZ
