#!/usr/bin/env bash
# Session 40 call 2 (branch lanes): the pieces' leading blocks on two streams as a wavefront
# (enqueue_pieces: block i of a piece waits for block i of the piece before, each piece with its
# own SE scratch; cuda_pieces_keep's two-lane rule). gpu_backend_test (test_copy_pieces: the
# planner's pick, 16 blocks on one lane, 9 on two, against the CPU backend), memcheck of
# test_copy_pieces, then graph ms at 64 and 256: the planner (D, D2: one lane or two, 1 to 4
# blocks), one lane forced (W1), two lanes forced (W2), two lanes with up to 6 blocks (W2L6).
# Its A/B loop and memcheck ran inline; they are now ab_side.sh's, with the same commands.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 200 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "OK|PASSED|FAILED|piece by piece|pieces.*n=8 image 0|pieces.*n=1 image 0" "$OUT/net.log" | head -40 | cut -c1-120
mem_pieces 200
date -u +%FT%TZ
. bench/gpu_calls/ab_side.sh
ab_side D 64,256
ab_side W1 64,256 BLOCKFUSE_CUDA_PIECE_LANES=1
ab_side W2 64,256 BLOCKFUSE_CUDA_PIECE_LANES=2
ab_side W2L6 64,256 BLOCKFUSE_CUDA_PIECE_LANES=2 BLOCKFUSE_CUDA_PIECE_BLOCKS=6
ab_side D2 64,256
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
