#!/usr/bin/env bash
# Session 39 call 6: the planner picks how many leading blocks run piece by piece under the image
# copy (capture_net: 1 to 4, each bucket's graph captured and its replays timed, copies
# included; s39c5 had the stem alone at 3.35 ms at 256, two blocks at 3.20, three at 3.04).
# gpu_backend_test (test_copy_pieces: the planner's pick and 16 blocks forced, against the CPU
# backend), then graph ms at 1, 8, 64, 256: the planner twice, one block and three forced; the
# planner's picks from the plans; memcheck of test_copy_pieces.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 150 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "logits rel err|OK|PASSED|piece by piece" "$OUT/net.log" | grep -v "n=[38] image [1-7]" | head -30 | cut -c1-120
for side in D L1 L3 D2; do
  case $side in D*) e=BLOCKFUSE_UNUSED=1 ;; L1) e=BLOCKFUSE_CUDA_PIECE_BLOCKS=1 ;; L3) e=BLOCKFUSE_CUDA_PIECE_BLOCKS=3 ;; esac
  env "$e" timeout 100 .gpu/bin/gpu_bench $M --batches 1,8,64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side pieces: $(grep -c 'piece by piece' "$OUT/ab_$side.txt") lines; $(grep 'piece by piece' "$OUT/ab_$side.txt" | awk '{print $1 "@" $3}' | tr '\n' ' ')"
done
date -u +%FT%TZ
BLOCKFUSE_TEST_FILTER=test_copy_pieces timeout 150 compute-sanitizer --tool memcheck --error-exitcode 9 \
  .gpu/bin/gpu_backend_test >"$OUT/mem_pieces.log" 2>&1
echo "memcheck test_copy_pieces rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_pieces.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_pieces.log") images"
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
