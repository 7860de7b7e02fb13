#!/usr/bin/env bash
# Session 40 call 4, the final run (main with two lanes and the planner's pick of 4 or 8 pieces;
# the daemon staged, gpu_kernels_test left out for the carry limit): final_run.sh with two
# instances at once (CONC=2) and the baseline alone (its two streams ran in s39c3), then
# memcheck of test_copy_pieces (4 and 8 pieces, one lane and two).
# Its memcheck ran inline; it is now ab_side.sh's mem_pieces, with the same command.
exec > >(tee "$OUT/summary.txt") 2>&1
CONC=2 . bench/gpu_calls/final_run.sh
. bench/gpu_calls/ab_side.sh
grep -E "OK|FAILED|piece by piece" "$OUT/net.log" | head -20 | cut -c1-120
grep 'piece by piece' "$OUT/b0.log" | sed 's/  \[pass1.*//; s/under the copy, //' | head -12
mem_pieces 100
date -u +%FT%TZ
cd "$OUT" && tar czf logs.tgz --exclude=summary.txt --exclude=logs.tgz ./* && find . -type f ! -name summary.txt ! -name logs.tgz -delete
