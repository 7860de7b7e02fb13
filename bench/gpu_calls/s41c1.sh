#!/usr/bin/env bash
# Session 41 call 1: checks on the H200 what ran only in CI after s40c8 (RESULTS s40 item 10):
# capture_net's one loop over graph_forms (a single form captured untimed), the plan lines'
# SE form at a piece's batch, gpu_backend_test's occurrences helper, and `blockfuse bench
# --plans` (the new model_backend_ops.describe op) on the cuda backend. Then the planner's
# picks and graph ms at 64 and 256 (expected as s40c8: 4 pieces at 64 ~0.95 ms, 8 pieces on
# two lanes with 4 blocks at 256 ~2.92 ms), forced one copy and forced forms as a control.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 200 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; }
grep -E "logits rel err|OK|PASSED|FAILED|piece by piece" "$OUT/net.log" | grep -v "n=[38] image [1-7]" | head -40 | cut -c1-140
date -u +%FT%TZ
ab_side D 64,256
ab_side C 64,256 BLOCKFUSE_CUDA_PIECES=1
ab_side F 64,256 BLOCKFUSE_CUDA_PIECES=8 BLOCKFUSE_CUDA_PIECE_LANES=2 BLOCKFUSE_CUDA_PIECE_BLOCKS=4
BF=.gpu/runfiles/blockfuse/server/blockfuse
for b in 256 8; do
  timeout 100 $BF bench --model $M --backend cuda --batch $b --iters 20 --no-per-block --plans >"$OUT/plans_$b.txt" 2>&1
  echo "bench --plans batch $b rc=$?"
  grep -E -i "img/s|ms|launch plans|pieces|block" "$OUT/plans_$b.txt" | head -30 | cut -c1-160
done
timeout 60 $BF bench --model $M --backend cpu --batch 1 --iters 2 --warmup 0 --no-per-block --plans 2>&1 | tail -3
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
