#!/usr/bin/env bash
# Session 40 call 8 (branch pxlanes): how steady the planner's pick is. s40c7's create() took
# 8 pieces on two lanes with 3 blocks at 256 (2.973 ms) where s40c4 and s40c5's took 4 blocks
# (2.924-2.926): capture_net times each candidate graph by the median of 7 replays. Three
# creates with the 7 (A1-A3) against three with 21 (BLOCKFUSE_CUDA_LEAD_ITERS=21, B1-B3), graph
# ms and picks at 64 and 256.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
for r in 1 2 3; do
  ab_side A$r 64,256
  ab_side B$r 64,256 BLOCKFUSE_CUDA_LEAD_ITERS=21
done 2>&1 | grep -v " kernels: \| lanes: "
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
