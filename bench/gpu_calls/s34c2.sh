#!/usr/bin/env bash
# Session 34 call 2: the hazards racecheck reported on test_mbconv_wgx in s34c1 (405), with
# their sources: racecheck of that test alone, the first 30 hazards saved whole, every record.
exec > >(tee "$OUT/summary.txt") 2>&1
RACE_TEST=test_mbconv_wgx RACE_ARGS="--print-limit 30 --racecheck-report all" \
  . bench/gpu_calls/race_detail.sh
grep -E "Error|Warning|Write|Read|at .*mbconv_wg" "$OUT/race.log" | sort | uniq -c | sort -rn | head -40
