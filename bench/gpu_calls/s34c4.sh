#!/usr/bin/env bash
# Session 34 call 4: the 120 hazards racecheck still reported on test_mbconv_wgx in s34c3, with
# their sources (the first 40 in full, the hazard kinds and access sites counted).
exec > >(tee "$OUT/summary.txt") 2>&1
RACE_TEST=test_mbconv_wgx RACE_ARGS="--print-limit 40 --show-backtrace device" \
  . bench/gpu_calls/race_detail.sh
grep -E "hazard detected" "$OUT/race.log" | sed 's/0x[0-9a-f]*/ADDR/g' | sort | uniq -c | sort -rn | head
grep -E "^=========     (Write|Read)|Device Frame" "$OUT/race.log" | sed 's/Thread ([0-9,]*)/Thread/; s/0x[0-9a-f]*/OFF/g' | sort | uniq -c | sort -rn | head -30
grep -E "rel err|RUN|OK" "$OUT/race.log" | head -30
