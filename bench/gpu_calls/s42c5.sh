#!/usr/bin/env bash
# Session 42 call 5 (branch pieces16): MAX_PIECES 8 -> 16, so that BLOCKFUSE_CUDA_PIECES=16 can
# force the image copy in 16 pieces (the first lands in half the time of 8's; the lead blocks
# run at 16 images a piece). gpu_bench at 128 and 256, the planner (4 or 8 pieces) against 16
# forced, two rounds, the planner's lanes and depth on both.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
ab_side D 128,256
ab_side P16 128,256 BLOCKFUSE_CUDA_PIECES=16
ab_side D2 128,256
ab_side P16b 128,256 BLOCKFUSE_CUDA_PIECES=16
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
