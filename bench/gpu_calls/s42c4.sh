#!/usr/bin/env bash
# Session 42 call 4, the final run on main (s42c2's kernels): the whole gpu_backend_test,
# EfficientNet-B0 in gpu_bench at 1, 8, 64 and 256 with the per-block table and 2 instances at
# once, timm efficientnet_b0 in the same call, `blockfuse bench --backend cuda` (a user's
# command) at 1 and 256, then the daemon under loadgen and its integration tests.
exec > >(tee "$OUT/summary.txt") 2>&1
CONC=2 . bench/gpu_calls/final_run.sh
BF=.gpu/runfiles/blockfuse/server/blockfuse
for b in 1 256; do
  timeout 60 "$BF" bench --backend cuda --model "$M" --batch $b --iters 100 >"$OUT/bench_$b.log" 2>&1
  echo "blockfuse bench $b rc=$?"
  grep -E "throughput|latency ms|device|host|^total" "$OUT/bench_$b.log" | head -8
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
