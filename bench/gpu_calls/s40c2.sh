#!/usr/bin/env bash
# Session 40 call 2 (branch lanes): the pieces' leading blocks on two streams as a wavefront
# (enqueue_pieces: block i of a piece waits for block i of the piece before, each piece with its
# own SE scratch; cuda_pieces_keep's two-lane rule). gpu_backend_test (test_copy_pieces: the
# planner's pick, 16 blocks on one lane, 9 on two, against the CPU backend), memcheck of
# test_copy_pieces, then graph ms at 64 and 256: the planner (D, D2: one lane or two, 1 to 4
# blocks), one lane forced (W1), two lanes forced (W2), two lanes with up to 6 blocks (W2L6).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
timeout 200 .gpu/bin/gpu_backend_test >"$OUT/net.log" 2>&1 || { echo "FAIL net"; tail -30 "$OUT/net.log"; exit 1; }
grep -E "OK|PASSED|FAILED|piece by piece|pieces.*n=8 image 0|pieces.*n=1 image 0" "$OUT/net.log" | head -40 | cut -c1-120
BLOCKFUSE_TEST_FILTER=test_copy_pieces timeout 200 compute-sanitizer --tool memcheck --error-exitcode 9 \
  .gpu/bin/gpu_backend_test >"$OUT/mem_pieces.log" 2>&1
echo "memcheck test_copy_pieces rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_pieces.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_pieces.log") images"
date -u +%FT%TZ
for side in D W1 W2 W2L6 D2; do
  e=(BLOCKFUSE_UNUSED=1)
  case $side in W1) e=(BLOCKFUSE_CUDA_PIECE_LANES=1) ;; W2) e=(BLOCKFUSE_CUDA_PIECE_LANES=2) ;;
    W2L6) e=(BLOCKFUSE_CUDA_PIECE_LANES=2 BLOCKFUSE_CUDA_PIECE_BLOCKS=6) ;; esac
  env "${e[@]}" timeout 100 .gpu/bin/gpu_bench $M --batches 64,256 --iters 50 >"$OUT/ab_$side.txt" 2>&1
  echo "$side rc=$? $(grep -m1 -o 'create [0-9.]* s' "$OUT/ab_$side.txt")"
  echo "$side graph: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $6}' "$OUT/ab_$side.txt")"
  echo "$side kernels: $(awk '/^ *batch /{p=1;next} p&&/^$/{exit} p{printf "%s=%s ", $1, $9}' "$OUT/ab_$side.txt")"
  echo "$side pieces: $(grep 'piece by piece' "$OUT/ab_$side.txt" | awk '{print $1 "@" $3}' | tr '\n' ' ')"
  echo "$side lanes: $(grep -o 'pieces, [a-z]* lanes*' "$OUT/ab_$side.txt" | sort | uniq -c | tr '\n' ' ')"
done
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
