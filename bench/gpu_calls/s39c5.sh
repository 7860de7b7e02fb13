#!/usr/bin/env bash
# Session 39 call 5: the image copy in pieces under the first L blocks (enqueue_pieces: the stem
# and, by default, stack0.block0 run piece by piece with the plans of the bucket of a piece's
# images while the next piece is copied). gpu_backend_test (test_copy_pieces: 4 pieces at
# buckets 4 and 8, L = 2 and every block but the head, against the CPU backend), then the same
# binary's graph ms at 1, 8, 64, 256 with L = 1 (s39c4's kept form), 2 (the default), 3, and 8
# pieces with L = 2; the default and L = 1 twice; memcheck of test_copy_pieces. (Its first run
# failed test_copy_pieces at 17 blocks in pieces, as it should have: pieces_keep now stops where
# a later piece would overwrite an earlier one's outputs.)
# Its A/B loop and memcheck ran inline; they are now ab_side.sh's, with the same commands.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
. bench/gpu_calls/ab_side.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED" "$OUT/net.log" | awk '{print}' | head -40 | cut -c1-120
ab_side D 1,8,64,256
ab_side L1 1,8,64,256 BLOCKFUSE_CUDA_PIECE_BLOCKS=1
ab_side L3 1,8,64,256 BLOCKFUSE_CUDA_PIECE_BLOCKS=3
ab_side P8 1,8,64,256 BLOCKFUSE_CUDA_PIECES=8
ab_side D2 1,8,64,256
ab_side L1b 1,8,64,256 BLOCKFUSE_CUDA_PIECE_BLOCKS=1
date -u +%FT%TZ
mem_pieces 200
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
