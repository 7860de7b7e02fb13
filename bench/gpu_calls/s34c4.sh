#!/usr/bin/env bash
# Session 34 call 4: the 120 hazards racecheck still reported on test_mbconv_wgx in s34c3, with
# their sources (the first 40 in full, the hazard kinds and access sites counted).
exec > >(tee "$OUT/summary.txt") 2>&1
. bench/gpu_calls/setup.sh
BLOCKFUSE_TEST_FILTER=test_mbconv_wgx timeout 200 compute-sanitizer --tool racecheck --print-limit 40 \
  --show-backtrace device .gpu/bin/gpu_kernels_test >"$OUT/race.log" 2>&1
echo "racecheck rc=$?"
grep -E "SUMMARY" "$OUT/race.log"
grep -E "hazard detected" "$OUT/race.log" | sed 's/0x[0-9a-f]*/ADDR/g' | sort | uniq -c | sort -rn | head
grep -E "^=========     (Write|Read)|Device Frame" "$OUT/race.log" | sed 's/Thread ([0-9,]*)/Thread/; s/0x[0-9a-f]*/OFF/g' | sort | uniq -c | sort -rn | head -30
grep -E "rel err|RUN|OK" "$OUT/race.log" | head -30
