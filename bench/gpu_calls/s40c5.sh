#!/usr/bin/env bash
# Session 40 call 5 (branch onecopy): the planner also times the one copy (lead 0) beside 4 and 8
# pieces, and tries pieces wherever the bucket has 4 images or more (before: pieces from 32
# images on, never timed against the one copy). gpu_backend_test (the network test's buckets
# 1 to 8 now take whatever the planner picks), then graph ms at 1, 8, 16, 32, 64, 256: the
# planner (D, D2) against the one copy forced (P1), and the planner's picks.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 200 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "OK|PASSED|FAILED|bucket [48]:|pieces.*n=8 image 0" "$OUT/net.log" | head -30 | cut -c1-120
. bench/gpu_calls/ab_side.sh
ab_side D 1,8,16,32,64,256
ab_side P1 1,8,16,32,64,256 BLOCKFUSE_CUDA_PIECES=1
ab_side D2 1,8,16,32,64,256
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
