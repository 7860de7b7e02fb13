#!/usr/bin/env bash
# Session 34 call 2: the hazards racecheck reported on test_mbconv_wgx in s34c1 (405), with
# their sources: racecheck of that test alone, the first 30 hazards saved whole.
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_mbconv_wgx timeout 200 compute-sanitizer --tool racecheck --print-limit 30 \
  --racecheck-report all .gpu/bin/gpu_kernels_test >"$OUT/race.log" 2>&1
echo "racecheck rc=$?"
grep -E "SUMMARY" "$OUT/race.log"
grep -E "Error|Warning|Write|Read|at .*mbconv_wg" "$OUT/race.log" | sort | uniq -c | sort -rn | head -40
