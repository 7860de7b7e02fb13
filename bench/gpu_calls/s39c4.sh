#!/usr/bin/env bash
# Session 39 call 4: the image copy in pieces under the stem (copy_pieces: each piece's copy on
# a second stream forked inside the graph, the stem of that piece once it has landed, so that
# the stem of one piece runs while the next is copied). gpu_backend_test (test_copy_pieces:
# BLOCKFUSE_CUDA_PIECES=4 at buckets 4 and 8 against the CPU backend; a bad count refused), then
# the same binary with BLOCKFUSE_CUDA_PIECES = 1 (one copy, as before), 2, 4, 8 and unset (the
# rule: 4 from 32 images), graph and kernels ms at 1, 8, 64, 256, the rule and 1 twice; then
# memcheck of test_copy_pieces alone.
# Its A/B loop and memcheck ran inline; they are now ab_side.sh's, with the same commands.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED" "$OUT/net.log" | head -24
ab_side D 1,8,64,256
ab_side P1 1,8,64,256 BLOCKFUSE_CUDA_PIECES=1
ab_side P2 1,8,64,256 BLOCKFUSE_CUDA_PIECES=2
ab_side P4 1,8,64,256 BLOCKFUSE_CUDA_PIECES=4
ab_side P8 1,8,64,256 BLOCKFUSE_CUDA_PIECES=8
ab_side D2 1,8,64,256
ab_side P1b 1,8,64,256 BLOCKFUSE_CUDA_PIECES=1
date -u +%FT%TZ
mem_pieces 200
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
