#!/usr/bin/env bash
# Session 39 call 6: the planner picks how many leading blocks run piece by piece under the image
# copy (capture_net: 1 to 4, each bucket's graph captured and its replays timed, copies
# included; s39c5 had the stem alone at 3.35 ms at 256, two blocks at 3.20, three at 3.04).
# gpu_backend_test (test_copy_pieces: the planner's pick and 16 blocks forced, against the CPU
# backend), then graph ms at 1, 8, 64, 256: the planner twice, one block and three forced; the
# planner's picks from the plans; memcheck of test_copy_pieces.
# Its A/B loop and memcheck ran inline; they are now ab_side.sh's, with the same commands.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED|piece by piece" "$OUT/net.log" | grep -v "n=[38] image [1-7]" | head -30 | cut -c1-120
ab_side D 1,8,64,256
ab_side L1 1,8,64,256 BLOCKFUSE_CUDA_PIECE_BLOCKS=1
ab_side L3 1,8,64,256 BLOCKFUSE_CUDA_PIECE_BLOCKS=3
ab_side D2 1,8,64,256
date -u +%FT%TZ
mem_pieces 150
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
