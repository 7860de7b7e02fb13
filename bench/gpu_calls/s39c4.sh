#!/usr/bin/env bash
# Session 39 call 4: the image copy in pieces under the stem (copy_pieces: each piece's copy on
# a second stream forked inside the graph, the stem of that piece once it has landed, so that
# the stem of one piece runs while the next is copied). gpu_backend_test (test_copy_pieces:
# BLOCKFUSE_CUDA_PIECES=4 at buckets 4 and 8 against the CPU backend; a bad count refused), then
# the same binary with BLOCKFUSE_CUDA_PIECES = 1 (one copy, as before), 2, 4, 8 and unset (the
# rule: 4 from 32 images), graph and kernels ms at 1, 8, 64, 256, the rule and 1 twice; then
# memcheck of test_copy_pieces alone.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED" "$OUT/net.log" | head -24
for side in D P1 P2 P4 P8 D2 P1b; do
  case $side in D*) x= ;; P1b) x=1 ;; P*) x=${side#P} ;; esac
  if [ -n "$x" ]; then e="BLOCKFUSE_CUDA_PIECES=$x"; else e="BLOCKFUSE_UNUSED=1"; fi
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
