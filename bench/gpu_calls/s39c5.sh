#!/usr/bin/env bash
# Session 39 call 5: the image copy in pieces under the first L blocks (enqueue_pieces: the stem
# and, by default, stack0.block0 run piece by piece with the plans of the bucket of a piece's
# images while the next piece is copied). gpu_backend_test (test_copy_pieces: 4 pieces at
# buckets 4 and 8, L = 2 and every block but the head, against the CPU backend), then the same
# binary's graph ms at 1, 8, 64, 256 with L = 1 (s39c4's kept form), 2 (the default), 3, and 8
# pieces with L = 2; the default and L = 1 twice; memcheck of test_copy_pieces. (Its first run
# failed test_copy_pieces at 17 blocks in pieces, as it should have: pieces_keep now stops where
# a later piece would overwrite an earlier one's outputs.)
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED" "$OUT/net.log" | awk '{print}' | head -40 | cut -c1-120
for side in D L1 L3 P8 D2 L1b; do
  case $side in D*) e=BLOCKFUSE_UNUSED=1 ;; L1*) e=BLOCKFUSE_CUDA_PIECE_BLOCKS=1 ;; L3) e=BLOCKFUSE_CUDA_PIECE_BLOCKS=3 ;; P8) e=BLOCKFUSE_CUDA_PIECES=8 ;; esac
  env "$e" timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$?"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
done
date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER=test_copy_pieces timeout 200 compute-sanitizer --tool memcheck --error-exitcode 9 \
  .gpu/bin/gpu_backend_test >"$OUT/mem_pieces.log" 2>&1
echo "memcheck test_copy_pieces rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_pieces.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_pieces.log") images"
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
