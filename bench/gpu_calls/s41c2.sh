#!/usr/bin/env bash
# Session 41 call 2: the image copy's pieces cut as a ramp (cuda_piece_at: the first two of
# B >> (pieces - 1) images, each later one twice the one before; 256 in 6: 8+8+16+32+64+128).
# Checks: test_copy_pieces (its new ramp runs: 3 pieces, the planner's depth; 4 pieces, 9
# blocks on two lanes) and test_env_refused, memcheck of test_copy_pieces. Then graph ms at
# 32, 64, 128 and 256, same binary: the planner (even cuts and ramps of 5 and 6), the even
# cuts alone (BLOCKFUSE_CUDA_PIECE_SHAPE=even: what main ran before), and ramps of 5, 6 and 7
# forced; the first two again as a second round.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
BLOCKFUSE_TEST_FILTER=test_copy_pieces timeout 150 .gpu/bin/gpu_backend_test >"$OUT/pieces.log" 2>&1
echo "test_copy_pieces rc=$?"
grep -E "logits rel err|OK|PASSED|FAILED|piece by piece|error|Error" "$OUT/pieces.log" | grep -v "n=[38] image [1-7]" | head -60 | cut -c1-140
BLOCKFUSE_TEST_FILTER=test_env_refused timeout 60 .gpu/bin/gpu_backend_test 2>&1 | grep -E "SHAPE|OK|FAIL"
mem_pieces 200
date -u +%FT%TZ
B=32,64,128,256
ab_side D $B
ab_side E $B BLOCKFUSE_CUDA_PIECE_SHAPE=even
ab_side R5 $B BLOCKFUSE_CUDA_PIECE_SHAPE=ramp BLOCKFUSE_CUDA_PIECES=5
ab_side R6 $B BLOCKFUSE_CUDA_PIECE_SHAPE=ramp BLOCKFUSE_CUDA_PIECES=6
ab_side R7 $B BLOCKFUSE_CUDA_PIECE_SHAPE=ramp BLOCKFUSE_CUDA_PIECES=7
ab_side D2 $B
ab_side E2 $B BLOCKFUSE_CUDA_PIECE_SHAPE=even
for s in D E R5 R6 R7; do
  echo "$s cuts: $(grep -o 'bucket [0-9]* *\[piece by piece under the copy, [^]]*' "$OUT/ab_$s.txt" | sed 's/\[piece by piece under the copy, //' | sort | uniq -c | tr '\n' ' ')"
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
