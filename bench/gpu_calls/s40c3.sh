#!/usr/bin/env bash
# Session 40 call 3 (main 21e0207, two lanes merged): the piece count again now that the pieces'
# blocks may run on two lanes (s40c1 on one lane: 8 pieces -0.6 % at 256, +5 % at 64; 2 pieces
# -1.2 % at 64, +3 % at 256). Graph ms at 64, 128 and 256: the default (4 pieces, the planner's
# lanes and depth), 8 pieces, 2 pieces, the default again.
# Its A/B loop ran inline; it is now ab_side.sh, with the same commands.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
ab_side D 64,128,256
ab_side P8 64,128,256 BLOCKFUSE_CUDA_PIECES=8
ab_side P2 64,128,256 BLOCKFUSE_CUDA_PIECES=2
ab_side D2 64,128,256
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
