#!/usr/bin/env bash
# Session 38 call 5, the final run (branch se-mma, its rule as merged): final_run.sh (the network
# against the CPU backend, gpu_bench at 1, 8, 64, 256 with the per-block table, timm in the same
# call, the daemon on the cuda backend under loadgen and its integration tests); then two rounds of
# the kernels with se_mma.cu's rule (R) and without it (N, BLOCKFUSE_CUDA_SEMMA=0), the same binary.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/final_run.sh
for r in "" 2; do for side in R$r N$r; do
  case $side in R*) x=1 ;; N*) x=0 ;; esac
  env BLOCKFUSE_CUDA_SEMMA=$x timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
done; done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
