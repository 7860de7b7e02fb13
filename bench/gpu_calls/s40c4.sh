#!/usr/bin/env bash
# Session 40 call 4, the final run (main with two lanes and the planner's pick of 4 or 8 pieces;
# the daemon staged, gpu_kernels_test left out for the carry limit): final_run.sh with two
# instances at once (CONC=2) and the baseline alone (its two streams ran in s39c3), then
# memcheck of test_copy_pieces (4 and 8 pieces, one lane and two).
exec > >(tee "$OUT/summary.txt") 2>&1
CONC=2 . bench/gpu_calls/final_run.sh
grep -E "OK|FAILED|piece by piece" "$OUT/net.log" | head -20 | cut -c1-120
grep 'piece by piece' "$OUT/b0.log" | sed 's/  \[pass1.*//; s/under the copy, //' | head -12
BLOCKFUSE_TEST_FILTER=test_copy_pieces timeout 100 compute-sanitizer --tool memcheck --error-exitcode 9 \
  .gpu/bin/gpu_backend_test >"$OUT/mem_pieces.log" 2>&1
echo "memcheck test_copy_pieces rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/mem_pieces.log" | tail -1) $(grep -c 'rel err' "$OUT/mem_pieces.log") images"
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
